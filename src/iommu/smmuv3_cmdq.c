// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMUv3 command queue (IHI 0070 chapter 4, 3.5): commands are consumed from CMDQ_CONS to CMDQ_PROD
 * when the guest moves PROD. Invalidations are collected and handed to the backend as one batch at
 * each CMD_SYNC (or when the batch fills, or before a CFGI_STE re-attaches a stream, to keep order),
 * so a nested backend forwards a burst with as few host calls as possible.
 *
 * Errors (7.1): CMDQ_CONS.ERR gets the CERROR code, CMDQ_CONS points at the offending command,
 * GERROR.CMDQ_ERR becomes active and the queue stops until the guest acknowledges it in GERRORN.
 */
#include <errno.h>

#include "iommu/smmuv3.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

struct cmdq_err {
	unsigned int cerror;        /* CERROR_NONE when the command completed */
	uint32_t at;                /* queue position (index | wrap) of the offending command */
};

/* Hands the collected invalidations to the backend; AT_SYNC: on behalf of a CMD_SYNC. */
static void flush_batch(struct smmuv3 *s, struct cmdq_err *e, bool at_sync)
{
	unsigned int done = 0, n = s->nr_batch;
	int r;

	if (!n)
		goto out_sync;
	r = viommu_invalidate(s->viommu, s->batch, n, &done);
	s->nr_batch = 0;
	s->xlate_changed = true;
	if (r == -ETIMEDOUT) {
		/* A timed-out ATC invalidation is reported at the CMD_SYNC waiting for it (7.1). */
		s->atc_timeout = true;
	} else if (r) {
		/* The guest sees the command the host refused as illegal (a nested backend's host
		 * validates what we forward). */
		e->cerror = CERROR_ILL;
		e->at = s->batch[done < n ? done : n - 1].cookie;
		return;
	}
out_sync:
	if (at_sync && s->atc_timeout) {
		s->atc_timeout = false;
		e->cerror = CERROR_ATC_INV_SYNC;
	}
}

static void queue_inval(struct smmuv3 *s, const struct viommu_inval *inv, struct cmdq_err *e)
{
	if (s->nr_batch == SMMUV3_BATCH) {
		flush_batch(s, e, false);
		if (e->cerror)
			return;
	}
	s->batch[s->nr_batch++] = *inv;
}

/* The invalidated range of TLBI_NH_VA/VAA (4.4.2): one address, or with RIL a range of (NUM+1) *
 * 2^SCALE pages of the TG granule. */
static uint64_t tlbi_size(const struct smmuv3 *s, const uint64_t cmd[2])
{
	static const uint8_t tg_shift[4] = { 0, 12, 14, 16 };
	unsigned int tg = CMD1_TLBI_TG(cmd[1]);

	if (!s->feat.ril || tg == 0)
		return 1;
	return (CMD_TLBI_NUM(cmd[0]) + 1) << (CMD_TLBI_SCALE(cmd[0]) + tg_shift[tg]);
}

static void mark_unloaded(struct smmuv3 *s, uint32_t sid)
{
	for (unsigned int i = 0; i < s->nr_streams; i++)
		if (s->streams[i].sid == sid)
			s->streams[i].loaded = false;
}

/*
 * PREFETCH_CONFIG fetches the STE (and CD 0) of SID into the configuration cache (4.2.1). We cache
 * nothing, but fetching validates, and a configuration error found by a prefetch may be recorded
 * (C_BAD_STE and the other configuration errors of 7.3): this is how a guest without DMA-capable
 * devices (the bare-metal conformance payload) gets its STEs checked. Transaction faults
 * (F_STREAM_DISABLED, S1DSS terminate) are not configuration errors and need a transaction.
 */
static void prefetch_config(struct smmuv3 *s, uint32_t sid)
{
	struct viommu_stream_cfg cfg;
	uint64_t evt[EVT_DWORDS];
	unsigned int id;

	if (!(s->cr0 & CR0_SMMUEN) || !smmuv3_load_config(s, sid, &cfg, evt))
		return;
	id = (unsigned int)(evt[0] & 0xff);
	if (id == EVT_F_STREAM_DISABLED || (id == EVT_C_BAD_STREAMID && !(s->cr2 & CR2_RECINVSID)))
		return;     /* invalid StreamIDs are recorded only when CR2.RECINVSID asks (6.3.12) */
	smmuv3_evtq_push(s, evt);
}

