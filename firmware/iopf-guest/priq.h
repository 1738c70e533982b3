/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SMMUv3 PRI queue and CMD_PRI_RESP as the payload sees them, written from the spec (IHI 0070)
 * independently of nestvm's model (src/iommu/smmuv3_defs.h): registers 6.2 / 6.3, queue entries
 * chapter 8, the command 4.7.1.
 */
#ifndef FW_PRIQ_H
#define FW_PRIQ_H

#include "../smmuv3-conformance/smmu.h"

#define IDR0_PRI                (1u << 16)      /* 6.3.1 */
#define IDR1_PRIQS(v)           BITS(v, 15, 11) /* 6.3.2 */
#define CR0_PRIQEN              (1u << 1)       /* 6.3.9 */
#define IRQ_CTRL_PRIQ_IRQEN     (1u << 1)       /* 6.3.16 */
#define PRIQ_BASE               0xc0            /* ADDR[51:5], LOG2SIZE[4:0] */
#define PRIQ_PROD               0x100c8         /* page 1; OVFLG[31] */
#define PRIQ_CONS               0x100cc         /* page 1; OVACKFLG[31] */

/* PRI queue entry (chapter 8): 16 bytes */
#define PRIQ_SID(w0)            ((uint32_t)(w0))
#define PRIQ_SSID(w0)           BITS(w0, 51, 32)
#define PRIQ_PRIV               (1ull << 58)
#define PRIQ_X                  (1ull << 59)
#define PRIQ_R                  (1ull << 60)
#define PRIQ_W                  (1ull << 61)
#define PRIQ_L                  (1ull << 62)
#define PRIQ_SSV                (1ull << 63)
#define PRIQ_PRGINDEX(w1)       ((unsigned int)BITS(w1, 8, 0))
#define PRIQ_ADDR(w1)           ((w1) & ~0xfffull)

/* CMD_PRI_RESP (4.7.1): opcode 0x41, SSV[11], SubstreamID[31:12], StreamID[63:32]; PRGIndex[8:0], Resp[13:12] */
#define CMD_PRI_RESP            0x41
#define PRI_RESP(grp, resp)     ((uint64_t)(grp) | (uint64_t)(resp) << 12)
#define RESP_DENY               0
#define RESP_FAIL               1
#define RESP_SUCCESS            2

#endif
