// SPDX-License-Identifier: GPL-2.0-only
/* GSI routing table (kept whole: KVM_SET_GSI_ROUTING replaces it), irqfds and wired lines. */
#include "vmm/irq.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "devices/pci.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int irq_init(struct vm *vm)
{
	struct irq_routes *ir = &vm->irq;
	int r;

	*ir = (struct irq_routes){ 0 };
	r = pthread_mutex_init(&ir->lock, NULL);
	if (r)
		return err_num(r, "irq routing lock");
	/* KVM_CAP_IRQ_ROUTING answers with the table size (KVM_MAX_IRQ_ROUTES); GSIs index it. */
	r = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	ir->max_routes = r > 0 ? (uint32_t)r : 0;
	return 0;
}

void irq_destroy(struct vm *vm)
{
	free(vm->irq.e);
	vm->irq.e = NULL;
	vm->irq.nr = vm->irq.cap = 0;
	free(vm->irq.src);
	vm->irq.src = NULL;
	vm->irq.nr_src = vm->irq.cap_src = 0;
	pthread_mutex_destroy(&vm->irq.lock);
}

/* Hands the whole table to KVM. Called with the lock held. */
static int commit(struct vm *vm)
{
	struct irq_routes *ir = &vm->irq;
	struct kvm_irq_routing *t;
	int r = 0;

	t = calloc(1, sizeof(*t) + ir->nr * sizeof(t->entries[0]));
	if (!t)
		return -ENOMEM;
	t->nr = ir->nr;
	if (ir->nr)
		memcpy(t->entries, ir->e, ir->nr * sizeof(t->entries[0]));
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, t) < 0)
		r = -errno;
	free(t);
	return r;
}

/* A free slot at the end of the table (lock held); NULL when out of memory or routes. */
static struct kvm_irq_routing_entry *append(struct irq_routes *ir)
{
	if (ir->max_routes && ir->nr >= ir->max_routes)
		return NULL;
	if (ir->nr == ir->cap) {
		unsigned int cap = ir->cap ? ir->cap * 2 : 64;
		struct kvm_irq_routing_entry *n = realloc(ir->e, cap * sizeof(*n));

		if (!n)
			return NULL;
		ir->e = n;
		ir->cap = cap;
	}
	memset(&ir->e[ir->nr], 0, sizeof(ir->e[0]));
	return &ir->e[ir->nr++];
}

int irq_add_irqchip_route(struct vm *vm, uint32_t gsi, uint32_t irqchip, uint32_t pin)
{
	struct irq_routes *ir = &vm->irq;
	struct kvm_irq_routing_entry *e;
	int r;

	if (ir->max_routes && gsi >= ir->max_routes) {
		pr_err("irq route: GSI %u beyond KVM's %u routes", gsi, ir->max_routes);
		return -EINVAL;
	}
	pthread_mutex_lock(&ir->lock);
	e = append(ir);
	if (!e) {
		pthread_mutex_unlock(&ir->lock);
		pr_err("irq route: no room for GSI %u", gsi);
		return -ENOSPC;
	}
	/* One GSI may have several irqchip routes (x86: the PIC and the IOAPIC for GSIs 0-15). */
	*e = (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP, .u.irqchip = { .irqchip = irqchip, .pin = pin },
	};
	if (gsi >= ir->next_gsi)
		ir->next_gsi = gsi + 1;
	r = commit(vm);
	if (r)
		ir->nr--;
	pthread_mutex_unlock(&ir->lock);
	if (r)
		return err_num(r, "KVM_SET_GSI_ROUTING (GSI %u -> irqchip %u pin %u)", gsi, irqchip, pin);
	return 0;
}

int irq_alloc_msi_gsi(struct vm *vm, uint32_t *gsi)
{
	struct irq_routes *ir = &vm->irq;
	int r = 0;

	pthread_mutex_lock(&ir->lock);
	if (ir->max_routes && ir->next_gsi >= ir->max_routes)
		r = -ENOSPC;
	else
		*gsi = ir->next_gsi++;
	pthread_mutex_unlock(&ir->lock);
	if (r)
		pr_err("irq: all %u GSIs are in use", ir->max_routes);
	return r;
}

