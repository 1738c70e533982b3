// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the userspace 82093AA I/O APIC. A guest programs IOREGSEL/IOWIN with any offset,
 * width and value (redirection entries, ID, read-only registers, registers that do not exist),
 * devices raise and lower pins (including ones that do not exist), and LAPIC EOIs of any vector come
 * back. Each op is 6 bytes. Nothing may crash or hang (ASan/UBSan), and a level-triggered pin left
 * asserted must not turn an EOI into an endless stream of MSIs (bounded per op below).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/ioapic.h"

#define OP_LEN 6

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned int nr_msi;

static int msi(void *opaque, uint64_t addr, uint32_t d)
{
	nr_msi++;
	return 0;
}

static void route(void *opaque, unsigned int pin, uint64_t addr, uint32_t d)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioapic io;

	ioapic_init(&io, msi, route, NULL);
	for (size_t i = 0; i + OP_LEN <= size; i += OP_LEN) {
		const uint8_t *p = data + i;
		uint32_t v = p[2] | p[3] << 8 | p[4] << 16 | (uint32_t)p[5] << 24;
		uint8_t b[8];

		nr_msi = 0;
		switch (p[0] % 4) {
		case 0: /* IOREGSEL / IOWIN at their offsets, 32-bit, as the spec wants */
			memcpy(b, &v, 4);
			ioapic_mmio(&io, p[1] & 1 ? 0x10 : 0x00, b, 4, p[0] & 4);
			break;
		case 1: { /* anywhere in the window, any width */
			uint32_t len = 1u << (p[0] >> 3 & 3);

			memset(b, 0, sizeof(b));
			memcpy(b, &v, 4);
			ioapic_mmio(&io, (uint64_t)p[1] << 4 | (p[0] >> 5), b, len, p[0] & 4);
			break;
		}
		case 2:
			ioapic_set_irq(&io, p[1] % (IOAPIC_PINS + 2), p[0] & 4);
			break;
		case 3:
			ioapic_eoi(&io, p[1]);
			break;
		}
		/* One op delivers at most one MSI per pin. */
		if (nr_msi > IOAPIC_PINS)
			__builtin_trap();
	}
	ioapic_destroy(&io);
	return 0;
}
