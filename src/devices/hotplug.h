/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCIe hot-plug of assigned devices (--hotplug-slots N, vm.add-device / vm.remove-device): N root
 * ports with empty slots on bus 0 (pci_root_port.c), and the life of a device in one of them.
 *   add:    open the VFIO cdev, bind it to the VM's iommufd, attach it to the IOAS (and to the
 *           vIOMMU when there is one), build the vfio-pci model at 00.0 of the port's secondary
 *           bus, plug it: the guest's pciehp powers the slot on and enumerates it.
 *   remove: press the attention button; when the guest powers the slot off (it let go of the
 *           function), take it out on the event loop: BAR memslots, irqfds, the cdev (which
 *           detaches it), the vIOMMU's objects for it. A guest that does not power the slot off
 *           within HOTPLUG_REMOVE_TIMEOUT_MS keeps the device: the request fails (event
 *           "device-remove-timeout") and may be repeated.
 *   surprise removal: the host wants the device back (VFIO's request interrupt, e.g. the host
 *           unbinds it from vfio-pci or removes it): it is taken out at once and the guest sees the
 *           card disappear (presence detect changed).
 * Everything but the guest's power-off (a vCPU thread, deferred to the loop) runs on the event loop.
 */
#ifndef NESTVM_DEVICES_HOTPLUG_H
#define NESTVM_DEVICES_HOTPLUG_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct hotplug;

#define HOTPLUG_REMOVE_TIMEOUT_MS 30000     /* pciehp takes 5 s (button) + 1 s (power-off wait) */
#define HOTPLUG_ID_MAX 64

/* What an add or remove request got: 0, or an HTTP status (4xx/5xx) with a reason in MSG. */
struct hotplug_result {
	int status;
	char msg[160];
	char id[HOTPLUG_ID_MAX];
	char bdf[16];               /* "0000:BB:00.0" */
};

/* Creates N root ports on the VM's PCI host (before the guest's firmware tables are built). */
int hotplug_create(struct vm *vm, unsigned int n, struct hotplug **out);
/* Stops watching (request interrupts, timer); the ports and their devices go with the PCI host. */
void hotplug_destroy(struct hotplug *hp);
/*
 * vm.add-device: PATH (a VFIO cdev), or FD (>= 0: an open cdev a client passed, which this takes and
 * closes whatever happens) into a free slot as ID (NULL/empty: one is made up). Loop thread.
 */
int hotplug_add(struct hotplug *hp, const char *path, int fd, const char *id, struct hotplug_result *res);
/* vm.remove-device: asks the guest to release ID (asynchronous; see above). Loop thread. */
int hotplug_remove(struct hotplug *hp, const char *id, struct hotplug_result *res);
/* Adds the occupied slots to vm.info's device_tree (cloud-hypervisor's shape). Loop thread. */
void hotplug_describe(struct hotplug *hp, json_object *tree);
/* The root ports (vm.info's device_tree and tests): NR's bus 0 device number, -1 if none. */
unsigned int hotplug_nr_slots(const struct hotplug *hp);

#endif
