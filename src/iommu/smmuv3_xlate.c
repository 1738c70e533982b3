// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMUv3 stream attachment and the software translation path: a registered stream is (re)attached
 * to the backend when its config may have changed (CFGI_*, SMMUEN, GBPA), and an emulated device's
 * DMA is translated through the backend, faults becoming event records (IHI 0070 7.3).
 */
#include <errno.h>
#include <string.h>

#include "iommu/smmuv3.h"
#include "vmm/log.h"

static struct smmuv3_stream *find_stream(struct smmuv3 *s, uint32_t sid)
{
	for (unsigned int i = 0; i < s->nr_streams; i++)
		if (s->streams[i].sid == sid)
			return &s->streams[i];
	return NULL;
}

static void reload(struct smmuv3 *s, struct smmuv3_stream *st)
{
	struct viommu_stream_cfg cfg;
	int r = smmuv3_load_config(s, st->sid, &cfg, st->err_evt);

	st->cfg_err = r != 0;
	if (r)
		cfg.kind = VIOMMU_CFG_ABORT;
	st->record = cfg.record_faults;
	r = viommu_attach(s->viommu, st->sid, &cfg);
	st->loaded = r == 0;
	if (r && !st->cfg_err) {
		/* The backend (for an assigned device: the host SMMU's driver) refused a config we found
		 * valid; the stream now aborts and the guest hears of it as C_BAD_STE (7.3.4). */
		uint64_t evt[EVT_DWORDS] = { smmuv3_evt0(EVT_C_BAD_STE, st->sid) };

		pr_debug("smmuv3: attaching stream 0x%x: %d", st->sid, r);
		smmuv3_evtq_push(s, evt);
	}
}

void smmuv3_reload_streams(struct smmuv3 *s, uint32_t first, uint32_t last)
{
	/* Restoring: the backend keeps what the previous process attached until the registers are back. */
	if (s->frozen)
		return;
	s->xlate_changed = true;
	for (unsigned int i = 0; i < s->nr_streams; i++)
		if (s->streams[i].sid >= first && s->streams[i].sid <= last)
			reload(s, &s->streams[i]);
}

static unsigned int fault_event(enum viommu_fault_kind f)
{
	switch (f) {
	case VIOMMU_F_ADDR_SIZE:
		return EVT_F_ADDR_SIZE;
	case VIOMMU_F_ACCESS:
		return EVT_F_ACCESS;
	case VIOMMU_F_PERMISSION:
		return EVT_F_PERMISSION;
	case VIOMMU_F_WALK_EABT:
		return EVT_F_WALK_EABT;
	default:
		return EVT_F_TRANSLATION;
	}
}

static void record_fault(struct smmuv3 *s, const struct smmuv3_stream *st, const struct viommu_fault *f)
{
	uint64_t evt[EVT_DWORDS] = { 0 };

	/* CD.R gates the translation-related faults; external aborts on the walk are always recorded
	 * (5.4, CD.R; 7.3.11 F_WALK_EABT). */
	if (f->kind != VIOMMU_F_WALK_EABT && !st->record)
		return;
	evt[0] = smmuv3_evt0(fault_event(f->kind), st->sid);
	evt[1] = (f->write ? 0 : EVT1_RNW) | EVT1_CLASS(f->kind == VIOMMU_F_WALK_EABT ? EVT_CLASS_TT : EVT_CLASS_IN);
	evt[2] = f->iova;
	if (f->kind == VIOMMU_F_WALK_EABT)
		evt[3] = f->fetch_addr & EVT3_FETCH_ADDR;
	smmuv3_evtq_push(s, evt);
}

static int translate(struct smmuv3 *s, uint32_t sid, uint64_t iova, bool write, bool record,
		     struct viommu_xlate *out)
{
	struct smmuv3_stream *st;
	struct viommu_fault f;
	int r = -ENODEV;

	pthread_mutex_lock(&s->lock);
	st = find_stream(s, sid);
	if (!st)
		goto out;
	for (int tries = 0; tries < 2; tries++) {
		if (!st->loaded)
			reload(s, st);
		if (st->cfg_err) {
			/* Invalid StreamIDs are recorded only when CR2.RECINVSID asks (6.3.12). */
			if (record && ((st->err_evt[0] & 0xff) != EVT_C_BAD_STREAMID || (s->cr2 & CR2_RECINVSID)))
				smmuv3_evtq_push(s, st->err_evt);
			r = -EFAULT;
			goto out;
		}
		memset(&f, 0, sizeof(f));
		r = s->viommu->ops->translate(s->viommu, sid, iova, write, out, &f);
		if (r != -ENOENT)
			break;
		st->loaded = false;     /* the backend lost it: attach again once */
	}
	if (r == -EFAULT && record)
		record_fault(s, st, &f);
	else if (r)
		r = -EFAULT;            /* abort (no event) or a backend without this stream */
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

int smmuv3_translate(struct smmuv3 *s, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out)
{
	return translate(s, sid, iova, write, true, out);
}

int smmuv3_translate_quiet(struct smmuv3 *s, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out)
{
	return translate(s, sid, iova, write, false, out);
}
