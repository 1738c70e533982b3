/* SPDX-License-Identifier: GPL-2.0-only */
/* The in-kernel vGICv3 and its ITS (Documentation/virt/kvm/devices/arm-vgic-v3.rst, arm-vgic-its.rst). */
#ifndef NESTVM_ARM64_GIC_H
#define NESTVM_ARM64_GIC_H

#include <stdint.h>

struct vm;

/* Creates the GICv3 and the ITS and places them (layout.h); before or after the vCPUs. */
int arm64_gic_create(struct vm *vm);
/* Sets the IRQ count and initializes both; once every vCPU exists, before the first KVM_RUN. */
int arm64_gic_init(struct vm *vm);
void arm64_gic_destroy(struct vm *vm);
/* KVM_IRQ_LINE encoding of SPI n for an in-kernel GIC (api.rst 4.25: type << 24 | INTID). */
uint32_t arm64_spi_irq(uint32_t spi);

#endif
