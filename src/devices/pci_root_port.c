// SPDX-License-Identifier: GPL-2.0-only
/*
 * A PCIe root port with a hot-plug slot (pci_root_port.h). Register layout and bit meanings from
 * PCIe 6.0 7.5.1.3 (type 1 header) and 7.5.3 (PCI Express capability); the hot-plug event and
 * interrupt rules from 6.7.3. The guest drives the slot as Linux's pciehp does (pciehp_hpc.c): it
 * enables the events in Slot Control, waits for Command Completed after each write, powers the slot
 * on (PCC 0) when a card is present, waits for Data Link Layer Link Active, enumerates bus
 * secondary:00.0, and powers it off (PCC 1) once it let go of the function after a button press.
 */
#include "devices/pci_root_port.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"
#include "vmm/vm.h"

#define RP_VENDOR 0x1b36            /* Red Hat / QEMU: pcie-root-port's ids, known to guests and firmware */
#define RP_DEVICE 0x000c
#define RP_EXP_SIZE 0x3c            /* the whole v2 capability, up to Slot Status 2 */
#define RP_MSIX_BAR 0
#define RP_MSIX_BAR_SIZE 0x1000
#define RP_MSIX_PBA 0x800

/* Slot Status event bits with their Slot Control enables (7.5.3.10-11). */
static const struct { uint16_t sta, ctl; } events[] = {
	{ PCI_EXP_SLTSTA_ABP, PCI_EXP_SLTCTL_ABPE }, { PCI_EXP_SLTSTA_PFD, PCI_EXP_SLTCTL_PFDE },
	{ PCI_EXP_SLTSTA_MRLSC, PCI_EXP_SLTCTL_MRLSCE }, { PCI_EXP_SLTSTA_PDC, PCI_EXP_SLTCTL_PDCE },
	{ PCI_EXP_SLTSTA_CC, PCI_EXP_SLTCTL_CCIE }, { PCI_EXP_SLTSTA_DLLSC, PCI_EXP_SLTCTL_DLLSCE },
};

static struct pci_root_port *to_rp(struct pci_dev *d)
{
	return (struct pci_root_port *)d;
}

static void mask16(uint8_t *m, uint32_t reg, uint16_t v)
{
	m[reg] = (uint8_t)v;
	m[reg + 1] = (uint8_t)(v >> 8);
}

static bool overlaps(uint32_t reg, uint32_t len, uint32_t start, uint32_t n)
{
	return reg < start + n && reg + len > start;
}

static uint16_t exp16(struct pci_root_port *p, uint32_t off)
{
	return pci_cfg_get16(&p->pci, p->exp + off);
}

static void exp_set16(struct pci_root_port *p, uint32_t off, uint16_t v)
{
	pci_cfg_set16(&p->pci, p->exp + off, v);
}

/*
 * The link is up while a card is present, the slot powered and the link not disabled (Link Control
 * LD). A change shows in Link Status DLLLA and raises Data Link Layer State Changed (7.5.3.11).
 * pci.lock held.
 */
static void update_link(struct pci_root_port *p)
{
	bool up = p->present && !(exp16(p, PCI_EXP_SLTCTL) & PCI_EXP_SLTCTL_PCC) &&
		  !(exp16(p, PCI_EXP_LNKCTL) & PCI_EXP_LNKCTL_LD);
	uint16_t sta = exp16(p, PCI_EXP_LNKSTA);

	if (up == p->link_up)
		return;
	p->link_up = up;
	exp_set16(p, PCI_EXP_LNKSTA, up ? sta | PCI_EXP_LNKSTA_DLLLA : sta & ~PCI_EXP_LNKSTA_DLLLA);
	exp_set16(p, PCI_EXP_SLTSTA, exp16(p, PCI_EXP_SLTSTA) | PCI_EXP_SLTSTA_DLLSC);
}

/*
 * 6.7.3.4: with MSI/MSI-X the port sends a message when the OR of (event AND its enable), with
 * Hot-Plug Interrupt Enable set, goes from 0 to 1; no new message until software has cleared all of
 * them. pci.lock held (the MSI-X lock nests inside it, as for Message Control writes).
 */
