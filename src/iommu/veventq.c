// SPDX-License-Identifier: GPL-2.0-only
/* iommufd vEVENTQs: allocation and parsing of what read() returns (uapi iommufd.h, vEVENTQ). */
#include "iommu/veventq.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <string.h>
#include <sys/ioctl.h>

#include "iommu/fail_inject.h"
#include "vmm/log.h"

int veventq_alloc(int iommufd, uint32_t viommu_id, uint32_t type, uint32_t depth, uint32_t *id, int *fd)
{
	struct iommu_veventq_alloc a = { .size = sizeof(a), .viommu_id = viommu_id, .type = type, .veventq_depth = depth };

	if (fail_inject("veventq-alloc") || ioctl(iommufd, IOMMU_VEVENTQ_ALLOC, &a))
		return err_errno("IOMMU_VEVENTQ_ALLOC on vIOMMU %u", viommu_id);
	*id = a.out_veventq_id;
	*fd = (int)a.out_veventq_fd;
	return 0;
}

unsigned int veventq_parse(struct veventq_parse *p, const uint8_t *buf, size_t len, size_t rec_len,
			   void (*fn)(void *opaque, const void *rec), void *opaque)
{
	unsigned int n = 0;
	size_t off = 0;

	while (len - off >= sizeof(struct iommufd_vevent_header)) {
		struct iommufd_vevent_header h;

		memcpy(&h, buf + off, sizeof(h));
		off += sizeof(h);
		if (h.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
			/* A header alone: events were dropped while the queue was full; its sequence is
			 * the one the next record will carry. */
			p->nr_lost++;
			p->next_seq = h.sequence;
			p->started = true;
			continue;
		}
		if (len - off < rec_len)
			break;
		if (p->started && h.sequence != p->next_seq)
			p->nr_lost += (uint32_t)(h.sequence - p->next_seq);
		p->next_seq = h.sequence + 1;
		p->started = true;
		fn(opaque, buf + off);
		off += rec_len;
		n++;
	}
	return n;
}
