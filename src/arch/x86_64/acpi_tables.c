// SPDX-License-Identifier: GPL-2.0-only
/* DSDT, FADT, MADT and MCFG for the x86_64 machine (ACPI 6.5; layout in layout.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/acpi_tables.h"
#include "acpi/aml.h"
#include "arch/x86_64/layout.h"
#include "vmm/log.h"

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");

#define DSDT_MAX 2048

static unsigned int ecam_buses(const struct arch_layout *l)
{
	uint64_t n = l->pci_ecam_size >> 20;    /* 1 MiB of ECAM per bus (PCIe 4.0 7.2.2) */

	return n > 256 ? 256 : (unsigned int)n;
}

/* One Name(_CRS, ResourceTemplate() {...}) built by FILL. */
static void crs(struct aml *a, void (*fill)(struct aml *, const struct arch_layout *), const struct arch_layout *l)
{
	uint8_t res[256];
	struct aml r;

	aml_init(&r, res, sizeof(res));
	fill(&r, l);
	aml_name_restemplate(a, "_CRS", &r);
}

/* PCI0 host bridge windows (PCI Firmware 3.3 4.1.4): its bus range, the config ports, I/O and MMIO. */
static void pci0_res(struct aml *r, const struct arch_layout *l)
{
	aml_res_word_bus(r, 0, (uint16_t)(ecam_buses(l) - 1));
	aml_res_io(r, 0xcf8, 0xcf8, 1, 8);
	if (l->pci_pio_size)
		aml_res_word_io(r, (uint16_t)l->pci_pio_base, (uint16_t)(l->pci_pio_base + l->pci_pio_size - 1));
	aml_res_dword_mem(r, (uint32_t)l->pci_mmio32_base, (uint32_t)(l->pci_mmio32_base + l->pci_mmio32_size - 1));
	if (l->pci_mmio64_size)
		aml_res_qword_mem(r, l->pci_mmio64_base, l->pci_mmio64_base + l->pci_mmio64_size - 1);
}

/* ECAM must be reserved by a motherboard resource device (PCI Firmware 3.3 4.1.2; Linux checks it). */
static void mres_res(struct aml *r, const struct arch_layout *l)
{
	aml_res_mem32_fixed(r, (uint32_t)l->pci_ecam_base, (uint32_t)l->pci_ecam_size, true);
}

static void com1_res(struct aml *r, const struct arch_layout *l)
{
	aml_res_io(r, X86_COM1_PORT, X86_COM1_PORT, 1, 8);
	aml_res_irq(r, 1u << X86_COM1_IRQ);
}

static void ged_res(struct aml *r, const struct arch_layout *l)
{
	(void)l;
	aml_res_irq(r, 1u << X86_GED_IRQ);     /* IRQNoFlags: edge, active high, exclusive (6.4.2.1) */
}

/*
 * The power button of a hardware-reduced machine (ACPI 6.5 4.8.2.2.1.2: a control method power
 * button, PNP0C0C, notified with 0x80 "pressed"), signalled through a Generic Event Device (5.6.9:
 * ACPI0013, its interrupt in _CRS, _EVT run by OSPM on it). One interrupt, one event: _EVT needs no
 * event register to read, and an edge needs no acknowledge (vm.power-button pulses the pin).
 */
static void power_button(struct aml *a)
{
	aml_device(a, "PWRB");
	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0C0C");
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_end(a);

	aml_device(a, "GED0");
	aml_name_decl(a, "_HID");
	aml_string(a, "ACPI0013");
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	crs(a, ged_res, NULL);
	aml_method(a, "_EVT", 1, true);
	aml_notify(a, "\\_SB.PWRB", 0x80);
	aml_end(a);
	aml_end(a);
}

