// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the Q35 chipset parts a guest reaches under firmware boot, wired as the x86
 * machine wires them: the MCH's config space (PCIEXBAR moving the ECAM), the LPC bridge's (PMBASE
 * and ACPI_EN moving the ACPI PM block on the port bus), the ACPI PM block's ports and the CMOS RTC's.
 * Each op is 8 bytes: kind (bits 1:0: 0 MCH config, 1 LPC config, 2 PM block, 3 CMOS; bit 7 write;
 * bits 5:4 log2 width), offset le16, pad, value le32. Nothing may crash (ASan/UBSan); the ECAM is
 * off or a naturally aligned window of 1-256 MiB; the PM timer has 24 bits; CMOS C and D keep their values.
 */
#include <stdint.h>
#include <string.h>

#include "arch/arch.h"
#include "devices/acpi_pm.h"
#include "devices/cmos_rtc.h"
#include "devices/ich9_lpc.h"
#include "devices/pci.h"
#include "devices/q35_host.h"
#include "vmm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vm vm;
static struct acpi_pm pm;
static uint16_t pm_base;
static bool pm_on;

static void pm_decode(void *opaque, uint16_t base, bool on)
{
	if (pm_on)
		bus_unregister(&vm.pio, pm_base, &pm);
	pm_on = on && !bus_register(&vm.pio, base, ACPI_PM_LEN, acpi_pm_pio, &pm, "acpi-pm1");
	pm_base = base;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config cfg = { .firmware = "fuzz" };
	struct ich9_lpc *lpc;
	struct cmos_rtc rtc;

	memset(&vm, 0, sizeof(vm));
	vm.vm_fd = -1;
	vm.cfg = &cfg;
	vm.layout = arch_vm_layout(&cfg);
	pm_on = false;
	if (bus_init(&vm.mmio, "mmio") || bus_init(&vm.pio, "pio") || pci_host_create(&vm) || acpi_pm_init(&pm, NULL, NULL) ||
	    cmos_rtc_init(&rtc))
		__builtin_trap();
	q35_host_init(vm.pci, 512u << 20);
	if (ich9_lpc_create(vm.pci, &vm, pm_decode, NULL, &lpc) ||
	    bus_register(&vm.pio, 0x70, CMOS_PORT_LEN, cmos_rtc_pio, &rtc, "cmos"))
		__builtin_trap();
	cmos_rtc_set_memory(&rtc, 512u << 20, 0, 1);
	for (size_t i = 0; i + 8 <= size; i += 8) {
		const uint8_t *p = data + i;
		uint32_t len = 1u << ((p[0] >> 4) & 3), off = (uint32_t)(p[1] | p[2] << 8);
		uint8_t b[8] = { p[4], p[5], p[6], p[7] };
		bool wr = p[0] & 0x80;

		switch (p[0] & 3) {
		case 0:
		case 1:
			if (len > 4)
				len = 4;
			pci_host_cfg_access(vm.pci, 0, (p[0] & 3) ? ICH9_LPC_SLOT << 3 : 0, off & 0xfff, b, len, wr);
			break;
		case 2:
			acpi_pm_pio(&pm, off & 0x7f, b, len, wr);
			if (!wr && len == 4 && (off & 0x7f) == ACPI_PM_TMR) {
				uint32_t v;

				memcpy(&v, b, 4);
				if (v > ACPI_PM_TIMER_MASK)
					__builtin_trap();
			}
			/* Through the port bus too, where the LPC bridge put the block. */
			if (pm_on)
				bus_dispatch(&vm.pio, pm_base + (off & 0x7f), b, len, wr);
			break;
		default:
			bus_dispatch(&vm.pio, 0x70 + (off & 1), b, 1, wr);
			break;
		}
		if (vm.pci->ecam_on && (vm.pci->ecam_size < (1u << 20) || vm.pci->ecam_size > (256u << 20) ||
					(vm.pci->ecam_base & (vm.pci->ecam_size - 1))))
			__builtin_trap();
	}
	{
		uint8_t c = CMOS_REG_C, v = 1, d = CMOS_REG_D, w = 0;

		bus_dispatch(&vm.pio, 0x70, &c, 1, true);
		bus_dispatch(&vm.pio, 0x71, &v, 1, false);
		bus_dispatch(&vm.pio, 0x70, &d, 1, true);
		bus_dispatch(&vm.pio, 0x71, &w, 1, false);
		if (v != 0 || w != CMOS_D_VRT)
			__builtin_trap();
	}
	if (pm_on)
		bus_unregister(&vm.pio, pm_base, &pm);
	bus_unregister(&vm.pio, 0x70, &rtc);
	pci_host_destroy(&vm);
	cmos_rtc_destroy(&rtc);
	acpi_pm_destroy(&pm);
	bus_destroy(&vm.pio);
	bus_destroy(&vm.mmio);
	return 0;
}
