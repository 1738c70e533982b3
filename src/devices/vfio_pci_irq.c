// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci interrupts, all delivered in the kernel: VFIO signals an eventfd per vector
 * (VFIO_DEVICE_SET_IRQS, include/uapi/linux/vfio.h) and that eventfd is a KVM irqfd.
 *  - MSI (PCI 3.0 6.8.1): the guest's (address, data) of each enabled vector becomes a GSI route
 *    (arm64: with the requester id as ITS DeviceID, irq.h); re-routed when the guest reprograms it.
 *  - MSI-X (6.8.2): pci_msix owns the table, one eventfd per vector routed when live; the same
 *    eventfds are handed to VFIO while the guest has MSI-X enabled.
 *  - INTx: level-triggered irqfd with a resample eventfd (KVM unmasks VFIO's auto-masked INTx on
 *    EOI). Only with arm64's in-kernel GIC: x86 uses a userspace IOAPIC (split irqchip), whose EOIs
 *    KVM does not resample, so x86 guests see no INTx pin and use MSI/MSI-X.
 * VFIO allows one interrupt type at a time: INTx is disarmed while MSI or MSI-X is enabled.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices/vfio_pci.h"
#include "devices/vfio_pci_state.h"
#include "iommu/fail_inject.h"
#include "vmm/irq.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static const char *const irq_names[] = { "INTx", "MSI", "MSI-X", "ERR", "REQ" };

/* VFIO_DEVICE_SET_IRQS: FDS (N of them) as the trigger (or unmask) eventfds of INDEX; N 0 disables. */
static int set_irqs(struct vfio_pci *v, uint32_t index, uint32_t action, const int *fds, unsigned int n)
{
	size_t sz = sizeof(struct vfio_irq_set) + n * sizeof(int32_t);
	struct vfio_irq_set *s = calloc(1, sz);
	int r = 0;

	if (!s)
		return -ENOMEM;
	s->argsz = (uint32_t)sz;
	s->flags = (n ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE) | action;
	s->index = index;
	s->start = 0;
	s->count = n;
	if (n)
		memcpy(s->data, fds, n * sizeof(int32_t));
	if (ioctl(v->fd, VFIO_DEVICE_SET_IRQS, s))
		r = err_errno("%s: VFIO_DEVICE_SET_IRQS %s %s", v->name, index < 5 ? irq_names[index] : "?",
			      n ? "enable" : "disable");
	free(s);
	return r;
}

static void intx_arm(struct vfio_pci *v, bool on)
{
	if (!v->intx || v->intx_on == on)
		return;
	if (on) {
		if (set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, &v->intx_efd, 1))
			return;
		/* The resample eventfd unmasks VFIO's automatically masked INTx when the guest EOIs. */
		if (set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, &v->intx_rfd, 1)) {
			set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
			return;
		}
	} else {
		set_irqs(v, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
	}
	v->intx_on = on;
}

/*
 * INTx is offered when the function has it and the arch can resample (arm64). The irqfd is set up
 * on the guest's first COMMAND write (vfio_pci_intx_enable), because KVM refuses irqfds before the
 * vGIC is initialized, which happens after devices are created.
 */
static int intx_init(struct vfio_pci *v)
{
#ifdef __aarch64__
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_INTX_IRQ_INDEX };

	if (!v->intx_pin || ioctl(v->fd, VFIO_DEVICE_GET_IRQ_INFO, &info) || !info.count) {
		v->pci.cfg[PCI_INTERRUPT_PIN] = 0;
		return 0;
	}
	v->intx_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->intx_rfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->intx_efd < 0 || v->intx_rfd < 0)
		return err_errno("%s: INTx eventfd", v->name);
	return irq_alloc_msi_gsi(v->pci.vm, &v->intx_gsi);
#else
	v->pci.cfg[PCI_INTERRUPT_PIN] = 0;
	return 0;
#endif
}

/* The swizzle of the host bridge's interrupt-map (arch/arm64/devtree.c, PCI-to-PCI Bridge 9.1). */
static uint32_t intx_spi(const struct vfio_pci *v)
{
	return arch_layout.pci_irq_base + ((v->pci.devfn >> 3) + v->intx_pin - 1u) % 4;
}

void vfio_pci_intx_enable(struct vfio_pci *v)
{
	struct vm *vm = v->pci.vm;

	if (v->intx_efd < 0 || vm->vm_fd < 0)
		return;
	pthread_mutex_lock(&v->irq_lock);
	if (!v->intx) {
		if (!irq_add_irqchip_route(vm, v->intx_gsi, 0, intx_spi(v)) &&
		    !irq_irqfd(vm, v->intx_gsi, v->intx_efd, v->intx_rfd, true))
			v->intx = true;
		else {
			close(v->intx_efd);     /* do not retry on every COMMAND write */
			v->intx_efd = -1;
		}
	}
	if (!v->msi.enabled && !v->msix_on)
		intx_arm(v, true);
	pthread_mutex_unlock(&v->irq_lock);
}

