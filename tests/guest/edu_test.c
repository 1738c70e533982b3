// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu_test: drives QEMU's edu device (edu.h) from userspace through VFIO and prints TAP. It is the
 * proof of device assignment (issue #4): run in L1 on the device QEMU gives L1, and in an L2 guest
 * on the same device passed through by `nestvm run --device vfio,...`.
 *
 * How it reaches the device: the device fd comes from a DMA backend (dma_space.h):
 *   --iommufd  VFIO cdev /dev/vfio/devices/vfioN bound to /dev/iommu, attached to its own IOAS; our
 *              buffers are mapped with IOMMU_IOAS_MAP at IOVAs we choose (4 GiB when allowed,
 *              --iova to pick). For a host or guest with an IOMMU (L1; L2 with a vIOMMU, issue #5).
 *   --noiommu  for a guest without an IOMMU (L2 today): VFIO no-IOMMU mode (kernel command line
 *              vfio.enable_unsafe_noiommu_mode=1); the device comes from the group node
 *              /dev/vfio/noiommu-N (Linux 7.2 has no cdev for no-IOMMU devices) and a buffer's DMA
 *              address is its guest-physical address from /proc/self/pagemap. Buffers are single
 *              mlocked pages (the edu DMA buffer is one page), so physical contiguity is given.
 * BAR0 is mmapped from the device fd; MSI vector 0 is routed to an eventfd (VFIO_DEVICE_SET_IRQS)
 * and every interrupt is counted. --bind first binds the device to vfio-pci (driver_override).
 *
 * Checks: identification, liveness, factorial polled (10!) and with its interrupt (5!), an
 * interrupt raised by the irq-raise register, a DMA of a fresh random pattern from RAM into the
 * device and back into a different buffer (compared), each DMA ending with an interrupt, and the
 * exact interrupt count. The last line before the plan is "# edu_test: interrupts=N".
 */
#include "dma_space.h"
#include "edu.h"
#include "guest_util.h"
#include "vfio_pci.h"
#include "../unit/tap.h"
#include "../../src/iommu/iommufd_mock.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <sys/ioctl.h>

/* Interrupts the run expects: irq-raise, factorial, DMA to the device, DMA back. */
#define EXPECTED_IRQS 4

struct opts {
	const struct dma_space_ops *backend;
	const char *dev;
	uint64_t iova;
	int bind;
	int remap;
	int map_bench;
	int map_bench_mock;
	const char *exit_file;  /* --exit-file: one 4-byte pread of it per map-bench cycle */
	int timeout_ms;
	long loop;          /* --loop N: -1 not asked, 0 forever */
	long fault_every;   /* --fault-every N: in the loop, every Nth round also a DMA to an unmapped IOVA */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: edu_test [--iommufd|--noiommu] [--device BDF|/dev/vfio/devices/vfioN] [--bind]\n"
		   "                [--iova ADDR] [--timeout-ms N] [--remap]\n"
		   "Drives QEMU's edu device through VFIO and prints TAP (see the source's header).\n"
		   "  --iommufd        VFIO cdev + iommufd IOAS mappings (default; needs an IOMMU)\n"
		   "  --noiommu        VFIO no-IOMMU group + physical addresses (vfio.enable_unsafe_noiommu_mode=1)\n"
		   "  --device DEV     PCI address (default: the first 1234:11e8) or, for --iommufd, a cdev\n"
		   "  --bind           bind the device to vfio-pci first\n"
		   "  --iova ADDR      --iommufd: first IOVA to map buffers at (default: 4 GiB if allowed)\n"
		   "  --timeout-ms N   wait at most N ms for each interrupt (default 10000)\n"
		   "  --remap          --iommufd: then unmap the destination IOVA, map another buffer there and\n"
		   "                   check the DMA follows; then DMA to it unmapped (the IOMMU reports a fault)\n"
		   "  --map-bench N    --iommufd: only N map+unmap cycles of 255 pages (tools/bench/viommu-inval)\n"
		   "  --map-bench-mock N  no device: the same cycles on an IOAS whose only domain is the kernel's\n"
		   "                   IOMMUFD_TEST mock (software, no hardware, no invalidation): the kernel's own\n"
		   "                   share of a cycle, to compare L1 with L2 (CONFIG_IOMMUFD_TEST)\n"
		   "  --exit-file PATH  map-bench loops also read 4 bytes at offset 0 of PATH each cycle; in a\n"
		   "                   guest, PCI config space (/sys/bus/pci/devices/BDF/config) costs one trap to\n"
		   "                   the VMM per read: the loop then shows what one exit costs\n"
		   "  --loop N         after the checks, N DMA round trips (0: forever), one line per round:\n"
		   "                   'edu-loop: round R bad B lost L irqs I' (tests/testhost/liveupdate.sh)\n"
		   "  --fault-every N  --iommufd, in the loop: every Nth round also a DMA to an IOVA nothing is\n"
		   "                   mapped at ('edu-loop: fault round R iova A'; the IOMMU reports a translation fault)\n");
}

/* Waits for one interrupt; returns how many arrived (0 on timeout). */
static int wait_irq(struct vfio_pci *vp, const struct opts *o)
{
	int n = vfio_pci_wait_irq(vp, o->timeout_ms);

	return n < 0 ? 0 : n;
}

static uint32_t xorshift32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_registers(struct vfio_pci *vp, uint32_t seed)
{
	uint16_t ids[2] = { 0, 0 };
	uint32_t v, i;

	vfio_pci_cfg_read(vp, PCI_VENDOR_ID, ids, sizeof(ids));
	CHECK(ids[0] == EDU_VENDOR && ids[1] == EDU_DEVICE, "config space: vendor:device %04x:%04x", ids[0], ids[1]);
	v = vfio_pci_read32(vp, EDU_ID);
	CHECK(v == EDU_ID_VALUE, "identification register: %#010x (want %#010x)", v, EDU_ID_VALUE);
	for (i = 0; i < 2; i++) {
		uint32_t w = i ? ~seed : seed;

		vfio_pci_write32(vp, EDU_LIVENESS, w);
		v = vfio_pci_read32(vp, EDU_LIVENESS);
		CHECK(v == ~w, "liveness: wrote %#010x, read back %#010x (want the inverse)", w, v);
	}
	/* Factorial by polling the status register (edu.rst: "computing" clears when done). */
	vfio_pci_write32(vp, EDU_FACT, 10);
	CHECK(vfio_pci_poll_clear(vp, EDU_STATUS, 0, EDU_STATUS_COMPUTING, 5000), "factorial unit finishes (polled)");
	v = vfio_pci_read32(vp, EDU_FACT);
	CHECK(v == 3628800, "10! = %u (want 3628800)", v);
}

static void test_irqs(struct vfio_pci *vp, const struct opts *o)
{
	const uint32_t raise = 0x00010000;  /* a cause bit neither the factorial nor DMA uses */
	uint32_t v;
	int n;

	vfio_pci_write32(vp, EDU_IRQ_RAISE, raise);
	n = wait_irq(vp, o);
	CHECK(n == 1, "irq-raise register: %d MSI(s) received (want 1)", n);
	v = vfio_pci_read32(vp, EDU_IRQ_STATUS);
	CHECK(v == raise, "irq status %#x after the raise (want %#x)", v, raise);
	vfio_pci_write32(vp, EDU_IRQ_ACK, raise);
	v = vfio_pci_read32(vp, EDU_IRQ_STATUS);
	CHECK(v == 0, "irq status %#x after the ack (want 0)", v);

	vfio_pci_write32(vp, EDU_STATUS, EDU_STATUS_IRQFACT);
	vfio_pci_write32(vp, EDU_FACT, 5);
	n = wait_irq(vp, o);
	CHECK(n == 1, "factorial-done: %d MSI(s) received (want 1)", n);
	v = vfio_pci_read32(vp, EDU_IRQ_STATUS);
	CHECK(v == EDU_IRQ_FACT, "irq status %#x after the factorial (want %#x)", v, EDU_IRQ_FACT);
	vfio_pci_write32(vp, EDU_IRQ_ACK, EDU_IRQ_FACT);
	vfio_pci_write32(vp, EDU_STATUS, 0);
	v = vfio_pci_read32(vp, EDU_FACT);
	CHECK(v == 120, "5! = %u (want 120)", v);
}

/* One DMA of len bytes; checks the interrupt and that the device finished. */
static void dma(struct vfio_pci *vp, const struct opts *o, const char *what, uint64_t src, uint64_t dst,
		uint64_t len, uint64_t dir)
{
	uint64_t cmd;
	uint32_t st;
	int n;

	vfio_pci_write64(vp, EDU_DMA_SRC, src);
	vfio_pci_write64(vp, EDU_DMA_DST, dst);
	vfio_pci_write64(vp, EDU_DMA_COUNT, len);
	vfio_pci_write64(vp, EDU_DMA_CMD, EDU_DMA_RUN | dir | EDU_DMA_IRQ);
	n = wait_irq(vp, o);
	CHECK(n == 1, "DMA %s: %d DMA-done MSI(s) received (want 1)", what, n);
	/* Without the interrupt, still wait for the device so the data check says what happened. */
	if (n == 0)
		vfio_pci_poll_clear(vp, EDU_DMA_CMD, 1, EDU_DMA_RUN, 2000);
	cmd = vfio_pci_read64(vp, EDU_DMA_CMD);
	st = vfio_pci_read32(vp, EDU_IRQ_STATUS);
	CHECK(!(cmd & EDU_DMA_RUN) && st == EDU_IRQ_DMA, "DMA %s: done (cmd %#llx, irq status %#x)", what,
	      (unsigned long long)cmd, st);
	vfio_pci_write32(vp, EDU_IRQ_ACK, EDU_IRQ_DMA);
}

static int ioas_unmap(struct dma_space *ds, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ds->ioas_id, .iova = iova, .length = len };

	return ioctl(ds->iommufd, IOMMU_IOAS_UNMAP, &u) ? -errno : 0;
}

