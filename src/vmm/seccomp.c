// SPDX-License-Identifier: GPL-2.0-only
/* Per-thread seccomp allow-lists, built with libseccomp and loaded on the calling thread only. */
#include "vmm/seccomp.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/iommufd.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "iommu/iommufd_mock.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Both kinds of thread. SCMP_SYS() of a syscall the architecture lacks (poll on arm64) is a
 * negative pseudo-number and is skipped.
 */
static const int common_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write),            /* eventfds; console output; log lines on stderr */
	SCMP_SYS(readv), SCMP_SYS(writev),          /* stdio */
	SCMP_SYS(close),                            /* device teardown (eventfds, vfio fds) */
	SCMP_SYS(futex),                            /* pthread mutexes/rwlocks (bus, irq, devices), join */
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), /* vDSO fallback: timers, RTC, ratelimits */
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(sched_yield),
	SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(mremap), /* malloc/free */
	SCMP_SYS(rt_sigreturn),                     /* the vCPU kick handler (SIGUSR1) returns */
	SCMP_SYS(rt_sigprocmask),                   /* pthread internals, console teardown */
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill), /* vcpu_kick: pthread_kill(SIGUSR1) */
	SCMP_SYS(exit), SCMP_SYS(exit_group),       /* thread end, process end */
	SCMP_SYS(restart_syscall),
	SCMP_SYS(poll), SCMP_SYS(ppoll),            /* console_write waits (bounded) on a full stdout */
	SCMP_SYS(fstat), SCMP_SYS(newfstatat),      /* stdio buffers on first use */
	SCMP_SYS(lseek),
	SCMP_SYS(getrandom),                        /* glibc malloc arena setup */
	SCMP_SYS(eventfd2),                         /* vfio-pci: a vector's eventfd, made when the guest enables MSI */
};

/*
 * The event loop thread; it is the main thread, so it also tears the VM down. ioctl is not here
 * (nor anywhere unconditionally): only the requests in loop_ioctls / vcpu_ioctls are allowed.
 */
static const int loop_syscalls[] = {
	SCMP_SYS(io_uring_enter),                   /* the loop itself; block I/O and flushes go through it */
	SCMP_SYS(fcntl),                            /* stdio / console fd flags */
	/* The control API (libmicrohttpd in external-epoll mode, api_server.c): connections on the
	 * listening socket made before the filter; no socket(), bind() or connect() */
	SCMP_SYS(accept4),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto),       /* recv() / send() */
	SCMP_SYS(sendmsg),                          /* a reply's header and body in one call */
	SCMP_SYS(recvmsg),                          /* the first bytes peeked for SCM_RIGHTS fds (api_conn.c) */
	SCMP_SYS(shutdown),                         /* MHD ends a reply's connection with SHUT_WR */
	/* setsockopt at level IPPROTO_TCP only (add_setsockopt) */
};

/* vCPU threads: device emulation that reads/writes a file at an offset in the exit's context. */
static const int vcpu_syscalls[] = {
	SCMP_SYS(pread64), SCMP_SYS(pwrite64),      /* vfio-pci config space, trapped BAR / ROM access */
};

