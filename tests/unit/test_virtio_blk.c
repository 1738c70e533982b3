// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk over virtio-pci driven like a guest driver: config space through ECAM, feature
 * negotiation and queue setup through BAR0, MSI-X through BAR2, requests in guest RAM, a notify
 * write, then the event loop (in a thread) runs the I/O on a temp file. Then the same device behind
 * the emulated SMMUv3 (VIRTIO_F_ACCESS_PLATFORM): rings and buffers at IOVAs the guest's stage-1
 * tables map, faults failing requests with IOERR and an event, the guest's TLBI honoured.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <linux/userfaultfd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <pthread.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "devices/pci.h"
#include "devices/pci_msix_state.h"
#include "devices/pci_state.h"
#include "devices/virtio.h"
#include "devices/virtio_pci_state.h"
#include "liveupdate/state_fields.h"
#include "smmuv3_harness.h"
#include "tap.h"
#include "vmm/config.h"
#include "vmm/evloop.h"
#include "vmm/vm.h"

#define QSZ 32
#define SECTORS 128
#define DEVFN (1 << 3)

static struct vm vm;
static uint64_t ram, bar0, bar2;
static struct vring_desc *desc;
static struct vring_avail *avail;
static struct vring_used *used;
static uint64_t desc_gpa, avail_gpa, used_gpa, buf_gpa;
static struct virtio_dev *vdev;
static uint16_t qsz = QSZ;      /* the queue size setup_queue programs */
/* Behind the vIOMMU the device is given IOVAs: guest address GPA is at IOVA_BASE + (GPA - ram). */
#define IOVA_BASE 0x1000000000ULL
static bool use_iova;

static uint64_t da(uint64_t gpa)
{
	return use_iova ? gpa - ram + IOVA_BASE : gpa;
}

static uint64_t ecam(unsigned int reg)
{
	return arch_layout.pci_ecam_base + ((uint64_t)DEVFN << 12 | reg);
}

static uint32_t cfg_rd(unsigned int reg, unsigned int len)
{
	uint8_t b[4] = { 0 };

	bus_dispatch(&vm.mmio, ecam(reg), b, len, false);
	return (uint32_t)pci_le_get(b, len);
}

static void cfg_wr(unsigned int reg, unsigned int len, uint32_t v)
{
	uint8_t b[4];

	pci_le_put(b, len, v);
	bus_dispatch(&vm.mmio, ecam(reg), b, len, true);
}

static uint64_t mrd(uint64_t addr, unsigned int len)
{
	uint8_t b[8] = { 0 };

	if (!bus_dispatch(&vm.mmio, addr, b, len, false))
		return ~0ULL;
	return pci_le_get(b, len);
}

static void mwr(uint64_t addr, unsigned int len, uint64_t v)
{
	uint8_t b[8];

	pci_le_put(b, len, v);
	bus_dispatch(&vm.mmio, addr, b, len, true);
}

#define COMMON(off) (bar0 + VIRTIO_COMMON_OFF + (off))

static void *gp(uint64_t gpa, uint64_t len)
{
	return gmem_ptr(&vm.mem, gpa, len);
}

static void *loop_thread(void *arg)
{
	evloop_run(vm.loop);
	return NULL;
}

static uint16_t want_used;

static bool used_reached(void)
{
	return __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == want_used;
}

static bool needs_reset(void);

/* Runs the loop until DONE() (or 5 s pass). */
static bool run_while_not(bool (*done)(void))
{
	struct timespec t0, t;
	pthread_t th;
	bool ok = false;

	pthread_create(&th, NULL, loop_thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (done()) {
			ok = true;
			break;
		}
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 5);
	usleep(20000);      /* let stray completions land before stopping */
	evloop_stop(vm.loop);
	pthread_join(th, NULL);
	return ok;
}

static bool run_until(uint16_t want)
{
	want_used = want;
	return run_while_not(used_reached);
}

static bool fired(unsigned int vec)
{
	struct pollfd p = { .fd = vdev->msix.v[vec].efd, .events = POLLIN };
	uint64_t cnt;

	return poll(&p, 1, 0) == 1 && read(p.fd, &cnt, sizeof(cnt)) == sizeof(cnt);
}

/* Builds a request: header, optional data (out or in), status; returns its head. */
static unsigned int ndesc;
static uint16_t req(uint32_t type, uint64_t sector, uint64_t data_gpa, uint32_t len, bool data_in, uint64_t status_gpa,
		    uint64_t hdr_gpa)
{
	struct virtio_blk_outhdr *h = gp(hdr_gpa, sizeof(*h));
	uint16_t head = (uint16_t)ndesc;

	*h = (struct virtio_blk_outhdr){ .type = type, .sector = sector };
	desc[ndesc] = (struct vring_desc){ da(hdr_gpa), sizeof(*h), VRING_DESC_F_NEXT, (uint16_t)(ndesc + 1) };
	ndesc++;
	if (len) {
		desc[ndesc] = (struct vring_desc){ da(data_gpa), len, VRING_DESC_F_NEXT | (data_in ? VRING_DESC_F_WRITE : 0),
						   (uint16_t)(ndesc + 1) };
		ndesc++;
	}
	desc[ndesc] = (struct vring_desc){ da(status_gpa), 1, VRING_DESC_F_WRITE, 0 };
	ndesc++;
	*(uint8_t *)gp(status_gpa, 1) = 0xee;
	avail->ring[avail->idx % qsz] = head;
	__atomic_store_n(&avail->idx, avail->idx + 1, __ATOMIC_RELEASE);
	return head;
}

