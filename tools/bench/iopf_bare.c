// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopf_bare: the baseline of tools/bench/iopf (test builds, -Diommufd_test=true; needs
 * CONFIG_IOMMUFD_TEST). The host's own page-fault round trip with nothing between the fault fd and
 * its answer: the same kernel objects nestvm's --iopf-mock makes (src/iommu/iopf_mock.c) - an IOAS,
 * the IOMMUFD_TEST mock device on it, a FAULT object (IOMMU_FAULT_QUEUE_ALLOC), a nest parent HWPT
 * and over it a nested IOMMU_HWPT_DATA_SELFTEST HWPT with IOMMU_HWPT_FAULT_ID_VALID, the device
 * moved there (IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE) - then K page requests raised
 * (IOMMU_TEST_OP_TRIGGER_IOPF), their struct iommu_hwpt_pgfault records read from the fault fd and a
 * struct iommu_hwpt_page_response SUCCESS written for each, until N were answered. Each round trip
 * is timed (CLOCK_MONOTONIC) from before its trigger to the return of the write of its answer.
 * In one thread by default; with --thread a responder thread sleeping in poll() on the fault fd
 * reads and answers, and wakes the raising thread (a condition variable) once the window is
 * answered: the two wake-ups nestvm's chain has too (its loop thread on the fault fd, iopf-mock's
 * watcher on nestvm's stderr), without a vIOMMU or a guest between them.
 *
 * usage: iopf_bare [--thread] N K      (N requests, K (1..256) raised per window)
 * prints: iopf_bare: bench N=.. K=.. wall_us=.. faults_per_s=.. median_us=.. p99_us=.. max_us=..
 * (median, p99 by nearest rank; faults/s: N over the wall time). Exit 1 on errors, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "iommu/iommufd_mock.h"
#include "percentile.h"

#define MAX_K 256                   /* records per window, and per read */

static int fail(const char *what)
{
	fprintf(stderr, "iopf_bare: %s: %s\n", what, strerror(errno));
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int test_cmd(int fd, struct iommu_test_cmd *c, const char *what)
{
	c->size = sizeof(*c);
	return ioctl(fd, IOMMU_TEST_CMD, c) ? fail(what) : 0;
}

static int hwpt(int fd, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t fault_id, uint32_t type, void *data,
		uint32_t len, uint32_t *out, const char *what)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = flags, .dev_id = dev, .pt_id = pt, .data_type = type,
				      .data_len = len, .data_uptr = (uintptr_t)data, .fault_id = fault_id };

	if (ioctl(fd, IOMMU_HWPT_ALLOC, &a))
		return fail(what);
	*out = a.out_hwpt_id;
	return 0;
}

static void destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	if (id && ioctl(fd, IOMMU_DESTROY, &d))
		fail("IOMMU_DESTROY");
}

/* Until FD is readable (poll retried on EINTR), 10 s at most: 0, or -1 with errno (ETIMEDOUT). */
static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int pr;

	do
		pr = poll(&p, 1, 10000);
	while (pr < 0 && errno == EINTR);
	if (pr == 1)
		return 0;
	if (!pr)
		errno = ETIMEDOUT;
	return -1;
}

/* Reads until WANT records of the window came; answers each SUCCESS, stamping LAT[grpid]. */
static int serve(int ffd, unsigned int want, const uint64_t *trig, uint64_t *lat)
{
	struct iommu_hwpt_pgfault rec[MAX_K];
	unsigned int got = 0;

	while (got < want) {
		ssize_t n;

		if (wait_readable(ffd))
			return fail("waiting for the fault fd");
		n = read(ffd, rec, sizeof(rec));
		if (n < 0)
			return fail("read of the fault fd");
		for (size_t i = 0; i < (size_t)n / sizeof(rec[0]); i++, got++) {
			struct iommu_hwpt_page_response r = { .cookie = rec[i].cookie, .code = IOMMUFD_PAGE_RESP_SUCCESS };

			if (rec[i].grpid >= MAX_K || !(rec[i].flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE)) {
				errno = EPROTO;
				return fail("an unexpected record");
			}
			if (write(ffd, &r, sizeof(r)) != sizeof(r))
				return fail("write of the page response");
			lat[got] = now_ns() - trig[rec[i].grpid];
		}
	}
	return 0;
}

