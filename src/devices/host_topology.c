// SPDX-License-Identifier: GPL-2.0-only
/* The host's PCIe hierarchy above an assigned device, from sysfs (host_topology.h). */
#include "devices/host_topology.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/vfio_pci.h"
#include "vmm/config.h"
#include "vmm/log.h"

int host_pci_dir(const struct vfio_config *cfg, const char *sysfs, char *dir, size_t n)
{
	char link[PATH_MAX], *r;
	struct stat st;
	int ok;

	if (cfg->host) {
		snprintf(link, sizeof(link), "%s/bus/pci/devices/%s", sysfs, cfg->host);
	} else {
		ok = cfg->fd >= 0 ? fstat(cfg->fd, &st) : stat(cfg->path, &st);
		if (ok)
			return err_errno("--pcie-topology host: %s", cfg->path ? cfg->path : "the device's fd");
		if (!S_ISCHR(st.st_mode)) {
			pr_err("--pcie-topology host: %s is not a VFIO device cdev", cfg->path ? cfg->path : "the device's fd");
			return -EINVAL;
		}
		/* .../0000:03:00.0/vfio-dev/vfioN: the function is two levels up. */
		snprintf(link, sizeof(link), "%s/dev/char/%u:%u/../..", sysfs, major(st.st_rdev), minor(st.st_rdev));
	}
	r = realpath(link, NULL);
	if (!r)
		return err_errno("--pcie-topology host: %s", link);
	if (strlen(r) >= n) {
		free(r);
		pr_err("--pcie-topology host: %s: path too long", link);
		return -ENAMETOOLONG;
	}
	snprintf(dir, n, "%s", r);
	free(r);
	return 0;
}

/* The last path component of P (up to its end or END), as a PCI function's name DDDD:BB:DD.F. */
static bool is_bdf(const char *p, size_t len)
{
	unsigned int d, b, s, f;
	char name[16], end;

	if (len != 12)
		return false;
	memcpy(name, p, len);
	name[len] = '\0';
	return sscanf(name, "%4x:%2x:%2x.%1x%c", &d, &b, &s, &f, &end) == 4;
}

/* DIR's parent (in place: DIR is cut at its last '/'); false at the top. */
static bool up(char *dir)
{
	char *s = strrchr(dir, '/');

	if (!s || s == dir)
		return false;
	*s = '\0';
	return true;
}

static const char *base(const char *dir)
{
	const char *s = strrchr(dir, '/');

	return s ? s + 1 : dir;
}

/* A PCI function's directory that is a bridge (class 0x0604, PCI Code and ID Assignment). */
static bool is_bridge(const char *dir)
{
	char path[PATH_MAX + 8], buf[16] = { 0 };
	unsigned int cls;
	ssize_t l;
	int fd;

	if (!is_bdf(base(dir), strlen(base(dir))))
		return false;
	snprintf(path, sizeof(path), "%s/class", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	l = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return l > 0 && sscanf(buf, "%x", &cls) == 1 && cls >> 8 == PCI_CLASSCODE_PCI_BRIDGE >> 8;
}

/* The Device/Port Type of DIR's PCI Express capability, or -1 when its config file does not show it. */
static int port_type(const char *dir)
{
	char path[PATH_MAX + 8];
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	struct vfio_pci_cap caps[16];
	unsigned int nr;
	ssize_t l;
	int fd;

	snprintf(path, sizeof(path), "%s/config", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	l = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	/* Without CAP_SYS_ADMIN sysfs shows the first 64 bytes only, no capabilities. */
	if (l != (ssize_t)sizeof(cfg))
		return -1;
	/* The bounded, loop-safe capability walk vfio-pci uses on the devices themselves. */
	nr = vfio_pci_caps_scan(cfg, sizeof(cfg), caps, 16);
	for (unsigned int i = 0; i < nr; i++)
		if (caps[i].id == PCI_CAP_ID_EXP)
			return (cfg[caps[i].off + PCI_EXP_FLAGS] & PCI_EXP_FLAGS_TYPE) >> 4;
	return -1;
}

int host_pci_switch(const char *dir, char *sw, size_t n)
{
	char down[PATH_MAX], upp[PATH_MAX], above[PATH_MAX];
	int td, tu;

	if (strlen(dir) >= sizeof(down))
		return 0;
	snprintf(down, sizeof(down), "%s", dir);
	if (!up(down) || !is_bridge(down))
		return 0;
	snprintf(upp, sizeof(upp), "%s", down);
	if (!up(upp) || !is_bridge(upp))
		return 0;
	td = port_type(down);
	tu = port_type(upp);
	if (td >= 0 && tu >= 0) {
		if (td != PCI_EXP_TYPE_DOWNSTREAM || tu != PCI_EXP_TYPE_UPSTREAM)
			return 0;
	} else {
		/* The shape: the upstream port hangs below a port of its own (a root port or another switch). */
		snprintf(above, sizeof(above), "%s", upp);
		if (!up(above) || !is_bridge(above))
			return 0;
	}
	snprintf(sw, n, "%s", base(upp));
	return 1;
}
