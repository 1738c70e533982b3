// SPDX-License-Identifier: GPL-2.0-only
/* ICH9 LPC bridge config registers (see ich9_lpc.h). */
#include "devices/ich9_lpc.h"

#include <errno.h>
#include <stdlib.h>

#include "vmm/log.h"

#define PCI_CLASSCODE_ISA_BRIDGE 0x060100
#define ICH9_LPC_REVISION 0x02          /* QEMU's */
#define PMBASE_RTE 0x01                 /* resource type: I/O */

static void lpc_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len)
{
	struct ich9_lpc *l = (struct ich9_lpc *)d;
	uint16_t base;
	bool on;

	if (!(reg < ICH9_LPC_PMBASE + 4 && reg + len > ICH9_LPC_PMBASE) &&
	    !(reg <= ICH9_LPC_ACPI_CNTL && reg + len > ICH9_LPC_ACPI_CNTL))
		return;
	pthread_mutex_lock(&l->lock);
	pthread_mutex_lock(&d->lock);
	base = pci_cfg_get16(d, ICH9_LPC_PMBASE) & ICH9_LPC_PMBASE_MASK;
	on = d->cfg[ICH9_LPC_ACPI_CNTL] & ICH9_LPC_ACPI_EN;
	pthread_mutex_unlock(&d->lock);
	if (on != l->pm_on || (on && base != l->pm_base)) {
		l->pm_base = base;
		l->pm_on = on;
		if (l->decode)
			l->decode(l->opaque, base, on);
	}
	pthread_mutex_unlock(&l->lock);
}

static void lpc_destroy(struct pci_dev *d)
{
	struct ich9_lpc *l = (struct ich9_lpc *)d;

	pthread_mutex_destroy(&l->lock);
	pci_dev_fini(d);
	free(l);
}

static const struct pci_dev_ops lpc_ops = { .cfg_write = lpc_cfg_write, .destroy = lpc_destroy };

int ich9_lpc_create(struct pci_host *h, struct vm *vm, ich9_pm_decode_fn decode, void *opaque,
		    struct ich9_lpc **out)
{
	struct ich9_lpc *l = calloc(1, sizeof(*l));
	struct pci_dev *d;
	int r;

	if (!l)
		return err_num(ENOMEM, "ich9-lpc");
	d = &l->pci;
	/* QEMU's ICH9 LPC: Intel ids, subsystem Red Hat / QEMU. */
	pci_dev_init(d, vm, &lpc_ops, "ich9-lpc", ICH9_LPC_VENDOR, ICH9_LPC_DEVICE,
		     PCI_CLASSCODE_ISA_BRIDGE << 8 | ICH9_LPC_REVISION, 0x1af4, 0x1100);
	pthread_mutex_init(&l->lock, NULL);
	l->decode = decode;
	l->opaque = opaque;
	pci_cfg_set16(d, ICH9_LPC_PMBASE, PMBASE_RTE);
	d->wmask[ICH9_LPC_PMBASE] = ICH9_LPC_PMBASE_MASK & 0xff;
	d->wmask[ICH9_LPC_PMBASE + 1] = ICH9_LPC_PMBASE_MASK >> 8;
	d->wmask[ICH9_LPC_ACPI_CNTL] = ICH9_LPC_ACPI_EN | 0x07;
	for (unsigned int i = 0; i < 4; i++) {
		pci_cfg_set8(d, ICH9_LPC_PIRQA_ROUT + i, 0x80);
		pci_cfg_set8(d, ICH9_LPC_PIRQE_ROUT + i, 0x80);
		d->wmask[ICH9_LPC_PIRQA_ROUT + i] = d->wmask[ICH9_LPC_PIRQE_ROUT + i] = 0x8f;
	}
	/* RCBA bits 31:14 and the enable bit 0. */
	d->wmask[ICH9_LPC_RCBA] = 0x01;
	d->wmask[ICH9_LPC_RCBA + 1] = 0xc0;
	d->wmask[ICH9_LPC_RCBA + 2] = d->wmask[ICH9_LPC_RCBA + 3] = 0xff;
	r = pci_host_add_slot(h, d, ICH9_LPC_SLOT);
	if (r) {
		lpc_destroy(d);
		return r;
	}
	*out = l;
	return 0;
}
