// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nested vVT-d across a live update (vtd_dev.c, viommu_nested.c; docs/liveupdate.md), over the
 * fake iommufd (tests/fuzz/fake_iommufd.c). By exec: a VM whose guest put one assigned device on a
 * first-stage PASID entry (a nested HWPT) and another in pass-through (the nest parent) is saved;
 * a second VM in restore mode, on the same fake (its objects live on, as across an exec), adopts
 * them: only IOMMU_GET_HW_INFO is asked, both devices stay where they were, and the guest's next
 * invalidations reach the adopted HWPT. A saved backend the new VM may not have is refused with a
 * reason. By kexec (a new iommufd): the backend is chosen afresh and the HWPT made from the guest's
 * tables. With a host VT-d that reports page requests (ECAP.PRS), the FAULT object is adopted with
 * the rest and the adopted function's page requests go on reaching the guest. No testhost VT-d can
 * nest, so this is the only test of it (docs/viommu.md).
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../fuzz/fake_iommufd.h"
#include "devices/pci.h"
#include "iommu/iopf.h"
#include "iommu/viommu_nested.h"
#include "iommu/viommu_shadow.h"
#include "iommu/vtd_dev.h"
#include "iommu/vtd_nested.h"
#include "iommu/vtd_state.h"
#include "liveupdate/state_format.h"
#include "pci_vm.h"
#include "tap.h"
#include "vmm/evloop.h"
#include "vmm/fdtab.h"
#include "vmm/vm.h"

#define VTD_BASE    0xfed90000ull
#define RAM_BASE    0x40000000ull
#define RAM_SIZE    (4ull << 20)
#define ROOT        (RAM_BASE + 0x100000)
#define SM_CTX      (RAM_BASE + 0x101000)
#define PASID_DIR1  (RAM_BASE + 0x102000)
#define PASID_TBL1  (RAM_BASE + 0x103000)
#define PASID_DIR2  (RAM_BASE + 0x104000)
#define PASID_TBL2  (RAM_BASE + 0x105000)
#define IQ          (RAM_BASE + 0x110000)
#define STATUS      (RAM_BASE + 0x130000)
#define PRQ         (RAM_BASE + 0x140000)       /* the page request queue (PQS 0) */
#define FS1         (RAM_BASE + 0x200000)       /* the guest's first-stage tables (never walked here) */

#define IOAS        2
#define SID1        0x0008
#define SID2        0x0010
#define DID1        5

#define HOST_CAP    (VTD_HOST_CAP_FL1GP | (47ull << 16) | (0x4ull << 8))
#define HOST_ECAP   (VTD_HOST_ECAP_NEST | VTD_HOST_ECAP_SMTS | VTD_HOST_ECAP_SLTS | VTD_HOST_ECAP_FLTS | 1ull << 31)   /* and SRS */

#define D_CC_GLOBAL     (1ull | 1ull << 4)
#define D_PC_GLOBAL     (7ull | 3ull << 4)
#define D_IOTLB(g, did) (2ull | (uint64_t)(g) << 4 | (uint64_t)(did) << 16)
#define D_PIOTLB(g, did, pasid) (6ull | (uint64_t)(g) << 4 | (uint64_t)(did) << 16 | (uint64_t)(pasid) << 32)
#define D_WAIT(data)    (5ull | 1ull << 5 | (uint64_t)(data) << 32)
#define IH              (1ull << 6)

static const struct lu_section_spec specs[] = {
	{ VTD_STATE_TYPE, 1, VTD_STATE_VERSION, false, false },
	{ VIOMMU_NESTED_STATE_TYPE, 1, VIOMMU_NESTED_STATE_VERSION, false, false },
	{ VIOMMU_SHADOW_STATE_TYPE, 1, VIOMMU_SHADOW_STATE_VERSION, false, false },
	{ IOPF_STATE_TYPE, 1, IOPF_STATE_VERSION, false, false },
};

struct tvm {
	struct vm vm;
	struct vm_config cfg;
	struct vtd_dev *d;
};

