// SPDX-License-Identifier: GPL-2.0-only
/* Device tree of the arm64 machine (see devtree.h); every address comes from layout.h. */
#include "arch/arm64/devtree.h"

#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "arch/arm64/layout.h"
#include "devices/fw_cfg.h"

enum { PH_GIC = 1, PH_ITS, PH_CLK, PH_SMMU, PH_GPIO };

#define KEY_POWER 116   /* include/uapi/linux/input-event-codes.h */

/* GIC binding interrupt specifier: <type number flags> (interrupt-controller/arm,gic-v3.yaml). */
#define GIC_SPI         0
#define GIC_PPI         1
#define IRQ_EDGE_RISING 1
#define IRQ_LEVEL_HIGH  4

/* Helpers that stop at the first libfdt error: R keeps it, and every later call is a no-op. */
struct fdtb {
	void *fdt;
	int r;
};

static void begin(struct fdtb *b, const char *name)
{
	if (!b->r)
		b->r = fdt_begin_node(b->fdt, name);
}

static void end(struct fdtb *b)
{
	if (!b->r)
		b->r = fdt_end_node(b->fdt);
}

static void prop(struct fdtb *b, const char *name, const void *val, int len)
{
	if (!b->r)
		b->r = fdt_property(b->fdt, name, val, len);
}

static void prop_str(struct fdtb *b, const char *name, const char *s)
{
	prop(b, name, s, strlen(s) + 1);
}

static void prop_u32(struct fdtb *b, const char *name, uint32_t v)
{
	fdt32_t c = cpu_to_fdt32(v);

	prop(b, name, &c, sizeof(c));
}

static void prop_u64(struct fdtb *b, const char *name, uint64_t v)
{
	fdt64_t c = cpu_to_fdt64(v);

	prop(b, name, &c, sizeof(c));
}

/* A property of N 32-bit cells. */
static void prop_cells(struct fdtb *b, const char *name, const uint32_t *v, unsigned int n)
{
	fdt32_t c[64];

	if (n > 64) {
		b->r = -FDT_ERR_INTERNAL;
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		c[i] = cpu_to_fdt32(v[i]);
	prop(b, name, c, n * sizeof(c[0]));
}

/* reg = <addr size> with #address-cells = #size-cells = 2. */
static void prop_reg2(struct fdtb *b, uint64_t addr, uint64_t size)
{
	uint32_t c[4] = { addr >> 32, (uint32_t)addr, size >> 32, (uint32_t)size };

	prop_cells(b, "reg", c, 4);
}

static void node_cpus(struct fdtb *b, const struct arm64_fdt_params *p)
{
	char name[32];

	begin(b, "cpus");
	prop_u32(b, "#address-cells", 1);   /* MPIDR Aff3 is 0 for up to 64 vCPUs */
	prop_u32(b, "#size-cells", 0);
	for (unsigned int i = 0; i < p->nr_cpus; i++) {
		/* reg holds MPIDR_EL1.Aff2..Aff0 (bindings/arm/cpus.yaml). */
		uint32_t reg = p->mpidr[i] & 0xffffff;

		snprintf(name, sizeof(name), "cpu@%x", reg);
		begin(b, name);
		prop_str(b, "device_type", "cpu");
		prop_str(b, "compatible", "arm,arm-v8");
		prop_str(b, "enable-method", "psci");
		prop_u32(b, "reg", reg);
		end(b);
	}
	end(b);
}

static void node_psci(struct fdtb *b)
{
	/* KVM implements PSCI 1.x (0.2-compatible) in the kernel, called with HVC from EL1. */
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";

	begin(b, "psci");
	prop(b, "compatible", compat, sizeof(compat));
	prop_str(b, "method", "hvc");
	end(b);
}

static void node_gic(struct fdtb *b, const struct arm64_fdt_params *p)
{
	const struct arm64_gic_map *gic = p->gic ? p->gic : arm64_gic_map(false);
	char name[32];
	uint64_t rd_size = (uint64_t)p->nr_cpus * ARM64_GIC_REDIST_STRIDE;
	uint32_t reg[8] = {
		gic->dist >> 32, (uint32_t)gic->dist, 0, ARM64_GIC_DIST_SIZE,
		ARM64_GIC_REDIST_BASE >> 32, (uint32_t)ARM64_GIC_REDIST_BASE, rd_size >> 32, (uint32_t)rd_size,
	};

	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)gic->dist);
	begin(b, name);
	prop_str(b, "compatible", "arm,gic-v3");
	prop_u32(b, "#interrupt-cells", 3);
	prop(b, "interrupt-controller", NULL, 0);
	prop_cells(b, "reg", reg, 8);
	prop_u32(b, "#redistributor-regions", 1);
	prop_u32(b, "#address-cells", 2);
	prop_u32(b, "#size-cells", 2);
	prop(b, "ranges", NULL, 0);
	prop_u32(b, "phandle", PH_GIC);

	snprintf(name, sizeof(name), "msi-controller@%llx", (unsigned long long)gic->its);
	begin(b, name);
	prop_str(b, "compatible", "arm,gic-v3-its");
	prop(b, "msi-controller", NULL, 0);
	prop_u32(b, "#msi-cells", 1);     /* the cell is the DeviceID */
	prop_reg2(b, gic->its, ARM64_GIC_ITS_SIZE);
	prop_u32(b, "phandle", PH_ITS);
	end(b);
	end(b);
}

