/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Debug fault injection for the device-assignment setup path: NESTVM_FAIL_AT=<step>[:errno][,...]
 * makes nestvm fail that step as if its ioctl had failed with ENOMEM (or the given errno number), so
 * every unwind path of iommufd/VFIO setup can be reached in a test (tests/testhost/vfio_errors.sh). Steps: iommufd-open, ioas-alloc, bind, attach, reset, iova-ranges, map-file,
 * region-info, irq-setup; nested vIOMMU: hwpt-alloc, viommu-alloc, vdevice-alloc, veventq-alloc, and
 * vste-s1 (the host refuses every guest stage-1 STE, at run time); at run time too, bar-revoke (the
 * assigned function never sees memory decode on: the host revoked its BARs under the guest) and
 * function-reset (VFIO_DEVICE_RESET fails when the guest resets the function). Live update test
 * hooks (not failures of a call): lu-corrupt-state, lu-restore-midway, lu-change-process,
 * lu-leak-object, lu-tsc-renamed.
 * Unset (the normal case), it costs one getenv per step.
 */
#ifndef NESTVM_IOMMU_FAIL_INJECT_H
#define NESTVM_IOMMU_FAIL_INJECT_H

#include <stdbool.h>

/* True (errno set as asked, default ENOMEM) when STEP is listed in NESTVM_FAIL_AT: the caller fails as if its call had. */
bool fail_inject(const char *step);
/* True when NESTVM_FAIL_AT is set at all (tests: extra fd-leak accounting). */
bool fail_inject_active(void);
/* Open file descriptors of this process (/proc/self/fd), or -1: leak checks around unwinding. */
int fail_inject_count_fds(void);

#endif
