// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: a guest that fills its VT-d unit's root and context tables (legacy or
 * scalable mode, with PASID directory and table), first- and second-stage tables, invalidation
 * queue (128- or 256-bit descriptors) and interrupt remapping table with anything it likes, enables what
 * it likes, and then pokes any register offset with any access width while its emulated devices
 * DMA and raise MSIs. The model must never crash, hang or touch memory outside guest RAM (ASan).
 * With [25] bit 0 the unit sits on the nested backend (vtd_nested.c on viommu_nested.c) over the
 * fake iommufd (fake_iommufd.c) with the first one or two source ids as assigned devices, a host
 * VT-d of the input's capabilities, and host refusals of HWPTs, attaches and invalidations: every
 * guest PASID entry and invalidation then also goes through the format and the core, which must
 * leave no iommufd object behind.
 *
 * Input: a HDR-byte header, NOPS 8-byte operations, then the first 64 KiB of guest RAM (every
 * pointer of the header lands there).
 *   [0]      RTADDR page (low nibble) | TTM (bits 5:4)
 *   [1]      IQA page (low nibble) | QS (bits 6:4) | DW (bit 7)
 *   [2]      IRTA page (low nibble) | S (bits 7:4)
 *   [3]      enables: TE[0] QIE[1] IRE[2] CFI[3] EIME[4] unmask events[5]; KVM's 32-bit
 *            destination ids (feat.dest32)[6]; device-TLBs (feat.dt: ECAP.DT, TT 01b, the
 *            device-TLB descriptors)[7]
 *   [4..11]  four source ids (16-bit)        [12..15] IQT
 *   [16..23] two IOVAs                        [24] NOPS (at most 64)
 *   [25]     nested backend[0], a second assigned device[1], host FL5LP[2] FL1GP[3] SRS[4] EAFS[5]
 *            PASIDs[6] (host ECAP.PASID, PSS 19 or with [7] 4: the guest's PASID entries beyond 0
 *            become attachments of their own, vtd_pasid.c)
 *   [26]     host refusals after the devices are added: nested HWPT[0] attach[1] destroy[2]
 *   [27]     entries the host takes per IOMMU_HWPT_INVALIDATE (low 2 bits; 0: all)
 * An operation: offset[11:0] from bytes 0-1, byte 2 bits 1:0 the width (1, 2, 4, 8 bytes), bits
 * 3:2 the kind (write, read, DMA translate, MSI through interrupt remapping); bytes 3-7 the value.
 */
#include <linux/iommufd.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>

#include "fake_iommufd.h"
#include "iommu/viommu_nested.h"
#include "iommu/vtd.h"
#include "iommu/vtd_nested.h"
#include "vmm/evloop.h"
#include "vmm/guest_mem.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (64ULL << 10)
#define HDR 32
#define OP_BYTES 8
#define MAX_OPS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem gm;

static void wr(struct vtd *s, uint64_t off, uint64_t v, uint32_t len)
{
	uint8_t d[8];

	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	vtd_mmio(s, off, d, len, true);
}

