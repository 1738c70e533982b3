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
#include "vmm/guest_mem.h"
#include "vmm/log.h"

#define LOAD(p) __atomic_load_n(p, __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n(p, v, __ATOMIC_RELAXED)

int virtq_init(struct virtq *q, const struct guest_mem *mem, uint16_t size, uint64_t desc, uint64_t avail,
	       uint64_t used, bool event_idx)
{
	memset(q, 0, sizeof(*q));
	/* 2.7: queue size a power of two; alignment 16 / 2 / 4 (2.7.10.1 table). */
	if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)) || (desc & 15) || (avail & 1) || (used & 3))
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

static int bad(struct virtq *q, const char *why, unsigned int v)
{
	pr_debug("virtqueue: %s (%u)", why, v);
	q->broken = true;
	return -EINVAL;
}

static uint16_t *avail_event(struct virtq *q)
{
	return (uint16_t *)&q->used->ring[q->size];
}

static uint16_t *used_event(struct virtq *q)
{
	return &q->avail->ring[q->size];
}

static int walk(struct virtq *q, struct virtq_elem *e, uint16_t head)
{
	const uint8_t *tbl = (const uint8_t *)q->desc;
	uint32_t tbl_n = q->size, steps = 0, i = head;
	bool indirect = false;

	e->head = head;
	e->nout = e->nin = 0;
	e->out_len = e->in_len = 0;
	if (head >= q->size)
		return bad(q, "head out of range", head);
	for (;;) {
		struct vring_desc d;
		void *p;

		/* A chain longer than its table has a loop (2.7.5.2: at most queue-size descriptors). */
		if (++steps > tbl_n)
			return bad(q, "descriptor chain loops", head);
		memcpy(&d, tbl + 16ULL * i, sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: no nested tables, no NEXT with INDIRECT, a whole number of entries. */
			if (indirect || (d.flags & VRING_DESC_F_NEXT))
				return bad(q, "bad indirect descriptor flags", d.flags);
			if (!d.len || d.len % 16 || d.len / 16 > VIRTQ_MAX_INDIRECT)
				return bad(q, "bad indirect table length", d.len);
			tbl = gmem_ptr(q->mem, d.addr, d.len);
			if (!tbl)
				return bad(q, "indirect table outside RAM", d.len);
			indirect = true;
			tbl_n = d.len / 16;
			steps = 0;
			i = 0;
			continue;
		}
		if (d.len) {
			if (e->nout + e->nin >= VIRTQ_MAX_SEGS)
				return bad(q, "too many buffers in chain", head);
			p = gmem_ptr(q->mem, d.addr, d.len);
			if (!p)
				return bad(q, "buffer outside RAM", d.len);
			if (d.flags & VRING_DESC_F_WRITE) {
				e->in_len += d.len;
				e->nin++;
			} else {
				/* 2.7.4.2: device-readable buffers come before device-writable ones. */
				if (e->nin)
					return bad(q, "readable buffer after writable", head);
				e->out_len += d.len;
				e->nout++;
			}
			if (e->in_len > UINT32_MAX || e->out_len > UINT32_MAX)
				return bad(q, "chain too long", head);
			e->iov[e->nout + e->nin - 1] = (struct iovec){ .iov_base = p, .iov_len = d.len };
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 1;
		i = d.next;
		if (i >= tbl_n)
			return bad(q, "next out of range", i);
	}
}

int virtq_pop(struct virtq *q, struct virtq_elem *e)
{
	uint16_t idx, n, head;

	if (q->broken || !q->size)
		return -EINVAL;
	idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	if (idx == q->last_avail && q->event_idx) {
		/* 2.7.10: ask for a notification past what we consumed, then re-check (the driver may
		 * have added a buffer before seeing avail_event). */
		STORE(avail_event(q), q->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
	}
	n = (uint16_t)(idx - q->last_avail);
	if (!n)
		return 0;
	if (n > q->size)
		return bad(q, "avail index jumped", n);
	head = LOAD(&q->avail->ring[q->last_avail % q->size]);
	q->last_avail++;
	return walk(q, e, head);
}

void virtq_unpop(struct virtq *q)
{
	q->last_avail--;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	struct vring_used_elem *u = &q->used->ring[q->used_idx % q->size];

	STORE(&u->id, head);
	STORE(&u->len, len);
	q->used_idx++;
	/* 2.7.13.3: the element is visible before the index that publishes it. */
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

bool virtq_need_notify(struct virtq *q)
{
	uint16_t old = q->signalled_used, cur = q->used_idx;
	bool valid = q->signalled_valid;

	/* Our used->idx store must be visible before we read the driver's suppression state. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(LOAD(&q->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	q->signalled_used = cur;
	q->signalled_valid = true;
	if (!valid)
		return true;
	/* 2.7.10: interrupt when used_event lies in (old, cur]. */
	return (uint16_t)(cur - LOAD(used_event(q)) - 1) < (uint16_t)(cur - old);
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
		if (to_iov)
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
		if (n == max)
			return -1;
		dst[n++] = (struct iovec){ .iov_base = (uint8_t *)e->iov[i].iov_base + off, .iov_len = l };
		len -= l;
		off = 0;
	}
	return len ? -1 : (int)n;
}
