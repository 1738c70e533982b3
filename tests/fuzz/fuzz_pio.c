// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the x86 port-I/O exit path. A fake kvm_run (KVM's layout: the run page, then the
 * string I/O data page) carries whatever a KVM_EXIT_IO may say, including what KVM never would:
 * any size, count and data offset; vcpu_exit_io decodes it and dispatches every item (rep ins/outs)
 * over the port bus to the x86 machine's port devices: COM1 (a 16550A wired to the IOAPIC), the
 * ACPI PM / reset control / i8042 / POST ports and the PCI host's 0xCF8/0xCFC (with 0xCF9 inside).
 * The input is a list of 8-byte exits, each followed by its data. Nothing may crash, hang or touch
 * memory outside the run area (ASan).
 */
#include <stdlib.h>

#include "arch/x86_64/layout.h"
#include "arch/x86_64/machine.h"
#include "devices/serial8250.h"
#include "fuzz_vm.h"
#include "vmm/vcpu.h"

#define RUN_SIZE (3 * 4096)     /* what KVM_GET_VCPU_MMAP_SIZE says on x86 */
#define OP_LEN 8

static struct vcpu vcpu;
static uint8_t *run_area;

/* Ports the machine decodes; a random 16-bit port would rarely hit one. */
static const uint16_t ports[] = { X86_COM1_PORT, 0xcf8, 0xcfc, X86_PM_PORT, X86_I8042_DATA, X86_I8042_CMD,
				  X86_POST_PORT, 0xcf9 };

static int msi(void *opaque, uint64_t addr, uint32_t data)
{
	return 0;
}

static void route(void *opaque, unsigned int pin, uint64_t addr, uint32_t data)
{
}

static void com1_irq(void *opaque, bool level)
{
	ioapic_set_irq(&fvm.arch.ioapic, X86_COM1_IRQ, level);
}

static void com1_tx(void *opaque, const uint8_t *buf, size_t len)
{
}

static void create(void)
{
	fuzz_vm_init();
	fvm.vcpu_mmap_size = RUN_SIZE;
	run_area = aligned_alloc(4096, RUN_SIZE);
	if (!run_area)
		__builtin_trap();
	vcpu = (struct vcpu){ .vm = &fvm, .fd = -1, .run = (struct kvm_run *)run_area };
	ioapic_init(&fvm.arch.ioapic, msi, route, NULL);
	serial8250_init(&fvm.arch.com1, com1_irq, com1_tx, NULL);
	if (bus_register(&fvm.pio, X86_COM1_PORT, 8, serial8250_access, &fvm.arch.com1, "com1") ||
	    x86_legacy_ports_register(&fvm) || x86_reset_control_register(&fvm))
		__builtin_trap();
	/* A guest reset or power-off through a port stops "the VM" once; it stays stopped (quietly). */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;

	if (!run_area)
		create();
	while (i + OP_LEN <= size) {
		const uint8_t *p = data + i;
		struct kvm_run *run = vcpu.run;
		uint32_t n;

		memset(run_area, 0, RUN_SIZE);
		run->exit_reason = KVM_EXIT_IO;
		run->io.port = p[2] & 0x80 ? (uint16_t)(ports[p[0] % 8] + (p[1] & 7)) : (uint16_t)fuzz_le(p, 2);
		run->io.direction = p[2] & 0x40 ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
		/* Sizes KVM uses (1, 2, 4) and ones it never does (0, 3, 8, ...). */
		run->io.size = p[2] & 0x20 ? p[2] & 0x1f : 1u << (p[2] & 3) >> (p[2] & 4 ? 1 : 0);
		run->io.count = p[3] & 0x80 ? (uint32_t)fuzz_le(p + 3, 2) << 8 : p[3] + 1u;
		/* KVM puts the data in the second page; anywhere is fair game here. */
		run->io.data_offset = p[5] & 0x80 ? (uint64_t)fuzz_le(p + 5, 2) << (p[7] & 15) : 4096 + (p[5] & 0x7f);
		i += OP_LEN;
		/* The OUT data: the bytes after the exit, up to what its first 256 items ask for. */
		n = (p[3] + 1u) * (run->io.size & 0x1f);
		if (n > size - i)
			n = (uint32_t)(size - i);
		if (run->io.data_offset < RUN_SIZE)
			memcpy(run_area + run->io.data_offset, data + i,
			       n < RUN_SIZE - run->io.data_offset ? n : RUN_SIZE - run->io.data_offset);
		i += n;
		vcpu_exit_io(&vcpu);
	}
	return 0;
}
