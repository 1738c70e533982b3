// SPDX-License-Identifier: GPL-2.0-only
/*
 * lu_watch RAMFILE OFFSET [SAMPLE_US]: tools/bench/liveupdate's host side of the guest agent
 * (tests/guest/lu_agent.c). RAMFILE is the guest RAM memfd as /proc/PID/fd/N (opening it gives a
 * file of the same memfd, which crosses every update by re-exec with the VM); OFFSET is the agent
 * page's guest-physical address minus the RAM region's base. Maps that page read-only and samples
 * it every SAMPLE_US (default 200) microseconds of CLOCK_MONOTONIC: the agent bumps seq as fast as
 * its vCPU runs, so the longest time seq was seen standing still is the longest time the guest made
 * no progress, timed by the host. That is measured from the first to the last sample that saw the
 * same seq: a lower bound, short by at most one sampling interval, which this process being
 * descheduled itself cannot inflate (a gap between two samples where seq moved counts nothing).
 * For each line read on stdin it prints the window since the previous one and starts a new one:
 *   lu-watch: stall_us S guest_step_us G samples N max_sample_gap_us X
 * with S the longest stall, G how far the guest's CLOCK_MONOTONIC (the agent's stamp) moved from the
 * last stamp before that stall to the first after it (G < S: the guest's clock hid part of the
 * pause), and X the longest interval between two samples (the resolution the window really had).
 * Exits 0 at the end of stdin; 1 (reported) when the file cannot be mapped or holds no agent page.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../tests/guest/lu_agent.h"

int main(int argc, char **argv)
{
	long ps = sysconf(_SC_PAGESIZE);
	unsigned long long off, sample_us = 200;
	const volatile struct agent_page *p;
	struct timespec nap;
	uint64_t seq, mono, t_first, t_last, t_prev, stall = 0, step = 0, samples = 0, gap = 0;
	char *end, line[256];
	void *map;
	int fd;

	if (argc < 3 || argc > 4 || ps <= 0) {
		fprintf(stderr, "usage: lu_watch RAMFILE OFFSET [SAMPLE_US]\n");
		return 2;
	}
	errno = 0;
	off = strtoull(argv[2], &end, 0);
	if (errno || *end || off % (unsigned long long)ps) {
		fprintf(stderr, "lu_watch: OFFSET %s: not a page-aligned number\n", argv[2]);
		return 2;
	}
	if (argc == 4 && (!(sample_us = strtoull(argv[3], &end, 0)) || *end)) {
		fprintf(stderr, "lu_watch: SAMPLE_US %s: not a positive number\n", argv[3]);
		return 2;
	}
	nap = (struct timespec){ .tv_sec = (time_t)(sample_us / 1000000), .tv_nsec = (long)(sample_us % 1000000) * 1000 };
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "lu_watch: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	map = mmap(NULL, (size_t)ps, PROT_READ, MAP_SHARED, fd, (off_t)off);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "lu_watch: mmap %s at 0x%llx: %s\n", argv[1], off, strerror(errno));
		return 1;
	}
	p = map;
	if (p->magic != AGENT_MAGIC) {
		fprintf(stderr, "lu_watch: no lu_agent page at 0x%llx of %s (magic 0x%" PRIx64 ")\n", off, argv[1], p->magic);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	seq = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE);
	mono = p->mono_ns;
	t_first = t_last = t_prev = now_ns();
	for (;;) {
		struct pollfd in = { .fd = 0, .events = POLLIN };
		uint64_t s = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE), t = now_ns();
		int r;

		samples++;
		if (t - t_prev > gap)
			gap = t - t_prev;
		t_prev = t;
		if (s == seq) {
			t_last = t;
			mono = p->mono_ns;   /* the last stamp before a stall is the one that stays */
		} else {
			uint64_t m = p->mono_ns;

			if (t_last - t_first > stall) {
				stall = t_last - t_first;
				step = m - mono;
			}
			seq = s;
			mono = m;
			t_first = t_last = t;
		}
		r = poll(&in, 1, 0);
		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "lu_watch: poll stdin: %s\n", strerror(errno));
			return 1;
		}
		if (r > 0) {
			ssize_t n = read(0, line, sizeof(line));   /* the script writes one line per window */

			if (n < 0 && errno != EINTR) {
				fprintf(stderr, "lu_watch: read stdin: %s\n", strerror(errno));
				return 1;
			}
			if (n == 0)
				return 0;
			printf("lu-watch: stall_us %" PRIu64 " guest_step_us %" PRIu64 " samples %" PRIu64 " max_sample_gap_us %" PRIu64
			       "\n", stall / 1000, step / 1000, samples, gap / 1000);
			stall = step = samples = gap = 0;
		}
		nanosleep(&nap, NULL);
	}
}
