/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI tables handed to UEFI firmware through fw_cfg's table-loader interface, as QEMU does it
 * (the "linker/loader" QEMU's hw/acpi/bios-linker-loader.c writes and OVMF/AAVMF's
 * OvmfPkg/AcpiPlatformDxe QemuFwCfgAcpi.c executes): the tables as the blob etc/acpi/tables, the
 * RSDP as etc/acpi/rsdp, and etc/table-loader, a list of 128-byte commands telling the firmware to
 * allocate each blob, add a blob's final address to every pointer field, and compute every
 * checksum. The firmware then installs each pointed-to table through its own ACPI protocol.
 *
 * The input is what src/acpi's builder (either machine's tables) made for guest physical address 0
 * (the RSDP at offset 0, tables after it), so every pointer field holds an offset in that buffer. The
 * pointer fields are found by following the spec from the RSDP: RSDP -> XSDT (and RSDT) -> every
 * table it lists, FADT -> DSDT and FACS (ACPI 6.5 5.2.5.3, 5.2.7, 5.2.8, 5.2.9).
 */
#ifndef NESTVM_FW_CFG_ACPI_H
#define NESTVM_FW_CFG_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct fw_cfg;

#define ACPI_LOADER_FILE        "etc/table-loader"
#define ACPI_LOADER_TABLES      "etc/acpi/tables"
#define ACPI_LOADER_RSDP        "etc/acpi/rsdp"

/* Commands (QEMU bios-linker-loader; OVMF QemuLoader.h), every field little-endian. */
#define ACPI_LOADER_ALLOCATE        1
#define ACPI_LOADER_ADD_POINTER     2
#define ACPI_LOADER_ADD_CHECKSUM    3
#define ACPI_LOADER_ZONE_HIGH       1   /* anywhere in RAM */
#define ACPI_LOADER_ZONE_FSEG       2   /* below 1 MiB, where legacy OSes scan for the RSDP */
#define ACPI_LOADER_FILESZ          56
#define ACPI_LOADER_ENTRY_SIZE      128
#define ACPI_LOADER_MAX_TABLES      32

struct acpi_loader_entry {
	uint32_t command;
	union {
		struct {
			char file[ACPI_LOADER_FILESZ];
			uint32_t align;
			uint8_t zone;
		} __attribute__((packed)) alloc;
		struct {
			char dest_file[ACPI_LOADER_FILESZ];
			char src_file[ACPI_LOADER_FILESZ];
			uint32_t offset;        /* of the pointer field in dest_file */
			uint8_t size;           /* 1, 2, 4 or 8 bytes */
		} __attribute__((packed)) pointer;
		struct {
			char file[ACPI_LOADER_FILESZ];
			uint32_t result_offset; /* the checksum byte; must be 0 in the blob */
			uint32_t start;
			uint32_t length;
		} __attribute__((packed)) cksum;
		uint8_t pad[ACPI_LOADER_ENTRY_SIZE - 4];
	};
} __attribute__((packed));

/*
 * Adds etc/acpi/tables, etc/acpi/rsdp and etc/table-loader to F from BLOB (LEN bytes, built for GPA 0).
 * -EINVAL (reported) when the blob's RSDP/XSDT/FADT structure is not sound.
 */
int fw_cfg_add_acpi(struct fw_cfg *f, const uint8_t *blob, size_t len);

#endif
