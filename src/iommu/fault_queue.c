// SPDX-License-Identifier: GPL-2.0-only
/* iommufd FAULT objects: allocation, the response write, and parsing of what read() returns. */
#include "iommu/fault_queue.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommu/fail_inject.h"
#include "vmm/log.h"

int fault_queue_alloc(int iommufd, uint32_t *id, int *fd)
{
	struct iommu_fault_alloc a = { .size = sizeof(a) };

	if (fail_inject("fault-queue-alloc") || ioctl(iommufd, IOMMU_FAULT_QUEUE_ALLOC, &a))
		return err_errno("IOMMU_FAULT_QUEUE_ALLOC");
	*id = a.out_fault_id;
	*fd = (int)a.out_fault_fd;
	return 0;
}

int fault_queue_respond(int fd, uint32_t cookie, uint32_t code)
{
	struct iommu_hwpt_page_response r = { .cookie = cookie, .code = code };
	ssize_t n;

	do
		n = write(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* The kernel consumes whole responses; a short count would mean it took none of ours. */
	return n == (ssize_t)sizeof(r) ? 0 : -EIO;
}

unsigned int fault_queue_parse(const uint8_t *buf, size_t len,
			       void (*fn)(void *opaque, const struct iommu_hwpt_pgfault *rec), void *opaque)
{
	unsigned int n = 0;

	for (size_t off = 0; len - off >= sizeof(struct iommu_hwpt_pgfault); off += sizeof(struct iommu_hwpt_pgfault)) {
		struct iommu_hwpt_pgfault rec;

		memcpy(&rec, buf + off, sizeof(rec));   /* BUF need not be aligned */
		fn(opaque, &rec);
		n++;
	}
	return n;
}
