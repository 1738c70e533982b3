// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control API's pure parts: request routing (endpoints, methods, bodies, errors, reply shapes)
 * over fake operations, the client's HTTP response parser, and the event monitor's line format.
 */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "vmm/api_route.h"
#include "vmm/event_monitor.h"
#include "vmm/http_response.h"

static int paused, shutdowns, afters;
static bool fail_pause;

static json_object *fake_ping(void *o)
{
	json_object *j = json_object_new_object();

	json_object_object_add(j, "version", json_object_new_string("t"));
	return j;
}

static json_object *fake_null(void *o)
{
	return NULL;   /* out of memory */
}

static int fake_pause(void *o, struct api_result *r)
{
	if (fail_pause) {
		r->status = 409;
		strcpy(r->msg, "already paused");
		return -1;
	}
	paused++;
	return 0;
}

static void fake_after(void *o)
{
	afters++;
}

static int fake_shutdown(void *o, struct api_result *r)
{
	shutdowns++;
	r->after = fake_after;
	return 0;
}

static char update_binary[64];
static int updates, update_rehearse;

/* vm.update exec: a binary named "fail" fails as an exec would (the VM stays), any other "succeeds". */
static int fake_update(void *o, const char *binary, bool rehearse, struct api_result *r)
{
	updates++;
	update_rehearse = rehearse;
	snprintf(update_binary, sizeof(update_binary), "%s", binary ? binary : "(null)");
	if (binary && !strcmp(binary, "fail")) {
		r->status = 500;
		snprintf(r->msg, sizeof(r->msg), "update failed, the VM keeps running");
		return -1;
	}
	return 0;
}

static char kexec_seen[512];

static json_object *fake_update_kexec(void *opaque, const struct api_kexec_req *q, struct api_result *r)
{
	json_object *o;

	snprintf(kexec_seen, sizeof(kexec_seen), "%s|%s|%s|%s|%d", q->kernel, q->initrd ? q->initrd : "-",
		 q->cmdline ? q->cmdline : "-", q->session ? q->session : "-", q->rehearse);
	if (!strcmp(q->kernel, "fail")) {
		r->status = 409;
		snprintf(r->msg, sizeof(r->msg), "update refused, the VM keeps running");
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "mode", json_object_new_string("kexec"));
	return o;
}

static const struct api_ops ops = {
	.ping = fake_ping, .info = fake_ping, .counters = fake_null,
	.pause = fake_pause, .shutdown = fake_shutdown, .update_exec = fake_update, .update_kexec = fake_update_kexec,
};

static int route(const char *m, const char *url, const char *body, struct api_reply *r);

static void update_routing(void)
{
	struct api_reply r;

	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"exec\"}", &r) == 204 && updates == 1 &&
	      !strcmp(update_binary, "(null)") && !update_rehearse, "vm.update exec: the op, no binary");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"exec\",\"binary\":\"/x/nestvm\",\"rehearse\":true}", &r) == 204 &&
	      !strcmp(update_binary, "/x/nestvm") && update_rehearse, "binary and rehearse passed on");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"exec\",\"binary\":\"fail\"}", &r) == 500 &&
	      strstr(r.body, "keeps running"), "a failed update: the op's status and reason");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"kexec\",\"kernel\":\"/k\"}", &r) == 200 && updates == 3 &&
	      !strcmp(kexec_seen, "/k|-|-|-|0") && strstr(r.body, "kexec"), "kexec with a kernel: the op, its answer");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"kexec\",\"kernel\":\"/k\",\"initrd\":\"/i\",\"cmdline\":\"a b\","
		    "\"session\":\"s1\",\"rehearse\":true}", &r) == 200 && !strcmp(kexec_seen, "/k|/i|a b|s1|1"),
	      "kexec: initrd, cmdline, session, rehearse passed on");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"kexec\",\"kernel\":\"fail\"}", &r) == 409 &&
	      strstr(r.body, "keeps running"), "kexec refused: the op's status and reason");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"kexec\",\"kernel\":\"/k\",\"binary\":\"/b\"}", &r) == 400,
	      "kexec with a field it does not take: 400");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"kexec\",\"kernel\":\"/k\",\"session\":\"%s\"}", &r) == 200,
	      "kexec: a session name of 2 bytes is fine");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"kexec\",\"kernel\":\"/k\",\"session\":\"0123456789012345678901234567890123456789012345678901234567890123\"}", &r) == 400,
	      "kexec: a session name over 63 bytes: 400");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"exec\",\"kernel\":\"/k\"}", &r) == 400 && updates == 3,
	      "exec with a field it does not take: 400");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "{\"mode\":\"kexec\"}", &r) == 400 && updates == 3, "kexec without a kernel: 400");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.update", "", &r) == 400 && updates == 3, "no body: 400");
	api_reply_free(&r);
	{
		static const char *const bad[] = {
			"[1]", "{\"mode\":1}", "{\"mode\":\"exec\",\"binary\":\"\"}",
			"{\"mode\":\"exec\",\"binary\":\"a\\u0000b\"}", "{\"mode\":\"exec\",\"rehearse\":1}",
			"{\"mode\":\"swap\"}",
		};
		int n400 = 0;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			n400 += route("PUT", "/api/v1/vm.update", bad[i], &r) == 400;
			api_reply_free(&r);
		}
		CHECK(n400 == 6 && updates == 3,
		      "not an object, mode not a string, empty binary, binary with a NUL, rehearse not a bool, unknown mode: 400");
	}
	CHECK(route("GET", "/api/v1/vm.update", "", &r) == 405 && !strcmp(r.allow, "PUT"), "GET: 405, Allow: PUT");
	api_reply_free(&r);
}