/*
 * --remap: the IOVA of DST is unmapped and OTHER mapped there instead; a device -> RAM DMA must land
 * in OTHER and leave DST alone (with a vIOMMU: the guest's invalidation reached the IOMMU that
 * walks its tables). Then the IOVA is unmapped and a DMA to it must not reach memory (the IOMMU
 * reports a translation fault: the caller checks the kernel log).
 */
static void test_remap(struct vfio_pci *vp, struct dma_space *ds, const struct opts *o, const uint8_t *src,
		       uint8_t *other, uint8_t *dst, size_t len, uint64_t iova)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ds->ioas_id, .user_va = (uintptr_t)other, .length = len, .iova = iova,
	};
	size_t i, bad_other = 0, dst_touched = 0;
	int ret;

	memset(dst, 0, len);
	memset(other, 0, len);
	ret = ioas_unmap(ds, iova, len);
	if (!ret && ioctl(ds->iommufd, IOMMU_IOAS_MAP, &m))
		ret = -errno;
	CHECK(ret == 0, "remap: IOVA %#llx unmapped and mapped to another buffer (%s)", (unsigned long long)iova,
	      ret ? strerror(-ret) : "ok");
	if (ret)
		return;
	dma(vp, o, "device -> remapped RAM", EDU_DMA_BUF, iova, len, EDU_DMA_TO_RAM);
	for (i = 0; i < len; i++) {
		bad_other += other[i] != src[i];
		dst_touched += dst[i] != 0;
	}
	CHECK(bad_other == 0 && dst_touched == 0,
	      "remap: the DMA followed the new mapping (%zu bytes differ in the new buffer, %zu changed in the old)",
	      bad_other, dst_touched);

	ret = ioas_unmap(ds, iova, len);
	CHECK(ret == 0, "remap: IOVA %#llx unmapped again", (unsigned long long)iova);
	if (ret)
		return;
	memset(other, 0, len);
	printf("# edu_test: DMA to unmapped IOVA %#llx (expect an IOMMU translation fault)\n", (unsigned long long)iova);
	dma(vp, o, "device -> unmapped IOVA", EDU_DMA_BUF, iova, len, EDU_DMA_TO_RAM);
	for (i = 0, dst_touched = 0; i < len; i++)
		dst_touched += other[i] != 0 || dst[i] != 0;
	CHECK(dst_touched == 0, "remap: a DMA to the unmapped IOVA reached no buffer (%zu bytes changed)", dst_touched);
}

