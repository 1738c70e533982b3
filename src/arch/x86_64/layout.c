// SPDX-License-Identifier: GPL-2.0-only
/* The x86_64 memory map (see layout.h) as the generic code sees it. */
#include "arch/arch.h"
#include "arch/x86_64/layout.h"
#include "vmm/config.h"

const struct arch_layout arch_layout = {
	.ram_base = 0,
	.ram_max = X86_HOLE_START,
	.pci_ecam_base = X86_ECAM_BASE,
	.pci_ecam_size = X86_ECAM_SIZE,
	.pci_mmio32_base = X86_MMIO32_BASE,
	.pci_mmio32_size = X86_MMIO32_SIZE,
	.pci_mmio64_base = X86_MMIO64_BASE,
	.pci_mmio64_size = X86_MMIO64_SIZE,
	.pci_pio_base = X86_PCI_PIO_BASE,
	.pci_pio_size = X86_PCI_PIO_SIZE,
	.pci_irq_base = 16,     /* IOAPIC pins 16-23 (unused while PCI functions have no INTx) */
	.pci_cf8 = true,
};

/* --firmware: QEMU q35's map where OVMF hard-codes it (layout.h). */
static const struct arch_layout fw_layout = {
	.ram_base = 0,
	.ram_max = X86_FW_RAM_MAX,
	.pci_ecam_base = X86_FW_ECAM_BASE,
	.pci_ecam_size = X86_FW_ECAM_SIZE,
	.pci_mmio32_base = X86_FW_MMIO32_BASE,
	.pci_mmio32_size = X86_FW_MMIO32_SIZE,
	.pci_mmio64_base = X86_MMIO64_BASE,
	.pci_mmio64_size = X86_MMIO64_SIZE,
	.pci_pio_base = X86_PCI_PIO_BASE,
	.pci_pio_size = X86_PCI_PIO_SIZE,
	.pci_irq_base = 16,
	.pci_cf8 = true,
};

const struct arch_layout *arch_vm_layout(const struct vm_config *cfg)
{
	return cfg && cfg->firmware ? &fw_layout : &arch_layout;
}

/*
 * OVMF's 4M build: code and vars are one 4 MiB flash device image split in two, mapped so that it
 * ends at 4 GiB (the reset vector is the code's last 16 bytes), vars below the code. 4 KiB blocks,
 * as OVMF's QemuFlashFvbServicesRuntimeDxe erases them.
 */
const struct arch_flash_layout arch_flash_layout = {
	.images = "OVMF's 4M layout (OVMF_CODE_4M.fd with OVMF_VARS_4M.fd: 4 MiB together)",
	.block = 0x1000,
	.total = 4ull << 20,
};

int arch_kvm_vm_type(int kvm_fd)
{
	return 0;   /* KVM_X86_DEFAULT_VM */
}
