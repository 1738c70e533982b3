// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host end of the guest console: stdin in raw mode (restored on every way out), the Ctrl-A
 * escape, and stdout output that never stalls a vCPU for long. SIGINT/SIGTERM/SIGHUP are taken
 * through a signalfd on the event loop, so no handler has to be async-signal-safe.
 *
 * Guest output is rate-limited (a token bucket: OUT_BURST bytes at once, then OUT_RATE per second):
 * a guest flooding its console (a UART, or a virtio-console transmitq kept full) must not make our
 * writes to stdout, and the time the event loop spends in them, unbounded. What is dropped is
 * reported in the output itself, at most once per OUT_NOTE_NS, and when the console goes away.
 */
#include "vmm/console.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "vmm/evloop.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/ratelimit.h"
#include "vmm/vm.h"

#define ESCAPE_CHAR 0x01          /* Ctrl-A, as in QEMU's -nographic */
#define WRITE_WAIT_MS 100         /* per poll() on a full stdout */
#define WRITE_MAX_WAITS 10        /* then drop the rest: a stuck reader must not stall vCPUs */
#define WRITE_CHUNK 256
/* Far above any boot log (a verbose Linux boot prints ~100 KiB) and 20x a 115200-baud UART. */
#define OUT_BURST (1024 * 1024)
#define OUT_RATE (256 * 1024)
#define OUT_NOTE_NS 1000000000ULL

static struct {
	struct vm *vm;
	console_input_fn fn;
	void *opaque;
	pthread_mutex_t in_lock;      /* fn/opaque: set from any thread, used on the loop */
	pthread_mutex_t out_lock;     /* keeps one writer's bytes together */
	struct termios saved;
	bool raw;
	bool escape;                  /* the previous input byte was Ctrl-A */
	bool stuck;                   /* stdout did not drain: drop without waiting until it does */
	bool atexit_done;
	bool out_rl_on;               /* out_rl initialised */
	struct ratelimit out_rl;      /* guest output, under out_lock */
	console_tap_fn tap;           /* under out_lock */
	void *tap_opaque;
	uint64_t last_note_ns;
	struct ev_watch *in_watch, *sig_watch;
	int sig_fd;
	sigset_t sigs, old_mask;
} con = {
	.in_lock = PTHREAD_MUTEX_INITIALIZER,
	.out_lock = PTHREAD_MUTEX_INITIALIZER,
	.sig_fd = -1,
};

static void restore_tty(void)
{
	if (con.raw && tcsetattr(STDIN_FILENO, TCSANOW, &con.saved) == 0)
		con.raw = false;
}

void console_set_input(console_input_fn fn, void *opaque)
{
	pthread_mutex_lock(&con.in_lock);
	con.fn = fn;
	con.opaque = opaque;
	pthread_mutex_unlock(&con.in_lock);
}

static void deliver(const uint8_t *buf, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&con.in_lock);
	if (con.fn)
		con.fn(con.opaque, buf, len);
	pthread_mutex_unlock(&con.in_lock);
}

static void out_write(const uint8_t *buf, size_t len);

static void escape_help(void)
{
	static const char help[] = "\r\nC-a x    exit\r\nC-a C-a  send C-a\r\nC-a h    this help\r\n";

	/* Ours, not the guest's: not charged to the guest's rate limit. */
	pthread_mutex_lock(&con.out_lock);
	out_write((const uint8_t *)help, sizeof(help) - 1);
	pthread_mutex_unlock(&con.out_lock);
}

/* Splits BUF at escape sequences; the bytes between them go to the front-end unchanged. */
static void handle_input(const uint8_t *buf, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (con.escape) {
			con.escape = false;
			start = i + 1;
			switch (buf[i]) {
			case 'x':
			case 'X':
				vm_request_exit(con.vm, EXIT_OK);
				return;
			case ESCAPE_CHAR:
				deliver(&buf[i], 1);
				break;
			case 'h':
			case '?':
				escape_help();
				break;
			default:
				break;   /* unknown escape: both bytes are swallowed */
			}
		} else if (buf[i] == ESCAPE_CHAR) {
			deliver(buf + start, i - start);
			con.escape = true;
			start = i + 1;
		}
	}
	if (start < len)
		deliver(buf + start, len - start);
}

static bool stdin_ready(void *opaque, int fd)
{
	uint8_t buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		handle_input(buf, (size_t)n);
		return true;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	/* EOF (or an unreadable stdin): the guest keeps running, it just gets no more input. */
	if (n < 0)
		pr_debug("console: stdin: %s", strerror(errno));
	con.in_watch = NULL;
	return false;
}

static bool signal_ready(void *opaque, int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return true;
	pr_info("signal %u: stopping the guest", si.ssi_signo);
	/* Shell convention for "ended by signal N". */
	vm_request_exit(con.vm, 128 + (int)si.ssi_signo);
	return true;
}

