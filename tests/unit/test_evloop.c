// SPDX-License-Identifier: GPL-2.0-only
/*
 * The io_uring event loop: eventfd watches, calls from other threads, async ops, stop, a flooded fd;
 * and its confinement: the ring refuses opcodes nestvm does not submit and fds it was not given.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/evloop.h"

static struct evloop *loop;
static pthread_t main_thread;
static int efd, efd2;
static int ready_count, ready2_count, call_count, op_res = 1;
static bool calls_on_loop = true, keep_watching = true;
static int stop_at = 1;   /* on_efd stops the loop at this many events */

static void msleep(int ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	nanosleep(&ts, NULL);
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		CHECK(0, "eventfd write");
}

static bool on_efd(void *opaque, int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == sizeof(v))
		__atomic_add_fetch(&ready_count, 1, __ATOMIC_RELEASE);
	if (ready_count == stop_at)
		evloop_stop(loop);
	return keep_watching;
}

static bool on_efd2(void *opaque, int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == sizeof(v))
		ready2_count++;
	calls_on_loop &= pthread_equal(pthread_self(), main_thread);
	evloop_stop(loop);
	return true;
}

static void on_call(void *opaque, int res)
{
	call_count++;
	calls_on_loop &= pthread_equal(pthread_self(), main_thread);
	if (opaque)
		evloop_stop(loop);
}

static void op_done(void *opaque, int res)
{
	op_res = res;
	evloop_stop(loop);
}

/* Counts completions; stops the loop at the last of fsync_total (fsync goes to io-wq: they trickle in). */
static int fsync_done, fsync_total, fsync_worst;

static void fsync_op_done(void *opaque, int res)
{
	if (res != 0)
		fsync_worst = res;
	if (++fsync_done == fsync_total)
		evloop_stop(loop);
}

static void *writer(void *arg)
{
	int n = *(int *)arg;

	for (int i = 0; i < n; i++) {
		msleep(20);
		kick(efd);
	}
	return NULL;
}

static void *caller(void *arg)
{
	msleep(20);
	evloop_call(loop, on_call, NULL);
	evloop_call(loop, on_call, (void *)1);
	return NULL;
}

static void *stopper(void *arg)
{
	kick(efd);
	msleep(50);
	evloop_stop(loop);
	return NULL;
}

/*
 * Waits for the first event to be handled before it kicks again: a fixed sleep lost the race on a
 * loaded 2-core CI machine, where the loop thread was not scheduled within it (CI, stop 18).
 */
static void *stop_after_handled(void *arg)
{
	kick(efd);
	for (int i = 0; i < 500 && !__atomic_load_n(&ready_count, __ATOMIC_ACQUIRE); i++)
		msleep(10);
	kick(efd);      /* must find nobody watching */
	msleep(50);
	evloop_stop(loop);
	return NULL;
}

static void *late_watcher(void *arg)
{
	msleep(20);
	if (evloop_watch(loop, efd2, on_efd2, NULL, NULL) == 0)
		kick(efd2);
	return NULL;
}

/*
 * A watched fd that is written again while its handler runs, several times per call: a queue past
 * its budget requeues itself, and the guest's notifications keep arriving. With one poll in flight
 * per watch, another watch's event (here standing for the signalfd) is handled on the next turn. A
 * multishot poll posted CQEs for those wakeups instead: the other event waited behind a backlog of
 * hundreds of calls (each a whole queue budget in nestvm, seconds on the testhost), up to a full
 * CQ, where the kernel also refuses new submissions.
 */
#define FLOOD_WAKES 4
static struct evloop *floop;    /* nestvm's size: a CQ of 512 entries */
static int efd3, efd4;
static atomic_int flood_calls;
static atomic_int calls_at_kick = -1, calls_at_handled = -1;
static atomic_bool flooding;
static struct timespec kicked, handled;

static bool on_flood(void *opaque, int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		CHECK(0, "flooded eventfd read");
	atomic_fetch_add(&flood_calls, 1);
	/* Each write is a syscall, whose return to user space runs the poll wakeup it caused. */
	for (int i = 0; i < FLOOD_WAKES && atomic_load(&flooding); i++)
		kick(fd);
	return atomic_load(&flooding);
}