/* vCPU threads: KVM_RUN and what MMIO/PIO emulation does synchronously. */
static const unsigned long vcpu_ioctls[] = {
	KVM_RUN,
	KVM_IRQ_LINE, KVM_SIGNAL_MSI,               /* UART / platform interrupt lines, MSIs */
	KVM_SET_GSI_ROUTING, KVM_IRQFD,             /* MSI-X table / INTx routing writes */
	KVM_IOEVENTFD, KVM_SET_USER_MEMORY_REGION,  /* BAR (re)programming moves notify regions, vfio maps */
	KVM_GET_ONE_REG, KVM_SET_ONE_REG,           /* arm64 exits (PSCI, sysreg traps); x86 unused */
	KVM_GET_MP_STATE, KVM_SET_MP_STATE,
	VFIO_DEVICE_SET_IRQS,                       /* vfio-pci: guest enables/disables MSI, MSI-X */
	VFIO_DEVICE_RESET,                          /* vfio-pci: the guest's FLR, D3hot -> D0 soft reset */
	/* vfio-pci P2P: a BAR's dma-bufs follow the guest's BAR programming in the IOAS (vfio_pci_p2p.c);
	 * the shadow vIOMMU: the guest's invalidations (vVT-d IQT write) map and unmap its translation
	 * in the device's IOAS (viommu_shadow.c), and its context set-up moves the device between
	 * IOASes (VFIO_DEVICE_ATTACH_IOMMUFD_PT below) */
	IOMMU_IOAS_MAP_FILE, IOMMU_IOAS_UNMAP,
	/* nested vIOMMU: the guest's CMDQ runs on its doorbell write: CFGI_STE makes a nested HWPT and
	 * attaches the device to it (the old one destroyed), invalidations are forwarded */
	IOMMU_HWPT_ALLOC, VFIO_DEVICE_ATTACH_IOMMUFD_PT, IOMMU_DESTROY, IOMMU_HWPT_INVALIDATE,
	/* ... and a PASID entry the guest cleared detaches that PASID (iommu/vtd_pasid.c) */
	VFIO_DEVICE_DETACH_IOMMUFD_PT,
#ifdef __x86_64__
	KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, /* x86 exits: string I/O, hypercalls */
	KVM_GET_MSRS, KVM_SET_MSRS,
	KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
	/* arch_vcpu_dump: a stuck guest's interrupts, timer and call chain */
	KVM_GET_LAPIC, KVM_GET_NESTED_STATE, KVM_GET_TSC_KHZ, KVM_TRANSLATE,
#endif
};

static const unsigned long loop_ioctls[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF,           /* isatty(), console raw mode restore */
	TIOCGWINSZ,                                 /* virtio-console size */
	KVM_IRQ_LINE, KVM_SIGNAL_MSI,               /* device completions */
	KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_IOEVENTFD, /* device (re)setup and teardown */
	KVM_SET_USER_MEMORY_REGION,
	VFIO_DEVICE_SET_IRQS,                       /* vfio-pci teardown: interrupts off */
	IOMMU_IOAS_UNMAP, IOMMU_DESTROY,            /* device-assignment teardown: guest RAM unmapped, IOAS */
};

static int add_list(scmp_filter_ctx ctx, const int *nr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r;

		if (nr[i] < 0)
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr[i], 0);
		if (r < 0)
			return err_num(r, "seccomp: allowing syscall %d", nr[i]);
	}
	return 0;
}

static int add_ioctls(scmp_filter_ctx ctx, const unsigned long *req, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* The kernel takes the request as an unsigned int: compare the low 32 bits only. */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, req[i]));

		if (r < 0)
			return err_num(r, "seccomp: allowing ioctl 0x%lx", req[i]);
	}
	return 0;
}

/*
 * Anonymous memory only (malloc, stacks), never executable. Every file nestvm maps (guest RAM, vCPU
 * run pages, io_uring rings, vfio-pci BAR regions) is mapped before the threads confine themselves;
 * BAR moves only move KVM memslots.
 */
static int add_mem(scmp_filter_ctx ctx)
{
	int r;

	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 2, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
			     SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS));
	if (r >= 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	return r < 0 ? err_num(r, "seccomp: allowing mmap") : 0;
}

/*
 * The loop thread updates its ring's fixed-file table when it starts or stops watching an fd (and
 * at teardown); every other io_uring_register operation stays forbidden (the ring's own
 * restrictions refuse them too, evloop.c).
 */
static int add_uring_register(scmp_filter_ctx ctx)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(io_uring_register), 1,
				 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, IORING_REGISTER_FILES_UPDATE));

	return r < 0 ? err_num(r, "seccomp: allowing io_uring_register") : 0;
}

/*
 * libmicrohttpd sets TCP_NODELAY / TCP_CORK on a connection nestvm hands it (MHD_add_connection: it
 * does not learn it is a unix socket, where they fail with EOPNOTSUPP): setsockopt at level
 * IPPROTO_TCP only, nothing that changes a unix socket.
 */
static int add_setsockopt(scmp_filter_ctx ctx)
{
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1,
				 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, IPPROTO_TCP));

	return r < 0 ? err_num(r, "seccomp: allowing setsockopt") : 0;
}

static __thread const char *thread_kind = "unconfined";

/* Appends the decimal V to P; async-signal-safe. */
static char *put_num(char *p, long v)
{
	char tmp[24];
	int n = 0;

	if (v < 0) {
		*p++ = '-';
		v = -v;
	}
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(tmp));
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/*
 * SECCOMP_RET_TRAP lands here, on the offending thread: say which syscall, then end the process
 * (allowed on every filter). Only async-signal-safe calls: the thread may be inside malloc.
 */
