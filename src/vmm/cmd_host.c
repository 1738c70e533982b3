// SPDX-License-Identifier: GPL-2.0-only
/*
 * nestvm host: what this host offers nestvm, probed through the real interfaces: KVM (API version,
 * the capabilities `run` relies on), iommufd (an IOAS can be made) and the VFIO device cdevs with
 * the PCI function behind each. Exit 0 when KVM and iommufd are usable, 5 when one is not.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommu/iommufd.h"
#include "vmm/cmd.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"

void cmd_host_usage(void)
{
	printf("usage: nestvm host\n"
	       "  Probes /dev/kvm, /dev/iommu and /dev/vfio/devices/* and prints what nestvm can use.\n"
	       "  Exit status 0 when KVM and iommufd are usable, 5 when one of them is not.\n");
}

static const struct { int cap; const char *name; } kvm_caps[] = {
	{ KVM_CAP_USER_MEMORY, "user_memory" },   { KVM_CAP_IRQFD, "irqfd" },
	{ KVM_CAP_IOEVENTFD, "ioeventfd" },       { KVM_CAP_IRQ_ROUTING, "irq_routing" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate_exit" }, { KVM_CAP_SIGNAL_MSI, "signal_msi" },
#ifdef __aarch64__
	{ KVM_CAP_ARM_PSCI_0_2, "psci_0_2" },     { KVM_CAP_ARM_VM_IPA_SIZE, "ipa_size" },
#else
	{ KVM_CAP_SPLIT_IRQCHIP, "split_irqchip" }, { KVM_CAP_X2APIC_API, "x2apic_api" },
#endif
};

static bool probe_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), v;
	bool ok = true;

	if (fd < 0) {
		err_errno("open /dev/kvm (load kvm, or run in the testhost: tools/testhost/run)");
		return false;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	printf("kvm: /dev/kvm API %d, max vCPUs %d, caps:", v, ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	for (size_t i = 0; i < sizeof(kvm_caps) / sizeof(kvm_caps[0]); i++) {
		int r = ioctl(fd, KVM_CHECK_EXTENSION, kvm_caps[i].cap);

		printf(" %s%s", r > 0 ? "" : "!", kvm_caps[i].name);
		if (r > 1 && kvm_caps[i].cap != KVM_CAP_SIGNAL_MSI)
			printf("=%d", r);
		ok &= r > 0;
	}
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
	return kvm && iommu ? EXIT_OK : EXIT_UNSUPPORTED;
}
