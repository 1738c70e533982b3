/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A token bucket: up to BURST units pass at once, then RATE units per second; what does not fit is
 * counted as dropped so the caller can say so. Pure arithmetic on caller-supplied CLOCK_MONOTONIC
 * nanoseconds (testable without sleeping); the caller serialises access.
 */
#ifndef NESTVM_RATELIMIT_H
#define NESTVM_RATELIMIT_H

#include <stdint.h>

struct ratelimit {
	uint64_t rate, burst;        /* units per second, bucket size */
	uint64_t tokens;
	uint64_t last_ns;            /* time the tokens were last brought up to date */
	uint64_t dropped;            /* units refused since the last ratelimit_take_dropped */
};

/* A full bucket at NOW_NS. RATE and BURST are > 0. */
void ratelimit_init(struct ratelimit *r, uint64_t rate, uint64_t burst, uint64_t now_ns);
/* How many of LEN units may pass at NOW_NS (a prefix of them); the rest count as dropped. */
uint64_t ratelimit_take(struct ratelimit *r, uint64_t len, uint64_t now_ns);
/* The dropped count, reset to 0. */
uint64_t ratelimit_take_dropped(struct ratelimit *r);

#endif
