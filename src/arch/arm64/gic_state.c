// SPDX-License-Identifier: GPL-2.0-only
/*
 * vGICv3 and ITS state across a live update (gic_state.h). Register offsets: GICv3/v4 architecture
 * specification IHI0069 12.9 (distributor), 12.10-12.11 (redistributor RD_base and SGI_base frames),
 * 12.19 (ITS), 12.7 (ICC_* system registers). The restore order follows the KVM documents: the
 * distributor and redistributors (GICR_PROPBASER/PENDBASER before GICR_CTLR.EnableLPIs), then the
 * ITS (GITS_IIDR, GITS_CBASER, the other registers, KVM_DEV_ARM_ITS_RESTORE_TABLES, GITS_CTLR last).
 */
#include "arch/arm64/gic_state.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/arm64/layout.h"
#include "liveupdate/reg_list.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define GIC_STATE_VERSION 1
#define ITS_STATE_VERSION 1

/* Distributor (IHI0069 12.9). */
#define GICD_CTLR       0x0000
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ISPENDR    0x0200
#define GICD_ISACTIVER  0x0300
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IGRPMODR   0x0d00
#define GICD_IROUTER    0x6000
/* Redistributor RD_base (12.10) and SGI_base = RD_base + 64K (12.11). */
#define GICR_CTLR       0x0000
#define GICR_PROPBASER  0x0070
#define GICR_PENDBASER  0x0078
#define GICR_SGI        0x10000
/* ITS (12.19). */
#define GITS_CTLR       0x0000
#define GITS_IIDR       0x0004
#define GITS_CBASER     0x0080
#define GITS_CWRITER    0x0088
#define GITS_CREADR     0x0090
#define GITS_BASER      0x0100
#define GITS_NR_BASER   8

/* ICC_* as KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS encodes them: op0 << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2. */
#define ICC(op0, op1, crn, crm, op2) ((uint64_t)((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2)))
#define ICC_PMR_EL1     ICC(3, 0, 4, 6, 0)
#define ICC_BPR0_EL1    ICC(3, 0, 12, 8, 3)
#define ICC_AP0R_EL1(n) ICC(3, 0, 12, 8, 4 + (n))
#define ICC_AP1R_EL1(n) ICC(3, 0, 12, 9, (n))
#define ICC_BPR1_EL1    ICC(3, 0, 12, 12, 3)
#define ICC_CTLR_EL1    ICC(3, 0, 12, 12, 4)
#define ICC_SRE_EL1     ICC(3, 0, 12, 12, 5)
#define ICC_IGRPEN0_EL1 ICC(3, 0, 12, 12, 6)
#define ICC_IGRPEN1_EL1 ICC(3, 0, 12, 12, 7)
#define ICC_CTLR_PRIBITS(v) ((((v) >> 8) & 7) + 1)   /* 12.2.6: PRIbits is the count minus one */

static int dev_attr(int fd, bool set, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val };

	return ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a) ? -errno : 0;
}

static const char *const group_names[] = {
	[KVM_DEV_ARM_VGIC_GRP_DIST_REGS] = "distributor register",
	[KVM_DEV_ARM_VGIC_GRP_REDIST_REGS] = "redistributor register",
	[KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS] = "CPU interface register",
	[KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO] = "line level",
	[KVM_DEV_ARM_VGIC_GRP_ITS_REGS] = "ITS register",
};

/* Reads attribute ID of GROUP (LEN bytes) and appends it to L. */
static int save_attr(int fd, uint32_t group, uint64_t id, uint32_t len, struct lu_regs *l)
{
	uint64_t v = 0;
	int r = dev_attr(fd, false, group, id, &v);

	if (r)
		return err_num(-r, "KVM_GET_DEVICE_ATTR %s 0x%" PRIx64, group_names[group], id);
	return lu_regs_add(l, id, &v, len);
}

/* MPIDR_EL1's affinity as the vGIC's attributes take it: Aff3.Aff2.Aff1.Aff0 (arm-vgic-v3.rst). */
static uint64_t mpidr_aff(uint64_t mpidr)
{
	return (mpidr >> 32 & 0xff) << 24 | (mpidr & 0xffffff);
}

