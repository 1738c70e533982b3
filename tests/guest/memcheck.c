// SPDX-License-Identifier: GPL-2.0-only
/*
 * memcheck SIZE_MIB [INTERVAL_MS]: the guest side of tests/testhost/liveupdate.sh. Fills SIZE_MIB
 * of anonymous memory (touched, so it is backed by guest RAM) with a pattern derived from each
 * word's index and a per-run seed, then forever: verifies every word, and prints one line per round
 *   memcheck: round N words W bad B uptime_cs U
 * with the round counter going on across a live update of the VMM; the first bad word found is
 * printed as "memcheck: BAD ..." (B counts them all). Every 64th round also rewrites the pattern
 * with the next seed, so memory keeps changing while the VMM is updated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t pattern(uint64_t i, uint64_t seed)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ seed;

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ull;
}

static unsigned long uptime_cs(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return (unsigned long)t.tv_sec * 100 + (unsigned long)t.tv_nsec / 10000000;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 16, n = mib << 17;
	unsigned int interval = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 0) : 200;
	uint64_t *m = mmap(NULL, n * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t seed = 1, bad_total = 0;

	if (m == MAP_FAILED) {
		perror("memcheck: mmap");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n; i++)
		m[i] = pattern(i, seed);
	for (uint64_t round = 1;; round++) {
		uint64_t bad = 0;

		for (size_t i = 0; i < n; i++) {
			if (m[i] != pattern(i, seed)) {
				if (!bad_total && !bad)
					printf("memcheck: BAD word %zu: 0x%016llx, expected 0x%016llx\n", i,
					       (unsigned long long)m[i], (unsigned long long)pattern(i, seed));
				bad++;
			}
		}
		bad_total += bad;
		printf("memcheck: round %llu words %zu bad %llu uptime_cs %lu\n", (unsigned long long)round, n,
		       (unsigned long long)bad_total, uptime_cs());
		if (!(round % 64)) {
			seed++;
			for (size_t i = 0; i < n; i++)
				m[i] = pattern(i, seed);
		}
		usleep(interval * 1000);
	}
}
