// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the PL031 RTC (ARM DDI 0224C) with a guest accessing any offset of its 4 KiB
 * window at any width, reads and writes. Each op is 6 bytes: flags (0x40 write, 0x10 any width and
 * offset, bits 5:4 of the width otherwise ignored), offset[11:0] in the next two bytes, then a 32-bit
 * value. Nothing may crash (ASan/UBSan), and a 32-bit LR write must read back from LR.
 */
#include <stdint.h>
#include <string.h>

#include "devices/pl031.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl031 rtc;

	if (pl031_init(&rtc))
		__builtin_trap();
	for (size_t i = 0; i + 6 <= size; i += 6) {
		const uint8_t *p = data + i;
		uint32_t len = 1u << (p[0] & 3), off = (uint32_t)(p[1] | (p[2] & 0xf) << 8);
		uint8_t b[8] = { p[3], p[4], p[5], p[0] };
		bool wr = p[0] & 0x40;

		/* Mostly the registers (4-byte aligned, 32-bit), sometimes anything up to 8 bytes. */
		if (!(p[0] & 0x10)) {
			off &= 0xffc;
			len = 4;
		}
		pl031_mmio(&rtc, off, b, len, wr);
		if (wr && len == 4 && off == PL031_LR) {
			uint32_t v, back;

			memcpy(&v, b, 4);
			pl031_mmio(&rtc, PL031_LR, (uint8_t *)&back, 4, false);
			if (back != v)
				__builtin_trap();
		}
	}
	pl031_destroy(&rtc);
	return 0;
}
