/* SPDX-License-Identifier: GPL-2.0-only */
/* Round-trip statistics of tools/iopf-mock and tools/bench/iopf_bare: one definition of the rank. */
#ifndef NESTVM_TOOLS_BENCH_PERCENTILE_H
#define NESTVM_TOOLS_BENCH_PERCENTILE_H

#include <stdint.h>

/* qsort comparator of uint64_t. */
static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile P of the N sorted nanosecond values V, in microseconds. */
static inline unsigned long long rank_us(const uint64_t *v, unsigned long n, unsigned int p)
{
	unsigned long k = (n * p + 99) / 100;

	return v[k ? k - 1 : 0] / 1000;
}

#endif
