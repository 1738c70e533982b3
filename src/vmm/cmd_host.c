// SPDX-License-Identifier: GPL-2.0-only
/*
 * nestvm host: what this host offers nestvm, probed through the real interfaces: KVM (API version,
 * the capabilities `run` relies on), iommufd (an IOAS can be made) and the VFIO device cdevs with
 * the PCI function behind each. Exit 0 when KVM and iommufd are usable, 5 when one is not.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "liveupdate/luo.h"
#include "vmm/cmd.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/vm.h"

void cmd_host_usage(void)
{
	printf("usage: nestvm host\n"
	       "  Probes /dev/kvm, /dev/iommu, /dev/vfio/devices/* and /dev/liveupdate (which fds this kernel can\n"
	       "  preserve across a kexec) and prints what nestvm can use.\n"
	       "  Exit status 0 when KVM and iommufd are usable, 5 when one of them is not.\n");
}

/* Beyond what every VM needs (vm_kvm_caps): what the arch code relies on. */
static const struct vm_kvm_cap arch_caps[] = {
#ifdef __aarch64__
	{ KVM_CAP_ARM_PSCI_0_2, "ARM_PSCI_0_2" }, { KVM_CAP_ARM_VM_IPA_SIZE, "ARM_VM_IPA_SIZE" },
#else
	{ KVM_CAP_SPLIT_IRQCHIP, "SPLIT_IRQCHIP" }, { KVM_CAP_X2APIC_API, "X2APIC_API" },
#endif
};

static bool check_caps(int fd, const struct vm_kvm_cap *caps, size_t n)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		int r = ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap);

		printf(" %s%s", r > 0 ? "" : "!", caps[i].name);
		ok &= r > 0;
	}
	return ok;
}

static bool probe_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), v;
	bool ok;

	if (fd < 0) {
		err_errno("open /dev/kvm (load kvm, or run in the testhost: tools/testhost/run)");
		return false;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	printf("kvm: /dev/kvm API %d, max vCPUs %d, caps:", v, ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	ok = check_caps(fd, vm_kvm_caps, vm_nr_kvm_caps);
	ok &= check_caps(fd, arch_caps, sizeof(arch_caps) / sizeof(arch_caps[0]));
	printf("\n");
	close(fd);
	if (v != KVM_API_VERSION) {
		pr_err("kvm: API version %d, nestvm needs %d", v, KVM_API_VERSION);
		return false;
	}
	if (!ok)
		pr_err("kvm: a capability nestvm needs is missing (marked '!')");
	return ok;
}

static bool probe_iommufd(void)
{
	uint32_t ioas;
	int fd = iommufd_open();

	if (fd < 0)
		return false;
	if (iommufd_ioas_alloc(fd, &ioas) || iommufd_destroy(fd, ioas)) {
		close(fd);
		return false;
	}
	printf("iommufd: /dev/iommu usable (IOAS %u allocated and destroyed)\n", ioas);
	close(fd);
	return true;
}

/* vfioN -> its PCI function and ids, from /sys/class/vfio-dev/vfioN/device. */
static void list_vfio(void)
{
	DIR *d = opendir("/dev/vfio/devices");
	struct dirent *e;
	unsigned int n = 0;

	if (!d) {
		printf("vfio: no /dev/vfio/devices (no device bound to a VFIO driver with VFIO_DEVICE_CDEV)\n");
		return;
	}
	while ((e = readdir(d))) {
		char path[PATH_MAX], link[PATH_MAX], ids[2][16] = { "?", "?" };
		const char *const f[2] = { "vendor", "device" };
		ssize_t len;

		if (strncmp(e->d_name, "vfio", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/class/vfio-dev/%s/device", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		link[len > 0 ? len : 0] = '\0';
		for (int i = 0; i < 2; i++) {
			char p[PATH_MAX + 16];
			FILE *fp;

			snprintf(p, sizeof(p), "%s/%s", path, f[i]);
			fp = fopen(p, "re");
			if (fp) {
				if (!fscanf(fp, "%15s", ids[i]))
					ids[i][0] = '?';
				fclose(fp);
			}
		}
		printf("vfio: /dev/vfio/devices/%s -> PCI %s (%s:%s)\n", e->d_name,
		       len > 0 ? (strrchr(link, '/') ? strrchr(link, '/') + 1 : link) : "?", ids[0], ids[1]);
		n++;
	}
	closedir(d);
	if (!n)
		printf("vfio: /dev/vfio/devices is empty\n");
}

/*
 * What this kernel can preserve across a kexec (vm.update kexec, docs/liveupdate.md): asked with a
 * throwaway LUO session, which closing unpreserves. Informational: not part of the exit status.
 */
static void probe_liveupdate(void)
{
	char name[64];
	int dev = luo_open(), s, m, fd, r;

	if (dev < 0) {
		printf("liveupdate: no %s (%s): vm.update kexec needs CONFIG_LIVEUPDATE and kho=on liveupdate=on\n",
		       LUO_DEV, strerror(-dev));
		return;
	}
	snprintf(name, sizeof(name), "nestvm-host-probe-%d", (int)getpid());
	s = luo_session_create(dev, name);
	if (s < 0) {
		printf("liveupdate: %s: creating a session: %s\n", LUO_DEV, luo_strerror(-s));
		close(dev);
		return;
	}
	m = memfd_create("nestvm-host-probe", MFD_CLOEXEC);
	r = m < 0 ? -errno : ftruncate(m, 4096) < 0 ? -errno : luo_preserve_fd(s, m, 1);
	printf("liveupdate: %s: preserves across kexec: memfd (guest RAM) %s", LUO_DEV, r ? "no" : "yes");
	if (m >= 0)
		close(m);
	fd = iommufd_open();
	if (fd >= 0) {
		r = luo_preserve_fd(s, fd, 2);
		printf(", iommufd %s", r ? "no" : "yes");
		close(fd);
	}
	printf(" (nestvm carries guest RAM and its own state; disks are reopened, assigned devices reset and "
	       "re-initialised)\n");
	close(s);
	close(dev);
}

int cmd_host(int argc, char **argv)
{
	bool kvm, iommu;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			cmd_host_usage();
			return EXIT_OK;
		}
		pr_err("host: unexpected argument '%s' (see 'nestvm host --help')", argv[1]);
		return EXIT_USAGE;
	}
	kvm = probe_kvm();
	iommu = probe_iommufd();
	list_vfio();
	probe_liveupdate();
	return kvm && iommu ? EXIT_OK : EXIT_UNSUPPORTED;
}
