// SPDX-License-Identifier: GPL-2.0-only
/* An assigned function across a live update (vfio_pci_state.h). */
#include "devices/vfio_pci_state.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci_msix_state.h"
#include "devices/vfio_pci.h"
#include "liveupdate/state_fields.h"
#include "vmm/fdtab.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int vfio_pci_state_decode(const struct lu_section *s, struct vfio_pci_saved *out, char *why, size_t why_size)
{
	struct lu_cursor c;

	memset(out, 0, sizeof(*out));
	lu_cursor_init(&c, s);
	out->devfn = lu_get_u8(&c);
	out->devid = lu_get_u32(&c);
	out->pm_state = lu_get_u8(&c);
	out->msi_enabled = lu_get_bool(&c);
	out->msi_nvec = lu_get_u32(&c);
	out->msi_addr = lu_get_u64(&c);
	out->msi_data = lu_get_u32(&c);
	out->msix_on = lu_get_bool(&c);
	out->intx_fds = lu_get_bool(&c);
	out->intx = lu_get_bool(&c);
	out->intx_on = lu_get_bool(&c);
	if (c.bad)
		return lu_cursor_finish(&c, why, why_size);
	if (out->pm_state > VFIO_PCI_D3HOT)
		lu_cursor_fail(&c, "PowerState %u", out->pm_state);
	else if (out->msi_enabled && (!out->msi_nvec || out->msi_nvec > VFIO_PCI_MAX_MSI ||
				      (out->msi_nvec & (out->msi_nvec - 1))))
		lu_cursor_fail(&c, "MSI enabled with %" PRIu32 " vectors (PCI 3.0 6.8.1.3: 1 to 32, a power of two)",
			       out->msi_nvec);
	else if (!out->msi_enabled && out->msi_nvec)
		lu_cursor_fail(&c, "MSI disabled with %" PRIu32 " vectors", out->msi_nvec);
	else if (out->msi_enabled && out->msix_on)
		lu_cursor_fail(&c, "MSI and MSI-X both armed (VFIO allows one interrupt type at a time)");
	else if (out->intx && !out->intx_fds)
		lu_cursor_fail(&c, "an INTx irqfd without INTx eventfds");
	else if (out->intx_on && (!out->intx || out->msi_enabled || out->msix_on))
		lu_cursor_fail(&c, "INTx armed without its irqfd, or together with MSI/MSI-X");
	return lu_cursor_finish(&c, why, why_size);
}

