// SPDX-License-Identifier: GPL-2.0-only
/* QEMU fw_cfg device model; register and DMA semantics from QEMU's docs/specs/fw_cfg.rst. */
#include "devices/fw_cfg.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/guest_mem.h"
#include "vmm/log.h"

_Static_assert(sizeof(struct fw_cfg_file) == 64, "fw_cfg directory entry");

/* Items are counted by the spec's be32 sizes; refuse anything that would not fit one. */
#define FW_CFG_ITEM_MAX UINT32_MAX

static int find_key(const struct fw_cfg *f, uint16_t key)
{
	for (unsigned int i = 0; i < f->nr_items; i++)
		if (f->items[i].key == key)
			return (int)i;
	return -1;
}

/* Stores a copy at KEY (replacing what was there); NAME for files. Caller holds the lock or is init. */
static int set_item(struct fw_cfg *f, uint16_t key, const void *data, size_t len, bool writable, const char *name)
{
	struct fw_cfg_item *it;
	uint8_t *copy = NULL;
	int i;

	if (len > FW_CFG_ITEM_MAX) {
		pr_err("fw_cfg: item 0x%x: %zu bytes is more than an item can hold", key, len);
		return -EFBIG;
	}
	if (len) {
		copy = malloc(len);
		if (!copy)
			return err_num(-ENOMEM, "fw_cfg: item 0x%x (%zu bytes)", key, len);
		memcpy(copy, data, len);
	}
	i = find_key(f, key);
	if (i < 0) {
		if (f->nr_items == FW_CFG_MAX_ITEMS) {
			free(copy);
			pr_err("fw_cfg: more than %u items", FW_CFG_MAX_ITEMS);
			return -ENOSPC;
		}
		i = (int)f->nr_items++;
	}
	it = &f->items[i];
	free(it->data);
	*it = (struct fw_cfg_item){ .key = key, .writable = writable, .data = copy, .size = (uint32_t)len };
	if (name)
		strcpy(it->name, name);    /* length checked by fw_cfg_add_file */
	return 0;
}

/* FW_CFG_FILE_DIR: be32 count, then one big-endian entry per file in key order (fw_cfg.rst "File Directory"). */
static int rebuild_dir(struct fw_cfg *f)
{
	size_t len = 4 + (size_t)f->nr_files * sizeof(struct fw_cfg_file);
	uint8_t dir[4 + FW_CFG_MAX_FILES * sizeof(struct fw_cfg_file)];
	uint32_t count = htobe32(f->nr_files);
	unsigned int n = 0;

	memset(dir, 0, sizeof(dir));
	memcpy(dir, &count, 4);
	for (unsigned int k = 0; k < f->nr_files; k++) {
		int i = find_key(f, (uint16_t)(FW_CFG_FILE_FIRST + k));
		struct fw_cfg_file e = { 0 };

		if (i < 0)
			continue;
		e.size = htobe32(f->items[i].size);
		e.select = htobe16(f->items[i].key);
		memcpy(e.name, f->items[i].name, sizeof(e.name));
		memcpy(dir + 4 + n++ * sizeof(e), &e, sizeof(e));
	}
	return set_item(f, FW_CFG_FILE_DIR, dir, len, false, NULL);
}

int fw_cfg_init(struct fw_cfg *f, struct guest_mem *mem)
{
	int r;

	memset(f, 0, sizeof(*f));
	r = pthread_mutex_init(&f->lock, NULL);
	if (r)
		return err_num(r, "fw_cfg: pthread_mutex_init");
	f->mem = mem;
	f->cur = -1;
	r = set_item(f, FW_CFG_SIGNATURE, "QEMU", 4, false, NULL);
	if (!r)
		r = fw_cfg_add_u32(f, FW_CFG_ID, FW_CFG_VERSION | FW_CFG_VERSION_DMA);
	if (!r)
		r = rebuild_dir(f);
	if (r)
		fw_cfg_destroy(f);
	return r;
}

void fw_cfg_destroy(struct fw_cfg *f)
{
	for (unsigned int i = 0; i < f->nr_items; i++)
		free(f->items[i].data);
	f->nr_items = f->nr_files = 0;
	pthread_mutex_destroy(&f->lock);
}

int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
	uint16_t k = key & (uint16_t)~FW_CFG_WRITE_CHANNEL;

	if (k != key || (k >= FW_CFG_FILE_FIRST && k < FW_CFG_ARCH_LOCAL) || k == FW_CFG_FILE_DIR) {
		pr_err("fw_cfg: key 0x%x is not a standard or arch-local key", key);
		return -EINVAL;
	}
	return set_item(f, key, data, len, false, NULL);
}

