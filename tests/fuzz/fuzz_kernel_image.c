// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: kernel image headers as a hostile file would present them. Both parsers are
 * pure (the arm64 Image parser is compiled in here whatever the build arch), so every build can
 * fuzz both. They must reject or accept without reading past the buffer.
 */
#include <stdint.h>
#include <string.h>

#include "arch/arm64/image.h"
#include "arch/x86_64/bzimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arm64_image img;
	struct bzimage_info bi;
	struct bzimage_plan plan;
	const char *why;
	uint64_t file_size = size;

	if (size >= 8) {
		memcpy(&file_size, data, 8);    /* the claimed file size may differ from what was read */
		data += 8;
		size -= 8;
	}
	arm64_image_parse(data, size, file_size, &img, &why);
	if (bzimage_parse(data, size, &bi) == 0)
		bzimage_place(&bi, 512ULL << 20, file_size & 0xffffff, &plan);
	return 0;
}
