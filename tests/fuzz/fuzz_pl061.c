// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the PL061 GPIO (ARM DDI 0190B) with a guest accessing any offset of its 4 KiB
 * window at any width, and the machine driving lines and pressing the power button in between.
 * Each op is 4 bytes: [flags (0x80 machine op, 0x40 write, 0x10 any width/offset) | off[11:8],
 * off[7:0], value, machine line/level]. Nothing may crash or hang (ASan/UBSan); the interrupt
 * callback only sees level changes, and GPIOINTR always equals "any unmasked RIS bit".
 */
#include <stdint.h>
#include <string.h>

#include "devices/pl061.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool level;

static void irq(void *opaque, bool l)
{
	if (l == level)
		__builtin_trap();       /* pl061.h: called on changes of GPIOINTR */
	level = l;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl061 g;
	size_t i = 0;

	level = false;
	if (pl061_init(&g, irq, NULL))
		__builtin_trap();
	while (i + 4 <= size) {
		const uint8_t *p = data + i;
		uint32_t off = (uint32_t)(p[1] | (p[0] & 0xf) << 8), len = 1;
		uint8_t b[8] = { p[2], p[3], p[2], p[3] };

		i += 4;
		if (p[0] & 0x80) {
			/* Lines past 7 included: the model must ignore them. */
			if (p[3] & 0x80)
				pl061_press(&g, p[3] & 0xf);
			else
				pl061_set_input(&g, p[3] & 0xf, p[3] & 0x10);
		} else {
			if (p[0] & 0x10)
				len = 1u << (p[3] & 3);     /* 1, 2, 4, 8 bytes at any offset */
			else
				off &= 0xffc;
			pl061_mmio(&g, off, b, len, p[0] & 0x40);
		}
		if (level != ((g.ris & g.ie) != 0))
			__builtin_trap();
	}
	pl061_destroy(&g);
	return 0;
}
