// SPDX-License-Identifier: GPL-2.0-only
/*
 * 82093AA I/O APIC (Intel datasheet 290566: registers 3.0, redirection table 3.2.4), version 0x11
 * with 24 pins like KVM's in-kernel one, so Linux uses no EOI register: KVM reports EOIs of
 * level-triggered vectors instead (Documentation/virt/kvm/api.rst KVM_EXIT_IOAPIC_EOI).
 */
#include <string.h>

#include "arch/x86_64/ioapic.h"
#include "vmm/log.h"

#define IOREGSEL 0x00
#define IOWIN    0x10

#define REG_ID   0x00
#define REG_VER  0x01
#define REG_ARB  0x02
#define REG_RTE  0x10        /* 0x10 + 2 * pin: low dword, +1: high dword */

#define IOAPIC_VERSION 0x11

#define RTE_VECTOR(r)  ((uint8_t)(r))
#define RTE_DM(r)      (((r) >> 8) & 7)
#define RTE_DESTMODE   (1ull << 11)
#define RTE_DELIVS     (1ull << 12)     /* read-only */
#define RTE_POLARITY   (1ull << 13)
#define RTE_REMOTE_IRR (1ull << 14)     /* read-only */
#define RTE_LEVEL      (1ull << 15)
#define RTE_MASKED     (1ull << 16)
#define RTE_RO_BITS    (RTE_DELIVS | RTE_REMOTE_IRR)
#define RTE_DEST(r)    ((uint8_t)((r) >> 56))
#define RTE_REMAPPABLE (1ull << 48)     /* VT-d interrupt remapping format */

void ioapic_rte_to_msi(uint64_t rte, uint64_t *addr, uint32_t *data)
{
	/*
	 * Remappable format (VT-d rev 5 5.1.5.1: bit 48 set; interrupt index 15 in bit 11, 14:0 in
	 * 63:49): the request goes out as a remappable-format MSI (5.1.2.2: handle 14:0 in address
	 * 19:5, handle 15 in bit 2, bit 4 set, SHV 0) for interrupt remapping to resolve. The data
	 * keeps vector and trigger mode: the IRTE's are what count, these only match EOIs here.
	 */
	if (rte & RTE_REMAPPABLE) {
		*addr = 0xfee00000ull | ((rte >> 49) & 0x7fff) << 5 | 1u << 4 | (rte & RTE_DESTMODE ? 1u << 2 : 0);
		*data = RTE_VECTOR(rte) | (rte & RTE_LEVEL ? 1u << 15 | 1u << 14 : 0);
		return;
	}
	/* MSI address (SDM Vol. 3A 11.11.1): 0xFEE, destination id in 19:12, destination mode bit 2. */
	*addr = 0xfee00000ull | (uint64_t)RTE_DEST(rte) << 12 | (rte & RTE_DESTMODE ? 1u << 2 : 0);
	/* MSI data (11.11.2): vector, delivery mode 10:8, level-assert bit 14, trigger mode bit 15. */
	*data = RTE_VECTOR(rte) | (uint32_t)RTE_DM(rte) << 8 | (rte & RTE_LEVEL ? 1u << 15 | 1u << 14 : 0);
}

static void deliver(struct ioapic *io, unsigned int pin)
{
	uint64_t addr;
	uint32_t data;

	ioapic_rte_to_msi(io->rte[pin], &addr, &data);
	if (io->rte[pin] & RTE_LEVEL)
		io->rte[pin] |= RTE_REMOTE_IRR;  /* until the LAPIC EOIs it */
	io->msi(io->opaque, addr, data);
}

