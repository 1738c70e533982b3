/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Run statistics (`nestvm run --stats`): what the VMM itself costs the guest. Each vCPU counts its
 * exits per KVM exit reason and the time its thread spends in userspace handling them, in its own
 * struct vcpu_stats (no sharing, no atomics: one vDSO clock read on each side of the handler). They
 * are summed once, after the vCPU threads have been joined, into one `nestvm-stats:` line on stderr.
 */
#ifndef NESTVM_STATS_H
#define NESTVM_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* KVM_EXIT_* numbers below this have their own slot; higher ones share the last ("other"). */
#define STATS_NR_REASONS 64
#define STATS_REASON_OTHER (STATS_NR_REASONS - 1)

struct vcpu_stats {
	uint64_t first_run_ns;                  /* CLOCK_MONOTONIC before the first KVM_RUN; 0: never ran */
	uint64_t exits[STATS_NR_REASONS];
	uint64_t handle_ns[STATS_NR_REASONS];   /* userspace time from KVM_RUN's return to the handler's end */
};

struct stats {
	unsigned int nr_vcpus;
	struct vcpu_stats vcpu[];
};

static inline uint64_t stats_now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC is answered by the vDSO and cannot fail with a valid clock id. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The vCPU loop's calls; all are no-ops with S NULL (no --stats). */
static inline void vcpu_stats_first_run(struct vcpu_stats *s)
{
	if (s)
		s->first_run_ns = stats_now_ns();
}

static inline uint64_t vcpu_stats_exit_begin(const struct vcpu_stats *s)
{
	return s ? stats_now_ns() : 0;
}

static inline void vcpu_stats_exit_end(struct vcpu_stats *s, uint32_t reason, uint64_t begin_ns)
{
	if (!s)
		return;
	if (reason >= STATS_NR_REASONS)
		reason = STATS_REASON_OTHER;
	s->exits[reason]++;
	s->handle_ns[reason] += stats_now_ns() - begin_ns;
}

/* Zeroed statistics for NR_VCPUS vCPUs; NULL (reported) when out of memory. */
struct stats *stats_create(unsigned int nr_vcpus);
void stats_destroy(struct stats *s);

/* The exit reason's short name ("mmio", "io", ...), or NULL for one without a name. */
const char *stats_reason_name(unsigned int reason);

/*
 * The summary line (no newline) of S at time NOW_NS for a process started at START_NS:
 *   nestvm-stats: vcpus=N setup_us=N run_us=N exits=N exit_us=N REASON=EXITS/US...
 * setup_us: START_NS to the earliest first KVM_RUN; run_us: from there to NOW_NS; exits, exit_us:
 * all vCPUs' exits and userspace handling time; then each reason that occurred, in KVM_EXIT_*
 * order, as its exit count and handling time (reasons without a name: "reasonN"). Truncated to LEN.
 */
void stats_format(const struct stats *s, uint64_t start_ns, uint64_t now_ns, char *buf, size_t len);
/* Writes the summary line for now to F, from the process's start (a constructor, before main). */
void stats_print(const struct stats *s, FILE *f);

#endif
