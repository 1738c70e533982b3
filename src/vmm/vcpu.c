// SPDX-License-Identifier: GPL-2.0-only
/* vCPU threads: KVM_RUN and the exits every architecture shares (MMIO, PIO, system events). */
#include "vmm/vcpu.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/deadline.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/seccomp.h"
#include "vmm/stats.h"
#include "vmm/vm.h"

/* The kick signal: its only job is to interrupt KVM_RUN (EINTR), so the handler is empty. */
#define VCPU_KICK_SIGNAL SIGUSR1

static void kick_handler(int sig)
{
}

static pthread_once_t kick_once = PTHREAD_ONCE_INIT;
static int kick_err;

static void install_kick_handler(void)
{
	/* No SA_RESTART: KVM_RUN must return -EINTR rather than be restarted. */
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		kick_err = err_errno("sigaction(SIGUSR1) for vCPU kicks");
}

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id)
{
	int r;

	*v = (struct vcpu){ .vm = vm, .id = id, .fd = -1 };
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return err_errno("KVM_CREATE_VCPU %u", id);
	v->fd = fdtab_adoptf(vm_fdtab(vm), v->fd, FD_KVM_VCPU, "vcpu", "vcpu%u", id);
	if (v->fd < 0) {
		r = v->fd;
		v->fd = -1;
		return r;
	}
	v->run = mmap(NULL, (size_t)vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		r = err_errno("mmap kvm_run of vCPU %u", id);
		goto err;
	}
	r = arch_vcpu_create(vm, v);
	if (r)
		goto err;
	return 0;
err:
	vcpu_destroy(v);
	return r;
}

static enum vcpu_action exit_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t len = run->mmio.len;

	if (!len || len > sizeof(run->mmio.data)) {
		pr_debug("vcpu%u: MMIO at 0x%llx with length %u ignored", v->id, run->mmio.phys_addr, len);
		return VCPU_CONTINUE;
	}
	/* Unclaimed reads see all-ones, like a PCIe master abort / unassigned address. */
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, len);
	if (!bus_dispatch(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write))
		pr_debug("vcpu%u: unclaimed MMIO %s 0x%llx/%u", v->id, run->mmio.is_write ? "write" : "read",
			 run->mmio.phys_addr, len);
	return VCPU_CONTINUE;
}

enum vcpu_action vcpu_exit_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *p;

	/* String I/O (rep ins/outs) comes as COUNT items of SIZE at DATA_OFFSET in the run page. */
	if ((size != 1 && size != 2 && size != 4) || !count ||
	    off > (uint64_t)v->vm->vcpu_mmap_size ||
	    (uint64_t)size * count > (uint64_t)v->vm->vcpu_mmap_size - off) {
		pr_debug("vcpu%u: port I/O 0x%x size %u count %u ignored", v->id, run->io.port, size, count);
		return VCPU_CONTINUE;
	}
	p = (uint8_t *)run + off;
	for (uint32_t i = 0; i < count; i++, p += size) {
		if (!is_write)
			memset(p, 0xff, size);
		if (!bus_dispatch(&v->vm->pio, run->io.port, p, size, is_write) && i == 0)
			pr_debug("vcpu%u: unclaimed port %s 0x%x/%u", v->id, is_write ? "out" : "in",
				 run->io.port, size);
	}
	return VCPU_CONTINUE;
}

/*
 * KVM_RUN failed with EFAULT: KVM could not fault in the host page behind a memslot. On a device's
 * memory (vm->devmem: assigned BARs) that is the host revoking the mapping under the guest, a guest
 * visible event and not a VMM failure: the owner takes its memslots out and KVM_RUN is retried, the
 * access then exits as MMIO and completes like one to a function that stopped decoding (all-ones,
 * write dropped), on both architectures, without nestvm decoding the instruction. KVM reports the
 * address with KVM_EXIT_MEMORY_FAULT (KVM_CAP_MEMORY_FAULT_INFO); without it, every device range is
 * taken out. False when no device memory is mapped: RAM itself failed, which stays fatal.
 */
static bool device_memory_fault(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned int n = 0;
	uint64_t gpa;
	uint8_t b;

	if (run->exit_reason == KVM_EXIT_MEMORY_FAULT)
		return bus_dispatch(&v->vm->devmem, run->memory_fault.gpa, &b, 1, false);
	/* Each owner unregisters its range when called: the walk ends, bounded anyway. */
	while (n < 64 && bus_first(&v->vm->devmem, &gpa) && bus_dispatch(&v->vm->devmem, gpa, &b, 1, false))
		n++;
	if (n)
		pr_debug("vcpu%u: memory fault without an address: %u device ranges now trap", v->id, n);
	return n > 0;
}

static enum vcpu_action stop_vm(struct vcpu *v, int code)
{
	vm_request_exit(v->vm, code);
	return VCPU_STOP;
}

