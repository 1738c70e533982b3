/* SPDX-License-Identifier: GPL-2.0-only */
/* The groups of checks, in the order main() runs them (each one leaves the SMMU as the next expects). */
#ifndef FW_CHECKS_H
#define FW_CHECKS_H

/* check_regs.c: SMMU disabled, as after reset. */
void check_id_regs(void);
void check_reset_values(void);
void check_gbpa(void);
/* check_cmdq.c: enables the queues (CR0 handshake), CMD_SYNC completion, CMDQ errors. */
void check_queues_enable(void);
void check_sync(void);
void check_cmdq_errors(void);
/* check_ste.c: linear then 2-level stream tables, STE validation, SMMUEN on. */
void check_linear_strtab(void);
void check_2level_strtab(void);
/* check_evtq.c: event queue overflow (needs an SMMU that records C_BAD_STE on prefetch). */
void check_evtq_overflow(void);

#endif
