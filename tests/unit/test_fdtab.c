// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM's fd table: ownership (adopt, close, release, double adopt, closing what it does not own),
 * lookups and leak counts, the handover (FD_CLOEXEC cleared on exactly the kept fds, proven across a
 * real execve), the "fds" section, adoption in the new process (all or nothing, identity checked),
 * and its first users: guest RAM memfds and the iommufd context.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "liveupdate/fds_section.h"
#include "liveupdate/le.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "tap.h"
#include "vmm/fdtab.h"
#include "vmm/guest_mem.h"

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static bool cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	return f >= 0 && (f & FD_CLOEXEC);
}

static const char pattern[] = "guest memory survives the exec";

/*
 * The new process of the exec test: adopts the fds listed in the state memfd STATE_FD and checks
 * each is usable as what it was. Exit status 0 when all is well; a reason on stdout otherwise.
 */
static int child_restore(int state_fd)
{
	const struct lu_section_spec spec[] = { lu_fds_spec };
	struct lu_state st;
	struct fdtab t;
	char why[256], buf[sizeof(pattern)];
	uint64_t v = 0;
	int ram, efd, r;

	if (lu_state_load_fd(&st, state_fd, spec, 1)) {
		printf("# child: state refused: %s\n", st.why);
		return 1;
	}
	fdtab_init(&t);
	r = lu_fds_adopt(lu_state_find(&st, LU_FDS_TYPE, 0), &t, why, sizeof(why));
	lu_state_free(&st);
	if (r) {
		printf("# child: adopt: %s\n", why);
		return 2;
	}
	ram = fdtab_lookup(&t, FD_GUEST_RAM, "ram@0x40000000");
	efd = fdtab_lookup(&t, FD_IRQFD, "msix0");
	if (ram < 0 || efd < 0 || fdtab_count(&t, FD_KIND_COUNT) != 3 || !cloexec(ram)) {
		printf("# child: lookups %d %d, %u fds\n", ram, efd, fdtab_count(&t, FD_KIND_COUNT));
		return 3;
	}
	if (pread(ram, buf, sizeof(buf), 4096) != sizeof(buf) || memcmp(buf, pattern, sizeof(buf))) {
		printf("# child: guest RAM content lost\n");
		return 4;
	}
	if (read(efd, &v, sizeof(v)) != sizeof(v) || v != 5) {
		printf("# child: the eventfd's count is %llu, not 5\n", (unsigned long long)v);
		return 5;
	}
	return fdtab_destroy(&t) == 3 ? 0 : 6;   /* all three were still registered: "leaks" here by design */
}

static void test_ownership(void)
{
	struct fdtab t;
	struct fdtab_entry e;
	int efd, efd2, mfd;

	CHECK(fdtab_init(&t) == 0 && fdtab_count(&t, FD_KIND_COUNT) == 0, "an empty table");
	efd = fdtab_adopt(&t, eventfd(0, EFD_CLOEXEC), FD_EVENTFD, "virtio-blk", "queue0");
	mfd = fdtab_adoptf(&t, memfd_create("t", MFD_CLOEXEC), FD_GUEST_RAM, "guest_mem", "ram@0x%x", 0x1000);
	CHECK(efd >= 0 && mfd >= 0 && fdtab_count(&t, FD_KIND_COUNT) == 2 && fdtab_count(&t, FD_EVENTFD) == 1,
	      "two fds adopted, counted by kind");
	CHECK(fdtab_lookup(&t, FD_GUEST_RAM, "ram@0x1000") == mfd && fdtab_lookup(&t, FD_EVENTFD, "ram@0x1000") == -ENOENT,
	      "lookup by kind and name");
	CHECK(fdtab_lookup_fd(&t, efd, &e) && e.kind == FD_EVENTFD && !strcmp(e.name, "queue0") &&
	      !strcmp(e.owner, "virtio-blk") && e.keep, "lookup by fd: kind, name, owner, kept");
	CHECK(fdtab_adopt(&t, -ENOENT, FD_KVM, "vm", "kvm") == -ENOENT && fdtab_count(&t, FD_KIND_COUNT) == 2,
	      "a failed open's -errno passes through, nothing registered");
	CHECK(fdtab_adopt(&t, efd, FD_EVENTFD, "x", "again") == -EEXIST && is_open(efd) &&
	      fdtab_count(&t, FD_KIND_COUNT) == 2, "a double adopt is refused and closes nothing");
	efd2 = eventfd(0, EFD_CLOEXEC);
	CHECK(fdtab_close(&t, efd2) == -EBADF && is_open(efd2), "closing an fd the table does not own: refused, left open");
	CHECK(fdtab_adopt(&t, efd2, (enum fd_kind)99, "x", "bad kind") == -EINVAL && !is_open(efd2),
	      "an unknown kind: refused, and the fd (handed over) closed");
	CHECK(fdtab_close(&t, efd) == 0 && !is_open(efd) && fdtab_count(&t, FD_KIND_COUNT) == 1, "close: closed, forgotten");
	CHECK(fdtab_release(&t, mfd) == mfd && is_open(mfd) && fdtab_count(&t, FD_KIND_COUNT) == 0,
	      "release: forgotten, still open (the caller's again)");
	CHECK(fdtab_adopt(NULL, mfd, FD_GUEST_RAM, "x", "y") == mfd && fdtab_close(NULL, mfd) == 0 && !is_open(mfd),
	      "no table: adopt is a no-op, close closes");
	efd = fdtab_adopt(&t, eventfd(0, EFD_CLOEXEC), FD_EVENTFD, "leaky", "forgotten");
	CHECK(fdtab_destroy(&t) == 1 && !is_open(efd), "destroy reports 1 leaked fd and closes it");
}

