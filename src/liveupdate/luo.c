// SPDX-License-Identifier: GPL-2.0-only
/* /dev/liveupdate and its session ioctls (luo.h). */
#include "liveupdate/luo.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/liveupdate.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int luo_open(void)
{
	int fd = open(LUO_DEV, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n && n < LIVEUPDATE_SESSION_NAME_LENGTH;
}

int luo_session_create(int dev, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a), .fd = -1 };

	if (!name_ok(name))
		return -EINVAL;
	memcpy(a.name, name, strlen(name));
	if (ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &a) < 0)
		return -errno;
	return a.fd;
}

int luo_session_retrieve(int dev, const char *name)
{
	struct liveupdate_ioctl_retrieve_session a = { .size = sizeof(a), .fd = -1 };

	if (!name_ok(name))
		return -EINVAL;
	memcpy(a.name, name, strlen(name));
	if (ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &a) < 0)
		return -errno;
	return a.fd;
}

int luo_preserve_fd(int session, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd a = { .size = sizeof(a), .fd = fd, .token = token };

	return ioctl(session, LIVEUPDATE_SESSION_PRESERVE_FD, &a) < 0 ? -errno : 0;
}

int luo_retrieve_fd(int session, uint64_t token)
{
	struct liveupdate_session_retrieve_fd a = { .size = sizeof(a), .fd = -1, .token = token };

	if (ioctl(session, LIVEUPDATE_SESSION_RETRIEVE_FD, &a) < 0)
		return -errno;
	return a.fd;
}

int luo_session_finish(int session)
{
	struct liveupdate_session_finish a = { .size = sizeof(a) };

	return ioctl(session, LIVEUPDATE_SESSION_FINISH, &a) < 0 ? -errno : 0;
}

const char *luo_strerror(int e)
{
	switch (e) {
	case ENOENT:
		return "no such session or token, or no handler can preserve this kind of fd";
	case EEXIST:
		return "a session or token of that name exists already";
	case EINVAL:
		return "invalid (a session retrieved once already, or a bad argument)";
	case EBUSY:
		return "busy (a live update is in progress)";
	case ENOTTY:
		return "not a LUO device or session";
	default:
		return strerror(e);
	}
}
