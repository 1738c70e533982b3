// SPDX-License-Identifier: GPL-2.0-only
/* FUZZING AND UNIT TESTS ONLY: iommufd / VFIO cdev ioctls without a kernel (see fake_iommufd.h). */
#include "fake_iommufd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_IDS 256
#define FIRST_ID 16     /* ids below are the caller's own objects (its IOAS): always there, never ours */

static struct {
	int iommufd, vfio_fd;
	struct fake_iommufd_cfg cfg;
	uint32_t next_id;
	bool live[MAX_IDS];
	uint64_t virt_id[MAX_IDS];  /* vDEVICE ids: the guest StreamID */
	bool is_vdev[MAX_IDS];
	int veventq_wr;
	int fault_kern;             /* the kernel's end of the last FAULT object's fd */
	bool is_fault[MAX_IDS];     /* FAULT objects */
	bool pasid_compat[MAX_IDS]; /* HWPTs allocated with IOMMU_HWPT_ALLOC_PASID */
	uint32_t pas_pasid[FAKE_MAX_VFIO][FAKE_MAX_PASIDS], pas_pt[FAKE_MAX_VFIO][FAKE_MAX_PASIDS];  /* PASID attachments */
	uint32_t attached;          /* last successful attach */
	uint32_t fault_of[MAX_IDS]; /* HWPTs allocated with IOMMU_HWPT_FAULT_ID_VALID: the FAULT object */
	bool is_parent[MAX_IDS];    /* NEST_PARENT HWPTs */
	bool is_vtd[MAX_IDS];       /* IOMMU_HWPT_DATA_VTD_S1 nested HWPTs */
	struct iommu_hwpt_vtd_s1 s1_of[MAX_IDS];        /* ... and what they were allocated with */
	int vfio[FAKE_MAX_VFIO];    /* vfio[0] is vfio_fd */
	uint32_t attached_of[FAKE_MAX_VFIO];
	struct fake_call calls[FAKE_MAX_CALLS];
	unsigned int nr_calls;
} f = { .iommufd = -1, .vfio_fd = -1, .veventq_wr = -1, .fault_kern = -1, .vfio = { -1, -1, -1, -1 } };

void fake_iommufd_setup(int iommufd, int vfio_fd, const struct fake_iommufd_cfg *cfg)
{
	f.iommufd = iommufd;
	f.vfio_fd = vfio_fd;
	f.cfg = *cfg;
	f.next_id = FIRST_ID;
	memset(f.live, 0, sizeof(f.live));
	memset(f.is_vdev, 0, sizeof(f.is_vdev));
	memset(f.fault_of, 0, sizeof(f.fault_of));
	memset(f.is_parent, 0, sizeof(f.is_parent));
	memset(f.is_vtd, 0, sizeof(f.is_vtd));
	memset(f.is_fault, 0, sizeof(f.is_fault));
	memset(f.pasid_compat, 0, sizeof(f.pasid_compat));
	memset(f.pas_pt, 0, sizeof(f.pas_pt));
	f.fault_kern = -1;
	memset(f.attached_of, 0, sizeof(f.attached_of));
	for (unsigned int i = 0; i < FAKE_MAX_VFIO; i++)
		f.vfio[i] = -1;
	f.vfio[0] = vfio_fd;
	f.veventq_wr = -1;
	f.attached = 0;
	f.nr_calls = 0;
}

void fake_iommufd_add_vfio(int vfio_fd)
{
	for (unsigned int i = 0; i < FAKE_MAX_VFIO; i++)
		if (f.vfio[i] < 0) {
			f.vfio[i] = vfio_fd;
			return;
		}
}

static int vfio_slot(int fd)
{
	for (int i = 0; i < FAKE_MAX_VFIO; i++)
		if (fd >= 0 && f.vfio[i] == fd)
			return i;
	return -1;
}

uint32_t fake_iommufd_attached_of(int vfio_fd)
{
	int i = vfio_slot(vfio_fd);

	return i < 0 ? 0 : f.attached_of[i];
}

