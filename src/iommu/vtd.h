/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated Intel VT-d remapping unit (VT-d spec rev 5) an x86 guest's intel-iommu driver
 * programs, in legacy or scalable mode: the register file (vtd_regs.c, chapter 11), root and
 * context tables in guest RAM (vtd_ctx.c, 3.4 / 9.1-9.4; scalable mode's PASID directory and table
 * for requests without PASID, 9.5 / 9.6), the invalidation queue and the register-based
 * invalidations (vtd_iq.c, 6.5), primary fault logging and the fault event (vtd_fault.c, 7.2 /
 * 7.3), interrupt remapping (vtd_ir.c, chapter 5 / 9.10), and the device of a VM (vtd_dev.c).
 * DMA of emulated devices is translated by the software vIOMMU backend (viommu.h) with the VT-d
 * second- or first-stage walker as its pgwalk_ops (vtd_pgwalk.c).
 *
 * Locking: one mutex per unit. The MMIO callback, vtd_translate() and vtd_ir_translate() take it;
 * functions marked "locked" expect the caller to hold it. Hooks are called with it held except
 * xlate_changed, which runs after it is released.
 */
#ifndef NESTVM_VTD_H
#define NESTVM_VTD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "iommu/viommu.h"

struct guest_mem;
struct iopf;
struct iopf_group;

/* Register offsets (11.4, Table "Register Address Map"). */
#define VTD_VER         0x000
#define VTD_CAP         0x008
#define VTD_ECAP        0x010
#define VTD_GCMD        0x018
#define VTD_GSTS        0x01c
#define VTD_RTADDR      0x020
#define VTD_CCMD        0x028
#define VTD_FSTS        0x034
#define VTD_FECTL       0x038
#define VTD_FEDATA      0x03c
#define VTD_FEADDR      0x040
#define VTD_FEUADDR     0x044
#define VTD_IQH         0x080
#define VTD_IQT         0x088
#define VTD_IQA         0x090
#define VTD_ICS         0x09c
#define VTD_IECTL       0x0a0
#define VTD_IEDATA      0x0a4
#define VTD_IEADDR      0x0a8
#define VTD_IEUADDR     0x0ac
#define VTD_IQERCD      0x0b0
#define VTD_IRTA        0x0b8
/* The page request queue and its event (11.4.11, present with ECAP.PRS; vtd_prq.c). */
#define VTD_PQH         0x0c0
#define VTD_PQT         0x0c8
#define VTD_PQA         0x0d0
#define VTD_PRS         0x0dc
#define VTD_PECTL       0x0e0
#define VTD_PEDATA      0x0e4
#define VTD_PEADDR      0x0e8
#define VTD_PEUADDR     0x0ec
/* Where ECAP.IRO and CAP.FRO put the IOTLB registers and the fault recording registers (ours). */
#define VTD_IVA         0x100       /* ECAP.IRO = 0x10 (16-byte units) */
#define VTD_IOTLB       0x108
#define VTD_FRCD        0x200       /* CAP.FRO = 0x20 */
#define VTD_NFR         8           /* fault recording registers: CAP.NFR = 7 */
#define VTD_MMIO_SIZE   0x1000

#define VTD_VERSION     0x10        /* 11.4.1: major 1, minor 0 (what Linux and QEMU report) */

/* CAP_REG (11.4.2). */
#define CAP_ND(x)       ((uint64_t)(x) << 0)        /* 6: 16-bit domain ids */
#define CAP_CM          (1ull << 7)
#define CAP_SAGAW(x)    ((uint64_t)(x) << 8)        /* bit 1: 39-bit/3-level, 2: 48/4, 3: 57/5 */
#define CAP_MGAW(x)     ((uint64_t)((x) - 1) << 16)
#define CAP_FRO(x)      ((uint64_t)((x) >> 4) << 24)
#define CAP_SLLPS(x)    ((uint64_t)(x) << 34)       /* bit 0: 2 MiB, bit 1: 1 GiB */
#define CAP_PSI         (1ull << 39)
#define CAP_NFR(x)      ((uint64_t)((x) - 1) << 40)
#define CAP_MAMV(x)     ((uint64_t)(x) << 48)
#define CAP_DWD         (1ull << 54)
#define CAP_DRD         (1ull << 55)
#define CAP_FL1GP       (1ull << 56)    /* first stage: 1 GiB pages */
#define CAP_FL5LP       (1ull << 60)    /* first stage: 5-level paging */

