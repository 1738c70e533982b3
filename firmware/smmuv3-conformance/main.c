// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bare-metal SMMUv3 conformance payload: loaded by `nestvm run --kernel` as an arm64 Image, it drives
 * the emulated SMMU (--viommu smmuv3, IHI 0070) through its registers and in-memory queues, prints
 * TAP on the PL011 and powers off with PSCI (start.S).
 */
#include "checks.h"
#include "tap.h"

int main(void);

int main(void)
{
	tap_diag("nestvm SMMUv3 conformance payload (IHI 0070)");
	check_id_regs();
	check_reset_values();
	check_gbpa();
	check_queues_enable();
	check_sync();
	check_cmdq_errors();
	check_linear_strtab();
	check_2level_strtab();
	check_evtq_overflow();
	return (int)tap_done();
}