/* The slot of device I's PASID attachment, or -1. */
static int pas_slot(int i, uint32_t pasid)
{
	for (int k = 0; k < FAKE_MAX_PASIDS; k++)
		if (f.pas_pt[i][k] && f.pas_pasid[i][k] == pasid)
			return k;
	return -1;
}

uint32_t fake_iommufd_pasid_attached(int vfio_fd, uint32_t pasid)
{
	int i = vfio_slot(vfio_fd), k = i < 0 ? -1 : pas_slot(i, pasid);

	return k < 0 ? 0 : f.pas_pt[i][k];
}

/* Linux 7.2 iommufd_hwpt_pasid_compat: a PASID goes only to a PASID-capable HWPT, and only while the
 * device's own is one too (an IOAS's automatic domain is not); and a device with PASIDs attached
 * stays on PASID-capable HWPTs. */
static bool compat(uint32_t pt)
{
	return pt >= FIRST_ID && pt < MAX_IDS && f.pasid_compat[pt];
}

static bool has_pasids(int i)
{
	for (int k = 0; k < FAKE_MAX_PASIDS; k++)
		if (f.pas_pt[i][k])
			return true;
	return false;
}

const struct fake_call *fake_iommufd_calls(unsigned int *nr)
{
	*nr = f.nr_calls;
	return f.calls;
}

void fake_iommufd_clear_calls(void)
{
	f.nr_calls = 0;
}

/* A new record for REQ (a scratch one when the log is full). */
static struct fake_call *record(unsigned long req)
{
	static struct fake_call scratch;
	struct fake_call *c = f.nr_calls < FAKE_MAX_CALLS ? &f.calls[f.nr_calls++] : &scratch;

	memset(c, 0, sizeof(*c));
	c->req = req;
	c->vfio_fd = -1;
	return c;
}

uint32_t fake_iommufd_attached(void)
{
	return f.attached;
}

uint32_t fake_iommufd_fault_of(uint32_t hwpt)
{
	return hwpt < MAX_IDS ? f.fault_of[hwpt] : 0;
}

int fake_iommufd_veventq_writer(void)
{
	return f.veventq_wr;
}

int fake_iommufd_fault_kernel(void)
{
	return f.fault_kern;
}

void fake_iommufd_set_fail(uint32_t fail)
{
	f.cfg.fail = fail;
}

void fake_iommufd_set_inval_accept(uint32_t nr)
{
	f.cfg.inval_accept = nr;
}

unsigned int fake_iommufd_live(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < MAX_IDS; i++)
		n += f.live[i];
	return n;
}

unsigned int fake_iommufd_teardown(void)
{
	unsigned int n = fake_iommufd_live();

	if (f.veventq_wr >= 0)
		close(f.veventq_wr);
	f.veventq_wr = -1;
	if (f.fault_kern >= 0)
		close(f.fault_kern);
	f.fault_kern = -1;
	f.iommufd = f.vfio_fd = -1;
	for (unsigned int i = 0; i < FAKE_MAX_VFIO; i++)
		f.vfio[i] = -1;
	return n;
}

static int fail(int e)
{
	errno = e;
	return -1;
}

static bool live(uint32_t id)
{
	return (id && id < FIRST_ID) || (id < MAX_IDS && f.live[id]);
}

static int new_id(uint32_t *out)
{
	if (f.next_id >= MAX_IDS)
		return fail(ENOSPC);
	f.live[f.next_id] = true;
	*out = f.next_id++;
	return 0;
}

/* A vDEVICE with guest StreamID SID (the kernel needs one for CFGI_CD / ATC_INV). */
static bool have_vsid(uint32_t sid)
{
	for (unsigned int i = 0; i < MAX_IDS; i++)
		if (f.live[i] && f.is_vdev[i] && f.virt_id[i] == sid)
			return true;
	return false;
}

/*
 * What intel_nested_cache_invalidate_user (drivers/iommu/intel/nested.c) takes: entries of a nested
 * VTD_S1 HWPT, flags LEAF only and __reserved 0 (else EOPNOTSUPP), a 4 KiB-aligned addr, and addr 0
 * with npages U64_MAX (else EINVAL); entry_num says how many it handled.
 */
