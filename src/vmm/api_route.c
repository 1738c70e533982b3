// SPDX-License-Identifier: GPL-2.0-only
/* The control API's endpoint table, body checks and replies (see api_route.h). */
#include "vmm/api_route.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct api_endpoint {
	const char *name;
	bool put;   /* PUT action (204 on success), else GET returning JSON */
};

static const struct api_endpoint endpoints[] = {
	{ "vmm.ping", false }, { "vm.info", false }, { "vm.counters", false }, { "vm.viommu", false },
	{ "vm.pause", true }, { "vm.resume", true }, { "vm.shutdown", true }, { "vm.reboot", true },
	{ "vm.power-button", true }, { "vmm.shutdown", true },
	{ "vm.add-device", true }, { "vm.remove-device", true },
};
#define FIRST_BODY_ACTION 10   /* endpoints[] from here take a JSON object body */

static json_object *(*getter(const struct api_ops *ops, size_t i))(void *)
{
	json_object *(*const g[])(void *) = { ops->ping, ops->info, ops->counters, ops->viommu };

	return g[i];
}

static int (*action(const struct api_ops *ops, size_t i))(void *, struct api_result *)
{
	int (*const a[])(void *, struct api_result *) = {
		ops->pause, ops->resume, ops->shutdown, ops->reboot, ops->power_button, ops->vmm_shutdown,
	};

	return a[i - 4];
}

/* cloud-hypervisor endpoints nestvm knows of but does not serve (yet): 501, not 404. */
static const char *const not_yet[] = {
	"vm.add-disk", "vm.add-net", "vm.add-fs", "vm.add-pmem",
	"vm.add-vsock", "vm.add-vdpa", "vm.add-user-device", "vm.resize", "vm.resize-zone", "vm.snapshot",
	"vm.restore", "vm.coredump", "vm.create", "vm.boot", "vm.delete", "vm.receive-migration",
	"vm.send-migration", "vmm.info",
};

void api_reply_error(struct api_reply *out, int status, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	*out = (struct api_reply){ .status = status };
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;   /* status alone, no body */
	out->body = s;
	out->len = (size_t)n;
	out->content_type = "text/plain";
}

void api_reply_free(struct api_reply *r)
{
	free(r->body);
	r->body = NULL;
}

static void reply_json(struct api_reply *out, json_object *o)
{
	const char *s;

	*out = (struct api_reply){ .status = 500 };
	if (!o)
		return;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	out->body = s ? strdup(s) : NULL;
	json_object_put(o);
	if (!out->body)
		return;
	out->status = 200;
	out->len = strlen(out->body);
	out->content_type = "application/json";
}

/*
 * The actions take no body; one that is sent must at least be JSON (ch-remote sends none). With
 * KEEP, the parsed value is handed over there (NULL when the body is empty).
 */
static bool body_ok(const char *body, size_t len, struct api_reply *out, json_object **keep)
{
	json_tokener *tok;
	json_object *o;
	size_t i;

	if (keep)
		*keep = NULL;
	for (i = 0; i < len && strchr(" \t\r\n", body[i]) && body[i]; i++)
		;
	if (i == len)
		return true;
	if (len > API_MAX_BODY) {
		api_reply_error(out, 413, "request body larger than %d bytes\n", API_MAX_BODY);
		return false;
	}
	tok = json_tokener_new();
	if (!tok) {
		*out = (struct api_reply){ .status = 500 };
		return false;
	}
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (!o || json_tokener_get_parse_end(tok) != len) {
		api_reply_error(out, 400, "request body is not one JSON value: %s\n",
				json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(o);
		json_tokener_free(tok);
		return false;
	}
	if (keep)
		*keep = o;
	else
		json_object_put(o);
	json_tokener_free(tok);
	return true;
}

/* vm.add-device / vm.remove-device: a JSON object body, the operation, its reply. */
static void body_action(const struct api_ops *ops, size_t idx, const char *body, size_t len, struct api_reply *out)
{
	struct api_result r = { 0 };
	json_object *o, *reply = NULL;
	bool add = idx == FIRST_BODY_ACTION;
	int e = 0;

	if (!body_ok(body, len, out, &o))
		return;
	if ((add && !ops->add_device) || (!add && !ops->remove_device)) {
		json_object_put(o);
		api_reply_error(out, 501, "%s is not supported by this VMM\n", endpoints[idx].name);
		return;
	}
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		api_reply_error(out, 400, "%s takes a JSON object\n", endpoints[idx].name);
		return;
	}
	if (add)
		reply = ops->add_device(ops->opaque, o, &r);
	else
		e = ops->remove_device(ops->opaque, o, &r);
	json_object_put(o);
	if ((add && !reply) || e) {
		api_reply_error(out, r.status >= 400 && r.status <= 599 ? r.status : 500, "%s\n",
				r.msg[0] ? r.msg : "failed");
		return;
	}
	if (add)
		reply_json(out, reply);
	else
		*out = (struct api_reply){ .status = 204, .after = r.after };
}

