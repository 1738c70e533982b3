// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nested VT-d backend (vtd_nested.c on the nested core, viommu_nested.c) against the recorded
 * ioctl sequence of the fake iommufd (tests/fuzz/fake_iommufd.c, which checks what the kernel's
 * drivers/iommu/intel/nested.c checks). The guest programs its unit the way Linux's intel-iommu does
 * in scalable mode: root, context, PASID directory and table entries in guest RAM, RTADDR + SRTP,
 * the invalidation queue with 256-bit descriptors, TE. No testhost VT-d can nest (QEMU's intel-iommu
 * has no ECAP.NEST up to 11.1), so these unit tests are this backend's proof (docs/viommu.md).
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../fuzz/fake_iommufd.h"
#include "iommu/viommu_nested.h"
#include "iommu/vtd.h"
#include "iommu/vtd_nested.h"
#include "tap.h"
#include "vmm/evloop.h"
#include "vmm/guest_mem.h"

#define RAM_BASE    0x40000000ull
#define RAM_SIZE    (8ull << 20)
#define ROOT        (RAM_BASE + 0x100000)
#define SM_CTX      (RAM_BASE + 0x101000)
#define PASID_DIR1  (RAM_BASE + 0x102000)
#define PASID_TBL1  (RAM_BASE + 0x103000)
#define PASID_DIR2  (RAM_BASE + 0x104000)
#define PASID_TBL2  (RAM_BASE + 0x105000)
#define IQ          (RAM_BASE + 0x110000)      /* 128 256-bit descriptors (QS 0, DW 1) */
#define STATUS      (RAM_BASE + 0x130000)
#define FS1         (RAM_BASE + 0x200000)      /* the guest's first-stage tables (never walked here) */
#define FS2         (RAM_BASE + 0x300000)

#define IOAS        2                          /* the fake treats ids below 16 as the caller's own */
#define SID1        0x0008                     /* 00:01.0 */
#define SID2        0x0010                     /* 00:02.0 */
#define DID1        5
#define DID2        9

/* Host VT-d: scalable mode, first and second stage, nesting, SRS; no 5-level first stage, MGAW 48. */
#define HOST_CAP    (VTD_HOST_CAP_FL1GP | (47ull << 16) | (0x4ull << 8))
#define HOST_ECAP   (VTD_HOST_ECAP_NEST | VTD_HOST_ECAP_SMTS | VTD_HOST_ECAP_SLTS | VTD_HOST_ECAP_FLTS | (1ull << 31))

/* 256-bit descriptors (6.5.2): the low two qwords; the upper half is 0 for these types. */
#define D_CC_GLOBAL     (1ull | 1ull << 4)
#define D_PC_GLOBAL     (7ull | 3ull << 4)
#define D_IOTLB(g, did) (2ull | (uint64_t)(g) << 4 | (uint64_t)(did) << 16)
#define D_PIOTLB(g, did, pasid) (6ull | (uint64_t)(g) << 4 | (uint64_t)(did) << 16 | (uint64_t)(pasid) << 32)
#define D_WAIT(data)    (5ull | 1ull << 5 | (uint64_t)(data) << 32)
#define IH              (1ull << 6)

static struct guest_mem gm;
static struct vtd s;
static struct viommu *n;
static int iommufd, vfio1, vfio2;
static struct evloop *loop;

static void h_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	(void)addr;
	(void)data;
}

static void mmio(uint64_t off, uint64_t x, uint32_t len, bool write, uint64_t *out)
{
	uint8_t d[8] = { 0 };

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(x >> (8 * i));
	vtd_mmio(&s, off, d, len, write);
	if (out) {
		*out = 0;
		for (int i = (int)len - 1; i >= 0; i--)
			*out = *out << 8 | d[i];
	}
}

static uint64_t rd(uint64_t off, uint32_t len)
{
	uint64_t x;

	mmio(off, 0, len, false, &x);
	return x;
}

static void wr(uint64_t off, uint64_t x, uint32_t len)
{
	mmio(off, x, len, true, NULL);
}

static void put(uint64_t pa, uint64_t x)
{
	memcpy(gmem_ptr(&gm, pa, 8), &x, 8);
}

static uint32_t get32(uint64_t pa)
{
	uint32_t x;

	memcpy(&x, gmem_ptr(&gm, pa, 4), 4);
	return x;
}