static int invalidate_vtd(struct iommu_hwpt_invalidate *a, struct fake_call *c)
{
	const struct iommu_hwpt_vtd_s1_invalidate *e = (const void *)(uintptr_t)a->data_uptr;
	uint32_t n = a->entry_num, done;
	int err = 0;

	if (a->hwpt_id >= MAX_IDS || !f.live[a->hwpt_id] || !f.is_vtd[a->hwpt_id] || a->entry_len != sizeof(*e) ||
	    (n && !e))
		return fail(EINVAL);
	for (done = 0; done < n; done++) {
		struct iommu_hwpt_vtd_s1_invalidate x = e[done];   /* read every entry: ASan sees a short array */

		if (done < FAKE_CALL_ENTRIES)
			c->e[done] = x;
		if (f.cfg.inval_accept && done == f.cfg.inval_accept) {
			err = EINVAL;
			break;
		}
		if ((x.flags & ~IOMMU_VTD_INV_FLAGS_LEAF) || x.__reserved) {
			err = EOPNOTSUPP;
			break;
		}
		if ((x.addr & 0xfff) || (x.npages == UINT64_MAX && x.addr)) {
			err = EINVAL;
			break;
		}
	}
	a->entry_num = done;
	return err ? fail(err) : 0;
}

/* What arm-smmu-v3's vIOMMU takes from a guest queue (it converts and checks each entry). */
static int invalidate(struct iommu_hwpt_invalidate *a)
{
	const struct iommu_viommu_arm_smmuv3_invalidate *e = (const void *)(uintptr_t)a->data_uptr;
	uint32_t n = a->entry_num, done;

	if (a->size < sizeof(*a) || !live(a->hwpt_id) || a->data_type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 ||
	    a->entry_len != sizeof(*e) || (n && !e))
		return fail(EINVAL);
	for (done = 0; done < n; done++) {
		uint64_t w0 = e[done].cmd[0];   /* read every entry: ASan sees a short array */

		if (f.cfg.inval_accept && done == f.cfg.inval_accept)
			break;
		switch (w0 & 0xff) {
		case 0x10: case 0x11: case 0x12: case 0x13: case 0x30:  /* TLBI_NH_*, TLBI_NSNH_ALL */
			continue;
		case 0x05: case 0x06: case 0x40:                        /* CFGI_CD(_ALL), ATC_INV */
			if (have_vsid((uint32_t)(w0 >> 32)))
				continue;
			break;
		}
		break;
	}
	a->entry_num = done;
	return done == n ? 0 : fail(done == f.cfg.inval_accept ? EINVAL : EIO);
}

/* IOMMU_HWPT_ALLOC of a VTD_S1 nested HWPT (intel_iommu_domain_alloc_nested, nested.c). */
static int alloc_vtd(struct iommu_hwpt_alloc *a, struct fake_call *c)
{
	struct iommu_hwpt_vtd_s1 s1;

	if (a->size < sizeof(*a) || a->data_len != sizeof(s1) || !a->data_uptr)
		return fail(EINVAL);
	memcpy(&s1, (const void *)(uintptr_t)a->data_uptr, sizeof(s1));
	c->s1 = s1;
	if (a->flags & ~(IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_FAULT_ID_VALID))
		return fail(EOPNOTSUPP);
	/* Its parent must be a NEST_PARENT HWPT (not an IOAS, not a vIOMMU). */
	if (a->pt_id >= MAX_IDS || !f.live[a->pt_id] || !f.is_parent[a->pt_id])
		return fail(EINVAL);
	if ((a->flags & IOMMU_HWPT_FAULT_ID_VALID) && !live(a->fault_id))
		return fail(EINVAL);
	if (s1.flags & ~(uint64_t)(IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE | IOMMU_VTD_S1_WPE))
		return fail(EOPNOTSUPP);
	if (s1.__reserved || (s1.addr_width != 48 && s1.addr_width != 57) || (s1.pgtbl_addr & 0xfff) ||
	    (f.cfg.fail & FAKE_FAIL_VSTE))
		return fail(EINVAL);
	if (new_id(&a->out_hwpt_id))
		return -1;
	f.is_vtd[a->out_hwpt_id] = true;
	f.pasid_compat[a->out_hwpt_id] = a->flags & IOMMU_HWPT_ALLOC_PASID;
	f.s1_of[a->out_hwpt_id] = s1;
	f.fault_of[a->out_hwpt_id] = a->flags & IOMMU_HWPT_FAULT_ID_VALID ? a->fault_id : 0;
	return 0;
}

