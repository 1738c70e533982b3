/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --firmware / --firmware-vars: the images are checked against the arch's flash layout before
 * anything is created, with one clear message per problem (missing or unreadable file, vars not
 * writable, a size that does not fit the layout, code and vars that do not belong together, code
 * that is not code (blank, or a variable store: the two swapped), vars that are neither a variable
 * store volume nor blank flash).
 */
#ifndef NESTVM_FIRMWARE_H
#define NESTVM_FIRMWARE_H

struct vm_config;
struct arch_flash_layout;

/* 0 when both images fit L (or no --firmware), else -errno after reporting what is wrong. */
int firmware_check(const struct vm_config *cfg, const struct arch_flash_layout *l);

#endif
