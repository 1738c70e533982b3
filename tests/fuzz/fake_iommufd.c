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
	uint32_t attached;          /* last successful attach */
	uint32_t fault_of[MAX_IDS]; /* HWPTs allocated with IOMMU_HWPT_FAULT_ID_VALID: the FAULT object */
} f = { .iommufd = -1, .vfio_fd = -1, .veventq_wr = -1 };

void fake_iommufd_setup(int iommufd, int vfio_fd, const struct fake_iommufd_cfg *cfg)
{
	f.iommufd = iommufd;
	f.vfio_fd = vfio_fd;
	f.cfg = *cfg;
	f.next_id = FIRST_ID;
	memset(f.live, 0, sizeof(f.live));
	memset(f.is_vdev, 0, sizeof(f.is_vdev));
	memset(f.fault_of, 0, sizeof(f.fault_of));
	f.veventq_wr = -1;
	f.attached = 0;
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

void fake_iommufd_set_fail(uint32_t fail)
{
	f.cfg.fail = fail;
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
	f.iommufd = f.vfio_fd = -1;
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

static int iommufd_ioctl(unsigned long req, void *arg)
{
	switch (req) {
	case IOMMU_HWPT_ALLOC: {
		struct iommu_hwpt_alloc *a = arg;
		bool nested = a->data_type == IOMMU_HWPT_DATA_ARM_SMMUV3;

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

		if (f.cfg.fail & FAKE_FAIL_HW_INFO)
			return fail(EOPNOTSUPP);
		memcpy(info.idr, f.cfg.idr, sizeof(info.idr));
		memcpy((void *)(uintptr_t)a->data_uptr, &info, a->data_len < sizeof(info) ? a->data_len : sizeof(info));
		a->out_data_type = f.cfg.hw_type;
		return 0;
	}
	case IOMMU_HWPT_INVALIDATE:
		return invalidate(arg);
	case IOMMU_DESTROY: {
		struct iommu_destroy *a = arg;

		if (a->id < FIRST_ID || !live(a->id))
			return fail(ENOENT);
		if (f.cfg.fail & FAKE_FAIL_DESTROY)
			return fail(EBUSY);
		f.live[a->id] = false;
		f.is_vdev[a->id] = false;
		return 0;
	}
	}
	return fail(ENOTTY);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd == f.iommufd)
		return iommufd_ioctl(req, arg);
	if (fd >= 0 && fd == f.vfio_fd) {
		struct vfio_device_attach_iommufd_pt *a = arg;

		if (req != VFIO_DEVICE_ATTACH_IOMMUFD_PT)
			return fail(ENOTTY);
		if (f.cfg.fail & FAKE_FAIL_ATTACH)
			return fail(EINVAL);
		if (a->argsz < sizeof(*a) || !live(a->pt_id))
			return fail(ENOENT);
		f.attached = a->pt_id;
		return 0;
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}
