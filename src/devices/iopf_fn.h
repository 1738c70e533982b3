/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The iopf test function (test builds, `--iopf-mock ...,function=on`): a PCIe function with ATS and
 * PRI extended capabilities at the requester id of the kernel's IOMMUFD_TEST mock device, which
 * nestvm makes the page-request source of that id (iommu/iopf_mock.h). It gives the guest's IOMMU
 * driver a device to own the page requests: Linux's intel-iommu reports a page request to iommufd
 * only for a function whose ATS and PRI it enabled. It has no BARs and does no DMA itself.
 */
#ifndef NESTVM_DEVICES_IOPF_FN_H
#define NESTVM_DEVICES_IOPF_FN_H

#include <stdint.h>

struct vm;

#define IOPF_FN_VENDOR 0x1234       /* QEMU's test vendor id, as edu (1234:11e8) */
#define IOPF_FN_DEVICE 0x11e9

/* Adds the function at bus 0 requester id RID (function 0 of a free slot): 0 or -errno (reported). */
int iopf_fn_create(struct vm *vm, uint32_t rid);

#endif
