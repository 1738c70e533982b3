/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Arm SMMUv3 architecture constants (IHI 0070): register offsets and fields (chapter 6), stream table
 * and context descriptor fields (chapter 5), commands (chapter 4) and event records (chapter 7).
 */
#ifndef NESTVM_SMMUV3_DEFS_H
#define NESTVM_SMMUV3_DEFS_H

#define BIT32(n)                (1u << (n))
#define BIT64(n)                (1ull << (n))
#define FIELD(v, hi, lo)        (((v) >> (lo)) & ((2ull << ((hi) - (lo))) - 1))
#define MASK64(hi, lo)          (((2ull << ((hi) - (lo))) - 1) << (lo))

/* Register offsets in page 0 (6.2, "Register map"); page 1 is at +0x10000. */
#define SMMU_PAGE_SIZE          0x10000u
#define SMMU_MMIO_SIZE          0x20000u
#define SMMU_IDR0               0x00
#define SMMU_IDR1               0x04
#define SMMU_IDR2               0x08
#define SMMU_IDR3               0x0c
#define SMMU_IDR4               0x10
#define SMMU_IDR5               0x14
#define SMMU_IIDR               0x18
#define SMMU_AIDR               0x1c
#define SMMU_CR0                0x20
#define SMMU_CR0ACK             0x24
#define SMMU_CR1                0x28
#define SMMU_CR2                0x2c
#define SMMU_STATUSR            0x40
#define SMMU_GBPA               0x44
#define SMMU_AGBPA              0x48
#define SMMU_IRQ_CTRL           0x50
#define SMMU_IRQ_CTRLACK        0x54
#define SMMU_GERROR             0x60
#define SMMU_GERRORN            0x64
#define SMMU_GERROR_IRQ_CFG0    0x68    /* 64-bit */
#define SMMU_GERROR_IRQ_CFG1    0x70
#define SMMU_GERROR_IRQ_CFG2    0x74
#define SMMU_STRTAB_BASE        0x80    /* 64-bit */
#define SMMU_STRTAB_BASE_CFG    0x88
#define SMMU_CMDQ_BASE          0x90    /* 64-bit */
#define SMMU_CMDQ_PROD          0x98
#define SMMU_CMDQ_CONS          0x9c
#define SMMU_EVENTQ_BASE        0xa0    /* 64-bit */
#define SMMU_EVENTQ_PROD        0xa8    /* architecturally in page 1 (+0x10000) */
#define SMMU_EVENTQ_CONS        0xac    /* page 1 */
#define SMMU_EVENTQ_IRQ_CFG0    0xb0    /* 64-bit */
#define SMMU_EVENTQ_IRQ_CFG1    0xb8
#define SMMU_EVENTQ_IRQ_CFG2    0xbc
#define SMMU_PRIQ_BASE          0xc0    /* 64-bit */
#define SMMU_PRIQ_PROD          0xc8    /* architecturally in page 1 (+0x10000) */
#define SMMU_PRIQ_CONS          0xcc    /* page 1 */
#define SMMU_PRIQ_IRQ_CFG0      0xd0    /* 64-bit */
#define SMMU_PRIQ_IRQ_CFG1      0xd8
#define SMMU_PRIQ_IRQ_CFG2      0xdc

/* SMMU_IDR0 (6.3.1) */
#define IDR0_S1P                BIT32(1)
#define IDR0_TTF_AA64           (2u << 2)
#define IDR0_COHACC             BIT32(4)
#define IDR0_ATS                BIT32(10)
#define IDR0_ASID16             BIT32(12)
#define IDR0_MSI                BIT32(13)
#define IDR0_SEV                BIT32(14)
#define IDR0_PRI                BIT32(16)   /* PRI queue and CMD_PRI_RESP */
#define IDR0_CD2L               BIT32(19)
#define IDR0_TTENDIAN_LE        (2u << 21)
#define IDR0_STALL_NONE         (1u << 24)  /* STALL_MODEL 0b01: stall not supported */
#define IDR0_TERM_MODEL         BIT32(26)   /* terminated transactions always abort */
#define IDR0_ST_LVL_2           (1u << 27)  /* 2-level stream table */
/* SMMU_IDR1 (6.3.2) */
#define IDR1_SIDSIZE(v)         ((v) & 0x3f)
#define IDR1_SSIDSIZE(v)        (((v) & 0x1f) << 6)
#define IDR1_PRIQS(v)           (((v) & 0x1f) << 11)
#define IDR1_EVTQS(v)           (((v) & 0x1f) << 16)
#define IDR1_CMDQS(v)           (((v) & 0x1f) << 21)
/* SMMU_IDR3 (6.3.4) */
#define IDR3_HAD                BIT32(2)
#define IDR3_RIL                BIT32(10)
/* SMMU_IDR5 (6.3.6) */
#define IDR5_GRAN4K             BIT32(4)
#define IDR5_GRAN16K            BIT32(5)
#define IDR5_GRAN64K            BIT32(6)

