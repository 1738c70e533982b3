// SPDX-License-Identifier: GPL-2.0-only
/*
 * The I/O page fault service (iommu/iopf.c) over a SOCK_SEQPACKET pair standing in for the FAULT
 * object's fd: this end writes struct iommu_hwpt_pgfault records as the kernel's read() would
 * return them and reads back the struct iommu_hwpt_page_response the service writes. Group
 * assembly, dev_id -> StreamID, every kind of answer (guest, front-end overflow, bounds, timeout,
 * removal, shutdown, unknown device), late answers; the "iopf" live-update section and a second
 * service adopting the fault fd (through an fd table, as after an exec) with the groups awaiting the
 * guest: their answers carry the old cookies, their timeout goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iommu/fault_queue.h"
#include "iommu/iopf.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "tap.h"
#include "vmm/fdtab.h"

struct fake_fe {
	unsigned int delivered, lost;
	struct iopf_group last;
	bool refuse;                /* queue full: answer with CODE */
	uint32_t code;
	struct iopf *answer_now;    /* answer inside deliver (the guest was quick) */
};

static bool fe_deliver(void *opaque, const struct iopf_group *g, uint32_t *code)
{
	struct fake_fe *fe = opaque;

	fe->delivered++;
	fe->last = *g;
	if (fe->answer_now)
		iopf_respond(fe->answer_now, g->sid, g->grpid, IOMMUFD_PAGE_RESP_SUCCESS);
	if (fe->refuse) {
		*code = fe->code;
		return false;
	}
	return true;
}

static void fe_lost(void *opaque, uint32_t sid)
{
	struct fake_fe *fe = opaque;

	(void)sid;
	fe->lost++;
}

static const struct iopf_frontend fe_ops = { .deliver = fe_deliver, .lost = fe_lost };

static int kern;    /* the "kernel" end */

static struct iommu_hwpt_pgfault rec(uint32_t dev_id, uint32_t grpid, uint64_t addr, uint32_t cookie, bool last)
{
	return (struct iommu_hwpt_pgfault){ .flags = last ? IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0, .dev_id = dev_id,
					    .grpid = grpid, .perm = IOMMU_PGFAULT_PERM_READ, .addr = addr,
					    .cookie = cookie };
}

static void send_recs(const struct iommu_hwpt_pgfault *r, unsigned int n)
{
	if (write(kern, r, n * sizeof(*r)) != (ssize_t)(n * sizeof(*r)))
		printf("# short write\n");
}

/* The next answer the service wrote: 1 with *R, 0 when there is none. */
static int got(struct iommu_hwpt_page_response *r)
{
	return read(kern, r, sizeof(*r)) == sizeof(*r);
}

static struct iopf *make(void)
{
	int sv[2];
	struct iopf *f = NULL;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		return NULL;
	kern = sv[1];
	if (iopf_create_fd(-1, 9, sv[0], NULL, 100, &f))
		return NULL;
	return f;
}

static void done(struct iopf *f)
{
	iopf_destroy(f);
	close(kern);
}

static void test_group_and_answer(void)
{
	struct iopf *f = make();
	struct fake_fe fe = { 0 };
	struct iommu_hwpt_page_response r;
	struct iommu_hwpt_pgfault g[3] = {
		rec(5, 7, 0x10000, 42, false), rec(5, 7, 0x11000, 42, false), rec(5, 7, 0x12000, 42, true),
	};

	CHECK(f && iopf_fault_id(f) == 9, "service over a fault fd, fault id kept");
	CHECK(iopf_add_device(f, 5, 0x10, &fe_ops, &fe) == 0, "device 5 is StreamID 0x10");
	CHECK(iopf_add_device(f, 5, 0x11, &fe_ops, &fe) == -EEXIST, "a dev_id registers once");
	send_recs(g, 3);
	CHECK(iopf_read(f) == 0, "one read");
	CHECK(fe.delivered == 1 && fe.last.nr == 3 && fe.last.sid == 0x10 && fe.last.grpid == 7 &&
	      fe.last.page[2].addr == 0x12000, "three records up to LAST_PAGE are one group for StreamID 0x10");
	CHECK(!got(&r), "nothing answered before the guest");
	CHECK(iopf_pending(f, 0x10) == 1, "one group awaits the guest");
	CHECK(iopf_respond(f, 0x10, 7, IOMMUFD_PAGE_RESP_SUCCESS) == 0, "the guest answers PRG 7");
	CHECK(got(&r) && r.cookie == 42 && r.code == IOMMUFD_PAGE_RESP_SUCCESS, "the kernel gets cookie 42 SUCCESS");
	CHECK(iopf_respond(f, 0x10, 7, IOMMUFD_PAGE_RESP_SUCCESS) == -ENOENT && !got(&r),
	      "a second answer is late: ignored, nothing written");
	g[0] = rec(5, 8, 0x20000, 43, true);
	send_recs(g, 1);
	iopf_read(f);
	CHECK(iopf_respond(f, 0x10, 8, IOMMUFD_PAGE_RESP_INVALID) == 0 && got(&r) && r.cookie == 43 &&
	      r.code == IOMMUFD_PAGE_RESP_INVALID, "an INVALID answer reaches the kernel with its cookie");
	CHECK(iopf_count(f, IOPF_BY_GUEST) == 2, "two answers by the guest counted");
	done(f);
}

