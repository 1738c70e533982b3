// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopf-mock: the page-request source of tests/testhost/iopf.sh (test builds, -Diommufd_test=true;
 * needs a kernel with CONFIG_IOMMUFD_TEST). It opens /dev/iommu, makes an IOAS and on it a mock
 * device (IOMMU_TEST_OP_MOCK_DOMAIN), runs nestvm on the same iommufd with that device as the
 * page-request source of a guest StreamID (--iommufd fd=N --iopf-mock ...), and then, for each line
 * on its stdin,
 *     trigger GRPID ADDR [PERM [PASID]]
 * raises a PRI page request of the mock device (IOMMU_TEST_OP_TRIGGER_IOPF: one request with
 * LAST_PAGE; PERM 1 read, 2 write, 3 both (the default); PASID 0: none). It answers each line with
 * "iopf-mock: triggered ..." or the error on stderr, where nestvm's messages go too (its stdout is
 * the guest's console alone). At end of input it waits for nestvm and exits
 * with its status (1 on its own errors, 2 on usage).
 *
 * With --bench (tools/bench/iopf; nestvm must run with -v), nestvm's stderr goes through a pipe
 * that iopf-mock copies to its own and watches for nestvm's "iopf: StreamID S PRG G cookie C
 * answered ..., the kernel took it" lines, which makes one more command possible:
 *     bench N K
 * raises N page requests (PRG index i % 512, no "triggered" lines), never more than K (1..31: nestvm
 * keeps at most 32 per device awaiting the guest) unanswered, and prints
 *     iopf-mock: bench N=.. K=.. wall_us=.. faults_per_s=.. median_us=.. p99_us=.. max_us=.. not_guest=..
 * the round trip of each request from before its TRIGGER_IOPF to the moment the line saying the
 * kernel took its answer arrived (median, p99 by nearest rank), N over the wall time from the first
 * trigger to the last answer, and how many were answered by something else than the guest
 * (nestvm's bounds, timeout: a bench that is not measuring the chain). Exit status 1 when a
 * bench did not complete (no answer for 60 s).
 *
 * With --function nestvm also shows the guest a PCIe function with ATS and PRI at that StreamID
 * (--iopf-mock ...,function=on: devices/iopf_fn.h), for the guest's own IOMMU driver to own.
 *
 * usage: iopf-mock [--sid N] [--timeout-ms N] [--bench] [--function] -- NESTVM-COMMAND...
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iommu/iommufd_mock.h"
#include "bench/percentile.h"

static int die(const char *what)
{
	fprintf(stderr, "iopf-mock: %s: %s\n", what, strerror(errno));
	return 1;
}

static int raise_iopf(int fd, uint32_t dev_id, unsigned int grpid, unsigned long long addr, unsigned int perm,
		      unsigned int pasid)
{
	struct iommu_test_cmd c = { .size = sizeof(c), .op = IOMMU_TEST_OP_TRIGGER_IOPF };

	c.trigger_iopf.dev_id = dev_id;
	c.trigger_iopf.grpid = grpid;
	c.trigger_iopf.addr = addr;
	c.trigger_iopf.perm = perm;
	c.trigger_iopf.pasid = pasid;
	if (ioctl(fd, IOMMU_TEST_CMD, &c)) {
		fprintf(stderr, "iopf-mock: IOMMU_TEST_OP_TRIGGER_IOPF grpid %u: %s\n", grpid, strerror(errno));
		return -1;
	}
	return 0;
}

/* --bench: what the watcher of nestvm's stderr saw, shared with the bench command (under lock). */
#define BENCH_PRGS 512              /* PCIe's 9-bit PRG index */
#define BENCH_MAX_K 31              /* below nestvm's IOPF_MAX_PER_DEV (32) */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool eof;
	unsigned long answered, not_guest;  /* of the bench running */
	uint64_t trig_ns[BENCH_PRGS];        /* when each PRG index was raised; 0: not outstanding */
	uint64_t *lat_ns;                    /* the round trips, in answer order */
	unsigned long n;                     /* the bench's size (lat_ns's) */
} w = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Copies nestvm's stderr to ours and stamps the answers the kernel took. */
static void *watch(void *arg)
{
	FILE *in = arg;
	char line[512], why[32];
	unsigned int sid, prg, cookie;

	while (fgets(line, sizeof(line), in)) {
		uint64_t t = now_ns();
		const char *p = strstr(line, "iopf: StreamID ");

		fputs(line, stderr);
		if (!p || !strstr(p, ", the kernel took it") ||
		    sscanf(p, "iopf: StreamID 0x%x PRG %u cookie %u answered %*s (%31[^)])", &sid, &prg, &cookie, why) != 4 ||
		    prg >= BENCH_PRGS)
			continue;
		pthread_mutex_lock(&w.lock);
		if (w.lat_ns && w.trig_ns[prg] && w.answered < w.n) {
			w.lat_ns[w.answered++] = t - w.trig_ns[prg];
			w.not_guest += strcmp(why, "guest") != 0;
			w.trig_ns[prg] = 0;
			pthread_cond_broadcast(&w.cond);
		}
		pthread_mutex_unlock(&w.lock);
	}
	fclose(in);
	pthread_mutex_lock(&w.lock);
	w.eof = true;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	return NULL;
}

