// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control API server on a real unix socket, driven by the real io_uring event loop: answers,
 * HTTP errors for bad requests, a silent client neither blocking the loop nor holding its slot past
 * the timeout, a crowd of clients, owner-only socket, shutdown after the reply, and serving under
 * the loop thread's seccomp filter (forked child: a forbidden syscall would end it).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/api_conn.h"
#include "vmm/api_server.h"
#include "vmm/evloop.h"
#include "vmm/http_response.h"
#include "vmm/seccomp.h"

static char sock_path[108];
static struct evloop *loop;
static struct api_server *srv;
static int pings;
static bool confine;
static pthread_mutex_t up_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t up_cond = PTHREAD_COND_INITIALIZER;
static int up;   /* 1 serving, -1 failed */

/* What the last ping's handler found passed with SCM_RIGHTS: fd 0 taken (then closed), -1 none. */
static int took_fd = -2;

static json_object *op_ping(void *o)
{
	json_object *j = json_object_new_object();
	int fd = api_server_take_fd(0);

	took_fd = fd;
	if (fd >= 0) {
		close(fd);
		if (api_server_take_fd(0) != -1)
			took_fd = -3;   /* taken twice */
	}
	json_object_object_add(j, "pings", json_object_new_int(++pings));
	return j;
}

static void stop_loop(void *o)
{
	evloop_stop(loop);
}

static int op_shutdown(void *o, struct api_result *r)
{
	r->after = stop_loop;
	return 0;
}

static const struct api_ops ops = { .ping = op_ping, .vmm_shutdown = op_shutdown };

static void *server(void *arg)
{
	int r = evloop_init(&loop, 64);

	if (!r)
		r = api_server_create(&srv, sock_path, -1, loop, &ops);
	/* What the sanitizers' runtime needs besides (never in nestvm's own filter). */
	if (!r && confine) {
		static const int asan[] = { SYS_sigaltstack, SYS_prctl, SYS_sched_getaffinity };

		r = seccomp_install_extra(SECCOMP_THREAD_LOOP, SECCOMP_ON, asan, sizeof(asan) / sizeof(asan[0]));
	}
	pthread_mutex_lock(&up_lock);
	up = r ? -1 : 1;
	pthread_cond_broadcast(&up_cond);
	pthread_mutex_unlock(&up_lock);
	if (r)
		return NULL;
	r = evloop_run(loop);
	api_server_destroy(srv);
	evloop_destroy(loop);
	if (confine)
		syscall(SYS_exit_group, r ? 5 : 0);   /* the child's verdict; no unconfined teardown */
	return NULL;
}

static pthread_t start_server(void)
{
	pthread_t t;

	up = 0;
	pthread_create(&t, NULL, server, NULL);
	pthread_mutex_lock(&up_lock);
	while (!up)
		pthread_cond_wait(&up_cond, &up_lock);
	pthread_mutex_unlock(&up_lock);
	return t;
}

static int connect_api(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(a.sun_path, sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until the server closes or a response is complete; its status, 0 on a clean close, -1 on timeout. */
static int read_status(int fd, int timeout_ms, char *body, size_t body_size)
{
	static char buf[65536];
	struct http_response h;
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r = http_response_parse(buf, len, false, &h);

		if (r == 0)
			break;
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n <= 0) {
			if (len && http_response_parse(buf, len, true, &h) == 0)
				break;
			return 0;   /* closed (or reset) without an answer */
		}
		len += (size_t)n;
	}
	if (body && body_size) {
		size_t l = h.body_len < body_size - 1 ? h.body_len : body_size - 1;

		memcpy(body, h.body, l);
		body[l] = '\0';
	}
	return h.status;
}

static int request(const char *raw, char *body, size_t body_size)
{
	int fd = connect_api(), st;

	if (fd < 0)
		return -2;
	if (send(fd, raw, strlen(raw), MSG_NOSIGNAL) < 0) {
		close(fd);
		return -3;
	}
	st = read_status(fd, getenv("T_LONG") ? 30000 : 10000, body, body_size);
	close(fd);
	return st;
}

#define PING "GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

/*
 * RAW with N fds of /dev/null passed by SCM_RIGHTS (unix(7)) on its bytes, then REST (may be NULL)
 * in a write of its own; the answer's status.
 */
