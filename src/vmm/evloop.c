// SPDX-License-Identifier: GPL-2.0-only
/*
 * The io_uring event loop. Each SQE's user_data is a pointer with its low bit as a tag: an
 * ev_op (tag 0, the caller's async operation) or an ev_watch (tag 1, a one-shot poll re-armed after
 * its handler ran). Our own bookkeeping SQEs (poll removal) carry user_data 0 and their CQEs are
 * ignored.
 *
 * Why one-shot: a multishot poll posts a CQE on every wakeup of a file that is still readable, so an
 * fd written faster than its handler drains it (a guest notifying a virtqueue in a loop) piles up
 * CQEs, as far as a full CQ (where the kernel also refuses new submissions with -EBUSY), and every
 * other watch, the signalfd included, waits behind that backlog: each CQE of it is a whole handler
 * run. With one poll in flight per watch a watch has at most one CQE pending, each turn serves every
 * ready watch once, and the CQ holds at most the watches plus the operations in flight.
 *
 * Confinement: io_uring operations bypass seccomp (the kernel runs them for us), so the ring is
 * created disabled and restricted before it is enabled (IORING_REGISTER_RESTRICTIONS): only the
 * opcodes nestvm submits, only on registered (fixed) files, and only file-table updates as register
 * operations. An SQE outside that fails with -EACCES; the ring cannot open, connect, or touch an fd
 * (a vfio device, /dev/kvm) that was not handed to it.
 */
#include "vmm/evloop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vmm/deadline.h"
#include "vmm/log.h"

#define TAG_WATCH 1ULL
#define CQE_BATCH 64   /* CQEs handled per turn before submitting again */
#define EV_FILES 256   /* fixed-file slots: watched fds and I/O files (disk images) */

struct ev_watch {
	struct evloop *l;
	int fd;
	ev_ready_fn fn;
	void *opaque;
	bool armed;        /* a poll is in flight */
	bool removed;      /* unwatched: free once the poll is gone */
	bool in_cb;        /* fn is running: the CQE handler frees it afterwards */
	bool dead;         /* the poll failed: kept (inert) until evloop_unwatch or evloop_destroy */
	int slot;          /* fixed-file slot of fd while armed or armable, -1: none */
	bool control;      /* served while the loop is held (evloop_watch_control) */
	struct ev_watch *next, *prev;  /* all watches, for evloop_destroy */
};

struct ev_call {
	ev_complete_fn fn;
	void *opaque;
	struct ev_call *next;
};

struct evloop {
	struct io_uring ring;
	int wake_fd;                 /* eventfd: evloop_stop and evloop_call wake the loop */
	struct ev_watch *wake;
	atomic_bool stop;
	atomic_bool running;
	pthread_t thread;
	pthread_mutex_t calls_lock;
	struct ev_call *calls, **calls_tail;
	struct ev_watch *watches;
	int files[EV_FILES];         /* fd registered in each fixed-file slot, -1: free */
	/* evloop_hold: CQEs kept while held (or while draining), handled in order once allowed. */
	bool held, draining;
	unsigned int inflight;       /* operations submitted through evloop_sqe, not yet completed */
	struct ev_kept { uint64_t ud; int res; unsigned int flags; } *kept;
	size_t nr_kept, cap_kept;
};

static bool on_loop(struct evloop *l)
{
	return atomic_load(&l->running) && pthread_equal(pthread_self(), l->thread);
}

/*
 * Whether the caller may touch the ring and the watch list itself: on the running loop's thread, or
 * while the loop is not running. Then it returns with calls_lock held (release with direct_end),
 * which evloop_run also takes to start: a thread that found the loop not running finishes before
 * the loop uses the ring (a bare "running" test raced with evloop_run starting on another thread).
 */
static bool direct_begin(struct evloop *l)
{
	pthread_mutex_lock(&l->calls_lock);
	if (atomic_load(&l->running) && !on_loop(l)) {
		pthread_mutex_unlock(&l->calls_lock);
		return false;
	}
	return true;
}

static void direct_end(struct evloop *l)
{
	pthread_mutex_unlock(&l->calls_lock);
}

/* Loop thread (or before run): an SQE, submitting queued ones when the SQ ring is full. */
static struct io_uring_sqe *get_sqe(struct evloop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe) {
		io_uring_submit(&l->ring);
		sqe = io_uring_get_sqe(&l->ring);
	}
	return sqe;
}

