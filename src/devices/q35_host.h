/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Q35 (Intel 3 Series / ICH9) memory controller hub as host bridge 00:00.0, as QEMU's q35 machine
 * shows it to firmware: OVMF's PlatformPei reads 00:00.0's device ID (0x29c0) and runs its Q35 code,
 * which programs PCIEXBAR and then reaches every config space through that ECAM (PCIe 4.0 7.2.2).
 * Registers (Intel 3 Series Express Chipset Family datasheet, 5.1 "DRAM Controller Registers (D0:F0)"):
 *   0x60 PCIEXBAR (64-bit): bit 0 enable, bits 2:1 length (00 256 MiB, 01 128 MiB, 10 64 MiB, 11
 *        reserved), bits 35:26 the base (its bits below the length are ignored); writing it moves the
 *        PCI host's ECAM (pci_host_set_ecam). Off at reset: firmware uses ports 0xcf8/0xcfc until then.
 *   0x90-0x96 PAM0-PAM6: readable and writable (PAM0 bits 5:4, the others bits 5:4 and 1:0), without
 *        effect: the BIOS areas 0xc0000-0xfffff are RAM either way (no shadow ROM).
 *   0x9d SMRAM, 0x9e ESMRAMC: read-only at QEMU's reset values (0x02: compatible SMRAM closed, not
 *        enabled; 0x38): this machine has no SMM, so SMRAM can be neither opened nor enabled, and
 *        OVMF built without SMM (Debian's OVMF_CODE_4M.fd) never writes them.
 *   0xb0 TOLUD (16-bit): bits 15:4 = bits 31:20 of the top of low usable DRAM, read-only.
 * The rest of the device-specific space reads 0 and ignores writes.
 */
#ifndef NESTVM_Q35_HOST_H
#define NESTVM_Q35_HOST_H

#include <stdint.h>

struct pci_host;

#define Q35_MCH_VENDOR          0x8086
#define Q35_MCH_DEVICE          0x29c0
#define Q35_PCIEXBAR            0x60
#define Q35_PCIEXBAR_EN         0x1ull
#define Q35_PCIEXBAR_LEN_SHIFT  1
#define Q35_PCIEXBAR_LEN_MASK   0x6ull
#define Q35_PCIEXBAR_ADDR_MASK  0xffc000000ull   /* bits 35:26 */
#define Q35_PAM0                0x90
#define Q35_PAM_COUNT           7
#define Q35_SMRAM               0x9d
#define Q35_SMRAM_DEFAULT       0x02
#define Q35_ESMRAMC             0x9e
#define Q35_ESMRAMC_DEFAULT     0x38
#define Q35_TOLUD               0xb0

/*
 * Turns H's host bridge into the Q35 MCH with TOLUD (a multiple of 1 MiB below 4 GiB) as the top of
 * low RAM, and takes the ECAM out until the guest enables PCIEXBAR. Before the guest runs.
 */
void q35_host_init(struct pci_host *h, uint64_t tolud);
/* The ECAM window a PCIEXBAR value selects: 0 (*SIZE 0) when disabled or of a reserved length. */
uint64_t q35_pciexbar_decode(uint64_t pciexbar, uint64_t *size);

#endif
