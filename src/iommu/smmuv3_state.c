// SPDX-License-Identifier: GPL-2.0-only
/* The emulated SMMUv3 across a live update (smmuv3_state.h). */
#include "iommu/smmuv3_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "liveupdate/state_fields.h"
#include "vmm/log.h"

#define CR0_BITS (CR0_SMMUEN | CR0_EVTQEN | CR0_CMDQEN | CR0_ATSCHK)

static void put_feat(struct lu_writer *w, const struct smmuv3_features *f)
{
	lu_put_bool(w, f->two_level_st);
	lu_put_bool(w, f->msi);
	lu_put_bool(w, f->sev);
	lu_put_bool(w, f->ats);
	lu_put_bool(w, f->ril);
	lu_put_bool(w, f->gran4k);
	lu_put_bool(w, f->gran16k);
	lu_put_bool(w, f->gran64k);
	lu_put_u8(w, f->sidsize);
	lu_put_u8(w, f->ssidsize);
	lu_put_u8(w, f->cmdqs);
	lu_put_u8(w, f->evtqs);
	lu_put_u8(w, f->oas);
	lu_put_u32(w, f->iidr);
	lu_put_u32(w, f->aidr);
}

static void get_feat(struct lu_cursor *c, struct smmuv3_features *f)
{
	f->two_level_st = lu_get_bool(c);
	f->msi = lu_get_bool(c);
	f->sev = lu_get_bool(c);
	f->ats = lu_get_bool(c);
	f->ril = lu_get_bool(c);
	f->gran4k = lu_get_bool(c);
	f->gran16k = lu_get_bool(c);
	f->gran64k = lu_get_bool(c);
	f->sidsize = lu_get_u8(c);
	f->ssidsize = lu_get_u8(c);
	f->cmdqs = lu_get_u8(c);
	f->evtqs = lu_get_u8(c);
	f->oas = lu_get_u8(c);
	f->iidr = lu_get_u32(c);
	f->aidr = lu_get_u32(c);
}

static bool feat_equal(const struct smmuv3_features *a, const struct smmuv3_features *b)
{
	/* PRIQS is only in the guest's IDR1 with IDR0.PRI (smmuv3_regs.c make_idrs). */
	return a->pri == b->pri && (!a->pri || a->priqs == b->priqs) && a->two_level_st == b->two_level_st && a->msi == b->msi && a->sev == b->sev && a->ats == b->ats &&
	       a->ril == b->ril && a->gran4k == b->gran4k && a->gran16k == b->gran16k && a->gran64k == b->gran64k &&
	       a->sidsize == b->sidsize && a->ssidsize == b->ssidsize && a->cmdqs == b->cmdqs && a->evtqs == b->evtqs &&
	       a->oas == b->oas && a->iidr == b->iidr && a->aidr == b->aidr;
}

static void put_queue(struct lu_writer *w, const struct smmuv3_queue *q)
{
	lu_put_u64(w, q->base);
	lu_put_u32(w, q->prod);
	lu_put_u32(w, q->cons);
}

static void get_queue(struct lu_cursor *c, struct smmuv3_queue *q)
{
	q->base = lu_get_u64(c);
	q->prod = lu_get_u32(c);
	q->cons = lu_get_u32(c);
}

