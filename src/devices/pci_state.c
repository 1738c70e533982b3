// SPDX-License-Identifier: GPL-2.0-only
/* PCI config space across a live update (pci_state.h). */
#include "devices/pci_state.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>

#include "devices/pci.h"
#include "liveupdate/state_fields.h"

int pci_dev_state_save(struct pci_dev *d, struct lu_writer *w)
{
	pthread_mutex_lock(&d->lock);
	lu_writer_begin(w, PCI_CFG_STATE_TYPE, d->devfn, 1, LU_SEC_MANDATORY);
	lu_put_u16(w, pci_cfg_get16(d, PCI_VENDOR_ID));
	lu_put_u16(w, pci_cfg_get16(d, PCI_DEVICE_ID));
	lu_put_bytes(w, d->cfg, sizeof(d->cfg));
	pthread_mutex_unlock(&d->lock);
	return lu_writer_end(w);
}

int pci_dev_state_restore(struct pci_dev *d, const struct lu_section *s, char *why, size_t why_size)
{
	uint8_t *cfg = malloc(PCI_CFG_SPACE_SIZE_EXP);
	struct lu_cursor c;
	uint16_t ven, dev;
	int r;

	if (!cfg)
		return -ENOMEM;
	lu_cursor_init(&c, s);
	ven = lu_get_u16(&c);
	dev = lu_get_u16(&c);
	lu_get_bytes(&c, cfg, PCI_CFG_SPACE_SIZE_EXP);
	if (!c.bad && (ven != pci_cfg_get16(d, PCI_VENDOR_ID) || dev != pci_cfg_get16(d, PCI_DEVICE_ID)))
		lu_cursor_fail(&c, "function %04x:%04x was saved, this slot has %04x:%04x (%s)", ven, dev,
			       pci_cfg_get16(d, PCI_VENDOR_ID), pci_cfg_get16(d, PCI_DEVICE_ID), d->name);
	r = lu_cursor_finish(&c, why, why_size);
	if (!r)
		pci_dev_cfg_restore(d, cfg);
	free(cfg);
	return r;
}

int pci_host_state_save(struct pci_host *h, struct lu_writer *w)
{
	int r = 0;

	pthread_mutex_lock(&h->lock);
	for (unsigned int s = 0; s < PCI_NR_SLOTS && !r; s++) {
		struct pci_dev *d = h->slot[s];

		if (!d)
			continue;
		r = pci_dev_state_save(d, w);
		if (!r && d->ops->lu_save)
			r = d->ops->lu_save(d, w);
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

const struct pci_dev *pci_host_state_unsaved(struct pci_host *h)
{
	/* Slot 0 is the host bridge: config space only. */
	for (unsigned int s = 1; s < PCI_NR_SLOTS; s++)
		if (h->slot[s] && !h->slot[s]->ops->lu_save)
			return h->slot[s];
	return NULL;
}

void pci_host_state_quiesce(struct pci_host *h)
{
	pthread_mutex_lock(&h->lock);
	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++)
		if (h->slot[s] && h->slot[s]->ops->lu_quiesce)
			h->slot[s]->ops->lu_quiesce(h->slot[s]);
	pthread_mutex_unlock(&h->lock);
}

void pci_host_state_resume(struct pci_host *h)
{
	pthread_mutex_lock(&h->lock);
	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++)
		if (h->slot[s] && h->slot[s]->ops->lu_resume)
			h->slot[s]->ops->lu_resume(h->slot[s]);
	pthread_mutex_unlock(&h->lock);
}

int pci_host_state_restore(struct pci_host *h, const struct lu_state *st, char *why, size_t why_size)
{
	const struct lu_section *s = NULL;
	int r = 0;

	/* First: every saved function must be here (a machine made from the same arguments). */
	while (!r && (s = lu_state_next(st, PCI_CFG_STATE_TYPE, s))) {
		if (s->instance >= PCI_NR_SLOTS * 8 || !h->slot[s->instance >> 3] || (s->instance & 7)) {
			snprintf(why, why_size, "PCI function 00:%02" PRIx32 ".%" PRIx32 " was saved, this VM has none there",
				 s->instance >> 3, s->instance & 7);
			r = -EINVAL;
		}
	}
	for (unsigned int slot = 0; slot < PCI_NR_SLOTS && !r; slot++) {
		if (!h->slot[slot])
			continue;
		s = lu_state_find(st, PCI_CFG_STATE_TYPE, slot << 3);
		if (!s) {
			snprintf(why, why_size, "no saved state for PCI function 00:%02x.0 (%s)", slot, h->slot[slot]->name);
			r = -EINVAL;
		} else {
			r = pci_dev_state_restore(h->slot[slot], s, why, why_size);
		}
	}
	/* Then the models' own state: BARs decode where the guest put them, MSI-X sits in its BAR. */
	for (unsigned int slot = 0; slot < PCI_NR_SLOTS && !r; slot++) {
		struct pci_dev *d = h->slot[slot];

		if (d && d->ops->lu_restore)
			r = d->ops->lu_restore(d, st, why, why_size);
	}
	return r;
}
