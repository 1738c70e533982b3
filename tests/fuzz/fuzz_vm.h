/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the fuzz targets that drive device models the way a guest does: a VM without KVM
 * (vm_fd -1, as in the unit tests: MSI-X vectors and ioeventfds stay in userspace), with guest RAM,
 * the MMIO and port-I/O buses, the event loop (run a few turns per input, on the fuzzer's thread)
 * and the PCI host. Built once per fuzzer process; each input resets what it touched.
 */
#ifndef NESTVM_FUZZ_VM_H
#define NESTVM_FUZZ_VM_H

#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "arch/arch.h"
#include "devices/pci.h"
#include "devices/virtio.h"
#include "vmm/evloop.h"
#include "vmm/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM_SIZE (1ULL << 20)
#define FUZZ_IMG (64u << 10)       /* the part of RAM an input covers */

static struct vm fvm;
static uint64_t fram;           /* guest physical base of RAM */

/* The VM; guest console output (UARTs, virtio-console) goes to /dev/null, not the fuzzer's log. */
static inline void fuzz_vm_init(void)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
		__builtin_trap();
	close(null);
	fvm.vm_fd = fvm.kvm_fd = -1;
	fram = arch_layout.ram_base;
	if (bus_init(&fvm.mmio, "mmio") || bus_init(&fvm.pio, "pio") ||
	    gmem_add_ram(&fvm.mem, fram, FUZZ_RAM_SIZE, false) || evloop_init(&fvm.loop, 64) || pci_host_create(&fvm))
		__builtin_trap();
}

static inline void *fuzz_gp(uint64_t off, uint64_t len)
{
	return gmem_ptr(&fvm.mem, fram + off, len);
}

static inline void fuzz_stop(void *opaque, int res)
{
	evloop_stop(fvm.loop);
}

/* Runs the event loop for N turns: queue notifications, then the I/O their handlers submitted. */
static inline void fuzz_loop_turns(int n)
{
	for (int i = 0; i < n; i++) {
		if (evloop_call(fvm.loop, fuzz_stop, NULL) || evloop_run(fvm.loop))
			__builtin_trap();
	}
}

static inline uint64_t fuzz_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* BAR0 register access through the function's BAR handler, as the MMIO exit delivers it. */
static inline uint64_t vbar(struct virtio_dev *v, uint64_t off, uint32_t len, uint64_t val, bool is_write)
{
	uint8_t b[8];

	pci_le_put(b, len, val);
	v->pci.ops->bar_access(&v->pci, VIRTIO_BAR, off, b, len, is_write);
	return pci_le_get(b, len);
}

static inline void common_wr(struct virtio_dev *v, uint32_t off, uint32_t len, uint64_t val)
{
	vbar(v, VIRTIO_COMMON_OFF + off, len, val, true);
}

/*
 * What a driver does (virtio 1.2 3.1.1, 4.1.5.1): reset, ACKNOWLEDGE|DRIVER, FEATURES (all the
 * device offers in FEATURES), FEATURES_OK, then each queue of QSZ with its rings at a fixed place
 * (queue i: descriptors at RAM + i * 0x1000, avail at +0x400, used at +0x800), vector i + 1, and
 * DRIVER_OK. The rings' contents come from the fuzzer.
 */
static inline void fuzz_virtio_driver_init(struct virtio_dev *v, uint16_t qsz, uint64_t features)
{
	const uint8_t drv = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	common_wr(v, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	common_wr(v, VIRTIO_PCI_COMMON_STATUS, 1, drv);
	for (uint32_t sel = 0; sel < 2; sel++) {
		common_wr(v, VIRTIO_PCI_COMMON_DFSELECT, 4, sel);
		common_wr(v, VIRTIO_PCI_COMMON_GFSELECT, 4, sel);
		common_wr(v, VIRTIO_PCI_COMMON_GF, 4,
			  vbar(v, VIRTIO_COMMON_OFF + VIRTIO_PCI_COMMON_DF, 4, 0, false) & (uint32_t)(features >> (32 * sel)));
	}
	common_wr(v, VIRTIO_PCI_COMMON_STATUS, 1, drv | VIRTIO_CONFIG_S_FEATURES_OK);
	common_wr(v, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	for (uint16_t i = 0; i < v->nr_queues; i++) {
		uint64_t base = fram + i * 0x1000ULL;

		common_wr(v, VIRTIO_PCI_COMMON_Q_SELECT, 2, i);
		common_wr(v, VIRTIO_PCI_COMMON_Q_SIZE, 2, qsz);
		common_wr(v, VIRTIO_PCI_COMMON_Q_DESCLO, 8, base);
		common_wr(v, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, base + 0x400);
		common_wr(v, VIRTIO_PCI_COMMON_Q_USEDLO, 8, base + 0x800);
		common_wr(v, VIRTIO_PCI_COMMON_Q_MSIX, 2, i + 1u);
		common_wr(v, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	}
	common_wr(v, VIRTIO_PCI_COMMON_STATUS, 1, drv | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/*
 * A driver's setup for one input: FLAGS bit 0 adds VIRTIO_RING_F_EVENT_IDX and bit 1
 * VIRTIO_RING_F_INDIRECT_DESC to FEATURES; then the first FUZZ_IMG bytes of RAM (where the rings
 * are) become IMG (LEN bytes of it, zeros after).
 */
static inline void fuzz_virtio_start(struct virtio_dev *v, uint8_t flags, uint64_t features, const uint8_t *img,
				     size_t len)
{
	if (flags & 1)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (flags & 2)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	memset(fuzz_gp(0, FUZZ_IMG), 0, FUZZ_IMG);
	fuzz_virtio_driver_init(v, 64, features);
	memcpy(fuzz_gp(0, FUZZ_IMG), img, len < FUZZ_IMG ? len : FUZZ_IMG);
}

/* Enables MSI-X with every vector unmasked (a driver's probe), through config space and BAR2. */
static inline void fuzz_msix_enable(struct virtio_dev *v)
{
	uint8_t b[4];

	pci_le_put(b, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_dev_cfg_write(&v->pci, PCI_COMMAND, b, 2);
	pci_le_put(b, 2, PCI_MSIX_FLAGS_ENABLE);
	pci_dev_cfg_write(&v->pci, v->msix.cap + PCI_MSIX_FLAGS, b, 2);
	for (unsigned int i = 0; i < v->msix.nr; i++) {
		pci_le_put(b, 4, 0xfee00000u);
		v->pci.ops->bar_access(&v->pci, VIRTIO_MSIX_BAR, i * 16ULL, b, 4, true);
		pci_le_put(b, 4, 0x20 + i);
		v->pci.ops->bar_access(&v->pci, VIRTIO_MSIX_BAR, i * 16ULL + 8, b, 4, true);
		pci_le_put(b, 4, 0);
		v->pci.ops->bar_access(&v->pci, VIRTIO_MSIX_BAR, i * 16ULL + 12, b, 4, true);
	}
}

/* Drains the MSI-X eventfds so their counters never saturate over a long run. */
static inline void fuzz_msix_drain(struct virtio_dev *v)
{
	uint64_t cnt;

	for (unsigned int i = 0; i < v->msix.nr; i++)
		if (read(v->msix.v[i].efd, &cnt, sizeof(cnt)) < 0) {
			/* EAGAIN: it did not fire */
		}
}

#endif
