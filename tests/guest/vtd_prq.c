// SPDX-License-Identifier: GPL-2.0-only
/*
 * vtd_prq: drives the page request queue of nestvm's vVT-d from L2 userspace, the way a VT-d driver
 * would, through /dev/mem (the kit kernel has no STRICT_DEVMEM): the register page at the DRHD
 * base, and a page request queue and an invalidation queue in two locked pages of its own (their
 * physical addresses from /proc/self/pagemap). L2 boots with intel_iommu=off intremap=off so no
 * driver owns the unit. It prints "# iopf-step N" before each step, for the harness
 * (tests/testhost/iopf_vtd.sh) to raise that step's page requests through tools/iopf-mock, and TAP
 * points for what it sees; the answers the kernel got are checked by the harness in nestvm's log.
 *
 * Usage: vtd_prq [--timeout-ms N] [--bench COUNT] [DRHD-BASE]   (default 0xfed90000)
 *
 * --timeout-ms N: nestvm's answer timeout (--iopf-mock timeout_ms, default 2000): the silent steps
 * wait twice that, and the step answered after a live update half of it.
 *
 * --bench COUNT (tools/bench/iopf): no steps; after "# bench-ready" it answers every page request
 * Success as fast as it can - polling the queue memory, not PQT (a register read is a VM exit), the
 * responses of all descriptors found in one pass on the invalidation queue with one IQT write, then
 * one PQH write - until COUNT were answered ("# vtd_prq bench: answered N"), or none came for 120 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_util.h"

#define VTD_ECAP    0x010
#define VTD_GCMD    0x018
#define VTD_GSTS    0x01c
#define VTD_FSTS    0x034
#define VTD_IQH     0x080
#define VTD_IQT     0x088
#define VTD_IQA     0x090
#define VTD_PQH     0x0c0
#define VTD_PQT     0x0c8
#define VTD_PQA     0x0d0
#define VTD_PRS     0x0dc
#define VTD_PECTL   0x0e0
#define ECAP_PRS    (1ull << 29)
#define ECAP_PDS    (1ull << 42)
#define GCMD_QIE    (1u << 26)
#define FSTS_IQE    (1u << 4)
#define PRS_PPR     1u
#define PRS_PRO     2u
#define PECTL_IP    (1u << 30)
#define RID         0x10
#define ENTRIES     128             /* PQS 0: one 4-KiB page of 32-byte descriptors */

static volatile uint8_t *regs;
static volatile uint64_t *prq, *iq;
static uint64_t prq_pa, iq_pa;
static unsigned int iq_tail, points, failed;
static long long timeout_ms = 2000;     /* nestvm's answer timeout (--timeout-ms) */

static uint32_t rd32(unsigned int off) { return *(volatile uint32_t *)(regs + off); }
static void wr32(unsigned int off, uint32_t v) { *(volatile uint32_t *)(regs + off) = v; }
static uint64_t rd64(unsigned int off) { return *(volatile uint64_t *)(regs + off); }
static void wr64(unsigned int off, uint64_t v) { *(volatile uint64_t *)(regs + off) = v; }

static void check(int cond, const char *what)
{
	points++;
	if (!cond)
		failed++;
	printf("%sok %u - %s\n", cond ? "" : "not ", points, what);
	fflush(stdout);
}

static void step(int n)
{
	printf("# iopf-step %d\n", n);
	fflush(stdout);
}

/* The physical address of the page at VA (pagemap: PFN 54:0, present 63), or 0. */
static uint64_t phys(const volatile void *va)
{
	uint64_t ent;
	int fd, ok;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		gu_errno("/proc/self/pagemap");
		return 0;
	}
	ok = pread(fd, &ent, 8, (off_t)((uintptr_t)va / 4096 * 8)) == 8;
	close(fd);
	if (!ok || !(ent >> 63) || !(ent & ((1ull << 55) - 1))) {
		gu_err(EIO, "pagemap: no PFN for the queue page (not root?)");
		return 0;
	}
	return (ent & ((1ull << 55) - 1)) * 4096;
}

