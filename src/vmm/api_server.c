// SPDX-License-Identifier: GPL-2.0-only
/* The control API's HTTP server: libmicrohttpd in external-epoll mode on the event loop. */
#include "vmm/api_server.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/api_conn.h"
#include "vmm/evloop.h"
#include "vmm/log.h"

#define API_TICK_S 1   /* how often idle connections are checked for their timeout */

/* The connection of the request being answered (api_server_request_fd, _take_fd), -1 / NULL outside one. */
static int request_fd = -1;
static struct api_server *request_srv;

struct api_server {
	struct MHD_Daemon *d;
	struct evloop *loop;
	struct ev_watch *watch;
	/* A periodic timerfd rather than an io_uring timeout: set once before the loop's confinement,
	 * then only read, and a poll is all the loop's ring needs for it. */
	int tick_fd;
	struct ev_watch *tick_watch;
	bool deferred;              /* a run_deferred call is queued on the loop */
	const struct api_ops *ops;
	char *path;                 /* the socket file nestvm made, removed at the end */
	/*
	 * nestvm accepts, not MHD: a connection waits (PENDING, watched) for its first bytes, whose
	 * SCM_RIGHTS fds are taken before MHD's recv() would drop them, then goes to MHD (LIVE) with
	 * its fds, which are closed when MHD closes the connection (api_conn.h).
	 */
	int lfd;
	struct ev_watch *lwatch;
	struct pending *pending;
	struct api_conn *live;
	unsigned int nr_pending, nr_live;
};

struct pending {
	struct api_server *s;
	struct api_conn *c;
	struct ev_watch *watch;
	struct pending *next;
};

/* One request: its body so far, and what to do once its reply has been sent. */
struct api_req {
	char *body;
	size_t len;
	size_t expect;              /* Content-Length, 0: none given */
	bool answered;              /* a reply is queued (early 413) */
	void (*after)(void *opaque);
};

static enum MHD_Result send_reply(struct MHD_Connection *c, struct api_req *q, struct api_reply *rep)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		api_reply_free(rep);
		return MHD_NO;   /* MHD closes the connection */
	}
	rep->body = NULL;    /* the response owns it now */
	if (rep->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
	if (rep->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
	r = MHD_queue_response(c, (unsigned int)rep->status, resp);
	MHD_destroy_response(resp);
	q->answered = true;
	q->after = r == MHD_YES ? rep->after : NULL;
	return r;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, struct api_req *q, int status, const char *msg)
{
	struct api_reply rep;

	api_reply_error(&rep, status, "%s\n", msg);
	return send_reply(c, q, &rep);
}

/* C's client passed fds with its first bytes (api_conn.h). */
static bool had_fds(struct api_server *s, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

	for (struct api_conn *k = s->live; ci && k; k = k->next)
		if (k->fd == ci->connect_fd)
			return k->nr_fds > 0;
	return false;
}

/*
 * A unix socket read stops at the end of the bytes that carried SCM_RIGHTS fds (unix(7): they are
 * never merged with later ones), and libmicrohttpd's edge-triggered epoll mode takes such a short
 * read for "drained": a body the client wrote separately, already queued, would wait for the 5 s
 * timeout. Suspending and resuming the connection (its public API) marks it ready again, so the
 * body is read on the next run.
 */
static void kick(struct MHD_Connection *c)
{
	MHD_suspend_connection(c);
	MHD_resume_connection(c);
}

/*
 * MHD calls this first with the headers (*CON_CLS NULL), then once per piece of body, then once
 * with *UPLOAD_SIZE 0 when the request is complete: only then is it routed.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct api_server *s = cls;
	struct api_req *q = *con_cls;
	struct api_reply rep;
	const char *cl;

	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q)
			return MHD_NO;
		*con_cls = q;
		/* Refuse a declared oversized body before reading it (RFC 9110 15.5.14). */
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > API_MAX_BODY)
			return reply_error(c, q, 413, "request body too large");
		q->expect = cl ? (size_t)strtoull(cl, NULL, 10) : 0;
		if (q->expect && had_fds(s, c))
			kick(c);
		return MHD_YES;
	}
	if (q->answered) {
		*upload_size = 0;    /* discard what follows an early reply */
		return MHD_YES;
	}
	if (*upload_size) {
		char *b;

		if (*upload_size > API_MAX_BODY - q->len)
			return reply_error(c, q, 413, "request body too large");
		b = realloc(q->body, q->len + *upload_size + 1);
		if (!b)
			return MHD_NO;
		memcpy(b + q->len, upload, *upload_size);
		q->body = b;
		q->len += *upload_size;
		q->body[q->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	/* A call without data before the declared body is all there (after kick's resume): more to come. */
	if (q->len < q->expect)
		return MHD_YES;
	{
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		request_fd = ci ? ci->connect_fd : -1;
	}
	request_srv = s;
	api_route(s->ops, method, url, q->body ? q->body : "", q->len, &rep);
	request_fd = -1;
	request_srv = NULL;
	return send_reply(c, q, &rep);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct api_server *s = cls;
	struct api_req *q = *con_cls;

	if (!q)
		return;
	*con_cls = NULL;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		pr_debug("api: request ended early (MHD code %d)", (int)toe);
	/* The action was accepted when its reply was queued: it happens even if the client left. */
	if (q->after)
		q->after(s->ops->opaque);
	free(q->body);
	free(q);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	pr_debug("api: %s", msg);
}

static void run_mhd(struct api_server *s);

static void run_deferred(void *opaque, int res)
{
	struct api_server *s = opaque;

	s->deferred = false;
	run_mhd(s);
}

/*
 * MHD watches its connections edge-triggered and reads at most a buffer's worth per call: when it
 * has more to do at once (MHD_get_timeout 0) nothing would wake the loop for it, so it is called
 * again on the next loop turn (not in a loop here: other watches get their turn in between).
 */
static void run_mhd(struct api_server *s)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (MHD_run(s->d) != MHD_YES)
		pr_debug("api: MHD_run failed");
	if (s->deferred || MHD_get_timeout(s->d, &t) != MHD_YES || t)
		return;
	if (evloop_call(s->loop, run_deferred, s) == 0)
		s->deferred = true;
}

