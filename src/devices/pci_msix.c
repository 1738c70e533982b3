// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSI-X (PCI 3.0 6.8.2) over KVM: one eventfd per vector, the irqfd of a GSI routed to the vector's
 * (address, data, requester id) only while the vector is live (MSI-X enabled, function and vector
 * unmasked). Masking detaches the irqfd, because a source outside nestvm (VFIO) writes the eventfd
 * directly: its fires then wait in the eventfd's counter, which becomes the PBA bit whenever the
 * guest reads the PBA or unmasks (6.8.2.9-10), and unmasking delivers a pending message. Device
 * models fire through pci_msix_notify, which sets the PBA bit itself while the vector is masked.
 * Without KVM (vm_fd < 0, unit tests) a live vector's eventfd is its delivery, nothing is routed.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/pci_msix.h"
#include "devices/pci_msix_state.h"
#include "vmm/irq.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define MSIX_CAP_LEN 12

static bool pending(const struct pci_msix *m, unsigned int i)
{
	return m->pba[i / 64] & (1ULL << (i % 64));
}

static void set_pending(struct pci_msix *m, unsigned int i, bool on)
{
	if (on)
		m->pba[i / 64] |= 1ULL << (i % 64);
	else
		m->pba[i / 64] &= ~(1ULL << (i % 64));
}

