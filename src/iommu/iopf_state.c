// SPDX-License-Identifier: GPL-2.0-only
/* The "iopf" live-update section's encoding (iopf.h). */
#include <errno.h>
#include <string.h>

#include "iommu/iopf.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"

void iopf_state_put(struct lu_writer *w, const struct iopf_saved *s)
{
	lu_writer_begin(w, IOPF_STATE_TYPE, 0, IOPF_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, s->fault_id);
	lu_put_u32(w, s->timeout_ms);
	lu_put_u32(w, s->nr);
	for (uint32_t i = 0; i < s->nr && i < IOPF_MAX_TOTAL; i++) {
		lu_put_u32(w, s->p[i].dev_id);
		lu_put_u32(w, s->p[i].sid);
		lu_put_u32(w, s->p[i].grpid);
		lu_put_u32(w, s->p[i].cookie);
		lu_put_u32(w, s->p[i].age_ms);
	}
	lu_put_u64(w, s->nr_groups);
	lu_put_u64(w, s->nr_late);
	lu_put_u64(w, s->nr_write_errs);
	for (unsigned int i = 0; i < IOPF_NR_REASONS; i++)
		lu_put_u64(w, s->by_reason[i]);
	lu_put_u64(w, s->by_code[0]);
	lu_put_u64(w, s->by_code[1]);
}

int iopf_state_decode(const struct lu_section *sec, struct iopf_saved *o, char *why, size_t why_size)
{
	struct lu_cursor c;

	memset(o, 0, sizeof(*o));
	lu_cursor_init(&c, sec);
	o->fault_id = lu_get_u32(&c);
	o->timeout_ms = lu_get_u32(&c);
	o->nr = lu_get_count(&c, IOPF_MAX_TOTAL, 20);
	if (!c.bad && (!o->fault_id || !o->timeout_ms))
		lu_cursor_fail(&c, "FAULT object %u, timeout %u ms", o->fault_id, o->timeout_ms);
	for (uint32_t i = 0; i < o->nr && !c.bad; i++) {
		struct iopf_saved_group *g = &o->p[i];
		unsigned int same_sid = 0;

		g->dev_id = lu_get_u32(&c);
		g->sid = lu_get_u32(&c);
		g->grpid = lu_get_u32(&c);
		g->cookie = lu_get_u32(&c);
		g->age_ms = lu_get_u32(&c);
		/* The kernel's cookies name one group each; the service's bounds held when it was saved. */
		for (uint32_t j = 0; j < i && !c.bad; j++) {
			if (o->p[j].cookie == g->cookie)
				lu_cursor_fail(&c, "group %u: cookie %u twice", i, g->cookie);
			same_sid += o->p[j].sid == g->sid;
		}
		if (!c.bad && same_sid >= IOPF_MAX_PER_DEV)
			lu_cursor_fail(&c, "more than %u groups of StreamID 0x%x", IOPF_MAX_PER_DEV, g->sid);
		if (!c.bad && !g->dev_id)
			lu_cursor_fail(&c, "group %u: iommufd device 0", i);
	}
	o->nr_groups = lu_get_u64(&c);
	o->nr_late = lu_get_u64(&c);
	o->nr_write_errs = lu_get_u64(&c);
	for (unsigned int i = 0; i < IOPF_NR_REASONS; i++)
		o->by_reason[i] = lu_get_u64(&c);
	o->by_code[0] = lu_get_u64(&c);
	o->by_code[1] = lu_get_u64(&c);
	return lu_cursor_finish(&c, why, why_size);
}
