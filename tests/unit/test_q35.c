// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Q35 chipset functions driven as OVMF's PlatformPei drives them: the host bridge's device ID
 * read through ports 0xcf8/0xcfc, the LPC bridge's PMBASE, ACPI_EN and RCBA, then PCIEXBAR (high
 * dword first, then the low one with the enable bit), after which config space is at the ECAM it
 * names; the read-only SMRAM/ESMRAMC ("no SMM") and TOLUD, PAM, the PIRQ routing bytes.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "arch/arch.h"
#include "devices/ich9_lpc.h"
#include "devices/pci.h"
#include "devices/q35_host.h"
#include "tap.h"
#include "vmm/vm.h"

#define LPC_DEVFN (ICH9_LPC_SLOT << 3)

static struct vm vm;
static unsigned int decodes;
static uint16_t last_base;
static bool last_on;

static void on_decode(void *opaque, uint16_t base, bool on)
{
	decodes++;
	last_base = base;
	last_on = on;
}

/* Config mechanism #1 (PCI 3.0 3.2.2.3.2), as BasePciLibCf8. */
static uint32_t cf8_rd(unsigned int devfn, unsigned int reg, unsigned int len)
{
	uint8_t b[4];

	pci_le_put(b, 4, 0x80000000u | devfn << 8 | (reg & 0xfc));
	bus_dispatch(&vm.pio, 0xcf8, b, 4, true);
	memset(b, 0, sizeof(b));
	bus_dispatch(&vm.pio, 0xcfc + (reg & 3), b, len, false);
	return (uint32_t)pci_le_get(b, len);
}

static void cf8_wr(unsigned int devfn, unsigned int reg, unsigned int len, uint32_t v)
{
	uint8_t b[4];

	pci_le_put(b, 4, 0x80000000u | devfn << 8 | (reg & 0xfc));
	bus_dispatch(&vm.pio, 0xcf8, b, 4, true);
	pci_le_put(b, len, v);
	bus_dispatch(&vm.pio, 0xcfc + (reg & 3), b, len, true);
}

/* ECAM read at BASE; 0xdeadbeef when nothing decodes there. */
static uint32_t ecam_rd(uint64_t base, unsigned int bus, unsigned int devfn, unsigned int reg)
{
	uint8_t b[4] = { 0 };

	if (!bus_dispatch(&vm.mmio, base + ((uint64_t)bus << 20 | devfn << 12 | reg), b, 4, false))
		return 0xdeadbeef;
	return (uint32_t)pci_le_get(b, 4);
}

static void ignore(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
}

