// SPDX-License-Identifier: GPL-2.0-only
/* The update by kexec through LUO, the old kernel's side (vm_kexec.h, docs/liveupdate.md). */
#include "vmm/vm_kexec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "iommu/fail_inject.h"
#include "liveupdate/fds_section.h"
#include "liveupdate/host_counter.h"
#include "liveupdate/luo.h"
#include "liveupdate/state_fields.h"
#include "vmm/api_route.h"
#include "vmm/config.h"
#include "vmm/log.h"
#include "vmm/vm.h"
#include "vmm/vm_update.h"

#define DEFAULT_SESSION "nestvm"

static int fail(struct vm_update *u, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct vm_update *u, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->err, sizeof(u->err), fmt, ap);
	va_end(ap);
	return -e;
}

void vm_kexec_abort(struct vm_update *u)
{
	struct vm_kexec *x = &u->kx;

	if (x->kernel_fd >= 0)
		close(x->kernel_fd);
	if (x->initrd_fd >= 0)
		close(x->initrd_fd);
	if (x->dev_fd >= 0)
		close(x->dev_fd);
	x->kernel_fd = x->initrd_fd = x->dev_fd = -1;
}

static int open_image(struct vm_update *u, const char *what, const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return fail(u, errno, "the new %s %.200s: %s", what, path, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		e = errno;
		close(fd);
		return fail(u, e == ENOENT ? EINVAL : e, "the new %s %.200s: fstat: %s", what, path, strerror(e));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return fail(u, EINVAL, "the new %s %.200s is not a regular file", what, path);
	}
	return fd;
}