static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	char msg[192], *p = msg;

	p = put_str(p, "nestvm: seccomp: the ");
	p = put_str(p, thread_kind);
	p = put_str(p, " thread made forbidden syscall ");
	p = put_num(p, si->si_syscall);
	p = put_str(p, "; stopping (report it; --seccomp log allows and logs instead)\n");
	if (write(STDERR_FILENO, msg, (size_t)(p - msg)) < 0)
		(void)0;
	syscall(SYS_exit_group, EXIT_VMM_ERROR);
}

static int trap_forbidden(void)
{
	struct sigaction sa = { .sa_sigaction = sigsys_handler, .sa_flags = SA_SIGINFO };

	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return err_errno("sigaction(SIGSYS)");
	return 0;
}

/* What a VM's configuration adds to a thread's filter. */
struct seccomp_more {
	const int *sys;
	size_t nr_sys;
	const unsigned long *ioctls;
	size_t nr_ioctls;
	bool file_mmap;             /* MAP_SHARED mappings of files (never executable) */
};

static int install(enum seccomp_thread t, enum seccomp_mode m, const int *extra, unsigned int nr_extra,
		   const struct seccomp_more *const *mores, unsigned int nr_mores);

int seccomp_install_extra(enum seccomp_thread t, enum seccomp_mode m, const int *extra, unsigned int nr_extra)
{
	return install(t, m, extra, nr_extra, NULL, 0);
}

static int add_more(scmp_filter_ctx ctx, const struct seccomp_more *more)
{
	int r = 0;

	if (more->sys)
		r = add_list(ctx, more->sys, more->nr_sys);
	if (!r && more->ioctls)
		r = add_ioctls(ctx, more->ioctls, more->nr_ioctls);
	if (!r && more->file_mmap) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 2, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
				     SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS | MAP_TYPE, MAP_SHARED));
		r = r < 0 ? err_num(r, "seccomp: allowing file mmap") : 0;
	}
	return r;
}

