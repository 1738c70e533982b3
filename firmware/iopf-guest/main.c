// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bare-metal I/O page fault payload (tests/testhost/iopf.sh): loaded by `nestvm run --kernel` behind
 * the emulated SMMUv3 with a page-request source on StreamID 0x10 (the kernel's IOMMUFD_TEST mock
 * device, --iopf-mock), it enables the PRI queue, services the page requests the harness raises
 * and answers them with CMD_PRI_RESP, printing TAP on the PL011. Each step starts with a line
 * "# iopf-step N" after which the harness raises that step's requests (it waits for the line):
 *   1  PRG 1 at 0x10000 RW            -> answered Success
 *   2  PRG 2 at 0x20000 R             -> answered Denied (the kernel gets Invalid Request)
 *   3  PRG 3, 4, 5 into a 2-entry PRIQ left unconsumed -> PRIQ_PROD.OVFLG; 3 and 4 answered Success
 *   4  PRG 6, never answered in time  -> the answer comes late, after nestvm's timeout
 *   5  PRG 100-139 into a 64-entry PRIQ, none answered: nestvm keeps 32 of one device awaiting an
 *      answer (IOPF_MAX_PER_DEV) and answers the rest at once, which the guest sees as an overflow
 *   6  PRG 8, left in the PRIQ while the harness updates nestvm by re-exec ("# iopf-pending 8"),
 *      answered Success half a timeout later, by then through the new process
 *   7  PRG 7, still in flight when the payload powers off
 * The harness checks what the kernel received for each in nestvm's log. Its answer timeout is
 * TIMEOUT_MS (iopf.sh passes the same to iopf-mock).
 */
#include "../smmuv3-conformance/tap.h"
#include "priq.h"

#define SID 0x10
#define PRIQ_LOG2 1                     /* 2 entries: step 3 overflows it */
#define FLOOD_LOG2 6                    /* 64 entries: step 5 floods nestvm's own bound first */
#define FLOOD_KEPT 32                   /* nestvm's IOPF_MAX_PER_DEV */
#define WAIT_MS 60000                   /* the harness's requests arrive within this */
#define TIMEOUT_MS 8000                 /* nestvm's answer timeout (iopf.sh: iopf-mock --timeout-ms) */

int main(void);

static uint64_t priq_mem[2 << FLOOD_LOG2] __attribute__((aligned(4096)));
static unsigned int priq_log2 = PRIQ_LOG2;

static uint64_t now_ms(void)
{
	uint64_t cnt, frq;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(cnt));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	return frq ? cnt / (frq / 1000) : 0;
}

static uint32_t q_ptr(uint32_t v)
{
	return v & ((2u << priq_log2) - 1);
}

static unsigned int priq_pending(void)
{
	return q_ptr(q_ptr(smmu_read(PRIQ_PROD)) - q_ptr(smmu_read(PRIQ_CONS)));
}

/* Waits (bounded) until N entries are in the PRIQ, or with OVF until PRIQ_PROD.OVFLG differs from
 * PRIQ_CONS.OVACKFLG too. */
static bool wait_for(unsigned int n, bool ovf)
{
	uint64_t end = now_ms() + WAIT_MS;

	while (now_ms() < end) {
		bool o = (smmu_read(PRIQ_PROD) ^ smmu_read(PRIQ_CONS)) & Q_OVFLG;

		if (priq_pending() >= n && (!ovf || o))
			return true;
	}
	return false;
}

static void priq_entry(unsigned int k, uint64_t e[2])
{
	uint32_t i = (q_ptr(smmu_read(PRIQ_CONS)) + k) & ((1u << priq_log2) - 1);

	e[0] = priq_mem[2 * i];
	e[1] = priq_mem[2 * i + 1];
}

/* Consumes N entries, acknowledging an overflow (OVACKFLG = OVFLG) with ACK. */
static void priq_consume(unsigned int n, bool ack)
{
	uint32_t cons = smmu_read(PRIQ_CONS), ovf = ack ? smmu_read(PRIQ_PROD) & Q_OVFLG : cons & Q_OVFLG;

	smmu_write(PRIQ_CONS, ovf | q_ptr(cons + n));
}

static bool answer(unsigned int grp, unsigned int resp)
{
	cmd_issue(CMD_PRI_RESP | CMD_SID(SID), PRI_RESP(grp, resp));
	cmd_issue(CMD_SYNC | SYNC_CS(SYNC_CS_NONE), 0);
	return cmdq_drain();
}

/* A new, empty PRI queue of 2^LOG2 entries (PRIQEN off while its registers change, 6.3.9). */
static bool priq_setup(unsigned int log2)
{
	bool ok = smmu_set_cr0(CR0_CMDQEN);

	priq_log2 = log2;
	smmu_write64(PRIQ_BASE, Q_BASE((uintptr_t)priq_mem, log2));
	smmu_write(PRIQ_PROD, 0);
	smmu_write(PRIQ_CONS, 0);
	return smmu_set_cr0(CR0_CMDQEN | CR0_PRIQEN) && ok;
}

