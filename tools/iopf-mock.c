// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopf-mock: the page-request source of tests/testhost/iopf.sh (test builds, -Diommufd_test=true;
 * needs a kernel with CONFIG_IOMMUFD_TEST). It opens /dev/iommu, makes an IOAS and on it a mock
 * device (IOMMU_TEST_OP_MOCK_DOMAIN), runs nestvm on the same iommufd with that device as the
 * page-request source of a guest StreamID (--iommufd fd=N --iopf-mock ...), and then, for each line
 * on its stdin,
 *     trigger GRPID ADDR [PERM [PASID]]
 * raises a PRI page request of the mock device (IOMMU_TEST_OP_TRIGGER_IOPF: one request with
 * LAST_PAGE; PERM 1 read, 2 write, 3 both (the default); PASID 0: none). It answers each line with
 * "iopf-mock: triggered ..." or the error on stderr, where nestvm's messages go too (its stdout is
 * the guest's console alone). At end of input it waits for nestvm and exits
 * with its status (1 on its own errors, 2 on usage).
 *
 * usage: iopf-mock [--sid N] [--timeout-ms N] -- NESTVM-COMMAND...
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iommu/iommufd_mock.h"

static int die(const char *what)
{
	fprintf(stderr, "iopf-mock: %s: %s\n", what, strerror(errno));
	return 1;
}

static int trigger(int fd, uint32_t dev_id, const char *line)
{
	unsigned long long addr;
	unsigned int grpid, perm = 3, pasid = 0;
	int n = sscanf(line, "trigger %u %llx %u %u", &grpid, &addr, &perm, &pasid);
	struct iommu_test_cmd c = { .size = sizeof(c), .op = IOMMU_TEST_OP_TRIGGER_IOPF };

	if (n < 2) {
		fprintf(stderr, "iopf-mock: unknown command: %s", line);
		return -1;
	}
	c.trigger_iopf.dev_id = dev_id;
	c.trigger_iopf.grpid = grpid;
	c.trigger_iopf.addr = addr;
	c.trigger_iopf.perm = perm;
	c.trigger_iopf.pasid = pasid;
	if (ioctl(fd, IOMMU_TEST_CMD, &c)) {
		fprintf(stderr, "iopf-mock: IOMMU_TEST_OP_TRIGGER_IOPF grpid %u: %s\n", grpid, strerror(errno));
		return -1;
	}
	fprintf(stderr, "iopf-mock: triggered grpid %u addr 0x%llx perm %u pasid %u\n", grpid, addr, perm, pasid);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int sid = 0x10, timeout_ms = 0;
	struct iommu_ioas_alloc ia = { .size = sizeof(ia) };
	struct iommu_test_cmd md = { .size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	char fdarg[32], mockarg[160], line[256];
	char **args;
	int i, fd, status, nargs;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--sid") && i + 1 < argc)
			sid = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
			timeout_ms = (unsigned int)strtoul(argv[++i], NULL, 0);
		else
			break;
	}
	if (i >= argc - 1 || strcmp(argv[i], "--")) {
		fprintf(stderr, "usage: iopf-mock [--sid N] [--timeout-ms N] -- NESTVM-COMMAND...\n");
		return 2;
	}
	i++;
	fd = open("/dev/iommu", O_RDWR);     /* inherited by nestvm: no O_CLOEXEC */
	if (fd < 0)
		return die("/dev/iommu");
	if (fd < 3) {
		int d = fcntl(fd, F_DUPFD, 3);

		if (d < 0)
			return die("F_DUPFD");
		close(fd);
		fd = d;
	}
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &ia))
		return die("IOMMU_IOAS_ALLOC");
	md.id = ia.out_ioas_id;
	if (ioctl(fd, IOMMU_TEST_CMD, &md))
		return die("IOMMU_TEST_OP_MOCK_DOMAIN (is CONFIG_IOMMUFD_TEST on?)");
	fprintf(stderr, "iopf-mock: mock device dev_id %u stdev_id %u hwpt %u on IOAS %u as StreamID 0x%x\n",
	       md.mock_domain.out_idev_id, md.mock_domain.out_stdev_id, md.mock_domain.out_hwpt_id, ia.out_ioas_id, sid);
	snprintf(fdarg, sizeof(fdarg), "fd=%d", fd);
	snprintf(mockarg, sizeof(mockarg), "dev_id=%u,stdev_id=%u,hwpt=%u,sid=%u", md.mock_domain.out_idev_id,
		      md.mock_domain.out_stdev_id, md.mock_domain.out_hwpt_id, sid);
	if (timeout_ms)
		snprintf(mockarg + strlen(mockarg), sizeof(mockarg) - strlen(mockarg), ",timeout_ms=%u", timeout_ms);
	nargs = argc - i;
	args = calloc((size_t)nargs + 5, sizeof(*args));
	if (!args)
		return die("calloc");
	for (int k = 0; k < nargs; k++)
		args[k] = argv[i + k];
	args[nargs] = "--iommufd";
	args[nargs + 1] = fdarg;
	args[nargs + 2] = "--iopf-mock";
	args[nargs + 3] = mockarg;
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* Our stdin is the harness's command stream, not the guest's console input. */
		if (null < 0 || dup2(null, 0) < 0)
			_exit(die("/dev/null"));
		execvp(args[0], args);
		_exit(die(args[0]));
	}
	while (fgets(line, sizeof(line), stdin)) {
		trigger(fd, md.mock_domain.out_idev_id, line);
	}
	if (waitpid(pid, &status, 0) < 0)
		return die("waitpid");
	close(fd);
	free(args);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "iopf-mock: nestvm killed by signal %d\n", WTERMSIG(status));
		return 1;
	}
	return WEXITSTATUS(status);
}
