// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nested vIOMMU core (viommu_nested.h). Call sequence as in the kernel's iommufd selftest and
 * Documentation/userspace-api/iommufd.rst: device attached to a NEST_PARENT HWPT (stage 2) ->
 * IOMMU_VIOMMU_ALLOC on it -> IOMMU_VDEVICE_ALLOC (virt_id = the guest's stream id) -> per guest
 * stream config an IOMMU_HWPT_ALLOC with the format's data on the vIOMMU, which the device is
 * attached to. Nothing here knows a format's words: struct viommu_nested_format encodes them.
 */
#include "iommu/viommu_nested.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommu/fail_inject.h"
#include "iommu/hwpt.h"
#include "iommu/iommufd.h"
#include "iommu/iopf.h"
#include "iommu/resv_regions.h"
#include "iommu/vdevice.h"
#include "iommu/veventq.h"
#include "iommu/viommu_report.h"
#include "iommu/viommu_obj.h"
#include "vmm/evloop.h"
#include "vmm/fdtab.h"
#include "vmm/log.h"

#define NESTED_MAX_DEVS VIOMMU_NESTED_MAX_DEVS
/* The host queue holds as many records as the largest guest EVTQ (IDR1.EVTQS 10): a burst the guest
 * could take is not lost on the way. A read takes at most NESTED_READ_BATCH of them. */
#define NESTED_EVENTQ_DEPTH 1024
#define NESTED_READ_BATCH 64
#define NESTED_EVENT_MAX 64     /* the largest vEVENTQ record a format may have */

struct nested_dev {
	int vfio_fd;                /* not ours: the vfio-pci model's cdev */
	uint32_t dev_id, sid, vdevice_id;
	uint32_t pasid;             /* 0: the device's requests without PASID; else one PASID of it (pas[]) */
	uint32_t hwpt_id;           /* the nested HWPT the device is attached to; 0: none yet */
	uint32_t data_type, data_len;       /* what it carries (the format's blob) */
	bool fault;                 /* ... and whether it reports I/O page faults to the service */
	bool own;                   /* hwpt_id is this device's to destroy (per_hwpt: not the nest
				     * parent or the blocked HWPT it may be attached to instead) */
	enum viommu_cfg_kind kind;  /* the config it was attached for */
	uint16_t tag;               /* ... and its tag (per_hwpt: which invalidations concern it) */
	uint8_t data[VIOMMU_NESTED_DATA_MAX];
};

struct viommu_nested {
	struct viommu v;
	const struct viommu_nested_format *fmt;
	char what_nested[48];       /* "nested (guest STE)": names its HWPTs in messages */
	struct viommu *soft;
	int iommufd;
	struct evloop *loop;
	struct fdtab *fds;          /* the vEVENTQ fd's owner (NULL: ours) */
	bool have_viommu, unbatched;
	bool adopting;              /* viommu_nested_adopting: attach records configs in soft only */
	int host_msi_err;           /* 0: host_msi is the first device's software MSI window */
	uint64_t host_msi;
	uint32_t parent_id, viommu_id, veventq_id;
	uint32_t blocked_ioas, blocked_id;      /* per_hwpt: an empty IOAS and its HWPT, for abort */
	int veventq_fd;
	struct ev_watch *watch;
	struct veventq_parse parse;
	uint64_t nr_lost_reported;
	uint64_t nr_fwd_cmds, nr_ioctls;        /* invalidations forwarded, IOMMU_HWPT_INVALIDATE calls */
	struct nested_dev dev[NESTED_MAX_DEVS];
	unsigned int nr_devs;
	/* PASIDs (viommu_nested_attach_pasid): every HWPT is allocated PASID-capable, and each PASID
	 * the guest set up is an attachment of its own, with a nested HWPT or the nest parent. */
	bool pasids;
	struct nested_dev pas[VIOMMU_NESTED_MAX_PASIDS];
	unsigned int nr_pas;
	bool pas_full_said;
	struct iopf *iopf;          /* the I/O page fault service (viommu_nested_set_iopf), or NULL */
	const struct iopf_frontend *iopf_ops;
	void *iopf_fe;
	_Alignas(8) uint8_t entries[VIOMMU_INV_BATCH * VIOMMU_NESTED_ENTRY_MAX];   /* the format's, inval_len apart */
	unsigned int entry_idx[VIOMMU_INV_BATCH];       /* entry i came from inv[entry_idx[i]] */
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
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt_id,
						   .flags = d->pasid ? VFIO_DEVICE_ATTACH_PASID : 0, .pasid = d->pasid };

	/* On an attached device (or PASID) this replaces the domain without a window of no translation. */
	if (ioctl(d->vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a))
		return err_errno("VFIO_DEVICE_ATTACH_IOMMUFD_PT of device %u PASID %u to HWPT %u", d->dev_id, d->pasid, pt_id);
	return 0;
}

