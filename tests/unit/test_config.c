// SPDX-License-Identifier: GPL-2.0-only
/* `nestvm run` command-line parsing: values, option lists, and every rejection path. */
#include <errno.h>
#include <string.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "tap.h"
#include "vmm/config_parse.h"
#include "vmm/firmware.h"

static int run(struct vm_config *cfg, const char *const *args)
{
	static char buf[32][256];
	char *argv[33];
	int argc = 0;

	for (; args[argc]; argc++) {
		snprintf(buf[argc], sizeof(buf[argc]), "%s", args[argc]);
		argv[argc] = buf[argc];
	}
	argv[argc] = NULL;
	return config_parse_run(cfg, argc, argv);
}

#define RUN(cfg, ...) run(cfg, (const char *const[]){ "run", __VA_ARGS__, NULL })

/* A file of SIZE bytes under /tmp with MODE; its name in a static slot. */
static const char *tmpfile_of(uint64_t size, mode_t mode)
{
	static char names[16][32];
	static int n;
	char *name = names[n++ % 16];
	int fd;

	strcpy(name, "/tmp/test_config.XXXXXX");
	fd = mkstemp(name);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || fchmod(fd, mode) < 0)
		name[0] = 0;
	close(fd);
	return name;
}

/* Writes LEN bytes of P at OFF into PATH (a tmpfile_of). */
static void put(const char *path, uint64_t off, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || pwrite(fd, p, len, (off_t)off) != (ssize_t)len)
		CHECK(0, "writing %s", path);
	close(fd);
}

/* An OVMF-style variable store volume header of FV_LEN bytes at the start of PATH. */
static void put_nv_fv(const char *path, uint64_t fv_len)
{
	static const uint8_t guid[16] = { 0x8d, 0x2b, 0xf1, 0xff, 0x96, 0x76, 0x8b, 0x4c,
					  0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50 };

	put(path, 16, guid, sizeof(guid));
	put(path, 32, &fv_len, sizeof(fv_len));
	put(path, 40, "_FVH", 4);
}

static void test_boot_timeout(void)
{
	struct vm_config c;

	CHECK(!RUN(&c, "--kernel", "k") && !c.boot_timeout && !c.boot_marker, "no boot watchdog by default");
	CHECK(!RUN(&c, "--kernel", "k", "--boot-timeout", "90") && c.boot_timeout == 90 && !c.boot_marker,
	      "--boot-timeout 90, the default marker");
	CHECK(!RUN(&c, "--firmware", "c", "--firmware-vars", "v", "--boot-timeout", "5", "--boot-marker", "init reached") &&
	      c.boot_timeout == 5 && !strcmp(c.boot_marker, "init reached"), "--boot-marker");
	CHECK(RUN(&c, "--kernel", "k", "--boot-timeout", "0") == -EINVAL, "--boot-timeout 0");
	CHECK(RUN(&c, "--kernel", "k", "--boot-timeout", "86401") == -EINVAL, "--boot-timeout above a day");
	CHECK(RUN(&c, "--kernel", "k", "--boot-timeout", "5s") == -EINVAL, "--boot-timeout with a unit");
	CHECK(RUN(&c, "--kernel", "k", "--boot-marker", "x") == -EINVAL, "--boot-marker without --boot-timeout");
	CHECK(RUN(&c, "--kernel", "k", "--boot-timeout", "5", "--boot-marker", "") == -EINVAL, "--boot-marker empty");
	CHECK(RUN(&c, "--kernel", "k", "--boot-timeout", "5", "--boot-marker",
		  "0123456789012345678901234567890123456789012345678901234567890123X") == -EINVAL, "--boot-marker too long");
}

