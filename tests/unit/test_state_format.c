// SPDX-License-Identifier: GPL-2.0-only
/*
 * The live-update state format: round trips through a buffer and a sealed memfd, typed fields, and
 * every refusal reason (truncated at every byte offset, every bit flipped, versions too new or too old,
 * lengths that overflow, duplicates, unknown mandatory sections, missing ones, bad end markers).
 * `test_state_format --corpus DIR` also writes the fuzz_state_format seed corpus.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "liveupdate/crc32c.h"
#include "liveupdate/fds_section.h"
#include "liveupdate/le.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "tap.h"

static const struct lu_section_spec specs[] = {
	{ .type = "vcpu", .min_version = 1, .max_version = 2, .multi = true, .required = true },
	{ .type = "memory", .min_version = 1, .max_version = 1, .required = true },
	{ .type = "virtio-blk", .min_version = 1, .max_version = 1, .multi = true },
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static bool seen[LU_REFUSE_COUNT];

/* Parses a private, exactly sized copy (ASan catches any read past LEN) and records the refusal. */
static int parse(struct lu_state *st, const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, buf, len);
	r = lu_state_parse(st, copy, len, specs, NSPECS);
	seen[st->refusal] = true;
	if (r) {
		/* Not half-applied: a refused state indexes nothing. */
		if (st->nr || st->sec || lu_state_find(st, "vcpu", 0)) {
			printf("# refused state still indexes %u sections\n", st->nr);
			tap_failed++;
		}
		free(copy);
		st->buf = NULL;
	} else {
		st->owned = copy;   /* freed with the state */
	}
	return r;
}

static enum lu_refusal refusal_of(const uint8_t *buf, size_t len, char *why, size_t n)
{
	struct lu_state st;
	enum lu_refusal r;

	parse(&st, buf, len);
	r = st.refusal;
	if (why)
		snprintf(why, n, "%s", st.why);
	lu_state_free(&st);
	return r;
}

/* The header's total length and CRC made consistent with LEN (a writer that wrote them last). */
static void fix_header(uint8_t *b, size_t len)
{
	le64_store(b + 16, len);
	le32_store(b + 28, crc32c(0, b, 28));
}

/* Section at OFF: its CRC made consistent with its (possibly edited) header and payload. */
static void fix_section(uint8_t *b, size_t off)
{
	uint64_t len = le64_load(b + off + 24);

	le32_store(b + off + 32, crc32c(crc32c(0, b + off, 32), b + off + LU_SECTION_HEADER_LEN, len));
}

/* Offset of the Nth section header (0-based; the end marker counts). */
static size_t section_off(const uint8_t *b, unsigned int n)
{
	size_t off = LU_HEADER_LEN;

	while (n--)
		off += LU_SECTION_HEADER_LEN + ((le64_load(b + off + 24) + 7) & ~7ULL);
	return off;
}

static void put_vcpu(struct lu_writer *w, uint32_t id, uint16_t version)
{
	lu_writer_begin(w, "vcpu", id, version, LU_SEC_MANDATORY);
	lu_put_u64(w, 0x1122334455667788ULL + id);   /* a "register" */
	lu_put_u32(w, 0xdeadbeef);
	lu_put_u16(w, 0xcafe);
	lu_put_u8(w, 0x5a);
	lu_put_bool(w, id & 1);
	lu_put_str(w, "vcpu-name", 32);
	lu_put_u32(w, 3);                            /* count of u16 elements */
	for (uint16_t i = 0; i < 3; i++)
		lu_put_u16(w, (uint16_t)(i * 7));
	lu_writer_end(w);
}

/* A state like a VM's: two vCPUs, memory, a disk, an optional section this reader does not know. */
static int build(struct lu_writer *w, bool with_unknown_optional)
{
	lu_writer_init(w);
	put_vcpu(w, 0, 2);
	put_vcpu(w, 1, 1);   /* an older section version, still restored */
	lu_writer_begin(w, "memory", 0, 1, LU_SEC_MANDATORY);
	lu_put_u64(w, 0x40000000);
	lu_put_u64(w, 256 << 20);
	lu_writer_end(w);
	if (with_unknown_optional) {
		lu_writer_begin(w, "future-stats", 0, 9, 0);
		lu_put_bytes(w, "whatever", 8);
		lu_writer_end(w);
	}
	lu_writer_begin(w, "virtio-blk", 0, 1, LU_SEC_MANDATORY);   /* empty payload */
	lu_writer_end(w);
	return lu_writer_finish(w);
}

