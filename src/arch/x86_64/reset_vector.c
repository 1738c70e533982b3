// SPDX-License-Identifier: GPL-2.0-only
/*
 * What sits at the x86 reset vector (physical 0xFFFF0, F000:FFF0 in real mode; SDM Vol. 3A 9.1.4).
 * nestvm has no BIOS, but a guest may still jump there to restart: Linux does for reboot=bios, and
 * falls back to it when its preferred method returns (an EFI-enabled kernel on our hardware-reduced
 * ACPI picks EFI reboot, finds no runtime services and takes the BIOS path; arch/x86/kernel/reboot.c).
 * Without code there the vCPU would run zeroed memory forever. The stub pulses the reset line through
 * the i8042, which nestvm turns into a guest reset, and halts should that ever return.
 */
#include "arch/x86_64/layout.h"
#include "arch/x86_64/machine.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static const uint8_t reset_stub[16] = {
	0xb0, 0xfe,                 /* fff0: mov al, 0xfe          the i8042 "pulse reset line" command */
	0xe6, 0x64,                 /* fff2: out 0x64, al          to its command port */
	0xfa,                       /* fff4: cli */
	0xf4,                       /* fff5: hlt */
	0xeb, 0xfd,                 /* fff6: jmp fff5 */
	0xf4, 0xf4, 0xf4, 0xf4, 0xf4, 0xf4, 0xf4, 0xf4,
};
_Static_assert(X86_RESET_VECTOR + sizeof(reset_stub) == X86_HIGH_RAM_START, "the stub ends at 1 MiB");

int x86_reset_vector_install(struct vm *vm)
{
	int r = gmem_write(&vm->mem, X86_RESET_VECTOR, reset_stub, sizeof(reset_stub));

	if (r)
		return err_num(r, "reset vector stub at %#llx", (unsigned long long)X86_RESET_VECTOR);
	return 0;
}
