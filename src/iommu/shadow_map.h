/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The shadow of one guest I/O translation (pure logic, used by viommu_shadow.c): the areas nestvm
 * has mapped into a host I/O address space (an IOAS of its own), kept equal to what the guest's
 * tables say for a range when the guest invalidates it. A sync walks the range through the
 * stream's pgwalk_ops (skipping not-present blocks whole), coalesces the leaves into runs that are
 * contiguous in IOVA and guest physical address, compares them with the areas mapped there, and
 * tells a sink to unmap what went away and map what is new; what did not change costs no call.
 *
 * Areas are what the sink mapped in one call, and a host unmap must cover whole areas (iommufd's
 * IOMMU_IOAS_UNMAP refuses to split one). So a run never crosses a 2 MiB-aligned IOVA boundary
 * unless one guest leaf does (a 1 GiB leaf is one area), and a sync first widens its range to the
 * areas it cuts: the widening is at most one run or leaf on each side.
 *
 * Work is bounded by a walk budget the caller passes: when it runs out, the rest of the range is
 * unmapped rather than left stale (a DMA there is blocked until the guest invalidates it again),
 * and the sync says so.
 */
#ifndef NESTVM_SHADOW_MAP_H
#define NESTVM_SHADOW_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/pgwalk.h"

/* A run never crosses a boundary of this alignment unless a single guest leaf does. */
#define SHADOW_RUN_MAX (2ull << 20)

struct shadow_area {
	uint64_t iova, len, gpa;
	bool writable;
};

/* Where the shadow goes (viommu_shadow.c: an IOAS; unit tests: a fake that records calls). */
struct shadow_sink_ops {
	/* Maps [IOVA, IOVA+LEN) to guest physical GPA (inside one target), readable and WRITABLE. */
	int (*map)(void *opaque, uint64_t iova, uint64_t gpa, uint64_t len, bool writable);
	/* Unmaps [IOVA, IOVA+LEN), which covers whole areas only. */
	int (*unmap)(void *opaque, uint64_t iova, uint64_t len);
	/* Bytes from GPA on that are one target the sink can map (RAM of one region, a peer device's
	 * BAR window; 0: nothing there, DMA to it stays blocked): runs end there. */
	uint64_t (*extent)(void *opaque, uint64_t gpa);
};

/* The guest translation to shadow: a walker, its config, and how it reads guest RAM. */
struct shadow_walk {
	const struct pgwalk_ops *ops;
	const void *cfg;
	pgwalk_read_fn rd;
	void *rd_opaque;
};

struct shadow_map {
	struct shadow_area *a;      /* sorted by IOVA, disjoint: exactly what the sink has mapped */
	size_t nr, cap;
	const struct shadow_sink_ops *sink;
	void *sink_opaque;
	/* counters (vm.viommu): sink calls, walks, syncs cut short by the budget, failed sink calls */
	uint64_t nr_maps, nr_unmaps, nr_walks, nr_truncated, nr_errors;
};

void shadow_map_init(struct shadow_map *m, const struct shadow_sink_ops *sink, void *opaque);
void shadow_map_fini(struct shadow_map *m);
/*
 * Makes [START, END) of the host space what W translates (END 0: the end of W's input space),
 * spending at most *BUDGET walks (decremented). 0; -E2BIG when the budget ran out (the rest of the
 * range unmapped); -ENOMEM; or the first sink error (what failed stays as it was: a failed map is
 * not mapped, a failed unmap stays recorded).
 */
int shadow_map_sync(struct shadow_map *m, const struct shadow_walk *w, uint64_t start, uint64_t end,
		    uint64_t *budget);
/*
 * A live update: the sink already holds exactly A[0..NR) (sorted by IOVA, disjoint: the caller
 * checked), as the previous process mapped them; M, still empty, takes them over without a sink
 * call. 0, -EBUSY (M not empty), -ENOMEM.
 */
int shadow_map_load(struct shadow_map *m, const struct shadow_area *a, size_t nr);
/* Unmaps everything (the stream aborts, or is translated elsewhere now). */
int shadow_map_clear(struct shadow_map *m);
/*
 * Unmaps every area whose guest physical range meets [GPA, GPA+LEN) (a target went away or came
 * back: what was mapped to it must be mapped anew). 0 or the first sink error (those areas stay).
 */
int shadow_map_unmap_gpa(struct shadow_map *m, uint64_t gpa, uint64_t len);

#endif