static bool read_vcpu(const struct lu_section *s, uint32_t id)
{
	struct lu_cursor c;
	char name[16], why[200];
	uint16_t v[3] = { 1, 1, 1 };
	uint32_t n;
	bool ok;

	lu_cursor_init(&c, s);
	ok = lu_get_u64(&c) == 0x1122334455667788ULL + id;
	ok &= lu_get_u32(&c) == 0xdeadbeef;
	ok &= lu_get_u16(&c) == 0xcafe;
	ok &= lu_get_u8(&c) == 0x5a;
	ok &= lu_get_bool(&c) == (id & 1);
	lu_get_str(&c, name, sizeof(name));
	ok &= !strcmp(name, "vcpu-name");
	n = lu_get_count(&c, 3, 2);
	ok &= n == 3;
	for (uint32_t i = 0; i < n; i++)
		v[i] = lu_get_u16(&c);
	ok &= v[0] == 0 && v[1] == 7 && v[2] == 14;
	return ok && lu_cursor_finish(&c, why, sizeof(why)) == 0;
}

static void test_crc(void)
{
	CHECK(crc32c(0, "123456789", 9) == 0xe3069283, "CRC32C check value of \"123456789\" (RFC 3720 B.4)");
	CHECK(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xe3069283, "CRC32C continues across calls");
	CHECK(crc32c(0, "", 0) == 0, "CRC32C of nothing is 0");
}

static void test_round_trip(void)
{
	struct lu_writer w;
	struct lu_state st;
	const struct lu_section *s, *s1;
	bool aligned = true;

	CHECK(build(&w, true) == 0, "a state with 5 sections written (%zu bytes)", w.len);
	CHECK(!memcmp(w.buf, LU_MAGIC, 8) && le64_load(w.buf + 16) == w.len && le32_load(w.buf + 8) == 1,
	      "header: magic, version 1, total length");
	for (unsigned int i = 0; i <= 5; i++)
		aligned &= section_off(w.buf, i) % 8 == 0;
	CHECK(aligned && section_off(w.buf, 6) == w.len, "sections 8-byte aligned, the end marker last");
	CHECK(parse(&st, w.buf, w.len) == 0, "parsed: %s", st.why);
	CHECK(st.nr == 4 && st.skipped == 1 && st.format_version == 1, "4 known sections indexed, 1 unknown optional skipped");
	s = lu_state_find(&st, "vcpu", 0);
	s1 = lu_state_find(&st, "vcpu", 1);
	CHECK(s && s->version == 2 && read_vcpu(s, 0), "vcpu 0 (version 2) reads back field by field");
	CHECK(s1 && s1->version == 1 && read_vcpu(s1, 1), "vcpu 1 (older version 1) accepted and reads back");
	CHECK(lu_state_next(&st, "vcpu", NULL) == s && lu_state_next(&st, "vcpu", s) == s1 &&
	      !lu_state_next(&st, "vcpu", s1), "iteration over one type in state order");
	CHECK(!lu_state_find(&st, "vcpu", 2) && !lu_state_find(&st, "future-stats", 0), "absent and skipped not found");
	s = lu_state_find(&st, "virtio-blk", 0);
	CHECK(s && s->len == 0, "an empty section");
	lu_state_free(&st);
	lu_writer_free(&w);
}