static int request_fds_split(const char *raw, int n, const char *rest)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 16)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)raw, .iov_len = strlen(raw) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[16], fd = connect_api(), st = -3;
	struct cmsghdr *h;

	memset(ctl.buf, 0, sizeof(ctl.buf));
	for (int i = 0; i < n && i < 16; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (n) {
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)n);
	}
	if (fd >= 0 && sendmsg(fd, &m, MSG_NOSIGNAL) == (ssize_t)iov.iov_len &&
	    (!rest || send(fd, rest, strlen(rest), MSG_NOSIGNAL) == (ssize_t)strlen(rest)))
		st = read_status(fd, 2000, NULL, 0);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < n && i < 16; i++)
		close(fds[i]);
	return st;
}

static int request_fds(const char *raw, int n)
{
	return request_fds_split(raw, n, NULL);
}

/* Open fds of this process (the server runs in it): received ones included. */
static int count_fds(void)
{
	char p[64];
	int n = 0;

	for (int i = 0; i < 4096; i++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", i);
		n += access(p, F_OK) == 0;
	}
	return n;
}

/* The connection's passed fds are closed once MHD closed it: the count comes back to N within 2 s. */
static bool fds_back_to(int n)
{
	for (int i = 0; i < 200 && count_fds() != n; i++)
		usleep(10000);
	return count_fds() == n;
}

static void passed_fds(void)
{
	int n0 = count_fds(), n;

	/* Earlier tests' connections may still be closing: the count must hold still for 300 ms. */
	for (int i = 0; i < 50; i++, n0 = n) {
		usleep(300000);
		n = count_fds();
		if (n == n0)
			break;
	}

	CHECK(request_fds(PING, 1) == 200 && took_fd >= 0, "a fd passed with SCM_RIGHTS reaches the handler");
	CHECK(fds_back_to(n0), "it was the handler's to close: nothing left open (%d fds, %d before)", count_fds(), n0);
	CHECK(request_fds(PING, 3) == 200 && took_fd >= 0 && fds_back_to(n0),
	      "3 passed, the handler takes one: the 2 others are closed with the connection");
	CHECK(request_fds(PING, 12) == 200 && took_fd >= 0 && fds_back_to(n0),
	      "12 passed (more than the %d kept): the rest closed, none leaks", API_CONN_MAX_FDS);
	CHECK(request_fds(PING, 0) == 200 && took_fd == -1, "none passed: the handler gets -1");
	CHECK(request(PING, NULL, 0) == 200 && took_fd == -1 && fds_back_to(n0), "a plain request as before");
	/* The body in a write of its own, after the bytes carrying the fd: a unix socket read stops
	 * between them, which MHD's edge-triggered mode would take for "drained" (api_server.c kick). */
	{
		static const char head[] = "PUT /api/v1/vm.pause HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
					   "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n";
		int answered = 0;

		for (int i = 0; i < 20; i++)
			answered += request_fds_split(head, 1, "{\"a\":1}") == 501;
		CHECK(answered == 20 && fds_back_to(n0),
		      "fd with the head, body written after it: %d/20 answered within 2 s (501: no pause here), no fd left", answered);
	}
}

