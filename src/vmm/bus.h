/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MMIO and port-I/O dispatch for exits that reach userspace. Ranges never overlap; lookups take a
 * read lock so PCI BAR (re)programming by one vCPU is safe against accesses from another.
 */
#ifndef NESTVM_BUS_H
#define NESTVM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* OFFSET is relative to the range base; LEN is 1, 2, 4 or 8; DATA is little-endian guest data. */
typedef void (*bus_access_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

struct bus_range {
	uint64_t base, len;
	bus_access_fn fn;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name;         /* "mmio" or "pio", for messages */
	pthread_rwlock_t lock;
	struct bus_range *r;      /* sorted by base */
	unsigned int nr, cap;
};

int bus_init(struct bus *b, const char *name);
void bus_destroy(struct bus *b);
/* -EEXIST on overlap with an existing range, -EINVAL on an empty or wrapping range. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_access_fn fn, void *opaque, const char *name);
int bus_unregister(struct bus *b, uint64_t base, void *opaque);
/* The lowest registered range's base into *BASE; false when the bus is empty. */
bool bus_first(struct bus *b, uint64_t *base);
/*
 * Returns false when no range claims the whole [ADDR, ADDR+LEN); reads of unclaimed space should
 * then return all-ones. The handler is called without the bus lock, so it may (un)register ranges
 * (BAR programming); OPAQUE must stay valid until no vCPU runs.
 */
bool bus_dispatch(struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