static void gcmd(uint32_t set)
{
	uint32_t st = (uint32_t)rd(VTD_GSTS, 4) & (GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI);

	wr(VTD_GCMD, st | set, 4);
}

/* Queues 256-bit descriptors (LO, HI pairs) at IQT and rings the doorbell. */
static void iq_push(const uint64_t (*d)[2], unsigned int nr)
{
	uint64_t t = rd(VTD_IQT, 8);

	for (unsigned int i = 0; i < nr; i++) {
		put(IQ + t, d[i][0]);
		put(IQ + t + 8, d[i][1]);
		put(IQ + t + 16, 0);
		put(IQ + t + 24, 0);
		t = (t + 32) % 0x1000;
	}
	wr(VTD_IQT, t, 8);
}

/* Scalable-mode context entry of SID -> PASID directory DIR -> PASID table TBL, entry 0 (RID_PASID). */
static void set_ctx(uint16_t sid, uint64_t dir, uint64_t tbl)
{
	put(ROOT + (sid >> 8) * 16, SM_CTX | 1);
	put(SM_CTX + (sid & 0x7f) * 32, dir | 1);
	put(SM_CTX + (sid & 0x7f) * 32 + 8, 0);
	put(dir, tbl | 1);
}

/* PASID entry (9.6): Q0 P, PGTT 8:6; Q1 DID; Q2 SRE 0, FSPM 3:2, WPE 4, EAFE 7, FSPTPTR 63:12. */
static void set_pe(uint64_t tbl, unsigned int pgtt, uint16_t did, uint64_t q2, bool present)
{
	put(tbl, (uint64_t)pgtt << 6 | (present ? 1 : 0));
	put(tbl + 8, did);
	put(tbl + 16, q2);
}

/* FR of the record written last. */
static unsigned int last_fr(void)
{
	unsigned int fri = (unsigned int)rd(VTD_FSTS, 4) >> 8 & 0xff;

	return (unsigned int)(rd(VTD_FRCD + 16 * ((fri + VTD_NFR - 1) % VTD_NFR) + 8, 8) >> 32) & 0xff;
}

static const struct fake_call *calls(unsigned int *nr)
{
	return fake_iommufd_calls(nr);
}

/* Is call I an attach of device fd FD to PT? */
static bool is_attach(const struct fake_call *c, unsigned int i, unsigned int nr, int fd, uint32_t pt)
{
	return i < nr && c[i].req == VFIO_DEVICE_ATTACH_IOMMUFD_PT && c[i].vfio_fd == fd && c[i].id == pt && !c[i].err;
}

static bool is_destroy(const struct fake_call *c, unsigned int i, unsigned int nr, uint32_t id)
{
	return i < nr && c[i].req == IOMMU_DESTROY && c[i].id == id && !c[i].err;
}

/* Is call I an IOMMU_HWPT_INVALIDATE on HWPT with entry 0 (ADDR, NPAGES, FLAGS) of NR_E entries? */
static bool is_inval(const struct fake_call *c, unsigned int i, unsigned int nr, uint32_t hwpt, uint32_t nr_e,
		     uint64_t addr, uint64_t npages, uint32_t flags)
{
	return i < nr && c[i].req == IOMMU_HWPT_INVALIDATE && c[i].id == hwpt &&
	       c[i].data_type == IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 && c[i].nr_entries == nr_e && c[i].e[0].addr == addr &&
	       c[i].e[0].npages == npages && c[i].e[0].flags == flags && !c[i].e[0].__reserved && !c[i].err;
}

