// SPDX-License-Identifier: GPL-2.0-only
/* bzImage header checks and placement, zero page and boot page tables, from synthetic images. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/boot64.h"
#include "arch/x86_64/bzimage.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/zeropage.h"
#include "tap.h"

#define SETUP_SECTS 1
#define KSIZE 8192
#define IMG_SIZE ((SETUP_SECTS + 1) * 512 + KSIZE)

static uint8_t img[IMG_SIZE];

static void put(uint8_t *p, size_t off, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[off + i] = (uint8_t)(v >> (8 * i));
}

/* A minimal header as a 2.15 kernel has it (Documentation/arch/x86/boot.rst offsets). */
static void good(void)
{
	memset(img, 0, sizeof(img));
	img[0x1f1] = SETUP_SECTS;
	put(img, 0x1f4, KSIZE / 16, 4);          /* syssize */
	put(img, 0x1fe, 0xaa55, 2);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a;                       /* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	put(img, 0x206, 0x020f, 2);              /* version 2.15 */
	img[0x211] = 0x01;                       /* LOADED_HIGH */
	put(img, 0x22c, 0x7fffffff, 4);          /* initrd_addr_max */
	put(img, 0x230, 0x200000, 4);            /* kernel_alignment */
	img[0x234] = 1;                          /* relocatable */
	put(img, 0x236, 0x3, 2);                 /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	put(img, 0x238, 2047, 4);                /* cmdline_size */
	put(img, 0x258, 0x1000000, 8);           /* pref_address */
	put(img, 0x260, 0x2000000, 4);           /* init_size: 32 MiB */
}

static int parse(size_t size)
{
	struct bzimage_info bi;

	return bzimage_parse(img, size, &bi);
}

static void test_good(void)
{
	struct bzimage_info bi;
	struct bzimage_plan p;
	uint64_t isz = (1 << 20) + 123;

	good();
	CHECK(bzimage_parse(img, sizeof(img), &bi) == 0, "good header parses");
	CHECK(bi.setup_size == 1024 && bi.kernel_size == KSIZE, "setup %zu, kernel %zu bytes", bi.setup_size, bi.kernel_size);
	CHECK(bi.hdr_end == 0x26c, "setup header ends at %#zx", bi.hdr_end);
	CHECK(bi.version == 0x020f && bi.cmdline_size == 2047 && bi.relocatable, "version, cmdline_size, relocatable");
	CHECK(bzimage_place(&bi, 256 << 20, isz, &p) == 0, "placed in 256 MiB");
	CHECK(p.kernel_addr == 0x1000000, "kernel at pref_address %#llx", (unsigned long long)p.kernel_addr);
	CHECK(p.initrd_addr == (((256ull << 20) - isz) & ~0xfffull), "initrd at top of RAM, page-aligned (%#llx)",
	      (unsigned long long)p.initrd_addr);
	CHECK(p.initrd_addr + isz <= 256ull << 20 && p.initrd_addr >= 0x3000000, "initrd inside RAM, above the kernel");

	put(img, 0x22c, 0x0fffffff, 4);
	CHECK(bzimage_parse(img, sizeof(img), &bi) == 0 && bzimage_place(&bi, 1ull << 30, isz, &p) == 0 &&
	      p.initrd_addr + isz <= 0x10000000, "initrd below initrd_addr_max");

	good();
	img[0x1f1] = 0;      /* 0 means 4 */
	CHECK(bzimage_parse(img, sizeof(img), &bi) == -ENOEXEC, "setup_sects 0 = 4 sectors: now truncated");
	good();
	CHECK(bzimage_parse(img, sizeof(img), &bi) == 0 && bzimage_place(&bi, 40 << 20, 0, &p) == 0 &&
	      p.kernel_addr == 0x200000 && p.initrd_addr == 0, "relocatable kernel moves down when pref_address does not fit");
	CHECK(bzimage_place(&bi, 32 << 20, 0, &p) == -ENOMEM, "kernel larger than RAM rejected");
	img[0x234] = 0;
	CHECK(bzimage_parse(img, sizeof(img), &bi) == 0 && bzimage_place(&bi, 40 << 20, 0, &p) == -ENOMEM,
	      "non-relocatable kernel that does not fit rejected");
	good();
	CHECK(bzimage_parse(img, sizeof(img), &bi) == 0 && bzimage_place(&bi, 64 << 20, 40 << 20, &p) == -ENOMEM,
	      "initrd that overlaps the kernel rejected");
	CHECK(bzimage_place(&bi, 64 << 20, ~0ull, &p) == -ENOMEM, "absurd initrd size rejected");
}

