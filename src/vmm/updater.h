/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The updater thread: started before any thread confines itself (seccomp.c), it runs what a live
 * update needs and the event loop's filter does not allow (reading every vCPU register, sealing
 * the state memfd, opening the new binary, execve). It only runs calls the loop thread hands it,
 * one at a time, and the loop waits for each: the control API is the only way in.
 */
#ifndef NESTVM_UPDATER_H
#define NESTVM_UPDATER_H

#include <pthread.h>
#include <stdbool.h>

struct updater {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int (*fn)(void *arg);           /* the call waiting to run, NULL when none */
	void *arg;
	int result;
	bool done, stop, started;
};

int updater_start(struct updater *u);
/* Runs FN(ARG) on the updater thread and returns its result. */
int updater_call(struct updater *u, int (*fn)(void *arg), void *arg);
void updater_stop(struct updater *u);

#endif
