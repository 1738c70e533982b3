// SPDX-License-Identifier: GPL-2.0-only
/* The DMAR table (see dmar.h). */
#include "arch/x86_64/dmar.h"

#include <string.h>

int x86_dmar_add(void *opaque, struct acpi_builder *b)
{
	const struct x86_dmar *d = opaque;
	struct {
		struct acpi_dmar dmar;
		struct dmar_drhd drhd;
		struct dmar_scope ioapic;
	} __attribute__((packed)) t;

	memset(&t, 0, sizeof(t));
	acpi_header_init(&t.dmar.h, "DMAR", sizeof(t), 1);
	t.dmar.haw = (uint8_t)(d->haw - 1);
	/* X2APIC_OPT_OUT stays 0: the unit offers EIM, x2APIC mode is the guest's to choose. */
	t.dmar.flags = d->intr_remap ? DMAR_F_INTR_REMAP : 0;
	t.drhd = (struct dmar_drhd){
		.type = 0, .length = sizeof(t.drhd) + sizeof(t.ioapic), .flags = DRHD_INCLUDE_PCI_ALL, .size = 0,
		.segment = 0, .address = d->regs,
	};
	/* 8.3.1: an IOAPIC scope names the IOAPIC by its id and its source id by bus and path. */
	t.ioapic = (struct dmar_scope){
		.type = DMAR_SCOPE_IOAPIC, .length = sizeof(t.ioapic), .enum_id = d->ioapic_id,
		.start_bus = (uint8_t)(d->ioapic_sid >> 8), .dev = (uint8_t)((d->ioapic_sid >> 3) & 0x1f),
		.fn = (uint8_t)(d->ioapic_sid & 7),
	};
	return acpi_add_table(b, &t, sizeof(t), true, NULL);
}