/* ECAP_REG (11.4.3). */
#define ECAP_C          (1ull << 0)     /* page-walk coherency: no clflush needed by the driver */
#define ECAP_QI         (1ull << 1)
#define ECAP_DT         (1ull << 2)     /* 11.4.3 DT: device-TLBs (ATS); legacy TT 01b, 6.5.2.5/6.5.2.6 */
#define ECAP_IR         (1ull << 3)
#define ECAP_EIM        (1ull << 4)     /* 32-bit x2APIC destination ids in IRTEs */
#define ECAP_PT         (1ull << 6)     /* pass-through context entries (TT = 10b) */
#define ECAP_IRO(x)     ((uint64_t)((x) >> 4) << 8)
#define ECAP_MHMV(x)    ((uint64_t)(x) << 20)
#define ECAP_PRS        (1ull << 29)    /* page requests (the page request queue, 7.5); only with SMTS */
#define ECAP_PSS(x)     ((uint64_t)((x) - 1) << 35) /* PASID size supported: PASIDs of x bits */
#define ECAP_PASID      (1ull << 40)    /* PASID-granular translation (requests with PASID) */
#define ECAP_PDS        (1ull << 42)    /* page request drain: the wait descriptor's PD bit (6.5.2.8) */
#define ECAP_SMTS       (1ull << 43)    /* scalable-mode translation */
#define ECAP_SLTS       (1ull << 46)    /* second-stage translation in scalable mode */
#define ECAP_FLTS       (1ull << 47)    /* first-stage translation in scalable mode */
#define ECAP_SMPWC      (1ull << 48)    /* scalable-mode walks are coherent: no clflush needed */

/* GCMD_REG / GSTS_REG (11.4.4): command bits and the status bits at the same positions. */
#define GCMD_TE         (1u << 31)
#define GCMD_SRTP       (1u << 30)
#define GCMD_SFL        (1u << 29)
#define GCMD_EAFL       (1u << 28)
#define GCMD_WBF        (1u << 27)
#define GCMD_QIE        (1u << 26)
#define GCMD_IRE        (1u << 25)
#define GCMD_SIRTP      (1u << 24)
#define GCMD_CFI        (1u << 23)

/* The address field (63:12) of RTADDR, IQA, IRTA and PQA: "hardware ignores and does not implement
 * bits 63:HAW" (11.4.5, 11.4.9.6, 11.4.9.13, 11.4.11.3), so they read 0. HAW is 32..52 here. */
#define VTD_ADDR_BITS(haw) (((1ull << (haw)) - 1) & ~0xfffull)

/* RTADDR_REG (11.4.5): RTA 63:12, TTM 11:10 (00 legacy, 01 scalable with ECAP.SMTS; no abort-DMA mode). */
#define RTADDR_MASK     (~0xfffull)
#define RTADDR_TTM(v)   (((v) >> 10) & 3)

/* CCMD_REG (11.4.6.1): ICC 63, CIRG 62:61, CAIG 60:59 (hardware's), FM 33:32, SID 31:16, DID 15:0;
 * 58:34 reserved. */
#define CCMD_ICC        (1ull << 63)
#define CCMD_SW         (3ull << 61 | 0x3ffffffffull)      /* CIRG, FM, SID, DID */
#define CCMD_CIRG(v)    (((v) >> 61) & 3)
#define CCMD_CAIG(g)    ((uint64_t)(g) << 59)
#define CCMD_FM(v)      (((v) >> 32) & 3)
#define CCMD_SID(v)     ((uint16_t)((v) >> 16))
#define CCMD_DID(v)     ((uint16_t)(v))

/* IOTLB_REG / IVA_REG (11.4.7). */
#define IOTLB_IVT       (1ull << 63)
#define IOTLB_IIRG(v)   (((v) >> 60) & 3)
#define IOTLB_IAIG(g)   ((uint64_t)(g) << 57)
#define IOTLB_DID(v)    ((uint16_t)((v) >> 32))
#define IVA_AM(v)       ((unsigned int)((v) & 0x3f))

/* FSTS_REG (11.4.9.1). */
#define FSTS_PFO        (1u << 0)       /* RW1C */
#define FSTS_PPF        (1u << 1)       /* RO: some FRCD has F set */
#define FSTS_IQE        (1u << 4)       /* RW1C */
#define FSTS_ICE        (1u << 5)
#define FSTS_ITE        (1u << 6)
#define FSTS_FRI(x)     ((uint32_t)(x) << 8)
/* FECTL_REG / IECTL_REG (11.4.9.2, 11.4.9.10). */
#define FECTL_IM        (1u << 31)
#define FECTL_IP        (1u << 30)