/*
 * A locked, zeroed page and its physical address. Locked is not pinned: compaction may still move
 * an mlocked page (vm.compact_unevictable_allowed, 1 by default), and the unit would then write
 * page requests into whatever the old frame became; main turns that off first.
 */
static int page(volatile uint64_t **va, uint64_t *pa)
{
	void *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return gu_errno("mmap of a queue page");
	memset(p, 0, 4096);
	*pa = phys(p);
	if (!*pa)
		return -EIO;
	*va = p;
	return 0;
}

/* A descriptor put by iq_add; iq_flush makes the unit run all of them (one IQT write). */
static void iq_add(uint64_t lo, uint64_t hi)
{
	iq[iq_tail * 2] = lo;
	iq[iq_tail * 2 + 1] = hi;
	iq_tail = (iq_tail + 1) % 256;
}

static void iq_flush(void)
{
	__sync_synchronize();
	wr64(VTD_IQT, (uint64_t)iq_tail << 4);
}

/* One 128-bit descriptor on the invalidation queue; nestvm runs it on the IQT write. */
static void iq_put(uint64_t lo, uint64_t hi)
{
	iq_add(lo, hi);
	iq_flush();
}

/* Page group response (type 9h): RID 31:16, Response Code 15:12; PRG index 11:3, LPIG 2. */
static void respond(unsigned int prgi, unsigned int rc)
{
	iq_put(0x9 | (uint64_t)rc << 12 | (uint64_t)RID << 16, (uint64_t)prgi << 3 | 4);
}

/* Waits up to MS for PQT to differ from TAIL; returns the new PQT (or TAIL on timeout). */
static uint64_t wait_tail(uint64_t tail, long long ms)
{
	long long end = gu_now_ms() + ms;

	while (rd64(VTD_PQT) == tail && gu_now_ms() < end)
		usleep(1000);
	return rd64(VTD_PQT);
}

static void wait_ms(long long ms)
{
	long long end = gu_now_ms() + ms;

	while (gu_now_ms() < end)
		usleep(10000);
}

/* The descriptor at byte offset OFF: qwords 0 and 1. */
static void desc(uint64_t off, uint64_t *d0, uint64_t *d1)
{
	__sync_synchronize();
	*d0 = prq[off / 8];
	*d1 = prq[off / 8 + 1];
}

/* One-request group PRG at OFF: requester id, PRG index, LPIG, R/W as raised (perm 3), address. */
static int is_req(uint64_t off, unsigned int prgi, uint64_t addr)
{
	uint64_t d0, d1;

	desc(off, &d0, &d1);
	return (d0 & 0xff) == 1 && ((d0 >> 16) & 0xffff) == RID && !(d0 & (1ull << 8)) && ((d1 >> 3) & 0x1ff) == prgi &&
	       (d1 & 7) == 7 && (d1 & ~0xfffull) == addr;
}

/*
 * --bench: answers COUNT page requests Success. A slot is new when both its qwords are nonzero
 * (type 1 in qword 0, LPIG in qword 1: every mock request is a one-request group) and is zeroed
 * once answered, so the queue memory alone says what arrived. At most 64 answers per IQT write
 * (the invalidation queue has 256 slots; nestvm runs them on the write).
 */
