// SPDX-License-Identifier: GPL-2.0-only
/* DSDT, FADT, MADT, GTDT, MCFG, SPCR and IORT of the arm64 machine (see arm_tables.h; ACPI 6.5). */
#include "acpi/arm_tables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/aml.h"
#include "acpi/iort.h"
#include "acpi/tables.h"
#include "vmm/log.h"

_Static_assert(sizeof(struct madt_gicc) == 82, "GICC, ACPI 6.5");
_Static_assert(sizeof(struct madt_gicd) == 24, "GICD");
_Static_assert(sizeof(struct madt_gicr) == 16, "GICR");
_Static_assert(sizeof(struct madt_its) == 20, "GIC ITS");
_Static_assert(sizeof(struct acpi_gtdt) == 96, "GTDT rev 2");
_Static_assert(sizeof(struct acpi_spcr) == 80, "SPCR rev 2");

#define DSDT_MAX        (16 * 1024)
#define PCI_SLOTS       32
#define PCI_PINS        4

/* A resource template of up to 256 bytes, filled by the caller, then named into A by crs_end. */
struct crs {
	uint8_t buf[256];
	struct aml r;
};

static struct aml *crs_begin(struct crs *c)
{
	aml_init(&c->r, c->buf, sizeof(c->buf));
	return &c->r;
}

/* Name (_CCA, One): DMA is cache-coherent. Linux on arm64 gives a device without _CCA no DMA at all
 * (ACPI 6.5 6.2.17: required on hardware that is not coherent by default). */
static void cca(struct aml *a)
{
	aml_name_decl(a, "_CCA");
	aml_integer(a, 1);
}

/* A processor device per vCPU (ACPI 6.5 8.4: ACPI0007), its _UID the GICC's ACPI Processor UID. */
static void cpus(struct aml *a, unsigned int n)
{
	char name[16];

	for (unsigned int i = 0; i < n && i <= 0xfff; i++) {
		snprintf(name, sizeof(name), "C%03X", i);
		aml_device(a, name);
		aml_name_decl(a, "_HID");
		aml_string(a, "ACPI0007");
		aml_name_decl(a, "_UID");
		aml_integer(a, i);
		aml_end(a);
	}
}

/* The PL011 (ARMH0011, Arm's ACPI ID for it; Linux's amba-pl011 SBSA/ACPI probe). */
static void uart(struct aml *a, const struct acpi_arm_machine *m)
{
	struct crs c;
	struct aml *r = crs_begin(&c);

	aml_device(a, "COM0");
	aml_name_decl(a, "_HID");
	aml_string(a, "ARMH0011");
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_res_mem32_fixed(r, (uint32_t)m->uart, (uint32_t)m->uart_size, true);
	aml_res_interrupt(r, m->uart_gsiv, false, false);
	aml_name_restemplate(a, "_CRS", r);
	aml_end(a);
}

/* fw_cfg (QEMU0002, as QEMU describes it): present and decoding, not shown in UI (_STA 0xb). */
static void fw_cfg(struct aml *a, const struct acpi_arm_machine *m)
{
	struct crs c;
	struct aml *r = crs_begin(&c);

	aml_device(a, "FWCF");
	aml_name_decl(a, "_HID");
	aml_string(a, "QEMU0002");
	aml_name_decl(a, "_STA");
	aml_integer(a, 0xb);
	cca(a);
	aml_res_mem32_fixed(r, (uint32_t)m->fw_cfg, (uint32_t)m->fw_cfg_size, true);
	aml_name_restemplate(a, "_CRS", r);
	aml_end(a);
}

/*
 * _PRT (ACPI 6.5 6.2.13): Package { Address (slot << 16 | 0xffff: any function), Pin (0 = INTA),
 * Source (0: the index is a GSI), Source Index (the GSI) } for every slot and pin, swizzled as the
 * device tree's interrupt-map does it ((slot + pin) % 4, PCI-to-PCI Bridge spec 9.1). No link
 * devices: Linux takes a bare GSI as level-triggered, active high on arm64.
 */
static void prt(struct aml *a, const struct acpi_arm_machine *m)
{
	aml_name_decl(a, "_PRT");
	aml_package(a, PCI_SLOTS * PCI_PINS);
	for (unsigned int slot = 0; slot < PCI_SLOTS; slot++) {
		for (unsigned int pin = 0; pin < PCI_PINS; pin++) {
			aml_package(a, 4);
			aml_integer(a, (uint64_t)slot << 16 | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0);
			aml_integer(a, m->intx_gsiv + (slot + pin) % PCI_PINS);
			aml_end(a);
		}
	}
	aml_end(a);
}

/*
 * The PCIe host bridge (PNP0A08; PCI Firmware 3.3 4.1.4): its bus range, the MMIO32 window, the I/O
 * window (ports from 0, at the CPU address pio) and the MMIO64 window, the windows of the device
 * tree's ranges. The ECAM is reserved by a motherboard resource device (PCI Firmware 3.3 4.1.2).
 */
