// SPDX-License-Identifier: GPL-2.0-only
/*
 * 64-bit entry state. boot.rst: long mode with paging, identity mapping covering the kernel, the
 * zero page and the command line; a GDT with __BOOT_CS (0x10, execute/read) and __BOOT_DS (0x18,
 * read/write) flat 4 GiB descriptors; CS = __BOOT_CS, DS/ES/SS = __BOOT_DS; interrupts off;
 * RSI = the zero page.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86_64/boot64.h"
#include "arch/x86_64/layout.h"
#include "vmm/log.h"

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_PS  (1ull << 7)     /* 2 MiB page in a PD entry (Intel SDM Vol. 3A 4.5) */

#define CR0_PE  (1ull << 0)
#define CR0_ET  (1ull << 4)
#define CR0_PG  (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)

#define BOOT_CS 0x10
#define BOOT_DS 0x18
#define BOOT_TSS 0x20

/* Descriptors (SDM Vol. 3A 3.4.5): flat, G=1; code L=1 (64-bit), data D/B=1. */
static const uint64_t gdt[] = {
	0,
	0,
	0x00af9b000000ffffull,   /* 0x10: code, present, DPL0, execute/read, accessed, L */
	0x00cf93000000ffffull,   /* 0x18: data, present, DPL0, read/write, accessed */
	0x00008b0000000067ull,   /* 0x20: 64-bit TSS (busy), base 0, limit 0x67 */
	0,
};

void boot64_page_tables(uint64_t *pml4, uint64_t *pdpt, uint64_t *pd)
{
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	memset(pd, 0, 4096 * X86_PT_GIB);
	pml4[0] = X86_PDPT_ADDR | PTE_P | PTE_RW;
	for (uint64_t g = 0; g < X86_PT_GIB; g++) {
		pdpt[g] = (X86_PD_ADDR + g * 4096) | PTE_P | PTE_RW;
		for (uint64_t i = 0; i < 512; i++)
			pd[g * 512 + i] = (g << 30 | i << 21) | PTE_P | PTE_RW | PTE_PS;
	}
}

int boot64_write_tables(const struct guest_mem *gm)
{
	uint64_t *pml4 = gmem_ptr(gm, X86_PML4_ADDR, 4096);
	uint64_t *pdpt = gmem_ptr(gm, X86_PDPT_ADDR, 4096);
	uint64_t *pd = gmem_ptr(gm, X86_PD_ADDR, 4096 * X86_PT_GIB);

	if (!pml4 || !pdpt || !pd || gmem_write(gm, X86_GDT_ADDR, gdt, sizeof(gdt))) {
		pr_err("boot: guest RAM does not hold the boot page tables");
		return -EFAULT;
	}
	boot64_page_tables(pml4, pdpt, pd);
	return 0;
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, bool code)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1, .dpl = 0,
		.db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

int boot64_set_regs(int vcpu_fd, unsigned int id, uint64_t entry, uint64_t zero_page)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return err_errno("KVM_GET_SREGS vCPU %u", id);
	sregs.cs = seg(BOOT_CS, 0xb, true);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg(BOOT_DS, 0x3, false);
	sregs.tr = (struct kvm_segment){ .base = 0, .limit = 0x67, .selector = BOOT_TSS, .type = 0xb, .present = 1 };
	sregs.gdt.base = X86_GDT_ADDR;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;        /* no IDT: the kernel installs its own before enabling interrupts */
	sregs.cr3 = X86_PML4_ADDR;
	sregs.cr4 = CR4_PAE;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_PG;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return err_errno("KVM_SET_SREGS vCPU %u", id);

	/* x87 and SSE in their reset state (FCW 0x37f, MXCSR 0x1f80: SDM Vol. 1 8.1.5, 10.2.3.1). */
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return err_errno("KVM_SET_FPU vCPU %u", id);

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;          /* reserved bit 1; IF clear */
	regs.rip = entry;
	regs.rsi = zero_page;
	regs.rsp = regs.rbp = X86_BOOT_STACK;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return err_errno("KVM_SET_REGS vCPU %u", id);
	return 0;
}