static void test_host_check(void)
{
	struct fake_iommufd_cfg c = { .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .vtd_cap = HOST_CAP, .vtd_ecap = HOST_ECAP };
	const struct fake_call *k;
	uint64_t cap = 0, ecap = 0;
	unsigned int nr;
	char why[192];

	fake_iommufd_setup(iommufd, vfio1, &c);
	CHECK(vtd_nested_probe(iommufd, 10, IOAS, &cap, &ecap, why, sizeof(why)) == 0 && cap == HOST_CAP &&
	      ecap == HOST_ECAP, "probe: a host VT-d with ECAP.NEST that gives a NEST_PARENT HWPT can nest");
	k = calls(&nr);
	CHECK(nr == 3 && k[0].req == IOMMU_GET_HW_INFO && k[0].dev_id == 10 && k[1].req == IOMMU_HWPT_ALLOC &&
	      k[1].flags == IOMMU_HWPT_ALLOC_NEST_PARENT && k[1].id == IOAS && k[1].data_type == IOMMU_HWPT_DATA_NONE &&
	      is_destroy(k, 2, nr, k[1].out_id) && fake_iommufd_live() == 0,
	      "probe: IOMMU_GET_HW_INFO, HWPT_ALLOC NEST_PARENT on the IOAS, DESTROY it (nothing left)");
	fake_iommufd_teardown();

	c.vtd_ecap = HOST_ECAP & ~VTD_HOST_ECAP_NEST;
	fake_iommufd_setup(iommufd, vfio1, &c);
	CHECK(vtd_nested_probe(iommufd, 10, IOAS, &cap, &ecap, why, sizeof(why)) == -EOPNOTSUPP &&
	      strstr(why, "ECAP.NEST = 0") && (calls(&nr), nr == 1), "probe: no ECAP.NEST (QEMU's VT-d): refused, no HWPT tried");
	fake_iommufd_teardown();

	c = (struct fake_iommufd_cfg){ .hw_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3 };
	fake_iommufd_setup(iommufd, vfio1, &c);
	CHECK(vtd_nested_probe(iommufd, 10, IOAS, &cap, &ecap, why, sizeof(why)) == -EOPNOTSUPP && strstr(why, "not an Intel VT-d"),
	      "probe: a host IOMMU of another type: refused");
	fake_iommufd_teardown();

	c = (struct fake_iommufd_cfg){ .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .vtd_cap = HOST_CAP, .vtd_ecap = HOST_ECAP,
				       .fail = FAKE_FAIL_PARENT };
	fake_iommufd_setup(iommufd, vfio1, &c);
	CHECK(vtd_nested_probe(iommufd, 10, IOAS, &cap, &ecap, why, sizeof(why)) == -ENOMEM && strstr(why, "NEST_PARENT") &&
	      fake_iommufd_live() == 0, "probe: the kernel refuses the NEST_PARENT HWPT: refused");
	fake_iommufd_teardown();
}

static void test_features(void)
{
	struct vtd_features f;
	const char *why;

	vtd_default_features(&f);
	vtd_nested_features(&f, HOST_CAP, HOST_ECAP);
	CHECK(f.sm && f.fs && !f.ss && !f.cm && f.nested && f.fl1gp && !f.fl5lp && f.mgaw == 48 && f.sagaw == 0x4,
	      "features: first stage only, CM=0, FL1GP kept, no FL5LP, MGAW 48 and SAGAW 4-level as the host's");
	vtd_default_features(&f);
	vtd_nested_features(&f, VTD_HOST_CAP_FL5LP | (56ull << 16) | (0xcull << 8), HOST_ECAP);
	CHECK(!f.fl1gp && f.fl5lp && f.mgaw == 57 && f.sagaw == 0xc, "features: a host with FL5LP, MGAW 57, no FL1GP");
	CHECK(vtd_nested_host_check(HOST_CAP, HOST_ECAP, &why) == 0, "host check: NEST, SMTS, FLTS, SLTS");
	CHECK(vtd_nested_host_check(HOST_CAP, HOST_ECAP & ~VTD_HOST_ECAP_FLTS, &why) == -EOPNOTSUPP,
	      "host check: no first stage on the host: cannot nest");
}

/* The unit on the nested backend with device 10 (vfio1) as SID1; the guest enables scalable mode. */
static void setup(uint64_t cap, uint64_t ecap)
{
	static const struct vtd_hooks hooks = { .msi = h_msi };
	struct fake_iommufd_cfg c = { .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .vtd_cap = cap, .vtd_ecap = ecap };
	struct vtd_features f;

	memset(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), 0, RAM_SIZE);
	fake_iommufd_setup(iommufd, vfio1, &c);
	fake_iommufd_add_vfio(vfio2);
	n = viommu_nested_create(&vtd_nested_format, viommu_soft_create(&gm), iommufd, loop, NULL);
	vtd_default_features(&f);
	vtd_nested_features(&f, cap, ecap);
	if (!n || vtd_init(&s, &f, &gm, n, &hooks, NULL))
		return;
	n->frontend = &s;
}

