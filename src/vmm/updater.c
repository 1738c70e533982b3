// SPDX-License-Identifier: GPL-2.0-only
/* The updater thread (updater.h). */
#include "vmm/updater.h"

#include <errno.h>
#include <string.h>

#include "vmm/log.h"

static void *updater_thread(void *opaque)
{
	struct updater *u = opaque;

	pthread_setname_np(pthread_self(), "updater");
	pthread_mutex_lock(&u->lock);
	for (;;) {
		while (!u->fn && !u->stop)
			pthread_cond_wait(&u->cond, &u->lock);
		if (u->stop)
			break;
		int (*fn)(void *) = u->fn;
		void *arg = u->arg;

		pthread_mutex_unlock(&u->lock);
		int r = fn(arg);
		pthread_mutex_lock(&u->lock);
		u->result = r;
		u->fn = NULL;
		u->done = true;
		pthread_cond_broadcast(&u->cond);
	}
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

int updater_start(struct updater *u)
{
	int r;

	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	r = pthread_create(&u->thread, NULL, updater_thread, u);
	if (r) {
		pthread_cond_destroy(&u->cond);
		pthread_mutex_destroy(&u->lock);
		return err_num(r, "starting the updater thread");
	}
	u->started = true;
	return 0;
}

int updater_call(struct updater *u, int (*fn)(void *arg), void *arg)
{
	int r;

	if (!u || !u->started)
		return -ENOTSUP;
	pthread_mutex_lock(&u->lock);
	u->fn = fn;
	u->arg = arg;
	u->done = false;
	pthread_cond_broadcast(&u->cond);
	while (!u->done)
		pthread_cond_wait(&u->cond, &u->lock);
	r = u->result;
	pthread_mutex_unlock(&u->lock);
	return r;
}

void updater_stop(struct updater *u)
{
	if (!u->started)
		return;
	pthread_mutex_lock(&u->lock);
	u->stop = true;
	pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->lock);
	pthread_join(u->thread, NULL);
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->lock);
	u->started = false;
}