static bool on_ready(void *opaque, int fd)
{
	run_mhd(opaque);
	return true;
}

/* Takes P off the pending list; its connection is then the caller's. */
static void pending_unlink(struct pending *p)
{
	struct api_server *s = p->s;

	for (struct pending **pp = &s->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			s->nr_pending--;
			return;
		}
	}
}

static void live_unlink(struct api_server *s, struct api_conn *c)
{
	for (struct api_conn **pp = &s->live; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			s->nr_live--;
			return;
		}
	}
}

/* A pending connection that never sent, or the server going: socket and passed fds closed. */
static void pending_drop(struct pending *p)
{
	evloop_unwatch(p->s->loop, p->watch);
	close(p->c->fd);
	api_conn_free(p->c);
	free(p);
}

/* C's first bytes are there (its passed fds kept): MHD gets the connection and is run at once for them. */
static void to_mhd(struct api_server *s, struct api_conn *c)
{
	struct sockaddr_un peer = { .sun_family = AF_UNIX };

	c->next = s->live;
	s->live = c;
	s->nr_live++;
	if (MHD_add_connection(s->d, c->fd, (const struct sockaddr *)&peer, sizeof(peer)) != MHD_YES) {
		/* MHD closed the socket; its passed fds go too (unless MHD's close notification freed them). */
		pr_debug("api: libmicrohttpd refused a connection: %s", strerror(errno));
		for (struct api_conn *k = s->live; k; k = k->next) {
			if (k == c) {
				live_unlink(s, c);
				api_conn_free(c);
				break;
			}
		}
		return;
	}
	run_mhd(s);
}

/*
 * A pending connection's first bytes (or its end): the fds passed with them are kept, then MHD gets
 * the connection (it reads the bytes, we never consume them).
 */
static bool on_first_bytes(void *opaque, int fd)
{
	struct pending *p = opaque;
	struct api_server *s = p->s;
	struct api_conn *c = p->c;
	int r = api_conn_peek(c);

	if (!r)
		return true;
	pending_unlink(p);
	free(p);    /* its watch ends as this returns false */
	if (r < 0) {
		pr_debug("api: a client left before sending anything (%s)", strerror(-r));
		close(c->fd);
		api_conn_free(c);
		return false;
	}
	to_mhd(s, c);
	return false;
}