static void teardown(const char *what)
{
	viommu_nested_release(n);
	CHECK(fake_iommufd_teardown() == 0, "%s: teardown destroys every object", what);
	vtd_destroy(&s);
	viommu_destroy(n);
}

static void enable(void)
{
	static const uint64_t d[][2] = { { D_CC_GLOBAL, 0 }, { D_PC_GLOBAL, 0 }, { D_IOTLB(1, 0), 0 }, { D_WAIT(1), STATUS } };

	wr(VTD_RTADDR, ROOT | 1u << 10, 8);         /* TTM 01b: scalable mode */
	wr(VTD_GCMD, GCMD_SRTP, 4);
	wr(VTD_IQA, IQ | IQA_DW, 8);
	gcmd(GCMD_QIE);
	iq_push(d, 4);
	gcmd(GCMD_TE);
}

static void test_lifecycle(void)
{
	const struct fake_call *k;
	uint32_t parent, blocked, blocked_ioas, h1, h2;
	unsigned int nr, i;

	setup(HOST_CAP, HOST_ECAP);
	CHECK((rd(VTD_ECAP, 8) & (ECAP_FLTS | ECAP_SLTS | ECAP_SMTS)) == (ECAP_FLTS | ECAP_SMTS) &&
	      !(rd(VTD_CAP, 8) & (CAP_CM | CAP_FL5LP)) && (rd(VTD_CAP, 8) & CAP_FL1GP) &&
	      ((rd(VTD_CAP, 8) >> 16 & 0x3f) + 1) == 48,
	      "guest CAP/ECAP: SMTS + FLTS, no SLTS, CM=0, FL1GP, no FL5LP, MGAW 48 (the host's)");

	/* The first device: nest parent, blocked IOAS + HWPT, the device blocked. No vIOMMU, no vDEVICE. */
	CHECK(viommu_nested_add_device(n, vfio1, 10, IOAS, SID1) == 0 && vtd_add_assigned(&s, SID1) == 0, "device added");
	k = calls(&nr);
	parent = k[0].out_id;
	blocked_ioas = nr > 2 ? k[2].out_id : 0;
	blocked = nr > 3 ? k[3].out_id : 0;
	CHECK(nr == 6 && k[0].req == IOMMU_HWPT_ALLOC && k[0].flags == IOMMU_HWPT_ALLOC_NEST_PARENT && k[0].id == IOAS &&
	      k[0].dev_id == 10 && is_attach(k, 1, nr, vfio1, parent) && k[2].req == IOMMU_IOAS_ALLOC &&
	      k[3].req == IOMMU_HWPT_ALLOC && k[3].id == blocked_ioas && !k[3].flags &&
	      k[3].data_type == IOMMU_HWPT_DATA_NONE && is_attach(k, 4, nr, vfio1, blocked) &&
	      is_attach(k, 5, nr, vfio1, parent),
	      "add: HWPT_ALLOC NEST_PARENT on the IOAS, attach, IOAS_ALLOC, HWPT_ALLOC on it (blocked), attach; "
	      "then TE=0 (3.4: requests untranslated): attach to the nest parent");

	/* Scalable mode, PASID entry PGTT 001b with SRE, WPE, 4-level: a VTD_S1 HWPT over the parent. */
	set_ctx(SID1, PASID_DIR1, PASID_TBL1);
	set_pe(PASID_TBL1, 1, DID1, FS1 | 1 | 1u << 4, true);
	fake_iommufd_clear_calls();
	enable();
	k = calls(&nr);
	for (i = 0; i < nr && k[i].req != IOMMU_HWPT_ALLOC; i++)
		;
	h1 = i < nr ? k[i].out_id : 0;
	CHECK(i < nr && k[i].data_type == IOMMU_HWPT_DATA_VTD_S1 && k[i].id == parent && k[i].dev_id == 10 && !k[i].flags &&
	      k[i].s1.pgtbl_addr == FS1 && k[i].s1.addr_width == 48 &&
	      k[i].s1.flags == (IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_WPE) && !k[i].s1.__reserved && h1,
	      "PGTT first stage: HWPT_ALLOC VTD_S1 on the nest parent {FSPTPTR, 48, SRE|WPE}");
	CHECK(is_attach(k, i + 1, nr, vfio1, h1) && fake_iommufd_attached_of(vfio1) == h1, "... and the device attached to it");
	CHECK(get32(STATUS) == 1, "the guest's wait descriptor completed");
	{
		unsigned int allocs = 0;

		for (unsigned int j = 0; j < nr; j++)
			allocs += k[j].req == IOMMU_HWPT_ALLOC;
		CHECK(allocs == 1, "SRTP, context-cache, PASID-cache and TE reloads of an unchanged entry: one HWPT");
	}

	/* Linux's unmap: PASID-based IOTLB page-selective (AM 2, IH) and PASID-selective, then a wait. */
	{
		uint64_t d[][2] = { { D_PIOTLB(3, DID1, 0), 0x40000 | IH | 2 }, { D_PIOTLB(2, DID1, 0), 0 },
				    { D_WAIT(2), STATUS } };

		fake_iommufd_clear_calls();
		iq_push(d, 3);
		k = calls(&nr);
		CHECK(nr == 1 && is_inval(k, 0, nr, h1, 2, 0x40000, 4, IOMMU_VTD_INV_FLAGS_LEAF) && k[0].e[1].addr == 0 &&
		      k[0].e[1].npages == UINT64_MAX && k[0].e[1].flags == 0,
		      "PIOTLB page (AM 2, IH) + PASID-selective + wait: ONE IOMMU_HWPT_INVALIDATE of 2 entries "
		      "{0x40000, 4, LEAF}, {0, U64_MAX, 0}");
		CHECK(get32(STATUS) == 2, "... completed before the wait's status write");
	}
	/* Another domain's invalidations and another PASID's concern no nested HWPT. */
	{
		uint64_t d[][2] = { { D_IOTLB(2, DID2), 0 }, { D_PIOTLB(2, DID1, 7), 0 }, { D_WAIT(3), STATUS } };

		fake_iommufd_clear_calls();
		iq_push(d, 3);
		calls(&nr);
		CHECK(nr == 0 && get32(STATUS) == 3, "IOTLB of domain %d, PIOTLB of PASID 7: no ioctl", DID2);
	}

	/* A second device in its own domain: domain-selective reaches only its own HWPT, global both. */
	CHECK(viommu_nested_add_device(n, vfio2, 11, IOAS, SID2) == 0 && vtd_add_assigned(&s, SID2) == 0, "second device added");
	set_ctx(SID2, PASID_DIR2, PASID_TBL2);
	set_pe(PASID_TBL2, 1, DID2, FS2, true);
	{
		uint64_t d[][2] = { { D_PC_GLOBAL, 0 }, { D_WAIT(4), STATUS } };

		fake_iommufd_clear_calls();
		iq_push(d, 2);
		k = calls(&nr);
		for (i = 0; i < nr && k[i].req != IOMMU_HWPT_ALLOC; i++)
			;
		h2 = i < nr ? k[i].out_id : 0;
		CHECK(i < nr && k[i].dev_id == 11 && k[i].s1.pgtbl_addr == FS2 && k[i].s1.flags == 0 &&
		      is_attach(k, i + 1, nr, vfio2, h2), "second device: its own VTD_S1 HWPT {FS2, 48, 0}");
	}
	{
		uint64_t d[][2] = { { D_IOTLB(3, DID2), 0x80000 | 0 }, { D_IOTLB(1, 0), 0 }, { D_WAIT(5), STATUS } };

		fake_iommufd_clear_calls();
		iq_push(d, 3);
		k = calls(&nr);
		CHECK(nr == 2 && is_inval(k, 0, nr, h1, 1, 0, UINT64_MAX, 0) && is_inval(k, 1, nr, h2, 2, 0x80000, 1, 0) &&
		      k[1].e[1].npages == UINT64_MAX,
		      "IOTLB page of domain %d + global: device 1's HWPT gets the global one, device 2's both", DID2);
	}

	/* Pass-through: the parent; the nested HWPT goes after the attach. */
	set_pe(PASID_TBL1, 4, DID1, 0, true);
	{
		uint64_t d[][2] = { { D_PC_GLOBAL, 0 }, { D_WAIT(6), STATUS } };

		fake_iommufd_clear_calls();
		iq_push(d, 2);
		k = calls(&nr);
		CHECK(nr == 2 && is_attach(k, 0, nr, vfio1, parent) && is_destroy(k, 1, nr, h1),
		      "PGTT pass-through: attach to the nest parent, DESTROY the old nested HWPT");
	}
	/* Not present: blocked. */
	set_pe(PASID_TBL1, 1, DID1, FS1, false);
	{
		uint64_t d[][2] = { { D_PC_GLOBAL, 0 }, { D_IOTLB(1, 0), 0 }, { D_WAIT(7), STATUS } };

		fake_iommufd_clear_calls();
		iq_push(d, 3);
		k = calls(&nr);
		CHECK(nr == 2 && is_attach(k, 0, nr, vfio1, blocked) && is_inval(k, 1, nr, h2, 1, 0, UINT64_MAX, 0),
		      "PASID entry not present: attach to the blocked HWPT; a global IOTLB then reaches device 2 only");
	}
	/* Hot-removed device 2: its nested HWPT goes. */
	fake_iommufd_clear_calls();
	viommu_nested_remove_device(n, SID2);
	k = calls(&nr);
	CHECK(nr == 1 && is_destroy(k, 0, nr, h2), "device 2 removed: DESTROY its nested HWPT");
	fake_iommufd_clear_calls();
	viommu_nested_release(n);
	k = calls(&nr);
	CHECK(nr == 3 && is_destroy(k, 0, nr, blocked) && is_destroy(k, 1, nr, blocked_ioas) && is_destroy(k, 2, nr, parent),
	      "release: DESTROY blocked HWPT, blocked IOAS, nest parent");
	teardown("lifecycle");
}