struct io_uring_sqe *evloop_sqe(struct evloop *l, struct ev_op *op)
{
	struct io_uring_sqe *sqe = get_sqe(l);

	if (sqe) {
		io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)op);
		l->inflight++;
	}
	return sqe;
}

int evloop_cancel(struct evloop *l, struct ev_op *op)
{
	struct io_uring_sqe *sqe = get_sqe(l);
	int r;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)op, 0);
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);   /* required on every SQE (no file used) */
	io_uring_sqe_set_data64(sqe, 0);    /* its own CQE is bookkeeping */
	r = io_uring_submit(&l->ring);
	return r < 0 ? r : 0;
}

static int arm(struct evloop *l, struct ev_watch *w)
{
	struct io_uring_sqe *sqe;

	if (w->slot < 0) {
		int r = evloop_file_add(l, w->fd);

		if (r < 0)
			return r;
		w->slot = r;
	}
	sqe = get_sqe(l);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, w->slot, POLLIN);
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)w | TAG_WATCH);
	w->armed = true;
	return 0;
}

static void watch_free(struct ev_watch *w)
{
	struct evloop *l = w->l;

	if (w->prev)
		w->prev->next = w->next;
	else
		l->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	free(w);
}

static void link_watch(struct evloop *l, struct ev_watch *w)
{
	w->prev = NULL;
	w->next = l->watches;
	if (l->watches)
		l->watches->prev = w;
	l->watches = w;
}

/* Deferred from another thread while the loop runs: the ring is the loop's alone. */
static void arm_on_loop(void *opaque, int res)
{
	struct ev_watch *w = opaque;

	link_watch(w->l, w);
	if (arm(w->l, w) < 0) {
		pr_err("event loop: cannot watch fd %d: no free SQE or fixed-file slot", w->fd);
		w->dead = true;
	}
}

static void unwatch_on_loop(void *opaque, int res)
{
	evloop_unwatch(((struct ev_watch *)opaque)->l, opaque);
}

int evloop_watch(struct evloop *l, int fd, ev_ready_fn fn, void *opaque, struct ev_watch **out)
{
	struct ev_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return err_num(ENOMEM, "event loop: watching fd %d", fd);
	*w = (struct ev_watch){ .l = l, .fd = fd, .fn = fn, .opaque = opaque, .slot = -1 };
	if (!direct_begin(l)) {
		/* The ring and the watch list belong to the loop thread: let it arm the poll. */
		r = evloop_call(l, arm_on_loop, w);
		if (r) {
			free(w);
			return r;
		}
	} else {
		link_watch(l, w);
		r = arm(l, w);
		if (r) {
			evloop_file_remove(l, w->slot);
			watch_free(w);
		}
		direct_end(l);
		if (r)
			return err_num(r, "event loop: watching fd %d", fd);
	}
	if (out)
		*out = w;
	return 0;
}

static void unwatch_direct(struct evloop *l, struct ev_watch *w);

void evloop_unwatch(struct evloop *l, struct ev_watch *w)
{
	if (!w || w->removed)
		return;
	if (!direct_begin(l)) {
		if (evloop_call(l, unwatch_on_loop, w))
			pr_err("event loop: cannot unwatch fd %d", w->fd);
		return;
	}
	unwatch_direct(l, w);
	direct_end(l);
}

/* evloop_unwatch on the loop's thread, or while it is not running (direct_begin). */
static void unwatch_direct(struct evloop *l, struct ev_watch *w)
{
	struct io_uring_sqe *sqe;

	w->removed = true;
	/* The fixed-file table holds its own reference to the file: drop it now, so closing the fd
	 * releases what it holds once the poll is gone too. */
	evloop_file_remove(l, w->slot);
	w->slot = -1;
	if (w->in_cb)
		return;   /* the CQE handler finishes the job */
	if (!w->armed) {
		watch_free(w);
		return;
	}
	/* The poll's CQE (-ECANCELED, or its event) frees it. */
	sqe = get_sqe(l);
	if (sqe) {
		io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)w | TAG_WATCH);
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);   /* required on every SQE (no file used) */
		io_uring_sqe_set_data64(sqe, 0);
		/* Not running (teardown): cancel now, so the poll drops its reference to the file and
		 * the owner can free what the fd holds (e.g. a vEVENTQ that keeps its vIOMMU busy). */
		if (!atomic_load(&l->running))
			io_uring_submit(&l->ring);
	}
}

