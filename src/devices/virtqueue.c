// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueue, device side (virtio 1.2 2.7). The rings are shared with a guest that may change
 * them at any time: each descriptor is copied once before use, every index is bounded, and the memory
 * ordering follows 2.7.13 (read avail->idx before the ring, publish used elements before used->idx,
 * a full barrier before deciding whether to interrupt). Hosts are little-endian (x86_64, arm64), as
 * is the virtio 1.x ring format.
 */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "devices/virtqueue.h"

#include "devices/dma.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

#define LOAD(p) __atomic_load_n(p, __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELAXED)

/* 2.7: queue size a power of two; alignment 16 / 2 / 4 (2.7.10.1 table). */
static bool geometry_ok(uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	return size && size <= VIRTQ_MAX_SIZE && !(size & (size - 1)) && !(desc & 15) && !(avail & 1) && !(used & 3);
}

int virtq_init(struct virtq *q, const struct guest_mem *mem, uint16_t size, uint64_t desc, uint64_t avail,
	       uint64_t used, bool event_idx)
{
	memset(q, 0, sizeof(*q));
	if (!geometry_ok(size, desc, avail, used))
		return -EINVAL;
	/* Areas: 16*N descriptors; 6+2*N avail (with used_event); 6+8*N used (with avail_event). */
	q->desc = gmem_ptr(mem, desc, 16ULL * size);
	q->avail = gmem_ptr(mem, avail, 6 + 2ULL * size);
	q->used = gmem_ptr(mem, used, 6 + 8ULL * size);
	if (!q->desc || !q->avail || !q->used)
		return -EINVAL;
	q->mem = mem;
	q->size = size;
	q->event_idx = event_idx;
	return 0;
}

/* An area of 16 KiB + 6 bytes at most spans few translations; a faulting one is refused now. */
static bool area_maps(struct dma_ctx *dma, uint64_t addr, uint64_t len, bool write)
{
	struct iovec iov[8];
	int r = dma_map(dma, addr, len, write, iov, 8);

	return r > 0 || r == -E2BIG;
}

int virtq_init_dma(struct virtq *q, struct dma_ctx *dma, uint16_t size, uint64_t desc, uint64_t avail,
		   uint64_t used, bool event_idx)
{
	if (!dma_translated(dma))
		return virtq_init(q, dma->mem, size, desc, avail, used, event_idx);
	memset(q, 0, sizeof(*q));
	if (!geometry_ok(size, desc, avail, used) || !area_maps(dma, desc, 16ULL * size, false) ||
	    !area_maps(dma, avail, 6 + 2ULL * size, false) || !area_maps(dma, used, 6 + 8ULL * size, true))
		return -EINVAL;
	q->mem = dma->mem;
	q->dma = dma;
	q->size = size;
	q->event_idx = event_idx;
	q->desc_addr = desc;
	q->avail_addr = avail;
	q->used_addr = used;
	return 0;
}

static int bad(struct virtq *q, const char *why, unsigned int v)
{
	pr_debug("virtqueue: %s (%u)", why, v);
	q->broken = true;
	return -EINVAL;
}

/*
 * Ring fields. Direct mode: pointers into the areas mapped at init. Translated mode: the field's
 * IOVA translated now (NULL when it faults). Each field we access is naturally aligned (a used
 * element is accessed as its two 32-bit halves), so it never straddles an IOVA page: one piece each.
 */
static void *field(struct virtq *q, void *direct, uint64_t iova, uint64_t off, uint64_t len, bool write)
{
	if (!q->dma)
		return (uint8_t *)direct + off;
	return dma_ptr(q->dma, iova + off, len, write);
}

static uint16_t *avail_field(struct virtq *q, uint64_t off)
{
	return field(q, q->avail, q->avail_addr, off, 2, false);
}

static void *used_field(struct virtq *q, uint64_t off, uint64_t len)
{
	return field(q, q->used, q->used_addr, off, len, true);
}

/* 2.7.6 / 2.7.8: flags at 0, idx at 2, ring at 4; used_event / avail_event after the rings. */
static uint16_t *avail_event(struct virtq *q)
{
	return used_field(q, 4 + 8ULL * q->size, 2);
}

static uint16_t *used_event(struct virtq *q)
{
	return avail_field(q, 4 + 2ULL * q->size);
}

