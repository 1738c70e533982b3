/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An assigned function across a live update by re-exec (docs/liveupdate.md). Nothing of the
 * device is stopped, reset, re-bound or re-attached: its VFIO cdev fd crosses the exec (so VFIO's
 * interrupt setup and the iommufd attachment stay as they are, and DMA goes on), and so do the
 * eventfds VFIO signals (MSI, MSI-X vectors, INTx and its unmask eventfd). What the new process
 * rebuilds is nestvm's side: the emulated config space ("pci-cfg"), the MSI-X table ("pci-msix"),
 * BAR mmaps and memslots, GSI routes and KVM irqfds of the new VM. Its own section:
 *
 *   "vfio-pci", instance = the --device vfio index, version 1, mandatory: u8 devfn (checked),
 *   u32 iommufd device id (from the bind), u8 PowerState (PMCSR 1:0, emulated), u8 MSI enabled,
 *   u32 MSI vectors (enabled: a power of two 1..32, else 0), u64 MSI address, u32 MSI data,
 *   u8 MSI-X armed in VFIO, u8 INTx eventfds exist, u8 INTx irqfd set up, u8 INTx armed in VFIO.
 *
 * The eventfds are registered in the VM's fd table for the handover only (kind eventfd,
 * "vfioN-msiK" / "vfioN-msixK"; kind irqfd, "vfioN-intx" / "vfioN-intx-rs", owner "vfio_pci"),
 * and released from it again when the update is over (vfio_pci_state_release).
 *
 * Interrupts in between: the old VM's irqfds are detached before anything is saved (a vector that
 * fires afterwards stays counted in its eventfd and no interrupt lands in the VM being saved); the
 * new VM's irqfds are assigned last, and KVM injects a count already pending at assignment
 * (virt/kvm/eventfd.c kvm_irqfd_assign polls the eventfd). INTx, level-triggered and auto-masked
 * by VFIO until the guest's EOI, gets its unmask eventfd written once after the new irqfd is in:
 * a line still asserted by the device fires again into the new VM.
 */
#ifndef NESTVM_VFIO_PCI_STATE_H
#define NESTVM_VFIO_PCI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveupdate/state_format.h"

#define VFIO_PCI_STATE_TYPE "vfio-pci"
#define VFIO_PCI_STATE_VERSION 1
#define VFIO_PCI_FD_OWNER "vfio_pci"

struct fdtab;
struct pci_dev;
struct vfio_pci;

struct vfio_pci_saved {
	uint8_t devfn;
	uint32_t devid;
	uint8_t pm_state;
	bool msi_enabled;
	uint32_t msi_nvec;
	uint64_t msi_addr;
	uint32_t msi_data;
	bool msix_on;
	bool intx_fds, intx, intx_on;
};

/* Pure: field ranges and the combinations VFIO allows (one interrupt type at a time). -EINVAL with WHY. */
int vfio_pci_state_decode(const struct lu_section *s, struct vfio_pci_saved *out, char *why, size_t why_size);
void vfio_pci_state_put(struct lu_writer *w, unsigned int idx, const struct vfio_pci_saved *s);

/* The pci_dev_ops live-update hooks of a vfio-pci function (pci.h). */
void vfio_pci_lu_quiesce(struct pci_dev *d);
int vfio_pci_lu_save(struct pci_dev *d, struct lu_writer *w);
void vfio_pci_lu_resume(struct pci_dev *d);
int vfio_pci_lu_restore(struct pci_dev *d, const struct lu_state *st, char *why, size_t why_size);
/*
 * The new process, while making the function: the handed-over cdev fd and the iommufd device id of
 * function IDX (the device stays bound and attached). -errno with WHY.
 */
int vfio_pci_state_adopt_fd(struct fdtab *fds, const struct lu_state *st, unsigned int idx, int *fd,
			    uint32_t *devid, char *why, size_t why_size);
/* After the update (either process): the eventfds registered for the handover are the models' again. */
void vfio_pci_state_release(struct fdtab *fds);

#endif
