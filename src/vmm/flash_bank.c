// SPDX-License-Identifier: GPL-2.0-only
/* A CFI flash bank mapped into the guest (see flash_bank.h). */
#include "vmm/flash_bank.h"

#include <errno.h>
#include <inttypes.h>

#include "vmm/log.h"
#include "vmm/vm.h"

static int map_bank(struct flash_bank *b, bool on)
{
	struct pflash *p = &b->flash;
	int r = vm_set_memslot(b->vm, b->slot, b->base, on ? p->size : 0, p->mem, true);

	if (!r)
		b->mapped = on;
	return r;
}

/*
 * pflash_romd_fn, on the vCPU thread that wrote the command, under the flash lock. If the memslot
 * cannot be put back, reads keep trapping and the model serves the array itself: slower, and code
 * cannot execute from trapped MMIO, but the vars bank holds no code.
 */
static void bank_romd(void *opaque, bool array_mode)
{
	struct flash_bank *b = opaque;

	if (b->mapped != array_mode && map_bank(b, array_mode))
		pr_err("%s: %s its read-array mapping failed; serving reads by trapping", b->flash.name,
		       array_mode ? "restoring" : "removing");
}

int flash_bank_open(struct vm *vm, struct flash_bank *b, const char *name, const char *path, bool readonly,
		    const struct pflash_geom *g, uint64_t base, uint64_t min_size, uint64_t shown)
{
	int r;

	b->vm = vm;
	b->base = base;
	r = pflash_open(&b->flash, name, path, readonly, g, min_size, bank_romd, b);
	if (r)
		return r;
	b->open = true;
	if (shown && shown < b->flash.size && (r = pflash_limit(&b->flash, shown)))
		return r;
	b->slot = vm_alloc_memslot(vm);
	if (b->slot == UINT32_MAX)
		return -ENOSPC;
	r = map_bank(b, true);
	if (r)
		return r;
	r = bus_register(&vm->mmio, base, b->flash.size, pflash_mmio, &b->flash, name);
	if (r)
		return err_num(r, "%s: MMIO range at 0x%" PRIx64, name, base);
	b->on_bus = true;
	return 0;
}

void flash_bank_close(struct flash_bank *b)
{
	if (b->on_bus)
		bus_unregister(&b->vm->mmio, b->base, &b->flash);
	/* The memslot goes before the array it maps. */
	if (b->mapped)
		map_bank(b, false);
	if (b->open)
		pflash_close(&b->flash);
	b->open = b->mapped = b->on_bus = false;
}
