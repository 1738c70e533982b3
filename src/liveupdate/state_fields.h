/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Typed fields of a live-update section: fixed-width little-endian puts on a writer's open section
 * and gets through a cursor over a validated section. Both sides are sticky: a writer error or a
 * cursor over-read makes every later call a no-op (gets return 0), so a device model writes or reads
 * its whole state and checks once, at lu_writer_end / lu_cursor_finish.
 */
#ifndef NESTVM_STATE_FIELDS_H
#define NESTVM_STATE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveupdate/state_format.h"

void lu_put_u8(struct lu_writer *w, uint8_t v);
void lu_put_u16(struct lu_writer *w, uint16_t v);
void lu_put_u32(struct lu_writer *w, uint32_t v);
void lu_put_u64(struct lu_writer *w, uint64_t v);
void lu_put_bool(struct lu_writer *w, bool v);
void lu_put_bytes(struct lu_writer *w, const void *p, size_t len);
/* A string of at most MAX bytes as u32 length + bytes (no NUL); longer ones are a writer error. */
void lu_put_str(struct lu_writer *w, const char *s, uint32_t max);

struct lu_cursor {
	const struct lu_section *s;
	uint64_t off;
	bool bad;                   /* an over-read or an invalid field: every later get returns 0 */
	char why[160];              /* the first problem, for lu_cursor_finish */
};

void lu_cursor_init(struct lu_cursor *c, const struct lu_section *s);
uint8_t lu_get_u8(struct lu_cursor *c);
uint16_t lu_get_u16(struct lu_cursor *c);
uint32_t lu_get_u32(struct lu_cursor *c);
uint64_t lu_get_u64(struct lu_cursor *c);
/* A u8 that must be 0 or 1. */
bool lu_get_bool(struct lu_cursor *c);
/* LEN bytes into DST (zeroed on an over-read). */
void lu_get_bytes(struct lu_cursor *c, void *dst, size_t len);
/*
 * An element count (u32) for an array of ELEM_SIZE-byte elements that follows: more than MAX, or
 * more elements than the rest of the section could hold, is an error (returns 0), so a caller can
 * allocate COUNT elements before reading them.
 */
uint32_t lu_get_count(struct lu_cursor *c, uint32_t max, size_t elem_size);
/* A lu_put_str string into DST (DST_SIZE bytes incl. the NUL): longer, or with a NUL inside, is an error. */
void lu_get_str(struct lu_cursor *c, char *dst, size_t dst_size);
/* Marks the cursor bad with a reason (a consumer's own check of a field value). */
void lu_cursor_fail(struct lu_cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * 0 when every get succeeded and the payload was read exactly to its end (a version's layout is
 * fixed: leftover bytes are corruption too); else -EINVAL with a reason in WHY (WHY_SIZE bytes).
 */
int lu_cursor_finish(const struct lu_cursor *c, char *why, size_t why_size);

#endif
