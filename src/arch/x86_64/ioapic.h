/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A userspace 82093AA I/O APIC for KVM's split irqchip (KVM_CAP_SPLIT_IRQCHIP: LAPICs in KVM,
 * IOAPIC here). Pins raise MSIs built from their redirection entries (KVM_SIGNAL_MSI); level-
 * triggered pins also get MSI routes for GSI = pin so KVM reports their EOIs (KVM_EXIT_IOAPIC_EOI).
 * Split is also what puts the vVT-d's interrupt remapping (iommu/vtd_ir.c) in front of this IOAPIC:
 * an RTE in remappable format goes out as a remappable MSI (ioapic_rte_to_msi).
 */
#ifndef NESTVM_X86_IOAPIC_H
#define NESTVM_X86_IOAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define IOAPIC_PINS 24
#define IOAPIC_MMIO_SIZE 0x1000

struct vm;

/* Delivers one MSI; returns 0 or -errno. */
typedef int (*ioapic_msi_fn)(void *opaque, uint64_t addr, uint32_t data);
/* (Re)routes GSI PIN to an MSI so the LAPIC EOI of a level interrupt comes back to us. */
typedef void (*ioapic_route_fn)(void *opaque, unsigned int pin, uint64_t addr, uint32_t data);

struct ioapic {
	pthread_mutex_t lock;
	ioapic_msi_fn msi;
	ioapic_route_fn route;
	void *opaque;
	uint32_t regsel;
	uint8_t id;
	uint64_t rte[IOAPIC_PINS];
	uint32_t level;            /* input line levels, bit per pin */
	uint32_t routed;           /* pins whose MSI route was handed to ROUTE, bit per pin */
	uint64_t route_addr[IOAPIC_PINS];   /* ... and what it was: a rewrite of the same is not passed on */
	uint32_t route_data[IOAPIC_PINS];
};

void ioapic_init(struct ioapic *io, ioapic_msi_fn msi, ioapic_route_fn route, void *opaque);
void ioapic_destroy(struct ioapic *io);
/* bus_access_fn for the MMIO window (IOREGSEL at 0x00, IOWIN at 0x10; 32-bit accesses). */
void ioapic_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
void ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level);
/* A LAPIC EOI of VECTOR for a level-triggered interrupt (KVM_EXIT_IOAPIC_EOI). */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/* MSI address/data for a redirection entry (what the in-kernel IOAPIC and QEMU compute). */
void ioapic_rte_to_msi(uint64_t rte, uint64_t *addr, uint32_t *data);

#endif
