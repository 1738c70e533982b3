// SPDX-License-Identifier: GPL-2.0-only
/*
 * The live-update state reader: every byte is validated and every section indexed before the first
 * consumer runs (state_format.h has the layout). Quiet: a refusal is st->refusal + st->why, which the
 * caller reports; the fuzzer runs this on arbitrary bytes.
 */
#include "liveupdate/state_format.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liveupdate/crc32c.h"
#include "liveupdate/le.h"

static const char *const refusal_names[LU_REFUSE_COUNT] = {
	[LU_OK] = "ok",
	[LU_REFUSE_IO] = "io",
	[LU_REFUSE_NOT_SEALED] = "not-sealed",
	[LU_REFUSE_TOO_BIG] = "too-big",
	[LU_REFUSE_SHORT] = "short",
	[LU_REFUSE_MAGIC] = "magic",
	[LU_REFUSE_FORMAT_VERSION] = "format-version",
	[LU_REFUSE_HEADER] = "header",
	[LU_REFUSE_HEADER_CRC] = "header-crc",
	[LU_REFUSE_LENGTH] = "length",
	[LU_REFUSE_TRUNCATED] = "truncated",
	[LU_REFUSE_SECTION_HEADER] = "section-header",
	[LU_REFUSE_SECTION_CRC] = "section-crc",
	[LU_REFUSE_PADDING] = "padding",
	[LU_REFUSE_UNKNOWN_MANDATORY] = "unknown-mandatory",
	[LU_REFUSE_VERSION_NEWER] = "version-newer",
	[LU_REFUSE_VERSION_OLDER] = "version-older",
	[LU_REFUSE_DUPLICATE] = "duplicate",
	[LU_REFUSE_MISSING] = "missing",
	[LU_REFUSE_END] = "end",
	[LU_REFUSE_NOMEM] = "nomem",
};

const char *lu_refusal_name(enum lu_refusal r)
{
	return (unsigned int)r < LU_REFUSE_COUNT ? refusal_names[r] : "?";
}

/* Refuses the state: nothing indexed survives, the reason is one line. */
static int __attribute__((format(printf, 3, 4))) refuse(struct lu_state *st, enum lu_refusal r, const char *fmt, ...)
{
	va_list ap;

	/* The reason first: its arguments may point into the index. */
	va_start(ap, fmt);
	vsnprintf(st->why, sizeof(st->why), fmt, ap);
	va_end(ap);
	free(st->sec);
	st->sec = NULL;
	st->nr = 0;
	st->skipped = 0;
	st->refusal = r;
	return r == LU_REFUSE_NOMEM ? -ENOMEM : -EINVAL;
}

static const struct lu_section_spec *spec_of(const struct lu_section_spec *specs, size_t nr, const char *type)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(specs[i].type, type))
			return &specs[i];
	return NULL;
}

/* The type field: 1..15 allowed characters, then only NULs. Copies it NUL-terminated into OUT. */
static bool type_field(const uint8_t *f, char out[LU_TYPE_LEN])
{
	size_t n = strnlen((const char *)f, LU_TYPE_LEN);

	if (n >= LU_TYPE_LEN)
		return false;
	memcpy(out, f, n);
	memset(out + n, 0, LU_TYPE_LEN - n);
	for (size_t i = n; i < LU_TYPE_LEN; i++)
		if (f[i])
			return false;
	return lu_type_valid(out);
}

