// SPDX-License-Identifier: GPL-2.0-only
/* NESTVM_FAIL_AT: make a named setup step fail as if its ioctl had (see fail_inject.h). */
#include "iommu/fail_inject.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool fail_inject_active(void)
{
	const char *s = getenv("NESTVM_FAIL_AT");

	return s && *s;
}

bool fail_inject(const char *step)
{
	const char *s = getenv("NESTVM_FAIL_AT");
	size_t n = strlen(step);

	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		if (len >= n && !strncmp(s, step, n) && (len == n || s[n] == ':')) {
			/* STEP:ERRNO picks the error (e.g. viommu-alloc:95, EOPNOTSUPP); ENOMEM otherwise. */
			long e = len > n ? strtol(s + n + 1, NULL, 10) : 0;

			errno = e > 0 && e < 4096 ? (int)e : ENOMEM;
			return true;
		}
		s = end ? end + 1 : NULL;
	}
	return false;
}

int fail_inject_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;   /* the directory's own fd */
}