static void test_auto_answers(void)
{
	struct iopf *f = make();
	struct fake_fe fe = { 0 };
	struct iommu_hwpt_page_response r;
	struct iommu_hwpt_pgfault g[IOPF_GROUP_PAGES + 1];

	iopf_add_device(f, 5, 0x10, &fe_ops, &fe);
	/* Unknown device. */
	g[0] = rec(6, 1, 0x1000, 100, true);
	send_recs(g, 1);
	iopf_read(f);
	CHECK(got(&r) && r.cookie == 100 && r.code == IOMMUFD_PAGE_RESP_INVALID && fe.delivered == 0,
	      "a group of a device without front-end is answered INVALID");
	/* The guest's queue is full: the front-end's code. */
	fe.refuse = true;
	fe.code = IOMMUFD_PAGE_RESP_SUCCESS;
	g[0] = rec(5, 2, 0x2000, 101, true);
	send_recs(g, 1);
	iopf_read(f);
	CHECK(got(&r) && r.cookie == 101 && r.code == IOMMUFD_PAGE_RESP_SUCCESS && iopf_pending(f, UINT32_MAX) == 0,
	      "a group the front-end could not queue is answered with its code (overflow: SUCCESS)");
	CHECK(iopf_count(f, IOPF_BY_OVERFLOW) == 1, "counted as overflow");
	fe.refuse = false;
	/* Too many pages. */
	for (unsigned int i = 0; i <= IOPF_GROUP_PAGES; i++)
		g[i] = rec(5, 3, 0x3000 + i * 0x1000ull, 102, i == IOPF_GROUP_PAGES);
	send_recs(g, IOPF_GROUP_PAGES + 1);
	iopf_read(f);
	CHECK(got(&r) && r.cookie == 102 && r.code == IOMMUFD_PAGE_RESP_INVALID && fe.delivered == 1,
	      "a group of more than %u pages is answered INVALID, not delivered", IOPF_GROUP_PAGES);
	/* A group cut off (no LAST_PAGE in the read). */
	g[0] = rec(5, 4, 0x4000, 103, false);
	send_recs(g, 1);
	iopf_read(f);
	CHECK(got(&r) && r.cookie == 103 && r.code == IOMMUFD_PAGE_RESP_INVALID, "a group without LAST_PAGE is answered INVALID");
	/* Timeout. */
	g[0] = rec(5, 5, 0x5000, 104, true);
	send_recs(g, 1);
	iopf_read(f);
	CHECK(iopf_expire(f, iopf_now_ms()) == 0 && !got(&r), "not expired before the timeout");
	CHECK(iopf_expire(f, iopf_now_ms() + 100) == 1 && got(&r) && r.cookie == 104 &&
	      r.code == IOMMUFD_PAGE_RESP_INVALID, "a group the guest leaves unanswered is answered INVALID at the timeout");
	CHECK(iopf_respond(f, 0x10, 5, IOMMUFD_PAGE_RESP_SUCCESS) == -ENOENT && !got(&r), "the guest's late answer is ignored");
	/* The guest answers before deliver returns. */
	fe.answer_now = f;
	g[0] = rec(5, 6, 0x6000, 105, true);
	send_recs(g, 1);
	iopf_read(f);
	CHECK(got(&r) && r.cookie == 105 && r.code == IOMMUFD_PAGE_RESP_SUCCESS && !got(&r) &&
	      iopf_pending(f, UINT32_MAX) == 0, "an answer given while delivering is the one answer");
	fe.answer_now = NULL;
	done(f);
}

