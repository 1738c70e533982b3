// SPDX-License-Identifier: GPL-2.0-only
/*
 * --stats: each vCPU's exits are counted per reason and summed over vCPUs into one line whose
 * totals are the sums of its per-reason fields; set-up time runs to the earliest vCPU's first
 * KVM_RUN; the line never overruns its buffer.
 */
#include <linux/kvm.h>
#include <string.h>

#include "tap.h"
#include "vmm/stats.h"

int main(void)
{
	struct stats *s = stats_create(2);
	char line[512], small[40];
	uint64_t t;

	CHECK(s && s->nr_vcpus == 2, "stats_create makes zeroed counters for 2 vCPUs");
	if (!s)
		return tap_done();
	stats_format(s, 1000, 5000000, line, sizeof(line));
	CHECK(!strcmp(line, "nestvm-stats: vcpus=2 setup_us=0 run_us=0 exits=0 exit_us=0"),
	      "no vCPU ran: zeros, no reasons (%s)", line);

	/* Without --stats the vCPU loop's calls do nothing (and do not crash). */
	vcpu_stats_first_run(NULL);
	CHECK(vcpu_stats_exit_begin(NULL) == 0, "exit_begin without stats is 0");
	vcpu_stats_exit_end(NULL, KVM_EXIT_MMIO, 0);

	/* The loop's own calls: a real clock, and the time is attributed to the exit's reason. */
	vcpu_stats_first_run(&s->vcpu[1]);
	t = vcpu_stats_exit_begin(&s->vcpu[1]);
	CHECK(t >= s->vcpu[1].first_run_ns && t > 0, "exit_begin reads the monotonic clock");
	vcpu_stats_exit_end(&s->vcpu[1], KVM_EXIT_IO, t);
	CHECK(s->vcpu[1].exits[KVM_EXIT_IO] == 1, "exit_end counts the exit under its reason");
	vcpu_stats_exit_end(&s->vcpu[1], 1000, stats_now_ns());
	CHECK(s->vcpu[1].exits[STATS_REASON_OTHER] == 1, "a reason past the table counts as \"other\"");

	/* Fixed numbers for the line: vCPU 0 entered at 3 ms, vCPU 1 at 2 ms, from a start at 1 ms. */
	memset(s->vcpu, 0, 2 * sizeof(s->vcpu[0]));
	s->vcpu[0].first_run_ns = 3000000;
	s->vcpu[1].first_run_ns = 2000000;
	s->vcpu[0].exits[KVM_EXIT_MMIO] = 10;
	s->vcpu[0].handle_ns[KVM_EXIT_MMIO] = 25000;
	s->vcpu[1].exits[KVM_EXIT_MMIO] = 5;
	s->vcpu[1].handle_ns[KVM_EXIT_MMIO] = 5000;
	s->vcpu[1].exits[KVM_EXIT_IO] = 7;
	s->vcpu[1].handle_ns[KVM_EXIT_IO] = 70000;
	s->vcpu[0].exits[KVM_EXIT_SYSTEM_EVENT] = 1;
	s->vcpu[0].handle_ns[KVM_EXIT_SYSTEM_EVENT] = 1000;
	s->vcpu[0].exits[50] = 2;
	stats_format(s, 1000000, 12000000, line, sizeof(line));
	CHECK(!strcmp(line, "nestvm-stats: vcpus=2 setup_us=1000 run_us=10000 exits=25 exit_us=101 "
			    "io=7/70 mmio=15/30 system_event=1/1 reason50=2/0"),
	      "summed over vCPUs, earliest first KVM_RUN, reasons in KVM order (%s)", line);
	CHECK(!strcmp(stats_reason_name(KVM_EXIT_IOAPIC_EOI), "ioapic_eoi") && !stats_reason_name(50) &&
	      !stats_reason_name(STATS_NR_REASONS), "reason names");

	memset(small, 'x', sizeof(small));
	stats_format(s, 1000000, 12000000, small, sizeof(small) - 8);
	CHECK(strlen(small) == sizeof(small) - 9 && !strncmp(small, line, strlen(small)) &&
	      small[sizeof(small) - 8] == 'x', "a short buffer gets a truncated, terminated prefix, nothing past it");

	stats_destroy(s);
	return tap_done();
}