int console_init(struct vm *vm)
{
	struct termios t;
	int r;

	con.vm = vm;
	con.escape = con.stuck = false;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &con.saved) == 0) {
		if (!con.atexit_done) {
			/* Also on exit() paths that skip console_destroy. */
			atexit(restore_tty);
			con.atexit_done = true;
		}
		t = con.saved;
		cfmakeraw(&t);
		/* Keep output post-processing so our own "\n" messages still start at column 0. */
		t.c_oflag |= OPOST;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
			return err_errno("console: raw mode on stdin");
		con.raw = true;
	}

	/* A closed stdout pipe must not kill the VMM: console_write sees EPIPE and drops output. */
	signal(SIGPIPE, SIG_IGN);

	/* Blocked in every thread (vCPU threads inherit the mask) and read on the loop instead. */
	sigemptyset(&con.sigs);
	sigaddset(&con.sigs, SIGINT);
	sigaddset(&con.sigs, SIGTERM);
	sigaddset(&con.sigs, SIGHUP);
	r = pthread_sigmask(SIG_BLOCK, &con.sigs, &con.old_mask);
	if (r) {
		r = err_num(r, "console: blocking SIGINT/SIGTERM/SIGHUP");
		goto err_tty;
	}
	con.sig_fd = signalfd(-1, &con.sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (con.sig_fd < 0) {
		r = err_errno("console: signalfd");
		goto err_mask;
	}
	r = evloop_watch(vm->loop, con.sig_fd, signal_ready, NULL, &con.sig_watch);
	if (r)
		goto err_sigfd;
	evloop_watch_control(con.sig_watch);   /* SIGTERM stops a paused VM too */
	r = evloop_watch(vm->loop, STDIN_FILENO, stdin_ready, NULL, &con.in_watch);
	if (r)
		goto err_sigwatch;
	return 0;
err_sigwatch:
	evloop_unwatch(vm->loop, con.sig_watch);
	con.sig_watch = NULL;
err_sigfd:
	close(con.sig_fd);
	con.sig_fd = -1;
err_mask:
	pthread_sigmask(SIG_SETMASK, &con.old_mask, NULL);
err_tty:
	restore_tty();
	return r;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* out_lock held: says how much guest output the rate limit dropped since the last note. */
static void note_dropped(uint64_t now)
{
	uint64_t n = ratelimit_take_dropped(&con.out_rl);
	char note[96];
	int l;

	if (!n)
		return;
	con.last_note_ns = now;
	l = snprintf(note, sizeof(note), "\r\n[nestvm: %llu bytes of guest console output dropped (rate limit)]\r\n",
		     (unsigned long long)n);
	if (l > 0)
		out_write((const uint8_t *)note, (size_t)l < sizeof(note) ? (size_t)l : sizeof(note) - 1);
}

void console_destroy(struct vm *vm)
{
	pthread_mutex_lock(&con.out_lock);
	if (con.out_rl_on)
		note_dropped(now_ns());
	con.out_rl_on = false;
	pthread_mutex_unlock(&con.out_lock);
	/* The terminal first: a signal still pending below may end the process when unblocked. */
	restore_tty();
	if (con.in_watch)
		evloop_unwatch(vm->loop, con.in_watch);
	con.in_watch = NULL;
	if (con.sig_watch)
		evloop_unwatch(vm->loop, con.sig_watch);
	con.sig_watch = NULL;
	if (con.sig_fd >= 0) {
		close(con.sig_fd);
		con.sig_fd = -1;
		pthread_sigmask(SIG_SETMASK, &con.old_mask, NULL);
	}
	console_set_input(NULL, NULL);
	con.vm = NULL;
}

/* out_lock held. */
static void out_write(const uint8_t *buf, size_t len)
{
	unsigned int waits = 0;

	while (len) {
		struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
		ssize_t n;
		int r;

		/*
		 * A blocking write to a pipe or tty whose reader is stuck would never return, so wait
		 * for room first (bounded), and write chunks small enough to fit once there is room
		 * (<= PIPE_BUF, POSIX write(2)). Once stuck, drop without waiting until it drains.
		 */
		r = poll(&p, 1, con.stuck ? 0 : WRITE_WAIT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			if (con.stuck || ++waits >= WRITE_MAX_WAITS) {
				con.stuck = true;
				break;
			}
			continue;
		}
		if (r < 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL)))
			break;
		n = write(STDOUT_FILENO, buf, len < WRITE_CHUNK ? len : WRITE_CHUNK);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			con.stuck = false;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && ++waits < WRITE_MAX_WAITS)
			continue;
		break;   /* EPIPE, EIO: drop the output, keep the guest running */
	}
}

void console_writev(const struct iovec *iov, unsigned int n)
{
	uint64_t now;

	pthread_mutex_lock(&con.out_lock);
	now = now_ns();         /* under the lock: the bucket's clock never runs backwards */
	if (!con.out_rl_on) {
		ratelimit_init(&con.out_rl, OUT_RATE, OUT_BURST, now);
		con.last_note_ns = now;
		con.out_rl_on = true;
	}
	for (unsigned int i = 0; i < n; i++)
		if (iov[i].iov_base && con.tap)
			con.tap(con.tap_opaque, iov[i].iov_base, iov[i].iov_len);
	for (unsigned int i = 0; i < n; i++)
		if (iov[i].iov_base)
			out_write(iov[i].iov_base, (size_t)ratelimit_take(&con.out_rl, iov[i].iov_len, now));
	if (con.out_rl.dropped && now - con.last_note_ns >= OUT_NOTE_NS)
		note_dropped(now);
	pthread_mutex_unlock(&con.out_lock);
}

void console_set_output_tap(console_tap_fn fn, void *opaque)
{
	pthread_mutex_lock(&con.out_lock);
	con.tap = fn;
	con.tap_opaque = opaque;
	pthread_mutex_unlock(&con.out_lock);
}

void console_write(const uint8_t *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	console_writev(&iov, 1);
}
