// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ports of a cold-plugged PCIe topology (pci_bridge.h). Register layout and bit meanings from
 * PCIe 6.0 7.5.1.3 (type 1 header), 7.5.3 (PCI Express capability) and 7.7.8 (ACS); Secondary Bus
 * Reset from PCI-to-PCI Bridge 1.2 3.2.5.17.
 */
#include "devices/pci_bridge.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

/*
 * Identities guests know: QEMU's generic root port (Red Hat 1b36:000c) and the TI XIO3130 switch
 * (104c:8232 upstream, 104c:8233 downstream) that QEMU's x3130 models are; Linux has no quirks for them.
 */
static const struct { uint16_t vendor, device; uint8_t type; } kinds[] = {
	[PCI_BRIDGE_ROOT_PORT] = { 0x1b36, 0x000c, PCI_EXP_TYPE_ROOT_PORT },
	[PCI_BRIDGE_SWITCH_UP] = { 0x104c, 0x8232, PCI_EXP_TYPE_UPSTREAM },
	[PCI_BRIDGE_SWITCH_DOWN] = { 0x104c, 0x8233, PCI_EXP_TYPE_DOWNSTREAM },
};

#define BR_EXP_SIZE 0x3c            /* the whole v2 capability, up to Slot Status 2 */
/* The links: 16 GT/s x16, what a GPU or NIC slot has (guest topology code reads them as bandwidth). */
#define BR_LINK_WIDTH 16u
/* ACS Source Validation, Translation Blocking, P2P Request/Completion Redirect, Upstream Forwarding:
 * what switch downstream ports and root ports report (PCIe 6.0 7.7.8.2); no Egress Control, no
 * Direct Translated P2P. Linux requires ACS of every port on the path to the root bus before it gives
 * a function an IOMMU group of its own (pci_acs_path_enabled). */
#define BR_ACS_CAPS (PCI_ACS_SV | PCI_ACS_TB | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

static struct pci_bridge *to_br(struct pci_dev *d)
{
	return (struct pci_bridge *)d;
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

/* Root and downstream ports can disable their link (Link Control LD, 7.5.3.7); upstream ports cannot. pci.lock held. */
static bool link_up(const struct pci_bridge *b)
{
	return b->kind == PCI_BRIDGE_SWITCH_UP || !(pci_cfg_get16(&b->pci, b->exp + PCI_EXP_LNKCTL) & PCI_EXP_LNKCTL_LD);
}

/*
 * After the secondary bus number or the link changed (a guest write or a reset): the functions below
 * answer to the new bus number (their requester ID follows), Link Status DLLLA shows the link. pci.lock held.
 */
static void follow(struct pci_bridge *b)
{
	struct pci_dev *d = &b->pci;
	uint16_t sta = pci_cfg_get16(d, b->exp + PCI_EXP_LNKSTA);

	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++)
		if (b->child[s])
			__atomic_store_n(&b->child[s]->bus, d->cfg[PCI_SECONDARY_BUS], __ATOMIC_RELAXED);
	if (b->kind != PCI_BRIDGE_SWITCH_UP)
		pci_cfg_set16(d, b->exp + PCI_EXP_LNKSTA, link_up(b) ? sta | PCI_EXP_LNKSTA_DLLLA : sta & ~PCI_EXP_LNKSTA_DLLLA);
}

/* Everything below resets with the secondary bus (a bridge below passes it on). */
static void reset_below(struct pci_bridge *b)
{
	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
		struct pci_dev *c = b->child[s];

		if (c && c->ops->bus_reset)
			c->ops->bus_reset(c);
	}
}

static void br_cfg_write(struct pci_dev *d, uint32_t reg, const uint8_t *data, uint32_t len)
{
	struct pci_bridge *b = to_br(d);
	bool reset;

	pthread_mutex_lock(&d->lock);
	follow(b);
	/* Secondary Bus Reset: what is below resets as the bit is asserted. */
	reset = overlaps(reg, len, PCI_BRIDGE_CONTROL, 1) && (data[PCI_BRIDGE_CONTROL - reg] & PCI_BRIDGE_CTL_BUS_RESET);
	pthread_mutex_unlock(&d->lock);
	if (reset)
		reset_below(b);
}

