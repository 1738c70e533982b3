// SPDX-License-Identifier: GPL-2.0-only
/* The arm64 memory map as the generic code sees it (see layout.h for the picture). */
#include "arch/arm64/layout.h"

#include "arch/arch.h"

const struct arch_layout arch_layout = {
	.ram_base = ARM64_RAM_BASE,
	.ram_max = ARM64_RAM_MAX,
	.pci_ecam_base = ARM64_PCI_ECAM_BASE,
	.pci_ecam_size = ARM64_PCI_ECAM_SIZE,
	.pci_mmio32_base = ARM64_PCI_MMIO32_BASE,
	.pci_mmio32_size = ARM64_PCI_MMIO32_SIZE,
	.pci_mmio64_base = ARM64_PCI_MMIO64_BASE,
	.pci_mmio64_size = ARM64_PCI_MMIO64_SIZE,
	/* The PIO window (ARM64_PCI_PIO_*) is memory-mapped and described in the device tree, but the
	 * generic PCI code treats this field as x86 port I/O: offer no I/O BAR space. */
	.pci_pio_base = 0,
	.pci_pio_size = 0,
	.pci_irq_base = ARM64_PCI_INTX_SPI,     /* SPI number; also the GSI under KVM's default routing */
	.pci_cf8 = false,
};

/* QEMU virt: two 64 MiB flash banks of 256 KiB blocks, code at 0, vars at 0x0400_0000 (hw/arm/virt.c VIRT_FLASH). */
const struct arch_flash_layout arch_flash_layout = {
	.images = "QEMU virt's flash banks (AAVMF_CODE.fd and AAVMF_VARS.fd: 64 MiB each)",
	.block = ARM64_FLASH_BLOCK,
	.code_size = ARM64_FLASH_BANK_SIZE,
	.vars_size = ARM64_FLASH_BANK_SIZE,
};

const struct arm64_gic_map *arm64_gic_map(bool nested_msi)
{
	static const struct arm64_gic_map virt = { .dist = ARM64_GIC_DIST_BASE, .its = ARM64_GIC_ITS_BASE };
	static const struct arm64_gic_map nested = { .dist = ARM64_GIC_DIST_BASE_NESTED, .its = ARM64_GIC_ITS_BASE_NESTED };

	return nested_msi ? &nested : &virt;
}

unsigned int arm64_ipa_bits(void)
{
	uint64_t top = ARM64_PCI_MMIO64_BASE + ARM64_PCI_MMIO64_SIZE - 1;   /* highest byte of the map */

	return 64 - __builtin_clzll(top);
}

uint64_t arm64_flash_vars_size(uint64_t its)
{
	const uint64_t vars = ARM64_FLASH_BASE + ARM64_FLASH_BANK_SIZE;

	if (its >= vars + ARM64_FLASH_BANK_SIZE || its + ARM64_GIC_ITS_SIZE <= vars)
		return ARM64_FLASH_BANK_SIZE;
	return its > vars ? (its & ~(ARM64_FLASH_BLOCK - 1)) - vars : 0;
}

const struct arch_layout *arch_vm_layout(const struct vm_config *cfg)
{
	(void)cfg;
	return &arch_layout;   /* AAVMF finds the machine in the device tree */
}
