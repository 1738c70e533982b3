// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the I/O page fault path through the VT-d front-end, with both of its untrusted
 * sides. The host's side is any bytes read() from the FAULT fd (iommu/iopf.c); the guest's side any
 * page request register values (PQH/PQT/PQA, PRS, PECTL...) and any invalidation queue descriptors
 * (page group responses with any requester id, PRG index, response code, reserved bits; and any
 * other type; iommu/vtd_prq.c, iommu/vtd_iq.c). A SOCK_SEQPACKET pair stands in for the fault fd. The
 * model must never crash, hang, touch memory outside guest RAM (ASan), keep more groups than its
 * bounds, or leave a group unanswered at the end (checked: every cookie that went in came back).
 *
 * Input: a sequence of operations, each a kind byte and its bytes:
 *   0: host read: N (1 byte, at most 8) then N * 40-byte struct iommu_hwpt_pgfault
 *   1: guest register write: offset selector (1 byte) and 4-byte value
 *   2: guest descriptor: 16 bytes, forced to a page group response (type 9h) when bit 4 of the first is 0
 *   3: the timeout passes            4: the device leaves and comes back
 */
#include <linux/iommufd.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iommu/iopf.h"
#include "iommu/vtd.h"
#include "vmm/guest_mem.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (64ULL << 10)
#define IQ (RAM_BASE + 0x1000)         /* 256 128-bit descriptors */
#define PRQ (RAM_BASE + 0x8000)        /* 128 256-bit descriptors */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem gm;

static void wr(struct vtd *s, uint64_t off, uint64_t v, uint32_t len)
{
	uint8_t d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	vtd_mmio(s, off, d, len, true);
}

static uint64_t rd(struct vtd *s, uint64_t off)
{
	uint8_t d[8];
	uint64_t x = 0;

	vtd_mmio(s, off, d, 8, false);
	for (int i = 7; i >= 0; i--)
		x = x << 8 | d[i];
	return x;
}

static void msi(void *opaque, uint64_t addr, uint32_t d)
{
	(void)opaque;
	(void)addr;
	(void)d;
}

/* The "kernel" gives each group its own cookie; it must be answered exactly once. */
#define MAX_COOKIES 4096
static uint8_t open_cookie[MAX_COOKIES];

static void drain(int kern)
{
	struct iommu_hwpt_page_response r;

	while (read(kern, &r, sizeof(r)) == sizeof(r)) {
		if (r.cookie >= MAX_COOKIES || !open_cookie[r.cookie])
			__builtin_trap();   /* answered twice, or a cookie never handed out */
		open_cookie[r.cookie] = 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t regs[8] = {
		VTD_PQH, VTD_PQT, VTD_PQA, VTD_PQA + 4, VTD_PRS, VTD_PECTL, VTD_FSTS, VTD_GCMD,
	};
	static const struct vtd_hooks hooks = { .msi = msi };
	struct vtd_features f;
	struct viommu *v;
	struct vtd s;
	struct iopf *io;
	size_t at = 0;
	int sv[2];

	static bool ram;
	uint32_t cookie = 0;

	if (!ram && gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false))
		__builtin_trap();
	ram = true;
	memset(open_cookie, 0, sizeof(open_cookie));
	vtd_default_features(&f);
	v = viommu_soft_create(&gm);
	if (!v || vtd_init(&s, &f, &gm, v, &hooks, NULL))
		__builtin_trap();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		__builtin_trap();
	if (iopf_create_fd(-1, 1, sv[0], NULL, 1000, &io))
		__builtin_trap();
	vtd_set_iopf(&s, io);
	if (iopf_add_device(io, 5, 0x10, &vtd_iopf_frontend, &s))
		__builtin_trap();
	wr(&s, VTD_IQA, IQ, 8);
	wr(&s, VTD_GCMD, GCMD_QIE, 4);
	wr(&s, VTD_PQA, PRQ, 8);
	wr(&s, VTD_PECTL, 0, 4);

	while (at < size) {
		uint8_t kind = data[at++] % 5;

		if (kind == 0 && at < size) {
			struct iommu_hwpt_pgfault rec[8];
			unsigned int n = data[at++] % 8 + 1;

			if (size - at < n * sizeof(rec[0]))
				break;
			memcpy(rec, data + at, n * sizeof(rec[0]));
			at += n * sizeof(rec[0]);
			if (cookie + n >= MAX_COOKIES)
				break;
			/* Groups as the kernel makes them: one cookie and device each, up to LAST_PAGE (a
			 * group cut off by the end of the read is answered on its own). */
			for (unsigned int i = 0, dev = rec[0].dev_id & 1 ? 6 : 5; i < n; i++) {
				rec[i].dev_id = dev;
				rec[i].cookie = cookie;
				open_cookie[cookie] = 1;
				if (rec[i].flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE) {
					cookie++;
					dev = i + 1 < n && rec[i + 1].dev_id & 1 ? 6 : 5;
				}
			}
			if (!(rec[n - 1].flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE))
				cookie++;
			if (write(sv[1], rec, n * sizeof(rec[0])) < 0)
				__builtin_trap();
			iopf_read(io);
		} else if (kind == 1 && size - at >= 5) {
			uint32_t val = data[at + 1] | data[at + 2] << 8 | data[at + 3] << 16 | (uint32_t)data[at + 4] << 24;

			wr(&s, regs[data[at] & 7], val, 4);
			at += 5;
		} else if (kind == 2 && size - at >= 16) {
			uint64_t w[2];
			uint64_t tail = rd(&s, VTD_IQT) >> 4;
			uint8_t b[16];

			memcpy(w, data + at, 16);
			at += 16;
			if (!(w[0] & 0x10))
				w[0] = (w[0] & ~0xe0full) | 0x9;
			for (int i = 0; i < 16; i++)
				b[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
			gmem_write(&gm, IQ + (tail & 0xff) * 16ull, b, 16);
			wr(&s, VTD_IQT, ((tail + 1) & 0xff) << 4, 8);
		} else if (kind == 3) {
			iopf_expire(io, iopf_now_ms() + 1000);
		} else if (kind == 4) {
			iopf_remove_device(io, 0x10);
			iopf_add_device(io, 5, 0x10, &vtd_iopf_frontend, &s);
		} else {
			break;
		}
		drain(sv[1]);
		if (iopf_pending(io, UINT32_MAX) > IOPF_MAX_TOTAL)
			__builtin_trap();
	}
	iopf_destroy(io);
	drain(sv[1]);
	/* Every group that went in was answered. */
	for (int i = 0; i < MAX_COOKIES; i++)
		if (open_cookie[i])
			__builtin_trap();
	close(sv[1]);
	vtd_destroy(&s);
	viommu_destroy(v);
	return 0;
}
