// SPDX-License-Identifier: GPL-2.0-only
/* PL031 RTC (see pl031.h). */
#include "devices/pl031.h"

#include <string.h>
#include <time.h>

#include "vmm/log.h"

/* PeriphID0..3 then PCellID0..3, one byte each in the low bits of a word (TRM 3.3.9-3.3.16). */
static const uint8_t ids[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static int64_t host_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

int pl031_init(struct pl031 *rtc)
{
	int r;

	memset(rtc, 0, sizeof(*rtc));
	r = pthread_mutex_init(&rtc->lock, NULL);
	if (r)
		return err_num(r, "pl031: pthread_mutex_init");
	/* Firmware on QEMU finds the clock running (QEMU starts it at reset): the same here. */
	rtc->started = true;
	return 0;
}

void pl031_destroy(struct pl031 *rtc)
{
	pthread_mutex_destroy(&rtc->lock);
}

static uint32_t reg_read(struct pl031 *rtc, uint64_t off)
{
	switch (off) {
	case PL031_DR:
		/* The counter is 32 bits wide and wraps (TRM 2.2). */
		return (uint32_t)(host_seconds() + rtc->offset);
	case PL031_MR:
		return rtc->mr;
	case PL031_LR:
		return rtc->lr;     /* the last value loaded (TRM 3.3.3) */
	case PL031_CR:
		return rtc->started;
	case PL031_IMSC:
		return rtc->imsc;
	case PL031_RIS:
	case PL031_MIS:
		return 0;   /* no alarm interrupt (pl031.h) */
	default:
		if (off >= PL031_PERIPHID0 && off < PL031_PERIPHID0 + 4 * sizeof(ids))
			return ids[(off - PL031_PERIPHID0) / 4];
		return 0;
	}
}

static void reg_write(struct pl031 *rtc, uint64_t off, uint32_t v)
{
	switch (off) {
	case PL031_MR:
		rtc->mr = v;
		break;
	case PL031_LR:
		rtc->lr = v;
		rtc->offset = (int64_t)v - host_seconds();
		break;
	case PL031_CR:
		/* Writing 0 once started has no effect (TRM 3.3.4). */
		rtc->started |= v & 1;
		break;
	case PL031_IMSC:
		rtc->imsc = v & 1;
		break;
	default:
		break;      /* DR, RIS, MIS and the IDs are read-only; ICR clears nothing that is ever set */
	}
}

void pl031_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pl031 *rtc = opaque;
	uint64_t word = offset & ~3ull;
	unsigned int shift = (unsigned int)(offset & 3);
	uint32_t v = 0;

	/*
	 * 32-bit registers on the APB. Narrower reads within one register return its bytes (AAVMF's
	 * PL031 driver checks the PrimeCell IDs with byte reads); a write must be a whole word, anything
	 * else is dropped, as are accesses that straddle registers.
	 */
	if (!len || len > 4 || shift + len > 4 || offset >= PL031_MMIO_SIZE || (is_write && len != 4)) {
		if (!is_write)
			memset(data, 0, len <= 8 ? len : 8);
		return;
	}
	pthread_mutex_lock(&rtc->lock);
	if (is_write) {
		memcpy(&v, data, 4);
		reg_write(rtc, word, v);
	} else {
		v = reg_read(rtc, word) >> (8 * shift);
		memcpy(data, &v, len);
	}
	pthread_mutex_unlock(&rtc->lock);
}