static uint32_t rd(struct vtd *s, uint64_t off)
{
	uint8_t d[4];

	vtd_mmio(s, off, d, 4, false);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

/* GCMD one change at a time, as a driver does. */
static void gcmd(struct vtd *s, uint32_t bit)
{
	wr(s, VTD_GCMD, (rd(s, VTD_GSTS) & (GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI)) | bit, 4);
}

static uint16_t sid(const uint8_t *hdr, unsigned int i)
{
	return (uint16_t)(hdr[4 + 2 * (i & 3)] | hdr[5 + 2 * (i & 3)] << 8);
}

static void op(struct vtd *s, const uint8_t *o, const uint8_t *hdr)
{
	static const uint32_t widths[4] = { 1, 2, 4, 8 };
	uint64_t off = (o[0] | o[1] << 8) & 0xfff;
	uint32_t len = widths[o[2] & 3];
	uint64_t v = o[3] | o[4] << 8 | o[5] << 16 | (uint64_t)o[6] << 24 | (uint64_t)o[7] << 32;
	struct viommu_xlate x;
	uint64_t addr;
	uint32_t data;
	uint8_t d[8];

	switch ((o[2] >> 2) & 3) {
	case 0:
		wr(s, off, v | v << 40, len);
		break;
	case 1:
		vtd_mmio(s, off, d, len, false);
		break;
	case 2:
		vtd_translate(s, sid(hdr, o[3]), v << (o[3] >> 3 & 0x1f), o[3] & 4, &x);
		break;
	default:
		addr = 0xfee00000ull | (v & 0xfffff);
		data = (uint32_t)(v >> 20);
		vtd_ir_translate(s, sid(hdr, o[3]), &addr, &data, o[3] & 4);
		break;
	}
}

static int fds[3] = { -1, -1, -1 };  /* the fake's iommufd and two device fds */

/* The nested backend over the fake iommufd, per HDR (vtd_nested.h); F becomes what it offers. */
static struct viommu *nested_backend(struct viommu *soft, const uint8_t *hdr, struct vtd_features *f)
{
	static struct evloop *loop;
	uint64_t cap = (47ull << 16) | (0x4ull << 8) | (hdr[25] & 4 ? VTD_HOST_CAP_FL5LP | (56ull << 16) : 0) |
		       (hdr[25] & 8 ? VTD_HOST_CAP_FL1GP : 0);
	uint64_t ecap = VTD_HOST_ECAP_NEST | VTD_HOST_ECAP_SMTS | VTD_HOST_ECAP_SLTS | VTD_HOST_ECAP_FLTS |
			(hdr[25] & 16 ? 1ull << 31 : 0) | (hdr[25] & 32 ? 1ull << 34 : 0) |
			(hdr[25] & 64 ? VTD_HOST_ECAP_PASID | (hdr[25] & 128 ? 4ull : 19ull) << 35 : 0);
	struct fake_iommufd_cfg c = { .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .vtd_cap = cap, .vtd_ecap = ecap,
				      .inval_accept = hdr[27] & 3 };

	for (int i = 0; i < 3; i++)
		if (fds[i] < 0 && (fds[i] = eventfd(0, EFD_CLOEXEC)) < 0)
			__builtin_trap();
	if (!loop && evloop_init(&loop, 16))
		__builtin_trap();
	fake_iommufd_setup(fds[0], fds[1], &c);
	fake_iommufd_add_vfio(fds[2]);
	vtd_nested_features(f, cap, ecap);
	soft = viommu_nested_create(&vtd_nested_format, soft, fds[0], loop, NULL);
	if (soft)
		viommu_nested_set_pasids(soft, f->pasid_bits != 0);   /* as vtd_dev.c use_nested */
	return soft;
}

/* The assigned devices (the header's source ids 0 and 1), then the refusals the input asks for. */
static void nested_devices(struct viommu *v, struct vtd *s, const uint8_t *hdr)
{
	static const uint32_t fails[3] = { FAKE_FAIL_VSTE, FAKE_FAIL_ATTACH, FAKE_FAIL_DESTROY };
	uint32_t fail = 0;

	for (unsigned int i = 0; i < (hdr[25] & 2 ? 2u : 1u); i++)
		if (!viommu_nested_add_device(v, fds[1 + i], 10 + i, 2, sid(hdr, i)))
			vtd_add_assigned(s, sid(hdr, i));
	for (unsigned int i = 0; i < 3; i++)
		if (hdr[26] & (1u << i))
			fail |= fails[i];
	fake_iommufd_set_fail(fail);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vtd_hooks hooks = { 0 };
	struct vtd_features f;
	struct viommu_xlate x;
	const uint8_t *ram;
	struct viommu *v;
	struct vtd s;
	size_t nops;

	if (!gm.nr && gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false))
		__builtin_trap();
	if (size < HDR)
		return 0;
	nops = data[24] % (MAX_OPS + 1);
	if (size < HDR + nops * OP_BYTES)
		nops = (size - HDR) / OP_BYTES;
	ram = data + HDR + nops * OP_BYTES;
	memset(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), 0, RAM_SIZE);
	memcpy(gmem_ptr(&gm, RAM_BASE, RAM_SIZE), ram,
	       (size_t)(data + size - ram) < RAM_SIZE ? (size_t)(data + size - ram) : RAM_SIZE);
	vtd_default_features(&f);
	f.dest32 = data[3] & 0x40;
	f.dt = data[3] & 0x80;
	v = viommu_soft_create(&gm);
	if (v && (data[25] & 1))
		v = nested_backend(v, data, &f);
	if (!v || vtd_init(&s, &f, &gm, v, &hooks, NULL))
		__builtin_trap();
	if (data[25] & 1)
		nested_devices(v, &s, data);
	for (unsigned int i = 0; i < 4; i++)
		vtd_add_stream(&s, sid(data, i));
	wr(&s, VTD_RTADDR, RAM_BASE + (data[0] & 0xf) * 0x1000ull + ((data[0] >> 4) & 3) * 0x400ull, 8);
	wr(&s, VTD_GCMD, GCMD_SRTP, 4);
	wr(&s, VTD_IQA, RAM_BASE + (data[1] & 0xf) * 0x1000ull + ((data[1] >> 4) & 7) + (data[1] & 0x80 ? IQA_DW : 0), 8);
	wr(&s, VTD_IRTA, RAM_BASE + (data[2] & 0xf) * 0x1000ull + (data[3] & 0x10 ? IRTA_EIME : 0) + (data[2] >> 4), 8);
	gcmd(&s, GCMD_SIRTP);
	if (data[3] & 0x20) {
		wr(&s, VTD_FEADDR, 0xfee00000, 4);
		wr(&s, VTD_FECTL, 0, 4);
		wr(&s, VTD_IECTL, 0, 4);
	}
	if (data[3] & 1)
		gcmd(&s, GCMD_TE);
	if (data[3] & 2)
		gcmd(&s, GCMD_QIE);
	if (data[3] & 4)
		gcmd(&s, GCMD_IRE);
	if (data[3] & 8)
		gcmd(&s, GCMD_CFI);
	wr(&s, VTD_IQT, data[12] | data[13] << 8 | data[14] << 16 | (uint32_t)data[15] << 24, 4);
	for (size_t i = 0; i < nops; i++)
		op(&s, data + HDR + i * OP_BYTES, data);
	for (unsigned int i = 0; i < 4; i++) {
		const uint8_t *p = data + 16 + (i & 1) * 4;
		uint64_t iova = p[0] | p[1] << 8 | p[2] << 16 | (uint64_t)p[3] << 24;

		vtd_translate(&s, sid(data, i), iova, i & 1, &x);
		vtd_translate(&s, sid(data, i), iova, i & 1, &x);
	}
	/* Acknowledge every error and let the queue run again. */
	wr(&s, VTD_FSTS, 0xff, 4);
	wr(&s, VTD_IQT, data[12] | data[13] << 8 | data[14] << 16 | (uint32_t)data[15] << 24, 4);
	if (data[25] & 1) {
		/* Whatever the guest did and the host refused, the objects are all given back (unless
		 * the host refused to destroy them). */
		viommu_nested_release(v);
		if (fake_iommufd_teardown() && !(data[26] & 4))
			__builtin_trap();
	}
	vtd_destroy(&s);
	viommu_destroy(v);
	return 0;
}
