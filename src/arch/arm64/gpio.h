/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The machine's PL061 GPIO at ARM64_GPIO_BASE, SPI ARM64_GPIO_SPI, as on QEMU virt: line
 * ARM64_POWER_KEY_LINE is the power button, described in the device tree as a gpio-keys KEY_POWER
 * (devtree.c); vm.power-button presses it (arch_vm_power_button).
 */
#ifndef NESTVM_ARM64_GPIO_H
#define NESTVM_ARM64_GPIO_H

struct vm;

int arm64_gpio_create(struct vm *vm);
void arm64_gpio_destroy(struct vm *vm);

#endif