static bool vector_live(const struct pci_msix *m, unsigned int i)
{
	return m->enabled && !m->fmask && !(m->v[i].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void fire(struct pci_msix_vector *v)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is saturated: the interrupt is pending anyway. */
	if (write(v->efd, &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		pr_debug("msix: eventfd write: %s", strerror(errno));
}

/* Routes vector I to its current (address, data); errors are reported by irq.c. */
static void route(struct pci_msix *m, unsigned int i)
{
	struct pci_msix_vector *v = &m->v[i];
	struct vm *vm = m->dev->vm;
	uint64_t addr = (uint64_t)v->addr_hi << 32 | v->addr_lo;

	if (v->routed && v->r_addr == addr && v->r_data == v->data)
		return;
	v->routed = false;
	if (vm->vm_fd >= 0) {
		if (!v->has_gsi) {
			if (irq_alloc_msi_gsi(vm, &v->gsi))
				return;
			v->has_gsi = true;
		}
		if (irq_set_msi_route(vm, v->gsi, addr, v->data, pci_dev_requester_id(m->dev)))
			return;
	}
	v->routed = true;
	v->r_addr = addr;
	v->r_data = v->data;
}

/* Stops delivery of vector I: its eventfd's fires now wait in the counter (collect). */
static void detach(struct pci_msix *m, unsigned int i)
{
	struct pci_msix_vector *v = &m->v[i];

	if (v->irqfd && m->dev->vm->vm_fd >= 0)
		irq_irqfd(m->dev->vm, v->gsi, v->efd, -1, false);
	v->irqfd = false;
}

/* Fires that reached vector I's eventfd while it was not delivering become its PBA bit. */
static void collect(struct pci_msix *m, unsigned int i)
{
	uint64_t cnt;

	if (m->v[i].irqfd)
		return;     /* delivering: KVM consumes the counter */
	if (read(m->v[i].efd, &cnt, sizeof(cnt)) == sizeof(cnt) && cnt && m->enabled)
		set_pending(m, i, true);
}

/* Called with m->lock held whenever a vector may have become live or masked, or its message changed. */
static void vector_update(struct pci_msix *m, unsigned int i)
{
	struct pci_msix_vector *v = &m->v[i];

	if (!vector_live(m, i)) {
		detach(m, i);
		return;
	}
	route(m, i);
	if (!v->routed)
		return;
	if (!v->irqfd) {
		collect(m, i);
		if (m->dev->vm->vm_fd >= 0 && irq_irqfd(m->dev->vm, v->gsi, v->efd, -1, true))
			return;
		v->irqfd = true;
	}
	if (pending(m, i)) {
		set_pending(m, i, false);
		fire(v);
	}
}

int pci_msix_init(struct pci_msix *m, struct pci_dev *d, unsigned int nr, unsigned int bar, uint32_t table_off,
		  uint32_t pba_off)
{
	uint8_t body[MSIX_CAP_LEN - 2];
	unsigned int i;
	int off;

	memset(m, 0, sizeof(*m));
	if (!nr || nr > PCI_MSIX_MAX_VECTORS || bar >= PCI_NR_BARS || !d->bar[bar].size || (table_off & 7) ||
	    (pba_off & 7) || table_off + nr * PCI_MSIX_ENTRY_SIZE > d->bar[bar].size ||
	    pba_off + (nr + 63) / 64 * 8 > d->bar[bar].size)
		return -EINVAL;
	m->nr = nr;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;
	for (i = 0; i < nr; i++) {
		m->v[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;    /* 6.8.2.9: vectors start masked */
		m->v[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->v[i].efd < 0) {
			int r = err_errno("%s: MSI-X eventfd", d->name);

			while (i--)
				close(m->v[i].efd);
			return r;
		}
	}
	/* 6.8.2.3-5: Message Control (table size N-1), Table and PBA offset/BIR. */
	pci_le_put(body, 2, nr - 1);
	pci_le_put(body + 2, 4, table_off | bar);
	pci_le_put(body + 6, 4, pba_off | bar);
	off = pci_dev_add_cap(d, PCI_CAP_ID_MSIX, MSIX_CAP_LEN, body);
	if (off < 0) {
		for (i = 0; i < nr; i++)
			close(m->v[i].efd);
		return off;
	}
	m->cap = (uint8_t)off;
	d->wmask[off + PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	pthread_mutex_init(&m->lock, NULL);
	m->dev = d;
	d->msix = m;
	return 0;
}

void pci_msix_fini(struct pci_msix *m)
{
	if (!m->dev)
		return;
	for (unsigned int i = 0; i < m->nr; i++) {
		detach(m, i);
		close(m->v[i].efd);
	}
	m->dev->msix = NULL;
	pthread_mutex_destroy(&m->lock);
	m->dev = NULL;
}

void pci_msix_ctrl_written(struct pci_msix *m)
{
	uint16_t ctrl = pci_cfg_get16(m->dev, m->cap + PCI_MSIX_FLAGS);

	pthread_mutex_lock(&m->lock);
	m->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	m->fmask = ctrl & PCI_MSIX_FLAGS_MASKALL;
	for (unsigned int i = 0; i < m->nr; i++)
		vector_update(m, i);
	pthread_mutex_unlock(&m->lock);
}

void pci_msix_reset(struct pci_msix *m)
{
	uint16_t ctrl = pci_cfg_get16(m->dev, m->cap + PCI_MSIX_FLAGS);

	pthread_mutex_lock(&m->lock);
	m->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	m->fmask = ctrl & PCI_MSIX_FLAGS_MASKALL;
	memset(m->pba, 0, sizeof(m->pba));
	for (unsigned int i = 0; i < m->nr; i++) {
		struct pci_msix_vector *v = &m->v[i];
		uint64_t cnt;

		v->addr_lo = v->addr_hi = v->data = 0;
		v->ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		detach(m, i);
		/* A fire from before the reset must not reach the guest after it. */
		if (read(v->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			pr_debug("%s: MSI-X eventfd read: %s", m->dev->name, strerror(errno));
	}
	pthread_mutex_unlock(&m->lock);
}

bool pci_msix_enabled(struct pci_msix *m)
{
	bool on;

	pthread_mutex_lock(&m->lock);
	on = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return on;
}

/* One dword of a table entry (6.8.2.6-9); the control word's reserved bits read as zero. */
static void table_dword(struct pci_msix *m, unsigned int i, unsigned int dw, uint32_t *val, bool is_write)
{
	struct pci_msix_vector *v = &m->v[i];
	uint32_t *field = dw == 0 ? &v->addr_lo : dw == 1 ? &v->addr_hi : dw == 2 ? &v->data : &v->ctrl;

	if (!is_write) {
		*val = *field;
		return;
	}
	if (dw == 3)
		*val &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	if (dw == 0)
		*val &= ~3u;    /* message address is dword aligned */
	*field = *val;
	vector_update(m, i);
}

bool pci_msix_bar_access(struct pci_msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t tend = m->table_off + (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE;
	uint64_t pend = m->pba_off + (uint64_t)(m->nr + 63) / 64 * 8;
	bool in_table = off >= m->table_off && off < tend, in_pba = off >= m->pba_off && off < pend;

	if (!in_table && !in_pba)
		return false;
	/* 6.8.2: the table and PBA are accessed with aligned dwords or qwords. */
	if ((len != 4 && len != 8) || (off & (len - 1)) || off + len > (in_table ? tend : pend)) {
		if (!is_write)
			memset(data, 0xff, len);
		pr_debug("%s: bad MSI-X access 0x%llx/%u", m->dev->name, (unsigned long long)off, len);
		return true;
	}
	pthread_mutex_lock(&m->lock);
	for (uint32_t k = 0; k < len; k += 4) {
		uint64_t o = off + k;
		uint32_t val = (uint32_t)pci_le_get(data + k, 4);

		if (in_table) {
			uint64_t rel = o - m->table_off;

			table_dword(m, (unsigned int)(rel / PCI_MSIX_ENTRY_SIZE), (unsigned int)(rel % 16) / 4, &val, is_write);
		} else if (!is_write) {
			uint64_t rel = o - m->pba_off;

			for (unsigned int i = (unsigned int)rel * 8; i < (unsigned int)rel * 8 + 32 && i < m->nr; i++)
				collect(m, i);
			val = (uint32_t)(m->pba[rel / 8] >> ((rel % 8) * 8));
		}
		/* PBA writes are ignored: it is read-only (6.8.2.10). */
		if (!is_write)
			pci_le_put(data + k, 4, val);
	}
	pthread_mutex_unlock(&m->lock);
	return true;
}

void pci_msix_notify(struct pci_msix *m, unsigned int vec)
{
	if (vec >= m->nr)
		return;
	pthread_mutex_lock(&m->lock);
	if (vector_live(m, vec))
		fire(&m->v[vec]);
	else if (m->enabled)
		set_pending(m, vec, true);
	pthread_mutex_unlock(&m->lock);
}

void pci_msix_quiesce(struct pci_msix *m)
{
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nr; i++)
		detach(m, i);
	pthread_mutex_unlock(&m->lock);
}

void pci_msix_collect_all(struct pci_msix *m)
{
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nr; i++)
		collect(m, i);
	pthread_mutex_unlock(&m->lock);
}

int pci_msix_restore_table(struct pci_msix *m, const struct pci_msix_saved *s)
{
	if (s->nr != m->nr)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nr; i++) {
		struct pci_msix_vector *v = &m->v[i];

		detach(m, i);
		v->addr_lo = s->e[i].addr_lo;
		v->addr_hi = s->e[i].addr_hi;
		v->data = s->e[i].data;
		v->ctrl = s->e[i].ctrl;
		v->routed = false;
	}
	memcpy(m->pba, s->pba, sizeof(m->pba));
	pthread_mutex_unlock(&m->lock);
	return 0;
}

int pci_msix_take_efd(struct pci_msix *m, unsigned int i, int fd)
{
	int r = 0;

	if (i >= m->nr || fd < 0)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (m->v[i].irqfd) {
		r = -EBUSY;
	} else if (m->v[i].efd != fd) {
		close(m->v[i].efd);
		m->v[i].efd = fd;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}
