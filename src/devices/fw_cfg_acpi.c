// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fw_cfg ACPI table-loader (see fw_cfg_acpi.h). Table structure offsets are ACPI 6.5's: the
 * common header (5.2.6: Length at 4, Checksum at 9, 36 bytes), RSDP (5.2.5.3: Checksum at 8 over 20
 * bytes, RsdtAddress at 16, Length at 20, XsdtAddress at 24, Extended Checksum at 32 over 36 bytes),
 * FADT (5.2.9: FIRMWARE_CTRL 36, DSDT 40, X_FIRMWARE_CTRL 132, X_DSDT 140), FACS (5.2.10: no checksum).
 */
#include "devices/fw_cfg_acpi.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "vmm/log.h"

_Static_assert(sizeof(struct acpi_loader_entry) == ACPI_LOADER_ENTRY_SIZE, "table-loader entry");

#define HDR_LEN         36
#define HDR_CKSUM       9
#define RSDP_LEN        36
#define RSDP_CKSUM      8
#define RSDP_CKSUM_LEN  20
#define RSDP_RSDT       16
#define RSDP_XSDT       24
#define RSDP_XCKSUM     32
#define FACS_MIN_LEN    64
#define MAX_POINTERS    (ACPI_LOADER_MAX_TABLES + 8)
#define MAX_CMDS        (2 + 2 * MAX_POINTERS + ACPI_LOADER_MAX_TABLES + 2)

struct table {
	uint32_t off, len;
	bool cksum;                 /* every table but the FACS has a header checksum */
};

struct pointer {
	uint32_t field;             /* offset of the pointer field in the input */
	uint8_t size;
	uint32_t target;            /* offset of the table it points to */
};

struct linker {
	const uint8_t *in;
	size_t len;
	struct table t[ACPI_LOADER_MAX_TABLES];
	unsigned int nr;
	struct pointer p[MAX_POINTERS];
	unsigned int nr_p;
};

