/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfio-pci: a host PCI function assigned to the guest through a VFIO device cdev bound to the VM's
 * iommufd (no legacy container/group path). The function sits on our PCI host like any model:
 *   vfio_pci.c         opening the cdev (path / host BDF / fd), BIND + ATTACH_PT, reset, lifetime
 *   vfio_pci_config.c  virtualized config space: header and capability list filtered, the rest of
 *                      the kept capabilities passed through with VFIO config-region reads/writes
 *   vfio_pci_bars.c    BAR regions: mmapped into KVM memslots (sparse-mmap aware), MSI-X table/PBA
 *                      and unmappable parts trapped and forwarded; the expansion ROM when asked
 *   vfio_pci_irq.c     MSI and MSI-X (VFIO_DEVICE_SET_IRQS eventfds = KVM irqfds on MSI routes),
 *                      INTx (irqfd + resample eventfd on arm64's in-kernel GIC)
 *   vfio_pci_p2p.c     peer-to-peer DMA: the mmapped BAR pieces as dma-bufs, mapped into the VM's
 *                      IOAS at their guest-physical addresses while the guest has them decoding
 * After setup, BAR accesses and interrupts never exit to nestvm.
 */
#ifndef NESTVM_DEVICES_VFIO_PCI_H
#define NESTVM_DEVICES_VFIO_PCI_H

#include <json-c/json.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/pci_msix.h"
#include "devices/pci_ats.h"

struct fdtab;
struct ioas_peers;
struct vm;
struct vfio_config;
struct vfio_pci_saved;

#define VFIO_PCI_MAX_AREAS 8        /* mmapped pieces of one BAR (sparse areas minus MSI-X pages) */
#define VFIO_PCI_MAX_MSI 32         /* PCI 3.0 6.8.1.3: at most 32 MSI vectors */

struct vfio_pci_area {
	uint64_t off, size;             /* inside the BAR, page aligned */
	uint8_t *hva;                   /* inside vfio_pci_bar.map */
	uint32_t slot;                  /* KVM memslot while the BAR decodes */
	bool in_slot;
	int dmabuf;                     /* the piece as a dma-buf (vfio_pci_p2p.c), -1: none */
	bool in_ioas;                   /* dma-buf mapped into the VM's IOAS at p2p_iova */
	uint64_t p2p_iova;
};

struct vfio_pci_bar {
	uint64_t size;                  /* region size = BAR size; 0: not exposed */
	uint64_t region_off;            /* offset of the region in the device fd */
	uint32_t flags;                 /* VFIO_REGION_INFO_FLAG_* */
	struct vfio_pci_area area[VFIO_PCI_MAX_AREAS];
	unsigned int nr_areas;
	uint64_t gpa;                   /* where it decodes while mapped */
	bool mapped;
	bool devmem;                    /* [gpa, +size) on vm->devmem: some area is in a memslot */
};

/* One kept capability of the real function (vfio_pci_caps_scan). */
struct vfio_pci_cap {
	uint8_t id, off, len;
};

struct vfio_pci_msi {
	uint8_t cap;                    /* 0: the function has no MSI */
	bool is64;
	unsigned int max_vec;           /* from Multiple Message Capable */
	bool enabled;
	unsigned int nvec;
	uint64_t addr;
	uint32_t data;
	int efd[VFIO_PCI_MAX_MSI];
	uint32_t gsi[VFIO_PCI_MAX_MSI];
	bool has_gsi[VFIO_PCI_MAX_MSI];
};

/* PMCSR PowerState encodings (PCI PM 1.2 3.2.4, bits 1:0). */
enum { VFIO_PCI_D0, VFIO_PCI_D1, VFIO_PCI_D2, VFIO_PCI_D3HOT };

struct vfio_pci {
	struct pci_dev pci;
	char name[48];
	int fd;                         /* the VFIO device cdev, bound to the VM's iommufd */
	struct fdtab *fds;              /* owner of fd (FD_VFIO_DEVICE "vfioN"); NULL: fd is ours alone */
	uint32_t devid;                 /* iommufd device id from BIND */
	unsigned int idx;               /* N of --device number N: names its fds (vfioN, vfioN.barB.K), the update's instance */
	/* P2P (vfio_pci_p2p.c): the VM's iommufd and IOAS (the stage 2 / nest parent's) its BARs go in. */
	bool p2p;                       /* on unless p2p=off, the IOAS or the dma-buf export is missing */
	int iommufd;
	uint32_t ioas;
	struct ioas_peers *peers;       /* where the mapped windows are published (a shadow vIOMMU maps them too) */
	_Atomic uint64_t nr_p2p_fail;   /* IOAS mappings refused (logged 1, 2, 4...: the guest places BARs) */
	bool has_reset;                 /* VFIO_DEVICE_FLAGS_RESET: VFIO_DEVICE_RESET works */
	uint64_t cfg_off, cfg_size;     /* config region */
	uint8_t pt[PCI_CFG_SPACE_SIZE_EXP / 8];    /* bit per byte: passed through to the device */
	struct vfio_pci_bar bar[PCI_NR_BARS];
	bool rom;                       /* --device ...,rom=on */
	uint64_t rom_size, rom_off, rom_gpa;
	bool rom_mapped;
	pthread_mutex_t irq_lock;       /* interrupt state: config writes come from any vCPU */
	struct vfio_pci_msi msi;
	struct pci_msix msix;
	bool has_msix, msix_on;
	unsigned int msix_real_nr;      /* vectors the function has (we expose at most 64) */
	uint8_t msix_bar;
	uint32_t msix_table_off, msix_pba_off;
	bool intx, intx_on;             /* INTx offered to the guest; currently armed in VFIO */
	int intx_efd, intx_rfd;
	uint32_t intx_gsi;
	uint8_t intx_pin;               /* 1..4 */
	/* BAR accesses that exited to nestvm (traps); mmapped BARs never count here. */
	_Atomic uint64_t nr_bar_traps;
	/* Times the host revoked a BAR mmap under KVM (vm->devmem): the BAR then traps (logged 1, 2, 4...). */
	_Atomic uint64_t nr_revoked;
	/* Trapped BAR accesses the host refused (pread/pwrite on the device failed): reported 1, 2, 4... */
	_Atomic uint64_t nr_bar_errors;
	_Atomic uint64_t nr_reset_errors;   /* function resets VFIO_DEVICE_RESET refused */
	/*
	 * Power management (PCI PM 1.2): PMCSR is emulated and the function stays in D0 on the host
	 * (a host D3hot would revoke the BAR mmaps under KVM's memslots). Outside D0 the BARs' memslots
	 * are down and trapped accesses read all-ones (3.2.4, 5.3: only config space is accessible).
	 */
	uint8_t pm_cap;                 /* 0: the function has no PM capability */
	uint8_t pcie_cap;               /* 0: no PCI Express capability */
	bool has_flr;                   /* PCIe DEVCAP Function Level Reset Capability (6.0 7.5.3.3) */
	uint8_t pm_states;              /* bit N: DN supported (D0, D3hot always; D1/D2 from PMC) */
	_Atomic uint8_t pm_state;       /* guest-visible PowerState, PCI_D0..PCI_D3hot encodings 0..3 */
	/* Page requests (vfio_pci_ecap.c): our ATS + PRI capabilities' offset (0: not offered), and the
	 * PRI Enable the vIOMMU was last told. */
	uint16_t pri_cap;
	bool pri_on;
	/* The emulated config space as built, before any guest write: what a function reset returns to
	 * (the legacy space and the emulated extended capabilities after it, vfio_pci_ecap.c). */
	uint8_t reset_cfg[PCI_CFG_SPACE_SIZE + PCI_ATS_EMUL_MAX];
};

/*
 * An error of the assigned device on the event stream (docs/api.md): source "device", event
 * "error", PROPS (consumed; NULL: none) with "device", "pci_bdf" and "error" (ERROR) added. Callers
 * a guest can trigger at will report the 1st, 2nd, 4th, 8th... occurrence (vfio_pci_report_due).
 */
void vfio_pci_report_error(struct vfio_pci *v, const char *error, json_object *props);
static inline bool vfio_pci_report_due(uint64_t n)
{
	return n && !(n & (n - 1));
}

/* Opens, binds and attaches the device of CFG, builds the model and puts it on the VM's PCI host. */
int vfio_pci_create(struct vm *vm, const struct vfio_config *cfg, unsigned int idx);
/*
 * The same for 00.0 of bus *BUS (a root port's secondary bus; NULL: a slot of bus 0), where the
 * caller then plugs it (pci_root_port_plug); *OUT is the model (freed by its ops->destroy).
 */
int vfio_pci_create_below(struct vm *vm, const struct vfio_config *cfg, unsigned int idx, const uint8_t *bus,
			  struct vfio_pci **out);

/* From the kept capabilities: whether MSI-X is offered, and its BAR, table/PBA offsets and size. */
void vfio_pci_find_msix(struct vfio_pci *v, const uint8_t *real, const struct vfio_pci_cap *caps, unsigned int n);

/* vfio_pci_config.c */
/*
 * Walks the real function's capability list in CFG (LEN bytes, at least 256) and returns how many
 * capabilities are kept (at most MAX, in list order, with their lengths) in OUT. Kept: power
 * management, MSI, MSI-X, PCI Express, vendor-specific. The walk is bounded and loop-safe.
 */
unsigned int vfio_pci_caps_scan(const uint8_t *cfg, unsigned int len, struct vfio_pci_cap *out, unsigned int max);
/*
 * Fills V's emulated config space from the real header in REAL: ids, class, status, interrupt pin
 * (INTX_PIN, 0: none), an empty capability list; and marks what is passed through (nothing yet).
 * BARs, capabilities and ROM are added by the callers after this.
 */
void vfio_pci_config_header(struct vfio_pci *v, const uint8_t *real, uint8_t intx_pin);
/* Adds the kept capabilities at their real offsets: MSI emulated, MSI-X by pci_msix, the rest passed through. */
int vfio_pci_config_caps(struct vfio_pci *v, const uint8_t *real, const struct vfio_pci_cap *caps, unsigned int n);
bool vfio_pci_cfg_is_pt(const struct vfio_pci *v, uint32_t reg);
/* Records the current emulated config space as the function's reset values (after the caps are in). */
void vfio_pci_config_snapshot(struct vfio_pci *v);
/* Writes COMMAND (the bits the function must see: decode, bus master, INTx disable...) to the device. */
void vfio_pci_cmd_forward(struct vfio_pci *v, uint16_t cmd);
/*
 * A reset of the function as the guest sees it (PCIe 6.0 6.6.2 FLR, PCI PM 1.2 5.4.1 D3hot->D0 with
 * No_Soft_Reset 0): emulated config, MSI/MSI-X and BAR state back to their reset values, interrupts
 * disarmed, then VFIO_DEVICE_RESET and the (now cleared) COMMAND forwarded.
 */
void vfio_pci_function_reset(struct vfio_pci *v);
void vfio_pci_cfg_read(struct pci_dev *d, uint32_t reg, uint8_t *data, uint32_t len);
void vfio_pci_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len);
/* pread/pwrite of the device's config region; -errno. */
int vfio_pci_cfg_pread(struct vfio_pci *v, uint32_t reg, void *buf, uint32_t len);
int vfio_pci_cfg_pwrite(struct vfio_pci *v, uint32_t reg, const void *buf, uint32_t len);