static void update_irq(struct pci_root_port *p)
{
	uint16_t ctl = exp16(p, PCI_EXP_SLTCTL), sta = exp16(p, PCI_EXP_SLTSTA);
	bool level = false;

	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		level |= (sta & events[i].sta) && (ctl & events[i].ctl);
	level &= !!(ctl & PCI_EXP_SLTCTL_HPIE);
	if (level && !p->irq_level) {
		p->nr_irqs++;
		pr_debug("%s: hot-plug interrupt %llu (Slot Status 0x%04x, Control 0x%04x)", p->pci.name,
			 (unsigned long long)p->nr_irqs, sta, ctl);
		pci_msix_notify(&p->msix, 0);
	} else if (level) {
		pr_debug("%s: no new hot-plug interrupt: events still set (Slot Status 0x%04x, Control 0x%04x)",
			 p->pci.name, sta, ctl);
	}
	p->irq_level = level;
}

static void rp_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len)
{
	struct pci_root_port *p = to_rp(d);
	bool power_edge = false, on = false, reset = false;
	uint16_t ctl;

	pthread_mutex_lock(&d->lock);
	/* -v: the slot's register traffic, to tell a guest that never reacted from a lost interrupt. */
	if (overlaps(reg, len, p->exp + PCI_EXP_SLTCTL, 4))
		pr_debug("%s: config write 0x%x/%u = 0x%x: now Slot Control 0x%04x, Status 0x%04x", d->name, reg, len,
			 (unsigned int)pci_le_get(data, len), exp16(p, PCI_EXP_SLTCTL), exp16(p, PCI_EXP_SLTSTA));
	if (overlaps(reg, len, PCI_SECONDARY_BUS, 1) && p->child)
		__atomic_store_n(&p->child->bus, d->cfg[PCI_SECONDARY_BUS], __ATOMIC_RELAXED);
	if (overlaps(reg, len, p->exp + PCI_EXP_SLTCTL, 2)) {
		/* Every Slot Control write is a command, completed at once (6.7.3.2; NCCS is 0). */
		ctl = exp16(p, PCI_EXP_SLTCTL);
		exp_set16(p, PCI_EXP_SLTSTA, exp16(p, PCI_EXP_SLTSTA) | PCI_EXP_SLTSTA_CC);
		if ((ctl ^ p->sltctl) & PCI_EXP_SLTCTL_PCC) {
			power_edge = true;
			on = !(ctl & PCI_EXP_SLTCTL_PCC);
		}
		p->sltctl = ctl;
	}
	update_link(p);
	/* Secondary Bus Reset (PCI-PCI Bridge 1.2 3.2.5.17): the function below resets as it is asserted. */
	if (overlaps(reg, len, PCI_BRIDGE_CONTROL, 1) && (data[PCI_BRIDGE_CONTROL - reg] & PCI_BRIDGE_CTL_BUS_RESET))
		reset = true;
	update_irq(p);
	pthread_mutex_unlock(&d->lock);
	if (reset) {
		pthread_rwlock_rdlock(&p->child_lock);
		if (p->child && p->child->ops->bus_reset)
			p->child->ops->bus_reset(p->child);
		pthread_rwlock_unlock(&p->child_lock);
	}
	if (power_edge && p->ops && p->ops->power)
		p->ops->power(p->opaque, p, on);
}

/* Bus SEC (the secondary bus) has device 0 only (7.3.1, no ARI); nothing lies below it. */
static bool rp_route_cfg(struct pci_dev *b, uint32_t bus, uint32_t devfn, uint32_t reg, uint8_t *data, uint32_t len,
			 bool is_write)
{
	struct pci_root_port *p = to_rp(b);
	uint8_t sec, sub;
	bool up;

	pthread_mutex_lock(&b->lock);
	sec = b->cfg[PCI_SECONDARY_BUS];
	sub = b->cfg[PCI_SUBORDINATE_BUS];
	up = p->link_up;
	pthread_mutex_unlock(&b->lock);
	if (!sec || bus < sec || bus > sub)
		return false;
	pthread_rwlock_rdlock(&p->child_lock);
	if (bus == sec && devfn == 0 && up && p->child) {
		if (is_write)
			pci_dev_cfg_write(p->child, reg, data, len);
		else
			pci_dev_cfg_read(p->child, reg, data, len);
	} else if (!is_write) {
		/* Link down or no such function: Unsupported Request, all-ones (2.3.2). */
		memset(data, 0xff, len > 8 ? 8 : len);
	}
	pthread_rwlock_unlock(&p->child_lock);
	return true;
}

