// SPDX-License-Identifier: GPL-2.0-only
/* The arm64 device tree: valid (fdt_check_full) and carrying what Linux needs to boot the machine. */
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/devtree.h"
#include "arch/arm64/layout.h"
#include "tap.h"

#define BUF_SIZE 0x10000

static uint64_t mpidr[CFG_MAX_CPUS];

static const void *getprop(const void *fdt, const char *path, const char *name, int *len)
{
	int off = fdt_path_offset(fdt, path);

	return off < 0 ? NULL : fdt_getprop(fdt, off, name, len);
}

static uint32_t cell(const void *p, int i)
{
	return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

static uint64_t cell64(const void *p, int i)
{
	return (uint64_t)cell(p, i) << 32 | cell(p, i + 1);
}

static bool has_compat(const void *fdt, const char *path, const char *compat)
{
	int off = fdt_path_offset(fdt, path);

	return off >= 0 && fdt_node_check_compatible(fdt, off, compat) == 0;
}

static uint32_t phandle_of(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	return off < 0 ? 0 : fdt_get_phandle(fdt, off);
}

static void *build(unsigned int cpus, uint64_t initrd, uint64_t initrd_size, const char *bootargs)
{
	struct arm64_fdt_params p = {
		.ram_base = ARM64_RAM_BASE, .ram_size = 512ull << 20, .nr_cpus = cpus, .mpidr = mpidr,
		.bootargs = bootargs, .initrd_start = initrd, .initrd_end = initrd + initrd_size,
	};
	void *fdt = malloc(BUF_SIZE);
	int r = arm64_fdt_build(fdt, BUF_SIZE, &p);

	CHECK(r == 0, "arm64_fdt_build with %u CPUs: %d", cpus, r);
	CHECK(fdt_check_full(fdt, BUF_SIZE) == 0, "fdt_check_full passes (%u CPUs)", cpus);
	CHECK(fdt_totalsize(fdt) <= ARM64_FDT_MAX_SIZE, "packed tree within 2 MiB (%u bytes)", fdt_totalsize(fdt));
	return fdt;
}

static void test_machine(void)
{
	void *fdt;
	const void *p;
	int len;
	uint32_t gic, its;

	mpidr[0] = 0x80000000;  /* bit 31 is RES1 in MPIDR_EL1: not part of the reg */
	mpidr[1] = 0x80000001;
	fdt = build(2, 0x48000000, 0x123456, "console=ttyAMA0 quiet");

	p = getprop(fdt, "/", "#address-cells", &len);
	CHECK(p && len == 4 && cell(p, 0) == 2, "root #address-cells 2");
	p = getprop(fdt, "/memory@40000000", "reg", &len);
	CHECK(p && len == 16 && cell64(p, 0) == ARM64_RAM_BASE && cell64(p, 2) == 512ull << 20, "/memory reg");
	p = getprop(fdt, "/memory@40000000", "device_type", &len);
	CHECK(p && !strcmp(p, "memory"), "/memory device_type");

	p = getprop(fdt, "/cpus/cpu@1", "reg", &len);
	CHECK(p && len == 4 && cell(p, 0) == 1, "cpu@1 reg is MPIDR affinity");
	p = getprop(fdt, "/cpus/cpu@0", "enable-method", &len);
	CHECK(p && !strcmp(p, "psci"), "cpus boot with PSCI");
	CHECK(fdt_path_offset(fdt, "/cpus/cpu@2") < 0, "no third CPU");

	CHECK(has_compat(fdt, "/psci", "arm,psci-0.2") && has_compat(fdt, "/psci", "arm,psci-1.0"), "/psci compatible");
	p = getprop(fdt, "/psci", "method", &len);
	CHECK(p && !strcmp(p, "hvc"), "/psci method hvc");

	CHECK(has_compat(fdt, "/intc@8000000", "arm,gic-v3"), "GICv3 node");
	p = getprop(fdt, "/intc@8000000", "reg", &len);
	CHECK(p && len == 32 && cell64(p, 0) == ARM64_GIC_DIST_BASE && cell64(p, 4) == ARM64_GIC_REDIST_BASE &&
	      cell64(p, 6) == 2 * ARM64_GIC_REDIST_STRIDE, "GIC reg: distributor + 2 redistributors");
	CHECK(getprop(fdt, "/intc@8000000", "interrupt-controller", &len) != NULL, "interrupt-controller");
	p = getprop(fdt, "/intc@8000000", "#interrupt-cells", &len);
	CHECK(p && cell(p, 0) == 3, "#interrupt-cells 3");
	gic = phandle_of(fdt, "/intc@8000000");
	p = getprop(fdt, "/", "interrupt-parent", &len);
	CHECK(gic && p && cell(p, 0) == gic, "root interrupt-parent is the GIC");
	CHECK(has_compat(fdt, "/intc@8000000/msi-controller@8080000", "arm,gic-v3-its"), "ITS child node");
	CHECK(getprop(fdt, "/intc@8000000/msi-controller@8080000", "msi-controller", &len) != NULL, "ITS msi-controller");
	p = getprop(fdt, "/intc@8000000/msi-controller@8080000", "reg", &len);
	CHECK(p && len == 16 && cell64(p, 0) == ARM64_GIC_ITS_BASE, "ITS reg");
	its = phandle_of(fdt, "/intc@8000000/msi-controller@8080000");

	CHECK(has_compat(fdt, "/timer", "arm,armv8-timer"), "timer node");
	p = getprop(fdt, "/timer", "interrupts", &len);
	CHECK(p && len == 48 && cell(p, 0) == 1 && cell(p, 1) == 13 && cell(p, 4) == 14 && cell(p, 7) == 11 &&
	      cell(p, 10) == 10 && cell(p, 2) == 4 && cell(p, 5) == 4 && cell(p, 8) == 4 && cell(p, 11) == 4 &&
	      cell(p, 3) == 1 && cell(p, 6) == 1 && cell(p, 9) == 1, "timer PPIs 13,14,11,10 level-high");

	CHECK(has_compat(fdt, "/pl011@9000000", "arm,pl011") && has_compat(fdt, "/pl011@9000000", "arm,primecell"),
	      "PL011 compatible arm,pl011 + arm,primecell");
	p = getprop(fdt, "/pl011@9000000", "interrupts", &len);
	CHECK(p && len == 12 && cell(p, 0) == 0 && cell(p, 1) == ARM64_UART_SPI && cell(p, 2) == 4, "PL011 on SPI 1");
	p = getprop(fdt, "/pl011@9000000", "clock-names", &len);
	CHECK(p && len == sizeof("uartclk\0apb_pclk") && !memcmp(p, "uartclk\0apb_pclk", len), "PL011 clock-names");
	p = getprop(fdt, "/pl011@9000000", "clocks", &len);
	CHECK(p && len == 8 && cell(p, 0) == phandle_of(fdt, "/apb-pclk") && cell(p, 0), "PL011 clocks -> apb-pclk");

	p = getprop(fdt, "/chosen", "bootargs", &len);
	CHECK(p && !strcmp(p, "console=ttyAMA0 quiet"), "bootargs");
	p = getprop(fdt, "/chosen", "stdout-path", &len);
	CHECK(p && fdt_path_offset(fdt, p) == fdt_path_offset(fdt, "/pl011@9000000"), "stdout-path names the PL011");
	p = getprop(fdt, "/chosen", "linux,initrd-start", &len);
	CHECK(p && len == 8 && cell64(p, 0) == 0x48000000, "initrd-start");
	p = getprop(fdt, "/chosen", "linux,initrd-end", &len);
	CHECK(p && len == 8 && cell64(p, 0) == 0x48000000 + 0x123456, "initrd-end (exclusive)");

	CHECK(has_compat(fdt, "/pcie@10000000", "pci-host-ecam-generic"), "PCIe host compatible");
	p = getprop(fdt, "/pcie@10000000", "device_type", &len);
	CHECK(p && !strcmp(p, "pci"), "PCIe device_type pci");
	p = getprop(fdt, "/pcie@10000000", "reg", &len);
	CHECK(p && len == 16 && cell64(p, 0) == ARM64_PCI_ECAM_BASE && cell64(p, 2) == ARM64_PCI_ECAM_SIZE, "ECAM reg");
	p = getprop(fdt, "/pcie@10000000", "bus-range", &len);
	CHECK(p && len == 8 && cell(p, 0) == 0 && cell(p, 1) == 255, "bus-range 0-255");
	p = getprop(fdt, "/pcie@10000000", "ranges", &len);
	CHECK(p && len == 3 * 7 * 4 && cell(p, 0) == 0x01000000 && cell64(p, 3) == ARM64_PCI_PIO_BASE &&
	      cell(p, 7) == 0x02000000 && cell64(p, 10) == ARM64_PCI_MMIO32_BASE && cell64(p, 12) == ARM64_PCI_MMIO32_SIZE &&
	      cell(p, 14) == 0x03000000 && cell64(p, 15) == ARM64_PCI_MMIO64_BASE && cell64(p, 17) == ARM64_PCI_MMIO64_BASE &&
	      cell64(p, 19) == ARM64_PCI_MMIO64_SIZE, "ranges: PIO, MMIO32, MMIO64 (identity)");
	p = getprop(fdt, "/pcie@10000000", "msi-map", &len);
	CHECK(its && p && len == 16 && cell(p, 0) == 0 && cell(p, 1) == its && cell(p, 2) == 0 && cell(p, 3) == 0x10000,
	      "msi-map: RID -> ITS DeviceID identity");
	CHECK(getprop(fdt, "/pcie@10000000", "dma-coherent", &len) != NULL, "PCIe dma-coherent");
	p = getprop(fdt, "/pcie@10000000", "#address-cells", &len);
	CHECK(p && cell(p, 0) == 3, "PCIe #address-cells 3");
	p = getprop(fdt, "/pcie@10000000", "#size-cells", &len);
	CHECK(p && cell(p, 0) == 2, "PCIe #size-cells 2");
	p = getprop(fdt, "/pcie@10000000", "interrupt-map", &len);
	CHECK(p && len == 16 * 10 * 4 && cell(p, 4) == gic && cell(p, 8) == ARM64_PCI_INTX_SPI &&
	      cell(p, 10 * 5 + 8) == ARM64_PCI_INTX_SPI + 2, "interrupt-map: INTx swizzled onto SPIs 3-6");
	free(fdt);
}

static void test_variants(void)
{
	struct arm64_fdt_params p = { .ram_base = ARM64_RAM_BASE, .ram_size = 1 << 30, .nr_cpus = 64, .mpidr = mpidr };
	void *fdt;
	const void *v;
	int len;

	/* KVM's default MPIDRs: Aff0 = id % 16, Aff1 = id / 16. */
	for (unsigned int i = 0; i < CFG_MAX_CPUS; i++)
		mpidr[i] = 0x80000000 | (i / 16) << 8 | (i % 16);
	fdt = build(64, 0, 0, NULL);
	CHECK(fdt_path_offset(fdt, "/cpus/cpu@30f") >= 0, "64 CPUs: cpu@30f present");
	v = getprop(fdt, "/chosen", "linux,initrd-start", &len);
	CHECK(!v, "no initrd: no linux,initrd-start");
	v = getprop(fdt, "/chosen", "bootargs", &len);
	CHECK(v && !strcmp(v, ""), "empty bootargs");
	free(fdt);

	fdt = malloc(BUF_SIZE);
	CHECK(arm64_fdt_build(fdt, 512, &p) == -ENOSPC, "too small a buffer: -ENOSPC");
	p.nr_cpus = 0;
	CHECK(arm64_fdt_build(fdt, BUF_SIZE, &p) == -EINVAL, "0 CPUs: -EINVAL");
	p.nr_cpus = 124;
	CHECK(arm64_fdt_build(fdt, BUF_SIZE, &p) == -EINVAL, "more CPUs than redistributor space: -EINVAL");
	p.nr_cpus = 1;
	p.initrd_start = 2;
	p.initrd_end = 1;
	CHECK(arm64_fdt_build(fdt, BUF_SIZE, &p) == -EINVAL, "initrd end before start: -EINVAL");
	free(fdt);
}

static void test_bootargs(void)
{
	char s[64];

	CHECK(arm64_bootargs(s, sizeof(s), NULL, CONSOLE_SERIAL) == 0 && !strcmp(s, "console=ttyAMA0"), "default: %s", s);
	CHECK(arm64_bootargs(s, sizeof(s), "", CONSOLE_VIRTIO) == 0 && !strcmp(s, "console=hvc0"), "virtio: %s", s);
	CHECK(arm64_bootargs(s, sizeof(s), "quiet", CONSOLE_SERIAL) == 0 && !strcmp(s, "console=ttyAMA0 quiet"),
	      "prepended: %s", s);
	CHECK(arm64_bootargs(s, sizeof(s), "quiet console=hvc0", CONSOLE_SERIAL) == 0 && !strcmp(s, "quiet console=hvc0"),
	      "user console= kept: %s", s);
	CHECK(arm64_bootargs(s, sizeof(s), "netconsole=x", CONSOLE_SERIAL) == 0 && !strcmp(s, "console=ttyAMA0 netconsole=x"),
	      "netconsole= is not console=: %s", s);
	CHECK(arm64_bootargs(s, 16, "quiet", CONSOLE_SERIAL) == -ENAMETOOLONG, "too long: -ENAMETOOLONG");
}

/* --viommu smmuv3: the SMMU node (bindings/iommu/arm,smmu-v3.yaml) and iommu-map on the PCIe host. */
static void test_smmu(void)
{
	struct arm64_fdt_params p = { .ram_base = ARM64_RAM_BASE, .ram_size = 1 << 30, .nr_cpus = 1, .mpidr = mpidr };
	void *fdt = malloc(BUF_SIZE);
	const void *v;
	uint32_t smmu;
	int len;

	CHECK(fdt && arm64_fdt_build(fdt, BUF_SIZE, &p) == 0, "tree without an SMMU");
	CHECK(fdt_path_offset(fdt, "/iommu@9050000") < 0 && !getprop(fdt, "/pcie@10000000", "iommu-map", &len),
	      "no SMMU: no iommu node, no iommu-map");
	p.smmu = true;
	CHECK(arm64_fdt_build(fdt, BUF_SIZE, &p) == 0 && fdt_check_full(fdt, BUF_SIZE) == 0, "tree with an SMMU");
	CHECK(has_compat(fdt, "/iommu@9050000", "arm,smmu-v3"), "iommu@9050000 is arm,smmu-v3");
	v = getprop(fdt, "/iommu@9050000", "reg", &len);
	CHECK(v && len == 16 && cell64(v, 0) == ARM64_SMMU_BASE && cell64(v, 2) == ARM64_SMMU_SIZE, "SMMU reg: 128K at 0x9050000");
	v = getprop(fdt, "/iommu@9050000", "interrupts", &len);
	CHECK(v && len == 48 && cell(v, 0) == 0 && cell(v, 1) == 74 && cell(v, 2) == 1 && cell(v, 10) == 77 &&
	      cell(v, 11) == 1, "SMMU interrupts: edge SPIs 74..77");
	v = getprop(fdt, "/iommu@9050000", "interrupt-names", &len);
	CHECK(v && len == sizeof("eventq\0priq\0cmdq-sync\0gerror") && !memcmp(v, "eventq\0priq\0cmdq-sync\0gerror", len),
	      "SMMU interrupt-names: eventq, priq, cmdq-sync, gerror");
	v = getprop(fdt, "/iommu@9050000", "#iommu-cells", &len);
	CHECK(v && cell(v, 0) == 1 && getprop(fdt, "/iommu@9050000", "dma-coherent", &len), "#iommu-cells 1, dma-coherent");
	smmu = phandle_of(fdt, "/iommu@9050000");
	v = getprop(fdt, "/pcie@10000000", "iommu-map", &len);
	CHECK(smmu && v && len == 16 && cell(v, 0) == 0 && cell(v, 1) == smmu && cell(v, 2) == 0 && cell(v, 3) == 0x10000,
	      "iommu-map: RID -> StreamID identity");

	/* Assigned devices behind the nested vSMMU: the ITS doorbell at the host's SW_MSI window. */
	p.gic = arm64_gic_map(true);
	CHECK(arm64_fdt_build(fdt, BUF_SIZE, &p) == 0 && fdt_check_full(fdt, BUF_SIZE) == 0, "tree with the nested-MSI GIC map");
	CHECK(has_compat(fdt, "/intc@8010000", "arm,gic-v3") && fdt_path_offset(fdt, "/intc@8000000") < 0,
	      "nested-MSI map: the distributor node moved to 0x8010000");
	v = getprop(fdt, "/intc@8010000", "reg", &len);
	CHECK(v && len == 32 && cell64(v, 0) == 0x8010000 && cell64(v, 4) == ARM64_GIC_REDIST_BASE,
	      "nested-MSI map: distributor at 0x8010000, redistributors unmoved");
	v = getprop(fdt, "/intc@8010000/msi-controller@7ff0000", "reg", &len);
	CHECK(v && len == 16 && cell64(v, 0) + ARM64_GITS_TRANSLATER == ARM64_HOST_SW_MSI_BASE && cell64(v, 2) == ARM64_GIC_ITS_SIZE,
	      "nested-MSI map: GITS_TRANSLATER at the host SW_MSI base 0x8000000");
	/* Nothing in the new placement overlaps: ITS [0x7ff0000, 0x8010000) then the distributor's 64K. */
	CHECK(ARM64_GIC_ITS_BASE_NESTED + ARM64_GIC_ITS_SIZE <= ARM64_GIC_DIST_BASE_NESTED &&
	      ARM64_GIC_DIST_BASE_NESTED + ARM64_GIC_DIST_SIZE <= ARM64_GIC_REDIST_BASE, "nested-MSI map: no overlap");
	CHECK(arm64_gic_map(false)->dist == ARM64_GIC_DIST_BASE && arm64_gic_map(false)->its == ARM64_GIC_ITS_BASE,
	      "default map: QEMU virt's");
	free(fdt);
}

/* --firmware: the flash banks, PL031 and fw_cfg where AAVMF looks for them, and the vars bank short of the nested ITS. */
static void test_firmware(void)
{
	struct arm64_fdt_params p = { .ram_base = ARM64_RAM_BASE, .ram_size = 1 << 30, .nr_cpus = 1, .mpidr = mpidr };
	void *fdt = malloc(BUF_SIZE);
	const void *v;
	uint64_t short_vars = arm64_flash_vars_size(ARM64_GIC_ITS_BASE_NESTED);
	int len;

	CHECK(fdt && arm64_fdt_build(fdt, BUF_SIZE, &p) == 0, "tree without firmware");
	CHECK(fdt_path_offset(fdt, "/flash@0") < 0 && fdt_path_offset(fdt, "/fw-cfg@9020000") < 0 &&
	      fdt_path_offset(fdt, "/pl031@9010000") < 0, "no firmware: no flash, fw_cfg or RTC node");
	p.flash_vars_size = arm64_flash_vars_size(ARM64_GIC_ITS_BASE);
	CHECK(p.flash_vars_size == 64ull << 20, "QEMU virt's ITS: the vars bank keeps its 64 MiB");
	CHECK(arm64_fdt_build(fdt, BUF_SIZE, &p) == 0 && fdt_check_full(fdt, BUF_SIZE) == 0, "tree with firmware");
	CHECK(has_compat(fdt, "/flash@0", "cfi-flash"), "flash@0 is cfi-flash");
	v = getprop(fdt, "/flash@0", "reg", &len);
	CHECK(v && len == 32 && cell64(v, 0) == 0 && cell64(v, 2) == 64ull << 20 && cell64(v, 4) == 0x4000000 &&
	      cell64(v, 6) == 64ull << 20, "flash reg: code 64 MiB at 0, vars 64 MiB at 0x4000000");
	v = getprop(fdt, "/flash@0", "bank-width", &len);
	CHECK(v && len == 4 && cell(v, 0) == 4, "flash bank-width 4 (two x16 devices)");
	CHECK(has_compat(fdt, "/fw-cfg@9020000", "qemu,fw-cfg-mmio"), "fw-cfg@9020000 is qemu,fw-cfg-mmio");
	v = getprop(fdt, "/fw-cfg@9020000", "reg", &len);
	CHECK(v && len == 16 && cell64(v, 0) == 0x9020000 && cell64(v, 2) == 0x18, "fw_cfg reg: 0x18 bytes at 0x9020000 (DMA at +16)");
	CHECK(getprop(fdt, "/fw-cfg@9020000", "dma-coherent", &len) != NULL, "fw_cfg dma-coherent");
	CHECK(has_compat(fdt, "/pl031@9010000", "arm,pl031") && has_compat(fdt, "/pl031@9010000", "arm,primecell"),
	      "pl031@9010000 is arm,pl031 / arm,primecell");
	v = getprop(fdt, "/pl031@9010000", "reg", &len);
	CHECK(v && len == 16 && cell64(v, 0) == 0x9010000 && cell64(v, 2) == 0x1000, "RTC reg: 4K at 0x9010000");
	v = getprop(fdt, "/pl031@9010000", "clocks", &len);
	CHECK(v && len == 4 && cell(v, 0) == phandle_of(fdt, "/apb-pclk"), "RTC clock: apb_pclk");

	/* Nested MSIs: the ITS control frame is the last 64K of the vars bank; the bank ends a block early. */
	CHECK(short_vars == (64ull << 20) - 0x40000, "nested-MSI ITS: vars bank of 64 MiB - 256K (0x%llx)",
	      (unsigned long long)short_vars);
	CHECK(0x4000000 + short_vars <= ARM64_GIC_ITS_BASE_NESTED, "nested-MSI ITS: the vars bank ends below it");
	p.gic = arm64_gic_map(true);
	p.flash_vars_size = short_vars;
	CHECK(arm64_fdt_build(fdt, BUF_SIZE, &p) == 0 && fdt_check_full(fdt, BUF_SIZE) == 0, "tree with firmware, nested-MSI map");
	v = getprop(fdt, "/flash@0", "reg", &len);
	CHECK(v && len == 32 && cell64(v, 4) == 0x4000000 && cell64(v, 6) == short_vars, "flash reg: the short vars bank");
	p.flash_vars_size = (64ull << 20) + 0x40000;
	CHECK(arm64_fdt_build(fdt, BUF_SIZE, &p) == -EINVAL, "a vars bank larger than 64 MiB: -EINVAL");
	free(fdt);
}

/* The power button as QEMU virt describes it: a PL061 and gpio-keys' KEY_POWER on its line 3. */
static void test_power_button(void)
{
	struct arm64_fdt_params p = { .ram_base = ARM64_RAM_BASE, .ram_size = 1 << 30, .nr_cpus = 1, .mpidr = mpidr };
	void *fdt = malloc(BUF_SIZE);
	const void *v;
	int len;

	CHECK(fdt && arm64_fdt_build(fdt, BUF_SIZE, &p) == 0, "tree for the power button");
	CHECK(has_compat(fdt, "/pl061@9030000", "arm,pl061") && has_compat(fdt, "/pl061@9030000", "arm,primecell"),
	      "pl061@9030000 is arm,pl061 / arm,primecell");
	v = getprop(fdt, "/pl061@9030000", "reg", &len);
	CHECK(v && len == 16 && cell64(v, 0) == ARM64_GPIO_BASE && cell64(v, 2) == 0x1000, "GPIO reg: 4K at 0x9030000");
	v = getprop(fdt, "/pl061@9030000", "interrupts", &len);
	CHECK(v && len == 12 && cell(v, 0) == 0 && cell(v, 1) == ARM64_GPIO_SPI && cell(v, 2) == 4, "GPIO interrupt: SPI 7, level high");
	CHECK(getprop(fdt, "/pl061@9030000", "gpio-controller", &len) != NULL, "GPIO gpio-controller");
	v = getprop(fdt, "/pl061@9030000", "#gpio-cells", &len);
	CHECK(v && len == 4 && cell(v, 0) == 2, "GPIO #gpio-cells 2");
	v = getprop(fdt, "/pl061@9030000", "clocks", &len);
	CHECK(v && len == 4 && cell(v, 0) == phandle_of(fdt, "/apb-pclk"), "GPIO clock: apb_pclk");
	CHECK(has_compat(fdt, "/gpio-keys", "gpio-keys"), "gpio-keys node");
	v = getprop(fdt, "/gpio-keys/poweroff", "linux,code", &len);
	CHECK(v && len == 4 && cell(v, 0) == 116, "gpio-keys/poweroff: KEY_POWER (116)");
	v = getprop(fdt, "/gpio-keys/poweroff", "gpios", &len);
	CHECK(v && len == 12 && cell(v, 0) == phandle_of(fdt, "/pl061@9030000") && cell(v, 1) == ARM64_POWER_KEY_LINE &&
	      cell(v, 2) == 0, "gpio-keys/poweroff: PL061 line 3, active high");
	free(fdt);
}

int main(void)
{
	test_power_button();
	test_firmware();
	test_machine();
	test_variants();
	test_smmu();
	test_bootargs();
	return tap_done();
}
