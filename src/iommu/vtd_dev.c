// SPDX-License-Identifier: GPL-2.0-only
/* The VT-d remapping unit of a VM (see vtd_dev.h). */
#include "iommu/vtd_dev.h"

#include <errno.h>
#include <stdio.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "devices/pci.h"
#include "iommu/iopf.h"
#include "iommu/iommufd.h"
#include "iommu/iopf_source.h"
#include "iommu/viommu_mount.h"
#include "iommu/viommu_nested.h"
#include "iommu/viommu_shadow.h"
#include "iommu/vtd_nested.h"
#include "iommu/vtd_state.h"
#include "liveupdate/state_format.h"
#include "vmm/log.h"
#include "vmm/vm.h"

/* The unit's own interrupts are compatibility-format MSIs to the LAPICs (11.4.9.2-.5: FEADDR is
 * 0xFEEx_xxxx); they are not remapped (5.1: the remapping hardware's own events bypass it). With
 * x2APIC ids (ECAP.EIM) the event's upper address register (FEUADDR, IEUADDR, PEUADDR) holds the
 * destination's bits 31:8 in its bits 31:8 (chapter 11; Linux writes them so in x2APIC mode):
 * where KVM's 32-bit ids take them (feat.dest32). */
static void dev_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vtd_dev *d = opaque;
	uint32_t hi = d->vtd.feat.dest32 ? (uint32_t)(addr >> 32) & 0xffffff00u : 0;
	struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = hi, .data = data };

	if (((uint32_t)addr >> 20) != 0xfee) {
		pr_debug("vtd: event MSI to 0x%llx (not the interrupt range) dropped", (unsigned long long)addr);
		return;
	}
	/* > 0 delivered, 0 blocked by the guest (a disabled LAPIC): both are fine. */
	if (ioctl(d->mount.vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		err_errno("vtd: KVM_SIGNAL_MSI %#llx/%#x", (unsigned long long)addr, data);
}

/* Interrupt remapping changed: MSI routes hold remapped (address, data), so they follow. */
static void dev_xlate_changed(void *opaque)
{
	struct vtd_dev *d = opaque;

	if (d->mount.registered)
		irq_msi_retranslate(d->mount.vm);     /* reports its own failure */
}

static int dev_dma_add(void *opaque, uint32_t rid)
{
	struct vtd_dev *d = opaque;

	return vtd_add_stream(&d->vtd, (uint16_t)rid);
}

/* Emulated devices: source id = RID (bus 0), every DMA access translated by the software path. */
static int dev_dma_translate(void *opaque, uint32_t rid, uint64_t iova, bool write, struct viommu_xlate *out)
{
	struct vtd_dev *d = opaque;

	return vtd_translate(&d->vtd, (uint16_t)rid, iova, write, out);
}

/* On x86 an MSI is not DMA-translated (the interrupt range is never remapped as memory, 3.15):
 * it goes through interrupt remapping, which may rewrite both address and data. */
static int dev_msi_translate(void *opaque, uint32_t rid, uint64_t *addr, uint32_t *data, bool report)
{
	struct vtd_dev *d = opaque;

	return vtd_ir_translate(&d->vtd, (uint16_t)rid, addr, data, report);
}

static void dev_detach_vfio(void *opaque, uint32_t rid);

/* A peer's BAR window came or went (a vCPU's config write, a hot-plug): the shadows follow. The
 * order is the device's config lock, then the unit's; the unit never takes a device's. */
static void dev_peers_changed(void *opaque, uint64_t gpa, uint64_t size)
{
	struct vtd_dev *d = opaque;

	pthread_mutex_lock(&d->vtd.lock);
	if (d->shadow)
		viommu_shadow_peers_changed(d->mount.backend, gpa, size);
	pthread_mutex_unlock(&d->vtd.lock);
}

/*
 * Page requests of assigned functions (devices/vfio_pci_ecap.c, docs/iopf.md): a host VT-d that
 * reports them (HOST_PRS: ECAP.PRS) gives the unit a page request queue (ECAP.PRS, PDS) fed by a
 * FAULT object (the mock's too, in test builds), and ECAP.DT, without which Linux enables no
 * function's ATS, nor so its PRI. The guest's device-TLB descriptors complete at once: the host
 * flushes the function's device TLB itself with the invalidation of its nested HWPT (Linux 7.2
 * intel/cache.c CACHE_TAG_NESTING_DEVTLB) or with the unmap of its shadow IOAS. The backend then
 * puts each stream whose guest enabled PRI (and set PRE) on a HWPT with that FAULT object. After an
 * exec the guest must see what it saw: the saved service is adopted, and without one none is made.
 * A host that refuses the FAULT object leaves the unit without page requests (said once).
 */
static void assigned_iopf(struct vtd_dev *d, bool host_prs, struct vtd_features *f)
{
	struct vm *vm = d->mount.vm;
	const struct iopf_source_env env = { .iommufd = vm->iommufd.fd, .fds = vm_fdtab(vm), .loop = vm->loop };
	bool adopt = vm->restore && !vm_restore_reopens(vm);
	int r;

	if (!f->sm || (adopt ? !iopf_source_saved(vm->restore) : !host_prs))
		return;
	r = adopt ? iopf_source_adopt(&d->src, &env, NULL, vm->restore, vm->restore_why, sizeof(vm->restore_why)) :
		    iopf_source_create(&d->src, &env, NULL, 0, false);
	if (r) {
		pr_warn("vtd: the host reports page requests, but no FAULT object: the assigned functions get no PRI");
		return;
	}
	vtd_set_iopf(&d->vtd, d->src.iopf);
	if (d->nested)
		viommu_nested_set_iopf(d->mount.backend, d->src.iopf, &vtd_iopf_frontend, &d->vtd);
	else
		viommu_shadow_set_iopf(d->mount.backend, d->src.iopf, &vtd_iopf_frontend, &d->vtd);
	d->mount.backend->iopf = d->src.iopf;      /* vm.viommu shows its counters */
	d->assigned_iopf = true;
	f->dt = true;
}

/* The shadow backend (wrapping the software one): the unit in caching mode, which the shadow needs
 * to see the guest's maps (6.1); page requests when HOST_PRS (cold-plugged: CAP/ECAP are read at
 * boot) or, restoring by exec, when the state has them. */
static int use_shadow(struct vtd_dev *d, bool host_prs)
{
	struct vm *vm = d->mount.vm;
	struct vtd_features f;
	int r = viommu_mount_wrap(&d->mount,
				  viommu_shadow_create(d->mount.backend, &vm->mem, &vm->iommufd.peers, vm->iommufd.fd),
				  &d->vtd.lock, &d->vtd.viommu, &d->vtd);

	if (r)
		return r;
	pthread_mutex_lock(&d->vtd.lock);
	d->shadow = true;
	pthread_mutex_unlock(&d->vtd.lock);
	f = d->vtd.feat;
	assigned_iopf(d, host_prs, &f);
	if (d->assigned_iopf) {
		r = vtd_set_features(&d->vtd, &f);
		if (r)
			return r;
	}
	vtd_set_caching_mode(&d->vtd);
	/* One vVT-d per VM: nothing else listens. */
	if (ioas_peers_listen(&vm->iommufd.peers, dev_peers_changed, d))
		pr_warn("vtd: another listener holds the peer BAR windows: P2P DMA behind this unit is blocked");
	return 0;
}

/* The nested backend (wrapping the software one) for a host VT-d with CAP / ECAP: the unit then
 * offers what the host can nest (first stage only, CM = 0). */
static int use_nested(struct vtd_dev *d, uint64_t cap, uint64_t ecap)
{
	struct vm *vm = d->mount.vm;
	struct viommu *n = viommu_nested_create(&vtd_nested_format, d->mount.backend, vm->iommufd.fd, vm->loop,
						vm_fdtab(vm));
	struct vtd_features f;
	int r = viommu_mount_wrap(&d->mount, n, &d->vtd.lock, &d->vtd.viommu, &d->vtd);

	if (r)
		return r;
	d->nested = true;
	/* tools/bench/viommu-inval compares against one entry per ioctl (QEMU's way). */
	if (getenv("NESTVM_VIOMMU_UNBATCHED"))
		viommu_nested_set_unbatched(n, true);
	f = d->vtd.feat;
	vtd_nested_features(&f, cap, ecap);
	/* Before the first device: with PASIDs every HWPT is allocated PASID-capable. */
	viommu_nested_set_pasids(n, f.pasid_bits != 0);
	assigned_iopf(d, ecap & VTD_HOST_ECAP_PRS, &f);
	pr_info("vtd: nested backend (host VT-d CAP 0x%llx ECAP 0x%llx)%s", (unsigned long long)cap,
		(unsigned long long)ecap, d->assigned_iopf ? ", page requests of assigned functions" : "");
	return vtd_set_features(&d->vtd, &f);
}

/*
 * The first assigned device (DEV_ID on IOAS) chooses the backend, which wraps the software one (it
 * keeps the emulated devices): nested when the host VT-d can nest (IOMMU_GET_HW_INFO type
 * INTEL_VTD with ECAP.NEST, and the kernel gives the device a NEST_PARENT HWPT); else shadow. The
 * VT-d of QEMU up to 11.1 (the testhost's) has no NEST. backend=nested on a host that cannot nest
 * is an error; backend=shadow asks the host only IOMMU_GET_HW_INFO (for its page requests).
 */
static int choose_backend(struct vtd_dev *d, uint32_t dev_id, uint32_t ioas)
{
	struct vm *vm = d->mount.vm;
	enum viommu_backend want = vm->cfg ? vm->cfg->viommu_backend : VIOMMU_BACKEND_AUTO;
	uint64_t cap = 0, ecap = 0;
	char why[192] = "backend=shadow";
	int r = -EOPNOTSUPP;

	if (want != VIOMMU_BACKEND_SHADOW)
		r = vtd_nested_probe(vm->iommufd.fd, dev_id, ioas, &cap, &ecap, why, sizeof(why));
	if (r && want == VIOMMU_BACKEND_NESTED) {
		pr_err("vtd: backend=nested: %s", why);
		return r;
	}
	if (!r)
		return use_nested(d, cap, ecap);
	if (want == VIOMMU_BACKEND_AUTO)
		pr_info("vtd: shadow backend: %s", why);
	/* Its page requests: the probe read ECAP (also when the host cannot nest); backend=shadow asks
	 * only for it. */
	if (want == VIOMMU_BACKEND_SHADOW && vtd_host_regs(vm->iommufd.fd, dev_id, &cap, &ecap, why, sizeof(why)))
		ecap = 0;
	return use_shadow(d, ecap & VTD_HOST_ECAP_PRS);
}

/*
 * A live update by exec: the previous process's shadow backend. Its devices adopt their IOASes as
 * they are, and configs the unit loads before its registers are back (an assigned source id's eager
 * load) change nothing.
 */
static int adopt_shadow(struct vtd_dev *d, const struct lu_section *s)
{
	struct vm *vm = d->mount.vm;
	int r;

	d->shadow_saved = calloc(1, sizeof(*d->shadow_saved));
	if (!d->shadow_saved)
		return err_num(ENOMEM, "vtd: restoring the shadow vIOMMU");
	r = viommu_shadow_state_decode(s, d->shadow_saved, vm->restore_why, sizeof(vm->restore_why));
	if (!r)
		r = use_shadow(d, false);      /* page requests as the state has them */
	if (!r)
		viommu_shadow_adopting(d->mount.backend, true);
	return r;
}

/*
 * ... or its nested backend: the nest parent, blocked and nested HWPTs are adopted by id, so only
 * IOMMU_GET_HW_INFO is asked (for the features the guest saw; vtd_state_restore checks them), no
 * probe HWPT allocated. Until the registers are back the configs the unit loads (TE still 0)
 * change nothing in the kernel.
 */
static int adopt_nested(struct vtd_dev *d, uint32_t dev_id, const struct lu_section *s)
{
	struct vm *vm = d->mount.vm;
	uint64_t cap, ecap;
	char why[192];
	int r;

	d->nested_saved = malloc(sizeof(*d->nested_saved));
	if (!d->nested_saved)
		return err_num(ENOMEM, "vtd: restoring the nested vIOMMU");
	r = viommu_nested_state_decode(s, d->nested_saved, vm->restore_why, sizeof(vm->restore_why));
	if (r)
		return r;
	r = vtd_nested_host_info(vm->iommufd.fd, dev_id, &cap, &ecap, why, sizeof(why));
	if (r) {
		snprintf(vm->restore_why, sizeof(vm->restore_why), "vtd: the saved nested vIOMMU on this host: %s", why);
		return r;
	}
	r = use_nested(d, cap, ecap);
	if (!r)
		viommu_nested_adopting(d->mount.backend, true);
	return r;
}

/* The backend the saved state has, which --viommu vtd,backend= must allow. */
static int adopt_backend(struct vtd_dev *d, uint32_t dev_id)
{
	struct vm *vm = d->mount.vm;
	enum viommu_backend want = vm->cfg ? vm->cfg->viommu_backend : VIOMMU_BACKEND_AUTO;
	const struct lu_section *n = lu_state_find(vm->restore, VIOMMU_NESTED_STATE_TYPE, 0);
	const struct lu_section *s = lu_state_find(vm->restore, VIOMMU_SHADOW_STATE_TYPE, 0);

	if (!n && !s) {
		snprintf(vm->restore_why, sizeof(vm->restore_why),
			 "vtd: no saved nested or shadow vIOMMU for the assigned devices");
		return -EINVAL;
	}
	if ((n && want == VIOMMU_BACKEND_SHADOW) || (!n && want == VIOMMU_BACKEND_NESTED)) {
		snprintf(vm->restore_why, sizeof(vm->restore_why), "vtd: the saved vIOMMU has the %s backend, this VM "
			 "asks for backend=%s", n ? "nested" : "shadow", n ? "shadow" : "nested");
		return -EINVAL;
	}
	return n ? adopt_nested(d, dev_id, n) : adopt_shadow(d, s);
}

/*
 * An assigned device behind the unit (pci_viommu_ops.attach_vfio): cold-plugged before any vCPU
 * runs, or hot-added (vm.add-device, on the loop thread) while vCPUs walk the guest's tables under
 * the unit's lock. A hot-added first device cannot choose: CAP/ECAP are what the guest read at boot,
 * so it takes the shadow backend if the unit started in caching mode (vtd_dev_create, with
 * hot-plug slots), and is refused otherwise.
 */
static int dev_attach_vfio(void *opaque, int vfio_fd, uint32_t dev_id, uint32_t ioas, uint32_t rid)
{
	struct vtd_dev *d = opaque;
	struct vm *vm = d->mount.vm;
	bool running = vm->pci && vm->pci->running;
	/* After a kexec the backend starts afresh: vtd_state_restore loads the assigned streams' contexts
	 * and the shadow (or nested) backend builds their spaces from the guest's tables. */
	bool adopt = vm->restore && !running && !vm_restore_reopens(vm);
	int r;

	if (!d->shadow && !d->nested) {
		if (adopt)
			r = adopt_backend(d, dev_id);
		else if (!running)
			r = choose_backend(d, dev_id, ioas);
		else if (d->vtd.feat.cm)
			r = use_shadow(d, false);      /* ECAP was read at boot: no page requests now */
		else
			r = err_num(EOPNOTSUPP, "vtd: a hot-added assigned device needs the unit in caching mode from boot "
					       "(--hotplug-slots without backend=nested) or an assigned device at boot");
		if (r)
			return r;
	}
	pthread_mutex_lock(&d->vtd.lock);
	if (adopt && d->nested)
		r = viommu_nested_adopt_device(d->mount.backend, d->nested_saved, vfio_fd, dev_id, rid, vm->restore_why,
					       sizeof(vm->restore_why));
	else if (adopt)
		r = viommu_shadow_adopt_device(d->mount.backend, d->shadow_saved, vfio_fd, dev_id, ioas, rid,
					       vm->restore_why, sizeof(vm->restore_why));
	else if (d->nested)
		r = viommu_nested_add_device(d->mount.backend, vfio_fd, dev_id, ioas, rid);
	else
		r = viommu_shadow_add_device(d->mount.backend, vfio_fd, dev_id, ioas, rid);
	pthread_mutex_unlock(&d->vtd.lock);
	if (r)
		return r;
	/* The source id's context may be set already (a slot used before): it applies at once. */
	r = vtd_add_assigned(&d->vtd, (uint16_t)rid);
	if (r) {
		err_num(-r, "vtd: source id %#x of an assigned device", rid);
		/* Restoring, nothing is undone: the previous binary takes the device back as it is. */
		if (!adopt)
			dev_detach_vfio(d, rid);
	}
	return r;
}

/* A hot-removed device (its cdev closed): its IOAS goes, its source id stays behind the unit, empty. */
static void dev_detach_vfio(void *opaque, uint32_t rid)
{
	struct vtd_dev *d = opaque;

	if (!d->shadow && !d->nested)
		return;
	pthread_mutex_lock(&d->vtd.lock);
	vtd_remove_assigned(&d->vtd, (uint16_t)rid);
	if (d->nested)
		viommu_nested_remove_device(d->mount.backend, rid);
	else
		viommu_shadow_remove_device(d->mount.backend, rid);
	pthread_mutex_unlock(&d->vtd.lock);
}

/* pci_viommu_ops.iopf_offered: assigned function RID's page requests reach the page request queue. */
static bool dev_iopf_offered(void *opaque, uint32_t rid)
{
	struct vtd_dev *d = opaque;

	(void)rid;
	return d->assigned_iopf;
}

/* pci_viommu_ops.pasid_bits: the nested backend attaches an assigned function's PASIDs (vtd_pasid.c). */
static unsigned int dev_pasid_bits(void *opaque, uint32_t rid)
{
	struct vtd_dev *d = opaque;

	(void)rid;
	return d->nested ? d->vtd.feat.pasid_bits : 0;
}

static void dev_set_iopf(void *opaque, uint32_t rid, bool on)
{
	struct vtd_dev *d = opaque;

	if (d->assigned_iopf)
		vtd_set_pri(&d->vtd, (uint16_t)rid, on);
}

/*
 * The page-request source goes: its groups answered first, then its HWPTs (the mock's; the
 * backend's went before, dev_release_vfio), then the FAULT object.
 */
static void release_iopf(struct vtd_dev *d)
{
	if (!d->src.iopf)
		return;
	vtd_set_iopf(&d->vtd, NULL);
	if (d->nested)
		viommu_nested_set_iopf(d->mount.backend, NULL, NULL, NULL);
	else if (d->shadow)
		viommu_shadow_set_iopf(d->mount.backend, NULL, NULL, NULL);
	d->mount.backend->iopf = NULL;
	d->assigned_iopf = false;
	iopf_source_release(&d->src);
}

static void dev_release_vfio(void *opaque)
{
	struct vtd_dev *d = opaque;

	/* Answered by nestvm before the devices leave their fault-capable HWPTs (whose kernel would
	 * answer the groups it still holds itself, and refuse nestvm's answers after). */
	if (d->src.iopf)
		iopf_answer_all(d->src.iopf);
	if (d->shadow) {
		ioas_peers_listen(&d->mount.vm->iommufd.peers, NULL, NULL);
		viommu_shadow_release(d->mount.backend);
	}
	if (d->nested)
		viommu_nested_release(d->mount.backend);
	release_iopf(d);
}

#ifdef NESTVM_IOMMUFD_TEST
/*
 * Test builds: the IOMMUFD_TEST mock device as the page-request source of requester id c->sid,
 * before any vCPU runs (ECAP.PRS appears with it). The mock does no DMA, so it is no stream of the
 * unit; only its page requests come through the page request queue. Its HWPTs sit on an empty
 * IOAS of their own, not on the guest-RAM one: x86 guest RAM starts at GPA 0, below the mock
 * domain's aperture (selftest.c MOCK_APERTURE_START, 16 MiB), and iommufd refuses a domain whose
 * aperture excludes an existing mapping (IOMMU_HWPT_ALLOC: EADDRINUSE). After a live update the
 * source is adopted as the previous process left it (iopf_source_adopt), the groups awaiting the
 * guest with it; nothing is undone if that fails (the previous binary takes the objects back).
 */
static int dev_attach_iopf_mock(void *opaque, const struct iopf_mock_config *c, int iommufd, uint32_t ioas)
{
	struct vtd_dev *d = opaque;
	struct vm *vm = d->mount.vm;
	const struct iopf_source_env env = { .iommufd = iommufd, .fds = vm_fdtab(vm), .loop = vm->loop };
	int r;

	if (d->src.mock)
		return err_num(EEXIST, "--iopf-mock: one mock device per vVT-d");
	if (!d->vtd.feat.sm)
		return err_num(EOPNOTSUPP, "--iopf-mock: page requests need the vVT-d's scalable mode");
	r = vm->restore ? iopf_source_adopt(&d->src, &env, c, vm->restore, vm->restore_why, sizeof(vm->restore_why)) :
			  iopf_source_create(&d->src, &env, c, ioas, true);
	if (r)
		return r;
	vtd_set_iopf(&d->vtd, d->src.iopf);
	r = iopf_add_device(d->src.iopf, c->dev_id, c->sid, &vtd_iopf_frontend, &d->vtd);
	if (r) {
		/* The service stays while assigned functions use it; the VM's teardown takes the rest. */
		if (!vm->restore && !d->assigned_iopf)
			release_iopf(d);
		return r;
	}
	d->mount.backend->iopf = d->src.iopf;      /* vm.viommu shows its counters */
	pr_info("vtd: IOMMUFD_TEST mock device %u is requester id 0x%x, its page requests through FAULT object %u%s",
		c->dev_id, c->sid, iopf_fault_id(d->src.iopf), vm->restore ? " (adopted)" : "");
	return 0;
}
#endif

int vtd_dev_create(struct vm *vm, uint64_t base, bool dest32, struct vtd_dev **out)
{
	static const struct vtd_hooks hooks = { .msi = dev_msi, .xlate_changed = dev_xlate_changed };
	static const struct pci_viommu_ops pci_ops = {
		.name = "vtd",
		.dma_add = dev_dma_add,
		.dma_translate = dev_dma_translate,
		.attach_vfio = dev_attach_vfio,
		.detach_vfio = dev_detach_vfio,
		.release_vfio = dev_release_vfio,
		.msi_translate = dev_msi_translate,
		.iopf_offered = dev_iopf_offered,
		.set_iopf = dev_set_iopf,
		.pasid_bits = dev_pasid_bits,
#ifdef NESTVM_IOMMUFD_TEST
		.attach_iopf_mock = dev_attach_iopf_mock,
#endif
	};
	struct vtd_features f;
	struct vtd_dev *d;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return err_num(ENOMEM, "vtd");
	/* Every PCI function sits behind the unit (DRHD INCLUDE_PCI_ALL). */
	r = viommu_mount_init(&d->mount, vm, "vtd");
	if (r)
		goto err_free;
	vtd_default_features(&f);
	f.dest32 = dest32;
	/* Device-TLBs only with a function that has ATS (--iopf-mock function=on): the guest would
	 * enable ATS on no other, so ECAP.DT would only add invalidations. */
	f.dt = vm->cfg && vm->cfg->iopf_mock.on && vm->cfg->iopf_mock.function;
	r = vtd_init(&d->vtd, &f, &vm->mem, d->mount.backend, &hooks, d);
	if (r)
		goto err_backend;
	/* With hot-plug slots an assigned device may come while the guest runs, after it read CAP
	 * once: the shadow it would need wants caching mode, so the unit starts in it. A device at
	 * boot the host can nest turns it off again (vtd_nested_features) before any vCPU runs. */
	if (vm->cfg && vm->cfg->hotplug_slots && vm->cfg->viommu_backend != VIOMMU_BACKEND_NESTED)
		vtd_set_caching_mode(&d->vtd);
	d->mount.backend->frontend = &d->vtd;
	r = viommu_mount_expose(&d->mount, base, VTD_MMIO_SIZE, vtd_mmio, &d->vtd, &pci_ops, d);
	if (r)
		goto err_vtd;
	*out = d;
	return 0;

err_vtd:
	vtd_destroy(&d->vtd);
err_backend:
	viommu_mount_fini(&d->mount);
err_free:
	free(d);
	return r;
}

/* The nested backend's objects (under the unit's lock, as the shadow's devices). */
static int save_nested(struct vtd_dev *d, struct lu_writer *w)
{
	struct viommu_nested_saved *n = malloc(sizeof(*n));
	int r;

	if (!n)
		return err_num(ENOMEM, "vtd: saving the nested vIOMMU");
	pthread_mutex_lock(&d->vtd.lock);
	/* The saved nested objects have no PASID attachments (docs/liveupdate.md): refused, the VM
	 * keeps running as it is. */
	if (viommu_nested_nr_pasids(d->mount.backend)) {
		pr_err("vtd: %u PASID attachments of assigned functions do not cross a live update yet",
		       viommu_nested_nr_pasids(d->mount.backend));
		r = -EBUSY;
	} else {
		r = viommu_nested_state_get(d->mount.backend, n);
	}
	pthread_mutex_unlock(&d->vtd.lock);
	if (!r) {
		viommu_nested_state_put(w, n);
		r = lu_writer_end(w);
	}
	free(n);
	return r;
}

int vtd_dev_state_save(struct vtd_dev *d, struct lu_writer *w)
{
	int r = vtd_state_save(&d->vtd, w);

	if (!r && d->shadow) {
		pthread_mutex_lock(&d->vtd.lock);
		r = viommu_shadow_state_save(d->mount.backend, w);
		pthread_mutex_unlock(&d->vtd.lock);
	}
	if (!r && d->nested)
		r = save_nested(d, w);
	if (!r && d->src.iopf)
		r = iopf_source_save(&d->src, w);
	return r;
}

static void free_saved(struct vtd_dev *d)
{
	if (d->shadow_saved)
		viommu_shadow_saved_free(d->shadow_saved);
	free(d->shadow_saved);
	free(d->nested_saved);
	d->shadow_saved = NULL;
	d->nested_saved = NULL;
}

int vtd_dev_state_restore(struct vtd_dev *d, const struct lu_state *st, char *why, size_t why_size)
{
	const struct lu_section *s = lu_state_find(st, VTD_STATE_TYPE, 0);
	struct vtd_saved *sv;
	int r;

	if (!s) {
		snprintf(why, why_size, "--viommu vtd: the state has no '%s' section", VTD_STATE_TYPE);
		return -EINVAL;
	}
	if (!d->src.iopf != !iopf_source_saved(st)) {
		snprintf(why, why_size, "vtd: a page-request source was %s, the VM has %s", d->src.iopf ? "not saved" : "saved",
			 d->src.iopf ? "one" : "none");
		return -EINVAL;
	}
	if (!d->shadow != !lu_state_find(st, VIOMMU_SHADOW_STATE_TYPE, 0)) {
		snprintf(why, why_size, "vtd: a shadow vIOMMU was %s, the VM has %s", d->shadow ? "not saved" : "saved",
			 d->shadow ? "one" : "no assigned device to adopt it");
		return -EINVAL;
	}
	if (!d->nested != !lu_state_find(st, VIOMMU_NESTED_STATE_TYPE, 0)) {
		snprintf(why, why_size, "vtd: a nested vIOMMU was %s, the VM has %s", d->nested ? "not saved" : "saved",
			 d->nested ? "one" : "no nested backend to adopt it");
		return -EINVAL;
	}
	sv = malloc(sizeof(*sv));
	if (!sv)
		return -ENOMEM;
	r = vtd_state_decode(s, sv, why, why_size);
	/* The assigned streams' configs come back from the guest's tables when the registers do. The
	 * shadow backend (still adopting) only records them: what their IOASes hold is what the guest
	 * last invalidated. The nested one takes them (no longer adopting): an unchanged PASID entry
	 * keeps its adopted HWPT without an ioctl and gives it its domain id for invalidations. */
	if (d->nested) {
		pthread_mutex_lock(&d->vtd.lock);
		viommu_nested_adopting(d->mount.backend, false);
		pthread_mutex_unlock(&d->vtd.lock);
	}
	if (!r)
		r = vtd_state_restore(&d->vtd, sv, why, why_size);
	free(sv);
	if (d->shadow) {
		pthread_mutex_lock(&d->vtd.lock);
		viommu_shadow_adopting(d->mount.backend, false);
		pthread_mutex_unlock(&d->vtd.lock);
	}
	free_saved(d);
	return r;
}

void vtd_dev_destroy(struct vm *vm, struct vtd_dev *d)
{
	if (!d)
		return;
	/* No vCPU runs any more and the functions are gone: nothing can call into the model. */
	if (d->shadow)
		ioas_peers_listen(&vm->iommufd.peers, NULL, NULL);
	release_iopf(d);
	viommu_mount_hide(&d->mount);
	vtd_destroy(&d->vtd);
	viommu_mount_fini(&d->mount);
	free_saved(d);
	free(d);
}
