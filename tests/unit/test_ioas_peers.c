// SPDX-License-Identifier: GPL-2.0-only
/* The IOAS's peer windows (src/iommu/ioas_peers.c): lookup, the one listener and its calls. */
#include <errno.h>

#include "iommu/ioas_peers.h"
#include "tap.h"

static unsigned int calls;
static uint64_t last_gpa, last_size;
static struct ioas_peers *seen_by;
static bool found_in_call;

/* The listener may look windows up (the shadow does): the registry's lock is not held. */
static void changed(void *opaque, uint64_t gpa, uint64_t size)
{
	struct ioas_peer w;

	calls++;
	last_gpa = gpa;
	last_size = size;
	seen_by = opaque;
	found_in_call = ioas_peers_find(opaque, gpa, &w);
}

static void other(void *opaque, uint64_t gpa, uint64_t size)
{
	(void)opaque;
	(void)gpa;
	(void)size;
}

int main(void)
{
	struct ioas_peers p;
	struct ioas_peer w;
	unsigned int n = 0;

	ioas_peers_init(&p);
	CHECK(!ioas_peers_find(&p, 0, &w), "empty: nothing found");
	CHECK(ioas_peers_add(&p, 0xe0000000, 0x100000, 7, true) == 0, "a window without a listener");
	CHECK(ioas_peers_listen(&p, changed, &p) == 0 && ioas_peers_listen(&p, changed, &p) == 0,
	      "a listener; setting the same one again is fine");
	CHECK(ioas_peers_listen(&p, other, NULL) == -EBUSY, "a second listener: -EBUSY");
	CHECK(ioas_peers_add(&p, 0xe0200000, 0x4000, 9, false) == 0 && calls == 1 && last_gpa == 0xe0200000 &&
	      last_size == 0x4000 && seen_by == &p && found_in_call,
	      "add: the listener is told once, after the window is findable");
	CHECK(ioas_peers_find(&p, 0xe0203fff, &w) && w.fd == 9 && !w.writable && w.gpa == 0xe0200000,
	      "find: the last byte of a window is in it, with its fd and permission");
	CHECK(!ioas_peers_find(&p, 0xe0204000, &w) && !ioas_peers_find(&p, 0xdfffffff, &w),
	      "find: one past the end, one before the start: none");
	CHECK(ioas_peers_find(&p, 0xe0000000, &w) && w.fd == 7 && w.writable, "the first window is still there");
	ioas_peers_remove(&p, 0xe0200000);
	CHECK(calls == 2 && last_gpa == 0xe0200000 && last_size == 0x4000 && !found_in_call,
	      "remove: told with the window's range, after it is gone");
	ioas_peers_remove(&p, 0x1234000);
	CHECK(calls == 2, "removing a window that is not there: no call");
	while (ioas_peers_add(&p, 0x100000000ull + n * 0x1000ull, 0x1000, 3, true) == 0)
		n++;
	CHECK(n == IOAS_PEERS_MAX - 1, "full after %u more windows (%u): -ENOSPC", IOAS_PEERS_MAX - 1, n);
	ioas_peers_listen(&p, NULL, NULL);
	calls = 0;
	ioas_peers_remove(&p, 0xe0000000);
	CHECK(calls == 0 && ioas_peers_listen(&p, other, NULL) == 0, "listener cleared: no call, another may listen");
	return tap_done();
}
