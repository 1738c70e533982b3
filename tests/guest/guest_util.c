// SPDX-License-Identifier: GPL-2.0-only
/* Error reporting and sysfs access for the guest test programs (see guest_util.h). */
#include "guest_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *gu_prog = "guest";

static int verr(int err, const char *fmt, va_list ap)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		err = EIO;
	fprintf(stderr, "%s: ", gu_prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return -err;
}

int gu_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	err = verr(err, fmt, ap);
	va_end(ap);
	errno = -err;
	return err;
}

int gu_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = verr(err, fmt, ap);
	va_end(ap);
	return err;
}

int gu_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (len == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

int gu_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0 || (size_t)n != len) {
		int err = n < 0 ? -errno : -EIO;

		close(fd);
		return err;
	}
	if (close(fd) < 0)
		return -errno;
	return 0;
}
