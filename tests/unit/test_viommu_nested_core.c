// SPDX-License-Identifier: GPL-2.0-only
/*
 * The nested vIOMMU core (viommu_nested.c) over the fake iommufd (tests/fuzz/fake_iommufd.c): the
 * objects it makes and gives back, the nested HWPT replaced with rollback when the host refuses a
 * guest config, unwinding of a device that cannot be added, and that every format-specific step goes
 * through the format's ops (a counting wrapper of the SMMUv3 format), and a live update's adoption
 * of the objects by a second core (nothing allocated, an unchanged config kept). The real kernel's behaviour is
 * tested in tests/testhost/viommu_nested*.sh.
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../fuzz/fake_iommufd.h"
#include "iommu/iopf.h"
#include "iommu/smmuv3.h"
#include "iommu/smmuv3_nested.h"
#include "iommu/viommu_nested.h"
#include "vmm/evloop.h"
#include "vmm/fdtab.h"
#include "vmm/guest_mem.h"
#include "tap.h"

#define IOAS 2          /* the fake treats ids below 16 as the caller's own (the IOAS) */
#define SID 0x18

static unsigned int nr_alloc_nested, nr_encoded;

static uint32_t count_alloc_nested(const struct viommu_stream_cfg *cfg, uint32_t *data_type, void *data)
{
	nr_alloc_nested++;
	return smmuv3_nested_format.alloc_nested(cfg, data_type, data);
}

static void count_invalidate(const struct viommu_inval *inv, void *entry)
{
	nr_encoded++;
	smmuv3_nested_format.invalidate(inv, entry);
}

static struct viommu_stream_cfg s1_cfg(uint64_t ctxptr)
{
	/* V=1, Config=0b101 (S1 translate, S2 bypass), S1ContextPtr (IHI 0070 5.2). */
	return (struct viommu_stream_cfg){ .kind = VIOMMU_CFG_S1, .raw = { 1 | 5ull << 1 | ctxptr }, .walker = &s1walk_ops };
}

static struct viommu_inval tlbi(uint64_t iova)
{
	return (struct viommu_inval){ .kind = VIOMMU_INV_VA, .iova = iova, .size = 0x1000,
				      .raw = { CMD_TLBI_NH_VA | 1ull << 48, iova } };
}

static bool fe_deliver(void *fe, const struct iopf_group *g, uint32_t *code)
{
	(void)g;
	(void)code;
	++*(unsigned int *)fe;
	return true;
}

static const struct iopf_frontend fe_ops = { .deliver = fe_deliver };

/*
 * With an I/O page fault service: the device is registered as its stream, its stage-1 HWPT carries
 * the FAULT object when the config says the guest takes page requests, and no other HWPT does.
 */
static void test_iopf(int iommufd, int vfio, struct evloop *loop)
{
	struct fake_iommufd_cfg c = { .hw_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3 };
	struct viommu_stream_cfg cfg = s1_cfg(0x40000), bypass = { .kind = VIOMMU_CFG_BYPASS, .raw = { 1 | 4ull << 1 } };
	struct iommu_hwpt_pgfault rec = { .flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE, .dev_id = 10, .grpid = 3, .cookie = 9 };
	struct iommu_hwpt_page_response resp;
	struct guest_mem gm = { 0 };
	unsigned int delivered = 0;
	struct iopf *f = NULL;
	struct viommu *n;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) ||
	    iopf_create_fd(-1, 5 /* the caller's own object to the fake */, sv[0], NULL, 1000, &f)) {
		CHECK(0, "iopf scaffolding");
		return;
	}
	fake_iommufd_setup(iommufd, vfio, &c);
	n = viommu_nested_create(&smmuv3_nested_format, viommu_soft_create(&gm), iommufd, loop, NULL);
	viommu_nested_set_iopf(n, f, &fe_ops, &delivered);
	CHECK(viommu_nested_add_device(n, vfio, 10, IOAS, SID) == 0 && fake_iommufd_fault_of(fake_iommufd_attached()) == 0,
	      "iopf: device added; its abort HWPT has no fault queue");
	CHECK(viommu_attach(n, SID, &cfg) == 0 && fake_iommufd_fault_of(fake_iommufd_attached()) == 0,
	      "iopf: a stage-1 config without PRI: no fault queue");
	cfg.iopf = true;
	CHECK(viommu_attach(n, SID, &cfg) == 0 && fake_iommufd_fault_of(fake_iommufd_attached()) == 5,
	      "iopf: the same config with PRI enabled: replaced by a HWPT with IOMMU_HWPT_FAULT_ID_VALID");
	bypass.iopf = true;
	CHECK(viommu_attach(n, SID, &bypass) == 0 && fake_iommufd_fault_of(fake_iommufd_attached()) == 0,
	      "iopf: bypass has no stage 1 to fault in: no fault queue");
	if (write(sv[1], &rec, sizeof(rec)) != sizeof(rec) || iopf_read(f))
		CHECK(0, "iopf: feeding a record");
	CHECK(delivered == 1 && iopf_pending(f, SID) == 1, "iopf: the device's page request reached the front-end as its stream");
	viommu_nested_remove_device(n, SID);
	CHECK(read(sv[1], &resp, sizeof(resp)) == sizeof(resp) && resp.cookie == 9 && resp.code == IOMMUFD_PAGE_RESP_INVALID,
	      "iopf: removing the device answers its group INVALID");
	viommu_destroy(n);
	CHECK(fake_iommufd_teardown() == 0, "iopf: nothing left");
	iopf_destroy(f);
	close(sv[1]);
}

