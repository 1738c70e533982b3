// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: vfio-pci's config-space virtualization (vfio_pci_config.c) for a function whose
 * real config space is anything at all, then guest config reads and writes of any offset and width.
 * The "device fd" is a fake: a memfd holding the real config image at the config region's offset
 * (or a pipe, so every pread/pwrite fails), which is all the code reads config through. With the
 * extended space the emulated ATS, PRI and PASID capabilities (vfio_pci_ecap.c) are built from the
 * function's extended list, a vIOMMU that offers page requests and PASID bits as the flags say, and
 * the fake iommufd's IOMMU_GET_HW_INFO. The input is a flags byte, six BAR size selectors, the real
 * config space (256 bytes, or 4 KiB extended), then 8-byte guest accesses. Nothing may crash, hang
 * or touch memory it does not own (ASan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <linux/iommufd.h>
#include <sys/eventfd.h>

#include "devices/vfio_pci.h"
#include "fake_iommufd.h"
#include "fuzz_vm.h"

#define HDR 7
#define OP_LEN 8

static const struct pci_dev_ops ops = { .cfg_read = vfio_pci_cfg_read, .cfg_write = vfio_pci_cfg_write };
static int mfd = -1, pipefd[2], iommufd = -1;
static uint8_t flags;

/* The vIOMMU in front of the function: flags bit 3 offers page requests, bits 7:4 are its PASID bits. */
static bool v_offered(void *opaque, uint32_t rid)
{
	return flags & 8;
}

static unsigned int v_pasid_bits(void *opaque, uint32_t rid)
{
	return flags >> 4;
}

static void v_set_iopf(void *opaque, uint32_t rid, bool on)
{
}

static const struct pci_viommu_ops vops = { .name = "fuzz", .iopf_offered = v_offered, .pasid_bits = v_pasid_bits,
					    .set_iopf = v_set_iopf };

static void op(struct vfio_pci *v, const uint8_t *p)
{
	uint32_t len = 1u << (p[0] & 3), reg = (uint32_t)fuzz_le(p + 1, 2) & 0xfff;
	uint8_t b[8];

	/* Mostly the header and capabilities, where the emulated/passed-through split is. */
	if (!(p[0] & 0x80))
		reg &= 0xff;
	pci_le_put(b, len, fuzz_le(p + 3, 4));
	if (p[0] & 4)
		pci_dev_cfg_write(&v->pci, reg, b, len);
	else
		pci_dev_cfg_read(&v->pci, reg, b, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfio_pci_cap caps[16];
	uint8_t real[PCI_CFG_SPACE_SIZE_EXP] = { 0 };
	struct vfio_pci *v;
	unsigned int ncaps, rlen;

	if (mfd < 0) {
		fuzz_vm_init();
		mfd = memfd_create("fuzz-vfio-config", MFD_CLOEXEC);
		iommufd = eventfd(0, EFD_CLOEXEC);
		if (mfd < 0 || iommufd < 0 || pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) || pci_host_set_viommu(fvm.pci, &vops, NULL))
			__builtin_trap();
	}
	if (size < HDR)
		return 0;
	flags = data[0];
	{
		/* The host: PASIDs up to 20 bits, execute / privileged modes and ATS from BAR selector 0's low bits. */
		struct fake_iommufd_cfg fc = { .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .max_pasid_log2 = data[1] & 0x10 ? 20 : 5,
					       .hw_caps = data[1] & (IOMMU_HW_CAP_PCI_PASID_EXEC | IOMMU_HW_CAP_PCI_PASID_PRIV |
								     IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED) };

		fake_iommufd_setup(iommufd, -1, &fc);
	}
	rlen = data[0] & 1 ? PCI_CFG_SPACE_SIZE_EXP : PCI_CFG_SPACE_SIZE;
	memcpy(real, data + HDR, size - HDR < rlen ? size - HDR : rlen);
	v = calloc(1, sizeof(*v));
	if (!v)
		return 0;
	v->fd = data[0] & 2 ? pipefd[0] : mfd;
	v->iommufd = iommufd;
	v->devid = 10;
	v->cfg_off = data[0] & 4 ? 0x10000 : 0;
	v->cfg_size = rlen;
	snprintf(v->name, sizeof(v->name), "vfio-fuzz");
	if (ftruncate(mfd, 0) || pwrite(mfd, real, rlen, (off_t)v->cfg_off) != (ssize_t)rlen)
		__builtin_trap();

	/* What vfio_pci_create does once the device is open, with the BARs declared from the input. */
	pci_dev_init(&v->pci, &fvm, &ops, v->name, (uint16_t)pci_le_get(real + PCI_VENDOR_ID, 2),
		     (uint16_t)pci_le_get(real + PCI_DEVICE_ID, 2), (uint32_t)pci_le_get(real + PCI_CLASS_REVISION, 4),
		     (uint16_t)pci_le_get(real + PCI_SUBSYSTEM_VENDOR_ID, 2), (uint16_t)pci_le_get(real + PCI_SUBSYSTEM_ID, 2));
	if (vfio_pci_irq_init(v))
		__builtin_trap();
	v->intx_pin = real[PCI_INTERRUPT_PIN] <= 4 ? real[PCI_INTERRUPT_PIN] : 0;
	vfio_pci_config_header(v, real, v->intx_pin);
	ncaps = vfio_pci_caps_scan(real, PCI_CFG_SPACE_SIZE, caps, 16);
	vfio_pci_find_msix(v, real, caps, ncaps);
	for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
		uint8_t s = data[1 + i];

		if (s && !pci_dev_add_bar(&v->pci, i, 1ULL << (4 + s % 24), s & 0x80, s & 0x40))
			v->bar[i].size = 1ULL << (4 + s % 24);
	}
	if (v->has_msix && !v->bar[v->msix_bar].size)
		v->has_msix = false;
	if (!vfio_pci_config_caps(v, real, caps, ncaps)) {
		size_t start = HDR + (size - HDR < rlen ? size - HDR : rlen);

		/* As vfio_pci_create: the snapshot, then (behind the vIOMMU) the extended capabilities. */
		vfio_pci_config_snapshot(v);
		v->pci.host = fvm.pci;
		vfio_pci_ecap_init(v);
		for (size_t i = start; i + OP_LEN <= size; i += OP_LEN)
			op(v, data + i);
	}
	fake_iommufd_teardown();
	vfio_pci_irq_fini(v);
	pci_msix_fini(&v->msix);
	pci_dev_fini(&v->pci);
	free(v);
	return 0;
}