/* vfio_pci_bars.c */
/* Queries the BAR and ROM regions, declares the BARs and mmaps what may be mapped. */
int vfio_pci_bars_init(struct vfio_pci *v, const uint8_t *real);
void vfio_pci_bars_fini(struct vfio_pci *v);
void vfio_pci_bar_access(struct pci_dev *d, unsigned int bar, uint64_t off, uint8_t *data, uint32_t len,
			 bool is_write);
void vfio_pci_bar_remap(struct pci_dev *d, unsigned int bar, uint64_t addr, bool mapped);
/* The power state left (D0: true) or entered a low-power state: BAR memslots up or down. d->lock held. */
void vfio_pci_bars_power(struct vfio_pci *v, bool d0);
/* ROM BAR register written / COMMAND changed: (un)registers the trapped ROM window. */
void vfio_pci_rom_update(struct vfio_pci *v);
/*
 * Page-aligned pieces of [0, size) that can be mmapped: AREAS (sparse mmap, or the whole BAR) minus
 * the pages holding [hole_off, hole_off+hole_len) ranges (MSI-X table, PBA; len 0: none). Pure.
 */
unsigned int vfio_pci_split_areas(const uint64_t (*areas)[2], unsigned int nr, const uint64_t (*holes)[2],
				  unsigned int nr_holes, uint64_t page, uint64_t (*out)[2], unsigned int max);