/* A copy of the table (lock held), to put back when KVM refuses a commit; NULL on ENOMEM. */
static struct kvm_irq_routing_entry *snapshot(const struct irq_routes *ir)
{
	struct kvm_irq_routing_entry *c = malloc((ir->nr ? ir->nr : 1) * sizeof(*c));

	if (c && ir->nr)
		memcpy(c, ir->e, ir->nr * sizeof(*c));
	return c;
}

/* Puts back what snapshot() saved when the table held NR entries (lock held; NR <= cap). */
static void restore(struct irq_routes *ir, struct kvm_irq_routing_entry *saved, unsigned int nr)
{
	if (nr)
		memcpy(ir->e, saved, nr * sizeof(*saved));
	ir->nr = nr;
}

/*
 * Points GSI's MSI entry at (ADDR, DATA) from DEVID, or removes it when !PRESENT (lock held, not
 * committed). 1 when the table changed, 0 when it already was so, -ENOSPC.
 */
static int edit_msi(struct irq_routes *ir, uint32_t gsi, bool present, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct kvm_irq_routing_entry ne, *e = NULL;

	for (unsigned int i = 0; i < ir->nr; i++) {
		if (ir->e[i].gsi == gsi && ir->e[i].type == KVM_IRQ_ROUTING_MSI) {
			e = &ir->e[i];
			break;
		}
	}
	if (!present) {
		if (!e)
			return 0;
		*e = ir->e[--ir->nr];
		return 1;
	}
	memset(&ne, 0, sizeof(ne));
	ne.gsi = gsi;
	ne.type = KVM_IRQ_ROUTING_MSI;
	ne.u.msi.address_lo = (uint32_t)addr;
	ne.u.msi.address_hi = (uint32_t)(addr >> 32);
	ne.u.msi.data = data;
	if (ir->msi_devid) {
		/* GICv3 ITS: the DeviceID selects the ITS device table entry (IHI0069 6.1). */
		ne.flags = KVM_MSI_VALID_DEVID;
		ne.u.msi.devid = devid;
	}
	/* KVM rebuilds its whole table on each commit: a route that stays the same is not one. */
	if (e && !memcmp(e, &ne, sizeof(ne)))
		return 0;
	if (!e) {
		e = append(ir);
		if (!e)
			return -ENOSPC;
	}
	*e = ne;
	return 1;
}

/*
 * The address KVM routes SRC to (lock held): false when the vIOMMU aborts the write. An aborted
 * MSI is dropped, never routed to the untranslated IOVA (which may well be some RAM or doorbell).
 * So is one the platform does not take as an interrupt (msi_addr32).
 */
static bool translate(struct vm *vm, const struct irq_msi_src *src, bool report, uint64_t *addr, uint32_t *data)
{
	*addr = src->addr;
	*data = src->data;
	if (vm->irq.msi_addr32 && (src->addr >> 32)) {
		pr_debug("irq: MSI to 0x%llx of device 0x%x is above 4 GiB, no interrupt: dropped",
			 (unsigned long long)src->addr, src->devid);
		return false;
	}
	if (!pci_host_msi_translate(vm->pci, src->devid, addr, data, report))
		return true;
	pr_debug("irq: MSI to 0x%llx of device 0x%x aborted by the vIOMMU: dropped",
		 (unsigned long long)src->addr, src->devid);
	return false;
}

static struct irq_msi_src *find_src(struct irq_routes *ir, uint32_t gsi)
{
	for (unsigned int i = 0; i < ir->nr_src; i++)
		if (ir->src[i].gsi == gsi)
			return &ir->src[i];
	return NULL;
}