/* Whether WORD is one of the space-separated words of S. */
static bool has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = s; (p = strstr(p, word)); p += n)
		if ((p == s || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static int read_cmdline(struct vm_update *u, char *buf, size_t size)
{
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return fail(u, errno, "reading /proc/cmdline (for the new kernel's command line): %s", strerror(errno));
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return fail(u, EIO, "reading /proc/cmdline: %s", strerror(errno));
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/*
 * Fds the restore in the next kernel opens again instead of retrieving them from the session
 * (vm_restore_reopens): the assigned devices' VFIO cdevs, their iommufd and the vIOMMU's vEVENTQ
 * in it (the function is reset and re-initialised from the saved guest-visible state, the vIOMMU's
 * objects rebuilt from the guest's tables) and the disk images (by path; sync() runs before the
 * reboot). Linux 7.2 could not preserve any of them anyway.
 */
static bool reopened(enum fd_kind kind)
{
	return kind == FD_IOMMUFD || kind == FD_IOMMUFD_EVENTQ || kind == FD_VFIO_DEVICE || kind == FD_DISK;
}

/* What keeps the next kernel's restore from opening the VM's devices again, or NULL. */
static const char *reopen_refusal(const struct vm_config *cfg)
{
	if (cfg->iommufd_fd >= 0)
		return "--iommufd fd=: the manager's iommufd ends with this kernel and nestvm cannot open it again";
	for (unsigned int i = 0; i < cfg->nr_vfio && i < CFG_MAX_VFIO; i++)
		if (cfg->vfio[i].fd >= 0)
			return "--device vfio,fd=: the manager's VFIO cdev ends with this kernel and nestvm cannot open it again";
	if (cfg->iopf_mock.on)
		return "--iopf-mock: the kernel's mock device does not survive a kexec";
	return NULL;
}

/*
 * Asks the kernel, with a throwaway session, whether it preserves a memfd and every fd of another
 * kind the VM would need in the next kernel that the restore does not open again (reopened): 7.2
 * has handlers for memfds only (mm/memfd_luo.c), so any such fd makes the update refuse, saying so.
 */
static int probe(struct vm_update *u)
{
	struct vm *vm = u->vm;
	struct fdtab_entry e[64];
	unsigned int nr = fdtab_snapshot(&vm->fds, e, 64, true);
	char name[LU_KEXEC_NAME_MAX + 1];
	int s, m, r;

	if (nr > 64)
		return fail(u, E2BIG, "the VM holds %u fds to hand over, more than the probe checks", nr);
	snprintf(name, sizeof(name), "nestvm-probe-%d", (int)getpid());
	s = luo_session_create(u->kx.dev_fd, name);
	if (s < 0)
		return fail(u, -s, "LIVEUPDATE_IOCTL_CREATE_SESSION %s: %s", name, luo_strerror(-s));
	m = memfd_create("nestvm-luo-probe", MFD_CLOEXEC);
	r = m < 0 ? -errno : ftruncate(m, 4096) < 0 ? -errno : luo_preserve_fd(s, m, 1);
	if (m >= 0)
		close(m);
	if (r) {
		close(s);
		return fail(u, EOPNOTSUPP, "this kernel cannot preserve a memfd across kexec (%s), so guest RAM "
			    "cannot survive it", luo_strerror(-r));
	}
	for (unsigned int i = 0; i < nr; i++) {
		if (e[i].kind == FD_GUEST_RAM || reopened(e[i].kind))
			continue;
		r = luo_preserve_fd(s, e[i].fd, 2 + i);
		close(s);   /* unpreserves whatever it took */
		if (!r)
			return fail(u, EOPNOTSUPP, "this kernel can preserve %s fd %s across kexec, but nestvm does not "
				    "restore one yet (only guest RAM memfds): refused", fd_kind_name(e[i].kind), e[i].name);
		return fail(u, EOPNOTSUPP, "this kernel cannot preserve %s fd %s across kexec "
			    "(LIVEUPDATE_SESSION_PRESERVE_FD: %s; Linux 7.2 preserves memfds only)", fd_kind_name(e[i].kind),
			    e[i].name, luo_strerror(-r));
	}
	close(s);
	return 0;
}

int vm_kexec_prepare(struct vm_update *u)
{
	struct vm_kexec *x = &u->kx;
	struct lu_kexec_info *k = &x->k;
	int r;

	u->err[0] = 0;
	x->kernel_fd = x->initrd_fd = x->dev_fd = -1;
	memset(k, 0, sizeof(*k));
	u->info = (struct vm_update_info){ .rehearse = x->rehearse };
	snprintf(u->info.binary, sizeof(u->info.binary), "(kexec)");
	if (strlen(x->session ? x->session : DEFAULT_SESSION) > LU_KEXEC_NAME_MAX)
		return fail(u, EINVAL, "a LUO session name has at most %d bytes", LU_KEXEC_NAME_MAX);
	snprintf(k->session, sizeof(k->session), "%s", x->session ? x->session : DEFAULT_SESSION);
	if (!k->session[0])
		return fail(u, EINVAL, "an empty LUO session name");
	snprintf(k->kernel, sizeof(k->kernel), "%s", x->kernel);
	if (x->cmdline) {
		if (strlen(x->cmdline) > LU_KEXEC_MAX_STR)
			return fail(u, EINVAL, "the command line is longer than %d bytes", LU_KEXEC_MAX_STR);
		snprintf(k->cmdline, sizeof(k->cmdline), "%s", x->cmdline);
	} else if ((r = read_cmdline(u, k->cmdline, sizeof(k->cmdline)))) {
		return r;
	}
	/* Without both the next kernel reads no KHO data and has no /dev/liveupdate: the VM would be lost. */
	if (!has_word(k->cmdline, "kho=on") || !has_word(k->cmdline, "liveupdate=on"))
		return fail(u, EINVAL, "the new kernel's command line lacks kho=on and liveupdate=on: it could not "
			    "take the session over (the VM would be lost)");
	if (u->vm->cfg->hugepages)
		return fail(u, EOPNOTSUPP, "--hugepages: LUO cannot preserve hugetlb memfds (mm/memfd_luo.c)");
	if (reopen_refusal(u->vm->cfg))
		return fail(u, EOPNOTSUPP, "%s", reopen_refusal(u->vm->cfg));
	x->kernel_fd = r = open_image(u, "kernel", x->kernel);
	if (r < 0)
		return r;
	if (x->initrd) {
		x->initrd_fd = r = open_image(u, "initrd", x->initrd);
		if (r < 0)
			goto err;
	}
	x->dev_fd = luo_open();
	if (x->dev_fd < 0) {
		r = fail(u, EOPNOTSUPP, "%s: %s (the running kernel needs CONFIG_LIVEUPDATE and kho=on liveupdate=on)",
			 LUO_DEV, strerror(-x->dev_fd));
		goto err;
	}
	r = probe(u);
	if (r)
		goto err;
	return 0;
err:
	vm_kexec_abort(u);
	return r;
}

static int kexec_load(struct vm_kexec *x)
{
	unsigned long flags = x->initrd_fd < 0 ? KEXEC_FILE_NO_INITRAMFS : 0;

	if (syscall(SYS_kexec_file_load, x->kernel_fd, x->initrd_fd, strlen(x->k.cmdline) + 1, x->k.cmdline, flags) < 0)
		return -errno;
	return 0;
}

static void kexec_unload(void)
{
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, (unsigned long)KEXEC_FILE_UNLOAD) < 0)
		pr_err("update: unloading the kexec kernel: %s", strerror(errno));
}

static uint64_t realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static json_object *answer(struct vm_update *u)
{
	struct vm_kexec *x = &u->kx;
	const struct vm_update_info *i = &u->info;
	json_object *o = json_object_new_object(), *t = json_object_new_object();

	if (!o || !t) {
		json_object_put(o);
		json_object_put(t);
		return NULL;
	}
	json_object_object_add(o, "mode", json_object_new_string("kexec"));
	json_object_object_add(o, "session", json_object_new_string(x->k.session));
	json_object_object_add(o, "kernel", json_object_new_string(x->k.kernel));
	json_object_object_add(o, "rehearse", json_object_new_boolean(x->rehearse));
	json_object_object_add(o, "ram_memfds", json_object_new_int64(x->nr_ram));
	json_object_object_add(o, "state_bytes", json_object_new_int64((int64_t)x->state_bytes));
	json_object_object_add(t, "pause", json_object_new_int64((int64_t)(i->t_paused - i->t_request) / 1000));
	json_object_object_add(t, "preserve", json_object_new_int64((int64_t)(x->k.t_preserved - i->t_paused) / 1000));
	json_object_object_add(t, "kexec_load", json_object_new_int64((int64_t)(x->k.t_loaded - x->k.t_preserved) / 1000));
	json_object_object_add(t, "save", json_object_new_int64((int64_t)(x->t_saved_end - x->k.t_loaded) / 1000));
	json_object_object_add(o, "phases_us", t);
	return o;
}

json_object *vm_kexec_rehearsal(struct vm_update *u)
{
	return answer(u);
}

/* The request's answer before the reboot: 202 and the phases so far; the client gets 2 s to read it. */
static void answer_and_wait(struct vm_update *u)
{
	json_object *o = answer(u);
	struct pollfd p = { .fd = u->conn_fd, .events = POLLIN | POLLRDHUP };
	char buf[256];

	if (u->conn_fd < 0 || !o) {
		json_object_put(o);
		return;
	}
	vm_update_reply_http(u->conn_fd, 202, "Accepted", "application/json",
			     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	pr_info("update: kexec: %s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	shutdown(u->conn_fd, SHUT_WR);
	/* Until the client closes its end (read returns 0), at most 2 s. */
	for (int waited = 0; waited < 2000; waited += 100) {
		if (poll(&p, 1, 100) > 0 && read(u->conn_fd, buf, sizeof(buf)) <= 0)
			break;
	}
}

int vm_kexec_commit(struct vm_update *u)
{
	struct vm_kexec *x = &u->kx;
	struct vm *vm = u->vm;
	struct lu_writer w;
	bool loaded = false;
	int r, s = -1, sfd = -1;

	lu_writer_init(&w);
	x->nr_ram = 0;
	vm_state_quiesce(vm);
	s = luo_session_create(x->dev_fd, x->k.session);
	if (s < 0) {
		r = fail(u, -s, "LIVEUPDATE_IOCTL_CREATE_SESSION %s: %s", x->k.session, luo_strerror(-s));
		goto out;
	}
	/* The guest RAM: LUO pins every page now (the paused guest writes nothing more). */
	for (unsigned int i = 0; i < vm->mem.nr; i++) {
		r = luo_preserve_fd(s, vm->mem.r[i].memfd, (uint64_t)vm->mem.r[i].memfd);
		if (r) {
			fail(u, -r, "preserving guest RAM memfd %d (0x%" PRIx64 " bytes): %s", vm->mem.r[i].memfd,
			     vm->mem.r[i].size, luo_strerror(-r));
			goto out;
		}
		x->nr_ram++;
	}
	x->k.t_preserved = vm_update_now_ns();
	r = kexec_load(x);
	if (r) {
		fail(u, -r, "kexec_file_load %.200s: %s", x->k.kernel, strerror(-r));
		goto out;
	}
	loaded = true;
	x->k.t_loaded = vm_update_now_ns();
	x->k.realtime_saved = realtime_ns();
	lu_host_counter(&x->k.counter_saved, &x->k.counter_hz);
	u->info.t_saved = x->k.t_loaded;
	r = vm_state_save(vm, &w, u->argc, u->argv, &u->info);
	if (!r)
		r = lu_kexec_save(&w, &x->k);
	if (!r)
		r = lu_fds_save(&w, &vm->fds, FD_GUEST_RAM);
	if (!r)
		r = lu_writer_finish(&w);
	if (r) {
		fail(u, r < 0 ? -r : EINVAL, "saving the VM state: %s (see nestvm's log)", strerror(r < 0 ? -r : EINVAL));
		goto out;
	}
	if (fail_inject("lu-corrupt-state"))
		w.buf[w.len / 2] ^= 0x40;
	sfd = lu_writer_to_memfd(&w, "nestvm-state");
	if (sfd < 0) {
		r = fail(u, -sfd, "sealing the state into a memfd: %s", strerror(-sfd));
		goto out;
	}
	{
		struct lu_state chk;

		r = vm_state_load(&chk, sfd);
		if (r)
			fail(u, EINVAL, "the saved state does not verify (%s): %.200s", lu_refusal_name(chk.refusal), chk.why);
		lu_state_free(&chk);
		if (r)
			goto out;
	}
	r = luo_preserve_fd(s, sfd, LU_KEXEC_STATE_TOKEN);
	if (r) {
		fail(u, -r, "preserving the state memfd: %s", luo_strerror(-r));
		goto out;
	}
	x->state_bytes = w.len;
	x->t_saved_end = vm_update_now_ns();
	if (x->rehearse) {
		pr_info("update: kexec rehearsal: session %s with %u RAM memfds and the state (%zu bytes), kernel "
			"loaded; undone", x->k.session, x->nr_ram, w.len);
		r = 0;
		goto out;
	}
	answer_and_wait(u);
	sync();
	pr_info("update: reboot into %s (session %s)", x->k.kernel, x->k.session);
	/* The session fd stays open up to here: LUO freezes and serializes it during the reboot. */
	if (syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_KEXEC, NULL) < 0)
		r = fail(u, errno, "reboot(LINUX_REBOOT_CMD_KEXEC): %s (the answer already went out as 202)",
			 strerror(errno));
	else
		r = fail(u, EIO, "reboot(LINUX_REBOOT_CMD_KEXEC) returned");
out:
	/* Closing the outgoing session unpreserves every fd in it (luo_session_release). */
	if (s >= 0)
		close(s);
	if (sfd >= 0)
		close(sfd);
	if (loaded)
		kexec_unload();
	vm_state_resume(vm);
	lu_writer_free(&w);
	if (r)
		pr_err("update: kexec: %s; the VM keeps running", u->err);
	return r;
}