/* The table's first users: guest RAM and the iommufd context register what they open. */
static void test_users(void)
{
	struct guest_mem gm = { 0 };
	struct iommufd_ctx c;
	struct fdtab t;
	int fd;

	fdtab_init(&t);
	gm.fds = &t;
	CHECK(gmem_add_ram(&gm, 0x40000000, 2 << 20, false) == 0 && fdtab_count(&t, FD_GUEST_RAM) == 1 &&
	      fdtab_lookup(&t, FD_GUEST_RAM, "ram@0x40000000") == gm.r[0].memfd, "guest RAM registers its memfd");
	CHECK(gmem_add_ram(&gm, 0x40000000, 2 << 20, false) == -EEXIST && fdtab_count(&t, FD_KIND_COUNT) == 1,
	      "an overlapping region fails before opening anything");
	fd = gm.r[0].memfd;
	gmem_destroy(&gm);
	CHECK(fdtab_count(&t, FD_KIND_COUNT) == 0 && !is_open(fd), "gmem_destroy closes it through the table");

	/* --iommufd fd=N that is no iommufd: adopted, found wanting, closed through the table. */
	iommufd_ctx_init(&c, &t);
	fd = eventfd(0, EFD_CLOEXEC);
	CHECK(iommufd_ctx_open(&c, fd) < 0 && c.fd == -1 && !is_open(fd) && fdtab_count(&t, FD_KIND_COUNT) == 0,
	      "a passed fd that is not an iommufd: refused, closed, nothing left registered");
	CHECK(fdtab_destroy(&t) == 0, "no leaks");
}