/* --map-bench: guest map/unmap rate; with a vIOMMU in strict mode each unmap is an invalidation burst. */
static void map_bench(struct dma_space *ds, int n, uint64_t iova, const char *exit_file)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), len = 255 * ps;
	uint64_t t0;
	int efd = -1;
	uint32_t word;
	uint8_t *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int i, ret = 0;

	if (buf == MAP_FAILED) {
		CHECK(0, "map-bench: mmap: %s", strerror(errno));
		return;
	}
	if (exit_file) {
		efd = open(exit_file, O_RDONLY | O_CLOEXEC);
		if (efd < 0 || pread(efd, &word, sizeof(word), 0) != (ssize_t)sizeof(word)) {
			CHECK(0, "map-bench: reading 4 bytes of %s: %s", exit_file, strerror(errno));
			if (efd >= 0)
				close(efd);
			munmap(buf, len);
			return;
		}
	}
	t0 = gu_now_ms();
	for (i = 0; i < n && !ret; i++) {
		struct iommu_ioas_map m = {
			.size = sizeof(m), .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			IOMMU_IOAS_MAP_WRITEABLE, .ioas_id = ds->ioas_id, .user_va = (uintptr_t)buf, .length = len, .iova = iova,
		};

		if (ioctl(ds->iommufd, IOMMU_IOAS_MAP, &m))
			ret = -errno;
		else
			ret = ioas_unmap(ds, iova, len);
		if (!ret && efd >= 0 && pread(efd, &word, sizeof(word), 0) != (ssize_t)sizeof(word))
			ret = -EIO;
	}
	CHECK(ret == 0, "map-bench: %d map+unmap cycles of %zu KiB", i, len >> 10);
	printf("# edu_test: map-bench: %d cycles in %llu ms%s\n", i, (unsigned long long)(gu_now_ms() - t0),
	       efd >= 0 ? " (one exit-file read each)" : "");
	if (efd >= 0)
		close(efd);
	munmap(buf, len);
}

