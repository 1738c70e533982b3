// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMUv3 event queue and global errors: records written to the guest's EVTQ (IHI 0070 7.2, 7.3)
 * with the overflow flag protocol (7.4), GERROR activation (7.5) and their interrupts, delivered
 * as MSIs when configured (IDR0.MSI and *_IRQ_CFG0.ADDR != 0, 6.3.20) or on wired lines.
 */
#include <string.h>

#include "iommu/smmuv3.h"
#include "iommu/viommu_report.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

void smmuv3_signal(struct smmuv3 *s, enum smmuv3_irq line, uint64_t cfg0, uint32_t cfg1)
{
	if (s->feat.msi && (cfg0 & IRQ_CFG0_ADDR)) {
		if (s->hooks.msi)
			s->hooks.msi(s->opaque, cfg0 & IRQ_CFG0_ADDR, cfg1);
		return;
	}
	if (s->hooks.irq)
		s->hooks.irq(s->opaque, line);
}

void smmuv3_gerror_raise(struct smmuv3 *s, uint32_t bits)
{
	uint32_t active = s->gerror ^ s->gerrorn;
	uint32_t fresh = bits & GERROR_MASK & ~active;

	/* An error is active while GERROR and GERRORN differ in its bit; a second occurrence of an
	 * active error changes nothing (6.3.18). */
	if (!fresh)
		return;
	s->gerror ^= fresh;
	if (s->irq_ctrl & IRQ_CTRL_GERROR_IRQEN)
		smmuv3_signal(s, SMMUV3_IRQ_GERROR, s->gerror_irq_cfg0, s->gerror_irq_cfg1);
}

/* Event type names (IHI 0070 7.3, Table 7-x): what the event stream calls them. */
static const char *event_name(unsigned int type)
{
	switch (type) {
	case EVT_F_UUT: return "F_UUT";
	case EVT_C_BAD_STREAMID: return "C_BAD_STREAMID";
	case EVT_F_STE_FETCH: return "F_STE_FETCH";
	case EVT_C_BAD_STE: return "C_BAD_STE";
	case EVT_F_STREAM_DISABLED: return "F_STREAM_DISABLED";
	case EVT_C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
	case EVT_F_CD_FETCH: return "F_CD_FETCH";
	case EVT_C_BAD_CD: return "C_BAD_CD";
	case EVT_F_WALK_EABT: return "F_WALK_EABT";
	case EVT_F_TRANSLATION: return "F_TRANSLATION";
	case EVT_F_ADDR_SIZE: return "F_ADDR_SIZE";
	case EVT_F_ACCESS: return "F_ACCESS";
	case EVT_F_PERMISSION: return "F_PERMISSION";
	default: return "other";
	}
}

/* The record on the event stream (rate-limited there): word 0 has the type (7:0) and StreamID
 * (63:32), word 1 RnW (bit 35), word 2 the input address (7.3.x, common to the F_* records). */
static void report(const uint64_t evt[EVT_DWORDS], const char *origin, bool delivered)
{
	viommu_report_fault(&(struct viommu_fault_report){
		.front_end = "smmuv3", .origin = origin, .type = event_name(evt[0] & 0xff),
		.sid = (uint32_t)(evt[0] >> 32), .addr = evt[2], .write = !(evt[1] & EVT1_RNW),
		.delivered = delivered,
	});
}

static void push(struct smmuv3 *s, const uint64_t evt[EVT_DWORDS], const char *origin)
{
	unsigned int log2 = smmuv3_q_log2size(s->evtq.base, s->feat.evtqs);
	uint32_t idx_mask = (1u << log2) - 1, wrap = 1u << log2;
	uint32_t prod = s->evtq.prod, cons = s->evtq.cons;
	uint8_t rec[EVT_DWORDS * 8];
	uint64_t addr;

	if (!(s->cr0 & CR0_EVTQEN)) {
		s->nr_events_lost++;
		report(evt, origin, false);
		return;     /* events are discarded while the queue is disabled (7.2) */
	}
	if ((prod & idx_mask) == (cons & idx_mask) && (prod & wrap) != (cons & wrap)) {
		/* Full: the event is lost; signal overflow by making PROD.OVFLG differ from
		 * CONS.OVACKFLG, unless an overflow is already pending (7.4). */
		if ((prod & Q_OVF) == (cons & Q_OVF))
			s->evtq.prod ^= Q_OVF;
		s->nr_events_lost++;
		report(evt, origin, false);
		return;
	}
	for (unsigned int i = 0; i < EVT_DWORDS * 8; i++)
		rec[i] = (uint8_t)(evt[i / 8] >> (8 * (i % 8)));
	addr = smmuv3_q_addr(s->evtq.base, log2, sizeof(rec)) + (uint64_t)(prod & idx_mask) * sizeof(rec);
	if (gmem_write(s->mem, addr, rec, sizeof(rec))) {
		/* The queue is not in RAM: the record is lost and EVTQ_ABT_ERR raised (6.3.18). */
		pr_debug("smmuv3: event queue write at 0x%llx aborted", (unsigned long long)addr);
		s->nr_events_lost++;
		smmuv3_gerror_raise(s, GERROR_EVTQ_ABT_ERR);
		report(evt, origin, false);
		return;
	}
	s->evtq.prod = (prod & Q_OVF) | ((prod + 1) & (idx_mask | wrap));
	s->nr_events++;
	report(evt, origin, true);
	if (s->irq_ctrl & IRQ_CTRL_EVTQ_IRQEN)
		smmuv3_signal(s, SMMUV3_IRQ_EVTQ, s->evtq_irq_cfg0, s->evtq_irq_cfg1);
}

void smmuv3_evtq_push(struct smmuv3 *s, const uint64_t evt[EVT_DWORDS])
{
	push(s, evt, "emulated");
}

void smmuv3_backend_event(void *frontend, const struct viommu_fault *f, const void *raw, unsigned int raw_len)
{
	struct smmuv3 *s = frontend;
	uint64_t evt[EVT_DWORDS];

	(void)f;
	if (raw_len != sizeof(evt))
		return;
	memcpy(evt, raw, sizeof(evt));
	pthread_mutex_lock(&s->lock);
	push(s, evt, "host");
	pthread_mutex_unlock(&s->lock);
}
