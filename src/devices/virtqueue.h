/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Split virtqueues (virtio 1.2 2.7), device side. Every guest value is checked: ring addresses and
 * sizes at enable, and each descriptor chain as it is popped (length bounded by the queue size,
 * buffers inside guest RAM, overflow-safe lengths, readable-before-writable, one level of indirect).
 * A malformed chain makes virtq_pop fail; the transport then sets DEVICE_NEEDS_RESET (2.1.2).
 * Used only from the event-loop thread once the queue is enabled.
 *
 * Behind a vIOMMU (virtq_init_dma with a translated DMA context, VIRTIO_F_ACCESS_PLATFORM) the ring
 * addresses and buffers are IOVAs: ring fields are translated on every access and buffers when their
 * chain is popped, nothing is kept across the guest's invalidations. A ring that faults breaks the
 * queue (NEEDS_RESET); a buffer that faults makes the chain "faulted" so the device fails only that
 * request with its own error status.
 */
#ifndef NESTVM_DEVICES_VIRTQUEUE_H
#define NESTVM_DEVICES_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct dma_ctx;
struct guest_mem;
struct vring_desc;
struct vring_avail;
struct vring_used;

#define VIRTQ_MAX_SIZE 1024          /* largest queue we accept */
#define VIRTQ_MAX_SEGS 256           /* buffers in one chain (blk reports seg_max = this - 2) */
#define VIRTQ_MAX_INDIRECT 1024      /* entries in one indirect table */

struct virtq {
	const struct guest_mem *mem;
	struct dma_ctx *dma;         /* translated mode (vIOMMU); NULL: rings are host pointers below */
	uint16_t size;
	bool event_idx;              /* VIRTIO_F_EVENT_IDX negotiated (2.7.7, 2.7.10) */
	bool broken;                 /* a bad chain was seen: no more processing until reset */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_addr, avail_addr, used_addr;  /* translated mode: the rings' IOVAs */
	uint16_t last_avail;         /* next avail ring slot to consume */
	uint16_t used_idx;           /* our copy of used->idx */
	uint16_t signalled_used;     /* used_idx at the last interrupt (event_idx) */
	bool signalled_valid;
};

/* A popped chain: NOUT device-readable buffers first, then NIN device-writable ones. */
struct virtq_elem {
	uint16_t head;
	unsigned int nout, nin;
	uint64_t out_len, in_len;    /* total bytes of each direction (each <= UINT32_MAX) */
	bool faulted;                /* a buffer's IOVA faulted: its iovec has iov_base NULL, fail the request */
	struct iovec iov[VIRTQ_MAX_SEGS];
};

/*
 * Validates and maps the rings for a queue of SIZE (power of two <= VIRTQ_MAX_SIZE) whose
 * descriptor table, driver (avail) and device (used) areas are at the given guest addresses
 * (virtio 1.2 2.7: alignment 16/2/4, each area inside guest RAM). -EINVAL when any check fails.
 */
int virtq_init(struct virtq *q, const struct guest_mem *mem, uint16_t size, uint64_t desc, uint64_t avail,
	       uint64_t used, bool event_idx);
/*
 * The same through DMA context DMA: a direct context is exactly virtq_init on its memory; a
 * translated one checks that the areas translate now and translates each later access again.
 */
int virtq_init_dma(struct virtq *q, struct dma_ctx *dma, uint16_t size, uint64_t desc, uint64_t avail,
		   uint64_t used, bool event_idx);
/* 1: E holds the next chain; 0: ring empty; -EINVAL: malformed chain or index (q->broken is set). */
int virtq_pop(struct virtq *q, struct virtq_elem *e);
/*
 * Walks again the chain at HEAD, popped earlier and not yet pushed (a live update completes a
 * request the previous process started: 2.7.13.1, the driver does not touch an available chain's
 * descriptors or buffers until the device uses it). Same checks and results as virtq_pop.
 */
int virtq_elem_at(struct virtq *q, uint16_t head, struct virtq_elem *e);
/* Returns the last popped chain to the ring (e.g. no resources now); it will be popped again. */
void virtq_unpop(struct virtq *q);
/* Puts chain HEAD on the used ring with LEN bytes written to its device-writable part (a used ring
 * that faults sets q->broken). */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* After pushes: whether the driver wants an interrupt now (2.7.7 / 2.7.10). */
bool virtq_need_notify(struct virtq *q);
/* Copies up to LEN bytes starting at OFF of the readable (OUT) part / into the writable (IN) part;
 * faulted buffers are skipped (read as zeros, writes dropped) but counted. */
size_t virtq_elem_read(const struct virtq_elem *e, uint64_t off, void *buf, size_t len);
size_t virtq_elem_write(const struct virtq_elem *e, uint64_t off, const void *buf, size_t len);
/*
 * Fills DST (up to MAX entries) with the iovecs covering [off, off+len) of the OUT (in == false)
 * or IN part; returns the number of entries, or -1 if the range is not covered or touches a faulted buffer.
 */
int virtq_elem_slice(const struct virtq_elem *e, bool in, uint64_t off, uint64_t len, struct iovec *dst,
		     unsigned int max);

#endif