static bool on_urgent(void *opaque, int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == sizeof(v) && !handled.tv_sec) {
		clock_gettime(CLOCK_MONOTONIC, &handled);
		atomic_store(&calls_at_handled, atomic_load(&flood_calls));
		evloop_stop(floop);
	}
	return true;
}

static void *flood_then_urgent(void *arg)
{
	atomic_store(&flooding, true);
	kick(efd3);
	for (int i = 0; i < 5; i++)
		msleep(100);
	clock_gettime(CLOCK_MONOTONIC, &kicked);
	kick(efd4);
	/*
	 * Counted once the kick is done: counted before it, a preemption of this thread between the
	 * two (a loaded 2-core CI machine) let the loop run flood calls that were not a backlog.
	 */
	atomic_store(&calls_at_kick, atomic_load(&flood_calls));
	for (int i = 0; i < 500 && !handled.tv_sec; i++)
		msleep(10);
	atomic_store(&flooding, false);
	if (!handled.tv_sec)
		evloop_stop(floop);     /* not handled in 5 s: the check below fails */
	return NULL;
}

static int run_with(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int r;

	pthread_create(&t, NULL, fn, arg);
	r = evloop_run(loop);
	pthread_join(t, NULL);
	return r;
}

/*
 * Holding (vm.pause): a device watch and two operations wait while held, a control watch runs and
 * drives the scenario from inside the loop, as the API server does.
 */
static struct evloop *hl;
static int h_dev, h_ctl_fd, h_dev_calls, h_ops, h_step, h_pipe[2];
static bool h_held_ok, h_drain_to_ok, h_drain_ok, h_after_ok, h_kept_ok;
static struct ev_op h_nop, h_read;
static char h_byte, h_byte2;
static struct iovec h_iov = { &h_byte, 1 }, h_iov2 = { &h_byte2, 1 };
static int h_ready[2];   /* a pipe with a byte in it: the operation that completes at once */

static void h_op_done(void *opaque, int res)
{
	if (res == 1)   /* one byte read: refused or failed operations do not count */
		h_ops++;
}

static bool h_dev_ready(void *opaque, int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == sizeof(v))
		h_dev_calls++;
	return true;
}

static bool h_ctl_ready(void *opaque, int fd)
{
	unsigned int left = 99;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return true;
	if (h_step++ == 0) {
		/* Held since before the run: the device's kick and both operations wait. */
		h_held_ok = h_dev_calls == 0 && h_ops == 0;
		/* The read cannot complete (empty pipe): the drain times out saying one is left. */
		h_drain_to_ok = evloop_drain(hl, 100, &left) == -ETIMEDOUT && left == 1 && h_ops == 0;
		if (write(h_pipe[1], "x", 1) != 1)
			return true;
		h_drain_ok = evloop_drain(hl, 5000, &left) == 0 && left == 0 && h_ops == 0 && h_dev_calls == 0;
		{
			/* A live update reads the kept results (1 byte each); an op never submitted has none. */
			struct ev_op other = { .fn = h_op_done };
			int res1 = -1, res2 = -1, res3 = 0;

			h_kept_ok = !evloop_kept_result(hl, &h_nop, &res1) && res1 == 1 &&
				    !evloop_kept_result(hl, &h_read, &res2) && res2 == 1 &&
				    evloop_kept_result(hl, &other, &res3) == -ENOENT && h_ops == 0;
		}
		evloop_hold(hl, false);
		kick(h_ctl_fd);
	} else {
		h_after_ok = h_dev_calls == 1 && h_ops == 2;
		evloop_stop(hl);
	}
	return true;
}

