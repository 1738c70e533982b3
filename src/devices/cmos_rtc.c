// SPDX-License-Identifier: GPL-2.0-only
/* MC146818A CMOS RTC and NVRAM (see cmos_rtc.h). */
#include "devices/cmos_rtc.h"

#include <string.h>
#include <time.h>

#include "vmm/log.h"

static int64_t host_utc(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
int64_t cmos_rtc_days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct civil {
	int64_t year;
	unsigned int month, mday, hour, min, sec, wday;   /* wday 0 = Sunday */
};

static void civil_from_seconds(int64_t t, struct civil *c)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, secs = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	c->mday = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	c->month = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = yoe + era * 400 + (c->month <= 2);
	c->hour = (unsigned int)(secs / 3600);
	c->min = (unsigned int)(secs / 60 % 60);
	c->sec = (unsigned int)(secs % 60);
	c->wday = (unsigned int)((days % 7 + 11) % 7);   /* 1970-01-01 was a Thursday */
}

static uint8_t to_reg(const struct cmos_rtc *c, unsigned int v)
{
	return c->ram[CMOS_REG_B] & CMOS_B_DM_BINARY ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned int from_reg(const struct cmos_rtc *c, uint8_t v)
{
	return c->ram[CMOS_REG_B] & CMOS_B_DM_BINARY ? v : (unsigned int)(v >> 4) * 10 + (v & 0xf);
}

/* The clock's current time into the time registers, in the format B selects. */
static void store_time(struct cmos_rtc *c)
{
	struct civil t;
	unsigned int h;

	civil_from_seconds(c->now() + c->offset, &t);
	c->ram[CMOS_SECONDS] = to_reg(c, t.sec);
	c->ram[CMOS_MINUTES] = to_reg(c, t.min);
	if (c->ram[CMOS_REG_B] & CMOS_B_24H) {
		c->ram[CMOS_HOURS] = to_reg(c, t.hour);
	} else {
		h = t.hour % 12 ? t.hour % 12 : 12;
		c->ram[CMOS_HOURS] = (uint8_t)(to_reg(c, h) | (t.hour >= 12 ? 0x80 : 0));
	}
	c->ram[CMOS_WEEKDAY] = to_reg(c, t.wday + 1);
	c->ram[CMOS_MDAY] = to_reg(c, t.mday);
	c->ram[CMOS_MONTH] = to_reg(c, t.month);
	c->ram[CMOS_YEAR] = to_reg(c, (unsigned int)(t.year % 100));
	c->ram[CMOS_CENTURY] = to_reg(c, (unsigned int)(t.year / 100 % 100));
}

/* The offset that makes the time registers the current time (out-of-range fields are clamped by the calendar math). */
static void load_time(struct cmos_rtc *c)
{
	unsigned int hour = c->ram[CMOS_HOURS], mon = from_reg(c, c->ram[CMOS_MONTH]);
	int64_t year = (int64_t)from_reg(c, c->ram[CMOS_CENTURY]) * 100 + from_reg(c, c->ram[CMOS_YEAR]);
	int64_t t;

	if (c->ram[CMOS_REG_B] & CMOS_B_24H) {
		hour = from_reg(c, (uint8_t)hour);
	} else {
		/* 12-hour: 12 AM is 0, 12 PM is 12 (bit 7 PM). */
		hour = from_reg(c, (uint8_t)(hour & 0x7f)) % 12 + (hour & 0x80 ? 12 : 0);
	}
	if (mon < 1 || mon > 12)
		mon = 1;
	t = cmos_rtc_days_from_civil(year, mon, from_reg(c, c->ram[CMOS_MDAY])) * 86400 + (int64_t)hour * 3600 +
	    (int64_t)from_reg(c, c->ram[CMOS_MINUTES]) * 60 + from_reg(c, c->ram[CMOS_SECONDS]);
	c->offset = t - c->now();
}

static bool time_reg(uint8_t i)
{
	return i <= CMOS_YEAR || i == CMOS_CENTURY;
}

int cmos_rtc_init(struct cmos_rtc *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	r = pthread_mutex_init(&c->lock, NULL);
	if (r)
		return err_num(r, "cmos-rtc: pthread_mutex_init");
	c->now = host_utc;
	/* QEMU's reset state: 32.768 kHz divider, 1024 Hz rate; 24-hour BCD; RAM valid. */
	c->ram[CMOS_REG_A] = 0x26;
	c->ram[CMOS_REG_B] = CMOS_B_24H;
	c->ram[CMOS_REG_D] = CMOS_D_VRT;
	return 0;
}

void cmos_rtc_destroy(struct cmos_rtc *c)
{
	pthread_mutex_destroy(&c->lock);
}

void cmos_rtc_set_memory(struct cmos_rtc *c, uint64_t below_4g, uint64_t above_4g, unsigned int cpus)
{
	uint64_t kib = below_4g > (1u << 20) ? (below_4g - (1u << 20)) >> 10 : 0;
	uint64_t u16m = below_4g > (16u << 20) ? (below_4g - (16u << 20)) >> 16 : 0;
	uint64_t u4g = above_4g >> 16;

	pthread_mutex_lock(&c->lock);
	c->ram[0x15] = 640 & 0xff;
	c->ram[0x16] = 640 >> 8;
	if (kib > 0xffff)
		kib = 0xffff;
	c->ram[0x17] = c->ram[0x30] = (uint8_t)kib;
	c->ram[0x18] = c->ram[0x31] = (uint8_t)(kib >> 8);
	if (u16m > 0xffff)
		u16m = 0xffff;
	c->ram[0x34] = (uint8_t)u16m;
	c->ram[0x35] = (uint8_t)(u16m >> 8);
	if (u4g > 0xffffff)
		u4g = 0xffffff;
	c->ram[0x5b] = (uint8_t)u4g;
	c->ram[0x5c] = (uint8_t)(u4g >> 8);
	c->ram[0x5d] = (uint8_t)(u4g >> 16);
	c->ram[0x5f] = (uint8_t)(cpus ? cpus - 1 : 0);
	pthread_mutex_unlock(&c->lock);
}

static uint8_t data_read(struct cmos_rtc *c)
{
	uint8_t i = c->index;

	if (time_reg(i) && !(c->ram[CMOS_REG_B] & CMOS_B_SET))
		store_time(c);
	switch (i) {
	case CMOS_REG_A:
		return c->ram[i] & (uint8_t)~CMOS_A_UIP;
	case CMOS_REG_C:
		return 0;
	case CMOS_REG_D:
		return CMOS_D_VRT;
	default:
		return c->ram[i];
	}
}

static void data_write(struct cmos_rtc *c, uint8_t v)
{
	uint8_t i = c->index;
	bool set = c->ram[CMOS_REG_B] & CMOS_B_SET;

	switch (i) {
	case CMOS_REG_A:
		c->ram[i] = v & (uint8_t)~CMOS_A_UIP;
		return;
	case CMOS_REG_B:
		if (!set && (v & CMOS_B_SET)) {
			store_time(c);              /* freeze what the guest is about to overwrite */
			c->ram[i] = v;
		} else if (set && !(v & CMOS_B_SET)) {
			c->ram[i] = v;              /* the format of the written values is the new B's */
			load_time(c);
		} else {
			c->ram[i] = v;
		}
		return;
	case CMOS_REG_C:
	case CMOS_REG_D:
		return;                             /* read-only */
	default:
		if (time_reg(i) && !set) {
			store_time(c);
			c->ram[i] = v;
			load_time(c);
		} else {
			c->ram[i] = v;
		}
	}
}

void cmos_rtc_pio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct cmos_rtc *c = opaque;

	if (!len)
		return;
	if (!is_write && len > 1)
		memset(data + 1, 0xff, len > 8 ? 7 : len - 1);
	pthread_mutex_lock(&c->lock);
	if (offset == 0) {
		if (is_write)
			c->index = data[0] & 0x7f;      /* bit 7: NMI mask, no NMI source here */
		else
			data[0] = 0xff;                 /* the index register is write-only */
	} else if (offset == 1) {
		if (is_write)
			data_write(c, data[0]);
		else
			data[0] = data_read(c);
	}
	pthread_mutex_unlock(&c->lock);
}
