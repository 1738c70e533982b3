// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nested SMMUv3 backend (viommu_nested.h). Call sequence as in the kernel's iommufd selftest and
 * Documentation/userspace-api/iommufd.rst: device attached to a NEST_PARENT HWPT (stage 2) ->
 * IOMMU_VIOMMU_ALLOC on it -> IOMMU_VDEVICE_ALLOC (virt_id = vSID) -> per guest STE an
 * IOMMU_HWPT_ALLOC with IOMMU_HWPT_DATA_ARM_SMMUV3 on the vIOMMU, which the device is attached to.
 */
#include "iommu/viommu_nested.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommu/fail_inject.h"
#include "iommu/hwpt.h"
#include "iommu/iommufd.h"
#include "iommu/resv_regions.h"
#include "iommu/smmuv3.h"
#include "iommu/vdevice.h"
#include "iommu/veventq.h"
#include "iommu/viommu_obj.h"
#include "vmm/evloop.h"
#include "vmm/log.h"

#define NESTED_MAX_DEVS 16
/* The host queue holds as many records as the largest guest EVTQ (IDR1.EVTQS 10): a burst the guest
 * could take is not lost on the way. A read takes at most NESTED_READ_BATCH of them. */
#define NESTED_EVENTQ_DEPTH 1024
#define NESTED_READ_BATCH 64

/*
 * The STE bits the kernel lets a guest choose (arm-smmu-v3.h STRTAB_STE_{0,1}_NESTING_ALLOWED;
 * arm_smmu_validate_vste refuses anything else with EIO): V, Config, S1Fmt, S1ContextPtr, S1CDMax;
 * S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS (IHI 0070 5.2).
 */
#define VSTE0_ALLOWED (STE0_V | (7ull << 1) | (3ull << 4) | STE0_S1CTXPTR | (0x1full << 59))
#define VSTE1_ALLOWED ((3ull << 0) | (3ull << 2) | (3ull << 4) | (3ull << 6) | STE1_S1STALLD | (3ull << 28))

struct nested_dev {
	int vfio_fd;                /* not ours: the vfio-pci model's cdev */
	uint32_t dev_id, sid, vdevice_id;
	uint32_t hwpt_id;           /* the nested HWPT the device is attached to; 0: none yet */
	uint64_t vste[2];           /* what it carries */
};

struct viommu_nested {
	struct viommu v;
	struct viommu *soft;
	int iommufd;
	struct evloop *loop;
	bool have_viommu, unbatched;
	int host_msi_err;           /* 0: host_msi is the first device's software MSI window */
	uint64_t host_msi;
	uint32_t parent_id, viommu_id, veventq_id;
	int veventq_fd;
	struct ev_watch *watch;
	struct veventq_parse parse;
	uint64_t nr_lost_reported;
	uint64_t nr_fwd_cmds, nr_ioctls;        /* invalidations forwarded, IOMMU_HWPT_INVALIDATE calls */
	struct nested_dev dev[NESTED_MAX_DEVS];
	unsigned int nr_devs;
	struct iommu_viommu_arm_smmuv3_invalidate cmds[SMMUV3_BATCH];
	unsigned int cmd_idx[SMMUV3_BATCH];     /* cmds[i] came from inv[cmd_idx[i]] */
};

static struct viommu_nested *to_nested(struct viommu *v)
{
	return (struct viommu_nested *)v;
}

static struct nested_dev *find_dev(struct viommu_nested *n, uint32_t sid)
{
	for (unsigned int i = 0; i < n->nr_devs; i++)
		if (n->dev[i].sid == sid)
			return &n->dev[i];
	return NULL;
}

static int attach_pt(struct nested_dev *d, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt_id };

	/* On an attached device this replaces the domain without a window of no translation. */
	if (ioctl(d->vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a))
		return err_errno("VFIO_DEVICE_ATTACH_IOMMUFD_PT of device %u to HWPT %u", d->dev_id, pt_id);
	return 0;
}

/* The vSTE for CFG: abort and bypass as V=1 vSTEs of that Config, stage 1 as the guest wrote it. */
static void make_vste(const struct viommu_stream_cfg *cfg, uint64_t vste[2])
{
	switch (cfg->kind) {
	case VIOMMU_CFG_S1:
		vste[0] = cfg->ste[0] & VSTE0_ALLOWED;
		vste[1] = cfg->ste[1] & VSTE1_ALLOWED;
		/* EATS other than 0b00/0b01 is refused by the host; ATS is not offered anyway. */
		vste[1] &= ~(3ull << 28);
		return;
	case VIOMMU_CFG_BYPASS:
		vste[0] = STE0_V | (uint64_t)STE_CFG_BYPASS << 1;
		vste[1] = 0;
		return;
	default:
		vste[0] = STE0_V | (uint64_t)STE_CFG_ABORT << 1;
		vste[1] = 0;
		return;
	}
}

