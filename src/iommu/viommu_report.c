// SPDX-License-Identifier: GPL-2.0-only
/* vIOMMU faults and host event losses on the event stream, rate-limited (see viommu_report.h). */
#include "iommu/viommu_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "vmm/event_monitor.h"

static struct viommu_report stream_report = VIOMMU_REPORT_INIT;

static bool take(struct viommu_report *r, uint64_t now_ns)
{
	if (!r->ready) {
		ratelimit_init(&r->rl, VIOMMU_REPORT_RATE, VIOMMU_REPORT_BURST, now_ns);
		r->ready = true;
	}
	return ratelimit_take(&r->rl, 1, now_ns) == 1;
}

static json_object *hex(uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%" PRIx64, v);
	return json_object_new_string(s);
}

json_object *viommu_report_fault_props(struct viommu_report *r, const struct viommu_fault_report *f, uint64_t now_ns)
{
	json_object *o;
	uint64_t suppressed;

	pthread_mutex_lock(&r->lock);
	if (!take(r, now_ns)) {
		r->suppressed++;
		pthread_mutex_unlock(&r->lock);
		return NULL;
	}
	suppressed = r->suppressed;
	r->suppressed = 0;
	pthread_mutex_unlock(&r->lock);
	o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "front_end", json_object_new_string(f->front_end));
	json_object_object_add(o, "origin", json_object_new_string(f->origin));
	json_object_object_add(o, "type", json_object_new_string(f->type));
	json_object_object_add(o, "sid", json_object_new_int64(f->sid));
	json_object_object_add(o, "address", hex(f->addr));
	json_object_object_add(o, "write", json_object_new_boolean(f->write));
	json_object_object_add(o, "delivered", json_object_new_boolean(f->delivered));
	json_object_object_add(o, "suppressed", json_object_new_int64((int64_t)suppressed));
	return o;
}

json_object *viommu_report_lost_props(struct viommu_report *r, const char *front_end, uint64_t count, uint64_t total,
				      uint64_t now_ns)
{
	json_object *o;

	pthread_mutex_lock(&r->lock);
	r->lost_pending += count;
	if (!take(r, now_ns)) {
		pthread_mutex_unlock(&r->lock);
		return NULL;
	}
	count = r->lost_pending;
	r->lost_pending = 0;
	pthread_mutex_unlock(&r->lock);
	o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "front_end", json_object_new_string(front_end));
	json_object_object_add(o, "queue", json_object_new_string("host-veventq"));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)count));
	json_object_object_add(o, "total", json_object_new_int64((int64_t)total));
	return o;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

void viommu_report_fault(const struct viommu_fault_report *f)
{
	json_object *p = viommu_report_fault_props(&stream_report, f, now_ns());

	if (p)
		event_monitor_emit("viommu", "fault", p);
}

void viommu_report_lost(const char *front_end, uint64_t count, uint64_t total)
{
	json_object *p = viommu_report_lost_props(&stream_report, front_end, count, total, now_ns());

	if (p)
		event_monitor_emit("viommu", "lost-events", p);
}