static void test_firmware(void)
{
	static const struct arch_flash_layout x86 = { .images = "OVMF 4M", .block = 0x1000, .total = 4 << 20 };
	static const struct arch_flash_layout virt = { .images = "AAVMF", .block = 0x40000, .code_size = 64 << 20,
						       .vars_size = 64 << 20 };
	const char *code = tmpfile_of(0x37c000, 0444), *vars = tmpfile_of(0x84000, 0644);
	const char *vars_ro = tmpfile_of(0x84000, 0444), *vars_2m = tmpfile_of(0x20000, 0644);
	const char *odd = tmpfile_of(0x84100, 0644), *big = tmpfile_of(64 << 20, 0644);
	struct vm_config c;

	CHECK(!RUN(&c, "--firmware", "code.fd", "--firmware-vars", "vars.fd") && !c.kernel &&
	      !strcmp(c.firmware, "code.fd") && !strcmp(c.firmware_vars, "vars.fd"), "--firmware without --kernel");
	CHECK(!RUN(&c, "--firmware", "c", "--firmware-vars", "v", "--kernel", "k", "--initrd", "i"),
	      "--firmware with a kernel to boot through it");
	CHECK(RUN(&c, "--firmware", "c") == -EINVAL, "--firmware without --firmware-vars");
	CHECK(RUN(&c, "--kernel", "k", "--firmware-vars", "v") == -EINVAL, "--firmware-vars without --firmware");
	CHECK(RUN(&c, "--firmware", "c", "--firmware", "d", "--firmware-vars", "v") == -EINVAL, "--firmware twice");
	CHECK(RUN(&c, "--firmware", "", "--firmware-vars", "v") == -EINVAL, "--firmware empty");
	CHECK(RUN(&c, "--firmware", "c", "--firmware-vars", "v", "--initrd", "i") == -EINVAL, "--initrd without --kernel");
	CHECK(!RUN(&c, "--firmware", "c", "--firmware-vars", "v", "--firmware-tables", "acpi") &&
	      c.firmware_tables == FW_TABLES_ACPI, "--firmware-tables acpi");
	CHECK(RUN(&c, "--kernel", "k", "--firmware-tables", "acpi") == -EINVAL, "--firmware-tables without --firmware");
	CHECK(RUN(&c, "--firmware", "c", "--firmware-vars", "v", "--firmware-tables", "fdt") == -EINVAL,
	      "--firmware-tables fdt: unknown");
#ifdef __aarch64__
	CHECK(!RUN(&c, "--firmware", "c", "--firmware-vars", "v") && c.firmware_tables == FW_TABLES_DT,
	      "arm64: the device tree by default");
	CHECK(!RUN(&c, "--firmware", "c", "--firmware-vars", "v", "--firmware-tables", "dt") &&
	      c.firmware_tables == FW_TABLES_DT, "arm64: --firmware-tables dt");
#else
	CHECK(!RUN(&c, "--firmware", "c", "--firmware-vars", "v") && c.firmware_tables == FW_TABLES_ACPI,
	      "x86_64: ACPI by default");
	CHECK(RUN(&c, "--firmware", "c", "--firmware-vars", "v", "--firmware-tables", "dt") == -EINVAL,
	      "x86_64: --firmware-tables dt refused (OVMF needs ACPI)");
#endif
	CHECK(!RUN(&c, "--kernel", "k") && firmware_check(&c, &x86) == 0, "no --firmware: nothing to check");

	const char *bigcode = tmpfile_of(64 << 20, 0644), *nvcode = tmpfile_of(0x37c000, 0644);
	const char *badfv = tmpfile_of(0x84000, 0644), *codevars = tmpfile_of(0x84000, 0644);
	const char *blankcode = tmpfile_of(0x37c000, 0644);

	CHECK(code[0] && vars[0] && vars_ro[0] && vars_2m[0] && odd[0] && big[0] && bigcode[0] && nvcode[0] &&
	      badfv[0] && codevars[0] && blankcode[0], "image files");
	/* Code starts with code (AAVMF: a branch, 0x14000400); OVMF's vars with their volume header. */
	put(code, 0, "\x00\x04\x00\x14", 4);
	put(bigcode, 0, "\x00\x04\x00\x14", 4);
	put(codevars, 0, "\x00\x04\x00\x14", 4);
	put_nv_fv(vars, 0x84000);
	put_nv_fv(nvcode, 0x37c000);
	put_nv_fv(badfv, 0x100000);
	c.firmware = code;
	c.firmware_vars = vars;
	CHECK(firmware_check(&c, &x86) == 0, "OVMF 4M: code 0x37c000 + vars 0x84000 fit");
	c.firmware_vars = vars_2m;
	CHECK(firmware_check(&c, &x86) == -EINVAL, "vars of another build (sizes do not add up to 4M)");
	c.firmware_vars = odd;
	CHECK(firmware_check(&c, &x86) == -EINVAL, "vars not a whole number of blocks");
	c.firmware_vars = "/nonexistent/vars.fd";
	CHECK(firmware_check(&c, &x86) == -ENOENT, "missing vars file");
	c.firmware = "/nonexistent/code.fd";
	c.firmware_vars = vars;
	CHECK(firmware_check(&c, &x86) == -ENOENT, "missing code file");
	c.firmware = "/tmp";
	CHECK(firmware_check(&c, &x86) == -EINVAL, "a directory as code");
	if (geteuid()) {
		c.firmware = code;
		c.firmware_vars = vars_ro;
		CHECK(firmware_check(&c, &x86) == -EACCES, "read-only vars file");
	} else {
		SKIP("root can write read-only files", "read-only vars file");
	}
	c.firmware = nvcode;
	c.firmware_vars = vars;
	CHECK(firmware_check(&c, &x86) == -EINVAL, "a variable store as code (swapped)");
	c.firmware = blankcode;
	CHECK(firmware_check(&c, &x86) == -EINVAL, "blank code");
	c.firmware = code;
	c.firmware_vars = codevars;
	CHECK(firmware_check(&c, &x86) == -EINVAL, "vars that are neither a variable store nor blank");
	c.firmware_vars = badfv;
	CHECK(firmware_check(&c, &x86) == -EINVAL, "a variable store volume longer than its file (another build's)");
	c.firmware = bigcode;
	c.firmware_vars = big;
	CHECK(firmware_check(&c, &virt) == 0, "virt: 64 MiB code and blank 64 MiB vars (AAVMF's template is all zeros)");
	c.firmware = big;
	c.firmware_vars = bigcode;
	CHECK(firmware_check(&c, &virt) == -EINVAL, "virt: code and vars swapped");
	c.firmware = bigcode;
	c.firmware_vars = vars;
	CHECK(firmware_check(&c, &virt) == -EINVAL, "virt: vars not 64 MiB");
	unlink(code);
	unlink(vars);
	unlink(vars_ro);
	unlink(vars_2m);
	unlink(odd);
	unlink(big);
	unlink(bigcode);
	unlink(nvcode);
	unlink(badfv);
	unlink(codevars);
	unlink(blankcode);
}

