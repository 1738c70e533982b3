// SPDX-License-Identifier: GPL-2.0-only
/*
 * nestvm restore --luo-session NAME: after `vm.update kexec` (vm_kexec.h), in the new kernel, takes
 * the LUO session back, rebuilds the VM from its state memfd around the guest RAM memfds, finishes
 * the session and runs the VM on (docs/liveupdate.md).
 *
 * A state that is refused (corrupt, truncated, a version this nestvm does not restore) or a restore
 * that fails before the guest runs leaves the session unfinished: the kernel finishes a retrieved
 * session when its last fd closes and discards what was not retrieved (luo_session_release), and a
 * session is retrieved once only, so this process hands the session fd to a keeper (a child that
 * holds it and gives it to the next `nestvm restore --luo-session NAME` of the same user, checked with
 * SO_PEERCRED, over an abstract unix socket, SCM_RIGHTS) before it exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "iommu/fail_inject.h"
#include "liveupdate/fds_section.h"
#include "liveupdate/host_counter.h"
#include "liveupdate/kexec_section.h"
#include "liveupdate/luo.h"
#include "vmm/api_server.h"
#include "vmm/cmd.h"
#include "vmm/config_parse.h"
#include "vmm/event_monitor.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/vm.h"
#include "vmm/vm_api.h"
#include "vmm/vm_update.h"

struct restore {
	const char *name;
	int dev, session;
	uint64_t t_start, t_restored, realtime_start, counter_start, counter_hz;
	struct vm_update_info info;
	struct lu_kexec_info k;
	struct lu_state st;
};

void cmd_restore_usage(void)
{
	printf("usage: nestvm restore --luo-session NAME\n"
	       "  After `nestvm ctl SOCKET update kexec` rebooted the host into a new kernel: takes the LUO\n"
	       "  session NAME (/dev/liveupdate) back, rebuilds the VM from its state around its preserved guest\n"
	       "  RAM, finishes the session and runs the VM on, with the `nestvm run` arguments it had.\n"
	       "  What survives the kexec on this kernel: guest RAM (memfds) and the VM state nestvm saves\n"
	       "  (Linux 7.2 preserves memfds only). Disk images are opened again by path; assigned devices\n"
	       "  (path= or host=) are opened, reset and given back the guest's settings (COMMAND, MSI/MSI-X),\n"
	       "  behind a vIOMMU rebuilt from the guest's tables: the guest sees a function reset.\n"
	       "  A refused state leaves the session unfinished, kept by a child for the next restore.\n");
}

static uint64_t realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void keeper_addr(const char *name, struct sockaddr_un *a, socklen_t *len)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	/* Abstract (leading NUL): nothing on disk, gone with the keeper. */
	snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "nestvm-luo/%s", name);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a->sun_path + 1));
}

/* The session a keeper holds (a previous restore refused it): its fd, or -errno. */
static int keeper_take(const char *name)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, b, link[64], path[64];
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct sockaddr_un a;
	struct cmsghdr *c;
	socklen_t len;
	ssize_t n;
	int s, fd = -1, e;

	keeper_addr(name, &a, &len);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	errno = 0;
	if (connect(s, (struct sockaddr *)&a, len) < 0 || (n = recvmsg(s, &m, MSG_CMSG_CLOEXEC)) <= 0) {
		e = errno ? errno : EIO;   /* recvmsg 0: the keeper went away without sending */
		close(s);
		return -e;
	}
	close(s);
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (fd < 0)
		return -EBADMSG;
	/* It must be a LUO session (anon inode "[luo_session] NAME"). */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (strncmp(link, "anon_inode:[luo_session]", 24)) {
		close(fd);
		return -EBADMSG;
	}
	return fd;
}

/*
 * Keeps SESSION unfinished after a refusal: a child holds it and hands it to the next restore. The
 * socket is bound before this returns, so a restore started right after finds it.
 */