static void pci0(struct aml *a, const struct acpi_arm_machine *m)
{
	struct crs c;
	struct aml *r = crs_begin(&c);

	aml_device(a, "PCI0");
	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0A08");
	aml_name_decl(a, "_CID");
	aml_eisaid(a, "PNP0A03");
	aml_name_decl(a, "_SEG");
	aml_integer(a, 0);
	aml_name_decl(a, "_BBN");
	aml_integer(a, 0);
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	cca(a);
	prt(a, m);
	aml_res_word_bus(r, 0, (uint16_t)(m->buses - 1));
	aml_res_dword_mem(r, (uint32_t)m->mmio32, (uint32_t)(m->mmio32 + m->mmio32_size - 1));
	if (m->pio_size)
		aml_res_dword_io_trans(r, 0, (uint32_t)(m->pio_size - 1), (uint32_t)m->pio);
	if (m->mmio64_size)
		aml_res_qword_mem(r, m->mmio64, m->mmio64 + m->mmio64_size - 1);
	aml_name_restemplate(a, "_CRS", r);
	/* _OSC (PCI Firmware 3.3 4.5.1): every control asked for is granted (as on x86): pciehp native. */
	aml_method(a, "_OSC", 4, false);
	aml_return_arg(a, 3);
	aml_end(a);

	r = crs_begin(&c);
	aml_device(a, "RES0");
	aml_name_decl(a, "_HID");
	aml_eisaid(a, "PNP0C02");
	aml_name_decl(a, "_UID");
	aml_integer(a, 0);
	aml_res_qword_mem(r, m->ecam, m->ecam + ((uint64_t)m->buses << 20) - 1);
	aml_name_restemplate(a, "_CRS", r);
	aml_end(a);
	aml_end(a);     /* PCI0 */
}

static int build_dsdt(struct acpi_builder *b, const struct acpi_arm_machine *m, uint64_t *gpa)
{
	struct acpi_header *h;
	uint8_t *buf = calloc(1, DSDT_MAX);
	struct aml a;
	size_t len;
	int r;

	if (!buf)
		return b->err = err_num(-ENOMEM, "ACPI: DSDT");
	h = (struct acpi_header *)buf;
	aml_init(&a, buf + sizeof(*h), DSDT_MAX - sizeof(*h));
	aml_scope(&a, "\\_SB");
	cpus(&a, m->nr_cpus);
	uart(&a, m);
	if (m->fw_cfg_size)
		fw_cfg(&a, m);
	pci0(&a, m);
	aml_end(&a);
	r = aml_finish(&a, &len);
	if (r) {
		pr_err("ACPI: DSDT: AML does not fit or is malformed (%d)", r);
		free(buf);
		return b->err = r;
	}
	acpi_header_init(h, "DSDT", (uint32_t)(sizeof(*h) + len), 2);
	r = acpi_add_table(b, buf, sizeof(*h) + len, false, gpa);
	free(buf);
	return r;
}

/* Hardware-reduced (ACPI 6.5 4.1), PSCI (5.2.9.4 Arm boot architecture flags); no FACS on Arm. */
static int build_fadt(struct acpi_builder *b, const struct acpi_arm_machine *m, uint64_t dsdt)
{
	struct acpi_fadt f;

	memset(&f, 0, sizeof(f));
	acpi_header_init(&f.h, "FACP", sizeof(f), 6);
	f.minor_version = 5;                 /* ACPI 6.5; Linux on arm64 wants 5.1 or later */
	f.flags = FADT_F_HW_REDUCED_ACPI;
	f.arm_boot_arch = FADT_ARM_PSCI_COMPLIANT | (m->psci_hvc ? FADT_ARM_PSCI_USE_HVC : 0);
	f.x_dsdt = dsdt;
	memcpy(&f.hypervisor_vendor_id, "NESTVM\0\0", 8);
	return acpi_add_table(b, &f, sizeof(f), true, NULL);
}

static void put(uint8_t **p, const void *s, size_t n)
{
	memcpy(*p, s, n);
	*p += n;
}

static int build_madt(struct acpi_builder *b, const struct acpi_arm_machine *m)
{
	size_t len = sizeof(struct acpi_madt_arm) + sizeof(struct madt_gicd) + m->nr_cpus * sizeof(struct madt_gicc) +
		     sizeof(struct madt_gicr) + sizeof(struct madt_its);
	struct madt_gicd gicd = { .type = MADT_GICD, .length = sizeof(gicd), .base = m->gicd, .version = 3 };
	struct madt_gicr gicr = { .type = MADT_GICR, .length = sizeof(gicr), .base = m->gicr,
				  .range_length = (uint32_t)m->gicr_size };
	/* Translation ID 0: what the IORT's ITS group node names. */
	struct madt_its its = { .type = MADT_ITS, .length = sizeof(its), .translation_id = 0, .base = m->its };
	uint8_t *buf, *p;
	int r;

	buf = calloc(1, len);
	if (!buf)
		return b->err = err_num(-ENOMEM, "ACPI: MADT");
	acpi_header_init((struct acpi_header *)buf, "APIC", (uint32_t)len, 6);   /* ACPI 6.5: MADT revision 6 */
	p = buf + sizeof(struct acpi_madt_arm);
	put(&p, &gicd, sizeof(gicd));
	for (unsigned int i = 0; i < m->nr_cpus; i++) {
		/* GICv3: the CPU interface is system registers (no base, interface number 0); the
		 * redistributor of each CPU is found by MPIDR in the GICR range. */
		struct madt_gicc c = { .type = MADT_GICC, .length = sizeof(c), .uid = i, .flags = 1,
				       .mpidr = m->mpidr[i] & 0xff00ffffffull };   /* Aff3..Aff0 only */

		put(&p, &c, sizeof(c));
	}
	put(&p, &gicr, sizeof(gicr));
	put(&p, &its, sizeof(its));
	r = acpi_add_table(b, buf, len, true, NULL);
	free(buf);
	return r;
}

