// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VT-d register model's live-update section (iommu/vtd_state.h): a unit driven through its MMIO
 * page as Linux's intel-iommu would (root table latched, TE, the invalidation queue with descriptors
 * consumed, interrupt remapping, a fault recorded, the page request queue with a request in it),
 * saved, decoded and restored into a second unit over the same guest RAM, which then reads back
 * every register the same, translates the same way and records its next fault after the old one;
 * a fresh unit's round trip; every truncation; and the refusals of decode and restore, each for
 * its own reason. `test_vtd_state --corpus DIR` also writes the section as a fuzz_state_format seed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iommu/iopf.h"
#include "iommu/vtd_state.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "tap.h"
#include "vmm/guest_mem.h"

#define RAM_BASE    0x40000000ull
#define RAM_SIZE    (16ull << 20)
#define ROOT        (RAM_BASE + 0x100000)
#define CTX         (RAM_BASE + 0x101000)
#define IQ          (RAM_BASE + 0x110000)      /* 256 128-bit descriptors (QS 0) */
#define IRT         (RAM_BASE + 0x120000)
#define STATUS      (RAM_BASE + 0x130000)
#define PRQ         (RAM_BASE + 0x140000)      /* 128 256-bit page requests (PQS 0) */
#define SLPT        (RAM_BASE + 0x200000)
#define DATA        (RAM_BASE + 0x800000)
#define SID         0x0008
#define SID_ASSIGNED 0x0010
#define DEV_ID      5
#define DID         5

static const char *corpus;
static struct guest_mem gm;
static uint64_t pt_brk;

struct unit {
	struct vtd s;
	struct viommu *v;
};

static void nop_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	(void)addr;
	(void)data;
}

static const struct vtd_hooks hooks = { .msi = nop_msi };

static void acc(struct unit *u, uint64_t off, uint64_t *x, uint32_t len, bool w)
{
	uint8_t d[8];

	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(*x >> (8 * i));
	vtd_mmio(&u->s, off, d, len, w);
	if (!w)
		for (*x = 0; len--;)
			*x = *x << 8 | d[len];
}

static uint32_t rd32(struct unit *u, uint64_t off) { uint64_t x = 0; acc(u, off, &x, 4, false); return (uint32_t)x; }
static void wr32(struct unit *u, uint64_t off, uint32_t v) { uint64_t x = v; acc(u, off, &x, 4, true); }
static uint64_t rd64(struct unit *u, uint64_t off) { uint64_t x = 0; acc(u, off, &x, 8, false); return x; }
static void wr64(struct unit *u, uint64_t off, uint64_t v) { acc(u, off, &v, 8, true); }
static void put(uint64_t pa, uint64_t x) { memcpy(gmem_ptr(&gm, pa, 8), &x, 8); }
static uint64_t get(uint64_t pa) { uint64_t x; memcpy(&x, gmem_ptr(&gm, pa, 8), 8); return x; }

/* GCMD the way Linux writes it: the persistent status plus one change. */
static void gcmd(struct unit *u, uint32_t set)
{
	wr32(u, VTD_GCMD, (rd32(u, VTD_GSTS) & (GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI)) | set);
}

static int unit_init(struct unit *u, const struct vtd_features *f, struct iopf *src)
{
	memset(u, 0, sizeof(*u));
	u->v = viommu_soft_create(&gm);
	if (!u->v || vtd_init(&u->s, f, &gm, u->v, &hooks, NULL))
		return -1;
	if (src)
		vtd_set_iopf(&u->s, src);
	return 0;
}

static void unit_fini(struct unit *u)
{
	vtd_destroy(&u->s);
	viommu_destroy(u->v);
}

static uint64_t alloc_table(void)
{
	uint64_t t = pt_brk;

	pt_brk += 0x1000;
	memset(gmem_ptr(&gm, t, 0x1000), 0, 0x1000);
	return t;
}

/* A 4-level second-stage 4 KiB mapping, read/write (9.8). */
static void ss_map(uint64_t root, uint64_t iova, uint64_t pa)
{
	uint64_t table = root;

	for (int level = 4; level > 1; level--) {
		uint64_t slot = table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8, e = get(slot);

		if (!(e & 3)) {
			e = alloc_table() | 3;
			put(slot, e);
		}
		table = e & ~0xfffull;
	}
	put(table + ((iova >> 12) & 511) * 8, pa | 3);
}

