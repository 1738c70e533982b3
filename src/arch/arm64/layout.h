/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The arm64 guest physical memory map, QEMU `virt` compatible (hw/arm/virt.c base_memmap and
 * extended_memmap with RAM below 256 GiB) so firmware written for `virt` (AAVMF/EDK2) fits unchanged.
 *
 *   0x0000_0000  flash bank 0: UEFI code (64 MiB)  0x0400_0000  flash bank 1: UEFI vars (64 MiB)   (--firmware)
 *   0x0800_0000  GICv3 distributor (64K)          0x0808_0000  GIC ITS (128K)
 *   0x080a_0000  GICv3 redistributors (123 CPUs)  0x0900_0000  PL011 UART (4K), SPI 1
 *   0x0901_0000  PL031 RTC (4K), SPI 2 (--firmware) 0x0902_0000  fw_cfg (0x18 bytes) (--firmware)
 *   0x0903_0000  PL061 GPIO (4K), SPI 7: line 3 is the power button
 *   (with assigned devices behind the nested vSMMUv3: ITS 0x07ff_0000, distributor 0x0801_0000, below;
 *   the vars bank then ends one 256K block early, at 0x07fc_0000)
 *   0x0905_0000  SMMUv3 (128K), SPIs 74..77 (--viommu smmuv3)
 *   0x1000_0000  PCIe MMIO32 window               0x3eff_0000  PCIe PIO window (64K)
 *   0x4000_0000  RAM (up to 255 GiB)              0x40_1000_0000  PCIe ECAM (256 buses)
 *   0x80_0000_0000  PCIe MMIO64 window (512 GiB), which ends at 1 TiB: a 40-bit IPA space.
 */
#ifndef NESTVM_ARM64_LAYOUT_H
#define NESTVM_ARM64_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#define SZ_2M           0x200000ull

/* QEMU virt VIRT_FLASH: two banks of 256 KiB blocks, a 32-bit bus of two x16 devices (AAVMF's NOR driver). */
#define ARM64_FLASH_BASE        0x00000000ull
#define ARM64_FLASH_BANK_SIZE   0x04000000ull
#define ARM64_FLASH_BLOCK       0x40000ull

#define ARM64_GIC_DIST_BASE     0x08000000ull
#define ARM64_GIC_DIST_SIZE     0x00010000ull
#define ARM64_GIC_ITS_BASE      0x08080000ull
#define ARM64_GIC_ITS_SIZE      0x00020000ull
#define ARM64_GITS_TRANSLATER   0x10000ull      /* the doorbell frame's offset in the ITS (IHI0069 12.19) */
/*
 * The nested-MSI GIC placement. An assigned device's MSI write goes through the guest's stage 1,
 * which maps it to the guest ITS doorbell, then through our stage 2, where iommufd maps the HOST ITS
 * doorbell at the host SMMU's software MSI window (arm-smmu-v3 MSI_IOVA_BASE) and nowhere else: the
 * guest doorbell must sit exactly there (docs/viommu.md). So the ITS moves down by 0x9_0000 (its
 * control frame takes the last 64K of QEMU virt's second flash bank) and the distributor into QEMU
 * virt's GICv2 CPU-interface slot, unused with GICv3.
 */
#define ARM64_HOST_SW_MSI_BASE  0x08000000ull
#define ARM64_GIC_ITS_BASE_NESTED  (ARM64_HOST_SW_MSI_BASE - ARM64_GITS_TRANSLATER)
#define ARM64_GIC_DIST_BASE_NESTED 0x08010000ull
#define ARM64_GIC_REDIST_BASE   0x080a0000ull
#define ARM64_GIC_REDIST_SIZE   0x00f60000ull
#define ARM64_GIC_REDIST_STRIDE 0x20000ull      /* RD_base + SGI_base frames, IHI0069 12.10 */
#define ARM64_UART_BASE         0x09000000ull
#define ARM64_UART_SIZE         0x1000ull
#define ARM64_RTC_BASE          0x09010000ull   /* QEMU virt VIRT_RTC */
#define ARM64_RTC_SIZE          0x1000ull
#define ARM64_FW_CFG_BASE       0x09020000ull   /* QEMU virt VIRT_FW_CFG */
#define ARM64_GPIO_BASE         0x09030000ull   /* QEMU virt VIRT_GPIO: PL061, the power button */
#define ARM64_GPIO_SIZE         0x1000ull
#define ARM64_SMMU_BASE         0x09050000ull   /* QEMU virt VIRT_SMMU */
#define ARM64_SMMU_SIZE         0x20000ull      /* register pages 0 and 1 (IHI 0070 6.1) */
#define ARM64_PCI_MMIO32_BASE   0x10000000ull
#define ARM64_PCI_MMIO32_SIZE   0x2eff0000ull
#define ARM64_PCI_PIO_BASE      0x3eff0000ull
#define ARM64_PCI_PIO_SIZE      0x10000ull
#define ARM64_RAM_BASE          0x40000000ull
#define ARM64_RAM_MAX           (0x4000000000ull - ARM64_RAM_BASE)  /* up to the extended map at 256 GiB */
#define ARM64_PCI_ECAM_BASE     0x4010000000ull
#define ARM64_PCI_ECAM_SIZE     0x10000000ull
#define ARM64_PCI_MMIO64_BASE   0x8000000000ull
#define ARM64_PCI_MMIO64_SIZE   0x8000000000ull

/* Interrupts, as GIC SPI numbers (INTID - 32), like QEMU virt's a15irqmap. */
#define ARM64_UART_SPI          1
#define ARM64_RTC_SPI           2               /* described; the model raises no interrupt (devices/pl031.h) */
#define ARM64_PCI_INTX_SPI      3               /* INTA..INTD: SPIs 3..6 */
#define ARM64_GPIO_SPI          7               /* PL061 GPIOINTR (QEMU virt's too) */
#define ARM64_POWER_KEY_LINE    3               /* PL061 line of the gpio-keys KEY_POWER (as QEMU virt) */
#define ARM64_SMMU_SPI          74              /* eventq, priq, cmdq-sync, gerror: SPIs 74..77 */
#define ARM64_GIC_NR_IRQS       256             /* 32 private + 224 SPIs (KVM_DEV_ARM_VGIC_GRP_NR_IRQS) */

/* PPIs of the architected timer (INTID - 16), as QEMU virt and the Arm BSA use them. */
#define ARM64_TIMER_PPI_SEC     13
#define ARM64_TIMER_PPI_PHYS    14
#define ARM64_TIMER_PPI_VIRT    11
#define ARM64_TIMER_PPI_HYP     10

/* Where the GIC distributor and ITS are (the redistributors never move). */
struct arm64_gic_map {
	uint64_t dist, its;
};

/* QEMU virt's placement, or the nested-MSI one when assigned devices sit behind a nested vSMMU. */
const struct arm64_gic_map *arm64_gic_map(bool nested_msi);

/*
 * The vars flash bank's guest-visible size with the ITS at ITS. The nested-MSI ITS control frame
 * takes [0x07ff_0000, 0x0800_0000), the last 64K of QEMU virt's vars bank: the bank then ends at the
 * 256K block before it (ARM64_FLASH_BANK_SIZE - 256K). AAVMF sizes the bank from the device tree's
 * reg and keeps its variable store, fault-tolerant-write working block and spare at the bank's start
 * (768K), so the lost block costs nothing. 0 if nothing would be left.
 */
uint64_t arm64_flash_vars_size(uint64_t its);

/* Guest physical address bits the map needs (KVM_VM_TYPE_ARM_IPA_SIZE). */
unsigned int arm64_ipa_bits(void);

#endif
