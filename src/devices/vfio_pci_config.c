// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci config space. The type 0 header is emulated (ids and class copied from the function;
 * BARs, ROM, command, interrupt line/pin, capability pointer ours). The capability list is rebuilt at
 * the function's own offsets with only what a guest driver needs: MSI (emulated, delivered through
 * VFIO_DEVICE_SET_IRQS), MSI-X (emulated by pci_msix), power management (PMCSR emulated, the rest
 * passed through), and PCI Express (but for Device Control's FLR bit) and vendor-specific
 * capabilities, whose bodies are passed through to the device (VFIO's own config virtualization
 * guards them on the host side). Extended capabilities (0x100+) read as none but for the emulated
 * ATS, PRI and PASID that vfio_pci_ecap.c adds.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>
#include <unistd.h>

#include "devices/vfio_pci.h"
#include "iommu/fail_inject.h"
#include "vmm/log.h"

#define CAP_WALK_MAX 48     /* (256 - 64) / 4 capabilities fit in the legacy space */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Length of the capability at OFF, or 0 to hide it (PCI 3.0 6.7, PCIe 4.0 7.5.3). */
static unsigned int cap_len(const uint8_t *cfg, unsigned int off)
{
	uint16_t ctrl = le16(cfg + off + 2);

	switch (cfg[off]) {
	case PCI_CAP_ID_PM:
		return PCI_PM_SIZEOF;
	case PCI_CAP_ID_MSI:
		/* 6.8.1: 64-bit address adds 4 bytes; per-vector masking adds mask + pending (10). */
		return 10 + (ctrl & PCI_MSI_FLAGS_64BIT ? 4 : 0) + (ctrl & PCI_MSI_FLAGS_MASKBIT ? 10 : 0);
	case PCI_CAP_ID_MSIX:
		return PCI_CAP_MSIX_SIZEOF;
	case PCI_CAP_ID_EXP:
		/* 7.5.3.2: version 1 ends after the root registers, version 2 adds the *2 registers. */
		return (ctrl & PCI_EXP_FLAGS_VERS) >= 2 ? 0x3c : 0x24;   /* PCI_CAP_EXP_SIZEOF in the kernel, not uAPI */
	case PCI_CAP_ID_VNDR:
		return cfg[off + 2] >= 3 ? cfg[off + 2] : 3;
	default:
		return 0;
	}
}

unsigned int vfio_pci_caps_scan(const uint8_t *cfg, unsigned int len, struct vfio_pci_cap *out, unsigned int max)
{
	uint8_t seen[PCI_CFG_SPACE_SIZE / 8] = { 0 };
	unsigned int n = 0, off;

	if (len < PCI_CFG_SPACE_SIZE || !(le16(cfg + PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = cfg[PCI_CAPABILITY_LIST] & ~3u;
	for (unsigned int i = 0; i < CAP_WALK_MAX && off >= PCI_STD_HEADER_SIZEOF && off <= PCI_CFG_SPACE_SIZE - 4; i++) {
		unsigned int l;

		if (seen[off / 8] & (1u << (off % 8)))
			break;      /* a loop in the list */
		seen[off / 8] |= (uint8_t)(1u << (off % 8));
		l = cap_len(cfg, off);
		if (l && n < max) {
			if (off + l > PCI_CFG_SPACE_SIZE)
				l = PCI_CFG_SPACE_SIZE - off;
			out[n++] = (struct vfio_pci_cap){ .id = cfg[off], .off = (uint8_t)off, .len = (uint8_t)l };
		}
		off = cfg[off + PCI_CAP_LIST_NEXT] & ~3u;
	}
	return n;
}

static void set_pt(struct vfio_pci *v, unsigned int from, unsigned int to)
{
	for (unsigned int r = from; r < to && r < PCI_CFG_SPACE_SIZE_EXP; r++)
		v->pt[r / 8] |= (uint8_t)(1u << (r % 8));
}

bool vfio_pci_cfg_is_pt(const struct vfio_pci *v, uint32_t reg)
{
	return reg < PCI_CFG_SPACE_SIZE_EXP && (v->pt[reg / 8] & (1u << (reg % 8)));
}

void vfio_pci_config_header(struct vfio_pci *v, const uint8_t *real, uint8_t intx_pin)
{
	struct pci_dev *d = &v->pci;

	memset(v->pt, 0, sizeof(v->pt));
	/* Status: keep the function's timing bits; CAP_LIST follows our list, error bits are RW1C ours. */
	pci_cfg_set16(d, PCI_STATUS, le16(real + PCI_STATUS) &
		      (PCI_STATUS_66MHZ | PCI_STATUS_FAST_BACK | PCI_STATUS_DEVSEL_MASK));
	d->cfg[PCI_LATENCY_TIMER] = real[PCI_LATENCY_TIMER];
	d->cfg[PCI_MIN_GNT] = real[PCI_MIN_GNT];
	d->cfg[PCI_MAX_LAT] = real[PCI_MAX_LAT];
	d->cfg[PCI_INTERRUPT_PIN] = intx_pin <= 4 ? intx_pin : 0;
	d->cfg[PCI_CAPABILITY_LIST] = 0;
	d->cap_last = 0;
	d->cap_free = PCI_STD_HEADER_SIZEOF;
}

/* MSI (PCI 3.0 6.8.1), emulated: per-vector masking is not offered (the guest masks at the source). */
static int add_msi(struct vfio_pci *v, const uint8_t *real, const struct vfio_pci_cap *c)
{
	struct pci_dev *d = &v->pci;
	uint16_t ctrl = le16(real + c->off + PCI_MSI_FLAGS);
	bool is64 = ctrl & PCI_MSI_FLAGS_64BIT;
	uint8_t body[12] = { 0 };
	unsigned int mmc = (ctrl & PCI_MSI_FLAGS_QMASK) >> 1;
	int off;

	if (mmc > 5)
		mmc = 5;    /* 6.8.1.3: encodings above 32 vectors are reserved */
	pci_le_put(body, 2, (ctrl & PCI_MSI_FLAGS_64BIT) | (uint16_t)(mmc << 1));
	d->cap_free = c->off;
	off = pci_dev_add_cap(d, PCI_CAP_ID_MSI, is64 ? 14 : 10, body);
	if (off < 0)
		return off;
	d->wmask[off + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE;
	memset(&d->wmask[off + PCI_MSI_ADDRESS_LO], 0xff, 4);
	d->wmask[off + PCI_MSI_ADDRESS_LO] = 0xfc;      /* dword-aligned address */
	if (is64)
		memset(&d->wmask[off + PCI_MSI_ADDRESS_HI], 0xff, 4);
	memset(&d->wmask[off + (is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32)], 0xff, 2);
	v->msi.cap = (uint8_t)off;
	v->msi.is64 = is64;
	v->msi.max_vec = 1u << mmc;
	return 0;
}

/*
 * Power management (PCI PM 1.2 3.2): PMC and the bridge/data bytes pass through; PMCSR is ours. The
 * host function stays in D0: had the guest's D3hot reached it, the host's vfio-pci would revoke the
 * BAR mmaps that KVM's memslots point at and the guest's next BAR access would fail KVM_RUN.
 */
static int add_pm(struct vfio_pci *v, const uint8_t *real, const struct vfio_pci_cap *c)
{
	struct pci_dev *d = &v->pci;
	uint16_t pmc = le16(real + c->off + PCI_PM_PMC), pmcsr = le16(real + c->off + PCI_PM_CTRL);
	uint16_t wm = PCI_PM_CTRL_STATE_MASK;
	int off;

	d->cap_free = c->off;
	off = pci_dev_add_cap(d, PCI_CAP_ID_PM, c->len, real + c->off + 2);
	if (off < 0)
		return off;
	/* 3.2.4: starts in D0; No_Soft_Reset (bit 3) is the function's, read-only; PME_En is
	 * writable when the function can signal PME at all (PMC 15:11), PME_Status never sets. */
	pci_cfg_set16(d, off + PCI_PM_CTRL, pmcsr & PCI_PM_CTRL_NO_SOFT_RESET);
	if (pmc & PCI_PM_CAP_PME_MASK)
		wm |= PCI_PM_CTRL_PME_ENABLE;
	d->wmask[off + PCI_PM_CTRL] = (uint8_t)wm;
	d->wmask[off + PCI_PM_CTRL + 1] = (uint8_t)(wm >> 8);
	set_pt(v, off + PCI_PM_PMC, off + PCI_PM_CTRL);
	set_pt(v, off + PCI_PM_PPB_EXTENSIONS, (unsigned int)off + c->len);
	v->pm_cap = (uint8_t)off;
	/* 3.2.3: D0 and D3hot always; D1, D2 when PMC says so. */
	v->pm_states = 1u << VFIO_PCI_D0 | 1u << VFIO_PCI_D3HOT | (pmc & PCI_PM_CAP_D1 ? 1u << VFIO_PCI_D1 : 0) |
		       (pmc & PCI_PM_CAP_D2 ? 1u << VFIO_PCI_D2 : 0);
	atomic_store(&v->pm_state, VFIO_PCI_D0);
	return 0;
}

int vfio_pci_config_caps(struct vfio_pci *v, const uint8_t *real, const struct vfio_pci_cap *caps, unsigned int n)
{
	struct pci_dev *d = &v->pci;
	int r;

	for (unsigned int i = 0; i < n; i++) {
		const struct vfio_pci_cap *c = &caps[i];

		if (c->id == PCI_CAP_ID_MSI) {
			r = add_msi(v, real, c);
		} else if (c->id == PCI_CAP_ID_PM && c->len >= PCI_PM_SIZEOF) {
			r = add_pm(v, real, c);
		} else if (c->id == PCI_CAP_ID_MSIX) {
			unsigned int nr = v->msix_real_nr < PCI_MSIX_MAX_VECTORS ? v->msix_real_nr : PCI_MSIX_MAX_VECTORS;

			/*
			 * Its BAR not offered: hide it, the guest falls back to MSI/INTx. A second MSI-X
			 * capability (PCI 3.0 6.8.2 allows one per function) is hidden too: it would
			 * re-initialise the first one's vectors over their live eventfds.
			 */
			if (!v->has_msix || v->msix.dev)
				continue;
			d->cap_free = c->off;
			r = pci_msix_init(&v->msix, d, nr, v->msix_bar, v->msix_table_off, v->msix_pba_off);
			if (r) {
				pr_err("%s: MSI-X table/PBA do not fit BAR%u", v->name, v->msix_bar);
				return r;
			}
		} else {
			d->cap_free = c->off;
			r = pci_dev_add_cap(d, c->id, c->len, real + c->off + 2);
			if (r >= 0)
				set_pt(v, c->off + 2u, (unsigned int)c->off + c->len);
			if (r >= 0 && c->id == PCI_CAP_ID_EXP && c->len >= PCI_EXP_DEVCTL + 2) {
				v->pcie_cap = c->off;
				v->has_flr = pci_le_get(real + c->off + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR;
			}
		}
		if (r < 0)
			return r;
	}
	return 0;
}

void vfio_pci_config_snapshot(struct vfio_pci *v)
{
	pthread_mutex_lock(&v->pci.lock);
	memcpy(v->reset_cfg, v->pci.cfg, sizeof(v->reset_cfg));
	pthread_mutex_unlock(&v->pci.lock);
}

int vfio_pci_cfg_pread(struct vfio_pci *v, uint32_t reg, void *buf, uint32_t len)
{
	ssize_t n = pread(v->fd, buf, len, (off_t)(v->cfg_off + reg));

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

int vfio_pci_cfg_pwrite(struct vfio_pci *v, uint32_t reg, const void *buf, uint32_t len)
{
	ssize_t n = pwrite(v->fd, buf, len, (off_t)(v->cfg_off + reg));

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

static bool any_pt(const struct vfio_pci *v, uint32_t reg, uint32_t len, bool *all)
{
	bool any = false;

	*all = true;
	for (uint32_t i = 0; i < len; i++) {
		if (vfio_pci_cfg_is_pt(v, reg + i))
			any = true;
		else
			*all = false;
	}
	return any;
}

void vfio_pci_cfg_read(struct pci_dev *d, uint32_t reg, uint8_t *data, uint32_t len)
{
	struct vfio_pci *v = (struct vfio_pci *)d;
	uint8_t buf[4];
	bool all;

	if (v->fd < 0 || len > 4 || !any_pt(v, reg, len, &all) || reg + len > v->cfg_size)
		return;
	if (vfio_pci_cfg_pread(v, reg, buf, len)) {
		pr_debug("%s: config read 0x%x/%u failed", v->name, reg, len);
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		if (vfio_pci_cfg_is_pt(v, reg + i))
			data[i] = buf[i];
}

static bool overlaps(uint32_t reg, uint32_t len, uint32_t start, uint32_t end)
{
	return reg < end && reg + len > start;
}

void vfio_pci_cmd_forward(struct vfio_pci *v, uint16_t cmd)
{
	/* Memory/I-O decode and bus mastering must reach the function: it decodes its BARs and DMAs. */
	cmd &= PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
	       PCI_COMMAND_INTX_DISABLE;
	/* Test hook (fail_inject.h): the host revokes the BARs under the guest, which keeps its view. */
	if ((cmd & PCI_COMMAND_MEMORY) && fail_inject("bar-revoke"))
		cmd &= (uint16_t)~PCI_COMMAND_MEMORY;
	if (v->fd >= 0 && vfio_pci_cfg_pwrite(v, PCI_COMMAND, &cmd, 2))
		pr_debug("%s: command write failed", v->name);
}

/*
 * PMCSR written (PCI PM 1.2 3.2.4, 5.4.1): a write of an unsupported state completes and changes
 * nothing, D3hot only goes back to D0. Leaving D0 takes the BAR memslots down, D0 puts them back;
 * D3hot -> D0 with No_Soft_Reset 0 is an internal reset of the function (D0 uninitialized, 5.4.1).
 */
static void pm_write(struct vfio_pci *v)
{
	struct pci_dev *d = &v->pci;
	uint32_t reg = v->pm_cap + PCI_PM_CTRL;
	uint8_t old, want;
	uint16_t ctrl;
	bool reset = false;

	pthread_mutex_lock(&d->lock);
	ctrl = pci_cfg_get16(d, reg);
	old = atomic_load(&v->pm_state);
	want = ctrl & PCI_PM_CTRL_STATE_MASK;
	if (!(v->pm_states & (1u << want)) || (old == VFIO_PCI_D3HOT && want != VFIO_PCI_D0))
		want = old;
	pci_cfg_set16(d, reg, (uint16_t)((ctrl & ~PCI_PM_CTRL_STATE_MASK) | want));
	if (old == VFIO_PCI_D3HOT && want == VFIO_PCI_D0 && !(ctrl & PCI_PM_CTRL_NO_SOFT_RESET)) {
		reset = true;   /* vfio_pci_function_reset brings the state to D0 */
	} else if (want != old) {
		atomic_store(&v->pm_state, want);
		if (old == VFIO_PCI_D0 || want == VFIO_PCI_D0)
			vfio_pci_bars_power(v, want == VFIO_PCI_D0);
	}
	pthread_mutex_unlock(&d->lock);
	if (want != old)
		pr_debug("%s: D%u -> D%u%s", v->name, old, want, reset ? " (soft reset)" : "");
	if (reset)
		vfio_pci_function_reset(v);
}

/*
 * PCIe 6.0 7.5.3.4: Device Control bit 15, Initiate Function Level Reset (reads 0). The bit is kept
 * from the device (the host's vfio-pci would reset it behind our emulated state) and the FLR is
 * ours: vfio_pci_function_reset, which also resets the device through VFIO_DEVICE_RESET.
 */
static bool take_flr(struct vfio_pci *v, uint32_t reg, uint8_t *data, uint32_t len)
{
	uint32_t hi = v->pcie_cap + PCI_EXP_DEVCTL + 1u;
	uint8_t bit = PCI_EXP_DEVCTL_BCR_FLR >> 8;

	if (!v->pcie_cap || !overlaps(reg, len, hi, hi + 1) || !(data[hi - reg] & bit))
		return false;
	data[hi - reg] &= (uint8_t)~bit;
	return v->has_flr;      /* without the capability the bit does nothing */
}

void vfio_pci_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *wdata, uint32_t len)
{
	struct vfio_pci *v = (struct vfio_pci *)d;
	uint8_t data[4];
	bool all, flr;

	if (v->fd < 0 || len > 4)
		return;
	memcpy(data, wdata, len);
	flr = take_flr(v, reg, data, len);
	if (any_pt(v, reg, len, &all) && reg + len <= v->cfg_size) {
		/* Whole access when it is all passed through (keeps the device's access width), else per byte. */
		if (all) {
			if (vfio_pci_cfg_pwrite(v, reg, data, len))
				pr_debug("%s: config write 0x%x/%u failed", v->name, reg, len);
		} else {
			for (uint32_t i = 0; i < len; i++)
				if (vfio_pci_cfg_is_pt(v, reg + i) && vfio_pci_cfg_pwrite(v, reg + i, data + i, 1))
					pr_debug("%s: config write 0x%x failed", v->name, reg + i);
		}
	}
	if (overlaps(reg, len, PCI_COMMAND, PCI_COMMAND + 2)) {
		/* Enabling decode was forwarded already, before the BAR memslots (vfio_pci_bar_remap). */
		uint16_t cmd;

		pthread_mutex_lock(&d->lock);
		cmd = pci_cfg_get16(d, PCI_COMMAND);
		pthread_mutex_unlock(&d->lock);
		vfio_pci_cmd_forward(v, cmd);
		vfio_pci_intx_enable(v);
	}
	if (v->pm_cap && overlaps(reg, len, v->pm_cap + PCI_PM_CTRL, v->pm_cap + PCI_PM_CTRL + 2u))
		pm_write(v);
	vfio_pci_ecap_write(v, reg, wdata, len);
	if (flr) {
		pr_debug("%s: function level reset", v->name);
		vfio_pci_function_reset(v);
	}
	if (v->msi.cap && overlaps(reg, len, v->msi.cap, v->msi.cap + (v->msi.is64 ? 14u : 10u)))
		vfio_pci_msi_update(v);
	if (v->has_msix && v->msix.dev && overlaps(reg, len, v->msix.cap + PCI_MSIX_FLAGS, v->msix.cap + PCI_MSIX_FLAGS + 2u))
		vfio_pci_msix_update(v);
	if (v->rom_size && (overlaps(reg, len, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS + 4) ||
			    overlaps(reg, len, PCI_COMMAND, PCI_COMMAND + 2)))
		vfio_pci_rom_update(v);
}