int smmuv3_state_save(struct smmuv3 *s, struct lu_writer *w)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (s->nr_batch) {
		/* Invalidations are queued only within one CMDQ_PROD write: none with the vCPUs parked. */
		r = err_num(EBUSY, "smmuv3: %u invalidations queued while saving", s->nr_batch);
		goto out;
	}
	lu_writer_begin(w, SMMUV3_STATE_TYPE, 0, SMMUV3_STATE_VERSION, LU_SEC_MANDATORY);
	put_feat(w, &s->feat);
	lu_put_u32(w, s->cr0);
	lu_put_u32(w, s->cr1);
	lu_put_u32(w, s->cr2);
	lu_put_u32(w, s->gbpa);
	lu_put_u32(w, s->irq_ctrl);
	lu_put_u32(w, s->gerror);
	lu_put_u32(w, s->gerrorn);
	lu_put_u64(w, s->gerror_irq_cfg0);
	lu_put_u32(w, s->gerror_irq_cfg1);
	lu_put_u32(w, s->gerror_irq_cfg2);
	lu_put_u64(w, s->strtab_base);
	lu_put_u32(w, s->strtab_base_cfg);
	put_queue(w, &s->cmdq);
	put_queue(w, &s->evtq);
	lu_put_u64(w, s->evtq_irq_cfg0);
	lu_put_u32(w, s->evtq_irq_cfg1);
	lu_put_u32(w, s->evtq_irq_cfg2);
	lu_put_bool(w, s->atc_timeout);
	lu_put_u64(w, s->nr_cmds);
	lu_put_u64(w, s->nr_events);
	lu_put_u64(w, s->nr_events_lost);
	lu_put_u32(w, s->nr_streams);
	for (unsigned int i = 0; i < s->nr_streams; i++)
		lu_put_u32(w, s->streams[i].sid);
	/* Version 2: the PRI queue (IDR0.PRI with a page-request source, smmuv3_priq.c). */
	lu_put_bool(w, s->feat.pri);
	lu_put_u8(w, s->feat.priqs);
	put_queue(w, &s->priq);
	lu_put_u64(w, s->priq_irq_cfg0);
	lu_put_u32(w, s->priq_irq_cfg1);
	lu_put_u32(w, s->priq_irq_cfg2);
	lu_put_u64(w, s->nr_pri_reqs);
	lu_put_u64(w, s->nr_pri_lost);
	lu_put_u64(w, s->nr_pri_resps);
	r = lu_writer_end(w);
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