static void node_timer(struct fdtb *b)
{
	/* Secure phys, non-secure phys, virtual, hypervisor PPIs (bindings/timer/arm,arch_timer.yaml). */
	const uint32_t irqs[12] = {
		GIC_PPI, ARM64_TIMER_PPI_SEC, IRQ_LEVEL_HIGH, GIC_PPI, ARM64_TIMER_PPI_PHYS, IRQ_LEVEL_HIGH,
		GIC_PPI, ARM64_TIMER_PPI_VIRT, IRQ_LEVEL_HIGH, GIC_PPI, ARM64_TIMER_PPI_HYP, IRQ_LEVEL_HIGH,
	};

	begin(b, "timer");
	prop_str(b, "compatible", "arm,armv8-timer");
	prop_cells(b, "interrupts", irqs, 12);
	prop(b, "always-on", NULL, 0);      /* no power state of this machine stops the timer */
	end(b);
}

/*
 * What firmware boot adds, as QEMU virt describes it: the two CFI flash banks in one node
 * (bindings/mtd/mtd-physmap.yaml; AAVMF takes each bank's base and size from reg), the PL031
 * (bindings/rtc/arm,pl031.yaml) and fw_cfg (bindings/firmware/qemu,fw-cfg-mmio.yaml).
 */
static void node_firmware(struct fdtb *b, uint64_t vars_size)
{
	static const char rtc_compat[] = "arm,pl031\0arm,primecell";
	const uint32_t flash[8] = {
		ARM64_FLASH_BASE >> 32, (uint32_t)ARM64_FLASH_BASE, 0, (uint32_t)ARM64_FLASH_BANK_SIZE,
		(ARM64_FLASH_BASE + ARM64_FLASH_BANK_SIZE) >> 32, (uint32_t)(ARM64_FLASH_BASE + ARM64_FLASH_BANK_SIZE),
		vars_size >> 32, (uint32_t)vars_size,
	};
	const uint32_t rtc_irq[3] = { GIC_SPI, ARM64_RTC_SPI, IRQ_LEVEL_HIGH };
	char name[32];

	snprintf(name, sizeof(name), "flash@%llx", ARM64_FLASH_BASE);
	begin(b, name);
	prop_str(b, "compatible", "cfi-flash");
	prop_cells(b, "reg", flash, 8);
	prop_u32(b, "bank-width", 4);
	end(b);

	snprintf(name, sizeof(name), "pl031@%llx", ARM64_RTC_BASE);
	begin(b, name);
	prop(b, "compatible", rtc_compat, sizeof(rtc_compat));
	prop_reg2(b, ARM64_RTC_BASE, ARM64_RTC_SIZE);
	prop_cells(b, "interrupts", rtc_irq, 3);
	prop_u32(b, "clocks", PH_CLK);
	prop_str(b, "clock-names", "apb_pclk");
	end(b);

	snprintf(name, sizeof(name), "fw-cfg@%llx", ARM64_FW_CFG_BASE);
	begin(b, name);
	prop_str(b, "compatible", "qemu,fw-cfg-mmio");
	prop_reg2(b, ARM64_FW_CFG_BASE, FW_CFG_MMIO_LEN);
	prop(b, "dma-coherent", NULL, 0);
	end(b);
}