/* Descriptor I of the table at TBL (direct) / TBL_ADDR (translated); false when it faults. */
static bool read_desc(struct virtq *q, const uint8_t *tbl, uint64_t tbl_addr, uint32_t i, struct vring_desc *d)
{
	if (!q->dma) {
		memcpy(d, tbl + 16ULL * i, sizeof(*d));
		return true;
	}
	/* Indirect tables need no alignment (2.7.5.3): may span two pages, so copy. */
	return !dma_read(q->dma, tbl_addr + 16ULL * i, d, sizeof(*d));
}

/* Appends the iovecs of buffer D to E: false (q broken) for a malformed one. */
static bool add_buffer(struct virtq *q, struct virtq_elem *e, const struct vring_desc *d)
{
	bool in = d->flags & VRING_DESC_F_WRITE;
	unsigned int used = e->nout + e->nin;
	int n;

	if (used >= VIRTQ_MAX_SEGS)
		return bad(q, "too many buffers in chain", e->head), false;
	/* 2.7.4.2: device-readable buffers come before device-writable ones. */
	if (!in && e->nin)
		return bad(q, "readable buffer after writable", e->head), false;
	if (!q->dma) {
		void *p = gmem_ptr(q->mem, d->addr, d->len);

		if (!p)
			return bad(q, "buffer outside RAM", d->len), false;
		e->iov[used] = (struct iovec){ .iov_base = p, .iov_len = d->len };
		n = 1;
	} else {
		n = dma_map(q->dma, d->addr, d->len, in, &e->iov[used], VIRTQ_MAX_SEGS - used);
		if (n == -E2BIG)
			return bad(q, "too many buffer pieces in chain", e->head), false;
		if (n < 0) {
			/* The IOMMU recorded its event; only this request fails (placeholder iovec). */
			e->faulted = true;
			e->iov[used] = (struct iovec){ .iov_base = NULL, .iov_len = d->len };
			n = 1;
		}
	}
	if (in) {
		e->in_len += d->len;
		e->nin += (unsigned int)n;
	} else {
		e->out_len += d->len;
		e->nout += (unsigned int)n;
	}
	if (e->in_len > UINT32_MAX || e->out_len > UINT32_MAX)
		return bad(q, "chain too long", e->head), false;
	return true;
}

static int walk(struct virtq *q, struct virtq_elem *e, uint16_t head)
{
	const uint8_t *tbl = (const uint8_t *)q->desc;
	uint64_t tbl_addr = q->desc_addr;
	uint32_t tbl_n = q->size, steps = 0, i = head;
	bool indirect = false;

	e->head = head;
	e->nout = e->nin = 0;
	e->out_len = e->in_len = 0;
	e->faulted = false;
	if (head >= q->size)
		return bad(q, "head out of range", head);
	for (;;) {
		struct vring_desc d;

		/* A chain longer than its table has a loop (2.7.5.2: at most queue-size descriptors). */
		if (++steps > tbl_n)
			return bad(q, "descriptor chain loops", head);
		if (!read_desc(q, tbl, tbl_addr, i, &d))
			return bad(q, "descriptor table faulted", i);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: no nested tables, no NEXT with INDIRECT, a whole number of entries. */
			if (indirect || (d.flags & VRING_DESC_F_NEXT))
				return bad(q, "bad indirect descriptor flags", d.flags);
			if (!d.len || d.len % 16 || d.len / 16 > VIRTQ_MAX_INDIRECT)
				return bad(q, "bad indirect table length", d.len);
			if (!q->dma) {
				tbl = gmem_ptr(q->mem, d.addr, d.len);
				if (!tbl)
					return bad(q, "indirect table outside RAM", d.len);
			}
			tbl_addr = d.addr;
			indirect = true;
			tbl_n = d.len / 16;
			steps = 0;
			i = 0;
			continue;
		}
		if (d.len && !add_buffer(q, e, &d))
			return -EINVAL;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 1;
		i = d.next;
		if (i >= tbl_n)
			return bad(q, "next out of range", i);
	}
}