int vfio_pci_irq_init(struct vfio_pci *v)
{
	int r;

	for (unsigned int i = 0; i < VFIO_PCI_MAX_MSI; i++)
		v->msi.efd[i] = -1;
	v->intx_efd = v->intx_rfd = -1;
	r = pthread_mutex_init(&v->irq_lock, NULL);
	if (r)
		return err_num(r, "%s: irq lock", v->name);
	if (fail_inject("irq-setup"))
		return err_errno("%s: interrupt setup (injected)", v->name);
	return intx_init(v);
}

static void msi_disable(struct vfio_pci *v)
{
	struct vm *vm = v->pci.vm;

	if (!v->msi.enabled)
		return;
	set_irqs(v, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
	for (unsigned int i = 0; i < v->msi.nvec; i++) {
		if (v->msi.efd[i] < 0)
			continue;
		irq_irqfd(vm, v->msi.gsi[i], v->msi.efd[i], -1, false);
		close(v->msi.efd[i]);
		v->msi.efd[i] = -1;
	}
	v->msi.enabled = false;
	v->msi.nvec = 0;
}

/* Routes vector I to the guest's message; multi-message MSI puts the vector in the low data bits. */
static int msi_route(struct vfio_pci *v, unsigned int i)
{
	uint32_t data = (v->msi.data & ~(v->msi.nvec - 1)) | i;

	return irq_set_msi_route(v->pci.vm, v->msi.gsi[i], v->msi.addr, data, pci_dev_requester_id(&v->pci));
}

static void msi_enable(struct vfio_pci *v, unsigned int nvec)
{
	struct vm *vm = v->pci.vm;
	unsigned int i;

	v->msi.nvec = nvec;
	v->msi.enabled = true;      /* so msi_disable undoes a partial setup */
	for (i = 0; i < nvec; i++) {
		if (!v->msi.has_gsi[i]) {
			if (irq_alloc_msi_gsi(vm, &v->msi.gsi[i]))
				goto fail;
			v->msi.has_gsi[i] = true;
		}
		if (msi_route(v, i))
			goto fail;
		v->msi.efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->msi.efd[i] < 0) {
			err_errno("%s: MSI eventfd", v->name);
			goto fail;
		}
		if (irq_irqfd(vm, v->msi.gsi[i], v->msi.efd[i], -1, true)) {
			close(v->msi.efd[i]);
			v->msi.efd[i] = -1;
			goto fail;
		}
	}
	intx_arm(v, false);
	if (set_irqs(v, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, v->msi.efd, nvec))
		goto fail;
	return;
fail:
	/* The guest sees MSI enabled but gets no interrupts; its driver's timeout reports it. */
	msi_disable(v);
	intx_arm(v, true);
}

void vfio_pci_msi_update(struct vfio_pci *v)
{
	struct pci_dev *d = &v->pci;
	unsigned int c = v->msi.cap, nvec;
	uint16_t ctrl;
	uint64_t addr;
	uint32_t data;
	bool en;

	if (v->fd < 0 || d->vm->vm_fd < 0)
		return;
	pthread_mutex_lock(&d->lock);
	ctrl = pci_cfg_get16(d, c + PCI_MSI_FLAGS);
	addr = pci_cfg_get32(d, c + PCI_MSI_ADDRESS_LO);
	if (v->msi.is64)
		addr |= (uint64_t)pci_cfg_get32(d, c + PCI_MSI_ADDRESS_HI) << 32;
	data = pci_cfg_get16(d, c + (v->msi.is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32));
	pthread_mutex_unlock(&d->lock);
	en = ctrl & PCI_MSI_FLAGS_ENABLE;
	/* 6.8.1.3: Multiple Message Enable beyond what is capable is treated as capable. */
	nvec = 1u << ((ctrl & PCI_MSI_FLAGS_QSIZE) >> 4);
	if (nvec > v->msi.max_vec)
		nvec = v->msi.max_vec;

	pthread_mutex_lock(&v->irq_lock);
	if (v->msi.enabled && (!en || nvec != v->msi.nvec)) {
		msi_disable(v);
		intx_arm(v, true);
	}
	if (en && !v->msix_on) {
		bool moved = addr != v->msi.addr || data != v->msi.data;

		v->msi.addr = addr;
		v->msi.data = data;
		if (!v->msi.enabled)
			msi_enable(v, nvec);
		else if (moved)
			for (unsigned int i = 0; i < v->msi.nvec; i++)
				msi_route(v, i);
	}
	pthread_mutex_unlock(&v->irq_lock);
}

