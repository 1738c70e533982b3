// SPDX-License-Identifier: GPL-2.0-only
/* Register lists inside live-update sections (reg_list.h). */
#include "liveupdate/reg_list.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void lu_regs_init(struct lu_regs *l)
{
	*l = (struct lu_regs){ 0 };
}

void lu_regs_free(struct lu_regs *l)
{
	free(l->r);
	free(l->val);
	lu_regs_init(l);
}

int lu_regs_add(struct lu_regs *l, uint64_t id, const void *val, uint32_t len)
{
	if (!len || len > LU_REG_MAX_LEN)
		return -EINVAL;
	if (l->nr == l->cap) {
		unsigned int cap = l->cap ? l->cap * 2 : 64;
		struct lu_reg *r = realloc(l->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		l->r = r;
		l->cap = cap;
	}
	if (l->vlen + len > l->vcap) {
		size_t cap = l->vcap ? l->vcap : 1024;
		uint8_t *v;

		while (cap < l->vlen + len)
			cap *= 2;
		v = realloc(l->val, cap);
		if (!v)
			return -ENOMEM;
		l->val = v;
		l->vcap = cap;
	}
	memcpy(l->val + l->vlen, val, len);
	l->r[l->nr++] = (struct lu_reg){ .id = id, .len = len, .off = (uint32_t)l->vlen };
	l->vlen += len;
	return 0;
}

int lu_regs_find(const struct lu_regs *l, uint64_t id)
{
	for (unsigned int i = 0; i < l->nr; i++)
		if (l->r[i].id == id)
			return (int)i;
	return -1;
}

void lu_regs_put(struct lu_writer *w, const struct lu_regs *l)
{
	lu_put_u32(w, l->nr);
	for (unsigned int i = 0; i < l->nr; i++) {
		lu_put_u64(w, l->r[i].id);
		lu_put_u16(w, (uint16_t)l->r[i].len);
		lu_put_bytes(w, lu_regs_val(l, i), l->r[i].len);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int lu_regs_get(struct lu_cursor *c, struct lu_regs *out, uint32_t max)
{
	uint8_t buf[LU_REG_MAX_LEN];
	uint64_t *ids = NULL;
	uint32_t n;
	int r = 0;

	lu_regs_init(out);
	/* The smallest register takes 11 bytes (id, length, one byte). */
	n = lu_get_count(c, max, 11);
	if (n)
		ids = malloc(n * sizeof(*ids));
	if (n && !ids)
		return -ENOMEM;
	for (uint32_t i = 0; i < n && !c->bad; i++) {
		uint64_t id = lu_get_u64(c);
		uint16_t len = lu_get_u16(c);

		if (!c->bad && (!len || len > LU_REG_MAX_LEN)) {
			lu_cursor_fail(c, "register %" PRIu32 " (id 0x%" PRIx64 "): length %u", i, id, len);
			break;
		}
		lu_get_bytes(c, buf, len);
		if (c->bad)
			break;
		ids[i] = id;
		r = lu_regs_add(out, id, buf, len);
		if (r)
			break;
	}
	if (!r && !c->bad && n > 1) {
		qsort(ids, n, sizeof(*ids), cmp_u64);
		for (uint32_t i = 1; i < n; i++) {
			if (ids[i] == ids[i - 1]) {
				lu_cursor_fail(c, "register id 0x%" PRIx64 " listed twice", ids[i]);
				break;
			}
		}
	}
	free(ids);
	if (r || c->bad)
		lu_regs_free(out);
	return r;
}
