// SPDX-License-Identifier: GPL-2.0-only
/* ID registers (IHI 0070 6.3.1-6.3.8), reset values (6.3.9-6.3.19) and the GBPA update protocol (6.3.14). */
#include "checks.h"
#include "smmu.h"
#include "tap.h"

void check_id_regs(void)
{
	uint32_t idr0 = smmu_read(IDR0), idr1 = smmu_read(IDR1), idr5 = smmu_read(IDR5);
	uint32_t aidr = smmu_read(AIDR);
	unsigned int ttf = (unsigned int)IDR0_TTF(idr0), endian = (unsigned int)IDR0_TTENDIAN(idr0);

	tap_diag("IDR0 0x%08x IDR1 0x%08x IDR2 0x%08x IDR3 0x%08x IDR4 0x%08x IDR5 0x%08x IIDR 0x%08x "
		 "AIDR 0x%08x",
		 idr0, idr1, smmu_read(IDR2), smmu_read(IDR3), smmu_read(IDR4), idr5, smmu_read(IIDR), aidr);
	tap_check(idr0 & (IDR0_S1P | IDR0_S2P), "IDR0: at least one translation stage (S1P %u, S2P %u) (IHI 0070 6.3.1)",
		  !!(idr0 & IDR0_S1P), !!(idr0 & IDR0_S2P));
	tap_check(ttf & 2, "IDR0.TTF includes AArch64 translation tables (TTF %u) (6.3.1)", ttf);
	tap_check(endian == 0 || endian == 2, "IDR0.TTENDIAN offers little-endian walks, not reserved (%u) (6.3.1)", endian);
	tap_check(IDR0_ST_LEVEL(idr0) <= 1, "IDR0.ST_LEVEL is linear or 2-level, not reserved (%u) (6.3.1)",
		  (unsigned int)IDR0_ST_LEVEL(idr0));
	tap_check(IDR0_STALL_MODEL(idr0) != 3, "IDR0.STALL_MODEL not reserved (%u) (6.3.1)",
		  (unsigned int)IDR0_STALL_MODEL(idr0));
	tap_check(IDR1_SIDSIZE(idr1) <= 32 && IDR1_SSIDSIZE(idr1) <= 20 && IDR1_CMDQS(idr1) <= 19 && IDR1_EVENTQS(idr1) <= 19,
		  "IDR1 sizes in range: SIDSIZE %u <= 32, SSIDSIZE %u <= 20, CMDQS %u and EVENTQS %u <= 19 (6.3.2)",
		  (unsigned int)IDR1_SIDSIZE(idr1), (unsigned int)IDR1_SSIDSIZE(idr1), (unsigned int)IDR1_CMDQS(idr1),
		  (unsigned int)IDR1_EVENTQS(idr1));
	tap_check(!(idr1 & (IDR1_TABLES_PRESET | IDR1_QUEUES_PRESET)) && IDR1_CMDQS(idr1) >= CMDQ_LOG2 &&
		  IDR1_EVENTQS(idr1) >= EVTQ_LOG2 && IDR1_SIDSIZE(idr1) >= 8,
		  "IDR1: tables and queues are programmable (TABLES/QUEUES_PRESET 0) and big enough for this payload (6.3.2)");
	tap_check(!(idr0 & IDR0_CD2L) || IDR1_SSIDSIZE(idr1),
		  "IDR0.CD2L (2-level CD tables) only with SubstreamIDs (IDR1.SSIDSIZE %u) (6.3.1, 6.3.2)",
		  (unsigned int)IDR1_SSIDSIZE(idr1));
	tap_check(IDR5_GRANS(idr5) && IDR5_OAS(idr5) <= 6,
		  "IDR5: a translation granule (GRAN 0x%x) and a defined OAS encoding (%u) (6.3.6)",
		  (unsigned int)IDR5_GRANS(idr5), (unsigned int)IDR5_OAS(idr5));
	tap_check(AIDR_MAJOR(aidr) == 0 && AIDR_MINOR(aidr) <= 3,
		  "AIDR: SMMUv3.%u (ArchMajorRev 0, a published minor) (6.3.8)",
		  (unsigned int)AIDR_MINOR(aidr));
	smmu_write(IDR0, ~idr0);
	smmu_write(IDR1, ~idr1);
	smmu_write(IDR5, ~idr5);
	tap_check(smmu_read(IDR0) == idr0 && smmu_read(IDR1) == idr1 && smmu_read(IDR5) == idr5,
		  "ID registers are read-only: writes to IDR0/IDR1/IDR5 change nothing (6.3.1)");
}

void check_reset_values(void)
{
	tap_check(smmu_read(CR0) == 0 && smmu_read(CR0ACK) == 0,
		  "reset: CR0 and CR0ACK are 0: SMMU and queues disabled (6.3.9, 6.3.10)");
	tap_check(smmu_read(GERROR) == smmu_read(GERRORN),
		  "reset: no global error active (GERROR == GERRORN) (6.3.18, 6.3.19)");
	tap_check(smmu_read(IRQ_CTRL) == 0 && smmu_read(IRQ_CTRLACK) == 0,
		  "reset: IRQ_CTRL and IRQ_CTRLACK are 0 (6.3.16, 6.3.17)");
	tap_check(!(smmu_read(GBPA) & GBPA_UPDATE), "reset: GBPA.Update is 0, no update pending (6.3.14)");
}

/* Writes GBPA with Update set and waits for Update to clear (the completion of 6.3.14). */
static bool gbpa_update(uint32_t v)
{
	smmu_write(GBPA, v | GBPA_UPDATE);
	for (unsigned int i = 0; i < POLL_LIMIT; i++)
		if (!(smmu_read(GBPA) & GBPA_UPDATE))
			return true;
	return false;
}

void check_gbpa(void)
{
	uint32_t g0 = smmu_read(GBPA);

	smmu_write(GBPA, g0 ^ GBPA_ABORT);
	tap_check(smmu_read(GBPA) == g0, "GBPA: a write without Update changes nothing (6.3.14)");
	tap_check(gbpa_update(g0 | GBPA_ABORT), "GBPA: Update clears when the update completes (6.3.14)");
	tap_check(smmu_read(GBPA) == ((g0 | GBPA_ABORT) & ~GBPA_UPDATE),
		  "GBPA: ABORT is reflected after the update (0x%08x) (6.3.14)", smmu_read(GBPA));
	tap_check(gbpa_update(g0 & ~GBPA_ABORT) && !(smmu_read(GBPA) & GBPA_ABORT),
		  "GBPA: a second update clears ABORT again (6.3.14)");
}
