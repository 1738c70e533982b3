// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-thread seccomp: a forbidden syscall on a confined thread stops the process (trap, message, exit
 * status 1), and the thread may make the allowed ones. Each case runs in a forked child whose confined thread makes only raw syscalls and
 * ends with a raw exit_group, so no sanitizer runtime code runs under the filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/iommufd.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/seccomp.h"

enum action { DO_SOCKET, DO_EXEC_MMAP, DO_TTY_IOCTL, DO_ALLOWED, DO_KVM_RUN_IOCTL, DO_PREAD, DO_PWRITE,
	      DO_FILE_MMAP_SHARED, DO_FILE_MMAP_PRIVATE, DO_FILE_MMAP_EXEC, DO_EXEC_MPROTECT, DO_URING_FILES_UPDATE,
	      DO_URING_REGISTER_BUFFERS, DO_ACCEPT, DO_CONNECT, DO_FSYNC, DO_OPENAT, DO_VFIO_BIND,
	      DO_MAP_FILE_IOCTL, DO_IOAS_ALLOC_IOCTL, DO_HW_INFO_IOCTL, DO_TIMERFD_SETTIME, DO_VFIO_DETACH, DO_VFIO_FEATURE, DO_RECVMSG, DO_SETSOCKOPT_TCP, DO_SETSOCKOPT_SOCKET };

struct job {
	enum seccomp_thread t;
	enum seccomp_mode m;
	enum action a;
	int efd;
	int mfd;    /* a 4 KiB memfd opened before the filter (what a vfio device fd is to mmap/pread) */
	int lfd, cfd;   /* a listening unix socket and an unconnected one, made before the filter */
	const char *vars;   /* non-NULL: installed through seccomp_install_vm with this --firmware-vars */
	unsigned int hotplug;   /* nonzero: installed through seccomp_install_vm with --hotplug-slots */
	enum viommu_model viommu;   /* non-NONE: installed through seccomp_install_vm with --viommu */
};

/* Exit 0 when the syscall got past the filter: it succeeded, or the kernel itself said WANT_ERRNO. */
static void passed(long r, int want_errno)
{
	syscall(SYS_exit_group, r != -1 || errno == want_errno ? 0 : 10);
}

