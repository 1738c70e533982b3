/* SPDX-License-Identifier: GPL-2.0-only */
/* Absolute CLOCK_MONOTONIC deadlines for the bounded waits of pause and drain. */
#ifndef NESTVM_VMM_DEADLINE_H
#define NESTVM_VMM_DEADLINE_H

#include <time.h>

/* The monotonic time TIMEOUT_MS from now. */
static inline struct timespec deadline_after_ms(unsigned int timeout_ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += timeout_ms / 1000;
	t.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

#endif
