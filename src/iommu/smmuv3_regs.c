// SPDX-License-Identifier: GPL-2.0-only
/*
 * SMMUv3 register pages 0 and 1 (IHI 0070 chapter 6): ID registers from the configured feature set,
 * control/ack pairs (updates complete at once, so *ACK always equals the last write), GBPA with its
 * Update handshake, GERROR/GERRORN, interrupt configuration, stream table and queue registers.
 * RO registers ignore writes, RES0 bits read as zero, and registers the spec forbids changing while
 * their unit is enabled (6.3.23-6.3.28: tables/queues) ignore such writes.
 */
#include <errno.h>
#include <string.h>

#include "iommu/smmuv3.h"
#include "vmm/log.h"

void smmuv3_default_features(struct smmuv3_features *f)
{
	*f = (struct smmuv3_features){
		.two_level_st = true, .msi = true, .sev = false, .ats = false, .ril = true,
		.gran4k = true, .gran16k = true, .gran64k = true,
		.sidsize = 16, .ssidsize = 0, .cmdqs = 12, .evtqs = 10, .pri = false, .priqs = 8,
		.oas = 4,       /* 44 bits, covers the arm64 map's 40-bit IPA space */
		.iidr = 0, .aidr = 1,   /* SMMUv3.1 */
	};
}

static void build_idr(struct smmuv3 *s)
{
	const struct smmuv3_features *f = &s->feat;

	/* Stage 1 only, AArch64 tables, little-endian, coherent, 16-bit ASIDs, no stalls, terminated
	 * transactions abort (TERM_MODEL) (6.3.1). */
	s->idr[0] = IDR0_S1P | IDR0_TTF_AA64 | IDR0_COHACC | IDR0_ASID16 | IDR0_TTENDIAN_LE |
		    IDR0_STALL_NONE | IDR0_TERM_MODEL |
		    (f->two_level_st ? IDR0_ST_LVL_2 : 0) | (f->msi ? IDR0_MSI : 0) |
		    (f->sev ? IDR0_SEV : 0) | (f->ats ? IDR0_ATS : 0) | (f->ssidsize > 10 ? IDR0_CD2L : 0) |
		    (f->pri ? IDR0_PRI : 0);
	s->idr[1] = IDR1_SIDSIZE(f->sidsize) | IDR1_SSIDSIZE(f->ssidsize) | IDR1_EVTQS(f->evtqs) |
		    IDR1_CMDQS(f->cmdqs) | (f->pri ? IDR1_PRIQS(f->priqs) : 0);
	s->idr[2] = 0;
	s->idr[3] = IDR3_HAD | (f->ril ? IDR3_RIL : 0);
	s->idr[4] = 0;
	s->idr[5] = (f->oas & 7) | (f->gran4k ? IDR5_GRAN4K : 0) | (f->gran16k ? IDR5_GRAN16K : 0) |
		    (f->gran64k ? IDR5_GRAN64K : 0);
}

void smmuv3_reset(struct smmuv3 *s)
{
	s->cr0 = s->cr1 = s->cr2 = 0;
	s->gbpa = GBPA_RESET;
	s->irq_ctrl = 0;
	s->gerror = s->gerrorn = 0;
	s->gerror_irq_cfg0 = 0;
	s->gerror_irq_cfg1 = s->gerror_irq_cfg2 = 0;
	s->strtab_base = 0;
	s->strtab_base_cfg = 0;
	memset(&s->cmdq, 0, sizeof(s->cmdq));
	memset(&s->evtq, 0, sizeof(s->evtq));
	memset(&s->priq, 0, sizeof(s->priq));
	s->evtq_irq_cfg0 = s->priq_irq_cfg0 = 0;
	s->evtq_irq_cfg1 = s->evtq_irq_cfg2 = 0;
	s->priq_irq_cfg1 = s->priq_irq_cfg2 = 0;
	s->nr_batch = 0;
	s->atc_timeout = false;
	smmuv3_reload_streams(s, 0, UINT32_MAX);
}

static bool features_ok(const struct smmuv3_features *f)
{
	return !(f->sidsize > 32 || f->ssidsize > SMMUV3_MAX_SSIDSIZE || f->cmdqs > 19 || f->evtqs > 19 || f->priqs > 19 || f->oas > 5 ||
		 !(f->gran4k || f->gran16k || f->gran64k));
}