static void *confined(void *arg)
{
	struct job *j = arg;
	uint64_t one = 1;
	long r;

	if (j->vars || j->hotplug || j->viommu) {
		struct vm_config cfg = { .seccomp = j->m, .firmware = j->vars ? "code" : NULL, .firmware_vars = j->vars,
					 .hotplug_slots = j->hotplug, .viommu_model = j->viommu };

		if (seccomp_install_vm(j->t, &cfg))
			syscall(SYS_exit_group, 3);
	} else if (seccomp_install(j->t, j->m)) {
		syscall(SYS_exit_group, 3);
	}
	switch (j->a) {
	case DO_SOCKET:
		r = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
		syscall(SYS_exit_group, r >= 0 ? 0 : 4);
		break;
	case DO_EXEC_MMAP:
		r = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		syscall(SYS_exit_group, r != -1 ? 0 : 4);
		break;
	case DO_TTY_IOCTL: {
		struct termios t;

		syscall(SYS_ioctl, 0, TCGETS, &t);
		syscall(SYS_exit_group, 0);
		break;
	}
	case DO_ALLOWED:
		/* What device emulation does: signal an eventfd, read it back, allocate memory. */
		if (syscall(SYS_write, j->efd, &one, sizeof(one)) != sizeof(one) ||
		    syscall(SYS_read, j->efd, &one, sizeof(one)) != sizeof(one))
			syscall(SYS_exit_group, 5);
		r = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r == -1 || syscall(SYS_munmap, r, 4096))
			syscall(SYS_exit_group, 6);
		syscall(SYS_exit_group, 0);
		break;
	case DO_OPENAT:
		passed(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC), 0);
		break;
	case DO_VFIO_FEATURE: {
		/* A hot-added device's BAR dma-buf export (P2P); a memfd answers ENOTTY past the filter. */
		struct vfio_device_feature f = { .argsz = sizeof(f), .flags = VFIO_DEVICE_FEATURE_PROBE };

		passed(syscall(SYS_ioctl, j->mfd, VFIO_DEVICE_FEATURE, &f), ENOTTY);
		break;
	}
	case DO_VFIO_BIND: {
		/* A memfd is no VFIO device: past the filter the kernel says ENOTTY. */
		struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = -1 };

		passed(syscall(SYS_ioctl, j->mfd, VFIO_DEVICE_BIND_IOMMUFD, &b), ENOTTY);
		break;
	}
	case DO_PREAD:
		passed(syscall(SYS_pread64, j->mfd, &one, sizeof(one), 0), 0);
		break;
	case DO_PWRITE:
		passed(syscall(SYS_pwrite64, j->mfd, &one, sizeof(one), 0), 0);
		break;
	case DO_FILE_MMAP_SHARED:
		passed(syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, j->mfd, 0), 0);
		break;
	case DO_FILE_MMAP_PRIVATE:
		passed(syscall(SYS_mmap, NULL, 4096, PROT_READ, MAP_PRIVATE, j->mfd, 0), 0);
		break;
	case DO_FILE_MMAP_EXEC:
		passed(syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, j->mfd, 0), 0);
		break;
	case DO_EXEC_MPROTECT:
		r = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r == -1)
			syscall(SYS_exit_group, 6);
		passed(syscall(SYS_mprotect, r, 4096, PROT_READ | PROT_EXEC), 0);
		break;
	case DO_URING_FILES_UPDATE:
		/* Allowed by operation; fd 4000 is no ring (-1 would be a "blind" register), so EBADF. */
		passed(syscall(SYS_io_uring_register, 4000, IORING_REGISTER_FILES_UPDATE, NULL, 0), EBADF);
		break;
	case DO_URING_REGISTER_BUFFERS:
		passed(syscall(SYS_io_uring_register, 4000, IORING_REGISTER_BUFFERS, NULL, 0), EBADF);
		break;
	case DO_ACCEPT:
		/* The API server's accept: allowed (EAGAIN: nobody is waiting). */
		r = syscall(SYS_accept4, j->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		syscall(SYS_exit_group, r == -1 && errno == EAGAIN ? 0 : 10);
		break;
	case DO_RECVMSG: {
		/* The API's peek for passed fds (api_conn.c): allowed (unconnected socket: ENOTCONN or EAGAIN). */
		char b;
		struct iovec iov = { .iov_base = &b, .iov_len = 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

		r = syscall(SYS_recvmsg, j->cfd, &m, MSG_PEEK | MSG_DONTWAIT);
		syscall(SYS_exit_group, r == -1 && (errno == ENOTCONN || errno == EAGAIN || errno == EINVAL) ? 0 : 10);
		break;
	}
	case DO_SETSOCKOPT_TCP: {
		/* MHD's TCP_NODELAY on a unix socket: allowed, the kernel refuses it. */
		int on = 1;

		r = syscall(SYS_setsockopt, j->cfd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &on, sizeof(on));
		syscall(SYS_exit_group, r == -1 && errno == EOPNOTSUPP ? 0 : 10);
		break;
	}
	case DO_SETSOCKOPT_SOCKET: {
		/* Any other level (SO_RCVBUF here): stopped. */
		int v = 4096;

		syscall(SYS_setsockopt, j->cfd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		syscall(SYS_exit_group, 0);
		break;
	}
	case DO_CONNECT: {
		/* The loop never initiates connections: stopped. */
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		syscall(SYS_connect, j->cfd, &a, sizeof(sa_family_t) + 1);
		syscall(SYS_exit_group, 0);
		break;
	}
	case DO_FSYNC:
		/* The vars flash's flush (memfd: fsync succeeds). */
		passed(syscall(SYS_fsync, j->mfd), 0);
		break;
	case DO_MAP_FILE_IOCTL:
		/* vfio-pci P2P: a BAR dma-buf into the IOAS on a guest's BAR write (bad fd: EBADF). */
		passed(syscall(SYS_ioctl, -1, IOMMU_IOAS_MAP_FILE, 0), EBADF);
		break;
	case DO_IOAS_ALLOC_IOCTL:
		/* A device hot-added behind the shadow vVT-d gets an IOAS of its own (bad fd: EBADF). */
		passed(syscall(SYS_ioctl, -1, IOMMU_IOAS_ALLOC, 0), EBADF);
		break;
	case DO_HW_INFO_IOCTL:
		/* A hot-added device's PASIDs and ATS (vfio_pci_ecap.c; bad fd: EBADF). */
		passed(syscall(SYS_ioctl, -1, IOMMU_GET_HW_INFO, 0), EBADF);
		break;
	case DO_VFIO_DETACH:
		/* A PASID entry the guest cleared detaches that PASID (vtd_pasid.c; bad fd: EBADF). */
		passed(syscall(SYS_ioctl, -1, VFIO_DEVICE_DETACH_IOMMUFD_PT, 0), EBADF);
		break;
	case DO_TIMERFD_SETTIME: {
		/* The page-request service's answer timeout (bad fd: EBADF). */
		struct itimerspec its = { 0 };

		passed(syscall(SYS_timerfd_settime, -1, 0, &its, NULL), EBADF);
		break;
	}
	case DO_KVM_RUN_IOCTL:
		/* Allowed by request number; the bad fd gives EBADF from the kernel, not SIGSYS. */
		r = syscall(SYS_ioctl, -1, KVM_RUN, 0);
		syscall(SYS_exit_group, r == -1 && errno == EBADF ? 0 : 7);
		break;
	}
	syscall(SYS_exit_group, 8);
	return NULL;
}

/* Runs JOB in a child; returns its wait status. */
static int run_child(struct job j)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		pthread_t t;

		j.efd = eventfd(0, EFD_CLOEXEC);
		j.mfd = memfd_create("seccomp-test", MFD_CLOEXEC);
		/* Abstract address (leading NUL): nothing on disk. */
		snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "nestvm-test-seccomp-%d", (int)getpid());
		j.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		j.cfd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (j.mfd < 0 || ftruncate(j.mfd, 4096) || j.lfd < 0 || j.cfd < 0 ||
		    bind(j.lfd, (struct sockaddr *)&a, sizeof(a)) || listen(j.lfd, 1))
			_exit(2);
		if (pthread_create(&t, NULL, confined, &j))
			_exit(2);
		pthread_join(t, NULL);
		_exit(9);   /* not reached: the thread ends the process */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* The SIGSYS handler names the syscall and exits with EXIT_VMM_ERROR (1), a status no job uses. */