static int iommufd, vfio1, vfio2;
static struct evloop *loop;
static struct tvm *g;           /* the VM the guest helpers below act on */

/* A VM with a vVT-d (--viommu vtd,backend=B), restoring RESTORE (NULL: a boot) by exec or, with
 * REOPENS, after a kexec; its RAM a copy of FROM's (the memfd across the exec). */
static int vm_make(struct tvm *t, enum viommu_backend b, const struct lu_state *restore, bool reopens,
		   struct tvm *from)
{
	static const struct fdtab_entry luo_fd;        /* any: vm_restore_reopens looks for LUO fds */

	memset(t, 0, sizeof(*t));
	t->cfg = (struct vm_config){ .viommu_model = VIOMMU_MODEL_VTD, .viommu_backend = b };
	if (reopens) {
		t->cfg.lu_fds = &luo_fd;
		t->cfg.nr_lu_fds = 1;
	}
	if (pci_vm_init(&t->vm, &t->cfg, loop, RAM_BASE, RAM_SIZE))
		return -EIO;
	t->vm.restore = restore;
	t->vm.iommufd.fd = iommufd;
	if (vtd_dev_create(&t->vm, VTD_BASE, false, &t->d))
		return -EIO;
	if (from)
		memcpy(gmem_ptr(&t->vm.mem, RAM_BASE, RAM_SIZE), gmem_ptr(&from->vm.mem, RAM_BASE, RAM_SIZE), RAM_SIZE);
	g = t;
	return 0;
}

static void vm_free(struct tvm *t)
{
	pci_host_remove_all(t->vm.pci);
	vtd_dev_destroy(&t->vm, t->d);
	pci_vm_fini(&t->vm);
}

static int attach(struct tvm *t, int vfio, uint32_t dev_id, uint16_t sid)
{
	return pci_host_viommu_attach_vfio(t->vm.pci, vfio, dev_id, IOAS, sid);
}

static void mmio(uint64_t off, uint64_t x, uint32_t len, bool write, uint64_t *out)
{
	uint8_t d[8] = { 0 };

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(x >> (8 * i));
	vtd_mmio(&g->d->vtd, off, d, len, write);
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
	memcpy(gmem_ptr(&g->vm.mem, pa, 8), &x, 8);
}

static uint32_t get32(uint64_t pa)
{
	uint32_t x;

	memcpy(&x, gmem_ptr(&g->vm.mem, pa, 4), 4);
	return x;
}

static void gcmd(uint32_t set)
{
	uint32_t st = (uint32_t)rd(VTD_GSTS, 4) & (GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI);

	wr(VTD_GCMD, st | set, 4);
}

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

/* Scalable-mode context entry of SID -> PASID directory DIR -> table TBL, whose entry 0 (RID_PASID)
 * has PGTT with domain DID and first-stage qword Q2. */
static void set_stream(uint16_t sid, uint64_t dir, uint64_t tbl, unsigned int pgtt, uint16_t did, uint64_t q2)
{
	put(ROOT + (sid >> 8) * 16, SM_CTX | 1);
	put(SM_CTX + (sid & 0x7f) * 32, dir | 1);
	put(SM_CTX + (sid & 0x7f) * 32 + 8, 0);
	put(dir, tbl | 1);
	put(tbl, (uint64_t)pgtt << 6 | 1);
	put(tbl + 8, did);
	put(tbl + 16, q2);
}

/* The guest's driver: device 1 on a first-stage table (SRE), device 2 in pass-through, then SRTP,
 * the queue, the global invalidations and TE. */
static void guest_enable(void)
{
	static const uint64_t d[][2] = { { D_CC_GLOBAL, 0 }, { D_PC_GLOBAL, 0 }, { D_IOTLB(1, 0), 0 }, { D_WAIT(1), STATUS } };

	set_stream(SID1, PASID_DIR1, PASID_TBL1, 1, DID1, FS1 | 1);
	set_stream(SID2, PASID_DIR2, PASID_TBL2, 4, DID1 + 1, 0);
	wr(VTD_RTADDR, ROOT | 1u << 10, 8);
	wr(VTD_GCMD, GCMD_SRTP, 4);
	wr(VTD_IQA, IQ | IQA_DW, 8);
	gcmd(GCMD_QIE);
	iq_push(d, 4);
	gcmd(GCMD_TE);
}