/* A reset from above (the parent's Secondary Bus Reset): this port's registers, then what is below. */
static void br_bus_reset(struct pci_dev *d)
{
	struct pci_bridge *b = to_br(d);

	pci_dev_cfg_reset(d, b->init, sizeof(b->init));
	pthread_mutex_lock(&d->lock);
	follow(b);
	pthread_mutex_unlock(&d->lock);
	reset_below(b);
}

/*
 * Config requests for buses in [secondary, subordinate] (7.2.2 / PCI-to-PCI Bridge 1.2 4.1): type 0
 * on the secondary bus to the function there, type 1 on to the bridges below. Unsupported Request,
 * all-ones (2.3.2), where nothing answers or the link is down.
 */
static bool br_route_cfg(struct pci_dev *bd, uint32_t bus, uint32_t devfn, uint32_t reg, uint8_t *data, uint32_t len,
			 bool is_write)
{
	struct pci_bridge *b = to_br(bd);
	struct pci_dev *c = NULL;
	uint8_t sec, sub;
	bool up;

	pthread_mutex_lock(&bd->lock);
	sec = bd->cfg[PCI_SECONDARY_BUS];
	sub = bd->cfg[PCI_SUBORDINATE_BUS];
	up = link_up(b);
	pthread_mutex_unlock(&bd->lock);
	if (!sec || bus < sec || bus > sub)
		return false;
	if (up && bus == sec && !(devfn & 7)) {
		c = b->child[devfn >> 3];
	} else if (up && bus > sec) {
		for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
			struct pci_dev *k = b->child[s];

			if (k && k->ops->route_cfg && k->ops->route_cfg(k, bus, devfn, reg, data, len, is_write))
				return true;
		}
	}
	if (c && is_write)
		pci_dev_cfg_write(c, reg, data, len);
	else if (c)
		pci_dev_cfg_read(c, reg, data, len);
	else if (!is_write)
		memset(data, 0xff, len > 8 ? 8 : len);
	return true;
}

static void br_destroy(struct pci_dev *d)
{
	pci_bridge_destroy(to_br(d));
}

static const struct pci_dev_ops bridge_ops = {
	.cfg_write = br_cfg_write,
	.route_cfg = br_route_cfg,
	.bus_reset = br_bus_reset,
	.destroy = br_destroy,
};

/* Type 1 header (7.5.1.3) over what pci_dev_init made of a type 0 one. */
static void header(struct pci_bridge *b, uint8_t bus)
{
	struct pci_dev *d = &b->pci;

	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	pci_cfg_set32(d, PCI_PREF_BASE_UPPER32, 0);     /* type 0's subsystem ids lived here */
	/* Bus numbers, pre-assigned as firmware would: the guest may renumber, routing follows. */
	d->wmask[PCI_PRIMARY_BUS] = d->wmask[PCI_SECONDARY_BUS] = d->wmask[PCI_SUBORDINATE_BUS] = 0xff;
	d->cfg[PCI_SECONDARY_BUS] = d->cfg[PCI_SUBORDINATE_BUS] = bus;
	/* No I/O window: I/O Base/Limit read-only zero (3.2.5.6). */
	mask16(d->wmask, PCI_MEMORY_BASE, PCI_MEMORY_RANGE_MASK & 0xffff);
	mask16(d->wmask, PCI_MEMORY_LIMIT, PCI_MEMORY_RANGE_MASK & 0xffff);
	/* 64-bit prefetchable window: low nibble 1 (3.2.5.9), upper halves writable. */
	mask16(d->wmask, PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_MASK & 0xffff);
	mask16(d->wmask, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_MASK & 0xffff);
	pci_cfg_set16(d, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64);
	memset(&d->wmask[PCI_PREF_BASE_UPPER32], 0xff, 8);
	/* Windows start disabled (base above limit) for the guest to size and assign. */
	pci_cfg_set16(d, PCI_MEMORY_BASE, 0xfff0);
	pci_cfg_set16(d, PCI_PREF_MEMORY_BASE, 0xfff0 | PCI_PREF_RANGE_TYPE_64);
	/* Secondary Status: the error bits are RW1C like Status. */
	d->w1c[PCI_SEC_STATUS + 1] = d->w1c[PCI_STATUS + 1];
	/* Bridge Control: parity/SERR/ISA/VGA/master abort/bus reset; the rest is zero in PCIe. */
	mask16(d->wmask, PCI_BRIDGE_CONTROL, 0x007f);
}

