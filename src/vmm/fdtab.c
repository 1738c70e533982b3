// SPDX-License-Identifier: GPL-2.0-only
/* The VM's fd table: ownership, lookup, the exec handover (FD_CLOEXEC) and leak counting. */
#include "vmm/fdtab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/log.h"

/* How a handed-over fd proves its kind: its file type, and for anon inodes their /proc/self/fd name. */
enum fd_check { CHECK_NONE, CHECK_CHR, CHECK_MEMFD, CHECK_FILE, CHECK_SOCK, CHECK_ANON, CHECK_ANON_PREFIX };

static const struct {
	const char *name;
	enum fd_check check;
	const char *link;   /* CHECK_ANON: the exact link; CHECK_ANON_PREFIX: its start */
} kinds[FD_KIND_COUNT] = {
	[FD_KVM] = { "kvm", CHECK_CHR, NULL },
	[FD_KVM_VM] = { "kvm-vm", CHECK_ANON, "anon_inode:kvm-vm" },
	[FD_KVM_VCPU] = { "kvm-vcpu", CHECK_ANON_PREFIX, "anon_inode:kvm-vcpu:" },
	[FD_KVM_DEVICE] = { "kvm-device", CHECK_ANON_PREFIX, "anon_inode:kvm-" },
	[FD_IOMMUFD] = { "iommufd", CHECK_CHR, NULL },
	[FD_IOMMUFD_EVENTQ] = { "iommufd-eventq", CHECK_ANON_PREFIX, "anon_inode:" },
	[FD_VFIO_DEVICE] = { "vfio-device", CHECK_CHR, NULL },
	[FD_GUEST_RAM] = { "guest-ram", CHECK_MEMFD, "/memfd:" },
	[FD_EVENTFD] = { "eventfd", CHECK_ANON, "anon_inode:[eventfd]" },
	[FD_IRQFD] = { "irqfd", CHECK_ANON, "anon_inode:[eventfd]" },
	[FD_DISK] = { "disk", CHECK_FILE, NULL },
	[FD_API_SOCKET] = { "api-socket", CHECK_SOCK, NULL },
	[FD_STATE] = { "state", CHECK_MEMFD, "/memfd:" },
	[FD_LOCAL] = { "local", CHECK_NONE, NULL },
	[FD_BINARY] = { "binary", CHECK_FILE, NULL },
	[FD_EVENT_MONITOR] = { "event-monitor", CHECK_NONE, NULL },
	/* dma-buf files are named by their pseudo filesystem's d_dname: "/dmabuf:<buffer name>". */
	[FD_DMABUF] = { "dmabuf", CHECK_ANON_PREFIX, "/dmabuf:" },
};

bool fdtab_kind_kept(enum fd_kind kind)
{
	switch (kind) {
	case FD_KVM: case FD_KVM_VM: case FD_KVM_VCPU: case FD_KVM_DEVICE: case FD_LOCAL:
	/* A new process exports its own BAR dma-bufs (vfio_pci_lu_quiesce unmaps the old ones). */
	case FD_DMABUF:
		return false;
	default:
		return (unsigned int)kind < FD_KIND_COUNT;
	}
}

const char *fd_kind_name(enum fd_kind kind)
{
	return (unsigned int)kind < FD_KIND_COUNT ? kinds[kind].name : NULL;
}

int fdtab_init(struct fdtab *t)
{
	int r;

	*t = (struct fdtab){ 0 };
	r = pthread_mutex_init(&t->lock, NULL);
	if (r)
		return err_num(r, "fdtab: pthread_mutex_init");
	return 0;
}

static struct fdtab_entry *find_fd(struct fdtab *t, int fd)
{
	for (unsigned int i = 0; i < t->nr; i++)
		if (t->e[i].fd == fd)
			return &t->e[i];
	return NULL;
}

static struct fdtab_entry *find_name(struct fdtab *t, enum fd_kind kind, const char *name)
{
	for (unsigned int i = 0; i < t->nr; i++)
		if (t->e[i].kind == kind && !strncmp(t->e[i].name, name, FDTAB_NAME_LEN))
			return &t->e[i];
	return NULL;
}

/* Room for N more entries (lock held). */
static int reserve(struct fdtab *t, unsigned int n)
{
	struct fdtab_entry *e;
	unsigned int cap;

	if (n > FDTAB_MAX - t->nr)
		return -EMFILE;
	if (t->nr + n <= t->cap)
		return 0;
	cap = t->cap ? t->cap : 32;
	while (cap < t->nr + n)
		cap *= 2;
	e = realloc(t->e, cap * sizeof(*e));
	if (!e)
		return -ENOMEM;
	t->e = e;
	t->cap = cap;
	return 0;
}

static void fill(struct fdtab_entry *e, int fd, enum fd_kind kind, const char *owner, const char *name)
{
	*e = (struct fdtab_entry){ .fd = fd, .kind = kind, .keep = fdtab_kind_kept(kind) };
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->owner, sizeof(e->owner), "%s", owner);
}

