// SPDX-License-Identifier: GPL-2.0-only
/* The live-update state writer: sections appended to a growable buffer, then a sealed memfd. */
#include "liveupdate/state_format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "liveupdate/crc32c.h"
#include "liveupdate/le.h"
#include "vmm/log.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

void lu_writer_init(struct lu_writer *w)
{
	*w = (struct lu_writer){ .sec = SIZE_MAX };
}

/* Records the first error only; everything after it is a no-op that returns it. */
static int fail(struct lu_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

/* Room for N more bytes (zeroed), within LU_STATE_MAX_LEN; the bytes at w->buf + w->len on success. */
static uint8_t *grow(struct lu_writer *w, size_t n)
{
	uint8_t *p;

	if (w->err)
		return NULL;
	if (n > LU_STATE_MAX_LEN - w->len) {
		err_num(EFBIG, "live-update state: more than %u bytes", LU_STATE_MAX_LEN);
		fail(w, -EFBIG);
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;

		while (cap < w->len + n)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (!p) {
			err_num(ENOMEM, "live-update state: growing to %zu bytes", cap);
			fail(w, -ENOMEM);
			return NULL;
		}
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	memset(p, 0, n);
	w->len += n;
	return p;
}

bool lu_type_valid(const char *type)
{
	size_t n = strnlen(type, LU_TYPE_LEN);

	if (!n || n >= LU_TYPE_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = type[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static int begin(struct lu_writer *w, const char *type, uint32_t instance, uint16_t version, uint16_t flags)
{
	uint8_t *h;

	if (w->err)
		return w->err;
	if (w->finished || w->sec != SIZE_MAX) {
		pr_err("live-update state: section '%s' begun %s", type, w->finished ? "after finish" : "inside another");
		return fail(w, -EINVAL);
	}
	if (!w->len && !grow(w, LU_HEADER_LEN))   /* the file header, filled in by lu_writer_finish */
		return w->err;
	h = grow(w, LU_SECTION_HEADER_LEN);
	if (!h)
		return w->err;
	w->sec = (size_t)(h - w->buf);
	memcpy(h, type, strlen(type));
	le32_store(h + 16, instance);
	le16_store(h + 20, version);
	le16_store(h + 22, flags);
	return 0;
}

int lu_writer_begin(struct lu_writer *w, const char *type, uint32_t instance, uint16_t version, uint16_t flags)
{
	if (w->err)
		return w->err;
	if (!lu_type_valid(type) || !strcmp(type, LU_END_TYPE) || (flags & ~LU_SEC_FLAGS_KNOWN)) {
		pr_err("live-update state: section type '%.16s' flags 0x%x not allowed", type, flags);
		return fail(w, -EINVAL);
	}
	if (w->nr >= LU_MAX_SECTIONS) {
		pr_err("live-update state: more than %u sections", LU_MAX_SECTIONS);
		return fail(w, -EFBIG);
	}
	return begin(w, type, instance, version, flags);
}

void lu_writer_append(struct lu_writer *w, const void *p, size_t len)
{
	uint8_t *d;

	if (w->err)
		return;
	if (w->sec == SIZE_MAX) {
		pr_err("live-update state: %zu bytes written outside a section", len);
		fail(w, -EINVAL);
		return;
	}
	d = grow(w, len);
	if (d && len)
		memcpy(d, p, len);
}

int lu_writer_end(struct lu_writer *w)
{
	uint8_t *h;
	size_t len;
	uint32_t crc;

	if (w->err)
		return w->err;
	if (w->sec == SIZE_MAX) {
		pr_err("live-update state: section end without a section");
		return fail(w, -EINVAL);
	}
	len = w->len - w->sec - LU_SECTION_HEADER_LEN;
	/* Padding first: grow may move the buffer. */
	if (!grow(w, ALIGN8(len) - len))
		return w->err;
	h = w->buf + w->sec;
	le64_store(h + 24, len);
	crc = crc32c(0, h, 32);
	crc = crc32c(crc, h + LU_SECTION_HEADER_LEN, len);
	le32_store(h + 32, crc);
	w->sec = SIZE_MAX;
	w->nr++;
	return 0;
}

int lu_writer_finish(struct lu_writer *w)
{
	uint8_t end[LU_END_PAYLOAD_LEN] = { 0 };
	uint32_t nr = w->nr;

	if (w->err)
		return w->err;
	if (w->finished || w->sec != SIZE_MAX) {
		pr_err("live-update state: finished %s", w->finished ? "twice" : "inside a section");
		return fail(w, -EINVAL);
	}
	le32_store(end, nr);
	if (begin(w, LU_END_TYPE, 0, 1, LU_SEC_MANDATORY))
		return w->err;
	lu_writer_append(w, end, sizeof(end));
	if (lu_writer_end(w))
		return w->err;
	memcpy(w->buf, LU_MAGIC, 8);
	le32_store(w->buf + 8, LU_FORMAT_VERSION);
	le32_store(w->buf + 12, LU_HEADER_LEN);
	le64_store(w->buf + 16, w->len);
	le32_store(w->buf + 24, 0);
	le32_store(w->buf + 28, crc32c(0, w->buf, 28));
	w->finished = true;
	return 0;
}

int lu_writer_to_memfd(struct lu_writer *w, const char *name)
{
	size_t off = 0;
	int fd, r;

	if (w->err)
		return w->err;
	if (!w->finished) {
		pr_err("live-update state: a memfd of an unfinished state");
		return -EINVAL;
	}
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return err_errno("memfd_create %s", name);
	while (off < w->len) {
		ssize_t n = write(fd, w->buf + off, w->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? err_errno("writing the live-update state to memfd %s", name) :
				    err_num(EIO, "writing the live-update state to memfd %s", name);
			close(fd);
			return r;
		}
		off += (size_t)n;
	}
	/* Sealed: once the reader has validated it, nobody (us included) can change a byte of it. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = err_errno("F_ADD_SEALS on the live-update state memfd %s", name);
		close(fd);
		return r;
	}
	return fd;
}

void lu_writer_free(struct lu_writer *w)
{
	free(w->buf);
	lu_writer_init(w);
}