/* SMMU_CR0 (6.3.9) */
#define CR0_SMMUEN              BIT32(0)
#define CR0_PRIQEN              BIT32(1)
#define CR0_EVTQEN              BIT32(2)
#define CR0_CMDQEN              BIT32(3)
#define CR0_ATSCHK              BIT32(4)
#define CR1_MASK                0xfffu      /* table/queue SH, OC, IC (6.3.11) */
#define CR2_E2H                 BIT32(0)
#define CR2_RECINVSID           BIT32(1)    /* record C_BAD_STREAMID (6.3.12) */
#define CR2_PTM                 BIT32(2)
/* SMMU_GBPA (6.3.14): fields MemAttr[3:0] MTCFG[4] ALLOCCFG[11:8] SHCFG[13:12] PRIVCFG[17:16]
 * INSTCFG[19:18] ABORT[20]; Update[31] makes a write take effect. */
#define GBPA_FIELDS             0x001f3f1fu
#define GBPA_ABORT              BIT32(20)
#define GBPA_UPDATE             BIT32(31)
#define GBPA_RESET              (1u << 12)  /* SHCFG = 0b01, use incoming */
/* SMMU_IRQ_CTRL (6.3.16) */
#define IRQ_CTRL_GERROR_IRQEN   BIT32(0)
#define IRQ_CTRL_PRIQ_IRQEN     BIT32(1)
#define IRQ_CTRL_EVTQ_IRQEN     BIT32(2)
/* SMMU_GERROR (6.3.18) */
#define GERROR_CMDQ_ERR         BIT32(0)
#define GERROR_EVTQ_ABT_ERR     BIT32(2)
#define GERROR_PRIQ_ABT_ERR     BIT32(3)
#define GERROR_MSI_CMDQ_ABT_ERR BIT32(4)
#define GERROR_MSI_EVTQ_ABT_ERR BIT32(5)
#define GERROR_MSI_PRIQ_ABT_ERR BIT32(6)
#define GERROR_MSI_GERROR_ABT_ERR BIT32(7)
#define GERROR_SFM_ERR          BIT32(8)
#define GERROR_MASK             0x1fdu
/* *_IRQ_CFG0: ADDR[51:2]; CFG2: SH[5:4] MemAttr[3:0] (6.3.20) */
#define IRQ_CFG0_ADDR           MASK64(51, 2)
#define IRQ_CFG2_MASK           0x3fu

/* SMMU_STRTAB_BASE (6.3.23), SMMU_STRTAB_BASE_CFG (6.3.24) */
#define STRTAB_BASE_RA          BIT64(62)
#define STRTAB_BASE_ADDR        MASK64(51, 6)
#define STRTAB_CFG_LOG2SIZE(v)  FIELD(v, 5, 0)
#define STRTAB_CFG_SPLIT(v)     FIELD(v, 10, 6)
#define STRTAB_CFG_FMT(v)       FIELD(v, 17, 16)
#define STRTAB_CFG_FMT_2LVL     1
#define STRTAB_CFG_MASK         0x307ffu
/* Queue base registers (6.3.25, 6.3.28): RA/WA[62], ADDR[51:5], LOG2SIZE[4:0] */
#define Q_BASE_RWA              BIT64(62)
#define Q_BASE_ADDR             MASK64(51, 5)
#define Q_BASE_LOG2SIZE(v)      FIELD(v, 4, 0)
#define Q_BASE_MASK             (Q_BASE_RWA | Q_BASE_ADDR | 0x1full)
#define Q_OVF                   BIT32(31)   /* EVENTQ_PROD.OVFLG / EVENTQ_CONS.OVACKFLG */
#define CMDQ_CONS_ERR_SHIFT     24          /* CMDQ_CONS.ERR[30:24] (6.3.27) */
#define CMDQ_CONS_ERR_MASK      (0x7fu << 24)
#define CERROR_NONE             0
#define CERROR_ILL              1
#define CERROR_ABT              2
#define CERROR_ATC_INV_SYNC     3

