// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci BARs. Each memory BAR's region is mmapped (the sparse-mmap areas when VFIO gives them,
 * minus the pages of the MSI-X table and PBA, which we emulate: PCI 3.0 6.8.2) and the pieces become
 * KVM memslots wherever the guest puts the BAR, so BAR accesses never exit. What cannot be mapped
 * (sub-page BARs, the MSI-X pages' other bytes) traps and is forwarded with pread/pwrite on the
 * region. I/O BARs are not offered. The expansion ROM is hidden unless rom=on, then read through
 * the ROM region on trapped reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/vfio_pci.h"
#include "iommu/fail_inject.h"
#include "vmm/bus.h"
#include "vmm/log.h"
#include "vmm/vm.h"

unsigned int vfio_pci_split_areas(const uint64_t (*areas)[2], unsigned int nr, const uint64_t (*holes)[2],
				  unsigned int nr_holes, uint64_t page, uint64_t (*out)[2], unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nr; i++) {
		/* Only whole pages of an area can be mapped. */
		uint64_t s = (areas[i][0] + page - 1) & ~(page - 1);
		uint64_t e = (areas[i][0] + areas[i][1]) & ~(page - 1);

		if (areas[i][0] + areas[i][1] < areas[i][0])
			continue;   /* wraps: bogus */
		while (s < e) {
			uint64_t cut_s = e, cut_e = e;

			/* The lowest hole page range that intersects [s, e). */
			for (unsigned int h = 0; h < nr_holes; h++) {
				uint64_t hs, he;

				if (!holes[h][1])
					continue;
				hs = holes[h][0] & ~(page - 1);
				he = (holes[h][0] + holes[h][1] + page - 1) & ~(page - 1);
				if (he > s && hs < e && hs < cut_s) {
					cut_s = hs > s ? hs : s;
					cut_e = he < e ? he : e;
				}
			}
			if (cut_s > s) {
				if (n == max)
					return n;
				out[n][0] = s;
				out[n][1] = cut_s - s;
				n++;
			}
			s = cut_e;
		}
	}
	return n;
}

/* VFIO_DEVICE_GET_REGION_INFO with its capability chain; *OUT is malloc'ed. */
static int region_info(struct vfio_pci *v, uint32_t index, struct vfio_region_info **out)
{
	struct vfio_region_info *ri = calloc(1, sizeof(*ri));

	*out = NULL;
	if (!ri)
		return -ENOMEM;
	ri->argsz = sizeof(*ri);
	ri->index = index;
	if (fail_inject("region-info") || ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, ri)) {
		int r = err_errno("%s: VFIO_DEVICE_GET_REGION_INFO %u", v->name, index);

		free(ri);
		return r;
	}
	if (ri->argsz > sizeof(*ri) && ri->argsz < 65536) {
		/* Capabilities follow: ask again with room for them. */
		uint32_t sz = ri->argsz;
		struct vfio_region_info *n = realloc(ri, sz);

		if (!n) {
			free(ri);
			return -ENOMEM;
		}
		ri = n;
		memset(ri, 0, sz);
		ri->argsz = sz;
		ri->index = index;
		if (ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, ri)) {
			int r = err_errno("%s: VFIO_DEVICE_GET_REGION_INFO %u", v->name, index);

			free(ri);
			return r;
		}
	}
	*out = ri;
	return 0;
}

/* The sparse-mmap capability's areas (bounded by the buffer the kernel filled), or the whole region. */
static unsigned int mmap_areas(const struct vfio_region_info *ri, uint64_t (*areas)[2], unsigned int max)
{
	uint32_t off = (ri->flags & VFIO_REGION_INFO_FLAG_CAPS) ? ri->cap_offset : 0;
	unsigned int hops = 0;

	while (off >= sizeof(*ri) && off + sizeof(struct vfio_info_cap_header) <= ri->argsz && hops++ < 16) {
		const struct vfio_info_cap_header *h = (const void *)((const uint8_t *)ri + off);

		if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP &&
		    off + sizeof(struct vfio_region_info_cap_sparse_mmap) <= ri->argsz) {
			const struct vfio_region_info_cap_sparse_mmap *s = (const void *)h;
			unsigned int n = 0;

			for (uint32_t i = 0; i < s->nr_areas && n < max; i++) {
				if (off + sizeof(*s) + (i + 1) * sizeof(s->areas[0]) > ri->argsz)
					break;
				if (s->areas[i].size && s->areas[i].offset + s->areas[i].size <= ri->size) {
					areas[n][0] = s->areas[i].offset;
					areas[n][1] = s->areas[i].size;
					n++;
				}
			}
			return n;
		}
		if (h->next <= off)
			break;
		off = h->next;
	}
	areas[0][0] = 0;
	areas[0][1] = ri->size;
	return 1;
}

