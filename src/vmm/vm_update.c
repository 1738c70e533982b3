// SPDX-License-Identifier: GPL-2.0-only
/* nestvm upgrade by re-exec: the old process's save and handover, the new one's reply and fallback. */
#include "vmm/vm_update.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommu/fail_inject.h"
#include "liveupdate/fds_section.h"
#include "liveupdate/state_fields.h"
#include "vmm/api_server.h"
#include "vmm/event_monitor.h"
#include "vmm/log.h"
#include "vmm/vm.h"

extern char **environ;

/* The names the handed-over fds of the update itself go by (fdtab, "fds" section). */
#define FD_NAME_LISTEN "api"
#define FD_NAME_CONN "conn"
#define FD_NAME_EVENTS "events"
#define FD_NAME_PREVIOUS "previous"

int vm_update_init(struct vm_update *u, struct vm *vm, int argc, char **argv)
{
	*u = (struct vm_update){ .vm = vm, .argc = argc, .argv = argv, .bin_fd = -1, .prev_fd = -1, .conn_fd = -1,
				.kx = { .kernel_fd = -1, .initrd_fd = -1, .dev_fd = -1 } };
	return updater_start(&u->thread);
}

void vm_update_fini(struct vm_update *u)
{
	updater_stop(&u->thread);
	vm_update_abort(u);
	vm_kexec_abort(u);
}

void vm_update_abort(struct vm_update *u)
{
	if (u->bin_fd >= 0)
		close(u->bin_fd);
	if (u->prev_fd >= 0)
		close(u->prev_fd);
	u->bin_fd = u->prev_fd = -1;
}

static int fail(struct vm_update *u, int e, const char *fmt, const char *arg)
{
	snprintf(u->err, sizeof(u->err), fmt, arg, strerror(e));
	return -e;
}

int vm_update_prepare(struct vm_update *u, const char *binary, bool rehearse, int conn_fd)
{
	struct stat sb;

	u->err[0] = 0;
	u->conn_fd = conn_fd;
	u->info = (struct vm_update_info){ .rehearse = rehearse };
	snprintf(u->info.binary, sizeof(u->info.binary), "%s", binary ? binary : "(the running nestvm)");
	/* The running binary, even if its file was replaced since: the way back if the new one fails. */
	u->prev_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (u->prev_fd < 0)
		return fail(u, errno, "opening the running binary %s: %s", "/proc/self/exe");
	u->bin_fd = binary ? open(binary, O_RDONLY | O_CLOEXEC) : fcntl(u->prev_fd, F_DUPFD_CLOEXEC, 3);
	if (u->bin_fd < 0) {
		int e = errno;

		vm_update_abort(u);
		return fail(u, e, "the new binary %.200s: %s", u->info.binary);
	}
	if (u->bin_fd < 0 || fstat(u->bin_fd, &sb) || !S_ISREG(sb.st_mode) || !(sb.st_mode & 0111)) {
		int e = u->bin_fd < 0 ? errno : EACCES;

		vm_update_abort(u);
		return fail(u, e, "the new binary %.200s is not an executable file: %s", u->info.binary);
	}
	return 0;
}

/* Registers a dup of FD (>= 0) in the VM's table as KIND/NAME, to be handed over; -errno. */
static int hand_dup(struct vm_update *u, int fd, enum fd_kind kind, const char *name)
{
	int d;

	if (fd < 0)
		return 0;
	d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (d < 0)
		return err_errno("update: dup of %s fd %d", name, fd);
	d = fdtab_adopt(&u->vm->fds, d, kind, "vm_update", name);
	return d < 0 ? d : 0;
}

static void drop_dups(struct vm_update *u)
{
	static const struct { enum fd_kind kind; const char *name; } dups[] = {
		{ FD_API_SOCKET, FD_NAME_LISTEN }, { FD_API_SOCKET, FD_NAME_CONN },
		{ FD_EVENT_MONITOR, FD_NAME_EVENTS }, { FD_BINARY, FD_NAME_PREVIOUS },
	};

	for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
		int fd = fdtab_lookup(&u->vm->fds, dups[i].kind, dups[i].name);

		if (fd >= 0)
			fdtab_close(&u->vm->fds, fd);
	}
}

