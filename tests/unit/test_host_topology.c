// SPDX-License-Identifier: GPL-2.0-only
/*
 * --pcie-topology host (host_topology.c, pci_topology_place): a made-up sysfs tree with a root port,
 * a switch (upstream port, two downstream ports) and a function below each downstream port, a
 * function below a root port, one on the root bus, and one below a PCI bridge; config files as root
 * reads them (256 bytes, capabilities) or as a user does (64 bytes).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/host_topology.h"
#include "devices/pci_topology.h"
#include "tap.h"
#include "vmm/config.h"

static char top[PATH_MAX];

static void put(const char *rel, const void *data, size_t len)
{
	char p[2 * PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	f = fopen(p, "w");
	if (!f || fwrite(data, 1, len, f) != len)
		CHECK(0, "writing %s", p);
	if (f)
		fclose(f);
}

/* A function at REL (under devices/pci0000:00) of class CLS with PCIe port type TYPE (-1: none); FULL: 256 bytes of config. */
static void fn(const char *rel, unsigned int cls, int type, bool full)
{
	char p[2 * PATH_MAX], c[32], bdf[16], link[2 * PATH_MAX];
	unsigned char cfg[256] = { 0 };

	snprintf(p, sizeof(p), "%s/devices/pci0000:00/%s", top, rel);
	if (mkdir(p, 0755) && errno != EEXIST)
		CHECK(0, "mkdir %s", p);
	snprintf(c, sizeof(c), "0x%06x\n", cls);
	snprintf(p, sizeof(p), "devices/pci0000:00/%s/class", rel);
	put(p, c, strlen(c));
	cfg[0x06] = 0x10;           /* Status: capability list */
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x01;           /* power management, then */
	cfg[0x41] = 0x60;
	cfg[0x60] = 0x10;           /* PCI Express */
	cfg[0x62] = (unsigned char)(2 | (type < 0 ? 0 : type) << 4);
	if (type < 0)
		cfg[0x60] = 0x05;       /* MSI instead */
	snprintf(p, sizeof(p), "devices/pci0000:00/%s/config", rel);
	put(p, cfg, full ? 256 : 64);
	snprintf(bdf, sizeof(bdf), "%s", strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel);
	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s", top, bdf);
	snprintf(link, sizeof(link), "%s/devices/pci0000:00/%s", top, rel);
	if (symlink(link, p))
		CHECK(0, "symlink %s", p);
}

static void tree(bool full)
{
	char p[PATH_MAX + 32];

	snprintf(p, sizeof(p), "rm -rf '%s'", top);
	if (system(p))
		CHECK(0, "rm");
	mkdir(top, 0755);
	for (const char *d = "/devices\0/devices/pci0000:00\0/bus\0/bus/pci\0/bus/pci/devices\0"; *d; d += strlen(d) + 1) {
		snprintf(p, sizeof(p), "%s%s", top, d);
		mkdir(p, 0755);
	}
	fn("0000:00:01.0", 0x060400, 4, full);                                         /* root port */
	fn("0000:00:01.0/0000:01:00.0", 0x060400, 5, full);                            /* switch upstream */
	fn("0000:00:01.0/0000:01:00.0/0000:02:00.0", 0x060400, 6, full);               /* downstream 0 */
	fn("0000:00:01.0/0000:01:00.0/0000:02:01.0", 0x060400, 6, full);               /* downstream 1 */
	fn("0000:00:01.0/0000:01:00.0/0000:02:00.0/0000:03:00.0", 0x030200, 0, full);  /* GPU */
	fn("0000:00:01.0/0000:01:00.0/0000:02:01.0/0000:04:00.0", 0x020000, 0, full);  /* NIC */
	fn("0000:00:02.0", 0x060400, 4, full);                                         /* root port */
	fn("0000:00:02.0/0000:05:00.0", 0x020000, 0, full);                            /* NIC on it */
	fn("0000:00:03.0", 0x00ff00, -1, full);                                        /* root bus */
	fn("0000:00:04.0", 0x060400, 4, full);                                         /* root port */
	fn("0000:00:04.0/0000:06:00.0", 0x060400, 7, full);                            /* PCIe-to-PCI bridge */
	fn("0000:00:04.0/0000:06:00.0/0000:07:01.0", 0x00ff00, -1, full);              /* PCI function */
}