static void keep_session(struct restore *rs)
{
	struct sockaddr_un a;
	socklen_t len;
	pid_t pid;
	int l, c, dn;

	keeper_addr(rs->name, &a, &len);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, len) < 0 || listen(l, 1) < 0) {
		pr_err("restore: cannot keep the LUO session %s for a later restore (socket: %s): closing it finishes "
		       "it and the VM is lost", rs->name, strerror(errno));
		if (l >= 0)
			close(l);
		return;
	}
	pid = fork();
	if (pid < 0) {
		pr_err("restore: fork of the session keeper: %s", strerror(errno));
		close(l);
		return;
	}
	if (pid > 0) {
		close(l);
		pr_err("restore: the LUO session %s stays unfinished (kept by process %d): `nestvm restore "
		       "--luo-session %s` takes it again", rs->name, (int)pid, rs->name);
		return;
	}
	/* The keeper: only the session and the socket stay open. */
	setsid();
	signal(SIGHUP, SIG_IGN);
	if (dup2(l, 3) < 0 || dup2(rs->session, 4) < 0)
		_exit(1);
	syscall(SYS_close_range, 5, ~0u, 0);
	dn = open("/dev/null", O_RDWR);
	if (dn >= 0) {
		dup2(dn, 0);
		dup2(dn, 1);
		dup2(dn, 2);
		if (dn > 4)
			close(dn);
	}
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, b = 'S';
		struct iovec iov = { .iov_base = &b, .iov_len = 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		int sfd = 4;

		c = accept4(3, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (c < 0)
			_exit(1);   /* the session goes with it: nothing else can be done */
		{
			/* An abstract socket has no file permissions: only this user's processes get the session. */
			struct ucred cr;
			socklen_t cl = sizeof(cr);

			if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 || cr.uid != geteuid()) {
				close(c);
				continue;
			}
		}
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &sfd, sizeof(int));
		/* Once sent, the fd is in flight (it holds the file): this process may go. */
		if (sendmsg(c, &m, MSG_NOSIGNAL) == 1)
			_exit(0);
		close(c);
	}
}

/* A private corrupt copy of the state memfd (test hook luo-corrupt-state): the preserved one stays intact. */
static int corrupt_copy(int sfd)
{
	off_t len = lseek(sfd, 0, SEEK_END);
	int c = memfd_create("nestvm-state-corrupt", MFD_CLOEXEC);
	char *buf = len > 0 ? malloc((size_t)len) : NULL;

	if (c < 0 || !buf || pread(sfd, buf, (size_t)len, 0) != len) {
		free(buf);
		if (c >= 0)
			close(c);
		return -EIO;
	}
	buf[len / 2] ^= 0x40;
	if (pwrite(c, buf, (size_t)len, 0) != len) {
		free(buf);
		close(c);
		return -EIO;
	}
	free(buf);
	return c;
}

/* Refuses: says why, keeps the session for the next restore. */
static int refuse(struct restore *rs, const char *why)
{
	fprintf(stderr, "nestvm restore: refused: %s\n", why);
	if (rs->session >= 0)
		keep_session(rs);
	return EXIT_VMM_ERROR;
}

static void print_phases(struct restore *rs, uint64_t t_resumed)
{
	const struct vm_update_info *i = &rs->info;
	/* The machine counter where both kernels read the same one, else CLOCK_REALTIME (host_counter.h). */
	bool counter = rs->counter_hz && rs->counter_hz == rs->k.counter_hz && rs->counter_start >= rs->k.counter_saved;
	int64_t reboot = counter ? (int64_t)((unsigned __int128)(rs->counter_start - rs->k.counter_saved) * 1000000u /
					       rs->counter_hz)
				 : (int64_t)(rs->realtime_start - rs->k.realtime_saved) / 1000;
	json_object *o = json_object_new_object(), *t = json_object_new_object();
	struct { const char *name; int64_t us; } ph[] = {
		{ "pause", (int64_t)(i->t_paused - i->t_request) / 1000 },
		{ "preserve", (int64_t)(rs->k.t_preserved - i->t_paused) / 1000 },
		{ "kexec_load", (int64_t)(rs->k.t_loaded - rs->k.t_preserved) / 1000 },
		{ "reboot", reboot },
		{ "restore", (int64_t)(rs->t_restored - rs->t_start) / 1000 },
		{ "resume", (int64_t)(t_resumed - rs->t_restored) / 1000 },
	};

	fprintf(stderr, "nestvm restore: the VM runs again (LUO session %s)\n%-10s %12s\n", rs->name, "phase", "us");
	for (size_t n = 0; n < sizeof(ph) / sizeof(ph[0]); n++) {
		fprintf(stderr, "%-10s %12lld\n", ph[n].name, (long long)ph[n].us);
		if (t)
			json_object_object_add(t, ph[n].name, json_object_new_int64(ph[n].us));
	}
	if (!o)
		return;
	json_object_object_add(o, "mode", json_object_new_string("kexec"));
	json_object_object_add(o, "session", json_object_new_string(rs->name));
	json_object_object_add(o, "kernel", json_object_new_string(rs->k.kernel));
	json_object_object_add(o, "state_bytes", json_object_new_int64((int64_t)rs->st.len));
	json_object_object_add(o, "phases_us", t);
	json_object_object_add(o, "reboot_clock", json_object_new_string(counter ? "counter" : "realtime"));
	fprintf(stderr, "nestvm restore: %s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	event_monitor_emit("vm", "updated", o);
}

/* vm_run's hook once the vCPUs run: the session is done with (the memfds are this process's now). */
static void restored(struct vm *vm, void *arg)
{
	struct restore *rs = arg;
	uint64_t t = vm_update_now_ns();
	int r = luo_session_finish(rs->session);

	if (r)
		pr_err("restore: LIVEUPDATE_SESSION_FINISH %s: %s (closing it finishes it)", rs->name, luo_strerror(-r));
	close(rs->session);
	close(rs->dev);
	rs->session = rs->dev = -1;
	print_phases(rs, t);
}

static char **copy_args(int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));

	for (int i = 0; v && i < argc; i++) {
		if (!(v[i] = strdup(argv[i]))) {
			vm_state_free_args(i, v);
			return NULL;
		}
	}
	return v;
}

