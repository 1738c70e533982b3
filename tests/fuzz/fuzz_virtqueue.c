// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a guest that writes anything it likes into its descriptor table, avail ring and
 * buffers. The input is the first 16 KiB of guest RAM (rings at fixed offsets, as a driver would
 * place them) plus a queue size and feature bit; the device pops, reads, writes and pushes every
 * chain it is offered. It must never crash, hang or touch memory outside guest RAM (ASan).
 */
#include <stdint.h>
#include <string.h>

#include "devices/virtqueue.h"
#include "vmm/guest_mem.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (64ULL << 10)
#define IMG 0x4000              /* bytes of RAM the input covers */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem gm;
static struct virtq_elem e;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096];
	struct virtq q;
	uint16_t qsz;
	int r, n = 0;

	if (!gm.nr && gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false))
		__builtin_trap();
	if (size < 2)
		return 0;
	qsz = (uint16_t)(1u << (data[0] % 11));           /* 1 .. 1024 */
	memset(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), 0, RAM_SIZE);
	memcpy(gmem_ptr(&gm, RAM_BASE, IMG), data + 2, size - 2 < IMG ? size - 2 : IMG);
	/* desc at 0, avail at 16 KiB (2-byte aligned), used at 20 KiB: inside RAM for qsz <= 1024. */
	if (virtq_init(&q, &gm, qsz, RAM_BASE, RAM_BASE + 0x4000, RAM_BASE + 0x5000, data[1] & 1))
		return 0;
	/* The avail ring lives outside the input image: let the input's last bytes drive it. */
	memcpy(gmem_ptr(&gm, RAM_BASE + 0x4000, 4 + 2 * 8), data + (size > 22 ? size - 20 : 2),
	       size > 22 ? 20 : size - 2);
	while ((r = virtq_pop(&q, &e)) == 1 && n++ < 4 * qsz) {
		virtq_elem_read(&e, 0, buf, sizeof(buf));
		virtq_elem_write(&e, e.in_len > 7 ? e.in_len - 7 : 0, buf, 7);
		virtq_push(&q, e.head, (uint32_t)(e.in_len < 64 ? e.in_len : 64));
		virtq_need_notify(&q);
	}
	return 0;
}
