// SPDX-License-Identifier: GPL-2.0-only
/*
 * The port I/O a Linux guest uses to power off and reset, and legacy ports it pokes:
 *   0x600-0x602  hardware-reduced ACPI SLEEP_CONTROL / SLEEP_STATUS / RESET_REG (FADT, ACPI 6.5 4.8.3.7, 4.8.3.6);
 *                0x680-0x682 under firmware boot, where the ICH9 ACPI block is at 0x600
 *   0xcf9        reset control register (Linux reboot=pci; ICH/PCH datasheets: bit 2 RST_CPU)
 *   0x60, 0x64   i8042: only the 0xFE "pulse reset line" command at 0x64 (Linux reboot=kbd, and
 *                our reset vector stub); the data port reads 0 and ignores writes
 *   0x80         POST code port (Linux's io_delay writes it): a sink
 * The interrupt controllers, PIT and speaker port (0x61) are in KVM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/machine.h"
#include "devices/pci.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define SLP_EN (1u << 5)            /* Sleep Control Register bit 5, SLP_TYPx in bits 4:2 */
#define SLP_TYP(v) (((v) >> 2) & 7)
#define RCR_RST_CPU (1u << 2)
#define I8042_CMD_RESET 0xfe

/* Linux repeats a reset write (ten i8042 pulses): one line, from the first. */
static void guest_reset(struct vm *vm, const char *how)
{
	if (!atomic_load(&vm->stopping))
		pr_info("guest reset through %s; stopping (exit code %d)", how, EXIT_GUEST_RESET);
	vm_request_exit(vm, EXIT_GUEST_RESET);
}

static bool byte_access(uint8_t *data, uint32_t len, bool is_write)
{
	if (len == 1)
		return true;
	if (!is_write && len <= 8)
		memset(data, 0xff, len);
	return false;
}

static void pm_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct vm *vm = opaque;

	if (!byte_access(data, len, is_write))
		return;
	if (!is_write) {
		data[0] = 0;                /* SLEEP_STATUS: WAK_STS clear; others read as 0 */
		return;
	}
	if (off == 0 && (data[0] & SLP_EN)) {
		if (SLP_TYP(data[0]) == X86_S5_SLP_TYP) {
			pr_debug("guest entered S5 (soft off)");
			vm_request_exit(vm, EXIT_OK);
		} else {
			pr_debug("ACPI: ignoring sleep type %u (only S5 is declared)", SLP_TYP(data[0]));
		}
	} else if (off == 2 && data[0] == X86_RESET_VALUE) {
		guest_reset(vm, "the FADT reset register");
	}
}

static void rcr_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct vm *vm = opaque;

	if (!byte_access(data, len, is_write))
		return;
	if (!is_write) {
		data[0] = 0;
		return;
	}
	if (data[0] & RCR_RST_CPU) {
		guest_reset(vm, "port 0xcf9");
	}
}

/* The i8042 command port (0x64): status reads "both buffers empty"; 0xFE pulses the reset line. */
static void i8042_cmd_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct vm *vm = opaque;

	if (!byte_access(data, len, is_write))
		return;
	if (!is_write) {
		data[0] = 0;
		return;
	}
	if (data[0] == I8042_CMD_RESET) {
		guest_reset(vm, "the i8042");
	}
}

/* The i8042 data port (0x60): nothing to read, writes (command parameters) are dropped. */
static void i8042_data_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	if (byte_access(data, len, is_write) && !is_write)
		data[0] = 0;
}

static void sink_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	if (!is_write && len <= 8)
		memset(data, 0xff, len);
}

static const struct {
	uint16_t port, len;
	bus_access_fn fn;
	const char *name;
} ports[] = {
	{ X86_PM_PORT, X86_PM_LEN, pm_access, "acpi-pm" },
	{ X86_I8042_CMD, 1, i8042_cmd_access, "i8042-cmd" },
	{ X86_I8042_DATA, 1, i8042_data_access, "i8042-data" },
	{ X86_POST_PORT, 1, sink_access, "post" },
};

/* Under firmware the ICH9 ACPI block takes 0x600: the hardware-reduced registers move past it (layout.h). */
static uint16_t port_of(const struct vm *vm, size_t i)
{
	return ports[i].port == X86_PM_PORT && vm->cfg && vm->cfg->firmware ? X86_FW_SLEEP_PORT : ports[i].port;
}

/*
 * After the devices exist: 0xcf9 sits inside the PCI host's 0xcf8 dword. When the host owns that
 * dword it hands byte accesses at 0xcf9 to us; otherwise the port is ours on the bus.
 */
int x86_reset_control_register(struct vm *vm)
{
	int r;

	if (vm->pci && vm->pci->cf8_on) {
		pci_host_set_cf9(vm->pci, rcr_access, vm);
		return 0;
	}
	r = bus_register(&vm->pio, X86_RCR_PORT, 1, rcr_access, vm, "reset-control");
	if (r)
		return err_num(r, "port 0xcf9 (reset control)");
	vm->arch.rcr_ready = true;
	return 0;
}

void x86_legacy_ports_unregister(struct vm *vm)
{
	if (vm->arch.rcr_ready)
		bus_unregister(&vm->pio, X86_RCR_PORT, vm);
	vm->arch.rcr_ready = false;
	if (!vm->arch.legacy_ready)
		return;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		bus_unregister(&vm->pio, port_of(vm, i), vm);
	vm->arch.legacy_ready = false;
}

int x86_legacy_ports_register(struct vm *vm)
{
	int r;

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		r = bus_register(&vm->pio, port_of(vm, i), ports[i].len, ports[i].fn, vm, ports[i].name);
		if (r) {
			pr_err("port %#x (%s): cannot register: %s", port_of(vm, i), ports[i].name, strerror(-r));
			while (i--)
				bus_unregister(&vm->pio, port_of(vm, i), vm);
			return r;
		}
	}
	vm->arch.legacy_ready = true;
	return 0;
}
