// SPDX-License-Identifier: GPL-2.0-only
/* ACPI tables walked the way OSPM finds them: RSDP -> XSDT -> FADT -> DSDT, MADT, MCFG. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/x86_64/acpi_tables.h"
#include "acpi/aml.h"
#include "arch/x86_64/dmar.h"
#include "arch/x86_64/layout.h"
#include "tap.h"

#define GPA X86_ACPI_ADDR
#define SIZE X86_ACPI_SIZE

static uint8_t buf[SIZE];

static uint8_t sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

/* A table at guest address A inside the buffer, with its header length checked against the buffer. */
static const struct acpi_header *table(uint64_t a, const char *sig)
{
	const struct acpi_header *h;

	if (a < GPA || a - GPA + sizeof(*h) > SIZE)
		return NULL;
	h = (const void *)(buf + (a - GPA));
	if (memcmp(h->signature, sig, 4) || h->length < sizeof(*h) || a - GPA + h->length > SIZE)
		return NULL;
	return h;
}

static bool find_bytes(const void *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp((const uint8_t *)hay + i, needle, m))
			return true;
	return false;
}

static void test_tables(unsigned int ncpu, unsigned int buses)
{
	struct x86_acpi_machine m = { .nr_cpus = ncpu, .layout = &arch_layout, .pci_buses = buses };
	unsigned int nbus = buses ? buses : 1;
	const struct acpi_header *xsdt, *fadt_h = NULL, *madt_h = NULL, *mcfg_h = NULL, *dsdt;
	const struct acpi_rsdp *rsdp = (const void *)buf;
	size_t used;
	unsigned int n;

	memset(buf, 0xcc, sizeof(buf));
	CHECK(x86_acpi_build(&m, buf, SIZE, GPA, &used) == 0 && used <= SIZE, "%u vCPUs: built, %zu bytes", ncpu, used);
	CHECK(!memcmp(rsdp->signature, "RSD PTR ", 8) && rsdp->revision == 2 && rsdp->length == 36, "RSDP rev 2 at %#llx",
	      (unsigned long long)GPA);
	CHECK(sum(rsdp, 20) == 0 && sum(rsdp, 36) == 0, "RSDP checksums");
	xsdt = table(rsdp->xsdt_address, "XSDT");
	CHECK(xsdt && sum(xsdt, xsdt->length) == 0, "XSDT found, checksum ok");
	if (!xsdt)
		return;
	n = (xsdt->length - sizeof(*xsdt)) / 8;
	CHECK(n == 3, "XSDT lists FADT, MADT, MCFG (%u)", n);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t a;

		memcpy(&a, (const uint8_t *)xsdt + sizeof(*xsdt) + 8 * i, 8);
		const struct acpi_header *h = (a >= GPA && a - GPA < SIZE) ? (const void *)(buf + (a - GPA)) : NULL;
		CHECK(h && a - GPA + h->length <= used && sum(h, h->length) == 0, "XSDT entry %u: %.4s in range, checksum ok",
		      i, h ? h->signature : "????");
		if (h && !memcmp(h->signature, "FACP", 4))
			fadt_h = h;
		if (h && !memcmp(h->signature, "APIC", 4))
			madt_h = h;
		if (h && !memcmp(h->signature, "MCFG", 4))
			mcfg_h = h;
	}

	const struct acpi_fadt *f = (const void *)fadt_h;
	CHECK(f && f->h.length == 276 && f->h.revision == 6, "FADT rev 6, 276 bytes");
	if (!f)
		return;
	CHECK(f->flags & FADT_F_HW_REDUCED_ACPI, "FADT: HW_REDUCED_ACPI");
	CHECK((f->flags & FADT_F_RESET_REG_SUP) && f->reset_reg.space_id == ACPI_GAS_IO &&
	      f->reset_reg.address == X86_PM_PORT + 2 && f->reset_value == X86_RESET_VALUE, "FADT: reset register in port I/O");
	CHECK(f->sleep_control_reg.space_id == ACPI_GAS_IO && f->sleep_control_reg.address == X86_PM_PORT &&
	      f->sleep_status_reg.address == X86_PM_PORT + 1 && f->sleep_control_reg.bit_width == 8,
	      "FADT: sleep control/status registers");
	CHECK(f->dsdt == 0 && f->x_dsdt, "FADT: X_DSDT set, DSDT 0");
	dsdt = table(f->x_dsdt, "DSDT");
	CHECK(dsdt && sum(dsdt, dsdt->length) == 0 && dsdt->revision == 2, "DSDT reached through X_DSDT, checksum ok");
	if (dsdt) {
		const uint8_t *aml = (const uint8_t *)dsdt + sizeof(*dsdt);
		size_t alen = dsdt->length - sizeof(*dsdt);

		CHECK(find_bytes(aml, alen, "\x08\x5c_S5_\x12", 7), "DSDT: Name(\\_S5, Package)");
		CHECK(find_bytes(aml, alen, "PCI0", 4) && find_bytes(aml, alen, "\x0c\x41\xd0\x0a\x08", 5),
		      "DSDT: PCI0 with _HID PNP0A08");
		CHECK(find_bytes(aml, alen, "\x0c\x41\xd0\x0a\x03", 5), "DSDT: _CID PNP0A03");
		/* Method(_OSC, 4) { Return (Arg3) }: every control granted, so pciehp drives the root ports. */
		CHECK(find_bytes(aml, alen, "\x14\x08_OSC\x04\xa4\x6b", 9), "DSDT: PCI0._OSC grants what the OS asks");
		/* WordBusNumber (ACPI 6.5 6.4.3.5.3): _MIN 0, _MAX the last bus. */
		uint8_t busres[14] = { 0x88, 0x0d, 0, 0x02, 0x0c, 0, 0, 0, 0, 0, (uint8_t)(nbus - 1), 0, 0, 0 };
		CHECK(find_bytes(aml, alen, busres, 14), "DSDT: PCI0 decodes buses 0-%u", nbus - 1);
		CHECK(find_bytes(aml, alen, "COM1", 4) && find_bytes(aml, alen, "\x0c\x41\xd0\x05\x01", 5),
		      "DSDT: COM1 PNP0501");
		CHECK(find_bytes(aml, alen, "\x47\x01\xf8\x03\xf8\x03", 6) && find_bytes(aml, alen, "\x22\x10\x00", 3),
		      "DSDT: COM1 ports 0x3f8 and IRQ 4");
		uint8_t ecam[7] = { 0x86, 9, 0, 1 };
		uint32_t eb = (uint32_t)arch_layout.pci_ecam_base;
		memcpy(ecam + 4, &eb, 3);
		CHECK(find_bytes(aml, alen, "\x0c\x41\xd0\x0c\x02", 5) && find_bytes(aml, alen, ecam, 7),
		      "DSDT: PNP0C02 reserves the ECAM window");
		/* The power button: Device (PWRB) { _HID PNP0C0C } and the GED that notifies it (acpi_tables.c). */
		CHECK(find_bytes(aml, alen, "PWRB\x08_HID\x0c\x41\xd0\x0c\x0c", 14), "DSDT: PWRB with _HID PNP0C0C");
		CHECK(find_bytes(aml, alen, "GED0\x08_HID\x0d" "ACPI0013", 18), "DSDT: GED0 with _HID \"ACPI0013\"");
		CHECK(find_bytes(aml, alen, "\x22\x20\x00\x79", 4), "DSDT: GED0's _CRS: IRQ 5 (X86_GED_IRQ), edge");
		CHECK(find_bytes(aml, alen, "_EVT\x09\x86\x5c\x2e_SB_PWRB\x0a\x80", 16),
		      "DSDT: Method (_EVT, 1, Serialized) { Notify (\\_SB.PWRB, 0x80) }");
	}

	const struct acpi_madt *madt = (const void *)madt_h;
	CHECK(madt && madt->lapic_addr == X86_LAPIC_ADDR, "MADT: LAPIC address");
	if (madt) {
		unsigned int lapics = 0, ioapics = 0, isos = 0, nmis = 0, x2apics = 0, x2nmis = 0;
		bool ids_ok = true, lens_ok = true, x2_ok = true;
		const uint8_t *p = (const uint8_t *)madt + sizeof(*madt), *end = (const uint8_t *)madt + madt->h.length;

		while (p + 2 <= end) {
			if (p[1] < 2 || p + p[1] > end) {
				lens_ok = false;
				break;
			}
			if (p[0] == MADT_LAPIC) {
				const struct madt_lapic *l = (const void *)p;

				ids_ok &= l->apic_id == lapics && l->uid == lapics && (l->flags & 1) && l->length == 8;
				lapics++;
			} else if (p[0] == MADT_IOAPIC) {
				const struct madt_ioapic *io = (const void *)p;

				ioapics += io->address == X86_IOAPIC_ADDR && io->gsi_base == 0;
			} else if (p[0] == MADT_ISO) {
				const struct madt_iso *iso = (const void *)p;

				isos += iso->source == 0 && iso->gsi == 2;
			} else if (p[0] == MADT_LAPIC_NMI) {
				nmis += ((const struct madt_lapic_nmi *)p)->lint == 1;
			} else if (p[0] == MADT_X2APIC) {
				const struct madt_x2apic *x = (const void *)p;

				/* ACPI 6.5 5.2.12.12: the ids xAPIC structures cannot hold, 255 on. */
				x2_ok &= x->length == 16 && x->x2apic_id == 255 + x2apics && x->uid == x->x2apic_id &&
					 (x->flags & 1);
				x2apics++;
			} else if (p[0] == MADT_X2APIC_NMI) {
				const struct madt_x2apic_nmi *xn = (const void *)p;

				x2nmis += xn->length == 12 && xn->uid == 0xffffffffu && xn->lint == 1;
			}
			p += p[1];
		}
		CHECK(lens_ok && p == end, "MADT: entries tile the table exactly");
		CHECK(lapics == (ncpu < 255 ? ncpu : 255) && ids_ok, "MADT: %u enabled LAPICs with ids 0..%u", lapics,
		      lapics - 1);
		CHECK(x2_ok && x2apics == (ncpu > 255 ? ncpu - 255 : 0) && x2nmis == (x2apics > 0),
		      "MADT: %u x2APIC structures (ids 255..), %u x2APIC NMI structure", x2apics, x2nmis);
		CHECK(ioapics == 1 && isos == 1 && nmis == 1, "MADT: IOAPIC, IRQ0->GSI2 override, LINT1 NMI");
	}

	const struct acpi_mcfg *mcfg = (const void *)mcfg_h;
	CHECK(mcfg && mcfg->h.length == 60, "MCFG with one allocation");
	if (mcfg)
		CHECK(mcfg->alloc[0].base == arch_layout.pci_ecam_base && mcfg->alloc[0].segment == 0 &&
		      mcfg->alloc[0].start_bus == 0 &&
		      mcfg->alloc[0].end_bus + 1u == nbus,
		      "MCFG: ECAM at arch_layout's base (%#llx) for the buses that exist (0-%u)",
		      (unsigned long long)mcfg->alloc[0].base, mcfg->alloc[0].end_bus);
}

