/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's educational PCI device "edu" (QEMU docs/specs/edu.rst, hw/misc/edu.c): 1234:11e8, BAR0 is
 * 1 MiB of MMIO. Registers below 0x80 take 4-byte accesses only, the DMA registers 4 or 8 bytes.
 */
#ifndef NESTVM_GUEST_EDU_H
#define NESTVM_GUEST_EDU_H

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_BAR0_SIZE		(1u << 20)

#define EDU_ID			0x00	/* RO: 0xRRrr00ed, major.minor version 1.0 */
#define  EDU_ID_VALUE		0x010000edu
#define EDU_LIVENESS		0x04	/* RW: reads back the bitwise inverse of what was written */
#define EDU_FACT		0x08	/* RW: write n to compute n!; read the result when done */
#define EDU_STATUS		0x20	/* RW */
#define  EDU_STATUS_COMPUTING	0x01	/* RO: the factorial is being computed */
#define  EDU_STATUS_IRQFACT	0x80	/* RW: raise FACT_IRQ when a factorial is done */
#define EDU_IRQ_STATUS		0x24	/* RO: pending interrupt causes */
#define EDU_IRQ_RAISE		0x60	/* WO: OR the value into the irq status and interrupt */
#define EDU_IRQ_ACK		0x64	/* WO: clear these irq status bits */
#define  EDU_IRQ_FACT		0x00000001
#define  EDU_IRQ_DMA		0x00000100
#define EDU_DMA_SRC		0x80	/* RW, 64-bit: source address */
#define EDU_DMA_DST		0x88	/* RW, 64-bit: destination address */
#define EDU_DMA_COUNT		0x90	/* RW, 64-bit: bytes to transfer */
#define EDU_DMA_CMD		0x98	/* RW, 64-bit: */
#define  EDU_DMA_RUN		0x1	/* start; reads 1 until the transfer is done */
#define  EDU_DMA_TO_RAM		0x2	/* direction: 0 RAM -> device buffer, 1 device buffer -> RAM */
#define  EDU_DMA_IRQ		0x4	/* raise EDU_IRQ_DMA when done */

/* The device's DMA buffer, addressed at this offset in the device's own space: 4 KiB. A transfer
 * completes on a 100 ms QEMU_CLOCK_VIRTUAL timer after the command is written. */
#define EDU_DMA_BUF		0x40000
#define EDU_DMA_BUF_SIZE	4096u

#endif
