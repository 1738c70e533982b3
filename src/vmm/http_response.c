// SPDX-License-Identifier: GPL-2.0-only
/* HTTP/1.x response parsing for the API client (RFC 9112 §4 status line, §6 message body). */
#include "vmm/http_response.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#define MAX_CONTENT_LENGTH (64u << 20)

static const char *find_crlfcrlf(const char *b, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (!memcmp(b + i, "\r\n\r\n", 4))
			return b + i;
	return NULL;
}

/* Header NAME's value in the header block [P, END), trimmed; false when absent. */
static bool header(const char *p, const char *end, const char *name, const char **v, size_t *vlen)
{
	size_t n = strlen(name);

	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > n && p[n] == ':' && !strncasecmp(p, name, n)) {
			const char *s = p + n + 1, *e = eol;

			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			*v = s;
			*vlen = (size_t)(e - s);
			return true;
		}
		p = eol + 2;
	}
	return false;
}

int http_response_parse(const char *buf, size_t len, bool eof, struct http_response *out)
{
	const char *hend = find_crlfcrlf(buf, len), *p, *v, *line_end;
	size_t vlen, have;
	unsigned long cl = 0;
	int status = 0;

	if (!hend)
		return eof || len > 65536 ? -EPROTO : -EAGAIN;
	/* Status line: HTTP/1.D SP 3DIGIT SP reason */
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) || !isdigit((unsigned char)buf[7]) || buf[8] != ' ')
		return -EPROTO;
	for (int i = 9; i < 12; i++) {
		if (!isdigit((unsigned char)buf[i]))
			return -EPROTO;
		status = status * 10 + (buf[i] - '0');
	}
	if (status < 100 || status > 599 || (buf[12] != ' ' && buf[12] != '\r'))
		return -EPROTO;
	line_end = memchr(buf, '\r', (size_t)(hend - buf) + 1);
	p = line_end + 2;
	out->status = status;
	out->body = hend + 4;
	have = len - (size_t)(hend + 4 - buf);
	if (p < hend && header(p, hend, "Transfer-Encoding", &v, &vlen))
		return -EPROTO;
	if (p < hend && header(p, hend, "Content-Length", &v, &vlen)) {
		if (!vlen)
			return -EPROTO;
		for (size_t i = 0; i < vlen; i++) {
			if (!isdigit((unsigned char)v[i]))
				return -EPROTO;
			cl = cl * 10 + (unsigned long)(v[i] - '0');
			if (cl > MAX_CONTENT_LENGTH)
				return -EPROTO;
		}
		if (have < cl)
			return eof ? -EPROTO : -EAGAIN;
		out->body_len = cl;
		return 0;
	}
	/* No length: none for 1xx/204/304 (RFC 9112 §6.3), else up to the connection's end. */
	if (status < 200 || status == 204 || status == 304) {
		out->body_len = 0;
		return 0;
	}
	if (!eof)
		return -EAGAIN;
	out->body_len = have;
	return 0;
}
