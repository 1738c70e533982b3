// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: virtio-console (virtio 1.2 5.3) with a guest that writes anything it likes into
 * its receive and transmit queues, and host input arriving while it does. A driver sets the function
 * up (receiveq0 at RAM 0, transmitq0 at RAM 0x1000, 64 entries each, MSI-X on); the input is
 * byte 0 (features, kick order), a 16-bit length and that many bytes of host input, then the
 * first 64 KiB of guest RAM. The device must never crash, hang or touch memory outside guest RAM.
 * The console's input hook is taken with the linker's --wrap, so host input reaches the model
 * exactly as console.c would deliver it.
 */
#include "fuzz_vm.h"
#include "vmm/console.h"

void __real_console_set_input(console_input_fn fn, void *opaque);
void __wrap_console_set_input(console_input_fn fn, void *opaque);

static console_input_fn input_fn;
static void *input_opaque;

void __wrap_console_set_input(console_input_fn fn, void *opaque)
{
	input_fn = fn;
	input_opaque = opaque;
	__real_console_set_input(fn, opaque);
}

static struct virtio_dev *vdev;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1;
	size_t in_len;

	if (!vdev) {
		fuzz_vm_init();
		if (virtio_console_create(&fvm) || !(vdev = (struct virtio_dev *)fvm.pci->slot[1]) || !input_fn)
			__builtin_trap();
		fuzz_msix_enable(vdev);
	}
	if (size < 3)
		return 0;
	in_len = fuzz_le(data + 1, 2);
	if (in_len > size - 3)
		in_len = size - 3;
	fuzz_virtio_start(vdev, data[0], features, data + 3 + in_len, size - 3 - in_len);
	if (data[0] & 4)
		input_fn(input_opaque, data + 3, in_len);      /* before the driver's receive buffers */
	virtio_queue_kick(vdev, (data[0] >> 3) & 1);
	virtio_queue_kick(vdev, !((data[0] >> 3) & 1));
	fuzz_loop_turns(2);
	if (!(data[0] & 4))
		input_fn(input_opaque, data + 3, in_len);      /* after them */
	fuzz_loop_turns(1);
	fuzz_msix_drain(vdev);
	return 0;
}