static int save_dist(int fd, uint32_t nr_irqs, struct lu_regs *l, struct lu_regs *levels)
{
	uint32_t g = KVM_DEV_ARM_VGIC_GRP_DIST_REGS;
	int r = save_attr(fd, g, GICD_CTLR, 4, l);

	/* SGIs and PPIs (INTIDs 0-31) live in the redistributors with affinity routing: SPIs from 32. */
	for (uint32_t irq = 32; irq < nr_irqs && !r; irq += 32) {
		r = save_attr(fd, g, GICD_IGROUPR + irq / 8, 4, l);
		if (!r)
			r = save_attr(fd, g, GICD_IGRPMODR + irq / 8, 4, l);
	}
	for (uint32_t irq = 32; irq < nr_irqs && !r; irq += 16)
		r = save_attr(fd, g, GICD_ICFGR + irq / 4, 4, l);
	for (uint32_t irq = 32; irq < nr_irqs && !r; irq += 4)
		r = save_attr(fd, g, GICD_IPRIORITYR + irq, 4, l);
	for (uint32_t irq = 32; irq < nr_irqs && !r; irq++) {
		r = save_attr(fd, g, GICD_IROUTER + 8ull * irq, 4, l);
		if (!r)
			r = save_attr(fd, g, GICD_IROUTER + 8ull * irq + 4, 4, l);
	}
	/* A level-triggered SPI is pending while its line is high or its latch is set: both are kept. */
	for (uint32_t irq = 32; irq < nr_irqs && !r; irq += 32)
		r = save_attr(fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
			      (uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT | irq, 4, levels);
	for (uint32_t irq = 32; irq < nr_irqs && !r; irq += 32) {
		r = save_attr(fd, g, GICD_ISPENDR + irq / 8, 4, l);
		if (!r)
			r = save_attr(fd, g, GICD_ISACTIVER + irq / 8, 4, l);
		if (!r)
			r = save_attr(fd, g, GICD_ISENABLER + irq / 8, 4, l);
	}
	return r;
}

/* One redistributor: the LPI tables' bases before EnableLPIs, the SGI/PPI state, GICR_CTLR last. */
static int save_redist(int fd, uint64_t aff, struct lu_regs *l)
{
	static const uint32_t regs[] = {
		GICR_PROPBASER, GICR_PROPBASER + 4, GICR_PENDBASER, GICR_PENDBASER + 4,
		GICR_SGI + GICD_IGROUPR, GICR_SGI + GICD_IGRPMODR, GICR_SGI + GICD_ICFGR, GICR_SGI + GICD_ICFGR + 4,
		GICR_SGI + GICD_IPRIORITYR + 0, GICR_SGI + GICD_IPRIORITYR + 4, GICR_SGI + GICD_IPRIORITYR + 8,
		GICR_SGI + GICD_IPRIORITYR + 12, GICR_SGI + GICD_IPRIORITYR + 16, GICR_SGI + GICD_IPRIORITYR + 20,
		GICR_SGI + GICD_IPRIORITYR + 24, GICR_SGI + GICD_IPRIORITYR + 28,
		GICR_SGI + GICD_ISPENDR, GICR_SGI + GICD_ISACTIVER, GICR_SGI + GICD_ISENABLER, GICR_CTLR,
	};
	int r = 0;

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]) && !r; i++)
		r = save_attr(fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, aff << 32 | regs[i], 4, l);
	return r;
}

