/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The shadow vIOMMU backend, for assigned devices when the host IOMMU cannot nest: each device gets
 * an IOAS of its own, which nestvm keeps equal to the guest's translation of the device's stream -
 * guest IOVA -> guest physical by walking the guest's tables (the stream config's pgwalk_ops, as
 * the software backend does), guest physical -> RAM memfd offset, or a peer device's BAR dma-buf
 * (ioas_peers.h: P2P DMA behind the vIOMMU), with IOMMU_IOAS_MAP_FILE. It is
 * correct only when the guest invalidates every change, including not-present -> present: the
 * front-end offers caching mode (VT-d CAP.CM = 1, spec 6.1) and a page-table format the guest
 * then invalidates on map (VT-d: second stage). Then:
 *   - attach (the guest set up or changed a context / PASID entry, which the front-end loads
 *     eagerly for assigned streams): translated -> the whole input space is synced (only what
 *     changed reaches the kernel) and the device is attached to its IOAS; pass-through -> the
 *     device is attached to the VM's guest-RAM IOAS (all RAM at IOVA == GPA, nothing to copy);
 *     abort -> its IOAS, emptied;
 *   - invalidate: page-selective -> that range of every device whose config has the tag, domain
 *     (tag) and global -> the whole space of those devices.
 * Each front-end register access gets a budget of table walks (viommu_begin_access); past it the
 * rest of a sync is unmapped rather than left stale (shadow_map.h), counted and said once.
 * Streams of emulated devices go to the wrapped software backend. A DMA to an IOVA the shadow has
 * not mapped is blocked by the host IOMMU (the host reports it; the guest hears nothing).
 */
#ifndef NESTVM_VIOMMU_SHADOW_H
#define NESTVM_VIOMMU_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/shadow_map.h"
#include "iommu/viommu.h"

struct ioas_peers;
struct lu_section;
struct lu_writer;

#define SHADOW_MAX_DEVS 16

/* Table walks one guest register access may cause (about 1 GiB of 4 KiB mappings). */
#define SHADOW_WALK_BUDGET (1u << 18)

/* Wraps SOFT (owned from now on, also on failure) for the devices of IOMMUFD, whose RAM is MEM and
 * whose peer BAR windows are PEERS (may be NULL). */
struct viommu *viommu_shadow_create(struct viommu *soft, const struct guest_mem *mem, struct ioas_peers *peers,
				    int iommufd);
/*
 * A peer window at [GPA, GPA+SIZE) came or went (ioas_peers listener; the front-end's lock held):
 * every translated device's areas there are unmapped (a revoked dma-buf's mappings are dead), and
 * if a window is there now, each device's whole space is synced again (bounded by the walk budget).
 */
void viommu_shadow_peers_changed(struct viommu *v, uint64_t gpa, uint64_t size);
/*
 * Puts the bound device DEV_ID (its VFIO cdev VFIO_FD, attached to RAM_IOAS: guest RAM at
 * IOVA == GPA) behind the vIOMMU as stream SID: allocates its IOAS. The device stays on RAM_IOAS
 * until the front-end attaches the stream. Unwinds on failure.
 */
int viommu_shadow_add_device(struct viommu *v, int vfio_fd, uint32_t dev_id, uint32_t ram_ioas, uint32_t sid);
/* A hot-removed device (its cdev closed): its IOAS goes; the stream stays known, with nothing behind it. */
void viommu_shadow_remove_device(struct viommu *v, uint32_t sid);
/* Destroys the devices' IOASes (after their cdevs closed, before the iommufd does). */
void viommu_shadow_release(struct viommu *v);
/*
 * The I/O page fault service F (iopf.h) with front-end OPS/FE: each assigned device is registered as
 * its stream, and a device whose config has `iopf` is attached to a HWPT on its IOAS allocated with
 * F's FAULT object (IOMMU_HWPT_FAULT_ID_VALID) instead of the IOAS: the host's page requests for
 * what the shadow lacks reach the guest, whose answer maps it (caching mode: its invalidation syncs
 * the shadow) before the function retries. Before the first device; F outlives the devices.
 */
struct iopf;
struct iopf_frontend;
void viommu_shadow_set_iopf(struct viommu *v, struct iopf *f, const struct iopf_frontend *ops, void *fe);

/*
 * Live update by re-exec (docs/liveupdate.md). The devices' IOASes stay alive in the handed-over
 * iommufd, each device attached where the previous process left it; the new process adopts them by
 * id with the areas mapped in them, so nothing is mapped, unmapped or attached by the update and
 * DMA never stops. The guest's stream configs come back from the front-end's restored registers
 * (viommu_shadow_adopting: recorded, not synced, since what is mapped is already what the guest
 * last invalidated).
 *
 *   "viommu-shadow", instance 0, version 1, mandatory: u32 devices (at most 16), each u32 iommufd
 *   device id, u32 guest stream id, u32 its IOAS id, u8 attached to 0 the guest-RAM IOAS / 1 its
 *   IOAS, u32 areas (at most SHADOW_STATE_MAX_AREAS), each u64 IOVA, u64 length, u64 guest
 *   physical address, u8 writable; then u64 syncs, u64 syncs of whole spaces.
 */
#define VIOMMU_SHADOW_STATE_TYPE "viommu-shadow"
#define VIOMMU_SHADOW_STATE_VERSION 1
#define SHADOW_STATE_MAX_AREAS (1u << 22)   /* 16 GiB of guest IOVA space in 4 KiB pieces, per device */

struct viommu_shadow_saved {
	uint32_t nr_devs;
	struct viommu_shadow_saved_dev {
		uint32_t dev_id, sid, ioas;
		bool on_shadow;             /* attached to its IOAS (else to the guest-RAM IOAS) */
		uint32_t nr_areas;
		struct shadow_area *areas;  /* sorted by IOVA, disjoint (decode checked) */
	} dev[SHADOW_MAX_DEVS];
	uint64_t nr_syncs, nr_full_syncs;
};

/* V's section (VM paused, the front-end's lock held or no vCPU running). 0 or -errno (reported). */
int viommu_shadow_state_save(struct viommu *v, struct lu_writer *w);
/* Writes S as the section (viommu_shadow_state.c). 0 or -errno. */
int viommu_shadow_state_put(struct lu_writer *w, const struct viommu_shadow_saved *s);
/* Pure: counts bounded, ids non-zero and distinct, areas page-aligned, sorted, disjoint, none on
 * a device attached to guest RAM. -EINVAL with WHY, -ENOMEM; OUT freed on failure too. */
int viommu_shadow_state_decode(const struct lu_section *sec, struct viommu_shadow_saved *out, char *why,
			       size_t why_size);
void viommu_shadow_saved_free(struct viommu_shadow_saved *s);
/*
 * The new process, instead of viommu_shadow_add_device: device DEV_ID (its handed-over cdev VFIO_FD)
 * as stream SID takes its saved IOAS, attachment and areas from S. Nothing is allocated, mapped or
 * attached: on failure (WHY) the previous binary takes the objects back as they are.
 */
int viommu_shadow_adopt_device(struct viommu *v, const struct viommu_shadow_saved *s, int vfio_fd, uint32_t dev_id,
			       uint32_t ram_ioas, uint32_t sid, char *why, size_t why_size);
/*
 * While ON (a restore, until the front-end's registers are back and its streams reloaded), an
 * attach records the stream's config and leaves the device, its IOAS and its areas as they are.
 */
void viommu_shadow_adopting(struct viommu *v, bool on);

#endif
