// SPDX-License-Identifier: GPL-2.0-only
/*
 * The I/O page fault service (iopf.h): groups from the FAULT object's fd to the front-ends, answers
 * back, with the bounds, the timeout and the answers at removal and shutdown.
 */
#include "iommu/iopf.h"

#include <errno.h>
#include <linux/iommufd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "iommu/fault_queue.h"
#include "iommu/iommufd.h"
#include "vmm/evloop.h"
#include "vmm/fdtab.h"
#include "vmm/log.h"

struct iopf_dev {
	uint32_t dev_id, sid;
	const struct iopf_frontend *ops;
	void *fe;
};

/* A group awaiting the guest's answer. */
struct iopf_pending {
	bool used;
	uint32_t dev_id, sid, grpid, cookie;
	uint64_t since_ms;
	uint64_t read_ns;           /* when the read() that returned it came back (CLOCK_MONOTONIC) */
	uint64_t seq;               /* arrival order: the oldest of equal (sid, grpid) is answered first */
};

struct iopf {
	pthread_mutex_t lock;       /* devs, pending, counters (the reader's assembly state is the loop's) */
	int iommufd;                /* -1: no object to destroy */
	uint32_t id;
	int fd, timer_fd;
	struct fdtab *fds;          /* the fault fd's owner (it crosses a live update); NULL: ours */
	bool timer_armed;
	bool stopping;              /* iopf_answer_all ran: new groups are answered at once */
	struct evloop *loop;
	struct ev_watch *watch, *timer_watch;
	unsigned int timeout_ms;

	struct iopf_dev dev[IOPF_MAX_DEVS];
	unsigned int nr_devs;
	struct iopf_pending pending[IOPF_MAX_TOTAL];
	unsigned int nr_pending;
	uint64_t seq;

	/* The group being assembled by the reader (loop thread only). */
	struct iopf_group cur;
	uint32_t cur_cookie;
	bool cur_open, cur_truncated;

	uint64_t read_ns;           /* the last read()'s return (loop thread) */
	/* Service times of the last IOPF_LAT_RING groups the guest answered (us, saturated at
	 * UINT32_MAX): bounded memory however long the VM runs. */
	uint32_t lat_us[IOPF_LAT_RING];
	uint64_t nr_lat;
	uint64_t nr_groups, nr_late, nr_write_errs;
	uint64_t by_reason[IOPF_NR_REASONS], by_code[2];
	uint8_t buf[IOPF_READ_BATCH * sizeof(struct iommu_hwpt_pgfault)];      /* the reader's (loop thread) */
};

static const char *const reason_names[IOPF_NR_REASONS] = {
	[IOPF_BY_GUEST] = "guest", [IOPF_BY_OVERFLOW] = "overflow", [IOPF_BY_LIMIT] = "limit",
	[IOPF_BY_TIMEOUT] = "timeout", [IOPF_BY_REMOVAL] = "removal", [IOPF_BY_SHUTDOWN] = "shutdown",
	[IOPF_BY_UNKNOWN] = "unknown-device",
};

static const char *code_name(uint32_t code)
{
	return code == IOMMUFD_PAGE_RESP_SUCCESS ? "SUCCESS" : code == IOMMUFD_PAGE_RESP_INVALID ? "INVALID" : "?";
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

uint64_t iopf_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * Writes the answer for COOKIE (locked). The message is what tests/testhost/iopf.sh checks (with
 * --verbose): the kernel took the write, so it held a group of that cookie and has its code now.
 */
static int answer(struct iopf *f, uint32_t sid, uint32_t grpid, uint32_t cookie, uint32_t code, enum iopf_reason why)
{
	int r = fault_queue_respond(f->fd, cookie, code);

	if (r) {
		f->nr_write_errs++;
		/* -EINVAL: the kernel answered it already (the device left its fault-capable HWPT). */
		if (r == -EINVAL)
			pr_debug("iopf: cookie %u (StreamID 0x%x PRG %u): the kernel holds no such group any more",
				 cookie, sid, grpid);
		else
			err_num(r, "iopf: writing the %s answer for cookie %u (StreamID 0x%x PRG %u)",
				code_name(code), cookie, sid, grpid);
		return r;
	}
	f->by_reason[why]++;
	f->by_code[code == IOMMUFD_PAGE_RESP_SUCCESS ? 0 : 1]++;
	pr_debug("iopf: StreamID 0x%x PRG %u cookie %u answered %s (%s), the kernel took it", sid, grpid, cookie,
		 code_name(code), reason_names[why]);
	return 0;
}

static struct iopf_dev *dev_by_id(struct iopf *f, uint32_t dev_id)
{
	for (unsigned int i = 0; i < f->nr_devs; i++)
		if (f->dev[i].dev_id == dev_id)
			return &f->dev[i];
	return NULL;
}

static unsigned int count_pending(struct iopf *f, uint32_t sid)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < IOPF_MAX_TOTAL; i++)
		n += f->pending[i].used && (sid == UINT32_MAX || f->pending[i].sid == sid);
	return n;
}

