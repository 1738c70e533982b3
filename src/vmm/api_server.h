/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control API server: HTTP/1.1 on a unix socket (--api-socket), served by libmicrohttpd without
 * threads of its own: its epoll fd is watched by the VM's io_uring event loop and a 1 s timerfd
 * lets it expire idle connections, so every request runs on the loop thread (under its seccomp
 * filter) and a silent or slow client costs one connection slot until its timeout, never the loop.
 */
#ifndef NESTVM_API_SERVER_H
#define NESTVM_API_SERVER_H

#include "vmm/api_route.h"

struct evloop;
struct api_server;

#define API_MAX_CONNECTIONS 16
#define API_CONN_TIMEOUT_S 5     /* an idle or stalled connection is closed after this */

/*
 * Socket: PATH (created owner-only; a stale socket file is replaced) or FD (a listening unix
 * socket passed by a manager), exactly one. Serves OPS from LOOP.
 */
int api_server_create(struct api_server **out, const char *path, int fd, struct evloop *loop,
		      const struct api_ops *ops);
/*
 * Live update: the listening socket (the new process serves it), and the connection of the request
 * being answered, -1 outside one (the new process answers vm.update on it).
 */
int api_server_listen_fd(struct api_server *s);
int api_server_request_fd(void);
/*
 * In a request's handler: fd IDX (0: the first) of those the client passed with SCM_RIGHTS on the
 * request's connection (api_conn.h), now the caller's to close; -1 when there is none.
 */
int api_server_take_fd(unsigned int idx);
/*
 * Closes every connection and the socket; after the loop stopped for good, before evloop_destroy.
 * The socket file is left (no unlink under the loop's seccomp filter); the next start replaces it.
 */
void api_server_destroy(struct api_server *s);

#endif
