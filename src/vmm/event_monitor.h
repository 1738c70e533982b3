/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The event stream (--event-monitor path=PATH|fd=N): one JSON object per line, in
 * cloud-hypervisor's shape: {"timestamp":{"secs":S,"nanos":N},"source":"vm","event":"paused",
 * "properties":null}, the timestamp counted from nestvm's start. Process-wide, like the log; any
 * thread may emit (one write(2) per event, so lines never interleave).
 */
#ifndef NESTVM_EVENT_MONITOR_H
#define NESTVM_EVENT_MONITOR_H

#include <json-c/json.h>

/* PATH (appended to, created owner-only) or FD; none: events are dropped. */
int event_monitor_open(const char *path, int fd);
void event_monitor_close(void);
/* The stream's fd, -1 when none (a live update hands it over). */
int event_monitor_fd(void);
/* SOURCE "vmm", "vm" or a device id; PROPS (may be NULL) is consumed. */
void event_monitor_emit(const char *source, const char *event, json_object *props);
/* The line EVENT would be (for tests): malloc'd, with its newline; NULL when out of memory. */
char *event_monitor_format(const char *source, const char *event, json_object *props, long secs, long nanos);

#endif