unsigned int iopf_pending(struct iopf *f, uint32_t sid)
{
	unsigned int n;

	pthread_mutex_lock(&f->lock);
	n = count_pending(f, sid);
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* The timer runs while groups await the guest (locked). */
static void timer_set(struct iopf *f, bool on)
{
	unsigned int tick = f->timeout_ms / 4 ? f->timeout_ms / 4 : 1;
	struct itimerspec its = { 0 };

	if (f->timer_fd < 0 || on == f->timer_armed)
		return;
	if (on) {
		its.it_value.tv_sec = tick / 1000;
		its.it_value.tv_nsec = (long)(tick % 1000) * 1000000L;
		its.it_interval = its.it_value;
	}
	if (timerfd_settime(f->timer_fd, 0, &its, NULL)) {
		err_errno("iopf: timerfd_settime");
		return;
	}
	f->timer_armed = on;
}

static void free_pending(struct iopf *f, struct iopf_pending *p)
{
	p->used = false;
	f->nr_pending--;
}

/* A complete group from the reader: kept until answered, then handed to its front-end. */
static void dispatch(struct iopf *f, struct iopf_group *g, uint32_t cookie, bool truncated)
{
	struct iopf_pending *slot = NULL;
	const struct iopf_frontend *ops;
	uint32_t code = IOMMUFD_PAGE_RESP_INVALID;
	struct iopf_dev *d;
	void *fe;
	bool queued;

	pthread_mutex_lock(&f->lock);
	f->nr_groups++;
	d = dev_by_id(f, g->dev_id);
	if (!d) {
		answer(f, UINT32_MAX, g->grpid, cookie, IOMMUFD_PAGE_RESP_INVALID, IOPF_BY_UNKNOWN);
		goto out_unlock;
	}
	if (truncated) {
		answer(f, d->sid, g->grpid, cookie, IOMMUFD_PAGE_RESP_INVALID, IOPF_BY_LIMIT);
		goto out_unlock;
	}
	if (f->stopping) {
		answer(f, d->sid, g->grpid, cookie, IOMMUFD_PAGE_RESP_INVALID, IOPF_BY_SHUTDOWN);
		goto out_unlock;
	}
	if (f->nr_pending < IOPF_MAX_TOTAL && count_pending(f, d->sid) < IOPF_MAX_PER_DEV)
		for (unsigned int i = 0; i < IOPF_MAX_TOTAL && !slot; i++)
			if (!f->pending[i].used)
				slot = &f->pending[i];
	g->sid = d->sid;
	pr_debug("iopf: device %u (StreamID 0x%x) PRG %u cookie %u: %u page request(s) from 0x%llx", g->dev_id,
		 d->sid, g->grpid, cookie, g->nr, (unsigned long long)g->page[0].addr);
	ops = d->ops;
	fe = d->fe;
	if (!slot) {
		uint32_t sid = d->sid;

		answer(f, sid, g->grpid, cookie, IOMMUFD_PAGE_RESP_SUCCESS, IOPF_BY_LIMIT);
		pthread_mutex_unlock(&f->lock);
		if (ops->lost)
			ops->lost(fe, sid);
		return;
	}
	/* Kept before the guest can see it: its answer may come before deliver returns. */
	*slot = (struct iopf_pending){ .used = true, .dev_id = g->dev_id, .sid = d->sid, .grpid = g->grpid,
				       .cookie = cookie, .since_ms = iopf_now_ms(), .read_ns = f->read_ns,
				       .seq = f->seq++ };
	f->nr_pending++;
	timer_set(f, true);
	pthread_mutex_unlock(&f->lock);

	queued = ops->deliver(fe, g, &code);
	if (queued)
		return;
	pthread_mutex_lock(&f->lock);
	/* Not queued: answered with the front-end's code, unless something answered it meanwhile. */
	for (unsigned int i = 0; i < IOPF_MAX_TOTAL; i++) {
		struct iopf_pending *p = &f->pending[i];

		if (p->used && p->cookie == cookie && p->dev_id == g->dev_id) {
			answer(f, p->sid, p->grpid, cookie, code, IOPF_BY_OVERFLOW);
			free_pending(f, p);
			break;
		}
	}
out_unlock:
	pthread_mutex_unlock(&f->lock);
}

/* The group being assembled ended without LAST_PAGE (the kernel never does that): answered INVALID. */
static void drop_open(struct iopf *f)
{
	pthread_mutex_lock(&f->lock);
	answer(f, UINT32_MAX, f->cur.grpid, f->cur_cookie, IOMMUFD_PAGE_RESP_INVALID, IOPF_BY_LIMIT);
	pthread_mutex_unlock(&f->lock);
	f->cur_open = false;
}

static void on_record(void *opaque, const struct iommu_hwpt_pgfault *rec)
{
	struct iopf *f = opaque;

	if (f->cur_open && (rec->cookie != f->cur_cookie || rec->dev_id != f->cur.dev_id))
		drop_open(f);
	if (!f->cur_open) {
		f->cur = (struct iopf_group){ .dev_id = rec->dev_id, .grpid = rec->grpid, .pasid = rec->pasid,
					      .pasid_valid = rec->flags & IOMMU_PGFAULT_FLAGS_PASID_VALID };
		f->cur_cookie = rec->cookie;
		f->cur_open = true;
		f->cur_truncated = false;
	}
	if (f->cur.nr < IOPF_GROUP_PAGES)
		f->cur.page[f->cur.nr++] = (struct iopf_page){ .addr = rec->addr, .perm = rec->perm };
	else
		f->cur_truncated = true;
	if (rec->flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE) {
		f->cur_open = false;
		dispatch(f, &f->cur, f->cur_cookie, f->cur_truncated);
	}
}

int iopf_read(struct iopf *f)
{
	struct pollfd p = { .fd = f->fd, .events = POLLIN };
	ssize_t n;

	do
		n = read(f->fd, f->buf, sizeof(f->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	f->read_ns = now_ns();
	/* Nothing read although a group waits: it does not fit the buffer (iommufd hands out whole
	 * groups only), and never will. Reading on would spin the loop. */
	if (n == 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		pr_err("iopf: a page request group of more than %u requests cannot be read: the fault queue "
		       "stops (the kernel answers what it holds when the VM stops)", IOPF_READ_BATCH);
		return -EMSGSIZE;
	}
	fault_queue_parse(f->buf, (size_t)n, on_record, f);
	/* A group never spans reads: one left open here will not be completed. */
	if (f->cur_open)
		drop_open(f);
	return 0;
}

static bool fd_ready(void *opaque, int fd)
{
	struct iopf *f = opaque;
	int r;

	(void)fd;
	r = iopf_read(f);
	if (r) {
		err_num(r, "iopf: reading the fault queue");
		return false;
	}
	return true;
}

unsigned int iopf_expire(struct iopf *f, uint64_t now_ms)
{
	unsigned int n = 0;

	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < IOPF_MAX_TOTAL; i++) {
		struct iopf_pending *p = &f->pending[i];

		if (p->used && now_ms - p->since_ms >= f->timeout_ms) {
			answer(f, p->sid, p->grpid, p->cookie, IOMMUFD_PAGE_RESP_INVALID, IOPF_BY_TIMEOUT);
			free_pending(f, p);
			n++;
		}
	}
	if (!f->nr_pending)
		timer_set(f, false);
	pthread_mutex_unlock(&f->lock);
	return n;
}

static bool timer_ready(void *opaque, int fd)
{
	struct iopf *f = opaque;
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN && errno != EINTR) {
		err_errno("iopf: reading the timerfd");
		return false;
	}
	iopf_expire(f, iopf_now_ms());
	return true;
}

int iopf_respond(struct iopf *f, uint32_t sid, uint32_t grpid, uint32_t code)
{
	struct iopf_pending *best = NULL;
	int r;

	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < IOPF_MAX_TOTAL; i++) {
		struct iopf_pending *p = &f->pending[i];

		if (p->used && p->sid == sid && p->grpid == grpid && (!best || p->seq < best->seq))
			best = p;
	}
	if (!best) {
		f->nr_late++;
		pthread_mutex_unlock(&f->lock);
		pr_debug("iopf: StreamID 0x%x answered PRG %u, which awaits no answer (late or made up): ignored", sid, grpid);
		return -ENOENT;
	}
	r = answer(f, sid, grpid, best->cookie, code, IOPF_BY_GUEST);
	if (!r) {
		/* The service time: from the read() that brought the group to the write the kernel took. */
		uint64_t us = (now_ns() - best->read_ns) / 1000;

		f->lat_us[f->nr_lat++ % IOPF_LAT_RING] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	}
	free_pending(f, best);
	pthread_mutex_unlock(&f->lock);
	return r == -EINVAL ? 0 : r;
}