static void test_hostile(void)
{
	good();
	put(img, 0x1fe, 0x55aa, 2);
	CHECK(parse(sizeof(img)) == -ENOEXEC, "bad 0xAA55 boot flag");
	good();
	memcpy(img + 0x202, "HdrT", 4);
	CHECK(parse(sizeof(img)) == -ENOEXEC, "bad HdrS magic");
	good();
	CHECK(parse(0x300) == -ENOEXEC, "file shorter than the header");
	CHECK(parse(0) == -ENOEXEC, "empty file");
	CHECK(parse(1024) == -ENOEXEC, "setup only, no kernel");
	CHECK(parse(sizeof(img) - 16) == -ENOEXEC, "truncated kernel (syssize beyond the file)");
	put(img, 0x1f4, 0xffffffff, 4);
	CHECK(parse(sizeof(img)) == -ENOEXEC, "huge syssize");
	good();
	put(img, 0x1f4, 0, 4);
	CHECK(parse(sizeof(img)) == -ENOEXEC, "zero syssize");
	good();
	img[0x1f1] = 0xff;
	CHECK(parse(sizeof(img)) == -ENOEXEC, "setup_sects past the end of the file");
	good();
	put(img, 0x206, 0x0209, 2);
	CHECK(parse(sizeof(img)) == -ENOEXEC, "boot protocol 2.09 rejected (no 64-bit entry)");
	good();
	put(img, 0x236, 0x2, 2);
	CHECK(parse(sizeof(img)) == -ENOEXEC, "XLF_KERNEL_64 clear rejected");
	good();
	img[0x211] = 0;
	CHECK(parse(sizeof(img)) == -ENOEXEC, "zImage (not loaded high) rejected");
	good();
	img[0x201] = 0x10;
	CHECK(parse(sizeof(img)) == -ENOEXEC, "setup header too short for init_size");
	good();
	memcpy(img, "\x7f" "ELF", 4);
	CHECK(parse(sizeof(img)) == -ENOEXEC, "ELF vmlinux rejected");

	/* Random headers around a valid magic never crash and never produce a bogus plan. */
	srand(1);
	for (int i = 0; i < 2000; i++) {
		struct bzimage_info bi;
		struct bzimage_plan p;

		good();
		for (int j = 0x1f1; j < 0x270; j++)
			if (rand() % 8 == 0)
				img[j] = (uint8_t)rand();
		if (bzimage_parse(img, sizeof(img), &bi) == 0 && bzimage_place(&bi, 128 << 20, 4096, &p) == 0 &&
		    (p.kernel_addr + bi.init_size > 128 << 20 || p.initrd_addr + 4096 > 128 << 20 ||
		     p.kernel_addr < X86_HIGH_RAM_START)) {
			CHECK(0, "fuzz %d: plan outside RAM", i);
			return;
		}
	}
	CHECK(1, "2000 fuzzed headers: no plan outside RAM");
}

static void test_zeropage(void)
{
	static struct boot_params bp;
	struct bzimage_info bi;
	struct bzimage_plan p;

	good();
	bzimage_parse(img, sizeof(img), &bi);
	bzimage_place(&bi, 512 << 20, 4 << 20, &p);
	CHECK(zeropage_build(&bp, &(struct zeropage_args){
		.img = img, .bi = &bi, .plan = &p, .initrd_size = 4 << 20, .cmdline_addr = X86_CMDLINE_ADDR,
		.ram_end = 512 << 20, .ecam_base = X86_ECAM_BASE, .ecam_size = X86_ECAM_SIZE, .rsdp_addr = X86_ACPI_ADDR,
	}) == 0, "zero page built");
	CHECK(bp.hdr.boot_flag == 0xaa55 && bp.hdr.header == 0x53726448 && bp.hdr.version == 0x020f,
	      "setup header copied");
	CHECK(bp.hdr.type_of_loader == 0xff, "type_of_loader 0xff");
	CHECK(bp.hdr.cmd_line_ptr == X86_CMDLINE_ADDR, "cmd_line_ptr");
	CHECK(bp.hdr.ramdisk_image == p.initrd_addr && bp.hdr.ramdisk_size == 4 << 20, "ramdisk fields");
	CHECK(bp.acpi_rsdp_addr == X86_ACPI_ADDR, "acpi_rsdp_addr");
	CHECK(bp.e820_entries == 4, "4 e820 entries");
	CHECK(bp.e820_table[0].addr == 0 && bp.e820_table[0].size == X86_EBDA_START && bp.e820_table[0].type == E820_RAM,
	      "low RAM up to the EBDA");
	CHECK(bp.e820_table[1].type == E820_RESERVED && bp.e820_table[1].addr + bp.e820_table[1].size == 0x100000 &&
	      bp.e820_table[1].addr <= X86_ACPI_ADDR, "BIOS area (with ACPI tables) reserved");
	CHECK(bp.e820_table[2].addr == 0x100000 && bp.e820_table[2].addr + bp.e820_table[2].size == 512 << 20 &&
	      bp.e820_table[2].type == E820_RAM, "RAM from 1 MiB to the end");
	CHECK(bp.e820_table[3].addr == X86_ECAM_BASE && bp.e820_table[3].type == E820_RESERVED, "ECAM reserved");
}

static void test_page_tables(void)
{
	static uint64_t pml4[512], pdpt[512], pd[512 * X86_PT_GIB];
	uint64_t va = 0xc0000000ull + 0x200000 * 5 + 0x1234, pa;

	boot64_page_tables(pml4, pdpt, pd);
	/* Walk VA like the MMU does (SDM Vol. 3A 4.5, 2 MiB pages). */
	uint64_t e = pml4[(va >> 39) & 511];
	CHECK((e & 1) && (e & ~0xfffull) == X86_PDPT_ADDR, "PML4[0] -> PDPT");
	e = pdpt[(va >> 30) & 511];
	CHECK((e & 1) && (e & ~0xfffull) == X86_PD_ADDR + 3 * 4096, "PDPT[3] -> 4th PD");
	e = pd[3 * 512 + ((va >> 21) & 511)];
	pa = (e & ~0x1fffffull) | (va & 0x1fffff);
	CHECK((e & 0x83) == 0x83 && pa == va, "2 MiB identity page maps %#llx", (unsigned long long)va);
	CHECK(pdpt[X86_PT_GIB] == 0, "nothing mapped past %d GiB", X86_PT_GIB);
	CHECK(X86_PD_ADDR + X86_PT_GIB * 4096 <= X86_CMDLINE_ADDR && X86_ZERO_PAGE_ADDR + 4096 <= X86_BOOT_STACK - 0x800,
	      "boot structures do not overlap");
}

int main(void)
{
	test_good();
	test_hostile();
	test_zeropage();
	test_page_tables();
	return tap_done();
}