static int save_cpu_sysregs(int fd, uint64_t aff, struct lu_regs *l)
{
	uint32_t g = KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
	uint64_t ctlr = 0;
	unsigned int naprs;
	int r;

	/* ICC_SRE_EL1 and ICC_CTLR_EL1 first: they say how the others are interpreted. */
	r = save_attr(fd, g, aff << 32 | ICC_SRE_EL1, 8, l);
	if (!r)
		r = save_attr(fd, g, aff << 32 | ICC_CTLR_EL1, 8, l);
	if (r)
		return r;
	ctlr = *(const uint64_t *)(const void *)lu_regs_val(l, l->nr - 1);
	/* 12.7.1-2: 5 priority bits have one active-priority register per group, 6 two, 7 four. */
	naprs = 1u << (ICC_CTLR_PRIBITS(ctlr) > 5 ? ICC_CTLR_PRIBITS(ctlr) - 5 : 0);
	if (naprs > 4)
		naprs = 4;
	r = save_attr(fd, g, aff << 32 | ICC_PMR_EL1, 8, l);
	if (!r)
		r = save_attr(fd, g, aff << 32 | ICC_BPR0_EL1, 8, l);
	if (!r)
		r = save_attr(fd, g, aff << 32 | ICC_BPR1_EL1, 8, l);
	for (unsigned int n = 0; n < naprs && !r; n++) {
		r = save_attr(fd, g, aff << 32 | ICC_AP0R_EL1(n), 8, l);
		if (!r)
			r = save_attr(fd, g, aff << 32 | ICC_AP1R_EL1(n), 8, l);
	}
	if (!r)
		r = save_attr(fd, g, aff << 32 | ICC_IGRPEN0_EL1, 8, l);
	if (!r)
		r = save_attr(fd, g, aff << 32 | ICC_IGRPEN1_EL1, 8, l);
	return r;
}

static int save_its(int fd, struct lu_writer *w)
{
	uint32_t g = KVM_DEV_ARM_VGIC_GRP_ITS_REGS;
	struct lu_regs l;
	uint64_t ctlr;
	int r;

	lu_regs_init(&l);
	r = save_attr(fd, g, GITS_IIDR, 8, &l);
	if (!r)
		r = save_attr(fd, g, GITS_CBASER, 8, &l);
	if (!r)
		r = save_attr(fd, g, GITS_CREADR, 8, &l);
	if (!r)
		r = save_attr(fd, g, GITS_CWRITER, 8, &l);
	for (unsigned int i = 0; i < GITS_NR_BASER && !r; i++)
		r = save_attr(fd, g, GITS_BASER + 8 * i, 8, &l);
	if (!r && (r = dev_attr(fd, false, g, GITS_CTLR, &ctlr)))
		err_num(-r, "KVM_GET_DEVICE_ATTR GITS_CTLR");
	if (!r) {
		lu_writer_begin(w, ARM64_ITS_STATE_TYPE, 0, ITS_STATE_VERSION, LU_SEC_MANDATORY);
		lu_regs_put(w, &l);
		lu_put_u64(w, ctlr);
		r = lu_writer_end(w);
	}
	lu_regs_free(&l);
	return r;
}

int arm64_gic_state_save(struct vm *vm, struct lu_writer *w)
{
	int gic = vm->arch.gic_fd, its = vm->arch.its_fd;
	struct lu_regs l[4];
	int r;

	/*
	 * Into guest RAM, which crosses the update: the ITS's device/collection/translation tables, then
	 * the LPIs' pending bits into the redistributors' pending tables (arm-vgic-its.rst "ITS Save
	 * Sequence", arm-vgic-v3.rst KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES).
	 */
	r = dev_attr(its, true, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_SAVE_TABLES, NULL);
	if (r)
		return err_num(-r, "KVM_DEV_ARM_ITS_SAVE_TABLES");
	r = dev_attr(gic, true, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, NULL);
	if (r)
		return err_num(-r, "KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES");
	for (int i = 0; i < 4; i++)
		lu_regs_init(&l[i]);
	r = save_dist(gic, ARM64_GIC_NR_IRQS, &l[0], &l[3]);
	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++) {
		uint64_t aff = mpidr_aff(vm->vcpus[i].arch.mpidr);

		r = save_redist(gic, aff, &l[1]);
		if (!r)
			r = save_cpu_sysregs(gic, aff, &l[2]);
	}
	if (!r) {
		lu_writer_begin(w, ARM64_GIC_STATE_TYPE, 0, GIC_STATE_VERSION, LU_SEC_MANDATORY);
		lu_put_u32(w, ARM64_GIC_NR_IRQS);
		for (int i = 0; i < 4; i++)
			lu_regs_put(w, &l[i]);
		r = lu_writer_end(w);
	}
	for (int i = 0; i < 4; i++)
		lu_regs_free(&l[i]);
	return r ? r : save_its(its, w);
}