int main(void)
{
	struct vm_config c;
	uint64_t sz;
	unsigned int u;
	bool b;
	struct kv kv[KV_MAX];
	unsigned int n;
	char s[256];

	CHECK(!parse_size("512M", &sz) && sz == 512ULL << 20, "512M");
	CHECK(!parse_size("2G", &sz) && sz == 2ULL << 30, "2G");
	CHECK(!parse_size("2GiB", &sz) && sz == 2ULL << 30, "2GiB");
	CHECK(!parse_size("4096", &sz) && sz == 4096, "plain bytes");
	CHECK(parse_size("", &sz) == -EINVAL, "empty size rejected");
	CHECK(parse_size("-1G", &sz) == -EINVAL, "negative size rejected");
	CHECK(parse_size("1X", &sz) == -EINVAL, "unknown suffix rejected");
	CHECK(parse_size("1Gx", &sz) == -EINVAL, "trailing junk rejected");
	CHECK(parse_size("99999999999T", &sz) == -ERANGE, "overflowing size rejected");
	CHECK(parse_size("99999999999999999999999", &sz) == -ERANGE, "huge number rejected");
	CHECK(!parse_uint("8", 1, 64, &u) && u == 8, "uint in range");
	CHECK(parse_uint("0", 1, 64, &u) == -ERANGE, "uint below range");
	CHECK(parse_uint("65", 1, 64, &u) == -ERANGE, "uint above range");
	CHECK(parse_uint("3a", 1, 64, &u) == -EINVAL, "uint junk");
	CHECK(!parse_bool("on", &b) && b && !parse_bool("OFF", &b) && !b, "bools");
	CHECK(parse_bool("maybe", &b) == -EINVAL, "bad bool");

	strcpy(s, "path=/a,readonly");
	CHECK(!kv_split(s, kv, &n) && n == 2 && !strcmp(kv[0].key, "path") && !strcmp(kv[0].val, "/a") &&
	      !strcmp(kv[1].key, "readonly") && !kv[1].val, "kv_split");
	strcpy(s, "=x");
	CHECK(kv_split(s, kv, &n) == -EINVAL, "kv_split empty key");
	strcpy(s, "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q");
	CHECK(kv_split(s, kv, &n) == -E2BIG, "kv_split too many");

	CHECK(!RUN(&c, "--kernel", "k") && c.cpus == 1 && c.mem_size == 512ULL << 20 &&
	      c.console == CONSOLE_SERIAL && c.seccomp == SECCOMP_ON, "defaults");
	CHECK(!RUN(&c, "--kernel", "k", "--cpus", "2", "--memory", "size=1G,hugepages=on", "--disk",
		   "path=d.img,readonly", "--disk", "path=e.img", "--console", "virtio", "--seccomp", "log",
		   "--initrd", "i", "--cmdline", "quiet") &&
	      c.cpus == 2 && c.mem_size == 1ULL << 30 && c.hugepages && c.nr_disks == 2 &&
	      c.disks[0].readonly && !c.disks[1].readonly && !strcmp(c.disks[1].path, "e.img") &&
	      c.console == CONSOLE_VIRTIO && c.seccomp == SECCOMP_LOG && !strcmp(c.initrd, "i") &&
	      !strcmp(c.cmdline, "quiet"), "all options");
	CHECK(!RUN(&c, "--kernel", "k", "--memory", "256M") && c.mem_size == 256ULL << 20, "bare memory size");
	CHECK(RUN(&c, "--cpus", "1") == -EINVAL, "missing --kernel");
	test_firmware();
	test_boot_timeout();
	CHECK(RUN(&c, "--kernel", "k", "--cpus", "0") == -EINVAL, "--cpus 0");
	CHECK(RUN(&c, "--kernel", "k", "--cpus", "1025") == -EINVAL, "--cpus too many");
#ifdef __x86_64__
	CHECK(!RUN(&c, "--kernel", "k", "--cpus", "255") && c.cpus == 255, "--cpus 255 without a vIOMMU (xAPIC ids 0-254)");
	CHECK(RUN(&c, "--kernel", "k", "--cpus", "256") == -EINVAL,
	      "--cpus 256 without --viommu vtd: refused (no interrupt could reach id 255 and above)");
	CHECK(!RUN(&c, "--kernel", "k", "--cpus", "1024", "--viommu", "vtd") && c.cpus == 1024,
	      "--cpus 1024 (the MADT's room) with --viommu vtd: x2APIC destinations through interrupt remapping");
#else
	CHECK(!RUN(&c, "--kernel", "k", "--cpus", "123") && c.cpus == 123, "--cpus 123 (arm64: a redistributor frame each)");
	CHECK(RUN(&c, "--kernel", "k", "--cpus", "124") == -EINVAL, "--cpus 124: no redistributor frame left");
#endif
	CHECK(RUN(&c, "--kernel", "k", "--memory", "1M") == -EINVAL, "--memory too small");
	CHECK(RUN(&c, "--kernel", "k", "--memory", "20000000T") == -EINVAL, "--memory overflow");
	CHECK(RUN(&c, "--kernel", "k", "--memory", "size=1G,colour=red") == -EINVAL, "--memory unknown key");
	CHECK(RUN(&c, "--kernel", "k", "--disk", "readonly") == -EINVAL, "--disk without path");
	CHECK(RUN(&c, "--kernel", "k", "--console", "vga") == -EINVAL, "--console bad");
	CHECK(RUN(&c, "--kernel", "k", "--seccomp", "maybe") == -EINVAL, "--seccomp bad");
	CHECK(RUN(&c, "--kernel", "k", "--bogus") == -EINVAL, "unknown option");
	CHECK(RUN(&c, "--kernel") == -EINVAL, "option without value");
	CHECK(RUN(&c, "--kernel", "k", "stray") == -EINVAL, "stray argument");
	CHECK(RUN(&c, "--help") == 1, "--help");

	/* --device vfio / --iommufd */
	CHECK(!RUN(&c, "--kernel", "k") && c.nr_vfio == 0 && c.iommufd_fd == -1, "no vfio by default");
	CHECK(!RUN(&c, "--kernel", "k", "--device", "vfio,path=/dev/vfio/devices/vfio0", "--device",
		   "vfio,host=0000:00:02.0,rom=on", "--device", "vfio,fd=7", "--iommufd", "fd=5") &&
	      c.nr_vfio == 3 && !strcmp(c.vfio[0].path, "/dev/vfio/devices/vfio0") && c.vfio[0].fd == -1 &&
	      !c.vfio[0].rom && !strcmp(c.vfio[1].host, "0000:00:02.0") && c.vfio[1].rom && c.vfio[2].fd == 7 &&
	      !c.vfio[2].path && c.iommufd_fd == 5, "vfio devices and --iommufd");
	CHECK(RUN(&c, "--kernel", "k", "--device", "virtio,path=x") == -EINVAL, "--device kind other than vfio");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio") == -EINVAL, "--device vfio without a device");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,fd=4") == -EINVAL, "--device two names");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,fd=2") == -EINVAL, "--device fd= stdio refused");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,fd=x") == -EINVAL, "--device fd= junk");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,host=00:02.0") == -EINVAL, "--device short host=");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,host=0000:00:20.0") == -EINVAL, "--device host= slot > 31");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,host=0000:00:02.0x") == -EINVAL, "--device host= junk");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,rom=maybe") == -EINVAL, "--device bad rom=");
	CHECK(!RUN(&c, "--kernel", "k", "--device", "vfio,path=/a", "--device", "vfio,path=/b,p2p=off", "--device",
		   "vfio,path=/c,p2p=on") && !c.vfio[0].p2p_off && c.vfio[1].p2p_off && !c.vfio[2].p2p_off,
	      "--device p2p= (on by default)");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,p2p=maybe") == -EINVAL, "--device bad p2p=");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,colour=red") == -EINVAL, "--device unknown key");
	/* Placement (docs/topology.md). */
	CHECK(!RUN(&c, "--kernel", "k", "--device", "vfio,path=/a", "--device", "vfio,path=/b,root-port=on", "--device",
		   "vfio,path=/c,switch=gpu0", "--device", "vfio,path=/d,root-port=off") &&
	      c.vfio[0].place == VFIO_PLACE_DEFAULT && c.vfio[1].place == VFIO_PLACE_ROOT_PORT &&
	      c.vfio[2].place == VFIO_PLACE_SWITCH && !strcmp(c.vfio[2].sw, "gpu0") && c.vfio[3].place == VFIO_PLACE_FLAT &&
	      c.topology == PCIE_TOPOLOGY_FLAT, "--device root-port= / switch=, flat topology by default");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,switch=") == -EINVAL, "--device empty switch=");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,switch=a/b") == -EINVAL, "--device switch= with a '/'");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,switch=abcdefghijklmnopqrstuvwx") == -EINVAL,
	      "--device switch= of 24 characters");
	CHECK(!RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,switch=0000:02:00.0") && !strcmp(c.vfio[0].sw, "0000:02:00.0"),
	      "--device switch= a host BDF");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,switch=s,root-port=on") == -EINVAL &&
	      RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,root-port=on,switch=s") == -EINVAL &&
	      RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,switch=s,switch=t") == -EINVAL,
	      "--device root-port= and switch= exclude each other, switch= once");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=/a,root-port=maybe") == -EINVAL, "--device bad root-port=");
	CHECK(!RUN(&c, "--kernel", "k", "--pcie-topology", "host") && c.topology == PCIE_TOPOLOGY_HOST &&
	      !RUN(&c, "--kernel", "k", "--pcie-topology", "flat") && c.topology == PCIE_TOPOLOGY_FLAT,
	      "--pcie-topology host / flat");
	CHECK(RUN(&c, "--kernel", "k", "--pcie-topology", "tree") == -EINVAL, "--pcie-topology junk");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,path=") == -EINVAL, "--device empty path");
	CHECK(RUN(&c, "--kernel", "k", "--iommufd", "fd=5") == -EINVAL, "--iommufd without a device");