static void test_memfd(void)
{
	struct lu_writer w;
	struct lu_state st;
	int fd, seals, ufd;

	build(&w, false);
	fd = lu_writer_to_memfd(&w, "nestvm-state");
	CHECK(fd >= 0, "state written to a memfd");
	seals = fcntl(fd, F_GET_SEALS);
	CHECK(seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) ==
	      (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), "memfd sealed (write, shrink, grow, seal)");
	CHECK(pwrite(fd, "X", 1, 0) < 0 && errno == EPERM, "a sealed state cannot be written");
	CHECK(ftruncate(fd, 8) < 0 && errno == EPERM, "a sealed state cannot be truncated");
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC), "state memfd is close-on-exec until a handover");
	CHECK(lu_state_load_fd(&st, fd, specs, NSPECS) == 0 && st.nr == 4 && st.owned, "memfd loaded: %s", st.why);
	CHECK(read_vcpu(lu_state_find(&st, "vcpu", 1), 1), "vcpu 1 reads back from the memfd");
	lu_state_free(&st);

	ufd = memfd_create("unsealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	CHECK(write(ufd, w.buf, w.len) == (ssize_t)w.len, "an unsealed copy");
	CHECK(lu_state_load_fd(&st, ufd, specs, NSPECS) < 0 && st.refusal == LU_REFUSE_NOT_SEALED,
	      "unsealed memfd refused: %s", st.why);
	seen[st.refusal] = true;
	close(ufd);
	ufd = memfd_create("never-sealable", MFD_CLOEXEC);
	CHECK(write(ufd, w.buf, w.len) == (ssize_t)w.len && lu_state_load_fd(&st, ufd, specs, NSPECS) == 0,
	      "a memfd that was never sealable (F_SEAL_SEAL alone, like a tmpfs file) is read: %s", st.why);
	lu_state_free(&st);
	close(ufd);
	{
		FILE *f = tmpfile();
		int tfd = f ? fileno(f) : -1;

		CHECK(tfd >= 0 && write(tfd, w.buf, w.len) == (ssize_t)w.len, "a regular file copy");
		CHECK(lu_state_load_fd(&st, tfd, specs, NSPECS) == 0, "a regular file (no seals) is read");
		lu_state_free(&st);
		CHECK(ftruncate(tfd, 20) == 0 && lu_state_load_fd(&st, tfd, specs, NSPECS) < 0 &&
		      st.refusal == LU_REFUSE_SHORT, "a 20-byte file refused: %s", st.why);
		seen[st.refusal] = true;
		lu_state_free(&st);
		if (f)
			fclose(f);
	}
	CHECK(lu_state_load_fd(&st, fd + 1000, specs, NSPECS) == -EBADF && st.refusal == LU_REFUSE_IO,
	      "a closed fd: %s", st.why);
	seen[st.refusal] = true;
	{
		int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		CHECK(lu_state_load_fd(&st, dfd, specs, NSPECS) < 0 && st.refusal == LU_REFUSE_IO, "a directory: %s", st.why);
		close(dfd);
	}
	close(fd);
	lu_writer_free(&w);
}

static void test_truncation(void)
{
	struct lu_writer w;
	uint8_t *b;
	bool ok_plain = true, ok_fixed = true;
	size_t n;

	build(&w, true);
	b = malloc(w.len);
	/* Cut anywhere, header as written: the total length gives it away (or the header is cut). */
	for (n = 0; n < w.len; n++) {
		enum lu_refusal r = refusal_of(w.buf, n, NULL, 0);

		if (r != (n < LU_HEADER_LEN ? LU_REFUSE_SHORT : LU_REFUSE_LENGTH)) {
			printf("# cut at %zu: %s\n", n, lu_refusal_name(r));
			ok_plain = false;
		}
	}
	CHECK(ok_plain, "truncated at each of %zu byte offsets: refused (short / length)", w.len);
	/* Worse: cut anywhere with a header that agrees (a writer that stopped): the walk must catch it. */
	for (n = LU_HEADER_LEN; n < w.len; n++) {
		enum lu_refusal r;
		char why[256];

		memcpy(b, w.buf, n);
		fix_header(b, n);
		r = refusal_of(b, n, why, sizeof(why));
		if (r != LU_REFUSE_TRUNCATED && r != LU_REFUSE_END && r != LU_REFUSE_PADDING && r != LU_REFUSE_SECTION_CRC) {
			printf("# cut at %zu with a consistent header: %s (%s)\n", n, lu_refusal_name(r), why);
			ok_fixed = false;
		}
	}
	CHECK(ok_fixed, "truncated at each offset with a consistent header: refused by the section walk");
	memcpy(b, w.buf, w.len);
	fix_header(b, section_off(b, 5));   /* exactly before the end marker */
	CHECK(refusal_of(b, section_off(b, 5), NULL, 0) == LU_REFUSE_END, "all sections but no end marker: refused");
	free(b);
	lu_writer_free(&w);
}

