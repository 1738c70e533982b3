// SPDX-License-Identifier: GPL-2.0-only
/* The shadow of one guest I/O translation (see shadow_map.h). */
#include "iommu/shadow_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SHIFT 12
#define PAGE_MASK ((1ull << PAGE_SHIFT) - 1)

void shadow_map_init(struct shadow_map *m, const struct shadow_sink_ops *sink, void *opaque)
{
	memset(m, 0, sizeof(*m));
	m->sink = sink;
	m->sink_opaque = opaque;
}

void shadow_map_fini(struct shadow_map *m)
{
	free(m->a);
	m->a = NULL;
	m->nr = m->cap = 0;
}

static int grow(struct shadow_area **v, size_t *cap, size_t need)
{
	struct shadow_area *n;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*v, c * sizeof(*n));
	if (!n)
		return -ENOMEM;
	*v = n;
	*cap = c;
	return 0;
}

static uint64_t area_last(const struct shadow_area *a)
{
	return a->iova + a->len - 1;
}

/* The first area that ends at or after IOVA. */
static size_t first_ending_at_or_after(const struct shadow_map *m, uint64_t iova)
{
	size_t lo = 0, hi = m->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (area_last(&m->a[mid]) < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool same(const struct shadow_area *x, const struct shadow_area *y)
{
	return x->iova == y->iova && x->len == y->len && x->gpa == y->gpa && x->writable == y->writable;
}

struct want {
	struct shadow_area *a;
	size_t nr, cap;
	bool sealed;                /* the last run reached the end of its target: the next one is new */
};

/* Adds [IOVA, +LEN) -> GPA to the runs: it extends the last one when contiguous in both spaces with
 * the same permission, in the same target and not starting a new SHADOW_RUN_MAX block. */
static int want_add(struct want *w, uint64_t iova, uint64_t gpa, uint64_t len, bool writable)
{
	struct shadow_area *l = w->nr ? &w->a[w->nr - 1] : NULL;

	if (l && !w->sealed && l->iova + l->len == iova && l->gpa + l->len == gpa && l->writable == writable &&
	    (iova & (SHADOW_RUN_MAX - 1))) {
		l->len += len;
		return 0;
	}
	if (grow(&w->a, &w->cap, w->nr + 1))
		return -ENOMEM;
	w->a[w->nr++] = (struct shadow_area){ .iova = iova, .len = len, .gpa = gpa, .writable = writable };
	return 0;
}

/*
 * What the guest's tables map in [START, LAST], as runs (in W). Stops at the end of the walker's
 * input space and when the budget runs out (*CUT true).
 */
static int sweep(struct shadow_map *m, const struct shadow_walk *w, uint64_t start, uint64_t last, uint64_t *budget,
		 struct want *out, bool *cut)
{
	uint64_t ia_end = w->ops->ia_end ? w->ops->ia_end(w->cfg) : 1ull << 48, iova = start;

	*cut = false;
	if (!ia_end)
		return 0;
	if (last > ia_end - 1)
		last = ia_end - 1;
	while (iova <= last) {
		struct pgwalk_fault f = { 0 };
		struct pgwalk_out o;
		uint64_t len, ext, next;
		unsigned int sh;

		if (!*budget) {
			*cut = true;
			break;
		}
		(*budget)--;
		m->nr_walks++;
		/* Read walks: a leaf the guest made write-only is not shadowed (iommufd maps are
		 * readable), so a DMA through it is blocked; Linux never makes one. */
		if (w->ops->walk(w->cfg, iova, false, w->rd, w->rd_opaque, &o, &f)) {
			if (f.hole_shift >= 64)
				break;
			sh = f.hole_shift < PAGE_SHIFT ? PAGE_SHIFT : f.hole_shift;
		} else {
			sh = o.block_shift < PAGE_SHIFT ? PAGE_SHIFT : o.block_shift;
			len = ((iova | ((1ull << sh) - 1)) > last ? last : (iova | ((1ull << sh) - 1))) - iova + 1;
			ext = m->sink->extent(m->sink_opaque, o.pa);
			/* A leaf to nothing the sink can map (an emulated device's MMIO, a hole) is not
			 * shadowed. One that reaches the end of its target ends the run there: two
			 * targets adjacent in GPA (RAM and a peer BAR) are two files to the sink. */
			if (ext) {
				if (ext < len)
					len = ext;
				if (want_add(out, iova, o.pa, len, o.writable))
					return -ENOMEM;
				out->sealed = ext <= len;
				next = iova + len;
				if (!next)
					break;
				iova = next;
				continue;
			}
		}
		next = (iova | ((1ull << sh) - 1)) + 1;
		if (!next)
			break;
		iova = next;
	}
	return 0;
}

/* Unmaps old areas [from, to) of OLD in one sink call, marking them gone on success. */
static int unmap_group(struct shadow_map *m, const struct shadow_area *old, bool *gone, size_t from, size_t to)
{
	int r;

	if (from == to)
		return 0;
	m->nr_unmaps++;
	r = m->sink->unmap(m->sink_opaque, old[from].iova, area_last(&old[to - 1]) - old[from].iova + 1);
	if (r) {
		m->nr_errors++;
		return r;
	}
	for (size_t i = from; i < to; i++)
		gone[i] = true;
	return 0;
}

int shadow_map_sync(struct shadow_map *m, const struct shadow_walk *w, uint64_t start, uint64_t end,
		    uint64_t *budget)
{
	uint64_t last = end ? end - 1 : UINT64_MAX;
	struct want want = { 0 };
	struct shadow_area *res = NULL;
	size_t i0, i1, nres = 0, cres = 0, k, gstart;
	bool cut = false, *gone = NULL, *kept = NULL;
	int r, err = 0;

	if (start > last)
		return 0;
	start &= ~PAGE_MASK;
	last |= PAGE_MASK;
	/* Whole areas only: widen to those the range cuts (at most one on each side). */
	i0 = first_ending_at_or_after(m, start);
	if (i0 < m->nr && m->a[i0].iova < start)
		start = m->a[i0].iova;
	i1 = i0;
	while (i1 < m->nr && m->a[i1].iova <= last)
		i1++;
	if (i1 > i0 && area_last(&m->a[i1 - 1]) > last)
		last = area_last(&m->a[i1 - 1]);

	r = sweep(m, w, start, last, budget, &want, &cut);
	if (r)
		goto out;
	if (cut)
		m->nr_truncated++;
	gone = calloc(i1 - i0 + 1, sizeof(*gone));
	kept = calloc(i1 - i0 + 1, sizeof(*kept));
	if (!gone || !kept || grow(&res, &cres, (i1 - i0) + want.nr + 1) ||
	    grow(&m->a, &m->cap, m->nr + want.nr + 1)) {
		r = -ENOMEM;
		goto out;
	}
	/* Old areas the new runs repeat stay; the others go, in as few unmaps as the kept ones allow
	 * (an unmap may span new runs: they are mapped after). */
	k = 0;
	gstart = 0;
	for (size_t j = 0; j < i1 - i0; j++) {
		const struct shadow_area *o = &m->a[i0 + j];

		while (k < want.nr && want.a[k].iova < o->iova)
			k++;
		if (k < want.nr && same(&want.a[k], o)) {
			kept[j] = true;
			r = unmap_group(m, &m->a[i0], gone, gstart, j);
			if (r && !err)
				err = r;
			gstart = j + 1;
		}
	}
	r = unmap_group(m, &m->a[i0], gone, gstart, i1 - i0);
	if (r && !err)
		err = r;
	/* The result in IOVA order: what stays mapped (kept, or a failed unmap) and the new runs mapped
	 * between them. A new run never overlaps a kept area (that is one of the runs); one that
	 * overlaps a failed unmap fails to map and is left out. */
	k = 0;
	for (size_t j = 0; j <= i1 - i0; j++) {
		const struct shadow_area *o = j < i1 - i0 ? &m->a[i0 + j] : NULL;

		for (; k < want.nr && (!o || want.a[k].iova < o->iova); k++) {
			const struct shadow_area *n = &want.a[k];

			m->nr_maps++;
			r = m->sink->map(m->sink_opaque, n->iova, n->gpa, n->len, n->writable);
			if (r) {
				m->nr_errors++;
				if (!err)
					err = r;
				continue;
			}
			res[nres++] = *n;
		}
		if (!o)
			break;
		if (kept[j])
			k++;        /* its twin among the runs */
		if (!gone[j])
			res[nres++] = *o;
	}
	/* Splice: [0, i0) + result + [i1, nr) (room reserved before any sink call). */
	if (m->nr > i1)
		memmove(&m->a[i0 + nres], &m->a[i1], (m->nr - i1) * sizeof(*m->a));
	if (nres)
		memcpy(&m->a[i0], res, nres * sizeof(*res));
	m->nr = i0 + nres + (m->nr - i1);
	r = err ? err : cut ? -E2BIG : 0;
out:
	free(want.a);
	free(res);
	free(gone);
	free(kept);
	return r;
}

int shadow_map_load(struct shadow_map *m, const struct shadow_area *a, size_t nr)
{
	if (m->nr)
		return -EBUSY;
	if (!nr)
		return 0;
	if (grow(&m->a, &m->cap, nr))
		return -ENOMEM;
	memcpy(m->a, a, nr * sizeof(*a));
	m->nr = nr;
	return 0;
}

int shadow_map_clear(struct shadow_map *m)
{
	int r;

	if (!m->nr)
		return 0;
	m->nr_unmaps++;
	r = m->sink->unmap(m->sink_opaque, m->a[0].iova, area_last(&m->a[m->nr - 1]) - m->a[0].iova + 1);
	if (r) {
		m->nr_errors++;
		return r;
	}
	m->nr = 0;
	return 0;
}

int shadow_map_unmap_gpa(struct shadow_map *m, uint64_t gpa, uint64_t len)
{
	uint64_t last = len && gpa + len - 1 >= gpa ? gpa + len - 1 : UINT64_MAX;
	size_t n = 0;
	int r, err = 0;

	for (size_t i = 0; i < m->nr; i++) {
		const struct shadow_area a = m->a[i];

		if (a.gpa <= last && gpa <= a.gpa + a.len - 1) {
			m->nr_unmaps++;
			r = m->sink->unmap(m->sink_opaque, a.iova, a.len);
			if (!r)
				continue;
			m->nr_errors++;
			if (!err)
				err = r;
		}
		m->a[n++] = a;
	}
	m->nr = n;
	return err;
}
