/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the unit tests of the vVT-d with an assigned function (vtd_dev.c) over the fake iommufd
 * (tests/fuzz/fake_iommufd.c): a VM (pci_vm.h) with the unit at VTD_BASE, its first assigned device
 * DEV_ID at requester id SID on a host VT-d with the ECAP a test chooses, and the guest's side the way
 * Linux's intel-iommu drives it: register accesses, 256-bit descriptors on the invalidation queue at
 * IQ (DW 1), tables written into guest RAM.
 */
#ifndef NESTVM_TEST_VTD_HARNESS_H
#define NESTVM_TEST_VTD_HARNESS_H

#include <errno.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../fuzz/fake_iommufd.h"
#include "devices/pci.h"
#include "iommu/vtd_dev.h"
#include "iommu/vtd_nested.h"
#include "pci_vm.h"
#include "vmm/evloop.h"
#include "vmm/vm.h"

#define VTD_BASE    0xfed90000ull
#define RAM_BASE    0x40000000ull
#define RAM_SIZE    (8ull << 20)
#define IQ          (RAM_BASE + 0x110000)      /* 128 256-bit descriptors (QS 0, DW 1) */
#define IOAS        2
#define DEV_ID      10
#define SID         0x0008                     /* 00:01.0 */
/* A host VT-d that can nest: scalable mode, first and second stage, FL1GP, MGAW 48. */
#define HOST_CAP    (VTD_HOST_CAP_FL1GP | (47ull << 16) | (0x4ull << 8))
#define HOST_ECAP   (VTD_HOST_ECAP_NEST | VTD_HOST_ECAP_SMTS | VTD_HOST_ECAP_SLTS | VTD_HOST_ECAP_FLTS)

static int iommufd = -1, vfio = -1;
static struct evloop *loop;
static struct vm vm;
static struct vm_config cfg;
static struct vtd_dev *d;
static unsigned int iq_tail;

static inline void mmio(uint64_t off, uint64_t *x, uint32_t len, bool w)
{
	uint8_t b[8];

	for (uint32_t i = 0; i < len; i++)
		b[i] = (uint8_t)(*x >> (8 * i));
	vtd_mmio(&d->vtd, off, b, len, w);
	if (!w)
		for (*x = 0; len--;)
			*x = *x << 8 | b[len];
}

static inline uint64_t rd(uint64_t off, uint32_t len) { uint64_t x = 0; mmio(off, &x, len, false); return x; }
static inline void wr(uint64_t off, uint64_t v, uint32_t len) { mmio(off, &v, len, true); }
static inline void put(uint64_t pa, uint64_t x) { memcpy(gmem_ptr(&vm.mem, pa, 8), &x, 8); }
static inline uint64_t get(uint64_t pa) { uint64_t x; memcpy(&x, gmem_ptr(&vm.mem, pa, 8), 8); return x; }

static inline void gcmd(uint32_t set)
{
	wr(VTD_GCMD, (rd(VTD_GSTS, 4) & (GCMD_TE | GCMD_QIE | GCMD_IRE | GCMD_CFI)) | set, 4);
}

/* One 256-bit descriptor (LO, HI; the upper half 0) on the invalidation queue, IQT past it. */
static inline void iq(uint64_t lo, uint64_t hi)
{
	put(IQ + iq_tail * 32, lo);
	put(IQ + iq_tail * 32 + 8, hi);
	put(IQ + iq_tail * 32 + 16, 0);
	put(IQ + iq_tail * 32 + 24, 0);
	iq_tail = (iq_tail + 1) % 128;
	wr(VTD_IQT, (uint64_t)iq_tail * 32, 8);
}

/* The guest enables scalable mode with its root table at ROOT, the queue, translation. */
static inline void enable(uint64_t root)
{
	wr(VTD_RTADDR, root | 1u << 10, 8);
	wr(VTD_GCMD, GCMD_SRTP, 4);
	wr(VTD_IQA, IQ | IQA_DW, 8);
	gcmd(GCMD_QIE);
	gcmd(GCMD_TE);
}

/* The VM, its vVT-d, and the first assigned device (DEV_ID, SID) on a host VT-d with ECAP. */
static inline int make_vm(uint64_t ecap)
{
	struct fake_iommufd_cfg c = { .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .vtd_cap = HOST_CAP, .vtd_ecap = ecap };

	cfg = (struct vm_config){ .viommu_model = VIOMMU_MODEL_VTD };
	iq_tail = 0;
	if (pci_vm_init(&vm, &cfg, loop, RAM_BASE, RAM_SIZE) || vtd_dev_create(&vm, VTD_BASE, false, &d))
		return -EIO;
	fake_iommufd_setup(iommufd, vfio, &c);
	vm.iommufd.fd = iommufd;
	return pci_host_viommu_attach_vfio(vm.pci, vfio, DEV_ID, IOAS, SID);
}

/* Everything goes; returns the fake's objects left (0: none leaked). */
static inline unsigned int destroy_vm(void)
{
	pci_host_remove_all(vm.pci);
	vtd_dev_destroy(&vm, d);
	pci_vm_fini(&vm);
	return fake_iommufd_teardown();
}

static inline int harness_init(void)
{
	iommufd = eventfd(0, EFD_CLOEXEC);
	vfio = eventfd(0, EFD_CLOEXEC);
	return iommufd < 0 || vfio < 0 || evloop_init(&loop, 16) ? -1 : 0;
}

static inline void harness_fini(void)
{
	evloop_destroy(loop);
	close(iommufd);
	close(vfio);
}

#endif
