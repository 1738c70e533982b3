/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the vIOMMUs say on the event stream (--event-monitor, docs/api.md): the faults their guest
 * sees (source "viommu", event "fault"), whether a vEVENTQ record of an assigned device (origin
 * "host") or nestvm's own software walk for an emulated one ("emulated"), and events the host's
 * vEVENTQ dropped ("lost-events"). A guest can make a device fault in a loop, so the stream is
 * rate-limited (VIOMMU_REPORT_RATE per second after a burst of VIOMMU_REPORT_BURST): what the limit
 * drops is counted, and the next event that passes says how many ("suppressed"). The guest's own
 * queue is never affected. Process-wide like the event monitor; callable from any thread.
 */
#ifndef NESTVM_VIOMMU_REPORT_H
#define NESTVM_VIOMMU_REPORT_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/ratelimit.h"

#define VIOMMU_REPORT_RATE 10
#define VIOMMU_REPORT_BURST 20

struct viommu_fault_report {
	const char *front_end;      /* "smmuv3", "vtd" */
	const char *origin;         /* "host" (vEVENTQ), "emulated" (software walk) */
	const char *type;           /* the front-end's name for it (SMMUv3 event type, VT-d reason) */
	uint32_t sid;               /* StreamID / source id as the guest knows it */
	uint64_t addr;              /* input address (IOVA) */
	bool write;
	bool delivered;             /* false: the guest's queue was off or full, so it lost the record */
};

struct viommu_report {
	pthread_mutex_t lock;
	struct ratelimit rl;
	bool ready;
	uint64_t suppressed;        /* faults dropped by the limit since the last one that passed */
	uint64_t lost_pending;      /* host-dropped records not reported yet (the limit held them) */
};

#define VIOMMU_REPORT_INIT { .lock = PTHREAD_MUTEX_INITIALIZER }

/* The properties of a fault event at NOW_NS, or NULL when the limit drops it (counted). */
json_object *viommu_report_fault_props(struct viommu_report *r, const struct viommu_fault_report *f, uint64_t now_ns);
/* The properties of a lost-events event for COUNT more records lost (TOTAL so far), or NULL when the
 * limit holds it back (its count is added to the next one). */
json_object *viommu_report_lost_props(struct viommu_report *r, const char *front_end, uint64_t count, uint64_t total,
				      uint64_t now_ns);

/* Emitted on the process's event stream, through its one limiter. */
void viommu_report_fault(const struct viommu_fault_report *f);
void viommu_report_lost(const char *front_end, uint64_t count, uint64_t total);

#endif