static void held(void)
{
	struct ev_watch *w;
	struct io_uring_sqe *sqe;

	h_dev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h_ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h_dev < 0 || h_ctl_fd < 0 || pipe(h_pipe) || pipe(h_ready) || write(h_ready[1], "y", 1) != 1 ||
	    evloop_init(&hl, 16)) {
		CHECK(0, "held loop set-up");
		return;
	}
	h_nop = (struct ev_op){ .fn = h_op_done };
	h_read = (struct ev_op){ .fn = h_op_done };
	evloop_watch(hl, h_dev, h_dev_ready, NULL, NULL);
	evloop_watch(hl, h_ctl_fd, h_ctl_ready, NULL, &w);
	evloop_watch_control(w);
	evloop_hold(hl, true);
	/* The ring takes readv on fixed files only (evloop.c): one that completes at once, one that waits. */
	sqe = evloop_sqe(hl, &h_nop);
	if (sqe) {
		io_uring_prep_readv(sqe, evloop_file_add(hl, h_ready[0]), &h_iov2, 1, 0);
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	}
	sqe = evloop_sqe(hl, &h_read);
	if (sqe) {
		io_uring_prep_readv(sqe, evloop_file_add(hl, h_pipe[0]), &h_iov, 1, 0);
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	}
	kick(h_dev);
	kick(h_ctl_fd);
	CHECK(evloop_run(hl) == 0, "held loop runs");
	CHECK(h_held_ok, "held: a device watch's event and completed operations wait; a control watch runs");
	CHECK(h_drain_to_ok, "evloop_drain times out on an operation the kernel cannot finish, saying 1 is left");
	CHECK(h_drain_ok, "evloop_drain returns once it finished; its completion is kept, not handled");
	CHECK(h_kept_ok, "evloop_kept_result: each kept completion's result, -ENOENT for an op without one");
	CHECK(h_after_ok, "released: the kept kick and both completions are handled (dev %d, ops %d)", h_dev_calls, h_ops);
	evloop_destroy(hl);
	close(h_dev);
	close(h_ctl_fd);
	close(h_pipe[0]);
	close(h_pipe[1]);
	close(h_ready[0]);
	close(h_ready[1]);
}

