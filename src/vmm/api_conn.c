// SPDX-License-Identifier: GPL-2.0-only
/* A control API connection and the fds its client passed (api_conn.h). */
#include "vmm/api_conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmm/log.h"

struct api_conn *api_conn_new(int fd)
{
	struct api_conn *c = calloc(1, sizeof(*c));
	struct timespec t;

	if (!c)
		return NULL;
	c->fd = fd;
	for (unsigned int i = 0; i < API_CONN_MAX_FDS; i++)
		c->fds[i] = -1;
	clock_gettime(CLOCK_MONOTONIC, &t);
	c->since_ns = (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
	return c;
}

int api_conn_peek(struct api_conn *c)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * API_CONN_MAX_FDS)];
	} ctl;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;

	memset(ctl.buf, 0, sizeof(ctl.buf));
	/* MSG_CMSG_CLOEXEC: nothing nestvm execs (vm.update) inherits a client's fd by accident. */
	n = recvmsg(c->fd, &m, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
		size_t nr;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS || h->cmsg_len < CMSG_LEN(0))
			continue;
		nr = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nr; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(fd));
			if (c->nr_fds < API_CONN_MAX_FDS)
				c->fds[c->nr_fds++] = fd;
			else
				close(fd);
		}
	}
	if (m.msg_flags & MSG_CTRUNC)
		pr_debug("api: a client passed more than %d fds: the rest were closed", API_CONN_MAX_FDS);
	if (c->nr_fds)
		pr_debug("api: %u fd(s) passed with SCM_RIGHTS", c->nr_fds);
	return 1;
}

int api_conn_take(struct api_conn *c, unsigned int idx)
{
	int fd;

	if (!c || idx >= c->nr_fds)
		return -1;
	fd = c->fds[idx];
	c->fds[idx] = -1;
	return fd;
}

void api_conn_free(struct api_conn *c)
{
	if (!c)
		return;
	for (unsigned int i = 0; i < c->nr_fds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	free(c);
}
