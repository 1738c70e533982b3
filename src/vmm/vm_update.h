/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Updating nestvm by re-exec while the VM runs on (docs/liveupdate.md, issue 12 (a)).
 *
 * The old process (vm.update from the control API, on the loop thread, which pauses the VM first):
 * vm_update_prepare opens the new binary (and the running one, to go back to) on the updater thread;
 * vm_update_commit saves the state into a sealed memfd, hands the fds over (FD_CLOEXEC cleared)
 * and execs `nestvm run --restore-fd N --previous-binary-fd M`. It returns only when that failed:
 * the fds are taken back and the VM resumes here.
 *
 * The new process (cmd_run): vm_restore_begin reads the state; vm_create restores from it; then
 * vm_restore_reply answers the request on the handed-over connection, with every phase's time.
 * A failure before the VM runs calls vm_restore_fallback: exec of the previous binary with the same
 * state and the reason, which restores the VM and answers the request with the error.
 */
#ifndef NESTVM_VM_UPDATE_H
#define NESTVM_VM_UPDATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "liveupdate/state_format.h"
#include "vmm/updater.h"
#include "vmm/vm_kexec.h"
#include "vmm/vm_state.h"

struct vm;
struct api_server;

struct vm_update {
	struct vm *vm;
	struct updater thread;
	int argc;
	char **argv;                    /* the `run` arguments the VM was made with (argv[0] "run") */
	struct api_server *api;         /* its listening socket is handed over */
	/* One request at a time (the loop waits for each step). */
	const char *binary;
	int bin_fd, prev_fd, conn_fd;
	struct vm_update_info info;
	struct vm_kexec kx;             /* mode kexec (vm_kexec.h) */
	char err[320];
};

/* Starts the updater thread; before any thread installs its seccomp filter. */
int vm_update_init(struct vm_update *u, struct vm *vm, int argc, char **argv);
void vm_update_fini(struct vm_update *u);
/* Opens BINARY (NULL: the running one) and the running binary; -errno with u->err. Nothing paused yet. */
int vm_update_prepare(struct vm_update *u, const char *binary, bool rehearse, int conn_fd);
/* VM paused: save, hand over, exec. Returns only on failure (u->err), everything taken back. */
int vm_update_commit(struct vm_update *u);
/* After a failed or abandoned update: closes what prepare opened. */
void vm_update_abort(struct vm_update *u);

/* The new process. */
struct vm_restore {
	int state_fd, prev_fd, conn_fd;
	const char *fallback_reason;    /* set: this is the previous binary taking the VM back */
	uint64_t t_start, t_restored;
	int64_t iommufd_free_id;        /* the lowest free iommufd object id after the restore; -1: no iommufd */
	struct vm_update_info info;
	struct lu_state st;
};

/* Parses `run --restore-fd N --previous-binary-fd M [--restore-fallback WHY]`; 1 when ARGV is not one. */
int vm_restore_args(struct vm_restore *rs, int argc, char **argv);
/* Reads and checks the state; -errno with WHY. */
int vm_restore_begin(struct vm_restore *rs, char *why, unsigned long why_size);
/*
 * Execs the previous binary with the same state and WHY. VM (may be NULL: nothing adopted yet) gives
 * its handed-over fds back first. Returns only when that exec failed (the VM is then lost).
 */
int vm_restore_fallback(struct vm_restore *rs, struct vm *vm, const char *why);
/* The VM runs again: answers vm.update on the handed-over connection and emits the event. */
void vm_restore_reply(struct vm_restore *rs, struct vm *vm);
void vm_restore_end(struct vm_restore *rs);
/* Writes an HTTP/1.1 answer on FD (a non-blocking socket: waits up to 5 s for room). */
void vm_update_reply_http(int fd, int status, const char *reason, const char *type, const char *body);

static inline uint64_t vm_update_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

#endif
