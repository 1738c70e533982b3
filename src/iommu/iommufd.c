// SPDX-License-Identifier: GPL-2.0-only
#include "iommu/iommufd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/log.h"

int iommufd_open(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return err_errno("open /dev/iommu (is the host kernel built with CONFIG_IOMMUFD?)");
	return fd;
}

int iommufd_destroy(int iommufd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	if (ioctl(iommufd, IOMMU_DESTROY, &d))
		return err_errno("IOMMU_DESTROY object %u", id);
	return 0;
}

int iommufd_ioas_alloc(int iommufd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &a))
		return err_errno("IOMMU_IOAS_ALLOC");
	*ioas_id = a.out_ioas_id;
	return 0;
}