static int extra_dmar(void *opaque, struct acpi_builder *b)
{
	struct acpi_header h;

	acpi_header_init(&h, "DMAR", sizeof(h), 1);
	return acpi_add_table(b, &h, sizeof(h), true, NULL);
}

static void test_extension(void)
{
	struct x86_acpi_machine m = { .nr_cpus = 2, .layout = &arch_layout, .extra = extra_dmar };
	const struct acpi_rsdp *rsdp = (const void *)buf;
	const struct acpi_header *xsdt;
	size_t used;
	uint64_t last;

	CHECK(x86_acpi_build(&m, buf, SIZE, GPA, &used) == 0, "build with an extra table");
	xsdt = table(rsdp->xsdt_address, "XSDT");
	CHECK(xsdt && xsdt->length == 36 + 4 * 8, "XSDT has 4 entries");
	if (!xsdt)
		return;
	memcpy(&last, (const uint8_t *)xsdt + 36 + 3 * 8, 8);
	CHECK(table(last, "DMAR") && sum(buf + (last - GPA), 36) == 0, "extra DMAR listed, checksum ok");

	uint8_t small[300];
	CHECK(x86_acpi_build(&m, small, sizeof(small), GPA, &used) == -ENOSPC, "too small a buffer: -ENOSPC");
	m.nr_cpus = 0;
	CHECK(x86_acpi_build(&m, buf, SIZE, GPA, &used) == -EINVAL, "0 vCPUs rejected");
}

