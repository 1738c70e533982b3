/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The x86_64 guest physical address map (close to Firecracker's and cloud-hypervisor's):
 *
 *   0x0000_0500  GDT (boot descriptors __BOOT_CS 0x10, __BOOT_DS 0x18, TSS 0x20)
 *   0x0000_7000  zero page (struct boot_params)
 *   0x0000_8ff0  boot stack top
 *   0x0000_9000  PML4, 0xa000 PDPT, 0xb000-0xefff four PDs: 2 MiB pages identity-mapping 0-4 GiB
 *   0x0002_0000  kernel command line
 *   0x0009_fc00  EBDA .. 0x10_0000 reserved in e820 (EBDA, VGA hole, BIOS area)
 *   0x000e_0000  ACPI: RSDP (where OSPM scans for it, ACPI 6.5 5.2.5.1), then the tables, 64 KiB
 *   0x000f_fff0  reset vector: a stub that resets the guest (reset_vector.c)
 *   0x0010_0000  RAM continues up to the guest's size, at most 3 GiB (ram_max)
 *   0xc000_0000  PCI MMIO32 window, 512 MiB        } the 32-bit PCI hole: nothing but
 *   0xe000_0000  PCI ECAM, 1 MiB per bus (bus 0)    } devices between 3 GiB and 4 GiB
 *   0xfec0_0000  IOAPIC
 *   0xfee0_0000  LAPIC
 *   0xfffb_c000  KVM identity-map page, 0xfffb_d000 KVM TSS (3 pages; used by VMX only)
 *   0x10_0000_0000  PCI MMIO64 window, 64 GiB (below 2^37, inside any host's MAXPHYADDR)
 *
 * Port I/O: 0x3f8 COM1, 0x600-0x602 ACPI sleep control/status/reset, 0xcf9 reset control, 0x60/0x64
 * i8042 (reset command only), 0x80 POST port, 0xcf8/0xcfc PCI config, 0x1000-0xffff PCI I/O window.
 * RAM is one region from 0 (vm.c), so guests are limited to 3 GiB until RAM can be split around the
 * hole.
 *
 * UEFI firmware boot (--firmware: Debian's OVMF, firmware.c) uses QEMU q35's map where OVMF builds it
 * in, and the map above elsewhere:
 *   0x0000_0000  RAM, at most 2.75 GiB (OVMF's Q35 code puts the ECAM at a build-time 0xb000_0000)
 *   0xb000_0000  PCI ECAM, 256 MiB (256 buses), decoded once the guest enables the MCH's PCIEXBAR
 *   0xc000_0000  PCI MMIO32 window up to 0xfc00_0000 (OVMF's 32-bit aperture: ECAM end to 0xfc00_0000)
 *   0xfec0_0000  IOAPIC, 0xfed9_0000 VT-d, 0xfee0_0000 LAPIC (as above)
 *   0xfeff_c000  KVM identity-map page, 0xfeff_d000 KVM TSS (QEMU's place: below the flash)
 *   0xffc0_0000  flash: the vars image (OVMF_VARS_4M.fd, 528 KiB), the code image above it up to 4 GiB
 *   0x10_0000_0000  PCI MMIO64 window, 64 GiB (OVMF told its size through fw_cfg, so it aligns it here)
 * Port I/O adds 0x70/0x71 CMOS RTC, 0x510-0x51b fw_cfg, the ICH9 ACPI block at the LPC bridge's PMBASE
 * (OVMF programs 0x600) and the hardware-reduced sleep/reset registers at 0x680 instead of 0x600.
 */
#ifndef NESTVM_X86_LAYOUT_H
#define NESTVM_X86_LAYOUT_H

#define X86_GDT_ADDR        0x500ull
#define X86_ZERO_PAGE_ADDR  0x7000ull
#define X86_BOOT_STACK      0x8ff0ull
#define X86_PML4_ADDR       0x9000ull
#define X86_PDPT_ADDR       0xa000ull
#define X86_PD_ADDR         0xb000ull        /* four PDs, 0xb000-0xefff */
#define X86_PT_GIB          4                /* identity-mapped GiB */
#define X86_CMDLINE_ADDR    0x20000ull
#define X86_CMDLINE_MAX     0x10000ull       /* our limit; the kernel's cmdline_size also applies */
#define X86_EBDA_START      0x9fc00ull
#define X86_HIGH_RAM_START  0x100000ull
#define X86_ACPI_ADDR       0xe0000ull       /* RSDP; tables follow, up to 1 MiB */
#define X86_ACPI_SIZE       0x10000ull
#define X86_RESET_VECTOR    0xffff0ull       /* F000:FFF0 */

#define X86_HOLE_START      0xc0000000ull    /* 32-bit PCI hole: 3 GiB - 4 GiB */
#define X86_MMIO32_BASE     0xc0000000ull
#define X86_MMIO32_SIZE     0x20000000ull
#define X86_ECAM_BASE       0xe0000000ull
/*
 * ECAM room for bus 0 and the root ports' buses (1 MiB each, PCIe 4.0 7.2.2). The MCFG and PCI0's
 * _CRS announce only the buses that exist: Linux takes the MCFG's last bus as pcibios_last_bus and
 * probes every slot of every bus above 0 it did not find through ports 0xcf8/0xcfc
 * (arch/x86/pci/legacy.c pcibios_fixup_peer_bridges): with 256 buses that was 8160 config reads,
 * 16k port exits per boot.
 */
#define X86_PCI_BUSES       32
#define X86_ECAM_SIZE       (X86_PCI_BUSES * 0x100000ull)
#define X86_IOAPIC_ADDR     0xfec00000ull
#define X86_VTD_ADDR        0xfed90000ull    /* --viommu vtd: the remapping unit's register page (DMAR DRHD) */
#define X86_LAPIC_ADDR      0xfee00000ull
/* IA32_APIC_BASE (MSR 0x1b, SDM Vol. 3A 11.4.4, 11.12.1): BSP 8, EXTD 10 (x2APIC mode), EN 11. */
#define X86_MSR_APIC_BASE   0x1b
#define X86_APIC_BASE_BSP   (1ull << 8)
#define X86_APIC_BASE_EXTD  (1ull << 10)
#define X86_APIC_BASE_EN    (1ull << 11)
#define X86_XAPIC_MAX_CPUS  255              /* xAPIC ids 0-254 (0xff: broadcast); above, x2APIC ids */
#define X86_MADT_MAX_CPUS   1024             /* what the ACPI area holds beside the other tables */
#define X86_IDENTITY_MAP    0xfffbc000ull
#define X86_TSS_ADDR        0xfffbd000ull
#define X86_MMIO64_BASE     0x1000000000ull
#define X86_MMIO64_SIZE     0x1000000000ull

/* Firmware boot (see above). */
#define X86_FW_RAM_MAX      0xb0000000ull
#define X86_FW_ECAM_BASE    0xb0000000ull    /* OVMF's PcdPciExpressBaseAddress */
#define X86_FW_ECAM_SIZE    0x10000000ull
#define X86_FW_MMIO32_BASE  0xc0000000ull
#define X86_FW_MMIO32_SIZE  0x3c000000ull
#define X86_FW_IDENTITY_MAP 0xfeffc000ull
#define X86_FW_TSS_ADDR     0xfeffd000ull
#define X86_FW_KVM_RESERVED 0x4000ull        /* identity map + TSS, reserved in etc/e820 */
#define X86_FW_FLASH_END    0x100000000ull
#define X86_FW_FLASH_SIZE   0x400000ull
#define X86_FW_PMBASE       0x600            /* OVMF's PcdAcpiPmBaseAddress, what the FADT names */
#define X86_FW_SLEEP_PORT   0x680            /* the hardware-reduced registers, past ICH9's 128-byte block */
#define X86_CMOS_PORT       0x70

#define X86_PCI_PIO_BASE    0x1000
#define X86_PCI_PIO_SIZE    0xf000

#define X86_COM1_PORT       0x3f8
#define X86_COM1_IRQ        4
#define X86_GED_IRQ         5                /* the Generic Event Device (power button), edge, IOAPIC pin 5 */
#define X86_PM_PORT         0x600            /* +0 SLEEP_CONTROL, +1 SLEEP_STATUS, +2 RESET */
#define X86_PM_LEN          3
#define X86_RESET_VALUE     0x06             /* what the FADT's RESET_REG takes (as 0xcf9's hard reset) */
#define X86_RCR_PORT        0xcf9            /* reset control register (Intel ICH/PCH datasheets) */
#define X86_I8042_DATA      0x60
#define X86_I8042_CMD       0x64
#define X86_POST_PORT       0x80

#define X86_IOAPIC_PINS     24
#define X86_S5_SLP_TYP      5                /* the \_S5 value our DSDT gives, checked on SLEEP_CONTROL writes */

#endif