/* HWPTs a PASID may be attached to, and the device's own while it has PASIDs attached, must all be
 * PASID-capable (Linux 7.2 iommufd_hwpt_pasid_compat). */
static uint32_t pasid_flag(const struct viommu_nested *n)
{
	return n->pasids ? IOMMU_HWPT_ALLOC_PASID : 0;
}

/*
 * per_hwpt formats: abort attaches the device to the blocked HWPT, bypass to the nest parent (the
 * guest-RAM IOAS: IOVA = guest physical), replacing what it has (a nested HWPT of its own goes
 * after the attach). A stage-1 config the format could not encode is refused.
 */
static int dev_set_shared(struct viommu_nested *n, struct nested_dev *d, const struct viommu_stream_cfg *cfg)
{
	uint32_t pt = cfg->kind == VIOMMU_CFG_BYPASS ? n->parent_id : n->blocked_id;
	int r;

	if (cfg->kind == VIOMMU_CFG_S1) {
		pr_err("nested vIOMMU: the %s of %s 0x%x cannot be nested on the host %s", n->fmt->cfg_name,
		       n->fmt->sid_name, d->sid, n->fmt->host_name);
		return -EOPNOTSUPP;
	}
	if (d->hwpt_id == pt && !d->own)
		return 0;
	r = attach_pt(d, pt);
	if (r)
		return r;
	if (d->hwpt_id && d->own)
		iommufd_destroy(n->iommufd, d->hwpt_id);
	d->hwpt_id = pt;
	d->own = false;
	d->kind = cfg->kind;
	d->tag = cfg->tag;
	d->fault = false;
	d->data_type = IOMMU_HWPT_DATA_NONE;
	d->data_len = 0;
	return 0;
}

/*
 * The device's nested HWPT for CFG, replacing the one it has: the new HWPT is allocated and
 * attached before the old one goes, so a refusal leaves the device as it was (and nothing leaks).
 */
static int dev_set_cfg(struct viommu_nested *n, struct nested_dev *d, const struct viommu_stream_cfg *cfg)
{
	uint8_t data[VIOMMU_NESTED_DATA_MAX] = { 0 };
	uint32_t id, old = d->hwpt_id, type, len;
	/* Faults exist only where the guest's stage 1 translates; the guest said it takes them. */
	bool fault = n->iopf && cfg->iopf && cfg->kind == VIOMMU_CFG_S1;
	int r;

	len = n->fmt->alloc_nested(cfg, &type, data);
	if (n->fmt->per_hwpt && !len)
		return dev_set_shared(n, d, cfg);
	if (old && d->own && type == d->data_type && len == d->data_len && !memcmp(data, d->data, len) &&
	    fault == d->fault) {
		d->tag = cfg->tag;      /* same tables under another domain id: invalidated by the new one */
		return 0;
	}
	/* The vIOMMU object holds the nested HWPTs; without one (per_hwpt) the nest parent does. */
	r = hwpt_alloc_fault(n->iommufd, d->dev_id, n->fmt->per_hwpt ? n->parent_id : n->viommu_id,
			     (fault ? IOMMU_HWPT_FAULT_ID_VALID : 0) | pasid_flag(n), fault ? iopf_fault_id(n->iopf) : 0,
			     type, data, len, &id, n->what_nested);
	if (r)
		return r;
	r = attach_pt(d, id);
	if (r) {
		iommufd_destroy(n->iommufd, id);
		return r;
	}
	if (old && d->own)
		iommufd_destroy(n->iommufd, old);
	d->hwpt_id = id;
	d->own = true;
	d->kind = cfg->kind;
	d->tag = cfg->tag;
	d->fault = fault;
	d->data_type = type;
	d->data_len = len;
	memcpy(d->data, data, len);
	return 0;
}

static int nested_attach(struct viommu *v, uint32_t sid, const struct viommu_stream_cfg *cfg)
{
	struct viommu_nested *n = to_nested(v);
	struct nested_dev *d = find_dev(n, sid);
	int r;

	/* The software backend keeps every stream's config: emulated DMA and assigned devices' MSIs. */
	r = viommu_attach(n->soft, sid, cfg);
	if (r || !d || n->adopting)
		return r;
	if (cfg->kind == VIOMMU_CFG_S1 && fail_inject("vste-s1")) {
		r = -errno;
		err_num(-r, "IOMMU_HWPT_ALLOC %s for %s 0x%x (injected)", n->what_nested, n->fmt->sid_name, sid);
	} else {
		r = dev_set_cfg(n, d, cfg);
	}
	if (r && cfg->kind != VIOMMU_CFG_ABORT) {
		/* The host refused the guest's config: the device must not go on translating with the
		 * old one. It aborts, like a stream whose config cannot be used (SMMUv3: IHI 0070 5.2);
		 * the front-end tells the guest (SMMUv3: C_BAD_STE). */
		struct viommu_stream_cfg abort_cfg = { .kind = VIOMMU_CFG_ABORT };

		viommu_attach(n->soft, sid, &abort_cfg);
		dev_set_cfg(n, d, &abort_cfg);
	}
	return r;
}

