/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host side of the guest console: stdin (raw mode when it is a terminal, restored on every exit
 * path) feeds one front-end (a UART or virtio-console), and guest output goes to stdout. Input is
 * read on the event loop thread; output may come from any thread (vCPUs for UARTs).
 */
#ifndef NESTVM_CONSOLE_H
#define NESTVM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct vm;

/* Called on the loop thread with bytes typed by the user; the front-end queues or drops them. */
typedef void (*console_input_fn)(void *opaque, const uint8_t *buf, size_t len);

/* Puts stdin in raw mode (if a tty) and watches it on vm->loop. Ctrl-A x quits (exit code 0). */
int console_init(struct vm *vm);
void console_destroy(struct vm *vm);
/* The one front-end that receives input (the --console choice). */
void console_set_input(console_input_fn fn, void *opaque);
/* Guest output; never blocks for long, drops on a stuck stdout rather than stalling a vCPU. Rate-limited
 * (console.c): what exceeds the limit is dropped and reported. */
void console_write(const uint8_t *buf, size_t len);
/*
 * A tap on guest output (the boot watchdog): FN sees every byte the guest writes, in order, one call
 * at a time (under the output lock), before the rate limit. NULL removes it.
 */
typedef void (*console_tap_fn)(void *opaque, const uint8_t *buf, size_t len);
void console_set_output_tap(console_tap_fn fn, void *opaque);
/* The same for N pieces (one lock and clock reading for all); pieces with iov_base NULL are skipped. */
void console_writev(const struct iovec *iov, unsigned int n);

#endif
