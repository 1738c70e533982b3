/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An HTTP/1.x response as `nestvm ctl` reads it from the API socket (RFC 9112): status line,
 * headers, and a body delimited by Content-Length (or by the end of the connection).
 */
#ifndef NESTVM_HTTP_RESPONSE_H
#define NESTVM_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

struct http_response {
	int status;                 /* 100..599 */
	const char *body;           /* inside the parsed buffer; not NUL-terminated */
	size_t body_len;
};

/*
 * Parses BUF[LEN], everything received so far; EOF: the peer closed the connection. 0 when the
 * response is complete; -EAGAIN when more must be read; -EPROTO when it is not a valid response
 * (a chunked body included: the API never sends one).
 */
int http_response_parse(const char *buf, size_t len, bool eof, struct http_response *out);

#endif
