// SPDX-License-Identifier: GPL-2.0-only
/* The nested backend's pure parts: vEVENTQ record parsing (sequence numbers, lost events) and the
 * guest SMMUv3 features clamped to a host's IDRs. */
#include <linux/iommufd.h>
#include <string.h>

#include "iommu/smmuv3.h"
#include "iommu/veventq.h"
#include "iommu/smmuv3_nested.h"
#include "tap.h"

struct seen {
	unsigned int n;
	uint64_t evt0[8];
};

static void on_rec(void *opaque, const void *rec)
{
	struct seen *s = opaque;
	uint64_t w;

	memcpy(&w, rec, sizeof(w));
	if (s->n < 8)
		s->evt0[s->n] = w;
	s->n++;
}

static size_t put(uint8_t *buf, size_t off, uint32_t flags, uint32_t seq, uint64_t evt0, bool with_rec)
{
	struct iommufd_vevent_header h = { .flags = flags, .sequence = seq };
	struct iommu_vevent_arm_smmuv3 e = { .evt = { evt0, 0, 0x1000, 0 } };

	memcpy(buf + off, &h, sizeof(h));
	off += sizeof(h);
	if (with_rec) {
		memcpy(buf + off, &e, sizeof(e));
		off += sizeof(e);
	}
	return off;
}

static void test_parse(void)
{
	uint8_t buf[512];
	struct veventq_parse p = { 0 };
	struct seen s = { 0 };
	size_t len = 0;
	unsigned int n;

	len = put(buf, len, 0, 0, 0x10 | 8ull << 32, true);
	len = put(buf, len, 0, 1, 0x10 | 9ull << 32, true);
	n = veventq_parse(&p, buf, len, sizeof(struct iommu_vevent_arm_smmuv3), on_rec, &s);
	CHECK(n == 2 && s.n == 2, "two records delivered (%u)", n);
	CHECK(s.evt0[1] >> 32 == 9, "records in order, vSID kept");
	CHECK(p.nr_lost == 0 && p.next_seq == 2, "no loss, next sequence 2");

	/* A gap of 3 (sequence 5 after 1) is 3 lost events. */
	len = put(buf, 0, 0, 5, 0x10, true);
	n = veventq_parse(&p, buf, len, sizeof(struct iommu_vevent_arm_smmuv3), on_rec, &s);
	CHECK(n == 1 && p.nr_lost == 3, "sequence gap counted as lost (%llu)", (unsigned long long)p.nr_lost);

	/* A LOST_EVENTS header alone, then the record with its sequence: one loss report, no gap. */
	len = put(buf, 0, IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 9, 0, false);
	len = put(buf, len, 0, 9, 0x10, true);
	n = veventq_parse(&p, buf, len, sizeof(struct iommu_vevent_arm_smmuv3), on_rec, &s);
	CHECK(n == 1 && p.nr_lost == 4, "LOST_EVENTS header counted once (%llu)", (unsigned long long)p.nr_lost);

	/* A torn record (header + half a record) is not delivered; garbage lengths stay in bounds. */
	len = put(buf, 0, 0, 10, 0x10, true) - 7;
	n = veventq_parse(&p, buf, len, sizeof(struct iommu_vevent_arm_smmuv3), on_rec, &s);
	CHECK(n == 0, "torn record ignored");
	n = veventq_parse(&p, buf, 3, sizeof(struct iommu_vevent_arm_smmuv3), on_rec, &s);
	CHECK(n == 0, "short buffer ignored");
}

static void test_clamp(void)
{
	struct smmuv3_features f;
	uint32_t idr[6] = { 0 };

	/* A host with 4K only, 40-bit OAS (2), 8 SSID bits, no RIL, no ATS. */
	idr[1] = 8u << 6;
	idr[5] = 2 | IDR5_GRAN4K;
	smmuv3_default_features(&f);
	f.ssidsize = 20;
	f.ats = true;
	smmuv3_features_clamp(&f, idr);
	CHECK(f.gran4k && !f.gran16k && !f.gran64k, "granules clamped to the host's");
	CHECK(f.oas == 2, "OAS clamped (%u)", f.oas);
	CHECK(f.ssidsize == 8, "SSIDSIZE clamped (%u)", f.ssidsize);
	CHECK(!f.ril && !f.ats, "RIL and ATS off when the host lacks them");
	CHECK(f.sidsize == 16 && f.two_level_st && f.msi, "emulated parts (StreamIDs, stream table, MSI) stay ours");

	/* A richer host never adds what we did not offer. */
	smmuv3_default_features(&f);
	f.ats = false;
	memset(idr, 0xff, sizeof(idr));
	idr[5] = 5 | IDR5_GRAN4K | IDR5_GRAN16K | IDR5_GRAN64K;
	smmuv3_features_clamp(&f, idr);
	CHECK(f.oas == 4 && !f.ats && f.ril && f.ssidsize == 0, "richer host: our defaults kept");
}

int main(void)
{
	test_parse();
	test_clamp();
	return tap_done();
}
