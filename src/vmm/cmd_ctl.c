// SPDX-License-Identifier: GPL-2.0-only
/*
 * nestvm ctl SOCKET COMMAND: one request to a running nestvm's control API (--api-socket), its
 * answer printed for people (or as the JSON itself with --json). Exit 0 only when the VMM said yes
 * (2xx); 1 when it said no or could not be reached; 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cmd.h"
#include "vmm/exitcode.h"
#include "vmm/http_response.h"

#define CTL_TIMEOUT_MS 30000          /* a pause waits up to 5 s for vCPUs; TCG is slow */
#define CTL_MAX_RESPONSE (1u << 20)

struct ctl_cmd {
	const char *name;
	const char *method;
	const char *endpoint;
	const char *done;                 /* what a 204 means, for people */
	const char *summary;
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "ping", "GET", "vmm.ping", NULL, "is the VMM there (version, pid)" },
	{ "info", "GET", "vm.info", NULL, "the VM's config, state and devices (PCI addresses)" },
	{ "counters", "GET", "vm.counters", NULL, "the VMM's counters" },
	{ "viommu", "GET", "vm.viommu", NULL, "the vIOMMU: front-end, backend, iommufd object ids, counters" },
	{ "pause", "PUT", "vm.pause", "paused", "stop every vCPU and hold the VM" },
	{ "resume", "PUT", "vm.resume", "resumed", "let a paused VM run again" },
	{ "shutdown", "PUT", "vm.shutdown", "shutting down", "stop the VM (nestvm exits 0)" },
	{ "reboot", "PUT", "vm.reboot", "rebooting", "stop the VM as on a guest reset (nestvm exits 3)" },
	{ "power-button", "PUT", "vm.power-button", "power button pressed", "press the guest's power button" },
	{ "vmm-shutdown", "PUT", "vmm.shutdown", "shutting down", "stop nestvm" },
	{ "update", "PUT", "vm.update", "updated",
	  "exec [--binary PATH] [--rehearse]: re-exec nestvm (PATH, else the same binary) with the VM running on" },
};

void cmd_ctl_usage(void)
{
	printf("usage: nestvm ctl [--json] SOCKET COMMAND [ARGS]\n"
	       "Sends one request to the control API of a running `nestvm run --api-socket path=SOCKET`.\n"
	       "Exits 0 when the VMM accepted it, 1 when it refused or was not reachable, 2 on bad usage.\n\n"
	       "  --json        print the VMM's JSON answer as is (for scripts)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		printf("  %-13s %s\n", ctl_cmds[i].name, ctl_cmds[i].summary);
}

/* Writes all of BUF or fails. */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* One request; fills RESP from the malloc'd *BUF. 0, or -errno with a message printed. */
static int request(const char *sock, const struct ctl_cmd *c, const char *body, char **buf,
		   struct http_response *resp)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timespec t0;
	char req[256 + 8192];
	size_t len = 0;
	int fd, r, n;

	*buf = NULL;
	if (strlen(sock) >= sizeof(a.sun_path)) {
		fprintf(stderr, "nestvm ctl: socket path too long: %s\n", sock);
		return -ENAMETOOLONG;
	}
	strcpy(a.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		fprintf(stderr, "nestvm ctl: socket: %s\n", strerror(errno));
		return r;
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		fprintf(stderr, "nestvm ctl: cannot reach %s: %s\n", sock, strerror(errno));
		goto out;
	}
	n = snprintf(req, sizeof(req),
		     "%s /api/v1/%s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", c->method, c->endpoint, strlen(body), body);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		fprintf(stderr, "nestvm ctl: request too long\n");
		r = -E2BIG;
		goto out;
	}
	r = send_all(fd, req, (size_t)n);
	if (r) {
		fprintf(stderr, "nestvm ctl: sending to %s: %s\n", sock, strerror(-r));
		goto out;
	}
	*buf = malloc(CTL_MAX_RESPONSE + 1);
	if (!*buf) {
		r = -ENOMEM;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = CTL_TIMEOUT_MS - ms_since(&t0);
		ssize_t got;

		r = http_response_parse(*buf, len, false, resp);
		if (r != -EAGAIN)
			break;
		if (left <= 0 || len == CTL_MAX_RESPONSE) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (!p.revents)
			continue;
		got = recv(fd, *buf + len, CTL_MAX_RESPONSE - len, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		len += (size_t)got;
		if (!got) {
			r = http_response_parse(*buf, len, true, resp);
			break;
		}
	}
	if (r == -EPROTO)
		fprintf(stderr, "nestvm ctl: %s answered something that is not an HTTP response\n", sock);
	else if (r)
		fprintf(stderr, "nestvm ctl: no answer from %s: %s\n", sock, strerror(-r));
out:
	close(fd);
	return r;
}

/* Human output: one "path: value" line per JSON leaf. */
static void print_flat(json_object *o, const char *prefix)
{
	char key[256];

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k);
			print_flat(v, key);
		}
		break;
	}
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			snprintf(key, sizeof(key), "%s[%zu]", prefix, i);
			print_flat(json_object_array_get_idx(o, i), key);
		}
		break;
	default:
		printf("%s: %s\n", prefix, o ? json_object_get_string(o) : "null");
	}
}