void vfio_pci_msix_update(struct vfio_pci *v)
{
	int fds[PCI_MSIX_MAX_VECTORS];
	bool en;

	if (v->fd < 0 || !v->msix.dev)
		return;
	en = pci_msix_enabled(&v->msix);
	pthread_mutex_lock(&v->irq_lock);
	if (en && !v->msix_on && !v->msi.enabled) {
		for (unsigned int i = 0; i < v->msix.nr; i++)
			fds[i] = v->msix.v[i].efd;
		intx_arm(v, false);
		/* pci_msix routes each eventfd once its vector is live; until then fires wait in the counter. */
		if (!set_irqs(v, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, fds, v->msix.nr))
			v->msix_on = true;
		else
			intx_arm(v, true);
	} else if (!en && v->msix_on) {
		set_irqs(v, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
		v->msix_on = false;
		intx_arm(v, true);
	}
	pthread_mutex_unlock(&v->irq_lock);
}

void vfio_pci_irq_fini(struct vfio_pci *v)
{
	struct vm *vm = v->pci.vm;

	pthread_mutex_lock(&v->irq_lock);
	msi_disable(v);
	if (v->msix_on)
		set_irqs(v, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
	v->msix_on = false;
	intx_arm(v, false);
	if (v->intx)
		irq_irqfd(vm, v->intx_gsi, v->intx_efd, v->intx_rfd, false);
	v->intx = false;
	if (v->intx_efd >= 0)
		close(v->intx_efd);
	if (v->intx_rfd >= 0)
		close(v->intx_rfd);
	v->intx_efd = v->intx_rfd = -1;
	pthread_mutex_unlock(&v->irq_lock);
	pthread_mutex_destroy(&v->irq_lock);
}

/* ---- live update (vfio_pci_state.h) ---- */

void vfio_pci_irq_quiesce(struct vfio_pci *v)
{
	struct vm *vm = v->pci.vm;

	pthread_mutex_lock(&v->irq_lock);
	for (unsigned int i = 0; v->msi.enabled && i < v->msi.nvec; i++)
		if (v->msi.efd[i] >= 0)
			irq_irqfd(vm, v->msi.gsi[i], v->msi.efd[i], -1, false);
	if (v->intx)
		irq_irqfd(vm, v->intx_gsi, v->intx_efd, v->intx_rfd, false);
	pthread_mutex_unlock(&v->irq_lock);
	if (v->msix.dev)
		pci_msix_quiesce(&v->msix);
}

/* VFIO's INTx stays masked until its unmask eventfd is written (what KVM's resampler does on EOI). */
static void intx_unmask(struct vfio_pci *v)
{
	uint64_t one = 1;

	if (v->intx_on && write(v->intx_rfd, &one, sizeof(one)) != sizeof(one))
		pr_debug("%s: INTx unmask eventfd write: %s", v->name, strerror(errno));
}

void vfio_pci_irq_resume(struct vfio_pci *v)
{
	struct vm *vm = v->pci.vm;

	pthread_mutex_lock(&v->irq_lock);
	for (unsigned int i = 0; v->msi.enabled && i < v->msi.nvec; i++)
		if (v->msi.efd[i] >= 0)
			irq_irqfd(vm, v->msi.gsi[i], v->msi.efd[i], -1, true);
	if (v->intx && !irq_irqfd(vm, v->intx_gsi, v->intx_efd, v->intx_rfd, true))
		intx_unmask(v);
	pthread_mutex_unlock(&v->irq_lock);
	if (v->msix.dev) {
		pthread_mutex_lock(&v->pci.lock);
		pci_msix_ctrl_written(&v->msix);
		pthread_mutex_unlock(&v->pci.lock);
	}
}

int vfio_pci_irq_restore(struct vfio_pci *v, const struct vfio_pci_saved *s, const int *msi_fds, int intx_efd,
			 int intx_rfd, char *why, size_t why_size)
{
	struct vm *vm = v->pci.vm;
	int r = 0;

	pthread_mutex_lock(&v->irq_lock);
	if (s->msi_enabled) {
		v->msi.enabled = true;
		v->msi.nvec = s->msi_nvec;
		v->msi.addr = s->msi_addr;
		v->msi.data = s->msi_data;
		for (unsigned int i = 0; i < s->msi_nvec && !r; i++) {
			v->msi.efd[i] = msi_fds[i];
			if (!v->msi.has_gsi[i]) {
				r = irq_alloc_msi_gsi(vm, &v->msi.gsi[i]);
				v->msi.has_gsi[i] = !r;
			}
			if (!r)
				r = msi_route(v, i);
		}
		if (r)
			snprintf(why, why_size, "%s: routing MSI vectors in the new VM failed (see nestvm's log)", v->name);
	}
	v->msix_on = s->msix_on;
	if (!r && s->intx_fds) {
		/* The model's own INTx eventfds (intx_init) give way to the ones VFIO signals. */
		if (v->intx_efd >= 0)
			close(v->intx_efd);
		if (v->intx_rfd >= 0)
			close(v->intx_rfd);
		v->intx_efd = intx_efd;
		v->intx_rfd = intx_rfd;
		if (s->intx && irq_add_irqchip_route(vm, v->intx_gsi, 0, intx_spi(v))) {
			snprintf(why, why_size, "%s: routing INTx in the new VM failed", v->name);
			r = -EIO;
		}
		v->intx = s->intx && !r;
		v->intx_on = s->intx_on;
	} else if (!r && v->intx_efd >= 0) {
		/* The previous process had given up on INTx (its irqfd failed): so does this one. */
		close(v->intx_efd);
		v->intx_efd = -1;
	}
	pthread_mutex_unlock(&v->irq_lock);
	return r;
}
