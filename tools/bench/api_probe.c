// SPDX-License-Identifier: GPL-2.0-only
/*
 * api_probe SOCKET MODE [ARGS]: what tests/testhost/api.sh does to nestvm's control API that
 * `nestvm ctl` never would (busybox nc has no unix sockets), and the pause latency benchmark.
 *   raw             send stdin as is; print the answer's status ("status 400") or "closed"
 *   hold SECS [TXT] connect, send TXT (maybe nothing), wait for the server to drop us:
 *                   "closed after N s" or "open after SECS s"
 *   crowd N         N clients at once, each a vmm.ping: "answered A dropped D other O"
 *   pause N         N x (vm.pause, vm.resume): pause round trip median and p99 in microseconds
 * Exit 0 when it got an outcome to print, 1 when the socket did not answer in time.
 */
#include <errno.h>
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

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: api_probe SOCKET raw|hold SECS [TXT]|crowd N|pause N\n");
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
		long long *us = calloc((size_t)(n > 0 ? n : 1), sizeof(*us));

		for (int i = 0; i < n; i++) {
			long long t0 = now_us();

			if (request(pause_req, sizeof(pause_req) - 1) != 204)
				return printf("pause %d failed\n", i), 1;
			us[i] = now_us() - t0;
			if (request(resume_req, sizeof(resume_req) - 1) != 204)
				return printf("resume %d failed\n", i), 1;
			usleep(20000);   /* let the guest run between pauses */
		}
		qsort(us, (size_t)n, sizeof(*us), cmp);
		printf("pause round trip over %d: median %lld us, p99 %lld us, max %lld us\n", n, us[n / 2],
		       us[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], us[n - 1]);
		free(us);
		return 0;
	}
	fprintf(stderr, "api_probe: unknown mode %s\n", argv[2]);
	return 2;
}
