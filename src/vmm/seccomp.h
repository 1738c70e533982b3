/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-thread seccomp filters (libseccomp). Each kind of thread allows only what it needs once the
 * VM runs; the filter applies to the calling thread only (no TSYNC), before it touches
 * guest-controlled data. Mode (config.h): SECCOMP_ON stops the process on a forbidden syscall (it
 * traps, names the syscall on stderr and exits with EXIT_VMM_ERROR),
 * SECCOMP_LOG only logs it (audit/dmesg) for debugging, SECCOMP_OFF installs nothing.
 */
#ifndef NESTVM_SECCOMP_H
#define NESTVM_SECCOMP_H

#include "vmm/config.h"

enum seccomp_thread {
	SECCOMP_THREAD_VCPU,    /* KVM_RUN and the device emulation vCPU exits reach */
	SECCOMP_THREAD_LOOP,    /* the io_uring event loop (also the main thread's teardown) */
};

int seccomp_install(enum seccomp_thread t, enum seccomp_mode m);
/* The same, also allowing the EXTRA syscall numbers (tests: what a sanitizer runtime needs). */
int seccomp_install_extra(enum seccomp_thread t, enum seccomp_mode m, const int *extra, unsigned int nr_extra);
/* seccomp_install with what this VM's configuration adds (fsync for --firmware-vars) in CFG's mode. */
int seccomp_install_vm(enum seccomp_thread t, const struct vm_config *cfg);

#endif