#define UPDATE_MAX_PATH 4096

/* A string member of the vm.update body: absent (NULL) or a NUL-free string of 1-MAX bytes. */
static bool update_str(json_object *v, size_t max, const char **out)
{
	size_t n;

	*out = NULL;
	if (!v)
		return true;
	if (!json_object_is_type(v, json_type_string))
		return false;
	n = (size_t)json_object_get_string_len(v);
	if (!n || n > max || strlen(json_object_get_string(v)) != n)
		return false;
	*out = json_object_get_string(v);
	return true;
}

/* vm.update {"mode":"kexec",...}: kernel required; initrd, cmdline, session, rehearse optional. */
static void route_update_kexec(const struct api_ops *ops, json_object *o, struct api_reply *out)
{
	struct api_result r = { 0 };
	struct api_kexec_req q = { 0 };
	json_object *reply, *reh = NULL;
	bool ok = true;

	json_object_object_foreach(o, key, val) {
		if (!strcmp(key, "mode"))
			continue;
		if (!strcmp(key, "kernel"))
			ok = ok && update_str(val, UPDATE_MAX_PATH, &q.kernel);
		else if (!strcmp(key, "initrd"))
			ok = ok && update_str(val, UPDATE_MAX_PATH, &q.initrd);
		else if (!strcmp(key, "cmdline"))
			ok = ok && update_str(val, UPDATE_MAX_PATH, &q.cmdline);
		else if (!strcmp(key, "session"))
			ok = ok && update_str(val, 63, &q.session);
		else if (!strcmp(key, "rehearse"))
			ok = ok && json_object_is_type(reh = val, json_type_boolean);
		else {
			api_reply_error(out, 400, "vm.update: unknown field '%.64s'\n", key);
			return;
		}
	}
	if (!ok || !q.kernel) {
		api_reply_error(out, 400, "vm.update kexec: kernel (a path) is required; initrd a path, cmdline a "
				"string, session a name of 1-63 bytes, rehearse a boolean\n");
		return;
	}
	if (!ops->update_kexec) {
		api_reply_error(out, 501, "vm.update kexec is not supported by this VMM\n");
		return;
	}
	q.rehearse = reh && json_object_get_boolean(reh);
	reply = ops->update_kexec(ops->opaque, &q, &r);
	if (reply)
		reply_json(out, reply);
	else
		api_reply_error(out, r.status >= 400 && r.status <= 599 ? r.status : 500, "%s\n",
				r.msg[0] ? r.msg : "update failed");
}

/* vm.update: the body says which update (docs/api.md): "exec" or "kexec". */
static void route_update(const struct api_ops *ops, const char *method, const char *body, size_t len,
			 struct api_reply *out)
{
	struct api_result r = { 0 };
	json_object *o, *mode = NULL, *bin = NULL, *reh = NULL;
	const char *binary = NULL, *unknown = NULL;

