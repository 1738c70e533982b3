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
	const char *arg;                  /* the command's argument, for usage; NULL: none */
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "ping", "GET", "vmm.ping", NULL, "is the VMM there (version, pid)", NULL },
	{ "info", "GET", "vm.info", NULL, "the VM's config, state and devices (PCI addresses)", NULL },
	{ "counters", "GET", "vm.counters", NULL, "the VMM's counters", NULL },
	{ "viommu", "GET", "vm.viommu", NULL, "the vIOMMU: front-end, backend, iommufd object ids, counters", NULL },
	{ "pause", "PUT", "vm.pause", "paused", "stop every vCPU and hold the VM", NULL },
	{ "resume", "PUT", "vm.resume", "resumed", "let a paused VM run again", NULL },
	{ "shutdown", "PUT", "vm.shutdown", "shutting down", "stop the VM (nestvm exits 0)", NULL },
	{ "reboot", "PUT", "vm.reboot", "rebooting", "stop the VM as on a guest reset (nestvm exits 3)", NULL },
	{ "power-button", "PUT", "vm.power-button", "power button pressed", "press the guest's power button", NULL },
	{ "vmm-shutdown", "PUT", "vmm.shutdown", "shutting down", "stop nestvm", NULL },
	{ "add-device", "PUT", "vm.add-device", NULL, "hot-plug a VFIO device into a free slot (fd=N: pass\n"
	  "                our open fd N of the cdev with SCM_RIGHTS)", "path=CDEV|fd=N[,id=ID]" },
	{ "remove-device", "PUT", "vm.remove-device", "removal requested (the guest releases it, then it goes)",
	  "ask the guest to release a hot-plugged device", "ID" },
	{ "update", "PUT", "vm.update", "updated",
	  "re-exec nestvm (PATH, else the same binary) with the VM running on; or kexec the host into a new "
	  "kernel with guest RAM and the VM state kept in a LUO session (`nestvm restore --luo-session NAME` "
	  "takes the VM back; Linux 7.2 preserves memfds only, so disks are reopened by path and assigned "
	  "devices reset and re-initialised, the guest seeing a function reset)",
	  "exec [--binary PATH] [--rehearse] | kexec --kernel PATH [--initrd PATH] [--cmdline STR] [--session NAME] "
	  "[--rehearse]" },
};

void cmd_ctl_usage(void)
{
	printf("usage: nestvm ctl [--json] SOCKET COMMAND [ARGS]\n"
	       "Sends one request to the control API of a running `nestvm run --api-socket path=SOCKET`.\n"
	       "Exits 0 when the VMM accepted it, 1 when it refused or was not reachable, 2 on bad usage.\n\n"
	       "  --json        print the VMM's JSON answer as is (for scripts)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (ctl_cmds[i].arg)
			printf("  %s %s\n  %-13s %s\n", ctl_cmds[i].name, ctl_cmds[i].arg, "", ctl_cmds[i].summary);
		else
			printf("  %-13s %s\n", ctl_cmds[i].name, ctl_cmds[i].summary);
	}
}

/*
 * The JSON body of a command with an argument: add-device path=P[,id=ID] -> {"path":P,"id":ID},
 * add-device fd=N[,id=ID] -> {"fd":0,"id":ID} with *PASS_FD = N (sent with SCM_RIGHTS: the first fd
 * passed), remove-device ID -> {"id":ID}. NULL (with a message) on a malformed argument.
 */
