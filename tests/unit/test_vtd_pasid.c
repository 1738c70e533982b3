// SPDX-License-Identifier: GPL-2.0-only
/*
 * Requests with PASID of an assigned function behind the nested vVT-d (vtd_pasid.c, the nested core's
 * PASID attachments), over the fake iommufd (tests/fuzz/fake_iommufd.c, which enforces Linux 7.2's
 * iommufd_hwpt_pasid_compat): a host VT-d with ECAP.PASID gives the guest ECAP.PASID with at most
 * VTD_MAX_PASID_BITS, the function a PASID capability of that width, and every HWPT is allocated
 * PASID-capable; each PASID table entry the guest sets up becomes a host attachment of that PASID
 * (first stage: a nested HWPT of its own; pass-through: the nest parent; gone: detached), found
 * after PASID-cache invalidations by a bounded scan; the guest's PASID-based IOTLB invalidations
 * reach that HWPT; page requests with a PASID reach the page request queue with it; a live update
 * is refused while PASIDs are attached; teardown leaves nothing. No testhost VT-d can nest.
 */
#include <linux/vfio.h>

#include "iommu/iopf.h"
#include "liveupdate/state_format.h"
#include "tap.h"
#include "vtd_harness.h"

#define ROOT        (RAM_BASE + 0x100000)
#define SM_CTX      (RAM_BASE + 0x101000)
#define PASID_DIR   (RAM_BASE + 0x102000)
#define PASID_TBL   (RAM_BASE + 0x103000)      /* PASIDs 0-63 */
#define PASID_TBL1  (RAM_BASE + 0x104000)      /* PASIDs 64-127 */
#define PASID_TBL16 (RAM_BASE + 0x105000)      /* PASIDs 1024-1087: beyond the 10 bits offered */
#define PRQ         (RAM_BASE + 0x120000)
#define STATUS      (RAM_BASE + 0x130000)
#define FS0         (RAM_BASE + 0x200000)
#define FS5         (RAM_BASE + 0x300000)
#define PASID_ECAP  (HOST_ECAP | VTD_HOST_ECAP_PRS | VTD_HOST_ECAP_PASID | 19ull << 35)  /* PSS 19: 20 bits */

/* PASID P's table entry: PGTT (1 first stage, 4 pass-through; 0: not present), domain DID, FSPTPTR. */
static void set_pe(uint32_t p, unsigned int pgtt, uint16_t did, uint64_t fs)
{
	uint64_t tbl = p < 64 ? PASID_TBL : p < 128 ? PASID_TBL1 : PASID_TBL16;

	put(tbl + (p & 63) * 64, pgtt ? (uint64_t)pgtt << 6 | 1 : 0);
	put(tbl + (p & 63) * 64 + 8, did);
	put(tbl + (p & 63) * 64 + 16, fs);
}

static void pc_selective(uint16_t did, uint32_t p) { iq(7 | 1ull << 4 | (uint64_t)did << 16 | (uint64_t)p << 32, 0); }
static void pc_global(void) { iq(7 | 3ull << 4, 0); }

static unsigned int count(unsigned long req, uint32_t flags)
{
	unsigned int nr, n = 0;
	const struct fake_call *k = fake_iommufd_calls(&nr);

	for (unsigned int i = 0; i < nr; i++)
		n += k[i].req == req && !k[i].err && (k[i].flags & flags) == flags;
	return n;
}

/* The call that handed out ID. */
static const struct fake_call *made(uint32_t id)
{
	unsigned int nr;
	const struct fake_call *k = fake_iommufd_calls(&nr);

	for (unsigned int i = 0; i < nr; i++)
		if (k[i].req == IOMMU_HWPT_ALLOC && !k[i].err && k[i].out_id == id)
			return &k[i];
	return NULL;
}

static void test_no_pasid(void)
{
	int r = make_vm(HOST_ECAP | VTD_HOST_ECAP_PRS);

	CHECK(r == 0 && !(rd(VTD_ECAP, 8) & ECAP_PASID) && pci_host_viommu_pasid_bits(vm.pci, SID) == 0 &&
	      count(IOMMU_HWPT_ALLOC, IOMMU_HWPT_ALLOC_PASID) == 0,
	      "host without ECAP.PASID: none offered, no HWPT allocated PASID-capable");
	CHECK(destroy_vm() == 0, "... teardown destroys every object");
}

