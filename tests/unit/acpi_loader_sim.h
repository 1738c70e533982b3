/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The firmware's side of fw_cfg's ACPI table-loader for unit tests, executed the way
 * OVMF/AAVMF's AcpiPlatformDxe (QemuFwCfgAcpi.c) executes etc/table-loader: every command must name
 * a file the firmware has allocated, every offset and pointer must lie inside its file. Shared by
 * the x86_64 and arm64 table tests.
 */
#ifndef NESTVM_TEST_ACPI_LOADER_SIM_H
#define NESTVM_TEST_ACPI_LOADER_SIM_H

#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/fw_cfg_acpi.h"
#include "tap.h"

#define LOADER_SIM_SIZE 0x10000

#define RSDP_AT 0xe0000ull      /* where the firmware puts the FSEG allocation in this simulation */

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

struct blob {
	const char *name;
	uint8_t *data;      /* the firmware's copy */
	uint32_t size;
	uint64_t addr;      /* 0: not allocated yet */
};

static struct blob *lookup(struct blob *b, unsigned int n, const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (!strncmp(b[i].name, name, ACPI_LOADER_FILESZ) && b[i].addr)
			return &b[i];
	return NULL;
}

/*
 * Runs the loader; tables go at TABLES_AT. Returns the number of commands that broke a rule (a
 * missing or unallocated file, an offset or pointer out of range), so 0 means all were sound.
 */
static int run_loader(struct fw_cfg *f, struct blob *b, uint64_t tables_at, unsigned int *nr_cmds)
{
	const struct acpi_loader_entry *e;
	uint32_t len;
	int bad = 0;

	e = (const void *)fw_cfg_file(f, ACPI_LOADER_FILE, &len);
	if (!e || len % ACPI_LOADER_ENTRY_SIZE)
		return 1000;
	*nr_cmds = len / ACPI_LOADER_ENTRY_SIZE;
	for (unsigned int i = 0; i < *nr_cmds; i++, e++) {
		struct blob *d, *s;
		uint32_t off, start, n;
		uint64_t v;

		switch (le32toh(e->command)) {
		case ACPI_LOADER_ALLOCATE:
			for (unsigned int k = 0; k < 2; k++) {
				if (strncmp(b[k].name, e->alloc.file, ACPI_LOADER_FILESZ))
					continue;
				if (b[k].addr || !b[k].data || (tables_at & (le32toh(e->alloc.align) - 1)))
					bad++;
				b[k].addr = e->alloc.zone == ACPI_LOADER_ZONE_FSEG ? RSDP_AT : tables_at;
				if (e->alloc.zone == ACPI_LOADER_ZONE_FSEG && RSDP_AT + b[k].size > 0x100000)
					bad++;
			}
			break;
		case ACPI_LOADER_ADD_POINTER:
			d = lookup(b, 2, e->pointer.dest_file);
			s = lookup(b, 2, e->pointer.src_file);
			off = le32toh(e->pointer.offset);
			n = e->pointer.size;
			if (!d || !s || (n != 1 && n != 2 && n != 4 && n != 8) || off > d->size || n > d->size - off) {
				bad++;
				break;
			}
			v = 0;
			memcpy(&v, d->data + off, n);
			v = le64toh(v);
			if (v >= s->size)          /* the pointer must point into the source blob */
				bad++;
			v = htole64(v + s->addr);
			memcpy(d->data + off, &v, n);
			break;
		case ACPI_LOADER_ADD_CHECKSUM:
			d = lookup(b, 2, e->cksum.file);
			off = le32toh(e->cksum.result_offset);
			start = le32toh(e->cksum.start);
			n = le32toh(e->cksum.length);
			if (!d || start > d->size || n > d->size - start || off < start || off >= start + n) {
				bad++;
				break;
			}
			d->data[off] = (uint8_t)-sum8(d->data + start, n);   /* OVMF: CalculateCheckSum8 */
			break;
		default:
			bad++;
		}
	}
	return bad;
}


typedef int (*acpi_build_fn)(const void *m, uint8_t *buf, size_t size, uint64_t gpa, size_t *used);

/*
 * Builds M's tables for address 0, hands them to fw_cfg_add_acpi and runs the loader with the tables
 * placed at the address the builder would put them for GPA: the patched result must equal the
 * builder's own tables for GPA byte for byte, every checksum right, at least MIN_TABLES tables.
 */
static void loader_roundtrip(const char *what, acpi_build_fn build, const void *m, unsigned int ncpu, uint64_t gpa,
			     unsigned int min_tables)
{
	static uint8_t ref[LOADER_SIM_SIZE], at0[LOADER_SIM_SIZE];
	struct blob b[2] = { { .name = ACPI_LOADER_TABLES }, { .name = ACPI_LOADER_RSDP } };
	const uint8_t *t, *r;
	size_t used0, used;
	uint32_t tsize, rsize, base, tables_ok = 0, tables = 0;
	unsigned int n = 0;
	struct fw_cfg f;
	int bad;

	CHECK(fw_cfg_init(&f, NULL) == 0, "fw_cfg");
	CHECK(build(m, at0, sizeof(at0), 0, &used0) == 0, "%s, %u vCPUs: tables built for address 0", what, ncpu);
	CHECK(fw_cfg_add_acpi(&f, at0, used0) == 0, "loader files added");
	t = fw_cfg_file(&f, ACPI_LOADER_TABLES, &tsize);
	r = fw_cfg_file(&f, ACPI_LOADER_RSDP, &rsize);
	CHECK(t && r && rsize == 36 && tsize < used0, "etc/acpi/tables (%u bytes) and etc/acpi/rsdp exist", tsize);
	if (!t || !r) {
		fw_cfg_destroy(&f);
		return;
	}
	base = (uint32_t)(used0 - tsize);
	b[0].data = malloc(tsize);
	b[0].size = tsize;
	memcpy(b[0].data, t, tsize);
	b[1].data = malloc(rsize);
	b[1].size = rsize;
	memcpy(b[1].data, r, rsize);
	/* The firmware places the tables where the builder would have put them for GPA (the RSDP elsewhere). */
	bad = run_loader(&f, b, gpa + base, &n);
	CHECK(bad == 0 && n > 4, "%u loader commands, all on allocated files with offsets in range", n);
	CHECK(build(m, ref, sizeof(ref), gpa, &used) == 0 && used == used0, "reference tables built for %#llx",
	      (unsigned long long)gpa);
	CHECK(!memcmp(b[1].data, ref, 36), "patched RSDP equals the builder's at that address (XSDT pointer, both checksums)");
	CHECK(!memcmp(b[0].data, ref + base, tsize), "patched tables equal the builder's at that address");
	CHECK(sum8(b[1].data, 20) == 0 && sum8(b[1].data, 36) == 0, "RSDP checksums sum to zero");
	for (uint32_t off = 0; off + 36 <= tsize;) {
		uint32_t len;

		memcpy(&len, b[0].data + off + 4, 4);
		if (len < 36 || len > tsize - off)
			break;
		tables++;
		tables_ok += sum8(b[0].data + off, len) == 0;
		off = (off + len + 15) & ~15u;
	}
	CHECK(tables >= min_tables && tables_ok == tables, "all %u tables' checksums sum to zero", tables);
	free(b[0].data);
	free(b[1].data);
	fw_cfg_destroy(&f);
}

#endif
