// SPDX-License-Identifier: GPL-2.0-only
/*
 * arch_load_kernel for x86_64: the bzImage's protected-mode part at its preferred address, the
 * initrd at the top of low RAM, the command line, the zero page, boot page tables and GDT; the BSP
 * then enters the kernel's 64-bit entry point (Documentation/arch/x86/boot.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "arch/x86_64/boot64.h"
#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/firmware.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/machine.h"
#include "arch/x86_64/zeropage.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define KERNEL_MAX (512ull << 20)

/* Reads all of FD (SIZE bytes) into DST. */
static int read_all(int fd, void *dst, size_t size, const char *what, const char *path)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = pread(fd, (uint8_t *)dst + done, size - done, (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_errno("%s %s", what, path);
		}
		if (n == 0) {
			pr_err("%s %s: file shrank while reading", what, path);
			return -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}

static int open_sized(const char *path, const char *what, uint64_t max, int *fd, uint64_t *size)
{
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return err_errno("%s %s", what, path);
	if (fstat(*fd, &st) < 0) {
		int r = err_errno("%s %s", what, path);

		close(*fd);
		return r;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		pr_err("%s %s: not a regular file of at most %llu MiB", what, path, (unsigned long long)(max >> 20));
		close(*fd);
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

static int build_cmdline(const struct vm *vm, const struct bzimage_info *bi, char *buf, size_t cap)
{
	const char *con = vm->cfg->console == CONSOLE_VIRTIO ? "console=hvc0" : "console=ttyS0";
	size_t max = bi->cmdline_size < cap - 1 ? bi->cmdline_size : cap - 1;
	int n;

	n = snprintf(buf, cap, "%s%s%s", con, vm->cfg->cmdline ? " " : "", vm->cfg->cmdline ? vm->cfg->cmdline : "");
	if (n < 0 || (size_t)n > max) {
		pr_err("kernel command line: %d bytes, the kernel takes at most %zu", n, max);
		return -E2BIG;
	}
	return n;
}

static int load(struct vm *vm, const uint8_t *img, size_t size, int initrd_fd, uint64_t initrd_size)
{
	uint64_t ram_end = vm->cfg->mem_size < X86_HOLE_START ? vm->cfg->mem_size : X86_HOLE_START;
	struct bzimage_info bi;
	struct bzimage_plan plan;
	struct boot_params *bp;
	char *cmdline;
	void *dst;
	int r, n;

	r = bzimage_parse(img, size, &bi);
	if (r)
		return r;
	r = bzimage_place(&bi, ram_end, initrd_size, &plan);
	if (r)
		return r;
	r = gmem_write(&vm->mem, plan.kernel_addr, img + bi.setup_size, bi.kernel_size);
	if (r) {
		pr_err("kernel: load address %#llx is outside guest RAM", (unsigned long long)plan.kernel_addr);
		return r;
	}
	if (initrd_size) {
		dst = gmem_ptr(&vm->mem, plan.initrd_addr, initrd_size);
		if (!dst) {
			pr_err("initrd: %#llx is outside guest RAM", (unsigned long long)plan.initrd_addr);
			return -EFAULT;
		}
		r = read_all(initrd_fd, dst, initrd_size, "initrd", vm->cfg->initrd);
		if (r)
			return r;
	}

	cmdline = gmem_ptr(&vm->mem, X86_CMDLINE_ADDR, X86_CMDLINE_MAX);
	bp = gmem_ptr(&vm->mem, X86_ZERO_PAGE_ADDR, sizeof(*bp));
	if (!cmdline || !bp) {
		pr_err("boot: guest RAM does not hold the zero page and command line");
		return -EFAULT;
	}
	n = build_cmdline(vm, &bi, cmdline, X86_CMDLINE_MAX);
	if (n < 0)
		return n;
	r = zeropage_build(bp, &(struct zeropage_args){
		.img = img, .bi = &bi, .plan = &plan, .initrd_size = initrd_size, .cmdline_addr = X86_CMDLINE_ADDR,
		.ram_end = ram_end, .ecam_base = arch_layout.pci_ecam_base, .ecam_size = arch_layout.pci_ecam_size,
		.rsdp_addr = X86_ACPI_ADDR,
	});
	if (r) {
		pr_err("boot: e820 map does not fit the zero page");
		return r;
	}
	r = boot64_write_tables(&vm->mem);
	if (r)
		return r;
	vm->arch.entry = plan.kernel_addr + BZ_ENTRY64_OFFSET;
	vm->arch.kernel_loaded = true;
	pr_debug("kernel at %#llx (entry %#llx), initrd %llu bytes at %#llx, cmdline \"%s\"",
		 (unsigned long long)plan.kernel_addr, (unsigned long long)vm->arch.entry,
		 (unsigned long long)initrd_size, (unsigned long long)plan.initrd_addr, cmdline);
	return 0;
}

/*
 * Firmware boot: nothing goes into RAM. A --kernel goes to fw_cfg for OVMF's loader
 * (QemuKernelLoaderFsDxe), split as QEMU splits it (the setup part and the rest; OVMF joins them
 * again and starts the image's EFI stub), with the initrd and the command line (console= as for
 * direct boot); vCPU 0 starts from reset in the flash.
 */
static int load_firmware_boot(struct vm *vm)
{
	uint64_t ksize = 0, isize = 0;
	uint8_t *img = NULL, *initrd = NULL;
	struct bzimage_info bi = { 0 };
	char cmdline[4096] = "";
	int kfd = -1, ifd = -1, r = 0;

	if (vm->cfg->kernel) {
		r = open_sized(vm->cfg->kernel, "kernel", KERNEL_MAX, &kfd, &ksize);
		if (r)
			return r;
		img = malloc(ksize ? ksize : 1);
		r = img ? read_all(kfd, img, ksize, "kernel", vm->cfg->kernel) : err_num(-ENOMEM, "kernel");
		if (!r)
			r = bzimage_parse(img, ksize, &bi);
		if (!r && build_cmdline(vm, &bi, cmdline, sizeof(cmdline)) < 0)
			r = -E2BIG;
		if (!r && vm->cfg->initrd) {
			r = open_sized(vm->cfg->initrd, "initrd", X86_FW_RAM_MAX, &ifd, &isize);
			if (!r) {
				initrd = malloc(isize ? isize : 1);
				r = initrd ? read_all(ifd, initrd, isize, "initrd", vm->cfg->initrd) : err_num(-ENOMEM, "initrd");
			}
		}
	}
	if (!r)
		r = x86_firmware_add_boot(vm, img, img ? bi.setup_size : 0, img ? img + bi.setup_size : NULL,
					  img ? ksize - bi.setup_size : 0, initrd, isize, img ? cmdline : NULL);
	free(img);
	free(initrd);
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	return r;
}

int arch_load_kernel(struct vm *vm)
{
	int kfd = -1, ifd = -1, r;
	uint64_t ksize, isize = 0;
	uint8_t *img = NULL;

	if (vm->cfg->firmware)
		return load_firmware_boot(vm);
	if (vm->cfg->mem_size > X86_HOLE_START) {
		pr_err("memory: at most %llu MiB on x86_64 (RAM may not overlap the PCI hole yet)",
		       (unsigned long long)(X86_HOLE_START >> 20));
		return -EINVAL;
	}
	r = open_sized(vm->cfg->kernel, "kernel", KERNEL_MAX, &kfd, &ksize);
	if (r)
		return r;
	img = malloc(ksize ? ksize : 1);
	if (!img) {
		r = err_num(-ENOMEM, "kernel %s", vm->cfg->kernel);
		goto out;
	}
	r = read_all(kfd, img, ksize, "kernel", vm->cfg->kernel);
	if (r)
		goto out;
	if (vm->cfg->initrd) {
		r = open_sized(vm->cfg->initrd, "initrd", X86_HOLE_START, &ifd, &isize);
		if (r)
			goto out;
	}
	r = load(vm, img, ksize, ifd, isize);
	if (r)
		goto out;
	/* The BSP may already exist (vCPUs created first): give it its boot registers now. */
	if (vm->vcpus && vm->nr_vcpus && vm->vcpus[0].fd > 0 && vm->vcpus[0].vm == vm)
		r = x86_boot_bsp(vm, &vm->vcpus[0]);
out:
	free(img);
	if (kfd >= 0)
		close(kfd);
	if (ifd >= 0)
		close(ifd);
	return r;
}
