// SPDX-License-Identifier: GPL-2.0-only
/* The "kexec" section of a state (kexec_section.h). */
#include "liveupdate/kexec_section.h"

#include <errno.h>
#include <string.h>

#include "liveupdate/state_fields.h"

const struct lu_section_spec lu_kexec_spec = {
	.type = LU_KEXEC_TYPE, .min_version = 1, .max_version = LU_KEXEC_VERSION, .multi = false, .required = false,
};

int lu_kexec_save(struct lu_writer *w, const struct lu_kexec_info *k)
{
	lu_writer_begin(w, LU_KEXEC_TYPE, 0, LU_KEXEC_VERSION, LU_SEC_MANDATORY);
	lu_put_str(w, k->session, LU_KEXEC_NAME_MAX);
	lu_put_u64(w, k->t_preserved);
	lu_put_u64(w, k->t_loaded);
	lu_put_u64(w, k->realtime_saved);
	lu_put_u64(w, k->counter_saved);
	lu_put_u64(w, k->counter_hz);
	lu_put_str(w, k->kernel, LU_KEXEC_MAX_STR);
	lu_put_str(w, k->cmdline, LU_KEXEC_MAX_STR);
	return lu_writer_end(w);
}

int lu_kexec_decode(const struct lu_section *s, struct lu_kexec_info *out, char *why, size_t why_size)
{
	struct lu_cursor c;

	memset(out, 0, sizeof(*out));
	lu_cursor_init(&c, s);
	lu_get_str(&c, out->session, sizeof(out->session));
	out->t_preserved = lu_get_u64(&c);
	out->t_loaded = lu_get_u64(&c);
	out->realtime_saved = lu_get_u64(&c);
	out->counter_saved = lu_get_u64(&c);
	out->counter_hz = lu_get_u64(&c);
	lu_get_str(&c, out->kernel, sizeof(out->kernel));
	lu_get_str(&c, out->cmdline, sizeof(out->cmdline));
	if (!c.bad && !out->session[0])
		lu_cursor_fail(&c, "an empty LUO session name");
	return lu_cursor_finish(&c, why, why_size);
}
