// SPDX-License-Identifier: GPL-2.0-only
/*
 * The arm64 machine's ACPI tables (acpi/arm_tables.h, acpi/iort.h): every checksum and length, the
 * fields the guest's kernel reads (FADT PSCI/HW_REDUCED, a GICC per vCPU with its MPIDR, the GIC
 * frames, the timer GSIVs, the ECAM, the console), the IORT's node graph walked the way Linux's
 * iort_node_map_id() walks it (a requester ID through the SMMU's StreamID to the ITS DeviceID),
 * and the whole set through fw_cfg's table-loader as AAVMF executes it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/arm_tables.h"
#include "acpi/iort.h"
#include "acpi/tables.h"
#include "acpi_loader_sim.h"
#include "tap.h"

#define SIZE 0x10000

static uint8_t buf[SIZE];

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

/* The machine as arch/arm64/firmware.c describes it (QEMU virt's addresses). */
static struct acpi_arm_machine machine(unsigned int ncpu, const uint64_t *mpidr, bool smmu)
{
	return (struct acpi_arm_machine){
		.nr_cpus = ncpu, .mpidr = mpidr, .gicd = 0x08000000, .gicr = 0x080a0000,
		.gicr_size = ncpu * 0x20000ull, .its = 0x08080000,
		.timer_sec_gsiv = 29, .timer_phys_gsiv = 30, .timer_virt_gsiv = 27, .timer_hyp_gsiv = 26,
		.psci_hvc = true, .uart = 0x09000000, .uart_size = 0x1000, .uart_gsiv = 33,
		.fw_cfg = 0x09020000, .fw_cfg_size = 0x18, .ecam = 0x4010000000ull, .buses = 256,
		.pio = 0x3eff0000, .pio_size = 0x10000, .mmio32 = 0x10000000, .mmio32_size = 0x2eff0000,
		.mmio64 = 0x8000000000ull, .mmio64_size = 0x8000000000ull, .intx_gsiv = 35,
		.smmu = smmu ? 0x09050000 : 0, .smmu_gsiv = { 106, 107, 109, 108 },
	};
}

/* The table with signature SIG the XSDT lists (NULL if none), after checking every XSDT entry. */
static const uint8_t *xsdt_find(const uint8_t *b, size_t used, const char *sig)
{
	uint64_t xsdt = le64(b + 24);
	uint32_t len = le32(b + xsdt + 4);

	for (uint32_t e = 36; e + 8 <= len; e += 8) {
		uint64_t at = le64(b + xsdt + e);

		if (at + 36 <= used && !memcmp(b + at, sig, 4))
			return b + at;
	}
	return NULL;
}

static bool find_bytes(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return true;
	return false;
}

/*
 * The output of ID IN through the IORT from the node at NODE until a node of type STOP (Linux's
 * iort_node_map_id): each node's ID mappings are searched for a range holding the ID, which becomes
 * output_base + (id - input_base) at the output reference. -1 when no mapping takes it.
 */
static int64_t iort_map(const uint8_t *iort, uint32_t node, uint32_t in, uint8_t stop, uint32_t *last)
{
	uint32_t len = le32(iort + 4), id = in;

	for (int hops = 0; hops < 8; hops++) {
		const uint8_t *n;
		uint32_t count, off, i;

		if (node + 16 > len)
			return -1;
		n = iort + node;
		if (n[0] == stop) {
			*last = node;
			return id;
		}
		count = le32(n + 8);
		off = le32(n + 12);
		for (i = 0; i < count; i++) {
			const uint8_t *m = n + off + 20 * i;

			if (node + off + 20 * (i + 1) > len)
				return -1;
			if (id >= le32(m) && id - le32(m) <= le32(m + 4)) {
				id = le32(m + 8) + (id - le32(m));
				node = le32(m + 12);
				break;
			}
		}
		if (i == count)
			return -1;
	}
	return -1;
}