static int route(const char *m, const char *url, const char *body, struct api_reply *r)
{
	api_route(&ops, m, url, body, strlen(body), r);
	return r->status;
}

static void routing(void)
{
	update_routing();
	struct api_reply r;

	CHECK(route("GET", "/api/v1/vmm.ping", "", &r) == 200 && r.body && !strcmp(r.body, "{\"version\":\"t\"}") &&
	      !strcmp(r.content_type, "application/json") && r.len == strlen(r.body),
	      "GET vmm.ping: 200 with the JSON the op made (%s)", r.body);
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vmm.ping", "", &r) == 405 && r.allow && !strcmp(r.allow, "GET"),
	      "PUT on a GET endpoint: 405 with Allow: GET");
	api_reply_free(&r);
	CHECK(route("GET", "/api/v1/vm.pause", "", &r) == 405 && !strcmp(r.allow, "PUT"), "GET vm.pause: 405, Allow: PUT");
	api_reply_free(&r);
	CHECK(route("POST", "/api/v1/vm.info", "", &r) == 405, "POST: 405");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.pause", "", &r) == 204 && !r.body && paused == 1, "PUT vm.pause: 204, op called");
	CHECK(route("PUT", "/api/v1/vm.pause", " {} \r\n", &r) == 204 && paused == 2, "a JSON body on an action is accepted");
	CHECK(route("PUT", "/api/v1/vm.pause", "{\"a\":", &r) == 400 && paused == 2 && strstr(r.body, "JSON"),
	      "a truncated JSON body: 400, op not called (%s)", r.body);
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.pause", "{} {}", &r) == 400 && paused == 2, "two JSON values: 400");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.pause", "\xff\xfe garbage", &r) == 400 && paused == 2, "garbage body: 400");
	api_reply_free(&r);
	fail_pause = true;
	CHECK(route("PUT", "/api/v1/vm.pause", "", &r) == 409 && !strcmp(r.body, "already paused\n"),
	      "an op's refusal keeps its status and message");
	api_reply_free(&r);
	fail_pause = false;
	CHECK(route("GET", "/api/v1/vm.counters", "", &r) == 500 && !r.body, "an op out of memory: 500");
	CHECK(route("GET", "/api/v1/vm.viommu", "", &r) == 501, "an op the VMM lacks: 501");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.power-button", "", &r) == 501, "an action the VMM lacks: 501");
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.add-device", "{\"path\":\"/dev/vfio/devices/vfio0\"}", &r) == 501 &&
	      strstr(r.body, "not supported"), "vm.add-device: 501 not supported yet (%s)", r.body);
	api_reply_free(&r);
	CHECK(route("PUT", "/api/v1/vm.remove-device", "", &r) == 501, "vm.remove-device: 501");
	api_reply_free(&r);
	CHECK(route("GET", "/api/v1/vm.nothing", "", &r) == 404, "unknown endpoint: 404");
	api_reply_free(&r);
	CHECK(route("GET", "/api/v1/vmm.ping/x", "", &r) == 404, "endpoint with a suffix: 404");
	api_reply_free(&r);
	CHECK(route("GET", "/api/v2/vmm.ping", "", &r) == 404, "outside /api/v1/: 404");
	api_reply_free(&r);
	CHECK(route("GET", "vmm.ping", "", &r) == 404, "not a path: 404");
	api_reply_free(&r);
	{
		static char big[API_MAX_BODY + 2];

		memset(big, ' ', sizeof(big) - 1);
		big[0] = '{';
		CHECK(route("PUT", "/api/v1/vm.pause", big, &r) == 413 && paused == 2, "a body over the limit: 413");
		api_reply_free(&r);
	}
	CHECK(route("PUT", "/api/v1/vm.shutdown", "", &r) == 204 && shutdowns == 1 && r.after == fake_after && !afters,
	      "vm.shutdown: 204 and a deferred step for after the reply, not run yet");
}

