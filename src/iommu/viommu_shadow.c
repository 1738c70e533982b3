// SPDX-License-Identifier: GPL-2.0-only
/* The shadow vIOMMU backend (see viommu_shadow.h). */
#include "iommu/viommu_shadow.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "iommu/hwpt.h"
#include "iommu/ioas_peers.h"
#include "iommu/iopf.h"
#include "iommu/iommufd.h"
#include "iommu/shadow_map.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

enum shadow_on {
	ON_RAM,                     /* the VM's guest-RAM IOAS (pass-through, and before any config) */
	ON_SHADOW,                  /* the device's own IOAS */
};

struct viommu_shadow;

struct shadow_dev {
	struct viommu_shadow *owner;
	int vfio_fd;                /* not ours: the vfio-pci model's cdev */
	uint32_t dev_id, sid, ram_ioas, ioas;
	enum shadow_on on;
	uint32_t pt;                /* what it is attached to: ram_ioas, ioas or fault_hwpt */
	/* While the guest's config asks for its page requests (cfg.iopf) and the backend has a page
	 * request service: a HWPT on ioas with the service's FAULT object, which it is attached to
	 * instead of ioas itself. 0: none. */
	uint32_t fault_hwpt;
	struct viommu_stream_cfg cfg;       /* kind ABORT until the front-end attaches */
	struct shadow_map map;
	bool map_error_said;
};

struct viommu_shadow {
	struct viommu v;
	struct viommu *soft;
	const struct guest_mem *mem;
	struct ioas_peers *peers;   /* assigned devices' BAR windows (P2P); NULL: none */
	int iommufd;
	uint64_t budget;            /* walks left in this guest register access */
	bool truncation_said;
	bool adopting;              /* a restore: attach records configs only (viommu_shadow_adopting) */
	uint64_t nr_syncs, nr_full_syncs;
	struct shadow_dev dev[SHADOW_MAX_DEVS];
	unsigned int nr_devs;
	struct iopf *iopf;          /* the I/O page fault service (viommu_shadow_set_iopf), or NULL */
	const struct iopf_frontend *iopf_ops;
	void *iopf_fe;
};

static struct viommu_shadow *to_shadow(struct viommu *v)
{
	return (struct viommu_shadow *)v;
}

static struct shadow_dev *find_dev(struct viommu_shadow *s, uint32_t sid)
{
	for (unsigned int i = 0; i < s->nr_devs; i++)
		if (s->dev[i].sid == sid)
			return &s->dev[i];
	return NULL;
}

