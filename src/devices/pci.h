/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI: one PCIe root complex (bus 0, ECAM + optional 0xCF8/0xCFC), generic type-0 functions with an
 * emulated 4 KiB config space, and MSI-X delivered through KVM irqfds. A function is a struct
 * pci_dev embedded in its device model; the model supplies struct pci_dev_ops. The ops are shaped for
 * a future vfio-pci function too: config reads can be overlaid by the real device, and BAR moves are
 * reported so region mmaps can follow.
 */
#ifndef NESTVM_DEVICES_PCI_H
#define NESTVM_DEVICES_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pci_viommu.h"
#include "vmm/bus.h"

struct vm;
struct pci_dev;
struct pci_host;
struct pci_msix;
struct lu_writer;
struct lu_state;

#define PCI_CFG_SPACE_SIZE_EXP 4096
#define PCI_NR_BARS 6
#define PCI_NR_SLOTS 32

/* Class codes (PCI Code and ID Assignment 1.x): base class << 16 | subclass << 8 | prog-if. */
#define PCI_CLASSCODE_HOST_BRIDGE 0x060000
#define PCI_CLASSCODE_PCI_BRIDGE 0x060400
#define PCI_CLASSCODE_STORAGE_OTHER 0x018000
#define PCI_CLASSCODE_COMM_OTHER 0x078000
#define PCI_CLASSCODE_OTHER 0xff0000

struct pci_dev_ops {
	/*
	 * Optional: after the emulated value of [reg, reg+len) is in DATA, the device may replace
	 * bytes (vfio-pci: forward non-emulated registers to the real function).
	 */
	void (*cfg_read)(struct pci_dev *d, uint32_t reg, uint8_t *data, uint32_t len);
	/* Optional: told after an emulated config write of [reg, reg+len) took effect. */
	void (*cfg_write)(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len);
	/* Access at OFF inside BAR; called with no PCI lock held (the model locks itself). */
	void (*bar_access)(struct pci_dev *d, unsigned int bar, uint64_t off, uint8_t *data, uint32_t len,
			   bool is_write);
	/*
	 * Optional: BAR now decodes at ADDR (MAPPED) or stopped decoding at ADDR (!MAPPED). Called with
	 * the function's lock held. virtio moves its ioeventfds; vfio-pci moves its region mmaps.
	 */
	void (*bar_remap)(struct pci_dev *d, unsigned int bar, uint64_t addr, bool mapped);
	/* Frees the model (which embeds the pci_dev); called by pci_host_destroy after removal. */
	void (*destroy)(struct pci_dev *d);
	/*
	 * Optional, bridges: a config access for BUS (not bus 0) is offered to each bridge on bus 0;
	 * the one whose bus range holds BUS completes it (all-ones where nothing answers) and returns true.
	 */
	bool (*route_cfg)(struct pci_dev *bridge, uint32_t bus, uint32_t devfn, uint32_t reg, uint8_t *data,
			  uint32_t len, bool is_write);
	/* Optional: the bus above reset the function (a bridge's Secondary Bus Reset, PCI-PCI Bridge 1.2 3.2.5.17). */
	void (*bus_reset)(struct pci_dev *d);
	/*
	 * Live update by re-exec (docs/liveupdate.md). A function whose model has lu_save is carried
	 * across `vm.update exec`; the VM's update is refused while it has any other (vm_state_refusal).
	 * In the old process, VM paused: lu_quiesce first, before anything of the VM is saved (no
	 * interrupt may land in the VM being saved: irqfds detached, fires wait in their eventfds);
	 * lu_save writes the model's sections after its "pci-cfg" one (and registers in the VM's fd
	 * table what must cross the exec); lu_resume when the update did not happen and the old process
	 * keeps the VM. In the new process lu_restore runs once every function's config space is back
	 * and the interrupt controller restored; it sets up delivery into the new VM last.
	 */
	void (*lu_quiesce)(struct pci_dev *d);
	int (*lu_save)(struct pci_dev *d, struct lu_writer *w);
	void (*lu_resume)(struct pci_dev *d);
	int (*lu_restore)(struct pci_dev *d, const struct lu_state *st, char *why, size_t why_size);
};

struct pci_bar {
	struct pci_dev *dev;        /* back pointer: the bus callback's opaque is the bar */
	unsigned int idx;
	uint64_t size;              /* power of two >= 16 (memory) / 4 (I/O); 0: unimplemented */
	bool is64, prefetch, io;
	bool mapped;                /* registered on vm->mmio / vm->pio at addr */
	uint64_t addr;
};

struct pci_dev {
	struct vm *vm;
	struct pci_host *host;
	const struct pci_dev_ops *ops;
	const char *name;
	uint8_t devfn;              /* slot << 3 | function */
	uint8_t bus;                /* 0, or the secondary bus number of the bridge above (atomic access) */
	pthread_mutex_t lock;       /* config space, BAR state */
	uint8_t cfg[PCI_CFG_SPACE_SIZE_EXP];
	uint8_t wmask[PCI_CFG_SPACE_SIZE_EXP];  /* bits the guest may change */
	uint8_t w1c[PCI_CFG_SPACE_SIZE_EXP];    /* bits the guest clears by writing 1 */
	struct pci_bar bar[PCI_NR_BARS];
	uint8_t cap_last;           /* offset of the last capability in the list, 0: none */
	uint8_t cap_free;           /* next free offset for a capability */
	struct pci_msix *msix;      /* set by pci_msix_init */
};