static char *make_body(const struct ctl_cmd *c, const char *arg, int *pass_fd)
{
	json_object *o = json_object_new_object();
	char *s = NULL;

	if (!o)
		return NULL;
	if (!strcmp(c->name, "remove-device")) {
		json_object_object_add(o, "id", json_object_new_string(arg));
	} else {
		char *dup = strdup(arg), *save = NULL;

		for (char *kv = dup ? strtok_r(dup, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');

			char *end = NULL;
			long n = eq && !strncmp(kv, "fd=", 3) ? strtol(eq + 1, &end, 10) : -1;

			if (!eq || (strncmp(kv, "path=", 5) && strncmp(kv, "id=", 3) && (n < 0 || n > 1 << 20 || *end))) {
				fprintf(stderr, "nestvm ctl: add-device: expected path=CDEV|fd=N[,id=ID], got '%s'\n", kv);
				free(dup);
				json_object_put(o);
				return NULL;
			}
			*eq = '\0';
			if (n >= 0) {
				*pass_fd = (int)n;
				json_object_object_add(o, "fd", json_object_new_int(0));
			} else {
				json_object_object_add(o, kv, json_object_new_string(eq + 1));
			}
		}
		free(dup);
		if (json_object_object_get_ex(o, "path", NULL) == json_object_object_get_ex(o, "fd", NULL)) {
			fprintf(stderr, "nestvm ctl: add-device: one of path= or fd= is required\n");
			json_object_put(o);
			return NULL;
		}
	}
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
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

/* BUF with PASS_FD attached by SCM_RIGHTS (unix(7)) to its first write, the rest as send_all. */
static int send_head(int fd, const char *buf, size_t len, int pass_fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *h;
	ssize_t n;

	if (pass_fd < 0)
		return send_all(fd, buf, len);
	memset(ctl.b, 0, sizeof(ctl.b));
	m.msg_control = ctl.b;
	m.msg_controllen = sizeof(ctl.b);
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &pass_fd, sizeof(int));
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return send_all(fd, buf + n, len - (size_t)n);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* One request; fills RESP from the malloc'd *BUF. 0, or -errno with a message printed. */
static int request(const char *sock, const struct ctl_cmd *c, const char *body, int pass_fd, char **buf,
		   struct http_response *resp)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timespec t0;
	char req[256];
	size_t blen = body ? strlen(body) : 0;
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
		     "%s /api/v1/%s HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n%s"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n", c->method, c->endpoint,
		     body ? "Content-Type: application/json\r\n" : "", blen);
	if (pass_fd >= 0) {
		/* The whole request and the fd in one write, as cloud-hypervisor's client sends them
		 * (nestvm also takes a body written after the bytes carrying fds: api_server.c kick). */
		char *all = malloc((size_t)n + blen);

		if (!all) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(all, req, (size_t)n);
		if (blen)
			memcpy(all + n, body, blen);
		r = send_head(fd, all, (size_t)n + blen, pass_fd);
		free(all);
	} else {
		r = send_all(fd, req, (size_t)n);
		if (!r && blen)
			r = send_all(fd, body, blen);
	}
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
		fprintf(stderr, "nestvm ctl: update exec [--binary PATH] [--rehearse] | update kexec --kernel PATH "
			"[--initrd PATH] [--cmdline STR] [--session NAME] [--rehearse]\n");
		return EXIT_USAGE;
	}
	o = json_object_new_object();
	json_object_object_add(o, "mode", json_object_new_string(argv[0]));
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--binary") && i + 1 < argc && !strcmp(argv[0], "exec")) {
			json_object_object_add(o, "binary", json_object_new_string(argv[++i]));
		} else if (!strcmp(argv[i], "--rehearse")) {
			json_object_object_add(o, "rehearse", json_object_new_boolean(1));
		} else if (!strcmp(argv[0], "kexec") && i + 1 < argc &&
			   (!strcmp(argv[i], "--kernel") || !strcmp(argv[i], "--initrd") || !strcmp(argv[i], "--cmdline") ||
			    !strcmp(argv[i], "--session"))) {
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
	int o, r, nargs, pass_fd = -1;

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
	nargs = argc - optind;
	if (nargs < 2) {
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
	if (!strcmp(c->name, "update")) {
		r = update_body(nargs - 2, argv + optind + 2, &body);
		if (r)
			return r;
		rehearse = strstr(body, "\"rehearse\":true") != NULL;
	} else if (nargs != (c->arg ? 3 : 2)) {
		fprintf(stderr, "nestvm ctl: %s takes %s%s (see 'nestvm ctl --help')\n", c->name,
			c->arg ? "one argument, " : "no argument", c->arg ? c->arg : "");
		return EXIT_USAGE;
	} else if (c->arg) {
		body = make_body(c, argv[optind + 2], &pass_fd);
		if (!body)
			return EXIT_USAGE;
	}
	r = request(argv[optind], c, body, pass_fd, &buf, &resp);
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