static void exp_cap(struct pci_bridge *b, unsigned int port)
{
	struct pci_dev *d = &b->pci;
	uint32_t o = b->exp;
	bool down = b->kind != PCI_BRIDGE_SWITCH_UP;    /* the port is at the upstream end of its link */

	/* 7.5.3.2: version 2, the port's type; no slot (nothing is hot-plugged here), message number 0. */
	pci_cfg_set16(d, o + PCI_EXP_FLAGS, 2 | kinds[b->kind].type << 4);
	pci_cfg_set32(d, o + PCI_EXP_DEVCAP, PCI_EXP_DEVCAP_RBER);
	mask16(d->wmask, o + PCI_EXP_DEVCTL, 0x7fff);
	mask16(d->w1c, o + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | PCI_EXP_DEVSTA_FED |
	       PCI_EXP_DEVSTA_URD);
	/* 7.5.3.6: 16 GT/s x16, port number; DLL Link Active reporting where the port is downstream of the link. */
	pci_cfg_set32(d, o + PCI_EXP_LNKCAP, PCI_EXP_LNKCAP_SLS_16_0GB | BR_LINK_WIDTH << 4 |
		      (down ? PCI_EXP_LNKCAP_DLLLARC : 0) | (port & 0xff) << 24);
	/* 7.5.3.7: ASPM, RCB, common clock, extended synch, clock PM, HAW disable, the two interrupt
	 * enables; Link Disable only where the port drives the link (reserved in upstream ports). */
	mask16(d->wmask, o + PCI_EXP_LNKCTL, down ? 0x0fdb : 0x0fcb);
	/* 7.5.3.8: trained at 16 GT/s x16, slot clock; DLL Link Active (follow) while not disabled. */
	pci_cfg_set16(d, o + PCI_EXP_LNKSTA, PCI_EXP_LNKSTA_CLS_16_0GB | BR_LINK_WIDTH << PCI_EXP_LNKSTA_NLW_SHIFT |
		      PCI_EXP_LNKSTA_SLC);
	if (b->kind == PCI_BRIDGE_ROOT_PORT) {
		/* 7.5.3.12-14: Root Control's error and PME interrupt enables; PME Status RW1C. */
		mask16(d->wmask, o + PCI_EXP_RTCTL, 0x001f);
		d->w1c[o + PCI_EXP_RTSTA + 2] = 0x01;
	}
	/* 7.5.3.18-19: 2.5 to 16 GT/s supported; Target Link Speed writable, at 16 GT/s. */
	pci_cfg_set32(d, o + PCI_EXP_LNKCAP2, PCI_EXP_LNKCAP2_SLS_2_5GB | PCI_EXP_LNKCAP2_SLS_5_0GB |
		      PCI_EXP_LNKCAP2_SLS_8_0GB | PCI_EXP_LNKCAP2_SLS_16_0GB);
	mask16(d->wmask, o + PCI_EXP_LNKCTL2, 0x000f);
	pci_cfg_set16(d, o + PCI_EXP_LNKCTL2, PCI_EXP_LNKCTL2_TLS_16_0GT);
}

/* 7.7.8: the ACS extended capability, the only one (next 0); its controls start off, as at reset. */
static void acs_cap(struct pci_bridge *b)
{
	struct pci_dev *d = &b->pci;

	pci_cfg_set32(d, PCI_BRIDGE_ACS, PCI_EXT_CAP_ID_ACS | 1u << 16);
	pci_cfg_set16(d, PCI_BRIDGE_ACS + PCI_ACS_CAP, BR_ACS_CAPS);
	mask16(d->wmask, PCI_BRIDGE_ACS + PCI_ACS_CTRL, BR_ACS_CAPS);
}