/* --thread: the responder's side, under lock. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int ffd;
	uint64_t trig[MAX_K], *lat;
	unsigned long answered, n;
	bool failed;
} rs = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *responder(void *arg)
{
	(void)arg;
	for (;;) {
		struct iommu_hwpt_pgfault rec[MAX_K];
		ssize_t got;
		bool all;

		if (wait_readable(rs.ffd)) {
			fail("responder: waiting for the fault fd");
			break;
		}
		got = read(rs.ffd, rec, sizeof(rec));
		if (got < 0) {
			fail("responder: read of the fault fd");
			break;
		}
		for (size_t i = 0; i < (size_t)got / sizeof(rec[0]); i++) {
			struct iommu_hwpt_page_response r = { .cookie = rec[i].cookie, .code = IOMMUFD_PAGE_RESP_SUCCESS };
			uint64_t t;

			if (rec[i].grpid >= MAX_K || write(rs.ffd, &r, sizeof(r)) != sizeof(r)) {
				fail("responder: an unexpected record, or the write of its page response");
				goto out;
			}
			t = now_ns();
			pthread_mutex_lock(&rs.lock);
			if (rs.answered < rs.n)
				rs.lat[rs.answered++] = t - rs.trig[rec[i].grpid];
			pthread_cond_signal(&rs.cond);
			pthread_mutex_unlock(&rs.lock);
		}
		pthread_mutex_lock(&rs.lock);
		all = rs.answered == rs.n;
		pthread_mutex_unlock(&rs.lock);
		if (all)
			return NULL;
	}
out:
	pthread_mutex_lock(&rs.lock);
	rs.failed = true;
	pthread_cond_signal(&rs.cond);
	pthread_mutex_unlock(&rs.lock);
	return NULL;
}

static int raise_one(int fd, uint32_t dev_id, unsigned int g)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_IOPF,
				    .trigger_iopf = { .dev_id = dev_id, .grpid = g, .perm = 3, .addr = 0x100000ull + g * 4096ull } };

	return test_cmd(fd, &c, "IOMMU_TEST_OP_TRIGGER_IOPF");
}

/* --thread: windows of K raised here, answered by the responder thread. */
static int run_threaded(int fd, uint32_t dev_id, int ffd, unsigned long n, unsigned long k, uint64_t *lat)
{
	unsigned long done = 0;
	pthread_t th;
	int e, r = 0;

	rs.ffd = ffd;
	rs.lat = lat;
	rs.n = n;
	e = pthread_create(&th, NULL, responder, NULL);
	if (e) {
		errno = e;
		return fail("pthread_create");
	}
	while (done < n && !r) {
		unsigned int w = (unsigned int)(n - done < k ? n - done : k);

		for (unsigned int g = 0; g < w && !r; g++) {
			pthread_mutex_lock(&rs.lock);
			rs.trig[g] = now_ns();
			pthread_mutex_unlock(&rs.lock);
			r = raise_one(fd, dev_id, g);
		}
		pthread_mutex_lock(&rs.lock);
		while (!r && rs.answered < done + w && !rs.failed)
			pthread_cond_wait(&rs.cond, &rs.lock);
		r = r || rs.failed ? -1 : 0;
		pthread_mutex_unlock(&rs.lock);
		done += w;
	}
	if (r) {
		/* The responder gives up on its own within 10 s of the last record. */
		pthread_mutex_lock(&rs.lock);
		rs.n = rs.answered;
		pthread_mutex_unlock(&rs.lock);
	}
	pthread_join(th, NULL);
	return r;
}

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	uint32_t parent = 0, nested = 0;
	uint64_t trig[MAX_K], *lat = NULL, t0, t1;
	unsigned long n, k, done = 0;
	char *e1, *e2;
	int fd, ffd = -1, r = 1;
	bool threaded = argc > 1 && !strcmp(argv[1], "--thread");

	if (threaded) {
		argc--;
		argv++;
	}
	if (argc != 3 || (n = strtoul(argv[1], &e1, 0)) == 0 || *e1 || (k = strtoul(argv[2], &e2, 0)) == 0 || *e2 ||
	    k > MAX_K) {
		fprintf(stderr, "usage: iopf_bare [--thread] N K   (N > 0 page requests, K (1..%d) per window)\n", MAX_K);
		return 2;
	}
	lat = calloc(n, sizeof(*lat));
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (!lat || fd < 0) {
		fail(lat ? "/dev/iommu" : "calloc");
		free(lat);
		return 1;
	}
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &ia)) {
		fail("IOMMU_IOAS_ALLOC");
		goto out;
	}
	md.id = ia.out_ioas_id;
	if (test_cmd(fd, &md, "IOMMU_TEST_OP_MOCK_DOMAIN (is CONFIG_IOMMUFD_TEST on?)"))
		goto out;
	if (ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa)) {
		fail("IOMMU_FAULT_QUEUE_ALLOC");
		goto out;
	}
	ffd = (int)fa.out_fault_fd;
	/* As nestvm's mock source: the fault queue on the nested HWPT (since Linux 6.15 a nest parent
	 * may not carry one). */
	if (hwpt(fd, md.mock_domain.out_idev_id, ia.out_ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, IOMMU_HWPT_DATA_NONE,
		 NULL, 0, &parent, "IOMMU_HWPT_ALLOC nest parent") ||
	    hwpt(fd, md.mock_domain.out_idev_id, parent, IOMMU_HWPT_FAULT_ID_VALID, fa.out_fault_id,
		 IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &nested, "IOMMU_HWPT_ALLOC nested with the fault queue"))
		goto out;
	{
		struct iommu_test_cmd rp = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = md.mock_domain.out_stdev_id,
					     .mock_domain_replace = { .pt_id = nested } };

		if (test_cmd(fd, &rp, "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE to the fault-capable HWPT"))
			goto out;
	}
	t0 = now_ns();
	if (threaded && run_threaded(fd, md.mock_domain.out_idev_id, ffd, n, k, lat))
		goto out_replace;
	while (!threaded && done < n) {
		unsigned int w = (unsigned int)(n - done < k ? n - done : k);

		for (unsigned int g = 0; g < w; g++) {
			trig[g] = now_ns();
			if (raise_one(fd, md.mock_domain.out_idev_id, g))
				goto out_replace;
		}
		if (serve(ffd, w, trig, lat + done))
			goto out_replace;
		done += w;
	}
	t1 = now_ns();
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("iopf_bare: bench N=%lu K=%lu wall_us=%llu faults_per_s=%.1f median_us=%llu p99_us=%llu max_us=%llu\n", n,
	       k, (unsigned long long)(t1 - t0) / 1000, (double)n * 1e9 / (double)(t1 - t0 ? t1 - t0 : 1),
	       rank_us(lat, n, 50), rank_us(lat, n, 99), (unsigned long long)lat[n - 1] / 1000);
	r = 0;
out_replace:
	{
		/* Back onto the IOAS (the automatic domain it came with went when it left): the kernel
		 * answers what it still holds (on errors), and the fault-capable HWPTs can go. */
		struct iommu_test_cmd rp = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = md.mock_domain.out_stdev_id,
					     .mock_domain_replace = { .pt_id = ia.out_ioas_id } };

		if (test_cmd(fd, &rp, "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE back"))
			r = 1;
	}
out:
	destroy(fd, nested);
	destroy(fd, parent);
	if (ffd >= 0) {
		close(ffd);
		destroy(fd, fa.out_fault_id);
	}
	close(fd);
	free(lat);
	return r;
}