/* A finished writer's only section, parsed. NULL when it does not parse. */
static const struct lu_section *only(struct lu_writer *w, struct lu_state *st)
{
	const struct lu_section_spec spec = { VTD_STATE_TYPE, 1, 1, false, true };

	if (lu_writer_finish(w) || lu_state_parse(st, w->buf, w->len, &spec, 1) || st->nr != 1)
		return NULL;
	return &st->sec[0];
}

static void seed(const struct lu_writer *w)
{
	char path[512];
	int fd;

	if (!corpus)
		return;
	snprintf(path, sizeof(path), "%s/seed-vtd", corpus);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, w->buf, w->len) != (ssize_t)w->len)
		CHECK(0, "seed %s written", path);
	if (fd >= 0)
		close(fd);
}

/* U saved, its section parsed and decoded into SV: 0, or -1 (SEC and the writer freed by the caller). */
static int save(struct unit *u, struct lu_writer *w, struct lu_state *st, const struct lu_section **sec,
		struct vtd_saved *sv, char *why, size_t n)
{
	lu_writer_init(w);
	*sec = NULL;
	why[0] = 0;
	if (vtd_state_save(&u->s, w))
		return -1;
	*sec = only(w, st);
	if (!*sec)
		return -1;
	return vtd_state_decode(*sec, sv, why, n);
}

/* How many register offsets of the page read differently in A and B (32- and 64-bit reads); SAY:
 * each one as a diagnostic. */
static unsigned int differing(struct unit *a, struct unit *b, bool say)
{
	unsigned int n = 0;

	for (uint64_t off = 0; off < VTD_MMIO_SIZE; off += 4) {
		if (rd32(a, off) != rd32(b, off)) {
			if (say)
					printf("# offset %#llx: %#x vs %#x\n", (unsigned long long)off, rd32(a, off), rd32(b, off));
			n++;
		}
		if (!(off & 7) && rd64(a, off) != rd64(b, off))
			n++;
	}
	return n;
}

/* The payloads of two saves are the same bytes. */
static bool same_payload(const struct lu_section *x, const struct lu_section *y)
{
	return x && y && x->len == y->len && !memcmp(x->data, y->data, x->len);
}

static void test_fresh(void)
{
	static struct unit c, d;
	static struct vtd_saved sv;
	struct lu_writer w, w2;
	struct lu_state st, st2;
	const struct lu_section *s, *s2;
	struct vtd_features f;
	char why[200] = "";

	vtd_default_features(&f);
	if (unit_init(&c, &f, NULL) || unit_init(&d, &f, NULL)) {
		CHECK(0, "fresh units");
		return;
	}
	CHECK(save(&c, &w, &st, &s, &sv, why, sizeof(why)) == 0, "a fresh unit saved and decoded (%s)", why);
	CHECK(sv.fectl == FECTL_IM && sv.iectl == FECTL_IM && sv.pectl == FECTL_IM && !sv.gsts && !sv.nr_streams,
	      "decoded: reset values (FECTL.IM, IECTL.IM, PECTL.IM), no streams");
	CHECK(vtd_state_restore(&d.s, &sv, why, sizeof(why)) == 0, "restored into another fresh unit (%s)", why);
	CHECK(differing(&c, &d, true) == 0, "every register reads the same");
	CHECK(save(&d, &w2, &st2, &s2, &sv, why, sizeof(why)) == 0 && same_payload(s, s2),
	      "saved again: the same bytes");
	lu_state_free(&st);
	lu_state_free(&st2);
	lu_writer_free(&w);
	lu_writer_free(&w2);
	unit_fini(&c);
	unit_fini(&d);
}

struct refusal {
	const char *what, *why;         /* WHY: a word the reason must contain */
};

