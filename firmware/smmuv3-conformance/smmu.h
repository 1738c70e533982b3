/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Arm SMMUv3 as the payload sees it, written from the spec (IHI 0070) independently of nestvm's
 * model (src/iommu/smmuv3_defs.h), so that a misread field there does not hide here. Register
 * offsets are chapter 6.2, fields 6.3.x, structures chapter 5, commands chapter 4, events 7.3.
 */
#ifndef FW_SMMU_H
#define FW_SMMU_H

#include <stdbool.h>
#include <stdint.h>

#define SMMU_BASE               0x09050000ul    /* nestvm arm64 map (QEMU virt VIRT_SMMU) */
#define UART_BASE               0x09000000ul    /* PL011 */

#define BITS(v, hi, lo)         (((v) >> (lo)) & ((2ull << ((hi) - (lo))) - 1))

/* Page 0 (6.2) */
#define IDR0                    0x00
#define IDR1                    0x04
#define IDR2                    0x08
#define IDR3                    0x0c
#define IDR4                    0x10
#define IDR5                    0x14
#define IIDR                    0x18
#define AIDR                    0x1c
#define CR0                     0x20
#define CR0ACK                  0x24
#define CR1                     0x28
#define CR2                     0x2c
#define GBPA                    0x44
#define IRQ_CTRL                0x50
#define IRQ_CTRLACK             0x54
#define GERROR                  0x60
#define GERRORN                 0x64
#define GERROR_IRQ_CFG0         0x68
#define GERROR_IRQ_CFG1         0x70
#define GERROR_IRQ_CFG2         0x74
#define STRTAB_BASE             0x80
#define STRTAB_BASE_CFG         0x88
#define CMDQ_BASE               0x90
#define CMDQ_PROD               0x98
#define CMDQ_CONS               0x9c
#define EVENTQ_BASE             0xa0
#define EVENTQ_IRQ_CFG0         0xb0
#define EVENTQ_IRQ_CFG1         0xb8
#define EVENTQ_IRQ_CFG2         0xbc
/* Page 1 (6.2: SMMU_EVENTQ_PROD/CONS live at 0x100a8/0x100ac) */
#define EVENTQ_PROD             0x100a8
#define EVENTQ_CONS             0x100ac

/* IDR0 (6.3.1) */
#define IDR0_S2P                (1u << 0)
#define IDR0_S1P                (1u << 1)
#define IDR0_TTF(v)             BITS(v, 3, 2)   /* 0b10 AArch64, 0b11 both; 0b00 reserved */
#define IDR0_MSI                (1u << 13)
#define IDR0_CD2L               (1u << 19)
#define IDR0_TTENDIAN(v)        BITS(v, 22, 21) /* 0b00 mixed, 0b10 LE, 0b11 BE; 0b01 reserved */
#define IDR0_STALL_MODEL(v)     BITS(v, 25, 24) /* 0b11 reserved */
#define IDR0_ST_LEVEL(v)        BITS(v, 28, 27) /* 0b00 linear, 0b01 2-level; 0b1x reserved */
/* IDR1 (6.3.2) */
#define IDR1_SIDSIZE(v)         BITS(v, 5, 0)
#define IDR1_SSIDSIZE(v)        BITS(v, 10, 6)
#define IDR1_EVENTQS(v)         BITS(v, 20, 16)
#define IDR1_CMDQS(v)           BITS(v, 25, 21)
#define IDR1_QUEUES_PRESET      (1u << 29)
#define IDR1_TABLES_PRESET      (1u << 30)
/* IDR5 (6.3.6) */
#define IDR5_OAS(v)             BITS(v, 2, 0)   /* 0b000..0b110 = 32..52 bits */
#define IDR5_GRANS(v)           BITS(v, 6, 4)   /* GRAN4K, GRAN16K, GRAN64K */
/* AIDR (6.3.8) */
#define AIDR_MAJOR(v)           BITS(v, 7, 4)   /* 0 = SMMUv3 */
#define AIDR_MINOR(v)           BITS(v, 3, 0)   /* SMMUv3.x */

/* CR0 (6.3.9) */
#define CR0_SMMUEN              (1u << 0)
#define CR0_EVTQEN              (1u << 2)
#define CR0_CMDQEN              (1u << 3)
#define CR2_RECINVSID           (1u << 1)       /* 6.3.12 */
/* GBPA (6.3.14) */
#define GBPA_ABORT              (1u << 20)
#define GBPA_UPDATE             (1u << 31)
/* IRQ_CTRL (6.3.16) */
#define IRQ_CTRL_GERROR_IRQEN   (1u << 0)
#define IRQ_CTRL_EVTQ_IRQEN     (1u << 2)
/* GERROR (6.3.18) */
#define GERROR_CMDQ_ERR         (1u << 0)
/* STRTAB_BASE_CFG (6.3.24) */
#define STRTAB_CFG(fmt, split, log2size) ((uint32_t)(fmt) << 16 | (uint32_t)(split) << 6 | (log2size))
#define STRTAB_FMT_LINEAR       0
#define STRTAB_FMT_2LVL         1
/* Queue *_BASE (6.3.25, 6.3.28): ADDR[51:5], LOG2SIZE[4:0] */
#define Q_BASE(addr, log2size)  ((uint64_t)(addr) | (log2size))
/* CMDQ_CONS.ERR[30:24] (6.3.27) and its codes (7.1) */
#define CMDQ_CONS_ERR(v)        BITS(v, 30, 24)
#define CERROR_NONE             0
#define CERROR_ILL              1
#define Q_OVFLG                 (1u << 31)      /* EVENTQ_PROD.OVFLG / EVENTQ_CONS.OVACKFLG (6.3.30, 6.3.31) */

