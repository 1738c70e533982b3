// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI-X capability, table and PBA driven the way a guest drives them (no KVM: a live vector's
 * eventfd is its delivery). Fires come from pci_msix_notify (device models) and from writes to the
 * eventfd itself (VFIO's, which bypass nestvm).
 */
#include <linux/pci_regs.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/pci_msix.h"
#include "tap.h"
#include "vmm/vm.h"

#define NV 4
#define PBA 0x800

static struct vm vm;
static struct pci_dev dev;
static struct pci_msix msix;

static void bar_access(struct pci_dev *d, unsigned int bar, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	pci_msix_bar_access(&msix, off, data, len, w);
}

static const struct pci_dev_ops ops = { .bar_access = bar_access };

/* Consumes the eventfd's count: whether the vector fired since the last look. */
static bool fired(unsigned int v)
{
	struct pollfd p = { .fd = msix.v[v].efd, .events = POLLIN };
	uint64_t cnt;

	if (poll(&p, 1, 0) != 1)
		return false;
	return read(msix.v[v].efd, &cnt, sizeof(cnt)) == sizeof(cnt) && cnt > 0;
}

/* What VFIO does when the function sends vector V: it writes the vector's eventfd. */
static void ext_fire(unsigned int v)
{
	uint64_t one = 1;

	if (write(msix.v[v].efd, &one, sizeof(one)) != sizeof(one))
		CHECK(0, "eventfd write");
}

static uint32_t cfg32(uint32_t reg)
{
	uint8_t b[4];

	pci_dev_cfg_read(&dev, reg, b, 4);
	return (uint32_t)pci_le_get(b, 4);
}

static void cfg16w(uint32_t reg, uint16_t v)
{
	uint8_t b[2];

	pci_le_put(b, 2, v);
	pci_dev_cfg_write(&dev, reg, b, 2);
}

static uint32_t tbl_read(uint64_t off)
{
	uint8_t b[4];

	CHECK(pci_msix_bar_access(&msix, off, b, 4, false), "table/PBA read at 0x%llx claimed", (unsigned long long)off);
	return (uint32_t)pci_le_get(b, 4);
}

static void tbl_write(uint64_t off, uint32_t v)
{
	uint8_t b[4];

	pci_le_put(b, 4, v);
	pci_msix_bar_access(&msix, off, b, 4, true);
}

int main(void)
{
	uint8_t cap = 0, b8[8], reset_cfg[256];
	uint32_t pba;

	vm.vm_fd = -1;
	pci_dev_init(&dev, &vm, &ops, "msix-test", 0x1234, 0x5678, 0xff000001, 0, 0);
	CHECK(pci_dev_add_bar(&dev, 2, 0x1000, true, false) == 0, "BAR2 declared");
	CHECK(pci_msix_init(&msix, &dev, NV, 5, 0, PBA) != 0, "MSI-X in an undeclared BAR refused");
	CHECK(pci_msix_init(&msix, &dev, PCI_MSIX_MAX_VECTORS + 1, 2, 0, PBA) != 0, "too many vectors refused");
	CHECK(pci_msix_init(&msix, &dev, NV, 2, 0xff8, PBA) != 0, "table past the BAR refused");
	CHECK(pci_msix_init(&msix, &dev, NV, 2, 0, PBA) == 0, "MSI-X set up");
	memcpy(reset_cfg, dev.cfg, sizeof(reset_cfg));

	/* Find the capability the way a driver does. */
	for (uint8_t p = dev.cfg[PCI_CAPABILITY_LIST], n = 0; p && n < 48; p = dev.cfg[p + 1], n++)
		if (dev.cfg[p] == PCI_CAP_ID_MSIX)
			cap = p;
	CHECK(cap && (cfg32(PCI_STATUS - 2) >> 16) & PCI_STATUS_CAP_LIST, "MSI-X capability in the list");
	CHECK((cfg32(cap) >> 16 & PCI_MSIX_FLAGS_QSIZE) == NV - 1, "table size N-1");
	CHECK(cfg32(cap + PCI_MSIX_TABLE) == 2 && cfg32(cap + PCI_MSIX_PBA) == (PBA | 2), "table and PBA offset/BIR");
	cfg16w(cap + PCI_MSIX_FLAGS, 0x07ff);
	CHECK((cfg32(cap) >> 16) == NV - 1, "table size is read-only");

	CHECK(tbl_read(12) == PCI_MSIX_ENTRY_CTRL_MASKBIT, "vectors start masked");
	pci_msix_notify(&msix, 0);
	CHECK(!fired(0) && tbl_read(PBA) == 0, "MSI-X disabled: nothing fires, nothing pending");

	cfg16w(cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE);
	CHECK(pci_msix_enabled(&msix), "enable bit seen");
	pci_msix_notify(&msix, 0);
	CHECK(!fired(0) && tbl_read(PBA) == 1, "masked vector: PBA bit set instead");
	tbl_write(0, 0xfee00000);
	tbl_write(4, 0);
	tbl_write(8, 0x4041);
	CHECK(tbl_read(0) == 0xfee00000 && tbl_read(8) == 0x4041, "table entry reads back");
	tbl_write(12, 0);
	CHECK(fired(0) && tbl_read(PBA) == 0, "unmask delivers the pending message and clears PBA");
	pci_msix_notify(&msix, 0);
	CHECK(fired(0), "unmasked vector fires");
	pci_msix_notify(&msix, 1);
	CHECK(!fired(1) && tbl_read(PBA) == 2, "other vectors stay masked");

	cfg16w(cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pci_msix_notify(&msix, 0);
	CHECK(!fired(0) && tbl_read(PBA) == 3, "function mask: vector 0 pending");
	cfg16w(cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE);
	CHECK(fired(0) && tbl_read(PBA) == 2, "function unmask delivers");

	/* VFIO-style fires (6.8.2.9-10): held back while masked, pending in the PBA, sent at unmask. */
	tbl_write(12, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	ext_fire(0);
	pba = tbl_read(PBA);
	CHECK(pba == 3, "masked vector fired from outside: its PBA bit reads 1 (PBA 0x%x)", pba);
	CHECK(!fired(0), "masked vector fired from outside: not delivered");
	tbl_write(12, 0);
	CHECK(fired(0) && tbl_read(PBA) == 2, "unmask delivers the held-back message and clears its PBA bit");
	tbl_write(12, PCI_MSIX_ENTRY_CTRL_MASKBIT);
	ext_fire(0);
	ext_fire(0);
	tbl_write(12, 0);
	CHECK(fired(0) && !fired(0) && tbl_read(PBA) == 2, "two fires while masked, PBA never read: one message at unmask");
	cfg16w(cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	ext_fire(0);
	CHECK(tbl_read(PBA) == 3 && !fired(0), "function mask holds an outside fire back too");
	cfg16w(cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE);
	CHECK(fired(0) && tbl_read(PBA) == 2, "function unmask delivers it");
	ext_fire(0);
	CHECK(fired(0) && tbl_read(PBA) == 2, "unmasked vector: an outside fire is delivered");

	tbl_write(16 + 12, 0xffffffff);
	CHECK(tbl_read(16 + 12) == PCI_MSIX_ENTRY_CTRL_MASKBIT, "reserved vector control bits read as zero");
	tbl_write(PBA, 0);
	CHECK(tbl_read(PBA) == 2, "PBA is read-only");

	/* Hostile accesses: out of range vectors, odd sizes, past the table. */
	pci_msix_notify(&msix, NV);
	pci_msix_notify(&msix, 1000);
	CHECK(1, "out-of-range vector ignored");
	memset(b8, 0, sizeof(b8));
	CHECK(pci_msix_bar_access(&msix, 2, b8, 2, false) && b8[0] == 0xff, "2-byte table read returns all-ones");
	CHECK(pci_msix_bar_access(&msix, 6, b8, 4, true), "unaligned table write claimed (ignored)");
	CHECK(tbl_read(4) == 0, "unaligned write changed nothing");
	CHECK(!pci_msix_bar_access(&msix, NV * 16, b8, 4, false), "access past the table is not MSI-X's");
	CHECK(pci_msix_bar_access(&msix, 0, b8, 8, false) && pci_le_get(b8, 8) == 0xfee00000, "qword table read");

	/* Function reset (PCIe 6.0 6.6.2, PCI 3.0 6.8.2.9): MSI-X off, every vector masked, nothing pending. */
	cfg16w(cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	ext_fire(3);
	pci_dev_cfg_reset(&dev, reset_cfg, sizeof(reset_cfg));
	CHECK(!pci_msix_enabled(&msix) && (cfg32(cap) >> 16) == NV - 1, "reset: MSI-X disabled, function unmasked");
	CHECK(tbl_read(0) == 0 && tbl_read(8) == 0 && tbl_read(12) == PCI_MSIX_ENTRY_CTRL_MASKBIT &&
	      tbl_read(16 + 12) == PCI_MSIX_ENTRY_CTRL_MASKBIT, "reset: table entries zero and masked");
	CHECK(tbl_read(PBA) == 0 && !fired(3), "reset: no pending bits, the fire from before is gone");
	cfg16w(cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE);
	tbl_write(12, 0);
	CHECK(!fired(0) && tbl_read(PBA) == 0, "after reset: unmasking sends nothing stale");

	pci_msix_fini(&msix);
	pci_dev_fini(&dev);
	return tap_done();
}