#ifdef NESTVM_IOMMUFD_TEST
	/* --iopf-mock (test builds): the mock device's ids on --iommufd, behind the vSMMU (arm64). */
	CHECK(RUN(&c, "--kernel", "k", "--iopf-mock", "dev_id=1,stdev_id=2,hwpt=3,sid=16") == -EINVAL,
	      "--iopf-mock without --iommufd");
	CHECK(RUN(&c, "--kernel", "k", "--iommufd", "fd=5", "--iopf-mock", "dev_id=1,stdev_id=2,sid=16") == -EINVAL,
	      "--iopf-mock without hwpt=");
	CHECK(RUN(&c, "--kernel", "k", "--iommufd", "fd=5", "--iopf-mock", "dev_id=1,stdev_id=2,hwpt=3,sid=65536") == -EINVAL,
	      "--iopf-mock sid beyond 16 bits");
	CHECK(RUN(&c, "--kernel", "k", "--iommufd", "fd=5", "--iopf-mock", "dev_id=1,stdev_id=2,hwpt=3,sid=16,x=1") == -EINVAL,
	      "--iopf-mock unknown key");
#ifdef __aarch64__
	CHECK(!RUN(&c, "--kernel", "k", "--viommu", "smmuv3", "--iommufd", "fd=5", "--iopf-mock",
		   "dev_id=1,stdev_id=2,hwpt=3,sid=16,timeout_ms=2000") && c.iopf_mock.on && c.iopf_mock.dev_id == 1 &&
	      c.iopf_mock.stdev_id == 2 && c.iopf_mock.hwpt_id == 3 && c.iopf_mock.sid == 16 &&
	      c.iopf_mock.timeout_ms == 2000, "--iopf-mock with --iommufd and --viommu smmuv3");