/* Commands (4.1.1 opcodes; 16 bytes) */
#define CMD_PREFETCH_CONFIG     0x01            /* 4.2.1: StreamID[63:32] */
#define CMD_CFGI_STE            0x03            /* 4.3.1 */
#define CMD_SYNC                0x46            /* 4.7.3: CS[13:12], MSIData[63:32]; MSIAddress[51:2] */
#define CMD_SID(sid)            ((uint64_t)(sid) << 32)
#define SYNC_CS_NONE            0
#define SYNC_CS_IRQ             1
#define SYNC_CS(cs)             ((uint64_t)(cs) << 12)
#define SYNC_MSIDATA(d)         ((uint64_t)(d) << 32)

/* STE (5.2) word 0: V[0], Config[3:1] */
#define STE_V                   1ull
#define STE_CONFIG(c)           ((uint64_t)(c) << 1)
#define STE_CFG_ABORT           0
#define STE_CFG_BYPASS          4
/* Level 1 stream table descriptor (5.1): Span[4:0], L2Ptr[51:6] */
#define L1STD(l2ptr, span)      ((uint64_t)(l2ptr) | (span))

/* Event records (7.3; 32 bytes): EventID[7:0], StreamID[63:32] */
#define EVT_ID(w0)              ((unsigned int)((w0) & 0xff))
#define EVT_SID(w0)             ((uint32_t)((w0) >> 32))
#define EVT_C_BAD_STREAMID      0x02            /* 7.3.2 */
#define EVT_C_BAD_STE           0x04            /* 7.3.4 */

/*
 * MMIO with single, non-writeback loads and stores, so KVM gets a valid syndrome (ARM ARM D17.2.37
 * ISV) and can hand the access to nestvm; the barriers order them against queue memory.
 */
static inline uint32_t mmio_read32(uintptr_t a)
{
	uint32_t v;

	__asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
	return v;
}

static inline void mmio_write32(uintptr_t a, uint32_t v)
{
	__asm__ volatile("dsb sy\n\tstr %w0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static inline void mmio_write64(uintptr_t a, uint64_t v)
{
	__asm__ volatile("dsb sy\n\tstr %x0, [%1]" : : "rZ"(v), "r"(a) : "memory");
}

static inline uint32_t smmu_read(uint32_t off)
{
	uint32_t v = mmio_read32(SMMU_BASE + off);

	__asm__ volatile("dsb sy" : : : "memory");     /* reads of queue memory after it see its updates */
	return v;
}

static inline void smmu_write(uint32_t off, uint32_t v)
{
	mmio_write32(SMMU_BASE + off, v);
}

static inline void smmu_write64(uint32_t off, uint64_t v)
{
	mmio_write64(SMMU_BASE + off, v);
}

/* smmu.c: bring-up and queue helpers; the queues and tables live in the payload's BSS. */
#define CMDQ_LOG2               5       /* 32 commands */
#define EVTQ_LOG2               3       /* 8 events */
#define POLL_LIMIT              100000u /* bounded waits: a broken model fails a check, never hangs */
extern uint64_t cmdq_mem[2 << CMDQ_LOG2];
extern uint64_t evtq_mem[4 << EVTQ_LOG2];
extern volatile uint32_t msi_target[4];

/* Writes CR0 and waits (bounded) for CR0ACK to match (6.3.9, 6.3.10). */
bool smmu_set_cr0(uint32_t v);
/* Points the command queue at cmdq_mem (CMDQEN must be clear). */
void smmu_setup_cmdq(void);
/* Points the event queue at evtq_mem with 2^LOG2 entries (EVTQEN must be clear). */
void smmu_setup_evtq(unsigned int log2);
/* Writes a command at CMDQ_PROD and publishes it; returns the queue index it went to. */
uint32_t cmd_issue(uint64_t w0, uint64_t w1);
/* Waits until CMDQ_CONS reaches CMDQ_PROD or reports an error; true when drained. */
bool cmdq_drain(void);
/* Acknowledges a CMDQ error after replacing the offending command with a CMD_SYNC (7.1). */
void cmdq_fix_error(void);
/* Events waiting in the queue, and taking the oldest (EVENTQ_CONS += 1, OVACKFLG kept). */
unsigned int evtq_pending(void);
bool evtq_take(uint64_t evt[4]);
/* PREFETCH_CONFIG of SID, then CMD_SYNC; takes the event it caused into EVT (false: none). */
bool prefetch_event(uint32_t sid, uint64_t evt[4]);
/* PREFETCH_CONFIG of SID and CMD_SYNC, leaving any event in the queue. */
void prefetch(uint32_t sid);

#endif