static void test_driven(void)
{
	static struct unit a, b, n;
	static struct vtd_saved sv, bad;
	struct vtd_features f;
	struct viommu_xlate x;
	struct iopf *src = NULL;
	struct iommu_hwpt_pgfault pf;
	struct lu_writer w, w2;
	struct lu_state st, st2;
	const struct lu_section *s, *s2;
	uint64_t slpt;
	char why[200] = "";
	int sv_fd[2], kern;

	vtd_default_features(&f);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv_fd) ||
	    iopf_create_fd(-1, 3, sv_fd[0], NULL, 1000, &src) || unit_init(&a, &f, src)) {
		CHECK(0, "unit set-up");
		return;
	}
	kern = sv_fd[1];
	pt_brk = SLPT;
	vtd_add_stream(&a.s, SID);
	vtd_add_assigned(&a.s, SID_ASSIGNED);

	/* Translation: a root table latched, a legacy context entry for SID, TE on. */
	slpt = alloc_table();
	ss_map(slpt, 0x10000, DATA);
	put(ROOT, CTX | 1);
	put(CTX + (SID & 0xff) * 16, slpt | 1);
	put(CTX + (SID & 0xff) * 16 + 8, 2 | (uint64_t)DID << 8);
	wr64(&a, VTD_RTADDR, ROOT);
	gcmd(&a, GCMD_SRTP);
	gcmd(&a, GCMD_TE);
	/* The invalidation queue: context-cache global, IOTLB global, a wait with status write and IF. */
	wr64(&a, VTD_IQT, 0);
	wr64(&a, VTD_IQA, IQ);
	gcmd(&a, GCMD_QIE);
	put(IQ, 1 | 1 << 4);
	put(IQ + 8, 0);
	put(IQ + 16, 2 | 1 << 4);
	put(IQ + 24, 0);
	put(IQ + 32, 5 | 1 << 4 | 1 << 5 | 0x77ull << 32);
	put(IQ + 40, STATUS);
	wr32(&a, VTD_IEDATA, 0x41);
	wr32(&a, VTD_IEADDR, 0xfee02000);
	wr32(&a, VTD_IEUADDR, 0x3);
	wr64(&a, VTD_IQT, 0x30);
	CHECK(rd64(&a, VTD_IQH) == 0x30 && (uint32_t)get(STATUS) == 0x77 && (rd32(&a, VTD_ICS) & ICS_IWC) &&
	      rd32(&a, VTD_IECTL) == (FECTL_IM | FECTL_IP), "three descriptors consumed: IQH 0x30, the wait's status, ICS.IWC, IECTL.IP");
	/* Interrupt remapping: IRTA latched (x2APIC, 256 entries), IRE and CFI on. */
	wr64(&a, VTD_IRTA, IRT | IRTA_EIME | 7);
	gcmd(&a, GCMD_SIRTP);
	gcmd(&a, GCMD_IRE);
	gcmd(&a, GCMD_CFI);
	CHECK(rd32(&a, VTD_GSTS) == (GCMD_TE | GCMD_SRTP | GCMD_QIE | GCMD_SIRTP | GCMD_IRE | GCMD_CFI),
	      "GSTS: TES, RTPS, QIES, IRTPS, IRES, CFIS");
	/* A fault, its event masked: FRCD 0, FSTS.PPF, FRI 1, FECTL.IP. */
	wr32(&a, VTD_FEDATA, 0x31);
	wr32(&a, VTD_FEADDR, 0xfee01000);
	wr64(&a, VTD_IVA, 0x5000 | 1 << 6 | 2);
	CHECK(vtd_translate(&a.s, SID, 0x10010, true, &x) == 0 && x.pa == DATA + 0x10, "the old unit translates");
	CHECK(vtd_translate(&a.s, SID, 0x20000, false, &x) == -EFAULT, "... and faults an unmapped IOVA");
	CHECK(rd32(&a, VTD_FSTS) == (FSTS_PPF | FSTS_FRI(1)) && (rd64(&a, VTD_FRCD + 8) & FRCD_F) &&
	      rd32(&a, VTD_FECTL) == (FECTL_IM | FECTL_IP), "FRCD 0 recorded, PPF, FRI 1, FECTL.IP");
	/* The page request queue with one request in it, its event masked. */
	CHECK(iopf_add_device(src, DEV_ID, SID_ASSIGNED, &vtd_iopf_frontend, &a.s) == 0, "page request source");
	wr64(&a, VTD_PQH, 0);
	wr64(&a, VTD_PQT, 0);
	wr64(&a, VTD_PQA, PRQ);
	wr32(&a, VTD_PEDATA, 0x51);
	wr32(&a, VTD_PEADDR, 0xfee03000);
	pf = (struct iommu_hwpt_pgfault){ .flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE, .dev_id = DEV_ID, .grpid = 3,
					  .perm = IOMMU_PGFAULT_PERM_READ, .addr = 0x40000, .cookie = 9 };
	if (write(kern, &pf, sizeof(pf)) != sizeof(pf))
		printf("# write failed\n");
	iopf_read(src);
	CHECK(rd64(&a, VTD_PQT) == 0x20 && rd32(&a, VTD_PRS) == PRS_PPR && rd32(&a, VTD_PECTL) == (FECTL_IM | FECTL_IP),
	      "a page request: PQT 0x20, PRS.PPR, PECTL.IP");

	CHECK(save(&a, &w, &st, &s, &sv, why, sizeof(why)) == 0, "saved and decoded (%s)", why);
	seed(&w);
	CHECK(sv.nr_streams == 2 && sv.stream[0].sid == SID && !sv.stream[0].assigned &&
	      sv.stream[1].sid == SID_ASSIGNED && sv.stream[1].assigned && sv.nr_descs == 3 && sv.nr_faults == 1 &&
	      sv.nr_page_reqs == 1 && sv.rta == ROOT && sv.irta_active == (IRT | IRTA_EIME | 7),
	      "decoded: the streams, counters, latched tables");
	if (s) {
		size_t refused = 0;

		for (size_t cut = 0; cut < s->len; cut++) {
			struct lu_section t = *s;

			t.len = cut;
			refused += vtd_state_decode(&t, &bad, why, sizeof(why)) == -EINVAL;
		}
		CHECK(refused == s->len, "all %zu truncations refused (%zu)", s->len, refused);
	}

	/* The new process: a unit with the same features and source, its assigned device registered. */
	if (unit_init(&b, &f, src)) {
		CHECK(0, "the new unit");
		return;
	}
	vtd_add_assigned(&b.s, SID_ASSIGNED);
	{
		struct vtd_saved other = sv;

		other.feat.cm = true;
		why[0] = 0;
		CHECK(vtd_state_restore(&b.s, &other, why, sizeof(why)) == -EINVAL && strstr(why, "feature"),
		      "restore: other features refused (%s)", why);
		other = sv;
		other.stream[1].assigned = false;
		why[0] = 0;
		CHECK(vtd_state_restore(&b.s, &other, why, sizeof(why)) == -EINVAL && strstr(why, "assigned"),
		      "restore: an assigned device saved as not assigned refused (%s)", why);
	}
	why[0] = 0;
	if (unit_init(&n, &f, NULL) == 0) {
		CHECK(vtd_state_restore(&n.s, &sv, why, sizeof(why)) == -EINVAL && strstr(why, "ECAP"),
		      "restore: a unit without a page request source refused (%s)", why);
		unit_fini(&n);
	}
	CHECK(differing(&a, &b, false) != 0, "(the new unit differs before the restore)");
	why[0] = 0;
	CHECK(vtd_state_restore(&b.s, &sv, why, sizeof(why)) == 0, "restored (%s)", why);
	{
		/* Before any register access: what the IOAPIC's and the PCI functions' restores (after
		 * this one) program their MSI routes with is the restored interrupt remapping. */
		uint64_t addr = 0xfee00000ull | 1u << 5 | 1u << 4;     /* remappable, handle 1 */
		uint32_t data = 0;

		put(IRT + 16, 1 | 0x41ull << 16 | 3ull << 32);
		put(IRT + 24, 0);
		CHECK(vtd_ir_translate(&b.s, SID, &addr, &data, true) == 0 && addr == 0xfee03000 && data == 0x4041,
		      "the restored unit remaps an MSI at once (IRTE 1: APIC 3, vector 0x41)");
	}
	CHECK(differing(&a, &b, true) == 0, "every register reads the same through vtd_mmio");
	CHECK(b.s.nr_streams == 2 && b.s.streams[0].sid == SID_ASSIGNED && b.s.streams[0].assigned &&
	      b.s.streams[0].loaded && b.s.streams[1].sid == SID && !b.s.streams[1].assigned,
	      "the streams: the assigned one loaded at once, the saved one registered");
	CHECK(save(&b, &w2, &st2, &s2, &bad, why, sizeof(why)) == 0 && s2 && s && s2->len == s->len,
	      "the new unit saves the same length (%s)", why);
	CHECK(vtd_translate(&b.s, SID, 0x10020, false, &x) == 0 && x.pa == DATA + 0x20, "the new unit translates the same");
	CHECK(vtd_translate(&b.s, SID, 0x30000, true, &x) == -EFAULT && rd32(&b, VTD_FSTS) == (FSTS_PPF | FSTS_FRI(2)) &&
	      (rd64(&b, VTD_FRCD + 24) & FRCD_F) && b.s.nr_faults == 2, "its next fault goes to FRCD 1 (FRI 2)");
	put(IQ + 48, 5 | 1 << 5 | 0x78ull << 32);
	put(IQ + 56, STATUS);
	wr64(&b, VTD_IQT, 0x40);
	CHECK(rd64(&b, VTD_IQH) == 0x40 && (uint32_t)get(STATUS) == 0x78 && b.s.nr_descs == 4,
	      "its queue goes on from IQH 0x30");
	lu_state_free(&st2);
	lu_writer_free(&w2);
	lu_state_free(&st);
	lu_writer_free(&w);

	/* Decode refuses a state the register writes cannot leave, each for its own reason. */
	for (int i = 0; i < 14; i++) {
		static const struct refusal what[] = {
			{ "a reserved GSTS bit (FLS)", "GSTS" }, { "IRES without IRTPS", "IRES" },
			{ "a reserved RTADDR bit", "RTADDR" }, { "a reserved IQA bit", "IQA" },
			{ "a reserved IRTA bit", "IRTA" }, { "a reserved FECTL bit", "FECTL" },
			{ "IQT beyond the queue", "IQT" }, { "FRI 8", "FRI" }, { "a source id twice", "twice" },
			{ "a CAP the features do not give", "CAP" }, { "PPF without a record", "PPF" },
			{ "IECTL.IP without IWC", "IECTL.IP" }, { "CCMD.ICC", "ICC" }, { "IQH mid-queue, short of IQT", "IQH" },
		};
		static struct vtd keep;

		keep = a.s;    /* the fields put back below (not the lock) */

		switch (i) {
		case 0: a.s.gsts |= GCMD_SFL; break;
		case 1: a.s.gsts &= ~GCMD_SIRTP; a.s.irta_active = 0; break;
		case 2: a.s.rtaddr |= 0x100; break;
		case 3: a.s.iqa |= 0x8; break;
		case 4: a.s.irta |= 0x10; break;
		case 5: a.s.fectl |= 1; break;
		case 6: a.s.iqt = 0x1000; break;
		case 7: a.s.fri = VTD_NFR; break;
		case 8: a.s.streams[1].sid = a.s.streams[0].sid; break;
		case 9: a.s.cap ^= CAP_CM; break;
		case 10: a.s.frcd[0][1] &= ~FRCD_F; break;
		case 11: a.s.ics = 0; break;
		case 12: a.s.ccmd |= CCMD_ICC; break;
		case 13: a.s.iqh = 0x10; break;
		}
		if (save(&a, &w, &st, &s, &bad, why, sizeof(why)) == -EINVAL && s)
			CHECK(strstr(why, what[i].why) != NULL, "decode: %s refused (%s)", what[i].what, why);
		else
			CHECK(0, "decode: %s refused", what[i].what);
		lu_state_free(&st);
		lu_writer_free(&w);
		a.s.gsts = keep.gsts;
		a.s.irta_active = keep.irta_active;
		a.s.rtaddr = keep.rtaddr;
		a.s.iqa = keep.iqa;
		a.s.irta = keep.irta;
		a.s.fectl = keep.fectl;
		a.s.iqt = keep.iqt;
		a.s.iqh = keep.iqh;
		a.s.fri = keep.fri;
		a.s.streams[1].sid = keep.streams[1].sid;
		a.s.cap = keep.cap;
		a.s.frcd[0][1] = keep.frcd[0][1];
		a.s.ics = keep.ics;
		a.s.ccmd = keep.ccmd;
	}
	CHECK(save(&a, &w, &st, &s, &bad, why, sizeof(why)) == 0, "the old unit, put back, decodes again (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);

	/* A truncated section: refused, saying so. */
	lu_writer_init(&w);
	vtd_state_save(&a.s, &w);
	s = only(&w, &st);
	if (s) {
		struct lu_section t = *s;

		t.len -= 3;
		CHECK(vtd_state_decode(&t, &bad, why, sizeof(why)) == -EINVAL && why[0], "a truncated section refused (%s)", why);
	}
	lu_state_free(&st);
	lu_writer_free(&w);

	iopf_answer_all(src);
	vtd_set_iopf(&a.s, NULL);
	vtd_set_iopf(&b.s, NULL);
	iopf_destroy(src);
	close(kern);
	unit_fini(&a);
	unit_fini(&b);
}