static void test_bounds_removal_shutdown(void)
{
	struct iopf *f = make();
	struct fake_fe fe = { 0 }, fe2 = { 0 };
	struct iommu_hwpt_page_response r;
	struct iommu_hwpt_pgfault g;
	unsigned int n = 0, invalid = 0;

	iopf_add_device(f, 5, 0x10, &fe_ops, &fe);
	iopf_add_device(f, 6, 0x18, &fe_ops, &fe2);
	for (unsigned int i = 0; i < IOPF_MAX_PER_DEV; i++) {
		g = rec(5, i, 0x1000, 200 + i, true);
		send_recs(&g, 1);
		iopf_read(f);
	}
	CHECK(iopf_pending(f, 0x10) == IOPF_MAX_PER_DEV && !got(&r), "%u groups of one device await the guest",
	      IOPF_MAX_PER_DEV);
	g = rec(5, 99, 0x1000, 300, true);
	send_recs(&g, 1);
	iopf_read(f);
	CHECK(got(&r) && r.cookie == 300 && r.code == IOMMUFD_PAGE_RESP_SUCCESS && fe.lost == 1,
	      "one more is answered SUCCESS at once (the device retries) and the front-end told");
	g = rec(6, 1, 0x1000, 301, true);
	send_recs(&g, 1);
	iopf_read(f);
	CHECK(fe2.delivered == 1 && !got(&r), "another device's groups still reach its guest");
	iopf_remove_device(f, 0x10);
	while (got(&r)) {
		n++;
		invalid += r.code == IOMMUFD_PAGE_RESP_INVALID;
	}
	CHECK(n == IOPF_MAX_PER_DEV && invalid == n, "removing the device answers its %u groups INVALID", n);
	g = rec(5, 1, 0x1000, 302, true);
	send_recs(&g, 1);
	iopf_read(f);
	CHECK(got(&r) && r.cookie == 302 && r.code == IOMMUFD_PAGE_RESP_INVALID, "its later faults are no one's: INVALID");
	CHECK(iopf_pending(f, UINT32_MAX) == 1, "the other device's group still awaits");
	iopf_destroy(f);
	CHECK(got(&r) && r.cookie == 301 && r.code == IOMMUFD_PAGE_RESP_INVALID,
	      "at shutdown the group in flight is answered INVALID");
	close(kern);
}

static void test_latency(void)
{
	struct iopf *f = make();
	struct fake_fe fe = { 0 };
	struct iommu_hwpt_page_response r;
	struct iommu_hwpt_pgfault g;
	struct iopf_latency l;
	json_object *o = json_object_new_object(), *lat;
	const char *js;
	unsigned int ok_all = 1;

	iopf_add_device(f, 5, 0x10, &fe_ops, &fe);
	iopf_latency(f, &l);
	CHECK(l.n == 0 && l.median == 0 && l.max == 0, "no latency figures before the guest answered");
	/* A timeout answer is nestvm's, not a round trip through the guest: not counted. */
	g = rec(5, 1, 0x1000, 1, true);
	send_recs(&g, 1);
	iopf_read(f);
	iopf_expire(f, iopf_now_ms() + 100);
	got(&r);
	iopf_latency(f, &l);
	CHECK(l.n == 0, "an answer at the timeout is not a service time");
	/* Three answered 20 ms after the read. */
	for (unsigned int i = 0; i < 3; i++) {
		g = rec(5, 2, 0x1000, 10 + i, true);
		send_recs(&g, 1);
		iopf_read(f);
		usleep(20000);
		iopf_respond(f, 0x10, 2, IOMMUFD_PAGE_RESP_SUCCESS);
		ok_all &= got(&r);
	}
	iopf_latency(f, &l);
	CHECK(ok_all && l.n == 3 && l.median >= 20000 && l.median <= l.p99 && l.p99 <= l.max && l.max < 2000000,
	      "three guest answers: median %u us >= the 20 ms between read and answer, p99 %u, max %u", l.median,
	      l.p99, l.max);
	/* Bounded: only the last IOPF_LAT_RING are kept; quick ones push the slow ones out (the median
	 * then is a quick one: robust to a preemption or two on a busy machine, unlike the max). */
	for (unsigned int i = 0; i < IOPF_LAT_RING; i++) {
		g = rec(5, 3, 0x1000, 100 + i, true);
		send_recs(&g, 1);
		iopf_read(f);
		iopf_respond(f, 0x10, 3, IOMMUFD_PAGE_RESP_SUCCESS);
		ok_all &= got(&r);
	}
	iopf_latency(f, &l);
	CHECK(ok_all && l.n == IOPF_LAT_RING && l.median < 20000 && l.median <= l.p99 && l.p99 <= l.max,
	      "the ring keeps the last %u (median now %u us, p99 %u, max %u)", IOPF_LAT_RING, l.median, l.p99, l.max);
	iopf_describe(f, o);
	js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	CHECK(json_object_object_get_ex(o, "latency_us", &lat) &&
	      json_object_get_int64(json_object_object_get(lat, "n")) == IOPF_LAT_RING &&
	      strstr(js, "\"late_answers\":0,\"latency_us\":{\"n\":1024,\"median\":"),
	      "vm.viommu's \"iopf\" ends with latency_us {n, median, p99, max}: %s", js);
	json_object_put(o);
	done(f);
}