static void node_uart(struct fdtb *b, char *path, size_t path_size)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clk_names[] = "uartclk\0apb_pclk";
	const uint32_t irq[3] = { GIC_SPI, ARM64_UART_SPI, IRQ_LEVEL_HIGH };
	const uint32_t clks[2] = { PH_CLK, PH_CLK };

	/* The AMBA bus needs apb_pclk; the driver wants uartclk for baud rates: one fixed 24 MHz clock. */
	begin(b, "apb-pclk");
	prop_str(b, "compatible", "fixed-clock");
	prop_u32(b, "#clock-cells", 0);
	prop_u32(b, "clock-frequency", 24000000);
	prop_str(b, "clock-output-names", "clk24mhz");
	prop_u32(b, "phandle", PH_CLK);
	end(b);

	snprintf(path, path_size, "pl011@%llx", ARM64_UART_BASE);
	begin(b, path);
	prop(b, "compatible", compat, sizeof(compat));
	prop_reg2(b, ARM64_UART_BASE, ARM64_UART_SIZE);
	prop_cells(b, "interrupts", irq, 3);
	prop_cells(b, "clocks", clks, 2);
	prop(b, "clock-names", clk_names, sizeof(clk_names));
	end(b);
}

/*
 * The power button as QEMU virt has it: the PL061 (bindings/gpio/pl061-gpio.yaml) and a gpio-keys
 * node (bindings/input/gpio-keys.yaml) whose key is KEY_POWER on line ARM64_POWER_KEY_LINE,
 * active high. Needs the uart's apb-pclk clock node (PH_CLK).
 */
static void node_gpio(struct fdtb *b)
{
	static const char compat[] = "arm,pl061\0arm,primecell";
	const uint32_t irq[3] = { GIC_SPI, ARM64_GPIO_SPI, IRQ_LEVEL_HIGH };
	const uint32_t gpios[3] = { PH_GPIO, ARM64_POWER_KEY_LINE, 0 /* GPIO_ACTIVE_HIGH */ };
	char name[32];

	snprintf(name, sizeof(name), "pl061@%llx", ARM64_GPIO_BASE);
	begin(b, name);
	prop(b, "compatible", compat, sizeof(compat));
	prop_reg2(b, ARM64_GPIO_BASE, ARM64_GPIO_SIZE);
	prop_cells(b, "interrupts", irq, 3);
	prop(b, "gpio-controller", NULL, 0);
	prop_u32(b, "#gpio-cells", 2);
	prop_u32(b, "clocks", PH_CLK);
	prop_str(b, "clock-names", "apb_pclk");
	prop_u32(b, "phandle", PH_GPIO);
	end(b);

	begin(b, "gpio-keys");
	prop_str(b, "compatible", "gpio-keys");
	begin(b, "poweroff");
	prop_str(b, "label", "GPIO Key Poweroff");
	prop_u32(b, "linux,code", KEY_POWER);
	prop_cells(b, "gpios", gpios, 3);
	end(b);
	end(b);
}

