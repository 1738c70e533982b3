// SPDX-License-Identifier: GPL-2.0-only
/* bzImage header checks and placement (Linux boot protocol, Documentation/arch/x86/boot.rst). */
#include <asm/bootparam.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/layout.h"
#include "vmm/log.h"

/* Offsets in the file: the setup header sits at 0x1f1 of the first sector (boot.rst "The real-mode kernel header"). */
#define HDR(f) (0x1f1 + offsetof(struct setup_header, f))

static uint32_t le(const uint8_t *img, size_t off, unsigned int n)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint32_t)img[off + i] << (8 * i);
	return v;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int bzimage_parse(const uint8_t *img, size_t size, struct bzimage_info *bi)
{
	unsigned int setup_sects;
	uint64_t syssize;

	memset(bi, 0, sizeof(*bi));
	if (size >= 4 && !memcmp(img, "\x7f" "ELF", 4)) {
		pr_err("kernel: an ELF file (vmlinux?), not a bzImage: use arch/x86/boot/bzImage");
		return -ENOEXEC;
	}
	if (size < 0x400 || le(img, HDR(boot_flag), 2) != 0xaa55 || le(img, HDR(header), 4) != 0x53726448) {
		pr_err("kernel: not a bzImage (no 0xAA55 boot flag / \"HdrS\" header)");
		return -ENOEXEC;
	}
	bi->version = (uint16_t)le(img, HDR(version), 2);
	if (bi->version < BZ_MIN_VERSION) {
		pr_err("kernel: boot protocol %u.%02u is too old: need 2.12+ for the 64-bit entry point",
		       bi->version >> 8, bi->version & 0xff);
		return -ENOEXEC;
	}
	if (!(le(img, HDR(xloadflags), 2) & XLF_KERNEL_64)) {
		pr_err("kernel: no 64-bit entry point (XLF_KERNEL_64 clear)");
		return -ENOEXEC;
	}
	if (!(img[HDR(loadflags)] & LOADED_HIGH)) {
		pr_err("kernel: a zImage (loads low), not a bzImage");
		return -ENOEXEC;
	}
	setup_sects = img[HDR(setup_sects)];
	if (!setup_sects)
		setup_sects = 4;    /* boot.rst: "If this field is 0, the real value is 4" */
	bi->setup_size = (size_t)(setup_sects + 1) * 512;
	if (bi->setup_size >= size) {
		pr_err("kernel: truncated kernel (%zu bytes, setup alone is %zu)", size, bi->setup_size);
		return -ENOEXEC;
	}
	bi->kernel_size = size - bi->setup_size;
	syssize = (uint64_t)le(img, HDR(syssize), 4) * 16;
	if (!syssize || syssize > bi->kernel_size) {
		pr_err("kernel: truncated kernel (%zu bytes after setup, header says %llu)", bi->kernel_size,
		       (unsigned long long)syssize);
		return -ENOEXEC;
	}
	/* The jump at 0x200 skips the header: its end is 0x202 + the jump offset (boot.rst). */
	bi->hdr_end = 0x202 + img[0x201];
	if (bi->hdr_end > 0x1f1 + sizeof(struct setup_header))
		bi->hdr_end = 0x1f1 + sizeof(struct setup_header);
	if (bi->hdr_end < HDR(init_size) + 4) {
		pr_err("kernel: setup header too short (ends at %#zx)", bi->hdr_end);
		return -ENOEXEC;
	}
	bi->pref_address = le(img, HDR(pref_address), 4) | (uint64_t)le(img, HDR(pref_address) + 4, 4) << 32;
	bi->init_size = le(img, HDR(init_size), 4);
	bi->kernel_alignment = le(img, HDR(kernel_alignment), 4);
	bi->relocatable = img[HDR(relocatable_kernel)] != 0;
	bi->initrd_addr_max = le(img, HDR(initrd_addr_max), 4);
	bi->cmdline_size = le(img, HDR(cmdline_size), 4);
	if (bi->init_size < bi->kernel_size)
		bi->init_size = (uint32_t)bi->kernel_size;   /* never load more than the kernel asks room for */
	if (bi->kernel_alignment & (bi->kernel_alignment - 1) || bi->kernel_alignment < 4096)
		bi->kernel_alignment = 0x200000;
	if (!bi->initrd_addr_max)
		bi->initrd_addr_max = 0x37ffffff;   /* the pre-2.03 default */
	return 0;
}

int bzimage_place(const struct bzimage_info *bi, uint64_t ram_end, uint64_t initrd_size, struct bzimage_plan *p)
{
	uint64_t k = bi->pref_address, kend, top;

	memset(p, 0, sizeof(*p));
	if (k < X86_HIGH_RAM_START || k + bi->init_size > ram_end || k + bi->init_size < k) {
		if (!bi->relocatable) {
			pr_err("kernel: needs %#llx-%#llx but RAM ends at %#llx", (unsigned long long)k,
			       (unsigned long long)(k + bi->init_size), (unsigned long long)ram_end);
			return -ENOMEM;
		}
		k = align_up(X86_HIGH_RAM_START, bi->kernel_alignment);
	}
	kend = k + bi->init_size;
	if (kend > ram_end) {
		pr_err("kernel: needs %u MiB from %#llx, more than the guest's RAM", bi->init_size >> 20,
		       (unsigned long long)k);
		return -ENOMEM;
	}
	p->kernel_addr = k;
	if (!initrd_size)
		return 0;
	top = ram_end < (uint64_t)bi->initrd_addr_max + 1 ? ram_end : (uint64_t)bi->initrd_addr_max + 1;
	if (initrd_size > top || ((top - initrd_size) & ~0xfffull) < kend) {
		pr_err("initrd: %llu bytes do not fit between the kernel (ends %#llx) and %#llx",
		       (unsigned long long)initrd_size, (unsigned long long)kend, (unsigned long long)top);
		return -ENOMEM;
	}
	p->initrd_addr = (top - initrd_size) & ~0xfffull;    /* page-aligned, as high as allowed */
	return 0;
}