#else
	CHECK(RUN(&c, "--kernel", "k", "--iommufd", "fd=5", "--iopf-mock", "dev_id=1,stdev_id=2,hwpt=3,sid=16") == -EINVAL,
	      "--iopf-mock needs a vIOMMU");
	CHECK(!RUN(&c, "--kernel", "k", "--viommu", "vtd", "--iommufd", "fd=5", "--iopf-mock",
		   "dev_id=1,stdev_id=2,hwpt=3,sid=16") && c.iopf_mock.on && c.iopf_mock.sid == 16 && !c.iopf_mock.function,
	      "--iopf-mock with --iommufd and --viommu vtd (x86_64): no function by default");
	CHECK(!RUN(&c, "--kernel", "k", "--viommu", "vtd", "--iommufd", "fd=5", "--iopf-mock",
		   "dev_id=1,stdev_id=2,hwpt=3,sid=16,function=on") && c.iopf_mock.function,
	      "--iopf-mock function=on");
	CHECK(!RUN(&c, "--kernel", "k", "--viommu", "vtd", "--iommufd", "fd=5", "--iopf-mock",
		   "dev_id=1,stdev_id=2,hwpt=3,sid=16,function=off") && !c.iopf_mock.function,
	      "--iopf-mock function=off");
	CHECK(RUN(&c, "--kernel", "k", "--viommu", "vtd", "--iommufd", "fd=5", "--iopf-mock",
		  "dev_id=1,stdev_id=2,hwpt=3,sid=16,function=maybe") == -EINVAL &&
	      RUN(&c, "--kernel", "k", "--viommu", "vtd", "--iommufd", "fd=5", "--iopf-mock",
		  "dev_id=1,stdev_id=2,hwpt=3,sid=16,function") == -EINVAL, "--iopf-mock function= junk or empty refused");
