// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_probe SOCKET MODE [ARGS]: what tests/testhost/api.sh does to nestvm's control API that
 * `nestvm ctl` never would (busybox nc has no unix sockets), and the pause latency benchmark.
 *   raw             send stdin as is; print the answer's status ("status 400") or "closed"
 *   hold SECS [TXT] connect, send TXT (maybe nothing), wait for the server to drop us:
 *                   "closed after N s" or "open after SECS s"
 *   crowd N         N clients at once, each a vmm.ping: "answered A dropped D other O"
 *   pause N         N x (vm.pause, vm.resume), each a request on its own connection as ch-remote
 *                   makes them: round trips of both, median and p99 in microseconds
 *   sendfd PATH X I [ID]  vm.add-device {"fd": I, "id": ID} with the fds passed by SCM_RIGHTS
 *                   (unix(7)) on the request's bytes: PATH opened (a VFIO cdev; "-": none, and the
 *                   request is a vmm.ping), then X more (/dev/null); print the answer's status
 *   qmp-pause N     the same on a QEMU QMP socket (tools/bench/pause's peer): N x (stop, cont) on
 *                   one QMP session, each timed from the command to its {"return"} (QEMU's stop
 *                   returns once every vCPU is paused, as vm.pause does), then quit
 * Exit 0 when it got an outcome to print, 1 when the socket did not answer in time.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/http_response.h"

#define PING "GET /api/v1/vmm.ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

static const char *sock_path;

static long long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static int connect_api(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The answer's status; 0: closed without one; -1: nothing within TIMEOUT_MS. */
static int answer(int fd, int timeout_ms)
{
	static char buf[1 << 16];
	struct http_response h;
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (http_response_parse(buf, len, false, &h) == 0)
			return h.status;
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
		n = recv(fd, buf + len, sizeof(buf) - len, 0);
		if (n <= 0)
			return len && http_response_parse(buf, len, true, &h) == 0 ? h.status : 0;
		len += (size_t)n;
	}
}

static int request(const char *req, size_t len)
{
	int fd = connect_api(), s;

	if (fd < 0)
		return 0;
	if (send(fd, req, len, MSG_NOSIGNAL) < 0) {
		close(fd);
		return 0;
	}
	s = answer(fd, 20000);
	close(fd);
	return s;
}

/* sendfd mode: the request and its fds in one sendmsg, as a manager passing a device would. */
static int sendfd(const char *path, int extra, int idx, const char *id)
{
	char req[512], body[128];
	int fds[64], nfds = 0, fd, st = -1;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(fds))];
	} ctl;
	struct iovec iov;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *h;

	if (extra < 0 || extra > 63)
		return printf("extra fds: 0-63\n"), -1;
	if (strcmp(path, "-")) {
		fds[nfds] = open(path, O_RDWR | O_CLOEXEC);
		if (fds[nfds] < 0)
			return printf("open %s: %s\n", path, strerror(errno)), -1;
		nfds++;
	}
	while (extra-- > 0) {
		fds[nfds] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fds[nfds] < 0)
			return printf("open /dev/null: %s\n", strerror(errno)), -1;
		nfds++;
	}
	if (strcmp(path, "-")) {
		snprintf(body, sizeof(body), "{\"fd\": %d%s%s%s}", idx, id ? ", \"id\": \"" : "", id ? id : "", id ? "\"" : "");
		snprintf(req, sizeof(req), "PUT /api/v1/vm.add-device HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	} else {
		snprintf(req, sizeof(req), "%s", PING);
	}
	iov = (struct iovec){ .iov_base = req, .iov_len = strlen(req) };
	if (nfds) {
		memset(ctl.buf, 0, sizeof(ctl.buf));
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)nfds);
	}
	fd = connect_api();
	if (fd >= 0 && sendmsg(fd, &m, MSG_NOSIGNAL) == (ssize_t)iov.iov_len)
		st = answer(fd, 20000);
	else if (fd >= 0)
		printf("sendmsg: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	return st;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

struct times {
	long long *pause, *resume;
};

static int times_alloc(struct times *t, int n)
{
	t->pause = calloc((size_t)(n > 0 ? n : 1), sizeof(long long));
	t->resume = calloc((size_t)(n > 0 ? n : 1), sizeof(long long));
	if (n <= 0 || !t->pause || !t->resume) {
		printf("need N > 0 (and memory)\n");
		return -1;
	}
	return 0;
}

static void times_print(struct times *t, int n)
{
	int p99 = (n * 99) / 100 < n ? (n * 99) / 100 : n - 1;

	qsort(t->pause, (size_t)n, sizeof(long long), cmp);
	qsort(t->resume, (size_t)n, sizeof(long long), cmp);
	printf("over %d: pause median %lld us p99 %lld us max %lld us, resume median %lld us p99 %lld us max %lld us\n",
	       n, t->pause[n / 2], t->pause[p99], t->pause[n - 1], t->resume[n / 2], t->resume[p99], t->resume[n - 1]);
	free(t->pause);
	free(t->resume);
}

/*
 * QMP (docs/interop/qmp-spec): a greeting, then one JSON object per line; events ({"event":...})
 * may come between a command and its {"return"...} or {"error"...}. Waits for that answer; 0 when
 * it is a return.
 */
static int qmp_cmd(int fd, const char *cmd)
{
	static char buf[1 << 16];
	static size_t len;

	if (cmd && send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0)
		return -1;
	for (;;) {
		char *nl;

		while ((nl = memchr(buf, '\n', len))) {
			size_t l = (size_t)(nl - buf) + 1;
			int r = strstr(buf, "\"return\"") && (size_t)(strstr(buf, "\"return\"") - buf) < l ? 0 :
				strstr(buf, "\"error\"") && (size_t)(strstr(buf, "\"error\"") - buf) < l ? -1 :
				strstr(buf, "\"QMP\"") && (size_t)(strstr(buf, "\"QMP\"") - buf) < l ? 1 : 2;

			memmove(buf, buf + l, len - l);
			len -= l;
			buf[len] = 0;
			if (r == 0 || r == -1 || (r == 1 && !cmd))
				return r < 0 ? -1 : 0;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (len >= sizeof(buf) - 1 || poll(&p, 1, 20000) <= 0)
			return -1;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = 0;
	}
}

static int qmp_pause(int n)
{
	int fd = connect_api();
	struct times t;

	if (fd < 0)
		return printf("no QMP socket\n"), 1;
	if (qmp_cmd(fd, NULL) || qmp_cmd(fd, "{\"execute\":\"qmp_capabilities\"}\n"))
		return printf("QMP handshake failed\n"), 1;
	if (times_alloc(&t, n))
		return 1;
	for (int i = 0; i < n; i++) {
		long long t0 = now_us();

		if (qmp_cmd(fd, "{\"execute\":\"stop\"}\n"))
			return printf("stop %d failed\n", i), 1;
		t.pause[i] = now_us() - t0;
		t0 = now_us();
		if (qmp_cmd(fd, "{\"execute\":\"cont\"}\n"))
			return printf("cont %d failed\n", i), 1;
		t.resume[i] = now_us() - t0;
		usleep(20000);
	}
	times_print(&t, n);
	qmp_cmd(fd, "{\"execute\":\"quit\"}\n");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: api_probe SOCKET raw|hold SECS [TXT]|crowd N|pause N|qmp-pause N\n");
		return 2;
	}
	sock_path = argv[1];
	if (!strcmp(argv[2], "raw")) {
		static char req[1 << 20];
		size_t len = fread(req, 1, sizeof(req), stdin);
		int s = request(req, len);

		if (s < 0)
			return printf("no answer\n"), 1;
		return s ? printf("status %d\n", s) : printf("closed\n"), 0;
	}
	if (!strcmp(argv[2], "hold") && argc >= 4) {
		int fd = connect_api(), secs = atoi(argv[3]), s;
		long long t0 = now_us();

		if (fd < 0)
			return printf("closed at connect\n"), 0;
		if (argc > 4 && send(fd, argv[4], strlen(argv[4]), MSG_NOSIGNAL) < 0)
			return printf("closed after 0 s\n"), 0;
		s = answer(fd, secs * 1000);
		if (s < 0)
			return printf("open after %d s\n", secs), 0;
		printf("closed after %lld s%s\n", (now_us() - t0) / 1000000, s ? " (with an answer)" : "");
		return 0;
	}
	if (!strcmp(argv[2], "crowd") && argc >= 4) {
		int n = atoi(argv[3]), *fds = calloc((size_t)n, sizeof(int)), ok = 0, dropped = 0, other = 0;

		for (int i = 0; i < n; i++) {
			fds[i] = connect_api();
			if (fds[i] >= 0 && send(fds[i], PING, strlen(PING), MSG_NOSIGNAL) < 0) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
		for (int i = 0; i < n; i++) {
			int s = fds[i] < 0 ? 0 : answer(fds[i], 20000);

			if (s == 200)
				ok++;
			else if (s == 0)
				dropped++;
			else
				other++;
			if (fds[i] >= 0)
				close(fds[i]);
		}
		printf("answered %d dropped %d other %d\n", ok, dropped, other);
		free(fds);
		return 0;
	}
	if (!strcmp(argv[2], "pause") && argc >= 4) {
		static const char pause_req[] = "PUT /api/v1/vm.pause HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
		static const char resume_req[] = "PUT /api/v1/vm.resume HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
		int n = atoi(argv[3]);
		struct times t;

		if (times_alloc(&t, n))
			return 1;
		for (int i = 0; i < n; i++) {
			long long t0 = now_us();

			if (request(pause_req, sizeof(pause_req) - 1) != 204)
				return printf("pause %d failed\n", i), 1;
			t.pause[i] = now_us() - t0;
			t0 = now_us();
			if (request(resume_req, sizeof(resume_req) - 1) != 204)
				return printf("resume %d failed\n", i), 1;
			t.resume[i] = now_us() - t0;
			usleep(20000);   /* let the guest run between pauses */
		}
		times_print(&t, n);
		return 0;
	}
	if (!strcmp(argv[2], "sendfd") && argc >= 6) {
		int st = sendfd(argv[3], atoi(argv[4]), atoi(argv[5]), argc >= 7 ? argv[6] : NULL);

		if (st < 0)
			return 1;
		printf(st ? "status %d\n" : "closed\n", st);
		return 0;
	}
	if (!strcmp(argv[2], "qmp-pause") && argc >= 4)
		return qmp_pause(atoi(argv[3]));
	fprintf(stderr, "api_probe: unknown mode %s\n", argv[2]);
	return 2;
}