/* Waits (locked) until fewer than LIMIT of the bench's raised requests are unanswered, 60 s at most. */
static int wait_answers(unsigned long raised, unsigned long limit)
{
	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 60;
	while (raised - w.answered >= limit && !w.eof)
		if (pthread_cond_timedwait(&w.cond, &w.lock, &dl))
			return -1;
	return raised - w.answered < limit ? 0 : -1;
}

static int bench(int fd, uint32_t dev_id, const char *line)
{
	unsigned long n, k, i;
	uint64_t t0, t1;
	int r = 0;

	if (sscanf(line, "bench %lu %lu", &n, &k) != 2 || !n || !k || k > BENCH_MAX_K) {
		fprintf(stderr, "iopf-mock: bench N K: N > 0 requests, at most K (1..%d) unanswered\n", BENCH_MAX_K);
		return -1;
	}
	pthread_mutex_lock(&w.lock);
	w.lat_ns = calloc(n, sizeof(*w.lat_ns));
	if (!w.lat_ns) {
		pthread_mutex_unlock(&w.lock);
		die("calloc");
		return -1;
	}
	w.n = n;
	w.answered = w.not_guest = 0;
	memset(w.trig_ns, 0, sizeof(w.trig_ns));
	t0 = now_ns();
	for (i = 0; i < n && !r; i++) {
		unsigned int prg = (unsigned int)(i % BENCH_PRGS);

		r = wait_answers(i, k);
		if (r)
			break;
		w.trig_ns[prg] = now_ns();
		/* Raised unlocked: the answer may come (and be stamped) before the ioctl returns. */
		pthread_mutex_unlock(&w.lock);
		r = raise_iopf(fd, dev_id, prg, 0x100000ull + (unsigned long long)prg * 4096, 3, 0);
		pthread_mutex_lock(&w.lock);
		if (r)
			w.trig_ns[prg] = 0;
	}
	if (!r)
		r = wait_answers(n, 1);
	t1 = now_ns();
	if (r) {
		fprintf(stderr, "iopf-mock: bench N=%lu K=%lu: %lu of %lu raised, %lu answered%s\n", n, k, i, n,
			w.answered, w.eof ? " (nestvm's stderr closed)" : " (none for 60 s)");
	} else {
		qsort(w.lat_ns, n, sizeof(*w.lat_ns), cmp_u64);
		fprintf(stderr, "iopf-mock: bench N=%lu K=%lu wall_us=%llu faults_per_s=%.1f median_us=%llu p99_us=%llu "
			"max_us=%llu not_guest=%lu\n", n, k, (unsigned long long)(t1 - t0) / 1000,
			(double)n * 1e9 / (double)(t1 - t0 ? t1 - t0 : 1), rank_us(w.lat_ns, n, 50),
			rank_us(w.lat_ns, n, 99), (unsigned long long)w.lat_ns[n - 1] / 1000, w.not_guest);
	}
	free(w.lat_ns);
	w.lat_ns = NULL;
	w.n = 0;
	pthread_mutex_unlock(&w.lock);
	return r;
}

