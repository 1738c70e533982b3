/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The live-update state: a versioned, self-describing container of sections (docs/liveupdate.md).
 * A writer appends sections to a growable buffer and can hand the result over as a sealed memfd; a
 * reader validates the whole state (lengths, checksums, versions, duplicates, the end marker)
 * and builds an index before any consumer sees a single section, so a state is either taken
 * whole or refused with a reason, never half-applied.
 *
 * Layout, all integers little-endian, every section header 8-byte aligned:
 *
 *   file header (32 bytes)
 *     0  magic "NESTVMLU"
 *     8  u32 format version (LU_FORMAT_VERSION)
 *    12  u32 header length (32)
 *    16  u64 total length: header to the end of the end marker
 *    24  u32 flags (none defined: any set bit is refused)
 *    28  u32 CRC32C of bytes 0..27
 *   sections, each:
 *     0  char type[16]: [a-z0-9-], 1 to 15 characters, NUL padded
 *    16  u32 instance (vCPU index, disk index, ...; 0 for a singleton)
 *    20  u16 section version (of that type's payload layout)
 *    22  u16 flags: LU_SEC_MANDATORY
 *    24  u64 payload length (without padding)
 *    32  u32 CRC32C of header bytes 0..31, then the payload
 *    36  u32 reserved (0)
 *    40  payload, then zero bytes up to the next multiple of 8
 *   end marker: a section of type "end", instance 0, version 1, mandatory, payload
 *     u32 number of sections before it, u32 0; it ends exactly at the total length.
 */
#ifndef NESTVM_STATE_FORMAT_H
#define NESTVM_STATE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LU_MAGIC "NESTVMLU"
#define LU_FORMAT_VERSION 1
#define LU_HEADER_LEN 32
#define LU_SECTION_HEADER_LEN 40
#define LU_TYPE_LEN 16                  /* the field; a type name has at most 15 characters */
#define LU_END_TYPE "end"
#define LU_END_PAYLOAD_LEN 8
/* Bounds the reader enforces and the writer respects: a state is VM metadata, never guest RAM. */
#define LU_STATE_MAX_LEN (256u << 20)
#define LU_MAX_SECTIONS 65536u

/* Section flags. A reader that does not know a mandatory section's type refuses the state. */
#define LU_SEC_MANDATORY (1u << 0)
#define LU_SEC_FLAGS_KNOWN LU_SEC_MANDATORY

/* ---- writer ---- */

struct lu_writer {
	uint8_t *buf;
	size_t len, cap;
	size_t sec;                 /* offset of the open section's header; SIZE_MAX when none is open */
	unsigned int nr;            /* sections ended so far */
	bool finished;
	int err;                    /* first error (negative errno), sticky: later calls do nothing */
};

/* An empty state (the file header is written by lu_writer_finish). */
void lu_writer_init(struct lu_writer *w);
/* Opens a section: TYPE must be a valid type name other than "end"; FLAGS a subset of LU_SEC_FLAGS_KNOWN. */
int lu_writer_begin(struct lu_writer *w, const char *type, uint32_t instance, uint16_t version, uint16_t flags);
/* Appends payload bytes to the open section (the typed helpers are in state_fields.h). */
void lu_writer_append(struct lu_writer *w, const void *p, size_t len);
/* Closes the open section: length, padding and checksum. */
int lu_writer_end(struct lu_writer *w);
/* Appends the end marker and the file header: w->buf holds the whole state, w->len bytes. */
int lu_writer_finish(struct lu_writer *w);
/*
 * A finished state in a new memfd named NAME, sealed (F_SEAL_WRITE|SHRINK|GROW|SEAL) so that what the
 * reader validates is what every later access reads. Returns the fd (O_CLOEXEC) or -errno.
 */
int lu_writer_to_memfd(struct lu_writer *w, const char *name);
void lu_writer_free(struct lu_writer *w);

/* ---- reader ---- */

/* What a reader restores: one entry per section type it knows. */
struct lu_section_spec {
	const char *type;
	uint16_t min_version, max_version;  /* the payload versions this nestvm restores */
	bool multi;                         /* may appear more than once (with distinct instances) */
	bool required;                      /* the state is refused without it */
};

/* Why a state was refused (lu_refusal_name gives a stable short name, for tests and logs). */
enum lu_refusal {
	LU_OK,
	LU_REFUSE_IO,               /* the state fd could not be read */
	LU_REFUSE_NOT_SEALED,       /* a memfd that is still sealable: its writer never finished */
	LU_REFUSE_TOO_BIG,          /* larger than LU_STATE_MAX_LEN, or more than LU_MAX_SECTIONS sections */
	LU_REFUSE_SHORT,            /* shorter than the file header */
	LU_REFUSE_MAGIC,
	LU_REFUSE_FORMAT_VERSION,   /* 0, or newer than LU_FORMAT_VERSION */
	LU_REFUSE_HEADER,           /* header length or flags not what this format version defines */
	LU_REFUSE_HEADER_CRC,
	LU_REFUSE_LENGTH,           /* total length in the header is not the state's length */
	LU_REFUSE_TRUNCATED,        /* a section header or payload runs past the end */
	LU_REFUSE_SECTION_HEADER,   /* bad type name, unknown flags, reserved bits set */
	LU_REFUSE_SECTION_CRC,
	LU_REFUSE_PADDING,          /* non-zero padding after a payload */
	LU_REFUSE_UNKNOWN_MANDATORY,
	LU_REFUSE_VERSION_NEWER,    /* a section's version is newer than this nestvm restores */
	LU_REFUSE_VERSION_OLDER,    /* ... or older than it still restores */
	LU_REFUSE_DUPLICATE,
	LU_REFUSE_MISSING,          /* a required section is absent */
	LU_REFUSE_END,              /* no end marker, a bad one, or bytes after it */
	LU_REFUSE_NOMEM,
	LU_REFUSE_COUNT
};
const char *lu_refusal_name(enum lu_refusal r);

/* One validated section of a known type; DATA points into the state's bytes. */
struct lu_section {
	char type[LU_TYPE_LEN];     /* NUL terminated */
	uint32_t instance;
	uint16_t version, flags;
	const uint8_t *data;
	uint64_t len;
	uint64_t offset;            /* of its header in the state, for messages */
};

struct lu_state {
	const uint8_t *buf;         /* the state's bytes (lu_state_load_fd: a private copy) */
	size_t len;
	uint8_t *owned;
	uint32_t format_version;
	struct lu_section *sec;     /* the sections of known types, in state order */
	unsigned int nr;
	unsigned int skipped;       /* optional sections of unknown types (skipped) */
	enum lu_refusal refusal;
	char why[256];              /* one line, e.g. "section 'vcpu' #2 at offset 304: CRC32C mismatch" */
};

/*
 * Validates LEN bytes at BUF against the NR_SPECS SPECS and indexes the known sections. BUF is not
 * copied: it must stay unchanged until lu_state_free. Returns 0, or -EINVAL (-ENOMEM) with
 * st->refusal and st->why set and no section indexed.
 */
int lu_state_parse(struct lu_state *st, const void *buf, size_t len, const struct lu_section_spec *specs,
		   size_t nr_specs);
/*
 * Same for the state in FD (a sealed memfd from lu_writer_to_memfd, or a regular file), read into a
 * private copy from offset 0. -errno for read errors (st->refusal LU_REFUSE_IO).
 */
int lu_state_load_fd(struct lu_state *st, int fd, const struct lu_section_spec *specs, size_t nr_specs);
/* The section TYPE/INSTANCE, or NULL. */
const struct lu_section *lu_state_find(const struct lu_state *st, const char *type, uint32_t instance);
/* Iterates the sections of TYPE in state order: PREV NULL for the first; NULL after the last. */
const struct lu_section *lu_state_next(const struct lu_state *st, const char *type, const struct lu_section *prev);
void lu_state_free(struct lu_state *st);

/* A type name the format allows: 1..15 characters of [a-z0-9-]. */
bool lu_type_valid(const char *type);

#endif
