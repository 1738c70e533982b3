// SPDX-License-Identifier: GPL-2.0-only
/* Typed little-endian fields of live-update sections, with bounded, sticky-error cursors. */
#include "liveupdate/state_fields.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "liveupdate/le.h"
#include "vmm/log.h"

void lu_put_u8(struct lu_writer *w, uint8_t v)
{
	lu_writer_append(w, &v, 1);
}

void lu_put_u16(struct lu_writer *w, uint16_t v)
{
	uint8_t b[2];

	le16_store(b, v);
	lu_writer_append(w, b, sizeof(b));
}

void lu_put_u32(struct lu_writer *w, uint32_t v)
{
	uint8_t b[4];

	le32_store(b, v);
	lu_writer_append(w, b, sizeof(b));
}

void lu_put_u64(struct lu_writer *w, uint64_t v)
{
	uint8_t b[8];

	le64_store(b, v);
	lu_writer_append(w, b, sizeof(b));
}

void lu_put_bool(struct lu_writer *w, bool v)
{
	lu_put_u8(w, v ? 1 : 0);
}

void lu_put_bytes(struct lu_writer *w, const void *p, size_t len)
{
	lu_writer_append(w, p, len);
}

void lu_put_str(struct lu_writer *w, const char *s, uint32_t max)
{
	size_t n = strnlen(s, (size_t)max + 1);

	if (w->err)
		return;
	if (n > max) {
		pr_err("live-update state: string '%.32s...' longer than %" PRIu32 " bytes", s, max);
		w->err = -EINVAL;
		return;
	}
	lu_put_u32(w, (uint32_t)n);
	lu_writer_append(w, s, n);
}

void lu_cursor_init(struct lu_cursor *c, const struct lu_section *s)
{
	*c = (struct lu_cursor){ .s = s };
}

void lu_cursor_fail(struct lu_cursor *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->bad)
		return;   /* the first problem is the one worth reporting */
	c->bad = true;
	n = snprintf(c->why, sizeof(c->why), "section '%s' instance %" PRIu32 " at byte %" PRIu64 ": ", c->s->type,
		     c->s->instance, c->off);
	if (n < 0 || (size_t)n >= sizeof(c->why))
		return;
	va_start(ap, fmt);
	vsnprintf(c->why + n, sizeof(c->why) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* The next LEN bytes, or NULL (and the cursor bad) when fewer are left. Written so nothing wraps. */
static const uint8_t *take(struct lu_cursor *c, uint64_t len)
{
	const uint8_t *p;

	if (c->bad)
		return NULL;
	if (len > c->s->len - c->off) {
		lu_cursor_fail(c, "%" PRIu64 " bytes read past the %" PRIu64 "-byte payload", len - (c->s->len - c->off),
			       c->s->len);
		return NULL;
	}
	p = c->s->data + c->off;
	c->off += len;
	return p;
}

uint8_t lu_get_u8(struct lu_cursor *c)
{
	const uint8_t *p = take(c, 1);

	return p ? p[0] : 0;
}

uint16_t lu_get_u16(struct lu_cursor *c)
{
	const uint8_t *p = take(c, 2);

	return p ? le16_load(p) : 0;
}

uint32_t lu_get_u32(struct lu_cursor *c)
{
	const uint8_t *p = take(c, 4);

	return p ? le32_load(p) : 0;
}

uint64_t lu_get_u64(struct lu_cursor *c)
{
	const uint8_t *p = take(c, 8);

	return p ? le64_load(p) : 0;
}

bool lu_get_bool(struct lu_cursor *c)
{
	uint8_t v = lu_get_u8(c);

	if (v > 1)
		lu_cursor_fail(c, "boolean field is %u", v);
	return v == 1 && !c->bad;
}

void lu_get_bytes(struct lu_cursor *c, void *dst, size_t len)
{
	const uint8_t *p = take(c, len);

	if (p)
		memcpy(dst, p, len);
	else if (len)
		memset(dst, 0, len);
}

uint32_t lu_get_count(struct lu_cursor *c, uint32_t max, size_t elem_size)
{
	uint32_t n = lu_get_u32(c);

	if (c->bad)
		return 0;
	if (n > max) {
		lu_cursor_fail(c, "count %" PRIu32 " exceeds %" PRIu32, n, max);
		return 0;
	}
	/* Division, not n * elem_size: no overflow whatever the element size. */
	if (elem_size && n > (c->s->len - c->off) / elem_size) {
		lu_cursor_fail(c, "count %" PRIu32 " of %zu-byte elements does not fit the %" PRIu64 " bytes left", n,
			       elem_size, c->s->len - c->off);
		return 0;
	}
	return n;
}

void lu_get_str(struct lu_cursor *c, char *dst, size_t dst_size)
{
	uint32_t n = lu_get_count(c, dst_size ? (uint32_t)(dst_size - 1 > UINT32_MAX ? UINT32_MAX : dst_size - 1) : 0, 1);

	if (dst_size)
		dst[0] = 0;
	if (c->bad || !dst_size)
		return;
	lu_get_bytes(c, dst, n);
	dst[n] = 0;
	if (strlen(dst) != n)
		lu_cursor_fail(c, "string with a NUL inside");
	if (c->bad)
		dst[0] = 0;
}

int lu_cursor_finish(const struct lu_cursor *c, char *why, size_t why_size)
{
	if (c->bad) {
		snprintf(why, why_size, "%s", c->why);
		return -EINVAL;
	}
	if (c->off != c->s->len) {
		snprintf(why, why_size, "section '%s' instance %" PRIu32 " version %u: %" PRIu64 " unread bytes after %" PRIu64,
			 c->s->type, c->s->instance, c->s->version, c->s->len - c->off, c->off);
		return -EINVAL;
	}
	return 0;
}