int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v)
{
	uint16_t le = htole16(v);

	return fw_cfg_add_bytes(f, key, &le, sizeof(le));
}

int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v)
{
	uint32_t le = htole32(v);

	return fw_cfg_add_bytes(f, key, &le, sizeof(le));
}

int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v)
{
	uint64_t le = htole64(v);

	return fw_cfg_add_bytes(f, key, &le, sizeof(le));
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len, bool writable)
{
	int r;

	if (!name || !*name || strlen(name) >= FW_CFG_MAX_FILE_PATH) {
		pr_err("fw_cfg: file name '%s' is empty or longer than %d bytes", name ? name : "", FW_CFG_MAX_FILE_PATH - 1);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < f->nr_items; i++) {
		if (f->items[i].key >= FW_CFG_FILE_FIRST && f->items[i].key < FW_CFG_ARCH_LOCAL &&
		    !strcmp(f->items[i].name, name)) {
			pr_err("fw_cfg: file %s added twice", name);
			return -EEXIST;
		}
	}
	if (f->nr_files == FW_CFG_MAX_FILES) {
		pr_err("fw_cfg: more than %u files", FW_CFG_MAX_FILES);
		return -ENOSPC;
	}
	r = set_item(f, (uint16_t)(FW_CFG_FILE_FIRST + f->nr_files), data, len, writable, name);
	if (r)
		return r;
	f->nr_files++;
	return rebuild_dir(f);
}

const uint8_t *fw_cfg_file(struct fw_cfg *f, const char *name, uint32_t *size)
{
	for (unsigned int i = 0; i < f->nr_items; i++) {
		const struct fw_cfg_item *it = &f->items[i];

		if (it->key >= FW_CFG_FILE_FIRST && it->key < FW_CFG_ARCH_LOCAL && !strcmp(it->name, name)) {
			*size = it->size;
			return it->data;
		}
	}
	return NULL;
}

/* Selector write: bit 14 (write mode) does not change which item is read (fw_cfg.rst selector). */
static void select_key(struct fw_cfg *f, uint16_t key)
{
	f->cur = find_key(f, key & (uint16_t)~FW_CFG_WRITE_CHANNEL);
	f->offset = 0;
}

/* Data register reads: the next bytes of the item; past its end (or with no item) zeros. */
static void data_read(struct fw_cfg *f, uint8_t *data, uint32_t len)
{
	const struct fw_cfg_item *it = f->cur >= 0 ? &f->items[f->cur] : NULL;

	for (uint32_t i = 0; i < len; i++) {
		if (it && f->offset < it->size)
			data[i] = it->data[f->offset++];
		else
			data[i] = 0;
	}
}

/*
 * One DMA transfer of LEN bytes at guest ADDR (fw_cfg.rst "Guest-side DMA Interface"), OP one of
 * READ, WRITE, SKIP. Reads past the item's end fill zeros; a write must fit the item and the item
 * must be writable. The guest range must lie in RAM. Returns false when the error bit is to be set.
 */
static bool dma_transfer(struct fw_cfg *f, uint32_t op, uint32_t len, uint64_t addr)
{
	struct fw_cfg_item *it = f->cur >= 0 ? &f->items[f->cur] : NULL;
	uint32_t avail = it && f->offset < it->size ? it->size - f->offset : 0;
	uint32_t n = len < avail ? len : avail;
	uint8_t *p = NULL;

	if (op != FW_CFG_DMA_CTL_SKIP && len) {
		p = gmem_ptr(f->mem, addr, len);
		if (!p) {
			pr_debug("fw_cfg: DMA buffer 0x%llx+0x%x is not guest RAM", (unsigned long long)addr, len);
			return false;
		}
	}
	switch (op) {
	case FW_CFG_DMA_CTL_READ:
		if (n)
			memcpy(p, it->data + f->offset, n);
		if (len > n)
			memset(p + n, 0, len - n);
		break;
	case FW_CFG_DMA_CTL_WRITE:
		if (!it || !it->writable || n != len) {
			pr_debug("fw_cfg: DMA write of %u bytes to key 0x%x refused", len, it ? it->key : 0xffff);
			return false;
		}
		if (n)
			memcpy(it->data + f->offset, p, n);
		break;
	default:   /* SKIP */
		break;
	}
	f->offset += n;
	return true;
}