/* Sets every register of L (GROUP) in order; a refusal names it. */
static int restore_list(int fd, uint32_t group, const struct lu_regs *l, uint32_t len, char *why, size_t why_size)
{
	for (unsigned int i = 0; i < l->nr; i++) {
		uint64_t v = 0, id = l->r[i].id;
		int r;

		if (l->r[i].len != len) {
			snprintf(why, why_size, "%s 0x%" PRIx64 ": %u bytes, not %u", group_names[group], id, l->r[i].len, len);
			return -EINVAL;
		}
		memcpy(&v, lu_regs_val(l, i), len);
		r = dev_attr(fd, true, group, id, &v);
		if (r) {
			snprintf(why, why_size, "KVM_SET_DEVICE_ATTR %s 0x%" PRIx64 " = 0x%" PRIx64 ": %s", group_names[group], id, v,
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

/* A redistributor or CPU interface id must name one of this VM's vCPUs. */
static bool known_aff(struct vm *vm, uint64_t aff)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (mpidr_aff(vm->vcpus[i].arch.mpidr) == aff)
			return true;
	return false;
}

int arm64_gic_state_restore(struct vm *vm, const struct lu_section *s, char *why, size_t why_size)
{
	struct lu_regs l[4];
	struct lu_cursor c;
	uint32_t nr_irqs;
	int r = 0;

	lu_cursor_init(&c, s);
	nr_irqs = lu_get_u32(&c);
	for (int i = 0; i < 4; i++)
		lu_regs_init(&l[i]);
	for (int i = 0; i < 4 && !r && !c.bad; i++)
		r = lu_regs_get(&c, &l[i], LU_REGS_MAX);
	if (!c.bad && nr_irqs != ARM64_GIC_NR_IRQS)
		lu_cursor_fail(&c, "%" PRIu32 " IRQs, this nestvm's vGIC has %u", nr_irqs, ARM64_GIC_NR_IRQS);
	for (int k = 1; k <= 2 && !c.bad; k++)
		for (unsigned int i = 0; i < l[k].nr && !c.bad; i++)
			if (!known_aff(vm, l[k].r[i].id >> 32))
				lu_cursor_fail(&c, "a %s of a vCPU (affinity 0x%" PRIx64 ") this VM does not have",
					       k == 1 ? "redistributor register" : "CPU interface register", l[k].r[i].id >> 32);
	if (!r)
		r = lu_cursor_finish(&c, why, why_size);
	else
		snprintf(why, why_size, "out of memory decoding the vGIC state");
	if (!r)
		r = restore_list(vm->arch.gic_fd, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, &l[0], 4, why, why_size);
	if (!r)
		r = restore_list(vm->arch.gic_fd, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, &l[1], 4, why, why_size);
	if (!r)
		r = restore_list(vm->arch.gic_fd, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, &l[2], 8, why, why_size);
	if (!r)
		r = restore_list(vm->arch.gic_fd, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, &l[3], 4, why, why_size);
	for (int i = 0; i < 4; i++)
		lu_regs_free(&l[i]);
	return r;
}

int arm64_its_state_restore(struct vm *vm, const struct lu_section *s, char *why, size_t why_size)
{
	int fd = vm->arch.its_fd;
	struct lu_cursor c;
	struct lu_regs l;
	uint64_t ctlr;
	int r;

	lu_cursor_init(&c, s);
	r = lu_regs_get(&c, &l, 64);
	ctlr = lu_get_u64(&c);
	if (r) {
		snprintf(why, why_size, "out of memory decoding the ITS state");
		return r;
	}
	r = lu_cursor_finish(&c, why, why_size);
	if (!r)
		r = restore_list(fd, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, &l, 8, why, why_size);
	lu_regs_free(&l);
	if (!r && (r = dev_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_ITS_RESTORE_TABLES, NULL)))
		snprintf(why, why_size, "KVM_DEV_ARM_ITS_RESTORE_TABLES: %s (the ITS tables in guest RAM)", strerror(-r));
	if (!r && (r = dev_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR, &ctlr)))
		snprintf(why, why_size, "KVM_SET_DEVICE_ATTR GITS_CTLR 0x%" PRIx64 ": %s", ctlr, strerror(-r));
	return r;
}
