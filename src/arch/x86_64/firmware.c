// SPDX-License-Identifier: GPL-2.0-only
/* x86_64 firmware boot: flash, Q35 chipset functions, CMOS RTC, fw_cfg (see firmware.h). */
#include "arch/x86_64/firmware.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arch/x86_64/acpi_tables.h"
#include "arch/x86_64/layout.h"
#include "devices/acpi_pm.h"
#include "devices/cmos_rtc.h"
#include "devices/fw_cfg.h"
#include "devices/fw_cfg_acpi.h"
#include "devices/fw_cfg_machine.h"
#include "devices/ich9_lpc.h"
#include "devices/q35_host.h"
#include "vmm/exitcode.h"
#include "vmm/flash_bank.h"
#include "vmm/log.h"
#include "vmm/vm.h"

struct x86_fw {
	struct vm *vm;
	struct flash_bank code, vars;
	struct fw_cfg cfg;
	struct cmos_rtc rtc;
	struct acpi_pm pm;
	struct ich9_lpc *lpc;       /* owned by the PCI host */
	uint16_t pm_base;           /* where the ACPI block is on vm->pio while pm_on */
	bool pm_on, pm_refused;
	bool cfg_init, cfg_on_bus, rtc_init, rtc_on_bus, pm_init;
};

/* OVMF's flash driver (QemuFlashFvbServicesRuntimeDxe) programs bytes and erases 4 KiB blocks of x8 flash. */
static const struct pflash_geom geom = { .block_size = 0x1000, .bank_width = 1, .device_width = 1 };

/*
 * The 64-bit PCI aperture OVMF places (OvmfPkg PlatformInitLib: its base is the end of RAM aligned
 * to 1 GiB, then to the aperture's size): told it is 64 GiB, with no RAM above 4 GiB OVMF puts it at
 * 64 GiB, where this machine's MMIO64 window is (layout.h). A decimal string, as QEMU's -fw_cfg gives it.
 */
#define MMIO64_MB_FILE "opt/ovmf/X-PciMmio64Mb"
_Static_assert(X86_MMIO64_BASE == X86_MMIO64_SIZE, "OVMF aligns the aperture to its size: base == size");

/* ich9_pm_decode_fn: the LPC bridge's PMBASE/ACPI_EN moved the ACPI block. */
static void pm_decode(void *opaque, uint16_t base, bool on)
{
	struct x86_fw *fw = opaque;
	int r;

	if (fw->pm_on) {
		bus_unregister(&fw->vm->pio, fw->pm_base, &fw->pm);
		fw->pm_on = false;
	}
	if (!on)
		return;
	r = bus_register(&fw->vm->pio, base, ICH9_PM_LEN, acpi_pm_pio, &fw->pm, "acpi-pm1");
	if (!r) {
		fw->pm_base = base;
		fw->pm_on = true;
		pr_debug("firmware: the ACPI PM block decodes at port 0x%x", base);
	} else if (!fw->pm_refused) {
		fw->pm_refused = true;   /* once: the guest may retry */
		pr_err("firmware: the guest put the ACPI PM block (PMBASE) at port 0x%x, over another device: not decoded",
		       base);
	}
}

/* acpi_pm_sleep_fn: PM1_CNT.SLP_EN. SLP_TYP 0 is soft-off on QEMU's q35, what OVMF's ResetShutdown writes. */
static void pm_sleep(void *opaque, unsigned int typ)
{
	struct x86_fw *fw = opaque;

	if (typ == 0) {
		pr_debug("guest entered S5 (soft off) through PM1_CNT");
		vm_request_exit(fw->vm, EXIT_OK);
	} else {
		pr_debug("ACPI: PM1_CNT sleep type %u ignored (only soft-off, 0, is offered)", typ);
	}
}

static int file_size(const char *opt, const char *path, uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return err_errno("%s %s", opt, path);
	*size = (uint64_t)st.st_size;
	return 0;
}

static int open_flash(struct vm *vm, struct x86_fw *fw)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t code, vars;
	int r;

	/* firmware_check made sure the two fill the 4 MiB; the code ends at 4 GiB, the vars below it. */
	r = file_size("--firmware", cfg->firmware, &code);
	if (!r)
		r = file_size("--firmware-vars", cfg->firmware_vars, &vars);
	if (r)
		return r;
	if (code + vars != X86_FW_FLASH_SIZE) {
		pr_err("--firmware with --firmware-vars: %" PRIu64 " KiB, the flash below 4 GiB is %llu KiB",
		       (code + vars) >> 10, X86_FW_FLASH_SIZE >> 10);
		return -EINVAL;
	}
	r = flash_bank_open(vm, &fw->code, "flash0 (firmware code)", cfg->firmware, true, &geom,
			    X86_FW_FLASH_END - code, 0, 0);
	if (!r)
		r = flash_bank_open(vm, &fw->vars, "flash1 (firmware vars)", cfg->firmware_vars, false, &geom,
				    X86_FW_FLASH_END - code - vars, 0, 0);
	return r;
}

