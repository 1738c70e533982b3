/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd vEVENTQs (IOMMU_VEVENTQ_ALLOC): host IOMMU events of a vIOMMU's devices, already in the
 * guest's terms (vSID), read from an fd as struct iommufd_vevent_header + the type's record.
 */
#ifndef NESTVM_IOMMU_VEVENTQ_H
#define NESTVM_IOMMU_VEVENTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IOMMU_VEVENTQ_ALLOC of TYPE and DEPTH on VIOMMU_ID: its id in *ID, its fd (O_CLOEXEC, ours) in *FD. */
int veventq_alloc(int iommufd, uint32_t viommu_id, uint32_t type, uint32_t depth, uint32_t *id, int *fd);

struct veventq_parse {
	uint32_t next_seq;          /* the sequence number the next record should carry */
	bool started;
	uint64_t nr_lost;           /* records the kernel dropped (LOST_EVENTS headers, sequence gaps) */
};

/*
 * Splits BUF (LEN bytes, what one read() returned) into records of REC_LEN bytes, calling FN on
 * each; LOST_EVENTS headers and sequence gaps are counted in P->nr_lost. A torn tail is ignored.
 * Returns the number of records delivered. Pure: unit-tested.
 */
unsigned int veventq_parse(struct veventq_parse *p, const uint8_t *buf, size_t len, size_t rec_len,
			   void (*fn)(void *opaque, const void *rec), void *opaque);

#endif