static void test_dma(struct vfio_pci *vp, struct dma_space *ds, const struct opts *o, uint32_t seed)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), len = EDU_DMA_BUF_SIZE, i, bad;
	uint8_t *src, *dst;
	uint64_t src_iova = 0, dst_iova = 0;
	uint8_t *mem;
	int ret;

	if (ps < len)
		ps = len;
	/* Two separate pages (one each, so physically contiguous), locked: noiommu cannot pin. */
	mem = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		CHECK(0, "DMA buffers: mmap: %s", strerror(errno));
		return;
	}
	if (mlock(mem, 3 * ps) < 0) {
		CHECK(0, "DMA buffers: mlock: %s", strerror(errno));
		munmap(mem, 3 * ps);
		return;
	}
	src = mem;
	dst = mem + ps;
	for (i = 0; i < len; i++)
		src[i] = (uint8_t)xorshift32(&seed);
	memset(dst, 0, len);

	ret = ds->ops->map(ds, src, len, &src_iova);
	if (!ret)
		ret = ds->ops->map(ds, dst, len, &dst_iova);
	CHECK(ret == 0, "DMA buffers mapped (%s): RAM source at %#llx, RAM destination at %#llx",
	      ds->ops->name, (unsigned long long)src_iova, (unsigned long long)dst_iova);
	if (ret)
		goto out;
	dma(vp, o, "RAM -> device", src_iova, EDU_DMA_BUF, len, 0);
	dma(vp, o, "device -> RAM", EDU_DMA_BUF, dst_iova, len, EDU_DMA_TO_RAM);
	for (i = 0, bad = 0; i < len; i++)
		bad += src[i] != dst[i];
	for (i = 0; i < len && src[i] == dst[i]; i++)
		;
	CHECK(bad == 0, "DMA round trip: %zu bytes, %zu differ (first at %zd)", len, bad,
	      bad ? (ssize_t)i : (ssize_t)-1);
	if (o->remap && ds->ops == &dma_iommufd_ops)
		test_remap(vp, ds, o, src, mem + 2 * ps, dst, len, dst_iova);