static int dev_set_vste(struct viommu_nested *n, struct nested_dev *d, const uint64_t vste[2])
{
	struct iommu_hwpt_arm_smmuv3 data = { .ste = { vste[0], vste[1] } };    /* little-endian host */
	uint32_t id, old = d->hwpt_id;
	int r;

	if (old && d->vste[0] == vste[0] && d->vste[1] == vste[1])
		return 0;
	r = hwpt_alloc(n->iommufd, d->dev_id, n->viommu_id, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, &data, sizeof(data), &id,
		       "nested (guest STE)");
	if (r)
		return r;
	r = attach_pt(d, id);
	if (r) {
		iommufd_destroy(n->iommufd, id);
		return r;
	}
	d->hwpt_id = id;
	d->vste[0] = vste[0];
	d->vste[1] = vste[1];
	if (old)
		iommufd_destroy(n->iommufd, old);
	return 0;
}

static int nested_attach(struct viommu *v, uint32_t sid, const struct viommu_stream_cfg *cfg)
{
	struct viommu_nested *n = to_nested(v);
	struct nested_dev *d = find_dev(n, sid);
	uint64_t vste[2];
	int r;

	/* The software backend keeps every stream's config: emulated DMA and assigned devices' MSIs. */
	r = viommu_attach(n->soft, sid, cfg);
	if (r || !d)
		return r;
	make_vste(cfg, vste);
	if (cfg->kind == VIOMMU_CFG_S1 && fail_inject("vste-s1")) {
		r = -errno;
		err_num(-r, "IOMMU_HWPT_ALLOC nested (guest STE) for StreamID 0x%x (injected)", sid);
	} else {
		r = dev_set_vste(n, d, vste);
	}
	if (r && cfg->kind != VIOMMU_CFG_ABORT) {
		/* The host refused the guest's STE: the device must not go on translating with the old
		 * one. It aborts, like a stream whose STE cannot be used (IHI 0070 5.2); the front-end
		 * tells the guest (C_BAD_STE). */
		struct viommu_stream_cfg abort_cfg = { .kind = VIOMMU_CFG_ABORT };

		viommu_attach(n->soft, sid, &abort_cfg);
		make_vste(&abort_cfg, vste);
		dev_set_vste(n, d, vste);
	}
	return r;
}

static void nested_detach(struct viommu *v, uint32_t sid)
{
	struct viommu_nested *n = to_nested(v);
	struct viommu_stream_cfg abort_cfg = { .kind = VIOMMU_CFG_ABORT };
	struct nested_dev *d = find_dev(n, sid);
	uint64_t vste[2];

	if (n->soft->ops->detach)
		n->soft->ops->detach(n->soft, sid);
	if (d) {
		make_vste(&abort_cfg, vste);
		dev_set_vste(n, d, vste);
	}
}

/* Does the host need to see INV? TLBIs always (the kernel adds our VMID); per-stream ones for assigned streams. */
static bool forward(struct viommu_nested *n, const struct viommu_inval *inv)
{
	switch (inv->kind) {
	case VIOMMU_INV_CD:
	case VIOMMU_INV_ATC:
		return find_dev(n, inv->sid) != NULL;
	default:
		return n->nr_devs > 0;
	}
}

static int nested_invalidate(struct viommu *v, const struct viommu_inval *inv, unsigned int nr, unsigned int *done)
{
	struct viommu_nested *n = to_nested(v);
	unsigned int m = 0, sdone = 0, sent = 0;
	int r;

	/* The software IOTLB first: it cannot fail on well-formed commands. */
	r = viommu_invalidate(n->soft, inv, nr, &sdone);
	if (r && r != -ETIMEDOUT) {
		*done = sdone;
		return r;
	}
	for (unsigned int i = 0; i < nr && m < SMMUV3_BATCH; i++) {
		if (!forward(n, &inv[i]))
			continue;
		n->cmds[m].cmd[0] = inv[i].cmd[0];
		n->cmds[m].cmd[1] = inv[i].cmd[1];
		n->cmd_idx[m++] = i;
	}
	/* The whole batch in one IOMMU_HWPT_INVALIDATE (the array interface), or one each when asked. */
	while (sent < m) {
		uint32_t num = n->unbatched ? 1 : m - sent;
		uint32_t asked = num;
		int e = hwpt_invalidate(n->iommufd, n->viommu_id, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
					&n->cmds[sent], sizeof(n->cmds[0]), &num);

		n->nr_ioctls++;
		n->nr_fwd_cmds += num;
		if (e || num < asked) {
			unsigned int bad = sent + (num < asked ? num : 0);

			pr_debug("nested: IOMMU_HWPT_INVALIDATE refused command 0x%016llx: %d",
				 (unsigned long long)n->cmds[bad].cmd[0], e ? e : -EIO);
			*done = n->cmd_idx[bad];
			return e ? e : -EIO;
		}
		sent += num;
	}
	*done = nr;
	return r;
}

