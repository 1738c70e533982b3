// SPDX-License-Identifier: GPL-2.0-only
/*
 * edu_p2p: peer-to-peer DMA between two QEMU edu devices (edu.h) from userspace, TAP output: the
 * guest side of tests/testhost/p2p.sh (issue 14). Device A's DMA engine copies a 32-bit n from its
 * own buffer into device B's factorial register (BAR0 + 0x08); B then computes n!, which we read
 * through B's BAR. Where A's DMA is aimed:
 *   --noiommu  (a guest without an IOMMU) B's BAR0 guest-physical address, as programmed in B's
 *              config space: the VMM's IOAS maps it to the host's BAR, or not (p2p=off: blocked).
 *   --iommufd  (a guest behind a vIOMMU) B's BAR0 exported as a dma-buf by the guest's own VFIO
 *              (VFIO_DEVICE_FEATURE_DMA_BUF) and mapped into A's IOAS with IOMMU_IOAS_MAP_FILE at an
 *              IOVA: the guest's stage 1 points it at B's BAR GPA, the VMM's stage 2 holds the rest.
 * Every check presets B's register to 3! = 6 first, so a DMA that never arrived reads 6.
 *   always     A -> B with n = 5: 120 (--expect through) or 6 (--expect blocked).
 *   --disable  (--noiommu) B's memory decode cleared through sysfs config (the VMM takes the BAR
 *              out of its IOAS, the host revokes the dma-buf): the DMA (n = 4) must not arrive;
 *              decode set again: the same DMA must (a fresh mapping, the revoked one is dead).
 *   --move A   (--noiommu) B's BAR0 moved to address A while decoding (one BAR write through sysfs
 *              config), a DMA to the old address must not arrive, one to A must (checked after B
 *              is moved back; its register is read through the mapping of the old address).
 *   --unmap    (--iommufd) the guest unmaps the dma-buf IOVA: the DMA to it must not arrive.
 *   --dma-only ADDR  A alone (B may be gone: tests/testhost/p2p.sh removes it from the VM) writes 5
 *              to ADDR; A's engine must finish (a DMA nothing answers is dropped by the host IOMMU,
 *              which the caller looks for in the host's log) and the VMM must run on.
 * Devices: the first two edu functions in address order (--a/--b to choose); --bind binds both to
 * vfio-pci first.
 */
#include "dma_space.h"
#include "edu.h"
#include "guest_util.h"
#include "vfio_pci.h"
#include "../unit/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#define FACT_PRESET 3u      /* 3! = 6: what B reads when no DMA arrived */

struct peer {
	char bdf[NAME_MAX + 1];
	struct dma_space ds;
	struct vfio_pci vp;
	int cfg;            /* /sys/bus/pci/devices/BDF/config: raw config space (sysfs, no VFIO) */
};

static struct {
	const struct dma_space_ops *backend;
	int through, disable, unmap;
	uint64_t move, dma_only;
} o = { .backend = &dma_noiommu_ops, .through = 1 };

static int cfg_rw(struct peer *p, unsigned int off, void *v, size_t len, int write)
{
	ssize_t n = write ? pwrite(p->cfg, v, len, off) : pread(p->cfg, v, len, off);

	if (n != (ssize_t)len)
		return n < 0 ? gu_errno("%s config %s %#x", p->bdf, write ? "write" : "read", off) :
			       gu_err(EIO, "%s: short config access %#x", p->bdf, off);
	return 0;
}