struct pci_bridge *pci_bridge_of(struct pci_dev *d)
{
	return d && d->ops == &bridge_ops ? to_br(d) : NULL;
}

int pci_bridge_create(struct vm *vm, enum pci_bridge_kind kind, const char *name, unsigned int port, uint8_t bus,
		      struct pci_bridge **out)
{
	struct pci_bridge *b;
	int r;

	if ((unsigned int)kind >= sizeof(kinds) / sizeof(kinds[0]) || !bus)
		return err_num(EINVAL, "%s: bridge kind %d, secondary bus %u", name, (int)kind, bus);
	b = calloc(1, sizeof(*b));
	if (!b)
		return err_num(ENOMEM, "%s", name);
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->kind = kind;
	pci_dev_init(&b->pci, vm, &bridge_ops, b->name, kinds[kind].vendor, kinds[kind].device,
		     PCI_CLASSCODE_PCI_BRIDGE << 8, 0, 0);
	header(b, bus);
	r = pci_dev_add_cap(&b->pci, PCI_CAP_ID_EXP, BR_EXP_SIZE, NULL);
	if (r < 0) {
		pci_dev_fini(&b->pci);
		free(b);
		return err_num(-r, "%s: PCI Express capability", name);
	}
	b->exp = (uint8_t)r;
	exp_cap(b, port);
	if (kind != PCI_BRIDGE_SWITCH_UP)
		acs_cap(b);
	follow(b);
	memcpy(b->init, b->pci.cfg, sizeof(b->init));
	*out = b;
	return 0;
}

int pci_bridge_attach(struct pci_bridge *b, unsigned int slot, struct pci_dev *d)
{
	if (slot >= PCI_NR_SLOTS || (slot && b->kind != PCI_BRIDGE_SWITCH_UP))
		return err_num(EINVAL, "%s: no device %u on its secondary bus", b->name, slot);
	if (b->child[slot])
		return err_num(EBUSY, "%s: device %u of its secondary bus is taken", b->name, slot);
	d->host = b->pci.host;
	d->devfn = (uint8_t)(slot << 3);
	__atomic_store_n(&d->bus, b->pci.cfg[PCI_SECONDARY_BUS], __ATOMIC_RELAXED);
	/* A bridge below learns its primary bus, as firmware programs it. */
	if ((d->cfg[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_BRIDGE) {
		d->cfg[PCI_PRIMARY_BUS] = b->pci.cfg[PCI_SECONDARY_BUS];
		if (d->ops == &bridge_ops)
			to_br(d)->init[PCI_PRIMARY_BUS] = d->cfg[PCI_PRIMARY_BUS];
	}
	b->child[slot] = d;
	return 0;
}

void pci_bridge_acs_preset(struct pci_bridge *b)
{
	const uint16_t on = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;

	if (b->kind == PCI_BRIDGE_SWITCH_UP)
		return;
	pci_cfg_set16(&b->pci, PCI_BRIDGE_ACS + PCI_ACS_CTRL, on);
	memcpy(&b->init[PCI_BRIDGE_ACS + PCI_ACS_CTRL], &b->pci.cfg[PCI_BRIDGE_ACS + PCI_ACS_CTRL], 2);
}

void pci_bridge_set_subordinate(struct pci_bridge *b, uint8_t sub)
{
	b->pci.cfg[PCI_SUBORDINATE_BUS] = sub;
	b->init[PCI_SUBORDINATE_BUS] = sub;
}

void pci_bridge_destroy(struct pci_bridge *b)
{
	if (!b)
		return;
	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
		struct pci_dev *c = b->child[s];

		b->child[s] = NULL;
		if (!c)
			continue;
		pci_dev_unmap_bars(c);
		if (c->ops->destroy)
			c->ops->destroy(c);
	}
	pci_dev_fini(&b->pci);
	free(b);
}
