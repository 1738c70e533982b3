// SPDX-License-Identifier: GPL-2.0-only
/* IOAS IOVA-range checks (guest RAM vs reserved IOVA) and NESTVM_FAIL_AT parsing. */
#include <errno.h>
#include <stdlib.h>

#include "iommu/fail_inject.h"
#include "iommu/resv_regions.h"
#include "iommu/ioas.h"
#include "iommu/iommufd.h"
#include "tap.h"

int main(void)
{
	/* arm64 host with an ITS: the MSI doorbell window 0x8000000-0x80fffff is reserved. */
	const struct iova_range r[] = { { 0, 0x7ffffff }, { 0x8100000, 0xffffffffffffULL } };
	const struct iova_range bogus[] = { { 0x5000, 0x1000 } };
	struct iommufd_ctx c;
	uint64_t bad = 0;

	CHECK(iova_ranges_allow(r, 2, 0x40000000, 256 << 20, &bad), "RAM above the MSI window is allowed");
	CHECK(iova_ranges_allow(r, 2, 0, 0x8000000, &bad), "RAM ending right below it is allowed");
	CHECK(!iova_ranges_allow(r, 2, 0, 0x10000000, &bad) && bad == 0x8000000,
	      "RAM over the MSI window is refused at its start (0x%llx)", (unsigned long long)bad);
	CHECK(!iova_ranges_allow(r, 2, 0x8000000, 0x1000, &bad) && bad == 0x8000000, "RAM inside the window refused");
	CHECK(!iova_ranges_allow(r, 2, 0x80f0000, 0x20000, &bad) && bad == 0x80f0000, "RAM starting inside it refused");
	CHECK(!iova_ranges_allow(r, 2, 0xfffffffff000ULL, 0x2000, &bad) && bad == 0x1000000000000ULL,
	      "RAM past the IOMMU's address width refused");
	CHECK(!iova_ranges_allow(r, 2, 0x1000, 0, &bad), "empty range refused");
	CHECK(!iova_ranges_allow(r, 2, UINT64_MAX - 10, 100, &bad), "wrapping range refused");
	CHECK(!iova_ranges_allow(NULL, 0, 0, 0x1000, &bad), "no allowed ranges: refused");
	CHECK(!iova_ranges_allow(bogus, 1, 0x5000, 0x10, &bad), "inverted range from the kernel ignored");

	unsetenv("NESTVM_FAIL_AT");
	CHECK(!fail_inject_active() && !fail_inject("bind"), "no injection by default");
	setenv("NESTVM_FAIL_AT", "attach,map-file", 1);
	CHECK(fail_inject_active() && fail_inject("attach") && errno == ENOMEM && fail_inject("map-file") &&
	      !fail_inject("bind") && !fail_inject("map") && !fail_inject("attach,map-file"), "step list matched exactly");
	setenv("NESTVM_FAIL_AT", "bind,viommu-alloc:95,hwpt-alloc:0,map-file:x", 1);
	CHECK(fail_inject("viommu-alloc") && errno == EOPNOTSUPP, "step:errno sets that errno");
	CHECK(fail_inject("hwpt-alloc") && errno == ENOMEM && fail_inject("map-file") && errno == ENOMEM,
	      "a bad errno number falls back to ENOMEM");
	CHECK(!fail_inject("viommu") && !fail_inject("viommu-alloc:9"), "a prefix of a step does not match");
	unsetenv("NESTVM_FAIL_AT");
	CHECK(fail_inject_count_fds() >= 3, "fd count includes stdio");

	{
		static const char arm[] = "0x0000000008000000 0x00000000080fffff msi\n";
		static const char x86[] = "0x00000000fee00000 0x00000000feefffff msi\n";
		static const char mixed[] = "0x0000000000000000 0x0000000000ffffff direct\n"
					    "garbage line without fields\n"
					    "0x0000000009000000 0x0000000008000000 msi\n"      /* inverted: ignored */
					    "0x0000000008000000 0x00000000080fffff msi";        /* no newline */
		static const char none[] = "0x0000000000000000 0x0000000000ffffff reserved\n";
		uint64_t st = 0;

		CHECK(resv_regions_msi(arm, sizeof(arm) - 1, &st) == 0 && st == 0x8000000, "reserved_regions: arm-smmu-v3 SW_MSI");
		CHECK(resv_regions_msi(x86, sizeof(x86) - 1, &st) == 0 && st == 0xfee00000, "reserved_regions: x86 MSI window");
		CHECK(resv_regions_msi(mixed, sizeof(mixed) - 1, &st) == 0 && st == 0x8000000,
		      "reserved_regions: other types, garbage and inverted ranges skipped");
		CHECK(resv_regions_msi(none, sizeof(none) - 1, &st) == -ENOENT, "reserved_regions: no msi region");
		CHECK(resv_regions_msi(arm, 20, &st) == -ENOENT, "reserved_regions: a cut line does not parse");
		CHECK(resv_regions_vfio_msi(0, &st) < 0 && resv_regions_vfio_msi(-1, &st) < 0, "not a cdev: an error");
	}

	iommufd_ctx_init(&c, NULL);
	CHECK(c.fd == -1 && !c.has_ioas && !c.nr_maps && !c.fds, "a closed context");
	iommufd_ctx_close(&c);
	CHECK(c.fd == -1, "closing a closed context is a no-op");
	return tap_done();
}
