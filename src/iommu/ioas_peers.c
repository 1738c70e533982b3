// SPDX-License-Identifier: GPL-2.0-only
/* The peer windows of the VM's IOAS (see ioas_peers.h). */
#include "iommu/ioas_peers.h"

#include <errno.h>

void ioas_peers_init(struct ioas_peers *p)
{
	*p = (struct ioas_peers){ .nr = 0 };
	pthread_mutex_init(&p->lock, NULL);
}

/* Tells the listener, outside the lock: it may walk tables and look windows up. */
static void notify(struct ioas_peers *p, uint64_t gpa, uint64_t size)
{
	ioas_peers_changed_fn *fn;
	void *opaque;

	pthread_mutex_lock(&p->lock);
	fn = p->changed;
	opaque = p->opaque;
	pthread_mutex_unlock(&p->lock);
	if (fn)
		fn(opaque, gpa, size);
}

int ioas_peers_add(struct ioas_peers *p, uint64_t gpa, uint64_t size, int fd, bool writable)
{
	pthread_mutex_lock(&p->lock);
	if (p->nr == IOAS_PEERS_MAX) {
		pthread_mutex_unlock(&p->lock);
		return -ENOSPC;
	}
	p->w[p->nr++] = (struct ioas_peer){ .gpa = gpa, .size = size, .fd = fd, .writable = writable };
	pthread_mutex_unlock(&p->lock);
	notify(p, gpa, size);
	return 0;
}

void ioas_peers_remove(struct ioas_peers *p, uint64_t gpa)
{
	uint64_t size = 0;

	pthread_mutex_lock(&p->lock);
	for (unsigned int i = 0; i < p->nr; i++) {
		if (p->w[i].gpa == gpa) {
			size = p->w[i].size;
			p->w[i] = p->w[--p->nr];
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (size)
		notify(p, gpa, size);
}

bool ioas_peers_find(struct ioas_peers *p, uint64_t gpa, struct ioas_peer *out)
{
	bool found = false;

	pthread_mutex_lock(&p->lock);
	for (unsigned int i = 0; i < p->nr && !found; i++) {
		if (gpa >= p->w[i].gpa && gpa - p->w[i].gpa < p->w[i].size) {
			*out = p->w[i];
			found = true;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return found;
}

int ioas_peers_listen(struct ioas_peers *p, ioas_peers_changed_fn *fn, void *opaque)
{
	int r = 0;

	pthread_mutex_lock(&p->lock);
	if (fn && p->changed && (p->changed != fn || p->opaque != opaque)) {
		r = -EBUSY;
	} else {
		p->changed = fn;
		p->opaque = fn ? opaque : NULL;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}
