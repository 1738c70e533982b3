// SPDX-License-Identifier: GPL-2.0-only
/*
 * boottime [--ram BYTES] MARKER CMD [ARGS...]: runs CMD with its stdout+stderr on a pipe and prints
 * the time from exec to the first output line containing MARKER, and to CMD's exit, in microseconds,
 * and CMD's private memory when the marker came, in KiB:
 *   "marker_us=N exit_us=N status=S vmm_private_kb=N ram_private_kb=N"
 * (marker_us=-1 and the sizes -1 when the marker never came). Private memory is what
 * /proc/PID/smaps counts as Private_Clean + Private_Dirty + Private_Hugetlb: pages only this process
 * maps, whatever the mapping's kind (a MAP_SHARED memfd page mapped once is private too). The
 * mappings of at least BYTES (--ram: the guest RAM size) are counted apart as ram_private_kb, so
 * vmm_private_kb is the VMM's own footprint, measured the same way for any VMM whose guest RAM is
 * one mapping. Used by tools/bench/boot inside the testhost, where a shell's clock is too coarse.
 * The output is kept in boottime.out in the current directory.
 */
#include <errno.h>
#include <inttypes.h>
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

/*
 * Sums the private KiB of PID's mappings into *VMM_KB, or *RAM_KB for mappings of at least RAM
 * bytes. Returns -1 if smaps cannot be read (e.g. the process already exited).
 */
static int private_kb(pid_t pid, uint64_t ram, long long *vmm_kb, long long *ram_kb)
{
	char path[64], line[512];
	uint64_t lo, hi, size = 0;
	long long kb;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	*vmm_kb = *ram_kb = 0;
	while (fgets(line, sizeof(line), f)) {
		/* A mapping's header: "start-end perms offset dev inode [path]". */
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &lo, &hi) == 2 && hi > lo) {
			size = hi - lo;
			continue;
		}
		if (sscanf(line, "Private_Clean: %lld kB", &kb) == 1 || sscanf(line, "Private_Dirty: %lld kB", &kb) == 1 ||
		    sscanf(line, "Private_Hugetlb: %lld kB", &kb) == 1)
			*(ram && size >= ram ? ram_kb : vmm_kb) += kb;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	long long t0, marker = -1, end, vmm_kb = -1, ram_kb = -1;
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
			private_kb(pid, ram, &vmm_kb, &ram_kb);   /* the sizes stay -1 if it fails */
		}
		fputs(line, out);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("boottime: waitpid");
		return 1;
	}
	end = now_us() - t0;
	fclose(out);
	printf("marker_us=%lld exit_us=%lld status=%d vmm_private_kb=%lld ram_private_kb=%lld\n", marker, end,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), vmm_kb, ram_kb);
	return 0;
}
