// SPDX-License-Identifier: GPL-2.0-only
/* The "fds" section: the handover list of a VM's fd table, written and read through typed fields. */
#include "liveupdate/fds_section.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liveupdate/state_fields.h"
#include "vmm/log.h"

const struct lu_section_spec lu_fds_spec = {
	.type = LU_FDS_TYPE, .min_version = 1, .max_version = LU_FDS_VERSION, .multi = false, .required = true,
};

int lu_fds_save(struct lu_writer *w, struct fdtab *t, enum fd_kind only)
{
	unsigned int nr = fdtab_snapshot(t, NULL, 0, true), got, k = 0;
	struct fdtab_entry *e = calloc(nr ? nr : 1, sizeof(*e));

	if (!e)
		return err_num(ENOMEM, "live-update state: listing %u fds", nr);
	/* Fds may come and go between the two calls only if the VM is not paused: take what fits. */
	got = fdtab_snapshot(t, e, nr, true);
	if (got < nr)
		nr = got;
	for (unsigned int i = 0; i < nr; i++)
		if (only == FD_KIND_COUNT || e[i].kind == only)
			e[k++] = e[i];
	nr = k;
	lu_writer_begin(w, LU_FDS_TYPE, 0, LU_FDS_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, nr);
	for (unsigned int i = 0; i < nr; i++) {
		char name[FDTAB_NAME_LEN] = { 0 }, owner[FDTAB_OWNER_LEN] = { 0 };

		/* Copied so the padding after the NUL is zero whatever the entry held. */
		snprintf(name, sizeof(name), "%s", e[i].name);
		snprintf(owner, sizeof(owner), "%s", e[i].owner);
		lu_put_u32(w, (uint32_t)e[i].kind);
		lu_put_u32(w, (uint32_t)e[i].fd);
		lu_put_bytes(w, name, sizeof(name));
		lu_put_bytes(w, owner, sizeof(owner));
	}
	free(e);
	return lu_writer_end(w);
}

/* A fixed-size NUL-padded text field: one NUL, then only NULs. */
static bool padded_ok(const char *f, size_t n)
{
	const char *z = memchr(f, 0, n);

	if (!z)
		return false;
	for (; z < f + n; z++)
		if (*z)
			return false;
	return true;
}

int lu_fds_decode(const struct lu_section *s, struct fdtab_entry **out, unsigned int *nr, char *why, size_t why_size)
{
	struct fdtab_entry *e = NULL;
	struct lu_cursor c;
	uint32_t n;
	int r;

	*out = NULL;
	*nr = 0;
	lu_cursor_init(&c, s);
	n = lu_get_count(&c, FDTAB_MAX, LU_FDS_ENTRY_LEN);
	if (!c.bad) {
		e = calloc(n ? n : 1, sizeof(*e));
		if (!e) {
			snprintf(why, why_size, "no memory for %" PRIu32 " handed-over fds", n);
			return -ENOMEM;
		}
	}
	for (uint32_t i = 0; i < n && !c.bad; i++) {
		uint32_t kind = lu_get_u32(&c), fd = lu_get_u32(&c);

		lu_get_bytes(&c, e[i].name, sizeof(e[i].name));
		lu_get_bytes(&c, e[i].owner, sizeof(e[i].owner));
		if (c.bad)
			break;
		if (kind >= FD_KIND_COUNT || !fdtab_kind_kept((enum fd_kind)kind))
			lu_cursor_fail(&c, "fd entry %" PRIu32 ": kind %" PRIu32 " is not one that is handed over", i, kind);
		else if (fd > INT_MAX)
			lu_cursor_fail(&c, "fd entry %" PRIu32 ": fd %" PRIu32 " out of range", i, fd);
		else if (!padded_ok(e[i].name, sizeof(e[i].name)) || !padded_ok(e[i].owner, sizeof(e[i].owner)))
			lu_cursor_fail(&c, "fd entry %" PRIu32 ": name or owner not NUL terminated and padded", i);
		e[i].kind = (enum fd_kind)kind;
		e[i].fd = (int)fd;
		e[i].keep = true;
	}
	r = lu_cursor_finish(&c, why, why_size);
	if (r) {
		free(e);
		return r;
	}
	*out = e;
	*nr = n;
	return 0;
}

int lu_fds_adopt(const struct lu_section *s, struct fdtab *t, char *why, size_t why_size)
{
	struct fdtab_entry *e;
	unsigned int nr;
	int r = lu_fds_decode(s, &e, &nr, why, why_size);

	if (r)
		return r;
	r = fdtab_adopt_handed_over(t, e, nr, why, why_size);
	free(e);
	return r;
}
