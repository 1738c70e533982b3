/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Live Update Orchestrator's uAPI (Linux 7.2 include/uapi/linux/liveupdate.h,
 * Documentation/userspace-api/liveupdate.rst), as nestvm uses it for the kexec update
 * (docs/liveupdate.md): /dev/liveupdate makes or retrieves named sessions; a session fd preserves
 * fds under 64-bit tokens before the kexec and hands them back by token after it.
 *
 * What the kernel guarantees, and what it does not (kernel/liveupdate/luo_session.c, luo_file.c):
 * - An outgoing session lives as long as its fd: closing it unpreserves every fd in it. The process
 *   that calls reboot(LINUX_REBOOT_CMD_KEXEC) must hold it open.
 * - An incoming session can be retrieved once (a second LIVEUPDATE_IOCTL_RETRIEVE_SESSION: EINVAL).
 *   Closing a retrieved session finishes it: every fd not retrieved is discarded. So a process that
 *   refuses what it retrieved keeps the session fd open to keep the session (cmd_restore.c).
 * - A preserved memfd comes back with its size, contents and file position; not its seals, its name
 *   or FD_CLOEXEC (mm/memfd_luo.c). Hugetlb memfds cannot be preserved.
 */
#ifndef NESTVM_LUO_H
#define NESTVM_LUO_H

#include <stddef.h>
#include <stdint.h>

#define LUO_DEV "/dev/liveupdate"

/* Opens /dev/liveupdate; -errno (ENOENT: the kernel has no LUO or runs without liveupdate=on). */
int luo_open(void);
/* A new outgoing session NAME (at most LIVEUPDATE_SESSION_NAME_LENGTH - 1 bytes): its fd or -errno. */
int luo_session_create(int dev, const char *name);
/* The incoming session NAME from the previous kernel: its fd or -errno (ENOENT: none such). */
int luo_session_retrieve(int dev, const char *name);
/* Preserves FD in SESSION under TOKEN; -errno (ENOENT: no handler can preserve that kind of fd). */
int luo_preserve_fd(int session, int fd, uint64_t token);
/* The fd preserved under TOKEN, close-on-exec; -errno. */
int luo_retrieve_fd(int session, uint64_t token);
/* LIVEUPDATE_SESSION_FINISH: the kernel lets go of the session's preserved resources. -errno. */
int luo_session_finish(int session);
/* A one-line description of a LUO errno for messages. */
const char *luo_strerror(int e);

#endif
