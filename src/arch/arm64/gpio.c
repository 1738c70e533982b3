// SPDX-License-Identifier: GPL-2.0-only
/* PL061 glue: MMIO bus range, interrupt line through the vGIC, the power button (see gpio.h). */
#include "arch/arm64/gpio.h"

#include <errno.h>
#include <stdlib.h>

#include "arch/arch.h"
#include "arch/arm64/gic.h"
#include "arch/arm64/layout.h"
#include "devices/pl061.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static void gpio_irq(void *opaque, bool level)
{
	struct vm *vm = opaque;

	/* irq_line reports its own failure; a lost level change is all that can go wrong here. */
	irq_line(vm, arm64_spi_irq(ARM64_GPIO_SPI), level);
}

int arm64_gpio_create(struct vm *vm)
{
	struct pl061 *g;
	int r;

	g = calloc(1, sizeof(*g));
	if (!g)
		return err_num(ENOMEM, "pl061");
	r = pl061_init(g, gpio_irq, vm);
	if (r)
		goto err_free;
	r = bus_register(&vm->mmio, ARM64_GPIO_BASE, ARM64_GPIO_SIZE, pl061_mmio, g, "pl061");
	if (r) {
		err_num(r, "pl061: MMIO range at 0x%llx", ARM64_GPIO_BASE);
		goto err_destroy;
	}
	vm->arch.gpio = g;
	return 0;

err_destroy:
	pl061_destroy(g);
err_free:
	free(g);
	return r;
}

void arm64_gpio_destroy(struct vm *vm)
{
	struct pl061 *g = vm->arch.gpio;

	if (!g)
		return;
	/* By now no vCPU runs and the loop has stopped: nothing can call into the model. */
	pl061_destroy(g);
	free(g);
	vm->arch.gpio = NULL;
}

int arch_vm_power_button(struct vm *vm)
{
	if (!vm->arch.gpio)
		return -ENODEV;
	pl061_press(vm->arch.gpio, ARM64_POWER_KEY_LINE);
	return 0;
}