/* How many of the calls since the last clear were REQ. */
static unsigned int nr_calls(unsigned long req)
{
	const struct fake_call *k;
	unsigned int nr, n = 0;

	k = fake_iommufd_calls(&nr);
	for (unsigned int i = 0; i < nr; i++)
		n += k[i].req == req;
	return n;
}

static void fake_setup(uint64_t ecap)
{
	struct fake_iommufd_cfg c = { .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .vtd_cap = HOST_CAP, .vtd_ecap = ecap };

	fake_iommufd_setup(iommufd, vfio1, &c);
	fake_iommufd_add_vfio(vfio2);
}

/* The saved state of the first VM (the previous process), kept for every test. */
static struct lu_writer saved;
static uint32_t parent_hwpt, h1;

static void test_exec(void)
{
	struct tvm old, new;
	struct lu_state st;
	const struct fake_call *k;
	unsigned int nr;
	char why[256] = "";
	uint64_t cap, ecap;
	int r;

	fake_setup(HOST_ECAP);
	CHECK(vm_make(&old, VIOMMU_BACKEND_AUTO, NULL, false, NULL) == 0 && attach(&old, vfio1, 10, SID1) == 0 &&
	      attach(&old, vfio2, 11, SID2) == 0 && old.d->nested, "booted VM: two assigned devices on the nested backend");
	fake_iommufd_clear_calls();
	guest_enable();
	h1 = fake_iommufd_attached_of(vfio1);
	parent_hwpt = fake_iommufd_attached_of(vfio2);
	k = fake_iommufd_calls(&nr);
	CHECK(get32(STATUS) == 1 && nr_calls(IOMMU_HWPT_ALLOC) == 1 && k[0].req == IOMMU_HWPT_ALLOC && k[0].out_id == h1 &&
	      k[0].data_type == IOMMU_HWPT_DATA_VTD_S1 && k[0].id == parent_hwpt && k[0].s1.pgtbl_addr == FS1,
	      "the guest enabled its unit: device 1 on nested HWPT %u, device 2 (pass-through) on the nest parent %u", h1,
	      parent_hwpt);
	cap = rd(VTD_CAP, 8);
	ecap = rd(VTD_ECAP, 8);

	lu_writer_init(&saved);
	CHECK(vtd_dev_state_save(old.d, &saved) == 0 && lu_writer_finish(&saved) == 0 &&
	      lu_state_parse(&st, saved.buf, saved.len, specs, 4) == 0 && lu_state_find(&st, VIOMMU_NESTED_STATE_TYPE, 0) &&
	      lu_state_find(&st, VIOMMU_NESTED_STATE_TYPE, 0)->version == 2 &&
	      !lu_state_find(&st, VIOMMU_SHADOW_STATE_TYPE, 0), "saved: 'vtd' and 'viommu-nested' version 2 (%s)", st.why);

	/* The new process: the same iommufd, its objects alive; nothing may be made, attached or destroyed. */
	fake_iommufd_clear_calls();
	r = vm_make(&new, VIOMMU_BACKEND_AUTO, &st, false, &old);
	if (!r)
		r = attach(&new, vfio1, 10, SID1);
	if (!r)
		r = attach(&new, vfio2, 11, SID2);
	CHECK(r == 0 && new.d->nested && !strcmp(new.d->mount.backend->ops->name, "nested"),
	      "restore by exec: both devices adopted on the nested backend (%d: %s)", r, new.vm.restore_why);
	r = vtd_dev_state_restore(new.d, &st, why, sizeof(why));
	CHECK(r == 0 && !new.d->nested_saved, "vtd_dev_state_restore: the registers back, the saved objects freed (%s)", why);
	k = fake_iommufd_calls(&nr);
	CHECK(nr == 1 && k[0].req == IOMMU_GET_HW_INFO && k[0].dev_id == 10,
	      "... the only ioctl was IOMMU_GET_HW_INFO (%u calls; no HWPT/vIOMMU/vDEVICE alloc, attach or destroy)", nr);
	CHECK(nr_calls(IOMMU_HWPT_ALLOC) + nr_calls(IOMMU_VIOMMU_ALLOC) + nr_calls(IOMMU_VDEVICE_ALLOC) == 0,
	      "... no IOMMU_HWPT_ALLOC, IOMMU_VIOMMU_ALLOC or IOMMU_VDEVICE_ALLOC");
	CHECK(fake_iommufd_attached_of(vfio1) == h1 && fake_iommufd_attached_of(vfio2) == parent_hwpt,
	      "... device 1 still on nested HWPT %u, device 2 on the nest parent", h1);
	CHECK(rd(VTD_CAP, 8) == cap && rd(VTD_ECAP, 8) == ecap && (rd(VTD_GSTS, 4) & GCMD_TE),
	      "... the unit shows the guest the same CAP/ECAP, translation enabled");

	/* The guest goes on: its invalidations reach the adopted HWPT (its domain id came with the reload). */
	{
		uint64_t d[][2] = { { D_PIOTLB(3, DID1, 0), 0x40000 | IH | 2 }, { D_IOTLB(1, 0), 0 }, { D_WAIT(2), STATUS } };

		fake_iommufd_clear_calls();
		iq_push(d, 3);
		k = fake_iommufd_calls(&nr);
		CHECK(nr == 1 && k[0].req == IOMMU_HWPT_INVALIDATE && k[0].id == h1 && !k[0].err && k[0].nr_entries == 2 &&
		      k[0].data_type == IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 && k[0].e[0].addr == 0x40000 &&
		      k[0].e[0].npages == 4 && k[0].e[0].flags == IOMMU_VTD_INV_FLAGS_LEAF && k[0].e[1].npages == UINT64_MAX,
		      "after the update: PIOTLB page + global IOTLB -> one IOMMU_HWPT_INVALIDATE on adopted HWPT %u, none "
		      "for the device on the nest parent", h1);
		CHECK(get32(STATUS) == 2, "... the guest's wait completed");
	}
	/* A new PASID entry: replaced as at any invalidation; the adopted HWPT is the new process's to destroy. */
	put(PASID_TBL1 + 16, FS1 + 0x1000);
	{
		uint64_t d[][2] = { { D_PC_GLOBAL, 0 }, { D_WAIT(3), STATUS } };

		fake_iommufd_clear_calls();
		iq_push(d, 2);
		k = fake_iommufd_calls(&nr);
		CHECK(nr == 3 && k[0].req == IOMMU_HWPT_ALLOC && k[0].id == parent_hwpt && k[0].s1.pgtbl_addr == FS1 + 0x1000 &&
		      k[1].req == VFIO_DEVICE_ATTACH_IOMMUFD_PT && k[2].req == IOMMU_DESTROY && k[2].id == h1 && !k[2].err,
		      "a changed PASID entry after the update: new nested HWPT on the adopted parent, HWPT %u destroyed", h1);
	}
	lu_state_free(&st);
	/* The new process ends first; the old one's objects are gone with it (never two owners at once:
	 * the exec replaced the old process, which here only frees its memory). */
	vm_free(&new);
	vm_free(&old);
	CHECK(fake_iommufd_teardown() == 0, "no iommufd object left");
}

