/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated Arm SMMUv3 (IHI 0070) a guest's arm-smmu-v3 driver programs: register pages 0/1
 * (smmuv3_regs.c), stream table and context descriptors in guest RAM (smmuv3_strtab.c), the command
 * queue (smmuv3_cmdq.c), the event queue (smmuv3_evtq.c), the PRI queue and CMD_PRI_RESP
 * (smmuv3_priq.c, for the I/O page fault service iopf.h), and the MMIO device of a VM (smmuv3_dev.c). Translation and invalidation go to a vIOMMU backend (viommu.h).
 *
 * Locking: one mutex per SMMU. The MMIO callback and smmuv3_translate() take it; functions marked
 * "locked" below expect the caller to hold it.
 */
#ifndef NESTVM_SMMUV3_H
#define NESTVM_SMMUV3_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "iommu/smmuv3_defs.h"
#include "iommu/viommu.h"

struct guest_mem;
struct iopf;
struct iopf_group;

/* The feature set the guest sees; the nested backend will derive it from IOMMU_GET_HW_INFO. */
#define SMMUV3_MAX_SSIDSIZE 20     /* IHI 0070 6.3.2: IDR1.SSIDSIZE is at most 20 */

struct smmuv3_features {
	bool two_level_st;          /* IDR0.ST_LVL */
	bool msi;                   /* IDR0.MSI: MSI-capable interrupts and CMD_SYNC completion writes */
	bool sev;                   /* IDR0.SEV */
	bool ats;                   /* IDR0.ATS (ATC_INV legal) */
	bool ril;                   /* IDR3.RIL: range TLBI */
	bool gran4k, gran16k, gran64k;
	uint8_t sidsize;            /* IDR1.SIDSIZE: StreamID bits (16 for PCI RIDs) */
	uint8_t ssidsize;           /* IDR1.SSIDSIZE: SubstreamID bits, 0 = no PASIDs (at most SMMUV3_MAX_SSIDSIZE) */
	uint8_t cmdqs, evtqs;       /* IDR1.CMDQS/EVTQS: log2 of max queue entries */
	bool pri;                   /* IDR0.PRI: the PRI queue and CMD_PRI_RESP (set with an iopf source) */
	uint8_t priqs;              /* IDR1.PRIQS */
	uint8_t oas;                /* IDR5.OAS encoding (4 = 44 bits) */
	uint32_t iidr, aidr;
};

enum smmuv3_irq {
	SMMUV3_IRQ_EVTQ,            /* wired lines in the order of the DT binding's interrupt-names */
	SMMUV3_IRQ_PRIQ,
	SMMUV3_IRQ_CMD_SYNC,
	SMMUV3_IRQ_GERROR,
	SMMUV3_NR_IRQS,
};

struct smmuv3_hooks {
	void (*irq)(void *opaque, enum smmuv3_irq line);                /* pulse a wired interrupt */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);        /* 32-bit MSI write */
	/* Translations may have changed (the guest's TLBI/CFGI, SMMUEN, GBPA): called without the
	 * SMMU lock at the end of the register access that caused it, so MSI routes can follow. */
	void (*xlate_changed)(void *opaque);
};

struct smmuv3_queue {
	uint64_t base;              /* *_BASE as written (masked) */
	uint32_t prod, cons;        /* index | wrap (| OVFLG / OVACKFLG / ERR) as the registers show */
};

#define SMMUV3_MAX_STREAMS 64
#define SMMUV3_BATCH VIOMMU_INV_BATCH

/* A StreamID with a device behind this SMMU (emulated or assigned). */
struct smmuv3_stream {
	uint32_t sid;
	bool loaded;                /* the backend's attachment reflects the guest's current tables */
	bool cfg_err;               /* the config is bad: every transaction records ERR_EVT */
	bool record;                /* CD.R: record stage-1 translation faults */
	uint64_t err_evt[EVT_DWORDS];
};

struct smmuv3 {
	pthread_mutex_t lock;
	const struct guest_mem *mem;
	struct viommu *viommu;
	struct smmuv3_hooks hooks;
	void *opaque;
	struct smmuv3_features feat;

	uint32_t idr[6];
	uint32_t cr0, cr1, cr2;     /* CR0ACK == CR0: updates complete at once */
	uint32_t gbpa;
	uint32_t irq_ctrl;          /* IRQ_CTRLACK == IRQ_CTRL */
	uint32_t gerror, gerrorn;
	uint64_t gerror_irq_cfg0;
	uint32_t gerror_irq_cfg1, gerror_irq_cfg2;
	uint64_t strtab_base;
	uint32_t strtab_base_cfg;
	struct smmuv3_queue cmdq, evtq, priq;
	uint64_t evtq_irq_cfg0, priq_irq_cfg0;
	uint32_t evtq_irq_cfg1, evtq_irq_cfg2, priq_irq_cfg1, priq_irq_cfg2;
	struct iopf *iopf;          /* the page request source (smmuv3_set_iopf); NULL: none */

	struct smmuv3_stream streams[SMMUV3_MAX_STREAMS];
	unsigned int nr_streams;

	struct viommu_inval batch[SMMUV3_BATCH];
	unsigned int nr_batch;
	bool atc_timeout;           /* an ATC invalidation timed out: the next CMD_SYNC reports it */
	bool xlate_changed;         /* hooks.xlate_changed is due when the MMIO access ends */
	bool frozen;                /* live update, restoring: streams not attached yet (smmuv3_state.h) */
	uint64_t nr_cmds, nr_events, nr_events_lost;
	uint64_t nr_pri_reqs, nr_pri_lost, nr_pri_resps;    /* PRIQ entries written, lost; CMD_PRI_RESPs */
};

