/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VM's iommufd context across a live update by re-exec (docs/liveupdate.md). The iommufd fd is
 * handed over (fdtab kind "iommufd"): its objects (the IOAS with guest RAM mapped from the RAM
 * memfds, the devices' HWPTs) stay alive in the kernel and keep translating DMA throughout. The new
 * process adopts them by id and moves the pinned-page accounting to itself:
 *
 *   "iommufd", instance 0, version 1, mandatory: u32 IOAS id, u32 number of mappings (at most
 *   GMEM_MAX_REGIONS), then per mapping u64 IOVA, u64 length (what iommufd_ctx_map_ram mapped, to
 *   be unmapped at teardown).
 *
 * IOMMU_IOAS_CHANGE_PROCESS (include/uapi/linux/iommufd.h, drivers/iommu/iommufd/ioas.c): charges
 * the pinned pages of every mapping in every IOAS of the context to the calling process (its mm
 * and user) and uncharges the previous owner; it accepts only IOMMU_IOAS_MAP_FILE mappings (EINVAL,
 * nothing changed, when any other exists). nestvm maps guest RAM only with MAP_FILE, so it applies.
 */
#ifndef NESTVM_IOMMUFD_STATE_H
#define NESTVM_IOMMUFD_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "iommu/iommufd.h"
#include "liveupdate/state_format.h"

#define IOMMUFD_STATE_TYPE "iommufd"
#define IOMMUFD_STATE_VERSION 1

struct iommufd_saved {
	uint32_t ioas_id;
	unsigned int nr_maps;
	struct iommufd_map map[GMEM_MAX_REGIONS];
};

int iommufd_state_save(const struct iommufd_ctx *c, struct lu_writer *w);
/* Pure: a non-zero IOAS id, at most GMEM_MAX_REGIONS non-empty, non-wrapping, page-aligned mappings. */
int iommufd_state_decode(const struct lu_section *s, struct iommufd_saved *out, char *why, size_t why_size);
/*
 * The new process: C (from iommufd_ctx_init) takes the handed-over FD (already registered in its
 * table) and the saved objects, then IOMMU_IOAS_CHANGE_PROCESS. Nothing is allocated, mapped or
 * attached: the kernel objects are the previous process's, untouched. -errno with WHY.
 */
int iommufd_ctx_adopt(struct iommufd_ctx *c, int fd, const struct iommufd_saved *saved, char *why, size_t why_size);
/*
 * The lowest object id free in C's iommufd context, into *ID: the leak count of live updates
 * (docs/liveupdate.md). iommufd numbers every object (IOAS, HWPT, device, vIOMMU, vDEVICE, vEVENTQ)
 * with xa_alloc on the context's xarray (drivers/iommu/iommufd/driver.c _iommufd_object_alloc,
 * xa_limit_31b; the xarray is XA_FLAGS_ALLOC1, main.c iommufd_fops_open), which hands out the lowest
 * free index, never cyclically; so an IOMMU_IOAS_ALLOC gets exactly that id, and IOMMU_DESTROY frees
 * it again. An object an update leaks (allocated and never destroyed while the fd crosses the exec)
 * takes that id or one below it, and the probe of a later update reads higher. Call before the
 * thread's seccomp filter (IOMMU_IOAS_ALLOC is not in the loop's). -errno: nothing is left behind
 * but an object IOMMU_DESTROY refused, which is reported.
 */
int iommufd_ctx_probe_free_id(const struct iommufd_ctx *c, uint32_t *id);

#endif
