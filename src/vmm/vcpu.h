/* SPDX-License-Identifier: GPL-2.0-only */
/* A vCPU: its KVM fd and shared kvm_run page, and the thread that runs it. */
#ifndef NESTVM_VCPU_H
#define NESTVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "arch/arch.h"

struct vm;
struct vcpu_stats;

/*
 * Parking all vCPUs (vm.pause): WANT asks every vCPU thread to leave KVM_RUN and wait; PARKED
 * counts those waiting. Lives in struct vm; the lock guards both, COND wakes both sides.
 */
struct vcpu_park {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool want;
	unsigned int parked;
	unsigned int exited;        /* vCPU threads that ended (they can no longer park) */
};

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct vcpu_stats *stats;   /* --stats: this vCPU's own counters, else NULL */
	struct arch_vcpu arch;
};

/*
 * What the exit handlers tell the run loop. VCPU_STOP ends this vCPU's thread; the handler has
 * called vm_request_exit() first (if not, the VM stops with EXIT_VMM_ERROR). A negative errno
 * (already reported) stops the VM with EXIT_VMM_ERROR.
 */
enum vcpu_action { VCPU_CONTINUE, VCPU_STOP };

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id);
/* KVM_EXIT_IO: the port access (string I/O: COUNT items) in v->run, dispatched on vm->pio. */
enum vcpu_action vcpu_exit_io(struct vcpu *v);
int vcpu_start(struct vcpu *v);
/*
 * A parked vCPU (any thread): re-enters KVM_RUN with immediate_exit so KVM finishes the I/O or MMIO
 * exit last handled, and its registers are what a live update must save. 0 or -errno (reported).
 */
int vcpu_complete_io(struct vcpu *v);
/* Makes a vCPU thread leave KVM_RUN promptly (immediate_exit + signal). */
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);

int vcpu_park_init(struct vcpu_park *p);
void vcpu_park_destroy(struct vcpu_park *p);
/*
 * Any non-vCPU thread: every running vCPU of VM out of KVM_RUN and waiting, within TIMEOUT_MS.
 * 0 once all are parked; -ETIMEDOUT (they are let go again) or -ESHUTDOWN (the VM is stopping).
 */
int vcpus_park(struct vm *vm, unsigned int timeout_ms);
/* Lets parked vCPUs run again. */
void vcpus_unpark(struct vm *vm);
/* Wakes parked vCPUs so they see vm->stopping (vm_request_exit). */
void vcpus_park_wake(struct vm *vm);
void vcpu_destroy(struct vcpu *v);

#endif
