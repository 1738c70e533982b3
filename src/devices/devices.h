/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCI devices of a VM, made from its config: the PCIe host bridge (ECAM at the arch layout's
 * window) and the virtio-pci functions behind it (virtio-blk per --disk, virtio-console when asked).
 * Fixed platform devices (UARTs, irqchip) belong to the arch code.
 */
#ifndef NESTVM_DEVICES_H
#define NESTVM_DEVICES_H

struct vm;

/* After vCPUs exist and before arch_finalize(); unwinds what it made on failure. */
int devices_create(struct vm *vm);
void devices_destroy(struct vm *vm);

#endif
