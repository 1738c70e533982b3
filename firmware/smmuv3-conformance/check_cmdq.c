// SPDX-License-Identifier: GPL-2.0-only
/*
 * Command queue: enabling it (CR0/CR0ACK, 6.3.9-10), CMD_SYNC completion (4.7.3) with and without an
 * MSI, wrapping (3.5), and command errors (7.1): an illegal command stops CMDQ_CONS at it with
 * CMDQ_CONS.ERR = CERROR_ILL and activates GERROR.CMDQ_ERR; the queue resumes when GERRORN acks it.
 */
#include "checks.h"
#include "smmu.h"
#include "tap.h"

#define ILLEGAL_OPCODE  0x7f            /* unallocated in 4.1.1 */
#define CMD_TLBI_S12_VMALL 0x28         /* 4.4.7: a stage-2 command */

static bool has_msi(void)
{
	return smmu_read(IDR0) & IDR0_MSI;
}

static bool wait_word(volatile uint32_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < POLL_LIMIT; i++)
		if (*p == v)
			return true;
	return false;
}

void check_queues_enable(void)
{
	smmu_setup_cmdq();
	smmu_setup_evtq(EVTQ_LOG2);
	tap_check(smmu_read(CMDQ_BASE) == (uint32_t)Q_BASE((uintptr_t)cmdq_mem, CMDQ_LOG2) &&
		  smmu_read(EVENTQ_BASE) == (uint32_t)Q_BASE((uintptr_t)evtq_mem, EVTQ_LOG2),
		  "CMDQ_BASE and EVENTQ_BASE read back as written (6.3.25, 6.3.28)");
	tap_check(smmu_set_cr0(CR0_CMDQEN | CR0_EVTQEN), "CR0ACK acknowledges CMDQEN|EVTQEN (CR0ACK 0x%x) (6.3.9, 6.3.10)",
		  smmu_read(CR0ACK));
}

void check_sync(void)
{
	uint32_t prod;
	bool ok = true;

	cmd_issue(CMD_SYNC | SYNC_CS(SYNC_CS_NONE), 0);
	tap_check(cmdq_drain(), "CMD_SYNC CS=SIG_NONE: consumed, CMDQ_CONS == CMDQ_PROD (4.7.3)");
	if (has_msi()) {
		msi_target[0] = 0;
		cmd_issue(CMD_SYNC | SYNC_CS(SYNC_CS_IRQ) | SYNC_MSIDATA(0x5a5a1234), (uintptr_t)&msi_target[0]);
		tap_check(cmdq_drain() && wait_word(&msi_target[0], 0x5a5a1234),
			  "CMD_SYNC CS=SIG_IRQ: completion writes MSIData to MSIAddress (got 0x%x) (4.7.3)", msi_target[0]);
	} else {
		tap_skip("IDR0.MSI is 0", "CMD_SYNC CS=SIG_IRQ MSI completion (4.7.3)");
	}
	/* More commands than the queue holds, in batches: CONS follows PROD across the wrap. */
	prod = smmu_read(CMDQ_PROD);
	for (unsigned int i = 0; i < (1u << CMDQ_LOG2) + 3; i++) {
		cmd_issue(CMD_SYNC | SYNC_CS(SYNC_CS_NONE), 0);
		if (i % 4 == 3)
			ok = ok && cmdq_drain();
	}
	ok = ok && cmdq_drain();
	tap_check(ok && ((smmu_read(CMDQ_CONS) ^ prod) & (1u << CMDQ_LOG2)),
		  "CMDQ wraps: after %u commands CONS == PROD with the wrap bit toggled (CONS 0x%x) (3.5, 6.3.27)",
		  (1u << CMDQ_LOG2) + 3, smmu_read(CMDQ_CONS));
}

/* Issues W0 (one bad command) and a CMD_SYNC with MSI behind it, checks the error, resumes. */
static void check_error(uint64_t w0, const char *what)
{
	bool msi = has_msi();
	uint32_t at, cons, active = 0;

	msi_target[1] = msi_target[2] = 0;
	at = cmd_issue(w0, 0);
	cmd_issue(CMD_SYNC | SYNC_CS(SYNC_CS_IRQ) | SYNC_MSIDATA(0x5eed), msi ? (uintptr_t)&msi_target[2] : 0);
	for (unsigned int i = 0; i < POLL_LIMIT && !active; i++)
		active = (smmu_read(GERROR) ^ smmu_read(GERRORN)) & GERROR_CMDQ_ERR;
	cons = smmu_read(CMDQ_CONS);
	tap_check(active, "%s: GERROR.CMDQ_ERR becomes active (7.1, 6.3.18)", what);
	tap_check(CMDQ_CONS_ERR(cons) == CERROR_ILL, "%s: CMDQ_CONS.ERR is CERROR_ILL (%u) (6.3.27, 7.1)", what,
		  (unsigned int)CMDQ_CONS_ERR(cons));
	tap_check((cons & ((2u << CMDQ_LOG2) - 1)) == at, "%s: CMDQ_CONS stops at the offending command (%u, at %u) (7.1)",
		  what, cons & ((2u << CMDQ_LOG2) - 1), at);
	tap_check(msi_target[2] == 0, "%s: the queue stalls: the CMD_SYNC behind it does not complete (7.1)", what);
	if (msi)
		tap_check(wait_word(&msi_target[1], 0xe1), "%s: GERROR interrupt as an MSI to GERROR_IRQ_CFG0 (6.3.20)", what);
	cmdq_fix_error();
	tap_check(cmdq_drain() && !CMDQ_CONS_ERR(smmu_read(CMDQ_CONS)) && smmu_read(GERROR) == smmu_read(GERRORN),
		  "%s: acknowledging in GERRORN resumes the queue: CONS == PROD, ERR and CMDQ_ERR cleared (6.3.19, 7.1)", what);
	if (msi)
		tap_check(wait_word(&msi_target[2], 0x5eed), "%s: the stalled CMD_SYNC completes after the resume (4.7.3)", what);
}

void check_cmdq_errors(void)
{
	if (has_msi()) {
		smmu_write64(GERROR_IRQ_CFG0, (uintptr_t)&msi_target[1]);
		smmu_write(GERROR_IRQ_CFG1, 0xe1);
		smmu_write(GERROR_IRQ_CFG2, 0);
	}
	smmu_write(IRQ_CTRL, IRQ_CTRL_GERROR_IRQEN);
	tap_check(smmu_read(IRQ_CTRLACK) == IRQ_CTRL_GERROR_IRQEN, "IRQ_CTRLACK acknowledges GERROR_IRQEN (6.3.16, 6.3.17)");
	check_error(ILLEGAL_OPCODE, "illegal opcode 0x7f");
	if (smmu_read(IDR0) & IDR0_S2P) {
		tap_skip("IDR0.S2P is 1", "stage-2 command without stage 2 (4.4.7)");
		return;
	}
	/* Commands for an unimplemented stage are illegal (4.4.7, TLBI_S12_VMALL needs IDR0.S2P). */
	msi_target[1] = 0;
	cmd_issue(CMD_TLBI_S12_VMALL, 0);
	cmd_issue(CMD_SYNC | SYNC_CS(SYNC_CS_NONE), 0);
	tap_check(!cmdq_drain() && CMDQ_CONS_ERR(smmu_read(CMDQ_CONS)) == CERROR_ILL,
		  "TLBI_S12_VMALL on an SMMU without stage 2: CERROR_ILL (4.4.7, 7.1)");
	cmdq_fix_error();
	tap_check(cmdq_drain(), "TLBI_S12_VMALL error acknowledged: the queue drains (7.1)");
}
