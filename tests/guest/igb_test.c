// SPDX-License-Identifier: GPL-2.0-only
/*
 * igb_test: what a guest driver does to an assigned PCIe function besides its normal work, on
 * QEMU's igb (82576: PM, MSI-X, PCIe with FLR), with no driver bound: config space through
 * /sys/bus/pci/devices/BDF/config, BAR0 (registers) and BAR3 (MSI-X table at 0, PBA at 0x2000)
 * mmapped from its resource files. Prints TAP. Run in an L2 guest of nestvm (tests/testhost/
 * vfio_guest_errors.sh), it proves end to end:
 *  - MSI-X masking (PCI 3.0 6.8.2.9-10): a vector the device fires while masked (vector or function
 *    mask) is not delivered, its PBA bit reads 1, unmasking delivers it (PBA bit back to 0). The
 *    device fires vector 0 through EICS with GPIE.MSIX_MODE (82576 datasheet 8.8).
 *  - FLR (PCIe 6.0 7.5.3.4, 6.6.2): after Initiate FLR, COMMAND, BAR0, MSI-X enable and the table
 *    read their reset values, and the function works again once reprogrammed.
 *  - D3hot (PCI PM 1.2 3.2.4, 5.3): BAR0 reads all-ones in D3hot, the VMM keeps running; back in D0
 *    (with No_Soft_Reset 0: a reset, 5.4.1) the function works again once reprogrammed.
 * The MSI-X message is one no CPU takes (x86: APIC ID 0x7f; arm64: not the ITS doorbell), so only
 * the PBA tells delivered from held back.
 */
#include "guest_util.h"
#include "../unit/tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/pci_regs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define IGB_VENDOR 0x8086
#define IGB_DEVICE 0x10c9           /* 82576 */
#define IGB_STATUS 0x0008
#define IGB_GPIE 0x1514
#define  IGB_GPIE_MSIX_MODE 0x10
#define IGB_EICS 0x1520
#define IGB_EIMS 0x1524
#define IGB_EIAC 0x152c
#define MSIX_BAR 3
#define MSIX_PBA 0x2000
#define MSG_ADDR 0xfee7f000u        /* x86: fixed delivery to APIC ID 0x7f, which no vCPU has */
#define MSG_DATA 0x30u

struct fn {
	char dir[PATH_MAX];
	int cfg;
	volatile uint32_t *regs, *msix;
	size_t regs_len, msix_len;
	uint32_t bars[6];
};

static uint32_t cfg_rd(struct fn *f, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	if (pread(f->cfg, &v, len, off) != (ssize_t)len)
		return 0xffffffff;
	return v;
}

static void cfg_wr(struct fn *f, unsigned int off, unsigned int len, uint32_t v)
{
	if (pwrite(f->cfg, &v, len, off) != (ssize_t)len)
		gu_errno("config write 0x%x", off);
}

static unsigned int find_cap(struct fn *f, uint8_t id)
{
	unsigned int p = cfg_rd(f, PCI_CAPABILITY_LIST, 1) & ~3u;

	for (int n = 0; n < 48 && p >= 0x40; n++, p = cfg_rd(f, p + 1, 1) & ~3u)
		if (cfg_rd(f, p, 1) == id)
			return p;
	return 0;
}

/* find_cap as a test point: the function must have it. */
static unsigned int need_cap(struct fn *f, uint8_t id, const char *name)
{
	unsigned int c = find_cap(f, id);

	CHECK(c != 0, "%s capability found", name);
	return c;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static volatile uint32_t *map_bar(struct fn *f, int bar, size_t *len)
{
	char path[PATH_MAX + 16];
	off_t sz;
	void *p;
	int fd;

	snprintf(path, sizeof(path), "%s/resource%d", f->dir, bar);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0) {
		gu_errno("%s", path);
		return NULL;
	}
	sz = lseek(fd, 0, SEEK_END);
	p = sz > 0 ? mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
	if (p == MAP_FAILED)
		gu_errno("mmap %s", path);
	close(fd);
	*len = (size_t)sz;
	return p == MAP_FAILED ? NULL : p;
}

