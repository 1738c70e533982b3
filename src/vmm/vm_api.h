/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control API's operations on a running VM (struct api_ops for api_route): what vm.info,
 * vm.counters and vm.viommu report, and vm.pause / vm.resume / vm.shutdown / vm.reboot /
 * vmm.shutdown. Runs on the event loop thread (the API server's).
 */
#ifndef NESTVM_VM_API_H
#define NESTVM_VM_API_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/api_route.h"

struct vm;
struct vm_update;

#define VM_API_PAUSE_TIMEOUT_MS 5000   /* vCPUs parked, then I/O drained, each within this, or 503 */

struct vm_api {
	struct vm *vm;
	struct api_ops ops;
	bool paused;
	int exit_code;                  /* what vm.shutdown / vm.reboot / vmm.shutdown stop the VM with */
	uint64_t pauses;                /* counters (vm.counters "vmm") */
	uint64_t last_pause_ns;         /* request to all vCPUs parked */
	struct vm_update *update;       /* vm.update exec, NULL: not offered */
	uint64_t updates_failed;        /* vm.update attempts that left the VM here */
};

void vm_api_init(struct vm_api *a, struct vm *vm);

#endif