static int build_dsdt(struct acpi_builder *b, const struct arch_layout *l, uint64_t *gpa)
{
	uint8_t buf[DSDT_MAX];
	struct acpi_header *h = (struct acpi_header *)buf;
	struct aml a;
	size_t len;
	int r;

	if (l->pci_ecam_base + l->pci_ecam_size > 1ull << 32 || l->pci_mmio32_base + l->pci_mmio32_size > 1ull << 32) {
		pr_err("ACPI: ECAM and the MMIO32 window must be below 4 GiB");
		return -EINVAL;
	}
	aml_init(&a, buf + sizeof(*h), sizeof(buf) - sizeof(*h));
	aml_scope(&a, "\\_SB");

	aml_device(&a, "PCI0");
	aml_name_decl(&a, "_HID");
	aml_eisaid(&a, "PNP0A08");      /* PCI Express root bridge */
	aml_name_decl(&a, "_CID");
	aml_eisaid(&a, "PNP0A03");
	aml_name_decl(&a, "_SEG");
	aml_integer(&a, 0);
	aml_name_decl(&a, "_BBN");
	aml_integer(&a, 0);
	aml_name_decl(&a, "_UID");
	aml_integer(&a, 0);
	crs(&a, pci0_res, l);
	/*
	 * _OSC (PCI Firmware 3.3 4.5.1): every control the OS asks for is granted (the capabilities buffer
	 * is returned as is, no error bits), so Linux drives the root ports' hot-plug slots natively
	 * (pciehp) instead of leaving them to firmware it does not have.
	 */
	aml_method(&a, "_OSC", 4, false);
	aml_return_arg(&a, 3);
	aml_end(&a);
	aml_end(&a);

	aml_device(&a, "MRES");
	aml_name_decl(&a, "_HID");
	aml_eisaid(&a, "PNP0C02");
	aml_name_decl(&a, "_UID");
	aml_integer(&a, 0);
	crs(&a, mres_res, l);
	aml_end(&a);

	aml_device(&a, "COM1");
	aml_name_decl(&a, "_HID");
	aml_eisaid(&a, "PNP0501");      /* 16550A-compatible */
	aml_name_decl(&a, "_UID");
	aml_integer(&a, 1);
	crs(&a, com1_res, l);
	aml_end(&a);

	power_button(&a);

	aml_end(&a);    /* \_SB */

	/* \_S5: SLP_TYPa/b for soft-off (7.4.2); written to SLEEP_CONTROL by OSPM (4.8.3.7). */
	aml_name_decl(&a, "\\_S5");
	aml_package(&a, 2);
	aml_integer(&a, X86_S5_SLP_TYP);
	aml_integer(&a, 0);
	aml_end(&a);

	r = aml_finish(&a, &len);
	if (r) {
		pr_err("ACPI: DSDT: AML does not fit or is malformed (%d)", r);
		return r;
	}
	acpi_header_init(h, "DSDT", (uint32_t)(sizeof(*h) + len), 2);
	return acpi_add_table(b, buf, sizeof(*h) + len, false, gpa);
}

static struct acpi_gas gas_io8(uint16_t port)
{
	return (struct acpi_gas){ .space_id = ACPI_GAS_IO, .bit_width = 8, .access_size = 1, .address = port };
}

static int build_fadt(struct acpi_builder *b, const struct x86_acpi_machine *m, uint64_t dsdt)
{
	uint16_t sleep = m->sleep_port ? m->sleep_port : X86_PM_PORT;
	struct acpi_fadt f;

	memset(&f, 0, sizeof(f));
	acpi_header_init(&f.h, "FACP", sizeof(f), 6);
	f.minor_version = 5;                 /* ACPI 6.5 */
	/* Hardware-reduced (4.1): no PM1/GPE blocks, no SCI; sleep and reset through these registers. */
	f.flags = FADT_F_HW_REDUCED_ACPI | FADT_F_RESET_REG_SUP | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON;
	/* No VGA, no CMOS RTC; no 8042 and no legacy devices (bits 1 and 0 clear). */
	f.iapc_boot_arch = FADT_IAPC_VGA_NOT_PRESENT | FADT_IAPC_CMOS_RTC_NOT_PRESENT;
	f.sci_int = 9;
	f.x_dsdt = dsdt;                     /* DSDT (32-bit) stays 0 when X_DSDT is set */
	f.reset_reg = gas_io8(sleep + 2);
	f.reset_value = X86_RESET_VALUE;
	f.sleep_control_reg = gas_io8(sleep);
	f.sleep_status_reg = gas_io8(sleep + 1);
	if (m->pm_tmr_port) {
		/* A 24-bit timer (TMR_VAL_EXT clear, ACPI 6.5 5.2.9 Table 5.10), 4 bytes of ports. */
		f.pm_tmr_blk = m->pm_tmr_port;
		f.pm_tmr_len = 4;
		f.x_pm_tmr_blk = (struct acpi_gas){ .space_id = ACPI_GAS_IO, .bit_width = 32, .access_size = 3,
						    .address = m->pm_tmr_port };
	}
	memcpy(&f.hypervisor_vendor_id, "NESTVM\0\0", 8);
	return acpi_add_table(b, &f, sizeof(f), true, NULL);
}

/*
 * vCPU i has APIC id i (KVM's vCPU id). ACPI 6.5 5.2.12.12: ids from 255 on are described by
 * Processor Local x2APIC structures (an xAPIC structure holds 8 bits, and 0xff is the broadcast
 * id), with their own NMI structure (uid 0xFFFFFFFF: all of them).
 */
