/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The state's "fds" section: the fds a process hands over across an exec (kind, name, owner, fd
 * number, from the VM's fdtab), so the new process adopts exactly those, by number, checked.
 *
 * Version 1 payload: u32 count (at most FDTAB_MAX), then count entries of 72 bytes:
 *   u32 kind (enum fd_kind value), u32 fd, char name[40], char owner[24] (NUL terminated, NUL padded).
 */
#ifndef NESTVM_FDS_SECTION_H
#define NESTVM_FDS_SECTION_H

#include <stddef.h>

#include "liveupdate/state_format.h"
#include "vmm/fdtab.h"

#define LU_FDS_TYPE "fds"
#define LU_FDS_VERSION 1
#define LU_FDS_ENTRY_LEN 72

/* The reader's spec for it: version 1 only, once, required. */
extern const struct lu_section_spec lu_fds_spec;

/*
 * Writes the "fds" section (mandatory) listing T's handed-over fds (fdtab_kind_kept), all of them
 * (ONLY = FD_KIND_COUNT: across an exec) or those of kind ONLY (across a kexec: the guest RAM memfds
 * LUO preserves; the restore opens the others anew).
 */
int lu_fds_save(struct lu_writer *w, struct fdtab *t, enum fd_kind only);
/*
 * Decodes section S into a new array *OUT of *NR entries (free() it). Only the encoding is checked
 * here (bounds, kinds, names); -EINVAL with a reason in WHY.
 */
int lu_fds_decode(const struct lu_section *s, struct fdtab_entry **out, unsigned int *nr, char *why, size_t why_size);
/* Decodes S and adopts its fds into T (fdtab_adopt_handed_over: all or nothing). */
int lu_fds_adopt(const struct lu_section *s, struct fdtab *t, char *why, size_t why_size);

#endif
