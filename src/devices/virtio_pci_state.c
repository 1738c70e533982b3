// SPDX-License-Identifier: GPL-2.0-only
/* A virtio-pci function across a live update (virtio_pci_state.h). */
#include "devices/virtio_pci_state.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/dma.h"
#include "devices/pci_msix_state.h"
#include "devices/virtio.h"
#include "liveupdate/state_fields.h"
#include "vmm/log.h"

_Static_assert(VIRTIO_STATE_MAX_QUEUES == VIRTIO_MAX_QUEUES, "the section's queue bound is the transport's");
_Static_assert(VIRTIO_STATE_MAX_QSIZE == VIRTQ_MAX_SIZE, "the section's queue size bound is the ring's");

/* 2.1: the device_status bits a driver may set, and DEVICE_NEEDS_RESET, which the device sets. */
#define STATUS_KNOWN (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK | \
		      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)

static struct virtio_dev *to_vdev(struct pci_dev *d)
{
	return (struct virtio_dev *)((char *)d - offsetof(struct virtio_dev, pci));
}

void virtio_pci_state_put(struct lu_writer *w, uint8_t devfn, const struct virtio_pci_saved *s)
{
	lu_writer_begin(w, VIRTIO_PCI_STATE_TYPE, devfn, VIRTIO_PCI_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u16(w, s->device_id);
	lu_put_u16(w, s->nr_queues);
	lu_put_u64(w, s->host_features);
	lu_put_u64(w, s->guest_features);
	lu_put_u32(w, s->dfselect);
	lu_put_u32(w, s->gfselect);
	lu_put_u8(w, s->status);
	lu_put_u8(w, s->isr);
	lu_put_u8(w, s->config_gen);
	lu_put_u16(w, s->msix_config);
	lu_put_u16(w, s->queue_select);
	for (unsigned int i = 0; i < s->nr_queues && i < VIRTIO_STATE_MAX_QUEUES; i++) {
		const struct virtio_queue_saved *q = &s->q[i];

		lu_put_u16(w, q->size);
		lu_put_u16(w, q->msix_vector);
		lu_put_bool(w, q->enabled);
		lu_put_u64(w, q->desc);
		lu_put_u64(w, q->driver);
		lu_put_u64(w, q->device);
		lu_put_u16(w, q->last_avail);
		lu_put_u16(w, q->used_idx);
		lu_put_u16(w, q->signalled_used);
		lu_put_bool(w, q->signalled_valid);
		lu_put_bool(w, q->broken);
	}
}

int virtio_pci_state_decode(const struct lu_section *s, struct virtio_pci_saved *out, char *why, size_t why_size)
{
	struct lu_cursor c;

	memset(out, 0, sizeof(*out));
	lu_cursor_init(&c, s);
	out->device_id = lu_get_u16(&c);
	out->nr_queues = lu_get_u16(&c);
	out->host_features = lu_get_u64(&c);
	out->guest_features = lu_get_u64(&c);
	out->dfselect = lu_get_u32(&c);
	out->gfselect = lu_get_u32(&c);
	out->status = lu_get_u8(&c);
	out->isr = lu_get_u8(&c);
	out->config_gen = lu_get_u8(&c);
	out->msix_config = lu_get_u16(&c);
	out->queue_select = lu_get_u16(&c);
	if (!c.bad && (!out->nr_queues || out->nr_queues > VIRTIO_STATE_MAX_QUEUES))
		lu_cursor_fail(&c, "%u queues (1 to %u)", out->nr_queues, VIRTIO_STATE_MAX_QUEUES);
	else if (!c.bad && (out->status & ~STATUS_KNOWN))
		lu_cursor_fail(&c, "device_status 0x%x has unknown bits", out->status);
	else if (!c.bad && (out->guest_features & ~out->host_features))
		lu_cursor_fail(&c, "driver features 0x%" PRIx64 " beyond the device's 0x%" PRIx64, out->guest_features,
			       out->host_features);
	else if (!c.bad && (out->isr & ~3u))
		lu_cursor_fail(&c, "ISR 0x%x (4.1.4.5: bits 0 and 1)", out->isr);
	for (unsigned int i = 0; !c.bad && i < out->nr_queues; i++) {
		struct virtio_queue_saved *q = &out->q[i];

		q->size = lu_get_u16(&c);
		q->msix_vector = lu_get_u16(&c);
		q->enabled = lu_get_bool(&c);
		q->desc = lu_get_u64(&c);
		q->driver = lu_get_u64(&c);
		q->device = lu_get_u64(&c);
		q->last_avail = lu_get_u16(&c);
		q->used_idx = lu_get_u16(&c);
		q->signalled_used = lu_get_u16(&c);
		q->signalled_valid = lu_get_bool(&c);
		q->broken = lu_get_bool(&c);
		if (c.bad)
			break;
		if (q->size > VIRTIO_STATE_MAX_QSIZE)
			lu_cursor_fail(&c, "queue %u: size %u", i, q->size);
		else if (q->enabled && (!q->size || (q->size & (q->size - 1)) || (q->desc & 15) || (q->driver & 1) ||
					(q->device & 3)))
			lu_cursor_fail(&c, "queue %u: enabled with size %u, rings 0x%" PRIx64 "/0x%" PRIx64 "/0x%" PRIx64
				       " (2.7: a power of two, aligned 16/2/4)", i, q->size, q->desc, q->driver, q->device);
		else if (q->enabled && (uint16_t)(q->last_avail - q->used_idx) > q->size)
			lu_cursor_fail(&c, "queue %u: %u chains in flight in a queue of %u", i,
				       (uint16_t)(q->last_avail - q->used_idx), q->size);
		else if (!q->enabled && (q->last_avail || q->used_idx || q->signalled_used || q->signalled_valid || q->broken))
			lu_cursor_fail(&c, "queue %u: ring state for a disabled queue", i);
	}
	return lu_cursor_finish(&c, why, why_size);
}

void virtio_blk_state_put(struct lu_writer *w, unsigned int idx, const struct virtio_blk_saved *s)
{
	lu_writer_begin(w, VIRTIO_BLK_STATE_TYPE, idx, VIRTIO_BLK_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u64(w, s->sectors);
	lu_put_bool(w, s->ro);
	lu_put_u32(w, s->nr_done);
	for (uint32_t i = 0; i < s->nr_done && i < VIRTIO_BLK_STATE_MAX_DONE; i++) {
		lu_put_u16(w, s->done[i].head);
		lu_put_u8(w, s->done[i].status);
		lu_put_u32(w, s->done[i].used_len);
	}
}

int virtio_blk_state_decode(const struct lu_section *s, struct virtio_blk_saved *out, char *why, size_t why_size)
{
	struct lu_cursor c;

	memset(out, 0, sizeof(*out));
	lu_cursor_init(&c, s);
	out->sectors = lu_get_u64(&c);
	out->ro = lu_get_bool(&c);
	out->nr_done = lu_get_count(&c, VIRTIO_BLK_STATE_MAX_DONE, 7);
	for (uint32_t i = 0; i < out->nr_done && !c.bad; i++) {
		out->done[i].head = lu_get_u16(&c);
		out->done[i].status = lu_get_u8(&c);
		out->done[i].used_len = lu_get_u32(&c);
		if (c.bad)
			break;
		if (out->done[i].head >= VIRTIO_STATE_MAX_QSIZE)
			lu_cursor_fail(&c, "request %u: head %u", i, out->done[i].head);
		else if (out->done[i].status > VIRTIO_BLK_S_UNSUPP)
			lu_cursor_fail(&c, "request %u: status %u (5.2.6)", i, out->done[i].status);
		else if (out->done[i].status != VIRTIO_BLK_S_OK && out->done[i].used_len)
			lu_cursor_fail(&c, "request %u: failed with %u bytes written", i, out->done[i].used_len);
		for (uint32_t j = 0; j < i && !c.bad; j++)
			if (out->done[j].head == out->done[i].head)
				lu_cursor_fail(&c, "head %u completes twice", out->done[i].head);
	}
	return lu_cursor_finish(&c, why, why_size);
}

void virtio_con_state_put(struct lu_writer *w, const struct virtio_con_saved *s)
{
	lu_writer_begin(w, VIRTIO_CON_STATE_TYPE, 0, VIRTIO_CON_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, s->len);
	lu_put_bytes(w, s->input, s->len <= VIRTIO_CON_STATE_MAX_INPUT ? s->len : 0);
}

int virtio_con_state_decode(const struct lu_section *s, struct virtio_con_saved *out, char *why, size_t why_size)
{
	struct lu_cursor c;

	out->len = 0;
	lu_cursor_init(&c, s);
	out->len = lu_get_count(&c, VIRTIO_CON_STATE_MAX_INPUT, 1);
	lu_get_bytes(&c, out->input, c.bad ? 0 : out->len);
	if (c.bad)
		out->len = 0;
	return lu_cursor_finish(&c, why, why_size);
}

void virtio_pci_lu_quiesce(struct pci_dev *d)
{
	struct virtio_dev *v = to_vdev(d);

	/*
	 * No vector delivers into the VM being saved, and what fired since the last delivery becomes
	 * a PBA bit: the vector eventfds are this process's and do not cross the exec.
	 */
	pci_msix_quiesce(&v->msix);
	pci_msix_collect_all(&v->msix);
}

int virtio_pci_lu_save(struct pci_dev *d, struct lu_writer *w)
{
	struct virtio_dev *v = to_vdev(d);
	struct virtio_pci_saved *s = calloc(1, sizeof(*s));
	int r;

	if (!v->ops->lu_save || !v->ops->lu_restore) {
		/* A model without its own state cannot be carried (the update fails, the VM keeps running). */
		free(s);
		return err_num(EOPNOTSUPP, "%s: this virtio device's state is not serialized", v->name);
	}
	if (!s)
		return err_num(ENOMEM, "%s: saving the transport", v->name);
	pthread_mutex_lock(&v->lock);
	s->device_id = v->device_id;
	s->nr_queues = v->nr_queues;
	s->host_features = v->host_features;
	s->guest_features = v->guest_features;
	s->dfselect = v->dfselect;
	s->gfselect = v->gfselect;
	/* A reset held for requests in flight is complete: the pause drained them (their DMA is over). */
	s->status = v->status;
	s->isr = v->isr;
	s->config_gen = v->config_gen;
	s->msix_config = v->msix_config;
	s->queue_select = v->queue_select;
	for (unsigned int i = 0; i < v->nr_queues; i++) {
		const struct virtio_queue *q = &v->q[i];
		struct virtio_queue_saved *o = &s->q[i];

		*o = (struct virtio_queue_saved){ .size = q->size, .msix_vector = q->msix_vector, .enabled = q->enabled,
						  .desc = q->desc, .driver = q->driver, .device = q->device };
		if (q->enabled) {
			o->last_avail = q->vq.last_avail;
			o->used_idx = q->vq.used_idx;
			o->signalled_used = q->vq.signalled_used;
			o->signalled_valid = q->vq.signalled_valid;
			o->broken = q->vq.broken;
		}
	}
	virtio_pci_state_put(w, d->devfn, s);
	r = lu_writer_end(w);
	if (!r)
		r = v->ops->lu_save(v, w);
	pthread_mutex_unlock(&v->lock);
	free(s);
	if (!r)
		r = pci_msix_state_save(&v->msix, d->devfn, w);
	return r;
}

void virtio_pci_lu_resume(struct pci_dev *d)
{
	struct virtio_dev *v = to_vdev(d);

	/* The update did not happen: vectors deliver again, the collected PBA bits of live ones fire. */
	pthread_mutex_lock(&d->lock);
	pci_msix_ctrl_written(&v->msix);
	pthread_mutex_unlock(&d->lock);
}

/* Checks S against this model (same device, as many queues, features it offers, vectors it has). */
static int check(struct virtio_dev *v, const struct virtio_pci_saved *s, char *why, size_t why_size)
{
	if (s->device_id != v->device_id || s->nr_queues != v->nr_queues) {
		snprintf(why, why_size, "%s: virtio device %u with %u queues saved, this one is %u with %u", v->name,
			 s->device_id, s->nr_queues, v->device_id, v->nr_queues);
		return -EINVAL;
	}
	if (s->guest_features & ~v->host_features) {
		snprintf(why, why_size, "%s: the driver negotiated features 0x%" PRIx64 ", this nestvm offers 0x%" PRIx64,
			 v->name, s->guest_features, v->host_features);
		return -EINVAL;
	}
	if (s->msix_config != VIRTIO_NO_VECTOR && s->msix_config >= v->msix.nr) {
		snprintf(why, why_size, "%s: config vector %u of %u", v->name, s->msix_config, v->msix.nr);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < s->nr_queues; i++) {
		if (s->q[i].size > v->max_queue_size ||
		    (s->q[i].msix_vector != VIRTIO_NO_VECTOR && s->q[i].msix_vector >= v->msix.nr)) {
			snprintf(why, why_size, "%s: queue %u of size %u (at most %u here), vector %u of %u", v->name, i,
				 s->q[i].size, v->max_queue_size, s->q[i].msix_vector, v->msix.nr);
			return -EINVAL;
		}
	}
	return 0;
}

/* Lock held: the transport and the rings as S has them. */
static int apply(struct virtio_dev *v, const struct virtio_pci_saved *s, char *why, size_t why_size)
{
	v->guest_features = s->guest_features;
	v->dfselect = s->dfselect;
	v->gfselect = s->gfselect;
	v->status = s->status;
	v->isr = s->isr;
	v->config_gen = s->config_gen;
	v->msix_config = s->msix_config;
	v->queue_select = s->queue_select;
	for (unsigned int i = 0; i < s->nr_queues; i++) {
		const struct virtio_queue_saved *o = &s->q[i];
		struct virtio_queue *q = &v->q[i];
		int r;

		q->size = o->size;
		q->msix_vector = o->msix_vector;
		q->desc = o->desc;
		q->driver = o->driver;
		q->device = o->device;
		q->enabled = o->enabled;
		if (!o->enabled)
			continue;
		r = virtq_init_dma(&q->vq, &v->dma, q->size, q->desc, q->driver, q->device,
				   virtio_has_feature(v, VIRTIO_RING_F_EVENT_IDX));
		if (r && !dma_translated(&v->dma)) {
			/* Guest physical rings that mapped before the exec map now: a state for another VM. */
			snprintf(why, why_size, "%s: queue %u: the rings at 0x%" PRIx64 "/0x%" PRIx64 "/0x%" PRIx64
				 " are not in guest RAM", v->name, i, q->desc, q->driver, q->device);
			return r;
		}
		if (r) {
			/* The guest unmapped its own rings behind the vIOMMU: the queue is broken, as the next
			 * access would have found in the previous process (2.1.2: the driver resets it). */
			q->vq.broken = true;
			v->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
			continue;
		}
		q->vq.last_avail = o->last_avail;
		q->vq.used_idx = o->used_idx;
		q->vq.signalled_used = o->signalled_used;
		q->vq.signalled_valid = o->signalled_valid;
		q->vq.broken = o->broken;
	}
	return 0;
}

int virtio_pci_lu_restore(struct pci_dev *d, const struct lu_state *st, char *why, size_t why_size)
{
	struct virtio_dev *v = to_vdev(d);
	const struct lu_section *s = lu_state_find(st, VIRTIO_PCI_STATE_TYPE, d->devfn);
	const struct lu_section *ms = lu_state_find(st, PCI_MSIX_STATE_TYPE, d->devfn);
	struct virtio_pci_saved *sv = NULL;
	struct pci_msix_saved *mx = NULL;
	int r = -ENOMEM;

	if (!s || !ms) {
		snprintf(why, why_size, "%s: no saved %s", v->name, s ? "MSI-X table" : "virtio-pci transport");
		return -EINVAL;
	}
	sv = malloc(sizeof(*sv));
	mx = malloc(sizeof(*mx));
	if (!sv || !mx)
		goto out;
	r = virtio_pci_state_decode(s, sv, why, why_size);
	if (!r)
		r = pci_msix_state_decode(ms, mx, why, why_size);
	if (!r)
		r = check(v, sv, why, why_size);
	if (!r && pci_msix_restore_table(&v->msix, mx)) {
		snprintf(why, why_size, "%s: an MSI-X table of %u vectors saved, the function has %u", v->name, mx->nr,
			 v->msix.nr);
		r = -EINVAL;
	}
	if (r)
		goto out;
	pthread_mutex_lock(&v->lock);
	r = apply(v, sv, why, why_size);
	pthread_mutex_unlock(&v->lock);
	if (r)
		goto out;
	/* The vectors deliver into the new VM (its ITS is restored); collected PBA bits of live ones fire. */
	pthread_mutex_lock(&d->lock);
	pci_msix_ctrl_written(&v->msix);
	pthread_mutex_unlock(&d->lock);
	pthread_mutex_lock(&v->lock);
	r = v->ops->lu_restore(v, st, why, why_size);
	pthread_mutex_unlock(&v->lock);
	if (r)
		goto out;
	/* A notification the old process had not handled is not lost: look at every ring once. */
	for (unsigned int i = 0; i < v->nr_queues; i++)
		if (v->q[i].enabled)
			virtio_queue_kick(v, i);
	pr_debug("%s: restored at 00:%02x.%x (status 0x%x, features 0x%" PRIx64 ")", v->name, d->devfn >> 3,
		 d->devfn & 7, sv->status, sv->guest_features);
out:
	free(sv);
	free(mx);
	return r;
}
