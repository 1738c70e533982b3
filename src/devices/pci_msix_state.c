// SPDX-License-Identifier: GPL-2.0-only
/* An MSI-X table across a live update (pci_msix_state.h). */
#include "devices/pci_msix_state.h"

#include <linux/pci_regs.h>
#include <string.h>

#include "liveupdate/state_fields.h"

int pci_msix_state_save(struct pci_msix *m, uint8_t devfn, struct lu_writer *w)
{
	pthread_mutex_lock(&m->lock);
	lu_writer_begin(w, PCI_MSIX_STATE_TYPE, devfn, PCI_MSIX_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, m->nr);
	for (unsigned int i = 0; i < m->nr; i++) {
		lu_put_u32(w, m->v[i].addr_lo);
		lu_put_u32(w, m->v[i].addr_hi);
		lu_put_u32(w, m->v[i].data);
		lu_put_u32(w, m->v[i].ctrl);
	}
	for (unsigned int i = 0; i < (m->nr + 63) / 64; i++)
		lu_put_u64(w, m->pba[i]);
	pthread_mutex_unlock(&m->lock);
	return lu_writer_end(w);
}

int pci_msix_state_decode(const struct lu_section *s, struct pci_msix_saved *out, char *why, size_t why_size)
{
	struct lu_cursor c;
	unsigned int n;

	memset(out, 0, sizeof(*out));
	lu_cursor_init(&c, s);
	n = lu_get_count(&c, PCI_MSIX_MAX_VECTORS, 16);
	if (!c.bad && !n)
		lu_cursor_fail(&c, "an MSI-X table of 0 vectors");
	out->nr = n;
	for (unsigned int i = 0; i < n && !c.bad; i++) {
		out->e[i].addr_lo = lu_get_u32(&c);
		out->e[i].addr_hi = lu_get_u32(&c);
		out->e[i].data = lu_get_u32(&c);
		out->e[i].ctrl = lu_get_u32(&c);
		/* What the model lets a guest write (pci_msix.c table_dword): nothing else. */
		if (!c.bad && (out->e[i].ctrl & ~PCI_MSIX_ENTRY_CTRL_MASKBIT))
			lu_cursor_fail(&c, "vector %u: control 0x%x has reserved bits", i, out->e[i].ctrl);
		if (!c.bad && (out->e[i].addr_lo & 3))
			lu_cursor_fail(&c, "vector %u: address 0x%x not dword aligned", i, out->e[i].addr_lo);
	}
	for (unsigned int i = 0; i < (n + 63) / 64 && !c.bad; i++)
		out->pba[i] = lu_get_u64(&c);
	if (!c.bad && n % 64 && (out->pba[n / 64] >> (n % 64)))
		lu_cursor_fail(&c, "pending bits beyond the %u vectors", n);
	return lu_cursor_finish(&c, why, why_size);
}
