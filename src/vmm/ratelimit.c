// SPDX-License-Identifier: GPL-2.0-only
/* The token bucket of ratelimit.h. */
#include "vmm/ratelimit.h"

#define NSEC_PER_SEC 1000000000ULL

void ratelimit_init(struct ratelimit *r, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	*r = (struct ratelimit){ .rate = rate, .burst = burst, .tokens = burst, .last_ns = now_ns };
}

static void refill(struct ratelimit *r, uint64_t now_ns)
{
	uint64_t elapsed, add;

	if (now_ns <= r->last_ns)
		return;         /* a clock that did not move (or a caller's stale reading) adds nothing */
	elapsed = now_ns - r->last_ns;
	/* Past the time to fill the bucket from empty it is simply full (and elapsed * rate cannot
	 * overflow below that: burst * 1e9 fits for any sane burst). */
	if (elapsed >= (r->burst / r->rate + 1) * NSEC_PER_SEC) {
		r->tokens = r->burst;
		r->last_ns = now_ns;
		return;
	}
	add = elapsed * r->rate / NSEC_PER_SEC;
	if (!add)
		return;         /* keep last_ns: the fraction of a token accrues */
	/* Advance by the time those tokens took, so fractions are not lost to rounding (rounded up:
	 * never credit the same nanosecond twice). */
	r->last_ns += (add * NSEC_PER_SEC + r->rate - 1) / r->rate;
	r->tokens = r->tokens + add > r->burst ? r->burst : r->tokens + add;
}

uint64_t ratelimit_take(struct ratelimit *r, uint64_t len, uint64_t now_ns)
{
	uint64_t n;

	refill(r, now_ns);
	n = len < r->tokens ? len : r->tokens;
	r->tokens -= n;
	r->dropped += len - n;
	return n;
}

uint64_t ratelimit_take_dropped(struct ratelimit *r)
{
	uint64_t d = r->dropped;

	r->dropped = 0;
	return d;
}