static int set_cloexec(int fd, bool on)
{
	int f = fcntl(fd, F_GETFD);

	if (f < 0 || fcntl(fd, F_SETFD, on ? f | FD_CLOEXEC : f & ~FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int vm_update_commit(struct vm_update *u)
{
	struct vm *vm = u->vm;
	struct lu_writer w;
	char sfd_s[16], prev_s[16];
	bool quiesced = false;
	int r, sfd = -1;

	lu_writer_init(&w);
	r = hand_dup(u, api_server_listen_fd(u->api), FD_API_SOCKET, FD_NAME_LISTEN);
	if (!r)
		r = hand_dup(u, u->conn_fd, FD_API_SOCKET, FD_NAME_CONN);
	if (!r)
		r = hand_dup(u, event_monitor_fd(), FD_EVENT_MONITOR, FD_NAME_EVENTS);
	if (!r)
		r = hand_dup(u, u->prev_fd, FD_BINARY, FD_NAME_PREVIOUS);
	if (r) {
		fail(u, -r, "handing over the control socket, event stream and binary%s: %s", "");
		goto out;
	}
	/* Before anything is saved: no interrupt may land in the VM from here on (vm_state.h). */
	vm_state_quiesce(vm);
	quiesced = true;
	u->info.t_saved = vm_update_now_ns();
	r = vm_state_save(vm, &w, u->argc, u->argv, &u->info);
	if (!r)
		r = lu_fds_save(&w, &vm->fds, FD_KIND_COUNT);
	if (!r)
		r = lu_writer_finish(&w);
	if (r) {
		fail(u, r < 0 ? -r : EINVAL, "saving the VM state%s: %s (see nestvm's log)", "");
		goto out;
	}
	/* Test hook (tests/testhost/liveupdate.sh): a state corrupted after it was checksummed. */
	if (fail_inject("lu-corrupt-state"))
		w.buf[w.len / 2] ^= 0x40;
	sfd = lu_writer_to_memfd(&w, "nestvm-state");
	if (sfd < 0) {
		fail(u, -sfd, "sealing the state into a memfd%s: %s", "");
		goto out;
	}
	/* Read back as the new process will: a state that does not verify never leaves this process. */
	{
		struct lu_state chk;

		r = vm_state_load(&chk, sfd);
		if (r)
			snprintf(u->err, sizeof(u->err), "the saved state does not verify (%s): %.200s",
				 lu_refusal_name(chk.refusal), chk.why);
		lu_state_free(&chk);
		if (r)
			goto out;
	}
	r = fdtab_handover_begin(&vm->fds);
	if (!r)
		r = set_cloexec(sfd, false);
	if (r) {
		fdtab_handover_cancel(&vm->fds);
		fail(u, -r, "handing the fds over%s: %s", "");
		goto out;
	}
	snprintf(sfd_s, sizeof(sfd_s), "%d", sfd);
	snprintf(prev_s, sizeof(prev_s), "%d", fdtab_lookup(&vm->fds, FD_BINARY, FD_NAME_PREVIOUS));
	{
		char *const argv[] = { "nestvm", "run", "--restore-fd", sfd_s, "--previous-binary-fd", prev_s, NULL };

		pr_info("update: exec %s with the state in fd %d (%zu bytes)", u->info.binary, sfd, w.len);
		execveat(u->bin_fd, "", argv, environ, AT_EMPTY_PATH);
	}
	/* Still here: the exec failed; this process keeps the VM. */
	r = -errno;
	fdtab_handover_cancel(&vm->fds);
	fail(u, -r, "exec of the new binary %.200s: %s", u->info.binary);
out:
	if (sfd >= 0)
		close(sfd);
	drop_dups(u);
	/* The devices deliver into this VM again (what fired meanwhile waits in their eventfds). */
	if (quiesced)
		vm_state_resume(vm);
	lu_writer_free(&w);
	pr_err("update: %s; the VM keeps running", u->err);
	return r < 0 ? r : -EINVAL;
}

/* ---- the new process ---- */

int vm_restore_args(struct vm_restore *rs, int argc, char **argv)
{
	char *end;
	long v[2];

	*rs = (struct vm_restore){ .state_fd = -1, .prev_fd = -1, .conn_fd = -1, .iommufd_free_id = -1 };
	if (argc < 5 || strcmp(argv[1], "--restore-fd") || strcmp(argv[3], "--previous-binary-fd"))
		return 1;
	for (int i = 0; i < 2; i++) {
		errno = 0;
		v[i] = strtol(argv[2 + 2 * i], &end, 10);
		if (errno || *end || v[i] < 3 || v[i] > INT_MAX) {
			pr_err("run: %s: not an fd number", argv[2 + 2 * i]);
			return -EINVAL;
		}
	}
	rs->state_fd = (int)v[0];
	rs->prev_fd = (int)v[1];
	if (argc == 7 && !strcmp(argv[5], "--restore-fallback")) {
		rs->fallback_reason = argv[6];
		/* Taking the VM back must not meet the test hooks that made the new binary fail. */
		unsetenv("NESTVM_FAIL_AT");
	}
	else if (argc != 5) {
		pr_err("run: --restore-fd takes no other options");
		return -EINVAL;
	}
	return 0;
}

int vm_restore_begin(struct vm_restore *rs, char *why, unsigned long why_size)
{
	int r;

	rs->t_start = vm_update_now_ns();
	r = vm_state_load(&rs->st, rs->state_fd);
	/* Test hook: the new binary refuses the state (as a nestvm too old or too new for it would). */
	if (!r && fail_inject("lu-refuse-state")) {
		snprintf(why, why_size, "the state is refused (version-newer): injected (NESTVM_FAIL_AT=lu-refuse-state)");
		return -EINVAL;
	}
	if (r) {
		snprintf(why, why_size, "the state is refused (%s): %s", lu_refusal_name(rs->st.refusal), rs->st.why);
		return r;
	}
	return vm_state_info(&rs->st, &rs->info, why, why_size);
}

int vm_restore_fallback(struct vm_restore *rs, struct vm *vm, const char *why)
{
	char sfd_s[16], prev_s[16], reason[300];

	pr_err("update: restore failed: %s", why);
	if (rs->fallback_reason) {
		pr_err("update: the previous binary cannot restore the VM either: it is lost");
		return -EINVAL;
	}
	/* Adopted fds are close-on-exec again: clear it on every one the previous process handed over. */
	if (vm && vm_fdtab(vm) && fdtab_handover_begin(vm_fdtab(vm)))
		return -EINVAL;
	if (set_cloexec(rs->state_fd, false) || set_cloexec(rs->prev_fd, false))
		return err_errno("update: fallback: state fd %d, binary fd %d", rs->state_fd, rs->prev_fd);
	snprintf(sfd_s, sizeof(sfd_s), "%d", rs->state_fd);
	snprintf(prev_s, sizeof(prev_s), "%d", rs->prev_fd);
	snprintf(reason, sizeof(reason), "%s", why);
	{
		char *const argv[] = { "nestvm", "run", "--restore-fd", sfd_s, "--previous-binary-fd", prev_s,
				       "--restore-fallback", reason, NULL };

		pr_info("update: going back to the previous binary (fd %d)", rs->prev_fd);
		execveat(rs->prev_fd, "", argv, environ, AT_EMPTY_PATH);
	}
	return err_errno("update: exec of the previous binary (fd %d)", rs->prev_fd);
}

/* Writes all of BUF to the connection (non-blocking socket: waits up to 5 s for room). */
static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, 5000) <= 0)
				return;
			continue;
		}
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void vm_update_reply_http(int fd, int status, const char *reason, const char *type, const char *body)
{
	char head[256];
	int n;

	if (fd < 0)
		return;
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		     status, reason, type, strlen(body));
	write_all(fd, head, (size_t)n);
	write_all(fd, body, strlen(body));
}