/* The DMA address register was written: run the FWCfgDmaAccess at ADDR, then complete it in place. */
static void dma_run(struct fw_cfg *f, uint64_t addr)
{
	struct { uint32_t control, length; uint64_t address; } __attribute__((packed)) d;
	uint32_t control, op, done = 0;

	if (gmem_read(f->mem, addr, &d, sizeof(d))) {
		/* There is no descriptor to report the error in: nothing happens. */
		pr_debug("fw_cfg: DMA descriptor at 0x%llx is not guest RAM", (unsigned long long)addr);
		f->dma_errors++;
		return;
	}
	f->dma_ops++;
	control = be32toh(d.control);
	if (control & FW_CFG_DMA_CTL_SELECT)
		select_key(f, (uint16_t)(control >> 16));
	/* One operation per descriptor, READ taking precedence as in QEMU; none is a plain select. */
	if (control & FW_CFG_DMA_CTL_READ)
		op = FW_CFG_DMA_CTL_READ;
	else if (control & FW_CFG_DMA_CTL_WRITE)
		op = FW_CFG_DMA_CTL_WRITE;
	else if (control & FW_CFG_DMA_CTL_SKIP)
		op = FW_CFG_DMA_CTL_SKIP;
	else
		op = 0;
	if (op && !dma_transfer(f, op, be32toh(d.length), be64toh(d.address))) {
		done = htobe32(FW_CFG_DMA_CTL_ERROR);
		f->dma_errors++;
	}
	/* Completion: control reads 0, or only the error bit (fw_cfg.rst). The descriptor was RAM above. */
	gmem_write(f->mem, addr, &done, sizeof(done));
}

/* The DMA address register (big-endian): BYTE offset 0..7, the low half's write starting a transfer. */
static void dma_reg(struct fw_cfg *f, unsigned int off, uint8_t *data, uint32_t len, bool is_write)
{
	static const char sig[8] = "QEMU CFG";
	uint64_t v = 0;

	if (!is_write) {
		/* Reads give the DMA signature, for firmware that probes the register (fw_cfg.rst). */
		for (uint32_t i = 0; i < len; i++)
			data[i] = off + i < 8 ? (uint8_t)sig[off + i] : 0;
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		v = v << 8 | data[i];
	if (off == 0 && len == 8) {
		dma_run(f, v);
	} else if (off == 0 && len == 4) {
		f->dma_hi = (uint32_t)v;
	} else if (off == 4 && len == 4) {
		dma_run(f, (uint64_t)f->dma_hi << 32 | v);
		f->dma_hi = 0;   /* a following 32-bit-only write starts from a zero high half */
	} else {
		pr_debug("fw_cfg: %u-byte DMA register write at +%u ignored", len, off);
	}
}

void fw_cfg_pio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct fw_cfg *f = opaque;

	pthread_mutex_lock(&f->lock);
	if (offset == 0 && len == 2) {
		if (is_write)
			select_key(f, (uint16_t)(data[0] | data[1] << 8));   /* little-endian on I/O ports */
		else
			data[0] = data[1] = 0;   /* write-only */
	} else if (offset == 1 && len == 1) {
		if (!is_write)
			data_read(f, data, 1);
	} else if (offset >= 4 && offset + len <= FW_CFG_PIO_LEN && (len == 4 || len == 8) && !(offset & 3)) {
		dma_reg(f, (unsigned int)offset - 4, data, len, is_write);
	} else if (!is_write) {
		memset(data, 0, len <= 8 ? len : 8);
	}
	pthread_mutex_unlock(&f->lock);
}

void fw_cfg_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct fw_cfg *f = opaque;

	if (len != 1 && len != 2 && len != 4 && len != 8) {
		if (!is_write)
			memset(data, 0, len <= 8 ? len : 8);
		return;
	}
	pthread_mutex_lock(&f->lock);
	if (offset + len <= 8 && !offset) {
		/* Data: 1-8 bytes in the item's byte order at the lowest address (big-endian register). */
		if (!is_write)
			data_read(f, data, len);
	} else if (offset == 8 && len == 2) {
		if (is_write)
			select_key(f, (uint16_t)(data[0] << 8 | data[1]));   /* big-endian on MMIO */
		else
			data[0] = data[1] = 0;
	} else if (offset >= 16 && offset + len <= FW_CFG_MMIO_LEN && len >= 4 && !(offset & (len - 1))) {
		dma_reg(f, (unsigned int)offset - 16, data, len, is_write);
	} else if (!is_write) {
		memset(data, 0, len);
	}
	pthread_mutex_unlock(&f->lock);
}
