/* SPDX-License-Identifier: GPL-2.0-only */
/* Entering Linux in 64-bit mode directly: page tables, GDT and vCPU registers (boot.rst "64-bit BOOT PROTOCOL"). */
#ifndef NESTVM_X86_BOOT64_H
#define NESTVM_X86_BOOT64_H

#include <stdint.h>

#include "vmm/guest_mem.h"

#define EFER_LMA (1ull << 10)   /* long mode active (SDM Vol. 3A 2.2.1) */

/* GDT and identity-mapped page tables (2 MiB pages, 0-4 GiB) at their layout.h addresses. */
int boot64_write_tables(const struct guest_mem *gm);
/* Long mode, flat __BOOT_CS/__BOOT_DS, RIP = ENTRY, RSI = zero page. */
int boot64_set_regs(int vcpu_fd, unsigned int id, uint64_t entry, uint64_t zero_page);

/* Fills a PML4, a PDPT and X86_PT_GIB PDs (4 KiB each, PD pages contiguous) for their layout.h addresses. */
void boot64_page_tables(uint64_t *pml4, uint64_t *pdpt, uint64_t *pd);

#endif