int iopf_add_device(struct iopf *f, uint32_t dev_id, uint32_t sid, const struct iopf_frontend *ops, void *fe)
{
	int r = 0;

	pthread_mutex_lock(&f->lock);
	if (dev_by_id(f, dev_id))
		r = -EEXIST;
	else if (f->nr_devs == IOPF_MAX_DEVS)
		r = err_num(ENOSPC, "iopf: device %u (StreamID 0x%x)", dev_id, sid);
	else
		f->dev[f->nr_devs++] = (struct iopf_dev){ .dev_id = dev_id, .sid = sid, .ops = ops, .fe = fe };
	pthread_mutex_unlock(&f->lock);
	return r;
}

void iopf_remove_device(struct iopf *f, uint32_t sid)
{
	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < IOPF_MAX_TOTAL; i++) {
		struct iopf_pending *p = &f->pending[i];

		if (p->used && p->sid == sid) {
			answer(f, p->sid, p->grpid, p->cookie, IOMMUFD_PAGE_RESP_INVALID, IOPF_BY_REMOVAL);
			free_pending(f, p);
		}
	}
	for (unsigned int i = 0; i < f->nr_devs; i++)
		if (f->dev[i].sid == sid) {
			f->dev[i] = f->dev[--f->nr_devs];
			break;
		}
	pthread_mutex_unlock(&f->lock);
}

