/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal TAP producer for unit tests: each CHECK is one test point, so the summary counts every
 * assertion that ran. tools/test and `meson test` (protocol: tap) read the output.
 */
#ifndef NESTVM_TAP_H
#define NESTVM_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define CHECK(cond, ...)                                                                     \
	do {                                                                                 \
		int ok_ = !!(cond);                                                          \
		printf("%sok %d - ", ok_ ? "" : "not ", ++tap_n);                            \
		printf(__VA_ARGS__);                                                         \
		printf("\n");                                                                \
		if (!ok_) {                                                                  \
			tap_failed++;                                                        \
			printf("#   failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);           \
		}                                                                            \
	} while (0)

#define SKIP(why, ...)                                                                       \
	do {                                                                                 \
		printf("ok %d - ", ++tap_n);                                                 \
		printf(__VA_ARGS__);                                                         \
		printf(" # SKIP %s\n", why);                                                 \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