static unsigned int parsed;
static void count_rec(void *opaque, const struct iommu_hwpt_pgfault *r)
{
	(void)opaque;
	(void)r;
	parsed++;
}

static void test_parse(void)
{
	uint8_t buf[3 * sizeof(struct iommu_hwpt_pgfault) + 5] = { 0 };

	CHECK(fault_queue_parse(buf + 1, sizeof(buf) - 1, count_rec, NULL) == 3 && parsed == 3,
	      "three records from an unaligned buffer, the torn tail ignored");
	CHECK(fault_queue_parse(buf, 7, count_rec, NULL) == 0, "less than a record: none");
}

/* S through the section and back (NULL when it does not parse). */
static int round_trip(const struct iopf_saved *s, struct iopf_saved *out, char *why, size_t n)
{
	const struct lu_section_spec spec = { IOPF_STATE_TYPE, 1, 1, false, false };
	struct lu_writer w;
	struct lu_state st;
	int r = -EIO;

	lu_writer_init(&w);
	iopf_state_put(&w, s);
	if (!lu_writer_end(&w) && !lu_writer_finish(&w) && !lu_state_parse(&st, w.buf, w.len, &spec, 1)) {
		r = st.nr == 1 ? iopf_state_decode(&st.sec[0], out, why, n) : -EIO;
		if (!r) {
			/* every strict prefix refused */
			for (size_t cut = 0; cut < st.sec[0].len && !r; cut++) {
				struct lu_section t = st.sec[0];

				t.len = cut;
				if (iopf_state_decode(&t, out, why, n) != -EINVAL)
					r = -EBADMSG;
			}
			if (!r)
				r = iopf_state_decode(&st.sec[0], out, why, n);
		}
		lu_state_free(&st);
	}
	lu_writer_free(&w);
	return r;
}