static uint8_t st(unsigned int i)
{
	return *(uint8_t *)gp(buf_gpa + 0x10000 + i, 1);
}

static void setup_queue(void)
{
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mwr(COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 0);
	mwr(COMMON(VIRTIO_PCI_COMMON_GF), 4, 1u << VIRTIO_BLK_F_FLUSH | 1u << VIRTIO_BLK_F_SEG_MAX);
	mwr(COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
	/* VIRTIO_F_VERSION_1 (32), behind the vIOMMU also VIRTIO_F_ACCESS_PLATFORM (33). */
	mwr(COMMON(VIRTIO_PCI_COMMON_GF), 4, use_iova ? 3 : 1);
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					      VIRTIO_CONFIG_S_FEATURES_OK);
	memset(gp(ram, 0x10000), 0, 0x10000);
	ndesc = 0;
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2, qsz);
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4, (uint32_t)da(desc_gpa));
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_DESCHI), 4, (uint32_t)(da(desc_gpa) >> 32));
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_AVAILLO), 8, da(avail_gpa));
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), 4, (uint32_t)da(used_gpa));
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_USEDHI), 4, (uint32_t)(da(used_gpa) >> 32));
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2, 1);
	mwr(COMMON(VIRTIO_PCI_COMMON_MSIX), 2, 0);
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

static bool needs_reset(void)
{
	return mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static void notify(void)
{
	mwr(bar0 + VIRTIO_NOTIFY_OFF, 2, 0);
}

/* BARs, bus mastering, MSI-X vectors 0 (config) and 1 (queue) of the function at DEVFN. */
static void probe(void)
{
	vdev = (struct virtio_dev *)vm.pci->slot[1];
	bar0 = (cfg_rd(PCI_BASE_ADDRESS_0, 4) & ~0xfULL) | (uint64_t)cfg_rd(PCI_BASE_ADDRESS_1, 4) << 32;
	bar2 = (cfg_rd(PCI_BASE_ADDRESS_2, 4) & ~0xfULL) | (uint64_t)cfg_rd(PCI_BASE_ADDRESS_3, 4) << 32;
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	for (uint32_t c = cfg_rd(PCI_CAPABILITY_LIST, 1), n = 0; c && n < 48; c = cfg_rd(c + 1, 1), n++)
		if (cfg_rd(c, 1) == PCI_CAP_ID_MSIX)
			cfg_wr(c + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	for (unsigned int v = 0; v < 2; v++) {
		mwr(bar2 + 16 * v, 4, 0xfee00000);
		mwr(bar2 + 16 * v + 8, 4, 0x40 + v);
		mwr(bar2 + 16 * v + 12, 4, 0);
	}
}

/* How many times vector VEC fired since the last look (its eventfd counter). */
static uint64_t fired_count(unsigned int vec)
{
	struct pollfd p = { .fd = vdev->msix.v[vec].efd, .events = POLLIN };
	uint64_t cnt;

	return poll(&p, 1, 0) == 1 && read(p.fd, &cnt, sizeof(cnt)) == sizeof(cnt) ? cnt : 0;
}

/*
 * A driver that keeps the ring full must not hold the event loop (issue 9): one notification for a
 * ring of 256 available chains is served in turns of VIRTIO_QUEUE_BUDGET, the queue requeued in
 * between (each turn ends with the queue's interrupt). Before the budget, one turn took all 256.
 */
static void test_budget(void)
{
	unsigned int n = 256;
	uint16_t head;

	qsz = (uint16_t)n;
	setup_queue();
	fired_count(1);
	/* One GET_ID chain, made available n times (the same chain republished, as a flood does). */
	head = req(VIRTIO_BLK_T_GET_ID, 0, buf_gpa + 0x2000, 20, true, buf_gpa + 0x10000, buf_gpa + 0x20000);
	for (unsigned int i = 1; i < n; i++)
		avail->ring[i] = head;
	__atomic_store_n(&avail->idx, (uint16_t)n, __ATOMIC_RELEASE);
	notify();
	CHECK(run_until((uint16_t)n) && st(0) == VIRTIO_BLK_S_OK, "%u chains from one notification all completed", n);
	CHECK(fired_count(1) == n / VIRTIO_QUEUE_BUDGET, "served in %u loop turns of %u chains", n / VIRTIO_QUEUE_BUDGET,
	      VIRTIO_QUEUE_BUDGET);
	qsz = QSZ;
}

static uint8_t status_reg(void)
{
	return (uint8_t)mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1);
}

/*
 * A reset while a read is in flight (virtio 1.2 2.4.1, 4.1.4.3.2): device_status must not read 0
 * before the read's DMA is over, since a driver that saw 0 may free or IOMMU-unmap the buffer. The
 * read is held in flight for real: its data page is registered with userfaultfd, so the kernel's
 * copy into it waits until we supply the page.
 */
static void test_reset_inflight(int fd)
{
	uint64_t data_gpa = ram + 0xf00000;     /* never touched: the page is not there yet */
	uint8_t *data = gp(data_gpa, 4096), sector[512], *page;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)data, .len = 4096 }, .mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct pollfd p;
	struct uffd_msg msg;
	struct timespec t0, t;
	bool held = true, faulted;
	uint16_t used0;
	pthread_t th;
	int uffd;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		SKIP(strerror(errno), "reset with a read in flight (userfaultfd)");
		if (uffd >= 0)
			close(uffd);
		return;
	}
	setup_queue();
	used0 = used->idx;
	req(VIRTIO_BLK_T_IN, 3, data_gpa, 512, true, buf_gpa + 0x10000, buf_gpa + 0x20000);
	notify();
	pthread_create(&th, NULL, loop_thread, NULL);
	p = (struct pollfd){ .fd = uffd, .events = POLLIN };
	faulted = poll(&p, 1, 5000) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
		  msg.event == UFFD_EVENT_PAGEFAULT;
	CHECK(faulted, "the read is in flight, its DMA waiting on the data page");

	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	for (int i = 0; i < 20; i++) {
		held &= status_reg() == 0xf;      /* the status from before the reset */
		usleep(10000);
	}
	CHECK(faulted && held, "device_status does not read 0 while the read is in flight (200 ms)");
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	CHECK(faulted && status_reg() == 0xf, "a status write before it read 0 is ignored (status still 0x%x)",
	      status_reg());

	/* Supply the page: the read's copy goes on, its CQE ends the reset. */
	page = aligned_alloc(4096, 4096);
	memset(page, 0x5a, 4096);
	{
		struct uffdio_copy cp = { .dst = (uintptr_t)data, .src = (uintptr_t)page, .len = 4096 };

		CHECK(ioctl(uffd, UFFDIO_COPY, &cp) == 0, "page supplied");
	}
	free(page);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (!status_reg())
			break;
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 5);
	CHECK(status_reg() == 0, "the reset completes once the read is over");
	CHECK(pread(fd, sector, 512, 3 * 512) == 512 && !memcmp(data, sector, 512),
	      "the read's DMA had landed before device_status read 0");
	CHECK(used->idx == used0 && st(0) == 0xee, "the reset's request was not completed to the driver");
	evloop_stop(vm.loop);
	pthread_join(th, NULL);
	close(uffd);

	setup_queue();
	req(VIRTIO_BLK_T_IN, 3, buf_gpa + 0x1000, 512, true, buf_gpa + 0x10000, buf_gpa + 0x20000);
	notify();
	CHECK(run_until(1) && st(0) == VIRTIO_BLK_S_OK, "the device works after the held reset");
}

