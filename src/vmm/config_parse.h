/* SPDX-License-Identifier: GPL-2.0-only */
/* Parsing of command-line values: sizes, numbers, and "key=value,..." option lists. */
#ifndef NESTVM_CONFIG_PARSE_H
#define NESTVM_CONFIG_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/config.h"

/* "512M", "2G", "4096" (bytes), "1T": binary multiples. -EINVAL on junk, -ERANGE on overflow. */
int parse_size(const char *s, uint64_t *out);
/* Decimal unsigned in [min, max]. */
int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out);
/* "on"/"off" (also yes/no, true/false, 1/0). */
int parse_bool(const char *s, bool *out);

#define KV_MAX 16
struct kv {
	char *key;     /* NULL for a bare positional value (only allowed first) */
	char *val;     /* NULL for a bare key ("readonly") */
};
/* Splits S in place at ',' and '=' into at most KV_MAX entries; -E2BIG if more, -EINVAL on empty. */
int kv_split(char *s, struct kv *out, unsigned int *nr);

/*
 * Parses `nestvm run` arguments (ARGV[0] is "run") into CFG. Returns 0, 1 when --help was printed, or
 * -EINVAL after printing a one-line error naming the bad option. Does not touch files or KVM.
 */
int config_parse_run(struct vm_config *cfg, int argc, char **argv);
void config_run_usage(void);

#endif