#endif
#endif
	/* --viommu */
	CHECK(!RUN(&c, "--kernel", "k") && c.viommu_model == VIOMMU_MODEL_NONE, "no vIOMMU by default");
	CHECK(!RUN(&c, "--kernel", "k", "--viommu", "none") && c.viommu_model == VIOMMU_MODEL_NONE, "--viommu none");
	CHECK(RUN(&c, "--kernel", "k", "--viommu", "vtd2") == -EINVAL, "--viommu unknown model refused");
#ifdef __aarch64__
	CHECK(!RUN(&c, "--kernel", "k", "--viommu", "smmuv3") && c.viommu_model == VIOMMU_MODEL_SMMUV3, "--viommu smmuv3 (arm64)");
	CHECK(RUN(&c, "--kernel", "k", "--viommu", "vtd") == -EINVAL, "--viommu vtd refused off x86_64");
#else
	CHECK(RUN(&c, "--kernel", "k", "--viommu", "smmuv3") == -EINVAL, "--viommu smmuv3 refused off arm64");
	CHECK(!RUN(&c, "--kernel", "k", "--viommu", "vtd") && c.viommu_model == VIOMMU_MODEL_VTD, "--viommu vtd (x86_64)");
	CHECK(c.viommu_backend == VIOMMU_BACKEND_AUTO, "--viommu vtd: backend chosen automatically");
	CHECK(!RUN(&c, "--kernel", "k", "--viommu", "vtd,backend=nested") && c.viommu_model == VIOMMU_MODEL_VTD &&
	      c.viommu_backend == VIOMMU_BACKEND_NESTED, "--viommu vtd,backend=nested");
	CHECK(!RUN(&c, "--kernel", "k", "--viommu", "vtd,backend=shadow") && c.viommu_backend == VIOMMU_BACKEND_SHADOW,
	      "--viommu vtd,backend=shadow");
	CHECK(RUN(&c, "--kernel", "k", "--viommu", "vtd,backend=soft") == -EINVAL, "--viommu vtd,backend=soft refused");
	CHECK(RUN(&c, "--kernel", "k", "--viommu", "vtd,backend") == -EINVAL, "--viommu vtd,backend without a value refused");
	CHECK(RUN(&c, "--kernel", "k", "--viommu", "vtd,mode=nested") == -EINVAL, "--viommu vtd,unknown option refused");
	CHECK(RUN(&c, "--kernel", "k", "--viommu", "none,backend=shadow") == -EINVAL, "--viommu none,backend= refused");
