/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The boot watchdog (--boot-timeout SECS, --boot-marker TEXT): a guest that has not reached its OS
 * SECS seconds after the VM was created stops nestvm with one clear line and EXIT_BOOT_TIMEOUT.
 * "Reached the OS" means: TEXT has appeared in the guest's console output (serial or
 * virtio-console, as the guest wrote it, before the output rate limit). The default TEXT,
 * "Linux version ", is the banner Linux's printk writes first (init/main.c linux_banner), which
 * reaches the console only once the kernel's console driver runs, so after the firmware's
 * ExitBootServices: firmware output (UEFI Shell, boot manager, loader) never matches it. A guest
 * booted with `quiet` or a non-Linux OS names its own first line (e.g. its init's).
 */
#ifndef NESTVM_BOOT_WATCH_H
#define NESTVM_BOOT_WATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOT_MARKER_MAX 64
#define BOOT_MARKER_MAX_STR "64"
#define BOOT_MARKER_DEFAULT "Linux version "

struct vm;
struct ev_watch;

struct boot_watch {
	/* The matcher: the marker, its KMP failure table and how much of it the output ends with. */
	uint8_t marker[BOOT_MARKER_MAX];
	uint8_t fail[BOOT_MARKER_MAX];
	size_t len, matched;
	atomic_bool reached;
	/* The timer (boot_watch_start). */
	struct vm *vm;
	unsigned int secs;
	int timer_fd;
	struct ev_watch *watch;
};

/* A matcher for MARKER (1 to BOOT_MARKER_MAX bytes); -EINVAL if it does not fit. */
int boot_watch_init(struct boot_watch *w, const char *marker);
/* Guest console bytes, in order (one writer at a time: the console's output lock); true once reached. */
bool boot_watch_feed(struct boot_watch *w, const uint8_t *buf, size_t len);
/*
 * Arms the timer on vm->loop and taps the console: after SECS seconds without the marker, reports
 * and vm_request_exit(EXIT_BOOT_TIMEOUT). Setup thread, before the loop runs.
 */
int boot_watch_start(struct boot_watch *w, struct vm *vm, unsigned int secs);
void boot_watch_stop(struct boot_watch *w);

#endif