/* New connections on the listening socket: each waits for its first bytes (up to the limit). */
static bool on_listen(void *opaque, int fd)
{
	struct api_server *s = opaque;

	for (;;) {
		struct pending *p;
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				pr_debug("api: accept: %s", strerror(errno));
			return true;
		}
		if (s->nr_pending + s->nr_live >= API_MAX_CONNECTIONS) {
			pr_debug("api: %u connections: one more refused", s->nr_pending + s->nr_live);
			close(cfd);
			continue;
		}
		p = calloc(1, sizeof(*p));
		if (p)
			p->c = api_conn_new(cfd);
		if (!p || !p->c || evloop_watch(s->loop, cfd, on_first_bytes, p, &p->watch)) {
			pr_debug("api: no room for a connection");
			if (p)
				api_conn_free(p->c);
			free(p);
			close(cfd);
			continue;
		}
		/* Served while the VM is paused, as MHD's own watch is. */
		evloop_watch_control(p->watch);
		p->s = s;
		p->next = s->pending;
		s->pending = p;
		s->nr_pending++;
	}
}

/* MHD took a connection (STARTED) or closed it (CLOSED): the passed fds left are closed with it. */
static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct api_server *s = cls;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		for (struct api_conn *c = s->live; ci && c; c = c->next)
			if (c->fd == ci->connect_fd)
				*socket_context = c;
		return;
	}
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		live_unlink(s, *socket_context);
		api_conn_free(*socket_context);
		*socket_context = NULL;
	}
}

static bool on_tick(void *opaque, int fd)
{
	struct api_server *s = opaque;
	uint64_t n, now;
	struct timespec t;

	/* Non-blocking: EAGAIN when it did not expire after all. */
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		pr_debug("api: timer read: %s", strerror(errno));
	/* Connections that sent nothing within the timeout go, as MHD's idle ones do. */
	clock_gettime(CLOCK_MONOTONIC, &t);
	now = (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
	for (struct pending *p = s->pending, *next; p; p = next) {
		next = p->next;
		if (now - p->c->since_ns < API_CONN_TIMEOUT_S * 1000000000ULL)
			continue;
		/* The loop may be late (a starved host): bytes that did arrive are served, not dropped. */
		pending_unlink(p);
		if (api_conn_peek(p->c) > 0) {
			evloop_unwatch(s->loop, p->watch);
			to_mhd(s, p->c);
			free(p);
			continue;
		}
		pr_debug("api: a client sent nothing for %d s: closed", API_CONN_TIMEOUT_S);
		pending_drop(p);
	}
	run_mhd(s);   /* expires connections idle past API_CONN_TIMEOUT_S */
	return true;
}

static int start_tick(struct api_server *s)
{
	struct itimerspec t = { .it_interval = { .tv_sec = API_TICK_S }, .it_value = { .tv_sec = API_TICK_S } };

	s->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->tick_fd < 0)
		return err_errno("api: timerfd_create");
	if (timerfd_settime(s->tick_fd, 0, &t, NULL) < 0)
		return err_errno("api: timerfd_settime");
	return evloop_watch(s->loop, s->tick_fd, on_tick, s, &s->tick_watch);
}

/* A new owner-only socket at PATH; a leftover socket file (a previous run) is replaced. */
static int listen_path(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return err_num(ENAMETOOLONG, "--api-socket path=%s", path);
	strcpy(a.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			pr_err("--api-socket path=%s: exists and is not a socket", path);
			return -EEXIST;
		}
		if (unlink(path) < 0)
			return err_errno("--api-socket: removing the old socket %s", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_errno("--api-socket: socket");
	/* Owner-only from the start: no window in which another user could connect. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0) {
		r = err_errno("--api-socket: bind %s", path);
		close(fd);
		return r;
	}
	if (listen(fd, API_MAX_CONNECTIONS) < 0) {
		r = err_errno("--api-socket: listen %s", path);
		unlink(path);
		close(fd);
		return r;
	}
	return fd;
}

/* A manager's listening unix stream socket. */
static int check_fd(int fd)
{
	int v = 0, fl;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0)
		return err_errno("--api-socket fd=%d", fd);
	if (v != AF_UNIX) {
		pr_err("--api-socket fd=%d: not a unix socket", fd);
		return -EINVAL;
	}
	l = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) < 0 || !v) {
		pr_err("--api-socket fd=%d: not a listening socket", fd);
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return err_errno("--api-socket fd=%d: fcntl", fd);
	return fd;
}