/* The DMAR of --viommu vtd, byte by byte as VT-d rev 5 chapter 8 lays it out. */
static void test_dmar(void)
{
	struct x86_dmar d = { .regs = X86_VTD_ADDR, .haw = 48, .intr_remap = true, .ioapic_id = 0, .ioapic_sid = 0xf0f8 };
	struct x86_acpi_machine m = { .nr_cpus = 2, .layout = &arch_layout, .extra = x86_dmar_add, .opaque = &d };
	const struct acpi_rsdp *rsdp = (const void *)buf;
	const struct acpi_header *xsdt, *h;
	const uint8_t *t;
	uint64_t last, base;
	size_t used;

	CHECK(x86_acpi_build(&m, buf, SIZE, GPA, &used) == 0, "build with the DMAR");
	xsdt = table(rsdp->xsdt_address, "XSDT");
	if (!xsdt)
		return;
	memcpy(&last, (const uint8_t *)xsdt + 36 + 3 * 8, 8);
	h = table(last, "DMAR");
	CHECK(h && h->length == 36 + 12 + 16 + 8 && h->revision == 1 && sum(h, h->length) == 0,
	      "DMAR listed: header, one DRHD with one scope, checksum");
	if (!h)
		return;
	t = (const uint8_t *)h;
	CHECK(t[36] == 47 && t[37] == DMAR_F_INTR_REMAP, "host address width 48, INTR_REMAP, no x2APIC opt-out");
	memcpy(&base, t + 56, 8);
	CHECK(t[48] == 0 && t[49] == 0 && t[50] == 24 && t[52] == DRHD_INCLUDE_PCI_ALL && t[53] == 0 && t[54] == 0 &&
	      base == X86_VTD_ADDR, "DRHD: segment 0, INCLUDE_PCI_ALL, one 4 KiB page at the unit");
	CHECK(t[64] == DMAR_SCOPE_IOAPIC && t[65] == 8 && t[68] == 0 && t[69] == 0xf0 && t[70] == 0x1f && t[71] == 0,
	      "IOAPIC scope: id 0, source id f0:1f.0");
	d.intr_remap = false;
	CHECK(x86_acpi_build(&m, buf, SIZE, GPA, &used) == 0 && ((const uint8_t *)table(last, "DMAR"))[37] == 0,
	      "without interrupt remapping: flags 0");
}