static void test_live_update(void)
{
	static struct iopf_saved sv, dec, bad;
	struct iommu_hwpt_page_response r;
	struct fake_fe fe = { 0 }, fe2 = { 0 };
	struct iommu_hwpt_pgfault g[3] = {
		rec(5, 7, 0x10000, 42, true), rec(5, 8, 0x20000, 43, true), rec(5, 7, 0x30000, 44, true),
	};
	struct iopf *old = NULL, *nw = NULL;
	struct fdtab t;
	char why[200] = "";
	int sv_fd[2], fd, n;

	if (fdtab_init(&t) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv_fd)) {
		CHECK(0, "live update: set-up");
		return;
	}
	kern = sv_fd[1];
	/* The fault fd as the VM's fd table owns it; the old process's service reads a copy of it. */
	fd = fdtab_adopt(&t, sv_fd[0], FD_IOMMUFD_EVENTQ, "test", IOPF_FD_NAME);
	CHECK(fd >= 0 && !iopf_create_fd(-1, 9, dup(fd), NULL, 1000, &old) && !iopf_add_device(old, 5, 0x10, &fe_ops, &fe),
	      "live update: the old process's service");
	send_recs(g, 3);
	iopf_read(old);
	CHECK(iopf_respond(old, 0x10, 7, IOMMUFD_PAGE_RESP_SUCCESS) == 0 && got(&r) && r.cookie == 42,
	      "live update: PRG 7 (cookie 42) answered before the update");
	CHECK(iopf_state_get(old, &sv) == 0 && sv.fault_id == 9 && sv.timeout_ms == 1000 && sv.nr == 2 &&
	      sv.p[0].cookie == 43 && sv.p[1].cookie == 44 && sv.p[1].grpid == 7 && sv.p[0].sid == 0x10 &&
	      sv.by_reason[IOPF_BY_GUEST] == 1 && sv.nr_groups == 3,
	      "live update: the state lists the 2 groups awaiting the guest in arrival order (%u)", sv.nr);
	CHECK(round_trip(&sv, &dec, why, sizeof(why)) == 0 && !memcmp(&dec, &sv, sizeof(sv)),
	      "live update: the section round-trips, every truncation refused (%s)", why);
	for (int i = 0; i < 4; i++) {
		static const char *const what[] = { "FAULT object 0", "timeout 0", "a cookie twice", "iommufd device 0" };

		bad = sv;
		switch (i) {
		case 0: bad.fault_id = 0; break;
		case 1: bad.timeout_ms = 0; break;
		case 2: bad.p[1].cookie = 43; break;
		case 3: bad.p[0].dev_id = 0; break;
		}
		CHECK(round_trip(&bad, &dec, why, sizeof(why)) == -EINVAL, "live update: %s refused (%s)", what[i], why);
	}
	bad = sv;
	bad.nr = IOPF_MAX_PER_DEV + 1;
	for (unsigned int i = 0; i < bad.nr; i++)
		bad.p[i] = (struct iopf_saved_group){ .dev_id = 5, .sid = 0x10, .grpid = i, .cookie = 100 + i };
	CHECK(round_trip(&bad, &dec, why, sizeof(why)) == -EINVAL, "live update: %u groups of one stream refused (%s)",
	      bad.nr, why);

	/* The new process: the same fd, by name. */
	CHECK(iopf_adopt(-1, &t, NULL, &sv, &nw, why, sizeof(why)) == 0 && iopf_fault_id(nw) == 9 &&
	      !iopf_add_device(nw, 5, 0x10, &fe_ops, &fe2) && iopf_pending(nw, 0x10) == 2,
	      "live update: a new service adopts the handed-over fd with the 2 groups (%s)", why);
	CHECK(!got(&r), "live update: adopting answered nothing");
	CHECK(iopf_respond(nw, 0x10, 7, IOMMUFD_PAGE_RESP_SUCCESS) == 0 && got(&r) && r.cookie == 44 &&
	      r.code == IOMMUFD_PAGE_RESP_SUCCESS, "live update: the guest's answer to PRG 7 reaches the kernel with cookie 44");
	CHECK(iopf_respond(nw, 0x10, 8, IOMMUFD_PAGE_RESP_INVALID) == 0 && got(&r) && r.cookie == 43 &&
	      r.code == IOMMUFD_PAGE_RESP_INVALID, "live update: ... and to PRG 8 with cookie 43");
	g[0] = rec(5, 9, 0x40000, 45, true);
	send_recs(g, 1);
	CHECK(iopf_read(nw) == 0 && fe2.delivered == 1 && fe2.last.grpid == 9 && fe.delivered == 3,
	      "live update: a group the kernel queued after it goes to the new front-end");
	CHECK(iopf_count(nw, IOPF_BY_GUEST) == 3, "live update: the counters go on (3 guest answers)");
	iopf_respond(nw, 0x10, 9, IOMMUFD_PAGE_RESP_SUCCESS);
	got(&r);
	iopf_destroy(nw);   /* closes the handed-over fd through the table */
	nw = NULL;
	CHECK(iopf_adopt(-1, &t, NULL, &sv, &nw, why, sizeof(why)) == -ENOENT,
	      "live update: no handed-over fd: refused (%s)", why);
	done(old);          /* its own copy: it answers its 2 groups at shutdown, as the old image never does */

	/* A carried group's age goes on: 900 of the 1000 ms waited before the update, 150 after. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv_fd)) {
		CHECK(0, "live update: set-up 2");
		fdtab_destroy(&t);
		return;
	}
	kern = sv_fd[1];
	fdtab_adopt(&t, sv_fd[0], FD_IOMMUFD_EVENTQ, "test", IOPF_FD_NAME);
	sv.nr = 2;
	sv.p[0] = (struct iopf_saved_group){ .dev_id = 5, .sid = 0x10, .grpid = 3, .cookie = 50, .age_ms = 900 };
	sv.p[1] = (struct iopf_saved_group){ .dev_id = 5, .sid = 0x10, .grpid = 4, .cookie = 51, .age_ms = 0 };
	n = -1;
	if (!iopf_adopt(-1, &t, NULL, &sv, &nw, why, sizeof(why)))
		n = (int)iopf_expire(nw, iopf_now_ms() + 150);
	CHECK(n == 1 && got(&r) && r.cookie == 50 && r.code == IOMMUFD_PAGE_RESP_INVALID && !got(&r),
	      "live update: the group that had waited 900 ms times out 150 ms after, the fresh one not (%d)", n);
	iopf_destroy(nw);
	close(kern);
	fdtab_destroy(&t);
}

int main(void)
{
	test_group_and_answer();
	test_auto_answers();
	test_bounds_removal_shutdown();
	test_latency();
	test_parse();
	test_live_update();
	return tap_done();
}