int api_server_create(struct api_server **out, const char *path, int fd, struct evloop *loop,
		      const struct api_ops *ops)
{
	struct api_server *s = calloc(1, sizeof(*s));
	const union MHD_DaemonInfo *info;
	int lfd, r;

	if (!s)
		return err_num(ENOMEM, "api server");
	/* Every reply has a Date header (RFC 9110 6.6.1), and glibc reads /etc/localtime on its first
	 * time conversion: done now, before the loop's seccomp filter (which has no open). */
	tzset();
	s->loop = loop;
	s->ops = ops;
	s->tick_fd = -1;
	s->lfd = -1;
	lfd = path ? listen_path(path) : check_fd(fd);
	if (lfd < 0) {
		free(s);
		return lfd;
	}
	if (path) {
		s->path = strdup(path);
		if (!s->path) {
			r = err_num(ENOMEM, "api server");
			goto err_fd;
		}
	}
	/*
	 * No MHD thread: MHD_USE_EPOLL without an internal polling thread is "external" mode, driven by
	 * MHD_run from the loop. Limits: connections, per-connection memory (headers + buffers: an
	 * oversized header block is answered 431 by MHD), idle timeout.
	 */
	s->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME,
				0, NULL, NULL,
				on_request, s,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				MHD_OPTION_END);
	if (!s->d) {
		pr_err("api: libmicrohttpd could not start on the socket");
		r = -EINVAL;
		goto err_fd;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		pr_err("api: libmicrohttpd has no epoll fd");
		r = -EINVAL;
		goto err_daemon;
	}
	r = evloop_watch(loop, info->epoll_fd, on_ready, s, &s->watch);
	if (r)
		goto err_daemon;
	r = start_tick(s);
	if (!r)
		r = evloop_watch(loop, lfd, on_listen, s, &s->lwatch);
	if (r)
		goto err_watch;
	s->lfd = lfd;
	/* The API is served while the VM is paused (the loop held): vm.resume comes this way. */
	evloop_watch_control(s->watch);
	evloop_watch_control(s->tick_watch);
	evloop_watch_control(s->lwatch);
	*out = s;
	return 0;
err_watch:
	evloop_unwatch(loop, s->tick_watch);
	evloop_unwatch(loop, s->watch);
	if (s->tick_fd >= 0)
		close(s->tick_fd);
err_daemon:
	MHD_stop_daemon(s->d);
err_fd:
	if (lfd >= 0)
		close(lfd);
	if (s->path)
		unlink(s->path);
	free(s->path);
	free(s);
	return r;
}

int api_server_request_fd(void)
{
	return request_fd;
}

int api_server_take_fd(unsigned int idx)
{
	if (!request_srv || request_fd < 0)
		return -1;
	for (struct api_conn *c = request_srv->live; c; c = c->next)
		if (c->fd == request_fd)
			return api_conn_take(c, idx);
	return -1;
}

int api_server_listen_fd(struct api_server *s)
{
	return s ? s->lfd : -1;
}

void api_server_destroy(struct api_server *s)
{
	if (!s)
		return;
	evloop_unwatch(s->loop, s->lwatch);
	evloop_unwatch(s->loop, s->tick_watch);
	evloop_unwatch(s->loop, s->watch);
	close(s->tick_fd);
	while (s->pending) {
		struct pending *p = s->pending;

		pending_unlink(p);
		pending_drop(p);
	}
	/* MHD closes its connections (each one's passed fds go in on_connection), not the socket we accept on. */
	MHD_stop_daemon(s->d);
	close(s->lfd);
	/* The socket file stays: this runs on the loop thread, whose seccomp filter has no unlink (a
	 * compromised loop must not delete files); the next start replaces the stale socket. */
	free(s->path);
	free(s);
}
