/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live update of a PL011 (pl011.h): the guest-visible registers, the interrupt level and the input
 * not yet read by the guest, in one mandatory section:
 *
 *   "pl011", instance 0, version 1: u32 IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS, DMACR, ILPR;
 *   u8 interrupt level; u64 bytes dropped; u32 backlog count (at most PL011_BACKLOG), the bytes
 *   oldest first.
 */
#ifndef NESTVM_PL011_STATE_H
#define NESTVM_PL011_STATE_H

#include <stddef.h>

#include "liveupdate/state_format.h"

#define PL011_STATE_TYPE "pl011"
#define PL011_STATE_VERSION 1

struct pl011;

int pl011_state_save(struct pl011 *u, struct lu_writer *w);
/* Into a model from pl011_init; drives the interrupt output to the saved level. -EINVAL with WHY. */
int pl011_state_restore(struct pl011 *u, const struct lu_section *s, char *why, size_t why_size);

#endif
