// SPDX-License-Identifier: GPL-2.0-only
/* arm64 firmware boot: flash banks, PL031, fw_cfg (see firmware.h). */
#include "arch/arm64/firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi/arm_tables.h"
#include "arch/arm64/layout.h"
#include "devices/fw_cfg.h"
#include "devices/fw_cfg_acpi.h"
#include "devices/fw_cfg_machine.h"
#include "devices/pl031.h"
#include "vmm/flash_bank.h"
#include "vmm/log.h"
#include "vmm/vm.h"

struct arm64_fw {
	struct flash_bank code, vars;
	struct pl031 rtc;
	struct fw_cfg cfg;
	bool rtc_init, rtc_on_bus, cfg_init, cfg_on_bus;
};

/* AAVMF's NOR driver (VirtNorFlashDxe) drives a 32-bit bus of two x16 devices. */
static const struct pflash_geom geom = { .block_size = ARM64_FLASH_BLOCK, .bank_width = 4, .device_width = 2 };

int arm64_firmware_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct arm64_fw *fw;
	int r;

	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return err_num(ENOMEM, "firmware devices");
	vm->arch.fw = fw;
	r = flash_bank_open(vm, &fw->code, "flash0 (firmware code)", cfg->firmware, true, &geom, ARM64_FLASH_BASE,
			    ARM64_FLASH_BANK_SIZE, ARM64_FLASH_BANK_SIZE);
	if (!r)
		r = flash_bank_open(vm, &fw->vars, "flash1 (firmware vars)", cfg->firmware_vars, false, &geom,
				    ARM64_FLASH_BASE + ARM64_FLASH_BANK_SIZE, ARM64_FLASH_BANK_SIZE,
				    arm64_flash_vars_size(vm->arch.gic_its));
	if (r)
		goto err;
	if (fw->vars.flash.size < ARM64_FLASH_BANK_SIZE)
		pr_debug("firmware: the vars bank ends at 0x%" PRIx64 ", below the ITS at 0x%" PRIx64,
			 fw->vars.base + fw->vars.flash.size, vm->arch.gic_its);

	r = pl031_init(&fw->rtc);
	if (r)
		goto err;
	fw->rtc_init = true;
	r = bus_register(&vm->mmio, ARM64_RTC_BASE, ARM64_RTC_SIZE, pl031_mmio, &fw->rtc, "pl031");
	if (r) {
		err_num(r, "pl031: MMIO range at 0x%llx", ARM64_RTC_BASE);
		goto err;
	}
	fw->rtc_on_bus = true;

	r = fw_cfg_init(&fw->cfg, &vm->mem);
	if (r)
		goto err;
	fw->cfg_init = true;
	r = fw_cfg_add_machine(&fw->cfg, &(const struct fw_cfg_machine){ .nr_cpus = cfg->cpus, .ram_size = cfg->mem_size });
	if (r)
		goto err;
	r = bus_register(&vm->mmio, ARM64_FW_CFG_BASE, FW_CFG_MMIO_LEN, fw_cfg_mmio, &fw->cfg, "fw_cfg");
	if (r) {
		err_num(r, "fw_cfg: MMIO range at 0x%llx", ARM64_FW_CFG_BASE);
		goto err;
	}
	fw->cfg_on_bus = true;
	return 0;
err:
	arm64_firmware_destroy(vm);
	return r;
}

/* All of PATH in a new buffer (*SIZE bytes); NULL after reporting. */
static void *read_all(const char *opt, const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_errno("%s %s", opt, path);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		err_errno("%s %s", opt, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || !st.st_size || (uint64_t)st.st_size > UINT32_MAX) {
		pr_err("%s %s: not a regular file of 1 byte to 4 GiB (fw_cfg sizes are 32-bit)", opt, path);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		err_num(ENOMEM, "%s %s", opt, path);
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + done, (size_t)st.st_size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				err_errno("reading %s", path);
			else
				pr_err("%s: file shrank while being read", path);
			free(buf);
			buf = NULL;
			goto out;
		}
		done += (size_t)n;
	}
	*size = done;
out:
	close(fd);
	return buf;
}

int arm64_firmware_load_kernel(struct vm *vm, const char *cmdline)
{
	struct arm64_fw *fw = vm->arch.fw;
	struct fw_cfg_machine m = { .nr_cpus = vm->cfg->cpus, .ram_size = vm->cfg->mem_size, .cmdline = cmdline };
	void *kernel, *initrd = NULL;
	int r = -EINVAL;

	/* The EFI stub in the Image is what the firmware's loader starts (Documentation/arch/arm64/booting.rst
	 * does not apply: the stub itself places the kernel). */
	kernel = read_all("--kernel", vm->cfg->kernel, &m.kernel_size);
	if (!kernel)
		return r;
	if (vm->cfg->initrd && !(initrd = read_all("--initrd", vm->cfg->initrd, &m.initrd_size)))
		goto out;
	m.kernel = kernel;
	m.initrd = initrd;
	r = fw_cfg_add_machine(&fw->cfg, &m);
out:
	free(kernel);
	free(initrd);
	return r;
}

