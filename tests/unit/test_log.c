// SPDX-License-Identifier: GPL-2.0-only
/* err_errno/err_num return the negative errno they report, and keep errno. */
#include <errno.h>

#include "tap.h"
#include "vmm/log.h"

int main(void)
{
	errno = ENOENT;
	CHECK(err_errno("opening %s", "/nonexistent") == -ENOENT, "err_errno returns -errno");
	CHECK(errno == ENOENT, "err_errno preserves errno");
	errno = 0;
	CHECK(err_errno("no errno set") == -EIO, "err_errno with errno 0 reports EIO");
	CHECK(err_num(-EBUSY, "liburing") == -EBUSY, "err_num takes negative numbers");
	CHECK(err_num(EPERM, "libseccomp") == -EPERM, "err_num takes positive numbers");
	return tap_done();
}
