// SPDX-License-Identifier: GPL-2.0-only
/* Error reporting and sysfs access for the guest test programs (see guest_util.h). */
#include "guest_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
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

int gu_keep_locked_pages(void)
{
	static const char knob[] = "/proc/sys/vm/compact_unevictable_allowed";

	if (access(knob, F_OK) != 0)
		return 0;
	return gu_write_file(knob, "0");
}

static int is_pci_fn(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int gu_find_pci(unsigned int vendor, unsigned int device, unsigned int nth, char *bdf, size_t len)
{
	struct dirent **list;
	char path[PATH_MAX], v[32], d[32];
	unsigned int seen = 0;
	int n, ret = -ENODEV;

	/* alphasort: sysfs names are DDDD:BB:DD.F, so address order. */
	n = scandir("/sys/bus/pci/devices", &list, is_pci_fn, alphasort);
	if (n < 0)
		return gu_errno("/sys/bus/pci/devices");
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", list[i]->d_name);
		if (ret && !gu_read_file(path, v, sizeof(v)) && strtoul(v, NULL, 16) == vendor) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", list[i]->d_name);
			if (!gu_read_file(path, d, sizeof(d)) && strtoul(d, NULL, 16) == device && seen++ == nth) {
				snprintf(bdf, len, "%s", list[i]->d_name);
				ret = 0;
			}
		}
		free(list[i]);
	}
	free(list);
	if (ret)
		return gu_err(ret, "PCI function %04x:%04x number %u in /sys/bus/pci/devices (%u found)", vendor, device,
			      nth, seen);
	return 0;
}

int gu_bind_vfio(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *drv;
	ssize_t n;
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		drv = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
		if (strcmp(drv, "vfio-pci") == 0)
			return 0;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		ret = gu_write_file(path, bdf);
		if (ret)
			return gu_err(ret, "unbind %s from %s", bdf, drv);
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	ret = gu_write_file(path, "vfio-pci");
	if (ret)
		return gu_err(ret, "%s", path);
	ret = gu_write_file("/sys/bus/pci/drivers_probe", bdf);
	if (ret)
		return gu_err(ret, "probe %s with vfio-pci (CONFIG_VFIO_PCI?)", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0 || (target[n] = '\0', strcmp(strrchr(target, '/') ? strrchr(target, '/') + 1 : target, "vfio-pci")))
		return gu_err(ENODEV, "%s did not bind to vfio-pci", bdf);
	return 0;
}

int gu_vfio_cdev(const char *bdf, char *path, size_t len)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(dir);
	if (!d)
		return gu_errno("%s (is %s bound to vfio-pci?)", dir, bdf);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "vfio", 4) == 0) {
			snprintf(path, len, "/dev/vfio/devices/%s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	return gu_err(ENODEV, "%s: no vfioN entry", dir);
}

long long gu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