static void test_pasids(void)
{
	struct iommu_hwpt_pgfault pf = { .flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE | IOMMU_PGFAULT_FLAGS_PASID_VALID,
					 .dev_id = DEV_ID, .pasid = 5, .grpid = 9, .perm = IOMMU_PGFAULT_PERM_READ,
					 .addr = 0x7000, .cookie = 3 };
	struct lu_writer w;
	uint32_t h5, parent;
	const struct fake_call *k;
	unsigned int nr, n;
	int r = make_vm(PASID_ECAP);

	CHECK(r == 0 && (rd(VTD_ECAP, 8) & ECAP_PASID) && ((rd(VTD_ECAP, 8) >> 35) & 0x1f) == 9 &&
	      pci_host_viommu_pasid_bits(vm.pci, SID) == 10,
	      "host with 20 PASID bits: the guest's ECAP.PASID with PSS 9 (10 bits, VTD_MAX_PASID_BITS), the function 10");
	/* The probe's NEST_PARENT HWPT comes and goes first; the backend's is the last one. */
	k = fake_iommufd_calls(&nr);
	parent = 0;
	for (unsigned int i = 0; i < nr; i++)
		if (k[i].req == IOMMU_HWPT_ALLOC && !k[i].err && (k[i].flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
			parent = k[i].out_id;
	CHECK(parent && made(parent)->flags == (IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID) &&
	      count(IOMMU_HWPT_ALLOC, IOMMU_HWPT_ALLOC_PASID) == 2,
	      "nest parent and blocked HWPT allocated PASID-capable (iommufd_hwpt_pasid_compat)");
	if (r)
		goto out;
	/* Scalable mode; PASID 0 first stage (domain 5), PASID 5 first stage (domain 7). */
	put(ROOT, SM_CTX | 1);
	put(SM_CTX + (SID & 0x7f) * 32, PASID_DIR | 1);
	put(PASID_DIR, PASID_TBL | 1);
	set_pe(0, 1, 5, FS0);
	set_pe(5, 1, 7, FS5);
	enable(ROOT);       /* TE: the PASID table is scanned as the function's requests without PASID load */
	pc_selective(7, 5);
	h5 = fake_iommufd_pasid_attached(vfio, 5);
	CHECK(h5 && made(h5) && made(h5)->data_type == IOMMU_HWPT_DATA_VTD_S1 && made(h5)->s1.pgtbl_addr == FS5 &&
	      (made(h5)->flags & IOMMU_HWPT_ALLOC_PASID) && made(h5)->id == parent,
	      "PASID 5's first-stage entry (translation enabled, a PASID-cache invalidation): a PASID-capable nested "
	      "HWPT on the parent, attached with VFIO_DEVICE_ATTACH_PASID 5");
	fake_iommufd_clear_calls();
	iq(6 | 2ull << 4 | 7ull << 16 | 5ull << 32, 0);     /* PASID-based IOTLB, domain 7 PASID 5, whole PASID */
	iq(5 | 1ull << 5 | 1ull << 32, STATUS);             /* wait, status write: the batch goes out */
	k = fake_iommufd_calls(&nr);
	n = 0;
	for (unsigned int i = 0; i < nr; i++)
		n += k[i].req == IOMMU_HWPT_INVALIDATE && k[i].id == h5;
	CHECK(n == 1 && (get(STATUS) & 0xffffffff) == 1, "a PASID-based IOTLB invalidation of domain 7 reaches PASID 5's HWPT");
	set_pe(5, 4, 7, 0);
	pc_selective(7, 5);
	CHECK(fake_iommufd_pasid_attached(vfio, 5) == parent, "PASID 5 to pass-through: attached to the nest parent");
	set_pe(5, 0, 0, 0);
	fake_iommufd_clear_calls();
	pc_selective(7, 5);
	CHECK(!fake_iommufd_pasid_attached(vfio, 5) && count(VFIO_DEVICE_DETACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_PASID) == 1,
	      "PASID 5's entry cleared: VFIO_DEVICE_DETACH_IOMMUFD_PT of PASID 5");
	/* Found by the scan of a global invalidation: PASID 70 (directory entry 1); PASID 1024 lies
	 * beyond the 10 bits offered. */
	put(PASID_DIR + 8, PASID_TBL1 | 1);
	put(PASID_DIR + 16 * 8, PASID_TBL16 | 1);
	set_pe(70, 1, 8, FS5);
	set_pe(1024, 1, 8, FS5);
	pc_global();
	CHECK(fake_iommufd_pasid_attached(vfio, 70) && !fake_iommufd_pasid_attached(vfio, 1024),
	      "a global PASID-cache invalidation finds PASID 70; PASID 1024 (beyond PSS) is not attached");
	for (uint32_t p = 10; p < 20; p++)
		set_pe(p, 1, 9, FS5);
	pc_global();
	n = 0;
	for (uint32_t p = 1; p < 128; p++)
		n += fake_iommufd_pasid_attached(vfio, p) != 0;
	CHECK(n == VTD_STREAM_PASIDS, "ten more entries: %u PASIDs attached (VTD_STREAM_PASIDS), the rest blocked", n);
	/* Page requests with a PASID reach the queue with it. */
	wr(VTD_PQH, 0, 8);
	wr(VTD_PQT, 0, 8);
	wr(VTD_PQA, PRQ, 8);
	pf.pasid = 70;
	CHECK(write(fake_iommufd_fault_kernel(), &pf, sizeof(pf)) == sizeof(pf) && iopf_read(d->src.iopf) == 0 &&
	      rd(VTD_PQT, 8) == 0x20 && (get(PRQ) & 1ull << 8) && ((get(PRQ) >> 32) & 0xfffff) == 70,
	      "a page request with PASID 70: in the page request queue with PASID Present and the PASID");
	lu_writer_init(&w);
	CHECK(vtd_dev_state_save(d, &w) == -EBUSY, "a live update is refused while PASIDs are attached");
	lu_writer_free(&w);
	for (uint32_t p = 1; p < 128; p++)
		set_pe(p, 0, 0, 0);
	pc_global();
	n = 0;
	for (uint32_t p = 1; p < 128; p++)
		n += fake_iommufd_pasid_attached(vfio, p) != 0;
	lu_writer_init(&w);
	CHECK(n == 0 && vtd_dev_state_save(d, &w) == 0, "every entry cleared: all detached, the update's state saves");
	lu_writer_free(&w);
	set_pe(5, 1, 7, FS5);
	pc_selective(7, 5);
	CHECK(fake_iommufd_pasid_attached(vfio, 5) != 0, "PASID 5 again before teardown");
out:
	CHECK(destroy_vm() == 0, "teardown destroys every object (PASID HWPTs included)");
}

int main(void)
{
	if (harness_init()) {
		printf("Bail out! scaffolding\n");
		return 1;
	}
	test_no_pasid();
	test_pasids();
	harness_fini();
	return tap_done();
}
