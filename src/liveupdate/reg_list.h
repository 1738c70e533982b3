/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A list of registers as (id, value bytes), encoded inside a live-update section: what the per-arch
 * vCPU and irqchip state is made of (arm64: every KVM ONE_REG from KVM_GET_REG_LIST, vGIC device
 * attributes; the id's meaning is the section type's). Values are 1 to LU_REG_MAX_LEN bytes (KVM's
 * largest ONE_REG is 2048 bits), ids unique within a list.
 *
 * Encoding (inside the section payload): u32 count, then per register u64 id, u16 length, the bytes.
 */
#ifndef NESTVM_REG_LIST_H
#define NESTVM_REG_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "liveupdate/state_fields.h"

#define LU_REG_MAX_LEN 256u
#define LU_REGS_MAX 8192u           /* bounds a decoded list (arm64 vCPUs have a few hundred) */

struct lu_reg {
	uint64_t id;
	uint32_t len;
	uint32_t off;               /* of its value in lu_regs.val */
};

struct lu_regs {
	struct lu_reg *r;
	unsigned int nr, cap;
	uint8_t *val;
	size_t vlen, vcap;
};

void lu_regs_init(struct lu_regs *l);
void lu_regs_free(struct lu_regs *l);
/* Appends ID with LEN bytes at VAL (1..LU_REG_MAX_LEN); -EINVAL for a bad length, -ENOMEM. */
int lu_regs_add(struct lu_regs *l, uint64_t id, const void *val, uint32_t len);
static inline const uint8_t *lu_regs_val(const struct lu_regs *l, unsigned int i)
{
	return l->val + l->r[i].off;
}
/* The index of ID, or -1. */
int lu_regs_find(const struct lu_regs *l, uint64_t id);
/* Writes L into the writer's open section. */
void lu_regs_put(struct lu_writer *w, const struct lu_regs *l);
/*
 * Reads a list into OUT (initialized here) from the cursor: at most MAX registers, lengths 1 to
 * LU_REG_MAX_LEN, no id twice; a violation marks the cursor bad (OUT is then emptied). -ENOMEM only.
 */
int lu_regs_get(struct lu_cursor *c, struct lu_regs *out, uint32_t max);

#endif
