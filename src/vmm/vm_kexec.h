/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Updating the host kernel by kexec while the VM survives in preserved memory (docs/liveupdate.md,
 * issue 12 (b)), the old kernel's side: `vm.update {"mode":"kexec"}` on the updater thread.
 *
 * vm_kexec_prepare (nothing stopped yet): opens the new kernel (and initrd), makes its command line
 * (the running one's, /proc/cmdline, when none is given; it must say kho=on and liveupdate=on or the
 * next kernel could not take the session), opens /dev/liveupdate and asks the kernel, fd by fd, whether
 * it can preserve every fd the VM would need across the kexec: guest RAM memfds must be, anything
 * else (iommufd, VFIO devices: Linux 7.2 has no handler for them) makes the update refuse, naming it.
 *
 * vm_kexec_commit (VM paused): creates the LUO session, preserves the guest RAM memfds (token: their
 * fd number), loads the kernel (kexec_file_load), saves the state with a "kexec" section into a sealed
 * memfd, verifies it, preserves it (LU_KEXEC_STATE_TOKEN), answers the request (202, the phases so far),
 * waits up to 2 s for the client to read it, syncs, and reboot(LINUX_REBOOT_CMD_KEXEC). Returns only
 * when something failed (or for --rehearse, which stops short of the reboot): the session is closed
 * (the kernel unpreserves everything), the loaded kernel unloaded, and the caller resumes the VM.
 */
#ifndef NESTVM_VM_KEXEC_H
#define NESTVM_VM_KEXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "liveupdate/kexec_section.h"

struct vm_update;
struct json_object;

struct vm_kexec {
	/* The request (vm_api.c fills these before prepare). */
	const char *kernel, *initrd, *cmdline, *session;
	bool rehearse;
	/* prepare's */
	int kernel_fd, initrd_fd, dev_fd;
	struct lu_kexec_info k;
	/* commit's, for a rehearsal's answer */
	uint64_t t_saved_end;
	unsigned int nr_ram;
	uint64_t state_bytes;
};

int vm_kexec_prepare(struct vm_update *u);
int vm_kexec_commit(struct vm_update *u);
/* After a rehearsal: the phases as the answer's JSON (new object; NULL when out of memory). */
struct json_object *vm_kexec_rehearsal(struct vm_update *u);
/* Closes what prepare opened. */
void vm_kexec_abort(struct vm_update *u);

#endif