/* FRCD_REG high qword (11.4.14). */
#define FRCD_F          (1ull << 63)
#define FRCD_T1         (1ull << 62)    /* 1: read request, 0: write */
#define FRCD_FR(x)      ((uint64_t)(x) << 32)

/* IQA_REG (11.4.9.6): IQA 63:12, DW bit 11 (256-bit descriptors: scalable mode only), QS 2:0. */
#define IQA_QS(v)       ((unsigned int)((v) & 7))
#define IQA_DW          (1ull << 11)
#define IQA_MASK        (~0xfffull | 7)
/* IQERCD_REG (11.4.9.9): IQEI 3:0. */
#define IQEI_TAIL       1               /* IQT beyond the queue */
#define IQEI_FETCH      2               /* a descriptor read failed */
#define IQEI_TYPE       3               /* invalid descriptor type */
#define IQEI_RSVD       4               /* a reserved field of a descriptor is set */
/* ICS_REG (11.4.9.7). */
#define ICS_IWC         (1u << 0)

/* PQH_REG / PQT_REG (11.4.11.1-2): a byte offset into the queue, bits 18:5 (256-bit descriptors). */
#define PQ_OFF_MASK     0x7ffe0ull
/* PQA_REG (11.4.11.3): PQA 63:12, PQS 2:0: 2^PQS 4-KiB pages, 2^(PQS+7) 32-byte descriptors. */
#define PQA_PQS(v)      ((unsigned int)((v) & 7))
#define PQA_MASK        (~0xfffull | 7)
#define PRQ_DESC_SIZE   32
/* PRS_REG (11.4.11.4): PPR bit 0 (a request was written), PRO bit 1 (one was dropped); both RW1C. */
#define PRS_PPR         (1u << 0)
#define PRS_PRO         (1u << 1)

/* IRTA_REG (11.4.9.13): IRTA 63:12, EIME bit 11, S 3:0 (2^(S+1) entries). */
#define IRTA_EIME       (1ull << 11)
#define IRTA_MASK       (~0xfffull | IRTA_EIME | 0xf)

/* Interrupt-remapping fault reasons (Appendix A). */
#define VTD_FR_IR_REQ_RSVD      0x20    /* reserved field of a remappable request set */
#define VTD_FR_IR_INDEX         0x21    /* handle beyond the IRT size (IRTA.S) */
#define VTD_FR_IR_NOT_PRESENT   0x22    /* IRTE P = 0 */
#define VTD_FR_IR_FETCH         0x23    /* reading the IRTE through IRTA failed */
#define VTD_FR_IR_IRTE_RSVD     0x24    /* reserved field of a present IRTE set */
#define VTD_FR_IR_COMPAT        0x25    /* compatibility-format interrupt blocked (IRE=1, CFIS=0) */
#define VTD_FR_IR_SID           0x26    /* source id check of the IRTE (SVT/SQ/SID) failed */
/* Root / context table fault reasons (Appendix A, legacy mode). */
#define VTD_FR_ROOT_NOT_PRESENT 0x01
#define VTD_FR_CTX_NOT_PRESENT  0x02
#define VTD_FR_ROOT_FETCH       0x08
#define VTD_FR_CTX_FETCH        0x09
#define VTD_FR_ROOT_RSVD        0x0a
/* Scalable mode (Appendix A: SRTA, SRT, SCT, SPD, SPT). */
#define VTD_FR_SM_RTADDR        0x30    /* invalid root table address / TTM */
#define VTD_FR_SM_ROOT_FETCH    0x38
#define VTD_FR_SM_ROOT_NOT_PRESENT 0x39
#define VTD_FR_SM_ROOT_RSVD     0x3a
#define VTD_FR_SM_CTX_FETCH     0x40
#define VTD_FR_SM_CTX_NOT_PRESENT 0x41
#define VTD_FR_SM_CTX_RSVD      0x42
#define VTD_FR_SM_CTX_PASID_MAX 0x46    /* the PASID is beyond the directory (PDTS) */
#define VTD_FR_SM_CTX_RID_PASID 0x48
#define VTD_FR_SM_PDE_FETCH     0x50
#define VTD_FR_SM_PDE_NOT_PRESENT 0x51
#define VTD_FR_SM_PDE_RSVD      0x52
#define VTD_FR_SM_PE_FETCH      0x58
#define VTD_FR_SM_PE_NOT_PRESENT 0x59