static void test_bit_flips(void)
{
	struct lu_writer w;
	uint8_t *b;
	unsigned int accepted = 0;
	char why[256];

	build(&w, true);
	b = malloc(w.len);
	for (size_t i = 0; i < w.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(b, w.buf, w.len);
			b[i] ^= (uint8_t)(1 << bit);
			if (refusal_of(b, w.len, NULL, 0) == LU_OK) {
				if (accepted++ < 4)
					printf("# bit %d of byte %zu flipped: accepted\n", bit, i);
			}
		}
	}
	CHECK(!accepted, "every one of %zu single-bit flips refused", w.len * 8);
	memcpy(b, w.buf, w.len);
	b[section_off(b, 2) + LU_SECTION_HEADER_LEN + 3] ^= 0x10;   /* inside memory's payload */
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_SECTION_CRC && strstr(why, "'memory'"),
	      "payload bit flipped: %s", why);
	memcpy(b, w.buf, w.len);
	b[section_off(b, 0) + 32] ^= 1;   /* the CRC field itself */
	CHECK(refusal_of(b, w.len, NULL, 0) == LU_REFUSE_SECTION_CRC, "CRC field flipped: refused");
	memcpy(b, w.buf, w.len);
	b[17] ^= 1;
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_HEADER_CRC, "header bit flipped: %s", why);
	memcpy(b, w.buf, w.len);
	b[0] = 'X';
	CHECK(refusal_of(b, w.len, NULL, 0) == LU_REFUSE_MAGIC, "bad magic refused");
	free(b);
	lu_writer_free(&w);
}