/* Header type 0 function with these ids (PCI 3.0 6.2.1); no INTx (interrupt pin 0). */
void pci_dev_init(struct pci_dev *d, struct vm *vm, const struct pci_dev_ops *ops, const char *name,
		  uint16_t vendor, uint16_t device, uint32_t class_rev, uint16_t subsys_vendor, uint16_t subsys);
void pci_dev_fini(struct pci_dev *d);
/* Declares a memory BAR (SIZE a power of two >= 4 KiB is advised); a 64-bit BAR uses IDX and IDX+1. */
int pci_dev_add_bar(struct pci_dev *d, unsigned int idx, uint64_t size, bool is64, bool prefetch);
/* Appends a capability of LEN bytes (BODY starts after the id/next bytes; may be NULL); returns its offset or -ENOSPC. */
int pci_dev_add_cap(struct pci_dev *d, uint8_t id, uint8_t len, const void *body);
/* PCIe capability (PCIe 4.0 7.5.3) as a Root Complex Integrated Endpoint, so Linux treats it as PCIe. */
int pci_dev_add_pcie_cap(struct pci_dev *d);

/* Config accesses (from the host bridge); REG+LEN inside 4 KiB and naturally aligned, else ignored/all-ones. */
void pci_dev_cfg_read(struct pci_dev *d, uint32_t reg, uint8_t *data, uint32_t len);
void pci_dev_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len);
/* Sets BAR's address in config space (pre-assignment before the guest runs). */
void pci_dev_set_bar_addr(struct pci_dev *d, unsigned int idx, uint64_t addr);
/*
 * A function reset of the emulated state: every guest-writable and RW1C bit of config space goes
 * back to its value in INIT (LEN bytes from offset 0), BAR decoding follows (COMMAND cleared: all
 * BARs unmapped) and the MSI-X table returns to its reset state (pci_msix_reset).
 */
void pci_dev_cfg_reset(struct pci_dev *d, const uint8_t *init, uint32_t len);
/*
 * Live update: every guest-writable and RW1C bit of config space from SAVED (4 KiB, as the previous
 * process had it), the rest as this model built it; BAR decoding follows. The MSI-X table is its
 * model's own (pci_msix).
 */
void pci_dev_cfg_restore(struct pci_dev *d, const uint8_t *saved);
/* Unregisters all BARs from the buses. */
void pci_dev_unmap_bars(struct pci_dev *d);

/* Bus << 8 | devfn: behind a root port, the bus number the guest gave its secondary bus. */
static inline uint16_t pci_dev_requester_id(const struct pci_dev *d)
{
	return (uint16_t)(__atomic_load_n(&d->bus, __ATOMIC_RELAXED) << 8 | d->devfn);
}

/* Little-endian config space helpers. */
static inline void pci_cfg_set8(struct pci_dev *d, uint32_t reg, uint8_t v)
{
	d->cfg[reg] = v;
}
static inline void pci_cfg_set16(struct pci_dev *d, uint32_t reg, uint16_t v)
{
	d->cfg[reg] = (uint8_t)v;
	d->cfg[reg + 1] = (uint8_t)(v >> 8);
}
static inline void pci_cfg_set32(struct pci_dev *d, uint32_t reg, uint32_t v)
{
	pci_cfg_set16(d, reg, (uint16_t)v);
	pci_cfg_set16(d, reg + 2, (uint16_t)(v >> 16));
}
static inline uint16_t pci_cfg_get16(const struct pci_dev *d, uint32_t reg)
{
	return (uint16_t)(d->cfg[reg] | d->cfg[reg + 1] << 8);
}
static inline uint32_t pci_cfg_get32(const struct pci_dev *d, uint32_t reg)
{
	return pci_cfg_get16(d, reg) | (uint32_t)pci_cfg_get16(d, reg + 2) << 16;
}

/* Little-endian helpers for register handlers (DATA of LEN 1, 2, 4 or 8 bytes). */
static inline uint64_t pci_le_get(const uint8_t *data, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len && i < 8; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}
static inline void pci_le_put(uint8_t *data, uint32_t len, uint64_t v)
{
	for (uint32_t i = 0; i < len && i < 8; i++)
		data[i] = (uint8_t)(v >> (8 * i));
}

