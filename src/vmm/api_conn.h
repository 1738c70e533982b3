/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A control API connection as nestvm accepts it (api_server.c): its socket, and the file descriptors
 * the client passed with SCM_RIGHTS (unix(7)) on its first bytes, e.g. the VFIO cdev of a
 * vm.add-device {"fd": 0}. libmicrohttpd reads requests with recv(2), which would drop (close) them,
 * so they are taken first with recvmsg(MSG_PEEK) (a peek installs them as it would a read) and kept
 * here until a request takes one or the connection ends, which closes every one left. At most
 * API_CONN_MAX_FDS per connection: the kernel closes what does not fit (MSG_CTRUNC).
 */
#ifndef NESTVM_API_CONN_H
#define NESTVM_API_CONN_H

#include <stdbool.h>
#include <stdint.h>

#define API_CONN_MAX_FDS 4

struct api_conn {
	int fd;                         /* the connection's socket */
	int fds[API_CONN_MAX_FDS];      /* passed fds not taken yet, -1 where taken */
	unsigned int nr_fds;
	uint64_t since_ns;              /* accepted (CLOCK_MONOTONIC) */
	struct api_conn *next;
};

/* A connection for socket FD (not owned: whoever gives it to MHD or closes it does). NULL: no memory. */
struct api_conn *api_conn_new(int fd);
/*
 * Peeks at the first bytes of C's socket and keeps the fds passed with them: 1 when bytes are there
 * (with or without fds), 0 when none yet (EAGAIN), -errno on end of stream or error.
 */
int api_conn_peek(struct api_conn *c);
/* Passed fd IDX (0: the first), which the caller owns from then on; -1 when there is none (or taken). */
int api_conn_take(struct api_conn *c, unsigned int idx);
/* Closes the passed fds not taken and frees C (not its socket). */
void api_conn_free(struct api_conn *c);

#endif