static void watch_cqe(struct evloop *l, struct ev_watch *w, int res, unsigned int flags)
{
	if (!(flags & IORING_CQE_F_MORE))
		w->armed = false;
	if (res >= 0 && !w->removed) {
		w->in_cb = true;
		if (!w->fn(w->opaque, w->fd))
			evloop_unwatch(l, w);
		w->in_cb = false;
	} else if (res < 0 && res != -ECANCELED && !w->removed) {
		/* The fd is unusable (closed, not pollable): stop watching rather than spin. */
		pr_err("event loop: poll on fd %d failed: %s", w->fd, strerror(-res));
		w->dead = true;
	}
	if (w->armed)
		return;
	if (w->removed) {
		watch_free(w);
		return;
	}
	if (w->dead)
		return;
	/* One-shot: armed again after each event (at once ready again if the fd is still readable). */
	if (arm(l, w) < 0) {
		pr_err("event loop: cannot re-arm fd %d", w->fd);
		w->dead = true;
	}
}

static void run_calls(struct evloop *l)
{
	struct ev_call *c, *n;

	pthread_mutex_lock(&l->calls_lock);
	c = l->calls;
	l->calls = NULL;
	l->calls_tail = &l->calls;
	pthread_mutex_unlock(&l->calls_lock);
	for (; c; c = n) {
		n = c->next;
		c->fn(c->opaque, 0);
		free(c);
	}
}

int evloop_file_add(struct evloop *l, int fd)
{
	int r;

	for (int i = 0; i < EV_FILES; i++) {
		if (l->files[i] >= 0)
			continue;
		r = io_uring_register_files_update(&l->ring, (unsigned int)i, &fd, 1);
		if (r < 0)
			return err_num(r, "event loop: registering fd %d as fixed file %d", fd, i);
		l->files[i] = fd;
		return i;
	}
	return err_num(ENFILE, "event loop: all %d fixed-file slots in use (fd %d)", EV_FILES, fd);
}

void evloop_file_remove(struct evloop *l, int slot)
{
	int none = -1, r;

	if (slot < 0 || slot >= EV_FILES || l->files[slot] < 0)
		return;
	r = io_uring_register_files_update(&l->ring, (unsigned int)slot, &none, 1);
	if (r < 0)
		err_num(r, "event loop: unregistering fixed file %d (fd %d)", slot, l->files[slot]);
	l->files[slot] = -1;
}

/*
 * The opcodes nestvm submits: polls and their removal (watches), readv/writev/fsync (virtio-blk)
 * and the cancellation of those (evloop_cancel). IOSQE_FIXED_FILE is required on every SQE, so an operation can only reach a file
 * registered through evloop_file_add; the only register operation left is that table's update.
 */
static int restrict_ring(struct evloop *l)
{
	static const uint8_t ops[] = { IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE, IORING_OP_READV, IORING_OP_WRITEV,
				       IORING_OP_FSYNC, IORING_OP_ASYNC_CANCEL };
	struct io_uring_restriction res[sizeof(ops) + 3];
	unsigned int n = 0;
	int r;

	memset(res, 0, sizeof(res));
	for (unsigned int i = 0; i < sizeof(ops); i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	res[n].opcode = IORING_RESTRICTION_REGISTER_OP;
	res[n++].register_op = IORING_REGISTER_FILES_UPDATE;
	/* Sparse table first: registering files is not an operation the restrictions allow. */
	r = io_uring_register_files_sparse(&l->ring, EV_FILES);
	if (r < 0)
		return err_num(r, "io_uring: %d sparse fixed-file slots", EV_FILES);
	/* Raw syscalls: Debian's liburing 2.3 declares io_uring_register_restrictions/enable_rings but
	 * its shared library does not export them (fixed in 2.4). */
	if (syscall(__NR_io_uring_register, l->ring.ring_fd, IORING_REGISTER_RESTRICTIONS, res, n) < 0)
		return err_errno("io_uring: IORING_REGISTER_RESTRICTIONS");
	if (syscall(__NR_io_uring_register, l->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0)
		return err_errno("io_uring: IORING_REGISTER_ENABLE_RINGS");
	return 0;
}

static bool wake_ready(void *opaque, int fd)
{
	uint64_t v;

	/* Non-blocking eventfd: EAGAIN when another wake-up already drained it. */
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN && errno != EINTR)
		pr_debug("event loop: wake eventfd read: %s", strerror(errno));
	run_calls(opaque);
	return true;
}

int evloop_init(struct evloop **out, unsigned int entries)
{
	struct evloop *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return err_num(ENOMEM, "event loop");
	l->calls_tail = &l->calls;
	r = pthread_mutex_init(&l->calls_lock, NULL);
	if (r) {
		free(l);
		return err_num(r, "event loop lock");
	}
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake_fd < 0) {
		r = err_errno("event loop eventfd");
		goto err_lock;
	}
	for (unsigned int i = 0; i < EV_FILES; i++)
		l->files[i] = -1;
	r = io_uring_queue_init(entries ? entries : 256, &l->ring, IORING_SETUP_R_DISABLED);
	if (r < 0) {
		r = err_num(r, "io_uring_queue_init");
		goto err_fd;
	}
	r = restrict_ring(l);
	if (r)
		goto err_ring;
	r = evloop_watch(l, l->wake_fd, wake_ready, l, &l->wake);
	if (r)
		goto err_ring;
	l->wake->control = true;   /* evloop_call and evloop_stop work while held */
	*out = l;
	return 0;
err_ring:
	io_uring_queue_exit(&l->ring);
err_fd:
	close(l->wake_fd);
err_lock:
	pthread_mutex_destroy(&l->calls_lock);
	free(l);
	return r;
}