/* Puts the saved BAR addresses back and turns decoding and bus mastering on, as a driver's resume does. */
static void restore(struct fn *f)
{
	for (int i = 0; i < 6; i++)
		cfg_wr(f, PCI_BASE_ADDRESS_0 + 4 * i, 4, f->bars[i]);
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static uint32_t pba(struct fn *f)
{
	return f->msix[MSIX_PBA / 4];
}

/* EICS: the function raises MSI-X vector 0 (through L1's VFIO to the vector's eventfd). */
static void fire(struct fn *f)
{
	f->regs[IGB_EICS / 4] = 1;
}

/* PBA bit 0 once it reads WANT, polling up to 3 s: the message crosses two levels of emulation. */
static uint32_t pba_wait(struct fn *f, uint32_t want)
{
	uint32_t v = pba(f);

	for (int i = 0; i < 150 && (v & 1) != want; i++) {
		msleep(20);
		v = pba(f);
	}
	return v;
}

static void test_msix_masking(struct fn *f)
{
	unsigned int c = need_cap(f, PCI_CAP_ID_MSIX, "MSI-X");
	uint16_t ctrl;
	uint32_t v;

	if (!c)
		return;
	ctrl = (uint16_t)cfg_rd(f, c + PCI_MSIX_FLAGS, 2);
	f->msix[0] = MSG_ADDR;
	f->msix[1] = 0;
	f->msix[2] = MSG_DATA;
	f->msix[3] = 0;
	cfg_wr(f, c + PCI_MSIX_FLAGS, 2, ctrl | PCI_MSIX_FLAGS_ENABLE);
	f->regs[IGB_GPIE / 4] = IGB_GPIE_MSIX_MODE;
	f->regs[IGB_EIAC / 4] = 1;      /* EICR bit 0 clears itself when the message goes: every EICS raises */
	f->regs[IGB_EIMS / 4] = 1;
	fire(f);
	msleep(300);
	v = pba(f);
	CHECK((v & 1) == 0, "unmasked vector 0 fired: delivered, PBA bit 0 reads 0 (PBA 0x%x)", v);
	f->msix[3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	fire(f);
	v = pba_wait(f, 1);
	CHECK((v & 1) == 1, "masked vector 0 fired: held back, PBA bit 0 reads 1 (PBA 0x%x)", v);
	f->msix[3] = 0;
	v = pba_wait(f, 0);
	CHECK((v & 1) == 0, "unmasking delivers it: PBA bit 0 back to 0 (PBA 0x%x)", v);
	cfg_wr(f, c + PCI_MSIX_FLAGS, 2, ctrl | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	fire(f);
	v = pba_wait(f, 1);
	CHECK((v & 1) == 1, "function mask: vector 0 held back, PBA bit 0 reads 1 (PBA 0x%x)", v);
	cfg_wr(f, c + PCI_MSIX_FLAGS, 2, ctrl | PCI_MSIX_FLAGS_ENABLE);
	v = pba_wait(f, 0);
	CHECK((v & 1) == 0, "function unmask delivers it (PBA 0x%x)", v);
}

static void test_flr(struct fn *f)
{
	unsigned int e = find_cap(f, PCI_CAP_ID_EXP), x = find_cap(f, PCI_CAP_ID_MSIX);
	uint32_t st;

	CHECK(e && (cfg_rd(f, e + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR), "PCIe capability offers FLR");
	if (!e || !x)
		return;
	/* State the FLR must clear: MSI-X on with an unmasked, programmed entry 0. */
	f->msix[0] = MSG_ADDR;
	f->msix[2] = MSG_DATA;
	f->msix[3] = 0;
	cfg_wr(f, x + PCI_MSIX_FLAGS, 2, cfg_rd(f, x + PCI_MSIX_FLAGS, 2) | PCI_MSIX_FLAGS_ENABLE);
	cfg_wr(f, e + PCI_EXP_DEVCTL, 2, cfg_rd(f, e + PCI_EXP_DEVCTL, 2) | PCI_EXP_DEVCTL_BCR_FLR);
	msleep(100);    /* PCIe 6.0 6.6.2: 100 ms before the function must answer again */
	CHECK(cfg_rd(f, PCI_COMMAND, 2) == 0, "after FLR: COMMAND reads 0 (0x%x)", cfg_rd(f, PCI_COMMAND, 2));
	CHECK((cfg_rd(f, PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK) == 0, "after FLR: BAR0 address reads 0 (0x%x)",
	      cfg_rd(f, PCI_BASE_ADDRESS_0, 4));
	CHECK(!(cfg_rd(f, x + PCI_MSIX_FLAGS, 2) & (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)),
	      "after FLR: MSI-X disabled, function unmasked (control 0x%x)", cfg_rd(f, x + PCI_MSIX_FLAGS, 2));
	CHECK(!(cfg_rd(f, e + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_BCR_FLR), "Initiate FLR reads 0");
	restore(f);
	CHECK(f->msix[0] == 0 && f->msix[2] == 0 && f->msix[3] == PCI_MSIX_ENTRY_CTRL_MASKBIT,
	      "after FLR: MSI-X table entry 0 zero and masked (%#x %#x %#x)", f->msix[0], f->msix[2], f->msix[3]);
	st = f->regs[IGB_STATUS / 4];
	CHECK(st != 0xffffffff, "after FLR, reprogrammed: BAR0 answers (STATUS 0x%x)", st);
}

static void test_d3hot(struct fn *f)
{
	unsigned int p = need_cap(f, PCI_CAP_ID_PM, "PM");
	uint16_t pmcsr;
	uint32_t st;

	if (!p)
		return;
	pmcsr = (uint16_t)cfg_rd(f, p + PCI_PM_CTRL, 2);
	cfg_wr(f, p + PCI_PM_CTRL, 2, (pmcsr & ~PCI_PM_CTRL_STATE_MASK) | 3);
	msleep(10);     /* PCI PM 1.2 5.6.1: 10 ms D0 -> D3hot */
	CHECK((cfg_rd(f, p + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK) == 3, "PMCSR reads D3hot");
	st = f->regs[IGB_STATUS / 4];
	CHECK(st == 0xffffffff, "D3hot: BAR0 reads all-ones (STATUS 0x%x), and the VM runs on", st);
	f->regs[IGB_STATUS / 4] = 0;    /* dropped */
	cfg_wr(f, p + PCI_PM_CTRL, 2, pmcsr & ~PCI_PM_CTRL_STATE_MASK);
	msleep(10);
	CHECK((cfg_rd(f, p + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK) == 0, "PMCSR reads D0 again");
	if (!(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET))
		CHECK(cfg_rd(f, PCI_COMMAND, 2) == 0, "D3hot -> D0 with No_Soft_Reset 0: COMMAND reset (0x%x)",
		      cfg_rd(f, PCI_COMMAND, 2));
	restore(f);
	st = f->regs[IGB_STATUS / 4];
	CHECK(st != 0xffffffff, "back in D0, reprogrammed: BAR0 answers (STATUS 0x%x)", st);
}

static int open_fn(struct fn *f)
{
	char path[PATH_MAX], v[32], d[32];
	struct dirent *e;
	DIR *dir = opendir("/sys/bus/pci/devices");

	if (!dir)
		return gu_errno("/sys/bus/pci/devices");
	f->dir[0] = 0;
	while ((e = readdir(dir)) != NULL && !f->dir[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%.200s/vendor", e->d_name);
		if (e->d_name[0] == '.' || gu_read_file(path, v, sizeof(v)))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%.200s/device", e->d_name);
		if (gu_read_file(path, d, sizeof(d)))
			continue;
		if (strtoul(v, NULL, 16) == IGB_VENDOR && strtoul(d, NULL, 16) == IGB_DEVICE)
			snprintf(f->dir, sizeof(f->dir), "/sys/bus/pci/devices/%.200s", e->d_name);
	}
	closedir(dir);
	if (!f->dir[0])
		return gu_err(ENODEV, "no %04x:%04x in /sys/bus/pci/devices", IGB_VENDOR, IGB_DEVICE);
	snprintf(path, sizeof(path), "%.4000s/config", f->dir);
	f->cfg = open(path, O_RDWR);
	if (f->cfg < 0)
		return gu_errno("%s", path);
	for (int i = 0; i < 6; i++)
		f->bars[i] = cfg_rd(f, PCI_BASE_ADDRESS_0 + 4 * i, 4);
	f->regs = map_bar(f, 0, &f->regs_len);
	f->msix = map_bar(f, MSIX_BAR, &f->msix_len);
	if (!f->regs || !f->msix || f->msix_len < MSIX_PBA + 8)
		return -ENODEV;
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 0;
}

int main(int argc, char **argv)
{
	struct fn f = { .cfg = -1 };
	int r;

	gu_prog = "igb_test";
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = open_fn(&f);
	CHECK(r == 0, "igb found, config space and BARs 0/3 mapped (%s)", f.dir);
	if (r)
		return tap_done();
	CHECK(f.regs[IGB_STATUS / 4] != 0xffffffff, "BAR0 answers (STATUS 0x%x)", f.regs[IGB_STATUS / 4]);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "msix"))
			test_msix_masking(&f);
		else if (!strcmp(argv[i], "flr"))
			test_flr(&f);
		else if (!strcmp(argv[i], "d3hot"))
			test_d3hot(&f);
		else
			CHECK(0, "unknown part '%s' (msix, flr, d3hot)", argv[i]);
	}
	return tap_done();
}