int x86_firmware_create(struct vm *vm)
{
	struct x86_fw *fw;
	uint64_t tolud = (vm->cfg->mem_size + (1u << 20) - 1) & ~((1ull << 20) - 1);
	int r;

	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return err_num(ENOMEM, "firmware devices");
	fw->vm = vm;
	vm->arch.fw = fw;
	r = open_flash(vm, fw);
	if (r)
		goto err;

	q35_host_init(vm->pci, tolud);
	r = acpi_pm_init(&fw->pm, pm_sleep, fw);
	if (r)
		goto err;
	fw->pm_init = true;
	r = ich9_lpc_create(vm->pci, vm, pm_decode, fw, &fw->lpc);
	if (r)
		goto err;

	r = cmos_rtc_init(&fw->rtc);
	if (r)
		goto err;
	fw->rtc_init = true;
	cmos_rtc_set_memory(&fw->rtc, vm->cfg->mem_size, 0, vm->cfg->cpus);
	r = bus_register(&vm->pio, X86_CMOS_PORT, CMOS_PORT_LEN, cmos_rtc_pio, &fw->rtc, "cmos-rtc");
	if (r) {
		err_num(r, "CMOS RTC at port 0x%x", X86_CMOS_PORT);
		goto err;
	}
	fw->rtc_on_bus = true;

	r = fw_cfg_init(&fw->cfg, &vm->mem);
	if (r)
		goto err;
	fw->cfg_init = true;
	r = bus_register(&vm->pio, FW_CFG_PIO_BASE, FW_CFG_PIO_LEN, fw_cfg_pio, &fw->cfg, "fw_cfg");
	if (r) {
		err_num(r, "fw_cfg at port 0x%x", FW_CFG_PIO_BASE);
		goto err;
	}
	fw->cfg_on_bus = true;
	return 0;
err:
	x86_firmware_destroy(vm);
	return r;
}

int x86_firmware_add_boot(struct vm *vm, const void *setup, size_t setup_size, const void *kernel, size_t kernel_size,
			  const void *initrd, size_t initrd_size, const char *cmdline)
{
	struct x86_fw *fw = vm->arch.fw;
	/* RAM from 0 (OVMF itself carves the legacy holes out of it), and KVM's pages as QEMU reserves them. */
	const struct fw_cfg_e820 e820[] = {
		{ 0, vm->cfg->mem_size, FW_CFG_E820_RAM },
		{ X86_FW_IDENTITY_MAP, X86_FW_KVM_RESERVED, FW_CFG_E820_RESERVED },
	};
	struct fw_cfg_machine m = {
		.nr_cpus = vm->cfg->cpus, .ram_size = vm->cfg->mem_size, .e820 = e820, .nr_e820 = 2,
		.setup = setup, .setup_size = setup_size, .kernel = kernel, .kernel_size = kernel_size,
		.initrd = initrd, .initrd_size = initrd_size, .cmdline = cmdline,
	};
	char mb[24];
	int r, n;

	r = fw_cfg_add_machine(&fw->cfg, &m);
	if (r)
		return r;
	n = snprintf(mb, sizeof(mb), "%llu", X86_MMIO64_SIZE >> 20);
	return fw_cfg_add_file(&fw->cfg, MMIO64_MB_FILE, mb, (size_t)n, false);
}

int x86_firmware_add_acpi(struct vm *vm, struct x86_acpi_machine *m)
{
	struct x86_fw *fw = vm->arch.fw;
	uint8_t *buf;
	size_t used;
	int r;

	/* The FADT names the block OVMF programs (PMBASE 0x600): the PM timer at +8, sleep registers moved. */
	m->sleep_port = X86_FW_SLEEP_PORT;
	m->pm_tmr_port = X86_FW_PMBASE + ACPI_PM_TMR;
	buf = calloc(1, X86_ACPI_SIZE);
	if (!buf)
		return err_num(-ENOMEM, "ACPI tables");
	/* Built for address 0: fw_cfg_add_acpi turns every pointer into a table-loader command. */
	r = x86_acpi_build(m, buf, X86_ACPI_SIZE, 0, &used);
	if (!r)
		r = fw_cfg_add_acpi(&fw->cfg, buf, used);
	free(buf);
	return r;
}

void x86_firmware_destroy(struct vm *vm)
{
	struct x86_fw *fw = vm->arch.fw;

	if (!fw)
		return;
	if (fw->cfg_on_bus)
		bus_unregister(&vm->pio, FW_CFG_PIO_BASE, &fw->cfg);
	if (fw->cfg_init)
		fw_cfg_destroy(&fw->cfg);
	if (fw->rtc_on_bus)
		bus_unregister(&vm->pio, X86_CMOS_PORT, &fw->rtc);
	if (fw->rtc_init)
		cmos_rtc_destroy(&fw->rtc);
	if (fw->pm_on)
		bus_unregister(&vm->pio, fw->pm_base, &fw->pm);
	if (fw->pm_init)
		acpi_pm_destroy(&fw->pm);
	/* The LPC bridge stays on the PCI host (which frees it); it must not call back any more. */
	if (fw->lpc)
		fw->lpc->decode = NULL;
	flash_bank_close(&fw->vars);
	flash_bank_close(&fw->code);
	free(fw);
	vm->arch.fw = NULL;
}