/*
 * Live update (virtio_pci_state.h): requests in flight when the VM pauses are completed in the
 * kernel, their completions kept by the held loop; the old device is saved with them, a new one
 * (same slot, the handed-over disk fd) restored: it completes each once without issuing it again,
 * interrupts, and goes on with what the driver made available meanwhile.
 */
static struct lu_writer up_w;
static int up_save_r = -1;
static unsigned int up_left = 99;

static void up_save(void *opaque, int res)
{
	struct pci_dev *d = &vdev->pci;

	/* What vm.pause and the updater do (vm_api.c), on the loop thread here. */
	evloop_hold(vm.loop, true);
	pthread_mutex_lock(&vdev->lock);
	vdev->ops->queue_notify(vdev, 0);      /* the driver's kick: the requests are submitted */
	pthread_mutex_unlock(&vdev->lock);
	evloop_drain(vm.loop, 5000, &up_left);
	d->ops->lu_quiesce(d);
	up_save_r = pci_host_state_save(vm.pci, &up_w);
	evloop_stop(vm.loop);
}

static void test_update(const struct disk_config *disk, int fd)
{
	static const struct lu_section_spec specs[] = {
		{ PCI_CFG_STATE_TYPE, 1, 1, true, false },
		{ PCI_MSIX_STATE_TYPE, 1, PCI_MSIX_STATE_VERSION, true, false },
		{ VIRTIO_PCI_STATE_TYPE, 1, VIRTIO_PCI_STATE_VERSION, true, true },
		{ VIRTIO_BLK_STATE_TYPE, 1, VIRTIO_BLK_STATE_VERSION, true, true },
	};
	uint8_t sector[512], *rd;
	struct virtio_blk_saved bs;
	struct lu_state ls;
	char why[256] = "";
	pthread_t th;
	int dfd, r;

	setup_queue();
	fired_count(1);
	/* 0: write 'U' to sector 9; 1: read sector 10 (0x0b bytes); 2: flush. */
	memset(gp(buf_gpa, 512), 'U', 512);
	memset(gp(buf_gpa + 0x1000, 512), 0, 512);
	req(VIRTIO_BLK_T_OUT, 9, buf_gpa, 512, false, buf_gpa + 0x10000, buf_gpa + 0x20000);
	req(VIRTIO_BLK_T_IN, 10, buf_gpa + 0x1000, 512, true, buf_gpa + 0x10001, buf_gpa + 0x20010);
	req(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, buf_gpa + 0x10002, buf_gpa + 0x20020);
	lu_writer_init(&up_w);
	evloop_call(vm.loop, up_save, NULL);
	pthread_create(&th, NULL, loop_thread, NULL);
	pthread_join(th, NULL);
	evloop_hold(vm.loop, false);
	CHECK(up_left == 0 && up_save_r == 0 && lu_writer_finish(&up_w) == 0, "saved with 3 requests drained (%u left)",
	      up_left);
	CHECK(used->idx == 0 && st(0) == 0xee && st(1) == 0xee && st(2) == 0xee,
	      "none completed to the driver in the old device (used %u)", used->idx);
	r = lu_state_parse(&ls, up_w.buf, up_w.len, specs, 4);
	CHECK(!r && !virtio_blk_state_decode(lu_state_find(&ls, VIRTIO_BLK_STATE_TYPE, 0), &bs, why, sizeof(why)) &&
	      bs.nr_done == 3 && bs.sectors == SECTORS, "the virtio-blk section carries their 3 completions (%s)", why);
	/* If the read were issued again in the new process, it would read this instead. */
	memset(sector, 0x77, sizeof(sector));
	CHECK(pwrite(fd, sector, 512, 10 * 512) == 512, "sector 10 changed on disk after the save");
	/* The driver makes a fourth request available during the update: the new device must see it. */
	req(VIRTIO_BLK_T_IN, 9, buf_gpa + 0x2000, 512, true, buf_gpa + 0x10003, buf_gpa + 0x20030);

	/* The new process: the same slot, the disk fd handed over (its lock with it). */
	pci_host_remove(vm.pci, &vdev->pci);
	dfd = open(disk->path, O_RDWR | O_CLOEXEC);
	vdev->pci.ops->destroy(&vdev->pci);
	/* The exec drops the old loop with its kept completions; the new process has its own. */
	evloop_destroy(vm.loop);
	vm.loop = NULL;
	CHECK(evloop_init(&vm.loop, 64) == 0, "a new event loop");
	CHECK(dfd >= 0 && !flock(dfd, LOCK_EX | LOCK_NB) && vm_fdtab_init(&vm) == 0, "the disk fd as handed over");
	fdtab_adopt(&vm.fds, dfd, FD_DISK, "virtio_blk", "disk0");
	vm.restore = &ls;
	CHECK(virtio_blk_create(&vm, disk, 0) == 0 && vm.pci->slot[1], "the new device adopts the handed-over disk fd");
	vdev = (struct virtio_dev *)vm.pci->slot[1];
	r = pci_host_state_restore(vm.pci, &ls, why, sizeof(why));
	vm.restore = NULL;
	CHECK(r == 0, "restored (%s)", r ? why : "ok");
	rd = gp(buf_gpa + 0x1000, 512);
	CHECK(used->idx == 3 && st(0) == VIRTIO_BLK_S_OK && st(1) == VIRTIO_BLK_S_OK && st(2) == VIRTIO_BLK_S_OK,
	      "the 3 saved requests completed by the new device, OK (used %u)", used->idx);
	CHECK(rd[0] == 11 && rd[511] == 11, "the read completed with what the old process read (0x%x), not issued again",
	      rd[0]);
	CHECK(used->ring[1].id == 3 && used->ring[1].len == 513, "the read's used length counts its data and status");
	CHECK(fired_count(1) == 1, "one interrupt for them on the restored vector");
	CHECK(pread(fd, sector, 512, 9 * 512) == 512 && sector[0] == 'U', "the write reached the disk once");
	CHECK(run_until(4) && st(3) == VIRTIO_BLK_S_OK && *(uint8_t *)gp(buf_gpa + 0x2000, 1) == 'U',
	      "the request made available during the update is served by the new device");
	lu_state_free(&ls);
	lu_writer_free(&up_w);
}

