// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm64 Linux boot (Documentation/arch/arm64/booting.rst). RAM layout from its base:
 *   [2 MiB aligned base + text_offset, + image_size)  kernel Image (image_size includes BSS)
 *   next 2 MiB boundary: the dtb, in a 2 MiB region of its own (booting.rst section 2)
 *   2 MiB above that: the initrd, within the 32 GiB window that covers the kernel (section 4)
 */
#include "arch/arm64/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "arch/arm64/devtree.h"
#include "arch/arm64/firmware.h"
#include "arch/arm64/image.h"
#include "arch/arm64/layout.h"
#include "arch/arm64/vcpu.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define ID_AA64MMFR0_EL1    ARM64_SYS_REG(3, 0, 0, 7, 0)
#define INITRD_WINDOW       (32ull << 30)
#define CMDLINE_MAX         2048        /* arm64 COMMAND_LINE_SIZE */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Reads all SIZE bytes of FD into guest RAM at GPA. */
static int load_file(struct vm *vm, int fd, const char *path, uint64_t gpa, uint64_t size)
{
	uint8_t *p = gmem_ptr(&vm->mem, gpa, size);
	uint64_t done = 0;

	if (!p) {
		pr_err("%s: does not fit in guest RAM at 0x%llx", path, (unsigned long long)gpa);
		return -ENOMEM;
	}
	while (done < size) {
		ssize_t n = pread(fd, p + done, size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_errno("reading %s", path);
		if (n == 0) {
			pr_err("%s: file shrank while being read", path);
			return -EIO;
		}
		done += (uint64_t)n;
	}
	return 0;
}

static int open_sized(const char *path, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_errno("%s", path);
	if (fstat(fd, &st) < 0) {
		int r = err_errno("%s", path);

		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_err("%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

static int load_initrd(struct vm *vm, uint64_t ram_end)
{
	struct arch_vm *a = &vm->arch;
	const char *path = vm->cfg->initrd;
	uint64_t size = 0;
	int fd, r;

	fd = open_sized(path, &size);
	if (fd < 0)
		return fd;
	r = -ENOMEM;
	if (size > ram_end - a->initrd_gpa)
		pr_err("%s: initrd of %llu MiB does not fit in guest RAM after the kernel (use more --memory)",
		       path, (unsigned long long)(size >> 20));
	else if (a->initrd_gpa + size - (arch_layout.ram_base & ~((1ull << 30) - 1)) > INITRD_WINDOW)
		pr_err("%s: initrd too large for the kernel's 32 GiB window", path);
	else
		r = load_file(vm, fd, path, a->initrd_gpa, size);
	close(fd);
	if (!r)
		a->initrd_size = size;
	return r;
}

/*
 * Firmware boot: vCPU 0 starts at the flash base as from reset, the device tree is at the start of
 * RAM (AAVMF's PcdDeviceTreeInitialBaseAddress, where QEMU puts it too), and a --kernel goes to
 * fw_cfg for the firmware's loader (QemuKernelLoaderFsDxe), the command line with it: the EFI stub
 * takes it from its load options into /chosen.
 */
static int load_firmware_boot(struct vm *vm)
{
	struct arch_vm *a = &vm->arch;
	char bootargs[CMDLINE_MAX];
	int r;

	a->entry = ARM64_FLASH_BASE;
	a->dtb_gpa = arch_layout.ram_base;
	if (vm->cfg->mem_size < ARM64_FDT_MAX_SIZE) {
		pr_err("--memory: firmware boot needs more than the device tree's 2 MiB");
		return -EINVAL;
	}
	if (vm->cfg->kernel) {
		r = arm64_bootargs(bootargs, sizeof(bootargs), vm->cfg->cmdline, vm->cfg->console);
		if (r) {
			pr_err("--cmdline: longer than the kernel's %d bytes", CMDLINE_MAX - 1);
			return r;
		}
		r = arm64_firmware_load_kernel(vm, bootargs);
		if (r)
			return r;
	}
	a->kernel_loaded = true;
	return arm64_boot_commit(vm);
}

int arch_load_kernel(struct vm *vm)
{
	struct arch_vm *a = &vm->arch;
	const char *path = vm->cfg->kernel;
	uint64_t ram_end = arch_layout.ram_base + vm->cfg->mem_size;
	uint8_t hdr[4096];
	struct arm64_image img;
	const char *why;
	uint64_t size = 0;
	ssize_t n;
	int fd, r;

	if (vm->cfg->firmware)
		return load_firmware_boot(vm);
	fd = open_sized(path, &size);
	if (fd < 0)
		return fd;
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0) {
		r = err_errno("reading %s", path);
		goto out;
	}
	r = arm64_image_parse(hdr, (size_t)n, size, &img, &why);
	if (r) {
		pr_err("%s: %s", path, why);
		goto out;
	}
	/* RAM starts 2 MiB aligned, so its base is the closest 2 MiB aligned load base (flags bit 3 = 0). */
	a->entry = arch_layout.ram_base + img.text_offset;
	a->dtb_gpa = align_up(a->entry + img.image_size, SZ_2M);
	a->initrd_gpa = a->dtb_gpa + SZ_2M;
	a->page_size_kb = img.page_kb;
	if (a->initrd_gpa > ram_end) {
		pr_err("%s: kernel needs %llu MiB of RAM with its device tree; --memory is %llu MiB", path,
		       (unsigned long long)((a->initrd_gpa - arch_layout.ram_base) >> 20),
		       (unsigned long long)(vm->cfg->mem_size >> 20));
		r = -EINVAL;
		goto out;
	}
	r = load_file(vm, fd, path, a->entry, size);
	if (!r && vm->cfg->initrd)
		r = load_initrd(vm, ram_end);
	if (r)
		goto out;
	a->kernel_loaded = true;
	r = arm64_boot_commit(vm);
out:
	close(fd);
	return r;
}

/* A kernel built for a page size the CPU's stage-1 MMU lacks would hang silently: refuse it. */
static int check_page_size(struct vm *vm)
{
	unsigned int kb = vm->arch.page_size_kb;
	uint64_t mmfr0;
	unsigned int f;
	bool ok;

	if (!kb || arm64_get_reg(&vm->vcpus[0], ID_AA64MMFR0_EL1, &mmfr0))
		return 0;   /* unspecified, or unknown: let the kernel try */
	/* ARM ARM D19.2 ID_AA64MMFR0_EL1: TGran4 [31:28] 0xf = none; TGran64 [27:24] 0xf = none;
	 * TGran16 [23:20] 0 = none. */
	if (kb == 4)
		f = (mmfr0 >> 28) & 0xf, ok = f != 0xf;
	else if (kb == 64)
		f = (mmfr0 >> 24) & 0xf, ok = f != 0xf;
	else
		f = (mmfr0 >> 20) & 0xf, ok = f != 0;
	if (!ok) {
		pr_err("%s: kernel uses %u KiB pages, which this CPU does not support", vm->cfg->kernel, kb);
		return -EINVAL;
	}
	return 0;
}

int arm64_boot_commit(struct vm *vm)
{
	struct arch_vm *a = &vm->arch;
	uint64_t mpidr[CFG_MAX_CPUS];
	char bootargs[CMDLINE_MAX];
	struct arm64_fdt_params p;
	void *fdt;
	int r;

	if (!a->kernel_loaded || !a->finalized)
		return 0;
	if (!vm->nr_vcpus || vm->nr_vcpus > CFG_MAX_CPUS) {
		pr_err("arm64 boot: %u vCPUs", vm->nr_vcpus);
		return -EINVAL;
	}
	r = check_page_size(vm);
	if (r)
		return r;
	/* Firmware boot: the kernel's command line reaches it through fw_cfg and the EFI stub. */
	r = a->fw ? 0 : arm64_bootargs(bootargs, sizeof(bootargs), vm->cfg->cmdline, vm->cfg->console);
	if (r) {
		pr_err("--cmdline: longer than the kernel's %d bytes", CMDLINE_MAX - 1);
		return r;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		mpidr[i] = vm->vcpus[i].arch.mpidr;
	p = (struct arm64_fdt_params){
		.ram_base = arch_layout.ram_base, .ram_size = vm->cfg->mem_size,
		.nr_cpus = vm->nr_vcpus, .mpidr = mpidr, .bootargs = a->fw ? NULL : bootargs,
		.initrd_start = a->initrd_gpa, .initrd_end = a->initrd_gpa + a->initrd_size,
		.smmu = a->smmu != NULL,
		.gic = &(const struct arm64_gic_map){ .dist = a->gic_dist, .its = a->gic_its },
		.flash_vars_size = arm64_firmware_vars_size(vm),
	};
	/* AAVMF still reads the device tree itself; the OS gets it, or these tables in its place. */
	if (a->fw && vm->cfg->firmware_tables == FW_TABLES_ACPI) {
		r = arm64_firmware_add_acpi(vm, mpidr, vm->nr_vcpus);
		if (r)
			return r;
	}
	fdt = malloc(ARM64_FDT_MAX_SIZE);
	if (!fdt)
		return err_num(ENOMEM, "device tree");
	r = arm64_fdt_build(fdt, ARM64_FDT_MAX_SIZE, &p);
	if (r)
		err_num(r, "building the device tree");
	else if ((r = gmem_write(&vm->mem, a->dtb_gpa, fdt, fdt_totalsize(fdt))))
		err_num(r, "writing the device tree to 0x%llx", (unsigned long long)a->dtb_gpa);
	free(fdt);
	if (r)
		return r;
	/* The boot CPU enters the kernel (or the firmware, as from reset: x0 = 0); the others wait powered
	 * off for PSCI CPU_ON. */
	return arm64_set_boot_regs(&vm->vcpus[0], a->entry, a->fw ? 0 : a->dtb_gpa);
}
