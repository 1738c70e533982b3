// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fw_cfg ACPI table-loader fed from the x86 ACPI builder, executed the way OVMF's
 * AcpiPlatformDxe executes etc/table-loader: every command must name a file the firmware has
 * allocated, every offset and pointer must lie inside its file, and after the pointers and
 * checksums are applied at the addresses the firmware chose, the tables must be byte for byte what
 * the builder makes for those addresses, with every checksum right.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/x86_64/acpi_tables.h"
#include "devices/fw_cfg.h"
#include "devices/fw_cfg_acpi.h"
#include "acpi_loader_sim.h"
#include "tap.h"
#include "vmm/guest_mem.h"

#define SIZE 0x10000
static int build_x86(const void *m, uint8_t *buf, size_t size, uint64_t gpa, size_t *used)
{
	return x86_acpi_build(m, buf, size, gpa, used);
}

static void test_x86_tables(unsigned int ncpu, uint64_t gpa)
{
	struct x86_acpi_machine m = { .nr_cpus = ncpu, .layout = &arch_layout };

	loader_roundtrip("x86_64", build_x86, &m, ncpu, gpa, 5);
}

static void test_bad_blobs(void)
{
	static uint8_t blob[SIZE];
	struct x86_acpi_machine m = { .nr_cpus = 1, .layout = &arch_layout };
	uint64_t x;
	size_t used;
	struct fw_cfg f;

	CHECK(fw_cfg_init(&f, NULL) == 0 && x86_acpi_build(&m, blob, SIZE, 0, &used) == 0, "fresh tables");
	CHECK(fw_cfg_add_acpi(&f, blob, 20) == -EINVAL, "a truncated RSDP is refused");
	memcpy(&x, blob + 24, 8);
	CHECK(fw_cfg_add_acpi(&f, blob, x + 20) == -EINVAL, "an XSDT cut by the end of the blob is refused");
	blob[x + 36] ^= 0x80;   /* first XSDT entry (low byte) now points elsewhere */
	blob[x + 37] ^= 0x40;
	CHECK(fw_cfg_add_acpi(&f, blob, used) == -EINVAL, "an XSDT entry pointing outside the blob is refused");
	CHECK(fw_cfg_file(&f, ACPI_LOADER_FILE, &(uint32_t){ 0 }) == NULL, "nothing added on failure");
	fw_cfg_destroy(&f);
}

int main(void)
{
	/* The builder puts the first table 48 bytes after the RSDP; the loader asks for 64-byte alignment. */
	test_x86_tables(1, 0xe0010);
	test_x86_tables(8, 0x7ffe0010);
	test_bad_blobs();
	return tap_done();
}