/* Refusals of crafted states: each edit made consistent (CRCs fixed) so only the reason shows. */
static void test_refusals(void)
{
	struct lu_writer w;
	uint8_t *b;
	size_t off;
	char why[256];

	build(&w, true);
	b = malloc(w.len + 64);

	memcpy(b, w.buf, w.len);
	le32_store(b + 8, 2);
	fix_header(b, w.len);
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_FORMAT_VERSION && strstr(why, "newer nestvm"),
	      "format version 2: %s", why);
	le32_store(b + 8, 0);
	fix_header(b, w.len);
	CHECK(refusal_of(b, w.len, NULL, 0) == LU_REFUSE_FORMAT_VERSION, "format version 0 refused");

	memcpy(b, w.buf, w.len);
	le32_store(b + 12, 48);
	fix_header(b, w.len);
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_HEADER, "header length 48: %s", why);
	memcpy(b, w.buf, w.len);
	le32_store(b + 24, 1);
	fix_header(b, w.len);
	CHECK(refusal_of(b, w.len, NULL, 0) == LU_REFUSE_HEADER, "header flags set: refused");

	/* Section too new / too old for this reader (vcpu: 1..2). */
	memcpy(b, w.buf, w.len);
	le16_store(b + section_off(b, 0) + 20, 3);
	fix_section(b, section_off(b, 0));
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_VERSION_NEWER && strstr(why, "newer") &&
	      strstr(why, "'vcpu' version 3"), "vcpu version 3: %s", why);
	le16_store(b + section_off(b, 0) + 20, 0);
	fix_section(b, section_off(b, 0));
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_VERSION_OLDER, "vcpu version 0: %s", why);

	/* Lengths that overflow or run past the end. */
	off = section_off(w.buf, 2);
	const uint64_t lens[] = { UINT64_MAX, UINT64_MAX - 6, (uint64_t)1 << 63, w.len - off - LU_SECTION_HEADER_LEN + 1,
				  LU_STATE_MAX_LEN };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memcpy(b, w.buf, w.len);
		le64_store(b + off + 24, lens[i]);
		if (lens[i] < w.len)
			fix_section(b, off);
		CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_TRUNCATED, "section length 0x%llx: %s",
		      (unsigned long long)lens[i], why);
	}
	memcpy(b, w.buf, w.len);
	le64_store(b + 16, UINT64_MAX);
	le32_store(b + 28, crc32c(0, b, 28));
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_LENGTH, "total length 2^64-1: %s", why);
	{
		struct lu_state st;

		/* Refused on its length alone, before a byte is read (the buffer is far smaller). */
		CHECK(lu_state_parse(&st, b, (size_t)LU_STATE_MAX_LEN + 1, specs, NSPECS) < 0 &&
		      st.refusal == LU_REFUSE_TOO_BIG, "a state over %u bytes: %s", LU_STATE_MAX_LEN, st.why);
		seen[st.refusal] = true;
		lu_state_free(&st);
	}

	/* Trailing bytes after the end marker, with a header that counts them. */
	memcpy(b, w.buf, w.len);
	memset(b + w.len, 0, 8);
	fix_header(b, w.len + 8);
	CHECK(refusal_of(b, w.len + 8, why, sizeof(why)) == LU_REFUSE_END, "8 bytes after the end marker: %s", why);
	/* An end marker that miscounts. */
	memcpy(b, w.buf, w.len);
	off = section_off(b, 5);
	le32_store(b + off + LU_SECTION_HEADER_LEN, 4);
	fix_section(b, off);
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_END, "end marker counting 4 of 5: %s", why);

	/* Non-zero padding (not covered by the CRC, checked on its own). vcpu payloads are 40 bytes + ... */
	memcpy(b, w.buf, w.len);
	{
		/* vcpu 0: 8+4+2+1+1+4+9+4+6 = 39 bytes, one byte of padding */
		size_t v0 = section_off(b, 0);

		CHECK(le64_load(b + v0 + 24) == 39, "vcpu payload is 39 bytes (one padding byte)");
		b[v0 + LU_SECTION_HEADER_LEN + 39] = 0xff;
		CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_PADDING, "padding byte set: %s", why);
	}

	/* Section header fields. */
	memcpy(b, w.buf, w.len);
	off = section_off(b, 2);
	b[off] = 'M';
	fix_section(b, off);
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_SECTION_HEADER, "type 'Memory': %s", why);
	memcpy(b, w.buf, w.len);
	memset(b + off, 'a', 16);
	fix_section(b, off);
	CHECK(refusal_of(b, w.len, NULL, 0) == LU_REFUSE_SECTION_HEADER, "16-character type refused");
	memcpy(b, w.buf, w.len);
	b[off + 10] = 'x';   /* after the NUL of "memory" */
	fix_section(b, off);
	CHECK(refusal_of(b, w.len, NULL, 0) == LU_REFUSE_SECTION_HEADER, "bytes after the type's NUL refused");
	memcpy(b, w.buf, w.len);
	le16_store(b + off + 22, 0x3);
	fix_section(b, off);
	CHECK(refusal_of(b, w.len, NULL, 0) == LU_REFUSE_SECTION_HEADER, "unknown section flag refused");
	memcpy(b, w.buf, w.len);
	le32_store(b + off + 36, 1);
	CHECK(refusal_of(b, w.len, NULL, 0) == LU_REFUSE_SECTION_HEADER, "reserved word set refused");

	/* Unknown sections: optional ones are skipped (above), mandatory ones refused. */
	memcpy(b, w.buf, w.len);
	off = section_off(b, 3);
	le16_store(b + off + 22, LU_SEC_MANDATORY);
	fix_section(b, off);
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_UNKNOWN_MANDATORY && strstr(why, "future-stats"),
	      "unknown mandatory section: %s", why);

	/* Duplicates: memory is a singleton; vcpu may repeat, but not an instance. */
	memcpy(b, w.buf, w.len);
	off = section_off(b, 1);
	le32_store(b + off + 16, 0);   /* vcpu 1 -> vcpu 0 */
	fix_section(b, off);
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_DUPLICATE, "vcpu 0 twice: %s", why);
	memcpy(b, w.buf, w.len);
	off = section_off(b, 4);
	memset(b + off, 0, 16);
	memcpy(b + off, "memory", 6);   /* virtio-blk -> a second memory (instance 0) */
	fix_section(b, off);
	CHECK(refusal_of(b, w.len, NULL, 0) == LU_REFUSE_DUPLICATE, "memory twice (same instance): refused");
	le32_store(b + off + 16, 1);
	fix_section(b, off);
	CHECK(refusal_of(b, w.len, why, sizeof(why)) == LU_REFUSE_DUPLICATE, "memory twice (instances 0, 1): %s", why);

	/* A required section missing. */
	{
		struct lu_writer m;

		lu_writer_init(&m);
		put_vcpu(&m, 0, 1);
		lu_writer_finish(&m);
		CHECK(refusal_of(m.buf, m.len, why, sizeof(why)) == LU_REFUSE_MISSING && strstr(why, "'memory'"),
		      "no memory section: %s", why);
		lu_writer_free(&m);
	}
	free(b);
	lu_writer_free(&w);
}

