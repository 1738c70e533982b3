/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MSI-X (PCI 3.0 6.8.2): the capability, the vector table and the PBA inside one of the function's
 * BARs. Each vector owns an eventfd; while the guest has MSI-X enabled and the vector unmasked, the
 * eventfd is an irqfd on a GSI routed to the vector's (address, data), so a device fires a vector by
 * writing the eventfd (pci_msix_notify, or VFIO directly). Masked vectors latch their PBA bit, also
 * for writes to the eventfd from outside, and fire on unmask.
 */
#ifndef NESTVM_DEVICES_PCI_MSIX_H
#define NESTVM_DEVICES_PCI_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct pci_dev;
struct pci_msix_saved;

#define PCI_MSIX_MAX_VECTORS 64
#define PCI_MSIX_ENTRY_SIZE 16

struct pci_msix_vector {
	uint32_t addr_lo, addr_hi, data, ctrl;  /* the guest-visible table entry */
	int efd;                                /* fired by the device model */
	uint32_t gsi;
	bool has_gsi;                           /* GSI allocated */
	bool irqfd;                             /* delivering: efd is the GSI's irqfd (no KVM: live) */
	bool routed;                            /* the GSI route matches addr/data below */
	uint64_t r_addr;
	uint32_t r_data;
};

struct pci_msix {
	struct pci_dev *dev;
	pthread_mutex_t lock;       /* vCPU table/cap writes vs the loop thread firing vectors */
	unsigned int nr;
	unsigned int bar;
	uint32_t table_off, pba_off;
	uint8_t cap;                /* capability offset in config space */
	bool enabled, fmask;
	uint64_t pba[(PCI_MSIX_MAX_VECTORS + 63) / 64];
	struct pci_msix_vector v[PCI_MSIX_MAX_VECTORS];
};

/*
 * Adds the capability to D and sets up NR vectors whose table sits at TABLE_OFF and PBA at PBA_OFF
 * of BAR (which D must already declare). Unwinds on failure.
 */
int pci_msix_init(struct pci_msix *m, struct pci_dev *d, unsigned int nr, unsigned int bar, uint32_t table_off,
		  uint32_t pba_off);
void pci_msix_fini(struct pci_msix *m);
/* True and handled when [off, off+len) of the MSI-X BAR is the table or PBA. */
bool pci_msix_bar_access(struct pci_msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
/*
 * Function reset (pci_dev_cfg_reset, config lock held): Message Control is already back to 0; every
 * vector masked with a zero message (6.8.2.9), no pending bits, nothing left in the eventfds.
 */
void pci_msix_reset(struct pci_msix *m);
/* Called by pci_dev after a config write that touched the capability's Message Control. */
void pci_msix_ctrl_written(struct pci_msix *m);
/* Fires VEC (any thread): delivers, or sets its PBA bit while masked. Out-of-range VEC is ignored. */
void pci_msix_notify(struct pci_msix *m, unsigned int vec);
bool pci_msix_enabled(struct pci_msix *m);

/*
 * Live update (pci_msix_state.h). Quiesce: every vector stops delivering (irqfds detached) and
 * fires wait in the eventfds' counters, so none reaches a VM that is being saved; the table and
 * PBA are left as they are. pci_msix_ctrl_written brings delivery back (a pending count becomes the
 * PBA bit and a live vector delivers it).
 */
void pci_msix_quiesce(struct pci_msix *m);
/*
 * Quiesced, with every source of the vectors stopped (an emulated device being saved, whose
 * eventfds do not cross the exec): fires waiting in the eventfds become PBA bits, so the saved
 * table carries them and the restored vector delivers them (pci_msix_ctrl_written).
 */
void pci_msix_collect_all(struct pci_msix *m);
/*
 * The new process, before the guest runs: the saved table and PBA into M (same vector count, else
 * -EINVAL); nothing is routed until pci_msix_ctrl_written (after config space is restored).
 */
int pci_msix_restore_table(struct pci_msix *m, const struct pci_msix_saved *s);
/* Vector I's eventfd becomes FD (a handed-over one; M's own is closed). Not while delivering: -EBUSY. */
int pci_msix_take_efd(struct pci_msix *m, unsigned int i, int fd);

#endif
