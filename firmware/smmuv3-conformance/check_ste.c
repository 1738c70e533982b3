// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stream tables (IHI 0070 3.3): linear and 2-level (STRTAB_BASE_CFG 6.3.24, L1 descriptors 5.1), and
 * STE validation (5.2). No device does DMA here, so CMD_PREFETCH_CONFIG (4.2.1) makes the SMMU
 * fetch and check an STE; an invalid one is recorded as C_BAD_STE (7.3.4) in the event queue, and a
 * StreamID outside the table as C_BAD_STREAMID (7.3.2) when CR2.RECINVSID asks for it (6.3.12).
 */
#include "checks.h"
#include "smmu.h"
#include "tap.h"

#define LINEAR_LOG2     6               /* 64 STEs: 4 KiB, aligned to its size (6.3.23) */
#define L2_LOG2SIZE     8               /* 256 StreamIDs ... */
#define L2_SPLIT        6               /* ... in 4 L1 descriptors of 64 STEs (4 KiB L2 tables) */
#define SPAN_64         7               /* Span: 2^(7-1) STEs (5.1) */

static uint64_t linear[8 << LINEAR_LOG2] __attribute__((aligned(4096)));
static uint64_t l1[1u << (L2_LOG2SIZE - L2_SPLIT)] __attribute__((aligned(64)));
static uint64_t l2a[8 << L2_SPLIT] __attribute__((aligned(4096)));
static uint64_t l2b[8 << L2_SPLIT] __attribute__((aligned(4096)));

static void set_ste(uint64_t *table, uint32_t i, uint64_t w0)
{
	for (int w = 0; w < 8; w++)
		table[8 * i + w] = w ? 0 : w0;
}

static void fill(uint64_t *table, unsigned int n, uint64_t w0)
{
	for (unsigned int i = 0; i < n; i++)
		set_ste(table, i, w0);
}

/* The event a prefetch of SID records: true when it is ID for SID. */
static bool bad_event(uint32_t sid, unsigned int id, uint64_t evt[4])
{
	return prefetch_event(sid, evt) && EVT_ID(evt[0]) == id && EVT_SID(evt[0]) == sid;
}

static bool wait_word(volatile uint32_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < POLL_LIMIT; i++)
		if (*p == v)
			return true;
	return false;
}

void check_linear_strtab(void)
{
	bool msi = smmu_read(IDR0) & IDR0_MSI;
	uint32_t cfg = STRTAB_CFG(STRTAB_FMT_LINEAR, 0, LINEAR_LOG2);
	uint64_t evt[4];

	fill(linear, 1u << LINEAR_LOG2, STE_V | STE_CONFIG(STE_CFG_BYPASS));
	set_ste(linear, 2, 0);                                          /* V = 0 */
	set_ste(linear, 3, STE_V | STE_CONFIG(2));                      /* Config 0b010: reserved */
	set_ste(linear, 4, STE_V | STE_CONFIG(STE_CFG_ABORT));
	smmu_write64(STRTAB_BASE, (uintptr_t)linear);
	smmu_write(STRTAB_BASE_CFG, cfg);
	tap_check(smmu_read(STRTAB_BASE) == (uint32_t)(uintptr_t)linear && smmu_read(STRTAB_BASE_CFG) == cfg,
		  "STRTAB_BASE and STRTAB_BASE_CFG (linear, LOG2SIZE %u) read back (6.3.23, 6.3.24)", LINEAR_LOG2);
	smmu_write(CR2, CR2_RECINVSID);
	if (msi) {
		smmu_write64(EVENTQ_IRQ_CFG0, (uintptr_t)&msi_target[3]);
		smmu_write(EVENTQ_IRQ_CFG1, 0xe7);
		smmu_write(EVENTQ_IRQ_CFG2, 0);
	}
	smmu_write(IRQ_CTRL, IRQ_CTRL_GERROR_IRQEN | IRQ_CTRL_EVTQ_IRQEN);
	tap_check(smmu_set_cr0(CR0_SMMUEN | CR0_CMDQEN | CR0_EVTQEN), "CR0ACK acknowledges SMMUEN (6.3.9, 6.3.10)");
	smmu_write64(STRTAB_BASE, (uintptr_t)l2a);
	tap_check(smmu_read(STRTAB_BASE) == (uint32_t)(uintptr_t)linear,
		  "STRTAB_BASE ignores writes while SMMUEN is 1 (6.3.23)");

	msi_target[3] = 0;
	tap_check(bad_event(2, EVT_C_BAD_STE, evt), "STE.V == 0: PREFETCH_CONFIG records C_BAD_STE for StreamID 2 "
		  "(event 0x%llx) (4.2.1, 5.2, 7.3.4)", (unsigned long long)evt[0]);
	if (msi)
		tap_check(wait_word(&msi_target[3], 0xe7), "event queue interrupt as an MSI to EVENTQ_IRQ_CFG0 (6.3.20)");
	else
		tap_skip("IDR0.MSI is 0", "event queue MSI (6.3.20)");
	tap_check(bad_event(3, EVT_C_BAD_STE, evt), "STE.Config 0b010 (reserved): C_BAD_STE for StreamID 3 (5.2, 7.3.4)");
	prefetch(1);
	prefetch(4);
	tap_check(!evtq_pending() && cmdq_drain(), "valid bypass and abort STEs: no event (5.2)");
	tap_check(bad_event(1u << LINEAR_LOG2, EVT_C_BAD_STREAMID, evt),
		  "StreamID beyond STRTAB_BASE_CFG.LOG2SIZE with CR2.RECINVSID: C_BAD_STREAMID (6.3.12, 7.3.2)");
	/* Fix the STE, invalidate its cached copy, prefetch again: the new config is the one used. */
	set_ste(linear, 2, STE_V | STE_CONFIG(STE_CFG_BYPASS));
	cmd_issue(CMD_CFGI_STE | CMD_SID(2), 1);        /* Leaf = 1 (4.3.1) */
	prefetch(2);
	tap_check(!evtq_pending() && cmdq_drain(), "after CFGI_STE of the repaired STE: no event (4.3.1)");
}

