/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd FAULT objects (IOMMU_FAULT_QUEUE_ALLOC, Linux uapi iommufd.h): the host's I/O page faults
 * (PCIe PRI page requests, SMMUv3 stalls) of the HWPTs allocated with IOMMU_HWPT_FAULT_ID_VALID and
 * this object's id, read from its fd as struct iommu_hwpt_pgfault records and answered by writing
 * struct iommu_hwpt_page_response {cookie, code} back to the same fd.
 *
 * The kernel hands out a page request group whole within one read() (iommufd fault.c
 * iommufd_fault_fops_read: a group that does not fit the buffer waits for the next read), every
 * record of the group carrying the group's cookie; the last one has IOMMU_PGFAULT_FLAGS_LAST_PAGE.
 */
#ifndef NESTVM_IOMMU_FAULT_QUEUE_H
#define NESTVM_IOMMU_FAULT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct iommu_hwpt_pgfault;

/* IOMMU_FAULT_QUEUE_ALLOC: its id in *ID, its fd (O_CLOEXEC, ours) in *FD. */
int fault_queue_alloc(int iommufd, uint32_t *id, int *fd);
/*
 * Writes the response CODE (IOMMUFD_PAGE_RESP_*) for COOKIE to FD. 0 when the kernel took it;
 * -EINVAL when it holds no group of that cookie any more (answered already, or auto-answered when
 * the device left its HWPT); other -errno on failure. Not reported: the caller knows the context.
 */
int fault_queue_respond(int fd, uint32_t cookie, uint32_t code);
/*
 * Splits BUF (LEN bytes, what one read() returned) into records, calling FN on each in order.
 * A torn tail (LEN not a multiple of the record size) is ignored. Returns the records delivered.
 * Pure: unit-tested and fuzzed.
 */
unsigned int fault_queue_parse(const uint8_t *buf, size_t len,
			       void (*fn)(void *opaque, const struct iommu_hwpt_pgfault *rec), void *opaque);

#endif