int main(void)
{
	struct viommu_nested_format fmt = smmuv3_nested_format;
	struct fake_iommufd_cfg c = { .hw_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3 };
	struct viommu_stream_cfg cfg, abort_cfg = { .kind = VIOMMU_CFG_ABORT };
	struct viommu_inval inv[4];
	struct guest_mem gm = { 0 };
	struct evloop *loop = NULL;
	int iommufd = eventfd(0, EFD_CLOEXEC), vfio = eventfd(0, EFD_CLOEXEC);
	struct viommu *soft, *n;
	uint32_t first_hwpt, hwpt;
	unsigned int done;

	fmt.alloc_nested = count_alloc_nested;
	fmt.invalidate = count_invalidate;
	if (iommufd < 0 || vfio < 0 || evloop_init(&loop, 16) || !(soft = viommu_soft_create(&gm))) {
		CHECK(0, "scaffolding");
		return tap_done();
	}
	fake_iommufd_setup(iommufd, vfio, &c);
	n = viommu_nested_create(&fmt, soft, iommufd, loop, NULL);
	CHECK(n != NULL, "nested core over the fake iommufd");

	/* A device that cannot get its vIOMMU object: everything made for it goes, it is back on the IOAS. */
	fake_iommufd_set_fail(FAKE_FAIL_VIOMMU);
	CHECK(viommu_nested_add_device(n, vfio, 10, IOAS, SID) == -EOPNOTSUPP && fake_iommufd_live() == 0 &&
	      fake_iommufd_attached() == IOAS, "vIOMMU refused: nest parent destroyed, device back on the IOAS");
	CHECK(viommu_nested_hw_info(n, &c, sizeof(c)) == -ENODEV, "no device: no hw_info");

	fake_iommufd_set_fail(0);
	CHECK(viommu_nested_add_device(n, vfio, 10, IOAS, SID) == 0, "first device added");
	/* nest parent, vIOMMU, vEVENTQ, vDEVICE, the abort HWPT */
	CHECK(fake_iommufd_live() == 5 && nr_alloc_nested == 1, "5 objects, the abort config from the format (%u)",
	      fake_iommufd_live());
	first_hwpt = fake_iommufd_attached();
	CHECK(first_hwpt >= 16, "device on its nested HWPT (%u)", first_hwpt);

	/* A second device whose vDEVICE is refused: it leaves nothing behind. */
	fake_iommufd_set_fail(FAKE_FAIL_VDEVICE);
	CHECK(viommu_nested_add_device(n, vfio, 11, IOAS, SID + 8) == -ENOMEM && fake_iommufd_live() == 5 &&
	      fake_iommufd_attached() == IOAS, "vDEVICE refused: second device unwound to the IOAS");
	fake_iommufd_set_fail(0);
	CHECK(viommu_nested_add_device(n, vfio, 10, IOAS, SID) == -ENOSPC, "same stream twice refused");

	/* (The fake tracks the last attach: from here on that is the first device's.) */
	cfg = s1_cfg(0x40000);
	CHECK(viommu_attach(n, SID, &cfg) == 0, "stage-1 config attached");
	hwpt = fake_iommufd_attached();
	CHECK(hwpt != first_hwpt && hwpt >= 16 && fake_iommufd_live() == 5 && nr_alloc_nested == 2,
	      "replaced: a new nested HWPT, the old one destroyed (%u objects)", fake_iommufd_live());
	CHECK(viommu_attach(n, SID, &cfg) == 0 && fake_iommufd_attached() == hwpt && nr_alloc_nested == 3 &&
	      fake_iommufd_live() == 5, "same config again: nothing replaced");

	/* The host refuses the guest's next config: the device must not keep the old one, nor be left without. */
	fake_iommufd_set_fail(FAKE_FAIL_VSTE);
	cfg = s1_cfg(0x80000);
	CHECK(viommu_attach(n, SID, &cfg) == -EINVAL, "refused config reported");
	CHECK(fake_iommufd_attached() == hwpt && fake_iommufd_live() == 5,
	      "refused (also the abort fallback): device stays on its HWPT, nothing leaked");
	fake_iommufd_set_fail(0);
	CHECK(viommu_attach(n, SID, &cfg) == 0 && fake_iommufd_attached() != hwpt && fake_iommufd_live() == 5,
	      "accepted later: replaced");
	/* A refused S1 config with the abort fallback accepted: the device aborts. */
	hwpt = fake_iommufd_attached();
	cfg.raw[0] = 0;         /* V=0: the fake refuses it like the kernel (arm_smmu_validate_vste) */
	CHECK(viommu_attach(n, SID, &cfg) == -EINVAL && fake_iommufd_attached() != hwpt && fake_iommufd_live() == 5,
	      "refused config: the device falls back to an abort HWPT");
	CHECK(viommu_attach(n, SID, &abort_cfg) == 0 && fake_iommufd_live() == 5, "abort again: no change");

	/* Invalidations: one array per call through the format; a refused entry says which. */
	for (unsigned int i = 0; i < 4; i++)
		inv[i] = tlbi(0x1000 * (i + 1));
	CHECK(viommu_invalidate(n, inv, 4, &done) == 0 && done == 4 && nr_encoded == 4,
	      "4 TLBIs forwarded, each encoded by the format");
	/* A live update: a second core (the new process) adopts the objects by id and the vEVENTQ fd. */
	{
		static struct viommu_nested_saved sv;
		struct viommu_stream_cfg cur = abort_cfg;     /* what the device has now */
		struct viommu *soft2 = viommu_soft_create(&gm), *n2 = NULL;
		unsigned int live = fake_iommufd_live(), allocs;
		uint32_t on = fake_iommufd_attached();
		struct fdtab fds;
		char why[200] = "";
		int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		CHECK(viommu_nested_state_get(n, &sv) == 0 && sv.nr_devs == 1 && sv.dev[0].sid == SID &&
		      sv.dev[0].hwpt_id == on && sv.viommu_id, "the objects listed for the update (HWPT %u)", on);
		CHECK(fdtab_init(&fds) == 0 && soft2, "new process scaffolding");
		n2 = viommu_nested_create(&fmt, soft2, iommufd, loop, &fds);
		CHECK(viommu_nested_adopt_device(n2, &sv, vfio, 10, SID, why, sizeof(why)) == -ENOENT,
		      "no vEVENTQ fd handed over: refused (%s)", why);
		fdtab_adopt(&fds, efd, FD_IOMMUFD_EVENTQ, "viommu_nested", VIOMMU_NESTED_FD_NAME);
		CHECK(viommu_nested_adopt_device(n2, &sv, vfio, 11, SID, why, sizeof(why)) == -EINVAL,
		      "another iommufd device id than saved: refused (%s)", why);
		allocs = nr_alloc_nested;
		CHECK(viommu_nested_adopt_device(n2, &sv, vfio, 10, SID, why, sizeof(why)) == 0 &&
		      fake_iommufd_live() == live && fake_iommufd_attached() == on, "adopted: nothing allocated or attached");
		CHECK(viommu_attach(n2, SID, &cur) == 0 && fake_iommufd_attached() == on && fake_iommufd_live() == live &&
		      nr_alloc_nested == allocs + 1, "the same guest config re-attached: the adopted HWPT is kept");
		cur = s1_cfg(0xc0000);
		CHECK(viommu_attach(n2, SID, &cur) == 0 && fake_iommufd_attached() != on && fake_iommufd_live() == live,
		      "a changed one replaces it as ever");
		viommu_nested_release(n2);
		CHECK(fake_iommufd_live() == 0 && fdtab_count(&fds, FD_KIND_COUNT) == 0,
		      "the new process releases the adopted objects and the vEVENTQ fd");
		viommu_destroy(n2);
		fdtab_destroy(&fds);
	}
	viommu_nested_release(n);
	CHECK(fake_iommufd_live() == 0, "release: every object destroyed");

	viommu_destroy(n);
	CHECK(fake_iommufd_teardown() == 0, "nothing left");
	test_iopf(iommufd, vfio, loop);
	evloop_destroy(loop);
	close(iommufd);
	close(vfio);
	return tap_done();
}