/* The guest RAM memfds from the session, as the "fds" section lists them (numbers replaced). */
static int take_ram(struct restore *rs, struct fdtab_entry **out, unsigned int *nr, char *why, size_t why_size)
{
	const struct lu_section *s = lu_state_find(&rs->st, LU_FDS_TYPE, 0);
	int r;

	if (!s) {
		snprintf(why, why_size, "the state lists no fds");
		return -EINVAL;
	}
	r = lu_fds_decode(s, out, nr, why, why_size);
	if (r)
		return r;
	for (unsigned int i = 0; i < *nr; i++) {
		struct fdtab_entry *e = &(*out)[i];
		int fd;

		if (e->kind != FD_GUEST_RAM) {
			snprintf(why, why_size, "the state lists a %s fd (%s), which does not survive a kexec",
				 fd_kind_name(e->kind) ? fd_kind_name(e->kind) : "?", e->name);
			return -EINVAL;
		}
		fd = luo_retrieve_fd(rs->session, (uint64_t)e->fd);
		if (fd < 0) {
			snprintf(why, why_size, "LIVEUPDATE_SESSION_RETRIEVE_FD guest RAM %s (token %d): %s", e->name, e->fd,
				 luo_strerror(-fd));
			for (unsigned int j = 0; j < i; j++)
				close((*out)[j].fd);
			return fd;
		}
		e->fd = fd;
		/* A memfd (shmem: F_GET_SEALS works) of the size the state's RAM has is checked at adoption. */
		if (fcntl(fd, F_GET_SEALS) < 0) {
			snprintf(why, why_size, "the session's token %s is not a memfd", e->name);
			for (unsigned int j = 0; j <= i; j++)
				close((*out)[j].fd);
			return -EINVAL;
		}
	}
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "luo-session", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' }, { 0 },
	};
	struct restore rs = { .dev = -1, .session = -1 };
	struct api_server *api = NULL;
	struct fdtab_entry *ram = NULL;
	unsigned int nr_ram = 0;
	struct vm_update upd;
	struct vm_config cfg;
	struct vm_api ctl;
	struct vm vm;
	char why[320];
	char **rargv = NULL, **parsed = NULL;
	const struct lu_section *ks;
	int o, r, sfd, lfd, rargc = 0, code;
	bool have_upd = false;

	optind = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 's') {
			rs.name = optarg;
		} else if (o == 'h') {
			cmd_restore_usage();
			return EXIT_OK;
		} else {
			return EXIT_USAGE;
		}
	}
	if (!rs.name || optind != argc || !rs.name[0] || strlen(rs.name) > LU_KEXEC_NAME_MAX) {
		fprintf(stderr, "nestvm restore: --luo-session NAME (1-%d bytes) is required, nothing else\n",
			LU_KEXEC_NAME_MAX);
		return EXIT_USAGE;
	}
	rs.t_start = vm_update_now_ns();
	rs.realtime_start = realtime_ns();
	lu_host_counter(&rs.counter_start, &rs.counter_hz);
	rs.dev = luo_open();
	if (rs.dev < 0) {
		fprintf(stderr, "nestvm restore: %s: %s (the kernel needs CONFIG_LIVEUPDATE and kho=on liveupdate=on)\n",
			LUO_DEV, strerror(-rs.dev));
		return EXIT_UNSUPPORTED;
	}
	rs.session = luo_session_retrieve(rs.dev, rs.name);
	if (rs.session == -EINVAL) {
		/* Retrieved once already: by a restore that refused it and left it with a keeper? */
		rs.session = keeper_take(rs.name);
		if (rs.session < 0) {
			fprintf(stderr, "nestvm restore: the LUO session %s was retrieved already and no keeper holds it\n",
				rs.name);
			close(rs.dev);
			return EXIT_VMM_ERROR;
		}
	}
	if (rs.session < 0) {
		fprintf(stderr, "nestvm restore: LIVEUPDATE_IOCTL_RETRIEVE_SESSION %s: %s\n", rs.name,
			luo_strerror(-rs.session));
		close(rs.dev);
		return EXIT_VMM_ERROR;
	}
	sfd = luo_retrieve_fd(rs.session, LU_KEXEC_STATE_TOKEN);
	if (sfd < 0) {
		snprintf(why, sizeof(why), "the session has no nestvm state (LIVEUPDATE_SESSION_RETRIEVE_FD: %s)",
			 luo_strerror(-sfd));
		return refuse(&rs, why);
	}
	lfd = fail_inject("luo-corrupt-state") ? corrupt_copy(sfd) : sfd;
	r = lfd < 0 ? lfd : vm_state_load(&rs.st, lfd);
	if (lfd >= 0 && lfd != sfd)
		close(lfd);
	close(sfd);
	if (r) {
		snprintf(why, sizeof(why), "the state is refused (%s): %s", lu_refusal_name(rs.st.refusal), rs.st.why);
		lu_state_free(&rs.st);
		return refuse(&rs, why);
	}
	ks = lu_state_find(&rs.st, LU_KEXEC_TYPE, 0);
	r = ks ? lu_kexec_decode(ks, &rs.k, why, sizeof(why)) : -EINVAL;
	if (!ks)
		snprintf(why, sizeof(why), "the state was not made by an update by kexec (no '%s' section)", LU_KEXEC_TYPE);
	if (!r && strcmp(rs.k.session, rs.name)) {
		snprintf(why, sizeof(why), "the state names the session %.63s, not %.63s", rs.k.session, rs.name);
		r = -EINVAL;
	}
	if (!r)
		r = vm_state_info(&rs.st, &rs.info, why, sizeof(why));
	if (!r)
		r = vm_state_args(&rs.st, &rargc, &rargv, why, sizeof(why));
	if (!r && !(parsed = copy_args(rargc, rargv))) {
		snprintf(why, sizeof(why), "out of memory");
		r = -ENOMEM;
	}
	if (!r && config_parse_run(&cfg, rargc, parsed)) {
		snprintf(why, sizeof(why), "the saved run arguments do not parse with this nestvm");
		r = -EINVAL;
	}
	if (!r)
		r = take_ram(&rs, &ram, &nr_ram, why, sizeof(why));
	if (r)
		goto refused;
	cfg.lu_fds = ram;
	cfg.nr_lu_fds = nr_ram;
	if ((cfg.events.path || cfg.events.fd >= 0) && event_monitor_open(cfg.events.path, cfg.events.fd)) {
		snprintf(why, sizeof(why), "opening the event stream failed");
		goto refused_ram;
	}
	r = vm_create(&vm, &cfg, &rs.st);
	if (r) {
		snprintf(why, sizeof(why), "%s", vm.restore_why[0] ? vm.restore_why : "making the VM failed");
		vm_destroy(&vm);
		event_monitor_close();
		goto refused_free;
	}
	vm_api_init(&ctl, &vm);
	if ((cfg.api.path || cfg.api.fd >= 0) && api_server_create(&api, cfg.api.path, cfg.api.fd, vm.loop, &ctl.ops)) {
		snprintf(why, sizeof(why), "setting up the control API failed");
		goto refused_vm;
	}
	if (api) {
		if (vm_update_init(&upd, &vm, rargc, rargv)) {
			snprintf(why, sizeof(why), "starting the updater thread failed");
			goto refused_vm;
		}
		have_upd = true;
		upd.api = api;
		ctl.update = &upd;
	}
	rs.t_restored = vm_update_now_ns();
	if (rs.info.was_paused) {
		atomic_store(&vm.park.want, true);
		ctl.paused = true;
	}
	vm.started = restored;
	vm.started_arg = &rs;
	r = vm_run(&vm);
	code = r ? EXIT_VMM_ERROR : atomic_load(&vm.exit_code);
	if (have_upd)
		vm_update_fini(&upd);
	api_server_destroy(api);
	vm_destroy(&vm);
	lu_state_free(&rs.st);
	free(ram);
	if (rs.session >= 0)
		close(rs.session);
	if (rs.dev >= 0)
		close(rs.dev);
	event_monitor_emit("vmm", "shutdown", NULL);
	event_monitor_close();
	vm_state_free_args(rargc, rargv);
	vm_state_free_args(rargc, parsed);
	return code;
refused_vm:
	if (have_upd)
		vm_update_fini(&upd);
	api_server_destroy(api);
	vm_destroy(&vm);
	event_monitor_close();
	goto refused_free;
refused_ram:
	for (unsigned int i = 0; i < nr_ram; i++)
		close(ram[i].fd);
refused_free:
	free(ram);
refused:
	lu_state_free(&rs.st);
	vm_state_free_args(rargc, rargv);
	vm_state_free_args(rargc, parsed);
	code = refuse(&rs, why);
	close(rs.session);
	close(rs.dev);
	return code;
}
