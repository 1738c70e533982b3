/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI table builder (ACPI 6.5 chapter 5.2), shared by both machines: tables are appended to a host buffer that will be
 * copied to guest physical address GPA, each with its checksum fixed; acpi_builder_finish() then
 * writes the XSDT listing them and the RSDP (rev 2) at the start. Other code adds its own tables
 * (e.g. a DMAR) with acpi_add_table() before finish.
 */
#ifndef NESTVM_ACPI_ACPI_H
#define NESTVM_ACPI_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_OEM_ID       "NESTVM"
#define ACPI_OEM_TABLE_ID "NESTVM  "
#define ACPI_CREATOR_ID   "NVMM"
#define ACPI_MAX_TABLES   16

struct acpi_header {             /* 5.2.6 System Description Table Header */
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {               /* 5.2.5.3 */
	char signature[8];           /* "RSD PTR " */
	uint8_t checksum;            /* of the first 20 bytes */
	char oem_id[6];
	uint8_t revision;            /* 2: ACPI 2.0+ with XSDT */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;   /* of the whole 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {                /* 5.2.3.2 Generic Address Structure */
	uint8_t space_id;            /* 0 memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;         /* 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
} __attribute__((packed));

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO 1

struct acpi_builder {
	uint8_t *buf;
	uint64_t gpa;
	size_t size, used;
	uint64_t tables[ACPI_MAX_TABLES];   /* XSDT entries */
	unsigned int nr;
	int err;                            /* first error, sticky */
};

uint8_t acpi_checksum(const void *p, size_t len);
/* Fills a header for a table of LEN bytes (checksum is set when the table is added). */
void acpi_header_init(struct acpi_header *h, const char sig[4], uint32_t len, uint8_t rev);
void acpi_builder_init(struct acpi_builder *b, uint8_t *buf, size_t size, uint64_t gpa);
/* Appends a complete table (its header's length must be LEN), lists it in the XSDT if asked. */
int acpi_add_table(struct acpi_builder *b, const void *tbl, size_t len, bool in_xsdt, uint64_t *gpa);
/* XSDT and RSDP; 0 or the first error. Bytes used in b->used. */
int acpi_builder_finish(struct acpi_builder *b);

#endif