out:
	/* The mappings go with the IOAS in ds->ops->close; unmapping the memory first is fine for
	 * iommufd (it holds its own page references) and for noiommu nothing refers to it. */
	munmap(mem, 3 * ps);
}

/* One DMA without test points: true when its interrupt came and the device finished. */
static int dma_quiet(struct vfio_pci *vp, const struct opts *o, uint64_t src, uint64_t dst, uint64_t len, uint64_t dir)
{
	int n;

	vfio_pci_write64(vp, EDU_DMA_SRC, src);
	vfio_pci_write64(vp, EDU_DMA_DST, dst);
	vfio_pci_write64(vp, EDU_DMA_COUNT, len);
	vfio_pci_write64(vp, EDU_DMA_CMD, EDU_DMA_RUN | dir | EDU_DMA_IRQ);
	n = wait_irq(vp, o);
	if (n == 0)
		vfio_pci_poll_clear(vp, EDU_DMA_CMD, 1, EDU_DMA_RUN, 2000);
	vfio_pci_write32(vp, EDU_IRQ_ACK, EDU_IRQ_DMA);
	return n >= 1 && !(vfio_pci_read64(vp, EDU_DMA_CMD) & EDU_DMA_RUN);
}

/*
 * --loop N: DMA round trips, N of them (0: forever), each a fresh pattern RAM -> device -> RAM,
 * each DMA ending with its MSI; one line per round
 *   edu-loop: round R bad B lost L irqs I
 * with B the rounds whose data came back different and L the DMAs whose interrupt did not come
 * within the timeout (both cumulative), I the MSIs received. A DMA is in flight nearly all the
 * time (each takes edu's 100 ms timer, the next starts at once): a VMM update in between meets one.
 */
static void dma_loop(struct vfio_pci *vp, struct dma_space *ds, const struct opts *o, uint32_t seed)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), len = EDU_DMA_BUF_SIZE, i;
	uint64_t src_iova = 0, dst_iova = 0, bad = 0, lost = 0;
	uint8_t *mem, *src, *dst;
	int ret;

	if (ps < len)
		ps = len;
	mem = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED || mlock(mem, 2 * ps) < 0) {
		CHECK(0, "loop: DMA buffers: %s", strerror(errno));
		return;
	}
	src = mem;
	dst = mem + ps;
	ret = ds->ops->map(ds, src, len, &src_iova);
	if (!ret)
		ret = ds->ops->map(ds, dst, len, &dst_iova);
	CHECK(ret == 0, "loop: DMA buffers mapped");
	if (ret)
		return;
	for (long round = 1; !o->loop || round <= o->loop; round++) {
		size_t diff = 0;

		for (i = 0; i < len; i++)
			src[i] = (uint8_t)xorshift32(&seed);
		memset(dst, 0, len);
		lost += !dma_quiet(vp, o, src_iova, EDU_DMA_BUF, len, 0);
		lost += !dma_quiet(vp, o, EDU_DMA_BUF, dst_iova, len, EDU_DMA_TO_RAM);
		for (i = 0; i < len; i++)
			diff += src[i] != dst[i];
		if (diff && !bad)
			printf("edu-loop: BAD round %ld: %zu of %zu bytes differ\n", round, diff, len);
		bad += diff != 0;
		if (o->fault_every && !(round % o->fault_every) && ds->next_iova) {
			/* The next IOVA map() would take: nothing is mapped there. The device's write is
			 * blocked and reported (F_TRANSLATION through the vIOMMU); edu still completes. */
			printf("edu-loop: fault round %ld iova %#llx\n", round, (unsigned long long)ds->next_iova);
			lost += !dma_quiet(vp, o, EDU_DMA_BUF, ds->next_iova, len, EDU_DMA_TO_RAM);
		}
		printf("edu-loop: round %ld bad %llu lost %llu irqs %llu\n", round, (unsigned long long)bad,
		       (unsigned long long)lost, (unsigned long long)vp->irqs);
	}
	CHECK(bad == 0 && lost == 0, "loop: %ld rounds, %llu bad, %llu interrupts lost", o->loop,
	      (unsigned long long)bad, (unsigned long long)lost);
}