static void rp_bar_access(struct pci_dev *d, unsigned int bar, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	struct pci_root_port *p = to_rp(d);

	if (!(bar == RP_MSIX_BAR && pci_msix_bar_access(&p->msix, off, data, len, is_write)) && !is_write)
		memset(data, 0, len);
}

static void rp_destroy(struct pci_dev *d);

/* Called after the emulated read: only counts Link Status reads (pci_root_port_link_reads). */
static void rp_cfg_read(struct pci_dev *d, uint32_t reg, uint8_t *data, uint32_t len)
{
	struct pci_root_port *p = to_rp(d);

	(void)data;
	if (overlaps(reg, len, p->exp + PCI_EXP_LNKSTA, 2))
		__atomic_add_fetch(&p->lnksta_reads, 1, __ATOMIC_RELAXED);
}

static const struct pci_dev_ops root_port_ops = {
	.cfg_read = rp_cfg_read,
	.cfg_write = rp_cfg_write,
	.bar_access = rp_bar_access,
	.route_cfg = rp_route_cfg,
	.destroy = rp_destroy,
};

/* Type 1 header (7.5.1.3) over what pci_dev_init made of a type 0 one. */
static void bridge_header(struct pci_root_port *p)
{
	struct pci_dev *d = &p->pci;

	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	pci_cfg_set32(d, PCI_PREF_BASE_UPPER32, 0);     /* type 0's subsystem ids lived here */
	/* Bus numbers, pre-assigned as firmware would: the guest may renumber, routing follows. */
	d->wmask[PCI_PRIMARY_BUS] = d->wmask[PCI_SECONDARY_BUS] = d->wmask[PCI_SUBORDINATE_BUS] = 0xff;
	d->cfg[PCI_SECONDARY_BUS] = d->cfg[PCI_SUBORDINATE_BUS] = p->bus;
	/* No I/O window: I/O Base/Limit read-only zero (3.2.5.6), as Linux's probe of them expects. */
	mask16(d->wmask, PCI_MEMORY_BASE, PCI_MEMORY_RANGE_MASK & 0xffff);
	mask16(d->wmask, PCI_MEMORY_LIMIT, PCI_MEMORY_RANGE_MASK & 0xffff);
	/* 64-bit prefetchable window: low nibble 1 (3.2.5.9), upper halves writable. */
	mask16(d->wmask, PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_MASK & 0xffff);
	mask16(d->wmask, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_MASK & 0xffff);
	pci_cfg_set16(d, PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_TYPE_64);
	pci_cfg_set16(d, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64);
	memset(&d->wmask[PCI_PREF_BASE_UPPER32], 0xff, 8);
	/* Memory windows start disabled (base above limit) for the guest to size and assign. */
	pci_cfg_set16(d, PCI_MEMORY_BASE, 0xfff0);
	pci_cfg_set16(d, PCI_PREF_MEMORY_BASE, 0xfff0 | PCI_PREF_RANGE_TYPE_64);
	/* Secondary Status: the error bits are RW1C like Status. */
	d->w1c[PCI_SEC_STATUS + 1] = d->w1c[PCI_STATUS + 1];
	/* Bridge Control: parity/SERR/ISA/VGA/master abort/bus reset; the rest is zero in PCIe. */
	mask16(d->wmask, PCI_BRIDGE_CONTROL, 0x007f);
	/* pci_dev_init's type 0 wmask for the expansion ROM area (0x30) stays zero: no ROM. */
}