/* Level 1 stream table descriptor (5.1): Span[4:0], L2Ptr[51:6] */
#define L1STD_SPAN(d)           FIELD(d, 4, 0)
#define L1STD_L2PTR             MASK64(51, 6)

/* STE (5.2), as 64-bit words */
#define STE_DWORDS              8
#define STE0_V                  BIT64(0)
#define STE0_CONFIG(w)          FIELD(w, 3, 1)
#define STE_CFG_ABORT           0
#define STE_CFG_BYPASS          4
#define STE_CFG_S1              5
#define STE_CFG_S2              6
#define STE_CFG_NESTED          7
#define STE0_S1FMT(w)           FIELD(w, 5, 4)
#define STE0_S1CTXPTR           MASK64(51, 6)
#define STE0_S1CDMAX(w)         FIELD(w, 63, 59)
#define STE1_S1DSS(w)           FIELD(w, 1, 0)
#define STE1_S1STALLD           BIT64(27)
#define STE1_EATS(w)            FIELD(w, 29, 28)
#define STE1_STRW(w)            FIELD(w, 31, 30)
#define STE1_PRIVCFG(w)         FIELD(w, 49, 48)
#define S1FMT_LINEAR            0
#define S1FMT_4K_L2             1
#define S1FMT_64K_L2            2
#define S1DSS_TERMINATE         0
#define S1DSS_BYPASS            1
#define S1DSS_SSID0             2

/* Level 1 CD descriptor (5.3): V[0], L2Ptr[51:12] */
#define L1CD_V                  BIT64(0)
#define L1CD_L2PTR              MASK64(51, 12)
/* CD (5.4) */
#define CD_DWORDS               8
#define CD0_T0SZ(w)             FIELD(w, 5, 0)
#define CD0_TG0(w)              FIELD(w, 7, 6)
#define CD0_EPD0                BIT64(14)
#define CD0_ENDI                BIT64(15)
#define CD0_T1SZ(w)             FIELD(w, 21, 16)
#define CD0_TG1(w)              FIELD(w, 23, 22)
#define CD0_EPD1                BIT64(30)
#define CD0_V                   BIT64(31)
#define CD0_IPS(w)              FIELD(w, 34, 32)
#define CD0_AFFD                BIT64(35)
#define CD0_TBI0                BIT64(38)
#define CD0_TBI1                BIT64(39)
#define CD0_PAN                 BIT64(40)
#define CD0_AA64                BIT64(41)
#define CD0_HD                  BIT64(42)
#define CD0_HA                  BIT64(43)
#define CD0_S                   BIT64(44)
#define CD0_R                   BIT64(45)
#define CD0_A                   BIT64(46)
#define CD0_ASID(w)             FIELD(w, 63, 48)
#define CD1_HAD0                BIT64(1)
#define CD_TTB                  MASK64(51, 4)
#define CD2_HAD1                BIT64(1)

/* Commands (chapter 4): opcode in word 0 [7:0] */
#define CMD_DWORDS              2
#define CMD_OP(w)               FIELD(w, 7, 0)
#define CMD_SSEC                BIT64(10)
#define CMD_SSV                 BIT64(11)
#define CMD_SID(w)              FIELD(w, 63, 32)
#define CMD_SSID(w)             FIELD(w, 31, 12)
#define CMD_ASID(w)             FIELD(w, 63, 48)
#define CMD_TLBI_NUM(w)         FIELD(w, 16, 12)
#define CMD_TLBI_SCALE(w)       FIELD(w, 24, 20)
#define CMD1_LEAF               BIT64(0)
#define CMD1_RANGE(w)           FIELD(w, 4, 0)
#define CMD1_TLBI_TG(w)         FIELD(w, 11, 10)
#define CMD1_ADDR               MASK64(63, 12)
#define CMD_ATC_GLOBAL          BIT64(9)
#define CMD1_ATC_SIZE(w)        FIELD(w, 5, 0)
#define CMD_SYNC_CS(w)          FIELD(w, 13, 12)
#define CMD_SYNC_MSIDATA(w)     FIELD(w, 63, 32)
#define CMD1_SYNC_MSIADDR       MASK64(51, 2)
/* CMD_PRI_RESP (4.7.1): SSV[11] SubstreamID[31:12] StreamID[63:32] in word 0 (CMD_SSV/SSID/SID);
 * PRGIndex[8:0] and Resp[13:12] in word 1. */
