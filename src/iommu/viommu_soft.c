// SPDX-License-Identifier: GPL-2.0-only
/*
 * The software vIOMMU backend: for emulated devices, nestvm itself walks the guest's stage-1 tables
 * in guest RAM (stage 2 is the identity: guest physical is what the device models address) and
 * caches leaves in an IOTLB that the guest's invalidations clear.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iotlb.h"
#include "iommu/viommu.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

#define SOFT_MAX_STREAMS 64

struct soft_stream {
	bool used;
	uint32_t sid;
	struct viommu_stream_cfg cfg;
};

struct viommu_soft {
	struct viommu v;
	const struct guest_mem *mem;
	struct soft_stream s[SOFT_MAX_STREAMS];
	struct iotlb tlb;
};

static struct viommu_soft *to_soft(struct viommu *v)
{
	return (struct viommu_soft *)v;
}

static struct soft_stream *find(struct viommu_soft *vs, uint32_t sid)
{
	for (unsigned int i = 0; i < SOFT_MAX_STREAMS; i++)
		if (vs->s[i].used && vs->s[i].sid == sid)
			return &vs->s[i];
	return NULL;
}

static int soft_attach(struct viommu *v, uint32_t sid, const struct viommu_stream_cfg *cfg)
{
	struct viommu_soft *vs = to_soft(v);
	struct soft_stream *st = find(vs, sid);

	if (cfg->kind == VIOMMU_CFG_S1 && !cfg->walker)
		return -EINVAL;     /* a front-end bug: nothing to walk the tables with */
	for (unsigned int i = 0; !st && i < SOFT_MAX_STREAMS; i++)
		if (!vs->s[i].used)
			st = &vs->s[i];
	if (!st)
		return -ENOSPC;
	st->used = true;
	st->sid = sid;
	st->cfg = *cfg;
	/* A new configuration makes what was cached for the stream stale. */
	iotlb_inv_sid(&vs->tlb, sid);
	return 0;
}

static void soft_detach(struct viommu *v, uint32_t sid)
{
	struct viommu_soft *vs = to_soft(v);
	struct soft_stream *st = find(vs, sid);

	if (st)
		st->used = false;
	iotlb_inv_sid(&vs->tlb, sid);
}

static int soft_invalidate(struct viommu *v, const struct viommu_inval *inv, unsigned int n, unsigned int *done)
{
	struct viommu_soft *vs = to_soft(v);

	for (unsigned int i = 0; i < n; i++) {
		const struct viommu_inval *x = &inv[i];

		switch (x->kind) {
		case VIOMMU_INV_ALL:
			iotlb_inv_all(&vs->tlb);
			break;
		case VIOMMU_INV_ASID:
			iotlb_inv_asid(&vs->tlb, x->asid);
			break;
		/* The range is in the terms entries are keyed on (pgwalk_ops.tlb_addr): the front-end
		 * made it so. */
		case VIOMMU_INV_VA:
			iotlb_inv_range(&vs->tlb, x->asid, false, x->iova, x->size);
			break;
		case VIOMMU_INV_VAA:
			iotlb_inv_range(&vs->tlb, 0, true, x->iova, x->size);
			break;
		case VIOMMU_INV_CD:
			/* The decoded CD lives in the front-end, which re-attaches; drop derived leaves. */
			iotlb_inv_sid(&vs->tlb, x->sid);
			break;
		case VIOMMU_INV_ATC:
			break;      /* emulated devices have no ATC */
		}
	}
	if (done)
		*done = n;
	return 0;
}

static int soft_translate(struct viommu *v, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out,
			  struct viommu_fault *fault)
{
	struct viommu_soft *vs = to_soft(v);
	struct soft_stream *st = find(vs, sid);
	struct pgwalk_fault f = { .kind = VIOMMU_F_NONE };   /* walkers without a reason leave it 0 */
	struct pgwalk_out r;
	uint64_t pa, key;

	if (!st)
		return -ENOENT;
	switch (st->cfg.kind) {
	case VIOMMU_CFG_ABORT:
		return -EPERM;
	case VIOMMU_CFG_BYPASS:
		out->pa = iova;
		out->len = 0x1000 - (iova & 0xfff);
		return 0;
	case VIOMMU_CFG_S1:
		break;
	}
	key = st->cfg.walker->tlb_addr(&st->cfg.s1, iova);
	if (iotlb_lookup(&vs->tlb, sid, st->cfg.tag, key, write, &pa)) {
		out->pa = pa;
		out->len = 0x1000 - (iova & 0xfff);
		return 0;
	}
	if (st->cfg.walker->walk(&st->cfg.s1, iova, write, gmem_read_desc, (void *)vs->mem, &r, &f)) {
		*fault = (struct viommu_fault){
			.kind = f.kind, .sid = sid, .iova = iova, .fetch_addr = f.fetch_addr, .reason = f.reason,
			.write = write,
		};
		return -EFAULT;
	}
	iotlb_insert(&vs->tlb, sid, st->cfg.tag, key, r.pa, r.block_shift, r.writable);
	out->pa = r.pa;
	out->len = 0x1000 - (iova & 0xfff);
	return 0;
}

static void soft_destroy(struct viommu *v)
{
	free(to_soft(v));
}

static const struct viommu_ops soft_ops = {
	.name = "software",
	.attach = soft_attach,
	.detach = soft_detach,
	.invalidate = soft_invalidate,
	.translate = soft_translate,
	.destroy = soft_destroy,
};

struct viommu *viommu_soft_create(const struct guest_mem *mem)
{
	struct viommu_soft *vs = calloc(1, sizeof(*vs));

	if (!vs) {
		err_num(ENOMEM, "viommu: software backend");
		return NULL;
	}
	vs->v.ops = &soft_ops;
	vs->mem = mem;
	iotlb_init(&vs->tlb);
	return &vs->v;
}