static int nested_translate(struct viommu *v, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out,
			    struct viommu_fault *fault)
{
	struct viommu_nested *n = to_nested(v);

	return n->soft->ops->translate(n->soft, sid, iova, write, out, fault);
}

static void deliver(void *opaque, const void *rec)
{
	struct viommu_nested *n = opaque;
	const struct iommu_vevent_arm_smmuv3 *e = rec;
	struct viommu_fault f = {
		.kind = S1_F_TRANSLATION,
		.sid = (uint32_t)(e->evt[0] >> 32),
		.iova = e->evt[2],
		.write = !(e->evt[1] & EVT1_RNW),
	};

	/* The record is already in the guest's terms (the kernel put the vSID in): passed on as is. */
	if (n->v.event)
		n->v.event(n->v.frontend, &f, e->evt, sizeof(e->evt));
}

/*
 * Each wakeup drains the queue (a read returns 0 when it is empty), bounded by its depth plus one
 * read: events that keep arriving bring their own wakeups (the watch's poll is re-armed after this
 * returns, and fires at once if records are left).
 */
static bool veventq_ready(void *opaque, int fd)
{
	struct viommu_nested *n = opaque;
	uint8_t buf[NESTED_READ_BATCH * (sizeof(struct iommufd_vevent_header) + sizeof(struct iommu_vevent_arm_smmuv3))];

	for (unsigned int i = 0; i <= NESTED_EVENTQ_DEPTH / NESTED_READ_BATCH; i++) {
		ssize_t l = read(fd, buf, sizeof(buf));

		if (l < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			err_errno("reading the vEVENTQ");
			return false;
		}
		if (l == 0)
			break;
		veventq_parse(&n->parse, buf, (size_t)l, sizeof(struct iommu_vevent_arm_smmuv3), deliver, n);
	}
	if (n->parse.nr_lost != n->nr_lost_reported) {
		pr_info("nested vIOMMU: host dropped %llu event(s) (vEVENTQ full)",
			(unsigned long long)(n->parse.nr_lost - n->nr_lost_reported));
		n->nr_lost_reported = n->parse.nr_lost;
	}
	return true;
}

/* The first device: stage 2 (nest parent) on the IOAS, the vIOMMU, the vEVENTQ. */
static int make_viommu(struct viommu_nested *n, struct nested_dev *d, uint32_t ioas)
{
	int r;

	r = hwpt_alloc(n->iommufd, d->dev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_DATA_NONE, NULL, 0,
		       &n->parent_id, "nest parent (stage 2)");
	if (r)
		return r;
	r = attach_pt(d, n->parent_id);
	if (r)
		goto err_parent;
	r = viommu_obj_alloc(n->iommufd, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, d->dev_id, n->parent_id, &n->viommu_id);
	if (r)
		goto err_parent;
	r = veventq_alloc(n->iommufd, n->viommu_id, IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, NESTED_EVENTQ_DEPTH,
			  &n->veventq_id, &n->veventq_fd);
	if (r)
		goto err_viommu;
	r = evloop_watch(n->loop, n->veventq_fd, veventq_ready, n, &n->watch);
	if (r) {
		err_num(r, "watching the vEVENTQ");
		goto err_eventq;
	}
	n->have_viommu = true;
	n->host_msi_err = resv_regions_vfio_msi(d->vfio_fd, &n->host_msi);
	return 0;

err_eventq:
	close(n->veventq_fd);
	n->veventq_fd = -1;
	iommufd_destroy(n->iommufd, n->veventq_id);
err_viommu:
	iommufd_destroy(n->iommufd, n->viommu_id);
err_parent:
	/* The device goes back to the IOAS so the parent can go. */
	attach_pt(d, ioas);
	iommufd_destroy(n->iommufd, n->parent_id);
	return r;
}

int viommu_nested_add_device(struct viommu *v, int vfio_fd, uint32_t dev_id, uint32_t ioas, uint32_t sid)
{
	struct viommu_nested *n = to_nested(v);
	struct viommu_stream_cfg abort_cfg = { .kind = VIOMMU_CFG_ABORT };
	struct nested_dev *d;
	uint64_t vste[2];
	int r;

	if (n->nr_devs == NESTED_MAX_DEVS || find_dev(n, sid))
		return err_num(ENOSPC, "nested vIOMMU: device %u as StreamID 0x%x", dev_id, sid);
	d = &n->dev[n->nr_devs];
	*d = (struct nested_dev){ .vfio_fd = vfio_fd, .dev_id = dev_id, .sid = sid };
	if (!n->have_viommu) {
		r = make_viommu(n, d, ioas);
	} else {
		/* Same stage 2 for all; a device of another host SMMU instance is refused here. */
		r = attach_pt(d, n->parent_id);
	}
	if (r)
		return r;
	r = vdevice_alloc(n->iommufd, n->viommu_id, dev_id, sid, &d->vdevice_id);
	if (r)
		goto err;
	/* Nothing translates until the guest says so (its SMMU is disabled and GBPA may abort). */
	make_vste(&abort_cfg, vste);
	r = dev_set_vste(n, d, vste);
	if (r)
		goto err_vdev;
	n->nr_devs++;
	return 0;

err_vdev:
	iommufd_destroy(n->iommufd, d->vdevice_id);
err:
	attach_pt(d, ioas);
	return r;
}