int virtq_pop(struct virtq *q, struct virtq_elem *e)
{
	uint16_t idx, n, head, *idx_p, *ev, *head_p;

	if (q->broken || !q->size)
		return -EINVAL;
	idx_p = avail_field(q, 2);
	if (!idx_p)
		return bad(q, "avail ring faulted", 2);
	idx = __atomic_load_n(idx_p, __ATOMIC_ACQUIRE);
	if (idx == q->last_avail && q->event_idx) {
		/* 2.7.10: ask for a notification past what we consumed, then re-check (the driver may
		 * have added a buffer before seeing avail_event). */
		ev = avail_event(q);
		if (!ev)
			return bad(q, "used ring faulted", 0);
		STORE(ev, q->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		idx = __atomic_load_n(idx_p, __ATOMIC_ACQUIRE);
	}
	n = (uint16_t)(idx - q->last_avail);
	if (!n)
		return 0;
	if (n > q->size)
		return bad(q, "avail index jumped", n);
	head_p = avail_field(q, 4 + 2ULL * (q->last_avail % q->size));
	if (!head_p)
		return bad(q, "avail ring faulted", q->last_avail);
	head = LOAD(head_p);
	q->last_avail++;
	return walk(q, e, head);
}

int virtq_elem_at(struct virtq *q, uint16_t head, struct virtq_elem *e)
{
	if (q->broken || !q->size)
		return -EINVAL;
	return walk(q, e, head);
}

void virtq_unpop(struct virtq *q)
{
	q->last_avail--;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint64_t off;
	uint32_t *id_p, *len_p;
	uint16_t *idx_p;

	if (!q->size)
		return;
	/*
	 * 2.7.8: struct virtq_used_elem { le32 id; le32 len; } at 4 + 8 * slot. The used ring is only
	 * 4-byte aligned (2.7.10.1 table), so behind a vIOMMU an element may straddle an IOVA page whose
	 * neighbour maps elsewhere: write it as its two naturally aligned halves, each translated alone.
	 */
	off = 4 + 8ULL * (q->used_idx % q->size);
	id_p = used_field(q, off, 4);
	len_p = used_field(q, off + 4, 4);
	idx_p = used_field(q, 2, 2);
	if (!id_p || !len_p || !idx_p) {
		bad(q, "used ring faulted", q->used_idx);
		return;
	}
	STORE(id_p, head);
	STORE(len_p, len);
	q->used_idx++;
	/* 2.7.13.3: the element is visible before the index that publishes it. */
	__atomic_store_n(idx_p, q->used_idx, __ATOMIC_RELEASE);
}

bool virtq_need_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, cur = q->used_idx, *p;
	bool valid = q->signalled_valid;

	if (!q->size)
		return false;
	/* Our used->idx store must be visible before we read the driver's suppression state. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx) {
		p = avail_field(q, 0);
		return !p || !(LOAD(p) & VRING_AVAIL_F_NO_INTERRUPT);  /* unreadable: interrupt anyway */
	}
	q->signalled_used = cur;
	q->signalled_valid = true;
	p = used_event(q);
	if (!valid || !p)
		return true;
	/* 2.7.10: interrupt when used_event lies in (old, cur]. */
	return (uint16_t)(cur - LOAD(p) - 1) < (uint16_t)(cur - old);
}

/* Copies between BUF and the byte stream of IOV[0..N) starting OFF bytes in; TO_IOV picks the way. */
static size_t iov_copy(const struct iovec *iov, unsigned int n, uint64_t off, void *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len - done)
			l = len - done;
		if (!iov[i].iov_base) {
			/* A faulted buffer: nothing reaches it, reads see zeros. */
			if (!to_iov)
				memset((uint8_t *)buf + done, 0, l);
		} else if (to_iov)
			memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, l);
		else
			memcpy((uint8_t *)buf + done, (const uint8_t *)iov[i].iov_base + off, l);
		done += l;
		off = 0;
	}
	return done;
}

size_t virtq_elem_read(const struct virtq_elem *e, uint64_t off, void *buf, size_t len)
{
	return iov_copy(e->iov, e->nout, off, buf, len, false);
}

size_t virtq_elem_write(const struct virtq_elem *e, uint64_t off, const void *buf, size_t len)
{
	return iov_copy(e->iov + e->nout, e->nin, off, (void *)buf, len, true);
}

int virtq_elem_slice(const struct virtq_elem *e, bool in, uint64_t off, uint64_t len, struct iovec *dst,
		     unsigned int max)
{
	unsigned int first = in ? e->nout : 0, end = in ? e->nout + e->nin : e->nout, n = 0;

	for (unsigned int i = first; i < end && len; i++) {
		uint64_t l = e->iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len)
			l = len;
		if (n == max || !e->iov[i].iov_base)
			return -1;
		dst[n++] = (struct iovec){ .iov_base = (uint8_t *)e->iov[i].iov_base + off, .iov_len = l };
		len -= l;
		off = 0;
	}
	return len ? -1 : (int)n;
}