uint32_t iopf_fault_id(const struct iopf *f)
{
	return f->id;
}

uint64_t iopf_count(struct iopf *f, enum iopf_reason reason)
{
	uint64_t n;

	pthread_mutex_lock(&f->lock);
	n = reason < IOPF_NR_REASONS ? f->by_reason[reason] : 0;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/*
 * Sorts V (N values) in place: Shell's sort with Ciura's gaps. Not qsort: glibc's asks the kernel
 * for the machine's memory (sysinfo) to size its buffer once the array passes 1 KiB, a syscall the
 * loop thread's seccomp filter refuses; nor any allocation (the figures are asked for over the API).
 */
static void sort_u32(uint32_t *v, unsigned int n)
{
	static const unsigned int gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };

	for (unsigned int g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++)
		for (unsigned int i = gaps[g]; i < n; i++) {
			uint32_t x = v[i];
			unsigned int j = i;

			for (; j >= gaps[g] && v[j - gaps[g]] > x; j -= gaps[g])
				v[j] = v[j - gaps[g]];
			v[j] = x;
		}
}

/* Nearest-rank percentile P (1..100) of the N sorted values V. */
static uint32_t rank(const uint32_t *v, unsigned int n, unsigned int p)
{
	unsigned int k = (n * p + 99) / 100;

	return v[k ? k - 1 : 0];
}

void iopf_latency(struct iopf *f, struct iopf_latency *l)
{
	uint32_t v[IOPF_LAT_RING];
	unsigned int n;

	*l = (struct iopf_latency){ 0 };
	pthread_mutex_lock(&f->lock);
	n = f->nr_lat < IOPF_LAT_RING ? (unsigned int)f->nr_lat : IOPF_LAT_RING;
	memcpy(v, f->lat_us, n * sizeof(v[0]));
	pthread_mutex_unlock(&f->lock);
	if (!n)
		return;
	sort_u32(v, n);
	*l = (struct iopf_latency){ .n = n, .median = rank(v, n, 50), .p99 = rank(v, n, 99), .max = v[n - 1] };
}

