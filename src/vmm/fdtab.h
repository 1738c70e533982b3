/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VM's fd table: the one owner of every fd the VM keeps, by kind, name and owner. A part that
 * opens an fd hands it over (fdtab_adopt) and gives it back to be closed (fdtab_close); the table
 * can therefore list what a live update must carry across an exec (fdtab_handover_begin clears
 * FD_CLOEXEC on exactly those), adopt the fds a previous process handed over, and count what is
 * still open (tests assert the count drops to 0 on teardown).
 *
 * Every call accepts a NULL table: the fd is then simply the caller's (adopt returns it, close
 * closes it), for unit tests and tools that build parts without a VM.
 */
#ifndef NESTVM_FDTAB_H
#define NESTVM_FDTAB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* The values are part of the live-update state format ("fds" section): never renumber, only append. */
enum fd_kind {
	FD_KVM = 0,           /* /dev/kvm */
	FD_KVM_VM = 1,        /* KVM_CREATE_VM */
	FD_KVM_VCPU = 2,      /* KVM_CREATE_VCPU */
	FD_KVM_DEVICE = 3,    /* KVM_CREATE_DEVICE (arm64 vGIC, ITS) */
	FD_IOMMUFD = 4,       /* /dev/iommu */
	FD_IOMMUFD_EVENTQ = 5,/* a vEVENTQ's (or fault queue's) read fd */
	FD_VFIO_DEVICE = 6,   /* /dev/vfio/devices/vfioN */
	FD_GUEST_RAM = 7,     /* a guest RAM memfd */
	FD_EVENTFD = 8,       /* an ioeventfd / MSI-X vector eventfd */
	FD_IRQFD = 9,         /* an eventfd KVM injects from (resample fds too) */
	FD_DISK = 10,         /* a disk image */
	FD_API_SOCKET = 11,   /* the control API's listening socket */
	FD_STATE = 12,        /* a live-update state memfd */
	FD_LOCAL = 13,        /* this process's own (signalfd, timerfd, ring wake fd): never handed over */
	FD_BINARY = 14,       /* a nestvm executable kept open (the one to go back to if an update fails) */
	FD_EVENT_MONITOR = 15,/* the --event-monitor stream */
	FD_DMABUF = 16,       /* a dma-buf of an assigned device's BAR (VFIO_DEVICE_FEATURE_DMA_BUF), for P2P */
	FD_KIND_COUNT
};

/* The kind's name ("kvm-vm", "guest-ram", ...), or NULL for a value that is not a kind. */
const char *fd_kind_name(enum fd_kind kind);
/*
 * Whether fds of KIND cross an exec. Not FD_LOCAL, and not the KVM kinds: a KVM VM (and its vCPUs
 * and devices) is bound to the mm that created it (kvm->mm: its ioctls from another mm fail with
 * EIO) and execve replaces the mm, so the new process creates its own and restores their state.
 */
bool fdtab_kind_kept(enum fd_kind kind);

#define FDTAB_NAME_LEN 40
#define FDTAB_OWNER_LEN 24
#define FDTAB_MAX 4096      /* fds one VM may own; more is refused (and a handover list is bounded) */

struct fdtab_entry {
	int fd;
	enum fd_kind kind;
	bool keep;                      /* handed over across an exec (fdtab_kind_kept) */
	char name[FDTAB_NAME_LEN];      /* unique per kind, e.g. "ram@0x40000000", "vcpu1" */
	char owner[FDTAB_OWNER_LEN];    /* the part that uses it, e.g. "guest_mem", "iommufd" */
};

struct fdtab {
	pthread_mutex_t lock;           /* fds come and go on vCPU threads too (MSI-X vectors) */
	struct fdtab_entry *e;
	unsigned int nr, cap;
	bool handover;                  /* between fdtab_handover_begin and _cancel */
};

int fdtab_init(struct fdtab *t);
/*
 * Takes ownership of FD as KIND, named NAME (truncated to FDTAB_NAME_LEN - 1), used by OWNER. Returns
 * FD, or -errno: a negative FD passes through (the caller's open failed); a full table or an unknown
 * kind closes FD; an fd already registered is reported and left alone (-EEXIST: a double adopt, or
 * an fd closed behind the table's back whose number came back; closing it could close the other).
 */
int fdtab_adopt(struct fdtab *t, int fd, enum fd_kind kind, const char *owner, const char *name);
/* Same, the name made with printf. */
int fdtab_adoptf(struct fdtab *t, int fd, enum fd_kind kind, const char *owner, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/*
 * Forgets and closes FD. An fd that is not registered is reported and left open (closing what the
 * table does not own could close another owner's reused fd number): -EBADF.
 */
int fdtab_close(struct fdtab *t, int fd);
/* The entry of FD copied to *OUT (may be NULL): true when registered. */
bool fdtab_lookup_fd(struct fdtab *t, int fd, struct fdtab_entry *out);
/* The fd registered as KIND/NAME, or -ENOENT. */
int fdtab_lookup(struct fdtab *t, enum fd_kind kind, const char *name);
/* Registered fds (of KIND, or all with FD_KIND_COUNT): a leak count for tests and teardown. */
unsigned int fdtab_count(struct fdtab *t, enum fd_kind kind);
/*
 * Copies up to MAX entries into OUT (in registration order) and returns how many are registered;
 * KEEP_ONLY: only those handed over across an exec.
 */
unsigned int fdtab_snapshot(struct fdtab *t, struct fdtab_entry *out, unsigned int max, bool keep_only);
/*
 * Before an exec: clears FD_CLOEXEC on every fd to be kept (fdtab_kind_kept; the others stay close-on-exec). All or
 * nothing: on failure the ones already cleared are restored. -errno (reported).
 */
int fdtab_handover_begin(struct fdtab *t);
/* The exec failed or was called off: FD_CLOEXEC set again on every kept fd (the old process goes on). */
void fdtab_handover_cancel(struct fdtab *t);
/* Forgets FD without closing it: it is the caller's again. -EBADF when not registered. */
int fdtab_release(struct fdtab *t, int fd);
/*
 * After the exec, in the new process: adopts the NR fds a previous process handed over (ENTRIES,
 * e.g. from the state's "fds" section). Each must be a kind that is handed over, open, not yet
 * registered, listed once (by number and by kind + name), and be what its kind says (the file type,
 * /proc/self/fd). Then all are registered, close-on-exec again. All or nothing: on failure nothing
 * is registered and no fd is changed or closed. -errno with a reason in WHY.
 */
int fdtab_adopt_handed_over(struct fdtab *t, const struct fdtab_entry *entries, unsigned int nr, char *why,
			    size_t why_size);
/*
 * Closes every fd still registered, reporting each (a leak: its owner should have closed it), and
 * frees the table. Returns the number of leaked fds.
 */
unsigned int fdtab_destroy(struct fdtab *t);

#endif