static struct harness hs;

static int smmu_translate(void *opaque, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out)
{
	return smmuv3_translate(&hs.s, sid, iova, write, out);
}

static int smmu_add_stream(void *opaque, uint32_t sid)
{
	return smmuv3_add_stream(&hs.s, sid);
}

static bool event_is(unsigned int i, unsigned int id, uint64_t iova)
{
	uint64_t evt[4];

	h_evt(&hs, i, evt);
	return (evt[0] & 0xff) == id && evt[0] >> 32 == DEVFN && evt[2] == iova;
}

/* The L3 entry mapping IOVA (4K granule, 39-bit: L1 -> L2 -> L3). */
static uint64_t pte_addr(uint64_t ttb, uint64_t iova)
{
	uint64_t t = ttb;

	for (int level = 1; level < 3; level++)
		t = gr64(&hs, t + ((iova >> (12 + 9 * (3 - level))) & 0x1ff) * 8) & 0xfffffffff000ull;
	return t + ((iova >> 12) & 0x1ff) * 8;
}

static void tlbi_va(uint64_t iova)
{
	h_cmd(&hs, CMD_TLBI_NH_VA | 3ull << 48, iova);
	h_sync(&hs);
}

/*
 * virtio-blk behind the emulated SMMUv3 (software walker): the guest's stage 1 maps the rings and
 * buffers at IOVAs; a hostile descriptor and the guest's unmap + TLBI fail requests, never the VMM.
 */