static void exp_cap(struct pci_root_port *p)
{
	struct pci_dev *d = &p->pci;
	uint32_t o = p->exp;
	uint32_t slot = p->nr + 1;

	pci_cfg_set16(d, o + PCI_EXP_FLAGS, 2 | PCI_EXP_TYPE_ROOT_PORT << 4 | PCI_EXP_FLAGS_SLOT);   /* msg 0 */
	pci_cfg_set32(d, o + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_RBER);
	mask16(d->wmask, o + PCI_EXP_DEVCTL, 0x7fff);
	mask16(d->w1c, o + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED |
	       PCI_EXP_DEVSTA_URD);
	/* 7.5.3.6: 2.5 GT/s, x1, DLL Link Active reporting (pciehp waits for it), port number. */
	pci_cfg_set32(d, o + PCI_EXP_LNKCAP, PCI_EXP_LNKCAP_SLS_2_5GB | 1u << 4 | PCI_EXP_LNKCAP_DLLLARC |
		      (slot & 0xff) << 24);
	/* 7.5.3.7: ASPM, RCB, Link Disable, common clock, extended synch, clock PM, HAW disable, the two
	 * interrupt enables; Retrain Link always reads 0 (training is instant). */
	mask16(d->wmask, o + PCI_EXP_LNKCTL, 0x0fdb);
	/* 7.5.3.8: x1 at 2.5 GT/s (pciehp refuses a link with no negotiated width), slot clock. */
	pci_cfg_set16(d, o + PCI_EXP_LNKSTA, PCI_EXP_LNKSTA_CLS_2_5GB | PCI_EXP_LNKSTA_NLW_X1 | PCI_EXP_LNKSTA_SLC);
	/* 7.5.3.9: button, power controller, both indicators, hot-plug capable, physical slot number. */
	pci_cfg_set32(d, o + PCI_EXP_SLTCAP, PCI_EXP_SLTCAP_ABP | PCI_EXP_SLTCAP_PCP | PCI_EXP_SLTCAP_AIP |
		      PCI_EXP_SLTCAP_PIP | PCI_EXP_SLTCAP_HPC | slot << 19);
	/* 7.5.3.10: every control bit writable; an empty slot starts powered off, indicators off. */
	mask16(d->wmask, o + PCI_EXP_SLTCTL, 0x1fff);
	p->sltctl = PCI_EXP_SLTCTL_ATTN_IND_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF | PCI_EXP_SLTCTL_PWR_OFF;
	pci_cfg_set16(d, o + PCI_EXP_SLTCTL, p->sltctl);
	/* 7.5.3.11: the event bits are RW1C; MRL, presence and interlock states read-only. */
	mask16(d->w1c, o + PCI_EXP_SLTSTA, PCI_EXP_SLTSTA_ABP | PCI_EXP_SLTSTA_PFD | PCI_EXP_SLTSTA_MRLSC |
	       PCI_EXP_SLTSTA_PDC | PCI_EXP_SLTSTA_CC | PCI_EXP_SLTSTA_DLLSC);
	/* 7.5.3.12-14: Root Control's error and PME interrupt enables; PME Status RW1C. */
	mask16(d->wmask, o + PCI_EXP_RTCTL, 0x001f);
	d->w1c[o + PCI_EXP_RTSTA + 2] = 0x01;
	/* 7.5.3.18-19: 2.5 GT/s supported; Target Link Speed writable. */
	pci_cfg_set32(d, o + PCI_EXP_LNKCAP2, PCI_EXP_LNKCAP2_SLS_2_5GB);
	mask16(d->wmask, o + PCI_EXP_LNKCTL2, 0x000f);
	pci_cfg_set16(d, o + PCI_EXP_LNKCTL2, 1);
}

static int rp_init(struct pci_root_port *p, struct vm *vm, unsigned int nr, uint8_t bus,
		   const struct pci_root_port_ops *ops, void *opaque)
{
	int r;

	if (nr + 1 >= 256)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->bus = bus;
	snprintf(p->name, sizeof(p->name), "root-port%u", nr);
	pci_dev_init(&p->pci, vm, &root_port_ops, p->name, RP_VENDOR, RP_DEVICE,
		     PCI_CLASSCODE_PCI_BRIDGE << 8, 0, 0);
	p->nr = nr;
	p->ops = ops;
	p->opaque = opaque;
	r = pthread_rwlock_init(&p->child_lock, NULL);
	if (r) {
		pci_dev_fini(&p->pci);
		return err_num(r, "%s: lock", p->pci.name);
	}
	bridge_header(p);
	r = pci_dev_add_bar(&p->pci, RP_MSIX_BAR, RP_MSIX_BAR_SIZE, false, false);
	if (!r) {
		r = pci_dev_add_cap(&p->pci, PCI_CAP_ID_EXP, RP_EXP_SIZE, NULL);
		if (r > 0) {
			p->exp = (uint8_t)r;
			exp_cap(p);
			r = pci_msix_init(&p->msix, &p->pci, 1, RP_MSIX_BAR, 0, RP_MSIX_PBA);
		}
	}
	if (r < 0) {
		err_num(-r, "%s: capabilities", p->pci.name);
		pthread_rwlock_destroy(&p->child_lock);
		pci_dev_fini(&p->pci);
		return r;
	}
	return 0;
}