void evloop_destroy(struct evloop *l)
{
	struct ev_call *c, *n;

	if (!l)
		return;
	/* Closing the ring cancels what is in flight; then nothing refers to the watches. */
	io_uring_queue_exit(&l->ring);
	while (l->watches)
		watch_free(l->watches);
	free(l->kept);
	for (c = l->calls; c; c = n) {
		n = c->next;
		free(c);
	}
	close(l->wake_fd);
	pthread_mutex_destroy(&l->calls_lock);
	free(l);
}

static void dispatch(struct evloop *l, uint64_t ud, int res, unsigned int flags)
{
	if (ud & TAG_WATCH) {
		watch_cqe(l, (struct ev_watch *)(uintptr_t)(ud & ~TAG_WATCH), res, flags);
	} else {
		struct ev_op *op = (struct ev_op *)(uintptr_t)ud;

		op->fn(op->opaque, res);
	}
}

/* Whether this CQE waits: device work while held; everything while draining (we are inside a handler). */
static bool must_wait(struct evloop *l, uint64_t ud)
{
	if (l->draining)
		return true;
	if (!l->held)
		return false;
	return !(ud & TAG_WATCH) || !((struct ev_watch *)(uintptr_t)(ud & ~TAG_WATCH))->control;
}

static void keep(struct evloop *l, uint64_t ud, int res, unsigned int flags)
{
	if (l->nr_kept == l->cap_kept) {
		size_t cap = l->cap_kept ? 2 * l->cap_kept : 64;
		struct ev_kept *k = realloc(l->kept, cap * sizeof(*k));

		if (!k) {
			/* Cannot wait: handle it now rather than lose it (a pause then sees device work). */
			pr_err("event loop: out of memory holding a completion; handling it now");
			dispatch(l, ud, res, flags);
			return;
		}
		l->kept = k;
		l->cap_kept = cap;
	}
	l->kept[l->nr_kept++] = (struct ev_kept){ .ud = ud, .res = res, .flags = flags };
}

static void handle_cqe(struct evloop *l, uint64_t ud, int res, unsigned int flags)
{
	if (!ud || ud == LIBURING_UDATA_TIMEOUT)
		return;
	if (!(ud & TAG_WATCH) && !(flags & IORING_CQE_F_MORE) && l->inflight)
		l->inflight--;
	if (must_wait(l, ud))
		keep(l, ud, res, flags);
	else
		dispatch(l, ud, res, flags);
}

/* The kept CQEs that may run now, in order; those that must still wait stay, ahead of newer ones. */
static void run_kept(struct evloop *l)
{
	struct ev_kept *k = l->kept, *m;
	size_t n = l->nr_kept, j = 0;

	if (!n)
		return;
	/* Handlers may keep more (a control watch while held): they go to a fresh list. */
	l->kept = NULL;
	l->nr_kept = l->cap_kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (must_wait(l, k[i].ud))
			k[j++] = k[i];
		else
			dispatch(l, k[i].ud, k[i].res, k[i].flags);
	}
	if (!j) {
		free(k);
		return;
	}
	m = realloc(k, (j + l->nr_kept) * sizeof(*k));
	if (!m) {
		pr_err("event loop: out of memory holding completions; handling them now");
		for (size_t i = 0; i < j; i++)
			dispatch(l, k[i].ud, k[i].res, k[i].flags);
		free(k);
		return;
	}
	if (l->nr_kept)
		memcpy(m + j, l->kept, l->nr_kept * sizeof(*m));
	free(l->kept);
	l->kept = m;
	l->nr_kept += j;
	l->cap_kept = l->nr_kept;
}

