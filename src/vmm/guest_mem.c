// SPDX-License-Identifier: GPL-2.0-only
/* Guest RAM: memfd-backed, size-sealed, MAP_SHARED regions and bounds-checked access to them. */
#include "vmm/guest_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/fdtab.h"
#include "vmm/log.h"

/* Size of the default hugetlb page (the one MFD_HUGETLB without a size flag uses), 0 if none. */
static uint64_t meminfo_value(const char *key)
{
	char line[128];
	size_t klen = strlen(key);
	uint64_t v = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

uint64_t gmem_hugepage_size(void)
{
	return meminfo_value("Hugepagesize") << 10;   /* reported in kB */
}

static void fmt_size(char *buf, size_t n, uint64_t v)
{
	if (v >= (1ULL << 30))
		snprintf(buf, n, "%.1fG", (double)v / (1ULL << 30));
	else
		snprintf(buf, n, "%" PRIu64 "M", v >> 20);
}

int gmem_check_host(uint64_t size, bool hugepages)
{
	char want[32], have[32];

	fmt_size(want, sizeof(want), size);
	if (hugepages) {
		uint64_t hp = gmem_hugepage_size();
		uint64_t free_pages = meminfo_value("HugePages_Free");

		if (!hp) {
			pr_err("--memory %s,hugepages=on: the host has no hugetlb pages", want);
			return -EINVAL;
		}
		if (size % hp) {
			fmt_size(have, sizeof(have), hp);
			pr_err("--memory %s,hugepages=on: not a multiple of the host's hugepage size (%s)", want, have);
			return -EINVAL;
		}
		if (size / hp > free_pages) {
			fmt_size(have, sizeof(have), free_pages * hp);
			pr_err("--memory %s is larger than the host allows: %" PRIu64 " free hugepages (%s); "
			       "see /proc/sys/vm/nr_hugepages", want, free_pages, have);
			return -ENOMEM;
		}
		return 0;
	}
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	if (pages > 0 && psz > 0 && size / (uint64_t)psz > (uint64_t)pages) {
		fmt_size(have, sizeof(have), (uint64_t)pages * (uint64_t)psz);
		pr_err("--memory %s is larger than the host allows: the host has %s of RAM", want, have);
		return -ENOMEM;
	}
	return 0;
}

static bool overlaps(const struct guest_mem *gm, uint64_t gpa, uint64_t size)
{
	for (unsigned int i = 0; i < gm->nr; i++) {
		const struct gmem_region *r = &gm->r[i];

		/* Inclusive ends: no overflow for regions that end at the top of the address space. */
		if (gpa <= r->gpa + (r->size - 1) && r->gpa <= gpa + (size - 1))
			return true;
	}
	return false;
}

int gmem_add_ram(struct guest_mem *gm, uint64_t gpa, uint64_t size, bool hugepages)
{
	uint64_t align = hugepages ? gmem_hugepage_size() : (uint64_t)sysconf(_SC_PAGESIZE);
	struct gmem_region *r;
	void *hva;
	int fd;

	if (!size || !align || size % align || gpa % align || size - 1 > UINT64_MAX - gpa ||
	    size > SIZE_MAX || (off_t)size < 0) {
		pr_err("guest RAM 0x%" PRIx64 "+0x%" PRIx64 ": not a valid %s-aligned range", gpa, size,
		       hugepages ? "hugepage" : "page");
		return -EINVAL;
	}
	if (gm->nr >= GMEM_MAX_REGIONS) {
		pr_err("guest RAM 0x%" PRIx64 ": more than %d regions", gpa, GMEM_MAX_REGIONS);
		return -ENOSPC;
	}
	if (overlaps(gm, gpa, size)) {
		pr_err("guest RAM 0x%" PRIx64 "+0x%" PRIx64 " overlaps another region", gpa, size);
		return -EEXIST;
	}

	/* Sealing needs MFD_ALLOW_SEALING; hugetlbfs memfds support it since Linux 4.16. */
	fd = memfd_create("nestvm-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING | (hugepages ? MFD_HUGETLB : 0));
	if (fd < 0)
		return err_errno("memfd_create guest RAM%s", hugepages ? " (hugetlb)" : "");
	/* Live update hands it over by this name (the new process finds it with fdtab_lookup). */
	fd = fdtab_adoptf(gm->fds, fd, FD_GUEST_RAM, "guest_mem", "ram@0x%" PRIx64, gpa);
	if (fd < 0)
		return fd;
	if (ftruncate(fd, (off_t)size) < 0) {
		int e = err_errno("ftruncate guest RAM memfd to 0x%" PRIx64, size);
		fdtab_close(gm->fds, fd);
		return e;
	}
	/*
	 * A fixed size: iommufd and KVM hold the pages by fd offset, and a shrink would SIGBUS the VMM
	 * (or, for a peer holding the fd, pull pages from under a DMA mapping).
	 */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int e = err_errno("F_ADD_SEALS on guest RAM memfd");
		fdtab_close(gm->fds, fd);
		return e;
	}
	/* hugetlb: reserve the pages now, so a shortage fails here rather than SIGBUS at first touch. */
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | (hugepages ? 0 : MAP_NORESERVE), fd, 0);
	if (hva == MAP_FAILED) {
		int e = err_errno("mmap guest RAM (0x%" PRIx64 " bytes)", size);
		fdtab_close(gm->fds, fd);
		return e;
	}
	/* Transparent hugepages for shmem where the host allows them; advice only, so unchecked. */
	if (!hugepages)
		(void)madvise(hva, size, MADV_HUGEPAGE);

	r = &gm->r[gm->nr++];
	*r = (struct gmem_region){ .gpa = gpa, .size = size, .hva = hva, .memfd = fd, .slot = UINT32_MAX };
	return 0;
}