/* Generic exits; the rest go to the architecture. Returns enum vcpu_action or -errno. */
static int handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		return exit_mmio(v);
	case KVM_EXIT_IO:
		return vcpu_exit_io(v);
	case KVM_EXIT_INTR:
		return VCPU_CONTINUE;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			pr_debug("vcpu%u: guest powered off", v->id);
			return stop_vm(v, EXIT_OK);
		case KVM_SYSTEM_EVENT_RESET:
			pr_info("guest requested a reset; stopping (exit code %d)", EXIT_GUEST_RESET);
			return stop_vm(v, EXIT_GUEST_RESET);
		case KVM_SYSTEM_EVENT_CRASH:
			pr_err("guest crashed (vCPU %u system event)", v->id);
			return stop_vm(v, EXIT_GUEST_CRASH);
		default:
			return arch_vcpu_exit(v);
		}
	case KVM_EXIT_SHUTDOWN:
		/* x86: a triple fault; KVM leaves the vCPU unusable. */
		/* No register dump: AMD's KVM resets the vCPU before it reports a shutdown. */
		pr_err("guest crashed: vCPU %u shut down (triple fault)", v->id);
		return stop_vm(v, EXIT_GUEST_CRASH);
	case KVM_EXIT_INTERNAL_ERROR: {
		/* The words say what KVM could not do (DELIVERY_EV on x86: the exit's info 2, reason and
		 * info 1, the faulting GPA and the host CPU: x86.c kvm_prepare_event_vectoring_exit). */
		char words[16 * 19 + 1] = "";
		size_t len = 0;

		for (uint32_t i = 0; i < run->internal.ndata && i < 16; i++)
			len += (size_t)snprintf(words + len, sizeof(words) - len, " %#llx",
						(unsigned long long)run->internal.data[i]);
		pr_err("guest crashed: KVM internal error on vCPU %u (suberror %u, %u data words:%s)", v->id,
		       run->internal.suberror, run->internal.ndata, words);
		arch_vcpu_dump(v);
		return stop_vm(v, EXIT_GUEST_CRASH);
	}
	case KVM_EXIT_FAIL_ENTRY:
		pr_err("guest crashed: vCPU %u entry failed (hardware reason 0x%llx, cpu %u)", v->id,
		       (unsigned long long)run->fail_entry.hardware_entry_failure_reason, run->fail_entry.cpu);
		arch_vcpu_dump(v);
		return stop_vm(v, EXIT_GUEST_CRASH);
	default:
		return arch_vcpu_exit(v);
	}
}

/*
 * A vCPU thread, out of KVM_RUN, waits while a pause wants it to. It enters KVM_RUN only after
 * reading WANT false, and vcpus_park sets WANT before its kick, whose immediate_exit makes a KVM_RUN
 * entered just after return at once: no pause request is missed.
 */
static void park_wait(struct vm *vm)
{
	struct vcpu_park *p = &vm->park;

	pthread_mutex_lock(&p->lock);
	p->parked++;
	pthread_cond_broadcast(&p->cond);
	while (atomic_load(&p->want) && !atomic_load(&vm->stopping))
		pthread_cond_wait(&p->cond, &p->lock);
	p->parked--;
	pthread_mutex_unlock(&p->lock);
}

int vcpu_park_init(struct vcpu_park *p)
{
	pthread_condattr_t a;
	int r;

	memset(p, 0, sizeof(*p));
	r = pthread_mutex_init(&p->lock, NULL);
	if (r)
		return err_num(r, "vCPU park lock");
	/* CLOCK_MONOTONIC: a wall-clock step must not stretch or cut the pause timeout. */
	r = pthread_condattr_init(&a);
	if (!r)
		r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(&p->cond, &a);
	pthread_condattr_destroy(&a);
	if (r) {
		pthread_mutex_destroy(&p->lock);
		return err_num(r, "vCPU park condition");
	}
	return 0;
}

void vcpu_park_destroy(struct vcpu_park *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

int vcpus_park(struct vm *vm, unsigned int timeout_ms)
{
	struct vcpu_park *p = &vm->park;
	struct timespec until = deadline_after_ms(timeout_ms);
	int r = 0;

	atomic_store(&p->want, true);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&p->lock);
	while (p->parked + p->exited < vm->nr_vcpus && !atomic_load(&vm->stopping) && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&p->cond, &p->lock, &until);
	if (atomic_load(&vm->stopping))
		r = ESHUTDOWN;
	else if (p->parked + p->exited >= vm->nr_vcpus)
		r = 0;
	pthread_mutex_unlock(&p->lock);
	if (r) {
		vcpus_unpark(vm);
		return -r;
	}
	return 0;
}

void vcpus_unpark(struct vm *vm)
{
	pthread_mutex_lock(&vm->park.lock);
	atomic_store(&vm->park.want, false);
	pthread_cond_broadcast(&vm->park.cond);
	pthread_mutex_unlock(&vm->park.lock);
}