/* States a guest can drive the unit into that look odd but must decode: refusing them would let a
 * guest make every update fail. */
static void test_reachable(void)
{
	static struct unit u;
	static struct vtd_saved sv;
	struct vtd_features f;
	struct lu_writer w;
	struct lu_state st;
	const struct lu_section *s;
	char why[200] = "";

	vtd_default_features(&f);
	if (unit_init(&u, &f, NULL)) {
		CHECK(0, "unit set-up");
		return;
	}
	gcmd(&u, GCMD_TE);
	memset(gmem_ptr(&gm, IQ, 0x50), 0, 0x50);
	wr64(&u, VTD_IQT, 0x50);
	wr64(&u, VTD_IQA, IQ);
	gcmd(&u, GCMD_QIE);
	CHECK(rd32(&u, VTD_GSTS) == (GCMD_TE | GCMD_QIE) && rd64(&u, VTD_IQH) == 0 && rd64(&u, VTD_IQT) == 0x50 &&
	      (rd32(&u, VTD_FSTS) & FSTS_IQE) && rd64(&u, VTD_IQERCD) == IQEI_TYPE,
	      "TE before any SRTP; QIE set with IQT left at 0x50: fetched at once, stopped at IQH 0 (IQE, IQEI 3)");
	CHECK(save(&u, &w, &st, &s, &sv, why, sizeof(why)) == 0, "... decodes (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
	/* What the model before the fetch on QIE left (IQH 0 short of IQT, no IQE): a version-1 state
	 * an older binary may hand over. */
	u.s.fsts &= ~FSTS_IQE;
	u.s.iqercd = 0;
	u.s.fectl &= ~FECTL_IP;
	CHECK(save(&u, &w, &st, &s, &sv, why, sizeof(why)) == 0,
	      "QIE on, IQH 0, IQT 0x50, no IQE (an older model's) decodes (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
	for (uint64_t i = 0; i < 0x50; i += 16)
		put(IQ + i, 5);     /* wait descriptors, no status write, no interrupt */
	wr64(&u, VTD_IQT, 0x50);
	CHECK(rd64(&u, VTD_IQH) == 0x50 && !(rd32(&u, VTD_FSTS) & FSTS_IQE), "the next IQT write fetches them");
	/* An older model's QIE clear with IQH left at 0x50: decoded with IQH 0, as 11.4.9.5 has it. */
	u.s.gsts &= ~GCMD_QIE;
	CHECK(save(&u, &w, &st, &s, &sv, why, sizeof(why)) == 0 && sv.iqh == 0 && sv.iqt == 0x50,
	      "QIE clear with IQH 0x50 (an older model's) decodes with IQH 0 (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
	u.s.gsts |= GCMD_QIE;
	wr64(&u, VTD_IQT, 0x1000);
	CHECK((rd32(&u, VTD_FSTS) & FSTS_IQE) && rd64(&u, VTD_IQERCD) == IQEI_TAIL && rd64(&u, VTD_IQT) == 0x1000,
	      "IQT beyond the queue: IQE, IQEI 1");
	CHECK(save(&u, &w, &st, &s, &sv, why, sizeof(why)) == 0, "... decodes (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
	unit_fini(&u);
}

/* A state of an earlier model with register bits its writes kept and this one's drop: decoded as
 * this model's writes would have left it, restored so, saved again the same. */
static void test_older_model(void)
{
	static struct unit u, v;
	static struct vtd_saved sv;
	struct vtd_features f;
	struct lu_writer w;
	struct lu_state st;
	const struct lu_section *s;
	char why[200] = "";

	vtd_default_features(&f);
	if (unit_init(&u, &f, NULL) || unit_init(&v, &f, NULL)) {
		CHECK(0, "unit set-up");
		return;
	}
	wr64(&u, VTD_CCMD, (uint64_t)DID);
	u.s.ccmd |= VTD_BITS(58, 34);
	/* Address bits above HAW (48). */
	wr64(&u, VTD_RTADDR, ROOT);
	gcmd(&u, GCMD_SRTP);
	wr64(&u, VTD_IQA, IQ);
	wr64(&u, VTD_IRTA, IRT | 7);
	gcmd(&u, GCMD_SIRTP);
	u.s.rtaddr |= VTD_BITS(63, 48);
	u.s.rta |= 1ull << 50;
	u.s.iqa |= 1ull << 63;
	u.s.irta |= 1ull << 48;
	u.s.irta_active |= 1ull << 52;
	CHECK(save(&u, &w, &st, &s, &sv, why, sizeof(why)) == 0 && sv.ccmd == DID, "CCMD 58:34 set: decoded without them (%s)",
	      why);
	CHECK(sv.rtaddr == ROOT && sv.rta == ROOT && sv.iqa == IQ && sv.irta == (IRT | 7) && sv.irta_active == (IRT | 7),
	      "RTADDR, IQA, IRTA and the latched tables with bits above HAW: decoded without them");
	CHECK(vtd_state_restore(&v.s, &sv, why, sizeof(why)) == 0 && rd64(&v, VTD_CCMD) == DID &&
	      rd64(&v, VTD_RTADDR) == ROOT && rd64(&v, VTD_IQA) == IQ && rd64(&v, VTD_IRTA) == (IRT | 7) && v.s.rta == ROOT &&
	      v.s.irta_active == (IRT | 7),
	      "restored: CCMD reads DID only, the addresses below HAW (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
	unit_fini(&u);
	unit_fini(&v);

	/* Without IR (so without EIM): IRTA and the events' upper addresses an older model kept. */
	f.ir = false;
	if (unit_init(&u, &f, NULL) || unit_init(&v, &f, NULL)) {
		CHECK(0, "unit set-up without IR");
		return;
	}
	u.s.irta = IRT | IRTA_EIME | 7;
	u.s.feuaddr = u.s.ieuaddr = 0x100;
	CHECK(save(&u, &w, &st, &s, &sv, why, sizeof(why)) == 0 && !sv.irta && !sv.feuaddr && !sv.ieuaddr,
	      "IR off, IRTA and FEUADDR/IEUADDR set: decoded as 0 (%s)", why);
	CHECK(vtd_state_restore(&v.s, &sv, why, sizeof(why)) == 0 && !rd64(&v, VTD_IRTA) && !rd32(&v, VTD_FEUADDR) &&
	      !rd32(&v, VTD_IEUADDR), "restored: IRTA, FEUADDR, IEUADDR read 0 (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
	unit_fini(&u);
	unit_fini(&v);
}

/* A unit whose page request source went (vtd_set_iopf NULL) after the guest programmed its queue:
 * no ECAP.PRS, so the registers hold their power-on values, and the unit saves and decodes. */
static void test_source_gone(void)
{
	static struct unit u;
	static struct vtd_saved sv;
	struct vtd_features f;
	struct iopf *src = NULL;
	struct lu_writer w;
	struct lu_state st;
	const struct lu_section *s;
	char why[200] = "";
	int sv_fd[2];

	vtd_default_features(&f);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv_fd) ||
	    iopf_create_fd(-1, 3, sv_fd[0], NULL, 1000, &src) || unit_init(&u, &f, src)) {
		CHECK(0, "unit set-up");
		return;
	}
	wr64(&u, VTD_PQT, 0x20);
	wr64(&u, VTD_PQA, PRQ);
	wr32(&u, VTD_PEDATA, 0x51);
	wr32(&u, VTD_PEADDR, 0xfee03000);
	wr32(&u, VTD_PECTL, 0);
	vtd_set_iopf(&u.s, NULL);
	CHECK(save(&u, &w, &st, &s, &sv, why, sizeof(why)) == 0 && !(sv.ecap & ECAP_PRS) && !sv.pqa && !sv.pqt &&
	      sv.pectl == FECTL_IM && !sv.pedata && !sv.peaddr,
	      "the source gone: saved and decoded, PRQ registers at reset (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
	iopf_destroy(src);
	close(sv_fd[1]);
	unit_fini(&u);
}

/* Device-TLBs (feat.dt): ECAP.DT carries them across (the feature set's encoding has no DT), so a
 * unit with DT round-trips, and a state with DT and one without go only to a unit alike. */
static void test_dt(void)
{
	static struct unit a, b, n;
	static struct vtd_saved sv;
	struct vtd_features f, nf;
	struct lu_writer w, w2;
	struct lu_state st, st2;
	const struct lu_section *s, *s2;
	char why[200] = "";

	vtd_default_features(&nf);
	f = nf;
	f.dt = true;
	if (unit_init(&a, &f, NULL) || unit_init(&b, &f, NULL) || unit_init(&n, &nf, NULL)) {
		CHECK(0, "unit set-up");
		return;
	}
	/* A device-TLB invalidation and a wait consumed. */
	wr64(&a, VTD_IQA, IQ);
	gcmd(&a, GCMD_QIE);
	put(IQ, 3 | (uint64_t)SID << 32);
	put(IQ + 8, 0x10000);
	put(IQ + 16, 5 | 1 << 5 | 0x79ull << 32);
	put(IQ + 24, STATUS);
	wr64(&a, VTD_IQT, 0x20);
	CHECK(rd64(&a, VTD_IQH) == 0x20 && (uint32_t)get(STATUS) == 0x79, "dt: a device-TLB descriptor consumed");
	CHECK(save(&a, &w, &st, &s, &sv, why, sizeof(why)) == 0 && sv.feat.dt && (sv.ecap & ECAP_DT),
	      "dt: saved and decoded with DT (%s)", why);
	why[0] = 0;
	CHECK(vtd_state_restore(&n.s, &sv, why, sizeof(why)) == -EINVAL && strstr(why, "DT 1"),
	      "dt: restore into a unit without DT refused (%s)", why);
	why[0] = 0;
	CHECK(vtd_state_restore(&b.s, &sv, why, sizeof(why)) == 0 && differing(&a, &b, true) == 0,
	      "dt: restored into a unit with DT, every register the same (%s)", why);
	CHECK(save(&b, &w2, &st2, &s2, &sv, why, sizeof(why)) == 0 && same_payload(s, s2), "dt: saved again the same");
	lu_state_free(&st);
	lu_state_free(&st2);
	lu_writer_free(&w);
	lu_writer_free(&w2);
	/* A state without DT (as every one before it): decoded DT 0, refused by a unit with DT. */
	CHECK(save(&n, &w, &st, &s, &sv, why, sizeof(why)) == 0 && !sv.feat.dt && !(sv.ecap & ECAP_DT),
	      "no DT: decoded without (%s)", why);
	why[0] = 0;
	CHECK(vtd_state_restore(&a.s, &sv, why, sizeof(why)) == -EINVAL && strstr(why, "DT 0"),
	      "no DT: restore into a unit with DT refused (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
	unit_fini(&a);
	unit_fini(&b);
	unit_fini(&n);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		corpus = argv[2];
	if (gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false)) {
		printf("Bail out! no guest RAM\n");
		return 1;
	}
	test_fresh();
	test_driven();
	test_reachable();
	test_older_model();
	test_source_gone();
	test_dt();
	gmem_destroy(&gm);
	return tap_done();
}