static int sw_of(const char *bdf, char *sw)
{
	struct vfio_config c = { .host = bdf, .fd = -1 };
	char dir[PATH_MAX];
	int r = host_pci_dir(&c, top, dir, sizeof(dir));

	sw[0] = '\0';
	return r ? r : host_pci_switch(dir, sw, CFG_SWITCH_ID_MAX);
}

static void checks(const char *how)
{
	char sw[CFG_SWITCH_ID_MAX];

	CHECK(sw_of("0000:03:00.0", sw) == 1 && !strcmp(sw, "0000:01:00.0"), "%s: 03:00.0 below switch 01:00.0", how);
	CHECK(sw_of("0000:04:00.0", sw) == 1 && !strcmp(sw, "0000:01:00.0"), "%s: 04:00.0 below the same switch", how);
	CHECK(sw_of("0000:05:00.0", sw) == 0, "%s: 05:00.0 on a root port: no switch", how);
	CHECK(sw_of("0000:00:03.0", sw) == 0, "%s: 00:03.0 on the root bus: no switch", how);
	CHECK(sw_of("0000:02:00.0", sw) == 0, "%s: a downstream port itself is below a root port only", how);
	CHECK(sw_of("0000:09:00.0", sw) < 0, "%s: a function the host does not have: an error", how);
}

int main(void)
{
	struct vm_config cfg = { .nr_vfio = 4, .topology = PCIE_TOPOLOGY_HOST };
	struct pci_place pl[CFG_MAX_VFIO];
	char sw[CFG_SWITCH_ID_MAX];

	snprintf(top, sizeof(top), "%s/nestvm-test-sysfs-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
	tree(true);
	checks("as root");
	CHECK(sw_of("0000:07:01.0", sw) == 0, "as root: below a PCIe-to-PCI bridge (type 7): no switch");
	cfg.vfio[0] = (struct vfio_config){ .host = "0000:05:00.0", .fd = -1 };
	cfg.vfio[1] = (struct vfio_config){ .host = "0000:03:00.0", .fd = -1 };
	cfg.vfio[2] = (struct vfio_config){ .host = "0000:04:00.0", .fd = -1, .place = VFIO_PLACE_FLAT };
	cfg.vfio[3] = (struct vfio_config){ .host = "0000:04:00.0", .fd = -1 };
	CHECK(pci_topology_place(&cfg, top, pl) == 0, "placing 4 devices by the host's topology");
	CHECK(pl[0].place == VFIO_PLACE_ROOT_PORT, "05:00.0 on a root port");
	CHECK(pl[1].place == VFIO_PLACE_SWITCH && pl[3].place == VFIO_PLACE_SWITCH && !strcmp(pl[1].sw, pl[3].sw),
	      "03:00.0 and 04:00.0 behind one switch");
	CHECK(pl[2].place == VFIO_PLACE_FLAT, "a device that asks for bus 0 stays there");
	CHECK(pci_topology_any(&cfg, pl), "some device is behind a port");
	cfg.topology = PCIE_TOPOLOGY_FLAT;
	CHECK(pci_topology_place(&cfg, top, pl) == 0 && !pci_topology_any(&cfg, pl), "flat: every device on bus 0");
	tree(false);
	checks("as a user (64 bytes of config: by shape)");
	{
		char p[PATH_MAX + 16];

		snprintf(p, sizeof(p), "rm -rf '%s'", top);
		CHECK(system(p) == 0, "made-up sysfs removed");
	}
	return tap_done();
}