int main(void)
{
	struct vm_config cfg = { .firmware = "OVMF_CODE_4M.fd" };
	struct ich9_lpc *lpc = NULL;
	uint64_t size;
	uint32_t v;

	CHECK(q35_pciexbar_decode(0xb0000001, &size) == 0xb0000000 && size == 256u << 20, "PCIEXBAR: 256 MiB at 0xb000_0000");
	CHECK(q35_pciexbar_decode(0xb8000003, &size) == 0xb8000000 && size == 128u << 20, "length 01: 128 MiB (bit 27 kept)");
	CHECK(q35_pciexbar_decode(0xbc000005, &size) == 0xbc000000 && size == 64u << 20, "length 10: 64 MiB (bit 26 kept)");
	CHECK(q35_pciexbar_decode(0xbc000001, &size) == 0xb0000000, "256 MiB: bits 27:26 ignored");
	CHECK(q35_pciexbar_decode(0xb0000007, &size) == 0 && size == 0, "length 11 is reserved: off");
	CHECK(q35_pciexbar_decode(0xb0000000, &size) == 0 && size == 0, "disabled");
	CHECK(q35_pciexbar_decode(0xfffffff0b0000001ull, &size) == 0xb0000000ull, "base bits above 35 ignored");

	vm.vm_fd = -1;
	vm.cfg = &cfg;
	vm.layout = arch_vm_layout(&cfg);
	if (bus_init(&vm.mmio, "mmio") || bus_init(&vm.pio, "pio") || pci_host_create(&vm)) {
		CHECK(0, "host setup");
		return tap_done();
	}
	CHECK(vm.layout->pci_ecam_base == 0xb0000000 && vm.layout->pci_ecam_size == 256u << 20 &&
	      vm.layout->ram_max == 0xb0000000, "firmware layout: ECAM at OVMF's 0xb000_0000, RAM below it");
	q35_host_init(vm.pci, 512u << 20);
	CHECK(ich9_lpc_create(vm.pci, &vm, on_decode, NULL, &lpc) == 0 && lpc, "LPC bridge created");

	/* What PlatformPei reads first: 00:00.0's device ID, through CF8 (the ECAM is not on yet). */
	CHECK(cf8_rd(0, PCI_DEVICE_ID, 2) == Q35_MCH_DEVICE && cf8_rd(0, PCI_VENDOR_ID, 2) == Q35_MCH_VENDOR,
	      "00:00.0 is the Q35 MCH (8086:29c0)");
	CHECK(cf8_rd(0, PCI_CLASS_REVISION, 4) >> 8 == 0x060000, "class host bridge");
	CHECK(ecam_rd(0xb0000000, 0, 0, 0) == 0xdeadbeef, "no ECAM before PCIEXBAR is enabled");
	CHECK(cf8_rd(0, Q35_TOLUD, 2) == 0x2000, "TOLUD: 512 MiB (bits 15:4 = address bits 31:20)");
	cf8_wr(0, Q35_TOLUD, 2, 0x1230);
	CHECK(cf8_rd(0, Q35_TOLUD, 2) == 0x2000, "TOLUD is read-only");
	CHECK(cf8_rd(0, Q35_SMRAM, 1) == Q35_SMRAM_DEFAULT && cf8_rd(0, Q35_ESMRAMC, 1) == Q35_ESMRAMC_DEFAULT,
	      "SMRAM 0x02, ESMRAMC 0x38 (QEMU's reset values)");
	cf8_wr(0, Q35_SMRAM, 1, 0x4a);   /* D_OPEN | G_SMRAME | C_BASE_SEG */
	cf8_wr(0, Q35_ESMRAMC, 1, 0x01); /* T_EN */
	CHECK(cf8_rd(0, Q35_SMRAM, 1) == Q35_SMRAM_DEFAULT && cf8_rd(0, Q35_ESMRAMC, 1) == Q35_ESMRAMC_DEFAULT,
	      "no SMM: SMRAM cannot be opened or enabled, TSEG not enabled");
	cf8_wr(0, Q35_PAM0, 4, 0xffffffff);
	CHECK(cf8_rd(0, Q35_PAM0, 4) == 0x33333330, "PAM0 bits 5:4, PAM1-3 bits 5:4 and 1:0 writable");

	/* LPC: identity, then PlatformPei's PMBASE / ACPI_EN / RCBA (and AcpiTimerLib's check of ACPI_EN). */
	CHECK(cf8_rd(LPC_DEVFN, PCI_VENDOR_ID, 4) == 0x29188086, "00:1f.0 is the ICH9 LPC bridge (8086:2918)");
	CHECK(cf8_rd(LPC_DEVFN, PCI_CLASS_REVISION, 4) >> 8 == 0x060100, "class ISA bridge (OVMF's IS_PCI_LPC)");
	CHECK(cf8_rd(LPC_DEVFN, ICH9_LPC_PMBASE, 4) == 1 && !(cf8_rd(LPC_DEVFN, ICH9_LPC_ACPI_CNTL, 1) & ICH9_LPC_ACPI_EN),
	      "PMBASE reads 1 (I/O), ACPI_EN clear at reset");
	v = cf8_rd(LPC_DEVFN, ICH9_LPC_PMBASE, 4);
	cf8_wr(LPC_DEVFN, ICH9_LPC_PMBASE, 4, (v & ~0xffc0u) | 0x600);
	CHECK(cf8_rd(LPC_DEVFN, ICH9_LPC_PMBASE, 4) == 0x601 && decodes == 0, "PMBASE 0x600 stored; no decode yet");
	cf8_wr(LPC_DEVFN, PCI_COMMAND, 1, cf8_rd(LPC_DEVFN, PCI_COMMAND, 1) | PCI_COMMAND_IO);
	cf8_wr(LPC_DEVFN, ICH9_LPC_ACPI_CNTL, 1, cf8_rd(LPC_DEVFN, ICH9_LPC_ACPI_CNTL, 1) | ICH9_LPC_ACPI_EN);
	CHECK(decodes == 1 && last_on && last_base == 0x600, "ACPI_EN: the block decodes at 0x600");
	cf8_wr(LPC_DEVFN, ICH9_LPC_ACPI_CNTL, 1, ICH9_LPC_ACPI_EN | 0x09);
	CHECK(decodes == 1 && cf8_rd(LPC_DEVFN, ICH9_LPC_ACPI_CNTL, 1) == (ICH9_LPC_ACPI_EN | 1),
	      "SCI_IRQ_SEL bits 2:0 stored, reserved bits not; no new decode");
	cf8_wr(LPC_DEVFN, ICH9_LPC_PMBASE, 2, 0x0733);
	CHECK(decodes == 2 && last_on && last_base == 0x700 && cf8_rd(LPC_DEVFN, ICH9_LPC_PMBASE, 2) == 0x701,
	      "PMBASE moved while enabled: 128-byte aligned, decodes at 0x700");
	cf8_wr(LPC_DEVFN, ICH9_LPC_ACPI_CNTL, 1, 0);
	CHECK(decodes == 3 && !last_on, "ACPI_EN cleared: the block stops decoding");
	cf8_wr(LPC_DEVFN, ICH9_LPC_RCBA, 4, 0xfed1c000 | 1);
	CHECK(cf8_rd(LPC_DEVFN, ICH9_LPC_RCBA, 4) == 0xfed1c001, "RCBA 0xfed1c000 | enable stored");
	cf8_wr(LPC_DEVFN, ICH9_LPC_RCBA, 4, 0xffffffff);
	CHECK(cf8_rd(LPC_DEVFN, ICH9_LPC_RCBA, 4) == 0xffffc001, "RCBA: bits 31:14 and 0 writable");
	CHECK(cf8_rd(LPC_DEVFN, ICH9_LPC_PIRQA_ROUT, 4) == 0x80808080 && cf8_rd(LPC_DEVFN, ICH9_LPC_PIRQE_ROUT, 4) == 0x80808080,
	      "PIRQ[A-H]_ROUT reset to 0x80 (not routed)");
	cf8_wr(LPC_DEVFN, ICH9_LPC_PIRQA_ROUT, 1, 0x0a);
	cf8_wr(LPC_DEVFN, ICH9_LPC_PIRQE_ROUT + 3, 1, 0xff);
	CHECK(cf8_rd(LPC_DEVFN, ICH9_LPC_PIRQA_ROUT, 1) == 0x0a && cf8_rd(LPC_DEVFN, ICH9_LPC_PIRQE_ROUT + 3, 1) == 0x8f,
	      "PIRQ routing bytes: bits 7 and 3:0 stored (OVMF's PciAcpiInitialization)");

	/* PciExBarInitialization: high dword, then low with the enable bit. */
	cf8_wr(0, Q35_PCIEXBAR + 4, 4, 0);
	CHECK(ecam_rd(0xb0000000, 0, 0, 0) == 0xdeadbeef, "the high dword alone enables nothing");
	cf8_wr(0, Q35_PCIEXBAR, 4, 0xb0000001);
	CHECK(cf8_rd(0, Q35_PCIEXBAR, 4) == 0xb0000001, "PCIEXBAR reads back");
	CHECK(ecam_rd(0xb0000000, 0, 0, 0) == 0x29c08086 && ecam_rd(0xb0000000, 0, LPC_DEVFN, 0) == 0x29188086,
	      "config space through the ECAM at 0xb000_0000");
	CHECK(ecam_rd(0xb0000000, 255, 0, 0) == 0xffffffff, "256 buses decode (bus 255 reads all-ones)");
	CHECK(ecam_rd(0xe0000000, 0, 0, 0) == 0xdeadbeef, "nothing at the direct-boot ECAM address");
	cf8_wr(0, Q35_PCIEXBAR, 4, 0xc0000005);   /* 64 MiB at 0xc000_0000 */
	CHECK(ecam_rd(0xb0000000, 0, 0, 0) == 0xdeadbeef && ecam_rd(0xc0000000, 0, 0, 0) == 0x29c08086 &&
	      ecam_rd(0xc0000000, 63, 0, 0) == 0xffffffff && ecam_rd(0xc0000000, 64, 0, 0) == 0xdeadbeef,
	      "PCIEXBAR moved the ECAM (64 MiB: buses 0-63)");
	CHECK(bus_register(&vm.mmio, 0xd0000000, 0x1000, ignore, &vm, "other") == 0, "another device at 0xd000_0000");
	cf8_wr(0, Q35_PCIEXBAR, 4, 0xd0000001);
	CHECK(ecam_rd(0xd0000000, 1, 0, 0) == 0xdeadbeef && !vm.pci->ecam_on, "an ECAM over another device stays off");
	CHECK(cf8_rd(0, PCI_DEVICE_ID, 2) == Q35_MCH_DEVICE, "ports 0xcf8/0xcfc still work");
	cf8_wr(0, Q35_PCIEXBAR, 4, 0xb0000000);
	CHECK(!vm.pci->ecam_on, "PCIEXBAR disabled: no ECAM");
	CHECK(pci_host_set_ecam(vm.pci, 0xb0100000, 2u << 20) == -EINVAL && pci_host_set_ecam(vm.pci, 0, 512u << 20) == -EINVAL,
	      "unaligned or oversized ECAM windows refused");
	cf8_wr(0, Q35_PCIEXBAR, 4, 0xb0000001);
	CHECK(vm.pci->ecam_on && vm.pci->ecam_base == 0xb0000000, "and back at 0xb000_0000");

	pci_host_destroy(&vm);
	bus_unregister(&vm.mmio, 0xd0000000, &vm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	return tap_done();
}
