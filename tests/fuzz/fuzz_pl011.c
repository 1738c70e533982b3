// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the PL011 UART (ARM DDI 0183G) with a guest accessing any register offset of its
 * 4 KiB window at any width, and host input of any length arriving in between (the backlog fills,
 * overflows, drains through the FIFO). Each op is 4 bytes, input ops carry their bytes. Nothing may
 * crash or hang (ASan/UBSan); the interrupt callback only sees level changes.
 */
#include <stdint.h>
#include <string.h>

#include "devices/pl011.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool level;

static void irq(void *opaque, bool l)
{
	if (l == level)
		__builtin_trap();       /* pl011.h: called on changes of the output level */
	level = l;
}

static void tx(void *opaque, const uint8_t *buf, size_t len)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl011 u;
	size_t i = 0;

	level = false;
	if (pl011_init(&u, irq, tx, NULL))
		__builtin_trap();
	while (i + 4 <= size) {
		const uint8_t *p = data + i;
		uint32_t len = 1u << (p[0] >> 5 & 3), off = (uint32_t)(p[1] | (p[0] & 0xf) << 8);
		uint8_t b[8] = { p[2], p[3], p[2], p[3] };

		i += 4;
		if (p[0] & 0x80) {
			/* Host input: 20 x P[2] bytes (beyond the backlog), the input's bytes repeated. */
			static uint8_t in[255 * 20];
			size_t n = (size_t)p[2] * 20;

			for (size_t k = 0; k < n; k += size)
				memcpy(in + k, data, n - k < size ? n - k : size);
			pl011_input(&u, in, n);
			continue;
		}
		/* Mostly the defined registers (4-byte aligned, 32-bit), sometimes anything. */
		if (!(p[0] & 0x10)) {
			off &= 0xffc;
			len = 4;
		}
		pl011_mmio(&u, off, b, len, p[0] & 0x40);
	}
	pl011_destroy(&u);
	return 0;
}