/* The SMMUv3 (bindings/iommu/arm,smmu-v3.yaml), wired like QEMU virt's: edge SPIs 74..77. */
static void node_smmu(struct fdtb *b)
{
	static const char irq_names[] = "eventq\0priq\0cmdq-sync\0gerror";
	uint32_t irqs[12];
	char name[32];

	for (int i = 0; i < 4; i++) {
		irqs[3 * i] = GIC_SPI;
		irqs[3 * i + 1] = ARM64_SMMU_SPI + i;
		irqs[3 * i + 2] = IRQ_EDGE_RISING;
	}
	snprintf(name, sizeof(name), "iommu@%llx", ARM64_SMMU_BASE);
	begin(b, name);
	prop_str(b, "compatible", "arm,smmu-v3");
	prop_reg2(b, ARM64_SMMU_BASE, ARM64_SMMU_SIZE);
	prop_cells(b, "interrupts", irqs, 12);
	prop(b, "interrupt-names", irq_names, sizeof(irq_names));
	prop(b, "dma-coherent", NULL, 0);
	prop_u32(b, "#iommu-cells", 1);     /* the cell is the StreamID */
	prop_u32(b, "phandle", PH_SMMU);
	end(b);
}

static void node_pcie(struct fdtb *b, bool smmu)
{
	/* PCI address space codes in phys.hi (IEEE 1275 PCI binding): 1 I/O, 2 MEM32, 3 MEM64. */
	const uint32_t ranges[21] = {
		0x01000000, 0, 0, ARM64_PCI_PIO_BASE >> 32, (uint32_t)ARM64_PCI_PIO_BASE,
		0, ARM64_PCI_PIO_SIZE,
		0x02000000, 0, ARM64_PCI_MMIO32_BASE, ARM64_PCI_MMIO32_BASE >> 32, (uint32_t)ARM64_PCI_MMIO32_BASE,
		0, ARM64_PCI_MMIO32_SIZE,
		0x03000000, ARM64_PCI_MMIO64_BASE >> 32, (uint32_t)ARM64_PCI_MMIO64_BASE,
		ARM64_PCI_MMIO64_BASE >> 32, (uint32_t)ARM64_PCI_MMIO64_BASE,
		ARM64_PCI_MMIO64_SIZE >> 32, (uint32_t)ARM64_PCI_MMIO64_SIZE,
	};
	/* Requester ID -> ITS DeviceID, identity over the whole RID space (bindings/pci/pci-msi.txt). */
	const uint32_t msi_map[4] = { 0, PH_ITS, 0, 0x10000 };
	const uint32_t bus_range[2] = { 0, ARM64_PCI_ECAM_SIZE / 0x100000 - 1 };   /* 1 MiB of ECAM per bus */
	/* INTx: slot-swizzled onto SPIs 3..6 as on QEMU virt (PCI-to-PCI Bridge spec 9.1). 4 slots x 4
	 * pins suffice: the mask keeps only the low two bits of the device number. */
	uint32_t imap[16 * 10], mask[4] = { 0x1800, 0, 0, 7 };
	char name[32];
	unsigned int n = 0;

	for (uint32_t dev = 0; dev < 4; dev++) {
		for (uint32_t pin = 0; pin < 4; pin++) {
			uint32_t e[10] = { dev << 11, 0, 0, pin + 1, PH_GIC, 0, 0,
					   GIC_SPI, ARM64_PCI_INTX_SPI + (dev + pin) % 4, IRQ_LEVEL_HIGH };

			memcpy(imap + n, e, sizeof(e));
			n += 10;
		}
	}

	snprintf(name, sizeof(name), "pcie@%llx", ARM64_PCI_MMIO32_BASE);
	begin(b, name);
	prop_str(b, "compatible", "pci-host-ecam-generic");
	prop_str(b, "device_type", "pci");
	prop_u32(b, "#address-cells", 3);
	prop_u32(b, "#size-cells", 2);
	prop_u32(b, "#interrupt-cells", 1);
	prop_u32(b, "linux,pci-domain", 0);
	prop_cells(b, "bus-range", bus_range, 2);
	prop_reg2(b, ARM64_PCI_ECAM_BASE, ARM64_PCI_ECAM_SIZE);
	prop_cells(b, "ranges", ranges, 21);
	prop_cells(b, "msi-map", msi_map, 4);
	if (smmu) {
		/* Requester ID -> StreamID, identity (bindings/pci/pci-iommu.txt). */
		const uint32_t iommu_map[4] = { 0, PH_SMMU, 0, 0x10000 };

		prop_cells(b, "iommu-map", iommu_map, 4);
	}
	prop(b, "dma-coherent", NULL, 0);
	if (!b->r) {
		/* interrupt-map is larger than prop_cells' buffer. */
		fdt32_t c[16 * 10];

		for (unsigned int i = 0; i < n; i++)
			c[i] = cpu_to_fdt32(imap[i]);
		prop(b, "interrupt-map", c, n * sizeof(c[0]));
	}
	prop_cells(b, "interrupt-map-mask", mask, 4);
	end(b);
}