void vfio_pci_state_put(struct lu_writer *w, unsigned int idx, const struct vfio_pci_saved *s)
{
	lu_writer_begin(w, VFIO_PCI_STATE_TYPE, idx, VFIO_PCI_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u8(w, s->devfn);
	lu_put_u32(w, s->devid);
	lu_put_u8(w, s->pm_state);
	lu_put_bool(w, s->msi_enabled);
	lu_put_u32(w, s->msi_nvec);
	lu_put_u64(w, s->msi_addr);
	lu_put_u32(w, s->msi_data);
	lu_put_bool(w, s->msix_on);
	lu_put_bool(w, s->intx_fds);
	lu_put_bool(w, s->intx);
	lu_put_bool(w, s->intx_on);
}

void vfio_pci_lu_quiesce(struct pci_dev *d)
{
	struct vfio_pci *v = (struct vfio_pci *)d;

	vfio_pci_irq_quiesce(v);
	/*
	 * P2P: the IOAS outlives the exec but the BAR dma-bufs do not cross it (fdtab_kind_kept): the new
	 * process exports its own and maps them where the restored config space puts the BARs, which
	 * the old mappings would block (EEXIST). Peers' DMA to this BAR is blocked meanwhile.
	 */
	for (unsigned int i = 0; i < PCI_NR_BARS; i++)
		vfio_pci_p2p_unmap(v, i);
}

/* Registers FD for the handover (kind KIND, NAME); -errno. The table never closes it here: not full. */
static int hand_over(struct vfio_pci *v, int fd, enum fd_kind kind, const char *name)
{
	int r;

	if (fd < 0)
		return 0;
	r = fdtab_adopt(v->fds, fd, kind, VFIO_PCI_FD_OWNER, name);
	return r < 0 ? r : 0;
}

int vfio_pci_lu_save(struct pci_dev *d, struct lu_writer *w)
{
	struct vfio_pci *v = (struct vfio_pci *)d;
	struct vfio_pci_saved s = { .devfn = d->devfn, .devid = v->devid, .pm_state = atomic_load(&v->pm_state) };
	char name[FDTAB_NAME_LEN];
	int r = 0;

	if (!v->fds)
		return err_num(EINVAL, "%s: no fd table to hand its fds over in", v->name);
	/* The table has room: FDTAB_MAX (4096) is far above what a VM registers (checked at adoption). */
	if (fdtab_count(v->fds, FD_KIND_COUNT) + VFIO_PCI_MAX_MSI + PCI_MSIX_MAX_VECTORS + 2 > FDTAB_MAX)
		return err_num(EMFILE, "%s: the fd table is too full to hand its eventfds over", v->name);
	pthread_mutex_lock(&v->irq_lock);
	s.msi_enabled = v->msi.enabled;
	s.msi_nvec = v->msi.enabled ? v->msi.nvec : 0;
	s.msi_addr = v->msi.addr;
	s.msi_data = v->msi.data;
	s.msix_on = v->msix_on;
	s.intx_fds = v->intx_efd >= 0 && v->intx_rfd >= 0;
	s.intx = v->intx;
	s.intx_on = v->intx_on;
	for (unsigned int i = 0; i < s.msi_nvec && !r; i++) {
		snprintf(name, sizeof(name), "vfio%u-msi%u", v->idx, i);
		r = hand_over(v, v->msi.efd[i], FD_EVENTFD, name);
	}
	if (!r && s.intx_fds) {
		snprintf(name, sizeof(name), "vfio%u-intx", v->idx);
		r = hand_over(v, v->intx_efd, FD_IRQFD, name);
		snprintf(name, sizeof(name), "vfio%u-intx-rs", v->idx);
		if (!r)
			r = hand_over(v, v->intx_rfd, FD_IRQFD, name);
	}
	pthread_mutex_unlock(&v->irq_lock);
	for (unsigned int i = 0; v->msix.dev && i < v->msix.nr && !r; i++) {
		snprintf(name, sizeof(name), "vfio%u-msix%u", v->idx, i);
		r = hand_over(v, v->msix.v[i].efd, FD_EVENTFD, name);
	}
	if (r)
		return err_num(-r, "%s: registering its eventfds for the handover", v->name);
	vfio_pci_state_put(w, v->idx, &s);
	r = lu_writer_end(w);
	if (!r && v->msix.dev)
		r = pci_msix_state_save(&v->msix, d->devfn, w);
	return r;
}

void vfio_pci_state_release(struct fdtab *fds)
{
	struct fdtab_entry *e;
	unsigned int n;

	if (!fds)
		return;
	e = calloc(FDTAB_MAX, sizeof(*e));
	if (!e) {
		pr_err("update: out of memory releasing the handed-over eventfds");
		return;
	}
	n = fdtab_snapshot(fds, e, FDTAB_MAX, false);
	for (unsigned int i = 0; i < n && i < FDTAB_MAX; i++)
		if ((e[i].kind == FD_EVENTFD || e[i].kind == FD_IRQFD) && !strcmp(e[i].owner, VFIO_PCI_FD_OWNER))
			fdtab_release(fds, e[i].fd);
	free(e);
}

void vfio_pci_lu_resume(struct pci_dev *d)
{
	struct vfio_pci *v = (struct vfio_pci *)d;

	vfio_pci_state_release(v->fds);
	vfio_pci_irq_resume(v);
	/* The update did not happen: the BARs that decode in D0 are the peers' again (quiesce above). */
	if (atomic_load(&v->pm_state) == VFIO_PCI_D0)
		for (unsigned int i = 0; i < PCI_NR_BARS; i++)
			if (v->bar[i].mapped)
				vfio_pci_p2p_map(v, i);
}

int vfio_pci_state_adopt_fd(struct fdtab *fds, const struct lu_state *st, unsigned int idx, int *fd,
			    uint32_t *devid, char *why, size_t why_size)
{
	const struct lu_section *s = lu_state_find(st, VFIO_PCI_STATE_TYPE, idx);
	struct vfio_pci_saved saved;
	char name[FDTAB_NAME_LEN];
	int r;

	if (!s) {
		snprintf(why, why_size, "no saved state for assigned device vfio%u", idx);
		return -EINVAL;
	}
	r = vfio_pci_state_decode(s, &saved, why, why_size);
	if (r)
		return r;
	snprintf(name, sizeof(name), "vfio%u", idx);
	*fd = fdtab_lookup(fds, FD_VFIO_DEVICE, name);
	if (*fd < 0) {
		snprintf(why, why_size, "the VFIO device fd of vfio%u was not handed over", idx);
		return -ENOENT;
	}
	*devid = saved.devid;
	return 0;
}

/* The handed-over fd KIND "vfioN-SUFFIX", or -1 with WHY. */
static int take(struct vfio_pci *v, enum fd_kind kind, const char *suffix, unsigned int i, bool indexed, char *why,
		size_t why_size)
{
	char name[FDTAB_NAME_LEN];
	int fd;

	if (indexed)
		snprintf(name, sizeof(name), "vfio%u-%s%u", v->idx, suffix, i);
	else
		snprintf(name, sizeof(name), "vfio%u-%s", v->idx, suffix);
	fd = fdtab_lookup(v->fds, kind, name);
	if (fd < 0)
		snprintf(why, why_size, "%s: eventfd %s was not handed over", v->name, name);
	return fd;
}

/*
 * After a kexec (vm_restore_reopens): the function was opened and reset anew (VFIO_DEVICE_RESET in
 * vfio_pci_create_below) and nothing of the old process's interrupt set-up exists. The guest's
 * settings, restored into the emulated config space and MSI-X table, are applied to it as if the
 * guest had just written them: COMMAND (decode, bus mastering), then MSI or MSI-X with new eventfds
 * (VFIO_DEVICE_SET_IRQS, routed to the guest's messages), then INTx. What only the device held (its
 * own registers, a DMA in flight at the reboot) is gone: the guest meets a function reset it did not
 * ask for, which a driver sees as lost completions (docs/liveupdate.md).
 */
static int replay(struct vfio_pci *v, const struct vfio_pci_saved *sv, const struct pci_msix_saved *mx, char *why,
		  size_t why_size)
{
	struct pci_dev *d = &v->pci;
	uint16_t cmd;

	if (mx && pci_msix_restore_table(&v->msix, mx)) {
		snprintf(why, why_size, "%s: an MSI-X table of %u vectors saved, the function has %u", v->name, mx->nr,
			 v->msix.nr);
		return -EINVAL;
	}
	atomic_store(&v->pm_state, sv->pm_state);
	pthread_mutex_lock(&d->lock);
	if (sv->pm_state != VFIO_PCI_D0)
		vfio_pci_bars_power(v, false);
	cmd = pci_cfg_get16(d, PCI_COMMAND);
	pthread_mutex_unlock(&d->lock);
	vfio_pci_cmd_forward(v, cmd);
	if (sv->msi_enabled)
		vfio_pci_msi_update(v);
	if (mx) {
		/* The vectors' routes first (enable and function mask from the restored control word). */
		pthread_mutex_lock(&d->lock);
		pci_msix_ctrl_written(&v->msix);
		pthread_mutex_unlock(&d->lock);
		if (sv->msix_on)
			vfio_pci_msix_update(v);
	}
	if (sv->intx)
		vfio_pci_intx_enable(v);
	if (v->rom_size)
		vfio_pci_rom_update(v);
	if (sv->msi_enabled != v->msi.enabled || sv->msix_on != v->msix_on || sv->intx_on != v->intx_on) {
		snprintf(why, why_size, "%s: re-arming its interrupts failed (MSI %d/%d, MSI-X %d/%d, INTx %d/%d: saved/now; "
			 "see nestvm's log)", v->name, sv->msi_enabled, v->msi.enabled, sv->msix_on, v->msix_on, sv->intx_on,
			 v->intx_on);
		return -EIO;
	}
	pr_debug("%s: re-initialised at 00:%02x.%x after the kexec (MSI %s, MSI-X %s, INTx %s, D%u)", v->name,
		 d->devfn >> 3, d->devfn & 7, sv->msi_enabled ? "on" : "off", sv->msix_on ? "on" : "off",
		 sv->intx_on ? "on" : "off", sv->pm_state);
	return 0;
}

int vfio_pci_lu_restore(struct pci_dev *d, const struct lu_state *st, char *why, size_t why_size)
{
	struct vfio_pci *v = (struct vfio_pci *)d;
	const struct lu_section *s = lu_state_find(st, VFIO_PCI_STATE_TYPE, v->idx);
	const struct lu_section *ms = lu_state_find(st, PCI_MSIX_STATE_TYPE, d->devfn);
	struct pci_msix_saved *mx = NULL;
	struct vfio_pci_saved sv;
	int msi_fds[VFIO_PCI_MAX_MSI], intx_efd = -1, intx_rfd = -1, r;

	if (!s) {
		snprintf(why, why_size, "no saved state for %s", v->name);
		return -EINVAL;
	}
	r = vfio_pci_state_decode(s, &sv, why, why_size);
	if (r)
		return r;
	r = -EINVAL;
	if (sv.devfn != d->devfn)
		snprintf(why, why_size, "%s was saved at 00:%02x.%x, it is at 00:%02x.%x now", v->name, sv.devfn >> 3,
			 sv.devfn & 7, d->devfn >> 3, d->devfn & 7);
	else if (sv.msi_enabled && (!v->msi.cap || sv.msi_nvec > v->msi.max_vec))
		snprintf(why, why_size, "%s: %u MSI vectors saved, the function offers %u", v->name, sv.msi_nvec,
			 v->msi.cap ? v->msi.max_vec : 0);
	else if (sv.msix_on && !v->msix.dev)
		snprintf(why, why_size, "%s: MSI-X was armed, the function offers none", v->name);
	else if (sv.intx_fds && v->intx_efd < 0)
		snprintf(why, why_size, "%s: INTx was set up, the function offers none here", v->name);
	else if (!v->msix.dev != !ms)
		snprintf(why, why_size, "%s: MSI-X table %s", v->name, ms ? "saved for a function without MSI-X" : "missing");
	else
		r = 0;
	if (r)
		return r;
	if (vm_restore_reopens(d->vm)) {
		if (ms) {
			mx = malloc(sizeof(*mx));
			r = mx ? pci_msix_state_decode(ms, mx, why, why_size) : -ENOMEM;
		}
		if (!r)
			r = replay(v, &sv, mx, why, why_size);
		free(mx);
		if (!r)
			vfio_pci_ecap_sync(v);   /* the vIOMMU routes its page requests as the guest had set */
		return r;
	}
	for (unsigned int i = 0; i < sv.msi_nvec && !r; i++)
		if ((msi_fds[i] = take(v, FD_EVENTFD, "msi", i, true, why, why_size)) < 0)
			r = -ENOENT;
	if (!r && sv.intx_fds) {
		intx_efd = take(v, FD_IRQFD, "intx", 0, false, why, why_size);
		intx_rfd = intx_efd < 0 ? -1 : take(v, FD_IRQFD, "intx-rs", 0, false, why, why_size);
		if (intx_rfd < 0)
			r = -ENOENT;
	}
	if (!r && ms) {
		mx = malloc(sizeof(*mx));
		r = mx ? pci_msix_state_decode(ms, mx, why, why_size) : -ENOMEM;
		if (!r && pci_msix_restore_table(&v->msix, mx)) {
			snprintf(why, why_size, "%s: an MSI-X table of %u vectors saved, the function has %u", v->name, mx->nr,
				 v->msix.nr);
			r = -EINVAL;
		}
		for (unsigned int i = 0; !r && i < v->msix.nr; i++) {
			int fd = take(v, FD_EVENTFD, "msix", i, true, why, why_size);

			r = fd < 0 ? -ENOENT : pci_msix_take_efd(&v->msix, i, fd);
		}
		free(mx);
	}
	if (r)
		return r;
	atomic_store(&v->pm_state, sv.pm_state);
	if (sv.pm_state != VFIO_PCI_D0) {
		/* Config space restored the BARs as decoding: outside D0 their memslots are down (pm_write). */
		pthread_mutex_lock(&d->lock);
		vfio_pci_bars_power(v, false);
		pthread_mutex_unlock(&d->lock);
	}
	r = vfio_pci_irq_restore(v, &sv, msi_fds, intx_efd, intx_rfd, why, why_size);
	if (r)
		return r;
	if (v->rom_size)
		vfio_pci_rom_update(v);
	vfio_pci_ecap_sync(v);
	/* Last: the new VM's irqfds, which deliver whatever fired since the old VM's were detached. */
	vfio_pci_irq_resume(v);
	pr_debug("%s: restored at 00:%02x.%x (MSI %s, MSI-X %s, INTx %s, D%u)", v->name, d->devfn >> 3, d->devfn & 7,
		 sv.msi_enabled ? "on" : "off", sv.msix_on ? "on" : "off", sv.intx_on ? "on" : "off", sv.pm_state);
	return 0;
}