static void rp_fini(struct pci_root_port *p)
{
	pci_msix_fini(&p->msix);
	pthread_rwlock_destroy(&p->child_lock);
	pci_dev_fini(&p->pci);
}

int pci_root_port_create(struct vm *vm, unsigned int nr, const struct pci_root_port_ops *ops, void *opaque,
			 struct pci_root_port **out)
{
	struct pci_root_port *p = calloc(1, sizeof(*p));
	char who[32];
	int r, bus;

	if (!p)
		return err_num(ENOMEM, "root port %u", nr);
	snprintf(who, sizeof(who), "root port %u", nr);
	bus = pci_host_alloc_bus(vm->pci, who);
	if (bus < 0) {
		free(p);
		return bus;
	}
	r = rp_init(p, vm, nr, (uint8_t)bus, ops, opaque);
	if (r) {
		free(p);
		return r;
	}
	r = pci_host_add(vm->pci, &p->pci);
	if (r) {
		rp_fini(p);
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* With the PCI host (pci_host_remove_all): the function in the slot goes first. */
static void rp_destroy(struct pci_dev *d)
{
	struct pci_root_port *p = to_rp(d);
	struct pci_dev *c = pci_root_port_unplug(p);

	if (c) {
		pci_dev_unmap_bars(c);
		if (c->ops->destroy)
			c->ops->destroy(c);
	}
	rp_fini(p);
	free(p);
}

int pci_root_port_plug(struct pci_root_port *p, struct pci_dev *d)
{
	int r = 0;

	pthread_rwlock_wrlock(&p->child_lock);
	pthread_mutex_lock(&p->pci.lock);
	if (p->child || p->present) {
		r = -EBUSY;
	} else {
		d->host = p->pci.host;
		d->devfn = 0;
		__atomic_store_n(&d->bus, p->pci.cfg[PCI_SECONDARY_BUS], __ATOMIC_RELAXED);
		p->child = d;
		p->present = true;
		exp_set16(p, PCI_EXP_SLTSTA, exp16(p, PCI_EXP_SLTSTA) | PCI_EXP_SLTSTA_PDS | PCI_EXP_SLTSTA_PDC |
			  PCI_EXP_SLTSTA_ABP);
		update_link(p);
		update_irq(p);
	}
	pthread_mutex_unlock(&p->pci.lock);
	pthread_rwlock_unlock(&p->child_lock);
	return r;
}

struct pci_dev *pci_root_port_unplug(struct pci_root_port *p)
{
	struct pci_dev *d;

	pthread_rwlock_wrlock(&p->child_lock);
	pthread_mutex_lock(&p->pci.lock);
	d = p->child;
	p->child = NULL;
	if (p->present) {
		p->present = false;
		exp_set16(p, PCI_EXP_SLTSTA, (exp16(p, PCI_EXP_SLTSTA) & ~PCI_EXP_SLTSTA_PDS) | PCI_EXP_SLTSTA_PDC);
	}
	update_link(p);
	update_irq(p);
	pthread_mutex_unlock(&p->pci.lock);
	pthread_rwlock_unlock(&p->child_lock);
	return d;
}

void pci_root_port_press_button(struct pci_root_port *p)
{
	pthread_mutex_lock(&p->pci.lock);
	exp_set16(p, PCI_EXP_SLTSTA, exp16(p, PCI_EXP_SLTSTA) | PCI_EXP_SLTSTA_ABP);
	update_irq(p);
	pthread_mutex_unlock(&p->pci.lock);
}

uint64_t pci_root_port_link_reads(struct pci_root_port *p)
{
	return __atomic_load_n(&p->lnksta_reads, __ATOMIC_RELAXED);
}

bool pci_root_port_powered(struct pci_root_port *p)
{
	bool on;

	pthread_mutex_lock(&p->pci.lock);
	on = !(exp16(p, PCI_EXP_SLTCTL) & PCI_EXP_SLTCTL_PCC);
	pthread_mutex_unlock(&p->pci.lock);
	return on;
}

uint8_t pci_root_port_secondary_bus(struct pci_root_port *p)
{
	uint8_t b;

	pthread_mutex_lock(&p->pci.lock);
	b = p->pci.cfg[PCI_SECONDARY_BUS];
	pthread_mutex_unlock(&p->pci.lock);
	return b;
}
