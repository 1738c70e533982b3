// SPDX-License-Identifier: GPL-2.0-only
/* Run statistics: per-vCPU exit counts and handling time, summed into one line at exit. */
#include "vmm/stats.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdlib.h>

#include "vmm/log.h"

static uint64_t process_start_ns;

/* As early as nestvm's own code can look: the static binary's constructors run right after exec. */
__attribute__((constructor)) static void stats_note_start(void)
{
	process_start_ns = stats_now_ns();
}

/* The exits a VMM on arm64 or x86_64 may see (Documentation/virt/kvm/api.rst, struct kvm_run). */
static const char *const reason_names[STATS_NR_REASONS] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
	[KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
	[KVM_EXIT_HYPERV] = "hyperv",
	[KVM_EXIT_ARM_NISV] = "arm_nisv",
	[KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
	[KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
	[KVM_EXIT_DIRTY_RING_FULL] = "dirty_ring_full",
	[KVM_EXIT_AP_RESET_HOLD] = "ap_reset_hold",
	[KVM_EXIT_X86_BUS_LOCK] = "x86_bus_lock",
	[KVM_EXIT_NOTIFY] = "notify",
#ifdef KVM_EXIT_MEMORY_FAULT
	[KVM_EXIT_MEMORY_FAULT] = "memory_fault",
#endif
	[STATS_REASON_OTHER] = "other",
};

const char *stats_reason_name(unsigned int reason)
{
	return reason < STATS_NR_REASONS ? reason_names[reason] : NULL;
}

struct stats *stats_create(unsigned int nr_vcpus)
{
	struct stats *s = calloc(1, sizeof(*s) + (size_t)nr_vcpus * sizeof(s->vcpu[0]));

	if (!s) {
		err_num(ENOMEM, "allocating --stats counters for %u vCPUs", nr_vcpus);
		return NULL;
	}
	s->nr_vcpus = nr_vcpus;
	return s;
}

void stats_destroy(struct stats *s)
{
	free(s);
}

/* snprintf into BUF at *OFF, never past LEN; *OFF saturates at LEN - 1 (the line is truncated). */
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off + 1 >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*off = *off + (size_t)n < len ? *off + (size_t)n : len - 1;
}

void stats_format(const struct stats *s, uint64_t start_ns, uint64_t now_ns, char *buf, size_t len)
{
	uint64_t exits[STATS_NR_REASONS] = { 0 }, ns[STATS_NR_REASONS] = { 0 };
	uint64_t first = 0, total = 0, total_ns = 0;
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned int i = 0; i < s->nr_vcpus; i++) {
		const struct vcpu_stats *v = &s->vcpu[i];

		if (v->first_run_ns && (!first || v->first_run_ns < first))
			first = v->first_run_ns;
		for (unsigned int r = 0; r < STATS_NR_REASONS; r++) {
			exits[r] += v->exits[r];
			ns[r] += v->handle_ns[r];
		}
	}
	for (unsigned int r = 0; r < STATS_NR_REASONS; r++) {
		total += exits[r];
		total_ns += ns[r];
	}
	/* No vCPU ran: setup and run time are unknown, reported as 0 rather than invented. */
	put(buf, len, &off, "nestvm-stats: vcpus=%u setup_us=%" PRIu64 " run_us=%" PRIu64 " exits=%" PRIu64
	    " exit_us=%" PRIu64, s->nr_vcpus, first > start_ns ? (first - start_ns) / 1000 : 0,
	    first && now_ns > first ? (now_ns - first) / 1000 : 0, total, total_ns / 1000);
	for (unsigned int r = 0; r < STATS_NR_REASONS; r++) {
		if (!exits[r])
			continue;
		if (reason_names[r])
			put(buf, len, &off, " %s=%" PRIu64 "/%" PRIu64, reason_names[r], exits[r], ns[r] / 1000);
		else
			put(buf, len, &off, " reason%u=%" PRIu64 "/%" PRIu64, r, exits[r], ns[r] / 1000);
	}
}

void stats_print(const struct stats *s, FILE *f)
{
	char line[4096];   /* 64 reasons of at most ~50 characters */

	stats_format(s, process_start_ns, stats_now_ns(), line, sizeof(line));
	fprintf(f, "%s\n", line);
	fflush(f);
}
