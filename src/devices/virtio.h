/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Modern virtio-pci transport (virtio 1.2 4.1) and the interface device models (virtio-blk,
 * virtio-console) implement. One 64-bit memory BAR holds the common/ISR/device/notify structures,
 * another the MSI-X table. Guest notifications are eventfds: KVM_IOEVENTFD on the notify address,
 * watched on the event loop; queue processing and completions run on the loop thread only.
 */
#ifndef NESTVM_DEVICES_VIRTIO_H
#define NESTVM_DEVICES_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/dma.h"
#include "devices/pci.h"
#include "devices/pci_msix.h"
#include "devices/virtqueue.h"

struct vm;
struct ev_watch;
struct virtio_dev;
struct lu_writer;
struct lu_state;

#define VIRTIO_MAX_QUEUES 8
#define VIRTIO_NO_VECTOR 0xffff
/*
 * Chains a model takes from one queue per event-loop turn. A driver may keep a ring non-empty
 * forever (republishing chains as they come back): past the budget the model requeues the queue
 * with virtio_queue_kick and returns, so the other devices, the vIOMMU event queues and the signalfd
 * on the same loop are served in between (issue 9: no guest action may stall the VMM).
 */
#define VIRTIO_QUEUE_BUDGET 64

struct virtio_dev_ops {
	/* Loop thread, device lock held, driver OK: the driver notified queue Q. */
	void (*queue_notify)(struct virtio_dev *v, unsigned int q);
	/* Optional, vCPU thread, device lock held: driver writes DATA at OFF of the device config (in bounds). */
	void (*config_write)(struct virtio_dev *v, uint32_t off, const uint8_t *data, uint32_t len);
	/* Device lock held: the driver reset the device; drop per-queue state. */
	void (*reset)(struct virtio_dev *v);
	/*
	 * Optional, device lock held, right after reset (vCPU thread): whether requests the model
	 * started are still running, so their DMA may still land in guest memory. If so the reset is
	 * held: device_status keeps reading non-zero, which the driver waits out (virtio 1.2 4.1.4.3.2),
	 * until the model, once its last one completed, calls virtio_reset_done (loop thread).
	 */
	bool (*reset_busy)(struct virtio_dev *v);
	/*
	 * Live update (virtio_pci_state.h), device lock held. lu_save: the old process, VM paused and
	 * the loop drained, writes the model's section after the transport's. lu_restore: the new
	 * process, the transport and MSI-X restored and delivering, before the loop runs: the model's
	 * state, completing what the previous process had finished but not handled. Both required.
	 */
	int (*lu_save)(struct virtio_dev *v, struct lu_writer *w);
	int (*lu_restore)(struct virtio_dev *v, const struct lu_state *st, char *why, size_t why_size);
	/* Frees the model after virtio_pci_fini. */
	void (*destroy)(struct virtio_dev *v);
};

struct virtio_queue {
	struct virtio_dev *vdev;
	unsigned int idx;
	/* Driver-programmed (common config, 4.1.4.3), latched into vq at queue_enable. */
	uint16_t size, msix_vector;
	bool enabled;
	uint64_t desc, driver, device;
	struct virtq vq;
	int kick_fd;                 /* eventfd: ioeventfd target and MMIO notify fallback */
	struct ev_watch *watch;
	bool ioeventfd;              /* registered with KVM at ioeventfd_addr */
	uint64_t ioeventfd_addr;
};

struct virtio_dev {
	struct pci_dev pci;          /* first: container_of from the pci_dev */
	struct pci_msix msix;
	const struct virtio_dev_ops *ops;
	struct vm *vm;
	const char *name;
	uint16_t device_id;          /* virtio device id (5: 2 block, 3 console) */
	pthread_mutex_t lock;        /* transport state; queue processing runs with it held */
	uint64_t host_features, guest_features;
	uint32_t dfselect, gfselect;
	uint8_t status, isr, config_gen;
	uint16_t msix_config, queue_select;
	uint16_t nr_queues, max_queue_size;
	struct virtio_queue q[VIRTIO_MAX_QUEUES];
	uint8_t *config;             /* device-specific config (5.x.4), owned by the model */
	uint32_t config_len;
	uint8_t cfg_cap;             /* VIRTIO_PCI_CAP_PCI_CFG offset in config space */
	unsigned int reset_gen;      /* bumped at reset: completions from before are dropped */
	bool reset_held;             /* reset written, requests from before still running */
	uint8_t held_status;         /* what device_status reads meanwhile (the status before reset) */
	/* How ring and buffer addresses reach RAM: through the PCI host's vIOMMU (RID) when the VM
	 * has one (then VIRTIO_F_ACCESS_PLATFORM is offered and required, virtio 1.2 6.1). */
	struct dma_ctx dma;
};

/*
 * Sets up the transport for a model: PCI ids (0x1af4:0x1040+DEVICE_ID, revision 1), BARs, vendor
 * capabilities, MSI-X (NR_QUEUES+1 vectors), kick eventfds watched on vm->loop. HOST_FEATURES are
 * the device's feature bits; VERSION_1 is added. Unwinds on failure. Then pci_host_add().
 */
int virtio_pci_init(struct virtio_dev *v, struct vm *vm, const struct virtio_dev_ops *ops, const char *name,
		    uint16_t device_id, uint64_t host_features, uint16_t nr_queues, uint16_t max_queue_size,
		    uint8_t *config, uint32_t config_len);
void virtio_pci_fini(struct virtio_dev *v);
/* Puts the function on vm->pci and, behind a vIOMMU, its StreamID (RID) on the IOMMU. Unwinds. */
int virtio_pci_add(struct virtio_dev *v);
/* Lock held: the model's requests from before a held reset all completed; status reads 0 now. */
void virtio_reset_done(struct virtio_dev *v);
/* Loop thread, lock held: interrupt for queue Q if the driver wants one. */
void virtio_queue_interrupt(struct virtio_dev *v, unsigned int q);
/* Lock held: a bad chain or request from the driver: DEVICE_NEEDS_RESET + config interrupt (2.1.2). */
void virtio_set_needs_reset(struct virtio_dev *v);
/* Lock held: whether queue Q may be processed (DRIVER_OK, enabled, not broken). */
bool virtio_queue_ready(struct virtio_dev *v, unsigned int q);
/* Any thread: runs the notify handler of queue Q as if the driver had kicked it, on a later turn of
 * the loop (after the events already pending): how a model yields a queue it has not finished. */
void virtio_queue_kick(struct virtio_dev *v, unsigned int q);
bool virtio_has_feature(const struct virtio_dev *v, unsigned int bit);

/* BAR layout (BAR0, 64-bit memory): offsets of the structures the vendor caps point at. */
#define VIRTIO_BAR 0
#define VIRTIO_BAR_SIZE 0x4000
#define VIRTIO_COMMON_OFF 0x0000
#define VIRTIO_COMMON_LEN 0x0040
#define VIRTIO_ISR_OFF 0x1000
#define VIRTIO_ISR_LEN 0x0004
#define VIRTIO_DEVCFG_OFF 0x2000
#define VIRTIO_DEVCFG_LEN 0x1000
#define VIRTIO_NOTIFY_OFF 0x3000
#define VIRTIO_NOTIFY_MULT 4
#define VIRTIO_MSIX_BAR 2
#define VIRTIO_MSIX_BAR_SIZE 0x1000
#define VIRTIO_MSIX_PBA_OFF 0x800

/* Models. */
struct disk_config;
int virtio_blk_create(struct vm *vm, const struct disk_config *disk, unsigned int index);
int virtio_console_create(struct vm *vm);

#endif