static int map_bar(struct vfio_pci *v, unsigned int i, const struct vfio_region_info *ri)
{
	struct vfio_pci_bar *b = &v->bar[i];
	uint64_t areas[VFIO_PCI_MAX_AREAS][2], holes[2][2] = { { 0 } }, pieces[VFIO_PCI_MAX_AREAS][2];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	unsigned int na, np;
	int prot = 0;

	if (!(ri->flags & VFIO_REGION_INFO_FLAG_MMAP) || b->size < page)
		return 0;
	if (ri->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (ri->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	na = mmap_areas(ri, areas, VFIO_PCI_MAX_AREAS);
	if (v->has_msix && v->msix_bar == i) {
		holes[0][0] = v->msix_table_off;
		holes[0][1] = (uint64_t)v->msix_real_nr * PCI_MSIX_ENTRY_SIZE;
		holes[1][0] = v->msix_pba_off;
		holes[1][1] = ((uint64_t)v->msix_real_nr + 63) / 64 * 8;
	}
	np = vfio_pci_split_areas((const uint64_t (*)[2])areas, na, (const uint64_t (*)[2])holes, 2, page, pieces,
				  VFIO_PCI_MAX_AREAS);
	for (unsigned int k = 0; k < np; k++) {
		struct vfio_pci_area *a = &b->area[b->nr_areas];
		void *p = mmap(NULL, pieces[k][1], prot, MAP_SHARED, v->fd, (off_t)(b->region_off + pieces[k][0]));

		if (p == MAP_FAILED) {
			/* Not fatal: that part of the BAR traps instead. */
			pr_debug("%s: BAR%u mmap 0x%" PRIx64 "+0x%" PRIx64 ": %s", v->name, i, pieces[k][0], pieces[k][1],
				 strerror(errno));
			continue;
		}
		*a = (struct vfio_pci_area){ .off = pieces[k][0], .size = pieces[k][1], .hva = p, .dmabuf = -1 };
		if (v->pci.vm->vm_fd >= 0) {
			a->slot = vm_alloc_memslot(v->pci.vm);
			if (a->slot == UINT32_MAX) {
				munmap(p, a->size);
				return -ENOSPC;
			}
		}
		b->nr_areas++;
	}
	return 0;
}

int vfio_pci_bars_init(struct vfio_pci *v, const uint8_t *real)
{
	struct vfio_region_info *ri;
	int r;

	for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
		uint32_t reg = (uint32_t)pci_le_get(real + PCI_BASE_ADDRESS_0 + 4 * i, 4);
		bool is64 = (reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;

		r = region_info(v, VFIO_PCI_BAR0_REGION_INDEX + i, &ri);
		if (r)
			return r;
		if (!ri->size) {
			free(ri);
			continue;
		}
		if (reg & PCI_BASE_ADDRESS_SPACE_IO) {
			pr_debug("%s: BAR%u is an I/O BAR: not offered to the guest", v->name, i);
		} else if (ri->size < 16 || (ri->size & (ri->size - 1)) || (is64 && i == PCI_NR_BARS - 1) ||
			   pci_dev_add_bar(&v->pci, i, ri->size, is64, reg & PCI_BASE_ADDRESS_MEM_PREFETCH)) {
			pr_debug("%s: BAR%u size 0x%llx not offered", v->name, i, (unsigned long long)ri->size);
		} else {
			v->bar[i].size = ri->size;
			v->bar[i].region_off = ri->offset;
			v->bar[i].flags = ri->flags;
			r = map_bar(v, i, ri);
			if (r) {
				free(ri);
				return r;
			}
		}
		free(ri);
		if (is64)
			i++;    /* the upper half of a 64-bit BAR */
	}
	if (v->rom) {
		r = region_info(v, VFIO_PCI_ROM_REGION_INDEX, &ri);
		if (r)
			return r;
		/* PCI 3.0 6.2.5.2: the ROM BAR decodes a power of two >= 2 KiB. */
		if (ri->size >= 2048 && !(ri->size & (ri->size - 1)) && ri->size <= (1ULL << 31)) {
			v->rom_size = ri->size;
			v->rom_off = ri->offset;
			pci_le_put(&v->pci.wmask[PCI_ROM_ADDRESS], 4,
				   ((uint32_t)~(ri->size - 1) & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE);
		} else {
			pr_warn("%s: rom=on, but the function has no expansion ROM", v->name);
		}
		free(ri);
	}
	return 0;
}

static void rom_unmap(struct vfio_pci *v)
{
	if (v->rom_mapped)
		bus_unregister(&v->pci.vm->mmio, v->rom_gpa, v);
	v->rom_mapped = false;
}

static void bar_revoked(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

/*
 * Puts BAR I's mmapped pieces into KVM memslots at its address (ON) or takes them out, and keeps its
 * range on vm->devmem while any piece is in (d->lock held, or no vCPU running).
 */
static void bar_slots(struct vfio_pci *v, unsigned int i, bool on)
{
	struct vfio_pci_bar *b = &v->bar[i];
	struct vm *vm = v->pci.vm;
	bool any = false;

	for (unsigned int k = 0; k < b->nr_areas; k++) {
		struct vfio_pci_area *a = &b->area[k];

		if (!on && a->in_slot) {
			vm_set_memslot(vm, a->slot, b->gpa + a->off, 0, a->hva, false);
			a->in_slot = false;
		}
		/* On failure (e.g. the guest put the BAR over RAM) that piece traps instead. */
		if (on && !a->in_slot && !vm_set_memslot(vm, a->slot, b->gpa + a->off, a->size, a->hva, false))
			a->in_slot = true;
		any |= a->in_slot;
	}
	if (b->devmem && !any) {
		bus_unregister(&vm->devmem, b->gpa, &v->pci.bar[i]);
		b->devmem = false;
	} else if (!b->devmem && any) {
		b->devmem = !bus_register(&vm->devmem, b->gpa, b->size, bar_revoked, &v->pci.bar[i], v->name);
	}
}

/*
 * vm->devmem: KVM could not fault in a page of this BAR's mmap (the host revoked it, see vm.h). The
 * BAR falls back to trapping, where the host's answer (vfio-pci: -EIO, so all-ones) reaches the guest;
 * the next remap (COMMAND, BAR move, D0) maps it again.
 */
/* A BAR access gone wrong on the event stream (the caller decides when: vfio_pci_report_due). */
static void report_bar(struct vfio_pci *v, const char *error, unsigned int bar, uint64_t off, uint32_t len,
		       bool is_write, uint64_t count)
{
	json_object *p = json_object_new_object();
	char o[24];

	if (!p)
		return;
	snprintf(o, sizeof(o), "0x%" PRIx64, off);
	json_object_object_add(p, "bar", json_object_new_int((int)bar));
	json_object_object_add(p, "offset", json_object_new_string(o));
	json_object_object_add(p, "len", json_object_new_int((int)len));
	json_object_object_add(p, "write", json_object_new_boolean(is_write));
	json_object_object_add(p, "count", json_object_new_int64((int64_t)count));
	vfio_pci_report_error(v, error, p);
}

static void bar_revoked(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_bar *pb = opaque;
	struct vfio_pci *v = (struct vfio_pci *)pb->dev;
	uint64_t n;

	pthread_mutex_lock(&v->pci.lock);
	if (v->bar[pb->idx].devmem)
		bar_slots(v, pb->idx, false);
	pthread_mutex_unlock(&v->pci.lock);
	n = ++v->nr_revoked;
	if (vfio_pci_report_due(n)) {     /* a guest can repeat this at will: 1st, 2nd, 4th, 8th... time */
		pr_warn("%s: the host revoked BAR%u's mapping under the guest (access at +0x%" PRIx64 "); it traps "
			"now (%" PRIu64 " time%s)", v->name, pb->idx, off, n, n > 1 ? "s" : "");
		report_bar(v, "bar-revoked", pb->idx, off, len, is_write, n);
	}
}

void vfio_pci_bars_fini(struct vfio_pci *v)
{
	rom_unmap(v);
	vfio_pci_p2p_fini(v);
	for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
		struct vfio_pci_bar *b = &v->bar[i];

		bar_slots(v, i, false);
		for (unsigned int k = 0; k < b->nr_areas; k++)
			munmap(b->area[k].hva, b->area[k].size);
		b->nr_areas = 0;
	}
}

void vfio_pci_bar_access(struct pci_dev *d, unsigned int bar, uint64_t off, uint8_t *data, uint32_t len,
			 bool is_write)
{
	struct vfio_pci *v = (struct vfio_pci *)d;
	struct vfio_pci_bar *b;
	ssize_t n;

	if (bar >= PCI_NR_BARS || !v->bar[bar].size || off + len > v->bar[bar].size || len > 8) {
		if (!is_write)
			memset(data, 0xff, len > 8 ? 8 : len);
		return;
	}
	b = &v->bar[bar];
	v->nr_bar_traps++;
	if (atomic_load(&v->pm_state) != VFIO_PCI_D0) {
		/* PCI PM 1.2 5.3: in D1-D3hot the function answers config accesses only. */
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (v->has_msix && v->msix.dev && bar == v->msix_bar && pci_msix_bar_access(&v->msix, off, data, len, is_write))
		return;
	if (is_write)
		n = pwrite(v->fd, data, len, (off_t)(b->region_off + off));
	else
		n = pread(v->fd, data, len, (off_t)(b->region_off + off));
	if (n != (ssize_t)len) {
		uint64_t c = ++v->nr_bar_errors;

		pr_debug("%s: BAR%u %s 0x%" PRIx64 "/%u failed", v->name, bar, is_write ? "write" : "read", off, len);
		if (!is_write)
			memset(data, 0xff, len);
		if (vfio_pci_report_due(c))
			report_bar(v, "bar-access-failed", bar, off, len, is_write, c);
	}
}

void vfio_pci_bar_remap(struct pci_dev *d, unsigned int bar, uint64_t addr, bool mapped)
{
	struct vfio_pci *v = (struct vfio_pci *)d;
	struct vfio_pci_bar *b;

	if (bar >= PCI_NR_BARS)
		return;
	b = &v->bar[bar];
	if (d->vm->vm_fd >= 0)
		bar_slots(v, bar, false);
	vfio_pci_p2p_unmap(v, bar);
	b->gpa = addr;
	b->mapped = mapped;
	if (!mapped)
		return;
	/*
	 * The function must decode before KVM maps its pages: until vfio-pci sees memory decode on, it
	 * refuses faults on the mmap, and a vCPU touching the BAR in between would fail KVM_RUN. The
	 * same holds for the P2P mapping: vfio-pci un-revokes the BAR's dma-bufs only then.
	 */
	vfio_pci_cmd_forward(v, pci_cfg_get16(d, PCI_COMMAND));
	if (atomic_load(&v->pm_state) != VFIO_PCI_D0)
		return;
	if (d->vm->vm_fd >= 0)
		bar_slots(v, bar, true);
	vfio_pci_p2p_map(v, bar);
}

void vfio_pci_bars_power(struct vfio_pci *v, bool d0)
{
	/* PCI PM 1.2 5.3: outside D0 the function answers config accesses only, peers' DMA included. */
	for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
		if (!v->bar[i].mapped)
			continue;
		if (v->pci.vm->vm_fd >= 0)
			bar_slots(v, i, d0);
		if (d0)
			vfio_pci_p2p_map(v, i);
		else
			vfio_pci_p2p_unmap(v, i);
	}
}

static void rom_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct vfio_pci *v = opaque;

	if (is_write)
		return;     /* the ROM is read-only */
	if (off + len > v->rom_size || pread(v->fd, data, len, (off_t)(v->rom_off + off)) != (ssize_t)len)
		memset(data, 0xff, len);
}

void vfio_pci_rom_update(struct vfio_pci *v)
{
	struct pci_dev *d = &v->pci;
	uint32_t reg;
	uint16_t cmd;
	uint64_t addr;
	bool want;

	pthread_mutex_lock(&d->lock);
	reg = pci_cfg_get32(d, PCI_ROM_ADDRESS);
	cmd = pci_cfg_get16(d, PCI_COMMAND);
	addr = reg & PCI_ROM_ADDRESS_MASK;
	want = (reg & PCI_ROM_ADDRESS_ENABLE) && (cmd & PCI_COMMAND_MEMORY) && addr;
	if (v->rom_mapped && (!want || addr != v->rom_gpa))
		rom_unmap(v);
	if (want && !v->rom_mapped) {
		if (!bus_register(&d->vm->mmio, addr, v->rom_size, rom_access, v, v->name)) {
			v->rom_mapped = true;
			v->rom_gpa = addr;
		} else {
			pr_debug("%s: ROM at 0x%" PRIx64 " collides, not mapped", v->name, addr);
		}
	}
	pthread_mutex_unlock(&d->lock);
}