void iopf_describe(struct iopf *f, json_object *o)
{
	json_object *by = json_object_new_object(), *lat = json_object_new_object();
	struct iopf_latency l;

	pthread_mutex_lock(&f->lock);
	json_object_object_add(o, "fault_id", json_object_new_int64(f->id));
	json_object_object_add(o, "timeout_ms", json_object_new_int64(f->timeout_ms));
	json_object_object_add(o, "groups", json_object_new_int64((int64_t)f->nr_groups));
	json_object_object_add(o, "pending", json_object_new_int64(f->nr_pending));
	for (unsigned int i = 0; i < IOPF_NR_REASONS; i++)
		json_object_object_add(by, reason_names[i], json_object_new_int64((int64_t)f->by_reason[i]));
	json_object_object_add(o, "answered", by);
	json_object_object_add(o, "success", json_object_new_int64((int64_t)f->by_code[0]));
	json_object_object_add(o, "invalid", json_object_new_int64((int64_t)f->by_code[1]));
	json_object_object_add(o, "late_answers", json_object_new_int64((int64_t)f->nr_late));
	pthread_mutex_unlock(&f->lock);
	/* Last: tests/testhost/iopf_vtd.sh matches the counters above as one string. */
	iopf_latency(f, &l);
	json_object_object_add(lat, "n", json_object_new_int64(l.n));
	json_object_object_add(lat, "median", json_object_new_int64(l.median));
	json_object_object_add(lat, "p99", json_object_new_int64(l.p99));
	json_object_object_add(lat, "max", json_object_new_int64(l.max));
	json_object_object_add(o, "latency_us", lat);
}

static void close_fd(struct fdtab *fds, int fd)
{
	if (fd < 0)
		return;
	if (fds)
		fdtab_close(fds, fd);
	else
		close(fd);
}

/*
 * The service over FD (ours, or FDS's: closed through it), object ID. On failure FD is closed,
 * unless KEEP_FD (a handed-over fd: the previous binary takes it back as it is).
 */
static int create(int iommufd, uint32_t id, int fd, struct fdtab *fds, struct evloop *loop, unsigned int timeout_ms,
		  bool keep_fd, struct iopf **out)
{
	struct iopf *f = calloc(1, sizeof(*f));
	int r;

	if (!f) {
		close_fd(fds, keep_fd ? -1 : fd);
		return err_num(ENOMEM, "iopf");
	}
	r = pthread_mutex_init(&f->lock, NULL);
	if (r) {
		free(f);
		close_fd(fds, keep_fd ? -1 : fd);
		return err_num(r, "iopf: mutex");
	}
	f->iommufd = iommufd;
	f->id = id;
	f->fd = fd;
	f->fds = fds;
	f->timer_fd = -1;
	f->loop = loop;
	f->timeout_ms = timeout_ms ? timeout_ms : IOPF_TIMEOUT_MS;
	if (loop) {
		f->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (f->timer_fd < 0) {
			r = err_errno("iopf: timerfd_create");
			goto err;
		}
		r = evloop_watch(loop, fd, fd_ready, f, &f->watch);
		if (!r)
			r = evloop_watch(loop, f->timer_fd, timer_ready, f, &f->timer_watch);
		if (r) {
			err_num(r, "iopf: watching the fault queue");
			goto err;
		}
	}
	*out = f;
	return 0;

err:
	f->iommufd = -1;    /* the caller's object: iopf_create destroys it */
	if (keep_fd)
		f->fd = -1;
	iopf_destroy(f);
	return r;
}

int iopf_create_fd(int iommufd, uint32_t id, int fd, struct evloop *loop, unsigned int timeout_ms, struct iopf **out)
{
	return create(iommufd, id, fd, NULL, loop, timeout_ms, false, out);
}

int iopf_create(int iommufd, struct fdtab *fds, struct evloop *loop, unsigned int timeout_ms, struct iopf **out)
{
	uint32_t id;
	int fd, r;

	r = fault_queue_alloc(iommufd, &id, &fd);
	if (r)
		return r;
	/* Owned by the VM's fd table: it crosses a live update with the groups the kernel holds. */
	fd = fdtab_adopt(fds, fd, FD_IOMMUFD_EVENTQ, "iopf", IOPF_FD_NAME);
	r = fd < 0 ? fd : create(iommufd, id, fd, fds, loop, timeout_ms, false, out);
	if (r)
		iommufd_destroy(iommufd, id);
	return r;
}

