// SPDX-License-Identifier: GPL-2.0-only
/* arm64 Image header parsing: pure, so it is unit-tested with forged and truncated headers. */
#include "arch/arm64/image.h"

#include <errno.h>
#include <string.h>

static uint16_t le16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | (uint32_t)le16(p + 2) << 16; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static int bad(const char **why, const char *reason)
{
	*why = reason;
	return -EINVAL;
}

/*
 * With CONFIG_EFI the Image is also a PE/COFF file (arch/arm64/kernel/efi-header.S) whose sections'
 * raw data end where the file must end, so a truncated file is detectable. Returns the expected
 * file size, or 0 when there is no (readable) PE header.
 */
static uint64_t pe_file_end(const uint8_t *buf, size_t len)
{
	uint32_t pe, nsec, opt, sec;
	uint64_t end = 0;

	if (len < ARM64_IMAGE_HDR_SIZE || buf[0] != 'M' || buf[1] != 'Z')
		return 0;
	pe = le32(buf + 0x3c);  /* res5: offset of the PE header */
	if (pe > len || len - pe < 24 || le32(buf + pe) != 0x00004550)     /* "PE\0\0" */
		return 0;
	if (le16(buf + pe + 4) != 0xaa64)  /* IMAGE_FILE_MACHINE_ARM64 */
		return 0;
	nsec = le16(buf + pe + 6);
	opt = le16(buf + pe + 20);
	sec = pe + 24 + opt;
	if (sec > len || (len - sec) / 40 < nsec)
		return 0;
	for (uint32_t i = 0; i < nsec; i++) {
		const uint8_t *s = buf + sec + 40 * i;
		uint64_t e = (uint64_t)le32(s + 20) + le32(s + 16);    /* PointerToRawData + SizeOfRawData */

		if (le32(s + 16) && e > end)
			end = e;
	}
	return end;
}

int arm64_image_parse(const uint8_t *buf, size_t len, uint64_t file_size, struct arm64_image *img,
		      const char **why)
{
	uint64_t flags, pe_end;

	*why = NULL;
	if (len < ARM64_IMAGE_HDR_SIZE || file_size < ARM64_IMAGE_HDR_SIZE)
		return bad(why, "not an arm64 Image (shorter than its 64-byte header)");
	if (le32(buf + 0x38) != ARM64_IMAGE_MAGIC) {
		/* Say so for the compressed forms people pass by mistake. */
		if (buf[0] == 0x1f && buf[1] == 0x8b)
			return bad(why, "not an arm64 Image but a gzip file (Image.gz?): decompress it first");
		if (!memcmp(buf + 4, "zimg", 4))
			return bad(why, "not an arm64 Image but an EFI zboot image (vmlinuz.efi): pass the Image");
		return bad(why, "not an arm64 Image (no \"ARM\\x64\" magic at 0x38)");
	}
	img->text_offset = le64(buf + 8);
	img->image_size = le64(buf + 16);
	flags = le64(buf + 24);
	img->file_size = file_size;
	if (!img->image_size) {
		/* Before v3.17: image_size 0 and text_offset 0x80000 in the kernel's endianness. */
		img->text_offset = 0x80000;
		img->image_size = file_size;
		flags = 0;
	}
	if (flags & 1)
		return bad(why, "big-endian arm64 Image (only little-endian kernels are supported)");
	img->page_kb = (unsigned int[]){ 0, 4, 16, 64 }[(flags >> 1) & 3];
	/* text_offset is below 2 MiB and page aligned in every kernel that ever shipped. */
	if (img->text_offset >= 0x200000 || (img->text_offset & 0xfff))
		return bad(why, "arm64 Image with an invalid text_offset");
	if (img->image_size > ARM64_IMAGE_MAX_SIZE)
		return bad(why, "arm64 Image with an implausible image_size (over 1 GiB)");
	if (file_size > img->image_size)
		return bad(why, "arm64 Image larger than its header's image_size (corrupt header)");
	pe_end = pe_file_end(buf, len);
	if (pe_end && file_size < pe_end)
		return bad(why, "truncated arm64 Image (file ends before its last section)");
	return 0;
}