/*
 * --map-bench-mock: the map+unmap loop on a fresh IOAS with one IOMMUFD_TEST mock device on it
 * (IOMMU_TEST_OP_MOCK_DOMAIN attaches it to a new paging HWPT of the kernel's mock IOMMU). iommufd
 * pins, maps and unmaps exactly as for a real domain, but the domain is software: no page-table
 * walker, no TLB, no invalidation, so nothing in a cycle leaves the kernel it runs in. Run in L1 and
 * in L2, the rates compare how fast each kernel does its own share of a cycle (tools/bench/
 * viommu-inval). The mock's aperture starts at 16 MiB (MOCK_APERTURE_START).
 */
static int map_bench_mock(int n, const char *exit_file)
{
	struct dma_space ds = { .iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC) };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd mock = { .size = sizeof(mock), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	int ret = 0;

	if (ds.iommufd < 0)
		ret = gu_errno("open /dev/iommu");
	else if (ioctl(ds.iommufd, IOMMU_IOAS_ALLOC, &alloc))
		ret = gu_errno("IOMMU_IOAS_ALLOC");
	mock.id = alloc.out_ioas_id;
	if (!ret && ioctl(ds.iommufd, IOMMU_TEST_CMD, &mock))
		ret = gu_errno("IOMMU_TEST_OP_MOCK_DOMAIN on IOAS %u (CONFIG_IOMMUFD_TEST?)", mock.id);
	CHECK(ret == 0, "IOAS %u with a mock domain (hwpt %u)", mock.id, mock.mock_domain.out_hwpt_id);
	if (!ret) {
		ds.ioas_id = alloc.out_ioas_id;
		map_bench(&ds, n, 1ull << 24, exit_file);
	}
	if (ds.iommufd >= 0)
		close(ds.iommufd);     /* frees the IOAS, the mock device and its HWPT */
	return tap_done();
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "iommufd", no_argument, NULL, 'I' }, { "noiommu", no_argument, NULL, 'N' },
		{ "device", required_argument, NULL, 'd' }, { "bind", no_argument, NULL, 'b' },
		{ "iova", required_argument, NULL, 'i' }, { "timeout-ms", required_argument, NULL, 't' },
		{ "remap", no_argument, NULL, 'r' }, { "map-bench", required_argument, NULL, 'm' },
		{ "map-bench-mock", required_argument, NULL, 'M' }, { "exit-file", required_argument, NULL, 'x' },
		{ "loop", required_argument, NULL, 'l' }, { "fault-every", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct opts o = { .backend = &dma_iommufd_ops, .timeout_ms = 10000, .loop = -1 };
	struct dma_space ds;
	struct vfio_pci vp = { .fd = -1, .irq_fd = -1 };
	char bdf[NAME_MAX + 1], *end;
	uint32_t seed;
	int c, ret, fd = -1;

	gu_prog = "edu_test";
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'I': o.backend = &dma_iommufd_ops; break;
		case 'N': o.backend = &dma_noiommu_ops; break;
		case 'd': o.dev = optarg; break;
		case 'b': o.bind = 1; break;
		case 'r': o.remap = 1; break;
		case 'f':
			errno = 0;
			o.fault_every = strtol(optarg, &end, 0);
			if (errno || *end || o.fault_every < 1) {
				fprintf(stderr, "edu_test: bad --fault-every '%s'\n", optarg);
				return 2;
			}
			break;
		case 'l':
			errno = 0;
			o.loop = strtol(optarg, &end, 0);
			if (errno || *end || o.loop < 0) {
				fprintf(stderr, "edu_test: bad --loop '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm':
			o.map_bench = atoi(optarg);
			if (o.map_bench <= 0) {
				fprintf(stderr, "edu_test: bad --map-bench '%s'\n", optarg);
				return 2;
			}
			break;
		case 'x': o.exit_file = optarg; break;
		case 'M':
			o.map_bench_mock = atoi(optarg);
			if (o.map_bench_mock <= 0) {
				fprintf(stderr, "edu_test: bad --map-bench-mock '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			errno = 0;
			o.iova = strtoull(optarg, &end, 0);
			if (errno || *end || o.iova == 0) {
				fprintf(stderr, "edu_test: bad --iova '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			o.timeout_ms = atoi(optarg);
			if (o.timeout_ms <= 0) {
				fprintf(stderr, "edu_test: bad --timeout-ms '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o.map_bench_mock)
		return map_bench_mock(o.map_bench_mock, o.exit_file);
	/* A fresh pattern each run: a stale device buffer from an earlier run cannot pass. */
	seed = (uint32_t)getpid() * 2654435761u ^ (uint32_t)gu_now_ms();
	if (seed == 0)
		seed = 1;

	if (!o.dev) {
		ret = gu_find_pci(EDU_VENDOR, EDU_DEVICE, 0, bdf, sizeof(bdf));
		CHECK(ret == 0, "found an edu device: %s", ret ? "none" : bdf);
		if (ret)
			return tap_done();
		o.dev = bdf;
	}
	printf("# edu_test: device %s, backend %s\n", o.dev, o.backend->name);
	if (o.bind) {
		ret = o.dev[0] == '/' ? -EINVAL : gu_bind_vfio(o.dev);
		CHECK(ret == 0, "%s bound to vfio-pci", o.dev);
		if (ret)
			return tap_done();
	}
	dma_space_init(&ds, o.backend, o.iova);
	ret = ds.ops->open_device(&ds, o.dev, &fd);
	if (!ret)
		ret = vfio_pci_open(&vp, fd, EDU_BAR0_SIZE);
	CHECK(ret == 0, "%s opened through the %s backend, BAR0 %s", o.dev, o.backend->name,
	      ret ? "-" : vp.bar0 ? "mmapped" : "through the region (not mmappable)");
	if (ret)
		goto out;

	if (o.map_bench) {
		if (ds.ops == &dma_iommufd_ops)
			map_bench(&ds, o.map_bench, 1ull << 32, o.exit_file);
		else
			CHECK(0, "--map-bench needs --iommufd");
		goto out;
	}
	/* A previous user may have left causes pending or the factorial interrupt enabled. */
	vfio_pci_write32(&vp, EDU_STATUS, 0);
	vfio_pci_write32(&vp, EDU_IRQ_ACK, ~0U);
	test_registers(&vp, seed);
	ret = vfio_pci_msi_enable(&vp);
	CHECK(ret == 0, "MSI enabled (vector 0 -> eventfd)");
	if (ret == 0) {
		test_irqs(&vp, &o);
		test_dma(&vp, &ds, &o, seed);
		/* Anything late or spurious shows here. */
		vfio_pci_wait_irq(&vp, 200);
		printf("# edu_test: interrupts=%llu\n", (unsigned long long)vp.irqs);
		/* --remap adds two DMAs (the faulting one still completes, with an interrupt). */
		CHECK(vp.irqs == EXPECTED_IRQS + (o.remap ? 2u : 0u), "%llu MSIs in total (want %u)",
		      (unsigned long long)vp.irqs, EXPECTED_IRQS + (o.remap ? 2u : 0u));
		if (o.loop >= 0)
			dma_loop(&vp, &ds, &o, seed ^ 0x5bd1e995u);
	}
out:
	vfio_pci_close(&vp);  /* also closes fd (vfio_pci_open did on its failure) */
	ds.ops->close(&ds);
	return tap_done();
}
