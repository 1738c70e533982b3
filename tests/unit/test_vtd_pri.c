// SPDX-License-Identifier: GPL-2.0-only
/*
 * Page requests of an assigned function behind the nested vVT-d (vtd_dev.c nested_iopf, vtd_ctx.c
 * PRE, devices/vfio_pci_ecap.c's set_iopf), over the fake iommufd (tests/fuzz/fake_iommufd.c) whose
 * FAULT fd is a SOCK_SEQPACKET pair: a host VT-d with ECAP.PRS gives the unit a page request queue
 * (ECAP.PRS, PDS) and device-TLBs (ECAP.DT) and the PCI host offers the function's PRI; the guest's
 * PRI Enable plus its scalable-mode context entry's PRE put the function on a HWPT allocated with
 * the FAULT object; a page request group the kernel queues there reaches the guest's page request
 * queue as the function's, the guest's page group response reaches the kernel with the cookie;
 * PRI off or PRE clear takes the function off it; a host without PRS offers none of it; teardown
 * answers and destroys in the order iommufd allows. No testhost device has PRI (docs/iopf.md).
 */
#include "iommu/iopf.h"
#include "liveupdate/state_format.h"
#include "tap.h"
#include "vtd_harness.h"

#define ROOT        (RAM_BASE + 0x100000)
#define SM_CTX      (RAM_BASE + 0x101000)
#define PASID_DIR   (RAM_BASE + 0x102000)
#define PASID_TBL   (RAM_BASE + 0x103000)
#define PRQ         (RAM_BASE + 0x120000)      /* 128 256-bit page request descriptors (PQS 0) */
#define FS          (RAM_BASE + 0x200000)      /* the guest's first-stage tables (never walked here) */
#define DID         5
#define CTX_PRE     (1ull << 4)                /* scalable-mode context entry Page Request Enable (9.4) */

/* The guest's context entry for SID (PRE as given) -> PASID 0: first stage, DID. Then the
 * context and PASID caches are invalidated (Linux's order). */
static void set_tables(bool pre)
{
	put(ROOT, SM_CTX | 1);
	put(SM_CTX + (SID & 0x7f) * 32, PASID_DIR | 1 | (pre ? CTX_PRE : 0));
	put(PASID_DIR, PASID_TBL | 1);
	put(PASID_TBL, 1ull << 6 | 1);      /* P, PGTT 001b first stage */
	put(PASID_TBL + 8, DID);
	put(PASID_TBL + 16, FS);            /* 4-level */
	iq(1 | 1ull << 4, 0);               /* context cache, global */
	iq(7 | 3ull << 4, 0);               /* PASID cache, global */
}

/* The FAULT object of the device's current HWPT (0: none) and whether that HWPT is a VT-d S1 one. */
static uint32_t current_fault(bool *s1)
{
	uint32_t hwpt = fake_iommufd_attached_of(vfio);
	unsigned int nr;
	const struct fake_call *k = fake_iommufd_calls(&nr);

	*s1 = false;
	for (unsigned int i = 0; i < nr; i++)
		if (k[i].req == IOMMU_HWPT_ALLOC && k[i].out_id == hwpt && !k[i].err)
			*s1 = k[i].data_type == IOMMU_HWPT_DATA_VTD_S1;
	return fake_iommufd_fault_of(hwpt);
}

static unsigned int count(unsigned long req)
{
	unsigned int nr, n = 0;
	const struct fake_call *k = fake_iommufd_calls(&nr);

	for (unsigned int i = 0; i < nr; i++)
		n += k[i].req == req && !k[i].err;
	return n;
}

static void test_no_prs(void)
{
	int r = make_vm(HOST_ECAP);

	CHECK(r == 0 && !(rd(VTD_ECAP, 8) & (ECAP_PRS | ECAP_PDS)) && !pci_host_viommu_iopf_offered(vm.pci, SID) &&
	      count(IOMMU_FAULT_QUEUE_ALLOC) == 0,
	      "host VT-d without ECAP.PRS: no page request queue, PRI not offered, no FAULT object");
	CHECK(destroy_vm() == 0, "... teardown destroys every object");
}