static int cmp_type_instance(const void *a, const void *b)
{
	const struct lu_section *x = *(struct lu_section *const *)a, *y = *(struct lu_section *const *)b;
	int c = strcmp(x->type, y->type);

	if (c)
		return c;
	if (x->instance != y->instance)
		return x->instance < y->instance ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Duplicates, found by sorting (a state may hold many sections: no quadratic scan). */
static int check_duplicates(struct lu_state *st, const struct lu_section_spec *specs, size_t nr_specs)
{
	struct lu_section **order;
	int r = 0;

	if (st->nr < 2)
		return 0;
	order = malloc(st->nr * sizeof(*order));
	if (!order)
		return refuse(st, LU_REFUSE_NOMEM, "no memory to index %u sections", st->nr);
	for (unsigned int i = 0; i < st->nr; i++)
		order[i] = &st->sec[i];
	qsort(order, st->nr, sizeof(*order), cmp_type_instance);
	for (unsigned int i = 1; i < st->nr && !r; i++) {
		const struct lu_section *a = order[i - 1], *b = order[i];

		if (strcmp(a->type, b->type))
			continue;
		if (a->instance == b->instance)
			r = refuse(st, LU_REFUSE_DUPLICATE, "section '%s' instance %" PRIu32 " appears twice (offsets %" PRIu64
				   " and %" PRIu64 ")", a->type, a->instance, a->offset, b->offset);
		else if (!spec_of(specs, nr_specs, a->type)->multi)
			r = refuse(st, LU_REFUSE_DUPLICATE, "section '%s' may appear once, found instances %" PRIu32
				   " and %" PRIu32, a->type, a->instance, b->instance);
	}
	free(order);
	return r;
}

static int add_section(struct lu_state *st, unsigned int *cap, const struct lu_section *s)
{
	if (st->nr == *cap) {
		unsigned int ncap = *cap ? *cap * 2 : 16;
		struct lu_section *n = realloc(st->sec, ncap * sizeof(*n));

		if (!n)
			return refuse(st, LU_REFUSE_NOMEM, "no memory to index %u sections", ncap);
		st->sec = n;
		*cap = ncap;
	}
	st->sec[st->nr++] = *s;
	return 0;
}

/* The end marker at OFF (its header already checked): last, counting what came before it. */
static int check_end(struct lu_state *st, const struct lu_section *s, size_t next, unsigned int seen)
{
	uint32_t count;

	if (s->instance || s->version != 1 || s->flags != LU_SEC_MANDATORY || s->len != LU_END_PAYLOAD_LEN)
		return refuse(st, LU_REFUSE_END, "end marker at offset %" PRIu64 ": instance %" PRIu32 " version %u flags 0x%x"
			      " length %" PRIu64 " (want 0, 1, 0x1, 8)", s->offset, s->instance, s->version, s->flags, s->len);
	count = le32_load(s->data);
	if (count != seen || le32_load(s->data + 4))
		return refuse(st, LU_REFUSE_END, "end marker counts %" PRIu32 " sections, the state has %u", count, seen);
	if (next != st->len)
		return refuse(st, LU_REFUSE_END, "%zu bytes after the end marker", st->len - next);
	return 0;
}

int lu_state_parse(struct lu_state *st, const void *buf, size_t len, const struct lu_section_spec *specs,
		   size_t nr_specs)
{
	const uint8_t *b = buf;
	unsigned int cap = 0, seen = 0;
	uint64_t total;
	size_t off;
	int r;

	*st = (struct lu_state){ .buf = buf, .len = len };
	if (len > LU_STATE_MAX_LEN)
		return refuse(st, LU_REFUSE_TOO_BIG, "state of %zu bytes, more than the %u allowed", len, LU_STATE_MAX_LEN);
	if (len < LU_HEADER_LEN)
		return refuse(st, LU_REFUSE_SHORT, "state of %zu bytes, shorter than its %u-byte header", len, LU_HEADER_LEN);
	if (memcmp(b, LU_MAGIC, 8))
		return refuse(st, LU_REFUSE_MAGIC, "not a nestvm live-update state (bad magic)");
	/* The version before the checksum: a newer format is reported as such, not as corruption. */
	st->format_version = le32_load(b + 8);
	if (!st->format_version || st->format_version > LU_FORMAT_VERSION)
		return refuse(st, LU_REFUSE_FORMAT_VERSION, "state format version %" PRIu32 ": this nestvm reads versions 1 to %u%s",
			      st->format_version, LU_FORMAT_VERSION,
			      st->format_version ? " (the state was saved by a newer nestvm)" : "");
	if (le32_load(b + 28) != crc32c(0, b, 28))
		return refuse(st, LU_REFUSE_HEADER_CRC, "state header CRC32C mismatch");
	if (le32_load(b + 12) != LU_HEADER_LEN || le32_load(b + 24))
		return refuse(st, LU_REFUSE_HEADER, "state header length %" PRIu32 " flags 0x%" PRIx32 " (format 1 has 32, 0)",
			      le32_load(b + 12), le32_load(b + 24));
	total = le64_load(b + 16);
	if (total != len)
		return refuse(st, LU_REFUSE_LENGTH, "state header says %" PRIu64 " bytes, the state has %zu (%s)", total, len,
			      total > len ? "truncated" : "trailing bytes");

	for (off = LU_HEADER_LEN;; ) {
		const uint8_t *h = b + off;
		struct lu_section s = { .offset = off };
		const struct lu_section_spec *spec;
		size_t room, padded;
		uint32_t crc;

		if (off == len)
			return refuse(st, LU_REFUSE_END, "no end marker (the state ends after %u sections)", seen);
		room = len - off;
		if (room < LU_SECTION_HEADER_LEN)
			return refuse(st, LU_REFUSE_TRUNCATED, "section header at offset %zu: %zu bytes left, a header has %u",
				      off, room, LU_SECTION_HEADER_LEN);
		room -= LU_SECTION_HEADER_LEN;
		if (!type_field(h, s.type))
			return refuse(st, LU_REFUSE_SECTION_HEADER, "section at offset %zu: not a valid type name", off);
		s.instance = le32_load(h + 16);
		s.version = le16_load(h + 20);
		s.flags = le16_load(h + 22);
		s.len = le64_load(h + 24);
		if ((s.flags & ~LU_SEC_FLAGS_KNOWN) || le32_load(h + 36))
			return refuse(st, LU_REFUSE_SECTION_HEADER, "section '%s' at offset %zu: unknown flags 0x%x or reserved bits",
				      s.type, off, s.flags);
		/* room < 256 MiB, so the padded length cannot wrap once the length fits. */
		padded = s.len <= room ? (size_t)((s.len + 7) & ~(uint64_t)7) : SIZE_MAX;
		if (padded > room)
			return refuse(st, LU_REFUSE_TRUNCATED, "section '%s' at offset %zu: %" PRIu64 " bytes of payload, %zu left",
				      s.type, off, s.len, room);
		s.data = h + LU_SECTION_HEADER_LEN;
		crc = crc32c(crc32c(0, h, 32), s.data, s.len);
		if (crc != le32_load(h + 32))
			return refuse(st, LU_REFUSE_SECTION_CRC, "section '%s' instance %" PRIu32 " at offset %zu: CRC32C mismatch",
				      s.type, s.instance, off);
		for (size_t i = s.len; i < padded; i++)
			if (s.data[i])
				return refuse(st, LU_REFUSE_PADDING, "section '%s' at offset %zu: non-zero padding", s.type, off);
		off += LU_SECTION_HEADER_LEN + padded;

		if (!strcmp(s.type, LU_END_TYPE)) {
			r = check_end(st, &s, off, seen);
			if (r)
				return r;
			break;
		}
		if (++seen > LU_MAX_SECTIONS)
			return refuse(st, LU_REFUSE_TOO_BIG, "more than %u sections", LU_MAX_SECTIONS);
		spec = spec_of(specs, nr_specs, s.type);
		if (!spec) {
			if (s.flags & LU_SEC_MANDATORY)
				return refuse(st, LU_REFUSE_UNKNOWN_MANDATORY, "section '%s' at offset %" PRIu64 " is mandatory and"
					      " this nestvm does not know it (saved by a newer nestvm?)", s.type, s.offset);
			st->skipped++;
			continue;
		}
		if (s.version > spec->max_version)
			return refuse(st, LU_REFUSE_VERSION_NEWER, "section '%s' version %u is newer than this nestvm restores"
				      " (%u to %u): restore with a newer nestvm", s.type, s.version, spec->min_version,
				      spec->max_version);
		if (s.version < spec->min_version)
			return refuse(st, LU_REFUSE_VERSION_OLDER, "section '%s' version %u is older than this nestvm restores"
				      " (%u to %u)", s.type, s.version, spec->min_version, spec->max_version);
		r = add_section(st, &cap, &s);
		if (r)
			return r;
	}
	r = check_duplicates(st, specs, nr_specs);
	if (r)
		return r;
	for (size_t i = 0; i < nr_specs; i++)
		if (specs[i].required && !lu_state_next(st, specs[i].type, NULL))
			return refuse(st, LU_REFUSE_MISSING, "the state has no '%s' section", specs[i].type);
	return 0;
}

int lu_state_load_fd(struct lu_state *st, int fd, const struct lu_section_spec *specs, size_t nr_specs)
{
	struct stat sb;
	uint8_t *copy;
	size_t size, off = 0;
	int seals, r;

	*st = (struct lu_state){ 0 };
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		refuse(st, LU_REFUSE_IO, "state fd %d: fstat: %s", fd, strerror(errno));
		return r;
	}
	if (!S_ISREG(sb.st_mode))
		return refuse(st, LU_REFUSE_IO, "state fd %d is not a regular file or memfd", fd);
	if ((uint64_t)sb.st_size > LU_STATE_MAX_LEN)
		return refuse(st, LU_REFUSE_TOO_BIG, "state of %jd bytes, more than the %u allowed", (intmax_t)sb.st_size,
			      LU_STATE_MAX_LEN);
	/*
	 * A memfd that can still be sealed (no F_SEAL_SEAL) is a writer that never got to the end:
	 * lu_writer_to_memfd adds all its seals at once. Files that were never sealable (tmpfs files, memfds
	 * without MFD_ALLOW_SEALING) carry F_SEAL_SEAL alone, other files no seals at all: both are read.
	 */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && !(seals & F_SEAL_SEAL))
		return refuse(st, LU_REFUSE_NOT_SEALED, "state memfd %d is not sealed (seals 0x%x): its writer did not finish",
			      fd, seals);
	size = (size_t)sb.st_size;
	copy = malloc(size ? size : 1);
	if (!copy)
		return refuse(st, LU_REFUSE_NOMEM, "no memory for a state of %zu bytes", size);
	while (off < size) {
		ssize_t n = pread(fd, copy + off, size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			free(copy);
			refuse(st, LU_REFUSE_IO, "state fd %d: read at %zu of %zu: %s", fd, off, size,
			       n < 0 ? strerror(-r) : "unexpected end of file");
			return r;
		}
		off += (size_t)n;
	}
	r = lu_state_parse(st, copy, size, specs, nr_specs);
	if (r) {
		free(copy);
		st->buf = NULL;
		return r;
	}
	st->owned = copy;
	return 0;
}

const struct lu_section *lu_state_next(const struct lu_state *st, const char *type, const struct lu_section *prev)
{
	unsigned int i = prev ? (unsigned int)(prev - st->sec) + 1 : 0;

	for (; i < st->nr; i++)
		if (!strcmp(st->sec[i].type, type))
			return &st->sec[i];
	return NULL;
}

const struct lu_section *lu_state_find(const struct lu_state *st, const char *type, uint32_t instance)
{
	for (const struct lu_section *s = lu_state_next(st, type, NULL); s; s = lu_state_next(st, type, s))
		if (s->instance == instance)
			return s;
	return NULL;
}

void lu_state_free(struct lu_state *st)
{
	free(st->sec);
	free(st->owned);
	*st = (struct lu_state){ 0 };
}
