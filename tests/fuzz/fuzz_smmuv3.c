// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a guest that fills its SMMUv3's stream table, CDs, page tables and command
 * queue with anything it likes, and then pokes any register offset with any access width. The
 * SMMU runs either on the software backend or on the nested backend, over a fake iommufd
 * (fake_iommufd.c, fuzzing only) that can refuse any step. The model must never crash, hang or
 * touch memory outside guest RAM (ASan), and the nested backend must leave no iommufd object behind.
 *
 * Input: a HDR-byte header, NOPS 8-byte register operations, then the first 64 KiB of guest RAM
 * (all pointers of the header land there).
 *   [0]      features: SSIDSIZE[3:0], MSI[4], ATS[5]
 *   [1]      STRTAB_BASE page (x256) in RAM    [2..5] STRTAB_BASE_CFG
 *   [6], [7] CMDQ / EVENTQ LOG2SIZE (any: up to 2^31 entries asked)
 *   [8..15]  four StreamIDs                    [16] GBPA.ABORT[0], SMMUEN[1]
 *   [17..20] CMDQ_PROD                         [21..28] IOVAs, [29] their shift, [30] extra PROD
 *   [31]     backend: nested[0], two assigned devices[1], unbatched[2], [32] applies[3]
 *   [32]     fake_fail bits                    [33] IOMMU_HWPT_INVALIDATE entries accepted (0: all)
 *   [34]     hw_info type is SMMUv3 unless bit 0 [35] vEVENTQ bytes (x4) to feed from RAM 0xe000
 *   [36]     NOPS (at most 64)                 [40..63] the host's IDR0-5
 * An operation: offset[16:0] from bytes 0-1 and bit 0 of byte 2; byte 2 bits 2:1 the width (1, 2, 4,
 * 8 bytes), bits 4:3 the kind (write, read, translate, PROD += byte 3); bytes 3-7 the value.
 */
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "fake_iommufd.h"
#include "iommu/smmuv3.h"
#include "smmuv3_regs.h"
#include "iommu/smmuv3_nested.h"
#include "vmm/evloop.h"
#include "vmm/guest_mem.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (64ULL << 10)
#define HDR 64
#define OP_BYTES 8
#define MAX_OPS 64
#define EVENTS_AT 0xe000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem gm;
static struct evloop *loop;
static int fake_iommufd = -1, fake_vfio = -1;

static uint32_t u32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void stop_loop(void *opaque, int res)
{
	(void)res;
	evloop_stop(opaque);
}

/* Runs what the loop has ready (vEVENTQ reads, watch teardown) and returns. */
static void run_loop(void)
{
	if (!evloop_call(loop, stop_loop, loop))
		evloop_run(loop);
}

static void op(struct smmuv3 *s, const uint8_t *o, const uint8_t *hdr)
{
	static const uint32_t widths[4] = { 1, 2, 4, 8 };
	uint64_t off = o[0] | o[1] << 8 | (uint64_t)(o[2] & 1) << 16;
	uint32_t len = widths[(o[2] >> 1) & 3];
	uint64_t v = o[3] | o[4] << 8 | o[5] << 16 | (uint64_t)o[6] << 24 | (uint64_t)o[7] << 32;
	uint8_t d[8];
	struct viommu_xlate x;

	switch ((o[2] >> 3) & 3) {
	case 0:
		wr(s, off, v | v << 40, len);
		break;
	case 1:
		smmuv3_mmio(s, off, d, len, false);
		break;
	case 2:
		smmuv3_translate(s, hdr[8 + (o[3] & 3)] | (uint32_t)(hdr[12 + (o[3] & 3)] & 3) << 8,
				 v << (o[3] >> 2), o[3] & 0x80, &x);
		break;
	default:
		wr(s, SMMU_CMDQ_PROD, rd(s, SMMU_CMDQ_PROD) + o[3], 4);
		break;
	}
}

/* The nested backend over the fake iommufd with one or two assigned devices, as smmuv3_dev sets it up. */
static struct viommu *nested_setup(struct smmuv3 *s, struct viommu *soft, const uint8_t *hdr)
{
	struct fake_iommufd_cfg c = {
		.fail = hdr[31] & 8 ? hdr[32] : 0, .inval_accept = hdr[33],
		.hw_type = hdr[34] & 1 ? 0 : IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
	};
	struct viommu *n = viommu_nested_create(&smmuv3_nested_format, soft, fake_iommufd, loop, NULL);

