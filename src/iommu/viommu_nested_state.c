// SPDX-License-Identifier: GPL-2.0-only
/* The "viommu-nested" live-update section's encoding (viommu_nested.h). */
#include <errno.h>
#include <string.h>

#include "iommu/viommu_nested.h"
#include "liveupdate/state_fields.h"

void viommu_nested_state_put(struct lu_writer *w, const struct viommu_nested_saved *s)
{
	/* Version 1 when it holds all (a vIOMMU object's format): an older nestvm still takes a vSMMU's. */
	bool per_hwpt = s->blocked_ioas || s->blocked_id;

	lu_writer_begin(w, VIOMMU_NESTED_STATE_TYPE, 0, per_hwpt ? 2 : 1, LU_SEC_MANDATORY);
	lu_put_u32(w, s->parent_id);
	lu_put_u32(w, s->viommu_id);
	lu_put_u32(w, s->veventq_id);
	lu_put_u32(w, s->next_seq);
	lu_put_bool(w, s->started);
	lu_put_u64(w, s->nr_lost);
	lu_put_u64(w, s->nr_lost_reported);
	if (per_hwpt) {
		lu_put_u32(w, s->blocked_ioas);
		lu_put_u32(w, s->blocked_id);
	}
	lu_put_u32(w, s->nr_devs);
	for (uint32_t i = 0; i < s->nr_devs && i < VIOMMU_NESTED_MAX_DEVS; i++) {
		const struct viommu_nested_saved_dev *d = &s->dev[i];
		uint32_t len = d->data_len <= VIOMMU_NESTED_DATA_MAX ? d->data_len : 0;

		lu_put_u32(w, d->dev_id);
		lu_put_u32(w, d->sid);
		lu_put_u32(w, d->vdevice_id);
		lu_put_u32(w, d->hwpt_id);
		lu_put_u32(w, d->data_type);
		lu_put_u32(w, len);
		lu_put_bytes(w, d->data, len);
	}
}

int viommu_nested_state_decode(const struct lu_section *sec, struct viommu_nested_saved *o, char *why,
			       size_t why_size)
{
	struct lu_cursor c;
	bool per_hwpt;

	memset(o, 0, sizeof(*o));
	lu_cursor_init(&c, sec);
	o->parent_id = lu_get_u32(&c);
	o->viommu_id = lu_get_u32(&c);
	o->veventq_id = lu_get_u32(&c);
	o->next_seq = lu_get_u32(&c);
	o->started = lu_get_bool(&c);
	o->nr_lost = lu_get_u64(&c);
	o->nr_lost_reported = lu_get_u64(&c);
	per_hwpt = sec->version >= 2;
	if (per_hwpt) {
		o->blocked_ioas = lu_get_u32(&c);
		o->blocked_id = lu_get_u32(&c);
	}
	/* Each device is at least its six u32 fields. */
	o->nr_devs = lu_get_count(&c, VIOMMU_NESTED_MAX_DEVS, 24);
	if (!c.bad && per_hwpt &&
	    (!o->parent_id || !o->blocked_ioas || !o->blocked_id || o->blocked_id == o->parent_id || o->viommu_id ||
	     o->veventq_id || !o->nr_devs))
		lu_cursor_fail(&c, "HWPT-only objects amiss (parent %u, blocked IOAS %u, HWPT %u, vIOMMU %u, vEVENTQ %u, "
			       "%u devices)", o->parent_id, o->blocked_ioas, o->blocked_id, o->viommu_id, o->veventq_id,
			       o->nr_devs);
	else if (!c.bad && !per_hwpt && (!o->parent_id || !o->viommu_id || !o->veventq_id || !o->nr_devs))
		lu_cursor_fail(&c, "a vIOMMU without its objects or devices (parent %u, vIOMMU %u, vEVENTQ %u, %u devices)",
			       o->parent_id, o->viommu_id, o->veventq_id, o->nr_devs);
	else if (!c.bad && o->nr_lost_reported > o->nr_lost)
		lu_cursor_fail(&c, "%llu lost events reported of %llu", (unsigned long long)o->nr_lost_reported,
			       (unsigned long long)o->nr_lost);
	for (uint32_t i = 0; i < o->nr_devs && !c.bad; i++) {
		struct viommu_nested_saved_dev *d = &o->dev[i];

		d->dev_id = lu_get_u32(&c);
		d->sid = lu_get_u32(&c);
		d->vdevice_id = lu_get_u32(&c);
		d->hwpt_id = lu_get_u32(&c);
		d->data_type = lu_get_u32(&c);
		d->data_len = lu_get_u32(&c);
		if (c.bad)
			break;
		if (d->data_len > VIOMMU_NESTED_DATA_MAX) {
			lu_cursor_fail(&c, "device %u: a %u-byte HWPT blob", i, d->data_len);
			break;
		}
		lu_get_bytes(&c, d->data, d->data_len);
		/* HWPT-only: no vDEVICE, and always attached to some HWPT. */
		if (!c.bad && (!d->dev_id || (per_hwpt ? d->vdevice_id || !d->hwpt_id : !d->vdevice_id)))
			lu_cursor_fail(&c, "device %u: iommufd device %u, vDEVICE %u, HWPT %u", i, d->dev_id, d->vdevice_id,
				       d->hwpt_id);
		for (uint32_t j = 0; j < i && !c.bad; j++)
			if (o->dev[j].sid == d->sid || o->dev[j].dev_id == d->dev_id)
				lu_cursor_fail(&c, "device %u: stream 0x%x or device %u twice", i, d->sid, d->dev_id);
	}
	return lu_cursor_finish(&c, why, why_size);
}
