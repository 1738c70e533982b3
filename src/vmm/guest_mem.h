/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest RAM: memfd-backed regions (size sealed, MAP_SHARED), registered as KVM memslots.
 * memfd because iommufd maps the same pages with IOMMU_IOAS_MAP_FILE (VA-independent) and live
 * update preserves them by fd. Every guest-physical access from device models goes through
 * gmem_ptr(), which bounds-checks the whole [gpa, gpa+len) range against one region.
 */
#ifndef NESTVM_GUEST_MEM_H
#define NESTVM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 8

struct fdtab;

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	int memfd;          /* owned (registered in gm->fds); -1 for regions that are not RAM-backed by us */
	uint32_t slot;      /* KVM memslot id */
};

struct guest_mem {
	struct gmem_region r[GMEM_MAX_REGIONS];
	unsigned int nr;
	/* The VM's fd table, owner of the memfds (FD_GUEST_RAM "ram@GPA"); NULL: they are ours alone. */
	struct fdtab *fds;
};

/* Creates a memfd of SIZE (hugetlb if asked), seals its size, maps it shared, records it at GPA. */
int gmem_add_ram(struct guest_mem *gm, uint64_t gpa, uint64_t size, bool hugepages);
/*
 * Live update, in the new process: records the handed-over RAM memfd FD (already registered in
 * gm->fds) at GPA, after checking it is SIZE bytes with its size sealed, and maps it shared.
 * FROM_LUO: a memfd LUO gave back after a kexec, which cannot be sealed (F_SEAL_SEAL is required).
 */
int gmem_adopt_ram(struct guest_mem *gm, uint64_t gpa, uint64_t size, int fd, bool from_luo);
/* Host pointer for [gpa, gpa+len) if it lies entirely inside one region, else NULL. Overflow-safe. */
void *gmem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);
/* Copies in/out of guest RAM; -EFAULT when the range is not entirely RAM. */
int gmem_read(const struct guest_mem *gm, uint64_t gpa, void *buf, size_t len);
int gmem_write(const struct guest_mem *gm, uint64_t gpa, const void *buf, size_t len);
/* A page-table walker's descriptor read (pgwalk_read_fn, OPAQUE the guest_mem): the naturally
 * aligned little-endian 64-bit word at PA; -EFAULT when misaligned or not RAM. */
int gmem_read_desc(void *opaque, uint64_t pa, uint64_t *desc);
uint64_t gmem_total(const struct guest_mem *gm);
void gmem_destroy(struct guest_mem *gm);
/*
 * Before anything is created: fails with a one-line message saying what the host has when SIZE
 * exceeds its physical RAM (or, with HUGEPAGES, its free hugetlb pages / their size granule).
 */
int gmem_check_host(uint64_t size, bool hugepages);
/* The host's default hugetlb page size (what MFD_HUGETLB uses), 0 when it has none. */
uint64_t gmem_hugepage_size(void);

#endif
