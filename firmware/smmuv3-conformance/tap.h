/* SPDX-License-Identifier: GPL-2.0-only */
/* TAP (Test Anything Protocol 13) on the PL011: one `ok N - ...` line per check, `1..N` at the end. */
#ifndef FW_TAP_H
#define FW_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

/* printf subset: %s %c %d %u %x %lx %llx %llu %%, with an optional 0-padded width for x/u. */
void tap_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One test point; returns COND. */
bool tap_check(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "# ..." diagnostic line. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan; returns the number of failed points. */
unsigned int tap_done(void);
/* Called from the exception vectors (start.S). */
void tap_exception(uint64_t vector, uint64_t esr, uint64_t elr, uint64_t far);

#endif