/* vfio_pci_p2p.c */
/*
 * Exports every mmapped piece of every BAR as a dma-buf, owned by the VM's fd table. Not fatal: a
 * kernel without VFIO_PCI_DMABUF (or a refused export) leaves P2P off for the device, with a warning.
 */
void vfio_pci_p2p_init(struct vfio_pci *v);
/* BAR BAR decodes at v->bar[BAR].gpa (the function decodes too): its pieces go into the IOAS. d->lock held. */
void vfio_pci_p2p_map(struct vfio_pci *v, unsigned int bar);
/* BAR BAR stops decoding or moves: its pieces leave the IOAS. d->lock held (or no vCPU running). */
void vfio_pci_p2p_unmap(struct vfio_pci *v, unsigned int bar);
/* Every piece out of the IOAS and its dma-buf closed. */
void vfio_pci_p2p_fini(struct vfio_pci *v);

/* vfio_pci_irq.c */
int vfio_pci_irq_init(struct vfio_pci *v);
void vfio_pci_irq_fini(struct vfio_pci *v);
/* After a config write touching the MSI capability / MSI-X Message Control. */
void vfio_pci_msi_update(struct vfio_pci *v);
void vfio_pci_msix_update(struct vfio_pci *v);

/* vfio_pci_ecap.c. After the function is attached behind its vIOMMU: ATS and PRI offered to the guest
 * when the function has both and the vIOMMU takes its page requests, PASID when the vIOMMU gives it
 * PASIDs and the host enabled them. */
