// SPDX-License-Identifier: GPL-2.0-only
/*
 * iopf_l2: answers I/O page faults through L2's own kernel. It runs in a Linux 7.2 guest whose
 * intel-iommu driver owns nestvm's emulated VT-d (scalable mode), on nestvm's iopf test function
 * (1234:11e9, a PCIe endpoint with ATS and PRI and no BARs), and closes the chain
 *   mock IOPF in L1 (tools/iopf-mock) -> nestvm -> the vVT-d's page request queue -> L2's
 *   intel-iommu -> L2's iommufd fault queue -> this program -> a page group response (write() to
 *   the fault fd) -> L2's intel-iommu -> the vVT-d's invalidation queue -> nestvm -> L1's kernel.
 * (tests/guest/vtd_prq plays the driver by hand instead.)
 *
 * Setup (include/uapi/linux/iommufd.h, vfio.h): the function bound to vfio-pci, its cdev bound to
 * /dev/iommu, an IOAS, a fault queue (IOMMU_FAULT_QUEUE_ALLOC), a paging HWPT on the IOAS that
 * reports its faults there (IOMMU_HWPT_FAULT_ID_VALID), the function attached to it; then one line
 *   iopf-l2: ready dev_id D hwpt H fault F
 * Every failure is "iopf_l2: STEP: strerror" on stderr and exit 1.
 *
 * Then it reads struct iommu_hwpt_pgfault records from the fault fd (the kernel hands out whole
 * groups; a group ends with the record flagged IOMMU_PGFAULT_FLAGS_LAST_PAGE, whose cookie the
 * response echoes), one line per record, and answers each group once with struct
 * iommu_hwpt_page_response, Success unless its PRG index is listed with --invalid; a group listed
 * with --hold is not answered (the kernel answers it Invalid when the program exits: closing the
 * fds detaches the function and frees the fault queue). Lines (stdout):
 *   iopf-l2: fault grpid G addr 0xA perm P flags 0xF pasid S cookie C
 *   iopf-l2: answered grpid G cookie C code success|invalid
 *   iopf-l2: holding grpid G cookie C
 *   iopf-l2: done N                      (--count N groups answered: exit 0)
 *   iopf-l2: timeout after N groups      (nothing came for --timeout-ms: exit 1)
 */
#include "guest_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define IOPF_VENDOR 0x1234
#define IOPF_DEVICE 0x11e9
#define MAX_LISTED  64          /* --invalid and --hold entries, each */
#define MAX_RECORDS 512         /* records per read: a group larger than that cannot be read */

struct grp_list {
	unsigned int n;
	uint32_t grpid[MAX_LISTED];
};

struct opts {
	const char *dev;
	int timeout_ms;
	unsigned long count;    /* 0: no limit */
	struct grp_list invalid, hold;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: iopf_l2 [--device BDF] [--timeout-ms N] [--count N] [--invalid GRPID]... [--hold GRPID]...\n"
		   "Receives the page requests of nestvm's iopf test function on an iommufd fault queue of L2's\n"
		   "kernel and answers them (see the source's header).\n"
		   "  --device BDF     PCI address (default: the first 1234:11e9); bound to vfio-pci\n"
		   "  --timeout-ms N   wait at most N ms for the next faults (default 60000), then exit 1\n"
		   "  --count N        exit 0 after N groups answered (default: no limit)\n"
		   "  --invalid GRPID  answer groups with this PRG index Invalid Request (else Success)\n"
		   "  --hold GRPID     do not answer groups with this PRG index (not counted; the kernel\n"
		   "                   answers them Invalid when the program exits)\n");
}

static int listed(const struct grp_list *l, uint32_t grpid)
{
	for (unsigned int i = 0; i < l->n; i++)
		if (l->grpid[i] == grpid)
			return 1;
	return 0;
}

/* Parses a number in [MIN, MAX] into *v: 0, or -1 after saying what was wrong. */
static int parse_num(const char *opt, const char *arg, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || *v < min || *v > max) {
		fprintf(stderr, "iopf_l2: bad %s '%s'\n", opt, arg);
		return -1;
	}
	return 0;
}

static int add_grpid(struct grp_list *l, const char *opt, const char *arg)
{
	unsigned long v;

	if (parse_num(opt, arg, 0, UINT32_MAX, &v))
		return -1;
	if (l->n == MAX_LISTED) {
		fprintf(stderr, "iopf_l2: more than %d %s\n", MAX_LISTED, opt);
		return -1;
	}
	l->grpid[l->n++] = (uint32_t)v;
	return 0;
}

/* The fault queue's fd into *fault_fd. The cdev and the iommufd stay open until exit (closing
 * either detaches the function). */
