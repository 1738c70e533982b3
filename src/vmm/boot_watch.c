// SPDX-License-Identifier: GPL-2.0-only
/* The boot watchdog (see boot_watch.h): a streaming marker match on the console, a one-shot timerfd. */
#include "vmm/boot_watch.h"

#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vmm/console.h"
#include "vmm/evloop.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int boot_watch_init(struct boot_watch *w, const char *marker)
{
	size_t len = strlen(marker), k = 0;

	if (!len || len > BOOT_MARKER_MAX)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->timer_fd = -1;
	memcpy(w->marker, marker, len);
	w->len = len;
	/* fail[i]: the longest proper prefix of marker[0..i] that is also its suffix (Knuth-Morris-Pratt),
	 * so a match split across writes or overlapping a false start is never missed. */
	for (size_t i = 1; i < len; i++) {
		while (k && w->marker[i] != w->marker[k])
			k = w->fail[k - 1];
		if (w->marker[i] == w->marker[k])
			k++;
		w->fail[i] = (uint8_t)k;
	}
	return 0;
}

bool boot_watch_feed(struct boot_watch *w, const uint8_t *buf, size_t len)
{
	size_t m = w->matched;

	if (atomic_load_explicit(&w->reached, memory_order_relaxed))
		return true;
	for (size_t i = 0; i < len; i++) {
		while (m && buf[i] != w->marker[m])
			m = w->fail[m - 1];
		if (buf[i] == w->marker[m] && ++m == w->len) {
			atomic_store(&w->reached, true);
			pr_debug("boot watchdog: the guest reached its OS (\"%.*s\" on its console)", (int)w->len,
				 (const char *)w->marker);
			return true;
		}
	}
	w->matched = m;
	return false;
}

static void tap(void *opaque, const uint8_t *buf, size_t len)
{
	boot_watch_feed(opaque, buf, len);
}

static bool on_timer(void *opaque, int fd)
{
	struct boot_watch *w = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return true;   /* not expired yet (spurious readiness) */
	if (!atomic_load(&w->reached) && !atomic_load(&w->vm->stopping)) {
		pr_err("boot watchdog: the guest did not reach its OS within --boot-timeout %u s (no \"%.*s\" on its "
		       "console; firmware, boot loader or kernel stuck, or a different --boot-marker needed); "
		       "stopping (exit code %d)", w->secs, (int)w->len, (const char *)w->marker, EXIT_BOOT_TIMEOUT);
		vm_request_exit(w->vm, EXIT_BOOT_TIMEOUT);
	}
	w->watch = NULL;   /* returning false: the loop unwatches and frees it */
	return false;      /* one shot */
}

int boot_watch_start(struct boot_watch *w, struct vm *vm, unsigned int secs)
{
	struct itimerspec t = { .it_value = { .tv_sec = secs } };
	int r;

	w->vm = vm;
	w->secs = secs;
	w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->timer_fd < 0)
		return err_errno("boot watchdog: timerfd_create");
	if (timerfd_settime(w->timer_fd, 0, &t, NULL) < 0) {
		r = err_errno("boot watchdog: timerfd_settime");
		goto err;
	}
	r = evloop_watch(vm->loop, w->timer_fd, on_timer, w, &w->watch);
	if (r) {
		err_num(r, "boot watchdog: watching its timer");
		goto err;
	}
	/* A pause (vm.pause) must not hide a stalled boot behind the hold: the timer is a control watch. */
	evloop_watch_control(w->watch);
	console_set_output_tap(tap, w);
	return 0;
err:
	close(w->timer_fd);
	w->timer_fd = -1;
	return r;
}

void boot_watch_stop(struct boot_watch *w)
{
	console_set_output_tap(NULL, NULL);
	if (w->watch)
		evloop_unwatch(w->vm->loop, w->watch);
	w->watch = NULL;
	if (w->timer_fd >= 0)
		close(w->timer_fd);
	w->timer_fd = -1;
}
