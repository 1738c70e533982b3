// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-console (virtio 1.2 5.3) with one port and no multiport: receiveq0 is fed from the host
 * console's input, transmitq0 goes to the console's output. Input that arrives while the driver has
 * no receive buffers is kept (bounded) and delivered when it adds some.
 */
#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio.h"
#include "devices/virtio_pci_state.h"
#include "liveupdate/state_format.h"
#include "vmm/console.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define CON_QUEUE_SIZE 256
#define CON_RXQ 0
#define CON_TXQ 1
#define CON_PENDING 4096

struct virtio_con {
	struct virtio_dev v;        /* first: the transport frees us through it */
	struct virtio_console_config cfg;
	uint8_t pending[CON_PENDING];
	size_t pending_len;
	struct virtq_elem e;
};

/* Lock held: moves buffered input into the driver's receive buffers. */
static void con_rx(struct virtio_con *c)
{
	unsigned int budget = VIRTIO_QUEUE_BUDGET;
	bool pushed = false;

	while (c->pending_len && virtio_queue_ready(&c->v, CON_RXQ)) {
		size_t n;
		int r;

		if (!budget--) {
			/* Faulted buffers come back empty: a driver can supply them forever. */
			virtio_queue_kick(&c->v, CON_RXQ);
			break;
		}
		r = virtq_pop(&c->v.q[CON_RXQ].vq, &c->e);
		if (r < 0)
			virtio_set_needs_reset(&c->v);
		if (r <= 0)
			break;
		if (c->e.faulted) {
			/* A receive buffer faulted in the vIOMMU: return it empty, keep the input. */
			virtq_push(&c->v.q[CON_RXQ].vq, c->e.head, 0);
			pushed = true;
			continue;
		}
		n = virtq_elem_write(&c->e, 0, c->pending, c->pending_len);
		memmove(c->pending, c->pending + n, c->pending_len - n);
		c->pending_len -= n;
		virtq_push(&c->v.q[CON_RXQ].vq, c->e.head, (uint32_t)n);
		pushed = true;
	}
	if (pushed)
		virtio_queue_interrupt(&c->v, CON_RXQ);
}

static void con_tx(struct virtio_con *c)
{
	struct virtq *q = &c->v.q[CON_TXQ].vq;
	unsigned int budget = VIRTIO_QUEUE_BUDGET;
	bool pushed = false;
	int r = 0;

	for (;;) {
		if (!budget--) {
			virtio_queue_kick(&c->v, CON_TXQ);     /* the rest on a later turn */
			break;
		}
		r = virtq_pop(q, &c->e);
		if (r <= 0)
			break;
		/* 5.3.6.1: the device ignores device-writable buffers on transmitq; faulted buffers
		 * (NULL, the vIOMMU recorded the event) are skipped. */
		console_writev(c->e.iov, c->e.nout);
		virtq_push(q, c->e.head, 0);
		pushed = true;
	}
	if (r < 0)
		virtio_set_needs_reset(&c->v);
	if (pushed)
		virtio_queue_interrupt(&c->v, CON_TXQ);
}

static void con_notify(struct virtio_dev *v, unsigned int q)
{
	struct virtio_con *c = (struct virtio_con *)v;

	if (q == CON_TXQ)
		con_tx(c);
	else
		con_rx(c);
}

/* Loop thread: bytes typed by the user. */
static void con_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct virtio_con *c = opaque;
	size_t room;

	pthread_mutex_lock(&c->v.lock);
	room = CON_PENDING - c->pending_len;
	if (len > room)
		len = room;     /* nobody reads the console: drop what does not fit */
	memcpy(c->pending + c->pending_len, buf, len);
	c->pending_len += len;
	con_rx(c);
	pthread_mutex_unlock(&c->v.lock);
}

static void con_reset(struct virtio_dev *v)
{
	((struct virtio_con *)v)->pending_len = 0;
}

_Static_assert(CON_PENDING == VIRTIO_CON_STATE_MAX_INPUT, "the section carries the whole input backlog");

/* Live update, lock held: the input the driver has not taken yet (transmit completes at once). */
static int con_lu_save(struct virtio_dev *v, struct lu_writer *w)
{
	struct virtio_con *c = (struct virtio_con *)v;
	struct virtio_con_saved *s = malloc(sizeof(*s));

	if (!s)
		return err_num(ENOMEM, "virtio-console: saving its input");
	s->len = (uint32_t)c->pending_len;
	memcpy(s->input, c->pending, c->pending_len);
	virtio_con_state_put(w, s);
	free(s);
	return lu_writer_end(w);
}

static int con_lu_restore(struct virtio_dev *v, const struct lu_state *st, char *why, size_t why_size)
{
	struct virtio_con *c = (struct virtio_con *)v;
	const struct lu_section *sec = lu_state_find(st, VIRTIO_CON_STATE_TYPE, 0);
	struct virtio_con_saved *s;
	int r;

	if (!sec) {
		snprintf(why, why_size, "virtio-console: no saved state");
		return -EINVAL;
	}
	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = virtio_con_state_decode(sec, s, why, why_size);
	if (!r) {
		memcpy(c->pending, s->input, s->len);
		c->pending_len = s->len;
	}
	free(s);
	return r;    /* delivered when the transport kicks the receive queue */
}

static void con_destroy(struct virtio_dev *v)
{
	console_set_input(NULL, NULL);
	virtio_pci_fini(v);
	free(v);
}

static const struct virtio_dev_ops con_ops = {
	.queue_notify = con_notify,
	.reset = con_reset,
	.lu_save = con_lu_save,
	.lu_restore = con_lu_restore,
	.destroy = con_destroy,
};

int virtio_console_create(struct vm *vm)
{
	struct virtio_con *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return err_num(ENOMEM, "virtio-console");
	r = virtio_pci_init(&c->v, vm, &con_ops, "virtio-console", VIRTIO_ID_CONSOLE,
			    1ULL << VIRTIO_RING_F_INDIRECT_DESC | 1ULL << VIRTIO_RING_F_EVENT_IDX, 2, CON_QUEUE_SIZE,
			    (uint8_t *)&c->cfg, sizeof(c->cfg));
	if (r)
		goto err;
	r = virtio_pci_add(&c->v);
	if (r) {
		virtio_pci_fini(&c->v);
		goto err;
	}
	console_set_input(con_input, c);
	return 0;
err:
	free(c);
	return r;
}
