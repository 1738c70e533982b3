// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool log_verbose;

static void vlog(const char *level, const char *fmt, va_list ap, int err)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* One write per line: vCPU threads and the event loop report concurrently. */
	if (err)
		fprintf(stderr, "nestvm: %s%s: %s\n", level, buf, strerror(err));
	else
		fprintf(stderr, "nestvm: %s%s\n", level, buf);
}

#define DEFINE_PR(name, level, cond)               \
	void name(const char *fmt, ...)            \
	{                                          \
		va_list ap;                        \
		if (!(cond))                       \
			return;                    \
		va_start(ap, fmt);                 \
		vlog(level, fmt, ap, 0);           \
		va_end(ap);                        \
	}
DEFINE_PR(pr_err, "", true)
DEFINE_PR(pr_warn, "warning: ", true)
DEFINE_PR(pr_info, "", true)
DEFINE_PR(pr_debug, "debug: ", log_verbose)

int err_errno(const char *fmt, ...)
{
	int err = errno ? errno : EIO;
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap, err);
	va_end(ap);
	errno = err;
	return -err;
}

int err_num(int err, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	va_start(ap, fmt);
	vlog("", fmt, ap, err);
	va_end(ap);
	return -err;
}