/* BAR0's address as programmed (PCI 3.0 6.2.5.1: bits 3:0 are flags; type 10b: 64-bit). */
static int bar0_addr(struct peer *p, uint64_t *addr)
{
	uint32_t lo, hi = 0;
	int ret = cfg_rw(p, PCI_BASE_ADDRESS_0, &lo, 4, 0);

	if (!ret && (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
		ret = cfg_rw(p, PCI_BASE_ADDRESS_1, &hi, 4, 0);
	*addr = ((uint64_t)hi << 32) | (lo & PCI_BASE_ADDRESS_MEM_MASK);
	return ret;
}

/* B's factorial register preset to 3! (polled); false when B does not answer. */
static int preset(struct peer *b)
{
	vfio_pci_write32(&b->vp, EDU_FACT, FACT_PRESET);
	return vfio_pci_poll_clear(&b->vp, EDU_STATUS, 0, EDU_STATUS_COMPUTING, 30000) && vfio_pci_read32(&b->vp, EDU_FACT) == 6;
}

/* B's factorial register once B is done computing. */
static uint32_t fact_of(struct peer *b)
{
	vfio_pci_poll_clear(&b->vp, EDU_STATUS, 0, EDU_STATUS_COMPUTING, 30000);
	return vfio_pci_read32(&b->vp, EDU_FACT);
}

/*
 * One DMA of A, waited for by its DMA-done MSI (as edu_test does: sleeping in poll(), not polling
 * the device, which on a loaded nested x86 host delays the device's own timer); false when the
 * engine never finished. A faulting DMA completes too (the IOMMU drops it).
 */
static int run_dma(struct peer *a, uint64_t src, uint64_t dst, uint64_t len, uint64_t dir)
{
	int n;

	vfio_pci_write64(&a->vp, EDU_DMA_SRC, src);
	vfio_pci_write64(&a->vp, EDU_DMA_DST, dst);
	vfio_pci_write64(&a->vp, EDU_DMA_COUNT, len);
	vfio_pci_write64(&a->vp, EDU_DMA_CMD, EDU_DMA_RUN | dir | EDU_DMA_IRQ);
	n = vfio_pci_wait_irq(&a->vp, 30000);
	if (n <= 0 && !vfio_pci_poll_clear(&a->vp, EDU_DMA_CMD, 1, EDU_DMA_RUN, 30000))
		return 0;
	vfio_pci_write32(&a->vp, EDU_IRQ_ACK, EDU_IRQ_DMA);
	return 1;
}

/* A copies 4 bytes at EDU_DMA_BUF + SRC (its own buffer) to bus address DST; false on a stuck engine. */
static int dma_to(struct peer *a, unsigned int src, uint64_t dst)
{
	return run_dma(a, EDU_DMA_BUF + src, dst, 4, EDU_DMA_TO_RAM);
}

/* One P2P check: preset B, A writes n (at buffer offset SRC) to DST, B must read n! (ARRIVE) or 6. */
static void p2p_check(struct peer *a, struct peer *b, unsigned int src, uint32_t n, uint64_t dst, int arrive,
		      const char *what)
{
	static const uint32_t fact[] = { 1, 1, 2, 6, 24, 120 };
	uint32_t want = arrive ? fact[n] : 6, got;
	int pre = preset(b), done = dma_to(a, src, dst);

	got = fact_of(b);
	CHECK(pre && done && got == want, "%s: A's DMA of %u to %#llx, B's factorial register reads %u (want %u%s)%s%s",
	      what, n, (unsigned long long)dst, got, want, arrive ? ", it arrived" : ": it was blocked",
	      pre ? "" : " [preset failed]", done ? "" : " [A's DMA engine stuck]");
}

static int open_peer(struct peer *p, int nth, const char *bdf, int bind)
{
	char path[PATH_MAX];
	int ret, fd = -1;

	p->cfg = -1;
	dma_space_init(&p->ds, o.backend, 0);
	p->vp.fd = p->vp.irq_fd = -1;
	if (bdf)
		snprintf(p->bdf, sizeof(p->bdf), "%s", bdf);
	else if ((ret = gu_find_pci(EDU_VENDOR, EDU_DEVICE, (unsigned int)nth, p->bdf, sizeof(p->bdf))))
		return ret;
	if (bind && (ret = gu_bind_vfio(p->bdf)))
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", p->bdf);
	p->cfg = open(path, O_RDWR | O_CLOEXEC);
	if (p->cfg < 0)
		return gu_errno("open %s", path);
	ret = p->ds.ops->open_device(&p->ds, p->bdf, &fd);
	if (!ret)
		ret = vfio_pci_open(&p->vp, fd, EDU_BAR0_SIZE);
	if (!ret) {
		/* A previous user may have left causes pending or the factorial interrupt enabled. */
		vfio_pci_write32(&p->vp, EDU_STATUS, 0);
		vfio_pci_write32(&p->vp, EDU_IRQ_ACK, ~0U);
		ret = vfio_pci_msi_enable(&p->vp);
	}
	return ret;
}

static void close_peer(struct peer *p)
{
	vfio_pci_close(&p->vp);
	p->ds.ops->close(&p->ds);
	if (p->cfg >= 0)
		close(p->cfg);
}

/* A's buffer gets the values the checks send (5 at +0, 4 at +4): one RAM -> A DMA. */
static int load_a(struct peer *a)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	uint32_t *page = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t iova;
	long long t0;
	int ret;

	if (page == MAP_FAILED)
		return gu_errno("mmap");
	if (mlock(page, ps)) {
		ret = gu_errno("mlock");
		goto out;
	}
	page[0] = 5;
	page[1] = 4;
	ret = a->ds.ops->map(&a->ds, page, ps, &iova);
	if (ret)
		goto out;
	t0 = gu_now_ms();
	if (!run_dma(a, iova, EDU_DMA_BUF, 8, 0))
		ret = gu_err(ETIMEDOUT, "RAM -> A DMA (command %#llx)",
			     (unsigned long long)vfio_pci_read64(&a->vp, EDU_DMA_CMD));
	printf("# edu_p2p: RAM -> A DMA took %lld ms\n", gu_now_ms() - t0);
out:
	/* noiommu: the device is done with the page; iommufd keeps its own reference until close. */
	munmap(page, ps);
	return ret;
}

/* --iommufd: B's BAR0 as a dma-buf of B's VFIO device, mapped into A's IOAS; the IOVA in *IOVA. */
static int map_b_bar(struct peer *a, struct peer *b, uint64_t *iova)
{
	alignas(8) uint8_t buf[sizeof(struct vfio_device_feature) + sizeof(struct vfio_device_feature_dma_buf) +
			       sizeof(struct vfio_region_dma_range)] = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;
	struct vfio_device_feature_dma_buf db = { .region_index = VFIO_PCI_BAR0_REGION_INDEX,
						  .open_flags = O_RDWR | O_CLOEXEC, .nr_ranges = 1 };
	struct vfio_region_dma_range r = { .offset = 0, .length = EDU_BAR0_SIZE };
	struct iommu_ioas_map_file m = {
		.size = sizeof(m), .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = a->ds.ioas_id, .length = EDU_BAR0_SIZE,
	};
	int fd, ret = 0;

	f->argsz = sizeof(buf);
	f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_BUF;
	memcpy(f->data, &db, sizeof(db));
	memcpy(f->data + sizeof(db), &r, sizeof(r));
	fd = ioctl(b->vp.fd, VFIO_DEVICE_FEATURE, buf);
	if (fd < 0)
		return gu_errno("VFIO_DEVICE_FEATURE_DMA_BUF of %s BAR0", b->bdf);
	/* The next free IOVA of A's space, 2 MiB aligned (dma_iommufd.c hands them out that way). */
	m.iova = a->ds.next_iova;
	m.fd = fd;
	if (m.iova + EDU_BAR0_SIZE - 1 > a->ds.iova_last)
		ret = gu_err(ENOSPC, "no IOVA for B's BAR");
	else if (ioctl(a->ds.iommufd, IOMMU_IOAS_MAP_FILE, &m) < 0)
		ret = gu_errno("IOMMU_IOAS_MAP_FILE of %s BAR0 at IOVA %#llx", b->bdf, (unsigned long long)m.iova);
	close(fd);  /* the mapping holds the dma-buf */
	*iova = m.iova;
	return ret;
}

static int set_cmd_mem(struct peer *p, int on)
{
	uint16_t cmd;
	int ret = cfg_rw(p, PCI_COMMAND, &cmd, 2, 0);

	cmd = on ? (uint16_t)(cmd | PCI_COMMAND_MEMORY) : (uint16_t)(cmd & ~PCI_COMMAND_MEMORY);
	return ret ? ret : cfg_rw(p, PCI_COMMAND, &cmd, 2, 1);
}

static int set_bar0(struct peer *p, uint64_t addr)
{
	uint32_t lo = (uint32_t)addr;

	if (addr >> 32)
		return gu_err(EINVAL, "--move takes a 32-bit address (edu's BAR0 is 32-bit)");
	return cfg_rw(p, PCI_BASE_ADDRESS_0, &lo, 4, 1);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: edu_p2p [--noiommu|--iommufd] [--expect through|blocked] [--disable] [--move ADDR]\n"
		   "               [--unmap] [--a BDF] [--b BDF] [--bind]\n"
		   "       edu_p2p --noiommu --dma-only ADDR [--a BDF] [--bind]\n"
		   "Peer-to-peer DMA from edu A into edu B's factorial register (see the source's header).\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "noiommu", no_argument, NULL, 'N' }, { "iommufd", no_argument, NULL, 'I' },
		{ "expect", required_argument, NULL, 'e' }, { "disable", no_argument, NULL, 'D' },
		{ "move", required_argument, NULL, 'm' }, { "unmap", no_argument, NULL, 'u' },
		{ "a", required_argument, NULL, 'a' }, { "b", required_argument, NULL, 'b' },
		{ "bind", no_argument, NULL, 'B' }, { "dma-only", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *abdf = NULL, *bbdf = NULL;
	struct peer a = { 0 }, b = { 0 };
	uint64_t bar, target;
	int c, bind = 0, ret;
	char *end;

	gu_prog = "edu_p2p";
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'N': o.backend = &dma_noiommu_ops; break;
		case 'I': o.backend = &dma_iommufd_ops; break;
		case 'e':
			if (strcmp(optarg, "through") && strcmp(optarg, "blocked")) {
				usage(stderr);
				return 2;
			}
			o.through = !strcmp(optarg, "through");
			break;
		case 'D': o.disable = 1; break;
		case 'u': o.unmap = 1; break;
		case 'm':
		case 'O': {     /* an address: --move, --dma-only */
			uint64_t *dst = c == 'm' ? &o.move : &o.dma_only;

			errno = 0;
			*dst = strtoull(optarg, &end, 0);
			if (errno || *end || !*dst) {
				usage(stderr);
				return 2;
			}
			break;
		}
		case 'a': abdf = optarg; break;
		case 'b': bbdf = optarg; break;
		case 'B': bind = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || ((o.disable || o.move || o.dma_only) && o.backend != &dma_noiommu_ops) ||
	    (o.unmap && o.backend != &dma_iommufd_ops)) {
		usage(stderr);
		return 2;
	}
	if (o.dma_only) {
		ret = open_peer(&a, 0, abdf, bind);
		CHECK(ret == 0, "A (%s) opened through the %s backend", a.bdf[0] ? a.bdf : "-", o.backend->name);
		if (!ret) {
			ret = load_a(&a);
			CHECK(ret == 0, "A's DMA buffer loaded from RAM (5, 4)");
		}
		if (!ret) {
			int done = dma_to(&a, 0, o.dma_only);

			CHECK(done, "dma-only: A's DMA of 5 to %#llx finished", (unsigned long long)o.dma_only);
			/* Anything still arriving late shows as A's state after a second engine run. */
			CHECK(done && dma_to(&a, 4, o.dma_only) && vfio_pci_read32(&a.vp, EDU_ID) == EDU_ID_VALUE,
			      "dma-only: a second one finished too and A still answers");
		}
		close_peer(&a);
		return tap_done();
	}
	ret = open_peer(&a, 0, abdf, bind);
	if (!ret)
		ret = open_peer(&b, 1, bbdf, bind);
	CHECK(ret == 0, "A (%s) and B (%s) opened through the %s backend", a.bdf[0] ? a.bdf : "-",
	      b.bdf[0] ? b.bdf : "-", o.backend->name);
	if (ret)
		goto out;
	ret = bar0_addr(&b, &bar);
	if (!ret)
		ret = load_a(&a);
	CHECK(ret == 0, "B's BAR0 at %#llx; A's DMA buffer loaded from RAM (5, 4)", (unsigned long long)bar);
	if (ret)
		goto out;
	target = bar;
	if (o.backend == &dma_iommufd_ops) {
		ret = map_b_bar(&a, &b, &target);
		CHECK(ret == 0, "B's BAR0 exported as a dma-buf and mapped into A's IOAS at IOVA %#llx",
		      (unsigned long long)target);
		if (ret)
			goto out;
	}
	printf("# edu_p2p: A %s -> B %s at %#llx (BAR0 GPA %#llx)\n", a.bdf, b.bdf, (unsigned long long)target,
	       (unsigned long long)bar);
	p2p_check(&a, &b, 0, 5, target + EDU_FACT, o.through, "P2P");

	if (o.disable) {
		/* B cannot be read without decode: preset first, check once decode is back. */
		int pre = preset(&b), done = 0;

		ret = set_cmd_mem(&b, 0);
		if (!ret) {
			done = dma_to(&a, 4, target + EDU_FACT);
			ret = set_cmd_mem(&b, 1);
		}
		CHECK(pre && done && ret == 0 && fact_of(&b) == 6,
		      "disable: with B's memory decode off, A's DMA of 4 did not arrive (B reads 6)");
		p2p_check(&a, &b, 4, 4, target + EDU_FACT, o.through, "disable: decode on again");
	}
	if (o.move) {
		/* One 32-bit BAR write while decoding: the VMM moves the BAR (memslots, IOAS) in one go. */
		int pre = preset(&b), done = 0;
		uint32_t got;

		ret = set_bar0(&b, o.move);
		if (!ret)
			done = dma_to(&a, 0, bar + EDU_FACT);     /* 5 to the old address */
		ret = ret ? ret : set_bar0(&b, bar);
		got = fact_of(&b);
		CHECK(pre && done && !ret && got == 6,
		      "move: B at %#llx, A's DMA of 5 to the old address %#llx did not arrive (B, moved back, reads %u)%s%s",
		      (unsigned long long)o.move, (unsigned long long)bar, got, pre ? "" : " [preset failed]",
		      done ? "" : " [A's DMA engine stuck]");
		pre = preset(&b);
		done = 0;
		ret = set_bar0(&b, o.move);
		if (!ret)
			done = dma_to(&a, 4, o.move + EDU_FACT);  /* 4 to the new address */
		ret = ret ? ret : set_bar0(&b, bar);
		got = fact_of(&b);
		CHECK(pre && done && !ret && got == (o.through ? 24u : 6u),
		      "move: B at %#llx, A's DMA of 4 there %s (B, moved back, reads %u)%s%s", (unsigned long long)o.move,
		      o.through ? "arrived" : "was blocked", got, pre ? "" : " [preset failed]",
		      done ? "" : " [A's DMA engine stuck]");
	}
	if (o.unmap) {
		struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = a.ds.ioas_id, .iova = target,
					      .length = EDU_BAR0_SIZE };

		ret = ioctl(a.ds.iommufd, IOMMU_IOAS_UNMAP, &u) ? gu_errno("IOMMU_IOAS_UNMAP") : 0;
		CHECK(ret == 0, "unmap: B's BAR0 IOVA %#llx unmapped from A's IOAS", (unsigned long long)target);
		if (!ret)
			p2p_check(&a, &b, 0, 5, target + EDU_FACT, 0, "unmap");
	}
out:
	close_peer(&a);
	close_peer(&b);
	return tap_done();
}
