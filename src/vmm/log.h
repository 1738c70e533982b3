/* SPDX-License-Identifier: GPL-2.0-only */
/* Error reporting: every failure is reported once, with context, as "nestvm: what: reason". */
#ifndef NESTVM_LOG_H
#define NESTVM_LOG_H

#include <errno.h>
#include <stdbool.h>

void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports "what: strerror(errno)" and returns -errno (errno preserved), for `return err_errno(...)`. */
int err_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same with an explicit negative or positive error number (e.g. a liburing/libseccomp result). */
int err_num(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

extern bool log_verbose;

#endif