#endif
	/* --stats */
	CHECK(!RUN(&c, "--kernel", "k") && !c.stats, "no --stats by default");
	CHECK(!RUN(&c, "--kernel", "k", "--stats") && c.stats, "--stats");
	CHECK(RUN(&c, "--kernel", "k", "--stats=yes") == -EINVAL, "--stats takes no value");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,fd=4", "--iommufd", "5") == -EINVAL, "--iommufd bare number");
	CHECK(RUN(&c, "--kernel", "k", "--device", "vfio,fd=4", "--iommufd", "fd=1") == -EINVAL, "--iommufd stdio");

	/* --api-socket / --event-monitor */
	CHECK(!RUN(&c, "--kernel", "k") && !c.api.path && c.api.fd == -1 && !c.events.path && c.events.fd == -1,
	      "no API socket or event monitor by default");
	CHECK(!RUN(&c, "--kernel", "k", "--api-socket", "path=/run/vm.sock", "--event-monitor", "fd=9") &&
	      !strcmp(c.api.path, "/run/vm.sock") && c.api.fd == -1 && !c.events.path && c.events.fd == 9,
	      "--api-socket path=, --event-monitor fd=");
	CHECK(!RUN(&c, "--kernel", "k", "--api-socket", "fd=3") && c.api.fd == 3 && !c.api.path, "--api-socket fd=");
	CHECK(RUN(&c, "--kernel", "k", "--api-socket", "/run/vm.sock") == -EINVAL, "--api-socket without path=");
	CHECK(RUN(&c, "--kernel", "k", "--api-socket", "path=") == -EINVAL, "--api-socket empty path");
	CHECK(RUN(&c, "--kernel", "k", "--api-socket", "fd=2") == -EINVAL, "--api-socket on stdio");
	CHECK(RUN(&c, "--kernel", "k", "--api-socket", "path=/a,fd=4") == -EINVAL, "--api-socket path= and fd=");
	CHECK(RUN(&c, "--kernel", "k", "--api-socket", "path=/a", "--api-socket", "path=/b") == -EINVAL,
	      "--api-socket twice");
	CHECK(RUN(&c, "--kernel", "k", "--event-monitor", "file=/a") == -EINVAL, "--event-monitor unknown key");
	{
		const char *a[CFG_MAX_VFIO * 2 + 8] = { "run", "--kernel", "k" };
		unsigned int k = 3;

		for (unsigned int i = 0; i <= CFG_MAX_VFIO; i++) {
			a[k++] = "--device";
			a[k++] = "vfio,fd=9";
		}
		a[k] = NULL;
		CHECK(run(&c, a) == -EINVAL, "too many vfio devices");
	}
	return tap_done();
}