int gmem_adopt_ram(struct guest_mem *gm, uint64_t gpa, uint64_t size, int fd, bool from_luo)
{
	struct stat sb;
	void *hva;
	int seals;

	if (gm->nr >= GMEM_MAX_REGIONS || overlaps(gm, gpa, size) || !size || size > SIZE_MAX) {
		pr_err("handed-over guest RAM 0x%" PRIx64 "+0x%" PRIx64 ": no room or overlapping", gpa, size);
		return -EINVAL;
	}
	if (fstat(fd, &sb) < 0)
		return err_errno("handed-over guest RAM memfd %d", fd);
	seals = fcntl(fd, F_GET_SEALS);
	/*
	 * LUO gives a memfd back without its seals and not sealable (mm/memfd_luo.c: made without
	 * MFD_ALLOW_SEALING, so F_SEAL_SEAL only): its size cannot be sealed again. Only this process
	 * holds it, so nothing else can shrink it.
	 */
	if ((uint64_t)sb.st_size != size || seals < 0 || !(seals & (from_luo ? F_SEAL_SEAL : F_SEAL_SHRINK))) {
		pr_err("handed-over guest RAM memfd %d: %lld bytes (seals 0x%x), the VM has 0x%" PRIx64 " at 0x%" PRIx64,
		       fd, (long long)sb.st_size, seals, size, gpa);
		return -EINVAL;
	}
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (hva == MAP_FAILED)
		return err_errno("mmap handed-over guest RAM (0x%" PRIx64 " bytes)", size);
	(void)madvise(hva, size, MADV_HUGEPAGE);
	gm->r[gm->nr++] = (struct gmem_region){ .gpa = gpa, .size = size, .hva = hva, .memfd = fd, .slot = UINT32_MAX };
	return 0;
}

void *gmem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < gm->nr; i++) {
		const struct gmem_region *r = &gm->r[i];
		uint64_t off;

		if (gpa < r->gpa)
			continue;
		off = gpa - r->gpa;
		/* Written as subtractions so that gpa + len can never wrap. */
		if (off < r->size && len <= r->size - off)
			return r->hva + off;
	}
	return NULL;
}

int gmem_read(const struct guest_mem *gm, uint64_t gpa, void *buf, size_t len)
{
	void *p = gmem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int gmem_read_desc(void *opaque, uint64_t pa, uint64_t *desc)
{
	const struct guest_mem *mem = opaque;
	uint8_t b[8];

	if ((pa & 7) || gmem_read(mem, pa, b, 8))
		return -EFAULT;
	*desc = 0;
	for (int i = 7; i >= 0; i--)
		*desc = *desc << 8 | b[i];
	return 0;
}

int gmem_write(const struct guest_mem *gm, uint64_t gpa, const void *buf, size_t len)
{
	void *p = gmem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

uint64_t gmem_total(const struct guest_mem *gm)
{
	uint64_t t = 0;

	for (unsigned int i = 0; i < gm->nr; i++)
		t += gm->r[i].size;
	return t;
}

void gmem_destroy(struct guest_mem *gm)
{
	for (unsigned int i = 0; i < gm->nr; i++) {
		struct gmem_region *r = &gm->r[i];

		if (r->hva)
			munmap(r->hva, r->size);
		fdtab_close(gm->fds, r->memfd);
	}
	gm->nr = 0;
}