static void node_chosen(struct fdtb *b, const struct arm64_fdt_params *p, const char *uart)
{
	char path[48];

	snprintf(path, sizeof(path), "/%s", uart);
	begin(b, "chosen");
	prop_str(b, "bootargs", p->bootargs ? p->bootargs : "");
	prop_str(b, "stdout-path", path);
	if (p->initrd_end > p->initrd_start) {
		/* bindings/chosen.txt: linux,initrd-end is exclusive. */
		prop_u64(b, "linux,initrd-start", p->initrd_start);
		prop_u64(b, "linux,initrd-end", p->initrd_end);
	}
	end(b);
}

int arm64_fdt_build(void *buf, size_t size, const struct arm64_fdt_params *p)
{
	struct fdtb b = { .fdt = buf };
	char name[32], uart[32];

	if (!p->nr_cpus || !p->mpidr || !p->ram_size || p->initrd_end < p->initrd_start ||
	    p->flash_vars_size > ARM64_FLASH_BANK_SIZE ||
	    (uint64_t)p->nr_cpus * ARM64_GIC_REDIST_STRIDE > ARM64_GIC_REDIST_SIZE)
		return -EINVAL;
	if (size > ARM64_FDT_MAX_SIZE)
		size = ARM64_FDT_MAX_SIZE;
	b.r = fdt_create(buf, size);
	if (!b.r)
		b.r = fdt_finish_reservemap(buf);
	begin(&b, "");
	prop_str(&b, "compatible", "linux,dummy-virt");
	prop_str(&b, "model", "nestvm");
	prop_u32(&b, "#address-cells", 2);
	prop_u32(&b, "#size-cells", 2);
	prop_u32(&b, "interrupt-parent", PH_GIC);

	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)p->ram_base);
	begin(&b, name);
	prop_str(&b, "device_type", "memory");
	prop_reg2(&b, p->ram_base, p->ram_size);
	end(&b);

	node_cpus(&b, p);
	node_psci(&b);
	node_gic(&b, p);
	node_timer(&b);
	node_uart(&b, uart, sizeof(uart));
	node_gpio(&b);
	if (p->flash_vars_size)
		node_firmware(&b, p->flash_vars_size);
	if (p->smmu)
		node_smmu(&b);
	node_pcie(&b, p->smmu);
	node_chosen(&b, p, uart);
	end(&b);
	if (!b.r)
		b.r = fdt_finish(buf);
	if (!b.r)
		b.r = fdt_pack(buf);
	if (b.r == -FDT_ERR_NOSPACE)
		return -ENOSPC;
	return b.r ? -EINVAL : 0;
}

int arm64_bootargs(char *out, size_t size, const char *user, enum console_kind console)
{
	const char *con = console == CONSOLE_VIRTIO ? "console=hvc0" : "console=ttyAMA0";
	bool has_console = false;
	int n;

	/* A console= anywhere as a whole word means the user chose. */
	for (const char *s = user; s && (s = strstr(s, "console=")); s++) {
		if (s == user || s[-1] == ' ') {
			has_console = true;
			break;
		}
	}
	if (!user || !*user)
		n = snprintf(out, size, "%s", con);
	else if (has_console)
		n = snprintf(out, size, "%s", user);
	else
		n = snprintf(out, size, "%s %s", con, user);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
