// SPDX-License-Identifier: GPL-2.0-only
/* Zero page per Documentation/arch/x86/zero-page.rst and boot.rst ("64-bit boot protocol"). */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/zeropage.h"

static int e820_add(struct boot_params *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	if (!size)
		return 0;
	if (bp->e820_entries >= E820_MAX_ENTRIES_ZEROPAGE)
		return -EINVAL;
	bp->e820_table[bp->e820_entries++] = (struct boot_e820_entry){ .addr = addr, .size = size, .type = type };
	return 0;
}

int zeropage_build(struct boot_params *bp, const struct zeropage_args *a)
{
	struct setup_header *h = &bp->hdr;
	int r;

	memset(bp, 0, sizeof(*bp));
	/* Copy the kernel's setup header, then fill what the loader must (boot.rst "Details of header fields"). */
	memcpy(h, a->img + 0x1f1, a->bi->hdr_end - 0x1f1);
	h->type_of_loader = 0xff;           /* undefined boot loader */
	h->loadflags &= ~(KEEP_SEGMENTS | QUIET_FLAG);
	h->loadflags |= CAN_USE_HEAP;
	h->heap_end_ptr = 0xfe00;
	h->code32_start = (uint32_t)a->plan->kernel_addr;
	h->cmd_line_ptr = (uint32_t)a->cmdline_addr;
	h->ramdisk_image = (uint32_t)a->plan->initrd_addr;
	h->ramdisk_size = (uint32_t)a->initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(a->plan->initrd_addr >> 32);
	bp->ext_ramdisk_size = (uint32_t)(a->initrd_size >> 32);
	bp->acpi_rsdp_addr = a->rsdp_addr;  /* protocol 2.14; the kernel also scans 0xe0000 */

	/* e820: low RAM up to the EBDA, the BIOS area (holding our ACPI tables) reserved, then RAM. */
	r = e820_add(bp, 0, X86_EBDA_START, E820_RAM);
	if (!r)
		r = e820_add(bp, X86_EBDA_START, X86_HIGH_RAM_START - X86_EBDA_START, E820_RESERVED);
	if (!r)
		r = e820_add(bp, X86_HIGH_RAM_START, a->ram_end - X86_HIGH_RAM_START, E820_RAM);
	if (!r)
		r = e820_add(bp, a->ecam_base, a->ecam_size, E820_RESERVED);
	return r;
}