/* The node of TYPE in the IORT (its offset), 0 if none; checks the node array tiles the table. */
static uint32_t iort_node(const uint8_t *iort, uint8_t type, bool *tiled)
{
	uint32_t len = le32(iort + 4), count = le32(iort + 36), at = le32(iort + 40), found = 0;

	for (uint32_t i = 0; i < count && at + 16 <= len; i++) {
		uint16_t nlen = (uint16_t)(iort[at + 1] | iort[at + 2] << 8);

		if (iort[at] == type)
			found = at;
		at += nlen ? nlen : len;
	}
	*tiled = at == len;
	return found;
}

static void test_tables(unsigned int ncpu, bool smmu)
{
	uint64_t mpidr[64];
	struct acpi_arm_machine m;
	const uint8_t *fadt, *madt, *gtdt, *mcfg, *spcr, *iort, *dsdt, *p;
	size_t used;
	bool ok, tiled;
	uint32_t rc, sm, its, last = 0;

	for (unsigned int i = 0; i < ncpu; i++)   /* KVM's reset MPIDR: Aff0 = id % 16, Aff1 = id / 16, bit 31 RES1 */
		mpidr[i] = 0x80000000ull | (i / 16) << 8 | (i % 16);
	m = machine(ncpu, mpidr, smmu);
	memset(buf, 0xa5, sizeof(buf));
	CHECK(acpi_arm_build(&m, buf, SIZE, 0x40000000, &used) == 0, "%u vCPUs%s: tables built (%zu bytes)", ncpu,
	      smmu ? ", SMMUv3" : "", used);
	/* Build again at 0 so that table pointers are offsets into buf. */
	CHECK(acpi_arm_build(&m, buf, SIZE, 0, &used) == 0, "and for address 0");
	CHECK(!memcmp(buf, "RSD PTR ", 8) && buf[15] == 2 && le32(buf + 20) == 36, "RSDP revision 2, 36 bytes");
	CHECK(sum8(buf, 20) == 0 && sum8(buf, 36) == 0, "RSDP checksums");
	CHECK(!memcmp(buf + le64(buf + 24), "XSDT", 4) && le32(buf + le64(buf + 24) + 4) == 36 + 6 * 8,
	      "the XSDT lists 6 tables");
	fadt = xsdt_find(buf, used, "FACP");
	madt = xsdt_find(buf, used, "APIC");
	gtdt = xsdt_find(buf, used, "GTDT");
	mcfg = xsdt_find(buf, used, "MCFG");
	spcr = xsdt_find(buf, used, "SPCR");
	iort = xsdt_find(buf, used, "IORT");
	CHECK(fadt && madt && gtdt && mcfg && spcr && iort, "FADT, MADT, GTDT, MCFG, SPCR and IORT are listed");
	if (!fadt || !madt || !gtdt || !mcfg || !spcr || !iort)
		return;
	ok = true;
	for (const uint8_t *const *t = (const uint8_t *const[]){ fadt, madt, gtdt, mcfg, spcr, iort, NULL }; *t; t++)
		ok &= sum8(*t, le32(*t + 4)) == 0;
	CHECK(ok, "every listed table's checksum sums to zero");

	/* FADT (ACPI 6.5 5.2.9): rev 6.5, HW_REDUCED_ACPI (bit 20), PSCI_COMPLIANT | PSCI_USE_HVC. */
	CHECK(le32(fadt + 4) == 276 && fadt[8] == 6 && fadt[131] == 5, "FADT: 276 bytes, revision 6.5");
	CHECK(le32(fadt + 112) == 1u << 20, "FADT: flags = HW_REDUCED_ACPI");
	CHECK((fadt[129] | fadt[130] << 8) == 3, "FADT: ARM_BOOT_ARCH = PSCI_COMPLIANT | PSCI_USE_HVC");
	dsdt = buf + le64(fadt + 140);
	CHECK(!memcmp(dsdt, "DSDT", 4) && le32(fadt + 40) == 0 && sum8(dsdt, le32(dsdt + 4)) == 0,
	      "FADT: X_DSDT points to a DSDT whose checksum sums to zero (32-bit DSDT field 0)");

	/* MADT (5.2.12): header, GICD, a GICC per vCPU, the GICR range, the ITS. */
	CHECK(le32(madt + 4) == 44 + 24 + ncpu * 82 + 16 + 20 && madt[8] == 6, "MADT: %u bytes, revision 6",
	      le32(madt + 4));
	p = madt + 44;
	CHECK(p[0] == 0x0c && p[1] == 24 && le64(p + 8) == 0x08000000 && p[20] == 3, "MADT: GICD at 0x08000000, GICv3");
	ok = true;
	for (unsigned int i = 0; i < ncpu; i++) {
		const uint8_t *c = madt + 44 + 24 + 82 * i;

		ok &= c[0] == 0x0b && c[1] == 82 && le32(c + 8) == i && le32(c + 12) == 1 && le64(c + 32) == 0 &&
		      le64(c + 60) == 0 && le64(c + 68) == ((i / 16) << 8 | (i % 16));
	}
	CHECK(ok, "MADT: GICC i: UID i, enabled, GICv3 (no base, no GICR base), MPIDR Aff fields only (RES1 bit 31 dropped)");
	p = madt + 44 + 24 + 82 * ncpu;
	CHECK(p[0] == 0x0e && p[1] == 16 && le64(p + 4) == 0x080a0000 && le32(p + 12) == ncpu * 0x20000,
	      "MADT: GICR discovery range covers one RD+SGI frame pair per vCPU");
	p += 16;
	CHECK(p[0] == 0x0f && p[1] == 20 && le32(p + 4) == 0 && le64(p + 8) == 0x08080000, "MADT: ITS 0 at 0x08080000");

	/* GTDT (5.2.25): PPIs as INTIDs, level/active high, the EL1 physical timer always on. */
	CHECK(le32(gtdt + 4) == 96 && le64(gtdt + 36) == ~0ull && le32(gtdt + 48) == 29 && le32(gtdt + 56) == 30 &&
	      le32(gtdt + 60) == 4 && le32(gtdt + 64) == 27 && le32(gtdt + 72) == 26 && le64(gtdt + 80) == ~0ull,
	      "GTDT: secure 29, non-secure 30 (always-on), virtual 27, EL2 26; no CNTControlBase/CNTReadBase");

	/* MCFG: segment 0, buses 0-255 at the ECAM. */
	CHECK(le32(mcfg + 4) == 60 && le64(mcfg + 44) == 0x4010000000ull && mcfg[52] == 0 && mcfg[54] == 0 &&
	      mcfg[55] == 255, "MCFG: ECAM 0x40_1000_0000, segment 0, buses 0-255");

	/* SPCR: a PL011 (type 3) at 0x0900_0000, 32-bit accesses, GIC interrupt 33. */
	CHECK(le32(spcr + 4) == 80 && spcr[36] == 3 && spcr[40] == 0 && spcr[41] == 32 && spcr[43] == 3 &&
	      le64(spcr + 44) == 0x09000000 && spcr[52] == 8 && le32(spcr + 54) == 33,
	      "SPCR: PL011 at 0x09000000 (memory, 32-bit), ARM GIC interrupt 33");

	/* IORT (DEN0049E.f): nodes tile the table; RC -> SMMU -> ITS, identity over 64K IDs. */
	its = iort_node(iort, IORT_NODE_ITS_GROUP, &tiled);
	sm = iort_node(iort, IORT_NODE_SMMUV3, &tiled);
	rc = iort_node(iort, IORT_NODE_RC, &tiled);
	CHECK(tiled && le32(iort + 36) == (smmu ? 3u : 2u) && le32(iort + 40) == 48 && its && rc && !sm == !smmu,
	      "IORT: %u nodes from offset 48 exactly fill its %u bytes", le32(iort + 36), le32(iort + 4));
	CHECK(le32(iort + its + 16) == 1 && le32(iort + its + 20) == le32(madt + 44 + 24 + 82 * ncpu + 16 + 4),
	      "IORT: the ITS group holds one ITS, the MADT ITS's Translation ID");
	CHECK(le32(iort + rc + 16) == 1 && iort[rc + 23] == 3 && le32(iort + rc + 24) == 0 && le32(iort + rc + 28) == 0,
	      "IORT: root complex: CCA 1, CPM|DACS, no ATS, segment 0 (the MCFG's)");
	CHECK(iort_map(iort, rc, 0x0108, IORT_NODE_ITS_GROUP, &last) == 0x0108 && last == its &&
	      iort_map(iort, rc, 0xffff, IORT_NODE_ITS_GROUP, &last) == 0xffff,
	      "IORT: RIDs 00:01.0-ff:1f.7 reach the ITS as DeviceID = RID (the device tree's msi-map)");
	CHECK(iort_map(iort, rc, 0x10000, IORT_NODE_ITS_GROUP, &last) == -1, "IORT: no RID past 0xffff is mapped");
	if (smmu) {
		p = iort + sm;
		CHECK(iort_map(iort, rc, 0x0108, IORT_NODE_SMMUV3, &last) == 0x0108 && last == sm,
		      "IORT: RID 00:01.0 is StreamID 0x108 at the SMMUv3 (the device tree's iommu-map)");
		CHECK(le32(p + 8) == 1 && le32(iort + rc + 8) == 1 && le32(iort + rc + 12 + 0) == 36 &&
		      le32(iort + rc + 36 + 12) == sm && le32(p + 68 + 12) == its && le32(p + 68 + 4) == 0xffff,
		      "IORT: ID mappings: RC -> SMMUv3 and SMMUv3 -> ITS group, 'number of IDs minus one' = 0xffff");
		CHECK(le64(p + 16) == 0x09050000 && le32(p + 24) == 1 && le32(p + 40) == 0,
		      "IORT: SMMUv3 at 0x09050000, COHACC override, generic model, no DeviceID mapping index");
		CHECK(le32(p + 44) == 106 && le32(p + 48) == 107 && le32(p + 52) == 109 && le32(p + 56) == 108,
		      "IORT: SMMUv3 wired GSIVs: event 106, PRI 107, GERR 109, sync 108");
	} else {
		CHECK(le32(iort + rc + 36 + 12) == its, "IORT: without SMMU the root complex maps straight to the ITS group");
	}

	/* DSDT: the devices the kernel binds, and the resources it reads. */
	{
		uint32_t dlen = le32(dsdt + 4);
		/* Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { 33 } */
		static const uint8_t uart_irq[] = { 0x89, 6, 0, 1, 1, 33, 0, 0, 0 };
		/* _PRT entry: Package (4) { 0x1ffff, Zero, Zero, 36 }: slot 1 INTA -> GSI 35 + (1 + 0) % 4 */
		static const uint8_t prt_1a[] = { 0x12, 0x0b, 4, 0x0c, 0xff, 0xff, 1, 0, 0, 0, 0x0a, 36 };
		/* slot 31 INTD -> 35 + (31 + 3) % 4 = 37 */
		static const uint8_t prt_31d[] = { 0x12, 0x0c, 4, 0x0c, 0xff, 0xff, 31, 0, 0x0a, 3, 0, 0x0a, 37 };
		/* DWordIO: ports 0-0xffff at CPU address 0x3eff0000 (translation offset) */
		static const uint8_t pio[] = { 0x87, 23, 0, 1, 0x0c, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0,
					       0, 0, 0xff, 0x3e, 0, 0, 1, 0 };
		static const uint8_t cca[] = { 0x08, '_', 'C', 'C', 'A', 0x01 };
		char cpu[5];

		CHECK(dsdt[8] == 2 && find_bytes(dsdt, dlen, "ARMH0011", 8) && find_bytes(dsdt, dlen, uart_irq, sizeof(uart_irq)),
		      "DSDT: COM0 (ARMH0011) with level interrupt 33");
		CHECK(find_bytes(dsdt, dlen, prt_1a, sizeof(prt_1a)) && find_bytes(dsdt, dlen, prt_31d, sizeof(prt_31d)),
		      "DSDT: _PRT swizzles INTx like the device tree's interrupt-map (slot 1 INTA 36, slot 31 INTD 37)");
		CHECK(find_bytes(dsdt, dlen, pio, sizeof(pio)), "DSDT: PCI0's I/O window: ports 0-0xffff at 0x3eff0000");
		CHECK(find_bytes(dsdt, dlen, cca, sizeof(cca)), "DSDT: _CCA One (Linux gives no DMA to arm64 devices without it)");
		snprintf(cpu, sizeof(cpu), "C%03X", ncpu - 1);
		CHECK(find_bytes(dsdt, dlen, cpu, 4) && find_bytes(dsdt, dlen, "ACPI0007", 8), "DSDT: processor devices C000-%s",
		      cpu);
	}
}

