// SPDX-License-Identifier: GPL-2.0-only
/*
 * boottime MARKER CMD [ARGS...]: runs CMD with its stdout+stderr on a pipe and prints the time from
 * exec to the first output line containing MARKER, and to CMD's exit, in microseconds:
 *   "marker_us=N exit_us=N status=S"
 * (marker_us=-1 when the marker never came). Used by tools/bench/boot inside the testhost, where a
 * shell's clock is too coarse. The output is kept in boottime.out in the current directory.
 */
#include <errno.h>
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

int main(int argc, char **argv)
{
	long long t0, marker = -1, end;
	char line[4096];
	int p[2], status;
	FILE *in, *out;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: boottime MARKER CMD [ARGS...]\n");
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
		if (marker < 0 && strstr(line, argv[1]))
			marker = now_us() - t0;
		fputs(line, out);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("boottime: waitpid");
		return 1;
	}
	end = now_us() - t0;
	fclose(out);
	printf("marker_us=%lld exit_us=%lld status=%d\n", marker, end,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
