/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The iommufd context (/dev/iommu) and the object calls every object kind shares. Object kinds get a
 * file each (ioas.c, hwpt.c, viommu_obj.c, vdevice.c, veventq.c), like drivers/iommu/iommufd.
 *
 * struct iommufd_ctx is what a VM owns for device assignment: one iommufd, one IOAS holding all of
 * guest RAM at IOVA == GPA (mapped from the RAM memfds with IOMMU_IOAS_MAP_FILE), torn down in
 * reverse by iommufd_ctx_close. VFIO devices bind to ctx->fd and attach to ctx->ioas_id.
 */
#ifndef NESTVM_IOMMUFD_H
#define NESTVM_IOMMUFD_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/ioas_peers.h"
#include "vmm/guest_mem.h"

struct fdtab;

/* Opens /dev/iommu (O_RDWR|O_CLOEXEC); returns the fd or -errno, reported with a hint. */
int iommufd_open(void);
/* IOMMU_DESTROY of object ID; -errno on failure (reported). */
int iommufd_destroy(int iommufd, uint32_t id);
/* IOMMU_IOAS_ALLOC: a new I/O address space; its id in *ioas_id. */
int iommufd_ioas_alloc(int iommufd, uint32_t *ioas_id);

struct iommufd_map {
	uint64_t iova, len;
};

struct iommufd_ctx {
	int fd;                 /* -1: not open; registered in FDS (FD_IOMMUFD "iommufd") */
	struct fdtab *fds;      /* the VM's fd table; NULL: the fd is ours alone */
	bool has_ioas;
	uint32_t ioas_id;
	struct iommufd_map map[GMEM_MAX_REGIONS];   /* what iommufd_ctx_map_ram mapped, for unwinding */
	unsigned int nr_maps;
	struct ioas_peers peers;    /* assigned devices' BAR windows in the IOAS (vfio_pci_p2p.c) */
};

/* A closed context (fd -1) whose fd will belong to FDS (may be NULL): safe to iommufd_ctx_close. */
void iommufd_ctx_init(struct iommufd_ctx *c, struct fdtab *fds);
/*
 * On a context from iommufd_ctx_init: opens /dev/iommu, or adopts PASSED_FD (>= 0, --iommufd fd=N:
 * then owned and closed by iommufd_ctx_close too), and allocates the IOAS. Unwinds on failure.
 */
int iommufd_ctx_open(struct iommufd_ctx *c, int passed_fd);
/*
 * Maps every RAM region of GM at IOVA == GPA from its memfd. Call after the devices are attached:
 * only then does IOMMU_IOAS_IOVA_RANGES report their reserved ranges (e.g. the MSI window). RAM
 * overlapping a reserved range is refused with one error naming both; nothing stays mapped on
 * failure.
 */
int iommufd_ctx_map_ram(struct iommufd_ctx *c, const struct guest_mem *gm);
/* Unmaps, destroys the IOAS and closes the fd; every step is reported if it fails. */
void iommufd_ctx_close(struct iommufd_ctx *c);

#endif
