/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entry of the SMMUv3 conformance payload, with the arm64 Image header of
 * Documentation/arch/arm64/booting.rst section 4 so `nestvm run --kernel` loads it like Linux
 * (src/arch/arm64/image.c checks the magic, text_offset, image_size and the flags).
 *
 * Entered at EL1 with the MMU and caches off, X0 = device tree (unused). We turn on an identity map
 * first: with the MMU off every data access is Device-nGnRnE and non-cacheable, while nestvm's SMMU
 * model reads and writes our queues and tables through a cacheable host mapping; Normal write-back
 * memory makes both views coherent (ARM ARM D8.2, D8.6: memory types; B2.8: mismatched attributes).
 */
/* adr_l: a PC-relative address beyond adr's +-1 MiB. */
	.macro	adr_l, reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
	.endm

	.section .head.text, "ax"
	b	start                   /* code0 */
	.long	0                       /* code1 */
	.quad	0                       /* text_offset: load at the 2 MiB aligned RAM base */
	.quad	_image_size             /* image_size, including the BSS */
	.quad	2                       /* flags: little-endian (bit 0 = 0), 4K pages (bits 2:1 = 01) */
	.quad	0, 0, 0                 /* res2-res4 */
	.ascii	"ARM\x64"               /* magic at 0x38 */
	.long	0                       /* res5: no PE/COFF header */

	.text
start:
	/* MAIR_EL1 (ARM ARM D19.2.97): Attr0 Device-nGnRnE (0x00), Attr1 Normal inner/outer WB RW-allocate (0xff). */
	mov	x1, #0xff00
	msr	mair_el1, x1
	/* TCR_EL1 (D19.2.139): T0SZ 25 (39-bit VA, walk starts at level 1), IRGN0/ORGN0 WB (01), SH0 inner
	 * shareable (11), TG0 4K (00), EPD1 (no TTBR1 walks), IPS 010 (40-bit PA: the PCIe ECAM at
	 * 0x40_1000_0000 is the highest thing mapped). */
	ldr	x1, =(25 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23) | (2 << 32))
	msr	tcr_el1, x1
	adrp	x1, pgtable
	msr	ttbr0_el1, x1
	isb
	tlbi	vmalle1
	ic	iallu
	dsb	nsh
	isb
	/* SCTLR_EL1 (D19.2.118): M (0), C (2), I (12). */
	mrs	x1, sctlr_el1
	ldr	x2, =((1 << 0) | (1 << 2) | (1 << 12))
	orr	x1, x1, x2
	msr	sctlr_el1, x1
	isb

	adr_l	x1, vectors
	msr	vbar_el1, x1
	isb
	/* Zero the BSS (tables, queues, stack) with 16-byte stores; Normal memory from here on. */
	adr_l	x1, _bss
	adr_l	x2, _ebss
1:	cmp	x1, x2
	b.hs	2f
	stp	xzr, xzr, [x1], #16
	b	1b
2:	adr_l	x1, stack_top
	mov	sp, x1
	bl	main
	b	psci_system_off

/* PSCI SYSTEM_OFF (DEN0022 5.1.10, function ID 0x8400_0008) over HVC: KVM's in-kernel PSCI ends
 * the VM and nestvm exits 0. */
	.global psci_system_off
psci_system_off:
	ldr	x0, =0x84000008
	hvc	#0
3:	wfi
	b	3b

/* Any exception is a payload bug or a model that faulted us: report it and power off. */
	.balign	2048
vectors:
	.irp	n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.balign	128
	mov	x0, #\n
	b	exception
	.endr
exception:
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	adr_l	x4, stack_top           /* the stack may be what broke */
	mov	sp, x4
	bl	tap_exception
	b	psci_system_off

/*
 * Stage-1 translation table, level 1 (4K granule, 1 GiB blocks; D8.3): an identity map of
 * [0, 1 GiB) as Device-nGnRnE, execute-never (PL011 0x0900_0000, SMMU 0x0905_0000, PCIe MMIO32
 * BARs from 0x1000_0000), [1 GiB, 2 GiB) as Normal write-back, inner shareable (RAM at 0x4000_0000),
 * and [256 GiB, 257 GiB) as Device (PCIe ECAM at 0x40_1000_0000, for payloads that drive PCI
 * functions). Block descriptor: bits[1:0] 01, AttrIndx[4:2], SH[9:8], AF[10], PXN[53], UXN[54].
 */
	.section .data.pgtable, "aw"
	.balign	4096
pgtable:
	.quad	0x00000000 | (1 << 10) | (0 << 2) | 1 | (3 << 53)
	.quad	0x40000000 | (1 << 10) | (3 << 8) | (1 << 2) | 1
	.fill	254, 8, 0
	.quad	0x4000000000 | (1 << 10) | (0 << 2) | 1 | (3 << 53)
	.fill	255, 8, 0

	.section .bss.stack, "aw", %nobits
	.balign	16
	.space	16384
stack_top:
