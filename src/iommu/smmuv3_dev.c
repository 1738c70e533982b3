// SPDX-License-Identifier: GPL-2.0-only
/* The SMMUv3 device of a VM (see smmuv3_dev.h). */
#include "iommu/smmuv3_dev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "iommu/iopf.h"
#include "iommu/iopf_source.h"
#include "iommu/smmuv3_nested.h"
#include "iommu/smmuv3_state.h"
#include "iommu/viommu_mount.h"
#include "liveupdate/state_format.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static void dev_irq(void *opaque, enum smmuv3_irq line)
{
	struct smmuv3_dev *d = opaque;

	/* The lines are edge-triggered (DT: IRQ_TYPE_EDGE_RISING, as QEMU virt): a pulse. irq_line
	 * reports its own failure; a lost pulse is all that can go wrong here. */
	if (line >= SMMUV3_NR_IRQS)
		return;
	irq_line(d->mount.vm, d->irq[line], true);
	irq_line(d->mount.vm, d->irq[line], false);
}

static void dev_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct smmuv3_dev *d = opaque;
	uint32_t *p = (addr & 3) ? NULL : gmem_ptr(&d->mount.vm->mem, addr, 4);

	/* A CMD_SYNC completion the driver polls lands in RAM. MSIs to the ITS need the SMMU's own
	 * DeviceID (msi-parent), which the device tree does not give it yet: they are dropped and the
	 * driver uses the wired interrupts. */
	if (!p) {
		pr_debug("smmuv3: MSI to 0x%llx (not RAM) dropped", (unsigned long long)addr);
		return;
	}
	__atomic_store_n(p, data, __ATOMIC_RELEASE);    /* both hosts are little-endian, like the guest */
}

/* MSI writes of devices behind the SMMU are translated like their other DMA writes; a fault is
 * recorded like theirs (7.3) when REPORT (the irq layer reports each faulting route once). The SMMU
 * does not remap interrupts: DATA goes through as is. */
static int dev_msi_translate(void *opaque, uint32_t devid, uint64_t *addr, uint32_t *data, bool report)
{
	struct smmuv3_dev *d = opaque;
	struct viommu_xlate x;
	int r;

	/* Every PCI function sits behind this SMMU (iommu-map covers all RIDs): the first MSI of a
	 * device makes its stream known. */
	r = smmuv3_add_stream(&d->smmu, devid);
	if (r)
		return r;
	r = report ? smmuv3_translate(&d->smmu, devid, *addr, true, &x) :
		     smmuv3_translate_quiet(&d->smmu, devid, *addr, true, &x);
	if (r)
		return r;
	*addr = x.pa;
	return 0;
}

/* The guest invalidated or reconfigured: MSI routes hold translated addresses, so they follow. */
static void dev_xlate_changed(void *opaque)
{
	struct smmuv3_dev *d = opaque;

	if (d->mount.registered)
		irq_msi_retranslate(d->mount.vm);     /* reports its own failure */
}

/* Emulated devices (virtio): StreamID = RID, every DMA access translated by the software path. */
static int dev_dma_translate(void *opaque, uint32_t sid, uint64_t iova, bool write, struct viommu_xlate *out)
{
	struct smmuv3_dev *d = opaque;

	return smmuv3_translate(&d->smmu, sid, iova, write, out);
}

static int dev_dma_add_stream(void *opaque, uint32_t sid)
{
	struct smmuv3_dev *d = opaque;

	return smmuv3_add_stream(&d->smmu, sid);
}

/* Restoring: the saved nested objects, decoded once for every assigned device to adopt its own. */
static int adopt_state(struct smmuv3_dev *d)
{
	struct vm *vm = d->mount.vm;
	const struct lu_section *s = lu_state_find(vm->restore, VIOMMU_NESTED_STATE_TYPE, 0);

	if (d->adopt)
		return 0;
	if (!s) {
		snprintf(vm->restore_why, sizeof(vm->restore_why), "smmuv3: no saved nested vIOMMU for the assigned devices");
		return -EINVAL;
	}
	d->adopt = malloc(sizeof(*d->adopt));
	if (!d->adopt)
		return err_num(ENOMEM, "smmuv3: restoring the nested vIOMMU");
	return viommu_nested_state_decode(s, d->adopt, vm->restore_why, sizeof(vm->restore_why));
}