/* A saved backend the new VM cannot or may not have, and a backend the state does not have. */
static void test_refusals(void)
{
	struct lu_writer w;
	struct lu_state st, sh;
	struct tvm t;
	char why[256] = "";
	unsigned int nr;
	int r;

	CHECK(lu_state_parse(&st, saved.buf, saved.len, specs, 4) == 0, "the saved nested state");

	fake_setup(HOST_ECAP);
	r = vm_make(&t, VIOMMU_BACKEND_SHADOW, &st, false, NULL);
	if (!r)
		r = attach(&t, vfio1, 10, SID1);
	CHECK(r == -EINVAL && strstr(t.vm.restore_why, "nested backend") && strstr(t.vm.restore_why, "backend=shadow") &&
	      !t.d->nested && !t.d->shadow && (fake_iommufd_calls(&nr), nr == 0),
	      "nested state into a VM with backend=shadow: refused, nothing asked (%s)", t.vm.restore_why);
	vm_free(&t);
	fake_iommufd_teardown();

	fake_setup(HOST_ECAP & ~VTD_HOST_ECAP_NEST);
	r = vm_make(&t, VIOMMU_BACKEND_AUTO, &st, false, NULL);
	if (!r)
		r = attach(&t, vfio1, 10, SID1);
	CHECK(r == -EOPNOTSUPP && strstr(t.vm.restore_why, "ECAP.NEST = 0") && !t.d->nested &&
	      nr_calls(IOMMU_HWPT_ALLOC) == 0, "nested state on a host that cannot nest: refused (%s)", t.vm.restore_why);
	vm_free(&t);
	fake_iommufd_teardown();

	/* A shadow state (its section is not even decoded) into a VM with backend=nested. */
	lu_writer_init(&w);
	lu_writer_begin(&w, VIOMMU_SHADOW_STATE_TYPE, 0, 1, LU_SEC_MANDATORY);
	lu_writer_end(&w);
	CHECK(lu_writer_finish(&w) == 0 && lu_state_parse(&sh, w.buf, w.len, specs, 4) == 0, "a state with a shadow vIOMMU");
	fake_setup(HOST_ECAP);
	r = vm_make(&t, VIOMMU_BACKEND_NESTED, &sh, false, NULL);
	if (!r)
		r = attach(&t, vfio1, 10, SID1);
	CHECK(r == -EINVAL && strstr(t.vm.restore_why, "shadow backend") && strstr(t.vm.restore_why, "backend=nested") &&
	      !t.d->nested && !t.d->shadow, "shadow state into a VM with backend=nested: refused (%s)", t.vm.restore_why);
	vm_free(&t);
	fake_iommufd_teardown();
	lu_state_free(&sh);
	lu_writer_free(&w);

	/* Objects of a format with a vIOMMU object (a vSMMU's, version 1): not the vVT-d's. */
	{
		static struct viommu_nested_saved v = { .parent_id = 3, .viommu_id = 4, .veventq_id = 5, .nr_devs = 1 };

		v.dev[0] = (struct viommu_nested_saved_dev){ .dev_id = 10, .sid = SID1, .vdevice_id = 6, .hwpt_id = 7 };
		lu_writer_init(&w);
		viommu_nested_state_put(&w, &v);
		lu_writer_end(&w);
		CHECK(lu_writer_finish(&w) == 0 && lu_state_parse(&sh, w.buf, w.len, specs, 4) == 0, "a vSMMU's nested state");
		fake_setup(HOST_ECAP);
		r = vm_make(&t, VIOMMU_BACKEND_AUTO, &sh, false, NULL);
		if (!r)
			r = attach(&t, vfio1, 10, SID1);
		CHECK(r == -EINVAL && strstr(t.vm.restore_why, "a vIOMMU object") && nr_calls(IOMMU_HWPT_ALLOC) == 0,
		      "... into the vVT-d: refused (%s)", t.vm.restore_why);
		vm_free(&t);
		fake_iommufd_teardown();
		lu_state_free(&sh);
		lu_writer_free(&w);
	}

	/* No assigned device to adopt the saved nested objects. */
	fake_setup(HOST_ECAP);
	r = vm_make(&t, VIOMMU_BACKEND_AUTO, &st, false, NULL);
	CHECK(r == 0 && vtd_dev_state_restore(t.d, &st, why, sizeof(why)) == -EINVAL &&
	      strstr(why, "nested vIOMMU was saved"), "nested state, no assigned device: vtd_dev_state_restore refuses (%s)",
	      why);
	vm_free(&t);
	fake_iommufd_teardown();
	lu_state_free(&st);
}