/* The host refuses: the device is blocked (never left on a stale HWPT) and the guest gets a fault or IQE. */
static void test_refusals(void)
{
	const struct fake_call *k;
	uint32_t blocked, h1;
	unsigned int nr, i;

	/* A host without SRS: the SRE entry's HWPT is allocated but its attach refused (pasid setup). */
	setup(HOST_CAP, HOST_ECAP & ~(1ull << 31));
	viommu_nested_add_device(n, vfio1, 10, IOAS, SID1);
	vtd_add_assigned(&s, SID1);
	k = calls(&nr);
	blocked = k[3].out_id;
	set_ctx(SID1, PASID_DIR1, PASID_TBL1);
	set_pe(PASID_TBL1, 1, DID1, FS1 | 1, true);
	wr(VTD_FECTL, 0, 4);
	fake_iommufd_clear_calls();
	enable();
	k = calls(&nr);
	for (i = 0; i < nr && !(k[i].req == VFIO_DEVICE_ATTACH_IOMMUFD_PT && k[i].err); i++)
		;
	CHECK(i > 0 && i + 2 < nr && k[i - 1].req == IOMMU_HWPT_ALLOC && k[i - 1].data_type == IOMMU_HWPT_DATA_VTD_S1 &&
	      k[i].id == k[i - 1].out_id && k[i].err == EINVAL && is_destroy(k, i + 1, nr, k[i - 1].out_id),
	      "SRE on a host without SRS: HWPT_ALLOC, attach refused, the new HWPT destroyed");
	CHECK(fake_iommufd_attached_of(vfio1) == blocked, "... the device stays blocked");
	CHECK((rd(VTD_FSTS, 4) & FSTS_PPF) && last_fr() == VTD_FR_SM_PASID_INVALID,
	      "... and the guest sees a primary fault SPT.4 (0x5b: invalid PASID entry)");
	teardown("SRE refused");

	/* A refused HWPT_ALLOC on a device with a working HWPT: blocked, fault recorded. */
	setup(HOST_CAP, HOST_ECAP);
	viommu_nested_add_device(n, vfio1, 10, IOAS, SID1);
	vtd_add_assigned(&s, SID1);
	k = calls(&nr);
	blocked = k[3].out_id;
	set_ctx(SID1, PASID_DIR1, PASID_TBL1);
	set_pe(PASID_TBL1, 1, DID1, FS1, true);
	enable();
	h1 = fake_iommufd_attached_of(vfio1);
	CHECK(h1 && h1 != blocked, "a first-stage HWPT");
	fake_iommufd_set_fail(FAKE_FAIL_VSTE);
	set_pe(PASID_TBL1, 1, DID1, FS2, true);
	{
		uint64_t d[][2] = { { D_PC_GLOBAL, 0 }, { D_WAIT(8), STATUS } };

		fake_iommufd_clear_calls();
		iq_push(d, 2);
		k = calls(&nr);
		CHECK(nr == 3 && k[0].req == IOMMU_HWPT_ALLOC && k[0].err == EINVAL && k[0].s1.pgtbl_addr == FS2 &&
		      is_attach(k, 1, nr, vfio1, blocked) && is_destroy(k, 2, nr, h1),
		      "HWPT_ALLOC refused: the device goes to the blocked HWPT, the old one is destroyed");
		CHECK(last_fr() == VTD_FR_SM_PASID_INVALID && get32(STATUS) == 8, "... fault 0x5b recorded, the queue goes on");
	}
	fake_iommufd_set_fail(0);

	/* Invalidations the host refuses (it takes one entry per call here): IQE at the descriptor. */
	{
		uint64_t d[][2] = { { D_PC_GLOBAL, 0 }, { D_WAIT(9), STATUS } };
		uint64_t e[][2] = { { D_PIOTLB(3, DID1, 0), 0x1000 }, { D_PIOTLB(3, DID1, 0), 0x2000 }, { D_WAIT(10), STATUS } };
		uint64_t head;

		iq_push(d, 2);      /* FS2 accepted now */
		h1 = fake_iommufd_attached_of(vfio1);
		CHECK(h1 != blocked && get32(STATUS) == 9, "the entry accepted again: a nested HWPT");
		head = rd(VTD_IQH, 8);
		fake_iommufd_clear_calls();
		fake_iommufd_set_inval_accept(1);
		iq_push(e, 3);
		k = calls(&nr);
		CHECK(nr == 1 && k[0].req == IOMMU_HWPT_INVALIDATE && k[0].nr_entries == 2 && k[0].err == EINVAL,
		      "two page invalidations in one batch, the host takes the first only");
		CHECK((rd(VTD_FSTS, 4) & FSTS_IQE) && rd(VTD_IQH, 8) == head + 32 && get32(STATUS) == 9 &&
		      (rd(VTD_IQERCD, 8) & 0xf) == 0,
		      "... IQE, IQH at the refused descriptor, the wait descriptor not completed");
		fake_iommufd_set_inval_accept(0);
		wr(VTD_FSTS, FSTS_IQE, 4);
		wr(VTD_IQT, rd(VTD_IQT, 8), 8);
		CHECK(!(rd(VTD_FSTS, 4) & FSTS_IQE) && get32(STATUS) == 10, "IQE cleared: the queue resumes, the wait completes");
	}
	teardown("refusals");

	/* Legacy mode: a second-stage context entry cannot nest: blocked, context-entry fault. */
	setup(HOST_CAP, HOST_ECAP);
	viommu_nested_add_device(n, vfio1, 10, IOAS, SID1);
	vtd_add_assigned(&s, SID1);
	k = calls(&nr);
	blocked = k[3].out_id;
	put(ROOT, SM_CTX | 1);
	put(SM_CTX + (SID1 & 0xff) * 16, FS1 | 1);             /* TT 00b: second stage at FS1 */
	put(SM_CTX + (SID1 & 0xff) * 16 + 8, 2 | (uint64_t)DID1 << 8);
	wr(VTD_RTADDR, ROOT, 8);
	wr(VTD_GCMD, GCMD_SRTP, 4);
	fake_iommufd_clear_calls();
	gcmd(GCMD_TE);
	k = calls(&nr);
	CHECK(fake_iommufd_attached_of(vfio1) == blocked && last_fr() == VTD_FR_CTX_INVALID,
	      "legacy mode (second stage) on the nested backend: blocked, fault 0x03 (invalid context entry)");
	for (i = 0; i < nr; i++)
		if (k[i].req == IOMMU_HWPT_ALLOC)
			break;
	CHECK(i == nr, "... no HWPT allocated for it");
	teardown("legacy");
}

int main(void)
{
	iommufd = eventfd(0, EFD_CLOEXEC);
	vfio1 = eventfd(0, EFD_CLOEXEC);
	vfio2 = eventfd(0, EFD_CLOEXEC);
	if (iommufd < 0 || vfio1 < 0 || vfio2 < 0 || evloop_init(&loop, 16) || gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false)) {
		printf("Bail out! scaffolding\n");
		return 1;
	}
	test_host_check();
	test_features();
	test_lifecycle();
	test_refusals();
	gmem_destroy(&gm);
	evloop_destroy(loop);
	close(iommufd);
	close(vfio1);
	close(vfio2);
	return tap_done();
}