static int install(enum seccomp_thread t, enum seccomp_mode m, const int *extra, unsigned int nr_extra,
		   const struct seccomp_more *const *mores, unsigned int nr_mores)
{
	const char *who = t == SECCOMP_THREAD_VCPU ? "vCPU" : "event loop";
	scmp_filter_ctx ctx;
	int r;

	if (m == SECCOMP_OFF)
		return 0;
	/* `on` traps instead of killing outright so the user learns which syscall it was. */
	if (m == SECCOMP_ON && trap_forbidden())
		return -EINVAL;
	ctx = seccomp_init(m == SECCOMP_ON ? SCMP_ACT_TRAP : SCMP_ACT_LOG);
	if (!ctx)
		return err_num(ENOMEM, "seccomp_init (%s)", who);
	/* Log what gets killed too, so a missing entry shows up in the audit log / dmesg. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	if (r < 0)
		pr_debug("seccomp: no SECCOMP_FILTER_FLAG_LOG: %d", r);
	r = add_list(ctx, common_syscalls, N(common_syscalls));
	if (!r)
		r = add_mem(ctx);
	if (!r && t == SECCOMP_THREAD_VCPU) {
		r = add_list(ctx, vcpu_syscalls, N(vcpu_syscalls));
		if (!r)
			r = add_ioctls(ctx, vcpu_ioctls, N(vcpu_ioctls));
	} else if (!r) {
		r = add_list(ctx, loop_syscalls, N(loop_syscalls));
		if (!r)
			r = add_uring_register(ctx);
		if (!r)
			r = add_setsockopt(ctx);
		if (!r)
			r = add_ioctls(ctx, loop_ioctls, N(loop_ioctls));
	}
	if (!r && extra)
		r = add_list(ctx, extra, nr_extra);
	for (unsigned int i = 0; !r && i < nr_mores; i++)
		r = add_more(ctx, mores[i]);
	if (!r) {
		r = seccomp_load(ctx);
		if (r < 0)
			r = err_num(r, "seccomp_load (%s thread)", who);
	}
	seccomp_release(ctx);
	if (!r)
		thread_kind = who;
	return r;
}

int seccomp_install(enum seccomp_thread t, enum seccomp_mode m)
{
	return seccomp_install_extra(t, m, NULL, 0);
}

/*
 * The UEFI variable store (--firmware-vars) is flushed with fsync when the firmware completes a
 * program or erase sequence (a vCPU thread, in the flash model) and, if one was left half done,
 * when the flash closes at teardown (the loop thread). Without firmware neither thread needs it.
 */
static const int firmware_syscalls[] = { SCMP_SYS(fsync) };

/*
 * --hotplug-slots: vm.add-device runs on the loop thread (the API's), which then does what the main
 * thread did for a cold-plugged device before any filter: open the VFIO cdev, bind and attach it,
 * read its config space, mmap its BAR regions (shared, never executable) and set up its interrupts;
 * with a nested vIOMMU also its vDEVICE and nested HWPT; behind the shadow vVT-d its own IOAS, which
 * the guest's translation fills at once if its context is set already (iommu/vtd_dev.c).
 * vm.remove-device and a surprise removal tear one down (already allowed: close, munmap,
 * IOMMU_DESTROY, KVM_SET_USER_MEMORY_REGION...).
 * Without hot-plug slots the loop never needs these.
 */
static const int hotplug_syscalls[] = { SCMP_SYS(openat), SCMP_SYS(pread64), SCMP_SYS(pwrite64) };
static const unsigned long hotplug_ioctls[] = {
	VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_GET_INFO,
	VFIO_DEVICE_GET_REGION_INFO, VFIO_DEVICE_GET_IRQ_INFO, VFIO_DEVICE_RESET,
	IOMMU_HWPT_ALLOC, IOMMU_VDEVICE_ALLOC, IOMMU_IOAS_ALLOC, IOMMU_IOAS_MAP_FILE,
	VFIO_DEVICE_FEATURE,                        /* P2P: its BAR pieces exported as dma-bufs (vfio_pci_p2p.c) */
	IOMMU_GET_HW_INFO,                          /* its PASIDs and ATS (devices/vfio_pci_ecap.c) */
};

/*
 * A page-request source (iommu/iopf.h): the loop thread re-arms the answer timeout's timerfd. A
 * vVT-d may have one without --iopf-mock (the page requests of assigned functions, on a host VT-d
 * with ECAP.PRS: iommu/vtd_dev.c), which only the first assigned device decides. The fault fd is
 * read and written with read/write. In test builds the loop also moves the IOMMUFD_TEST mock device
 * back to its own HWPT at teardown (IOMMU_TEST_CMD, iommu/iopf_mock.c).
 */
static const int iopf_syscalls[] = { SCMP_SYS(timerfd_settime) };
#ifdef NESTVM_IOMMUFD_TEST
static const unsigned long iopf_mock_ioctls[] = { IOMMU_TEST_CMD };
#endif

int seccomp_install_vm(enum seccomp_thread t, const struct vm_config *cfg)
{
	static const struct seccomp_more hotplug = {
		.sys = hotplug_syscalls, .nr_sys = N(hotplug_syscalls),
		.ioctls = hotplug_ioctls, .nr_ioctls = N(hotplug_ioctls), .file_mmap = true,
	};
	static const struct seccomp_more iopf = { .sys = iopf_syscalls, .nr_sys = N(iopf_syscalls) };
#ifdef NESTVM_IOMMUFD_TEST
	static const struct seccomp_more iopf_mock = { .ioctls = iopf_mock_ioctls, .nr_ioctls = N(iopf_mock_ioctls) };
#endif
	const struct seccomp_more *mores[3];
	unsigned int n = 0;

	if (t == SECCOMP_THREAD_LOOP && cfg->hotplug_slots)
		mores[n++] = &hotplug;
	if (t == SECCOMP_THREAD_LOOP && (cfg->iopf_mock.on || cfg->viommu_model == VIOMMU_MODEL_VTD))
		mores[n++] = &iopf;
#ifdef NESTVM_IOMMUFD_TEST
	if (t == SECCOMP_THREAD_LOOP && cfg->iopf_mock.on)
		mores[n++] = &iopf_mock;
#endif
	if (cfg->firmware_vars)
		return install(t, cfg->seccomp, firmware_syscalls, N(firmware_syscalls), mores, n);
	return install(t, cfg->seccomp, NULL, 0, mores, n);
}