static void do_sync(struct smmuv3 *s, const uint64_t cmd[2], struct cmdq_err *e)
{
	unsigned int cs = CMD_SYNC_CS(cmd[0]);
	uint64_t addr = cmd[1] & CMD1_SYNC_MSIADDR;

	if (cs == 3) {
		e->cerror = CERROR_ILL;     /* CS 0b11 is reserved (4.7.3) */
		return;
	}
	flush_batch(s, e, true);
	if (e->cerror)
		return;
	/* SIG_IRQ completes with an MSI write of MSIData to MSIAddress when MSIs are supported and
	 * the address is nonzero (Linux points it at the CMD_SYNC itself and polls), else on the
	 * wired "cmdq-sync" line. SIG_SEV: the PEs poll CONS, which is already updated. */
	if (cs == SYNC_CS_IRQ) {
		if (s->feat.msi && addr) {
			if (s->hooks.msi)
				s->hooks.msi(s->opaque, addr, (uint32_t)CMD_SYNC_MSIDATA(cmd[0]));
		} else if (s->hooks.irq) {
			s->hooks.irq(s->opaque, SMMUV3_IRQ_CMD_SYNC);
		}
	}
}

static void execute(struct smmuv3 *s, const uint64_t cmd[2], uint32_t pos, struct cmdq_err *e)
{
	struct viommu_inval inv = { .raw = { cmd[0], cmd[1] }, .cookie = pos };
	uint32_t sid = (uint32_t)CMD_SID(cmd[0]);

	switch (CMD_OP(cmd[0])) {
	case CMD_PREFETCH_CONFIG:
	case CMD_PREFETCH_ADDR:
		if (cmd[0] & CMD_SSEC) {
			e->cerror = CERROR_ILL;     /* Secure stream from the Non-secure queue (4.2) */
			return;
		}
		if (CMD_OP(cmd[0]) == CMD_PREFETCH_CONFIG)
			prefetch_config(s, sid);
		return;     /* otherwise a hint: nothing to prefetch into */
	case CMD_CFGI_STE:
	case CMD_CFGI_STE_RANGE: {
		uint32_t first = sid, last = sid;

		if (cmd[0] & CMD_SSEC) {
			e->cerror = CERROR_ILL;
			return;
		}
		if (CMD_OP(cmd[0]) == CMD_CFGI_STE_RANGE) {
			/* 2^(Range+1) STEs aligned to that size; Range 31 is every StreamID (4.3.2). */
			unsigned int range = CMD1_RANGE(cmd[1]);

			if (range >= 31) {
				first = 0;
				last = UINT32_MAX;
			} else {
				first = sid & ~((2u << range) - 1);
				last = first + ((2u << range) - 1);
			}
		}
		/* Invalidations queued before it apply to the old config: keep the order. */
		flush_batch(s, e, false);
		if (e->cerror)
			return;
		smmuv3_reload_streams(s, first, last);
		return;
	}
	case CMD_CFGI_CD:
	case CMD_CFGI_CD_ALL:
		if (cmd[0] & CMD_SSEC) {
			e->cerror = CERROR_ILL;
			return;
		}
		inv.kind = VIOMMU_INV_CD;
		inv.sid = sid;
		inv.ssid = (uint32_t)CMD_SSID(cmd[0]);
		inv.all_ssids = CMD_OP(cmd[0]) == CMD_CFGI_CD_ALL;
		inv.leaf = cmd[1] & CMD1_LEAF;
		mark_unloaded(s, sid);      /* the front-end's decoded CD is stale: reload on next use */
		queue_inval(s, &inv, e);
		return;
	case CMD_TLBI_NH_ALL:
	case CMD_TLBI_NSNH_ALL:
		inv.kind = VIOMMU_INV_ALL;
		queue_inval(s, &inv, e);
		return;
	case CMD_TLBI_NH_ASID:
		inv.kind = VIOMMU_INV_ASID;
		inv.asid = (uint16_t)CMD_ASID(cmd[0]);
		queue_inval(s, &inv, e);
		return;
	case CMD_TLBI_NH_VA:
	case CMD_TLBI_NH_VAA:
		inv.kind = CMD_OP(cmd[0]) == CMD_TLBI_NH_VA ? VIOMMU_INV_VA : VIOMMU_INV_VAA;
		inv.asid = (uint16_t)CMD_ASID(cmd[0]);
		/* The software IOTLB keys entries on untagged addresses (s1walk_tlb_va): a TLBI of a
		 * tagged address applies to its untagged form. Without TBI that may remove more than
		 * needed, which invalidation always may (IHI 0070 3.17). Nested forwards the raw command. */
		inv.iova = s1walk_va_untag(cmd[1] & CMD1_ADDR);
		inv.size = tlbi_size(s, cmd);
		inv.leaf = cmd[1] & CMD1_LEAF;
		queue_inval(s, &inv, e);
		return;
	case CMD_ATC_INV:
		if (!s->feat.ats || (cmd[0] & CMD_SSEC)) {
			e->cerror = CERROR_ILL;     /* ATC_INV needs IDR0.ATS (4.5.1) */
			return;
		}
		inv.kind = VIOMMU_INV_ATC;
		inv.sid = sid;
		inv.ssid = (uint32_t)CMD_SSID(cmd[0]);
		inv.all_ssids = cmd[0] & CMD_ATC_GLOBAL;
		inv.iova = cmd[1] & CMD1_ADDR;
		inv.size = CMD1_ATC_SIZE(cmd[1]) >= 52 ? UINT64_MAX : 4096ull << CMD1_ATC_SIZE(cmd[1]);
		queue_inval(s, &inv, e);
		return;
	case CMD_PRI_RESP:
		e->cerror = smmuv3_pri_resp(s, cmd);
		return;
	case CMD_SYNC:
		do_sync(s, cmd, e);
		return;
	default:
		/* Unknown opcodes, and EL2/stage-2/stall commands this SMMU does not offer. */
		pr_debug("smmuv3: illegal command 0x%02llx", (unsigned long long)CMD_OP(cmd[0]));
		e->cerror = CERROR_ILL;
		return;
	}
}