static void test_handover(const char *self)
{
	struct fdtab t;
	struct lu_writer w;
	struct lu_state st;
	const struct lu_section_spec spec[] = { lu_fds_spec };
	struct fdtab_entry *e = NULL;
	unsigned int nr = 0;
	char why[256], arg[16];
	int ram, irq, sock, local, sfd, status = -1;
	uint64_t five = 5;
	pid_t pid;

	fdtab_init(&t);
	ram = fdtab_adopt(&t, memfd_create("nestvm-ram", MFD_CLOEXEC), FD_GUEST_RAM, "guest_mem", "ram@0x40000000");
	irq = fdtab_adopt(&t, eventfd(0, EFD_CLOEXEC), FD_IRQFD, "pci_msix", "msix0");
	sock = fdtab_adopt(&t, socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), FD_API_SOCKET, "api", "api");
	local = fdtab_adopt(&t, eventfd(0, EFD_CLOEXEC), FD_LOCAL, "evloop", "wake");
	CHECK(ram >= 0 && irq >= 0 && sock >= 0 && local >= 0 && ftruncate(ram, 8192) == 0 &&
	      pwrite(ram, pattern, sizeof(pattern), 4096) == sizeof(pattern) && write(irq, &five, 8) == 8,
	      "four fds: guest RAM with a pattern, an irqfd counting 5, the API socket, a local wake fd");
	CHECK(fdtab_snapshot(&t, NULL, 0, true) == 3 && fdtab_snapshot(&t, NULL, 0, false) == 4,
	      "three are handed over, the local one is not");

	/* The "fds" section, as the old process writes it. */
	lu_writer_init(&w);
	CHECK(lu_fds_save(&w, &t, FD_KIND_COUNT) == 0 && lu_writer_finish(&w) == 0, "fds section written");
	CHECK(lu_state_parse(&st, w.buf, w.len, spec, 1) == 0 && lu_fds_decode(lu_state_find(&st, LU_FDS_TYPE, 0), &e, &nr,
	      why, sizeof(why)) == 0 && nr == 3 && e[0].fd == ram && e[0].kind == FD_GUEST_RAM &&
	      !strcmp(e[0].name, "ram@0x40000000") && !strcmp(e[0].owner, "guest_mem") && e[1].fd == irq &&
	      e[2].kind == FD_API_SOCKET, "decoded: kind, fd number, name, owner, in order, no local fd");
	lu_state_free(&st);
	free(e);
	sfd = lu_writer_to_memfd(&w, "nestvm-state");
	lu_writer_free(&w);
	/* Across a kexec only the RAM memfds are preserved: the section lists those alone. */
	lu_writer_init(&w);
	CHECK(lu_fds_save(&w, &t, FD_GUEST_RAM) == 0 && lu_writer_finish(&w) == 0 &&
	      lu_state_parse(&st, w.buf, w.len, spec, 1) == 0 && lu_fds_decode(lu_state_find(&st, LU_FDS_TYPE, 0), &e, &nr,
	      why, sizeof(why)) == 0 && nr == 1 && e[0].fd == ram && e[0].kind == FD_GUEST_RAM,
	      "fds section of one kind (the kexec's): only the guest RAM memfd");
	lu_state_free(&st);
	free(e);
	lu_writer_free(&w);

	CHECK(fdtab_handover_begin(&t) == 0 && !cloexec(ram) && !cloexec(irq) && !cloexec(sock) && cloexec(local),
	      "handover: FD_CLOEXEC cleared on the kept fds only");
	/* A real execve: the new image adopts the listed fds from the state memfd. */
	fcntl(sfd, F_SETFD, 0);
	snprintf(arg, sizeof(arg), "%d", sfd);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(self, self, "--restore", arg, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "after execve the new process adopts RAM (content intact), irqfd (count intact), socket (status %d)",
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* The local fd did not cross: the new image checks its own fd table. */
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "test -e /proc/self/fd/%d", local);
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 1,
		      "the local fd is not in the exec'd process");
	}
	fdtab_handover_cancel(&t);
	CHECK(cloexec(ram) && cloexec(irq) && cloexec(sock) && cloexec(local), "cancelled: every fd close-on-exec again");
	close(sfd);
	CHECK(fdtab_destroy(&t) == 4, "the test's four fds are closed by destroy");
}

/* Adoption in the new process, all or nothing: simulated in this process with a second table. */
static void test_adopt_refusals(void)
{
	struct fdtab t;
	struct fdtab_entry e[3];
	char why[256];
	int ram = memfd_create("nestvm-ram", MFD_CLOEXEC), efd = eventfd(0, EFD_CLOEXEC);
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	fcntl(ram, F_SETFD, 0);   /* as after an exec: not close-on-exec yet */
	fdtab_init(&t);
	memset(e, 0, sizeof(e));
	e[0] = (struct fdtab_entry){ .fd = ram, .kind = FD_GUEST_RAM, .keep = true, .name = "ram0", .owner = "guest_mem" };
	e[1] = (struct fdtab_entry){ .fd = efd, .kind = FD_EVENTFD, .keep = true, .name = "q0", .owner = "virtio" };
	e[2] = (struct fdtab_entry){ .fd = sock, .kind = FD_GUEST_RAM, .keep = true, .name = "ram1", .owner = "guest_mem" };
	CHECK(fdtab_adopt_handed_over(&t, e, 3, why, sizeof(why)) == -EINVAL && strstr(why, "not a guest-ram") &&
	      fdtab_count(&t, FD_KIND_COUNT) == 0 && !cloexec(ram), "a socket listed as guest RAM: nothing adopted (%s)", why);
	e[2] = (struct fdtab_entry){ .fd = efd, .kind = FD_IRQFD, .keep = true, .name = "x", .owner = "y" };
	CHECK(fdtab_adopt_handed_over(&t, e, 3, why, sizeof(why)) == -EINVAL && strstr(why, "twice") &&
	      fdtab_count(&t, FD_KIND_COUNT) == 0, "one fd listed twice: %s", why);
	e[2] = (struct fdtab_entry){ .fd = 1000, .kind = FD_IRQFD, .keep = true, .name = "x", .owner = "y" };
	CHECK(fdtab_adopt_handed_over(&t, e, 3, why, sizeof(why)) == -EBADF && fdtab_count(&t, FD_KIND_COUNT) == 0,
	      "a listed fd that is not open: %s", why);
	e[2] = (struct fdtab_entry){ .fd = sock, .kind = FD_LOCAL, .keep = true, .name = "x", .owner = "y" };
	CHECK(fdtab_adopt_handed_over(&t, e, 3, why, sizeof(why)) == -EINVAL, "a local fd listed: %s", why);
	e[2] = (struct fdtab_entry){ .fd = sock, .kind = FD_EVENTFD, .keep = true, .name = "q1", .owner = "y" };
	CHECK(fdtab_adopt_handed_over(&t, e, 3, why, sizeof(why)) == -EINVAL && strstr(why, "not a eventfd"),
	      "a socket listed as an eventfd: %s", why);
	e[2] = (struct fdtab_entry){ .fd = sock, .kind = FD_API_SOCKET, .keep = true, .name = "api", .owner = "api" };
	CHECK(fdtab_adopt_handed_over(&t, e, 3, why, sizeof(why)) == 0 && fdtab_count(&t, FD_KIND_COUNT) == 3 &&
	      cloexec(ram) && fdtab_lookup(&t, FD_EVENTFD, "q0") == efd, "a consistent list: all adopted, close-on-exec again");
	CHECK(fdtab_adopt_handed_over(&t, e, 1, why, sizeof(why)) == -EEXIST && fdtab_count(&t, FD_KIND_COUNT) == 3,
	      "adopting an fd twice: %s", why);
	CHECK(fdtab_destroy(&t) == 3, "closed");
}