void check_2level_strtab(void)
{
	uint32_t cfg = STRTAB_CFG(STRTAB_FMT_2LVL, L2_SPLIT, L2_LOG2SIZE);
	uint64_t evt[4];

	if (IDR0_ST_LEVEL(smmu_read(IDR0)) != 1) {
		tap_skip("IDR0.ST_LEVEL is linear only", "2-level stream table (3.3.2)");
		return;
	}
	/* StreamIDs 0x00-0x3f in l2a, 0x40-0x7f without an L2 table (Span 0), 0x80-0xbf in l2b. */
	fill(l2a, 1u << L2_SPLIT, STE_V | STE_CONFIG(STE_CFG_BYPASS));
	fill(l2b, 1u << L2_SPLIT, STE_V | STE_CONFIG(STE_CFG_BYPASS));
	set_ste(l2b, 5, 0);
	l1[0] = L1STD((uintptr_t)l2a, SPAN_64);
	l1[1] = 0;
	l1[2] = L1STD((uintptr_t)l2b, SPAN_64);
	l1[3] = 0;
	tap_check(smmu_set_cr0(CR0_CMDQEN | CR0_EVTQEN), "SMMUEN cleared, acknowledged in CR0ACK (6.3.9, 6.3.10)");
	smmu_write64(STRTAB_BASE, (uintptr_t)l1);
	smmu_write(STRTAB_BASE_CFG, cfg);
	tap_check(smmu_read(STRTAB_BASE) == (uint32_t)(uintptr_t)l1 && smmu_read(STRTAB_BASE_CFG) == cfg,
		  "2-level STRTAB_BASE_CFG read back: FMT 1, SPLIT %u, LOG2SIZE %u (6.3.24)", L2_SPLIT, L2_LOG2SIZE);
	smmu_set_cr0(CR0_SMMUEN | CR0_CMDQEN | CR0_EVTQEN);
	prefetch(0x03);
	prefetch(0x86);
	tap_check(!evtq_pending() && cmdq_drain(),
		  "2-level: valid STEs 0x03 (first L2 table) and 0x86 (third): no event (3.3.2)");
	tap_check(bad_event(0x85, EVT_C_BAD_STE, evt),
		  "2-level: STE 0x85 with V == 0 in the third L2 table: C_BAD_STE for StreamID 0x85 (3.3.2, 7.3.4)");
	tap_check(bad_event(0x45, EVT_C_BAD_STREAMID, evt),
		  "2-level: L1 descriptor with Span 0: C_BAD_STREAMID for StreamID 0x45 (5.1, 7.3.2)");
	tap_check(bad_event(1u << L2_LOG2SIZE, EVT_C_BAD_STREAMID, evt),
		  "2-level: StreamID beyond LOG2SIZE: C_BAD_STREAMID (6.3.24, 7.3.2)");
}