int smmuv3_set_features(struct smmuv3 *s, const struct smmuv3_features *f)
{
	if (!features_ok(f))
		return err_num(EINVAL, "smmuv3: unsupported feature set (no translation granule in common with the host?)");
	pthread_mutex_lock(&s->lock);
	s->feat = *f;
	build_idr(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int smmuv3_init(struct smmuv3 *s, const struct smmuv3_features *f, const struct guest_mem *mem,
		struct viommu *v, const struct smmuv3_hooks *hooks, void *opaque)
{
	int r;

	memset(s, 0, sizeof(*s));
	if (!features_ok(f))
		return err_num(EINVAL, "smmuv3: unsupported feature set");
	r = pthread_mutex_init(&s->lock, NULL);
	if (r)
		return err_num(r, "smmuv3: mutex");
	s->feat = *f;
	s->mem = mem;
	s->viommu = v;
	s->hooks = *hooks;
	s->opaque = opaque;
	build_idr(s);
	smmuv3_reset(s);
	return 0;
}

void smmuv3_destroy(struct smmuv3 *s)
{
	pthread_mutex_destroy(&s->lock);
}

int smmuv3_add_stream(struct smmuv3 *s, uint32_t sid)
{
	int r = 0;

	if (s->feat.sidsize < 32 && sid >> s->feat.sidsize)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < s->nr_streams; i++)
		if (s->streams[i].sid == sid)
			goto out;
	if (s->nr_streams == SMMUV3_MAX_STREAMS) {
		r = -ENOSPC;
		goto out;
	}
	s->streams[s->nr_streams++] = (struct smmuv3_stream){ .sid = sid };
	smmuv3_reload_streams(s, sid, sid);
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

unsigned int smmuv3_q_log2size(uint64_t base, unsigned int max)
{
	unsigned int l = Q_BASE_LOG2SIZE(base);

	/* A LOG2SIZE above the IDR1 maximum behaves as the maximum (6.3.25). */
	return l > max ? max : l;
}

uint64_t smmuv3_q_addr(uint64_t base, unsigned int log2size, unsigned int entry_bytes)
{
	uint64_t bytes = (1ull << log2size) * entry_bytes;

	/* The queue is aligned to its size: address bits below it are treated as zero (6.3.25). */
	return base & Q_BASE_ADDR & ~(bytes - 1);
}

static uint32_t cr0_mask(const struct smmuv3 *s)
{
	return CR0_SMMUEN | CR0_EVTQEN | CR0_CMDQEN | (s->feat.ats ? CR0_ATSCHK : 0) | (s->feat.pri ? CR0_PRIQEN : 0);
}

static void write_cr0(struct smmuv3 *s, uint32_t v)
{
	uint32_t old = s->cr0;

	v &= cr0_mask(s);
	s->cr0 = v;
	/* Enabling the command queue after the guest set it up may make commands consumable. */
	if ((v & CR0_CMDQEN) && !(old & CR0_CMDQEN))
		smmuv3_cmdq_run(s);
	if ((v ^ old) & CR0_SMMUEN)
		smmuv3_reload_streams(s, 0, UINT32_MAX);
}

static void write_gbpa(struct smmuv3 *s, uint32_t v)
{
	/* Only a write with Update set changes the fields; Update then reads 0 (complete) (6.3.14). */
	if (!(v & GBPA_UPDATE))
		return;
	s->gbpa = v & GBPA_FIELDS;
	if (!(s->cr0 & CR0_SMMUEN))
		smmuv3_reload_streams(s, 0, UINT32_MAX);
}

static void write_gerrorn(struct smmuv3 *s, uint32_t v)
{
	bool was_stalled = (s->gerror ^ s->gerrorn) & GERROR_CMDQ_ERR;

	s->gerrorn = v & GERROR_MASK;
	/* Acknowledging CMDQ_ERR lets the queue resume from CMDQ_CONS (7.1). */
	if (was_stalled && !((s->gerror ^ s->gerrorn) & GERROR_CMDQ_ERR)) {
		s->cmdq.cons &= ~CMDQ_CONS_ERR_MASK;
		smmuv3_cmdq_run(s);
	}
}

static uint32_t q_index_mask(unsigned int log2size)
{
	return (2u << log2size) - 1;    /* index plus wrap bit */
}

static void write_cmdq_prod(struct smmuv3 *s, uint32_t v)
{
	s->cmdq.prod = v & q_index_mask(smmuv3_q_log2size(s->cmdq.base, s->feat.cmdqs));
	smmuv3_cmdq_run(s);
}

/* A 32-bit write to (half of) a 64-bit register. */
static uint64_t merge(uint64_t old, uint64_t off, uint64_t reg, uint64_t v, uint32_t len)
{
	if (len == 8)
		return v;
	if (off == reg)
		return (old & ~0xffffffffull) | (v & 0xffffffffull);
	return (old & 0xffffffffull) | (v << 32);
}

static void reg_write(struct smmuv3 *s, uint64_t off, uint64_t v, uint32_t len)
{
	uint64_t r64 = off & ~7ull;     /* the 64-bit register a 32-bit half belongs to */
	bool msi = s->feat.msi;

	switch (off) {
	case SMMU_CR0:
		write_cr0(s, (uint32_t)v);
		return;
	case SMMU_CR1:
		/* CR1 may only change while queues and tables are off (6.3.11). */
		if (!(s->cr0 & (CR0_SMMUEN | CR0_CMDQEN | CR0_EVTQEN)))
			s->cr1 = v & CR1_MASK;
		return;
	case SMMU_CR2:
		if (!(s->cr0 & CR0_SMMUEN))
			s->cr2 = v & (CR2_RECINVSID | CR2_PTM);
		return;
	case SMMU_GBPA:
		write_gbpa(s, (uint32_t)v);
		return;
	case SMMU_IRQ_CTRL:
		s->irq_ctrl = v & (IRQ_CTRL_GERROR_IRQEN | IRQ_CTRL_EVTQ_IRQEN | (s->feat.pri ? IRQ_CTRL_PRIQ_IRQEN : 0));
		return;
	case SMMU_GERRORN:
		write_gerrorn(s, (uint32_t)v);
		return;
	case SMMU_GERROR_IRQ_CFG0:
	case SMMU_GERROR_IRQ_CFG0 + 4:
		if (msi && !(s->irq_ctrl & IRQ_CTRL_GERROR_IRQEN))
			s->gerror_irq_cfg0 = merge(s->gerror_irq_cfg0, off, r64, v, len) & IRQ_CFG0_ADDR;
		return;
	case SMMU_GERROR_IRQ_CFG1:
		if (msi && !(s->irq_ctrl & IRQ_CTRL_GERROR_IRQEN))
			s->gerror_irq_cfg1 = (uint32_t)v;
		return;
	case SMMU_GERROR_IRQ_CFG2:
		if (msi && !(s->irq_ctrl & IRQ_CTRL_GERROR_IRQEN))
			s->gerror_irq_cfg2 = v & IRQ_CFG2_MASK;
		return;
	case SMMU_STRTAB_BASE:
	case SMMU_STRTAB_BASE + 4:
		if (!(s->cr0 & CR0_SMMUEN))
			s->strtab_base = merge(s->strtab_base, off, r64, v, len) & (STRTAB_BASE_RA | STRTAB_BASE_ADDR);
		return;
	case SMMU_STRTAB_BASE_CFG:
		if (!(s->cr0 & CR0_SMMUEN))
			s->strtab_base_cfg = v & (s->feat.two_level_st ? STRTAB_CFG_MASK : 0x7ffu);
		return;
	case SMMU_CMDQ_BASE:
	case SMMU_CMDQ_BASE + 4:
		if (!(s->cr0 & CR0_CMDQEN))
			s->cmdq.base = merge(s->cmdq.base, off, r64, v, len) & Q_BASE_MASK;
		return;
	case SMMU_CMDQ_PROD:
		write_cmdq_prod(s, (uint32_t)v);
		return;
	case SMMU_CMDQ_CONS:
		if (!(s->cr0 & CR0_CMDQEN))
			s->cmdq.cons = v & q_index_mask(smmuv3_q_log2size(s->cmdq.base, s->feat.cmdqs));
		return;
	case SMMU_EVENTQ_BASE:
	case SMMU_EVENTQ_BASE + 4:
		if (!(s->cr0 & CR0_EVTQEN))
			s->evtq.base = merge(s->evtq.base, off, r64, v, len) & Q_BASE_MASK;
		return;
	case SMMU_EVENTQ_PROD:
		if (!(s->cr0 & CR0_EVTQEN))
			s->evtq.prod = v & (q_index_mask(smmuv3_q_log2size(s->evtq.base, s->feat.evtqs)) | Q_OVF);
		return;
	case SMMU_EVENTQ_CONS:
		s->evtq.cons = v & (q_index_mask(smmuv3_q_log2size(s->evtq.base, s->feat.evtqs)) | Q_OVF);
		return;
	case SMMU_EVENTQ_IRQ_CFG0:
	case SMMU_EVENTQ_IRQ_CFG0 + 4:
		if (msi && !(s->irq_ctrl & IRQ_CTRL_EVTQ_IRQEN))
			s->evtq_irq_cfg0 = merge(s->evtq_irq_cfg0, off, r64, v, len) & IRQ_CFG0_ADDR;
		return;
	case SMMU_EVENTQ_IRQ_CFG1:
		if (msi && !(s->irq_ctrl & IRQ_CTRL_EVTQ_IRQEN))
			s->evtq_irq_cfg1 = (uint32_t)v;
		return;
	case SMMU_EVENTQ_IRQ_CFG2:
		if (msi && !(s->irq_ctrl & IRQ_CTRL_EVTQ_IRQEN))
			s->evtq_irq_cfg2 = v & IRQ_CFG2_MASK;
		return;
	/* The PRI queue (6.3.34-6.3.39 in IHI 0070's register list; reserved without IDR0.PRI): like the
	 * event queue, BASE and PROD change only while PRIQEN is 0, CONS (with OVACKFLG) any time. */
	case SMMU_PRIQ_BASE:
	case SMMU_PRIQ_BASE + 4:
		if (s->feat.pri && !(s->cr0 & CR0_PRIQEN))
			s->priq.base = merge(s->priq.base, off, r64, v, len) & Q_BASE_MASK;
		return;
	case SMMU_PRIQ_PROD:
		if (s->feat.pri && !(s->cr0 & CR0_PRIQEN))
			s->priq.prod = v & (q_index_mask(smmuv3_q_log2size(s->priq.base, s->feat.priqs)) | Q_OVF);
		return;
	case SMMU_PRIQ_CONS:
		if (s->feat.pri)
			s->priq.cons = v & (q_index_mask(smmuv3_q_log2size(s->priq.base, s->feat.priqs)) | Q_OVF);
		return;
	case SMMU_PRIQ_IRQ_CFG0:
	case SMMU_PRIQ_IRQ_CFG0 + 4:
		if (s->feat.pri && msi && !(s->irq_ctrl & IRQ_CTRL_PRIQ_IRQEN))
			s->priq_irq_cfg0 = merge(s->priq_irq_cfg0, off, r64, v, len) & IRQ_CFG0_ADDR;
		return;
	case SMMU_PRIQ_IRQ_CFG1:
		if (s->feat.pri && msi && !(s->irq_ctrl & IRQ_CTRL_PRIQ_IRQEN))
			s->priq_irq_cfg1 = (uint32_t)v;
		return;
	case SMMU_PRIQ_IRQ_CFG2:
		if (s->feat.pri && msi && !(s->irq_ctrl & IRQ_CTRL_PRIQ_IRQEN))
			s->priq_irq_cfg2 = v & IRQ_CFG2_MASK;
		return;
	default:
		pr_debug("smmuv3: write to RO/reserved offset 0x%llx ignored", (unsigned long long)off);
		return;
	}
}

static uint64_t half(uint64_t v, uint64_t off, uint64_t reg, uint32_t len)
{
	return len == 8 ? v : (off == reg ? v & 0xffffffffull : v >> 32);
}

static uint64_t reg_read(struct smmuv3 *s, uint64_t off, uint32_t len)
{
	uint64_t r64 = off & ~7ull;

	switch (off) {
	case SMMU_IDR0: case SMMU_IDR1: case SMMU_IDR2: case SMMU_IDR3: case SMMU_IDR4: case SMMU_IDR5:
		return s->idr[off / 4];
	case SMMU_IIDR:
		return s->feat.iidr;
	case SMMU_AIDR:
		return s->feat.aidr;
	case SMMU_CR0:
	case SMMU_CR0ACK:
		return s->cr0;
	case SMMU_CR1:
		return s->cr1;
	case SMMU_CR2:
		return s->cr2;
	case SMMU_GBPA:
		return s->gbpa;
	case SMMU_IRQ_CTRL:
	case SMMU_IRQ_CTRLACK:
		return s->irq_ctrl;
	case SMMU_GERROR:
		return s->gerror;
	case SMMU_GERRORN:
		return s->gerrorn;
	case SMMU_GERROR_IRQ_CFG0:
	case SMMU_GERROR_IRQ_CFG0 + 4:
		return half(s->gerror_irq_cfg0, off, r64, len);
	case SMMU_GERROR_IRQ_CFG1:
		return s->gerror_irq_cfg1;
	case SMMU_GERROR_IRQ_CFG2:
		return s->gerror_irq_cfg2;
	case SMMU_STRTAB_BASE:
	case SMMU_STRTAB_BASE + 4:
		return half(s->strtab_base, off, r64, len);
	case SMMU_STRTAB_BASE_CFG:
		return s->strtab_base_cfg;
	case SMMU_CMDQ_BASE:
	case SMMU_CMDQ_BASE + 4:
		return half(s->cmdq.base, off, r64, len);
	case SMMU_CMDQ_PROD:
		return s->cmdq.prod;
	case SMMU_CMDQ_CONS:
		return s->cmdq.cons;
	case SMMU_EVENTQ_BASE:
	case SMMU_EVENTQ_BASE + 4:
		return half(s->evtq.base, off, r64, len);
	case SMMU_EVENTQ_PROD:
		return s->evtq.prod;
	case SMMU_EVENTQ_CONS:
		return s->evtq.cons;
	case SMMU_EVENTQ_IRQ_CFG0:
	case SMMU_EVENTQ_IRQ_CFG0 + 4:
		return half(s->evtq_irq_cfg0, off, r64, len);
	case SMMU_EVENTQ_IRQ_CFG1:
		return s->evtq_irq_cfg1;
	case SMMU_EVENTQ_IRQ_CFG2:
		return s->evtq_irq_cfg2;
	case SMMU_PRIQ_BASE:
	case SMMU_PRIQ_BASE + 4:
		return half(s->priq.base, off, r64, len);
	case SMMU_PRIQ_PROD:
		return s->priq.prod;
	case SMMU_PRIQ_CONS:
		return s->priq.cons;
	case SMMU_PRIQ_IRQ_CFG0:
	case SMMU_PRIQ_IRQ_CFG0 + 4:
		return half(s->priq_irq_cfg0, off, r64, len);
	case SMMU_PRIQ_IRQ_CFG1:
		return s->priq_irq_cfg1;
	case SMMU_PRIQ_IRQ_CFG2:
		return s->priq_irq_cfg2;
	default:
		return 0;   /* reserved: RAZ */
	}
}

static bool is_64bit_reg(uint64_t off)
{
	return off == SMMU_GERROR_IRQ_CFG0 || off == SMMU_STRTAB_BASE || off == SMMU_CMDQ_BASE ||
	       off == SMMU_EVENTQ_BASE || off == SMMU_EVENTQ_IRQ_CFG0 || off == SMMU_PRIQ_BASE ||
	       off == SMMU_PRIQ_IRQ_CFG0;
}

void smmuv3_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct smmuv3 *s = opaque;
	bool changed;
	uint64_t v = 0;

	/* Page 1 holds EVENTQ_PROD/CONS (and PRIQ's); fold it onto page 0's layout, where those
	 * offsets are otherwise reserved (6.2). Everything else in page 1 is reserved. */
	if (offset >= SMMU_PAGE_SIZE) {
		offset -= SMMU_PAGE_SIZE;
		if (offset != SMMU_EVENTQ_PROD && offset != SMMU_EVENTQ_CONS && offset != SMMU_PRIQ_PROD &&
		    offset != SMMU_PRIQ_CONS)
			offset = 0xdfc;     /* a reserved offset: RAZ/WI */
	}
	/* 32-bit accesses to 32-bit registers and to either half of 64-bit ones; 64-bit accesses to
	 * 64-bit registers. Anything else is ignored (reads as zero). */
	if ((offset & (len - 1)) || (len != 4 && len != 8) || (len == 8 && !is_64bit_reg(offset))) {
		if (!is_write)
			memset(data, 0, len);
		pr_debug("smmuv3: unsupported %u-byte access at 0x%llx", len, (unsigned long long)offset);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (is_write) {
		for (uint32_t i = 0; i < len; i++)
			v |= (uint64_t)data[i] << (8 * i);
		reg_write(s, offset, v, len);
	} else {
		v = reg_read(s, offset, len);
		for (uint32_t i = 0; i < len; i++)
			data[i] = (uint8_t)(v >> (8 * i));
	}
	changed = s->xlate_changed;
	s->xlate_changed = false;
	pthread_mutex_unlock(&s->lock);
	/* Outside the lock: the hook translates again through smmuv3_translate(). */
	if (changed && s->hooks.xlate_changed)
		s->hooks.xlate_changed(s->opaque);
}
