// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the 16550A UART with a guest accessing its eight registers (and beyond) at any
 * width with any values (DLAB on and off, FIFO control, loopback, scratch), and host input of any
 * length arriving in between (the receive buffer fills and overruns). Each op is 3 bytes; input ops
 * carry their bytes. Nothing may crash or hang (ASan/UBSan); the interrupt callback is called only
 * when the line level changes (serial8250.h).
 */
#include <stdint.h>
#include <string.h>

#include "devices/serial8250.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool level;

static void irq(void *opaque, bool l)
{
	if (l == level)
		__builtin_trap();
	level = l;
}

static void tx(void *opaque, const uint8_t *buf, size_t len)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serial8250 s;
	size_t i = 0;

	level = false;
	serial8250_init(&s, irq, tx, NULL);
	while (i + 3 <= size) {
		const uint8_t *p = data + i;
		uint8_t b[8] = { p[2], p[2], p[2], p[2], p[2], p[2], p[2], p[2] };

		i += 3;
		if (p[0] & 0x80) {
			/* Host input: P[2] x 16 bytes (beyond the 1 KiB buffer in a few ops), from the input itself. */
			size_t n = (size_t)p[2] * 16, k = size - i < n ? size - i : n;

			serial8250_input(&s, data + i, k);
			if (n > k)
				serial8250_input(&s, data, n - k < size ? n - k : size);
			continue;
		}
		if (p[0] & 0x40)
			serial8250_access(&s, p[1], b, 1u << (p[0] >> 4 & 3), p[0] & 8);
		else
			serial8250_access(&s, p[1] & 7, b, 1, p[0] & 8);
	}
	serial8250_destroy(&s);
	return 0;
}