/* pci_viommu_ops.pasid_bits: with the nested backend the host walks the guest's CD tables, so an
 * assigned function gets the SubstreamIDs the unit offers (IDR1.SSIDSIZE, clamped to the host's). */
static unsigned int dev_pasid_bits(void *opaque, uint32_t rid)
{
	struct smmuv3_dev *d = opaque;

	(void)rid;
	return d->nested ? d->smmu.feat.ssidsize : 0;
}

/*
 * An assigned device behind this SMMU (pci_viommu_ops.attach_vfio): the first one switches the backend
 * to the nested one (wrapping the software backend, which keeps the emulated devices) and clamps
 * the guest-visible features to the host SMMU's. Runs before any vCPU.
 */
static int dev_add_vfio(void *opaque, int vfio_fd, uint32_t dev_id, uint32_t ioas, uint32_t rid)
{
	struct smmuv3_dev *d = opaque;
	bool first = !d->nested;
	int r;

	if (first && d->mount.vm->pci && d->mount.vm->pci->running) {
		/* The nested backend clamps the features the guest already read (IDR0-5) and moves the
		 * ITS under the host's MSI window (docs/viommu.md): both are fixed once the guest runs. */
		pr_err("smmuv3: a hot-added device needs the nested vSMMU, which only an assigned device present "
		       "at boot sets up (add one with --device vfio,...)");
		return -EOPNOTSUPP;
	}
	if (first) {
		struct vm *vm = d->mount.vm;
		struct viommu *n = viommu_nested_create(&smmuv3_nested_format, d->mount.backend, vm->iommufd.fd, vm->loop,
							vm_fdtab(vm));

		if (n)
			n->event = smmuv3_backend_event;
		r = viommu_mount_wrap(&d->mount, n, &d->smmu.lock, &d->smmu.viommu, &d->smmu);
		if (r)
			return r;
		d->nested = true;
		/* tools/bench/viommu-inval compares against one command per ioctl (QEMU's way). */
		if (getenv("NESTVM_VIOMMU_UNBATCHED"))
			viommu_nested_set_unbatched(n, true);
	}
	if (d->mount.vm->restore && !(d->mount.vm->pci && d->mount.vm->pci->running) &&
	    !vm_restore_reopens(d->mount.vm)) {
		/* A live update by exec: the device, its vDEVICE and nested HWPT are as the previous process
		 * left them. After a kexec they are made anew, the nested HWPTs from the guest's STEs when
		 * the registers are restored (smmuv3_state_restore reloads every stream). */
		struct vm *vm = d->mount.vm;

		r = adopt_state(d);
		if (!r)
			r = viommu_nested_adopt_device(d->mount.backend, d->adopt, vfio_fd, dev_id, rid, vm->restore_why,
						       sizeof(vm->restore_why));
	} else {
		r = viommu_nested_add_device(d->mount.backend, vfio_fd, dev_id, ioas, rid);
	}
	if (r)
		return r;
	if (first) {
		struct smmuv3_features f = d->smmu.feat;

		r = smmuv3_nested_clamp_features(d->mount.backend, &f);
		if (!r)
			r = smmuv3_set_features(&d->smmu, &f);
		if (r)
			return r;
	}
	r = smmuv3_add_stream(&d->smmu, rid);
	if (r) {
		err_num(r, "smmuv3: StreamID 0x%x of an assigned device", rid);
		return r;
	}
	if (!first) {
		/* Hot-added, maybe on a StreamID the guest configured before: its STE applies at once. */
		pthread_mutex_lock(&d->smmu.lock);
		smmuv3_reload_streams(&d->smmu, rid, rid);
		pthread_mutex_unlock(&d->smmu.lock);
	}
	return 0;
}

/* A hot-removed device (its cdev closed): its vDEVICE and nested HWPT go; the StreamID stays, empty. */
static void dev_remove_vfio(void *opaque, uint32_t rid)
{
	struct smmuv3_dev *d = opaque;

	if (d->nested)
		viommu_nested_remove_device(d->mount.backend, rid);
}

/* The page-request source goes: its groups answered first, then its HWPTs, then the FAULT object. */
static void release_iopf(struct smmuv3_dev *d)
{
	if (!d->src.iopf)
		return;
	smmuv3_set_iopf(&d->smmu, NULL);
	d->mount.backend->iopf = NULL;
	iopf_source_release(&d->src);
}

static void dev_release_vfio(void *opaque)
{
	struct smmuv3_dev *d = opaque;

	release_iopf(d);
	if (d->nested)
		viommu_nested_release(d->mount.backend);
}

#ifdef NESTVM_IOMMUFD_TEST
/*
 * Test builds: the IOMMUFD_TEST mock device as the page-request source of StreamID c->sid; after a
 * live update adopted as the previous process left it (iopf_source_adopt), nothing undone if that
 * fails (the previous binary takes the objects back).
 */
static int dev_attach_iopf_mock(void *opaque, const struct iopf_mock_config *c, int iommufd, uint32_t ioas)
{
	struct smmuv3_dev *d = opaque;
	struct vm *vm = d->mount.vm;
	const struct iopf_source_env env = { .iommufd = iommufd, .fds = vm_fdtab(vm), .loop = vm->loop };
	int r;

	if (d->src.iopf)
		return err_num(EEXIST, "--iopf-mock: one mock device per vSMMU");
	r = vm->restore ? iopf_source_adopt(&d->src, &env, c, vm->restore, vm->restore_why, sizeof(vm->restore_why)) :
			  iopf_source_create(&d->src, &env, c, ioas, false);
	if (r)
		return r;
	r = smmuv3_set_iopf(&d->smmu, d->src.iopf);
	if (!r)
		r = iopf_add_device(d->src.iopf, c->dev_id, c->sid, &smmuv3_iopf_frontend, &d->smmu);
	if (!r)
		r = smmuv3_add_stream(&d->smmu, c->sid);
	if (r) {
		if (!vm->restore)
			release_iopf(d);
		return r;
	}
	d->mount.backend->iopf = d->src.iopf;      /* vm.viommu shows its counters */
	pr_info("smmuv3: IOMMUFD_TEST mock device %u is StreamID 0x%x, its page requests through FAULT object %u%s",
		c->dev_id, c->sid, iopf_fault_id(d->src.iopf), vm->restore ? " (adopted)" : "");
	return 0;
}
#endif

int smmuv3_dev_host_msi_base(struct smmuv3_dev *d, uint64_t *base)
{
	return d->nested ? viommu_nested_host_msi(d->mount.backend, base) : -ENODEV;
}