static int bench(unsigned long count)
{
	unsigned long answered = 0;
	unsigned int head = 0, n;
	long long idle_since = gu_now_ms();
	unsigned long spins = 0;

	printf("# bench-ready\n");
	fflush(stdout);
	while (answered < count) {
		for (n = 0; n < 64; n++) {
			volatile uint64_t *d = &prq[head / 8];
			uint64_t d0 = d[0], d1 = d[1];

			if ((d0 & 0xff) != 1 || !(d1 & 4))
				break;
			iq_add(0x9 | (uint64_t)((d0 >> 16) & 0xffff) << 16, (d1 & (0x1ffull << 3)) | 4);
			d[0] = d[1] = 0;
			head = (head + 32) % (ENTRIES * 32);
		}
		if (n) {
			iq_flush();
			wr64(VTD_PQH, head);
			answered += n;
			spins = 0;
			idle_since = -1;
			continue;
		}
#if defined(__x86_64__)
		__builtin_ia32_pause();
#endif
		if (++spins % 100000 == 0) {
			long long now = gu_now_ms();

			if (idle_since < 0)
				idle_since = now;
			else if (now - idle_since > 120000)
				break;
		}
	}
	printf("# vtd_prq bench: answered %lu of %lu, the queue pages %s\n", answered, count,
	       phys(prq) == prq_pa && phys(iq) == iq_pa ? "stayed put" : "MOVED (compaction?)");
	fflush(stdout);
	return answered == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	unsigned long bench_count = 0;
	uint64_t base = 0xfed90000ull, ecap, t, h;
	void *m;
	int fd;

	gu_prog = "vtd_prq";
	if (argc > 2 && !strcmp(argv[1], "--timeout-ms")) {
		timeout_ms = strtoll(argv[2], NULL, 0);
		argc -= 2;
		argv += 2;
	}
	if (argc > 2 && !strcmp(argv[1], "--bench")) {
		bench_count = strtoul(argv[2], NULL, 0);
		argc -= 2;
		argv += 2;
	}
	if (argc > 1)
		base = strtoull(argv[1], NULL, 0);
	/* No compaction of the (mlocked) queue pages. */
	if (gu_keep_locked_pages())
		printf("# vm.compact_unevictable_allowed stays on: the queue pages may move\n");
	fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0) {
		gu_errno("/dev/mem");
		printf("Bail out! no /dev/mem\n");
		return 1;
	}
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)base);
	close(fd);
	if (m == MAP_FAILED || page(&prq, &prq_pa) || page(&iq, &iq_pa)) {
		gu_errno("mapping the registers at %#" PRIx64 " or a queue", base);
		printf("Bail out! no registers or queue pages\n");
		return 1;
	}
	regs = m;
	ecap = rd64(VTD_ECAP);
	check((ecap & ECAP_PRS) && (ecap & ECAP_PDS), "ECAP.PRS and ECAP.PDS: the unit has a page request source");
	check(rd32(VTD_PECTL) == (1u << 31), "PECTL_REG: IM set at reset");

	/* The invalidation queue (128-bit descriptors), then the page request queue (PQS 0). */
	wr64(VTD_IQT, 0);
	wr64(VTD_IQA, iq_pa);
	wr32(VTD_GCMD, (rd32(VTD_GSTS) & 0x86800000u) | GCMD_QIE);
	check(rd32(VTD_GSTS) & GCMD_QIE, "the invalidation queue is on (GSTS.QIES)");
	wr64(VTD_PQH, 0);
	wr64(VTD_PQT, 0);
	wr64(VTD_PQA, prq_pa);
	check(rd64(VTD_PQA) == prq_pa, "PQA_REG holds the page request queue");
	printf("# page request queue at %#" PRIx64 ", invalidation queue at %#" PRIx64 "\n", prq_pa, iq_pa);
	if (bench_count)
		return bench(bench_count);

	/* 1: a request, answered Success. */
	step(1);
	t = wait_tail(0, 60000);
	check(t == 0x20 && is_req(0, 1, 0x10000), "PRG 1: one 256-bit descriptor (type 1, RID 0x10, PRG 1, LPIG, R/W, address)");
	check((rd32(VTD_PRS) & PRS_PPR) && (rd32(VTD_PECTL) & PECTL_IP), "PRG 1: PRS.PPR, and the masked event pending (PECTL.IP)");
	respond(1, 0);
	wr64(VTD_PQH, t);
	wr32(VTD_PRS, PRS_PPR);
	check(!(rd32(VTD_FSTS) & FSTS_IQE) && !(rd32(VTD_PECTL) & PECTL_IP), "PRG 1 answered Success; PPR cleared clears IP");

	/* 2: answered Invalid Request. */
	step(2);
	t = wait_tail(0x20, 60000);
	check(t == 0x40 && is_req(0x20, 2, 0x20000), "PRG 2 in the queue");
	respond(2, 1);
	wr64(VTD_PQH, t);
	wr32(VTD_PRS, PRS_PPR);

	/* 3: a queue with one free slot (PQH two descriptors ahead of PQT: 126 unconsumed ones as far
	 * as the hardware knows): PRG 3 fits, PRG 4 overflows (PRO; automatic Success), PRG 5 is
	 * dropped while PRO is set. */
	wr64(VTD_PQH, (t + 2 * 32) % (ENTRIES * 32));
	step(3);
	t = wait_tail(0x40, 60000);
	check(t == 0x60 && is_req(0x40, 3, 0x30000), "PRG 3 takes the last free slot");
	respond(3, 0);      /* at once, well inside nestvm's timeout (answering frees no slot) */
	h = gu_now_ms();
	while (!(rd32(VTD_PRS) & PRS_PRO) && gu_now_ms() < (long long)h + 60000)
		usleep(1000);
	wait_ms(2000);      /* PRG 5 after PRG 4 */
	check((rd32(VTD_PRS) & PRS_PRO) && rd64(VTD_PQT) == 0x60, "PRG 4 and 5: the queue full, PRS.PRO set, nothing written");
	wr64(VTD_PQH, rd64(VTD_PQT));
	wr32(VTD_PRS, PRS_PRO | PRS_PPR);
	check(!(rd32(VTD_PRS) & PRS_PRO), "PRO cleared after the queue was drained");

	/* 4: silence: PRG 6 is not answered before nestvm's timeout; then a late answer. */
	step(4);
	t = wait_tail(0x60, 60000);
	check(t == 0x80 && is_req(0x60, 6, 0x60000), "PRG 6 in the queue");
	wait_ms(2 * timeout_ms);
	respond(6, 0);
	wr64(VTD_PQH, t);
	wr32(VTD_PRS, PRS_PPR);
	check(!(rd32(VTD_FSTS) & FSTS_IQE), "PRG 6's late answer is a valid descriptor all the same");

	/* 5: a flood of 40 requests nobody answers: nestvm keeps 32 (its per-device bound), the other
	 * 8 are answered at once and the guest told by PRO. */
	step(5);
	h = gu_now_ms();
	while (!(rd32(VTD_PRS) & PRS_PRO) && gu_now_ms() < (long long)h + 60000)
		usleep(1000);
	wait_ms(1000);
	t = rd64(VTD_PQT);
	check(t == (0x80 + 32 * 32) % (ENTRIES * 32) && is_req(0x80, 100, 100 * 0x1000) &&
	      is_req(0x80 + 31 * 32, 131, 131 * 0x1000), "flood: 32 descriptors (PRG 100-131), then PRO");
	wait_ms(2 * timeout_ms);    /* the 32 time out in nestvm */
	wr64(VTD_PQH, t);
	wr32(VTD_PRS, PRS_PRO | PRS_PPR);

	/* 6: PRG 8 waits in the queue while the harness updates nestvm (it is told by "# iopf-pending
	 * 8"); answered half a timeout later, by then through the new process. */
	step(6);
	h = t;
	t = wait_tail(h, 60000);
	check(t == (h + 32) % (ENTRIES * 32) && is_req(h, 8, 0x80000), "PRG 8 in the queue");
	printf("# iopf-pending 8\n");
	fflush(stdout);
	wait_ms(timeout_ms / 2);
	respond(8, 0);
	wr64(VTD_PQH, t);
	wr32(VTD_PRS, PRS_PPR);
	check(!(rd32(VTD_FSTS) & FSTS_IQE) && rd64(VTD_PQH) == t && rd64(VTD_PQA) == prq_pa,
	      "PRG 8 answered Success; the queue registers as they were (across the update)");

	/* 7: a request in flight at power-off. */
	step(7);
	h = t;
	t = wait_tail(h, 60000);
	check(t == (h + 32) % (ENTRIES * 32) && is_req(h, 7, 0x70000), "PRG 7 in the queue, left unanswered at power-off");
	printf("1..%u\n", points);
	fflush(stdout);
	return failed ? 1 : 0;
}