int fdtab_adopt(struct fdtab *t, int fd, enum fd_kind kind, const char *owner, const char *name)
{
	int r;

	if (fd < 0 || !t)
		return fd;
	if ((unsigned int)kind >= FD_KIND_COUNT) {
		pr_err("fdtab: fd %d (%s) of unknown kind %d", fd, name, (int)kind);
		close(fd);
		return -EINVAL;
	}
	pthread_mutex_lock(&t->lock);
	if (find_fd(t, fd)) {
		/* The kernel gave out a number we still hold: someone closed it behind the table's back. */
		pr_err("fdtab: fd %d (%s %s) is already registered as '%s': closed by its owner without fdtab_close?",
		       fd, kinds[kind].name, name, find_fd(t, fd)->name);
		r = -EEXIST;
	} else {
		r = reserve(t, 1);
		if (r)
			err_num(-r, "fdtab: registering fd %d (%s %s), %u registered", fd, kinds[kind].name, name, t->nr);
		else
			fill(&t->e[t->nr++], fd, kind, owner, name);
	}
	pthread_mutex_unlock(&t->lock);
	if (r) {
		if (r != -EEXIST)
			close(fd);
		return r;
	}
	return fd;
}

int fdtab_adoptf(struct fdtab *t, int fd, enum fd_kind kind, const char *owner, const char *fmt, ...)
{
	char name[FDTAB_NAME_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return fdtab_adopt(t, fd, kind, owner, name);
}

/* Removes E (lock held); order is kept, so snapshots list fds in registration order. */
static void drop(struct fdtab *t, struct fdtab_entry *e)
{
	unsigned int i = (unsigned int)(e - t->e);

	memmove(&t->e[i], &t->e[i + 1], (t->nr - i - 1) * sizeof(*e));
	t->nr--;
}

int fdtab_release(struct fdtab *t, int fd)
{
	struct fdtab_entry *e;

	if (!t)
		return fd;
	pthread_mutex_lock(&t->lock);
	e = find_fd(t, fd);
	if (e)
		drop(t, e);
	pthread_mutex_unlock(&t->lock);
	if (!e) {
		pr_err("fdtab: releasing fd %d that is not registered", fd);
		return -EBADF;
	}
	return fd;
}

int fdtab_close(struct fdtab *t, int fd)
{
	if (fd < 0)
		return 0;
	if (t && fdtab_release(t, fd) < 0)
		return -EBADF;   /* not ours to close (reported) */
	if (close(fd) < 0 && errno != EINTR)
		return err_errno("close fd %d", fd);   /* EINTR: Linux has closed it anyway */
	return 0;
}

bool fdtab_lookup_fd(struct fdtab *t, int fd, struct fdtab_entry *out)
{
	struct fdtab_entry *e;

	if (!t)
		return false;
	pthread_mutex_lock(&t->lock);
	e = find_fd(t, fd);
	if (e && out)
		*out = *e;
	pthread_mutex_unlock(&t->lock);
	return e != NULL;
}

int fdtab_lookup(struct fdtab *t, enum fd_kind kind, const char *name)
{
	struct fdtab_entry *e;
	int fd;

	if (!t)
		return -ENOENT;
	pthread_mutex_lock(&t->lock);
	e = find_name(t, kind, name);
	fd = e ? e->fd : -ENOENT;
	pthread_mutex_unlock(&t->lock);
	return fd;
}

unsigned int fdtab_count(struct fdtab *t, enum fd_kind kind)
{
	unsigned int n = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	for (unsigned int i = 0; i < t->nr; i++)
		n += kind == FD_KIND_COUNT || t->e[i].kind == kind;
	pthread_mutex_unlock(&t->lock);
	return n;
}

unsigned int fdtab_snapshot(struct fdtab *t, struct fdtab_entry *out, unsigned int max, bool keep_only)
{
	unsigned int n = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	for (unsigned int i = 0; i < t->nr; i++) {
		if (keep_only && !t->e[i].keep)
			continue;
		if (n < max)
			out[n] = t->e[i];
		n++;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

static int set_cloexec(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0 || fcntl(fd, F_SETFD, on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int fdtab_handover_begin(struct fdtab *t)
{
	unsigned int i;
	int r = 0;

	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nr; i++) {
		if (!t->e[i].keep)
			continue;
		r = set_cloexec(t->e[i].fd, false);
		if (r) {
			err_num(-r, "handover: clearing FD_CLOEXEC on fd %d (%s %s)", t->e[i].fd, kinds[t->e[i].kind].name,
				t->e[i].name);
			break;
		}
	}
	if (r) {
		while (i--)
			if (t->e[i].keep)
				set_cloexec(t->e[i].fd, true);
	} else {
		t->handover = true;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void fdtab_handover_cancel(struct fdtab *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	for (unsigned int i = 0; i < t->nr; i++) {
		int r = t->e[i].keep ? set_cloexec(t->e[i].fd, true) : 0;

		if (r)
			err_num(-r, "handover cancelled: setting FD_CLOEXEC on fd %d (%s %s)", t->e[i].fd,
				kinds[t->e[i].kind].name, t->e[i].name);
	}
	t->handover = false;
	pthread_mutex_unlock(&t->lock);
}

/* Whether fd E->fd is what its kind says; a reason in WHY when not. */
static bool identity_ok(const struct fdtab_entry *e, char *why, size_t why_size)
{
	const char *kn = kinds[e->kind].name, *want = kinds[e->kind].link;
	char path[32], link[128];
	struct stat sb;
	ssize_t n;
	bool ok;

	if (fstat(e->fd, &sb) < 0) {
		snprintf(why, why_size, "handed-over fd %d (%s %s): %s", e->fd, kn, e->name, strerror(errno));
		return false;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", e->fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	switch (kinds[e->kind].check) {
	case CHECK_CHR: ok = S_ISCHR(sb.st_mode); break;
	case CHECK_FILE: ok = S_ISREG(sb.st_mode) || S_ISBLK(sb.st_mode); break;
	case CHECK_SOCK: ok = S_ISSOCK(sb.st_mode); break;
	case CHECK_MEMFD: ok = S_ISREG(sb.st_mode) && !strncmp(link, want, strlen(want)); break;
	case CHECK_ANON: ok = !strcmp(link, want); break;
	case CHECK_ANON_PREFIX: ok = !strncmp(link, want, strlen(want)); break;
	default: ok = true; break;
	}
	if (!ok)
		snprintf(why, why_size, "handed-over fd %d (%s %s) is not a %s: it is %s (mode 0%o)", e->fd, kn, e->name, kn,
			 link[0] ? link : "?", (unsigned int)(sb.st_mode & S_IFMT));
	return ok;
}

static int check_entry(struct fdtab *t, const struct fdtab_entry *entries, unsigned int i, char *why, size_t why_size)
{
	const struct fdtab_entry *e = &entries[i];

	if ((unsigned int)e->kind >= FD_KIND_COUNT || !fdtab_kind_kept(e->kind)) {
		snprintf(why, why_size, "handed-over fd %d: kind %d is never handed over", e->fd, (int)e->kind);
		return -EINVAL;
	}
	if (e->fd < 0 || !memchr(e->name, 0, sizeof(e->name)) || !memchr(e->owner, 0, sizeof(e->owner))) {
		snprintf(why, why_size, "handed-over %s entry %u: fd %d, or a name without its NUL", kinds[e->kind].name, i,
			 e->fd);
		return -EINVAL;
	}
	for (unsigned int j = 0; j < i; j++) {
		if (entries[j].fd == e->fd || (entries[j].kind == e->kind && !strcmp(entries[j].name, e->name))) {
			snprintf(why, why_size, "handed-over fd %d (%s %s) listed twice", e->fd, kinds[e->kind].name, e->name);
			return -EINVAL;
		}
	}
	if (find_fd(t, e->fd) || find_name(t, e->kind, e->name)) {
		snprintf(why, why_size, "handed-over fd %d (%s %s) is already registered", e->fd, kinds[e->kind].name, e->name);
		return -EEXIST;
	}
	if (fcntl(e->fd, F_GETFD) < 0) {
		snprintf(why, why_size, "handed-over fd %d (%s %s) is not open in this process", e->fd, kinds[e->kind].name,
			 e->name);
		return -EBADF;
	}
	if (!identity_ok(e, why, why_size))
		return -EINVAL;
	return 0;
}

int fdtab_adopt_handed_over(struct fdtab *t, const struct fdtab_entry *entries, unsigned int nr, char *why,
			    size_t why_size)
{
	int r = 0;

	if (!t) {
		snprintf(why, why_size, "no fd table to adopt %u handed-over fds into", nr);
		return -EINVAL;
	}
	pthread_mutex_lock(&t->lock);
	for (unsigned int i = 0; i < nr && !r; i++)
		r = check_entry(t, entries, i, why, why_size);
	if (!r) {
		r = reserve(t, nr);
		if (r)
			snprintf(why, why_size, "registering %u handed-over fds: %s", nr, strerror(-r));
	}
	if (!r) {
		/* Checked open above, so F_SETFD cannot fail; close-on-exec again until the next handover. */
		for (unsigned int i = 0; i < nr; i++) {
			set_cloexec(entries[i].fd, true);
			fill(&t->e[t->nr++], entries[i].fd, entries[i].kind, entries[i].owner, entries[i].name);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

unsigned int fdtab_destroy(struct fdtab *t)
{
	unsigned int leaked;

	if (!t)
		return 0;
	leaked = t->nr;
	for (unsigned int i = 0; i < t->nr; i++) {
		pr_err("fd leak: fd %d (%s %s, owner %s) still registered at teardown", t->e[i].fd,
		       kinds[t->e[i].kind].name, t->e[i].name, t->e[i].owner);
		close(t->e[i].fd);
	}
	free(t->e);
	t->e = NULL;
	t->nr = t->cap = 0;
	pthread_mutex_destroy(&t->lock);
	return leaked;
}
