// SPDX-License-Identifier: GPL-2.0-only
/*
 * lu_agent [REPORT_MS]: the guest side of tools/bench/liveupdate, measuring from inside L2 what a
 * live update of the VMM pauses. One thread spins forever reading CLOCK_MONOTONIC and stamps each
 * reading into a locked page of its own:
 *   struct { u64 magic "NVLUAGNT"; u64 seq (incremented after each stamp); u64 mono_ns; }
 * and prints, once at the start (and again if the page ever moves, which a locked anonymous page
 * does only under compaction), the page's guest-physical address from /proc/self/pagemap
 * (Documentation/admin-guide/mm/pagemap.rst: bit 63 present, bits 0-54 the PFN; root only):
 *   lu-agent: gpa 0xADDR
 * so the host (tools/bench/lu_watch, reading the guest RAM memfd) can time with its own clock how
 * long seq stood still, i.e. how long the guest made no progress at all. Every REPORT_MS (default
 * 1000) of guest time it prints the largest step between two consecutive readings of its own clock:
 *   lu-agent: window N max_gap_us G
 * which is the part of a pause the guest's clock shows (the VMM may restore the guest's counter so
 * that the pause is hidden from it: docs/liveupdate.md, "The guest's clock across an update").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lu_agent.h"

/* The guest-physical address of the page at VA, or 0 (reported) when pagemap does not give it. */
static uint64_t gpa_of(const void *va)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "lu-agent: open /proc/self/pagemap: %s\n", strerror(errno));
		return 0;
	}
	n = pread(fd, &e, sizeof(e), (off_t)((uintptr_t)va / (uintptr_t)ps * sizeof(e)));
	close(fd);
	if (n != (ssize_t)sizeof(e) || !(e >> 63) || !(e & ((1ull << 55) - 1))) {
		fprintf(stderr, "lu-agent: pagemap gives no PFN for the page (read %zd, entry 0x%" PRIx64 "; not root?)\n",
			n, e);
		return 0;
	}
	return (e & ((1ull << 55) - 1)) * (uint64_t)ps;
}

int main(int argc, char **argv)
{
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t report_ns = (argc > 1 ? strtoull(argv[1], NULL, 0) : 1000) * 1000000ull;
	struct agent_page *p;
	uint64_t gpa, prev, next, max_gap = 0, window = 0;

	if (ps <= 0 || !report_ns) {
		fprintf(stderr, "usage: lu_agent [REPORT_MS > 0]\n");
		return 2;
	}
	p = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "lu-agent: mmap: %s\n", strerror(errno));
		return 1;
	}
	if (mlock(p, (size_t)ps))
		fprintf(stderr, "lu-agent: mlock: %s (the page may move)\n", strerror(errno));
	setvbuf(stdout, NULL, _IOLBF, 0);
	p->magic = AGENT_MAGIC;
	gpa = gpa_of(p);
	if (!gpa)
		return 1;
	printf("lu-agent: gpa 0x%" PRIx64 "\n", gpa);
	prev = now_ns();
	next = prev + report_ns;
	for (;;) {
		uint64_t t = now_ns(), g;

		if (t - prev > max_gap)
			max_gap = t - prev;
		prev = t;
		/* The stamp before the sequence number: a reader that sees seq move sees this stamp or a later one. */
		__atomic_store_n(&p->mono_ns, t, __ATOMIC_RELAXED);
		__atomic_store_n(&p->seq, p->seq + 1, __ATOMIC_RELEASE);
		if (t < next)
			continue;
		printf("lu-agent: window %" PRIu64 " max_gap_us %" PRIu64 "\n", ++window, max_gap / 1000);
		g = gpa_of(p);
		if (g && g != gpa)
			printf("lu-agent: gpa 0x%" PRIx64 "\n", gpa = g);
		max_gap = 0;
		/* The printing itself is no gap the update caused. */
		prev = now_ns();
		next = prev + report_ns;
	}
}
