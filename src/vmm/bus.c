// SPDX-License-Identifier: GPL-2.0-only
/* MMIO / port-I/O range dispatch: a sorted array of non-overlapping ranges under a rwlock. */
#include "vmm/bus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

int bus_init(struct bus *b, const char *name)
{
	int r;

	*b = (struct bus){ .name = name };
	r = pthread_rwlock_init(&b->lock, NULL);
	if (r)
		return err_num(r, "%s bus lock", name);
	return 0;
}

void bus_destroy(struct bus *b)
{
	free(b->r);
	b->r = NULL;
	b->nr = b->cap = 0;
	pthread_rwlock_destroy(&b->lock);
}

/* Inclusive last address: ranges may end at the top of the space without overflow. */
static inline uint64_t last(const struct bus_range *r)
{
	return r->base + (r->len - 1);
}

/* Index of the first range whose base is > ADDR (so the candidate for ADDR is at index - 1). */
static unsigned int upper_bound(const struct bus *b, uint64_t addr)
{
	unsigned int lo = 0, hi = b->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (b->r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_access_fn fn, void *opaque, const char *name)
{
	unsigned int i;
	int ret = 0;

	if (!len || len - 1 > UINT64_MAX - base || !fn) {
		pr_err("%s bus: %s: invalid range 0x%" PRIx64 "+0x%" PRIx64, b->name, name, base, len);
		return -EINVAL;
	}
	pthread_rwlock_wrlock(&b->lock);
	i = upper_bound(b, base);
	if ((i > 0 && last(&b->r[i - 1]) >= base) || (i < b->nr && b->r[i].base <= base + (len - 1))) {
		const struct bus_range *o = (i > 0 && last(&b->r[i - 1]) >= base) ? &b->r[i - 1] : &b->r[i];

		pr_debug("%s bus: %s 0x%" PRIx64 "+0x%" PRIx64 " overlaps %s 0x%" PRIx64 "+0x%" PRIx64,
			 b->name, name, base, len, o->name, o->base, o->len);
		ret = -EEXIST;
		goto out;
	}
	if (b->nr == b->cap) {
		unsigned int cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *n = realloc(b->r, cap * sizeof(*n));

		if (!n) {
			ret = err_errno("%s bus: registering %s", b->name, name);
			goto out;
		}
		b->r = n;
		b->cap = cap;
	}
	memmove(&b->r[i + 1], &b->r[i], (b->nr - i) * sizeof(*b->r));
	b->r[i] = (struct bus_range){ .base = base, .len = len, .fn = fn, .opaque = opaque, .name = name };
	b->nr++;
out:
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

int bus_unregister(struct bus *b, uint64_t base, void *opaque)
{
	unsigned int i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&b->lock);
	i = upper_bound(b, base);
	if (i > 0 && b->r[i - 1].base == base && b->r[i - 1].opaque == opaque) {
		i--;
		memmove(&b->r[i], &b->r[i + 1], (b->nr - i - 1) * sizeof(*b->r));
		b->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

bool bus_first(struct bus *b, uint64_t *base)
{
	bool any;

	pthread_rwlock_rdlock(&b->lock);
	any = b->nr > 0;
	if (any)
		*base = b->r[0].base;
	pthread_rwlock_unlock(&b->lock);
	return any;
}

bool bus_dispatch(struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	struct bus_range hit;
	bool found = false;
	unsigned int i;

	if (!len || len > 8)
		return false;
	pthread_rwlock_rdlock(&b->lock);
	i = upper_bound(b, addr);
	/* The whole access must lie inside one range: a straddling access reaches no device. */
	if (i > 0 && addr <= last(&b->r[i - 1]) && len - 1 <= last(&b->r[i - 1]) - addr) {
		hit = b->r[i - 1];
		found = true;
	}
	pthread_rwlock_unlock(&b->lock);
	/*
	 * The handler runs without the lock: a config-space write may (re)program a BAR, which
	 * re-registers ranges on this bus. Device state outlives dispatch (devices are freed only after
	 * every vCPU has stopped), so the copied range stays valid.
	 */
	if (found)
		hit.fn(hit.opaque, addr - hit.base, data, len, is_write);
	return found;
}
