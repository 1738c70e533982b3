// SPDX-License-Identifier: GPL-2.0-only
/*
 * vIOMMU events on the event stream (iommu/viommu_report.c): the rate limit and its "suppressed"
 * count, host event losses held back and summed, and the SMMUv3 front-end's records reaching the
 * stream (a guest-visible F_TRANSLATION from the software walk, a record lost to a full guest queue,
 * a host vEVENTQ record) through a pipe as --event-monitor fd=N.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommu/viommu_report.h"
#include "smmuv3_harness.h"
#include "vmm/event_monitor.h"

#define SEC 1000000000ull

static const struct viommu_fault_report F = {
	.front_end = "smmuv3", .origin = "emulated", .type = "F_TRANSLATION", .sid = 16, .addr = 0x200000,
	.delivered = true,
};

static int64_t prop_int(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

static const char *prop_str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static void test_limit(void)
{
	struct viommu_report r = VIOMMU_REPORT_INIT;
	unsigned int passed = 0;
	json_object *o;

	for (unsigned int i = 0; i < 1000; i++) {
		o = viommu_report_fault_props(&r, &F, 5 * SEC);
		if (o) {
			if (!passed)
				CHECK(!strcmp(prop_str(o, "type"), "F_TRANSLATION") && prop_int(o, "sid") == 16 &&
				      !strcmp(prop_str(o, "address"), "0x200000") && !strcmp(prop_str(o, "origin"), "emulated") &&
				      prop_int(o, "suppressed") == 0, "the first fault: type, sid, address, origin, none suppressed");
			passed++;
		}
		json_object_put(o);
	}
	CHECK(passed == VIOMMU_REPORT_BURST, "1000 faults at once: the burst (%u) passes", passed);
	o = viommu_report_fault_props(&r, &F, 5 * SEC + SEC / VIOMMU_REPORT_RATE);
	CHECK(o && prop_int(o, "suppressed") == 1000 - VIOMMU_REPORT_BURST,
	      "a token later the next one passes and says how many were dropped (%lld)",
	      (long long)(o ? prop_int(o, "suppressed") : -1));
	json_object_put(o);
	o = viommu_report_fault_props(&r, &F, 100 * SEC);
	CHECK(o && prop_int(o, "suppressed") == 0, "the count starts again after it was reported");
	json_object_put(o);

	/* Host losses: held back by the limit, then reported as one sum. */
	r = (struct viommu_report)VIOMMU_REPORT_INIT;
	for (unsigned int i = 0; i < VIOMMU_REPORT_BURST; i++)
		json_object_put(viommu_report_fault_props(&r, &F, 7 * SEC));
	o = viommu_report_lost_props(&r, "smmuv3", 3, 3, 7 * SEC);
	CHECK(!o, "lost-events with no token left is held back");
	o = viommu_report_lost_props(&r, "smmuv3", 4, 7, 8 * SEC);
	CHECK(o && prop_int(o, "count") == 7 && prop_int(o, "total") == 7 && !strcmp(prop_str(o, "queue"), "host-veventq"),
	      "the next lost-events carries both counts (count 7, total 7)");
	json_object_put(o);
}

/* Everything the stream got since the last call (at most 64 KiB). */
static char *drain(int fd)
{
	static char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static void test_smmuv3_stream(void)
{
	struct harness h;
	uint64_t cd = CDS, pt, evt[EVT_DWORDS] = { 0 };
	struct viommu_fault f = { 0 };
	struct viommu_xlate x;
	int p[2];
	char *s;

	if (pipe2(p, O_NONBLOCK) || event_monitor_open(NULL, p[1]) || h_init(&h, NULL)) {
		CHECK(0, "set up a pipe as the event monitor and an SMMU");
		return;
	}
	h_enable(&h);
	pt = h_alloc_pt(&h);
	h_cd(&h, cd, pt, 1);
	h_ste(&h, 16, STE_S1(cd), 0);
	smmuv3_add_stream(&h.s, 16);
	drain(p[0]);
	CHECK(smmuv3_translate(&h.s, 16, 0x200000, false, &x) == -EFAULT, "an unmapped read faults");
	s = drain(p[0]);
	CHECK(strstr(s, "\"source\":\"viommu\",\"event\":\"fault\"") && strstr(s, "\"type\":\"F_TRANSLATION\"") &&
	      strstr(s, "\"sid\":16") && strstr(s, "\"address\":\"0x200000\"") && strstr(s, "\"write\":false") &&
	      strstr(s, "\"origin\":\"emulated\"") && strstr(s, "\"delivered\":true"),
	      "the guest-visible F_TRANSLATION is on the stream: %s", s);

	/* A host vEVENTQ record (nested backend) in the guest's terms. */
	evt[0] = EVT_F_TRANSLATION | (uint64_t)17 << 32;
	evt[2] = 0x5000;
	smmuv3_backend_event(&h.s, &f, evt, sizeof(evt));
	s = drain(p[0]);
	CHECK(strstr(s, "\"origin\":\"host\"") && strstr(s, "\"sid\":17") && strstr(s, "\"write\":true"),
	      "a host vEVENTQ record is on the stream as origin host: %s", s);

	/* The guest's queue (16 entries) full: the record is lost to the guest, and the stream says so. */
	for (unsigned int i = 0; i < 16; i++)
		smmuv3_translate(&h.s, 16, 0x300000, true, &x);
	drain(p[0]);
	smmuv3_translate(&h.s, 16, 0x400000, true, &x);
	s = drain(p[0]);
	CHECK(strstr(s, "\"delivered\":false") && strstr(s, "\"address\":\"0x400000\""),
	      "a fault the full guest queue lost: delivered false: %s", s);
	h_fini(&h);
	event_monitor_close();
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	test_limit();
	test_smmuv3_stream();
	return tap_done();
}