/* The "fds" section's own validation (the part fuzz_state_format also exercises). */
static void test_decode_refusals(void)
{
	struct lu_section s = { .type = "fds", .version = 1 };
	uint8_t p[4 + LU_FDS_ENTRY_LEN + 1] = { 0 };
	struct fdtab_entry *e;
	unsigned int nr;
	char why[256];

	s.data = p;
	s.len = 4 + LU_FDS_ENTRY_LEN;
	le32_store(p, 1);
	le32_store(p + 4, FD_EVENTFD);
	le32_store(p + 8, 7);
	strcpy((char *)p + 12, "q0");
	strcpy((char *)p + 52, "virtio");
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) == 0 && nr == 1 && e[0].fd == 7 && e[0].kind == FD_EVENTFD,
	      "one entry decodes");
	free(e);
	le32_store(p, FDTAB_MAX + 1);
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0 && !e && !nr, "count over FDTAB_MAX: %s", why);
	le32_store(p, 2);
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0, "count past the payload: %s", why);
	le32_store(p, 1);
	le32_store(p + 4, FD_KIND_COUNT);
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0, "unknown kind: %s", why);
	le32_store(p + 4, FD_LOCAL);
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0, "local kind: %s", why);
	le32_store(p + 4, FD_KVM_VM);
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0, "a KVM VM fd (bound to the old mm): %s", why);
	CHECK(!fdtab_kind_kept(FD_KVM) && !fdtab_kind_kept(FD_KVM_VCPU) && !fdtab_kind_kept(FD_KVM_DEVICE) &&
	      fdtab_kind_kept(FD_BINARY) && fdtab_kind_kept(FD_EVENT_MONITOR) && !fdtab_kind_kept(FD_KIND_COUNT),
	      "KVM kinds stay behind, the binary and event stream cross");
	le32_store(p + 4, FD_DMABUF);
	CHECK(!fdtab_kind_kept(FD_DMABUF) && lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0,
	      "a P2P dma-buf stays behind (the new process exports its own): %s", why);
	le32_store(p + 4, FD_EVENTFD);
	le32_store(p + 8, (uint32_t)INT_MAX + 1);
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0, "fd over INT_MAX: %s", why);
	le32_store(p + 8, 7);
	memset(p + 12, 'a', FDTAB_NAME_LEN);
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0, "name without NUL: %s", why);
	memset(p + 12, 0, FDTAB_NAME_LEN);
	p[12 + 5] = 'x';
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0, "bytes after the name's NUL: %s", why);
	p[12 + 5] = 0;
	s.len++;
	CHECK(lu_fds_decode(&s, &e, &nr, why, sizeof(why)) < 0 && strstr(why, "unread"), "a byte too many: %s", why);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--restore"))
		return child_restore(atoi(argv[2]));
	test_ownership();
	test_users();
	test_handover("/proc/self/exe");
	test_adopt_refusals();
	test_decode_refusals();
	return tap_done();
}
