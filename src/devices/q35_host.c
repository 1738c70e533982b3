// SPDX-License-Identifier: GPL-2.0-only
/* Q35 MCH host bridge registers (see q35_host.h). */
#include "devices/q35_host.h"

#include <string.h>

#include "devices/pci.h"
#include "vmm/log.h"

uint64_t q35_pciexbar_decode(uint64_t v, uint64_t *size)
{
	unsigned int len = (unsigned int)((v & Q35_PCIEXBAR_LEN_MASK) >> Q35_PCIEXBAR_LEN_SHIFT);

	*size = 0;
	if (!(v & Q35_PCIEXBAR_EN) || len == 3)
		return 0;
	*size = (256ull << 20) >> len;   /* 00 256 MiB (256 buses), 01 128 MiB, 10 64 MiB */
	return v & Q35_PCIEXBAR_ADDR_MASK & ~(*size - 1);
}

/* After a config write: a PCIEXBAR change moves the ECAM (the low dword holds the enable bit). */
static void mch_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len)
{
	uint64_t v, base, size;

	if (reg + len <= Q35_PCIEXBAR || reg >= Q35_PCIEXBAR + 8)
		return;
	pthread_mutex_lock(&d->lock);
	v = pci_cfg_get32(d, Q35_PCIEXBAR) | (uint64_t)pci_cfg_get32(d, Q35_PCIEXBAR + 4) << 32;
	pthread_mutex_unlock(&d->lock);
	base = q35_pciexbar_decode(v, &size);
	if (!size && (v & Q35_PCIEXBAR_EN))
		pr_debug("q35: PCIEXBAR %#llx has a reserved length: ECAM off", (unsigned long long)v);
	pci_host_set_ecam(d->host, base, size);   /* reports a window that cannot be placed */
}

static const struct pci_dev_ops mch_ops = { .cfg_write = mch_cfg_write };

void q35_host_init(struct pci_host *h, uint64_t tolud)
{
	struct pci_dev *d;

	/* QEMU's q35 ids and subsystem (Red Hat / QEMU), class host bridge. */
	pci_host_set_bridge(h, &mch_ops, "q35-mch", Q35_MCH_VENDOR, Q35_MCH_DEVICE, PCI_CLASSCODE_HOST_BRIDGE << 8,
			    0x1af4, 0x1100);
	d = &h->bridge;
	/* PCIEXBAR: base bits 35:26, length 2:1, enable 0. */
	pci_cfg_set32(d, Q35_PCIEXBAR, 0);
	pci_cfg_set32(d, Q35_PCIEXBAR + 4, 0);
	d->wmask[Q35_PCIEXBAR] = 0x07;
	d->wmask[Q35_PCIEXBAR + 3] = 0xfc;
	d->wmask[Q35_PCIEXBAR + 4] = 0x0f;
	for (unsigned int i = 0; i < Q35_PAM_COUNT; i++)
		d->wmask[Q35_PAM0 + i] = i ? 0x33 : 0x30;
	pci_cfg_set8(d, Q35_SMRAM, Q35_SMRAM_DEFAULT);
	pci_cfg_set8(d, Q35_ESMRAMC, Q35_ESMRAMC_DEFAULT);
	pci_cfg_set16(d, Q35_TOLUD, (uint16_t)(((tolud >> 20) & 0xfff) << 4));
	pci_host_set_ecam(h, 0, 0);
}