static void test_viommu(struct disk_config *disk, int fd)
{
	static const struct smmuv3_hooks hooks = { .irq = h_irq, .msi = h_msi };
	static const struct pci_viommu_ops ops = { .dma_translate = smmu_translate, .dma_add = smmu_add_stream };
	struct smmuv3_features f;
	uint8_t sector[512], *p;
	uint64_t ttb, ro_gpa;
	unsigned int ev;

	/* The SMMU's tables live in guest RAM at the harness addresses (arm64: inside the VM's RAM). */
	if (ram != RAM_BASE && gmem_add_ram(&vm.mem, RAM_BASE, RAM_SIZE, false)) {
		CHECK(0, "RAM for the SMMU tables");
		return;
	}
	hs.mem = &vm.mem;       /* the harness helpers write the VM's guest RAM */
	hs.sp = &hs.s;
	smmuv3_default_features(&f);
	hs.v = viommu_soft_create(&vm.mem);
	if (!hs.v || smmuv3_init(&hs.s, &f, &vm.mem, hs.v, &hooks, &hs)) {
		CHECK(0, "SMMU");
		return;
	}
	hs.pt_brk = PGTABLES;
	h_enable(&hs);
	ttb = h_alloc_pt(&hs);
	h_cd(&hs, CDS, ttb, 3);
	h_ste(&hs, DEVFN, STE_S1(CDS), 0);
	/* Buffers away from the harness tables (which sit at ram + 1 MiB.. on arm64). */
	buf_gpa = ram + 0x800000;
	use_iova = true;
	for (uint64_t a = ram + 0x1000; a < ram + 0x4000; a += 0x1000)
		h_map(&hs, ttb, da(a), a, true);
	for (uint64_t a = buf_gpa; a < buf_gpa + 0x30000; a += 0x1000)
		h_map(&hs, ttb, da(a), a, true);
	ro_gpa = buf_gpa + 0x30000;
	h_map(&hs, ttb, da(ro_gpa), ro_gpa, false);

	/* A fresh function (slot 1 again, StreamID 8) created with the VM's vIOMMU. */
	pci_host_destroy(&vm);
	if (pci_host_create(&vm) || pci_host_set_viommu(vm.pci, &ops, NULL) || virtio_blk_create(&vm, disk, 0)) {
		CHECK(0, "virtio-blk behind the vIOMMU");
		return;
	}
	probe();
	CHECK(vdev->dma.iommu == pci_host_viommu(vm.pci) && vdev->dma.iommu->ops == &ops && vdev->dma.sid == DEVFN, "DMA context: translated, StreamID = RID");
	mwr(COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4, 1);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_DF), 4) & 2, "VIRTIO_F_ACCESS_PLATFORM offered");
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mwr(COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
	mwr(COMMON(VIRTIO_PCI_COMMON_GF), 4, 1);
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					      VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_CONFIG_S_FEATURES_OK),
	      "FEATURES_OK refused without ACCESS_PLATFORM (no bypassing the IOMMU)");

	setup_queue();
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0xf && mrd(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2) == 1,
	      "queue at IOVAs enabled");
	p = gp(buf_gpa, 4096);
	memset(p, 'V', 1024);
	req(VIRTIO_BLK_T_OUT, 20, buf_gpa, 1024, false, buf_gpa + 0x10000, buf_gpa + 0x20000);
	req(VIRTIO_BLK_T_IN, 7, buf_gpa + 0x1000, 512, true, buf_gpa + 0x10001, buf_gpa + 0x20010);
	notify();
	CHECK(run_until(2) && st(0) == VIRTIO_BLK_S_OK && st(1) == VIRTIO_BLK_S_OK, "write + read through the IOMMU: OK");
	CHECK(pread(fd, sector, 512, 21 * 512) == 512 && sector[0] == 'V' && sector[511] == 'V',
	      "write reached the file from the translated buffer");
	CHECK(*(uint8_t *)gp(buf_gpa + 0x1000, 1) == 8, "read landed in the translated buffer");
	CHECK(h_nr_events(&hs) == 0, "no events so far");

	/* Hostile descriptor: data buffer at an IOVA the guest never mapped. */
	ev = rd32(&hs, SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD);
	req(VIRTIO_BLK_T_IN, 1, buf_gpa + 0x200000, 512, true, buf_gpa + 0x10002, buf_gpa + 0x20020);
	notify();
	CHECK(run_until(3) && st(2) == VIRTIO_BLK_S_IOERR, "unmapped data IOVA: request fails with IOERR");
	CHECK(h_nr_events(&hs) == 1 && event_is(ev, EVT_F_TRANSLATION, da(buf_gpa + 0x200000)),
	      "F_TRANSLATION event with the StreamID and IOVA");
	CHECK(!needs_reset(), "the device keeps running");

	/* Device write into a page the guest mapped read-only. */
	req(VIRTIO_BLK_T_IN, 1, ro_gpa, 512, true, buf_gpa + 0x10003, buf_gpa + 0x20030);
	notify();
	CHECK(run_until(4) && st(3) == VIRTIO_BLK_S_IOERR, "read into a read-only IOVA: IOERR");
	CHECK(event_is(ev + 1, EVT_F_PERMISSION, da(ro_gpa)), "F_PERMISSION event");

	/* Strict invalidation: the guest unmaps the data page and invalidates; the stale entry is gone. */
	req(VIRTIO_BLK_T_IN, 9, buf_gpa + 0x2000, 512, true, buf_gpa + 0x10004, buf_gpa + 0x20040);
	notify();
	CHECK(run_until(5) && st(4) == VIRTIO_BLK_S_OK, "read into a mapped page (now in the IOTLB)");
	gw64(&hs, pte_addr(ttb, da(buf_gpa + 0x2000)), 0);
	tlbi_va(da(buf_gpa + 0x2000));
	req(VIRTIO_BLK_T_IN, 9, buf_gpa + 0x2000, 512, true, buf_gpa + 0x10005, buf_gpa + 0x20050);
	notify();
	CHECK(run_until(6) && st(5) == VIRTIO_BLK_S_IOERR, "after unmap + TLBI_NH_VA + SYNC: the same IOVA fails");
	CHECK(event_is(ev + 2, EVT_F_TRANSLATION, da(buf_gpa + 0x2000)), "and records F_TRANSLATION");

	/* The guest unmaps the used ring under the device: NEEDS_RESET, the VMM keeps going. */
	gw64(&hs, pte_addr(ttb, da(used_gpa)), 0);
	tlbi_va(da(used_gpa));
	req(VIRTIO_BLK_T_GET_ID, 0, buf_gpa + 0x3000, 20, true, buf_gpa + 0x10006, buf_gpa + 0x20060);
	notify();
	run_while_not(needs_reset);
	CHECK(needs_reset() && used->idx == 6, "unmapped used ring: NEEDS_RESET, nothing completed");
	h_map(&hs, ttb, da(used_gpa), used_gpa, true);
	tlbi_va(da(used_gpa));
	setup_queue();
	req(VIRTIO_BLK_T_IN, 20, buf_gpa + 0x1000, 512, true, buf_gpa + 0x10000, buf_gpa + 0x20000);
	notify();
	CHECK(run_until(1) && st(0) == VIRTIO_BLK_S_OK && *(uint8_t *)gp(buf_gpa + 0x1000, 1) == 'V',
	      "remapped + reset: works again");

	pci_host_destroy(&vm);
	pci_host_create(&vm);
	smmuv3_destroy(&hs.s);
	viommu_destroy(hs.v);
}

