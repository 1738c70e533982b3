// SPDX-License-Identifier: GPL-2.0-only
/*
 * boottime [--ram BYTES] MARKER CMD [ARGS...]: runs CMD with its stdout+stderr on a pipe and prints
 * the time from exec to the first output line containing MARKER, and to CMD's exit, in microseconds,
 * and CMD's private memory when the marker came, in KiB:
 *   "marker_us=N exit_us=N status=S vmm_private_kb=N vmm_dirty_kb=N ram_private_kb=N ram_huge_kb=N"
 * (marker_us=-1 and the sizes -1 when the marker never came). Private memory is what
 * /proc/PID/smaps counts as Private_Clean + Private_Dirty + Private_Hugetlb: pages only this process
 * maps, whatever the mapping's kind (a MAP_SHARED memfd page mapped once is private too). The
 * mappings of at least BYTES (--ram: the guest RAM size) are counted apart as ram_private_kb, so
 * vmm_private_kb is the VMM's own footprint, measured the same way for any VMM whose guest RAM is
 * one mapping; vmm_dirty_kb is its Private_Dirty part (clean file pages, the VMM's code, would be
 * shared by a second instance). ram_huge_kb: guest RAM mapped by huge pages (THP, anonymous or
 * shmem, or hugetlb), which decides how KVM can map it into the guest (stage 2 / EPT block sizes). Used by tools/bench/boot inside the testhost, where a shell's clock is too coarse.
 * The output is kept in boottime.out in the current directory.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

struct footprint {
	long long vmm_kb, vmm_dirty_kb, ram_kb, ram_huge_kb;
};

/* FIELD's kB value if LINE is "FIELD: N kB". */
static int field_kb(const char *line, const char *field, long long *kb)
{
	size_t n = strlen(field);

	return !strncmp(line, field, n) && line[n] == ':' && sscanf(line + n + 1, "%lld", kb) == 1;
}

/*
 * PID's private memory in and out of the mappings of at least RAM bytes (0: none is RAM). Returns
 * -1 if smaps cannot be read (e.g. the process already exited).
 */
static int footprint(pid_t pid, uint64_t ram, struct footprint *fp)
{
	char path[64], line[512];
	uint64_t lo, hi, size = 0;
	bool is_ram = false;
	long long kb;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	*fp = (struct footprint){ 0 };
	while (fgets(line, sizeof(line), f)) {
		/* A mapping's header: "start-end perms offset dev inode [path]". */
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &lo, &hi) == 2 && hi > lo) {
			size = hi - lo;
			is_ram = ram && size >= ram;
			continue;
		}
		if (field_kb(line, "Private_Clean", &kb) || field_kb(line, "Private_Hugetlb", &kb)) {
			*(is_ram ? &fp->ram_kb : &fp->vmm_kb) += kb;
		} else if (field_kb(line, "Private_Dirty", &kb)) {
			*(is_ram ? &fp->ram_kb : &fp->vmm_kb) += kb;
			if (!is_ram)
				fp->vmm_dirty_kb += kb;
		}
		if (is_ram && (field_kb(line, "AnonHugePages", &kb) || field_kb(line, "ShmemPmdMapped", &kb) ||
			       field_kb(line, "FilePmdMapped", &kb) || field_kb(line, "Private_Hugetlb", &kb) ||
			       field_kb(line, "Shared_Hugetlb", &kb)))
			fp->ram_huge_kb += kb;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct footprint fp = { -1, -1, -1, -1 };
	long long t0, marker = -1, end;
	unsigned long long ram = 0;
	char line[4096], *e;
	int p[2], status;
	FILE *in, *out;
	pid_t pid;

	if (argc > 2 && !strcmp(argv[1], "--ram")) {
		errno = 0;
		ram = strtoull(argv[2], &e, 10);
		if (errno || *e || !ram) {
			fprintf(stderr, "boottime: --ram takes a size in bytes\n");
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: boottime [--ram BYTES] MARKER CMD [ARGS...]\n");
		return 2;
	}
	if (pipe(p)) {
		perror("boottime: pipe");
		return 1;
	}
	out = fopen("boottime.out", "w");
	if (!out) {
		perror("boottime: boottime.out");
		return 1;
	}
	t0 = now_us();
	pid = fork();
	if (pid < 0) {
		perror("boottime: fork");
		return 1;
	}
	if (!pid) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "boottime: exec %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	if (!in) {
		perror("boottime: fdopen");
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		if (marker < 0 && strstr(line, argv[1])) {
			marker = now_us() - t0;
			if (footprint(pid, ram, &fp))
				fp = (struct footprint){ -1, -1, -1, -1 };
		}
		fputs(line, out);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("boottime: waitpid");
		return 1;
	}
	end = now_us() - t0;
	fclose(out);
	printf("marker_us=%lld exit_us=%lld status=%d vmm_private_kb=%lld vmm_dirty_kb=%lld ram_private_kb=%lld "
	       "ram_huge_kb=%lld\n", marker, end, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       fp.vmm_kb, fp.vmm_dirty_kb, fp.ram_kb, fp.ram_huge_kb);
	return 0;
}
