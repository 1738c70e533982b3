// SPDX-License-Identifier: GPL-2.0-only
/* The event stream: cloud-hypervisor-shaped JSON lines to a file or fd. */
#include "vmm/event_monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/log.h"

static int mon_fd = -1;
static bool mon_own;            /* opened by nestvm (path=): closed at the end */
static struct timespec mon_start;

int event_monitor_open(const char *path, int fd)
{
	clock_gettime(CLOCK_MONOTONIC, &mon_start);
	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return err_errno("--event-monitor path=%s", path);
		mon_own = true;
	}
	/* Never block the VMM on a slow reader (a pipe): a full one drops events instead. */
	if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		int r = err_errno("--event-monitor: fd %d", fd);

		if (mon_own)
			close(fd);
		mon_own = false;
		return r;
	}
	mon_fd = fd;
	return 0;
}

int event_monitor_fd(void)
{
	return mon_fd;
}

void event_monitor_close(void)
{
	if (mon_own && mon_fd >= 0)
		close(mon_fd);
	mon_fd = -1;
	mon_own = false;
}

char *event_monitor_format(const char *source, const char *event, json_object *props, long secs, long nanos)
{
	json_object *o = json_object_new_object(), *ts = json_object_new_object();
	const char *s;
	char *line = NULL;

	if (!o || !ts) {
		json_object_put(o);
		json_object_put(ts);
		json_object_put(props);
		return NULL;
	}
	json_object_object_add(ts, "secs", json_object_new_int64(secs));
	json_object_object_add(ts, "nanos", json_object_new_int64(nanos));
	json_object_object_add(o, "timestamp", ts);
	json_object_object_add(o, "source", json_object_new_string(source));
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "properties", props);   /* NULL is JSON null */
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s && asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	json_object_put(o);
	return line;
}

void event_monitor_emit(const char *source, const char *event, json_object *props)
{
	struct timespec now;
	char *line;
	long secs, nanos;

	if (mon_fd < 0) {
		json_object_put(props);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = now.tv_sec - mon_start.tv_sec;
	nanos = now.tv_nsec - mon_start.tv_nsec;
	if (nanos < 0) {
		secs--;
		nanos += 1000000000L;
	}
	line = event_monitor_format(source, event, props, secs, nanos);
	if (!line) {
		pr_err("event monitor: out of memory for event %s", event);
		return;
	}
	/* A full pipe or a gone reader must not stall the VMM: the line is dropped, with a note. */
	if (write(mon_fd, line, strlen(line)) < 0)
		pr_debug("event monitor: %s/%s not written: %s", source, event, strerror(errno));
	free(line);
}
