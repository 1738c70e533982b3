// SPDX-License-Identifier: GPL-2.0-only
/* PL011 glue: MMIO bus range, interrupt line through the vGIC, console input and output. */
#include "arch/arm64/uart.h"

#include <errno.h>
#include <stdlib.h>

#include "arch/arm64/gic.h"
#include "arch/arm64/layout.h"
#include "devices/pl011.h"
#include "vmm/console.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static void uart_irq(void *opaque, bool level)
{
	struct vm *vm = opaque;

	/* irq_line reports its own failure; a lost level change is all that can go wrong here. */
	irq_line(vm, arm64_spi_irq(ARM64_UART_SPI), level);
}

static void uart_tx(void *opaque, const uint8_t *buf, size_t len)
{
	console_write(buf, len);
}

int arm64_uart_create(struct vm *vm)
{
	struct pl011 *u;
	int r;

	u = calloc(1, sizeof(*u));
	if (!u)
		return err_num(ENOMEM, "pl011");
	r = pl011_init(u, uart_irq, uart_tx, vm);
	if (r)
		goto err_free;
	r = bus_register(&vm->mmio, ARM64_UART_BASE, ARM64_UART_SIZE, pl011_mmio, u, "pl011");
	if (r) {
		err_num(r, "pl011: MMIO range at 0x%llx", ARM64_UART_BASE);
		goto err_destroy;
	}
	/* The PL011 always carries kernel output; it takes input only when it is the chosen console. */
	if (vm->cfg->console == CONSOLE_SERIAL)
		console_set_input(pl011_input, u);
	vm->arch.uart = u;
	return 0;

err_destroy:
	pl011_destroy(u);
err_free:
	free(u);
	return r;
}

void arm64_uart_destroy(struct vm *vm)
{
	struct pl011 *u = vm->arch.uart;

	if (!u)
		return;
	/* By now no vCPU runs and the loop has stopped: nothing can call into the model. */
	if (vm->cfg->console == CONSOLE_SERIAL)
		console_set_input(NULL, NULL);
	pl011_destroy(u);
	free(u);
	vm->arch.uart = NULL;
}