static int build_madt(struct acpi_builder *b, unsigned int nr_cpus)
{
	unsigned int nr_xapic = nr_cpus < X86_XAPIC_MAX_CPUS ? nr_cpus : X86_XAPIC_MAX_CPUS;
	unsigned int nr_x2apic = nr_cpus - nr_xapic;
	size_t len = sizeof(struct acpi_madt) + nr_xapic * sizeof(struct madt_lapic) + sizeof(struct madt_ioapic) +
		     sizeof(struct madt_iso) + sizeof(struct madt_lapic_nmi) + nr_x2apic * sizeof(struct madt_x2apic) +
		     (nr_x2apic ? sizeof(struct madt_x2apic_nmi) : 0);
	struct acpi_madt *m;
	uint8_t *buf, *p;
	int r;

	if (nr_cpus == 0 || nr_cpus > X86_MADT_MAX_CPUS) {
		pr_err("ACPI: MADT: %u vCPUs not supported", nr_cpus);
		return -EINVAL;
	}
	buf = calloc(1, len);
	if (!buf)
		return err_num(ENOMEM, "ACPI: MADT for %u vCPUs", nr_cpus);
	m = (struct acpi_madt *)buf;
	p = buf + sizeof(*m);
	acpi_header_init(&m->h, "APIC", (uint32_t)len, 5);
	m->lapic_addr = (uint32_t)X86_LAPIC_ADDR;
	m->flags = 0;                        /* no PC-AT 8259s to mask: hardware-reduced */
	for (unsigned int i = 0; i < nr_xapic; i++) {
		struct madt_lapic e = { MADT_LAPIC, sizeof(e), (uint8_t)i, (uint8_t)i, 1 };

		memcpy(p, &e, sizeof(e));
		p += sizeof(e);
	}
	struct madt_ioapic io = { MADT_IOAPIC, sizeof(io), 0, 0, (uint32_t)X86_IOAPIC_ADDR, 0 };
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	/* The PIT's IRQ0 is wired to IOAPIC pin 2 (as KVM's in-kernel IOAPIC does it). */
	struct madt_iso iso = { MADT_ISO, sizeof(iso), 0, 0, 2, 0 };
	memcpy(p, &iso, sizeof(iso));
	p += sizeof(iso);
	/* LINT1 is NMI on every processor (uid 0xff = all). */
	struct madt_lapic_nmi nmi = { MADT_LAPIC_NMI, sizeof(nmi), 0xff, 0, 1 };
	memcpy(p, &nmi, sizeof(nmi));
	p += sizeof(nmi);
	for (unsigned int i = nr_xapic; i < nr_cpus; i++) {
		struct madt_x2apic e = { .type = MADT_X2APIC, .length = sizeof(e), .x2apic_id = i, .flags = 1, .uid = i };

		memcpy(p, &e, sizeof(e));
		p += sizeof(e);
	}
	if (nr_x2apic) {
		struct madt_x2apic_nmi xn = { .type = MADT_X2APIC_NMI, .length = sizeof(xn), .uid = 0xffffffffu, .lint = 1 };

		memcpy(p, &xn, sizeof(xn));
	}
	r = acpi_add_table(b, buf, len, true, NULL);
	free(buf);
	return r;
}

static int build_mcfg(struct acpi_builder *b, const struct arch_layout *l)
{
	struct acpi_mcfg m;

	memset(&m, 0, sizeof(m));
	acpi_header_init(&m.h, "MCFG", sizeof(m), 1);
	m.alloc[0].base = l->pci_ecam_base;
	m.alloc[0].segment = 0;
	m.alloc[0].start_bus = 0;
	m.alloc[0].end_bus = (uint8_t)(ecam_buses(l) - 1);
	return acpi_add_table(b, &m, sizeof(m), true, NULL);
}

int x86_acpi_build(const struct x86_acpi_machine *m, uint8_t *buf, size_t size, uint64_t gpa, size_t *used)
{
	struct arch_layout l = *m->layout;
	unsigned int buses = m->pci_buses ? m->pci_buses : 1;
	struct acpi_builder b;
	uint64_t dsdt;
	int r;

	if (ecam_buses(&l) < buses) {
		pr_err("ACPI: ECAM window smaller than %u buses", buses);
		return -EINVAL;
	}
	/*
	 * The guest is told of the buses that exist only: Linux takes the MCFG's last bus as
	 * pcibios_last_bus and probes every slot of every bus up to it that it did not find through
	 * ports 0xcf8/0xcfc (arch/x86/pci/legacy.c pcibios_fixup_peer_bridges).
	 */
	l.pci_ecam_size = (uint64_t)buses << 20;
	acpi_builder_init(&b, buf, size, gpa);
	r = build_dsdt(&b, &l, &dsdt);
	if (!r)
		r = build_fadt(&b, m, dsdt);
	if (!r)
		r = build_madt(&b, m->nr_cpus);
	if (!r)
		r = build_mcfg(&b, &l);
	if (!r && m->extra)
		r = m->extra(m->opaque, &b);
	if (!r)
		r = acpi_builder_finish(&b);
	*used = b.used;
	return r;
}
