/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCI functions of a VM, made from its config on the PCIe host bridge that vm_create made (ECAM
 * at the arch layout's window): virtio-blk per --disk, virtio-console when asked, vfio-pci per
 * --device. Fixed platform devices (UARTs, irqchip, the arm64 SMMUv3) belong to the arch code.
 */
#ifndef NESTVM_DEVICES_H
#define NESTVM_DEVICES_H

struct vm;

/* After vCPUs exist and before arch_finalize(); unwinds what it made on failure. */
int devices_create(struct vm *vm);
void devices_destroy(struct vm *vm);

#endif