	if (!n)
		__builtin_trap();
	for (int i = 0; i < 6; i++)
		c.idr[i] = u32(hdr + 40 + 4 * i);
	fake_iommufd_setup(fake_iommufd, fake_vfio, &c);
	n->event = smmuv3_backend_event;     /* as smmuv3_dev does */
	n->frontend = s;
	s->viommu = n;
	viommu_nested_set_unbatched(n, hdr[31] & 4);
	for (int i = 0; i < (hdr[31] & 2 ? 2 : 1); i++) {
		uint32_t sid = hdr[8 + i] | (uint32_t)(hdr[12 + i] & 3) << 8;

		if (viommu_nested_add_device(n, fake_vfio, 10 + i, 2, sid))
			break;
		if (i == 0) {
			struct smmuv3_features f = s->feat;

			if (smmuv3_nested_clamp_features(n, &f) || smmuv3_set_features(s, &f))
				break;
		}
		smmuv3_add_stream(s, sid);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct smmuv3_hooks hooks = { 0 };
	const uint8_t *ram;
	struct smmuv3_features f;
	struct viommu_xlate x;
	struct viommu *v;
	struct smmuv3 s;
	bool nested;
	size_t nops;

	if (!gm.nr) {
		if (gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false) || evloop_init(&loop, 64))
			__builtin_trap();
		fake_iommufd = eventfd(0, EFD_CLOEXEC);
		fake_vfio = eventfd(0, EFD_CLOEXEC);
		if (fake_iommufd < 0 || fake_vfio < 0)
			__builtin_trap();
	}
	if (size < HDR)
		return 0;
	nops = data[36] % (MAX_OPS + 1);
	if (size < HDR + nops * OP_BYTES)
		nops = (size - HDR) / OP_BYTES;
	ram = data + HDR + nops * OP_BYTES;
	memset(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), 0, RAM_SIZE);
	memcpy(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), ram, (size_t)(data + size - ram) < RAM_SIZE ? (size_t)(data + size - ram) : RAM_SIZE);
	smmuv3_default_features(&f);
	f.ssidsize = data[0] & 0xf;
	f.msi = data[0] & 0x10;
	f.ats = data[0] & 0x20;
	v = viommu_soft_create(&gm);
	if (!v || smmuv3_init(&s, &f, &gm, v, &hooks, NULL))
		__builtin_trap();
	nested = data[31] & 1;
	if (nested)
		v = nested_setup(&s, v, data);
	for (int i = 0; i < 4; i++)
		smmuv3_add_stream(&s, data[8 + i] | (uint32_t)(data[12 + i] & 3) << 8);
	wr(&s, SMMU_STRTAB_BASE, RAM_BASE + (data[1] << 8), 8);
	wr(&s, SMMU_STRTAB_BASE_CFG, u32(data + 2) & 0x307ff, 4);
	wr(&s, SMMU_CMDQ_BASE, RAM_BASE + 0x8000 + (data[6] & 0x1f), 8);
	wr(&s, SMMU_EVENTQ_BASE, RAM_BASE + 0xc000 + (data[7] & 0x1f), 8);
	wr(&s, SMMU_GBPA, GBPA_UPDATE | (data[16] & 1 ? GBPA_ABORT : 0), 4);
	wr(&s, SMMU_IRQ_CTRL, 5, 4);
	wr(&s, SMMU_CR2, CR2_RECINVSID, 4);
	wr(&s, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | (data[16] & 2 ? CR0_SMMUEN : 0), 4);
	wr(&s, SMMU_CMDQ_PROD, u32(data + 17), 4);
	for (size_t i = 0; i < nops; i++)
		op(&s, data + HDR + i * OP_BYTES, data);
	for (int i = 0; i < 4; i++) {
		uint64_t iova = (uint64_t)u32(data + 21 + (i & 1) * 4) << (data[29] & 0x1f);

		smmuv3_translate(&s, data[8 + i] | (uint32_t)(data[12 + i] & 3) << 8, iova, i & 1, &x);
		smmuv3_translate(&s, data[8 + i] | (uint32_t)(data[12 + i] & 3) << 8, iova, i & 1, &x);
	}
	/* Acknowledge a command error and let the queue run again. */
	wr(&s, SMMU_GERRORN, s.gerror, 4);
	wr(&s, SMMU_CMDQ_PROD, u32(data + 17) + data[30], 4);
	if (nested) {
		int w = fake_iommufd_veventq_writer();
		size_t len = (size_t)data[35] * 4;

		if (w >= 0 && len && write(w, gmem_ptr(&gm, RAM_BASE + EVENTS_AT, len), len) < 0)
			__builtin_trap();
		run_loop();
	}
	smmuv3_destroy(&s);
	viommu_destroy(v);
	if (nested) {
		run_loop();     /* the vEVENTQ watch's cancellation frees it */
		/* Release destroys every object (children first); a leftover would leak in a real host. */
		if (fake_iommufd_teardown() && !((data[31] & 8) && (data[32] & FAKE_FAIL_DESTROY)))
			__builtin_trap();
	}
	return 0;
}
