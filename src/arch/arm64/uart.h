/* SPDX-License-Identifier: GPL-2.0-only */
/* The machine's PL011 at ARM64_UART_BASE, SPI ARM64_UART_SPI, wired to the console. */
#ifndef NESTVM_ARM64_UART_H
#define NESTVM_ARM64_UART_H

struct vm;

int arm64_uart_create(struct vm *vm);
void arm64_uart_destroy(struct vm *vm);

#endif