static int iommufd_ioctl(unsigned long req, void *arg, struct fake_call *c)
{
	switch (req) {
	case IOMMU_IOAS_ALLOC: {
		struct iommu_ioas_alloc *a = arg;

		if (a->size < sizeof(*a))
			return fail(EINVAL);
		if (new_id(&a->out_ioas_id))
			return -1;
		c->out_id = a->out_ioas_id;
		return 0;
	}
	case IOMMU_HWPT_ALLOC: {
		struct iommu_hwpt_alloc *a = arg;
		bool nested = a->data_type == IOMMU_HWPT_DATA_ARM_SMMUV3;

		c->dev_id = a->dev_id;
		c->id = a->pt_id;
		c->flags = a->flags;
		c->data_type = a->data_type;
		if (a->data_type == IOMMU_HWPT_DATA_VTD_S1) {
			int r = alloc_vtd(a, c);

			c->out_id = r ? 0 : a->out_hwpt_id;
			return r;
		}

		if (a->size < sizeof(*a) || (nested && (!live(a->pt_id) || a->data_len != sizeof(struct iommu_hwpt_arm_smmuv3) ||
							 !a->data_uptr)))
			return fail(EINVAL);
		/* A fault queue only on a HWPT that is not a nest parent (Linux 6.15), and one that exists. */
		if ((a->flags & IOMMU_HWPT_FAULT_ID_VALID) &&
		    ((a->flags & IOMMU_HWPT_ALLOC_NEST_PARENT) || !live(a->fault_id)))
			return fail(EINVAL);
		if (nested) {
			struct iommu_hwpt_arm_smmuv3 ste;

			memcpy(&ste, (const void *)(uintptr_t)a->data_uptr, sizeof(ste));
			/* The kernel wants V=1 and knows Config abort/bypass/S1 only. */
			if ((f.cfg.fail & FAKE_FAIL_VSTE) || !(ste.ste[0] & 1) ||
			    ((ste.ste[0] >> 1 & 7) != 0 && (ste.ste[0] >> 1 & 7) != 4 && (ste.ste[0] >> 1 & 7) != 5))
				return fail(EINVAL);
		} else if (f.cfg.fail & FAKE_FAIL_PARENT) {
			return fail(ENOMEM);
		}
		if (new_id(&a->out_hwpt_id))
			return -1;
		f.fault_of[a->out_hwpt_id] = a->flags & IOMMU_HWPT_FAULT_ID_VALID ? a->fault_id : 0;
		f.is_parent[a->out_hwpt_id] = a->flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
		f.pasid_compat[a->out_hwpt_id] = a->flags & IOMMU_HWPT_ALLOC_PASID;
		c->out_id = a->out_hwpt_id;
		return 0;
	}
	case IOMMU_VIOMMU_ALLOC: {
		struct iommu_viommu_alloc *a = arg;

		if (f.cfg.fail & FAKE_FAIL_VIOMMU)
			return fail(EOPNOTSUPP);
		if (a->size < sizeof(*a) || !live(a->hwpt_id))
			return fail(EINVAL);
		return new_id(&a->out_viommu_id);
	}
	case IOMMU_VEVENTQ_ALLOC: {
		struct iommu_veventq_alloc *a = arg;
		int p[2];

		if (f.cfg.fail & FAKE_FAIL_VEVENTQ)
			return fail(ENOMEM);
		if (a->size < sizeof(*a) || !live(a->viommu_id) || f.veventq_wr >= 0)
			return fail(EINVAL);
		if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
			return -1;
		if (new_id(&a->out_veventq_id)) {
			close(p[0]);
			close(p[1]);
			return -1;
		}
		a->out_veventq_fd = (uint32_t)p[0];
		f.veventq_wr = p[1];
		return 0;
	}
	case IOMMU_FAULT_QUEUE_ALLOC: {
		struct iommu_fault_alloc *a = arg;
		int p[2];

		/* Records in, responses out, each a message: what the kernel's fault fd keeps apart too. */
		if (a->size < sizeof(*a) || a->flags || f.fault_kern >= 0)
			return fail(EINVAL);
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p))
			return -1;
		if (new_id(&a->out_fault_id)) {
			close(p[0]);
			close(p[1]);
			return -1;
		}
		f.is_fault[a->out_fault_id] = true;
		a->out_fault_fd = (uint32_t)p[0];
		f.fault_kern = p[1];
		c->out_id = a->out_fault_id;
		return 0;
	}
	case IOMMU_VDEVICE_ALLOC: {
		struct iommu_vdevice_alloc *a = arg;

		if (f.cfg.fail & FAKE_FAIL_VDEVICE)
			return fail(ENOMEM);
		if (a->size < sizeof(*a) || !live(a->viommu_id) || have_vsid((uint32_t)a->virt_id))
			return fail(EINVAL);
		if (new_id(&a->out_vdevice_id))
			return -1;
		f.is_vdev[a->out_vdevice_id] = true;
		f.virt_id[a->out_vdevice_id] = a->virt_id;
		return 0;
	}
	case IOMMU_GET_HW_INFO: {
		struct iommu_hw_info *a = arg;
		struct iommu_hw_info_arm_smmuv3 info = { 0 };
		struct iommu_hw_info_vtd vtd = { .cap_reg = f.cfg.vtd_cap, .ecap_reg = f.cfg.vtd_ecap };

		c->dev_id = a->dev_id;
		if (f.cfg.fail & FAKE_FAIL_HW_INFO)
			return fail(EOPNOTSUPP);
		memcpy(info.idr, f.cfg.idr, sizeof(info.idr));
		if (!a->data_len)
			;   /* only the generic part asked for */
		else if (f.cfg.hw_type == IOMMU_HW_INFO_TYPE_INTEL_VTD)
			memcpy((void *)(uintptr_t)a->data_uptr, &vtd, a->data_len < sizeof(vtd) ? a->data_len : sizeof(vtd));
		else
			memcpy((void *)(uintptr_t)a->data_uptr, &info, a->data_len < sizeof(info) ? a->data_len : sizeof(info));
		a->out_data_type = f.cfg.hw_type;
		a->out_capabilities = f.cfg.hw_caps;
		a->out_max_pasid_log2 = f.cfg.max_pasid_log2;
		return 0;
	}
	case IOMMU_HWPT_INVALIDATE: {
		struct iommu_hwpt_invalidate *a = arg;

		c->id = a->hwpt_id;
		c->data_type = a->data_type;
		c->nr_entries = a->entry_num;
		if (a->size >= sizeof(*a) && a->data_type == IOMMU_HWPT_INVALIDATE_DATA_VTD_S1)
			return invalidate_vtd(a, c);
		return invalidate(arg);
	}
	case IOMMU_DESTROY: {
		struct iommu_destroy *a = arg;

		c->id = a->id;
		if (a->id < FIRST_ID || !live(a->id))
			return fail(ENOENT);
		if (f.cfg.fail & FAKE_FAIL_DESTROY)
			return fail(EBUSY);
		/* A FAULT object is held by every HWPT allocated with it (iommufd refcounts). */
		for (unsigned int i = FIRST_ID; f.is_fault[a->id] && i < MAX_IDS; i++)
			if (f.live[i] && f.fault_of[i] == a->id)
				return fail(EBUSY);
		f.live[a->id] = false;
		f.is_fault[a->id] = false;
		f.is_vdev[a->id] = false;
		f.is_parent[a->id] = f.is_vtd[a->id] = f.pasid_compat[a->id] = false;
		return 0;
	}
	}
	return fail(ENOTTY);
}

