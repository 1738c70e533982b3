// SPDX-License-Identifier: GPL-2.0-only
/* A host device's IOMMU reserved regions from sysfs (resv_regions.h). */
#include "iommu/resv_regions.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int resv_regions_msi(const char *text, size_t len, uint64_t *start)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[128], type[32];
		uint64_t s, e;

		if (l < sizeof(line)) {
			memcpy(line, p, l);
			line[l] = '\0';
			/* "0x0000000008000000 0x00000000080fffff msi"; both IOMMU_RESV_MSI and _SW_MSI say "msi" */
			if (sscanf(line, "%" SCNx64 " %" SCNx64 " %31s", &s, &e, type) == 3 && !strcmp(type, "msi") &&
			    s <= e) {
				*start = s;
				return 0;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return -ENOENT;
}

int resv_regions_vfio_msi(int vfio_fd, uint64_t *start)
{
	char path[96], buf[1024];
	struct stat st;
	ssize_t n;
	int fd;

	if (fstat(vfio_fd, &st) || !S_ISCHR(st.st_mode))
		return -ENOTTY;
	/* The cdev's sysfs node (.../vfio-dev/vfioN) links to its PCI function, which links to its group. */
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device/iommu_group/reserved_regions", major(st.st_rdev),
		 minor(st.st_rdev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	return resv_regions_msi(buf, (size_t)n, start);
}
