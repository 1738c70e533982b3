/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers shared by the guest test programs (tests/guest): errors reported once with context
 * ("edu_test: what: reason", returning -errno like the VMM's err_errno) and sysfs file access.
 */
#ifndef NESTVM_GUEST_UTIL_H
#define NESTVM_GUEST_UTIL_H

#include <stddef.h>

/* Set by main: the prefix of every message. */
extern const char *gu_prog;

/* Prints "prog: what: strerror(errno)" to stderr and returns -errno (never 0). */
int gu_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Same with an explicit error number (positive or negative). */
int gu_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads a sysfs attribute into buf (NUL-terminated, trailing newline removed): 0 or -errno. */
int gu_read_file(const char *path, char *buf, size_t len);
/* Writes s to a sysfs attribute: 0 or -errno. */
int gu_write_file(const char *path, const char *s);

/* The NTH (from 0, in address order) PCI function VENDOR:DEVICE in /sys/bus/pci/devices, into bdf. */
int gu_find_pci(unsigned int vendor, unsigned int device, unsigned int nth, char *bdf, size_t len);
/* Binds PCI function BDF to vfio-pci (unbinding another driver first) through driver_override. */
int gu_bind_vfio(const char *bdf);
/* The VFIO cdev of PCI function BDF (bound to vfio-pci) into path: /sys/bus/pci/devices/BDF/vfio-dev/
 * vfioN -> /dev/vfio/devices/vfioN. 0 or -errno (reported). */
int gu_vfio_cdev(const char *bdf, char *path, size_t len);

/*
 * Keeps mlocked pages where they are: locked is not pinned, and compaction still migrates mlocked
 * pages while vm.compact_unevictable_allowed is 1 (the default; kcompactd compacts proactively),
 * so a device given a locked page's physical address would go on writing to the old frame, which
 * the kernel has reused (guest memory corruption). 0, or -errno (absent without CONFIG_COMPACTION:
 * nothing moves then either, 0).
 */
int gu_keep_locked_pages(void);

/* CLOCK_MONOTONIC in milliseconds. */
long long gu_now_ms(void);

#endif