static int trigger(int fd, uint32_t dev_id, const char *line)
{
	unsigned long long addr;
	unsigned int grpid, perm = 3, pasid = 0;
	int n = sscanf(line, "trigger %u %llx %u %u", &grpid, &addr, &perm, &pasid);

	if (n < 2) {
		fprintf(stderr, "iopf-mock: unknown command: %s", line);
		return -1;
	}
	if (raise_iopf(fd, dev_id, grpid, addr, perm, pasid))
		return -1;
	fprintf(stderr, "iopf-mock: triggered grpid %u addr 0x%llx perm %u pasid %u\n", grpid, addr, perm, pasid);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int sid = 0x10, timeout_ms = 0;
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	char fdarg[32], mockarg[160], line[256];
	char **args;
	int i, fd, status, nargs, errpipe[2] = { -1, -1 };
	bool bench_mode = false, bench_failed = false, function = false;
	pthread_t watcher;
	FILE *errs = NULL;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--sid") && i + 1 < argc)
			sid = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
			timeout_ms = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--bench"))
			bench_mode = true;
		else if (!strcmp(argv[i], "--function"))
			function = true;
		else
			break;
	}
	if (i >= argc - 1 || strcmp(argv[i], "--")) {
		fprintf(stderr, "usage: iopf-mock [--sid N] [--timeout-ms N] [--bench] [--function] -- NESTVM-COMMAND...\n");
		return 2;
	}
	i++;
	fd = open("/dev/iommu", O_RDWR);     /* inherited by nestvm: no O_CLOEXEC */
	if (fd < 0)
		return die("/dev/iommu");
	if (fd < 3) {
		int d = fcntl(fd, F_DUPFD, 3);

		if (d < 0)
			return die("F_DUPFD");
		close(fd);
		fd = d;
	}
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &ia))
		return die("IOMMU_IOAS_ALLOC");
	md.id = ia.out_ioas_id;
	if (ioctl(fd, IOMMU_TEST_CMD, &md))
		return die("IOMMU_TEST_OP_MOCK_DOMAIN (is CONFIG_IOMMUFD_TEST on?)");
	fprintf(stderr, "iopf-mock: mock device dev_id %u stdev_id %u hwpt %u on IOAS %u as StreamID 0x%x\n",
	       md.mock_domain.out_idev_id, md.mock_domain.out_stdev_id, md.mock_domain.out_hwpt_id, ia.out_ioas_id, sid);
	snprintf(fdarg, sizeof(fdarg), "fd=%d", fd);
	/* hwpt= is where nestvm moves the device back at the end: the IOAS, since the automatic HWPT
	 * it has now is freed as soon as it leaves it (a replace onto that id fails with ENOENT, and the
	 * fault-capable HWPTs could not be destroyed). */
	snprintf(mockarg, sizeof(mockarg), "dev_id=%u,stdev_id=%u,hwpt=%u,sid=%u", md.mock_domain.out_idev_id,
		      md.mock_domain.out_stdev_id, ia.out_ioas_id, sid);
	if (timeout_ms)
		snprintf(mockarg + strlen(mockarg), sizeof(mockarg) - strlen(mockarg), ",timeout_ms=%u", timeout_ms);
	if (function)
		snprintf(mockarg + strlen(mockarg), sizeof(mockarg) - strlen(mockarg), ",function=on");
	nargs = argc - i;
	args = calloc((size_t)nargs + 5, sizeof(*args));
	if (!args)
		return die("calloc");
	for (int k = 0; k < nargs; k++)
		args[k] = argv[i + k];
	args[nargs] = "--iommufd";
	args[nargs + 1] = fdarg;
	args[nargs + 2] = "--iopf-mock";
	args[nargs + 3] = mockarg;
	if (bench_mode && pipe2(errpipe, O_CLOEXEC))
		return die("pipe2");
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* Our stdin is the harness's command stream, not the guest's console input. */
		if (null < 0 || dup2(null, 0) < 0)
			_exit(die("/dev/null"));
		if (errpipe[1] >= 0 && dup2(errpipe[1], 2) < 0)
			_exit(die("dup2 of the stderr pipe"));
		execvp(args[0], args);
		_exit(die(args[0]));
	}
	if (bench_mode) {
		int e;

		close(errpipe[1]);
		errs = fdopen(errpipe[0], "r");
		if (!errs)
			return die("fdopen of the stderr pipe");
		e = pthread_create(&watcher, NULL, watch, errs);
		if (e) {
			errno = e;
			return die("pthread_create");
		}
	}
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "bench", 5) && bench_mode)
			bench_failed |= bench(fd, md.mock_domain.out_idev_id, line) != 0;
		else if (!strncmp(line, "bench", 5))
			fprintf(stderr, "iopf-mock: bench needs --bench (and nestvm -v)\n");
		else
			trigger(fd, md.mock_domain.out_idev_id, line);
	}
	if (waitpid(pid, &status, 0) < 0)
		return die("waitpid");
	/* nestvm is gone: the pipe ends (unless something it started still holds it). */
	if (bench_mode)
		pthread_join(watcher, NULL);
	close(fd);
	free(args);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "iopf-mock: nestvm killed by signal %d\n", WTERMSIG(status));
		return 1;
	}
	return WEXITSTATUS(status) ? WEXITSTATUS(status) : bench_failed;
}