int main(void)
{
	int one = 1, two = 2;
	struct ev_watch *w;
	struct ev_op op = { .fn = op_done };
	struct io_uring_sqe *sqe;
	char buf[8] = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	int mfd, slot;

	alarm(30);   /* a hang is a failure, not a stuck test run */
	main_thread = pthread_self();
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(evloop_init(&loop, 8) == 0, "evloop_init");

	CHECK(evloop_watch(loop, efd, on_efd, NULL, &w) == 0 && w, "watch an eventfd");
	CHECK(run_with(writer, &one) == 0 && ready_count == 1, "eventfd readiness reaches the handler");

	ready_count = 0;
	stop_at = 2;
	CHECK(run_with(writer, &two) == 0 && ready_count == 2, "the watch stays armed (%d)", ready_count);

	CHECK(run_with(caller, NULL) == 0 && call_count == 2, "evloop_call from another thread, in order");
	CHECK(calls_on_loop, "calls run on the loop thread");

	mfd = memfd_create("evloop-test", MFD_CLOEXEC);
	slot = evloop_file_add(loop, mfd);
	CHECK(mfd >= 0 && slot >= 0 && write(mfd, "nestvm", 6) == 6, "a file registered as fixed file %d", slot);
	sqe = evloop_sqe(loop, &op);
	CHECK(sqe != NULL, "evloop_sqe");
	if (sqe) {
		io_uring_prep_readv(sqe, slot, &iov, 1, 0);
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	}
	op_res = 1;
	CHECK(evloop_run(loop) == 0 && op_res == 6 && !memcmp(buf, "nestvm", 6),
	      "async readv of a fixed file completes through its ev_op (res %d)", op_res);

	/*
	 * Confinement: what seccomp forbids the loop thread must not be reachable through the ring.
	 * An opcode nestvm never submits is refused (even with the fixed-file flag the ring requires).
	 */
	sqe = evloop_sqe(loop, &op);
	if (sqe) {
		io_uring_prep_openat(sqe, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	}
	op_res = 1;
	CHECK(evloop_run(loop) == 0 && op_res == -EACCES, "IORING_OP_OPENAT refused: -EACCES (res %d)", op_res);
	sqe = evloop_sqe(loop, &op);
	if (sqe)
		io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM, 0, 0);
	op_res = 1;
	CHECK(evloop_run(loop) == 0 && op_res == -EACCES, "IORING_OP_SOCKET refused: -EACCES (res %d)", op_res);
	/* An allowed opcode on a plain fd (not handed to the ring): refused, the fd is never read. */
	sqe = evloop_sqe(loop, &op);
	if (sqe)
		io_uring_prep_readv(sqe, mfd, &iov, 1, 0);
	op_res = 1;
	CHECK(evloop_run(loop) == 0 && op_res == -EACCES, "readv without IOSQE_FIXED_FILE refused (res %d)", op_res);
	evloop_file_remove(loop, slot);
	sqe = evloop_sqe(loop, &op);
	if (sqe) {
		io_uring_prep_readv(sqe, slot, &iov, 1, 0);
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	}
	op_res = 1;
	CHECK(evloop_run(loop) == 0 && op_res == -EBADF, "a removed fixed file is gone (res %d)", op_res);
	slot = evloop_file_add(loop, mfd);

	/* Fill the SQ ring (8 entries) and beyond: evloop_sqe submits to make room. */
	{
		static struct ev_op ops[20];
		bool all = true;

		fsync_done = 0;
		fsync_total = 20;
		fsync_worst = 0;
		for (int i = 0; i < 20; i++) {
			ops[i].fn = fsync_op_done;
			sqe = evloop_sqe(loop, &ops[i]);
			all &= sqe != NULL;
			if (sqe) {
				io_uring_prep_fsync(sqe, slot, 0);
				io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
			}
		}
		CHECK(all, "more SQEs than the ring holds");
		/* All of them: one left in flight would complete into the next test's run. */
		CHECK(evloop_run(loop) == 0 && fsync_done == 20 && fsync_worst == 0,
		      "and all complete (%d, worst res %d)", fsync_done, fsync_worst);
	}

	/* A read that would wait forever (an empty pipe), cancelled: it completes, with -ECANCELED. */
	{
		int pfd[2], pslot;
		char c;
		struct iovec piov = { &c, 1 };

		if (pipe(pfd) == 0) {
			pslot = evloop_file_add(loop, pfd[0]);
			sqe = evloop_sqe(loop, &op);
			if (sqe) {
				io_uring_prep_readv(sqe, pslot, &piov, 1, 0);
				io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
			}
			op_res = 1;
			CHECK(sqe && evloop_cancel(loop, &op) == 0 && evloop_run(loop) == 0 && op_res == -ECANCELED,
			      "evloop_cancel: the op completes with -ECANCELED (%d)", op_res);
			evloop_file_remove(loop, pslot);
			close(pfd[0]);
			close(pfd[1]);
		}
	}

	ready_count = 0;
	stop_at = -1;
	keep_watching = false;   /* the handler asks to stop watching */
	CHECK(run_with(stop_after_handled, NULL) == 0 && ready_count == 1,
	      "handler returning false sees one event (%d)", ready_count);
	ready_count = 0;
	CHECK(run_with(stopper, NULL) == 0 && ready_count == 0, "and no more after it");

	evloop_stop(loop);
	CHECK(evloop_run(loop) == 0, "stop before run makes run return at once");

	calls_on_loop = true;
	CHECK(run_with(late_watcher, NULL) == 0 && ready2_count == 1, "watch added by another thread while running");
	CHECK(calls_on_loop, "its handler runs on the loop thread");

	efd3 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd4 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(evloop_init(&floop, 256) == 0 && evloop_watch(floop, efd3, on_flood, NULL, NULL) == 0 &&
	      evloop_watch(floop, efd4, on_urgent, NULL, NULL) == 0, "a flooded watch and another one");
	{
		pthread_t t;

		pthread_create(&t, NULL, flood_then_urgent, NULL);
		CHECK(evloop_run(floop) == 0 && handled.tv_sec, "the other watch is served during the flood");
		pthread_join(t, NULL);
	}
	if (handled.tv_sec) {
		long ms = (handled.tv_sec - kicked.tv_sec) * 1000 + (handled.tv_nsec - kicked.tv_nsec) / 1000000;

		/* Generous (a loaded machine): a backlog grows with the flood and has no bound at all. */
		CHECK(ms < 1000, "within a second of its event (%ld ms)", ms);
	}
	CHECK(flood_calls > 0, "and the flooded one too (%d calls)", flood_calls);
	/* The flooded watch's event pending at the kick, the one running, one more: no backlog. */
	CHECK(calls_at_handled - calls_at_kick <= 3, "%d calls of the flooded handler ran before the other event's",
	      calls_at_handled - calls_at_kick);

	evloop_destroy(floop);

	evloop_file_remove(loop, slot);
	evloop_destroy(loop);
	close(mfd);
	close(efd);
	close(efd2);
	close(efd3);
	close(efd4);
	held();
	return tap_done();
}
