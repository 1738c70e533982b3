// SPDX-License-Identifier: GPL-2.0-only
/* arm64 Image header parsing: good, forged, truncated and random headers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arm64/image.h"
#include "tap.h"

static uint8_t buf[4096];

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = v >> (8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }
static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }

/* A header like the one arch/arm64/kernel/head.S emits. */
static void mk(uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(buf, 0, sizeof(buf));
	put64(buf + 8, text_offset);
	put64(buf + 16, image_size);
	put64(buf + 24, flags);
	put32(buf + 0x38, ARM64_IMAGE_MAGIC);
}

/* Adds an EFI PE/COFF header with two sections whose raw data ends at END. */
static void mk_pe(uint64_t end)
{
	uint32_t pe = 0x40, sec;

	buf[0] = 'M';
	buf[1] = 'Z';
	put32(buf + 0x3c, pe);
	memcpy(buf + pe, "PE\0\0", 4);
	put16(buf + pe + 4, 0xaa64);
	put16(buf + pe + 6, 2);
	put16(buf + pe + 20, 0xa0);     /* optional header size */
	sec = pe + 24 + 0xa0;
	put32(buf + sec + 16, 0x1000);  /* .text: raw 0x1000 @ 0x1000 */
	put32(buf + sec + 20, 0x1000);
	put32(buf + sec + 40 + 16, (uint32_t)end - 0x2000);     /* .data ends at END */
	put32(buf + sec + 40 + 20, 0x2000);
}

static int parse(size_t len, uint64_t file_size, struct arm64_image *img, const char **why)
{
	return arm64_image_parse(buf, len, file_size, img, why);
}

static void test_forged(void)
{
	struct arm64_image img;
	const char *why;

	mk(0, 0x200000, 0xa);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == 0 && img.text_offset == 0 &&
	      img.image_size == 0x200000 && img.page_kb == 4, "valid LE 4K header");
	mk(0, 0x200000, 0x4);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == 0 && img.page_kb == 16, "16K page size from flags");
	mk(0, 0x200000, 0x6);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == 0 && img.page_kb == 64, "64K page size from flags");
	mk(0x80000, 0, 0x1);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == 0 && img.text_offset == 0x80000 &&
	      img.image_size == 0x180000, "pre-3.17 header (image_size 0): text_offset 0x80000");

	mk(0, 0x200000, 0);
	buf[0x38] = 'X';
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL && strstr(why, "not an arm64 Image"),
	      "bad magic: %s", why);
	memcpy(buf, "\x1f\x8b\x08\x00", 4);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL && strstr(why, "gzip"), "Image.gz: %s", why);
	memcpy(buf, "MZ\0\0zimg", 8);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL && strstr(why, "zboot"), "vmlinuz.efi: %s", why);
	memcpy(buf, "\x7f" "ELF\0\0\0\0", 8);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL, "an ELF file is rejected");
	mk(0, 0x200000, 0);
	CHECK(parse(63, 63, &img, &why) == -EINVAL && strstr(why, "not an arm64 Image"), "63-byte file: %s", why);
	CHECK(parse(sizeof(buf), 40, &img, &why) == -EINVAL, "file shorter than the header");
	mk(0, 0x200000, 1);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL && strstr(why, "big-endian"), "BE kernel: %s", why);
	mk(0, 1ull << 40, 0);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL && strstr(why, "image_size"), "huge image_size: %s", why);
	mk(0, ~0ull, 0);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL, "image_size 2^64-1 rejected");
	mk(0, 0x100000, 0);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL, "file larger than image_size rejected: %s", why);
	mk(0x200000, 0x400000, 0);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL, "text_offset >= 2 MiB rejected");
	mk(0x123, 0x400000, 0);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL, "unaligned text_offset rejected");
	mk(~0ull - 0xfff, 0x400000, 0);
	CHECK(parse(sizeof(buf), 0x180000, &img, &why) == -EINVAL, "text_offset near 2^64 rejected");
}

static void test_pe(void)
{
	struct arm64_image img;
	const char *why;

	mk(0, 0x200000, 0xa);
	mk_pe(0x120000);
	CHECK(parse(sizeof(buf), 0x120000, &img, &why) == 0, "EFI Image of exactly its sections' size");
	CHECK(parse(sizeof(buf), 0x11ffff, &img, &why) == -EINVAL && strstr(why, "truncated"),
	      "one byte short: %s", why);
	CHECK(parse(sizeof(buf), 0x10000, &img, &why) == -EINVAL && strstr(why, "truncated"), "truncated to 64K");
	/* A PE header pointing outside what was read, or absurd section counts, just skips the check. */
	put32(buf + 0x3c, 0xfffffff0);
	CHECK(parse(sizeof(buf), 0x10000, &img, &why) == 0, "PE offset out of range: no crash, check skipped");
	mk(0, 0x200000, 0xa);
	mk_pe(0x120000);
	put16(buf + 0x40 + 6, 0xffff);
	CHECK(parse(sizeof(buf), 0x10000, &img, &why) == 0, "65535 sections: no overrun");
	mk(0, 0x200000, 0xa);
	mk_pe(0x120000);
	put16(buf + 0x40 + 20, 0xffff);
	CHECK(parse(sizeof(buf), 0x10000, &img, &why) == 0, "huge optional header: no overrun");
	mk(0, 0x200000, 0xa);
	mk_pe(0x120000);
	put16(buf + 0x40 + 4, 0x8664);
	CHECK(parse(sizeof(buf), 0x10000, &img, &why) == 0, "non-arm64 PE machine: check skipped");
}

static void test_random(void)
{
	struct arm64_image img;
	const char *why;
	int ok = 1;

	srand(42);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)rand() % sizeof(buf);
		int r;

		for (size_t j = 0; j < 256; j++)
			buf[j] = rand();
		if (i & 1)
			put32(buf + 0x38, ARM64_IMAGE_MAGIC);
		if (i & 2) {
			buf[0] = 'M', buf[1] = 'Z';
			put32(buf + 0x3c, (uint32_t)rand() % 300);
		}
		r = parse(len, (uint64_t)rand() * rand(), &img, &why);
		if (!(r == 0 || (r == -EINVAL && why)))
			ok = 0;
	}
	CHECK(ok, "20000 random headers: 0 or -EINVAL with a reason, no crash");
}

/* The real kernel of the testhost kit, when this runs where the kit is. */
static void test_kit(void)
{
	static const char *const paths[] = { "/kit/arm64/Image", "/work/shared/testhost/arm64/Image" };
	struct arm64_image img;
	const char *why = "";
	struct stat st;
	ssize_t n = -1;
	int fd = -1;

	for (unsigned int i = 0; i < 2 && fd < 0; i++)
		fd = open(paths[i], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0 || (n = pread(fd, buf, sizeof(buf), 0)) < 64) {
		SKIP("no kit Image", "real Image parses");
		SKIP("no kit Image", "real Image truncated by 1 byte is rejected");
	} else {
		CHECK(arm64_image_parse(buf, (size_t)n, (uint64_t)st.st_size, &img, &why) == 0, "real Image parses");
		CHECK(arm64_image_parse(buf, (size_t)n, (uint64_t)st.st_size - 1, &img, &why) == -EINVAL &&
		      strstr(why, "truncated"), "real Image truncated by 1 byte is rejected");
	}
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	test_forged();
	test_pe();
	test_random();
	test_kit();
	return tap_done();
}
