// SPDX-License-Identifier: GPL-2.0-only
/* struct bus: range validation, overlap rules, lookup, dispatch offsets and unregistering. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "vmm/bus.h"

struct dev {
	uint64_t last_off;
	uint32_t last_len;
	bool last_write;
	unsigned int calls;
	uint8_t val;
};

static void access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct dev *d = opaque;

	d->last_off = off;
	d->last_len = len;
	d->last_write = is_write;
	d->calls++;
	if (!is_write)
		memset(data, d->val, len);
}

static struct bus *remap_bus;
static struct dev remap_dev;

/* A handler that re-registers ranges, as a BAR write does: must not deadlock. */
static void remap(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	bus_unregister(remap_bus, 0x9000, &remap_dev);
	bus_register(remap_bus, 0xa000, 0x100, access, &remap_dev, "moved");
}

int main(void)
{
	struct dev a = { .val = 0xaa }, b = { .val = 0xbb }, c = { .val = 0xcc };
	uint8_t buf[8];
	struct bus bus;

	CHECK(bus_init(&bus, "mmio") == 0, "bus_init");
	CHECK(bus_register(&bus, 0x1000, 0, access, &a, "empty") == -EINVAL, "empty range rejected");
	CHECK(bus_register(&bus, UINT64_MAX - 0xf, 0x20, access, &a, "wrap") == -EINVAL, "wrapping range rejected");
	CHECK(bus_register(&bus, UINT64_MAX - 0xf, 0x10, access, &c, "top") == 0, "range ending at 2^64-1 accepted");
	CHECK(bus_register(&bus, 0x1000, 0x100, access, &a, "a") == 0, "register a");
	CHECK(bus_register(&bus, 0x1100, 0x100, access, &b, "b") == 0, "adjacent range after a");
	CHECK(bus_register(&bus, 0xf00, 0x100, access, &b, "b0") == 0, "adjacent range before a");
	CHECK(bus_register(&bus, 0x10ff, 1, access, &b, "x") == -EEXIST, "overlap on a's last byte");
	CHECK(bus_register(&bus, 0x1050, 0x10, access, &b, "x") == -EEXIST, "range inside a");
	CHECK(bus_register(&bus, 0x800, 0x1000, access, &b, "x") == -EEXIST, "range covering several");
	CHECK(bus_register(&bus, 0, UINT64_MAX, access, &b, "x") == -EEXIST, "almost-everything range overlaps");
	CHECK(bus.nr == 4, "4 ranges registered (%u)", bus.nr);
	for (unsigned int i = 1; i < bus.nr; i++)
		CHECK(bus.r[i - 1].base < bus.r[i].base, "sorted at %u", i);

	CHECK(bus_dispatch(&bus, 0x1010, buf, 4, false) && a.calls == 1 && a.last_off == 0x10 && a.last_len == 4,
	      "read dispatched to a at offset 0x10");
	CHECK(buf[0] == 0xaa && buf[3] == 0xaa, "read data from the device");
	CHECK(bus_dispatch(&bus, 0x1100, buf, 8, true) && b.calls == 1 && b.last_off == 0 && b.last_write,
	      "write at b's base, offset 0");
	CHECK(!bus_dispatch(&bus, 0x10fe, buf, 4, false), "access straddling a/b is unclaimed");
	CHECK(!bus_dispatch(&bus, 0x2000, buf, 4, false), "unclaimed address");
	CHECK(!bus_dispatch(&bus, 0x0, buf, 1, false), "below every range");
	CHECK(!bus_dispatch(&bus, 0x1000, buf, 0, false) && !bus_dispatch(&bus, 0x1000, buf, 16, false),
	      "lengths 0 and 16 refused");
	CHECK(bus_dispatch(&bus, UINT64_MAX - 7, buf, 8, false) && c.last_off == 8, "access at the very top");
	CHECK(!bus_dispatch(&bus, UINT64_MAX - 3, buf, 8, false), "access wrapping past 2^64 unclaimed");

	CHECK(bus_unregister(&bus, 0x1000, &b) == -ENOENT, "unregister with the wrong owner fails");
	CHECK(bus_unregister(&bus, 0x1001, &a) == -ENOENT, "unregister needs the exact base");
	CHECK(bus_unregister(&bus, 0x1000, &a) == 0, "unregister a");
	CHECK(!bus_dispatch(&bus, 0x1010, buf, 4, false), "a's range is gone");
	CHECK(bus_register(&bus, 0x1000, 0x100, access, &a, "a") == 0, "a's range can be reused");

	remap_bus = &bus;
	CHECK(bus_register(&bus, 0x9000, 0x100, remap, &remap_dev, "remap") == 0, "register remapping device");
	CHECK(bus_dispatch(&bus, 0x9000, buf, 4, true), "handler that re-registers returns");
	CHECK(!bus_dispatch(&bus, 0x9000, buf, 4, true) && bus_dispatch(&bus, 0xa004, buf, 4, false) &&
	      remap_dev.last_off == 4, "range moved by its own handler");
	bus_destroy(&bus);
	return tap_done();
}