int smmuv3_dev_create(struct vm *vm, uint64_t base, const uint32_t irq[SMMUV3_NR_IRQS], struct smmuv3_dev **out)
{
	static const struct smmuv3_hooks hooks = { .irq = dev_irq, .msi = dev_msi, .xlate_changed = dev_xlate_changed };
	static const struct pci_viommu_ops pci_ops = {
		.name = "smmuv3",
		.dma_add = dev_dma_add_stream,
		.dma_translate = dev_dma_translate,
		.attach_vfio = dev_add_vfio,
		.detach_vfio = dev_remove_vfio,
		.release_vfio = dev_release_vfio,
		.msi_translate = dev_msi_translate,
		.pasid_bits = dev_pasid_bits,
#ifdef NESTVM_IOMMUFD_TEST
		.attach_iopf_mock = dev_attach_iopf_mock,
#endif
	};
	struct smmuv3_features f;
	struct smmuv3_dev *d;
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return err_num(ENOMEM, "smmuv3");
	for (int i = 0; i < SMMUV3_NR_IRQS; i++)
		d->irq[i] = irq[i];
	/* Every PCI function sits behind the SMMU: it registers on the host before any exists. */
	r = viommu_mount_init(&d->mount, vm, "smmuv3");
	if (r)
		goto err_free;
	smmuv3_default_features(&f);
	r = smmuv3_init(&d->smmu, &f, &vm->mem, d->mount.backend, &hooks, d);
	if (r)
		goto err_backend;
	d->mount.backend->frontend = &d->smmu;
	/* A live update: nothing is attached until the saved registers are back (smmuv3_state.h). */
	if (vm->restore)
		smmuv3_freeze(&d->smmu);
	r = viommu_mount_expose(&d->mount, base, SMMU_MMIO_SIZE, smmuv3_mmio, &d->smmu, &pci_ops, d);
	if (r)
		goto err_smmu;
	*out = d;
	return 0;

err_smmu:
	smmuv3_destroy(&d->smmu);
err_backend:
	viommu_mount_fini(&d->mount);
err_free:
	free(d);
	return r;
}

void smmuv3_dev_destroy(struct vm *vm, struct smmuv3_dev *d)
{
	(void)vm;
	if (!d)
		return;
	/* No vCPU runs any more and the functions are gone: nothing can call into the model. */
	release_iopf(d);
	viommu_mount_hide(&d->mount);
	smmuv3_destroy(&d->smmu);
	viommu_mount_fini(&d->mount);
	free(d->adopt);
	free(d);
}

int smmuv3_dev_state_save(struct smmuv3_dev *d, struct lu_writer *w)
{
	struct viommu_nested_saved *n;
	int r = smmuv3_state_save(&d->smmu, w);

	if (!r && d->src.iopf)
		r = iopf_source_save(&d->src, w);
	if (r || !d->nested)
		return r;
	n = malloc(sizeof(*n));
	if (!n)
		return err_num(ENOMEM, "smmuv3: saving the nested vIOMMU");
	/* No vIOMMU object without a device (the first one makes it): nothing else to carry. */
	r = viommu_nested_state_get(d->mount.backend, n);
	if (!r) {
		viommu_nested_state_put(w, n);
		r = lu_writer_end(w);
	} else if (r == -ENODEV) {
		r = 0;
	}
	free(n);
	return r;
}

int smmuv3_dev_state_restore(struct smmuv3_dev *d, const struct lu_state *st, char *why, size_t why_size)
{
	const struct lu_section *s = lu_state_find(st, SMMUV3_STATE_TYPE, 0);
	struct smmuv3_saved *sv;
	int r;

	if (!s) {
		snprintf(why, why_size, "--viommu smmuv3: the state has no '%s' section", SMMUV3_STATE_TYPE);
		return -EINVAL;
	}
	if (!d->src.iopf != !iopf_source_saved(st)) {
		snprintf(why, why_size, "smmuv3: a page-request source was %s, the VM has %s",
			 d->src.iopf ? "not saved" : "saved", d->src.iopf ? "one" : "none");
		return -EINVAL;
	}
	if (!d->nested != !lu_state_find(st, VIOMMU_NESTED_STATE_TYPE, 0)) {
		snprintf(why, why_size, "smmuv3: a nested vIOMMU was %s, the VM has %s", d->nested ? "not saved" : "saved",
			 d->nested ? "one" : "no assigned device to adopt it");
		return -EINVAL;
	}
	sv = malloc(sizeof(*sv));
	if (!sv)
		return -ENOMEM;
	r = smmuv3_state_decode(s, sv, why, why_size);
	if (!r)
		r = smmuv3_state_restore(&d->smmu, sv, why, why_size);
	free(sv);
	free(d->adopt);
	d->adopt = NULL;
	return r;
}