static int setup(const char *bdf, int *fault_fd)
{
	struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
	struct iommu_fault_alloc fault = { .size = sizeof(fault) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt), .flags = IOMMU_HWPT_FAULT_ID_VALID, .data_type = IOMMU_HWPT_DATA_NONE,
	};
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	char path[PATH_MAX];
	int dev, iommufd;

	if (gu_bind_vfio(bdf) || gu_vfio_cdev(bdf, path, sizeof(path)))
		return -1;
	dev = open(path, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return gu_errno("open %s", path);
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0)
		return gu_errno("open /dev/iommu");
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &ioas))
		return gu_errno("IOMMU_IOAS_ALLOC");
	if (ioctl(iommufd, IOMMU_FAULT_QUEUE_ALLOC, &fault))
		return gu_errno("IOMMU_FAULT_QUEUE_ALLOC");
	bind.iommufd = iommufd;
	if (ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		return gu_errno("VFIO_DEVICE_BIND_IOMMUFD %s", path);
	hwpt.dev_id = bind.out_devid;
	hwpt.pt_id = ioas.out_ioas_id;
	hwpt.fault_id = fault.out_fault_id;
	if (ioctl(iommufd, IOMMU_HWPT_ALLOC, &hwpt))
		return gu_errno("IOMMU_HWPT_ALLOC (fault-capable)");
	attach.pt_id = hwpt.out_hwpt_id;
	if (ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		return gu_errno("VFIO_DEVICE_ATTACH_IOMMUFD_PT hwpt %u", hwpt.out_hwpt_id);
	printf("iopf-l2: ready dev_id %u hwpt %u fault %u\n", bind.out_devid, hwpt.out_hwpt_id, fault.out_fault_id);
	fflush(stdout);
	*fault_fd = (int)fault.out_fault_fd;
	return 0;
}

/* Answers the group whose last record is R: 0, or -errno. */
static int answer(int fd, const struct iommu_hwpt_pgfault *r, uint32_t code)
{
	struct iommu_hwpt_page_response resp = { .cookie = r->cookie, .code = code };
	ssize_t n = write(fd, &resp, sizeof(resp));

	if (n < 0)
		return gu_errno("write of the response to grpid %u cookie %u", r->grpid, r->cookie);
	if (n != (ssize_t)sizeof(resp))
		return gu_err(EIO, "write of the response to grpid %u cookie %u: %zd bytes", r->grpid, r->cookie, n);
	printf("iopf-l2: answered grpid %u cookie %u code %s\n", r->grpid, r->cookie,
	       code == IOMMUFD_PAGE_RESP_SUCCESS ? "success" : "invalid");
	return 0;
}

/* Reads and answers faults until --count groups were answered (0) or a wait timed out (1). */
static int serve(int fd, const struct opts *o)
{
	static struct iommu_hwpt_pgfault rec[MAX_RECORDS];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned long answered = 0;
	ssize_t len;
	int n;

	for (;;) {
		n = poll(&p, 1, o->timeout_ms);
		if (n < 0)
			return gu_errno("poll of the fault queue");
		if (n == 0) {
			printf("iopf-l2: timeout after %lu groups\n", answered);
			return 1;
		}
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
			return gu_err(EIO, "poll of the fault queue: revents %#x", (unsigned int)p.revents);
		len = read(fd, rec, sizeof(rec));
		if (len < 0)
			return gu_errno("read of the fault queue%s", errno == EINVAL ? " (a group larger than the buffer?)" : "");
		if (len % (ssize_t)sizeof(rec[0]))
			return gu_err(EIO, "read of the fault queue: %zd bytes, not whole records", len);
		/* 0 records: another reader, or a wakeup with the queue empty again; wait on. */
		for (size_t i = 0; i < (size_t)len / sizeof(rec[0]); i++) {
			const struct iommu_hwpt_pgfault *r = &rec[i];

			printf("iopf-l2: fault grpid %u addr 0x%" PRIx64 " perm %u flags 0x%x pasid %u cookie %u\n",
			       r->grpid, (uint64_t)r->addr, r->perm, r->flags, r->pasid, r->cookie);
			if (!(r->flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE))
				continue;
			if (listed(&o->hold, r->grpid)) {
				printf("iopf-l2: holding grpid %u cookie %u\n", r->grpid, r->cookie);
				continue;
			}
			if (answer(fd, r, listed(&o->invalid, r->grpid) ? IOMMUFD_PAGE_RESP_INVALID
									 : IOMMUFD_PAGE_RESP_SUCCESS))
				return 1;
			if (++answered == o->count) {
				printf("iopf-l2: done %lu\n", answered);
				return 0;
			}
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "device", required_argument, NULL, 'd' }, { "timeout-ms", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' }, { "invalid", required_argument, NULL, 'i' },
		{ "hold", required_argument, NULL, 'H' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct opts o = { .timeout_ms = 60000 };
	char bdf[NAME_MAX + 1];
	unsigned long v;
	int c, fault_fd = -1;

	gu_prog = "iopf_l2";
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.dev = optarg; break;
		case 't':
			if (parse_num("--timeout-ms", optarg, 1, INT_MAX, &v))
				return 2;
			o.timeout_ms = (int)v;
			break;
		case 'c':
			if (parse_num("--count", optarg, 0, ULONG_MAX, &o.count))
				return 2;
			break;
		case 'i':
			if (add_grpid(&o.invalid, "--invalid", optarg))
				return 2;
			break;
		case 'H':
			if (add_grpid(&o.hold, "--hold", optarg))
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!o.dev) {
		if (gu_find_pci(IOPF_VENDOR, IOPF_DEVICE, 0, bdf, sizeof(bdf)))
			return 1;
		o.dev = bdf;
	}
	if (setup(o.dev, &fault_fd))
		return 1;
	return serve(fault_fd, &o);
}
