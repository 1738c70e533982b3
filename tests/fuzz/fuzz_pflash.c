// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the CFI flash with a guest writing any command, count and data at any offset
 * and width, and reading in every mode: program/erase/buffered-program sequences cut short, counts
 * beyond the buffer, data outside the buffer window, unknown commands, accesses straddling the end.
 * The vars file is a memfd (reset per input). The first input byte picks OVMF's byte-wide geometry
 * or AAVMF's 32-bit two-device one (bit 1: read-only); then 11-byte ops [ctl, offset le16, value
 * le64], ctl bit 7 write, bit 6 near the end, bits 1:0 width 1/2/4/8. Nothing may crash or touch memory outside the array (ASan/UBSan),
 * and the read-array mapping callback must alternate (never "map" twice in a row).
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/pflash_cfi01.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLASH_SIZE (64u << 10)   /* small: the file is rewritten for every input */

static int fd = -1;
static char path[64];
static bool mapped;

static void romd(void *opaque, bool on)
{
	if (on == mapped)
		__builtin_trap();
	mapped = on;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pflash_geom ovmf = { .block_size = 0x1000, .bank_width = 1, .device_width = 1 };
	static const struct pflash_geom aavmf = { .block_size = 0x4000, .bank_width = 4, .device_width = 2 };
	static uint8_t image[FLASH_SIZE];
	struct pflash p;

	if (fd < 0) {
		fd = memfd_create("fuzz_pflash", MFD_CLOEXEC);
		if (fd < 0)
			__builtin_trap();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		memset(image, 0xff, sizeof(image));
	}
	if (!size || pwrite(fd, image, sizeof(image), 0) != (ssize_t)sizeof(image))
		return 0;
	mapped = true;
	if (pflash_open(&p, "fuzz", path, data[0] & 2, data[0] & 1 ? &aavmf : &ovmf, 0, romd, NULL))
		__builtin_trap();
	for (size_t i = 1; i + 11 <= size; i += 11) {
		uint8_t ctl = data[i], v[8];
		uint32_t off = (uint32_t)data[i + 1] | (uint32_t)data[i + 2] << 8;

		memcpy(v, data + i + 3, 8);
		/* ctl bit 6: relative to 8 bytes before the end, so accesses straddle it and go past it. */
		pflash_mmio(&p, ctl & 0x40 ? FLASH_SIZE - 8 + (off & 0xf) : off, v, 1u << (ctl & 3), ctl & 0x80);
	}
	pflash_close(&p);
	return 0;
}
