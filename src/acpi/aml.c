// SPDX-License-Identifier: GPL-2.0-only
/* AML byte-code writer; encodings from ACPI 6.5 chapter 20 (20.2 grammar) and 6.4 (resources). */
#include <errno.h>
#include <string.h>

#include "acpi/aml.h"

#define AML_NAME_OP      0x08
#define AML_BYTE_PREFIX  0x0a
#define AML_WORD_PREFIX  0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP     0x10
#define AML_BUFFER_OP    0x11
#define AML_PACKAGE_OP   0x12
#define AML_METHOD_OP    0x14
#define AML_NOTIFY_OP    0x86
#define AML_EXT_OP       0x5b
#define AML_DEVICE_OP    0x82    /* after AML_EXT_OP */
#define AML_DUAL_NAME    0x2e
#define AML_MULTI_NAME   0x2f
#define AML_ROOT_CHAR    0x5c
#define AML_PARENT_CHAR  0x5e

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
}

int aml_finish(struct aml *a, size_t *len)
{
	if (!a->err && a->depth)
		a->err = -EINVAL;
	*len = a->len;
	return a->err;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->cap - a->len) {
		a->err = -ENOSPC;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* NameSeg: a lead character A-Z or '_', then A-Z, 0-9 or '_', padded to 4 with '_' (20.2.2). */
static void aml_seg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };

	if (n == 0 || n > 4 || (s[0] >= '0' && s[0] <= '9')) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
			a->err = a->err ? a->err : -EINVAL;
			return;
		}
		seg[i] = c;
	}
	aml_bytes(a, seg, 4);
}

void aml_name(struct aml *a, const char *path)
{
	const char *p = path, *dot;
	unsigned int nseg = 0;

	while (*p == '\\' || *p == '^')
		aml_byte(a, *p++ == '\\' ? AML_ROOT_CHAR : AML_PARENT_CHAR);
	if (!*p) {
		aml_byte(a, 0);     /* NullName */
		return;
	}
	for (const char *q = p; q; q = strchr(q, '.'), q = q ? q + 1 : NULL)
		nseg++;
	if (nseg == 2)
		aml_byte(a, AML_DUAL_NAME);
	else if (nseg > 2) {
		if (nseg > 255) {
			a->err = a->err ? a->err : -EINVAL;
			return;
		}
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)nseg);
	}
	while (p) {
		dot = strchr(p, '.');
		aml_seg(a, p, dot ? (size_t)(dot - p) : strlen(p));
		p = dot ? dot + 1 : NULL;
	}
}

void aml_name_decl(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	aml_name(a, path);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v <= 1) {
		aml_byte(a, (uint8_t)v);        /* ZeroOp / OneOp */
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	/* Bit 31 reserved, three 5-bit letters in 30:16, four hex digits in 15:0; stored big-endian. */
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			a->err = a->err ? a->err : -EINVAL;
			return;
		}
		v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i);
	}
	for (int i = 3; i < 7; i++) {
		int h = hexval(id[i]);

		if (h < 0) {
			a->err = a->err ? a->err : -EINVAL;
			return;
		}
		v |= (uint32_t)h << (4 * (6 - i));
	}
	aml_byte(a, AML_DWORD_PREFIX);
	aml_byte(a, (uint8_t)(v >> 24));
	aml_byte(a, (uint8_t)(v >> 16));
	aml_byte(a, (uint8_t)(v >> 8));
	aml_byte(a, (uint8_t)v);
}

void aml_name_restemplate(struct aml *a, const char *name, struct aml *res)
{
	size_t len;

	aml_res_end_tag(res);
	if (aml_finish(res, &len)) {
		a->err = a->err ? a->err : res->err;
		return;
	}
	aml_name_decl(a, name);
	aml_buffer(a, res->buf, len);
}

/* Opens a PkgLength-prefixed object: 4 bytes are reserved and compacted by aml_end. */
static void aml_open(struct aml *a)
{
	if (a->err)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		a->err = -E2BIG;
		return;
	}
	a->open[a->depth++] = a->len;
	aml_le(a, 0, 4);
}

