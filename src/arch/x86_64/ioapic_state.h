/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live update of the userspace IOAPIC (ioapic.h), one mandatory section:
 *
 *   "ioapic", instance 0, version 1: u8 IOAPIC id, u32 IOREGSEL, u32 input line levels (bit per
 *   pin), 24 x u64 redirection entries (with Remote IRR), u32 the pins whose MSI route KVM has
 *   (bit per pin), then 24 x (u64 MSI address, u32 MSI data) of those routes.
 *
 * The restore rebuilds the KVM GSI routes (GSI = pin) of the routed pins from the saved MSIs, so a
 * level interrupt in service when the VM was saved still has its EOI reported (KVM_EXIT_IOAPIC_EOI).
 */
#ifndef NESTVM_X86_IOAPIC_STATE_H
#define NESTVM_X86_IOAPIC_STATE_H

#include <stddef.h>

#include "liveupdate/state_format.h"

#define IOAPIC_STATE_TYPE "ioapic"
#define IOAPIC_STATE_VERSION 1

struct ioapic;

int ioapic_state_save(struct ioapic *io, struct lu_writer *w);
/* Into a model from ioapic_init (its route callback gets the routed pins); -EINVAL with WHY. */
int ioapic_state_restore(struct ioapic *io, const struct lu_section *s, char *why, size_t why_size);

#endif
