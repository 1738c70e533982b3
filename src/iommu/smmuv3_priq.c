// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SMMUv3 PRI queue (IHI 0070 3.7, chapter 8) and CMD_PRI_RESP (4.7.1): the front-end of the
 * I/O page fault service (iopf.h) for a guest's SMMU. A page request group from the host becomes
 * one PRIQ entry per page request, the last with L set; the guest's CMD_PRI_RESP for (StreamID,
 * PRGIndex) becomes the group's page response.
 *
 * What the hardware would do, and what nestvm does in its place:
 *   - PRIQ full (a group does not fit whole): the group is not written, PRIQ_PROD.OVFLG is made to
 *     differ from PRIQ_CONS.OVACKFLG (unless an overflow is pending already: the same rule as the
 *     event queue, 7.4), and the discarded request with L=1 gets the automatic "Success" response
 *     the SMMU gives a discarded last request (chapter 8: the function then retries the access and
 *     asks again). Whole groups only: a guest never sees part of a group.
 *   - PRIQEN = 0, a PRGIndex wider than PCIe's 9 bits, or a queue in memory nestvm cannot write
 *     (PRIQ_ABT_ERR, 6.3.18): no entry; the kernel gets "Invalid Request" (nestvm's choice: nothing
 *     in the guest will ever answer the group).
 *   - Resp Success -> IOMMUFD_PAGE_RESP_SUCCESS; Denied and Failure -> IOMMUFD_PAGE_RESP_INVALID
 *     (iommufd has no "Response Failure"; both tell the function not to retry).
 */
#include <errno.h>
#include <linux/iommufd.h>

#include "iommu/iopf.h"
#include "iommu/smmuv3.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

void smmuv3_priq_encode(const struct iopf_group *g, unsigned int i, uint64_t ent[PRIQ_DWORDS])
{
	const struct iopf_page *p = &g->page[i];

	ent[0] = (uint64_t)g->sid;
	if (p->perm & IOMMU_PGFAULT_PERM_READ)
		ent[0] |= PRIQ0_READ;
	if (p->perm & IOMMU_PGFAULT_PERM_WRITE)
		ent[0] |= PRIQ0_WRITE;
	if (i + 1 == g->nr)
		ent[0] |= PRIQ0_LAST;
	/* X and Priv exist only with a PASID: with SSV 0 they are 0 (chapter 8). */
	if (g->pasid_valid) {
		ent[0] |= PRIQ0_SSV | PRIQ0_SSID(g->pasid);
		if (p->perm & IOMMU_PGFAULT_PERM_EXEC)
			ent[0] |= PRIQ0_EXEC;
		if (p->perm & IOMMU_PGFAULT_PERM_PRIV)
			ent[0] |= PRIQ0_PRIV;
	}
	ent[1] = (g->grpid & PRIQ1_PRGINDEX_MAX) | (p->addr & PRIQ1_ADDR);
}

int smmuv3_pri_resp_decode(const uint64_t cmd[2], struct smmuv3_pri_resp *out)
{
	*out = (struct smmuv3_pri_resp){
		.sid = (uint32_t)CMD_SID(cmd[0]), .ssid = (uint32_t)CMD_SSID(cmd[0]), .ssv = cmd[0] & CMD_SSV,
		.grpid = (uint32_t)CMD1_PRI_PRGINDEX(cmd[1]), .resp = (unsigned int)CMD1_PRI_RESP(cmd[1]),
	};
	return out->resp > PRI_RESP_SUCC ? -EINVAL : 0;
}

unsigned int smmuv3_pri_resp(struct smmuv3 *s, const uint64_t cmd[2])
{
	struct smmuv3_pri_resp r;

	/* Without IDR0.PRI the command does not exist (4.7.1); Resp 0b11 is reserved: both illegal. */
	if (!s->feat.pri || (cmd[0] & CMD_SSEC) || smmuv3_pri_resp_decode(cmd, &r))
		return CERROR_ILL;
	s->nr_pri_resps++;
	/* A response to a group nothing awaits (answered on its timeout, or never asked) goes nowhere,
	 * like a PRG response the function does not expect (PCIe 10.4.2). */
	if (s->iopf)
		iopf_respond(s->iopf, r.sid, r.grpid,
			     r.resp == PRI_RESP_SUCC ? IOMMUFD_PAGE_RESP_SUCCESS : IOMMUFD_PAGE_RESP_INVALID);
	return CERROR_NONE;
}

