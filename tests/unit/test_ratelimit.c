// SPDX-License-Identifier: GPL-2.0-only
/* The token bucket behind the guest console's output limit: burst, refill, drop counting, clocks. */
#include "tap.h"
#include "vmm/ratelimit.h"

#define SEC 1000000000ULL

int main(void)
{
	struct ratelimit r;
	uint64_t t = 5 * SEC, passed = 0;

	ratelimit_init(&r, 1000, 4000, t);
	CHECK(ratelimit_take(&r, 3000, t) == 3000, "within the burst: everything passes");
	CHECK(ratelimit_take(&r, 3000, t) == 1000 && r.dropped == 2000, "past the burst: the rest is dropped");
	CHECK(ratelimit_take(&r, 10, t) == 0, "empty bucket, no time: nothing passes");
	CHECK(ratelimit_take_dropped(&r) == 2010 && ratelimit_take_dropped(&r) == 0, "dropped count read and reset");
	CHECK(ratelimit_take(&r, 1000, t + SEC / 2) == 500, "half a second refills half the rate");
	/* A thousand writes of 1 byte, 0.3 ms apart (0.3 tokens each): fractions of tokens accrue. */
	for (unsigned int i = 1; i <= 1000; i++)
		passed += ratelimit_take(&r, 1, t + SEC / 2 + i * 300000ULL);
	CHECK(passed >= 299 && passed <= 300, "sub-token intervals are not lost to rounding (%llu of 300)",
	      (unsigned long long)passed);
	CHECK(ratelimit_take(&r, 100000, t + 3600 * SEC) == 4000, "a long pause refills to the burst, no more");
	CHECK(ratelimit_take(&r, 1, t) == 0, "a clock reading from the past adds nothing");
	CHECK(ratelimit_take(&r, 10000, UINT64_MAX) == 4000, "the far future: full bucket, no overflow");

	/* A flood at any rate gets through at most burst + rate * time. */
	ratelimit_init(&r, 256 * 1024, 1024 * 1024, 0);
	passed = 0;
	for (uint64_t ns = 0; ns <= 10 * SEC; ns += SEC / 1000)
		passed += ratelimit_take(&r, 1 << 20, ns);
	CHECK(passed <= 1024 * 1024 + 10 * 256 * 1024 && passed >= 1024 * 1024 + 10 * 256 * 1024 - 1024,
	      "10 s of a 1 GiB/s flood: %llu bytes pass (burst + 10 s of rate)", (unsigned long long)passed);
	return tap_done();
}