static bool vtd_attach_refused(uint32_t hwpt)
{
	const struct iommu_hwpt_vtd_s1 *s1 = &f.s1_of[hwpt];

	return (s1->addr_width == 57 && !(f.cfg.vtd_cap & (1ull << 60))) ||
	       ((s1->flags & IOMMU_VTD_S1_SRE) && !(f.cfg.vtd_ecap & (1ull << 31))) ||
	       ((s1->flags & IOMMU_VTD_S1_EAFE) && !(f.cfg.vtd_ecap & (1ull << 34)));
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd == f.iommufd) {
		struct fake_call *c = record(req);
		int r = iommufd_ioctl(req, arg, c);

		c->err = r ? errno : 0;
		return r;
	}
	if (vfio_slot(fd) >= 0 && req == VFIO_DEVICE_DETACH_IOMMUFD_PT) {
		struct vfio_device_detach_iommufd_pt *a = arg;
		struct fake_call *c = record(req);
		int i = vfio_slot(fd), k = pas_slot(i, a->pasid), r = 0;

		c->vfio_fd = fd;
		c->flags = a->flags;
		c->pasid = a->pasid;
		if (a->argsz < sizeof(*a) || !(a->flags & VFIO_DEVICE_DETACH_PASID) || k < 0)
			r = fail(EINVAL);   /* only PASIDs are detached here (a device leaves by closing) */
		else
			f.pas_pt[i][k] = 0;
		c->err = r ? errno : 0;
		return r;
	}
	if (vfio_slot(fd) >= 0 && req == VFIO_DEVICE_ATTACH_IOMMUFD_PT &&
	    (((struct vfio_device_attach_iommufd_pt *)arg)->flags & VFIO_DEVICE_ATTACH_PASID)) {
		struct vfio_device_attach_iommufd_pt *a = arg;
		struct fake_call *c = record(req);
		int i = vfio_slot(fd), k = pas_slot(i, a->pasid), r = 0;

		c->vfio_fd = fd;
		c->id = a->pt_id;
		c->flags = a->flags;
		c->pasid = a->pasid;
		if (a->argsz < sizeof(*a) || !a->pasid || !live(a->pt_id))
			r = fail(ENOENT);
		else if (!compat(a->pt_id) || (f.attached_of[i] && !compat(f.attached_of[i])))
			r = fail(EINVAL);
		else if (a->pt_id < MAX_IDS && f.is_vtd[a->pt_id] && vtd_attach_refused(a->pt_id))
			r = fail(EINVAL);
		for (int j = 0; k < 0 && !r && j < FAKE_MAX_PASIDS; j++)
			if (!f.pas_pt[i][j])
				k = j;
		if (!r && k < 0)
			r = fail(ENOSPC);
		if (!r) {
			f.pas_pasid[i][k] = a->pasid;
			f.pas_pt[i][k] = a->pt_id;      /* a replacement when it had one */
		}
		c->err = r ? errno : 0;
		return r;
	}
	if (vfio_slot(fd) >= 0) {
		struct vfio_device_attach_iommufd_pt *a = arg;
		struct fake_call *c = record(req);
		int r = 0;

		c->vfio_fd = fd;
		if (req == VFIO_DEVICE_ATTACH_IOMMUFD_PT)
			c->id = a->pt_id;
		if (req != VFIO_DEVICE_ATTACH_IOMMUFD_PT)
			r = fail(ENOTTY);
		else if (f.cfg.fail & FAKE_FAIL_ATTACH)
			r = fail(EINVAL);
		else if (a->argsz < sizeof(*a) || !live(a->pt_id))
			r = fail(ENOENT);
		else if (has_pasids(vfio_slot(fd)) && !compat(a->pt_id))
			r = fail(EINVAL);
		/* A nested VT-d HWPT's first-stage checks are at attach (intel_pasid_setup_nested): a
		 * 5-level table needs the host's FL5LP, SRE its SRS (ECAP bit 31), EAFE its EAFS (34). */
		else if (a->pt_id < MAX_IDS && f.is_vtd[a->pt_id] && vtd_attach_refused(a->pt_id))
			r = fail(EINVAL);
		c->err = r ? errno : 0;
		if (r)
			return r;
		f.attached = a->pt_id;
		f.attached_of[vfio_slot(fd)] = a->pt_id;
		return 0;
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}