static void test_chain(void)
{
	struct iommu_hwpt_pgfault pf = {
		.flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE, .dev_id = DEV_ID, .grpid = 0x45,
		.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE, .addr = 0x7f0000123000ull, .cookie = 77,
	};
	struct iommu_hwpt_page_response resp;
	uint32_t fault;
	bool s1;
	int r = make_vm(HOST_ECAP | VTD_HOST_ECAP_PRS);
	int kern = fake_iommufd_fault_kernel();

	CHECK(r == 0 && (rd(VTD_ECAP, 8) & (ECAP_PRS | ECAP_PDS | ECAP_DT)) == (ECAP_PRS | ECAP_PDS | ECAP_DT) &&
	      pci_host_viommu_iopf_offered(vm.pci, SID) && count(IOMMU_FAULT_QUEUE_ALLOC) == 1 && kern >= 0,
	      "host VT-d with ECAP.PRS: one FAULT object, the unit offers PRS, PDS and DT, the function's PRI is offered");
	if (r || kern < 0)
		goto out;
	fault = iopf_fault_id(d->src.iopf);
	enable(ROOT);
	set_tables(true);
	CHECK(current_fault(&s1) == 0 && s1, "PRE set, PRI still off: the function is on a nested HWPT without the FAULT object");
	pci_host_viommu_set_iopf(vm.pci, SID, true);
	CHECK(current_fault(&s1) == fault && s1,
	      "the guest enables PRI: a nested HWPT allocated with the FAULT object (IOMMU_HWPT_FAULT_ID_VALID) replaces it");

	wr(VTD_PQH, 0, 8);
	wr(VTD_PQT, 0, 8);
	wr(VTD_PQA, PRQ, 8);
	CHECK(write(kern, &pf, sizeof(pf)) == sizeof(pf) && iopf_read(d->src.iopf) == 0, "the kernel queues a page request group");
	CHECK(rd(VTD_PQT, 8) == 0x20 && (get(PRQ) & 0xff) == 1 && ((get(PRQ) >> 16) & 0xffff) == SID &&
	      ((get(PRQ + 8) >> 3) & 0x1ff) == 0x45 && (get(PRQ + 8) & ~0xfffull) == 0x7f0000123000ull,
	      "... it is in the guest's page request queue as the function's (requester id, PRG index, address)");
	iq(0x9 | (uint64_t)SID << 16, 0x45ull << 3 | 1u << 2);     /* page group response, Success */
	CHECK(read(kern, &resp, sizeof(resp)) == sizeof(resp) && resp.cookie == 77 && resp.code == IOMMUFD_PAGE_RESP_SUCCESS,
	      "the guest's page group response reaches the kernel: cookie 77, SUCCESS");

	pci_host_viommu_set_iopf(vm.pci, SID, false);
	CHECK(current_fault(&s1) == 0 && s1, "the guest disables PRI: back on a nested HWPT without the FAULT object");
	pci_host_viommu_set_iopf(vm.pci, SID, true);
	set_tables(false);
	CHECK(current_fault(&s1) == 0 && s1, "PRI on but the context entry's PRE clear (9.4): no FAULT object either");
	set_tables(true);
	CHECK(current_fault(&s1) == fault, "PRE set again: the FAULT object again");

	/* A group left unanswered: teardown answers it before the function leaves its HWPT. */
	pf.grpid = 0x46;
	pf.cookie = 78;
	CHECK(write(kern, &pf, sizeof(pf)) == sizeof(pf) && iopf_read(d->src.iopf) == 0 && iopf_pending(d->src.iopf, SID) == 1,
	      "a second group awaits the guest");
	pci_host_remove_all(vm.pci);
	CHECK(read(kern, &resp, sizeof(resp)) == sizeof(resp) && resp.cookie == 78 && resp.code == IOMMUFD_PAGE_RESP_INVALID,
	      "the VM's functions go: the group is answered INVALID by nestvm first");
out:
	CHECK(destroy_vm() == 0, "teardown destroys every object (the FAULT object after the HWPTs holding it)");
}

/* The shadow backend (a host VT-d without nesting, with PRS): a function whose guest enabled PRI
 * (PRE set, a second-stage PASID entry) goes on a HWPT with the FAULT object on its shadow IOAS. */