void vm_restore_reply(struct vm_restore *rs, struct vm *vm)
{
	uint64_t t_resumed = vm_update_now_ns();
	const struct vm_update_info *i = &rs->info;
	json_object *o, *t;
	char *text = NULL;
	int conn = fdtab_lookup(&vm->fds, FD_API_SOCKET, FD_NAME_CONN);

	if (rs->fallback_reason) {
		if (asprintf(&text, "update failed: the new binary %s could not restore the VM: %s; the previous nestvm "
			     "took it back and it keeps running\n", i->binary, rs->fallback_reason) < 0)
			text = NULL;
		pr_err("update: %s", text ? text : "failed");
		o = json_object_new_object();
		json_object_object_add(o, "reason", json_object_new_string(rs->fallback_reason));
		event_monitor_emit("vm", "update-failed", o);
		if (conn >= 0 && text)
			vm_update_reply_http(conn, 500, "Internal Server Error", "text/plain", text);
		free(text);
	} else {
		o = json_object_new_object();
		t = json_object_new_object();
		json_object_object_add(o, "mode", json_object_new_string("exec"));
		json_object_object_add(o, "binary", json_object_new_string(i->binary));
		json_object_object_add(o, "rehearse", json_object_new_boolean(i->rehearse));
		json_object_object_add(o, "pid", json_object_new_int64(getpid()));
		json_object_object_add(t, "pause", json_object_new_int64((int64_t)(i->t_paused - i->t_request) / 1000));
		json_object_object_add(t, "save", json_object_new_int64((int64_t)(i->t_saved - i->t_paused) / 1000));
		json_object_object_add(t, "exec", json_object_new_int64((int64_t)(rs->t_start - i->t_saved) / 1000));
		json_object_object_add(t, "restore", json_object_new_int64((int64_t)(rs->t_restored - rs->t_start) / 1000));
		json_object_object_add(t, "resume", json_object_new_int64((int64_t)(t_resumed - rs->t_restored) / 1000));
		json_object_object_add(o, "phases_us", t);
		json_object_object_add(o, "downtime_us", json_object_new_int64((int64_t)(t_resumed - i->t_request) / 1000));
		json_object_object_add(o, "state_bytes", json_object_new_int64((int64_t)rs->st.len));
		if (rs->iommufd_free_id >= 0)
			json_object_object_add(o, "iommufd_free_id", json_object_new_int64(rs->iommufd_free_id));
		if (conn >= 0)
			vm_update_reply_http(conn, 200, "OK", "application/json", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		pr_info("update: restored in the new binary: %s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		event_monitor_emit("vm", "updated", o);
	}
	if (conn >= 0)
		fdtab_close(&vm->fds, conn);
}

void vm_restore_end(struct vm_restore *rs)
{
	lu_state_free(&rs->st);
	if (rs->state_fd >= 0)
		close(rs->state_fd);
	rs->state_fd = -1;
}