/* The IOAPIC's source id: the DMAR IOAPIC device scope names it (bus 0xf0, device 31, function 0). */
#define VTD_IOAPIC_SID  0xf0f8

struct vtd_features {
	uint8_t mgaw;               /* CAP.MGAW + 1: guest address width (48 or 57) */
	uint8_t haw;                /* host (guest physical) address width: entry address bits */
	uint8_t sagaw;              /* CAP.SAGAW */
	bool ir, eim, qi, pt;
	bool sm;                    /* scalable mode (ECAP.SMTS, SLTS; 256-bit descriptors) */
	bool fs;                    /* with sm: first-stage translation (ECAP.FLTS, CAP.FL1GP/FL5LP) */
	bool ss;                    /* with sm: second-stage translation (ECAP.SLTS; PGTT 010b) */
	bool fl1gp, fl5lp;          /* with fs: 1-GiB pages (CAP.FL1GP), 5-level tables (CAP.FL5LP) */
	bool cm;                    /* caching mode (CAP.CM): the guest invalidates not-present -> present too */
	/* Remapped interrupts may target x2APIC ids above 255: KVM takes 32-bit destinations
	 * (KVM_CAP_X2APIC_API with KVM_X2APIC_API_USE_32BIT_IDS), bits 31:8 in address bits 63:40. */
	bool dest32;
	/* The nested backend (vtd_nested.h): an assigned device's config the host refuses is recorded
	 * as a fault (the guest never sees the host's), and the device is blocked. */
	bool nested;
	/* Device-TLBs: ECAP.DT and the device-TLB invalidation descriptors; offered only when a
	 * function behind the unit models an ATS capability (the iopf test function); nestvm's own
	 * functions cache no translations, so the invalidations complete at once. */
	bool dt;
	/* PASIDs (requests with PASID: ECAP.PASID, PSS = pasid_bits - 1), nested backend only: each PASID
	 * entry the guest sets up for an assigned function is a host attachment of its own (vtd_pasid.c).
	 * 0: none. At most VTD_MAX_PASID_BITS, so one scan of a function's PASID table stays bounded. */
	uint8_t pasid_bits;
};

#define VTD_MAX_PASID_BITS 10
#define VTD_STREAM_PASIDS 8         /* PASIDs of one assigned function attached at a time */

struct vtd_hooks {
	/* A 32-bit MSI write of the unit itself (fault event, invalidation completion event). */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
	/* Interrupt remapping may have changed (IEC invalidation, IRE, SIRTP, CFI): called without the
	 * lock at the end of the register access that caused it, so MSI routes can follow. */
	void (*xlate_changed)(void *opaque);
};

#define VTD_MAX_STREAMS 64

/* A source id with a device behind this unit. */
struct vtd_stream {
	uint16_t sid;
	bool assigned;              /* an assigned device: its config is loaded as soon as it may change */
	bool loaded;                /* attached to the backend from the current context entry */
	bool fpd;                   /* context entry FPD: faults not recorded */
	bool pri;                   /* the assigned function's PRI Enable (vtd_set_pri) */
	uint16_t did;
	uint32_t pasid[VTD_STREAM_PASIDS];  /* its PASIDs attached in the backend (vtd_pasid.c) */
	unsigned int nr_pasids;
};

struct vtd {
	pthread_mutex_t lock;
	const struct guest_mem *mem;
	struct viommu *viommu;
	struct vtd_hooks hooks;
	void *opaque;
	struct vtd_features feat;

	uint64_t cap, ecap;
	uint32_t gsts;
	uint64_t rtaddr, rta;       /* as written; latched by SRTP */
	uint64_t ccmd, iotlb, iva;
	uint32_t fsts, fectl, fedata, feaddr, feuaddr;
	uint64_t frcd[VTD_NFR][2];
	unsigned int fri;
	uint64_t iqh, iqt, iqa, iqercd;
	uint32_t ics, iectl, iedata, ieaddr, ieuaddr;
	uint64_t irta, irta_active; /* as written; latched by SIRTP */
	uint64_t pqh, pqt, pqa;     /* the page request queue (vtd_prq.c) */
	uint32_t prs, pectl, pedata, peaddr, peuaddr;
	struct iopf *iopf;          /* the page request source (vtd_set_iopf); NULL: none, no ECAP.PRS */