int irq_set_msi_route(struct vm *vm, uint32_t gsi, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct irq_routes *ir = &vm->irq;
	struct irq_msi_src want = { .gsi = gsi, .addr = addr, .data = data, .devid = devid }, *src;
	struct kvm_irq_routing_entry *saved;
	unsigned int nr;
	uint64_t xaddr;
	uint32_t xdata;
	int r;

	pthread_mutex_lock(&ir->lock);
	if (gsi >= ir->next_gsi) {
		/* Only GSIs from irq_alloc_msi_gsi: a stray one would steal another device's route. */
		pthread_mutex_unlock(&ir->lock);
		pr_debug("irq: MSI route for unallocated GSI %u ignored", gsi);
		return -EINVAL;
	}
	src = find_src(ir, gsi);
	if (!src && ir->nr_src == ir->cap_src) {
		unsigned int cap = ir->cap_src ? ir->cap_src * 2 : 16;
		struct irq_msi_src *n = realloc(ir->src, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&ir->lock);
			return err_num(ENOMEM, "irq: MSI route for GSI %u", gsi);
		}
		ir->src = n;
		ir->cap_src = cap;
	}
	want.live = translate(vm, &want, true, &xaddr, &xdata);
	nr = ir->nr;
	saved = snapshot(ir);
	r = saved ? edit_msi(ir, gsi, want.live, xaddr, xdata, devid) : -ENOMEM;
	if (r > 0)
		r = commit(vm);
	if (r < 0 && saved)
		restore(ir, saved, nr);     /* keep our table equal to what KVM has */
	if (r >= 0) {
		if (!src)
			src = &ir->src[ir->nr_src++];
		*src = want;
	}
	pthread_mutex_unlock(&ir->lock);
	free(saved);
	if (r == -ENOSPC || r == -ENOMEM)
		return err_num(-r, "irq route: no room for MSI GSI %u", gsi);
	if (r < 0)
		return err_num(-r, "KVM_SET_GSI_ROUTING (GSI %u -> MSI 0x%" PRIx64 "/0x%x)", gsi, xaddr, xdata);
	return 0;
}

int irq_msi_retranslate(struct vm *vm)
{
	struct irq_routes *ir = &vm->irq;
	struct kvm_irq_routing_entry *saved;
	bool *was_live = NULL;
	unsigned int nr, done = 0;
	bool changed = false;
	int r = 0;

	pthread_mutex_lock(&ir->lock);
	if (!pci_host_viommu(vm->pci) || !ir->nr_src)
		goto out;
	nr = ir->nr;
	saved = snapshot(ir);
	was_live = malloc(ir->nr_src * sizeof(*was_live));
	if (!saved || !was_live) {
		free(saved);
		r = -ENOMEM;
		goto out;
	}
	for (; done < ir->nr_src && r >= 0; done++) {
		struct irq_msi_src *s = &ir->src[done];
		uint64_t xaddr;
		uint32_t xdata;
		bool live;

		/* A route that already faulted is retried quietly: its fault was reported once. */
		was_live[done] = s->live;
		live = translate(vm, s, s->live, &xaddr, &xdata);
		r = edit_msi(ir, s->gsi, live, xaddr, xdata, s->devid);
		if (r > 0)
			changed = true;
		s->live = live;
	}
	if (r >= 0 && changed)
		r = commit(vm);
	if (r < 0) {
		restore(ir, saved, nr);
		for (unsigned int i = 0; i < done; i++)
			ir->src[i].live = was_live[i];
	}
	free(saved);
out:
	pthread_mutex_unlock(&ir->lock);
	free(was_live);
	if (r < 0)
		return err_num(-r, "KVM_SET_GSI_ROUTING (MSI routes re-translated by the vIOMMU)");
	return 0;
}

int irq_irqfd(struct vm *vm, uint32_t gsi, int efd, int resample_fd, bool assign)
{
	struct kvm_irqfd f = { .fd = (uint32_t)efd, .gsi = gsi };

	if (!assign)
		f.flags = KVM_IRQFD_FLAG_DEASSIGN;
	else if (resample_fd >= 0) {
		/* Level-triggered (INTx): KVM signals RESAMPLE_FD on EOI so the device re-asserts. */
		f.flags = KVM_IRQFD_FLAG_RESAMPLE;
		f.resamplefd = (uint32_t)resample_fd;
	}
	if (ioctl(vm->vm_fd, KVM_IRQFD, &f) < 0)
		return err_errno("KVM_IRQFD %s GSI %u fd %d", assign ? "assign" : "deassign", gsi, efd);
	return 0;
}

int irq_line(struct vm *vm, uint32_t irq, bool level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		return err_errno("KVM_IRQ_LINE 0x%x=%d", irq, level);
	return 0;
}