static const struct gmem_region *ram_region(const struct guest_mem *mem, uint64_t gpa)
{
	for (unsigned int i = 0; i < mem->nr; i++) {
		const struct gmem_region *r = &mem->r[i];

		if (r->memfd >= 0 && gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

/* --- the sink: the device's IOAS --- */

/*
 * What GPA is to the sink: RAM (a region's memfd) or a peer device's BAR window (its dma-buf, in
 * the VM's IOAS while the BAR decodes: a guest IOVA pointing at a peer's BAR makes P2P DMA work
 * behind the vIOMMU). False: nothing mappable (an emulated device's MMIO, a hole).
 */
struct target {
	int fd;
	uint64_t off, extent;
	bool writable, is_ram;
};

static bool target_at(struct viommu_shadow *s, uint64_t gpa, struct target *t)
{
	const struct gmem_region *r = ram_region(s->mem, gpa);
	struct ioas_peer w;

	if (r) {
		*t = (struct target){ .fd = r->memfd, .off = gpa - r->gpa, .extent = r->gpa + r->size - gpa, .writable = true,
				     .is_ram = true };
		return true;
	}
	if (s->peers && ioas_peers_find(s->peers, gpa, &w)) {
		*t = (struct target){ .fd = w.fd, .off = gpa - w.gpa, .extent = w.gpa + w.size - gpa, .writable = w.writable };
		return true;
	}
	return false;
}

static uint64_t sink_extent(void *opaque, uint64_t gpa)
{
	struct shadow_dev *d = opaque;
	struct target t;

	return target_at(d->owner, gpa, &t) ? t.extent : 0;
}

/* Guest-caused failures (an IOVA in a host reserved range, beyond the host's aperture) would flood
 * the log: the first one per device is said, the rest are counted (vm.viommu) and debug lines. */
static void sink_failed(struct shadow_dev *d, const char *what, uint64_t iova, uint64_t len)
{
	if (!d->map_error_said) {
		d->map_error_said = true;
		pr_err("shadow vIOMMU: %s of guest IOVA 0x%" PRIx64 "+0x%" PRIx64 " for device %u failed: %s (DMA there "
		       "is blocked; further failures are counted in vm.viommu)", what, iova, len, d->dev_id, strerror(errno));
	} else {
		pr_debug("shadow vIOMMU: %s of IOVA 0x%" PRIx64 "+0x%" PRIx64 ": %s", what, iova, len, strerror(errno));
	}
}

static int sink_map(void *opaque, uint64_t iova, uint64_t gpa, uint64_t len, bool writable)
{
	struct shadow_dev *d = opaque;
	struct iommu_ioas_map_file m = {
		.size = sizeof(m),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = d->ioas,
		.iova = iova,
		.length = len,
	};
	struct target t;

	/* shadow_map ends runs where targets end, and a window that went since is unmapped by GPA
	 * (viommu_shadow_peers_changed) before any sync: not reached. */
	if (!target_at(d->owner, gpa, &t) || len > t.extent)
		return -EFAULT;
	m.fd = t.fd;
	m.start = t.off;
	if (writable && t.writable)
		m.flags |= IOMMU_IOAS_MAP_WRITEABLE;
	if (ioctl(d->owner->iommufd, IOMMU_IOAS_MAP_FILE, &m)) {
		int e = -errno;

		sink_failed(d, "IOMMU_IOAS_MAP_FILE", iova, len);
		return e;
	}
	if (!t.is_ram)
		pr_debug("shadow vIOMMU: device %u: IOVA 0x%" PRIx64 "+0x%" PRIx64 " -> peer BAR window at 0x%" PRIx64 "%s",
			 d->dev_id, iova, len, gpa, m.flags & IOMMU_IOAS_MAP_WRITEABLE ? "" : " (read-only)");
	return 0;
}

static int sink_unmap(void *opaque, uint64_t iova, uint64_t len)
{
	struct shadow_dev *d = opaque;
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = d->ioas, .iova = iova, .length = len };

	if (ioctl(d->owner->iommufd, IOMMU_IOAS_UNMAP, &u)) {
		int e = -errno;

		sink_failed(d, "IOMMU_IOAS_UNMAP", iova, len);
		return e;
	}
	return 0;
}

static const struct shadow_sink_ops sink_ops = {
	.map = sink_map,
	.unmap = sink_unmap,
	.extent = sink_extent,
};

/* --- syncing --- */

static int attach_pt(struct shadow_dev *d, uint32_t pt_id, enum shadow_on on)
{
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt_id };

	if (d->pt == pt_id)
		return 0;
	/* On an attached device this replaces the domain without a window of no translation. */
	if (ioctl(d->vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a))
		return err_errno("shadow vIOMMU: VFIO_DEVICE_ATTACH_IOMMUFD_PT of device %u to %u", d->dev_id, pt_id);
	d->on = on;
	d->pt = pt_id;
	return 0;
}

/*
 * D onto its own IOAS: through a HWPT with the FAULT object when FAULT (its page requests then
 * reach the service: the guest enabled PRI and its context entry asks for them), else the IOAS
 * itself; the HWPT goes once D is off it. A HWPT the kernel refuses leaves D on the IOAS (said).
 */
static int onto_shadow(struct viommu_shadow *s, struct shadow_dev *d, bool fault)
{
	uint32_t old = d->fault_hwpt;
	int r;

	fault = fault && s->iopf;
	if (fault && !d->fault_hwpt &&
	    hwpt_alloc_fault(s->iommufd, d->dev_id, d->ioas, IOMMU_HWPT_FAULT_ID_VALID, iopf_fault_id(s->iopf),
			     IOMMU_HWPT_DATA_NONE, NULL, 0, &d->fault_hwpt, "shadow (page requests)"))
		d->fault_hwpt = 0;
	if (!fault)
		d->fault_hwpt = 0;
	r = attach_pt(d, d->fault_hwpt ? d->fault_hwpt : d->ioas, ON_SHADOW);
	if (r && d->fault_hwpt != old) {
		/* Refused: D stays where it was, the new HWPT goes, the old one stays D's. */
		if (d->fault_hwpt)
			iommufd_destroy(s->iommufd, d->fault_hwpt);
		d->fault_hwpt = old;
		return r;
	}
	if (old && old != d->fault_hwpt && d->pt != old)
		iommufd_destroy(s->iommufd, old);
	return r;
}

/* D back on guest RAM (bypass): a HWPT for its page requests is no longer needed. */
static int onto_ram(struct viommu_shadow *s, struct shadow_dev *d)
{
	int r = attach_pt(d, d->ram_ioas, ON_RAM);

	if (!r && d->fault_hwpt) {
		iommufd_destroy(s->iommufd, d->fault_hwpt);
		d->fault_hwpt = 0;
	}
	return r;
}

/* [START, END) (END 0: everything) of D made equal to the guest's tables. */
static int sync(struct viommu_shadow *s, struct shadow_dev *d, uint64_t start, uint64_t end)
{
	struct shadow_walk w = {
		.ops = d->cfg.walker, .cfg = &d->cfg.s1, .rd = gmem_read_desc, .rd_opaque = (void *)s->mem,
	};
	int r;

	s->nr_syncs++;
	if (!start && !end)
		s->nr_full_syncs++;
	r = shadow_map_sync(&d->map, &w, start, end, &s->budget);
	if (r == -E2BIG && !s->truncation_said) {
		s->truncation_said = true;
		pr_info("shadow vIOMMU: one guest access needed more than %u table walks; the rest of what it "
			"invalidated is unmapped (DMA there blocked until the guest invalidates it again)",
			SHADOW_WALK_BUDGET);
	}
	return r;
}

static int shadow_attach(struct viommu *v, uint32_t sid, const struct viommu_stream_cfg *cfg)
{
	struct viommu_shadow *s = to_shadow(v);
	struct shadow_dev *d = find_dev(s, sid);
	int r;

	/* The software backend keeps every stream's config: emulated DMA goes through it. */
	r = viommu_attach(s->soft, sid, cfg);
	if (r || !d)
		return r;
	d->cfg = *cfg;
	if (s->adopting)
		return 0;
	switch (cfg->kind) {
	case VIOMMU_CFG_BYPASS:
		/* All of guest RAM at IOVA == GPA is the VM's IOAS: nothing to copy. */
		r = onto_ram(s, d);
		if (!r)
			shadow_map_clear(&d->map);
		return r;
	case VIOMMU_CFG_ABORT:
		shadow_map_clear(&d->map);
		return onto_shadow(s, d, false);
	case VIOMMU_CFG_S1:
		break;
	}
	/* The whole space, diffed against what is mapped (a changed config keeps what still holds):
	 * mapped before the device moves over, so it never sees a half-built space. */
	r = sync(s, d, 0, 0);
	if (r && r != -E2BIG)
		pr_debug("shadow vIOMMU: syncing stream %#x: %d", sid, r);
	r = onto_shadow(s, d, cfg->iopf);
	if (r && d->on == ON_RAM) {
		/* The IOAS refused the device (the guest mapped an IOVA the device reserves, which the
		 * IOAS learns only at attach): it must not stay on guest RAM untranslated. Emptied, the
		 * IOAS takes it; the guest's next invalidations map again (those IOVAs fail, counted). */
		shadow_map_clear(&d->map);
		r = onto_shadow(s, d, cfg->iopf);
	}
	return r;
}

static void shadow_detach(struct viommu *v, uint32_t sid)
{
	struct viommu_shadow *s = to_shadow(v);
	struct shadow_dev *d = find_dev(s, sid);

	if (s->soft->ops->detach)
		s->soft->ops->detach(s->soft, sid);
	if (d) {
		d->cfg = (struct viommu_stream_cfg){ .kind = VIOMMU_CFG_ABORT };
		shadow_map_clear(&d->map);
		onto_shadow(s, d, false);
	}
}

/* Does INV cover D's translation (requests without PASID)? Ranges are in the walker's input
 * addresses (VT-d: IOVAs). */
static bool covers(const struct viommu_inval *inv, const struct shadow_dev *d)
{
	return d->cfg.kind == VIOMMU_CFG_S1 && viommu_inval_covers(inv, d->cfg.tag, 0);
}

static int shadow_invalidate(struct viommu *v, const struct viommu_inval *inv, unsigned int nr, unsigned int *done)
{
	struct viommu_shadow *s = to_shadow(v);
	unsigned int sdone = 0;
	int r;

	r = viommu_invalidate(s->soft, inv, nr, &sdone);
	if (r) {
		if (done)
			*done = sdone;
		return r;
	}
	for (unsigned int i = 0; i < nr; i++) {
		bool range = inv[i].kind == VIOMMU_INV_VA || inv[i].kind == VIOMMU_INV_VAA;
		uint64_t end = inv[i].iova + inv[i].size;

		for (unsigned int j = 0; j < s->nr_devs; j++) {
			if (!covers(&inv[i], &s->dev[j]))
				continue;
			/* A range reaching the top of the space (END wrapped to 0) syncs to its end. */
			if (range && inv[i].size)
				sync(s, &s->dev[j], inv[i].iova, end);
			else if (!range)
				sync(s, &s->dev[j], 0, 0);
		}
	}
	if (done)
		*done = nr;
	return 0;
}

static int shadow_translate(struct viommu *v, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out,
			    struct viommu_fault *fault)
{
	struct viommu_shadow *s = to_shadow(v);

	return s->soft->ops->translate(s->soft, sid, iova, write, out, fault);
}

static void shadow_begin_access(struct viommu *v)
{
	to_shadow(v)->budget = SHADOW_WALK_BUDGET;
}

void viommu_shadow_peers_changed(struct viommu *v, uint64_t gpa, uint64_t size)
{
	struct viommu_shadow *s = to_shadow(v);
	struct ioas_peer w;
	bool there = s->peers && ioas_peers_find(s->peers, gpa, &w);

	s->budget = SHADOW_WALK_BUDGET;
	for (unsigned int i = 0; i < s->nr_devs; i++) {
		struct shadow_dev *d = &s->dev[i];
		size_t gone = d->map.nr;

		if (d->cfg.kind != VIOMMU_CFG_S1)
			continue;
		/* Whatever was mapped to the old window is dead (iommufd zapped it at the revoke). */
		shadow_map_unmap_gpa(&d->map, gpa, size);
		gone -= d->map.nr;
		/* A new one: which IOVAs point at it only the guest's tables know. */
		if (there)
			sync(s, d, 0, 0);
		pr_debug("shadow vIOMMU: device %u: peer BAR window 0x%" PRIx64 "+0x%" PRIx64 " %s: %zu area(s) unmapped%s",
			 d->dev_id, gpa, size, there ? "came" : "went", gone, there ? ", the space synced again" : "");
	}
}

int viommu_shadow_add_device(struct viommu *v, int vfio_fd, uint32_t dev_id, uint32_t ram_ioas, uint32_t sid)
{
	struct viommu_shadow *s = to_shadow(v);
	struct shadow_dev *d;
	int r;

	if (s->nr_devs == SHADOW_MAX_DEVS || find_dev(s, sid))
		return err_num(ENOSPC, "shadow vIOMMU: device %u as stream 0x%x", dev_id, sid);
	d = &s->dev[s->nr_devs];
	*d = (struct shadow_dev){
		.owner = s, .vfio_fd = vfio_fd, .dev_id = dev_id, .sid = sid, .ram_ioas = ram_ioas, .on = ON_RAM,
		.pt = ram_ioas, .cfg = { .kind = VIOMMU_CFG_BYPASS },
	};
	r = iommufd_ioas_alloc(s->iommufd, &d->ioas);
	if (r)
		return r;
	if (s->iopf && (r = iopf_add_device(s->iopf, dev_id, sid, s->iopf_ops, s->iopf_fe))) {
		iommufd_destroy(s->iommufd, d->ioas);
		return r;
	}
	shadow_map_init(&d->map, &sink_ops, d);
	s->nr_devs++;
	return 0;
}

void viommu_shadow_remove_device(struct viommu *v, uint32_t sid)
{
	struct viommu_shadow *s = to_shadow(v);
	struct shadow_dev *d = find_dev(s, sid);

	if (!d)
		return;
	if (s->iopf)
		iopf_remove_device(s->iopf, sid);
	/* The cdev is closed (that detached it): its HWPT and IOAS can go. */
	if (d->fault_hwpt)
		iommufd_destroy(s->iommufd, d->fault_hwpt);
	iommufd_destroy(s->iommufd, d->ioas);
	shadow_map_fini(&d->map);
	*d = s->dev[--s->nr_devs];
	d->map.sink_opaque = d;     /* the sink is the device's slot, which moved */
}

void viommu_shadow_release(struct viommu *v)
{
	struct viommu_shadow *s = to_shadow(v);

	if (s->nr_devs)
		pr_debug("shadow vIOMMU: %llu syncs (%llu of whole spaces)", (unsigned long long)s->nr_syncs,
			 (unsigned long long)s->nr_full_syncs);
	/* The cdevs are closed (that detached them): destroying an IOAS drops its mappings. */
	for (unsigned int i = 0; i < s->nr_devs; i++) {
		if (s->dev[i].fault_hwpt)
			iommufd_destroy(s->iommufd, s->dev[i].fault_hwpt);
		iommufd_destroy(s->iommufd, s->dev[i].ioas);
		shadow_map_fini(&s->dev[i].map);
	}
	s->nr_devs = 0;
}

void viommu_shadow_set_iopf(struct viommu *v, struct iopf *f, const struct iopf_frontend *ops, void *fe)
{
	struct viommu_shadow *s = to_shadow(v);

	s->iopf = f;
	s->iopf_ops = ops;
	s->iopf_fe = fe;
}

int viommu_shadow_state_save(struct viommu *v, struct lu_writer *w)
{
	struct viommu_shadow *s = to_shadow(v);
	struct viommu_shadow_saved *sv = calloc(1, sizeof(*sv));
	int r;

	if (!sv)
		return err_num(ENOMEM, "shadow vIOMMU: saving its state");
	sv->nr_devs = s->nr_devs;
	for (unsigned int i = 0; i < s->nr_devs; i++) {
		const struct shadow_dev *d = &s->dev[i];

		/* Not in the state (yet): refused, the VM keeps running as it is. */
		if (d->fault_hwpt) {
			free(sv);
			return err_num(EBUSY, "shadow vIOMMU: device %u's page requests (its guest enabled PRI) do not "
					      "cross a live update yet", d->dev_id);
		}
		sv->dev[i] = (struct viommu_shadow_saved_dev){
			.dev_id = d->dev_id, .sid = d->sid, .ioas = d->ioas, .on_shadow = d->on == ON_SHADOW,
			.nr_areas = (uint32_t)d->map.nr, .areas = d->map.a,
		};
		if (d->map.nr > SHADOW_STATE_MAX_AREAS) {
			free(sv);
			return err_num(E2BIG, "shadow vIOMMU: device %u has %zu areas mapped, a state holds %u", d->dev_id,
				       d->map.nr, SHADOW_STATE_MAX_AREAS);
		}
	}
	sv->nr_syncs = s->nr_syncs;
	sv->nr_full_syncs = s->nr_full_syncs;
	r = viommu_shadow_state_put(w, sv);
	free(sv);           /* the areas are the maps' own */
	return r;
}

int viommu_shadow_adopt_device(struct viommu *v, const struct viommu_shadow_saved *sv, int vfio_fd, uint32_t dev_id,
			       uint32_t ram_ioas, uint32_t sid, char *why, size_t why_size)
{
	struct viommu_shadow *s = to_shadow(v);
	const struct viommu_shadow_saved_dev *o = NULL;
	struct shadow_dev *d;
	int r;

	for (uint32_t i = 0; i < sv->nr_devs; i++)
		if (sv->dev[i].sid == sid)
			o = &sv->dev[i];
	if (!o || o->dev_id != dev_id) {
		snprintf(why, why_size, "shadow vIOMMU: device %u as stream 0x%x was not saved%s", dev_id, sid,
			 o ? " (another iommufd device has that stream)" : "");
		return -EINVAL;
	}
	if (s->nr_devs == SHADOW_MAX_DEVS || find_dev(s, sid)) {
		snprintf(why, why_size, "shadow vIOMMU: device %u as stream 0x%x twice", dev_id, sid);
		return -EINVAL;
	}
	d = &s->dev[s->nr_devs];
	*d = (struct shadow_dev){
		.owner = s, .vfio_fd = vfio_fd, .dev_id = dev_id, .sid = sid, .ram_ioas = ram_ioas, .ioas = o->ioas,
		.on = o->on_shadow ? ON_SHADOW : ON_RAM, .pt = o->on_shadow ? o->ioas : ram_ioas,
		.cfg = { .kind = VIOMMU_CFG_ABORT },
	};
	shadow_map_init(&d->map, &sink_ops, d);
	r = shadow_map_load(&d->map, o->areas, o->nr_areas);
	if (r) {
		shadow_map_fini(&d->map);
		snprintf(why, why_size, "shadow vIOMMU: device %u's %u areas: %s", dev_id, o->nr_areas, strerror(-r));
		return r;
	}
	s->nr_devs++;
	/* Counters go on from where they were; the last device adopted sets them (all carry the same). */
	s->nr_syncs = sv->nr_syncs;
	s->nr_full_syncs = sv->nr_full_syncs;
	pr_debug("shadow vIOMMU: adopted device %u as stream 0x%x (IOAS %u, %s, %u areas)", dev_id, sid, o->ioas,
		 o->on_shadow ? "its IOAS" : "guest RAM", o->nr_areas);
	return 0;
}

void viommu_shadow_adopting(struct viommu *v, bool on)
{
	to_shadow(v)->adopting = on;
}

static void shadow_destroy(struct viommu *v)
{
	struct viommu_shadow *s = to_shadow(v);

	viommu_shadow_release(v);
	viommu_destroy(s->soft);
	free(s);
}

static void shadow_describe(struct viommu *v, json_object *o)
{
	struct viommu_shadow *s = to_shadow(v);
	json_object *devs = json_object_new_array(), *c = json_object_new_object();
	uint64_t maps = 0, unmaps = 0, walks = 0, cut = 0, errs = 0;

	for (unsigned int i = 0; i < s->nr_devs; i++) {
		struct shadow_dev *d = &s->dev[i];
		json_object *j = json_object_new_object();

		json_object_object_add(j, "sid", json_object_new_int64(d->sid));
		json_object_object_add(j, "dev_id", json_object_new_int64(d->dev_id));
		json_object_object_add(j, "ioas_id", json_object_new_int64(d->ioas));
		json_object_object_add(j, "attached_to", json_object_new_string(d->on == ON_RAM ? "guest-ram" : "shadow"));
		json_object_object_add(j, "areas", json_object_new_int64((int64_t)d->map.nr));
		json_object_array_add(devs, j);
		maps += d->map.nr_maps;
		unmaps += d->map.nr_unmaps;
		walks += d->map.nr_walks;
		cut += d->map.nr_truncated;
		errs += d->map.nr_errors;
	}
	json_object_object_add(o, "devices", devs);
	json_object_object_add(c, "syncs", json_object_new_int64((int64_t)s->nr_syncs));
	json_object_object_add(c, "map_calls", json_object_new_int64((int64_t)maps));
	json_object_object_add(c, "unmap_calls", json_object_new_int64((int64_t)unmaps));
	json_object_object_add(c, "table_walks", json_object_new_int64((int64_t)walks));
	json_object_object_add(c, "truncated_syncs", json_object_new_int64((int64_t)cut));
	json_object_object_add(c, "failed_calls", json_object_new_int64((int64_t)errs));
	json_object_object_add(o, "counters", c);
}

static const struct viommu_ops shadow_ops = {
	.name = "shadow",
	.describe = shadow_describe,
	.attach = shadow_attach,
	.detach = shadow_detach,
	.invalidate = shadow_invalidate,
	.translate = shadow_translate,
	.destroy = shadow_destroy,
	.begin_access = shadow_begin_access,
};

struct viommu *viommu_shadow_create(struct viommu *soft, const struct guest_mem *mem, struct ioas_peers *peers,
				    int iommufd)
{
	struct viommu_shadow *s = calloc(1, sizeof(*s));

	if (!s) {
		err_num(ENOMEM, "shadow vIOMMU");
		viommu_destroy(soft);
		return NULL;
	}
	s->v.ops = &shadow_ops;
	s->soft = soft;
	s->mem = mem;
	s->peers = peers;
	s->iommufd = iommufd;
	s->budget = SHADOW_WALK_BUDGET;
	return &s->v;
}
