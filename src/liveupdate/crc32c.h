/* SPDX-License-Identifier: GPL-2.0-only */
/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of the live-update state. */
#ifndef NESTVM_CRC32C_H
#define NESTVM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continues CRC (0 to start) over LEN bytes of P: crc32c(crc32c(0, a), b) == crc32c(0, a b).
 * Initial value and final XOR are all-ones (RFC 3720 B.4); crc32c(0, "123456789") == 0xe3069283.
 */
uint32_t crc32c(uint32_t crc, const void *p, size_t len);

#endif