static uint64_t get_le(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = size; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, unsigned int size, uint64_t v)
{
	for (unsigned int i = 0; i < size; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static int visit(struct linker *l, uint64_t off, int depth);

/* The pointer field at FIELD (SIZE bytes) of the table being visited; 0 means "none" for optional ones. */
static int pointer(struct linker *l, uint32_t field, uint8_t size, bool optional, int depth)
{
	uint64_t target = get_le(l->in + field, size);
	int r;

	if (!target && optional)
		return 0;
	if (l->nr_p == MAX_POINTERS) {
		pr_err("ACPI loader: more than %d pointers", MAX_POINTERS);
		return -EINVAL;
	}
	r = visit(l, target, depth + 1);
	if (r)
		return r;
	l->p[l->nr_p++] = (struct pointer){ .field = field, .size = size, .target = (uint32_t)target };
	return 0;
}

/* A table at OFF: bounds, then the pointers its type has (depth bounds RSDP -> XSDT -> FADT -> DSDT). */
static int visit(struct linker *l, uint64_t off, int depth)
{
	const uint8_t *h;
	uint32_t len;
	bool facs;
	int r = 0;

	if (off < RSDP_LEN || off > l->len || l->len - off < HDR_LEN || depth > 4) {
		pr_err("ACPI loader: pointer to 0x%llx is outside the tables", (unsigned long long)off);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < l->nr; i++)
		if (l->t[i].off == off)
			return 0;
	h = l->in + off;
	len = (uint32_t)get_le(h + 4, 4);
	facs = !memcmp(h, "FACS", 4);
	if (len < (facs ? FACS_MIN_LEN : HDR_LEN) || len > l->len - off) {
		pr_err("ACPI loader: table %.4s at 0x%llx: length %u out of bounds", (const char *)h, (unsigned long long)off, len);
		return -EINVAL;
	}
	if (l->nr == ACPI_LOADER_MAX_TABLES) {
		pr_err("ACPI loader: more than %d tables", ACPI_LOADER_MAX_TABLES);
		return -EINVAL;
	}
	l->t[l->nr++] = (struct table){ .off = (uint32_t)off, .len = len, .cksum = !facs };
	if (!memcmp(h, "XSDT", 4) || !memcmp(h, "RSDT", 4)) {
		uint8_t size = h[0] == 'X' ? 8 : 4;

		for (uint32_t e = HDR_LEN; !r && e + size <= len; e += size)
			r = pointer(l, (uint32_t)off + e, size, false, depth);
	} else if (!memcmp(h, "FACP", 4)) {
		if (len >= 44) {
			r = pointer(l, (uint32_t)off + 36, 4, true, depth);
			if (!r)
				r = pointer(l, (uint32_t)off + 40, 4, true, depth);
		}
		if (!r && len >= 148) {
			r = pointer(l, (uint32_t)off + 132, 8, true, depth);
			if (!r)
				r = pointer(l, (uint32_t)off + 140, 8, true, depth);
		}
	}
	return r;
}

static void cmd_alloc(struct acpi_loader_entry *e, const char *file, uint32_t align, uint8_t zone)
{
	memset(e, 0, sizeof(*e));
	e->command = htole32(ACPI_LOADER_ALLOCATE);
	strcpy(e->alloc.file, file);
	e->alloc.align = htole32(align);
	e->alloc.zone = zone;
}

static void cmd_pointer(struct acpi_loader_entry *e, const char *dest, uint32_t offset, uint8_t size)
{
	memset(e, 0, sizeof(*e));
	e->command = htole32(ACPI_LOADER_ADD_POINTER);
	strcpy(e->pointer.dest_file, dest);
	strcpy(e->pointer.src_file, ACPI_LOADER_TABLES);
	e->pointer.offset = htole32(offset);
	e->pointer.size = size;
}

static void cmd_cksum(struct acpi_loader_entry *e, const char *file, uint32_t result, uint32_t start, uint32_t len)
{
	memset(e, 0, sizeof(*e));
	e->command = htole32(ACPI_LOADER_ADD_CHECKSUM);
	strcpy(e->cksum.file, file);
	e->cksum.result_offset = htole32(result);
	e->cksum.start = htole32(start);
	e->cksum.length = htole32(len);
}

int fw_cfg_add_acpi(struct fw_cfg *f, const uint8_t *blob, size_t len)
{
	struct linker l = { .in = blob, .len = len };
	struct acpi_loader_entry *cmds = NULL;
	uint8_t rsdp[RSDP_LEN], *tables = NULL;
	uint32_t base = UINT32_MAX;
	unsigned int n = 0;
	int r;

	if (len < RSDP_LEN || len > UINT32_MAX || memcmp(blob, "RSD PTR ", 8) || blob[15] < 2 ||
	    get_le(blob + 20, 4) != RSDP_LEN) {
		pr_err("ACPI loader: no ACPI 2.0+ RSDP at the start of the tables");
		return -EINVAL;
	}
	r = pointer(&l, RSDP_XSDT, 8, false, 0);
	if (!r)
		r = pointer(&l, RSDP_RSDT, 4, true, 0);
	if (r)
		return r;
	for (unsigned int i = 0; i < l.nr; i++)
		base = l.t[i].off < base ? l.t[i].off : base;
	/* etc/acpi/tables is the input from the first table on; pointers become offsets in it. */
	tables = malloc(len - base);
	cmds = calloc(MAX_CMDS, sizeof(*cmds));
	if (!tables || !cmds) {
		r = err_num(-ENOMEM, "ACPI loader");
		goto out;
	}
	memcpy(tables, blob + base, len - base);
	memcpy(rsdp, blob, RSDP_LEN);
	/* Checksums are computed by the firmware over bytes that include their own field: zero it (QEMU does). */
	rsdp[RSDP_CKSUM] = rsdp[RSDP_XCKSUM] = 0;
	cmd_alloc(&cmds[n++], ACPI_LOADER_TABLES, 64, ACPI_LOADER_ZONE_HIGH);
	cmd_alloc(&cmds[n++], ACPI_LOADER_RSDP, 16, ACPI_LOADER_ZONE_FSEG);
	for (unsigned int i = 0; i < l.nr_p; i++) {
		const struct pointer *p = &l.p[i];
		bool in_rsdp = p->field < RSDP_LEN;
		uint8_t *field = in_rsdp ? rsdp + p->field : tables + (p->field - base);

		put_le(field, p->size, p->target - base);
		cmd_pointer(&cmds[n++], in_rsdp ? ACPI_LOADER_RSDP : ACPI_LOADER_TABLES,
			    in_rsdp ? p->field : p->field - base, p->size);
	}
	/* After every pointer is patched (the XSDT and FADT hold pointers), each table's checksum. */
	for (unsigned int i = 0; i < l.nr; i++) {
		uint32_t at = l.t[i].off - base;

		if (!l.t[i].cksum)
			continue;
		tables[at + HDR_CKSUM] = 0;
		cmd_cksum(&cmds[n++], ACPI_LOADER_TABLES, at + HDR_CKSUM, at, l.t[i].len);
	}
	/* The RSDP's checksum over its first 20 bytes, then the extended one over all 36 that include it. */
	cmd_cksum(&cmds[n++], ACPI_LOADER_RSDP, RSDP_CKSUM, 0, RSDP_CKSUM_LEN);
	cmd_cksum(&cmds[n++], ACPI_LOADER_RSDP, RSDP_XCKSUM, 0, RSDP_LEN);
	r = fw_cfg_add_file(f, ACPI_LOADER_TABLES, tables, len - base, false);
	if (!r)
		r = fw_cfg_add_file(f, ACPI_LOADER_RSDP, rsdp, RSDP_LEN, false);
	if (!r)
		r = fw_cfg_add_file(f, ACPI_LOADER_FILE, cmds, n * sizeof(*cmds), false);
out:
	free(tables);
	free(cmds);
	return r;
}
