// SPDX-License-Identifier: GPL-2.0-only
/* Emulated ATS, Page Request and PASID extended capabilities (pci_ats.h). */
#include "devices/pci_ats.h"

#include <linux/pci_regs.h>

#include "devices/pci.h"

#define PRI_AT(off) ((uint32_t)(off) + 0x10)

/* Extended capability header (PCIe 6.0 7.6.3): ID 15:0, version 19:16, next 31:20. */
static uint32_t ext_hdr(uint16_t id, uint16_t next)
{
	return id | 1u << 16 | (uint32_t)next << 20;
}

static void mask16(uint8_t *m, uint32_t reg, uint16_t v)
{
	m[reg] = (uint8_t)v;
	m[reg + 1] = (uint8_t)(v >> 8);
}

void pci_ats_pri_add(struct pci_dev *d, uint16_t off, uint16_t next, uint32_t capacity)
{
	uint32_t pri = PRI_AT(off);

	pci_cfg_set32(d, off, ext_hdr(PCI_EXT_CAP_ID_ATS, (uint16_t)pri));
	pci_cfg_set16(d, off + PCI_ATS_CAP, PCI_ATS_CAP_PAGE_ALIGNED);
	mask16(d->wmask, off + PCI_ATS_CTRL, PCI_ATS_CTRL_ENABLE | PCI_ATS_CTRL_STU(0x1f));
	pci_cfg_set32(d, pri, ext_hdr(PCI_EXT_CAP_ID_PRI, next));
	mask16(d->wmask, pri + PCI_PRI_CTRL, PCI_PRI_CTRL_ENABLE);
	pci_cfg_set16(d, pri + PCI_PRI_STATUS, PCI_PRI_STATUS_STOPPED);
	mask16(d->w1c, pri + PCI_PRI_STATUS, PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
	pci_cfg_set32(d, pri + PCI_PRI_MAX_REQ, capacity);
	for (unsigned int i = 0; i < 4; i++)
		d->wmask[pri + PCI_PRI_ALLOC_REQ + i] = 0xff;
}

/* Stopped (bit 8) = Enable 0; with RESET (and Enable 0) the RW1C error bits clear. D's lock held. */
static bool update_status(struct pci_dev *d, uint16_t off, bool reset)
{
	uint16_t c = pci_cfg_get16(d, PRI_AT(off) + PCI_PRI_CTRL), st = pci_cfg_get16(d, PRI_AT(off) + PCI_PRI_STATUS);
	bool on = c & PCI_PRI_CTRL_ENABLE;

	if (reset && !on)
		st &= (uint16_t)~(PCI_PRI_STATUS_RF | PCI_PRI_STATUS_UPRGI);
	st = (uint16_t)((st & ~PCI_PRI_STATUS_STOPPED) | (on ? 0 : PCI_PRI_STATUS_STOPPED));
	pci_cfg_set16(d, PRI_AT(off) + PCI_PRI_STATUS, st);
	return on;
}

void pci_pasid_add(struct pci_dev *d, uint16_t off, uint16_t next, unsigned int width, bool exec, bool priv)
{
	uint16_t cap = (uint16_t)((exec ? PCI_PASID_CAP_EXEC : 0) | (priv ? PCI_PASID_CAP_PRIV : 0) | (width & 0x1f) << 8);

	pci_cfg_set32(d, off, ext_hdr(PCI_EXT_CAP_ID_PASID, next));
	pci_cfg_set16(d, off + PCI_PASID_CAP, cap);
	mask16(d->wmask, off + PCI_PASID_CTRL, (uint16_t)(PCI_PASID_CTRL_ENABLE | (exec ? PCI_PASID_CTRL_EXEC : 0) |
							  (priv ? PCI_PASID_CTRL_PRIV : 0)));
}

bool pci_pri_sync(struct pci_dev *d, uint16_t off)
{
	bool on;

	pthread_mutex_lock(&d->lock);
	on = update_status(d, off, false);
	pthread_mutex_unlock(&d->lock);
	return on;
}

bool pci_pri_written(struct pci_dev *d, uint16_t off, uint32_t reg, const uint8_t *data, uint32_t len, bool *enabled)
{
	uint32_t ctl = PRI_AT(off) + PCI_PRI_CTRL;

	if (reg > ctl || reg + len <= ctl)
		return false;
	pthread_mutex_lock(&d->lock);
	/* Reset is bit 1 of the byte written at the control register; it reads 0. */
	*enabled = update_status(d, off, data[ctl - reg] & PCI_PRI_CTRL_RESET);
	pthread_mutex_unlock(&d->lock);
	return true;
}