/* A level pin that is asserted, unmasked and not in service fires (again). */
static void service_level(struct ioapic *io, unsigned int pin)
{
	uint64_t r = io->rte[pin];

	if ((r & RTE_LEVEL) && (io->level & 1u << pin) && !(r & (RTE_MASKED | RTE_REMOTE_IRR)))
		deliver(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level)
{
	uint32_t bit;
	bool was;

	if (pin >= IOAPIC_PINS)
		return;
	bit = 1u << pin;
	pthread_mutex_lock(&io->lock);
	was = io->level & bit;
	io->level = level ? io->level | bit : io->level & ~bit;
	if (io->rte[pin] & RTE_LEVEL)
		service_level(io, pin);
	else if (level && !was && !(io->rte[pin] & RTE_MASKED))
		deliver(io, pin);               /* edge: rising edge only */
	pthread_mutex_unlock(&io->lock);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	pthread_mutex_lock(&io->lock);
	for (unsigned int pin = 0; pin < IOAPIC_PINS; pin++) {
		if (RTE_VECTOR(io->rte[pin]) != vector || !(io->rte[pin] & RTE_REMOTE_IRR))
			continue;
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		service_level(io, pin);         /* still asserted: fire again */
	}
	pthread_mutex_unlock(&io->lock);
}

static uint32_t reg_read(struct ioapic *io, uint32_t reg)
{
	unsigned int pin;

	switch (reg) {
	case REG_ID:
		return (uint32_t)io->id << 24;
	case REG_VER:
		return IOAPIC_VERSION | (IOAPIC_PINS - 1) << 16;
	case REG_ARB:
		return (uint32_t)io->id << 24;
	}
	if (reg < REG_RTE || reg >= REG_RTE + 2 * IOAPIC_PINS)
		return 0xffffffff;
	pin = (reg - REG_RTE) / 2;
	return reg & 1 ? (uint32_t)(io->rte[pin] >> 32) : (uint32_t)io->rte[pin];
}

static void reg_write(struct ioapic *io, uint32_t reg, uint32_t val)
{
	unsigned int pin;
	uint64_t old, r, addr;
	uint32_t data;

	if (reg == REG_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (reg < REG_RTE || reg >= REG_RTE + 2 * IOAPIC_PINS) {
		pr_debug("ioapic: write %#x to read-only/unknown register %#x ignored", val, reg);
		return;
	}
	pin = (reg - REG_RTE) / 2;
	old = io->rte[pin];
	if (reg & 1)
		r = (old & 0xffffffffull) | (uint64_t)val << 32;
	else
		r = (old & ~0xffffffffull) | val;
	r = (r & ~RTE_RO_BITS) | (old & RTE_RO_BITS);
	if (!(r & RTE_LEVEL))
		r &= ~RTE_REMOTE_IRR;
	io->rte[pin] = r;
	/* Each route update makes KVM rebuild its whole GSI table (KVM_SET_GSI_ROUTING), and Linux
	 * writes both dwords of an entry and re-masks/unmasks it freely: pass a pin's route on only
	 * when its MSI actually changes. */
	if (io->route && (r & RTE_LEVEL) && !(r & RTE_MASKED)) {
		ioapic_rte_to_msi(r, &addr, &data);
		if (!(io->routed & 1u << pin) || io->route_addr[pin] != addr || io->route_data[pin] != data) {
			io->routed |= 1u << pin;
			io->route_addr[pin] = addr;
			io->route_data[pin] = data;
			io->route(io->opaque, pin, addr, data);
		}
	}
	service_level(io, pin);             /* unmasking an asserted level pin fires it */
}

void ioapic_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct ioapic *io = opaque;
	uint32_t v;

	if (len != 4 || (offset != IOREGSEL && offset != IOWIN)) {
		pr_debug("ioapic: %u-byte %s at +%#llx ignored", len, is_write ? "write" : "read",
			 (unsigned long long)offset);
		if (!is_write && len <= 8)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&io->lock);
	if (is_write) {
		memcpy(&v, data, 4);
		if (offset == IOREGSEL)
			io->regsel = v & 0xff;
		else
			reg_write(io, io->regsel, v);
	} else {
		v = offset == IOREGSEL ? io->regsel : reg_read(io, io->regsel);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&io->lock);
}

void ioapic_init(struct ioapic *io, ioapic_msi_fn msi, ioapic_route_fn route, void *opaque)
{
	memset(io, 0, sizeof(*io));
	pthread_mutex_init(&io->lock, NULL);
	io->msi = msi;
	io->route = route;
	io->opaque = opaque;
	for (unsigned int i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = RTE_MASKED;        /* reset: all masked (datasheet 3.2.4) */
}

void ioapic_destroy(struct ioapic *io)
{
	pthread_mutex_destroy(&io->lock);
}
