// SPDX-License-Identifier: GPL-2.0-only
/*
 * CMD_PREFETCH_CONFIG validates the STE it fetches (IHI 0070 4.2.1): configuration errors reach the
 * event queue (C_BAD_STE 7.3.4; C_BAD_STREAMID 7.3.2 only with CR2.RECINVSID), valid configs and a
 * disabled SMMU record nothing, and the command never stalls the queue.
 */
#include "smmuv3_harness.h"

static void prefetch(struct harness *h, uint32_t sid)
{
	h_cmd(h, CMD_PREFETCH_CONFIG | (uint64_t)sid << 32, 0);
}

static bool queue_ok(struct harness *h)
{
	return rd32(h, SMMU_CMDQ_CONS) == rd32(h, SMMU_CMDQ_PROD) && rd32(h, SMMU_GERROR) == rd32(h, SMMU_GERRORN);
}

/* Takes the next event; false when the queue is empty. */
static bool take(struct harness *h, uint64_t evt[4])
{
	uint32_t c = rd32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS);

	if (!h_nr_events(h))
		return false;
	h_evt(h, c, evt);
	wr32(h, SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS, (c & Q_OVF) | ((c + 1) & 0x1f));
	return true;
}

int main(void)
{
	struct harness h;
	uint64_t evt[4];

	if (h_init(&h, NULL)) {
		CHECK(0, "harness");
		return tap_done();
	}
	h_ste(&h, 3, 0, 0);                                     /* V = 0 */
	h_ste(&h, 4, STE0_V | 2ull << 1, 0);                    /* Config 0b010: reserved */
	h_ste(&h, 5, STE_BYPASS, 0);
	h_ste(&h, 6, STE_ABORT, 0);
	h_enable(&h);

	prefetch(&h, 3);
	CHECK(queue_ok(&h), "prefetch of an invalid STE completes without a command error");
	CHECK(take(&h, evt) && (evt[0] & 0xff) == EVT_C_BAD_STE && (evt[0] >> 32) == 3,
	      "STE.V == 0: C_BAD_STE for StreamID 3 (0x%llx)", (unsigned long long)evt[0]);
	prefetch(&h, 4);
	CHECK(take(&h, evt) && (evt[0] & 0xff) == EVT_C_BAD_STE && (evt[0] >> 32) == 4,
	      "reserved STE.Config: C_BAD_STE for StreamID 4");
	prefetch(&h, 5);
	prefetch(&h, 6);
	CHECK(!h_nr_events(&h) && queue_ok(&h), "bypass and abort STEs: no event");
	prefetch(&h, 300);
	CHECK(take(&h, evt) && (evt[0] & 0xff) == EVT_C_BAD_STREAMID && (evt[0] >> 32) == 300,
	      "StreamID beyond LOG2SIZE with CR2.RECINVSID: C_BAD_STREAMID");

	/* CR2 may change only with SMMUEN clear; a disabled SMMU fetches nothing (GBPA rules). */
	wr32(&h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN);
	prefetch(&h, 3);
	CHECK(!h_nr_events(&h) && queue_ok(&h), "SMMUEN == 0: prefetch records nothing");
	wr32(&h, SMMU_CR2, CR2_PTM);
	wr32(&h, SMMU_CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
	prefetch(&h, 300);
	CHECK(!h_nr_events(&h), "without CR2.RECINVSID: no C_BAD_STREAMID");
	prefetch(&h, 3);
	CHECK(take(&h, evt) && (evt[0] & 0xff) == EVT_C_BAD_STE, "after re-enabling: C_BAD_STE again");

	h_cmd(&h, CMD_PREFETCH_CONFIG | CMD_SSEC | 3ull << 32, 0);
	CHECK((rd32(&h, SMMU_CMDQ_CONS) >> CMDQ_CONS_ERR_SHIFT) == CERROR_ILL && !h_nr_events(&h),
	      "SSec prefetch from the Non-secure queue: CERROR_ILL, no event");
	h_fini(&h);
	return tap_done();
}
