// SPDX-License-Identifier: GPL-2.0-only
/* The "viommu-shadow" live-update section's encoding (viommu_shadow.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/viommu_shadow.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"

#define PAGE_MASK 0xfffull
#define AREA_BYTES 25           /* u64 IOVA, u64 length, u64 GPA, u8 writable */

int viommu_shadow_state_put(struct lu_writer *w, const struct viommu_shadow_saved *s)
{
	lu_writer_begin(w, VIOMMU_SHADOW_STATE_TYPE, 0, VIOMMU_SHADOW_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, s->nr_devs);
	for (uint32_t i = 0; i < s->nr_devs && i < SHADOW_MAX_DEVS; i++) {
		const struct viommu_shadow_saved_dev *d = &s->dev[i];

		lu_put_u32(w, d->dev_id);
		lu_put_u32(w, d->sid);
		lu_put_u32(w, d->ioas);
		lu_put_u8(w, d->on_shadow);
		lu_put_u32(w, d->nr_areas);
		for (uint32_t j = 0; j < d->nr_areas; j++) {
			lu_put_u64(w, d->areas[j].iova);
			lu_put_u64(w, d->areas[j].len);
			lu_put_u64(w, d->areas[j].gpa);
			lu_put_bool(w, d->areas[j].writable);
		}
	}
	lu_put_u64(w, s->nr_syncs);
	lu_put_u64(w, s->nr_full_syncs);
	return lu_writer_end(w);
}

void viommu_shadow_saved_free(struct viommu_shadow_saved *s)
{
	for (uint32_t i = 0; i < SHADOW_MAX_DEVS; i++) {
		free(s->dev[i].areas);
		s->dev[i].areas = NULL;
	}
}

/* The areas of device I: what shadow_map keeps (shadow_map.h), so what the sink holds. */
static void get_areas(struct lu_cursor *c, struct viommu_shadow_saved_dev *d, uint32_t i)
{
	for (uint32_t j = 0; j < d->nr_areas && !c->bad; j++) {
		struct shadow_area *a = &d->areas[j];

		a->iova = lu_get_u64(c);
		a->len = lu_get_u64(c);
		a->gpa = lu_get_u64(c);
		a->writable = lu_get_bool(c);
		if (c->bad)
			break;
		if (!a->len || ((a->iova | a->len | a->gpa) & PAGE_MASK) || a->iova + (a->len - 1) < a->iova ||
		    a->gpa + (a->len - 1) < a->gpa)
			lu_cursor_fail(c, "device %u: area %u (IOVA 0x%llx+0x%llx -> 0x%llx) is not whole pages inside "
				       "the address space", i, j, (unsigned long long)a->iova, (unsigned long long)a->len,
				       (unsigned long long)a->gpa);
		else if (j && a->iova <= d->areas[j - 1].iova + (d->areas[j - 1].len - 1))
			lu_cursor_fail(c, "device %u: area %u (IOVA 0x%llx) overlaps or precedes the one before", i, j,
				       (unsigned long long)a->iova);
	}
}

int viommu_shadow_state_decode(const struct lu_section *sec, struct viommu_shadow_saved *o, char *why,
			       size_t why_size)
{
	struct lu_cursor c;
	int r;

	memset(o, 0, sizeof(*o));
	lu_cursor_init(&c, sec);
	/* Each device is at least its five fields (17 bytes). */
	o->nr_devs = lu_get_count(&c, SHADOW_MAX_DEVS, 17);
	for (uint32_t i = 0; i < o->nr_devs && !c.bad; i++) {
		struct viommu_shadow_saved_dev *d = &o->dev[i];
		uint8_t on;

		d->dev_id = lu_get_u32(&c);
		d->sid = lu_get_u32(&c);
		d->ioas = lu_get_u32(&c);
		on = lu_get_u8(&c);
		d->nr_areas = lu_get_count(&c, SHADOW_STATE_MAX_AREAS, AREA_BYTES);
		if (c.bad)
			break;
		d->on_shadow = on == 1;
		if (!d->dev_id || !d->ioas || on > 1) {
			lu_cursor_fail(&c, "device %u: iommufd device %u, IOAS %u, attached to %u", i, d->dev_id, d->ioas, on);
			break;
		}
		/* Attached to guest RAM, a device has nothing in its own IOAS (viommu_shadow.c attach). */
		if (!d->on_shadow && d->nr_areas) {
			lu_cursor_fail(&c, "device %u: on guest RAM with %u areas in its IOAS", i, d->nr_areas);
			break;
		}
		for (uint32_t j = 0; j < i && !c.bad; j++)
			if (o->dev[j].sid == d->sid || o->dev[j].dev_id == d->dev_id || o->dev[j].ioas == d->ioas)
				lu_cursor_fail(&c, "device %u: stream 0x%x, device %u or IOAS %u twice", i, d->sid, d->dev_id,
					       d->ioas);
		if (c.bad || !d->nr_areas)
			continue;
		d->areas = calloc(d->nr_areas, sizeof(*d->areas));
		if (!d->areas) {
			viommu_shadow_saved_free(o);
			snprintf(why, why_size, "shadow vIOMMU: %u areas: out of memory", d->nr_areas);
			return -ENOMEM;
		}
		get_areas(&c, d, i);
	}
	o->nr_syncs = lu_get_u64(&c);
	o->nr_full_syncs = lu_get_u64(&c);
	if (!c.bad && o->nr_full_syncs > o->nr_syncs)
		lu_cursor_fail(&c, "%llu whole-space syncs of %llu", (unsigned long long)o->nr_full_syncs,
			       (unsigned long long)o->nr_syncs);
	r = lu_cursor_finish(&c, why, why_size);
	if (r)
		viommu_shadow_saved_free(o);
	return r;
}