static void test_writer_misuse(void)
{
	struct lu_writer w;

	lu_writer_init(&w);
	lu_put_u32(&w, 1);
	CHECK(w.err == -EINVAL, "a field outside a section is an error");
	CHECK(lu_writer_begin(&w, "vcpu", 0, 1, 0) == -EINVAL && lu_writer_finish(&w) == -EINVAL, "the error is sticky");
	lu_writer_free(&w);
	CHECK(lu_writer_begin(&w, "end", 0, 1, 0) == -EINVAL, "type 'end' is the writer's own");
	lu_writer_free(&w);
	CHECK(lu_writer_begin(&w, "Vcpu", 0, 1, 0) == -EINVAL, "upper case type refused");
	lu_writer_free(&w);
	CHECK(lu_writer_begin(&w, "sixteen-chars-xx", 0, 1, 0) == -EINVAL, "16-character type refused");
	lu_writer_free(&w);
	CHECK(lu_writer_begin(&w, "vcpu", 0, 1, 0x8) == -EINVAL, "unknown flag refused");
	lu_writer_free(&w);
	lu_writer_begin(&w, "vcpu", 0, 1, 0);
	CHECK(lu_writer_begin(&w, "memory", 0, 1, 0) == -EINVAL, "a section inside a section refused");
	lu_writer_free(&w);
	lu_writer_begin(&w, "vcpu", 0, 1, 0);
	CHECK(lu_writer_finish(&w) == -EINVAL, "finishing inside a section refused");
	lu_writer_free(&w);
	lu_writer_begin(&w, "vcpu", 0, 1, 0);
	lu_put_str(&w, "toolong", 4);
	CHECK(w.err == -EINVAL, "a string over its maximum is an error");
	lu_writer_free(&w);
	CHECK(lu_writer_to_memfd(&w, "x") == -EINVAL, "no memfd of an unfinished state");
	lu_writer_free(&w);
	/* A state with no sections at all is well formed (the reader's specs decide what it needs). */
	lu_writer_finish(&w);
	{
		struct lu_state st;

		CHECK(w.len == LU_HEADER_LEN + LU_SECTION_HEADER_LEN + LU_END_PAYLOAD_LEN &&
		      lu_state_parse(&st, w.buf, w.len, NULL, 0) == 0 && st.nr == 0, "an empty state: header and end marker");
		lu_state_free(&st);
	}
	lu_writer_free(&w);
}