/* The architected timer's PPIs, level-triggered, active high (flags 0); the EL1 physical timer is
 * always on (the device tree's always-on). No memory-mapped timers. */
static int build_gtdt(struct acpi_builder *b, const struct acpi_arm_machine *m)
{
	struct acpi_gtdt g;

	memset(&g, 0, sizeof(g));
	acpi_header_init(&g.h, "GTDT", sizeof(g), 2);
	g.cnt_control_base = ~0ull;
	g.cnt_read_base = ~0ull;
	g.sec_el1_gsiv = m->timer_sec_gsiv;
	g.ns_el1_gsiv = m->timer_phys_gsiv;
	g.ns_el1_flags = GTDT_ALWAYS_ON;
	g.virt_el1_gsiv = m->timer_virt_gsiv;
	g.ns_el2_gsiv = m->timer_hyp_gsiv;
	return acpi_add_table(b, &g, sizeof(g), true, NULL);
}

static int build_mcfg(struct acpi_builder *b, const struct acpi_arm_machine *m)
{
	struct acpi_mcfg t;

	memset(&t, 0, sizeof(t));
	acpi_header_init(&t.h, "MCFG", sizeof(t), 1);
	t.alloc[0].base = m->ecam;
	t.alloc[0].end_bus = (uint8_t)(m->buses - 1);
	return acpi_add_table(b, &t, sizeof(t), true, NULL);
}

/* The PL011 as the console (SPCR revision 2): 32-bit register accesses, its GIC interrupt, 115200 8N1. */
static int build_spcr(struct acpi_builder *b, const struct acpi_arm_machine *m)
{
	struct acpi_spcr s;

	memset(&s, 0, sizeof(s));
	acpi_header_init(&s.h, "SPCR", sizeof(s), 2);
	s.interface_type = 3;
	s.base = (struct acpi_gas){ .space_id = ACPI_GAS_MEMORY, .bit_width = 32, .access_size = 3, .address = m->uart };
	s.interrupt_type = 1u << 3;
	s.gsiv = m->uart_gsiv;
	s.baud = 7;
	s.stop_bits = 1;
	s.pci_device_id = 0xffff;
	s.pci_vendor_id = 0xffff;
	return acpi_add_table(b, &s, sizeof(s), true, NULL);
}

static int check(const struct acpi_arm_machine *m)
{
	if (!m->nr_cpus || m->nr_cpus > ACPI_ARM_MAX_CPUS || !m->mpidr) {
		pr_err("ACPI: %u vCPUs (1 to %d)", m->nr_cpus, ACPI_ARM_MAX_CPUS);
		return -EINVAL;
	}
	if (!m->buses || m->buses > 256) {
		pr_err("ACPI: %u PCI buses (1 to 256)", m->buses);
		return -EINVAL;
	}
	if (m->uart + m->uart_size > 1ull << 32 || m->fw_cfg + m->fw_cfg_size > 1ull << 32 ||
	    m->mmio32 + m->mmio32_size > 1ull << 32 || m->pio_size > 1ull << 32 || m->pio > UINT32_MAX ||
	    m->gicr_size > UINT32_MAX) {
		pr_err("ACPI: a 32-bit resource of the arm64 machine is above 4 GiB");
		return -EINVAL;
	}
	return 0;
}

int acpi_arm_build(const struct acpi_arm_machine *m, uint8_t *buf, size_t size, uint64_t gpa, size_t *used)
{
	struct acpi_builder b;
	uint64_t dsdt;
	int r;

	*used = 0;
	r = check(m);
	if (r)
		return r;
	acpi_builder_init(&b, buf, size, gpa);
	r = build_dsdt(&b, m, &dsdt);
	if (!r)
		r = build_fadt(&b, m, dsdt);
	if (!r)
		r = build_madt(&b, m);
	if (!r)
		r = build_gtdt(&b, m);
	if (!r)
		r = build_mcfg(&b, m);
	if (!r)
		r = build_spcr(&b, m);
	if (!r)
		r = acpi_iort_add(&b, &(const struct acpi_iort_params){
			.its_id = 0, .smmu = m->smmu != 0, .smmu_base = m->smmu,
			.smmu_gsiv = { m->smmu_gsiv[0], m->smmu_gsiv[1], m->smmu_gsiv[2], m->smmu_gsiv[3] },
			.rid_count = 0x10000 });
	if (!r)
		r = acpi_builder_finish(&b);
	*used = b.used;
	return r;
}
