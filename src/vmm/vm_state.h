/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VM's whole live-update state (docs/liveupdate.md): which sections make it, what may not be
 * saved yet, and the VM-level sections:
 *
 *   "vm-config", version 1, mandatory: u32 count, then the `nestvm run` arguments (argv[0] "run"
 *     first) the VM was made with, each a string of at most 4096 bytes: the new process makes
 *     the same machine from them.
 *   "iommufd" (iommufd_state.h), "pci-cfg" (pci_state.h), "vfio-pci" (vfio_pci_state.h), "pci-msix"
 *     (pci_msix_state.h): assigned devices; "virtio-pci", "virtio-blk", "virtio-console"
 *     (virtio_pci_state.h): virtio functions.
 *   "update", version 1, mandatory: u64 request, paused and saved times (CLOCK_MONOTONIC ns, one
 *     clock for both processes), u8 the VM was paused before the update (it stays paused), u8
 *     rehearsal, the new binary's path (string, at most 4096), for messages.
 */
#ifndef NESTVM_VM_STATE_H
#define NESTVM_VM_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveupdate/state_format.h"

struct vm;

#define VM_STATE_MAX_ARGS 256
#define VM_STATE_MAX_STR 4096

struct vm_update_info {
	uint64_t t_request, t_paused, t_saved;
	bool was_paused, rehearse;
	char binary[VM_STATE_MAX_STR + 1];
};

/* Why this VM's state cannot be saved yet (a one-line reason), or NULL when it can. */
const char *vm_state_refusal(struct vm *vm);
/*
 * VM paused, before vm_state_save: no device delivers interrupts into this VM any more (assigned
 * devices' irqfds detached; what fires waits in the eventfds). vm_state_resume undoes it when the
 * update does not happen (and gives the fds registered for the handover back to their models).
 */
void vm_state_quiesce(struct vm *vm);
void vm_state_resume(struct vm *vm);
/* Every section but "fds": the config arguments, the architecture's and devices' state, INFO. */
int vm_state_save(struct vm *vm, struct lu_writer *w, int argc, char *const *argv, const struct vm_update_info *info);
/* Reads and validates the state in FD against every section this nestvm knows. */
int vm_state_load(struct lu_state *st, int fd);
/* The "vm-config" arguments, in a new NULL-terminated array of new strings (vm_state_free_args). */
int vm_state_args(const struct lu_state *st, int *argc, char ***argv, char *why, size_t why_size);
void vm_state_free_args(int argc, char **argv);
int vm_state_info(const struct lu_state *st, struct vm_update_info *out, char *why, size_t why_size);

#endif