/* Overflow (locked): PROD.OVFLG differs from CONS.OVACKFLG until the guest acknowledges (7.4). */
static void overflow(struct smmuv3 *s)
{
	if ((s->priq.prod & Q_OVF) == (s->priq.cons & Q_OVF))
		s->priq.prod ^= Q_OVF;
}

/* Writes G whole (locked): true, or false with *CODE. */
static bool push(struct smmuv3 *s, const struct iopf_group *g, uint32_t *code)
{
	unsigned int log2 = smmuv3_q_log2size(s->priq.base, s->feat.priqs);
	uint32_t idx_wrap = (2u << log2) - 1, size = 1u << log2;
	uint32_t prod = s->priq.prod, used = ((prod & idx_wrap) - (s->priq.cons & idx_wrap)) & idx_wrap;
	uint64_t base = smmuv3_q_addr(s->priq.base, log2, PRIQ_DWORDS * 8);

	*code = IOMMUFD_PAGE_RESP_INVALID;
	if (!(s->cr0 & CR0_PRIQEN) || g->grpid > PRIQ1_PRGINDEX_MAX || !g->nr)
		return false;
	/* A CONS ahead of PROD (a guest's bad write) reads as a full queue. */
	if (used > size || size - used < g->nr) {
		overflow(s);
		*code = IOMMUFD_PAGE_RESP_SUCCESS;
		return false;
	}
	for (unsigned int i = 0; i < g->nr; i++) {
		uint64_t ent[PRIQ_DWORDS];
		uint8_t b[PRIQ_DWORDS * 8];

		smmuv3_priq_encode(g, i, ent);
		for (unsigned int j = 0; j < sizeof(b); j++)
			b[j] = (uint8_t)(ent[j / 8] >> (8 * (j % 8)));
		if (gmem_write(s->mem, base + (uint64_t)((prod + i) & (size - 1)) * sizeof(b), b, sizeof(b))) {
			/* PRIQ_ABT_ERR (6.3.18): the entries are lost; PROD has not moved, so the guest
			 * sees none of the group. */
			smmuv3_gerror_raise(s, GERROR_PRIQ_ABT_ERR);
			return false;
		}
	}
	s->priq.prod = (prod & Q_OVF) | ((prod + g->nr) & idx_wrap);
	return true;
}

static bool fe_deliver(void *fe, const struct iopf_group *g, uint32_t *code)
{
	struct smmuv3 *s = fe;
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = push(s, g, code);
	if (ok) {
		s->nr_pri_reqs += g->nr;
		if (s->irq_ctrl & IRQ_CTRL_PRIQ_IRQEN)
			smmuv3_signal(s, SMMUV3_IRQ_PRIQ, s->priq_irq_cfg0, s->priq_irq_cfg1);
	} else {
		s->nr_pri_lost += g->nr;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static void fe_lost(void *fe, uint32_t sid)
{
	struct smmuv3 *s = fe;

	(void)sid;
	/* nestvm's bound answered it: to the guest, a page request its PRIQ could not take. */
	pthread_mutex_lock(&s->lock);
	s->nr_pri_lost++;
	if (s->cr0 & CR0_PRIQEN)
		overflow(s);
	pthread_mutex_unlock(&s->lock);
}

const struct iopf_frontend smmuv3_iopf_frontend = { .deliver = fe_deliver, .lost = fe_lost };

int smmuv3_set_iopf(struct smmuv3 *s, struct iopf *iopf)
{
	struct smmuv3_features f = s->feat;

	pthread_mutex_lock(&s->lock);
	s->iopf = iopf;
	pthread_mutex_unlock(&s->lock);
	f.pri = iopf != NULL;
	return smmuv3_set_features(s, &f);
}