static void test_aml(void)
{
	uint8_t b[512], big[200];
	struct aml a;
	size_t len;

	aml_init(&a, b, sizeof(b));
	aml_name_decl(&a, "\\_SB.PCI0.FOO");
	aml_integer(&a, 0x12345);
	CHECK(aml_finish(&a, &len) == 0 && len == 1 + 1 + 2 + 12 + 5 && b[1] == 0x5c && b[2] == 0x2f && b[3] == 3 &&
	      !memcmp(b + 4, "_SB_PCI0FOO_", 12) && b[16] == 0x0c, "multi-segment name, dword integer");

	aml_init(&a, b, sizeof(b));
	aml_package(&a, 1);
	aml_integer(&a, 7);
	aml_end(&a);
	CHECK(aml_finish(&a, &len) == 0 && len == 5 && !memcmp(b, "\x12\x04\x01\x0a\x07", 5), "short package: 1-byte PkgLength");

	memset(big, 0x41, sizeof(big));
	aml_init(&a, b, sizeof(b));
	aml_buffer(&a, big, sizeof(big));
	/* 0x11, PkgLength (2 bytes), 0x0a 200, then 200 bytes: PkgLength = 2 + 2 + 200 = 204 = 0xcc. */
	CHECK(aml_finish(&a, &len) == 0 && len == 205 && b[0] == 0x11 && b[1] == (0x40 | 0xc) && b[2] == 0x0c &&
	      b[3] == 0x0a && b[4] == 200, "long buffer: 2-byte PkgLength");

	aml_init(&a, b, sizeof(b));
	aml_method(&a, "_EVT", 1, false);
	aml_notify(&a, "PWRB", 0x80);
	aml_end(&a);
	CHECK(aml_finish(&a, &len) == 0 && len == 14 && !memcmp(b, "\x14\x0d_EVT\x01\x86PWRB\x0a\x80", 14),
	      "Method (_EVT, 1) { Notify (PWRB, 0x80) }: MethodOp PkgLength name flags, NotifyOp name value");
	aml_init(&a, b, sizeof(b));
	aml_method(&a, "_EVT", 8, false);
	CHECK(aml_finish(&a, &len) == -EINVAL, "a method of 8 arguments is refused");
	aml_init(&a, b, sizeof(b));
	aml_scope(&a, "\\_SB");
	CHECK(aml_finish(&a, &len) == -EINVAL, "unclosed scope is an error");
	aml_init(&a, b, 8);
	aml_string(&a, "much too long for eight bytes");
	CHECK(aml_finish(&a, &len) == -ENOSPC, "overflow is an error, not a write past the end");
	aml_init(&a, b, sizeof(b));
	aml_name(&a, "TOOLONG");
	CHECK(aml_finish(&a, &len) == -EINVAL, "5+ character name segment rejected");
	aml_init(&a, b, sizeof(b));
	aml_eisaid(&a, "pnp0a08");
	CHECK(aml_finish(&a, &len) == -EINVAL, "bad EISA id rejected");
	aml_init(&a, b, sizeof(b));
	for (int i = 0; i < AML_MAX_DEPTH + 1; i++)
		aml_scope(&a, "S");
	CHECK(aml_finish(&a, &len) == -E2BIG, "nesting deeper than AML_MAX_DEPTH rejected");
}

int main(void)
{
	test_tables(1, 0);
	test_tables(2, 1);
	test_tables(64, 5);     /* 4 hot-plug root ports */
	test_tables(255, 1);    /* the last id an xAPIC structure holds is 254 */
	test_tables(X86_MADT_MAX_CPUS, 1);
	test_extension();
	test_dmar();
	test_aml();
	return tap_done();
}