static void test_cursor(void)
{
	struct lu_writer w;
	struct lu_state st;
	struct lu_cursor c;
	const struct lu_section *s;
	char why[256], str[8];

	lu_writer_init(&w);
	lu_writer_begin(&w, "vcpu", 0, 1, 0);
	lu_put_u32(&w, 5);          /* a count claiming 5 elements of 4 bytes */
	lu_put_u32(&w, 1);
	lu_put_u8(&w, 2);           /* a bad bool */
	lu_writer_end(&w);
	lu_writer_begin(&w, "memory", 0, 1, 0);
	lu_put_str(&w, "a\0b", 3);  /* stops at the NUL: "a" */
	lu_put_u32(&w, 3);
	lu_put_bytes(&w, "a\0b", 3);
	lu_writer_end(&w);
	CHECK(lu_writer_finish(&w) == 0 && lu_state_parse(&st, w.buf, w.len, specs, NSPECS) == 0, "cursor test state: %s",
	      st.why);
	s = lu_state_find(&st, "vcpu", 0);

	lu_cursor_init(&c, s);
	CHECK(lu_get_count(&c, 100, 4) == 0 && c.bad && lu_cursor_finish(&c, why, sizeof(why)) < 0,
	      "a count that does not fit the payload: %s", why);
	lu_cursor_init(&c, s);
	CHECK(lu_get_count(&c, 4, 1) == 0 && c.bad, "a count over its maximum");
	lu_cursor_init(&c, s);
	CHECK(lu_get_count(&c, 5, 0) == 5 && !c.bad, "a count of zero-size elements is only bounded by MAX");
	lu_cursor_init(&c, s);
	lu_get_u64(&c);
	CHECK(lu_get_bool(&c) == false && c.bad, "a bool that is 2");
	lu_cursor_init(&c, s);
	lu_get_u64(&c);
	lu_get_u8(&c);
	CHECK(lu_get_u64(&c) == 0 && lu_get_u8(&c) == 0 && c.bad && lu_cursor_finish(&c, why, sizeof(why)) < 0 &&
	      strstr(why, "past"), "an over-read returns 0 and fails: %s", why);
	lu_cursor_init(&c, s);
	lu_get_u32(&c);
	CHECK(lu_cursor_finish(&c, why, sizeof(why)) < 0 && strstr(why, "unread"), "bytes left unread: %s", why);
	{
		uint8_t big[16] = { 1 };

		lu_cursor_init(&c, s);
		lu_get_bytes(&c, big, sizeof(big));
		CHECK(c.bad && big[0] == 0, "an over-read of bytes zeroes the destination");
	}
	s = lu_state_find(&st, "memory", 0);
	lu_cursor_init(&c, s);
	lu_get_str(&c, str, sizeof(str));
	CHECK(!c.bad && !strcmp(str, "a"), "a string reads back");
	lu_get_str(&c, str, sizeof(str));
	CHECK(c.bad && str[0] == 0, "a string with a NUL inside is refused");
	lu_cursor_init(&c, s);
	lu_get_str(&c, str, 1);
	CHECK(c.bad, "a string longer than the destination is refused");
	lu_state_free(&st);
	lu_writer_free(&w);
}

/* Seeds for fuzz_state_format: valid states of the types it knows, and a few near misses. */
static int write_corpus(const char *dir)
{
	struct lu_writer w;
	char path[512];
	int n = 0;

	for (int i = 0; i < 3; i++) {
		FILE *f;

		if (i == 0) {
			build(&w, true);
		} else if (i == 1) {
			lu_writer_init(&w);
			lu_writer_begin(&w, LU_FDS_TYPE, 0, LU_FDS_VERSION, LU_SEC_MANDATORY);
			lu_put_u32(&w, 2);
			for (uint32_t k = 0; k < 2; k++) {
				char name[FDTAB_NAME_LEN] = "ram@0x40000000", owner[FDTAB_OWNER_LEN] = "guest_mem";

				lu_put_u32(&w, k ? FD_IOMMUFD : FD_GUEST_RAM);
				lu_put_u32(&w, 10 + k);
				lu_put_bytes(&w, name, sizeof(name));
				lu_put_bytes(&w, owner, sizeof(owner));
			}
			lu_writer_end(&w);
			put_vcpu(&w, 0, 1);
			lu_writer_finish(&w);
		} else {
			lu_writer_init(&w);
			lu_writer_finish(&w);
		}
		snprintf(path, sizeof(path), "%s/seed-%s", dir, i == 0 ? "vm" : i == 1 ? "fds" : "empty");
		f = fopen(path, "we");
		if (!f || fwrite(w.buf, 1, w.len, f) != w.len || fclose(f)) {
			perror(path);
			return 1;
		}
		n++;
		lu_writer_free(&w);
	}
	printf("wrote %d seeds to %s\n", n, dir);
	return 0;
}

int main(int argc, char **argv)
{
	bool all = true;

	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		return write_corpus(argv[2]);
	test_crc();
	test_round_trip();
	test_memfd();
	test_truncation();
	test_bit_flips();
	test_refusals();
	test_writer_misuse();
	test_cursor();
	/* Every reason a state can be refused for was produced above (memory exhaustion aside). */
	for (int r = LU_REFUSE_IO; r < LU_REFUSE_COUNT; r++) {
		if (r != LU_REFUSE_NOMEM && !seen[r]) {
			printf("# refusal '%s' never produced\n", lu_refusal_name(r));
			all = false;
		}
	}
	CHECK(all, "every refusal reason is tested");
	return tap_done();
}