void aml_end(struct aml *a)
{
	size_t at, body, total;
	unsigned int n;

	if (a->err)
		return;
	if (!a->depth) {
		a->err = -EINVAL;
		return;
	}
	at = a->open[--a->depth];
	body = a->len - at - 4;
	/* PkgLength counts itself: 1 byte up to 63, else 2-4 bytes of 4+8k bits (20.2.4). */
	for (n = 1; n <= 4; n++)
		if (body + n < (n == 1 ? 0x40u : 1u << (4 + 8 * (n - 1))))
			break;
	if (n > 4) {
		a->err = -E2BIG;
		return;
	}
	total = body + n;
	if (n == 1) {
		a->buf[at] = (uint8_t)total;
	} else {
		a->buf[at] = (uint8_t)((n - 1) << 6 | (total & 0xf));
		for (unsigned int i = 1; i < n; i++)
			a->buf[at + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(a->buf + at + n, a->buf + at + 4, body);
	a->len -= 4 - n;
}

void aml_scope(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_open(a);
	aml_name(a, path);
}

void aml_device(struct aml *a, const char *path)
{
	aml_byte(a, AML_EXT_OP);
	aml_byte(a, AML_DEVICE_OP);
	aml_open(a);
	aml_name(a, path);
}

/* DefMethod := MethodOp PkgLength NameString MethodFlags (20.2.5.2): flags 2:0 ArgCount, 3 SerializeFlag. */
void aml_method(struct aml *a, const char *path, unsigned int nargs, bool serialized)
{
	if (nargs > 7) {
		a->err = a->err ? a->err : -EINVAL;
		return;
	}
	aml_byte(a, AML_METHOD_OP);
	aml_open(a);
	aml_name(a, path);
	aml_byte(a, (uint8_t)(nargs | (serialized ? 1u << 3 : 0)));
}

/* DefNotify := NotifyOp NotifyObject NotifyValue (20.2.5.3): the object by name, an integer value. */
void aml_notify(struct aml *a, const char *path, uint8_t value)
{
	aml_byte(a, AML_NOTIFY_OP);
	aml_name(a, path);
	aml_integer(a, value);
}

void aml_return_arg(struct aml *a, uint8_t n)
{
	aml_byte(a, 0xa4);              /* ReturnOp (20.2.5.3) */
	aml_byte(a, (uint8_t)(0x68 + (n & 7)));   /* Arg0Op..Arg6Op (20.2.6.1) */
}

void aml_package(struct aml *a, uint8_t nelems)
{
	aml_byte(a, AML_PACKAGE_OP);
	aml_open(a);
	aml_byte(a, nelems);
}

void aml_buffer(struct aml *a, const uint8_t *p, size_t n)
{
	aml_byte(a, AML_BUFFER_OP);
	aml_open(a);
	aml_integer(a, n);
	aml_bytes(a, p, n);
	aml_end(a);
}

/* Small resource data types (6.4.2). */
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	aml_byte(a, 0x47);          /* I/O port descriptor, 7 bytes */
	aml_byte(a, 0x01);          /* decodes 16 address bits */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

void aml_res_irq(struct aml *a, uint16_t mask)
{
	aml_byte(a, 0x22);          /* IRQ descriptor, 2 bytes: edge, active high */
	aml_le(a, mask, 2);
}

void aml_res_end_tag(struct aml *a)
{
	aml_byte(a, 0x79);
	aml_byte(a, 0x00);          /* checksum 0: "treated as if the checksum operation succeeded" */
}

/* Large resource data types (6.4.3). */
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, bool rw)
{
	aml_byte(a, 0x86);
	aml_le(a, 9, 2);
	aml_byte(a, rw ? 1 : 0);
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

/* Address space descriptors: producer, min/max fixed, positive decode (general flags 0x0c). */
enum { RES_MEM = 0, RES_IO = 1, RES_BUS = 2 };

static void addr_desc_trans(struct aml *a, uint8_t tag, unsigned int sz, uint8_t type, uint8_t tflags,
			    uint64_t min, uint64_t max, uint64_t trans)
{
	aml_byte(a, tag);
	aml_le(a, 3 + 5 * sz, 2);
	aml_byte(a, type);
	aml_byte(a, 0x0c);
	aml_byte(a, tflags);
	aml_le(a, 0, sz);               /* granularity */
	aml_le(a, min, sz);
	aml_le(a, max, sz);
	aml_le(a, trans, sz);           /* translation offset: CPU address = bus address + this */
	aml_le(a, max - min + 1, sz);   /* length */
}

static void addr_desc(struct aml *a, uint8_t tag, unsigned int sz, uint8_t type, uint8_t tflags,
		      uint64_t min, uint64_t max)
{
	addr_desc_trans(a, tag, sz, type, tflags, min, max, 0);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	addr_desc(a, 0x88, 2, RES_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	addr_desc(a, 0x88, 2, RES_IO, 0x03, min, max);     /* _RNG: ISA and non-ISA ranges */
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	addr_desc(a, 0x87, 4, RES_MEM, 0x01, min, max);    /* read-write, non-cacheable */
}

void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max)
{
	addr_desc(a, 0x8a, 8, RES_MEM, 0x01, min, max);
}

/*
 * 6.4.3.5.2 DWord Address Space Descriptor, I/O type: the type-specific flags (Table 6.50) are _RNG
 * = 3 (ISA and non-ISA ranges) and _TTP = 0 (TypeStatic: the window is I/O on the secondary side),
 * the CPU sees it as memory at the translation offset (how QEMU virt's PCI0 describes its PIO).
 */
void aml_res_dword_io_trans(struct aml *a, uint32_t min, uint32_t max, uint32_t trans)
{
	addr_desc_trans(a, 0x87, 4, RES_IO, 0x03, min, max, trans);
}

/*
 * 6.4.3.6 Extended Interrupt Descriptor: tag 0x89, length 6 + 4 per interrupt; flags bit 0
 * consumer, bit 1 _HE (1 edge), bit 2 _LL (1 active low), bit 3 _SHR (0 exclusive); one GSI.
 */
void aml_res_interrupt(struct aml *a, uint32_t gsi, bool edge, bool active_low)
{
	aml_byte(a, 0x89);
	aml_le(a, 6, 2);
	aml_byte(a, (uint8_t)(1u | (edge ? 1u << 1 : 0) | (active_low ? 1u << 2 : 0)));
	aml_byte(a, 1);
	aml_le(a, gsi, 4);
}
