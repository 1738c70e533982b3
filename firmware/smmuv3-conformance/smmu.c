// SPDX-License-Identifier: GPL-2.0-only
/*
 * Driving the SMMU the way a driver does: CR0/CR0ACK handshake (6.3.9-10), the circular queue
 * protocol with index and wrap bit (3.5, 6.3.26-27, 6.3.30-31), the CMDQ error recovery of 7.1.
 */
#include "smmu.h"

uint64_t cmdq_mem[2 << CMDQ_LOG2] __attribute__((aligned(4096)));
uint64_t evtq_mem[4 << EVTQ_LOG2] __attribute__((aligned(4096)));
volatile uint32_t msi_target[4] __attribute__((aligned(64)));
static unsigned int evtq_log2 = EVTQ_LOG2;

bool smmu_set_cr0(uint32_t v)
{
	smmu_write(CR0, v);
	for (unsigned int i = 0; i < POLL_LIMIT; i++)
		if (smmu_read(CR0ACK) == v)
			return true;
	return false;
}

void smmu_setup_cmdq(void)
{
	smmu_write64(CMDQ_BASE, Q_BASE((uintptr_t)cmdq_mem, CMDQ_LOG2));
	smmu_write(CMDQ_PROD, 0);
	smmu_write(CMDQ_CONS, 0);
}

void smmu_setup_evtq(unsigned int log2)
{
	evtq_log2 = log2;
	smmu_write64(EVENTQ_BASE, Q_BASE((uintptr_t)evtq_mem, log2));
	smmu_write(EVENTQ_PROD, 0);
	smmu_write(EVENTQ_CONS, 0);
}

/* Index plus wrap bit of a queue of 2^LOG2 entries. */
static uint32_t q_ptr(uint32_t v, unsigned int log2)
{
	return v & ((2u << log2) - 1);
}

uint32_t cmd_issue(uint64_t w0, uint64_t w1)
{
	uint32_t prod = q_ptr(smmu_read(CMDQ_PROD), CMDQ_LOG2);
	uint32_t i = prod & ((1u << CMDQ_LOG2) - 1);

	cmdq_mem[2 * i] = w0;
	cmdq_mem[2 * i + 1] = w1;
	smmu_write(CMDQ_PROD, q_ptr(prod + 1, CMDQ_LOG2));     /* smmu_write's DSB publishes the entry */
	return prod;
}

bool cmdq_drain(void)
{
	uint32_t prod = q_ptr(smmu_read(CMDQ_PROD), CMDQ_LOG2);

	for (unsigned int i = 0; i < POLL_LIMIT; i++) {
		uint32_t cons = smmu_read(CMDQ_CONS);

		if (CMDQ_CONS_ERR(cons) || ((smmu_read(GERROR) ^ smmu_read(GERRORN)) & GERROR_CMDQ_ERR))
			return false;
		if (q_ptr(cons, CMDQ_LOG2) == prod)
			return true;
	}
	return false;
}

void cmdq_fix_error(void)
{
	uint32_t i = smmu_read(CMDQ_CONS) & ((1u << CMDQ_LOG2) - 1);

	/* Like Linux's arm_smmu_cmdq_skip_err(): overwrite the bad command with a CMD_SYNC, then
	 * acknowledge CMDQ_ERR by making GERRORN.CMDQ_ERR equal GERROR.CMDQ_ERR (6.3.19). */
	cmdq_mem[2 * i] = CMD_SYNC | SYNC_CS(SYNC_CS_NONE);
	cmdq_mem[2 * i + 1] = 0;
	smmu_write(GERRORN, smmu_read(GERRORN) ^ ((smmu_read(GERROR) ^ smmu_read(GERRORN)) & GERROR_CMDQ_ERR));
}

unsigned int evtq_pending(void)
{
	uint32_t prod = q_ptr(smmu_read(EVENTQ_PROD), evtq_log2), cons = q_ptr(smmu_read(EVENTQ_CONS), evtq_log2);

	return q_ptr(prod - cons, evtq_log2);
}

bool evtq_take(uint64_t evt[4])
{
	uint32_t cons = smmu_read(EVENTQ_CONS);
	uint32_t i = cons & ((1u << evtq_log2) - 1);

	if (!evtq_pending())
		return false;
	for (int w = 0; w < 4; w++)
		evt[w] = evtq_mem[4 * i + w];
	smmu_write(EVENTQ_CONS, (cons & Q_OVFLG) | q_ptr(cons + 1, evtq_log2));
	return true;
}

void prefetch(uint32_t sid)
{
	cmd_issue(CMD_PREFETCH_CONFIG | CMD_SID(sid), 0);
	cmd_issue(CMD_SYNC | SYNC_CS(SYNC_CS_NONE), 0);
	cmdq_drain();
}

bool prefetch_event(uint32_t sid, uint64_t evt[4])
{
	prefetch(sid);
	if (evtq_take(evt))
		return true;
	evt[0] = evt[1] = evt[2] = evt[3] = 0;
	return false;
}