	if (strcmp(method, "PUT")) {
		api_reply_error(out, 405, "vm.update takes PUT\n");
		out->allow = "PUT";
		return;
	}
	if (!body_ok(body, len, out, &o))
		return;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		api_reply_error(out, 400, "vm.update needs a JSON object: {\"mode\":\"exec\"|\"kexec\", ...}\n");
		return;
	}
	json_object_object_foreach(o, key, val) {
		if (!strcmp(key, "mode"))
			mode = val;
		else if (!strcmp(key, "binary"))
			bin = val;
		else if (!strcmp(key, "rehearse"))
			reh = val;
		else
			unknown = key;
	}
	if (json_object_is_type(mode, json_type_string) && !strcmp(json_object_get_string(mode), "kexec")) {
		route_update_kexec(ops, o, out);
	} else if (unknown) {
		api_reply_error(out, 400, "vm.update: unknown field '%.64s'\n", unknown);
	} else if (!json_object_is_type(mode, json_type_string) || (bin && !json_object_is_type(bin, json_type_string)) ||
	    (reh && !json_object_is_type(reh, json_type_boolean)) ||
	    (bin && (!json_object_get_string_len(bin) || json_object_get_string_len(bin) > UPDATE_MAX_PATH ||
		     strlen(json_object_get_string(bin)) != (size_t)json_object_get_string_len(bin)))) {
		api_reply_error(out, 400, "vm.update: mode must be a string, binary a path, rehearse a boolean\n");
	} else if (strcmp(json_object_get_string(mode), "exec")) {
		api_reply_error(out, 400, "vm.update: mode '%.32s' is not exec or kexec\n", json_object_get_string(mode));
	} else if (!ops->update_exec) {
		api_reply_error(out, 501, "vm.update is not supported by this VMM\n");
	} else {
		binary = bin ? json_object_get_string(bin) : NULL;
		if (ops->update_exec(ops->opaque, binary, reh && json_object_get_boolean(reh), &r))
			api_reply_error(out, r.status >= 400 && r.status <= 599 ? r.status : 500, "%s\n",
					r.msg[0] ? r.msg : "update failed");
		else
			*out = (struct api_reply){ .status = 204 };
	}
	json_object_put(o);
}

void api_route(const struct api_ops *ops, const char *method, const char *url, const char *body, size_t len,
	       struct api_reply *out)
{
	const struct api_endpoint *e = NULL;
	struct api_result r = { 0 };
	const char *name, *want;
	size_t idx = 0;

	if (!method || !url || strncmp(url, API_PREFIX, strlen(API_PREFIX))) {
		api_reply_error(out, 404, "no such endpoint (the API lives under " API_PREFIX ")\n");
		return;
	}
	name = url + strlen(API_PREFIX);
	if (!strcmp(name, "vm.update")) {
		route_update(ops, method, body, len, out);
		return;
	}
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (!strcmp(endpoints[i].name, name))
			e = &endpoints[idx = i];
	if (!e) {
		for (size_t i = 0; i < sizeof(not_yet) / sizeof(not_yet[0]); i++) {
			if (!strcmp(not_yet[i], name)) {
				api_reply_error(out, 501, "%s is not supported by nestvm yet\n", not_yet[i]);
				return;
			}
		}
		api_reply_error(out, 404, "no such endpoint\n");
		return;
	}
	want = e->put ? "PUT" : "GET";
	if (strcmp(method, want)) {
		api_reply_error(out, 405, "%s takes %s\n", e->name, want);
		out->allow = want;
		return;
	}
	if (idx >= FIRST_BODY_ACTION) {
		body_action(ops, idx, body, len, out);
		return;
	}
	if (!body_ok(body, len, out, NULL))
		return;
	if (!e->put) {
		json_object *(*get)(void *) = getter(ops, idx);

		if (!get)
			api_reply_error(out, 501, "%s is not supported by this VMM\n", e->name);
		else
			reply_json(out, get(ops->opaque));
		return;
	}
	if (!action(ops, idx)) {
		api_reply_error(out, 501, "%s is not supported by this VMM\n", e->name);
		return;
	}
	if (action(ops, idx)(ops->opaque, &r)) {
		api_reply_error(out, r.status >= 400 && r.status <= 599 ? r.status : 500, "%s\n",
				r.msg[0] ? r.msg : "failed");
		return;
	}
	*out = (struct api_reply){ .status = 204, .after = r.after };
}