/* After a kexec (a new iommufd): the backend chosen afresh, the nested HWPT made from the guest's tables. */
static void test_kexec(void)
{
	struct tvm t, from;
	struct lu_state st;
	char why[256] = "";
	uint32_t h;
	int r;

	/* The guest's tables as the first VM left them (RAM preserved across the kexec). */
	fake_setup(HOST_ECAP);
	CHECK(vm_make(&from, VIOMMU_BACKEND_AUTO, NULL, false, NULL) == 0, "the tables' VM");
	set_stream(SID1, PASID_DIR1, PASID_TBL1, 1, DID1, FS1 | 1);
	set_stream(SID2, PASID_DIR2, PASID_TBL2, 4, DID1 + 1, 0);
	CHECK(lu_state_parse(&st, saved.buf, saved.len, specs, 4) == 0, "the saved nested state");
	r = vm_make(&t, VIOMMU_BACKEND_AUTO, &st, true, &from);
	if (!r)
		r = attach(&t, vfio1, 10, SID1);
	if (!r)
		r = attach(&t, vfio2, 11, SID2);
	CHECK(r == 0 && t.d->nested && !t.d->nested_saved && nr_calls(IOMMU_HWPT_ALLOC) >= 3,
	      "restore after a kexec: the backend chosen afresh (probe, nest parent, blocked HWPT)");
	fake_iommufd_clear_calls();
	r = vtd_dev_state_restore(t.d, &st, why, sizeof(why));
	h = fake_iommufd_attached_of(vfio1);
	CHECK(r == 0 && nr_calls(IOMMU_HWPT_ALLOC) == 1 && h && h != fake_iommufd_attached_of(vfio2),
	      "... vtd_dev_state_restore loads the streams: a new nested HWPT %u from the guest's PASID entry (%s)", h, why);
	vm_free(&t);
	vm_free(&from);
	lu_state_free(&st);
	CHECK(fake_iommufd_teardown() == 0, "kexec: no iommufd object left");
}

