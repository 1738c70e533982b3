// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: virtio-blk's request handling (virtio 1.2 5.2.6) with a guest that writes
 * anything it likes into its requests. A driver sets the function up (all features the device
 * offers, one queue of 64 at a fixed place, MSI-X on), then the input becomes the first 64 KiB of
 * guest RAM (descriptor table at 0, avail ring at 0x400, buffers anywhere) and the driver kicks; the
 * event loop runs the requests against a 32 KiB disk (a memfd). Byte 0 picks the negotiated features.
 * The device must never crash, hang or touch memory outside guest RAM (ASan).
 */
#include <linux/virtio_blk.h>
#include <stdio.h>
#include <sys/mman.h>

#include "fuzz_vm.h"

static struct virtio_dev *vdev;

static void create(void)
{
	static char path[64];
	static struct disk_config disk = { .path = path };
	int fd = memfd_create("fuzz-disk", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, 64 * 512))
		__builtin_trap();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fuzz_vm_init();
	if (virtio_blk_create(&fvm, &disk, 0) || !(vdev = (struct virtio_dev *)fvm.pci->slot[1]))
		__builtin_trap();
	fuzz_msix_enable(vdev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t features = 1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
			    1ULL << VIRTIO_F_VERSION_1;

	if (!vdev)
		create();
	if (size < 1)
		return 0;
	fuzz_virtio_start(vdev, data[0], features, data + 1, size - 1);
	virtio_queue_kick(vdev, 0);
	/* The notification, the I/O it submitted and the completions; a second kick like a driver's retry. */
	fuzz_loop_turns(3);
	if (data[0] & 4) {
		virtio_queue_kick(vdev, 0);
		fuzz_loop_turns(3);
	}
	fuzz_msix_drain(vdev);
	return 0;
}
