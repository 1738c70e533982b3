/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The peer windows of the VM's IOAS: pieces of assigned devices' memory BARs, each a VFIO dma-buf,
 * that vfio_pci_p2p.c has mapped into the guest-RAM IOAS at their guest-physical address while the
 * BAR decodes (issue 14). A device on that IOAS reaches a peer's BAR at its GPA; a vIOMMU backend
 * that builds IOASes of its own (the shadow one: guest IOVA -> GPA -> RAM memfd or peer dma-buf)
 * looks windows up here and hears of every change, since iommufd zaps every mapping of a dma-buf
 * when vfio-pci revokes it (the BAR stops decoding): what it mapped then must be mapped anew.
 *
 * Thread-safe: windows change on vCPU threads (config writes), the loop (hot-plug) and at restore;
 * the listener is called after the change, with no lock of this object held.
 */
#ifndef NESTVM_IOMMU_IOAS_PEERS_H
#define NESTVM_IOMMU_IOAS_PEERS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Up to 6 BARs of a few pieces each (sparse mmap minus the MSI-X pages) for a few dozen devices;
 * past it a piece stays out of the IOAS, said as any refused mapping is (vfio_pci_p2p.c). */
#define IOAS_PEERS_MAX 256

struct ioas_peer {
	uint64_t gpa, size;
	int fd;                     /* the dma-buf (not ours: the vfio-pci model's fd table holds it) */
	bool writable;
};

/* A change of [GPA, GPA+SIZE): a window appeared there or went away. */
typedef void ioas_peers_changed_fn(void *opaque, uint64_t gpa, uint64_t size);

struct ioas_peers {
	pthread_mutex_t lock;
	struct ioas_peer w[IOAS_PEERS_MAX];
	unsigned int nr;
	ioas_peers_changed_fn *changed;     /* one listener: the VM's shadow vIOMMU */
	void *opaque;
};

void ioas_peers_init(struct ioas_peers *p);
/* Records a window (mapped by the caller); -ENOSPC when full (the caller unmaps it again). */
int ioas_peers_add(struct ioas_peers *p, uint64_t gpa, uint64_t size, int fd, bool writable);
/* Forgets the window at GPA (unmapped by the caller). */
void ioas_peers_remove(struct ioas_peers *p, uint64_t gpa);
/* The window holding GPA, copied to *OUT; false: none. */
bool ioas_peers_find(struct ioas_peers *p, uint64_t gpa, struct ioas_peer *out);
/* Sets (FN non-NULL) or clears the listener; -EBUSY when another one is set. */
int ioas_peers_listen(struct ioas_peers *p, ioas_peers_changed_fn *fn, void *opaque);

#endif