#define ARM64_ACPI_SIZE     0x10000     /* every table of up to 512 vCPUs fits */
#define GSIV_SPI(n)         (32u + (n))     /* SPI n's INTID, the GSIV ACPI names it by */
#define GSIV_PPI(n)         (16u + (n))

/*
 * The ACPI tables of this machine as the device tree describes it (devtree.c), for the firmware's
 * table-loader: with them in fw_cfg AAVMF installs ACPI and hands the OS no device tree.
 */
int arm64_firmware_add_acpi(struct vm *vm, const uint64_t *mpidr, unsigned int nr_cpus)
{
	struct arch_vm *a = &vm->arch;
	const struct acpi_arm_machine m = {
		.nr_cpus = nr_cpus, .mpidr = mpidr,
		.gicd = a->gic_dist, .gicr = ARM64_GIC_REDIST_BASE,
		.gicr_size = (uint64_t)nr_cpus * ARM64_GIC_REDIST_STRIDE, .its = a->gic_its,
		.timer_sec_gsiv = GSIV_PPI(ARM64_TIMER_PPI_SEC), .timer_phys_gsiv = GSIV_PPI(ARM64_TIMER_PPI_PHYS),
		.timer_virt_gsiv = GSIV_PPI(ARM64_TIMER_PPI_VIRT), .timer_hyp_gsiv = GSIV_PPI(ARM64_TIMER_PPI_HYP),
		.psci_hvc = true,       /* KVM's PSCI, as the device tree's psci node says */
		.uart = ARM64_UART_BASE, .uart_size = ARM64_UART_SIZE, .uart_gsiv = GSIV_SPI(ARM64_UART_SPI),
		.fw_cfg = ARM64_FW_CFG_BASE, .fw_cfg_size = FW_CFG_MMIO_LEN,
		.ecam = ARM64_PCI_ECAM_BASE, .buses = ARM64_PCI_ECAM_SIZE >> 20,
		.pio = ARM64_PCI_PIO_BASE, .pio_size = ARM64_PCI_PIO_SIZE,
		.mmio32 = ARM64_PCI_MMIO32_BASE, .mmio32_size = ARM64_PCI_MMIO32_SIZE,
		.mmio64 = ARM64_PCI_MMIO64_BASE, .mmio64_size = ARM64_PCI_MMIO64_SIZE,
		.intx_gsiv = GSIV_SPI(ARM64_PCI_INTX_SPI),
		/* The SMMU's SPIs are eventq, priq, cmdq-sync, gerror (devtree.c node_smmu); the IORT
		 * orders them event, PRI, global error, sync. */
		.smmu = a->smmu ? ARM64_SMMU_BASE : 0,
		.smmu_gsiv = { GSIV_SPI(ARM64_SMMU_SPI), GSIV_SPI(ARM64_SMMU_SPI + 1), GSIV_SPI(ARM64_SMMU_SPI + 3),
			       GSIV_SPI(ARM64_SMMU_SPI + 2) },
	};
	uint8_t *buf;
	size_t used;
	int r;

	if (!a->fw)
		return 0;
	buf = malloc(ARM64_ACPI_SIZE);
	if (!buf)
		return err_num(ENOMEM, "ACPI tables");
	/* Built for address 0: fw_cfg_add_acpi turns every pointer into a table-loader command. */
	r = acpi_arm_build(&m, buf, ARM64_ACPI_SIZE, 0, &used);
	if (!r)
		r = fw_cfg_add_acpi(&a->fw->cfg, buf, used);
	free(buf);
	return r;
}

uint64_t arm64_firmware_vars_size(struct vm *vm)
{
	return vm->arch.fw ? vm->arch.fw->vars.flash.size : 0;
}

void arm64_firmware_destroy(struct vm *vm)
{
	struct arm64_fw *fw = vm->arch.fw;

	if (!fw)
		return;
	if (fw->cfg_on_bus)
		bus_unregister(&vm->mmio, ARM64_FW_CFG_BASE, &fw->cfg);
	if (fw->cfg_init)
		fw_cfg_destroy(&fw->cfg);
	if (fw->rtc_on_bus)
		bus_unregister(&vm->mmio, ARM64_RTC_BASE, &fw->rtc);
	if (fw->rtc_init)
		pl031_destroy(&fw->rtc);
	flash_bank_close(&fw->vars);
	flash_bank_close(&fw->code);
	free(fw);
	vm->arch.fw = NULL;
}