/* The single request of PRG GRP at ADDR with R/W as given: checked, consumed. */
static bool take_one(unsigned int step, unsigned int grp, uint64_t addr, bool w)
{
	uint64_t e[2];

	tap_diag("iopf-step %u", step);
	if (!tap_check(wait_for(1, false), "step %u: a page request arrives in the PRIQ", step))
		return false;
	priq_entry(0, e);
	tap_check(PRIQ_SID(e[0]) == SID && PRIQ_PRGINDEX(e[1]) == grp && PRIQ_ADDR(e[1]) == addr,
		  "step %u: StreamID 0x%x PRGIndex %u page 0x%llx (got 0x%x %u 0x%llx)", step, SID, grp,
		  (unsigned long long)addr, PRIQ_SID(e[0]), PRIQ_PRGINDEX(e[1]), (unsigned long long)PRIQ_ADDR(e[1]));
	tap_check((e[0] & PRIQ_L) && (e[0] & PRIQ_R) && !!(e[0] & PRIQ_W) == w && !(e[0] & (PRIQ_SSV | PRIQ_X | PRIQ_PRIV)),
		  "step %u: L, R%s set; no PASID, X, Priv (word 0 0x%llx)", step, w ? ", W" : " (not W)",
		  (unsigned long long)e[0]);
	priq_consume(1, false);
	return true;
}

int main(void)
{
	uint32_t idr0 = smmu_read(IDR0), idr1 = smmu_read(IDR1);
	uint64_t e[2];
	uint64_t t;

	tap_diag("nestvm I/O page fault payload: SMMUv3 PRI queue, CMD_PRI_RESP (IHI 0070 3.7, 4.7.1, 8)");
	if (!tap_check(idr0 & IDR0_PRI, "IDR0.PRI: the SMMU has a PRI queue (IDR0 0x%x)", idr0))
		return (int)tap_done();
	tap_check(IDR1_PRIQS(idr1) >= PRIQ_LOG2, "IDR1.PRIQS %u", (unsigned int)IDR1_PRIQS(idr1));
	smmu_setup_cmdq();
	tap_check(priq_setup(PRIQ_LOG2), "CMDQEN and PRIQEN acknowledged in CR0ACK");

	if (take_one(1, 1, 0x10000, true))
		tap_check(answer(1, RESP_SUCCESS), "step 1: CMD_PRI_RESP Success for PRG 1 completes");
	if (take_one(2, 2, 0x20000, false))
		tap_check(answer(2, RESP_DENY), "step 2: CMD_PRI_RESP Denied for PRG 2 completes");

	tap_diag("iopf-step 3");
	if (tap_check(wait_for(2, true), "step 3: the 2-entry PRIQ fills and PRIQ_PROD.OVFLG is set")) {
		tap_check(priq_pending() == 2, "step 3: exactly 2 entries queued (the third was discarded)");
		priq_entry(0, e);
		tap_check(PRIQ_PRGINDEX(e[1]) == 3, "step 3: PRG 3 first");
		priq_entry(1, e);
		tap_check(PRIQ_PRGINDEX(e[1]) == 4, "step 3: PRG 4 second");
		priq_consume(2, true);
		tap_check(!((smmu_read(PRIQ_PROD) ^ smmu_read(PRIQ_CONS)) & Q_OVFLG), "step 3: overflow acknowledged");
		tap_check(answer(3, RESP_SUCCESS) && answer(4, RESP_SUCCESS), "step 3: PRG 3 and 4 answered");
	}

	if (take_one(4, 6, 0x60000, true)) {
		/* Silence past nestvm's timeout, then a late answer. */
		tap_diag("iopf: PRG 6 left unanswered");
		for (t = now_ms() + TIMEOUT_MS + 4000; now_ms() < t;)
			;
		tap_check(answer(6, RESP_SUCCESS), "step 4: a late CMD_PRI_RESP for PRG 6 completes (nothing awaits it)");
	}

	tap_check(priq_setup(FLOOD_LOG2), "step 5: a 64-entry PRIQ");
	tap_diag("iopf-step 5");
	if (tap_check(wait_for(FLOOD_KEPT, true), "step 5: 40 requests: the PRIQ gets %u and PRIQ_PROD.OVFLG", FLOOD_KEPT)) {
		/* The rest arrive while we look, and the kept ones time out in nestvm: give them time, then count. */
		for (t = now_ms() + TIMEOUT_MS + 1000; now_ms() < t;)
			;
		tap_check(priq_pending() == FLOOD_KEPT, "step 5: exactly %u entries (got %u): nestvm's bound, not the PRIQ's",
			  FLOOD_KEPT, priq_pending());
		priq_entry(0, e);
		tap_check(PRIQ_PRGINDEX(e[1]) == 100, "step 5: PRG 100 first");
		priq_entry(FLOOD_KEPT - 1, e);
		tap_check(PRIQ_PRGINDEX(e[1]) == 100 + FLOOD_KEPT - 1, "step 5: PRG %u last", 100 + FLOOD_KEPT - 1);
		priq_consume(FLOOD_KEPT, true);
		tap_diag("iopf: %u PRGs consumed, left unanswered", FLOOD_KEPT);
	}

	if (take_one(6, 8, 0x80000, true)) {
		uint32_t base = smmu_read(PRIQ_BASE), base_hi = smmu_read(PRIQ_BASE + 4);

		tap_diag("iopf-pending 8");
		for (t = now_ms() + TIMEOUT_MS / 2; now_ms() < t;)
			;
		tap_check(answer(8, RESP_SUCCESS) && smmu_read(PRIQ_BASE) == base && smmu_read(PRIQ_BASE + 4) == base_hi &&
			  (smmu_read(CR0) & CR0_PRIQEN),
			  "step 6: PRG 8 answered Success; the PRI queue as it was (across the update)");
	}

	tap_diag("iopf-step 7");
	if (tap_check(wait_for(1, false), "step 7: PRG 7 arrives")) {
		priq_entry(0, e);
		tap_check(PRIQ_PRGINDEX(e[1]) == 7, "step 7: it is PRG 7, left in flight");
	}
	tap_diag("iopf: powering off with PRG 7 unanswered");
	return (int)tap_done();
}