int main(void)
{
	char path[] = "/tmp/nestvm-blk-XXXXXX", id[21] = { 0 };
	struct disk_config disk = { .path = path };
	uint8_t sector[512], *p;
	uint8_t caps[16] = { 0 };
	uint32_t notify_mult = 0;
	int fd;

	vm.vm_fd = -1;
	ram = arch_layout.ram_base;
	if (bus_init(&vm.mmio, "mmio") || bus_init(&vm.pio, "pio") || gmem_add_ram(&vm.mem, ram, 16 << 20, false) ||
	    evloop_init(&vm.loop, 64) || pci_host_create(&vm)) {
		CHECK(0, "VM scaffolding");
		return tap_done();
	}
	desc_gpa = ram + 0x1000;
	avail_gpa = ram + 0x2000;
	used_gpa = ram + 0x3000;
	buf_gpa = ram + 0x100000;
	desc = gp(desc_gpa, 16 * QSZ);
	avail = gp(avail_gpa, 6 + 2 * QSZ);
	used = gp(used_gpa, 6 + 8 * QSZ);

	fd = mkstemp(path);
	for (unsigned int s = 0; s < SECTORS; s++) {
		memset(sector, (int)(s + 1), sizeof(sector));
		if (write(fd, sector, sizeof(sector)) != sizeof(sector))
			CHECK(0, "temp file");
	}

	disk.path = "/nonexistent/disk.img";
	CHECK(virtio_blk_create(&vm, &disk, 0) < 0 && !vm.pci->slot[1], "missing disk file: error, no device");
	disk.path = path;
	CHECK(virtio_blk_create(&vm, &disk, 0) == 0, "virtio-blk created");
	CHECK(virtio_blk_create(&vm, &disk, 1) < 0, "the same image twice read-write is refused (locked)");
	vdev = (struct virtio_dev *)vm.pci->slot[1];

	CHECK(cfg_rd(PCI_VENDOR_ID, 4) == 0x10421af4, "ids 1af4:1042");
	CHECK(cfg_rd(PCI_REVISION_ID, 1) == 1 && cfg_rd(PCI_SUBSYSTEM_ID, 2) == 0x42, "revision 1, subsystem id 0x42 (0x40 + device type, 4.1.2.1)");
	bar0 = (cfg_rd(PCI_BASE_ADDRESS_0, 4) & ~0xfULL) | (uint64_t)cfg_rd(PCI_BASE_ADDRESS_1, 4) << 32;
	bar2 = (cfg_rd(PCI_BASE_ADDRESS_2, 4) & ~0xfULL) | (uint64_t)cfg_rd(PCI_BASE_ADDRESS_3, 4) << 32;
	CHECK(bar0 && bar2 && (cfg_rd(PCI_BASE_ADDRESS_0, 4) & 0x6) == 4, "64-bit BARs pre-assigned");
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);

	for (uint32_t c = cfg_rd(PCI_CAPABILITY_LIST, 1), n = 0; c && n < 48; c = cfg_rd(c + 1, 1), n++) {
		uint32_t id8 = cfg_rd(c, 1);

		if (id8 == PCI_CAP_ID_VNDR) {
			uint32_t type = cfg_rd(c + 3, 1);

			if (type < 16)
				caps[type] = (uint8_t)c;
			if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
				notify_mult = cfg_rd(c + 16, 4);
		} else if (id8 == PCI_CAP_ID_MSIX) {
			cfg_wr(c + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
		}
	}
	CHECK(caps[VIRTIO_PCI_CAP_COMMON_CFG] && caps[VIRTIO_PCI_CAP_NOTIFY_CFG] && caps[VIRTIO_PCI_CAP_ISR_CFG] &&
	      caps[VIRTIO_PCI_CAP_DEVICE_CFG] && caps[VIRTIO_PCI_CAP_PCI_CFG], "all five virtio capabilities");
	CHECK(notify_mult == VIRTIO_NOTIFY_MULT, "notify_off_multiplier");
	CHECK(cfg_rd(caps[VIRTIO_PCI_CAP_DEVICE_CFG] + 8, 4) == VIRTIO_DEVCFG_OFF, "device config offset");
	/* MSI-X vectors 0 (config) and 1 (queue): table in BAR2, unmasked. */
	for (unsigned int v = 0; v < 2; v++) {
		mwr(bar2 + 16 * v, 4, 0xfee00000);
		mwr(bar2 + 16 * v + 8, 4, 0x40 + v);
		mwr(bar2 + 16 * v + 12, 4, 0);
	}

	/* Feature negotiation. */
	mwr(COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4, 0);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_DF), 4) & 1u << VIRTIO_BLK_F_FLUSH, "FLUSH offered");
	mwr(COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4, 1);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_DF), 4) & 1, "VERSION_1 offered");
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_NUMQ), 2) == 1, "one queue");
	CHECK(mrd(bar0 + VIRTIO_DEVCFG_OFF, 8) == SECTORS, "capacity in sectors");
	CHECK(mrd(bar0 + VIRTIO_DEVCFG_OFF + 12, 4) == VIRTQ_MAX_SEGS - 2, "seg_max");
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mwr(COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 0);
	mwr(COMMON(VIRTIO_PCI_COMMON_GF), 4, 1u << VIRTIO_BLK_F_FLUSH);
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					      VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_CONFIG_S_FEATURES_OK),
	      "FEATURES_OK refused without VERSION_1");
	mwr(COMMON(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
	mwr(COMMON(VIRTIO_PCI_COMMON_GF), 4, 1 | 1u << 30);
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					      VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK(!(mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_CONFIG_S_FEATURES_OK),
	      "FEATURES_OK refused for a feature not offered");
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 5);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2) == 0, "nonexistent queue has size 0");
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2) == 256, "queue 0 max size 256");
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2, 999);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2) == VIRTIO_NO_VECTOR, "unmappable vector reads NO_VECTOR");

	setup_queue();
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0xf, "DRIVER_OK with FEATURES_OK");
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2) == 1 && mrd(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2) == 1,
	      "queue enabled on vector 1");
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4, 0x1234);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4) == (uint32_t)desc_gpa, "queue address fixed while enabled");

	/* The requests: 0 write, 1 read, 2 flush, 3 get id, 4 past the end, 5 partial sector, 6 unknown, 7 split read. */
	p = gp(buf_gpa, 4096);
	memset(p, 'W', 1024);
	req(VIRTIO_BLK_T_OUT, 2, buf_gpa, 1024, false, buf_gpa + 0x10000, buf_gpa + 0x20000);
	req(VIRTIO_BLK_T_IN, 5, buf_gpa + 0x1000, 512, true, buf_gpa + 0x10001, buf_gpa + 0x20010);
	req(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, buf_gpa + 0x10002, buf_gpa + 0x20020);
	req(VIRTIO_BLK_T_GET_ID, 0, buf_gpa + 0x2000, 20, true, buf_gpa + 0x10003, buf_gpa + 0x20030);
	req(VIRTIO_BLK_T_IN, SECTORS - 1, buf_gpa + 0x3000, 1024, true, buf_gpa + 0x10004, buf_gpa + 0x20040);
	req(VIRTIO_BLK_T_OUT, 0, buf_gpa, 100, false, buf_gpa + 0x10005, buf_gpa + 0x20050);
	req(99, 0, 0, 0, false, buf_gpa + 0x10006, buf_gpa + 0x20060);
	{
		uint16_t head = req(VIRTIO_BLK_T_IN, 6, buf_gpa + 0x4000, 256, true, buf_gpa + 0x10007, buf_gpa + 0x20070);

		/* Split its data in two descriptors: 256 + 256 bytes. */
		desc[head + 1].next = (uint16_t)ndesc;
		desc[ndesc] = (struct vring_desc){ buf_gpa + 0x4100, 256, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
						   (uint16_t)(head + 2) };
		ndesc++;
	}
	notify();
	CHECK(run_until(8), "all 8 requests completed");
	CHECK(st(0) == VIRTIO_BLK_S_OK && st(1) == VIRTIO_BLK_S_OK && st(2) == VIRTIO_BLK_S_OK &&
	      st(3) == VIRTIO_BLK_S_OK, "write, read, flush, get-id: OK");
	CHECK(st(4) == VIRTIO_BLK_S_IOERR, "read past the capacity: IOERR");
	CHECK(st(5) == VIRTIO_BLK_S_IOERR, "partial-sector write: IOERR");
	CHECK(st(6) == VIRTIO_BLK_S_UNSUPP, "unknown request type: UNSUPP");
	CHECK(st(7) == VIRTIO_BLK_S_OK, "split read: OK");
	CHECK(pread(fd, sector, 512, 3 * 512) == 512 && sector[0] == 'W' && sector[511] == 'W', "write reached the file");
	CHECK(pread(fd, sector, 512, 4 * 512) == 512 && sector[0] == 5, "write stayed inside its sectors");
	p = gp(buf_gpa + 0x1000, 512);
	CHECK(p[0] == 6 && p[511] == 6, "read returned sector 5");
	p = gp(buf_gpa + 0x4000, 512);
	CHECK(p[0] == 7 && p[255] == 7 && p[256] == 7 && p[511] == 7, "split read filled both buffers");
	memcpy(id, gp(buf_gpa + 0x2000, 20), 20);
	CHECK(!strncmp(id, strrchr(path, '/') + 1, 20), "GET_ID returns the image name (%s)", id);
	{
		bool lens = true;

		for (unsigned int i = 0; i < 8; i++) {
			uint32_t h = used->ring[i].id, l = used->ring[i].len;

			if ((h == 3 && l != 513) || (h == 0 && l != 1) || (h == 5 && l != 1))
				lens = false;
		}
		CHECK(lens, "used lengths count the bytes written (data + status)");
	}
	CHECK(fired(1), "queue vector fired");
	CHECK(mrd(bar0 + VIRTIO_ISR_OFF, 1) & 1, "ISR shows a queue interrupt");
	CHECK(mrd(bar0 + VIRTIO_ISR_OFF, 1) == 0, "ISR read clears it");

	/* Hostile: a descriptor loop. The device enters NEEDS_RESET; nothing crashes or hangs. */
	desc[ndesc] = (struct vring_desc){ buf_gpa, 16, VRING_DESC_F_NEXT, (uint16_t)ndesc };
	avail->ring[avail->idx % QSZ] = (uint16_t)ndesc;
	avail->idx++;
	notify();
	run_while_not(needs_reset);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET, "looping chain: NEEDS_RESET");
	CHECK(fired(0), "config vector fired");
	CHECK(used->idx == 8, "looping chain not completed");
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) == 0 && mrd(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2) == 0,
	      "reset clears status and queues");

	/* Hostile: a request without a status byte, then rings outside RAM. */
	setup_queue();
	desc[0] = (struct vring_desc){ buf_gpa + 0x20000, 16, 0, 0 };
	avail->ring[0] = 0;
	avail->idx = 1;
	notify();
	run_while_not(needs_reset);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET, "no status byte: NEEDS_RESET");
	mwr(COMMON(VIRTIO_PCI_COMMON_STATUS), 1, 0);
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), 8, ram + (16 << 20) - 8);
	mwr(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	CHECK(mrd(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2) == 0 &&
	      (mrd(COMMON(VIRTIO_PCI_COMMON_STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET), "used ring outside RAM refused");

	/* And it still works after a reset. */
	setup_queue();
	req(VIRTIO_BLK_T_IN, 3, buf_gpa + 0x1000, 512, true, buf_gpa + 0x10000, buf_gpa + 0x20000);
	notify();
	CHECK(run_until(1) && st(0) == VIRTIO_BLK_S_OK && *(uint8_t *)gp(buf_gpa + 0x1000, 1) == 'W',
	      "device works again after reset");

	/* Hostile: MMIO garbage at every BAR0 offset class. */
	mwr(bar0 + 0x7, 1, 0xff);
	mwr(bar0 + VIRTIO_DEVCFG_OFF, 8, ~0ULL);
	mwr(bar0 + VIRTIO_DEVCFG_OFF + 0x800, 4, 1);
	mwr(bar0 + VIRTIO_NOTIFY_OFF + 0x100, 2, 0);
	CHECK(mrd(bar0 + VIRTIO_DEVCFG_OFF, 8) == SECTORS, "garbage writes change nothing read-only");
	mwr(COMMON(VIRTIO_PCI_COMMON_DFSELECT), 4, 1);
	CHECK(!(mrd(COMMON(VIRTIO_PCI_COMMON_DF), 4) & 2), "no vIOMMU: ACCESS_PLATFORM not offered");

	test_budget();
	test_reset_inflight(fd);
	test_update(&disk, fd);
	test_viommu(&disk, fd);

	pci_host_destroy(&vm);
	if (vm_fdtab(&vm))
		CHECK(fdtab_destroy(&vm.fds) == 0, "no fd left in the table");
	evloop_destroy(vm.loop);
	gmem_destroy(&vm.mem);
	bus_destroy(&vm.mmio);
	bus_destroy(&vm.pio);
	close(fd);
	unlink(path);
	return tap_done();
}
