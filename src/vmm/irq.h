/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupt plumbing over KVM: wired lines (KVM_IRQ_LINE), and the GSI routing table for MSIs that
 * devices deliver through irqfds. KVM_SET_GSI_ROUTING replaces the whole table, so we keep it here.
 */
#ifndef NESTVM_IRQ_H
#define NESTVM_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct kvm_irq_routing_entry;

/* An MSI route as its device programmed it, before the vIOMMU's translation: what re-translation starts from. */
struct irq_msi_src {
	uint32_t gsi, data, devid;
	uint64_t addr;
	bool live;              /* translated and in KVM's table; false: the vIOMMU aborts it, no route */
};

struct irq_routes {
	pthread_mutex_t lock;
	struct kvm_irq_routing_entry *e;
	unsigned int nr, cap;
	uint32_t next_gsi;      /* GSIs below this are taken (arch reserves the wired ones first) */
	bool msi_devid;         /* arm64 ITS: MSIs carry the requester id (KVM_MSI_VALID_DEVID) */
	/* x86: an MSI is a write below 4 GiB (0xFEEx_xxxx, SDM Vol. 3A 11.11.1); a device's write
	 * above is no interrupt. KVM's 32-bit ids read address_hi as destination bits 31:8, which
	 * only interrupt remapping may produce (vtd_ir.c). */
	bool msi_addr32;
	uint32_t max_routes;    /* KVM's table size (KVM_CAP_IRQ_ROUTING); GSIs must be below it */
	/*
	 * With a vIOMMU in front of the PCI functions an MSI is a DMA write it translates (as QEMU's
	 * kvm_arch_fixup_msi_route does), through the PCI host's seam (pci_host_msi_translate); an
	 * aborted one is dropped (no route). Called with this lock held: the vIOMMU must not call into
	 * irq_* with its own lock held.
	 */
	struct irq_msi_src *src;        /* every MSI route as programmed, for re-translation */
	unsigned int nr_src, cap_src;
};

int irq_init(struct vm *vm);
void irq_destroy(struct vm *vm);
/* Adds a wired route (x86: IOAPIC/PIC pins) during arch setup. */
int irq_add_irqchip_route(struct vm *vm, uint32_t gsi, uint32_t irqchip, uint32_t pin);
/* Allocates a GSI for MSI delivery (not yet routed). */
int irq_alloc_msi_gsi(struct vm *vm, uint32_t *gsi);
/* (Re)routes GSI to an MSI (ADDR, DATA) from requester DEVID, and commits the table. */
int irq_set_msi_route(struct vm *vm, uint32_t gsi, uint64_t addr, uint32_t data, uint32_t devid);
/*
 * The vIOMMU's guest invalidated translations or changed stream configs: translates every MSI
 * route again and commits once if any changed. A route whose translation now faults is removed (its
 * MSIs dropped, the fault reported once); one that translates again comes back.
 */
int irq_msi_retranslate(struct vm *vm);
/* KVM_IRQFD: EFD raises GSI; RESAMPLE_FD >= 0 makes it level-triggered (INTx). */
int irq_irqfd(struct vm *vm, uint32_t gsi, int efd, int resample_fd, bool assign);
/* Sets a wired line (arch-encoded irq number for KVM_IRQ_LINE). */
int irq_line(struct vm *vm, uint32_t irq, bool level);

#endif