static void test_shadow(void)
{
	struct iommu_hwpt_pgfault pf = { .flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE, .dev_id = DEV_ID, .grpid = 0x12,
					 .perm = IOMMU_PGFAULT_PERM_READ, .addr = 0x5000, .cookie = 90 };
	struct iommu_hwpt_page_response resp;
	struct lu_writer w;
	uint32_t fault, h, shadow_ioas = 0;
	unsigned int nr;
	const struct fake_call *k;
	int r = make_vm((HOST_ECAP & ~VTD_HOST_ECAP_NEST) | VTD_HOST_ECAP_PRS);
	int kern = fake_iommufd_fault_kernel();

	CHECK(r == 0 && !strcmp(d->mount.backend->ops->name, "shadow") &&
	      (rd(VTD_ECAP, 8) & (ECAP_PRS | ECAP_PDS | ECAP_DT)) == (ECAP_PRS | ECAP_PDS | ECAP_DT) &&
	      (rd(VTD_CAP, 8) & CAP_CM) && pci_host_viommu_iopf_offered(vm.pci, SID) && kern >= 0,
	      "host VT-d with PRS but no nesting: shadow backend (CM=1) with PRS, PDS, DT; the function's PRI offered");
	if (r || kern < 0)
		goto out;
	fault = iopf_fault_id(d->src.iopf);
	enable(ROOT);
	put(ROOT, SM_CTX | 1);
	put(SM_CTX + (SID & 0x7f) * 32, PASID_DIR | 1 | CTX_PRE);
	put(PASID_DIR, PASID_TBL | 1);
	put(PASID_TBL, FS | 2ull << 2 | 2ull << 6 | 1);    /* P, AW 2 (4-level), PGTT 010b second stage: empty */
	put(PASID_TBL + 8, DID);
	put(PASID_TBL + 16, 0);
	iq(1 | 1ull << 4, 0);
	iq(7 | 3ull << 4, 0);
	k = fake_iommufd_calls(&nr);
	for (unsigned int i = 0; i < nr; i++)
		if (k[i].req == IOMMU_IOAS_ALLOC && !k[i].err)
			shadow_ioas = k[i].out_id;
	CHECK(shadow_ioas && fake_iommufd_attached_of(vfio) == shadow_ioas,
	      "PRI still off: the function on its shadow IOAS itself");
	pci_host_viommu_set_iopf(vm.pci, SID, true);
	h = fake_iommufd_attached_of(vfio);
	k = fake_iommufd_calls(&nr);
	r = -1;
	for (unsigned int i = 0; i < nr; i++)
		if (k[i].req == IOMMU_HWPT_ALLOC && !k[i].err && k[i].out_id == h)
			r = k[i].id == shadow_ioas && k[i].data_type == IOMMU_HWPT_DATA_NONE;
	CHECK(r == 1 && fake_iommufd_fault_of(h) == fault,
	      "the guest enables PRI: a HWPT on its shadow IOAS with the FAULT object, the function on it");
	wr(VTD_PQH, 0, 8);
	wr(VTD_PQT, 0, 8);
	wr(VTD_PQA, PRQ, 8);
	CHECK(write(kern, &pf, sizeof(pf)) == sizeof(pf) && iopf_read(d->src.iopf) == 0 && rd(VTD_PQT, 8) == 0x20 &&
	      ((get(PRQ) >> 16) & 0xffff) == SID, "a page request group of it reaches the guest's queue");
	iq(0x9 | (uint64_t)SID << 16, 0x12ull << 3 | 1u << 2);
	CHECK(read(kern, &resp, sizeof(resp)) == sizeof(resp) && resp.cookie == 90 && resp.code == IOMMUFD_PAGE_RESP_SUCCESS,
	      "... and the guest's answer reaches the kernel (cookie 90, SUCCESS)");
	lu_writer_init(&w);
	CHECK(vtd_dev_state_save(d, &w) == -EBUSY, "a live update is refused while it is on that HWPT");
	lu_writer_free(&w);
	fake_iommufd_clear_calls();
	pci_host_viommu_set_iopf(vm.pci, SID, false);
	k = fake_iommufd_calls(&nr);
	CHECK(fake_iommufd_attached_of(vfio) == shadow_ioas && nr == 2 && k[1].req == IOMMU_DESTROY && k[1].id == h &&
	      !k[1].err, "PRI off: back on the shadow IOAS itself, then the HWPT destroyed");
	pci_host_viommu_set_iopf(vm.pci, SID, true);
out:
	CHECK(destroy_vm() == 0, "shadow: teardown destroys every object (the FAULT object after the HWPT holding it)");
}

int main(void)
{
	if (harness_init()) {
		printf("Bail out! scaffolding\n");
		return 1;
	}
	test_no_prs();
	test_chain();
	test_shadow();
	harness_fini();
	return tap_done();
}
