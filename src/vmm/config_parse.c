// SPDX-License-Identifier: GPL-2.0-only
#include "vmm/config_parse.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot_watch.h"
#include "vmm/log.h"

int parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: return -EINVAL;
	}
	if (*end) {
		end++;
		/* Accept "2G", "2GB", "2GiB" alike. */
		if (!strcasecmp(end, "B") || !strcasecmp(end, "iB"))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return errno ? -ERANGE : -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const on[] = { "on", "yes", "true", "1" }, *const off[] = { "off", "no", "false", "0" };

	for (size_t i = 0; s && i < 4; i++) {
		if (!strcasecmp(s, on[i]))
			return *out = true, 0;
		if (!strcasecmp(s, off[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

int kv_split(char *s, struct kv *out, unsigned int *nr)
{
	unsigned int n = 0;
	char *save = NULL, *tok;

	if (!s || !*s)
		return -EINVAL;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (n == KV_MAX)
			return -E2BIG;
		if (eq) {
			*eq = '\0';
			if (!*tok)
				return -EINVAL;
			out[n].key = tok;
			out[n].val = eq + 1;
		} else {
			out[n].key = tok;
			out[n].val = NULL;
		}
		n++;
	}
	*nr = n;
	return n ? 0 : -EINVAL;
}

void config_run_usage(void)
{
	printf("usage: nestvm run --kernel IMAGE [options]\n"
	       "Boots a virtual machine on KVM; the guest console is this terminal. Exits 0 when the guest\n"
	       "powers off, 3 on guest reset, 4 on guest crash, 6 on a boot timeout, 1 on a VMM error, 2 on bad\n"
	       "usage.\n\n"
	       "  --kernel IMAGE          arm64 Image or x86_64 bzImage (required unless --firmware)\n"
	       "  --firmware PATH         UEFI firmware code: arm64 AAVMF_CODE.fd (boots it; a --kernel goes to\n"
	       "                          the firmware's loader); x86_64 OVMF_CODE_4M.fd is checked, then refused\n"
	       "  --firmware-vars PATH    the firmware's variable store, a writable copy of its vars template\n"
	       "  --firmware-tables dt|acpi  arm64: what the firmware hands the OS, the device tree (default) or\n"
	       "                          ACPI tables (MADT, GTDT, IORT, ...); x86_64: always acpi\n"
	       "  --boot-timeout SECS     boot watchdog: stop (exit 6) unless the guest reaches its OS (the\n"
	       "                          --boot-marker text on its console) within SECS of the VM's creation\n"
	       "  --boot-marker TEXT      what reaching the OS prints (default \"" BOOT_MARKER_DEFAULT "\", Linux's\n"
	       "                          first printk, shown once its console runs, after the firmware)\n"
	       "  --initrd FILE           initramfs\n"
	       "  --cmdline STR           kernel command line (console= is added for the chosen console)\n"
	       "  --cpus N                vCPUs (default 1, max %d)\n"
	       "  --memory SIZE[,hugepages=on]  guest RAM, e.g. 512M or size=2G,hugepages=on (default 512M)\n"
	       "  --disk path=FILE[,readonly]   virtio-blk disk from a raw file (repeatable, max %d)\n"
	       "  --console serial|virtio guest console device (default serial)\n"
	       "  --device vfio,path=/dev/vfio/devices/vfioN|host=DDDD:BB:DD.F|fd=N[,rom=on][,p2p=off]\n"
	       "         [,root-port=on|switch=ID]\n"
	       "                          assign a host PCI device bound to vfio-pci (repeatable, max %d);\n"
	       "                          its BARs are reachable by the other devices' DMA (P2P) unless p2p=off;\n"
	       "                          root-port=on: behind a PCIe root port of its own; switch=ID: behind a\n"
	       "                          downstream port of virtual PCIe switch ID (docs/topology.md)\n"
	       "  --pcie-topology flat|host  devices with neither: on bus 0 (flat, default), or as on the host\n"
	       "                          (devices below one host PCIe switch behind one switch, others on root ports)\n"
	       "  --hotplug-slots N       N empty PCIe root ports with hot-plug slots for vm.add-device (max %d)\n"
	       "  --iommufd fd=N          use this pre-opened /dev/iommu fd for device assignment\n"
	       "  --seccomp on|log|off    per-thread syscall filters (default on; log: report, don't kill)\n"
	       "  --viommu none|smmuv3|vtd[,backend=nested|shadow]  an emulated IOMMU in front of the PCI\n"
	       "                          devices (arm64: SMMUv3, x86_64: Intel VT-d); backend= (vtd) for assigned\n"
	       "                          devices: nested (the host VT-d walks the guest's first stage; needs host\n"
	       "                          ECAP.NEST) or shadow (nestvm copies the guest's tables); default: nested\n"
	       "                          when the host can, else shadow\n"
	       "  --stats                 at exit, print one 'nestvm-stats:' line on stderr: set-up time to the\n"
	       "                          first KVM_RUN, run time, exits per reason and their handling time\n"
	       "  --api-socket path=PATH|fd=N  serve the control API (HTTP, cloud-hypervisor style) on a unix socket\n"
	       "  --event-monitor path=PATH|fd=N  write VM events there, one JSON object per line\n"
#ifdef NESTVM_IOMMUFD_TEST
	       "  --iopf-mock dev_id=N,stdev_id=N,hwpt=N,sid=N[,timeout_ms=N][,function=on|off]  (test build) an\n"
	       "                          IOMMUFD_TEST mock device on --iommufd as the page-request source of StreamID\n"
	       "                          (vtd: requester id) sid; function=on: a PCIe function with ATS and PRI\n"
	       "                          capabilities at that requester id (the vVT-d then offers device-TLBs, ECAP.DT)\n"
#endif
	       "  -v, --verbose           debug messages\n"
	       "  -h, --help              this text\n",
	       CFG_MAX_CPUS, CFG_MAX_DISKS, CFG_MAX_VFIO, CFG_MAX_HOTPLUG_SLOTS);
}

static int bad(const char *opt, const char *val, const char *why)
{
	pr_err("run: %s%s%s: %s (see 'nestvm run --help')", opt, val ? " " : "", val ? val : "", why);
	return -EINVAL;
}

/* The --viommu models and the architecture that offers each (a model is one row here). */
static const struct {
	const char *name;
	enum viommu_model model;
	bool offered;               /* on this architecture */
	const char *arch;           /* where it is offered, for the error message */
} viommu_models[] = {
	{ "none", VIOMMU_MODEL_NONE, true, NULL },
#ifdef __aarch64__
	{ "smmuv3", VIOMMU_MODEL_SMMUV3, true, "arm64" },
#else
	{ "smmuv3", VIOMMU_MODEL_SMMUV3, false, "arm64" },
#endif
#ifdef __x86_64__
	{ "vtd", VIOMMU_MODEL_VTD, true, "x86_64" },
#else
	{ "vtd", VIOMMU_MODEL_VTD, false, "x86_64" },
#endif
};

/* MODEL[,backend=nested|shadow]: the options after the model (ARG's copy). */
static int parse_viommu_backend(struct vm_config *cfg, const char *orig, char *opts)
{
	struct kv kv[KV_MAX];
	unsigned int n;

	if (kv_split(opts, kv, &n))
		return bad("--viommu", orig, "expected MODEL[,backend=nested|shadow]");
	for (unsigned int i = 0; i < n; i++) {
		if (!kv[i].val || strcmp(kv[i].key, "backend"))
			return bad("--viommu", orig, "unknown option (backend=)");
		if (!strcmp(kv[i].val, "nested"))
			cfg->viommu_backend = VIOMMU_BACKEND_NESTED;
		else if (!strcmp(kv[i].val, "shadow"))
			cfg->viommu_backend = VIOMMU_BACKEND_SHADOW;
		else
			return bad("--viommu", orig, "backend= takes nested or shadow");
	}
	/* The vSMMUv3 has its nested backend only (docs/viommu.md). */
	if (cfg->viommu_model == VIOMMU_MODEL_SMMUV3 && cfg->viommu_backend == VIOMMU_BACKEND_SHADOW)
		return bad("--viommu", orig, "smmuv3 has no shadow backend (backend=nested or none)");
	if (cfg->viommu_model == VIOMMU_MODEL_NONE)
		return bad("--viommu", orig, "none takes no backend");
	return 0;
}

static int parse_viommu(struct vm_config *cfg, const char *orig)
{
	char why[96], *arg = strdupa(orig), *opts = strchr(arg, ',');
	size_t n = 0;

	cfg->viommu_backend = VIOMMU_BACKEND_AUTO;
	if (opts)
		*opts++ = '\0';
	for (size_t i = 0; i < sizeof(viommu_models) / sizeof(viommu_models[0]); i++) {
		if (strcmp(arg, viommu_models[i].name))
			continue;
		if (!viommu_models[i].offered) {
			snprintf(why, sizeof(why), "%s is for %s", arg, viommu_models[i].arch);
			return bad("--viommu", arg, why);
		}
		cfg->viommu_model = viommu_models[i].model;
		return opts ? parse_viommu_backend(cfg, orig, opts) : 0;
	}
	n = (size_t)snprintf(why, sizeof(why), "use");
	for (size_t i = 0; i < sizeof(viommu_models) / sizeof(viommu_models[0]) && n < sizeof(why); i++)
		if (viommu_models[i].offered)
			n += (size_t)snprintf(why + n, sizeof(why) - n, "%s %s", i ? " or" : "", viommu_models[i].name);
	return bad("--viommu", arg, why);
}

/*
 * --firmware-tables. arm64 firmware boot offers both: AAVMF hands the OS ACPI when fw_cfg has
 * etc/table-loader, the device tree otherwise (ArmVirtPkg PlatformHasAcpiDtDxe). OVMF needs ACPI.
 */
static int parse_fw_tables(struct vm_config *cfg, const char *arg)
{
	if (!strcmp(arg, "acpi")) {
		cfg->firmware_tables = FW_TABLES_ACPI;
		return 0;
	}
#ifdef __aarch64__
	if (!strcmp(arg, "dt")) {
		cfg->firmware_tables = FW_TABLES_DT;
		return 0;
	}
	return bad("--firmware-tables", arg, "use dt or acpi");
#else
	if (!strcmp(arg, "dt"))
		return bad("--firmware-tables", arg, "dt is for arm64; x86_64 firmware always gets ACPI");
	return bad("--firmware-tables", arg, "use acpi");
#endif
}

static int parse_memory(struct vm_config *cfg, char *arg)
{
	const char *orig = strdupa(arg);
	struct kv kv[KV_MAX];
	unsigned int n;

	if (kv_split(arg, kv, &n))
		return bad("--memory", orig, "expected SIZE or size=SIZE[,hugepages=on|off]");
	for (unsigned int i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].val;

		if ((i == 0 && !v) || (v && !strcmp(k, "size"))) {
			if (parse_size(v ? v : k, &cfg->mem_size))
				return bad("--memory", orig, "size must be a number with an optional K/M/G/T suffix");
		} else if (v && !strcmp(k, "hugepages")) {
			if (parse_bool(v, &cfg->hugepages))
				return bad("--memory", orig, "hugepages takes on or off");
		} else {
			return bad("--memory", orig, "unknown key (size=, hugepages=)");
		}
	}
	if (cfg->mem_size < (16ULL << 20))
		return bad("--memory", orig, "a guest needs at least 16M");
	if (cfg->mem_size & 0xfffff)
		return bad("--memory", orig, "must be a multiple of 1M");
	return 0;
}

static int parse_disk(struct vm_config *cfg, char *arg)
{
	const char *orig = strdupa(arg);
	struct disk_config *d;
	struct kv kv[KV_MAX];
	unsigned int n;

	if (cfg->nr_disks == CFG_MAX_DISKS)
		return bad("--disk", orig, "too many disks");
	d = &cfg->disks[cfg->nr_disks];
	*d = (struct disk_config){ 0 };
	if (kv_split(arg, kv, &n))
		return bad("--disk", orig, "expected path=FILE[,readonly]");
	for (unsigned int i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].val;

		if (v && !strcmp(k, "path") && *v) {
			d->path = v;
		} else if (!strcmp(k, "readonly") || !strcmp(k, "ro")) {
			bool ro = true;

			if (v && parse_bool(v, &ro))
				return bad("--disk", orig, "readonly takes on or off");
			d->readonly = ro;
		} else {
			return bad("--disk", orig, "unknown key (path=, readonly)");
		}
	}
	if (!d->path)
		return bad("--disk", orig, "path= is required");
	cfg->nr_disks++;
	return 0;
}

/* A file descriptor number given on the command line (fd=N); 0-2 are stdio, never a device. */
static int parse_fd(const char *s, int *out)
{
	unsigned int v;

	if (parse_uint(s, 3, 1u << 30, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* A switch id: it names the switch in logs and tests, so printable and short. */
static bool switch_id_ok(const char *v)
{
	size_t n = strlen(v);

	if (!n || n >= CFG_SWITCH_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("-_.:", v[i]))
			return false;
	return true;
}

static int parse_device(struct vm_config *cfg, char *arg)
{
	const char *orig = strdupa(arg);
	struct vfio_config *d;
	struct kv kv[KV_MAX];
	unsigned int n, names = 0;

	if (kv_split(arg, kv, &n) || kv[0].val || strcmp(kv[0].key, "vfio"))
		return bad("--device", orig, "expected vfio,path=CDEV|host=BDF|fd=N[,rom=on][,p2p=off]");
	if (cfg->nr_vfio == CFG_MAX_VFIO)
		return bad("--device", orig, "too many vfio devices");
	d = &cfg->vfio[cfg->nr_vfio];
	*d = (struct vfio_config){ .fd = -1 };
	for (unsigned int i = 1; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].val;

		if (v && !strcmp(k, "path") && *v) {
			d->path = v;
			names++;
		} else if (v && !strcmp(k, "host") && *v) {
			unsigned int dom, bus, dev, fn;
			char end;

			/* PCI Firmware 3.3 segment:bus:device.function, as sysfs names devices. */
			if (sscanf(v, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &end) != 4 || strlen(v) != 12 ||
			    dev > 31 || fn > 7)
				return bad("--device", orig, "host= takes a PCI address DDDD:BB:DD.F");
			d->host = v;
			names++;
		} else if (v && !strcmp(k, "fd")) {
			if (parse_fd(v, &d->fd))
				return bad("--device", orig, "fd= takes a file descriptor number >= 3");
			names++;
		} else if (v && !strcmp(k, "rom")) {
			if (parse_bool(v, &d->rom))
				return bad("--device", orig, "rom takes on or off");
		} else if (v && !strcmp(k, "p2p")) {
			bool on;

			if (parse_bool(v, &on))
				return bad("--device", orig, "p2p takes on or off");
			d->p2p_off = !on;
		} else if (v && !strcmp(k, "root-port")) {
			bool on;

			if (parse_bool(v, &on) || d->place == VFIO_PLACE_SWITCH)
				return bad("--device", orig, "root-port takes on or off, and not with switch=");
			d->place = on ? VFIO_PLACE_ROOT_PORT : VFIO_PLACE_FLAT;
		} else if (v && !strcmp(k, "switch")) {
			if (d->place != VFIO_PLACE_DEFAULT || !switch_id_ok(v))
				return bad("--device", orig, "switch= takes an id of 1-23 letters, digits, '-' '_' '.' ':' "
					   "(once, not with root-port=)");
			d->place = VFIO_PLACE_SWITCH;
			snprintf(d->sw, sizeof(d->sw), "%s", v);
		} else {
			return bad("--device", orig, "unknown key (path=, host=, fd=, rom=, p2p=, root-port=, switch=)");
		}
	}
	if (names != 1)
		return bad("--device", orig, "give exactly one of path=, host=, fd=");
	cfg->nr_vfio++;
	return 0;
}

static int parse_iommufd(struct vm_config *cfg, char *arg)
{
	const char *orig = strdupa(arg);
	struct kv kv[KV_MAX];
	unsigned int n;

	if (kv_split(arg, kv, &n) || n != 1 || !kv[0].val || strcmp(kv[0].key, "fd") ||
	    parse_fd(kv[0].val, &cfg->iommufd_fd))
		return bad("--iommufd", orig, "expected fd=N (a pre-opened /dev/iommu, N >= 3)");
	return 0;
}

#ifdef NESTVM_IOMMUFD_TEST
/* --iopf-mock dev_id=N,stdev_id=N,hwpt=N,sid=N[,timeout_ms=N][,function=on|off] (test builds only:
 * iommu/iopf_mock.h). */
static int parse_iopf_mock(struct vm_config *cfg, char *arg)
{
	const char *orig = strdupa(arg);
	struct iopf_mock_config *m = &cfg->iopf_mock;
	unsigned int seen = 0, n;
	struct kv kv[KV_MAX];

	if (kv_split(arg, kv, &n))
		return bad("--iopf-mock", orig, "expected dev_id=N,stdev_id=N,hwpt=N,sid=N[,timeout_ms=N][,function=on|off]");
	for (unsigned int i = 0; i < n; i++) {
		static const char *const keys[] = { "dev_id", "stdev_id", "hwpt", "sid", "timeout_ms" };
		unsigned int *dst[] = { &m->dev_id, &m->stdev_id, &m->hwpt_id, &m->sid, &m->timeout_ms };
		unsigned int k;

		if (!strcmp(kv[i].key, "function")) {
			if (!kv[i].val || parse_bool(kv[i].val, &m->function))
				return bad("--iopf-mock", orig, "expected function=on|off");
			continue;
		}
		for (k = 0; k < 5 && strcmp(kv[i].key, keys[k]); k++)
			;
		if (k == 5 || !kv[i].val || parse_uint(kv[i].val, k == 3 ? 0 : 1, k == 3 ? 0xffff : UINT32_MAX, dst[k]))
			return bad("--iopf-mock", orig, "expected dev_id=N,stdev_id=N,hwpt=N,sid=N (0-65535)[,timeout_ms=N]");
		seen |= 1u << k;
	}
	if ((seen & 15) != 15)
		return bad("--iopf-mock", orig, "needs dev_id=, stdev_id=, hwpt= and sid=");
	m->on = true;
	return 0;
}
#endif

/* path=PATH or fd=N (N >= 3). */
static int parse_endpoint(struct endpoint_config *e, const char *opt, char *arg)
{
	const char *orig = strdupa(arg);
	struct kv kv[KV_MAX];
	unsigned int n;

	if (e->path || e->fd >= 0)
		return bad(opt, orig, "given twice");
	if (kv_split(arg, kv, &n) || n != 1 || !kv[0].val || !*kv[0].val)
		return bad(opt, orig, "expected path=PATH or fd=N");
	if (!strcmp(kv[0].key, "path"))
		e->path = kv[0].val;
	else if (strcmp(kv[0].key, "fd") || parse_fd(kv[0].val, &e->fd))
		return bad(opt, orig, "expected path=PATH or fd=N (N >= 3)");
	return 0;
}

int config_parse_run(struct vm_config *cfg, int argc, char **argv)
{
	enum { O_KERNEL = 256, O_INITRD, O_CMDLINE, O_CPUS, O_MEMORY, O_DISK, O_CONSOLE, O_SECCOMP, O_DEVICE,
	       O_IOMMUFD, O_VIOMMU, O_STATS, O_API, O_EVENTS, O_FIRMWARE, O_FIRMWARE_VARS, O_HOTPLUG,
	       O_BOOT_TIMEOUT, O_BOOT_MARKER, O_FIRMWARE_TABLES, O_IOPF_MOCK, O_TOPOLOGY };
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "memory", required_argument, NULL, O_MEMORY },
		{ "disk", required_argument, NULL, O_DISK },
		{ "console", required_argument, NULL, O_CONSOLE },
		{ "seccomp", required_argument, NULL, O_SECCOMP },
		{ "device", required_argument, NULL, O_DEVICE },
		{ "iommufd", required_argument, NULL, O_IOMMUFD },
		{ "viommu", required_argument, NULL, O_VIOMMU },
		{ "stats", no_argument, NULL, O_STATS },
		{ "api-socket", required_argument, NULL, O_API },
		{ "event-monitor", required_argument, NULL, O_EVENTS },
		{ "firmware", required_argument, NULL, O_FIRMWARE },
		{ "firmware-vars", required_argument, NULL, O_FIRMWARE_VARS },
		{ "firmware-tables", required_argument, NULL, O_FIRMWARE_TABLES },
		{ "hotplug-slots", required_argument, NULL, O_HOTPLUG },
		{ "pcie-topology", required_argument, NULL, O_TOPOLOGY },
		{ "boot-timeout", required_argument, NULL, O_BOOT_TIMEOUT },
		{ "boot-marker", required_argument, NULL, O_BOOT_MARKER },
#ifdef NESTVM_IOMMUFD_TEST
		{ "iopf-mock", required_argument, NULL, O_IOPF_MOCK },
#endif
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool fw_tables_given = false;
	int c;

	*cfg = (struct vm_config){ .cpus = 1, .mem_size = 512ULL << 20, .cmdline = "", .iommufd_fd = -1,
				   .api.fd = -1, .events.fd = -1 };
#ifndef __aarch64__
	cfg->firmware_tables = FW_TABLES_ACPI;     /* OVMF's only description of the machine */
#endif
	optind = 0;   /* full getopt reset: config_parse_run may run more than once (tests) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case O_KERNEL: cfg->kernel = optarg; break;
		case O_INITRD: cfg->initrd = optarg; break;
		case O_CMDLINE: cfg->cmdline = optarg; break;
		case O_CPUS:
			if (parse_uint(optarg, 1, CFG_MAX_CPUS, &cfg->cpus))
				return bad("--cpus", optarg, "must be a number from 1 to " CFG_MAX_CPUS_STR);
			break;
		case O_MEMORY:
			if (parse_memory(cfg, optarg))
				return -EINVAL;
			break;
		case O_DISK:
			if (parse_disk(cfg, optarg))
				return -EINVAL;
			break;
		case O_CONSOLE:
			if (!strcmp(optarg, "serial"))
				cfg->console = CONSOLE_SERIAL;
			else if (!strcmp(optarg, "virtio"))
				cfg->console = CONSOLE_VIRTIO;
			else
				return bad("--console", optarg, "use serial or virtio");
			break;
		case O_SECCOMP:
			if (!strcmp(optarg, "on"))
				cfg->seccomp = SECCOMP_ON;
			else if (!strcmp(optarg, "log"))
				cfg->seccomp = SECCOMP_LOG;
			else if (!strcmp(optarg, "off"))
				cfg->seccomp = SECCOMP_OFF;
			else
				return bad("--seccomp", optarg, "use on, log or off");
			break;
		case O_DEVICE:
			if (parse_device(cfg, optarg))
				return -EINVAL;
			break;
		case O_IOMMUFD:
			if (parse_iommufd(cfg, optarg))
				return -EINVAL;
			break;
		case O_VIOMMU:
			if (parse_viommu(cfg, optarg))
				return -EINVAL;
			break;
		case O_STATS: cfg->stats = true; break;
		case O_HOTPLUG:
			if (parse_uint(optarg, 0, CFG_MAX_HOTPLUG_SLOTS, &cfg->hotplug_slots))
				return bad("--hotplug-slots", optarg, "must be a number from 0 to " CFG_MAX_HOTPLUG_SLOTS_STR);
			break;
		case O_TOPOLOGY:
			if (!strcmp(optarg, "flat"))
				cfg->topology = PCIE_TOPOLOGY_FLAT;
			else if (!strcmp(optarg, "host"))
				cfg->topology = PCIE_TOPOLOGY_HOST;
			else
				return bad("--pcie-topology", optarg, "use flat or host");
			break;
		case O_API:
			if (parse_endpoint(&cfg->api, "--api-socket", optarg))
				return -EINVAL;
			break;
		case O_EVENTS:
			if (parse_endpoint(&cfg->events, "--event-monitor", optarg))
				return -EINVAL;
			break;
		case O_FIRMWARE:
			if (cfg->firmware)
				return bad("--firmware", optarg, "given twice");
			if (!*optarg)
				return bad("--firmware", NULL, "needs a file");
			cfg->firmware = optarg;
			break;
		case O_FIRMWARE_VARS:
			if (cfg->firmware_vars)
				return bad("--firmware-vars", optarg, "given twice");
			if (!*optarg)
				return bad("--firmware-vars", NULL, "needs a file");
			cfg->firmware_vars = optarg;
			break;
		case O_FIRMWARE_TABLES:
			if (parse_fw_tables(cfg, optarg))
				return -EINVAL;
			fw_tables_given = true;
			break;
		case O_BOOT_TIMEOUT:
			if (parse_uint(optarg, 1, 86400, &cfg->boot_timeout))
				return bad("--boot-timeout", optarg, "must be a number of seconds from 1 to 86400");
			break;
		case O_BOOT_MARKER:
			if (!*optarg || strlen(optarg) > BOOT_MARKER_MAX)
				return bad("--boot-marker", optarg, "must be 1 to " BOOT_MARKER_MAX_STR " bytes");
			cfg->boot_marker = optarg;
			break;
#ifdef NESTVM_IOMMUFD_TEST
		case O_IOPF_MOCK:
			if (parse_iopf_mock(cfg, optarg))
				return -EINVAL;
			break;
#endif
		case 'v': log_verbose = true; break;
		case 'h': config_run_usage(); return 1;
		case ':': return bad(argv[optind - 1], NULL, "needs a value");
		default: return bad(argv[optind - 1], NULL, "unknown option");
		}
	}
	if (optind < argc)
		return bad(argv[optind], NULL, "unexpected argument");
	if (cfg->firmware_vars && !cfg->firmware)
		return bad("--firmware-vars", cfg->firmware_vars, "is the variable store of --firmware, which is missing");
	if (cfg->firmware && !cfg->firmware_vars)
		return bad("--firmware", cfg->firmware, "needs --firmware-vars (a writable copy of the firmware's vars template)");
	if (!cfg->kernel && !cfg->firmware)
		return bad("--kernel", NULL, "is required (or --firmware)");
	if (fw_tables_given && !cfg->firmware)
		return bad("--firmware-tables", NULL, "describes the machine to --firmware, which is missing");
	if (cfg->initrd && !cfg->kernel)
		return bad("--initrd", cfg->initrd, "needs --kernel");
	if (cfg->boot_marker && !cfg->boot_timeout)
		return bad("--boot-marker", cfg->boot_marker, "is what --boot-timeout waits for, which is missing");
	if (cfg->iommufd_fd >= 0 && !cfg->nr_vfio && !cfg->iopf_mock.on)
		return bad("--iommufd", NULL, "is only used with --device vfio,...");
#if defined(__x86_64__)
	/* An interrupt names its destination in 8 bits (IOAPIC RTE 63:56, MSI address 19:12): only an
	 * IRTE's 32-bit x2APIC destination (VT-d 9.10, ECAP.EIM) reaches ids above 254, as the guest's
	 * Linux knows (without remapping it brings up no vCPU it could not send interrupts to). */
	if (cfg->cpus > CFG_XAPIC_MAX_CPUS && cfg->viommu_model != VIOMMU_MODEL_VTD)
		return bad("--cpus", NULL, "above " CFG_XAPIC_MAX_CPUS_STR " needs --viommu vtd (interrupt remapping with "
			   "x2APIC destinations)");
#endif
	if (cfg->iopf_mock.on && (cfg->iommufd_fd < 0 ||
				  (cfg->viommu_model != VIOMMU_MODEL_SMMUV3 && cfg->viommu_model != VIOMMU_MODEL_VTD)))
		return bad("--iopf-mock", NULL, "needs --iommufd fd=N (where the mock device is) and --viommu smmuv3|vtd");
	return 0;
}