/* The root complex. */
struct pci_host {
	struct vm *vm;
	pthread_mutex_t lock;               /* slots, BAR allocator, CF8 latch */
	struct pci_dev *slot[PCI_NR_SLOTS];
	struct pci_dev bridge;              /* 00.0, class 0x0600 */
	uint32_t cf8;                       /* CONFIG_ADDRESS (PCI 3.0 3.2.2.3.2) */
	uint64_t mmio32_next, mmio64_next;  /* BAR pre-assignment bump pointers */
	unsigned int next_bus;              /* bus number pre-assignment: the next free one (1 at first) */
	bus_access_fn cf9_fn;               /* the chipset register at 0xCF9, inside CONFIG_ADDRESS's dword */
	void *cf9_opaque;
	bool ecam_on, cf8_on;
	uint64_t ecam_base, ecam_size;      /* where the ECAM decodes while ecam_on */
	bool running;                       /* the guest runs: what a vIOMMU showed it is fixed */
	struct pci_viommu viommu;           /* ops NULL: no vIOMMU, bus addresses are guest physical */
};

/* Creates the root complex in vm->pci: ECAM on vm->mmio, 0xCF8 on vm->pio when the arch wants it. */
int pci_host_create(struct vm *vm);
/*
 * Moves the ECAM window to [BASE, BASE+SIZE) (SIZE 0: off), as a chipset's ECAM base register does
 * (Q35 PCIEXBAR). -EINVAL for a window that is not 1-256 MiB naturally aligned, -EEXIST when it
 * overlaps another device (reported; the ECAM is then off).
 */
int pci_host_set_ecam(struct pci_host *h, uint64_t base, uint64_t size);
/*
 * Gives the host bridge function 00:00.0 another identity and config-space model (a chipset's, e.g.
 * Q35's MCH for firmware that picks its platform code by it). Before the guest runs.
 */
void pci_host_set_bridge(struct pci_host *h, const struct pci_dev_ops *ops, const char *name, uint16_t vendor,
			 uint16_t device, uint32_t class_rev, uint16_t subsys_vendor, uint16_t subsys);
/*
 * On x86 the byte at 0xCF9 (the chipset's reset control register) lies inside the CONFIG_ADDRESS
 * dword the host owns: byte accesses there go to FN (set before any vCPU runs).
 */
void pci_host_set_cf9(struct pci_host *h, bus_access_fn fn, void *opaque);
/* Removes and destroys every function, then (the vIOMMU's iommufd objects released) the host. */
void pci_host_destroy(struct vm *vm);
/* Removes and destroys every function, then releases the vIOMMU's iommufd objects (before the IOAS goes). */
void pci_host_remove_all(struct pci_host *h);
/*
 * The vIOMMU front-end in front of every function (pci_viommu.h): set before any function is added,
 * cleared (OPS NULL) by the front-end when it goes. At most one: -EBUSY (reported) for a second.
 */
int pci_host_set_viommu(struct pci_host *h, const struct pci_viommu_ops *ops, void *opaque);
/* The registered vIOMMU, or NULL (also for a NULL host). */
const struct pci_viommu *pci_host_viommu(const struct pci_host *h);
/* Assigned function RID behind the vIOMMU, if there is one (pci_viommu_ops.attach_vfio); else 0. */
int pci_host_viommu_attach_vfio(struct pci_host *h, int vfio_fd, uint32_t dev_id, uint32_t ioas, uint32_t rid);
/* A hot-removed assigned function RID (its cdev closed) leaves the vIOMMU (pci_viommu_ops.detach_vfio). */
void pci_host_viommu_detach_vfio(struct pci_host *h, uint32_t rid);
/* pci_viommu_ops.iopf_offered / set_iopf / pasid_bits for assigned function RID (false / nothing / 0
 * without them). */
bool pci_host_viommu_iopf_offered(struct pci_host *h, uint32_t rid);
unsigned int pci_host_viommu_pasid_bits(struct pci_host *h, uint32_t rid);
void pci_host_viommu_set_iopf(struct pci_host *h, uint32_t rid, bool on);
/* MSI (ADDR, DATA) from RID through the vIOMMU (pci_viommu_ops.msi_translate); unchanged without one. */
int pci_host_msi_translate(const struct pci_host *h, uint32_t rid, uint64_t *addr, uint32_t *data, bool report);
/*
 * The next bus number for a bridge's secondary bus, as firmware numbers them: depth first, in the
 * order bridges are created (callers create a bridge's subtree before the next bridge of bus 0,
 * which is the order Linux renumbers them in). -ENOSPC (reported) past the ECAM's last bus.
 */
int pci_host_alloc_bus(struct pci_host *h, const char *who);
/* Buses pre-assigned so far, bus 0 included: what the firmware tables must cover. */
unsigned int pci_host_nr_buses(const struct pci_host *h);
/* Puts D in the next free slot (1..31) and pre-assigns its memory BARs from the windows. */
int pci_host_add(struct pci_host *h, struct pci_dev *d);
/* The same in slot SLOT (1..31; 0: the next free one), -ENOSPC (reported) when it is taken. */
int pci_host_add_slot(struct pci_host *h, struct pci_dev *d, unsigned int slot);
void pci_host_remove(struct pci_host *h, struct pci_dev *d);
/* Config access by bus/devfn for tests and the CF8 path. */
void pci_host_cfg_access(struct pci_host *h, uint32_t bus, uint32_t devfn, uint32_t reg, uint8_t *data,
			 uint32_t len, bool is_write);

#endif