void smmuv3_default_features(struct smmuv3_features *f);
/* MEM is where the guest's tables and queues live; V the backend (owned by the caller). */
int smmuv3_init(struct smmuv3 *s, const struct smmuv3_features *f, const struct guest_mem *mem,
		struct viommu *v, const struct smmuv3_hooks *hooks, void *opaque);
void smmuv3_destroy(struct smmuv3 *s);
/* Replaces the feature set (IDRs) before the guest runs, e.g. clamped to what a host can nest. */
int smmuv3_set_features(struct smmuv3 *s, const struct smmuv3_features *f);
/* Architectural reset values; detaches every stream per GBPA. */
void smmuv3_reset(struct smmuv3 *s);
/* Puts SID behind this SMMU (before the guest runs). -ENOSPC, -EINVAL (SID beyond SIDSIZE). */
int smmuv3_add_stream(struct smmuv3 *s, uint32_t sid);

/* The bus callback for pages 0 and 1 (SMMU_MMIO_SIZE bytes). */
void smmuv3_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/*
 * The software path for an emulated device's DMA: IOVA -> guest physical address. Returns 0 with
 * OUT filled; -EFAULT when the access is terminated (the spec-defined event, if any, is recorded);
 * -ENODEV when SID was never added.
 */
int smmuv3_translate(struct smmuv3 *s, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out);
/* The same without recording an event for a fault (a re-translation of what already faulted). */
int smmuv3_translate_quiet(struct smmuv3 *s, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out);

/*
 * A backend's own event (viommu_event_fn, FRONTEND = the smmuv3): RAW is an event record already in
 * the guest's terms (nested: a vEVENTQ record), pushed into the guest EVTQ as it is. Takes the lock.
 */
void smmuv3_backend_event(void *frontend, const struct viommu_fault *f, const void *raw, unsigned int raw_len);

/*
 * Page requests (smmuv3_priq.c). The iopf front-end ops (FE = the smmuv3): deliver writes a group's
 * PRIQ entries (takes the lock), lost records a PRIQ overflow for requests nestvm's bounds answered.
 */
extern const struct iopf_frontend smmuv3_iopf_frontend;
/* IOPF answers the guest's CMD_PRI_RESPs from now on; IDR0.PRI is then offered (before the guest runs). */
int smmuv3_set_iopf(struct smmuv3 *s, struct iopf *iopf);

/* A decoded CMD_PRI_RESP (4.7.1). */
struct smmuv3_pri_resp {
	uint32_t sid, ssid, grpid;
	bool ssv;
	unsigned int resp;          /* PRI_RESP_DENY / FAIL / SUCC */
};
/* Decodes CMD (2 words); -EINVAL for the reserved Resp 0b11. Pure (fuzzed). */
int smmuv3_pri_resp_decode(const uint64_t cmd[2], struct smmuv3_pri_resp *out);
/* Entry I of group G as a PRIQ entry (chapter 8). Pure. */
void smmuv3_priq_encode(const struct iopf_group *g, unsigned int i, uint64_t ent[PRIQ_DWORDS]);

/* --- between the smmuv3_*.c files (all "locked") --- */
/* Executes CMD_PRI_RESP: 0, or the CERROR code for the command queue. */
unsigned int smmuv3_pri_resp(struct smmuv3 *s, const uint64_t cmd[2]);
/* Queue geometry from a *_BASE value capped at the IDR1 maximum. */
unsigned int smmuv3_q_log2size(uint64_t base, unsigned int max);
uint64_t smmuv3_q_addr(uint64_t base, unsigned int log2size, unsigned int entry_bytes);
/* Consumes commands from CMDQ_CONS to CMDQ_PROD while enabled and no error is pending. */
void smmuv3_cmdq_run(struct smmuv3 *s);
/* Records an event (7.3); dropped when EVTQEN is clear, overflow per 7.4. */
void smmuv3_evtq_push(struct smmuv3 *s, const uint64_t evt[EVT_DWORDS]);
/* Activates GERROR bits (not already active) and interrupts when GERROR_IRQEN (7.5). */
void smmuv3_gerror_raise(struct smmuv3 *s, uint32_t bits);
/* Interrupt for EVTQ / GERROR: MSI when configured (IDR0.MSI and CFG0.ADDR != 0), else wired. */
void smmuv3_signal(struct smmuv3 *s, enum smmuv3_irq line, uint64_t cfg0, uint32_t cfg1);
/*
 * Reads and validates the config of SID (STE, then CD 0 for stage 1). Returns 0 with CFG filled, or
 * -EINVAL with EVT holding the configuration error's event record (C_BAD_STE, F_STE_FETCH, ...).
 */
int smmuv3_load_config(struct smmuv3 *s, uint32_t sid, struct viommu_stream_cfg *cfg, uint64_t evt[EVT_DWORDS]);
/* Re-attaches the registered streams with StreamID in [FIRST, LAST] (CFGI, SMMUEN/GBPA changes). */
void smmuv3_reload_streams(struct smmuv3 *s, uint32_t first, uint32_t last);
/* Event record word 0 (7.3). */
static inline uint64_t smmuv3_evt0(unsigned int id, uint32_t sid)
{
	return (uint64_t)id | (uint64_t)sid << 32;
}

#endif
