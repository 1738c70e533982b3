// SPDX-License-Identifier: GPL-2.0-only
/* x86_64 live update: not yet (its vCPU, LAPIC, IOAPIC and legacy-port state are not serialized). */
#include <errno.h>
#include <stdio.h>

#include "arch/arch.h"
#include "liveupdate/state_format.h"

static const struct lu_section_spec specs[] = { { "x86-none", 1, 1, false, false } };
const struct lu_section_spec *const arch_state_specs = specs;
const unsigned int arch_state_nr_specs = 0;

const char *arch_state_refusal(struct vm *vm)
{
	return "x86_64: the vCPU (registers, MSRs, LAPIC, xsave), IOAPIC and legacy device state is not serialized "
	       "yet (planned)";
}

int arch_state_save(struct vm *vm, struct lu_writer *w)
{
	return -EOPNOTSUPP;
}

int arch_state_restore(struct vm *vm, const struct lu_state *st, char *why, unsigned long why_size)
{
	snprintf(why, why_size, "x86_64 state cannot be restored yet");
	return -EOPNOTSUPP;
}
