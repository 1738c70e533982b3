/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A virtio-pci function across a live update by re-exec (docs/liveupdate.md). The guest's rings
 * and buffers stay in guest RAM; what the new process rebuilds is the transport (virtio 1.2 4.1)
 * and the device's own state. The old process, VM paused (vCPUs parked, the event loop held and
 * drained: every request the device had submitted has completed in the kernel, its completion
 * kept unhandled), quiesces the MSI-X vectors (irqfds detached, waiting fires folded into the
 * PBA: the vector eventfds do not cross the exec) and saves:
 *
 *   "virtio-pci", instance = devfn, version 1, mandatory: u16 virtio device id, u16 queues (both
 *   checked against the new model), u64 device features (for messages), u64 driver features (must be
 *   a subset of the new model's), u32 device/driver feature selects, u8 device_status, u8 ISR,
 *   u8 config_generation, u16 config MSI-X vector, u16 queue_select; per queue: u16 size, u16 MSI-X
 *   vector, u8 enabled, u64 descriptor / driver / device area addresses, u16 next avail index the
 *   device will consume, u16 used index it published, u16 used index at its last interrupt, u8 that
 *   one is valid (EVENT_IDX, 2.7.10), u8 the queue broke on a malformed chain.
 *   "pci-msix" (pci_msix_state.h) for the function's table and PBA.
 *   The model's section: "virtio-blk" or "virtio-console" (below).
 *
 *   "virtio-blk", instance = the --disk index, version 1, mandatory: u64 capacity in sectors, u8
 *   read-only (both checked: the new process uses the handed-over disk fd "diskN"), u32 number of
 *   requests whose I/O completed but whose completion was not handled yet (at most 64), each u16 chain
 *   head, u8 status (VIRTIO_BLK_S_OK/IOERR/UNSUPP, 5.2.6), u32 bytes written to the chain before
 *   the status byte. The new process walks each chain again, writes its status, puts it on the used
 *   ring and interrupts: every request completes exactly once, none is issued again.
 *   "virtio-console", instance 0, version 1, mandatory: u32 length (at most 4096) + the console
 *   input not yet delivered to the driver.
 *
 * A driver reset held for requests in flight (virtio_pci.c reset_busy) is complete once they are
 * drained: the new process does not hold it. Decoding is pure (unit-tested, fuzzed); the new
 * process then re-maps the enabled rings, restores the MSI-X table, lets the model complete its
 * saved requests, and kicks every enabled queue once (a notification the old process had not
 * handled yet is not lost: the device looks at the avail ring again).
 */
#ifndef NESTVM_VIRTIO_PCI_STATE_H
#define NESTVM_VIRTIO_PCI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "liveupdate/state_format.h"

#define VIRTIO_PCI_STATE_TYPE "virtio-pci"
#define VIRTIO_PCI_STATE_VERSION 1
#define VIRTIO_BLK_STATE_TYPE "virtio-blk"
#define VIRTIO_BLK_STATE_VERSION 1
#define VIRTIO_CON_STATE_TYPE "virtio-console"
#define VIRTIO_CON_STATE_VERSION 1

#define VIRTIO_STATE_MAX_QUEUES 8        /* VIRTIO_MAX_QUEUES */
#define VIRTIO_STATE_MAX_QSIZE 1024      /* VIRTQ_MAX_SIZE */
#define VIRTIO_BLK_STATE_MAX_DONE 64     /* BLK_MAX_INFLIGHT */
#define VIRTIO_CON_STATE_MAX_INPUT 4096  /* CON_PENDING */

struct pci_dev;
struct virtio_dev;

struct virtio_pci_saved {
	uint16_t device_id, nr_queues;
	uint64_t host_features, guest_features;
	uint32_t dfselect, gfselect;
	uint8_t status, isr, config_gen;
	uint16_t msix_config, queue_select;
	struct virtio_queue_saved {
		uint16_t size, msix_vector;
		bool enabled;
		uint64_t desc, driver, device;
		uint16_t last_avail, used_idx, signalled_used;
		bool signalled_valid, broken;
	} q[VIRTIO_STATE_MAX_QUEUES];
};

struct virtio_blk_saved {
	uint64_t sectors;
	bool ro;
	uint32_t nr_done;
	struct { uint16_t head; uint8_t status; uint32_t used_len; } done[VIRTIO_BLK_STATE_MAX_DONE];
};

struct virtio_con_saved {
	uint32_t len;
	uint8_t input[VIRTIO_CON_STATE_MAX_INPUT];
};

/*
 * Pure decoders: queues 1..8; known device_status bits only; driver features within the device's;
 * ISR bits 0-1; an enabled queue's size a power of two up to 1024, its rings aligned as 2.7 requires
 * (16/2/4), no more chains in flight (avail consumed minus used published) than its size.
 * virtio-blk: at most 64 completions, known statuses, distinct heads. -EINVAL with WHY.
 */
int virtio_pci_state_decode(const struct lu_section *s, struct virtio_pci_saved *out, char *why, size_t why_size);
void virtio_pci_state_put(struct lu_writer *w, uint8_t devfn, const struct virtio_pci_saved *s);
int virtio_blk_state_decode(const struct lu_section *s, struct virtio_blk_saved *out, char *why, size_t why_size);
void virtio_blk_state_put(struct lu_writer *w, unsigned int idx, const struct virtio_blk_saved *s);
int virtio_con_state_decode(const struct lu_section *s, struct virtio_con_saved *out, char *why, size_t why_size);
void virtio_con_state_put(struct lu_writer *w, const struct virtio_con_saved *s);

/* The pci_dev_ops live-update hooks of every virtio-pci function (pci.h). */
void virtio_pci_lu_quiesce(struct pci_dev *d);
int virtio_pci_lu_save(struct pci_dev *d, struct lu_writer *w);
void virtio_pci_lu_resume(struct pci_dev *d);
int virtio_pci_lu_restore(struct pci_dev *d, const struct lu_state *st, char *why, size_t why_size);

#endif