static int build_arm(const void *m, uint8_t *b, size_t size, uint64_t gpa, size_t *used)
{
	return acpi_arm_build(m, b, size, gpa, used);
}

static void test_loader(unsigned int ncpu)
{
	uint64_t mpidr[8];
	struct acpi_arm_machine m;

	for (unsigned int i = 0; i < ncpu; i++)
		mpidr[i] = 0x80000000ull | i;
	m = machine(ncpu, mpidr, true);
	/* AAVMF allocates below 4 GiB in RAM (from 0x4000_0000 on this machine). */
	loader_roundtrip("arm64", build_arm, &m, ncpu, 0x7ff00010, 7);
}

static void test_bad(void)
{
	uint64_t mpidr[2] = { 0, 1 };
	struct acpi_arm_machine m = machine(2, mpidr, true);
	struct acpi_builder b;
	size_t used;

	m.nr_cpus = 0;
	CHECK(acpi_arm_build(&m, buf, SIZE, 0, &used) == -EINVAL, "no vCPUs refused");
	m.nr_cpus = ACPI_ARM_MAX_CPUS + 1;
	CHECK(acpi_arm_build(&m, buf, SIZE, 0, &used) == -EINVAL, "more than %d vCPUs refused", ACPI_ARM_MAX_CPUS);
	m = machine(2, mpidr, true);
	m.buses = 0;
	CHECK(acpi_arm_build(&m, buf, SIZE, 0, &used) == -EINVAL, "no PCI buses refused");
	m = machine(2, mpidr, true);
	m.uart = 0x100000000ull;
	CHECK(acpi_arm_build(&m, buf, SIZE, 0, &used) == -EINVAL, "a Memory32Fixed resource above 4 GiB refused");
	m = machine(2, mpidr, true);
	CHECK(acpi_arm_build(&m, buf, 1024, 0, &used) == -ENOSPC, "tables that do not fit: -ENOSPC");
	acpi_builder_init(&b, buf, SIZE, 0);
	CHECK(acpi_iort_add(&b, &(struct acpi_iort_params){ .rid_count = 0 }) == -EINVAL &&
	      acpi_iort_add(&b, &(struct acpi_iort_params){ .rid_count = 0x10001 }) == -EINVAL,
	      "IORT: 0 or more than 65536 requester IDs refused");
}

int main(void)
{
	test_tables(1, false);
	test_tables(4, true);
	test_tables(64, true);
	test_loader(1);
	test_loader(8);
	test_bad();
	return tap_done();
}