static int read_cmd(const struct smmuv3 *s, uint64_t gpa, uint64_t cmd[2])
{
	uint8_t b[16];

	if (gmem_read(s->mem, gpa, b, sizeof(b)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		cmd[i] = 0;
		for (int j = 7; j >= 0; j--)
			cmd[i] = cmd[i] << 8 | b[i * 8 + j];
	}
	return 0;
}

void smmuv3_cmdq_run(struct smmuv3 *s)
{
	unsigned int log2 = smmuv3_q_log2size(s->cmdq.base, s->feat.cmdqs);
	uint32_t ptr_mask = (2u << log2) - 1, idx_mask = (1u << log2) - 1;
	uint64_t base = smmuv3_q_addr(s->cmdq.base, log2, 16);
	uint32_t cons = s->cmdq.cons & ptr_mask, prod = s->cmdq.prod & ptr_mask;
	struct cmdq_err e = { .cerror = CERROR_NONE, .at = UINT32_MAX };

	if (!(s->cr0 & CR0_CMDQEN) || ((s->gerror ^ s->gerrorn) & GERROR_CMDQ_ERR))
		return;
	/*
	 * Index plus wrap bit (3.5.1): equal is empty, equal indexes with different wraps is full, and
	 * a PROD making the queue hold more than its 2^LOG2SIZE entries (PROD.WR > CONS.RD with the
	 * wraps different, or PROD.WR < CONS.RD with them equal) is an incoherent state. For that 3.5.1
	 * permits consuming at UNKNOWN positions or not consuming at all; it is not a command error, so
	 * no CERROR applies. We consume nothing until the guest writes a coherent PROD: one doorbell
	 * never runs more than one queue's worth of commands.
	 */
	if (((prod - cons) & ptr_mask) > idx_mask + 1) {
		pr_debug("smmuv3: CMDQ_PROD 0x%x incoherent with CMDQ_CONS 0x%x: nothing consumed", prod, cons);
		return;
	}
	while (cons != prod) {
		uint64_t cmd[2];

		if (read_cmd(s, base + (uint64_t)(cons & idx_mask) * 16, cmd)) {
			e.cerror = CERROR_ABT;
			e.at = cons;
			break;
		}
		s->nr_cmds++;
		execute(s, cmd, cons, &e);
		if (e.cerror) {
			if (e.at == UINT32_MAX)
				e.at = cons;
			break;
		}
		cons = (cons + 1) & ptr_mask;
	}
	/*
	 * Invalidations consumed without a SYNC (or before an illegal command) take effect now; a
	 * failure among them is at an earlier position than any error that stopped the loop.
	 */
	{
		struct cmdq_err fe = { .cerror = CERROR_NONE, .at = UINT32_MAX };

		flush_batch(s, &fe, false);
		if (fe.cerror)
			e = fe;
	}
	if (e.cerror) {
		s->cmdq.cons = (e.at & ptr_mask) | e.cerror << CMDQ_CONS_ERR_SHIFT;
		smmuv3_gerror_raise(s, GERROR_CMDQ_ERR);
		return;
	}
	s->cmdq.cons = cons;
}
