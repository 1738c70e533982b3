/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where an assigned device sits in the host's PCIe hierarchy, from sysfs (--pcie-topology host,
 * docs/topology.md): the function's directory under /sys/devices is its path from the root bus,
 * e.g. pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:03.0/0000:03:00.0 is a function (03:00.0) below a
 * switch's downstream port (02:03.0), whose upstream port (01:00.0) is below a root port (00:01.0).
 * Host input, not the guest's; still every read is bounded.
 */
#ifndef NESTVM_DEVICES_HOST_TOPOLOGY_H
#define NESTVM_DEVICES_HOST_TOPOLOGY_H

#include <stddef.h>

struct vfio_config;

/*
 * The sysfs directory (resolved, below SYSFS/devices) of the PCI function CFG names: host=, or the
 * device of the VFIO cdev at path= or fd= (SYSFS/dev/char/MAJ:MIN is its vfio-dev/vfioN). SYSFS is
 * "/sys" but for tests. 0, or -errno (reported).
 */
int host_pci_dir(const struct vfio_config *cfg, const char *sysfs, char *dir, size_t n);
/*
 * 1 when the function at DIR sits on the link of a PCIe switch's downstream port, with the
 * switch's upstream port's BDF in SW (the switch's name: functions with the same one share it);
 * 0 when not (a root port, a root bus, a PCI bridge). The port types come from each bridge's PCI
 * Express capability (PCIe 6.0 7.5.3.2) when its config file shows it (root can read all of it);
 * otherwise from the shape: two bridges above the function, below a third one.
 */
int host_pci_switch(const char *dir, char *sw, size_t n);

#endif