static int parse_str(const char *s, struct http_response *h)
{
	return http_response_parse(s, strlen(s), false, h);
}

static void parse(void)
{
	struct http_response h;
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length:  7 \r\n\r\n{\"a\":1}";
	const char *nobody = "HTTP/1.1 204 No Content\r\n\r\n";
	const char *eofbody = "HTTP/1.0 500 Internal\r\n\r\nboom";

	CHECK(http_response_parse(ok, strlen(ok), false, &h) == 0 && h.status == 200 && h.body_len == 7 &&
	      !memcmp(h.body, "{\"a\":1}", 7), "200 with Content-Length (any case, spaces)");
	CHECK(http_response_parse(ok, strlen(ok) - 1, false, &h) == -EAGAIN, "body short of Content-Length: more");
	CHECK(http_response_parse(ok, strlen(ok) - 1, true, &h) == -EPROTO, "... and at EOF: malformed");
	CHECK(http_response_parse(ok, 20, false, &h) == -EAGAIN, "headers incomplete: more");
	CHECK(http_response_parse(nobody, strlen(nobody), false, &h) == 0 && h.status == 204 && !h.body_len,
	      "204 without a length is complete");
	CHECK(http_response_parse(eofbody, strlen(eofbody), false, &h) == -EAGAIN, "no length: body runs to EOF");
	CHECK(http_response_parse(eofbody, strlen(eofbody), true, &h) == 0 && h.status == 500 && h.body_len == 4,
	      "... complete at EOF");
	CHECK(parse_str("SSH-2.0\r\n\r\n", &h) == -EPROTO, "not HTTP: malformed");
	CHECK(parse_str("HTTP/1.1 99 x\r\n\r\n", &h) == -EPROTO, "2-digit status: malformed");
	CHECK(parse_str("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nab", &h) == -EPROTO,
	      "bad Content-Length: malformed");
	CHECK(parse_str("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999\r\n\r\n", &h) == -EPROTO,
	      "huge Content-Length: malformed");
	CHECK(parse_str("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &h) == -EPROTO,
	      "chunked: refused");
	CHECK(parse_str("HTTP/1.1 200 OK\r\nX-Content-Length: 3\r\n\r\nabcdef", &h) == -EAGAIN,
	      "a header merely ending in Content-Length is not one");
}

static void events(void)
{
	json_object *p = json_object_new_object();
	char *l;

	json_object_object_add(p, "exit_code", json_object_new_int(3));
	l = event_monitor_format("vm", "reset", p, 12, 345);
	CHECK(l && !strcmp(l, "{\"timestamp\":{\"secs\":12,\"nanos\":345},\"source\":\"vm\",\"event\":\"reset\","
			   "\"properties\":{\"exit_code\":3}}\n"), "event line: cloud-hypervisor's fields, one line (%s)", l);
	free(l);
	l = event_monitor_format("vmm", "starting", NULL, 0, 1);
	CHECK(l && strstr(l, "\"properties\":null}\n"), "no properties: null");
	free(l);
}

int main(void)
{
	routing();
	parse();
	events();
	return tap_done();
}
