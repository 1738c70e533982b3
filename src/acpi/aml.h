/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small AML (ACPI 6.5 chapter 20) byte-code writer for the DSDTs of both machines: names,
 * integers, strings, packages, scopes, devices, methods (with Notify) and resource templates. Errors (out of space,
 * too deep, a bad name) stick in aml.err and are reported once by the caller through aml_finish().
 */
#ifndef NESTVM_ACPI_AML_H
#define NESTVM_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *buf;
	size_t cap, len;
	size_t open[AML_MAX_DEPTH];   /* offsets of the reserved PkgLength of open scopes */
	unsigned int depth;
	int err;                      /* first error, -errno */
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
/* 0 and the final length in *LEN, or the first error (also on unclosed scopes). */
int aml_finish(struct aml *a, size_t *len);

void aml_bytes(struct aml *a, const void *p, size_t n);
/* NamePath: "\\_SB_.PCI0", "_S5_", "COM1"; segments shorter than 4 are padded with '_'. */
void aml_name(struct aml *a, const char *path);
/* Name (PATH, <object that follows>). */
void aml_name_decl(struct aml *a, const char *path);
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EISA id "PNP0A08" as the 32-bit compressed integer (ACPI 6.5 19.3.4 EISAID). */
void aml_eisaid(struct aml *a, const char *id);
/* Buffer (len) {bytes}: e.g. a resource template built with the aml_res_* helpers. */
void aml_buffer(struct aml *a, const uint8_t *p, size_t n);

/*
 * Name (NAME, ResourceTemplate () {...}): RES holds the descriptors (aml_res_*), this adds the end
 * tag and writes the buffer into A; RES's error, if any, becomes A's.
 */
void aml_name_restemplate(struct aml *a, const char *name, struct aml *res);

/* Opened objects, closed by aml_end(). */
void aml_scope(struct aml *a, const char *path);
void aml_device(struct aml *a, const char *path);
void aml_package(struct aml *a, uint8_t nelems);
/* Method (PATH, NARGS (0-7), Serialized or NotSerialized) { <terms that follow> } */
void aml_method(struct aml *a, const char *path, unsigned int nargs, bool serialized);
/* Return (ArgN) */
void aml_return_arg(struct aml *a, uint8_t n);
void aml_end(struct aml *a);

/* Terms. Notify (PATH, VALUE). */
void aml_notify(struct aml *a, const char *path, uint8_t value);

/* Resource descriptors (ACPI 6.5 6.4); a template ends with aml_res_end_tag. */
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_res_irq(struct aml *a, uint16_t mask);
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, bool rw);
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max);
void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max);
/* DWordIO whose bus addresses [MIN, MAX] the CPU reaches at MIN + TRANS (e.g. an MMIO PIO window). */
void aml_res_dword_io_trans(struct aml *a, uint32_t min, uint32_t max, uint32_t trans);
/* Extended Interrupt descriptor (6.4.3.6), one GSI, consumer, exclusive. */
void aml_res_interrupt(struct aml *a, uint32_t gsi, bool edge, bool active_low);
void aml_res_end_tag(struct aml *a);

#endif
