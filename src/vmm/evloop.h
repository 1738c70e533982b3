/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The event loop: one thread, one io_uring. Everything that is not a vCPU runs here: console input,
 * ioeventfd-driven virtqueue processing, block I/O completions, vIOMMU event queues. Handlers run on
 * the loop thread only, so device back-ends need no locking against each other.
 */
#ifndef NESTVM_EVLOOP_H
#define NESTVM_EVLOOP_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

struct evloop;

/* Completion of one submitted operation: RES is the io_uring cqe->res (bytes or -errno). */
typedef void (*ev_complete_fn)(void *opaque, int res);
/* FD became readable; return false to stop watching it. The poll is re-armed after the handler
 * returns, so one call per readiness, at most one per loop turn; a handler that leaves the fd
 * readable is simply called again on the next turn. */
typedef bool (*ev_ready_fn)(void *opaque, int fd);

struct ev_op {
	ev_complete_fn fn;
	void *opaque;
};

struct ev_watch;

int evloop_init(struct evloop **out, unsigned int entries);
void evloop_destroy(struct evloop *l);
/* Watch FD for readability. May be called from any thread before evloop_run, or from the loop. */
int evloop_watch(struct evloop *l, int fd, ev_ready_fn fn, void *opaque, struct ev_watch **out);
void evloop_unwatch(struct evloop *l, struct ev_watch *w);
/*
 * An SQE to fill for an async operation (loop thread only); OP must stay valid until completion.
 * Returns NULL if the ring is full even after submitting: the caller retries on the next turn.
 * The ring is restricted (evloop.c): only readv/writev/fsync (and polls), on a fixed file.
 */
struct io_uring_sqe *evloop_sqe(struct evloop *l, struct ev_op *op);
/*
 * Loop thread: asks the kernel to cancel OP (submitted at once, so before any later SQE that may
 * reuse OP). OP still completes through its ev_op, with -ECANCELED or its own result if it was past
 * cancelling. -EBUSY when no SQE is free.
 */
int evloop_cancel(struct evloop *l, struct ev_op *op);
/*
 * Registers FD in the ring's fixed-file table (loop thread or before evloop_run); returns its slot
 * or -errno. Every operation on the ring is restricted to fixed files: prep the SQE with the slot
 * as its fd and set IOSQE_FIXED_FILE. evloop_file_remove(SLOT) before closing FD (-1: no-op).
 */
int evloop_file_add(struct evloop *l, int fd);
void evloop_file_remove(struct evloop *l, int slot);
/*
 * Holding (vm.pause; loop thread): while held, device work waits: completions of operations and
 * events of watches not marked control are kept, in order, and handled once released (from the
 * loop's next turn on). Control watches (the API server, the signalfd, evloop_call) run as usual.
 */
void evloop_hold(struct evloop *l, bool hold);
/* W keeps being served while the loop is held (loop thread, or before evloop_run). */
void evloop_watch_control(struct ev_watch *w);
/*
 * Loop thread, held: waits up to TIMEOUT_MS until the kernel has completed every operation
 * submitted through evloop_sqe (their completions are kept for the release; nothing else runs
 * meanwhile). 0, or -ETIMEDOUT; *LEFT: how many are still in flight.
 */
int evloop_drain(struct evloop *l, unsigned int timeout_ms, unsigned int *left);
/*
 * Held and drained (a live update saves the devices): the result OP completed with, kept for the
 * release, in *RES; -ENOENT when no completion of OP is kept. Reads only. The loop thread, or a
 * thread the loop thread waits for (the updater: the loop is inside the vm.update handler).
 */
int evloop_kept_result(const struct evloop *l, const struct ev_op *op, int *res);
/* Runs until evloop_stop(); returns 0 or a negative errno on a fatal loop error. */
int evloop_run(struct evloop *l);
/* Any thread, async-signal-safe. */
void evloop_stop(struct evloop *l);
/* Queue FN(OPAQUE, 0) to run on the loop thread (any thread). */
int evloop_call(struct evloop *l, ev_complete_fn fn, void *opaque);

#endif
