// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: what a control API client controls. Input: method (up to the first NUL), URL
 * (up to the second), body (the rest, any bytes) routed through api_route over operations that
 * answer like the real ones; and the whole input read as an HTTP response by `nestvm ctl`'s parser
 * (the server side is a client too, for a manager). Nothing may crash, leak (ASan) or answer
 * outside 2xx-5xx.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api_route.h"
#include "vmm/http_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_object *obj(void *o)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "state", json_object_new_string("Running"));
	return j;
}

static int act(void *o, struct api_result *r)
{
	return 0;
}

static int refuse(void *o, struct api_result *r)
{
	r->status = 409;
	strcpy(r->msg, "no");
	return -1;
}

/* vm.update kexec: what the router passes on must be what the op relies on. */
static json_object *kexec(void *o, const struct api_kexec_req *q, struct api_result *r)
{
	if (!q->kernel || !*q->kernel || (q->session && (!*q->session || strlen(q->session) > 63)))
		abort();
	return obj(o);
}

static const struct api_ops ops = {
	.ping = obj, .info = obj, .counters = obj, .viommu = obj, .pause = act, .resume = refuse,
	.shutdown = act, .reboot = act, .vmm_shutdown = act, .update_kexec = kexec,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2);
	const char *method, *url, *body;
	struct http_response h;
	struct api_reply r;
	size_t ml, ul;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	method = buf;
	ml = strnlen(method, size);
	url = ml < size ? buf + ml + 1 : buf + size;
	ul = strlen(url);
	body = url + ul + (url + ul < buf + size ? 1 : 0);
	api_route(&ops, method, url, body, (size_t)(buf + size - body), &r);
	if (r.status < 200 || r.status > 599 || (r.body && strlen(r.body) != r.len))
		abort();
	api_reply_free(&r);
	for (int eof = 0; eof < 2; eof++) {
		if (http_response_parse((const char *)data, size, eof, &h) == 0 &&
		    (h.status < 100 || h.status > 599 || h.body < (const char *)data ||
		     h.body + h.body_len > (const char *)data + size))
			abort();
	}
	free(buf);
	return 0;
}