void evloop_hold(struct evloop *l, bool hold)
{
	l->held = hold;
}

void evloop_watch_control(struct ev_watch *w)
{
	w->control = true;
}

int evloop_drain(struct evloop *l, unsigned int timeout_ms, unsigned int *left)
{
	struct timespec now, end = deadline_after_ms(timeout_ms);

	l->draining = true;
	while (l->inflight) {
		struct __kernel_timespec ts;
		struct io_uring_cqe *cqe;
		long long ns;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ns = (end.tv_sec - now.tv_sec) * 1000000000LL + (end.tv_nsec - now.tv_nsec);
		if (ns <= 0)
			break;
		ts = (struct __kernel_timespec){ .tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL };
		r = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts, NULL);
		if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
			err_num(r, "event loop: draining");
			break;
		}
		while (io_uring_peek_cqe(&l->ring, &cqe) == 0) {
			uint64_t ud = cqe->user_data;
			int res = cqe->res;
			unsigned int flags = cqe->flags;

			io_uring_cqe_seen(&l->ring, cqe);
			handle_cqe(l, ud, res, flags);   /* kept: draining */
		}
	}
	l->draining = false;
	if (left)
		*left = l->inflight;
	return l->inflight ? -ETIMEDOUT : 0;
}

int evloop_kept_result(const struct evloop *l, const struct ev_op *op, int *res)
{
	uint64_t ud = (uint64_t)(uintptr_t)op;

	/* An op completes once (no IORING_CQE_F_MORE for the readv/writev/fsync evloop_sqe allows). */
	for (size_t i = 0; i < l->nr_kept; i++) {
		if (l->kept[i].ud == ud) {
			*res = l->kept[i].res;
			return 0;
		}
	}
	return -ENOENT;
}

int evloop_run(struct evloop *l)
{
	int r = 0;

	pthread_mutex_lock(&l->calls_lock);      /* after any direct_begin section (see there) */
	l->thread = pthread_self();
	atomic_store(&l->running, true);
	pthread_mutex_unlock(&l->calls_lock);
	while (!atomic_load(&l->stop)) {
		struct io_uring_cqe *cqe;
		unsigned int n = 0;

		run_kept(l);   /* released (or control) work kept by evloop_hold / evloop_drain */
		if (atomic_load(&l->stop))
			break;
		r = io_uring_submit_and_wait(&l->ring, 1);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
			r = err_num(r, "event loop: io_uring_enter");
			break;
		}
		r = 0;
		/* Bounded batch; each CQE is consumed before its handler runs (handlers may submit). */
		while (n++ < CQE_BATCH && io_uring_peek_cqe(&l->ring, &cqe) == 0) {
			uint64_t ud = cqe->user_data;
			int res = cqe->res;
			unsigned int flags = cqe->flags;

			io_uring_cqe_seen(&l->ring, cqe);
			handle_cqe(l, ud, res, flags);
		}
	}
	atomic_store(&l->running, false);
	atomic_store(&l->stop, false);
	return r;
}

void evloop_stop(struct evloop *l)
{
	uint64_t one = 1;

	atomic_store(&l->stop, true);
	/* Only write(2) and atomics: callable from a signal handler. */
	if (write(l->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is saturated, so the loop is being woken anyway. */
	}
}

int evloop_call(struct evloop *l, ev_complete_fn fn, void *opaque)
{
	struct ev_call *c = malloc(sizeof(*c));
	uint64_t one = 1;

	if (!c)
		return err_num(ENOMEM, "event loop call");
	*c = (struct ev_call){ .fn = fn, .opaque = opaque };
	pthread_mutex_lock(&l->calls_lock);
	*l->calls_tail = c;
	l->calls_tail = &c->next;
	pthread_mutex_unlock(&l->calls_lock);
	if (write(l->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return err_errno("event loop wake");
	return 0;
}