static int print_answer(const struct ctl_cmd *c, const struct http_response *resp, bool as_json)
{
	json_object *o;

	if (resp->status == 204 || !resp->body_len) {
		if (!as_json)
			printf("%s\n", c->done ? c->done : "ok");
		return EXIT_OK;
	}
	if (as_json) {
		fwrite(resp->body, 1, resp->body_len, stdout);
		printf("\n");
		return EXIT_OK;
	}
	o = json_tokener_parse(strndupa(resp->body, resp->body_len));
	if (!o) {
		fprintf(stderr, "nestvm ctl: the answer is not JSON\n");
		return EXIT_VMM_ERROR;
	}
	print_flat(o, "");
	json_object_put(o);
	return EXIT_OK;
}

/* update exec [--binary PATH] [--rehearse] | update kexec --kernel PATH ...: the vm.update body. */
static int update_body(int argc, char **argv, char **out)
{
	json_object *o;
	int i = 1;

	if (argc < 1 || (strcmp(argv[0], "exec") && strcmp(argv[0], "kexec"))) {
		fprintf(stderr, "nestvm ctl: update exec [--binary PATH] [--rehearse] (or kexec, not supported yet)\n");
		return EXIT_USAGE;
	}
	o = json_object_new_object();
	json_object_object_add(o, "mode", json_object_new_string(argv[0]));
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--binary") && i + 1 < argc && !strcmp(argv[0], "exec")) {
			json_object_object_add(o, "binary", json_object_new_string(argv[++i]));
		} else if (!strcmp(argv[i], "--rehearse")) {
			json_object_object_add(o, "rehearse", json_object_new_boolean(1));
		} else if (!strcmp(argv[0], "kexec") && i + 1 < argc && argv[i][0] == '-') {
			json_object_object_add(o, argv[i] + 2, json_object_new_string(argv[i + 1]));
			i++;
		} else {
			fprintf(stderr, "nestvm ctl: update %s: unexpected '%s'\n", argv[0], argv[i]);
			json_object_put(o);
			return EXIT_USAGE;
		}
	}
	*out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return *out ? 0 : EXIT_VMM_ERROR;
}

/* --rehearse: the phases as a table (the JSON above has them too). */
static void print_rehearsal(const struct http_response *resp)
{
	json_object *o = json_tokener_parse(strndupa(resp->body, resp->body_len)), *p, *d;

	if (!o)
		return;
	if (json_object_object_get_ex(o, "phases_us", &p)) {
		printf("%-10s %12s\n", "phase", "us");
		json_object_object_foreach(p, k, v)
			printf("%-10s %12lld\n", k, (long long)json_object_get_int64(v));
	}
	if (json_object_object_get_ex(o, "downtime_us", &d))
		printf("%-10s %12lld\n", "downtime", (long long)json_object_get_int64(d));
	json_object_put(o);
}

int cmd_ctl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	const struct ctl_cmd *c = NULL;
	struct http_response resp = { 0 };
	bool as_json = false, rehearse = false;
	char *buf, *body = NULL;
	int o, r;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		if (o == 'j') {
			as_json = true;
		} else if (o == 'h') {
			cmd_ctl_usage();
			return EXIT_OK;
		} else {
			fprintf(stderr, "nestvm ctl: unknown option %s (see 'nestvm ctl --help')\n", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "nestvm ctl: expected SOCKET COMMAND (see 'nestvm ctl --help')\n");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(ctl_cmds[i].name, argv[optind + 1]))
			c = &ctl_cmds[i];
	if (!c) {
		fprintf(stderr, "nestvm ctl: unknown command '%s' (see 'nestvm ctl --help')\n", argv[optind + 1]);
		return EXIT_USAGE;
	}
	if (strcmp(c->name, "update") && argc - optind != 2) {
		fprintf(stderr, "nestvm ctl: %s takes no arguments\n", c->name);
		return EXIT_USAGE;
	}
	if (!strcmp(c->name, "update")) {
		r = update_body(argc - optind - 2, argv + optind + 2, &body);
		if (r)
			return r;
		rehearse = strstr(body, "\"rehearse\":true") != NULL;
	}
	r = request(argv[optind], c, body ? body : "", &buf, &resp);
	free(body);
	if (r) {
		free(buf);
		return EXIT_VMM_ERROR;
	}
	if (resp.status < 200 || resp.status > 299) {
		fprintf(stderr, "nestvm ctl: %s: the VMM said %d: %.*s%s", c->name, resp.status, (int)resp.body_len,
			resp.body, resp.body_len && resp.body[resp.body_len - 1] == '\n' ? "" : "\n");
		free(buf);
		return EXIT_VMM_ERROR;
	}
	r = print_answer(c, &resp, as_json);
	if (rehearse && !as_json)
		print_rehearsal(&resp);
	free(buf);
	return r;
}
