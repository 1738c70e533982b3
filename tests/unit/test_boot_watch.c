// SPDX-License-Identifier: GPL-2.0-only
/*
 * The boot watchdog (vmm/boot_watch.h): the marker found in console output however the guest splits
 * it and after false starts, never without it; the timer stops the VM with EXIT_BOOT_TIMEOUT when
 * the marker did not come, and does nothing once it did.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/boot_watch.h"
#include "vmm/console.h"
#include "vmm/evloop.h"
#include "vmm/exitcode.h"
#include "vmm/vm.h"

static bool feed_str(struct boot_watch *w, const char *s)
{
	return boot_watch_feed(w, (const uint8_t *)s, strlen(s));
}

static void test_match(void)
{
	struct boot_watch w;
	const char *text = "EFI stub: Booting Linux Kernel...\r\n[    0.000000] Linux version 7.2.13 (gcc)";
	bool any = false, got;

	CHECK(boot_watch_init(&w, "") == -EINVAL, "an empty marker is refused");
	CHECK(boot_watch_init(&w, "0123456789012345678901234567890123456789012345678901234567890123X") == -EINVAL,
	      "a marker over %d bytes is refused", BOOT_MARKER_MAX);

	CHECK(!boot_watch_init(&w, BOOT_MARKER_DEFAULT), "the default marker");
	CHECK(!feed_str(&w, "BdsDxe: loading Boot0001 \"UEFI Misc Device\"\r\nShell> Linux versio") &&
	      !atomic_load(&w.reached), "firmware output and a cut-off marker do not count");
	CHECK(feed_str(&w, "n 7.2") && atomic_load(&w.reached), "the marker completed by the next write counts");
	CHECK(feed_str(&w, "anything"), "reached stays reached");

	/* Every split of the text into two writes, and byte by byte. */
	for (size_t cut = 0; cut <= strlen(text); cut++) {
		boot_watch_init(&w, BOOT_MARKER_DEFAULT);
		got = boot_watch_feed(&w, (const uint8_t *)text, cut);
		got = boot_watch_feed(&w, (const uint8_t *)text + cut, strlen(text) - cut) || got;
		any |= !got;
	}
	CHECK(!any, "found whatever two writes it is split into");
	boot_watch_init(&w, BOOT_MARKER_DEFAULT);
	got = false;
	for (size_t i = 0; text[i]; i++)
		got = boot_watch_feed(&w, (const uint8_t *)&text[i], 1);
	CHECK(got, "found when written a byte at a time");

	/* False starts that overlap the match (KMP fall-back, not a restart after the mismatch). */
	boot_watch_init(&w, "aab");
	CHECK(feed_str(&w, "aaab"), "\"aab\" in \"aaab\"");
	boot_watch_init(&w, "abab!");
	CHECK(!feed_str(&w, "ababa") && feed_str(&w, "bab!"), "\"abab!\" in \"ababa\" + \"bab!\"");
	boot_watch_init(&w, "abab!");
	CHECK(!feed_str(&w, "abab?abab") && !atomic_load(&w.reached), "no match without the marker");
}

static struct vm vm;

static void *stop_later(void *arg)
{
	struct timespec ts = { .tv_sec = 2 };

	nanosleep(&ts, NULL);
	evloop_stop(vm.loop);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One run of the loop with a 1 s watchdog; the marker written first when SAY is true. */
static void run_once(bool say, double *took)
{
	pthread_t t;
	double t0;

	memset(&vm, 0, sizeof(vm));
	pthread_mutex_init(&vm.park.lock, NULL);
	pthread_cond_init(&vm.park.cond, NULL);
	if (evloop_init(&vm.loop, 64)) {
		CHECK(0, "evloop_init");
		return;
	}
	CHECK(!boot_watch_init(&vm.boot_watch, "nestvm-guest: init reached") &&
	      !boot_watch_start(&vm.boot_watch, &vm, 1), "watchdog armed for 1 s");
	if (say) {
		/* Through the console, as the guest's UART would (its output kept out of the TAP stream). */
		int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);

		fflush(stdout);
		dup2(null, STDOUT_FILENO);
		console_write((const uint8_t *)"nestvm-guest: init reached, uptime=1.00\n", 40);
		dup2(out, STDOUT_FILENO);
		close(out);
		close(null);
	}
	pthread_create(&t, NULL, stop_later, NULL);   /* ends the run if the watchdog does not */
	t0 = now_s();
	evloop_run(vm.loop);
	*took = now_s() - t0;
	pthread_join(t, NULL);
	boot_watch_stop(&vm.boot_watch);
	evloop_destroy(vm.loop);
}

static void test_timer(void)
{
	double took;

	run_once(false, &took);
	CHECK(atomic_load(&vm.stopping) && atomic_load(&vm.exit_code) == EXIT_BOOT_TIMEOUT && took >= 0.9 && took < 1.9,
	      "no marker: the VM is stopped with exit code %d after the timeout (%.2f s)", EXIT_BOOT_TIMEOUT, took);
	run_once(true, &took);
	CHECK(!atomic_load(&vm.stopping) && took >= 1.9, "marker seen: the timeout passes without stopping anything");
}

int main(void)
{
	test_match();
	test_timer();
	return tap_done();
}
