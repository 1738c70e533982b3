// SPDX-License-Identifier: GPL-2.0-only
/* The two routines GCC may call even in freestanding code (struct copies and zeroing). */
#include <stddef.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);

void *memset(void *d, int c, size_t n)
{
	volatile unsigned char *p = d;      /* volatile: keep GCC from turning this into memset() */

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
	volatile unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}