static void nested_detach(struct viommu *v, uint32_t sid)
{
	struct viommu_nested *n = to_nested(v);
	struct viommu_stream_cfg abort_cfg = { .kind = VIOMMU_CFG_ABORT };
	struct nested_dev *d = find_dev(n, sid);

	if (n->soft->ops->detach)
		n->soft->ops->detach(n->soft, sid);
	if (d && !n->adopting)
		dev_set_cfg(n, d, &abort_cfg);
}

static struct nested_dev *find_pasid(struct viommu_nested *n, uint32_t sid, uint32_t pasid)
{
	for (unsigned int i = 0; i < n->nr_pas; i++)
		if (n->pas[i].sid == sid && n->pas[i].pasid == pasid)
			return &n->pas[i];
	return NULL;
}

/* PASID attachment P goes: detached (its requests are blocked), its nested HWPT destroyed. */
static void pasid_drop(struct viommu_nested *n, struct nested_dev *p)
{
	struct vfio_device_detach_iommufd_pt a = { .argsz = sizeof(a), .flags = VFIO_DEVICE_DETACH_PASID,
						   .pasid = p->pasid };

	if (ioctl(p->vfio_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &a))
		err_errno("VFIO_DEVICE_DETACH_IOMMUFD_PT of device %u PASID %u", p->dev_id, p->pasid);
	if (p->hwpt_id && p->own)
		iommufd_destroy(n->iommufd, p->hwpt_id);
	*p = n->pas[--n->nr_pas];
}

