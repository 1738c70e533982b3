// SPDX-License-Identifier: GPL-2.0-only
/* Guest RAM: bounds (whole range inside one region, no wrap), the size seal, the host check. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/guest_mem.h"

#define MB (1ULL << 20)

int main(void)
{
	struct guest_mem gm = { 0 };
	uint8_t buf[16] = { 1, 2, 3, 4 }, out[16];
	const uint64_t base = 0x40000000, top = UINT64_MAX - 2 * MB + 1;

	CHECK(gmem_add_ram(&gm, base, 4 * MB, false) == 0, "4M of RAM at 1G");
	CHECK(gm.nr == 1 && gm.r[0].memfd >= 0 && gm.r[0].hva, "region recorded with memfd and mapping");
	CHECK(gmem_add_ram(&gm, base + 2 * MB, 4 * MB, false) == -EEXIST, "overlapping RAM refused");
	CHECK(gmem_add_ram(&gm, base, 0, false) == -EINVAL, "empty RAM refused");
	CHECK(gmem_add_ram(&gm, base + 0x123, 4 * MB, false) == -EINVAL, "unaligned RAM refused");
	CHECK(gmem_add_ram(&gm, UINT64_MAX - MB + 1, 2 * MB, false) == -EINVAL, "wrapping RAM refused");
	CHECK(gmem_add_ram(&gm, top, 2 * MB, false) == 0, "RAM ending at 2^64-1");
	CHECK(gmem_total(&gm) == 6 * MB, "total 6M");

	CHECK(gmem_ptr(&gm, base, 4 * MB) == gm.r[0].hva, "whole region");
	CHECK(gmem_ptr(&gm, base + 4 * MB - 1, 1) != NULL, "last byte");
	CHECK(gmem_ptr(&gm, base + 4 * MB - 1, 2) == NULL, "across the region end");
	CHECK(gmem_ptr(&gm, base + 4 * MB, 1) == NULL, "just past the end");
	CHECK(gmem_ptr(&gm, base - 1, 2) == NULL, "starting just below");
	CHECK(gmem_ptr(&gm, base, UINT64_MAX) == NULL, "huge length");
	CHECK(gmem_ptr(&gm, base + 8, UINT64_MAX - 4) == NULL, "gpa+len wraps");
	CHECK(gmem_ptr(&gm, UINT64_MAX, 1) != NULL, "the very last byte of the space");
	CHECK(gmem_ptr(&gm, UINT64_MAX, 2) == NULL, "one past the very last byte");
	CHECK(gmem_ptr(&gm, UINT64_MAX - 15, 16) != NULL, "16 bytes up to 2^64-1");
	CHECK(gmem_ptr(&gm, 0, 1) == NULL, "gpa 0 is not RAM");

	CHECK(gmem_write(&gm, base + 100, buf, sizeof(buf)) == 0, "write inside");
	CHECK(gmem_read(&gm, base + 100, out, sizeof(out)) == 0 && !memcmp(buf, out, sizeof(buf)), "read back");
	CHECK(gmem_write(&gm, base + 4 * MB - 8, buf, sizeof(buf)) == -EFAULT, "write across the end fails");
	CHECK(gmem_read(&gm, base + 4 * MB - 8, out, sizeof(out)) == -EFAULT, "read across the end fails");
	CHECK(gmem_read(&gm, UINT64_MAX - 7, out, sizeof(out)) == -EFAULT, "read wrapping 2^64 fails");

	/* The memfd is the same memory (iommufd maps it by fd), and its size is sealed. */
	{
		int fd = gm.r[0].memfd;
		uint8_t v = 0;

		CHECK(pread(fd, &v, 1, 100) == 1 && v == 1, "memfd shows guest writes");
		CHECK(ftruncate(fd, 8 * MB) < 0 && errno == EPERM, "growing the memfd fails (sealed)");
		CHECK(ftruncate(fd, MB) < 0 && errno == EPERM, "shrinking the memfd fails (sealed)");
		CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM, "seals are sealed");
		CHECK((fcntl(fd, F_GET_SEALS) & (F_SEAL_GROW | F_SEAL_SHRINK)) == (F_SEAL_GROW | F_SEAL_SHRINK),
		      "grow/shrink seals present");
	}

	CHECK(gmem_check_host(16 * MB, false) == 0, "16M fits the host");
	CHECK(gmem_check_host(UINT64_MAX & ~(MB - 1), false) == -ENOMEM, "16E is more than the host has");
	if (gmem_hugepage_size())
		CHECK(gmem_check_host(UINT64_MAX & ~(gmem_hugepage_size() - 1), true) == -ENOMEM,
		      "more hugepages than the host has");
	else
		CHECK(gmem_check_host(16 * MB, true) == -EINVAL, "hugepages on a host without them");

	gmem_destroy(&gm);
	CHECK(gm.nr == 0, "destroyed");
	gmem_destroy(&gm);
	CHECK(gm.nr == 0, "destroy twice is harmless");
	return tap_done();
}
