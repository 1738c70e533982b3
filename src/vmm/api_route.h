/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control API's requests: which endpoint a method + URL names, what its body must be, and the
 * reply (HTTP status + JSON or text body). Pure logic over a narrow set of operations, so routing,
 * body checks and reply shapes are unit tested and fuzzed without a VM or a socket.
 * Endpoint names and shapes follow cloud-hypervisor's REST API (docs/api.md lists the differences).
 */
#ifndef NESTVM_API_ROUTE_H
#define NESTVM_API_ROUTE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define API_PREFIX "/api/v1/"
#define API_MAX_BODY 16384   /* no request of ours needs more; larger ones get 413 */

/* What an operation answers: 0 ok, else an HTTP status (4xx/5xx) with MSG set. */
struct api_result {
	int status;
	char msg[384];
	/* Set by an accepted action that must wait for its reply to reach the client (vm.shutdown
	 * stops the loop that sends it): the server calls it once the request is over. */
	void (*after)(void *opaque);
};

/*
 * What the API can do to the VMM. Each action returns 0 or an HTTP error status with R->msg set.
 * The info producers return a new JSON object (NULL: out of memory).
 */
struct api_kexec_req {
	const char *kernel, *initrd, *cmdline, *session;   /* NULL: not given */
	bool rehearse;
};

struct api_ops {
	void *opaque;
	json_object *(*ping)(void *opaque);
	json_object *(*info)(void *opaque);
	json_object *(*counters)(void *opaque);
	json_object *(*viommu)(void *opaque);
	int (*pause)(void *opaque, struct api_result *r);
	int (*resume)(void *opaque, struct api_result *r);
	int (*shutdown)(void *opaque, struct api_result *r);      /* vm.shutdown */
	int (*reboot)(void *opaque, struct api_result *r);
	int (*power_button)(void *opaque, struct api_result *r);
	int (*vmm_shutdown)(void *opaque, struct api_result *r);
	/*
	 * Actions with a JSON object body (already parsed; NULL when none was sent): vm.add-device
	 * answers 200 with the object it returns ({"id","bdf"}), vm.remove-device 204. NULL and R set on
	 * failure (add), or nonzero (remove).
	 */
	json_object *(*add_device)(void *opaque, json_object *body, struct api_result *r);
	int (*remove_device)(void *opaque, json_object *body, struct api_result *r);
	/*
	 * vm.update {"mode":"exec","binary":PATH?,"rehearse":bool?}: re-exec nestvm (BINARY NULL: the
	 * running one) with the VM handed over. Returns only when it failed (the VM keeps running here);
	 * on success the new process answers the request.
	 */
	int (*update_exec)(void *opaque, const char *binary, bool rehearse, struct api_result *r);
	/*
	 * vm.update {"mode":"kexec","kernel":PATH,"initrd":PATH?,"cmdline":STR?,"session":NAME?,
	 * "rehearse":bool?}: the host kernel update by kexec (vm_kexec.h). Returns only when it failed
	 * (NULL, R set; the VM keeps running) or for a rehearsal (the answer's object, 200); before the
	 * reboot it answers 202 on the request's connection itself.
	 */
	json_object *(*update_kexec)(void *opaque, const struct api_kexec_req *req, struct api_result *r);
};


struct api_reply {
	int status;                 /* HTTP status */
	const char *content_type;   /* static string; NULL when there is no body */
	char *body;                 /* malloc'd, NUL-terminated, NULL for none */
	size_t len;
	const char *allow;          /* 405: the method the endpoint takes (Allow header, RFC 9110 15.5.6) */
	void (*after)(void *opaque);   /* api_result.after of the action, with the ops' opaque */
};

/* Serves one complete request. Always fills OUT (status 500 with no body when out of memory). */
void api_route(const struct api_ops *ops, const char *method, const char *url, const char *body, size_t len,
	       struct api_reply *out);
void api_reply_free(struct api_reply *r);
/* An error reply with a text body (also used by the server for transport errors). */
void api_reply_error(struct api_reply *out, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