int smmuv3_state_decode(const struct lu_section *sec, struct smmuv3_saved *o, char *why, size_t why_size)
{
	const struct smmuv3_features *f = &o->feat;
	struct lu_cursor c;

	memset(o, 0, sizeof(*o));
	lu_cursor_init(&c, sec);
	get_feat(&c, &o->feat);
	o->cr0 = lu_get_u32(&c);
	o->cr1 = lu_get_u32(&c);
	o->cr2 = lu_get_u32(&c);
	o->gbpa = lu_get_u32(&c);
	o->irq_ctrl = lu_get_u32(&c);
	o->gerror = lu_get_u32(&c);
	o->gerrorn = lu_get_u32(&c);
	o->gerror_irq_cfg0 = lu_get_u64(&c);
	o->gerror_irq_cfg1 = lu_get_u32(&c);
	o->gerror_irq_cfg2 = lu_get_u32(&c);
	o->strtab_base = lu_get_u64(&c);
	o->strtab_base_cfg = lu_get_u32(&c);
	get_queue(&c, &o->cmdq);
	get_queue(&c, &o->evtq);
	o->evtq_irq_cfg0 = lu_get_u64(&c);
	o->evtq_irq_cfg1 = lu_get_u32(&c);
	o->evtq_irq_cfg2 = lu_get_u32(&c);
	o->atc_timeout = lu_get_bool(&c);
	o->nr_cmds = lu_get_u64(&c);
	o->nr_events = lu_get_u64(&c);
	o->nr_events_lost = lu_get_u64(&c);
	o->nr_streams = lu_get_count(&c, SMMUV3_MAX_STREAMS, 4);
	for (uint32_t i = 0; i < o->nr_streams && !c.bad; i++)
		o->sid[i] = lu_get_u32(&c);
	/* Version 1 had no PRI queue (a VM with a page-request source was not updated then). */
	if (sec->version >= 2) {
		o->feat.pri = lu_get_bool(&c);
		o->feat.priqs = lu_get_u8(&c);
		get_queue(&c, &o->priq);
		o->priq_irq_cfg0 = lu_get_u64(&c);
		o->priq_irq_cfg1 = lu_get_u32(&c);
		o->priq_irq_cfg2 = lu_get_u32(&c);
		o->nr_pri_reqs = lu_get_u64(&c);
		o->nr_pri_lost = lu_get_u64(&c);
		o->nr_pri_resps = lu_get_u64(&c);
	}
	if (c.bad)
		return lu_cursor_finish(&c, why, why_size);
	/* The feature sets smmuv3_set_features accepts (smmuv3_regs.c features_ok). */
	if (f->sidsize > 32 || f->ssidsize > SMMUV3_MAX_SSIDSIZE || f->cmdqs > 19 || f->evtqs > 19 || f->priqs > 19 || f->oas > 5 ||
	    !(f->gran4k || f->gran16k || f->gran64k))
		lu_cursor_fail(&c, "an unsupported feature set (SIDSIZE %u SSIDSIZE %u CMDQS %u EVTQS %u OAS %u)",
			       f->sidsize, f->ssidsize, f->cmdqs, f->evtqs, f->oas);
	/* What the register writes leave (smmuv3_regs.c, IHI 0070 6.3.9-6.3.28). */
	else if ((o->cr0 & ~(CR0_BITS | (f->pri ? CR0_PRIQEN : 0))) || (o->cr1 & ~CR1_MASK) || (o->cr2 & ~(CR2_RECINVSID | CR2_PTM)))
		lu_cursor_fail(&c, "CR0 0x%x CR1 0x%x CR2 0x%x have reserved bits", o->cr0, o->cr1, o->cr2);
	else if ((o->gbpa & ~(GBPA_FIELDS | GBPA_ABORT)) || (o->irq_ctrl & ~(IRQ_CTRL_GERROR_IRQEN |
		 IRQ_CTRL_PRIQ_IRQEN | IRQ_CTRL_EVTQ_IRQEN)) || (o->gerror & ~GERROR_MASK) || (o->gerrorn & ~GERROR_MASK))
		lu_cursor_fail(&c, "GBPA 0x%x IRQ_CTRL 0x%x GERROR 0x%x GERRORN 0x%x have reserved bits", o->gbpa,
			       o->irq_ctrl, o->gerror, o->gerrorn);
	else if ((o->gerror_irq_cfg0 & ~IRQ_CFG0_ADDR) || (o->evtq_irq_cfg0 & ~IRQ_CFG0_ADDR) ||
		 (o->priq_irq_cfg0 & ~IRQ_CFG0_ADDR) || (o->gerror_irq_cfg2 & ~IRQ_CFG2_MASK) ||
		 (o->evtq_irq_cfg2 & ~IRQ_CFG2_MASK) || (o->priq_irq_cfg2 & ~IRQ_CFG2_MASK))
		lu_cursor_fail(&c, "an interrupt configuration with reserved bits");
	else if ((o->strtab_base & ~(STRTAB_BASE_RA | STRTAB_BASE_ADDR)) || (o->strtab_base_cfg & ~STRTAB_CFG_MASK) ||
		 (o->cmdq.base & ~Q_BASE_MASK) || (o->evtq.base & ~Q_BASE_MASK) || (o->priq.base & ~Q_BASE_MASK))
		lu_cursor_fail(&c, "a table or queue base with reserved bits");
	/* Without IDR0.PRI its registers are reserved and writes to them ignored (smmuv3_regs.c). */
	else if (!f->pri && (o->priq.base || o->priq.prod || o->priq.cons || o->priq_irq_cfg0 || o->priq_irq_cfg1 ||
			     o->priq_irq_cfg2 || o->nr_pri_reqs || o->nr_pri_lost || o->nr_pri_resps))
		lu_cursor_fail(&c, "PRI queue state without IDR0.PRI");
	for (uint32_t i = 0; i < o->nr_streams && !c.bad; i++) {
		if (f->sidsize < 32 && o->sid[i] >> f->sidsize)
			lu_cursor_fail(&c, "StreamID 0x%x beyond SIDSIZE %u", o->sid[i], f->sidsize);
		for (uint32_t j = 0; j < i && !c.bad; j++)
			if (o->sid[j] == o->sid[i])
				lu_cursor_fail(&c, "StreamID 0x%x twice", o->sid[i]);
	}
	return lu_cursor_finish(&c, why, why_size);
}