#define CMD1_PRI_PRGINDEX(w)    FIELD(w, 8, 0)
#define CMD1_PRI_RESP(w)        FIELD(w, 13, 12)
#define PRI_RESP_DENY           0           /* PCIe "Invalid Request" */
#define PRI_RESP_FAIL           1           /* PCIe "Response Failure" */
#define PRI_RESP_SUCC           2           /* PCIe "Success"; 0b11 is reserved */
#define SYNC_CS_NONE            0
#define SYNC_CS_IRQ             1
#define SYNC_CS_SEV             2

enum smmu_cmd_op {
	CMD_PREFETCH_CONFIG = 0x01,
	CMD_PREFETCH_ADDR = 0x02,
	CMD_CFGI_STE = 0x03,
	CMD_CFGI_STE_RANGE = 0x04,      /* CFGI_ALL is STE_RANGE with Range 31 */
	CMD_CFGI_CD = 0x05,
	CMD_CFGI_CD_ALL = 0x06,
	CMD_TLBI_NH_ALL = 0x10,
	CMD_TLBI_NH_ASID = 0x11,
	CMD_TLBI_NH_VA = 0x12,
	CMD_TLBI_NH_VAA = 0x13,
	CMD_TLBI_NSNH_ALL = 0x30,
	CMD_ATC_INV = 0x40,
	CMD_PRI_RESP = 0x41,
	CMD_SYNC = 0x46,
};

/* Event records (7.3): ID in word 0 [7:0], SSV[11], SubstreamID[31:12], StreamID[63:32] */
#define EVT_DWORDS              4
enum smmu_event_id {
	EVT_F_UUT = 0x01,
	EVT_C_BAD_STREAMID = 0x02,
	EVT_F_STE_FETCH = 0x03,
	EVT_C_BAD_STE = 0x04,
	EVT_F_STREAM_DISABLED = 0x06,
	EVT_C_BAD_SUBSTREAMID = 0x08,
	EVT_F_CD_FETCH = 0x09,
	EVT_C_BAD_CD = 0x0a,
	EVT_F_WALK_EABT = 0x0b,
	EVT_F_TRANSLATION = 0x10,
	EVT_F_ADDR_SIZE = 0x11,
	EVT_F_ACCESS = 0x12,
	EVT_F_PERMISSION = 0x13,
};
#define EVT1_PNU                BIT64(33)
#define EVT1_IND                BIT64(34)
#define EVT1_RNW                BIT64(35)
#define EVT1_CLASS(c)           ((uint64_t)(c) << 40)
#define EVT_CLASS_CD            0
#define EVT_CLASS_TT            1
#define EVT_CLASS_IN            2
#define EVT3_FETCH_ADDR         MASK64(51, 3)

/* PRI queue entries (chapter 8): two 64-bit words. Word 0: StreamID[31:0], SubstreamID[51:32],
 * Priv[58], X[59], R[60], W[61], L (last in the group)[62], SSV[63]; word 1: PRGIndex[8:0],
 * Page Address[63:12]. */
#define PRIQ_DWORDS             2
#define PRIQ0_SSID(v)           (((uint64_t)(v) & 0xfffff) << 32)
#define PRIQ0_PRIV              BIT64(58)
#define PRIQ0_EXEC              BIT64(59)
#define PRIQ0_READ              BIT64(60)
#define PRIQ0_WRITE             BIT64(61)
#define PRIQ0_LAST              BIT64(62)
#define PRIQ0_SSV               BIT64(63)
#define PRIQ1_PRGINDEX_MAX      0x1ffu
#define PRIQ1_ADDR              MASK64(63, 12)

#endif