void vfio_pci_ecap_init(struct vfio_pci *v);
/* A config write of REG/LEN (applied): PRI Enable changes reach the vIOMMU. */
void vfio_pci_ecap_write(struct vfio_pci *v, uint32_t reg, const uint8_t *data, uint32_t len);
/* After a function reset or a restore of config space: the vIOMMU follows PRI Enable again. */
void vfio_pci_ecap_sync(struct vfio_pci *v);
/* After a COMMAND write: routes and arms INTx the first time (the vGIC exists by then). */
void vfio_pci_intx_enable(struct vfio_pci *v);
/* Live update (vfio_pci_state.h): every irqfd of V detached; fires wait in the eventfds. */
void vfio_pci_irq_quiesce(struct vfio_pci *v);
/* The irqfds (back) in, pending counts delivered, INTx unmasked once. */
void vfio_pci_irq_resume(struct vfio_pci *v);
/*
 * The new process: V's MSI / INTx state from S with the handed-over eventfds (MSI_FDS: S's vectors;
 * INTX_EFD/RFD when S has INTx eventfds), GSIs routed, no irqfd yet and nothing asked of VFIO.
 */
int vfio_pci_irq_restore(struct vfio_pci *v, const struct vfio_pci_saved *s, const int *msi_fds, int intx_efd,
			 int intx_rfd, char *why, size_t why_size);

#endif
