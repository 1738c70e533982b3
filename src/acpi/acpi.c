// SPDX-License-Identifier: GPL-2.0-only
/* ACPI table builder: placement, checksums, XSDT and RSDP (ACPI 6.5 5.2.5-5.2.8). */
#include <errno.h>
#include <string.h>

#include "acpi/acpi.h"
#include "vmm/log.h"

#define ACPI_ALIGN 16

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return (uint8_t)-sum;
}

void acpi_header_init(struct acpi_header *h, const char sig[4], uint32_t len, uint8_t rev)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
}

void acpi_builder_init(struct acpi_builder *b, uint8_t *buf, size_t size, uint64_t gpa)
{
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->size = size;
	b->gpa = gpa;
	memset(buf, 0, size);
	b->used = sizeof(struct acpi_rsdp);     /* the RSDP goes first, written by finish */
	if (size < b->used)
		b->err = -ENOSPC;
}

static int place(struct acpi_builder *b, const void *tbl, size_t len, uint64_t *gpa)
{
	size_t at = (b->used + ACPI_ALIGN - 1) & ~(size_t)(ACPI_ALIGN - 1);

	if (b->err)
		return b->err;
	if (at > b->size || len > b->size - at) {
		pr_err("ACPI: tables do not fit in %zu bytes", b->size);
		return b->err = -ENOSPC;
	}
	memcpy(b->buf + at, tbl, len);
	((struct acpi_header *)(b->buf + at))->checksum = 0;
	((struct acpi_header *)(b->buf + at))->checksum = acpi_checksum(b->buf + at, len);
	b->used = at + len;
	*gpa = b->gpa + at;
	return 0;
}

int acpi_add_table(struct acpi_builder *b, const void *tbl, size_t len, bool in_xsdt, uint64_t *gpa)
{
	const struct acpi_header *h = tbl;
	uint64_t at;
	int r;

	if (b->err)
		return b->err;
	if (len < sizeof(*h) || h->length != len) {
		pr_err("ACPI: table %.4s: length %zu does not match its header", h->signature, len);
		return b->err = -EINVAL;
	}
	if (in_xsdt && b->nr == ACPI_MAX_TABLES) {
		pr_err("ACPI: more than %u tables", ACPI_MAX_TABLES);
		return b->err = -ENOSPC;
	}
	r = place(b, tbl, len, &at);
	if (r)
		return r;
	if (in_xsdt)
		b->tables[b->nr++] = at;
	if (gpa)
		*gpa = at;
	return 0;
}

int acpi_builder_finish(struct acpi_builder *b)
{
	uint8_t xsdt[sizeof(struct acpi_header) + ACPI_MAX_TABLES * 8];
	size_t len = sizeof(struct acpi_header) + b->nr * 8;
	struct acpi_rsdp *rsdp = (struct acpi_rsdp *)b->buf;
	uint64_t xsdt_gpa;
	int r;

	if (b->err)
		return b->err;
	acpi_header_init((struct acpi_header *)xsdt, "XSDT", (uint32_t)len, 1);
	/* XSDT entries are 64-bit and only 4-byte aligned in the table (5.2.8). */
	memcpy(xsdt + sizeof(struct acpi_header), b->tables, b->nr * 8);
	r = place(b, xsdt, len, &xsdt_gpa);
	if (r)
		return r;
	memset(rsdp, 0, sizeof(*rsdp));
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	return 0;
}