static void basics(void)
{
	char body[256];
	struct stat st;
	int s;

	CHECK(stat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
	      "the socket is owner-only (mode %o)", st.st_mode & 0777);
	s = request(PING, body, sizeof(body));
	CHECK(s == 200 && strstr(body, "\"pings\":"), "GET vmm.ping: 200 %s", body);
	CHECK(request("PUT /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", NULL, 0) == 405,
	      "wrong method: 405");
	CHECK(request("GET /api/v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0) == 404, "unknown endpoint: 404");
	s = request("hello there\r\n\r\n", NULL, 0);
	CHECK(s == 400 || s == 0, "garbage: 400 or closed (%d)", s);
	s = request("GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n", NULL, 0);
	CHECK(s == 413, "declared huge body: 413 before reading it (%d)", s);
	{
		static char big[API_MAX_BODY + 300];
		int n = snprintf(big, sizeof(big), "PUT /api/v1/vm.pause HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n",
				 API_MAX_BODY + 100);

		memset(big + n, ' ', API_MAX_BODY + 100);
		strcpy(big + n + API_MAX_BODY + 100, "\r\n0\r\n\r\n");
		s = request(big, NULL, 0);
		CHECK(s == 413 || s == 0, "chunked body over the limit: 413 or closed (%d)", s);
	}
	{
		static char hdr[40000];
		int n = snprintf(hdr, sizeof(hdr), "GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\nX-Big: ");

		memset(hdr + n, 'a', sizeof(hdr) - n - 8);
		strcpy(hdr + sizeof(hdr) - 8, "\r\n\r\n");
		s = request(hdr, NULL, 0);

		CHECK(s == 431 || s == 413 || s == 400 || s == 0, "oversized header block: refused (%d)", s);
	}
	CHECK(request(PING, body, sizeof(body)) == 200, "the server still answers after all that");
}

static void silent_and_crowd(void)
{
	int silent = connect_api(), half = connect_api(), fds[100], ok = 0, closed = 0, other = 0, s;
	struct timespec t0, t1;

	/* Half a request, then nothing: neither may hold up anyone else. */
	CHECK(silent >= 0 && half >= 0 && send(half, "GET /api/v1/vmm.ping HTT", 24, MSG_NOSIGNAL) == 24,
	      "a silent client and a half-request client are connected");
	CHECK(request(PING, NULL, 0) == 200, "meanwhile another client is answered");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = read_status(half, (API_CONN_TIMEOUT_S + 5) * 1000, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(s == 0 || s == 408, "the half request is dropped at its timeout (%d after %lds)", s, (long)(t1.tv_sec - t0.tv_sec));
	CHECK(read_status(silent, 2000, NULL, 0) == 0, "the silent client is dropped too");
	close(silent);
	close(half);

	/* 100 clients at once: each answered or cleanly closed, none hangs; the server survives. */
	for (int i = 0; i < 100; i++) {
		fds[i] = connect_api();
		if (fds[i] >= 0 && send(fds[i], PING, strlen(PING), MSG_NOSIGNAL) < 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (int i = 0; i < 100; i++) {
		if (fds[i] < 0) {
			closed++;   /* refused at connect: the backlog was full */
			continue;
		}
		s = read_status(fds[i], 10000, NULL, 0);
		if (s == 200)
			ok++;
		else if (s == 0)
			closed++;
		else
			other++;
		close(fds[i]);
	}
	CHECK(ok >= 1 && !other, "100 concurrent clients: %d answered, %d dropped cleanly, %d otherwise", ok, closed, other);
	CHECK(request(PING, NULL, 0) == 200, "and a new client is answered afterwards");
}

static void shutdown_reply(pthread_t t)
{
	char body[64];

	CHECK(request("PUT /api/v1/vmm.shutdown HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", body, sizeof(body)) == 204,
	      "vmm.shutdown: the 204 reaches the client before the loop stops");
	pthread_join(t, NULL);
}

static void confined(void)
{
	char body[64];
	pid_t pid;
	int st = -1, s;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pthread_t t;

		confine = true;
		t = start_server();
		if (up < 0)
			_exit(4);
		pthread_join(t, NULL);   /* the server thread ends the process */
		_exit(6);
	}
	/* Wait for the server (a stale socket file may be there before it replaces it). */
	for (int i = 0; i < 500; i++) {
		int fd = connect_api();

		if (fd >= 0) {
			close(fd);
			break;
		}
		usleep(10000);
	}
	s = request(PING, body, sizeof(body));
	CHECK(s == 200, "under the loop's seccomp filter: vmm.ping served (%d)", s);
	s = request("nonsense\r\n\r\n", NULL, 0);
	CHECK(s == 400 || s == 0, "under the filter: garbage refused (%d)", s);
	CHECK(request("GET /api/v1/x HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0) == 404, "under the filter: 404");
	CHECK(request("PUT /api/v1/vmm.shutdown HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0) == 204, "under the filter: shutdown");
	if (pid > 0)
		waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "the confined server made no forbidden syscall and ended cleanly (status 0x%x)", st);
}

int main(void)
{
	pthread_t t;

	snprintf(sock_path, sizeof(sock_path), "/tmp/nestvm-test-api-%d.sock", (int)getpid());
	/* First, from a process that never served a request: what libc or MHD do once, on first use
	 * (glibc reads /etc/localtime on the first Date header), must happen before the filter. */
	confined();
	t = start_server();
	CHECK(up == 1, "the server starts on %s", sock_path);
	if (up != 1)
		return tap_done();
	basics();
	passed_fds();
	silent_and_crowd();
	shutdown_reply(t);
	unlink(sock_path);
	return tap_done();
}