int viommu_nested_clamp_features(struct viommu *v, struct smmuv3_features *f)
{
	struct viommu_nested *n = to_nested(v);
	struct iommu_hw_info_arm_smmuv3 info = { 0 };
	uint32_t type;
	int r;

	if (!n->nr_devs)
		return -ENODEV;
	r = iommufd_hw_info(n->iommufd, n->dev[0].dev_id, &info, sizeof(info), &type);
	if (r)
		return r;
	if (type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
		pr_err("--viommu smmuv3: the assigned device's host IOMMU is not an SMMUv3 (hw_info type %u)", type);
		return -EOPNOTSUPP;
	}
	smmuv3_features_clamp(f, info.idr);
	return 0;
}

int viommu_nested_host_msi(struct viommu *v, uint64_t *base)
{
	struct viommu_nested *n = to_nested(v);

	if (!n->have_viommu)
		return -ENODEV;
	if (!n->host_msi_err)
		*base = n->host_msi;
	return n->host_msi_err;
}

void viommu_nested_set_unbatched(struct viommu *v, bool on)
{
	to_nested(v)->unbatched = on;
}

/* IOMMU_DESTROY where ENOENT is expected (the kernel freed it with its device): only other errors said. */
static void destroy_quiet(int iommufd, uint32_t id, const char *what)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	if (ioctl(iommufd, IOMMU_DESTROY, &d) && errno != ENOENT)
		err_errno("IOMMU_DESTROY %s %u", what, id);
}

void viommu_nested_release(struct viommu *v)
{
	struct viommu_nested *n = to_nested(v);

	if (n->have_viommu)
		pr_debug("nested vIOMMU: %llu guest invalidation batches, %llu commands forwarded in %llu "
			 "IOMMU_HWPT_INVALIDATE calls (%s)", (unsigned long long)v->nr_invalidate_calls,
			 (unsigned long long)n->nr_fwd_cmds, (unsigned long long)n->nr_ioctls,
			 n->unbatched ? "one command per call" : "batched");
	if (n->watch)
		evloop_unwatch(n->loop, n->watch);
	n->watch = NULL;
	/* Children first: vDEVICEs and nested HWPTs, then the vEVENTQ, the vIOMMU, the nest parent. The
	 * cdevs may be closed already (that detached them and may have freed their vDEVICEs). */
	for (unsigned int i = 0; i < n->nr_devs; i++) {
		destroy_quiet(n->iommufd, n->dev[i].vdevice_id, "vDEVICE");
		if (n->dev[i].hwpt_id)
			destroy_quiet(n->iommufd, n->dev[i].hwpt_id, "nested HWPT");
	}
	n->nr_devs = 0;
	if (n->veventq_fd >= 0) {
		close(n->veventq_fd);
		n->veventq_fd = -1;
	}
	if (n->have_viommu) {
		destroy_quiet(n->iommufd, n->veventq_id, "vEVENTQ");
		destroy_quiet(n->iommufd, n->viommu_id, "vIOMMU");
		destroy_quiet(n->iommufd, n->parent_id, "nest parent HWPT");
		n->have_viommu = false;
	}
}

static void nested_destroy(struct viommu *v)
{
	struct viommu_nested *n = to_nested(v);

	viommu_nested_release(v);
	viommu_destroy(n->soft);
	free(n);
}

static const struct viommu_ops nested_ops = {
	.name = "nested",
	.attach = nested_attach,
	.detach = nested_detach,
	.invalidate = nested_invalidate,
	.translate = nested_translate,
	.destroy = nested_destroy,
};

struct viommu *viommu_nested_create(struct viommu *soft, int iommufd, struct evloop *loop)
{
	struct viommu_nested *n = calloc(1, sizeof(*n));

	if (!n) {
		err_num(ENOMEM, "nested vIOMMU");
		viommu_destroy(soft);
		return NULL;
	}
	n->v.ops = &nested_ops;
	n->soft = soft;
	n->iommufd = iommufd;
	n->loop = loop;
	n->veventq_fd = -1;
	return &n->v;
}