void vcpus_park_wake(struct vm *vm)
{
	pthread_mutex_lock(&vm->park.lock);
	pthread_cond_broadcast(&vm->park.cond);
	pthread_mutex_unlock(&vm->park.lock);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	char name[16];
	/* EFAULTs in a row: the first is retried even unclaimed (another vCPU may have taken the
	 * device range out already); one that taking device memory out does not cure (RAM) stops. */
	unsigned int efaults = 0;
	sigset_t set;
	uint64_t t;
	int r;

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	/* The kick must get through, whatever mask the creating thread had. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	r = seccomp_install_vm(SECCOMP_THREAD_VCPU, vm->cfg);
	if (r) {
		vm_request_exit(vm, EXIT_VMM_ERROR);
		return NULL;
	}
	vcpu_stats_first_run(v->stats);
	while (!atomic_load(&vm->stopping)) {
		if (atomic_load(&vm->park.want)) {
			park_wait(vm);
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* A kick: clear it, then look at vm->stopping (set before the kick). */
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			if (errno == EFAULT && ++efaults <= 4 && (device_memory_fault(v) || efaults == 1)) {
				/* KVM only sets KVM_EXIT_MEMORY_FAULT when it has the address: no stale one next time. */
				v->run->exit_reason = KVM_EXIT_UNKNOWN;
				continue;
			}
			if (errno == EFAULT && v->run->exit_reason == KVM_EXIT_MEMORY_FAULT)
				pr_err("vCPU %u: guest memory at 0x%llx+0x%llx cannot be faulted in", v->id,
				       (unsigned long long)v->run->memory_fault.gpa,
				       (unsigned long long)v->run->memory_fault.size);
			err_errno("KVM_RUN on vCPU %u", v->id);
			vm_request_exit(vm, EXIT_VMM_ERROR);
			break;
		}
		efaults = 0;
		t = vcpu_stats_exit_begin(v->stats);
		r = handle_exit(v);
		vcpu_stats_exit_end(v->stats, v->run->exit_reason, t);
		if (r == VCPU_CONTINUE)
			continue;
		if (r < 0) {
			/* The handler reported it. */
			vm_request_exit(vm, EXIT_VMM_ERROR);
		} else if (!atomic_load(&vm->stopping)) {
			pr_err("vCPU %u stopped (exit reason %u) without a VM exit request", v->id,
			       v->run->exit_reason);
			vm_request_exit(vm, EXIT_VMM_ERROR);
		}
		break;
	}
	/* Stopped by a signal (a manager's or a test's timeout): where the guest was is what a hang
	 * report needs. */
	if (atomic_load(&vm->exit_code) >= 128) {
		struct kvm_mp_state mp;

		if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) == 0)
			pr_info("vCPU %u at stop: mp_state %u", v->id, mp.mp_state);
		arch_vcpu_dump(v);
	}
	pthread_mutex_lock(&vm->park.lock);
	vm->park.exited++;
	pthread_cond_broadcast(&vm->park.cond);
	pthread_mutex_unlock(&vm->park.lock);
	return NULL;
}

int vcpu_complete_io(struct vcpu *v)
{
	uint8_t was = __atomic_load_n(&v->run->immediate_exit, __ATOMIC_SEQ_CST);
	int r = -EAGAIN;

	/*
	 * api.rst 4.10 (KVM_RUN): an I/O or MMIO exit is complete only once KVM_RUN is entered again,
	 * and re-entering with immediate_exit set completes it without running the guest. A string I/O
	 * or a page-crossing MMIO may exit again for its next part: handled here like any exit.
	 */
	for (unsigned int i = 0; i < 16 && r == -EAGAIN; i++) {
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			r = errno == EINTR ? 0 : err_errno("vCPU %u: completing its pending I/O (KVM_RUN)", v->id);
			break;
		}
		r = handle_exit(v);
		if (r == VCPU_CONTINUE)
			r = -EAGAIN;
		else if (r >= 0)
			r = err_num(EIO, "vCPU %u: exit %u while completing its pending I/O", v->id, v->run->exit_reason);
	}
	if (r == -EAGAIN)
		r = err_num(EAGAIN, "vCPU %u: its pending I/O did not complete in 16 exits", v->id);
	__atomic_store_n(&v->run->immediate_exit, was, __ATOMIC_SEQ_CST);
	return r;
}

int vcpu_start(struct vcpu *v)
{
	int r;

	pthread_once(&kick_once, install_kick_handler);
	if (kick_err)
		return kick_err;
	r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (r)
		return err_num(r, "starting vCPU %u thread", v->id);
	/* Release: vcpu_kick on another thread reads v->thread only after seeing started. */
	__atomic_store_n(&v->started, true, __ATOMIC_RELEASE);
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->run)
		return;
	/* Makes the next (or a just-entered) KVM_RUN return -EINTR at once (api.rst, immediate_exit). */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->started, __ATOMIC_ACQUIRE))
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (!__atomic_load_n(&v->started, __ATOMIC_ACQUIRE))
		return;
	pthread_join(v->thread, NULL);
	__atomic_store_n(&v->started, false, __ATOMIC_RELEASE);
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->vm->vcpu_mmap_size);
	v->run = NULL;
	fdtab_close(vm_fdtab(v->vm), v->fd);
	v->fd = -1;
}