int iopf_state_get(struct iopf *f, struct iopf_saved *o)
{
	uint64_t now = iopf_now_ms();
	int r = 0;

	memset(o, 0, sizeof(*o));
	pthread_mutex_lock(&f->lock);
	/* The loop is held while the VM is saved, and a group never spans two reads. */
	if (f->cur_open) {
		r = err_num(EBUSY, "iopf: a page request group is half read");
		goto out;
	}
	o->fault_id = f->id;
	o->timeout_ms = f->timeout_ms;
	/* In arrival order, so the oldest of equal (StreamID, PRG) is still answered first. */
	for (uint64_t seq_min = 0;;) {
		const struct iopf_pending *next = NULL;

		for (unsigned int i = 0; i < IOPF_MAX_TOTAL; i++) {
			const struct iopf_pending *p = &f->pending[i];

			if (p->used && p->seq >= seq_min && (!next || p->seq < next->seq))
				next = p;
		}
		if (!next)
			break;
		o->p[o->nr++] = (struct iopf_saved_group){
			.dev_id = next->dev_id, .sid = next->sid, .grpid = next->grpid, .cookie = next->cookie,
			.age_ms = (uint32_t)(now - next->since_ms < UINT32_MAX ? now - next->since_ms : UINT32_MAX),
		};
		seq_min = next->seq + 1;
	}
	o->nr_groups = f->nr_groups;
	o->nr_late = f->nr_late;
	o->nr_write_errs = f->nr_write_errs;
	memcpy(o->by_reason, f->by_reason, sizeof(o->by_reason));
	memcpy(o->by_code, f->by_code, sizeof(o->by_code));
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

int iopf_adopt(int iommufd, struct fdtab *fds, struct evloop *loop, const struct iopf_saved *s, struct iopf **out,
	       char *why, size_t why_size)
{
	int fd = fdtab_lookup(fds, FD_IOMMUFD_EVENTQ, IOPF_FD_NAME);
	uint64_t now = iopf_now_ms(), ns = now_ns();
	struct iopf *f;
	int r;

	if (fd < 0) {
		snprintf(why, why_size, "iopf: the fault queue's fd was not handed over");
		return -ENOENT;
	}
	/* Before any read: groups the kernel queued during the update are read by this process. */
	r = create(iommufd, s->fault_id, fd, fds, loop, s->timeout_ms, true, &f);
	if (r) {
		snprintf(why, why_size, "iopf: watching the handed-over fault queue: %s", strerror(-r));
		return r;
	}
	pthread_mutex_lock(&f->lock);
	/* The age goes on from where it was: the time the VM was paused is not the guest's. */
	for (uint32_t i = 0; i < s->nr; i++) {
		const struct iopf_saved_group *g = &s->p[i];

		f->pending[i] = (struct iopf_pending){ .used = true, .dev_id = g->dev_id, .sid = g->sid, .grpid = g->grpid,
						       .cookie = g->cookie, .since_ms = now - g->age_ms,
						       .read_ns = ns - (uint64_t)g->age_ms * 1000000u, .seq = f->seq++ };
	}
	f->nr_pending = s->nr;
	f->nr_groups = s->nr_groups;
	f->nr_late = s->nr_late;
	f->nr_write_errs = s->nr_write_errs;
	memcpy(f->by_reason, s->by_reason, sizeof(f->by_reason));
	memcpy(f->by_code, s->by_code, sizeof(f->by_code));
	if (s->nr)
		timer_set(f, true);
	pthread_mutex_unlock(&f->lock);
	pr_debug("iopf: adopted FAULT object %u with %u group(s) awaiting the guest", s->fault_id, s->nr);
	*out = f;
	return 0;
}

void iopf_answer_all(struct iopf *f)
{
	if (f->watch)
		evloop_unwatch(f->loop, f->watch);
	if (f->timer_watch)
		evloop_unwatch(f->loop, f->timer_watch);
	f->watch = f->timer_watch = NULL;
	/* Every group still awaiting the guest is answered before the queue goes (the kernel would
	 * answer them itself on release, but then nestvm's record of it would be missing). */
	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	for (unsigned int i = 0; i < IOPF_MAX_TOTAL; i++) {
		struct iopf_pending *p = &f->pending[i];

		if (p->used) {
			answer(f, p->sid, p->grpid, p->cookie, IOMMUFD_PAGE_RESP_INVALID, IOPF_BY_SHUTDOWN);
			free_pending(f, p);
		}
	}
	pthread_mutex_unlock(&f->lock);
}

void iopf_destroy(struct iopf *f)
{
	if (!f)
		return;
	iopf_answer_all(f);
	if (f->timer_fd >= 0)
		close(f->timer_fd);
	close_fd(f->fds, f->fd);
	if (f->iommufd >= 0)
		iommufd_destroy(f->iommufd, f->id);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