	struct vtd_stream streams[VTD_MAX_STREAMS];
	unsigned int nr_streams;
	bool pasid_full_said;       /* a function set up more than VTD_STREAM_PASIDS PASIDs (said once) */
	bool xlate_changed;
	bool mode_said[2];          /* "legacy"/"scalable" root table reported once each */
	uint64_t nr_descs, nr_faults, nr_faults_lost;
	/* IOTLB invalidations not yet given to the backend: the queue passes them in one batch at
	 * the next invalidation wait descriptor (or any other kind, or the end of the queue run). */
	struct viommu_inval inv_pend[VIOMMU_INV_BATCH];
	unsigned int nr_inv_pend;
	uint64_t nr_page_reqs, nr_page_reqs_lost, nr_page_resps;
};

void vtd_default_features(struct vtd_features *f);
/* A feature set vtd_init takes (pure). */
bool vtd_features_ok(const struct vtd_features *f);
/* CAP_REG and ECAP_REG as a unit with F shows them, PRS: with a page request source (pure). */
void vtd_derive_caps(const struct vtd_features *f, bool prs, uint64_t *cap, uint64_t *ecap);
int vtd_init(struct vtd *s, const struct vtd_features *f, const struct guest_mem *mem, struct viommu *v,
	     const struct vtd_hooks *hooks, void *opaque);
void vtd_destroy(struct vtd *s);
/* Power-on values (11.4: every register resets to 0 but FECTL.IM and IECTL.IM). Locked. */
void vtd_reset(struct vtd *s);
/* Puts SID behind this unit (before the guest runs): -ENOSPC. */
int vtd_add_stream(struct vtd *s, uint16_t sid);
/*
 * Puts the assigned device SID behind this unit (before the guest runs): nestvm never sees its DMA,
 * so its context is loaded and attached to the backend at once and again at every event that may
 * change it (context / PASID-cache invalidation, SRTP, TE), not at its next DMA. -ENOSPC.
 */
int vtd_add_assigned(struct vtd *s, uint16_t sid);
/* The assigned device SID is gone: its stream is no longer loaded eagerly. Locked. */
void vtd_remove_assigned(struct vtd *s, uint16_t sid);
/*
 * The guest set (ON) or cleared PRI Enable of assigned function SID: its config is loaded again,
 * asking the backend for its page requests (viommu_stream_cfg.iopf) while PRI is enabled and its
 * scalable-mode context entry has PRE (9.4). Takes the lock.
 */
void vtd_set_pri(struct vtd *s, uint16_t sid, bool on);
/*
 * The shadow backend's needs, before the guest runs: caching mode (CAP.CM = 1, 6.1: the guest
 * invalidates when it makes entries present), and no first-stage tables (ECAP.FLTS = 0: Linux does
 * not invalidate on map for those even with CM, so scalable-mode guests use the second stage).
 */
void vtd_set_caching_mode(struct vtd *s);
/* Another feature set (the nested backend's, vtd_nested_features), before the guest runs. -EINVAL
 * when vtd_init would refuse it. */
int vtd_set_features(struct vtd *s, const struct vtd_features *f);

/*
 * The page request source (the I/O page fault service, iopf.h) of this unit, before the guest runs:
 * with one (and scalable mode) ECAP offers PRS and PDS and the page request queue registers work;
 * NULL takes them away (the registers read 0 and are back at their power-on values). Its devices
 * are registered with vtd_iopf_frontend and the unit.
 */
void vtd_set_iopf(struct vtd *s, struct iopf *iopf);
extern const struct iopf_frontend vtd_iopf_frontend;
/* The 256-bit page request descriptor of page I of G (vtd_prq.c has the layout). */
void vtd_prq_encode(const struct iopf_group *g, unsigned int i, uint64_t d[4]);

/* The bus callback for the register page (VTD_MMIO_SIZE bytes): 32- and 64-bit accesses. */
void vtd_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/*
 * DMA of an emulated device: IOVA -> guest physical. 0 with OUT; -EFAULT when blocked (the fault
 * recorded unless FPD); -ENODEV when SID was never added.
 */
int vtd_translate(struct vtd *s, uint16_t sid, uint64_t iova, bool write, struct viommu_xlate *out);
/*
 * An MSI (ADDR, DATA) from SID through interrupt remapping (chapter 5): 0 with both rewritten to
 * the compatibility format the LAPICs take, or -errno when the interrupt is blocked (the fault
 * recorded when REPORT, unless the IRTE's FPD says not to).
 */
int vtd_ir_translate(struct vtd *s, uint16_t sid, uint64_t *addr, uint32_t *data, bool report);