static bool stopped_by_filter(int st)
{
	return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

static bool exited_ok(int st)
{
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(void)
{
	static const char *const kind[] = { "vCPU", "loop" };
	int st;

	for (int t = SECCOMP_THREAD_VCPU; t <= SECCOMP_THREAD_LOOP; t++) {
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_SOCKET });
		CHECK(stopped_by_filter(st), "%s thread: socket() stops the process (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_EXEC_MMAP });
		CHECK(stopped_by_filter(st), "%s thread: executable mmap stops it (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_ALLOWED });
		CHECK(exited_ok(st), "%s thread: eventfd read/write and mmap are allowed (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_OFF, .a = DO_SOCKET });
		CHECK(exited_ok(st), "%s thread, seccomp off: socket() works (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_LOG, .a = DO_SOCKET });
		CHECK(exited_ok(st), "%s thread, seccomp log: socket() is logged, not stopped (status 0x%x)",
		      kind[t], st);
	}
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_KVM_RUN_IOCTL });
	CHECK(exited_ok(st), "vCPU thread: ioctl(KVM_RUN) passes the filter (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_TTY_IOCTL });
	CHECK(stopped_by_filter(st), "vCPU thread: ioctl(TCGETS) is not a vCPU request: stopped (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_TTY_IOCTL });
	CHECK(exited_ok(st), "loop thread: ioctl(TCGETS) allowed (console) (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_ACCEPT });
	CHECK(exited_ok(st), "loop thread: accept4 allowed (the API socket) (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_ACCEPT });
	CHECK(stopped_by_filter(st), "vCPU thread: accept4 stopped (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_CONNECT });
	CHECK(stopped_by_filter(st), "loop thread: connect stopped: the API only accepts (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_RECVMSG });
	CHECK(exited_ok(st), "loop thread: recvmsg allowed (SCM_RIGHTS peek) (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_RECVMSG });
	CHECK(stopped_by_filter(st), "vCPU thread: recvmsg stopped (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_SETSOCKOPT_TCP });
	CHECK(exited_ok(st), "loop thread: setsockopt at IPPROTO_TCP allowed (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_SETSOCKOPT_SOCKET });
	CHECK(stopped_by_filter(st), "loop thread: setsockopt at SOL_SOCKET stopped (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_KVM_RUN_IOCTL });
	CHECK(stopped_by_filter(st), "loop thread: ioctl(KVM_RUN) stopped (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_MAP_FILE_IOCTL });
	CHECK(exited_ok(st), "vCPU thread: ioctl(IOMMU_IOAS_MAP_FILE) passes (P2P follows BAR writes; the shadow "
	      "vIOMMU follows the guest's invalidations) (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_MAP_FILE_IOCTL });
	CHECK(stopped_by_filter(st), "loop thread: ioctl(IOMMU_IOAS_MAP_FILE) stopped (status 0x%x)", st);

	/*
	 * Narrowed rules. pread/pwrite (vfio config space and trapped BARs) are vCPU-thread work; the
	 * loop thread's block I/O goes through its ring.
	 */
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_PREAD });
	CHECK(exited_ok(st), "vCPU thread: pread allowed (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_PWRITE });
	CHECK(exited_ok(st), "vCPU thread: pwrite allowed (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_PREAD });
	CHECK(stopped_by_filter(st), "loop thread: pread stops the process (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_PWRITE });
	CHECK(stopped_by_filter(st), "loop thread: pwrite stops the process (status 0x%x)", st);
	/* File mappings (all made before the filters): none, shared or private, executable or not. */
	for (int t = SECCOMP_THREAD_VCPU; t <= SECCOMP_THREAD_LOOP; t++) {
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_FILE_MMAP_SHARED });
		CHECK(stopped_by_filter(st), "%s thread: shared file mmap stops it (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_FILE_MMAP_PRIVATE });
		CHECK(stopped_by_filter(st), "%s thread: private file mmap stops it (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_FILE_MMAP_EXEC });
		CHECK(stopped_by_filter(st), "%s thread: executable file mmap stops it (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_EXEC_MPROTECT });
		CHECK(stopped_by_filter(st), "%s thread: mprotect to PROT_EXEC stops it (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_OFF, .a = DO_FILE_MMAP_SHARED });
		CHECK(exited_ok(st), "%s thread, seccomp off: the file mmap works (status 0x%x)", kind[t], st);
	}
	/* fsync only with --firmware-vars (the UEFI variable store), on both threads (pflash_cfi01.h). */
	for (int t = SECCOMP_THREAD_VCPU; t <= SECCOMP_THREAD_LOOP; t++) {
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_FSYNC });
		CHECK(stopped_by_filter(st), "%s thread: fsync stops it without firmware (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_FSYNC, .vars = "vars.fd" });
		CHECK(exited_ok(st), "%s thread with --firmware-vars: fsync allowed (status 0x%x)", kind[t], st);
		st = run_child((struct job){ .t = t, .m = SECCOMP_ON, .a = DO_SOCKET, .vars = "vars.fd" });
		CHECK(stopped_by_filter(st), "%s thread with --firmware-vars: socket() still stops it (status 0x%x)",
		      kind[t], st);
	}
	/*
	 * --hotplug-slots: vm.add-device runs on the loop, which then opens a VFIO cdev, binds it, reads
	 * its config space and maps its BARs (shared, never executable); the vCPU threads gain nothing.
	 */
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_OPENAT });
	CHECK(stopped_by_filter(st), "loop thread: openat stops it without hot-plug slots (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_VFIO_BIND });
	CHECK(stopped_by_filter(st), "loop thread: VFIO_DEVICE_BIND_IOMMUFD stops it without hot-plug slots (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_IOAS_ALLOC_IOCTL });
	CHECK(stopped_by_filter(st), "loop thread: IOMMU_IOAS_ALLOC stops it without hot-plug slots (status 0x%x)", st);
	{
		static const struct { enum action a; bool ok; const char *what; } hp[] = {
			{ DO_OPENAT, true, "openat (the cdev)" }, { DO_VFIO_BIND, true, "VFIO_DEVICE_BIND_IOMMUFD" },
			{ DO_VFIO_FEATURE, true, "VFIO_DEVICE_FEATURE (P2P dma-buf export)" },
			{ DO_IOAS_ALLOC_IOCTL, true, "IOMMU_IOAS_ALLOC (shadow vVT-d)" },
			{ DO_MAP_FILE_IOCTL, true, "IOMMU_IOAS_MAP_FILE (shadow vVT-d)" },
			{ DO_HW_INFO_IOCTL, true, "IOMMU_GET_HW_INFO (its PASIDs and ATS)" },
			{ DO_PREAD, true, "pread (config space)" }, { DO_FILE_MMAP_SHARED, true, "shared file mmap (BARs)" },
			{ DO_FILE_MMAP_EXEC, false, "executable file mmap" }, { DO_FILE_MMAP_PRIVATE, false, "private file mmap" },
			{ DO_SOCKET, false, "socket()" }, { DO_FSYNC, false, "fsync" },
		};

		for (size_t i = 0; i < sizeof(hp) / sizeof(hp[0]); i++) {
			st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = hp[i].a, .hotplug = 1 });
			CHECK(hp[i].ok ? exited_ok(st) : stopped_by_filter(st), "loop thread with --hotplug-slots: %s %s (status 0x%x)",
			      hp[i].what, hp[i].ok ? "allowed" : "still stops it", st);
		}
		st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_OPENAT, .hotplug = 1 });
		CHECK(stopped_by_filter(st), "vCPU thread with --hotplug-slots: openat still stops it (status 0x%x)", st);
	}
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_VFIO_DETACH });
	CHECK(exited_ok(st), "vCPU thread: VFIO_DEVICE_DETACH_IOMMUFD_PT (a PASID the guest cleared) allowed (status 0x%x)", st);
	/* A vVT-d may get a page-request service (assigned functions on a host with ECAP.PRS): its timer
	 * is re-armed on the loop thread; nothing else gains it. */
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_TIMERFD_SETTIME });
	CHECK(stopped_by_filter(st), "loop thread without a vIOMMU: timerfd_settime stops it (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_TIMERFD_SETTIME,
				     .viommu = VIOMMU_MODEL_VTD });
	CHECK(exited_ok(st), "loop thread with --viommu vtd: timerfd_settime allowed (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_TIMERFD_SETTIME,
				     .viommu = VIOMMU_MODEL_VTD });
	CHECK(stopped_by_filter(st), "vCPU thread with --viommu vtd: timerfd_settime still stops it (status 0x%x)", st);
	/* io_uring_register: the loop thread may only update its fixed-file table. */
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_URING_FILES_UPDATE });
	CHECK(exited_ok(st), "loop thread: IORING_REGISTER_FILES_UPDATE passes the filter (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_LOOP, .m = SECCOMP_ON, .a = DO_URING_REGISTER_BUFFERS });
	CHECK(stopped_by_filter(st), "loop thread: IORING_REGISTER_BUFFERS stops it (status 0x%x)", st);
	st = run_child((struct job){ .t = SECCOMP_THREAD_VCPU, .m = SECCOMP_ON, .a = DO_URING_FILES_UPDATE });
	CHECK(stopped_by_filter(st), "vCPU thread: io_uring_register stops it (status 0x%x)", st);

	/* The filter is per thread: the process that forked the children is unconfined. */
	{
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		CHECK(s >= 0, "the test process itself is not confined");
		if (s >= 0)
			close(s);
	}
	return tap_done();
}
