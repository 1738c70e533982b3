// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: fw_cfg with a guest driving both register windows (x86 ports, virt MMIO) at any
 * width, offset and value, and DMA descriptors in guest RAM that the input fills: selects of any
 * key, reads/writes/skips of any length at any address (RAM, straddling its end, wrapping), writes
 * to read-only items and past a writable file's end. The input starts with a 512-byte RAM image
 * (RAM is 64 KiB at guest physical 0, so small DMA addresses land in it), then 10-byte ops:
 * [ctl, offset, value le64], ctl bit 7 MMIO, bit 6 write, bits 1:0 width 1/2/4/8. Nothing may crash,
 * hang or touch memory outside guest RAM (ASan/UBSan).
 */
#include <stdint.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/fw_cfg_machine.h"
#include "vmm/guest_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_SIZE (64u << 10)
#define IMG 512

static struct guest_mem gm;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fw_cfg_e820 e820[] = { { 0, RAM_SIZE, FW_CFG_E820_RAM } };
	static const uint8_t kernel[3000];
	struct fw_cfg_machine m = { .nr_cpus = 2, .ram_size = RAM_SIZE, .e820 = e820, .nr_e820 = 1,
				    .kernel = kernel, .kernel_size = sizeof(kernel), .cmdline = "console=ttyS0" };
	struct fw_cfg f;
	uint8_t *ram;
	size_t i;

	if (!gm.nr && gmem_add_ram(&gm, 0, RAM_SIZE, false))
		__builtin_trap();
	ram = gmem_ptr(&gm, 0, RAM_SIZE);
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data, size < IMG ? size : IMG);
	if (fw_cfg_init(&f, &gm) || fw_cfg_add_machine(&f, &m) || fw_cfg_add_file(&f, "etc/rw", kernel, 64, true))
		__builtin_trap();
	for (i = IMG; i + 10 <= size; i += 10) {
		uint8_t ctl = data[i], v[8];
		uint32_t len = 1u << (ctl & 3);

		memcpy(v, data + i + 2, 8);
		if (ctl & 0x80)
			fw_cfg_mmio(&f, data[i + 1] % (FW_CFG_MMIO_LEN + 8), v, len, ctl & 0x40);
		else
			fw_cfg_pio(&f, data[i + 1] % (FW_CFG_PIO_LEN + 4), v, len, ctl & 0x40);
	}
	fw_cfg_destroy(&f);
	return 0;
}
