// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which backend the vVT-d's first assigned device gets (vtd_dev.c, --viommu vtd,backend=), over the
 * fake iommufd (tests/fuzz/fake_iommufd.c): nested when IOMMU_GET_HW_INFO says INTEL_VTD with
 * ECAP.NEST and the kernel gives a NEST_PARENT HWPT, with the unit's CAP/ECAP then the nested ones;
 * shadow otherwise (caching mode); backend=nested on a host that cannot nest is refused with
 * nothing changed; backend=shadow asks the host only IOMMU_GET_HW_INFO (for page requests), no HWPT probe.
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../fuzz/fake_iommufd.h"
#include "devices/pci.h"
#include "iommu/vtd_dev.h"
#include "iommu/vtd_nested.h"
#include "pci_vm.h"
#include "tap.h"
#include "vmm/evloop.h"
#include "vmm/vm.h"

#define VTD_BASE   0xfed90000ull
#define RAM_BASE   0x40000000ull
#define RAM_SIZE   (4ull << 20)
#define IOAS       2
#define SID        0x10

#define HOST_CAP   (VTD_HOST_CAP_FL1GP | (47ull << 16) | (0x4ull << 8))
#define HOST_ECAP  (VTD_HOST_ECAP_NEST | VTD_HOST_ECAP_SMTS | VTD_HOST_ECAP_SLTS | VTD_HOST_ECAP_FLTS)

static int iommufd, vfio;
static struct evloop *loop;

/* A VM (with SLOTS hot-plug slots) with a vVT-d whose first assigned device is attached with BACKEND
 * on a host with ECAP, cold-plugged or (HOT) while the guest runs: the attach's result in *R, the
 * backend's name and the unit's CAP/ECAP, the calls the fake took. */
static const char *attach_to(enum viommu_backend backend, uint64_t ecap, unsigned int slots, bool hot, int *r,
			     uint64_t *cap_out, uint64_t *ecap_out, unsigned int *nr_hw_info)
{
	static char name[16];
	struct fake_iommufd_cfg c = { .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .vtd_cap = HOST_CAP, .vtd_ecap = ecap };
	struct vm_config cfg = { .viommu_model = VIOMMU_MODEL_VTD, .viommu_backend = backend, .hotplug_slots = slots };
	const struct fake_call *k;
	struct vtd_dev *d = NULL;
	unsigned int nr;
	struct vm vm;

	name[0] = 0;
	if (pci_vm_init(&vm, &cfg, loop, RAM_BASE, RAM_SIZE) || vtd_dev_create(&vm, VTD_BASE, false, &d)) {
		*r = -EIO;
		return "no VM";
	}
	fake_iommufd_setup(iommufd, vfio, &c);
	vm.iommufd.fd = iommufd;
	vm.pci->running = hot;
	*r = pci_host_viommu_attach_vfio(vm.pci, vfio, 10, IOAS, SID);
	snprintf(name, sizeof(name), "%s", d->mount.backend->ops->name);
	*cap_out = d->vtd.cap;
	*ecap_out = d->vtd.ecap;
	k = fake_iommufd_calls(&nr);
	*nr_hw_info = 0;
	for (unsigned int i = 0; i < nr; i++)
		*nr_hw_info += k[i].req == IOMMU_GET_HW_INFO;
	pci_host_remove_all(vm.pci);
	vtd_dev_destroy(&vm, d);
	pci_vm_fini(&vm);
	fake_iommufd_teardown();
	return name;
}

static const char *attach(enum viommu_backend backend, uint64_t ecap, int *r, uint64_t *cap_out, uint64_t *ecap_out,
			  unsigned int *nr_hw_info)
{
	return attach_to(backend, ecap, 0, false, r, cap_out, ecap_out, nr_hw_info);
}

int main(void)
{
	uint64_t cap, ecap;
	unsigned int hw;
	const char *b;
	int r;

	iommufd = eventfd(0, EFD_CLOEXEC);
	vfio = eventfd(0, EFD_CLOEXEC);
	if (iommufd < 0 || vfio < 0 || evloop_init(&loop, 16)) {
		printf("Bail out! scaffolding\n");
		return 1;
	}
	b = attach(VIOMMU_BACKEND_AUTO, HOST_ECAP, &r, &cap, &ecap, &hw);
	CHECK(r == 0 && !strcmp(b, "nested") && hw == 1, "auto, host with ECAP.NEST: nested backend (r %d, %s)", r, b);
	CHECK((ecap & ECAP_FLTS) && !(ecap & ECAP_SLTS) && !(cap & CAP_CM) && (cap & CAP_FL1GP) && !(cap & CAP_FL5LP),
	      "... the unit offers first stage only, CM=0, the host's FL1GP and no FL5LP");
	b = attach(VIOMMU_BACKEND_AUTO, HOST_ECAP & ~VTD_HOST_ECAP_NEST, &r, &cap, &ecap, &hw);
	CHECK(!strcmp(b, "shadow") && (cap & CAP_CM) && !(ecap & ECAP_FLTS) && hw == 1,
	      "auto, host without ECAP.NEST (QEMU's VT-d): shadow backend, CM=1, FLTS=0");
	b = attach(VIOMMU_BACKEND_NESTED, HOST_ECAP & ~VTD_HOST_ECAP_NEST, &r, &cap, &ecap, &hw);
	CHECK(r == -EOPNOTSUPP && !strcmp(b, "software") && !(cap & CAP_CM),
	      "backend=nested, host without ECAP.NEST: refused, the unit unchanged");
	b = attach(VIOMMU_BACKEND_SHADOW, HOST_ECAP, &r, &cap, &ecap, &hw);
	CHECK(!strcmp(b, "shadow") && (cap & CAP_CM) && hw == 1,
	      "backend=shadow on a host that could nest: shadow, only IOMMU_GET_HW_INFO asked (no probe HWPT)");

	/* Hot-plug slots: the unit starts in caching mode (a device may come after the guest read CAP). */
	b = attach_to(VIOMMU_BACKEND_AUTO, HOST_ECAP, 1, false, &r, &cap, &ecap, &hw);
	CHECK(r == 0 && !strcmp(b, "nested") && !(cap & CAP_CM) && (ecap & ECAP_FLTS),
	      "hot-plug slots, a device at boot the host can nest: nested, CM off again before the guest runs");
	b = attach_to(VIOMMU_BACKEND_AUTO, HOST_ECAP, 1, true, &r, &cap, &ecap, &hw);
	CHECK(r == 0 && !strcmp(b, "shadow") && (cap & CAP_CM) && hw == 0,
	      "hot-plug slots, the first device hot-added: shadow in the caching mode the guest saw, host not asked (r %d, %s)",
	      r, b);
	b = attach_to(VIOMMU_BACKEND_AUTO, HOST_ECAP, 0, true, &r, &cap, &ecap, &hw);
	CHECK(r == -EOPNOTSUPP && !strcmp(b, "software") && !(cap & CAP_CM),
	      "no hot-plug slots (CM=0 at boot), a device added while the guest runs: refused, the unit unchanged");
	b = attach_to(VIOMMU_BACKEND_NESTED, HOST_ECAP, 1, true, &r, &cap, &ecap, &hw);
	CHECK(r == -EOPNOTSUPP && !strcmp(b, "software") && !(cap & CAP_CM),
	      "backend=nested with hot-plug slots, the first device hot-added: refused (CAP was fixed at boot)");
	evloop_destroy(loop);
	close(iommufd);
	close(vfio);
	return tap_done();
}