/* --- between the vtd_*.c files (all "locked") --- */
/* Reads the 64-bit little-endian word at guest physical PA (8-byte aligned RAM); -EFAULT otherwise. */
int vtd_read64(const struct vtd *s, uint64_t pa, uint64_t *v);
/* Records a primary fault (7.2.1) and raises the fault event; FI is the fault info field. */
void vtd_fault_record(struct vtd *s, uint16_t sid, uint8_t reason, uint64_t fi, bool write);
/* Sets FSTS bits (IQE, ICE, ITE) and raises the fault event when they are new (7.3). */
void vtd_fault_status(struct vtd *s, uint32_t bits);
/* Software wrote FSTS / FECTL / FRCD: clears what it asked and delivers a pending event. */
void vtd_fault_fsts_write(struct vtd *s, uint32_t val);
void vtd_fault_fectl_write(struct vtd *s, uint32_t val);
void vtd_fault_frcd_write(struct vtd *s, unsigned int idx, uint64_t hi);
/* The page request registers (vtd_prq.c): reads of OFF (0 for others), writes of V. */
uint64_t vtd_prq_read(struct vtd *s, uint64_t off);
void vtd_prq_write(struct vtd *s, uint64_t off, uint64_t v);
/* A page group response descriptor (LO, HI) from the invalidation queue: 0, or the IQEI. */
unsigned int vtd_prq_response(struct vtd *s, uint64_t lo, uint64_t hi);
/* Power-on values of the page request registers (PECTL.IM set, the rest 0). */
void vtd_prq_reset(struct vtd *s);
/* Invalidation completion event: ICS.IWC set, IECTL MSI per 6.5.2.10. */
void vtd_iwc_signal(struct vtd *s);
void vtd_iectl_write(struct vtd *s, uint32_t val);
/* Processes the invalidation queue from IQH to IQT (bounded by the queue size). */
void vtd_iq_run(struct vtd *s);
/* Register-based invalidation: CCMD / IOTLB written with ICC / IVT set. */
void vtd_ccmd_write(struct vtd *s, uint64_t val);
void vtd_iotlb_write(struct vtd *s, uint64_t val);
/* Invalidation actions shared by the registers and the queue. */
void vtd_inv_context(struct vtd *s, unsigned int gran, uint16_t did, uint16_t sid, unsigned int fm);
/* The register-based IOTLB invalidation, done at once: 0, or -errno when the backend refused it. */
int vtd_inv_iotlb(struct vtd *s, unsigned int gran, uint16_t did, uint64_t addr, unsigned int am);
/*
 * An IOTLB (PASID_BASED: PASID-based-IOTLB, for PASID) invalidation of granularity GRAN queued for
 * the backend with COOKIE (its queue index), IH the invalidation hint (leaf entries only); the
 * queue flushes it with vtd_inv_flush.
 */
void vtd_inv_iotlb_queue(struct vtd *s, unsigned int gran, uint16_t did, bool pasid_based, uint32_t pasid,
			 uint64_t addr, unsigned int am, bool ih, uint32_t cookie);
/* The queued invalidations to the backend in one batch: 0, or -errno with *COOKIE the one refused. */
int vtd_inv_flush(struct vtd *s, uint32_t *cookie);
/* Every stream loads its context entry again at its next DMA (SRTP, TE, context invalidation);
 * assigned ones at once. */
void vtd_streams_unload(struct vtd *s);
/* Loads and attaches the assigned streams that are not loaded (a failed load attaches abort). */
void vtd_load_assigned(struct vtd *s);

/*
 * PASIDs (vtd_pasid.c). The config of PASID (non-zero, below 2^pasid_bits) of ST's source id from
 * the guest's scalable-mode tables: 0 with CFG; -ENOENT / -EINVAL with CFG abort (no usable entry,
 * translation off, legacy mode). Faults are not recorded.
 */
int vtd_pasid_config(struct vtd *s, const struct vtd_stream *st, uint32_t pasid, struct viommu_stream_cfg *cfg);
/* Whether SID's PASID table entry of PASID is present / its PASID directory entry is. */
bool vtd_pasid_present(struct vtd *s, uint16_t sid, uint32_t pasid);
bool vtd_pasid_dir_present(struct vtd *s, uint16_t sid, uint32_t pasid);
/* ST's PASID attachments follow the guest's PASID table: the attached ones loaded again, new
 * present entries attached (bounded: see vtd_pasid.c). Locked; no-op without pasid_bits. */
void vtd_pasids_load(struct vtd *s, struct vtd_stream *st);

#endif