/*
 * Page requests across the exec: device 1's guest set PRE and enabled PRI, so it sits on a HWPT
 * with the FAULT object, and a group awaits the guest. The new process adopts the FAULT object
 * (its fd handed over in the fd table) instead of allocating one, keeps the group, routes the
 * function's next group to the guest, and shows the same ECAP.
 */
static void test_exec_pri(void)
{
	struct iommu_hwpt_pgfault pf = { .flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE, .dev_id = 10, .grpid = 3,
					 .perm = IOMMU_PGFAULT_PERM_READ, .addr = 0x5000, .cookie = 40 };
	struct tvm old, new;
	struct lu_writer w;
	struct lu_state st;
	uint32_t fault, hf;
	uint64_t ecap;
	char why[256] = "";
	int r, kern, ffd;

	fake_setup(HOST_ECAP | VTD_HOST_ECAP_PRS);
	CHECK(vm_make(&old, VIOMMU_BACKEND_AUTO, NULL, false, NULL) == 0 && vm_fdtab_init(&old.vm) == 0 &&
	      attach(&old, vfio1, 10, SID1) == 0 && old.d->src.iopf, "PRS host: booted with a FAULT object");
	if (!old.d->src.iopf)
		return;
	guest_enable();
	put(SM_CTX + (SID1 & 0x7f) * 32, PASID_DIR1 | 1 | 1u << 4);        /* PRE */
	{
		uint64_t d[][2] = { { D_CC_GLOBAL, 0 }, { D_PC_GLOBAL, 0 }, { D_WAIT(2), STATUS } };

		iq_push(d, 3);
	}
	pci_host_viommu_set_iopf(old.vm.pci, SID1, true);
	wr(VTD_PQH, 0, 8);
	wr(VTD_PQT, 0, 8);
	wr(VTD_PQA, PRQ, 8);
	fault = iopf_fault_id(old.d->src.iopf);
	hf = fake_iommufd_attached_of(vfio1);
	kern = fake_iommufd_fault_kernel();
	CHECK(fake_iommufd_fault_of(hf) == fault && write(kern, &pf, sizeof(pf)) == sizeof(pf) &&
	      iopf_read(old.d->src.iopf) == 0 && iopf_pending(old.d->src.iopf, SID1) == 1,
	      "PRE + PRI: device 1 on HWPT %u with FAULT object %u, one group awaiting the guest", hf, fault);
	ecap = rd(VTD_ECAP, 8);
	lu_writer_init(&w);
	CHECK(vtd_dev_state_save(old.d, &w) == 0 && lu_writer_finish(&w) == 0 &&
	      lu_state_parse(&st, w.buf, w.len, specs, 4) == 0 && lu_state_find(&st, IOPF_STATE_TYPE, 0),
	      "saved with the 'iopf' section (%s)", st.why);

	fake_iommufd_clear_calls();
	ffd = fdtab_lookup(vm_fdtab(&old.vm), FD_IOMMUFD_EVENTQ, IOPF_FD_NAME);
	r = vm_make(&new, VIOMMU_BACKEND_AUTO, &st, false, &old);
	if (!r)
		r = vm_fdtab_init(&new.vm);
	/* The exec hands the fault fd over in the fd table. */
	if (!r && (ffd < 0 || fdtab_adopt(vm_fdtab(&new.vm), dup(ffd), FD_IOMMUFD_EVENTQ, "test", IOPF_FD_NAME) < 0))
		r = -EBADF;
	if (!r)
		r = attach(&new, vfio1, 10, SID1);
	if (!r)
		r = vtd_dev_state_restore(new.d, &st, why, sizeof(why));
	/* vfio_pci_lu_restore tells the unit what the restored PRI Enable says. */
	if (!r)
		pci_host_viommu_set_iopf(new.vm.pci, SID1, true);
	CHECK(r == 0 && new.d->src.iopf && iopf_fault_id(new.d->src.iopf) == fault && nr_calls(IOMMU_FAULT_QUEUE_ALLOC) == 0 &&
	      rd(VTD_ECAP, 8) == ecap, "restore by exec: FAULT object %u adopted, none allocated, the same ECAP (%d: %s%s)",
	      fault, r, new.vm.restore_why, why);
	CHECK(r == 0 && fake_iommufd_fault_of(fake_iommufd_attached_of(vfio1)) == fault,
	      "... device 1 on a HWPT with the FAULT object");
	if (!r) {
		pf.grpid = 4;
		pf.cookie = 41;
		CHECK(iopf_pending(new.d->src.iopf, SID1) == 1 && write(kern, &pf, sizeof(pf)) == sizeof(pf) &&
		      iopf_read(new.d->src.iopf) == 0 && iopf_pending(new.d->src.iopf, SID1) == 2,
		      "... the group from before the exec still awaits the guest, the function's next one reaches it too");
	}
	lu_state_free(&st);
	lu_writer_free(&w);
	vm_free(&new);
	vm_free(&old);
	fdtab_destroy(vm_fdtab(&new.vm));
	fdtab_destroy(vm_fdtab(&old.vm));
	fake_iommufd_teardown();
}

int main(void)
{
	iommufd = eventfd(0, EFD_CLOEXEC);
	vfio1 = eventfd(0, EFD_CLOEXEC);
	vfio2 = eventfd(0, EFD_CLOEXEC);
	if (iommufd < 0 || vfio1 < 0 || vfio2 < 0 || evloop_init(&loop, 16)) {
		printf("Bail out! scaffolding\n");
		return 1;
	}
	test_exec();
	test_refusals();
	test_kexec();
	test_exec_pri();
	lu_writer_free(&saved);
	evloop_destroy(loop);
	close(iommufd);
	close(vfio1);
	close(vfio2);
	return tap_done();
}