static int nested_attach_pasid(struct viommu *v, uint32_t sid, uint32_t pasid, const struct viommu_stream_cfg *cfg)
{
	struct viommu_nested *n = to_nested(v);
	struct nested_dev *d = find_dev(n, sid), *p = find_pasid(n, sid, pasid);
	bool made = false;
	int r;

	if (!d || !n->pasids || !pasid || n->adopting)
		return -ENODEV;
	if (cfg->kind == VIOMMU_CFG_ABORT) {
		if (p)
			pasid_drop(n, p);
		return 0;
	}
	if (!p) {
		if (n->nr_pas == VIOMMU_NESTED_MAX_PASIDS) {
			if (!n->pas_full_said)
				pr_warn("nested vIOMMU: more than %u PASIDs set up: the others stay blocked",
					VIOMMU_NESTED_MAX_PASIDS);
			n->pas_full_said = true;
			return -ENOSPC;
		}
		p = &n->pas[n->nr_pas++];
		*p = (struct nested_dev){ .vfio_fd = d->vfio_fd, .dev_id = d->dev_id, .sid = sid, .pasid = pasid };
		made = true;
	}
	r = dev_set_cfg(n, p, cfg);
	if (r && made)
		n->pas[--n->nr_pas] = (struct nested_dev){ 0 };     /* nothing was attached */
	else if (r)
		pasid_drop(n, p);       /* the host refused the new config: blocked, not left on the old one */
	return r;
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

/*
 * The M entries encoded in n->entries to ID (the vIOMMU, or a per_hwpt nested HWPT): the whole batch
 * in one IOMMU_HWPT_INVALIDATE (the array interface), or one each when asked. On a refusal *DONE is
 * the index in INV of the entry refused.
 */
static int send_entries(struct viommu_nested *n, uint32_t id, unsigned int m, const struct viommu_inval *inv,
			unsigned int *done)
{
	unsigned int sent = 0;

	while (sent < m) {
		uint32_t num = n->unbatched ? 1 : m - sent;
		uint32_t asked = num;
		int e = hwpt_invalidate(n->iommufd, id, n->fmt->inval_type, &n->entries[sent * n->fmt->inval_len],
					n->fmt->inval_len, &num);

		n->nr_ioctls++;
		n->nr_fwd_cmds += num;
		if (e || num < asked) {
			unsigned int bad = sent + (num < asked ? num : 0);

			pr_debug("nested: IOMMU_HWPT_INVALIDATE on %u refused the entry of 0x%016llx: %d", id,
				 (unsigned long long)inv[n->entry_idx[bad]].raw[0], e ? e : -EIO);
			*done = n->entry_idx[bad];
			return e ? e : -EIO;
		}
		sent += num;
	}
	return 0;
}

static int nested_invalidate(struct viommu *v, const struct viommu_inval *inv, unsigned int nr, unsigned int *done)
{
	struct viommu_nested *n = to_nested(v);
	unsigned int m = 0, sdone = 0;
	int r, e;

	/* The software IOTLB first: it cannot fail on well-formed commands. */
	r = viommu_invalidate(n->soft, inv, nr, &sdone);
	if (r && r != -ETIMEDOUT) {
		*done = sdone;
		return r;
	}
	if (n->fmt->per_hwpt) {
		/* Each nested HWPT gets the entries of its own guest domain, in the guest's order: the
		 * devices' and their PASIDs'. */
		for (unsigned int k = 0; k < n->nr_devs + n->nr_pas; k++) {
			struct nested_dev *d = k < n->nr_devs ? &n->dev[k] : &n->pas[k - n->nr_devs];

			if (!d->own)
				continue;       /* on the nest parent or blocked: no guest stage 1 cached */
			m = 0;
			for (unsigned int i = 0; i < nr && m < VIOMMU_INV_BATCH; i++) {
				if (!n->fmt->inval_matches(&inv[i], d->tag, d->pasid))
					continue;
				n->fmt->invalidate(&inv[i], &n->entries[m * n->fmt->inval_len]);
				n->entry_idx[m++] = i;
			}
			e = send_entries(n, d->hwpt_id, m, inv, done);
			if (e)
				return e;
		}
		*done = nr;
		return r;
	}
	for (unsigned int i = 0; i < nr && m < VIOMMU_INV_BATCH; i++) {
		if (!forward(n, &inv[i]))
			continue;
		n->fmt->invalidate(&inv[i], &n->entries[m * n->fmt->inval_len]);
		n->entry_idx[m++] = i;
	}
	e = send_entries(n, n->viommu_id, m, inv, done);
	if (e)
		return e;
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
	struct viommu_fault f;

	/* The record is already in the guest's terms (the kernel put the vSID in): passed on as is. */
	n->fmt->decode_event(rec, &f);
	if (n->v.event)
		n->v.event(n->v.frontend, &f, rec, n->fmt->event_len);
}

/*
 * Each wakeup drains the queue (a read returns 0 when it is empty), bounded by its depth plus one
 * read: events that keep arriving bring their own wakeups (the watch's poll is re-armed after this
 * returns, and fires at once if records are left).
 */
static bool veventq_ready(void *opaque, int fd)
{
	struct viommu_nested *n = opaque;
	uint8_t buf[NESTED_READ_BATCH * (sizeof(struct iommufd_vevent_header) + NESTED_EVENT_MAX)];

	for (unsigned int i = 0; i <= NESTED_EVENTQ_DEPTH / NESTED_READ_BATCH; i++) {
		ssize_t l = read(fd, buf, NESTED_READ_BATCH * (sizeof(struct iommufd_vevent_header) + n->fmt->event_len));

		if (l < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			err_errno("reading the vEVENTQ");
			return false;
		}
		if (l == 0)
			break;
		veventq_parse(&n->parse, buf, (size_t)l, n->fmt->event_len, deliver, n);
	}
	if (n->parse.nr_lost != n->nr_lost_reported) {
		pr_info("nested vIOMMU: host dropped %llu event(s) (vEVENTQ full)",
			(unsigned long long)(n->parse.nr_lost - n->nr_lost_reported));
		viommu_report_lost(n->fmt->name, n->parse.nr_lost - n->nr_lost_reported, n->parse.nr_lost);
		n->nr_lost_reported = n->parse.nr_lost;
	}
	return true;
}

/*
 * per_hwpt formats, after the nest parent: an IOAS with nothing mapped and a HWPT on it, which a
 * device whose guest config blocks its DMA is attached to (its DMA faults on the host, where the
 * guest never sees it: the front-end records what the guest must see itself).
 */
static int make_blocked(struct viommu_nested *n, struct nested_dev *d, uint32_t ioas)
{
	int r = iommufd_ioas_alloc(n->iommufd, &n->blocked_ioas);

	if (r)
		goto err_parent;
	r = hwpt_alloc(n->iommufd, d->dev_id, n->blocked_ioas, pasid_flag(n), IOMMU_HWPT_DATA_NONE, NULL, 0,
		       &n->blocked_id, "blocked (empty IOAS)");
	if (r)
		goto err_ioas;
	n->have_viommu = true;
	n->host_msi_err = -ENOENT;      /* x86: interrupts are remapped, not translated as DMA */
	return 0;

err_ioas:
	iommufd_destroy(n->iommufd, n->blocked_ioas);
err_parent:
	n->blocked_ioas = 0;
	attach_pt(d, ioas);
	iommufd_destroy(n->iommufd, n->parent_id);
	return r;
}

/* The first device: stage 2 (nest parent) on the IOAS, the vIOMMU, the vEVENTQ. */
static int make_viommu(struct viommu_nested *n, struct nested_dev *d, uint32_t ioas)
{
	int r;

	r = hwpt_alloc(n->iommufd, d->dev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT | pasid_flag(n), IOMMU_HWPT_DATA_NONE,
		       NULL, 0, &n->parent_id, "nest parent (stage 2)");
	if (r)
		return r;
	r = attach_pt(d, n->parent_id);
	if (r)
		goto err_parent;
	if (n->fmt->per_hwpt)
		return make_blocked(n, d, ioas);
	r = viommu_obj_alloc(n->iommufd, n->fmt->viommu_type, d->dev_id, n->parent_id, &n->viommu_id);
	if (r)
		goto err_parent;
	r = veventq_alloc(n->iommufd, n->viommu_id, n->fmt->veventq_type, NESTED_EVENTQ_DEPTH,
			  &n->veventq_id, &n->veventq_fd);
	if (r)
		goto err_viommu;
	/* Owned by the VM's fd table: it crosses a live update (the queued events with it). */
	n->veventq_fd = fdtab_adopt(n->fds, n->veventq_fd, FD_IOMMUFD_EVENTQ, "viommu_nested", VIOMMU_NESTED_FD_NAME);
	if (n->veventq_fd < 0) {
		r = n->veventq_fd;
		goto err_eventq;
	}
	r = evloop_watch(n->loop, n->veventq_fd, veventq_ready, n, &n->watch);
	if (r) {
		err_num(r, "watching the vEVENTQ");
		goto err_eventq;
	}
	n->have_viommu = true;
	n->host_msi_err = resv_regions_vfio_msi(d->vfio_fd, &n->host_msi);
	return 0;

err_eventq:
	if (n->veventq_fd >= 0)
		fdtab_close(n->fds, n->veventq_fd);
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
	int r;

	if (n->nr_devs == NESTED_MAX_DEVS || find_dev(n, sid))
		return err_num(ENOSPC, "nested vIOMMU: device %u as %s 0x%x", dev_id, n->fmt->sid_name, sid);
	d = &n->dev[n->nr_devs];
	*d = (struct nested_dev){ .vfio_fd = vfio_fd, .dev_id = dev_id, .sid = sid };
	if (!n->have_viommu) {
		r = make_viommu(n, d, ioas);
	} else {
		/* Same stage 2 for all; a device of another host IOMMU instance is refused here. */
		r = attach_pt(d, n->parent_id);
	}
	if (r)
		return r;
	/* per_hwpt: no vIOMMU, no vDEVICE (the kernel knows the device by its nested HWPT). */
	r = n->fmt->per_hwpt ? 0 : vdevice_alloc(n->iommufd, n->viommu_id, dev_id, sid, &d->vdevice_id);
	if (r)
		goto err;
	if (n->iopf) {
		r = iopf_add_device(n->iopf, dev_id, sid, n->iopf_ops, n->iopf_fe);
		if (r)
			goto err_vdev;
	}
	/* Nothing translates until the guest says so (its vIOMMU is disabled and may abort). */
	r = dev_set_cfg(n, d, &abort_cfg);
	if (r)
		goto err_iopf;
	n->nr_devs++;
	return 0;

err_iopf:
	if (n->iopf)
		iopf_remove_device(n->iopf, sid);
err_vdev:
	if (d->vdevice_id)
		iommufd_destroy(n->iommufd, d->vdevice_id);
err:
	attach_pt(d, ioas);
	return r;
}

/* IOMMU_DESTROY where ENOENT is expected (the kernel freed it with its device): only other errors said. */
static void destroy_quiet(int iommufd, uint32_t id, const char *what);

void viommu_nested_remove_device(struct viommu *v, uint32_t sid)
{
	struct viommu_nested *n = to_nested(v);
	struct nested_dev *d = find_dev(n, sid);

	if (!d)
		return;
	/* Its page request groups are answered (the kernel answered what it held when the device left
	 * its HWPT; those writes find nothing, quietly). */
	if (n->iopf)
		iopf_remove_device(n->iopf, sid);
	/* The cdev is closed: unbinding detached it and may have freed its vDEVICE already. */
	if (d->vdevice_id)
		destroy_quiet(n->iommufd, d->vdevice_id, "vDEVICE");
	if (d->hwpt_id && d->own)
		destroy_quiet(n->iommufd, d->hwpt_id, "nested HWPT");
	*d = n->dev[--n->nr_devs];
	/* Its PASIDs' attachments went with the cdev too. */
	for (unsigned int i = 0; i < n->nr_pas;) {
		if (n->pas[i].sid != sid) {
			i++;
			continue;
		}
		if (n->pas[i].hwpt_id && n->pas[i].own)
			destroy_quiet(n->iommufd, n->pas[i].hwpt_id, "nested HWPT (PASID)");
		n->pas[i] = n->pas[--n->nr_pas];
	}
}

int viommu_nested_hw_info(struct viommu *v, void *buf, uint32_t len)
{
	struct viommu_nested *n = to_nested(v);
	uint32_t type;
	int r;

	if (!n->nr_devs)
		return -ENODEV;
	r = iommufd_hw_info(n->iommufd, n->dev[0].dev_id, buf, len, &type);
	if (r)
		return r;
	if (type != n->fmt->hw_info_type) {
		pr_err("--viommu %s: the assigned device's host IOMMU is not an %s (hw_info type %u)", n->fmt->name,
		       n->fmt->host_name, type);
		return -EOPNOTSUPP;
	}
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

void viommu_nested_set_iopf(struct viommu *v, struct iopf *f, const struct iopf_frontend *ops, void *fe)
{
	struct viommu_nested *n = to_nested(v);

	n->iopf = f;
	n->iopf_ops = ops;
	n->iopf_fe = fe;
}

void viommu_nested_set_unbatched(struct viommu *v, bool on)
{
	to_nested(v)->unbatched = on;
}

void viommu_nested_set_pasids(struct viommu *v, bool on)
{
	to_nested(v)->pasids = on;
}

unsigned int viommu_nested_nr_pasids(struct viommu *v)
{
	return to_nested(v)->nr_pas;
}

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
		pr_debug("nested vIOMMU: %llu guest invalidation batches, %llu %s forwarded in %llu "
			 "IOMMU_HWPT_INVALIDATE calls (%s)", (unsigned long long)v->nr_invalidate_calls,
			 (unsigned long long)n->nr_fwd_cmds, n->fmt->entries_name, (unsigned long long)n->nr_ioctls,
			 n->unbatched ? "one per call" : "batched");
	if (n->watch)
		evloop_unwatch(n->loop, n->watch);
	n->watch = NULL;
	/* Children first: vDEVICEs and nested HWPTs, then the vEVENTQ, the vIOMMU, the nest parent. The
	 * cdevs may be closed already (that detached them and may have freed their vDEVICEs). */
	for (unsigned int i = 0; i < n->nr_pas; i++)
		if (n->pas[i].hwpt_id && n->pas[i].own)
			destroy_quiet(n->iommufd, n->pas[i].hwpt_id, "nested HWPT (PASID)");
	n->nr_pas = 0;
	for (unsigned int i = 0; i < n->nr_devs; i++) {
		if (n->dev[i].vdevice_id)
			destroy_quiet(n->iommufd, n->dev[i].vdevice_id, "vDEVICE");
		if (n->dev[i].hwpt_id && n->dev[i].own)
			destroy_quiet(n->iommufd, n->dev[i].hwpt_id, "nested HWPT");
	}
	n->nr_devs = 0;
	if (n->veventq_fd >= 0) {
		fdtab_close(n->fds, n->veventq_fd);
		n->veventq_fd = -1;
	}
	if (n->have_viommu && n->fmt->per_hwpt) {
		/* The devices may still be attached to these (cdevs not closed yet): the kernel then
		 * refuses (EBUSY) and frees them with the iommufd. */
		destroy_quiet(n->iommufd, n->blocked_id, "blocked HWPT");
		destroy_quiet(n->iommufd, n->blocked_ioas, "blocked IOAS");
		destroy_quiet(n->iommufd, n->parent_id, "nest parent HWPT");
		n->have_viommu = false;
	} else if (n->have_viommu) {
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

static void nested_describe(struct viommu *v, json_object *o)
{
	struct viommu_nested *n = to_nested(v);
	json_object *ids = json_object_new_object(), *devs = json_object_new_array(), *c = json_object_new_object();

	/* 0: not allocated yet (the vIOMMU object comes with the first assigned device). */
	json_object_object_add(ids, "parent_hwpt", json_object_new_int64(n->parent_id));
	json_object_object_add(ids, "viommu", json_object_new_int64(n->have_viommu ? n->viommu_id : 0));
	json_object_object_add(ids, "veventq", json_object_new_int64(n->have_viommu ? n->veventq_id : 0));
	json_object_object_add(o, "iommufd", ids);
	for (unsigned int i = 0; i < n->nr_devs; i++) {
		json_object *d = json_object_new_object();

		json_object_object_add(d, "sid", json_object_new_int64(n->dev[i].sid));
		json_object_object_add(d, "dev_id", json_object_new_int64(n->dev[i].dev_id));
		json_object_object_add(d, "vdevice_id", json_object_new_int64(n->dev[i].vdevice_id));
		json_object_object_add(d, "nested_hwpt_id", json_object_new_int64(n->dev[i].hwpt_id));
		json_object_array_add(devs, d);
	}
	json_object_object_add(o, "devices", devs);
	if (n->pasids) {
		json_object *pas = json_object_new_array();

		for (unsigned int i = 0; i < n->nr_pas; i++) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "sid", json_object_new_int64(n->pas[i].sid));
			json_object_object_add(p, "pasid", json_object_new_int64(n->pas[i].pasid));
			json_object_object_add(p, "hwpt_id", json_object_new_int64(n->pas[i].hwpt_id));
			json_object_array_add(pas, p);
		}
		json_object_object_add(o, "pasids", pas);
	}
	json_object_object_add(c, "forwarded_commands", json_object_new_int64((int64_t)n->nr_fwd_cmds));
	json_object_object_add(c, "invalidation_ioctls", json_object_new_int64((int64_t)n->nr_ioctls));
	json_object_object_add(c, "lost_events", json_object_new_int64((int64_t)n->nr_lost_reported));
	json_object_object_add(o, "counters", c);
}

static const struct viommu_ops nested_ops = {
	.name = "nested",
	.describe = nested_describe,
	.attach = nested_attach,
	.attach_pasid = nested_attach_pasid,
	.detach = nested_detach,
	.invalidate = nested_invalidate,
	.translate = nested_translate,
	.destroy = nested_destroy,
};

struct viommu *viommu_nested_create(const struct viommu_nested_format *fmt, struct viommu *soft, int iommufd,
				    struct evloop *loop, struct fdtab *fds)
{
	struct viommu_nested *n = calloc(1, sizeof(*n));

	if (!n) {
		err_num(ENOMEM, "nested vIOMMU");
		viommu_destroy(soft);
		return NULL;
	}
	if (fmt->event_len > NESTED_EVENT_MAX || fmt->inval_len > VIOMMU_NESTED_ENTRY_MAX ||
	    (fmt->per_hwpt && !fmt->inval_matches)) {
		err_num(EINVAL, "nested vIOMMU: format %s", fmt->name);
		viommu_destroy(soft);
		free(n);
		return NULL;
	}
	n->v.ops = &nested_ops;
	n->fmt = fmt;
	snprintf(n->what_nested, sizeof(n->what_nested), "nested (%s)", fmt->cfg_name);
	n->soft = soft;
	n->iommufd = iommufd;
	n->loop = loop;
	n->fds = fds;
	n->veventq_fd = -1;
	return &n->v;
}

int viommu_nested_state_get(struct viommu *v, struct viommu_nested_saved *out)
{
	struct viommu_nested *n = to_nested(v);

	memset(out, 0, sizeof(*out));
	if (!n->have_viommu)
		return -ENODEV;
	out->parent_id = n->parent_id;
	out->viommu_id = n->viommu_id;
	out->veventq_id = n->veventq_id;
	out->blocked_ioas = n->blocked_ioas;
	out->blocked_id = n->blocked_id;
	out->next_seq = n->parse.next_seq;
	out->started = n->parse.started;
	out->nr_lost = n->parse.nr_lost;
	out->nr_lost_reported = n->nr_lost_reported;
	out->nr_devs = n->nr_devs;
	for (unsigned int i = 0; i < n->nr_devs; i++) {
		const struct nested_dev *d = &n->dev[i];
		struct viommu_nested_saved_dev *o = &out->dev[i];

		*o = (struct viommu_nested_saved_dev){ .dev_id = d->dev_id, .sid = d->sid, .vdevice_id = d->vdevice_id,
						       .hwpt_id = d->hwpt_id, .data_type = d->data_type,
						       .data_len = d->data_len };
		memcpy(o->data, d->data, d->data_len);
	}
	return 0;
}

/* The first adopted device: the objects every device shares, and the vEVENTQ's reader. */
static int adopt_objects(struct viommu_nested *n, const struct viommu_nested_saved *s, int vfio_fd, char *why,
			 size_t why_size)
{
	int fd, r;

	if (n->fmt->per_hwpt != (s->blocked_id != 0)) {
		snprintf(why, why_size, "nested vIOMMU: the saved objects are %s, the %s format has %s", s->blocked_id ?
			 "HWPTs only" : "a vIOMMU object", n->fmt->name, n->fmt->per_hwpt ? "HWPTs only" : "a vIOMMU object");
		return -EINVAL;
	}
	if (n->fmt->per_hwpt) {
		n->parent_id = s->parent_id;
		n->blocked_ioas = s->blocked_ioas;
		n->blocked_id = s->blocked_id;
		n->host_msi_err = -ENOENT;      /* as make_blocked */
		n->have_viommu = true;
		return 0;
	}
	fd = fdtab_lookup(n->fds, FD_IOMMUFD_EVENTQ, VIOMMU_NESTED_FD_NAME);
	if (fd < 0) {
		snprintf(why, why_size, "nested vIOMMU: the vEVENTQ fd was not handed over");
		return -ENOENT;
	}
	/* Before any read: events the host queued during the update are read by this process. */
	r = evloop_watch(n->loop, fd, veventq_ready, n, &n->watch);
	if (r) {
		snprintf(why, why_size, "nested vIOMMU: watching the handed-over vEVENTQ: %s", strerror(-r));
		return r;
	}
	n->veventq_fd = fd;
	n->parent_id = s->parent_id;
	n->viommu_id = s->viommu_id;
	n->veventq_id = s->veventq_id;
	n->parse = (struct veventq_parse){ .next_seq = s->next_seq, .started = s->started, .nr_lost = s->nr_lost };
	n->nr_lost_reported = s->nr_lost_reported;
	n->have_viommu = true;
	n->host_msi_err = resv_regions_vfio_msi(vfio_fd, &n->host_msi);
	return 0;
}

int viommu_nested_adopt_device(struct viommu *v, const struct viommu_nested_saved *s, int vfio_fd, uint32_t dev_id,
			       uint32_t sid, char *why, size_t why_size)
{
	struct viommu_nested *n = to_nested(v);
	const struct viommu_nested_saved_dev *o = NULL;
	struct nested_dev *d;
	int r;

	for (unsigned int i = 0; i < s->nr_devs; i++)
		if (s->dev[i].sid == sid)
			o = &s->dev[i];
	if (!o || o->dev_id != dev_id || n->nr_devs == NESTED_MAX_DEVS || find_dev(n, sid)) {
		snprintf(why, why_size, "nested vIOMMU: nothing saved for device %u as %s 0x%x", dev_id,
			 n->fmt->sid_name, sid);
		return -EINVAL;
	}
	if (!n->have_viommu) {
		r = adopt_objects(n, s, vfio_fd, why, why_size);
		if (r)
			return r;
	}
	d = &n->dev[n->nr_devs++];
	*d = (struct nested_dev){
		.vfio_fd = vfio_fd, .dev_id = dev_id, .sid = sid, .vdevice_id = o->vdevice_id, .hwpt_id = o->hwpt_id,
		.data_type = o->data_type, .data_len = o->data_len, .own = o->hwpt_id != 0, .kind = VIOMMU_CFG_S1,
	};
	/* per_hwpt: the nest parent (bypass) and the blocked HWPT are shared, never the device's to destroy.
	 * The tag (which invalidations concern it) comes with the stream's reload. */
	if (n->fmt->per_hwpt && (o->hwpt_id == n->parent_id || o->hwpt_id == n->blocked_id)) {
		d->own = false;
		d->kind = o->hwpt_id == n->parent_id ? VIOMMU_CFG_BYPASS : VIOMMU_CFG_ABORT;
	}
	memcpy(d->data, o->data, o->data_len);
	/* Its page requests go on reaching the guest (the FAULT object adopted before the devices). Whether
	 * the adopted HWPT carries the FAULT object is not saved: the stream's reload gives it one anew
	 * when the guest's config asks for it (one HWPT replacement). */
	if (n->iopf && iopf_add_device(n->iopf, dev_id, sid, n->iopf_ops, n->iopf_fe)) {
		n->nr_devs--;
		snprintf(why, why_size, "nested vIOMMU: device %u as %s 0x%x: no room for its page requests", dev_id,
			 n->fmt->sid_name, sid);
		return -ENOSPC;
	}
	pr_debug("nested vIOMMU: adopted device %u as %s 0x%x (vDEVICE %u, HWPT %u, vIOMMU %u)", dev_id,
		 n->fmt->sid_name, sid, o->vdevice_id, o->hwpt_id, n->viommu_id);
	return 0;
}

void viommu_nested_adopting(struct viommu *v, bool on)
{
	to_nested(v)->adopting = on;
}
