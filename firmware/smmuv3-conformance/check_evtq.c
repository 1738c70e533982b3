// SPDX-License-Identifier: GPL-2.0-only
/*
 * Event queue overflow (IHI 0070 7.4): with the queue full, a new event is lost and EVENTQ_PROD.OVFLG
 * is toggled so it differs from EVENTQ_CONS.OVACKFLG; further losses do not toggle it again until
 * software acknowledges by writing OVACKFLG equal to OVFLG (6.3.30, 6.3.31). Events come from the
 * invalid STE 0x85 of the 2-level table check_2level_strtab() left in place.
 */
#include "checks.h"
#include "smmu.h"
#include "tap.h"

#define SMALL_LOG2      2               /* a 4-entry queue */
#define BAD_SID         0x85

void check_evtq_overflow(void)
{
	uint32_t prod, cons, full_prod;
	uint64_t evt[4];
	bool intact = true;

	/* EVENTQ_BASE may only change with EVTQEN clear (6.3.28). */
	smmu_set_cr0(CR0_SMMUEN | CR0_CMDQEN);
	smmu_write(IRQ_CTRL, IRQ_CTRL_GERROR_IRQEN);
	smmu_setup_evtq(SMALL_LOG2);
	tap_check(smmu_set_cr0(CR0_SMMUEN | CR0_CMDQEN | CR0_EVTQEN),
		  "event queue re-enabled with 4 entries (EVTQEN acknowledged) (6.3.9, 6.3.28)");
	for (unsigned int i = 0; i < (1u << SMALL_LOG2); i++)
		prefetch(BAD_SID);
	prod = smmu_read(EVENTQ_PROD);
	cons = smmu_read(EVENTQ_CONS);
	full_prod = prod;
	tap_check(evtq_pending() == (1u << SMALL_LOG2) && prod == (cons ^ (1u << SMALL_LOG2)),
		  "4 events fill the queue: PROD index == CONS index, wrap bits differ (PROD 0x%x CONS 0x%x) (3.5.2)",
		  prod, cons);
	tap_check((prod & Q_OVFLG) == (cons & Q_OVFLG), "a full queue has not overflowed: OVFLG == OVACKFLG (7.4)");
	prefetch(BAD_SID);
	prod = smmu_read(EVENTQ_PROD);
	tap_check((prod & Q_OVFLG) != (cons & Q_OVFLG), "a 5th event overflows: EVENTQ_PROD.OVFLG toggles (7.4, 6.3.30)");
	tap_check((prod & ~Q_OVFLG) == (full_prod & ~Q_OVFLG),
		  "the lost event is not written: PROD index and wrap unchanged (7.4)");
	prefetch(BAD_SID);
	prefetch(BAD_SID);
	tap_check(smmu_read(EVENTQ_PROD) == prod,
		  "further losses leave OVFLG alone while the overflow is unacknowledged (7.4)");
	for (unsigned int i = 0; i < (1u << SMALL_LOG2); i++)
		intact = evtq_take(evt) && EVT_ID(evt[0]) == EVT_C_BAD_STE && EVT_SID(evt[0]) == BAD_SID && intact;
	tap_check(intact && !evtq_pending(), "the 4 recorded events are intact: C_BAD_STE for StreamID 0x85 (7.3.4)");
	cons = smmu_read(EVENTQ_CONS);
	smmu_write(EVENTQ_CONS, (cons & ~Q_OVFLG) | (smmu_read(EVENTQ_PROD) & Q_OVFLG));
	tap_check((smmu_read(EVENTQ_CONS) & Q_OVFLG) == (smmu_read(EVENTQ_PROD) & Q_OVFLG),
		  "overflow acknowledged: CONS.OVACKFLG written equal to PROD.OVFLG (6.3.31, 7.4)");
	prod = smmu_read(EVENTQ_PROD);
	prefetch(BAD_SID);
	tap_check(evtq_pending() == 1 && (smmu_read(EVENTQ_PROD) & Q_OVFLG) == (prod & Q_OVFLG),
		  "after the acknowledgement events are recorded again, with no new overflow (7.4)");
}
