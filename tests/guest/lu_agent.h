/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The page tests/guest/lu_agent stamps in guest RAM and tools/bench/lu_watch reads from L1 through
 * the RAM memfd: one layout for both sides of that protocol.
 */
#ifndef NESTVM_GUEST_LU_AGENT_H
#define NESTVM_GUEST_LU_AGENT_H

#include <stdint.h>
#include <time.h>

#define AGENT_MAGIC 0x544e4741554c564eull   /* "NVLUAGNT" little-endian */

struct agent_page {
	uint64_t magic, seq, mono_ns;
};

static inline uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

#endif
