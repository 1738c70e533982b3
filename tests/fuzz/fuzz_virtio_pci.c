// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the virtio-pci transport (virtio 1.2 4.1) of a virtio-console function, driven
 * the way a guest's vCPU exits reach it: register reads and writes of any offset and width on BAR0
 * (common config, ISR, device config, notify), the MSI-X BAR, and config space (including the
 * VIRTIO_PCI_CAP_PCI_CFG window), with queue kicks run through the event loop. The input is a list
 * of 12-byte operations followed by the first 64 KiB of guest RAM (where the rings a sequence sets up
 * may land). The transport must never crash, hang or touch memory outside guest RAM (ASan).
 */
#include "fuzz_vm.h"

#define OP_LEN 12

static struct virtio_dev *vdev;

/* Offsets the transport decodes, so random offsets land on registers more often than not. */
static const uint32_t region[] = { VIRTIO_COMMON_OFF, VIRTIO_ISR_OFF, VIRTIO_DEVCFG_OFF, VIRTIO_NOTIFY_OFF };

static void op(const uint8_t *p)
{
	uint32_t len = 1u << (p[1] & 3), off = (uint32_t)fuzz_le(p + 2, 2);
	uint64_t val = fuzz_le(p + 4, 8);
	uint8_t b[8];

	pci_le_put(b, len, val);
	switch (p[0] % 8) {
	case 0: /* BAR0, near a structure */
	case 1:
		off = region[(p[1] >> 2) & 3] + off % 0x40;
		vdev->pci.ops->bar_access(&vdev->pci, VIRTIO_BAR, off, b, len, p[0] & 1);
		break;
	case 2: /* BAR0, anywhere */
		vdev->pci.ops->bar_access(&vdev->pci, VIRTIO_BAR, off % VIRTIO_BAR_SIZE, b, len, p[1] & 4);
		break;
	case 3: /* MSI-X table / PBA */
		vdev->pci.ops->bar_access(&vdev->pci, VIRTIO_MSIX_BAR, off % VIRTIO_MSIX_BAR_SIZE, b, len, p[1] & 4);
		break;
	case 4: /* config space through the host bridge (ECAM), reads and writes */
		pci_host_cfg_access(fvm.pci, 0, vdev->pci.devfn, off % PCI_CFG_SPACE_SIZE_EXP, b, len, p[1] & 4);
		break;
	case 5: /* the capability list area, where the PCI_CFG window and MSI-X control live */
		pci_host_cfg_access(fvm.pci, 0, vdev->pci.devfn, 0x40 + off % 0xc0, b, len > 4 ? 4 : len, p[1] & 4);
		break;
	case 6: /* the driver notifies */
		virtio_queue_kick(vdev, p[2] % (vdev->nr_queues + 1u));
		break;
	case 7: /* time passes: the loop runs the notifications */
		fuzz_loop_turns(1);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nops, img;

	if (!vdev) {
		fuzz_vm_init();
		if (virtio_console_create(&fvm) || !(vdev = (struct virtio_dev *)fvm.pci->slot[1]))
			__builtin_trap();
	}
	if (!size)
		return 0;
	nops = data[0];     /* up to 255 */
	if (nops * OP_LEN > size - 1)
		nops = (size - 1) / OP_LEN;
	img = size - 1 - nops * OP_LEN;
	memset(fuzz_gp(0, FUZZ_IMG), 0, FUZZ_IMG);
	memcpy(fuzz_gp(0, FUZZ_IMG), data + 1 + nops * OP_LEN, img < FUZZ_IMG ? img : FUZZ_IMG);
	/* Each input starts from a reset function with MSI-X off, as after a guest's FLR-less reboot. */
	common_wr(vdev, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	{
		uint8_t z[2] = { 0 };

		pci_dev_cfg_write(&vdev->pci, vdev->msix.cap + PCI_MSIX_FLAGS, z, 2);
	}
	for (size_t i = 0; i < nops; i++)
		op(data + 1 + i * OP_LEN);
	fuzz_loop_turns(2);
	fuzz_msix_drain(vdev);
	return 0;
}
