// SPDX-License-Identifier: GPL-2.0-only
/* TAP output on the PL011 UART (Arm DDI 0183: UARTDR at 0x000, UARTFR at 0x018, TXFF = FR[5]). */
#include "tap.h"

#include "smmu.h"

#define UARTDR          0x000
#define UARTFR          0x018
#define UARTFR_TXFF     (1u << 5)

static unsigned int tap_n, tap_failed;

static void putc_uart(char c)
{
	/* Bounded wait: a stuck FIFO loses characters rather than hanging the payload. */
	for (unsigned int i = 0; i < 1000000 && (mmio_read32(UART_BASE + UARTFR) & UARTFR_TXFF); i++)
		;
	mmio_write32(UART_BASE + UARTDR, (uint8_t)c);
}

static void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

static void put_num(unsigned long long v, unsigned int base, unsigned int width)
{
	char buf[24];
	unsigned int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < sizeof(buf));
	while (n < width && n < sizeof(buf))
		buf[n++] = '0';
	while (n)
		putc_uart(buf[--n]);
}

static void vprint(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		unsigned int width = 0, longs = 0;

		if (*fmt != '%') {
			putc_uart(*fmt);
			continue;
		}
		fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned int)(*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			puts_uart(va_arg(ap, const char *));
			break;
		case 'c':
			putc_uart((char)va_arg(ap, int));
			break;
		case 'd': {
			long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);

			if (v < 0) {
				putc_uart('-');
				v = -v;
			}
			put_num((unsigned long long)v, 10, width);
			break;
		}
		case 'u':
		case 'x':
			put_num(longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int),
				*fmt == 'u' ? 10 : 16, width);
			break;
		case '%':
			putc_uart('%');
			break;
		default:
			putc_uart('?');
			if (!*fmt)
				return;
			break;
		}
	}
}

void tap_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

bool tap_check(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_printf("%sok %u - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	putc_uart('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	tap_printf("ok %u - ", ++tap_n);
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	tap_printf(" # SKIP %s\n", why);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	puts_uart("# ");
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	putc_uart('\n');
}

unsigned int tap_done(void)
{
	tap_printf("1..%u\n", tap_n);
	return tap_failed;
}

void tap_exception(uint64_t vector, uint64_t esr, uint64_t elr, uint64_t far)
{
	tap_printf("Bail out! exception at vector %llu: ESR_EL1 0x%llx ELR_EL1 0x%llx FAR_EL1 0x%llx\n",
		   (unsigned long long)vector, (unsigned long long)esr, (unsigned long long)elr,
		   (unsigned long long)far);
}