void smmuv3_freeze(struct smmuv3 *s)
{
	pthread_mutex_lock(&s->lock);
	s->frozen = true;
	pthread_mutex_unlock(&s->lock);
}

int smmuv3_state_restore(struct smmuv3 *s, const struct smmuv3_saved *sv, char *why, size_t why_size)
{
	int r = 0;

	if (!feat_equal(&s->feat, &sv->feat)) {
		snprintf(why, why_size, "smmuv3: the guest saw IDR features (SIDSIZE %u CMDQS %u EVTQS %u OAS %u ...) "
			 "this host's SMMU does not give the same (SIDSIZE %u CMDQS %u EVTQS %u OAS %u ...)",
			 sv->feat.sidsize, sv->feat.cmdqs, sv->feat.evtqs, sv->feat.oas, s->feat.sidsize, s->feat.cmdqs,
			 s->feat.evtqs, s->feat.oas);
		return -EINVAL;
	}
	/* StreamIDs only MSIs made known (smmuv3_dev msi_translate) are registered now; still frozen. */
	for (uint32_t i = 0; i < sv->nr_streams && !r; i++)
		r = smmuv3_add_stream(s, sv->sid[i]);
	if (r) {
		snprintf(why, why_size, "smmuv3: registering the saved StreamIDs: %s", strerror(-r));
		return r;
	}
	pthread_mutex_lock(&s->lock);
	s->cr0 = sv->cr0;
	s->cr1 = sv->cr1;
	s->cr2 = sv->cr2;
	s->gbpa = sv->gbpa;
	s->irq_ctrl = sv->irq_ctrl;
	s->gerror = sv->gerror;
	s->gerrorn = sv->gerrorn;
	s->gerror_irq_cfg0 = sv->gerror_irq_cfg0;
	s->gerror_irq_cfg1 = sv->gerror_irq_cfg1;
	s->gerror_irq_cfg2 = sv->gerror_irq_cfg2;
	s->strtab_base = sv->strtab_base;
	s->strtab_base_cfg = sv->strtab_base_cfg;
	s->cmdq = sv->cmdq;
	s->evtq = sv->evtq;
	s->evtq_irq_cfg0 = sv->evtq_irq_cfg0;
	s->evtq_irq_cfg1 = sv->evtq_irq_cfg1;
	s->evtq_irq_cfg2 = sv->evtq_irq_cfg2;
	s->atc_timeout = sv->atc_timeout;
	s->priq = sv->priq;
	s->priq_irq_cfg0 = sv->priq_irq_cfg0;
	s->priq_irq_cfg1 = sv->priq_irq_cfg1;
	s->priq_irq_cfg2 = sv->priq_irq_cfg2;
	s->nr_pri_reqs = sv->nr_pri_reqs;
	s->nr_pri_lost = sv->nr_pri_lost;
	s->nr_pri_resps = sv->nr_pri_resps;
	s->nr_cmds = sv->nr_cmds;
	s->nr_events = sv->nr_events;
	s->nr_events_lost = sv->nr_events_lost;
	s->nr_batch = 0;
	s->frozen = false;
	/* Every stream's configuration from the guest's tables: the software backend's, and the
	 * assigned devices' nested HWPTs (kept when they hold the same STE words). */
	smmuv3_reload_streams(s, 0, UINT32_MAX);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
