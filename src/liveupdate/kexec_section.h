/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The state's "kexec" section: what the update by kexec adds to a state (docs/liveupdate.md), for
 * `nestvm restore --luo-session NAME` in the next kernel.
 *
 * Version 1 payload:
 *   string session name (1-63 bytes, LIVEUPDATE_SESSION_NAME_LENGTH - 1),
 *   u64 preserved, u64 loaded: CLOCK_MONOTONIC ns of the old kernel when the guest RAM memfds were in
 *     the session and when kexec_file_load had loaded the new kernel (the phases' ends: the
 *     "update" section has request, paused and saved),
 *   u64 CLOCK_REALTIME ns at the save (both kernels' clock, to the RTC's precision at best),
 *   u64 the machine counter at the save and u64 its frequency in Hz, 0 when there is none
 *     (host_counter.h: it runs on across the kexec, so the reboot is timed with it where it exists),
 *   string the new kernel's path, string its command line (each at most 4096 bytes).
 * The guest RAM memfds are preserved under their fd numbers in the old process (the "fds" section
 * lists them, kind guest-ram), the state memfd under LU_KEXEC_STATE_TOKEN.
 */
#ifndef NESTVM_KEXEC_SECTION_H
#define NESTVM_KEXEC_SECTION_H

#include <stddef.h>
#include <stdint.h>

#include "liveupdate/state_format.h"

#define LU_KEXEC_TYPE "kexec"
#define LU_KEXEC_VERSION 1
#define LU_KEXEC_MAX_STR 4096
#define LU_KEXEC_NAME_MAX 63
/* "nestvmST": the state memfd's token; the RAM memfds' tokens are fd numbers, never this large. */
#define LU_KEXEC_STATE_TOKEN 0x5453766d7473656eull

struct lu_kexec_info {
	char session[LU_KEXEC_NAME_MAX + 1];
	uint64_t t_preserved, t_loaded, realtime_saved, counter_saved, counter_hz;
	char kernel[LU_KEXEC_MAX_STR + 1];
	char cmdline[LU_KEXEC_MAX_STR + 1];
};

extern const struct lu_section_spec lu_kexec_spec;

int lu_kexec_save(struct lu_writer *w, const struct lu_kexec_info *k);
/* Decodes S (an empty session name refused); -EINVAL with WHY. */
int lu_kexec_decode(const struct lu_section *s, struct lu_kexec_info *out, char *why, size_t why_size);

#endif
