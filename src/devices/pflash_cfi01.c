// SPDX-License-Identifier: GPL-2.0-only
/*
 * CFI flash, Intel/Sharp command set (see pflash_cfi01.h). Command codes and status bits from the
 * Intel StrataFlash (P30/J3) datasheets; the query table layout from JEDEC JESD68.01 (CFI) and the
 * Intel "Common Flash Interface" application note AP-646 (query offsets 0x10-0x30, in device words).
 */
#include "devices/pflash_cfi01.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/log.h"

enum {
	CMD_READ_ARRAY = 0xff,
	CMD_READ_STATUS = 0x70,
	CMD_CLEAR_STATUS = 0x50,
	CMD_READ_ID = 0x90,
	CMD_CFI_QUERY = 0x98,
	CMD_PROGRAM = 0x40,
	CMD_PROGRAM_ALT = 0x10,
	CMD_BLOCK_ERASE = 0x20,
	CMD_BUFFERED_PROGRAM = 0xe8,
	CMD_LOCK_SETUP = 0x60,
	CMD_CONFIRM = 0xd0,
	CMD_LOCK = 0x01,
};

/* The query table of one device (AP-646 "CFI Query Identification String" to "Device Geometry"). */
static void build_cfi(struct pflash *p)
{
	uint64_t dev_size = p->size / p->nr_dev;
	uint32_t dev_block = p->g.block_size / p->nr_dev;
	uint32_t blocks = (uint32_t)(p->size / p->g.block_size);
	uint8_t *c = p->cfi;

	memset(c, 0, sizeof(p->cfi));
	c[0x10] = 'Q';
	c[0x11] = 'R';
	c[0x12] = 'Y';
	c[0x13] = 0x01;                 /* primary command set: Intel/Sharp extended (0x0001) */
	c[0x15] = 0;                    /* no primary extended query table */
	c[0x1b] = 0x45;                 /* Vcc 4.5-5.5 V, no Vpp */
	c[0x1c] = 0x55;
	c[0x1f] = 0x07;                 /* typical word program 2^7 us, buffer write 2^7 us, block erase 2^10 ms */
	c[0x20] = 0x07;
	c[0x21] = 0x0a;
	c[0x23] = 0x04;                 /* maxima: 2^4 times typical */
	c[0x24] = 0x04;
	c[0x25] = 0x04;
	c[0x27] = (uint8_t)(63 - __builtin_clzll(dev_size));   /* device size 2^n bytes */
	c[0x28] = p->g.device_width == 2 ? 0x01 : 0x00;        /* interface: x16 or x8 async */
	c[0x2a] = 6;                    /* max bytes in a buffered write 2^6 (PFLASH_BUFFER_BYTES) */
	c[0x2c] = 1;                    /* one erase block region */
	c[0x2d] = (uint8_t)(blocks - 1);
	c[0x2e] = (uint8_t)((blocks - 1) >> 8);
	c[0x2f] = (uint8_t)(dev_block >> 8);                   /* block size / 256 */
	c[0x30] = (uint8_t)(dev_block >> 16);
}

int pflash_open(struct pflash *p, const char *name, const char *path, bool readonly, const struct pflash_geom *g,
		uint64_t min_size, pflash_romd_fn romd, void *opaque)
{
	struct stat st;
	uint64_t done = 0;
	int r;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->name = name;
	p->g = *g;
	p->readonly = readonly;
	p->romd = romd;
	p->opaque = opaque;
	if (!g->bank_width || !g->device_width || g->bank_width > 8 || g->bank_width % g->device_width ||
	    !g->block_size || (g->block_size & (g->block_size - 1)) || g->block_size % g->bank_width) {
		pr_err("%s: invalid flash geometry", name);
		return -EINVAL;
	}
	p->nr_dev = g->bank_width / g->device_width;
	p->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (p->fd < 0)
		return err_errno("%s: cannot open %s%s", name, path, readonly ? "" : " for writing");
	if (fstat(p->fd, &st) < 0) {
		r = err_errno("%s: stat %s", name, path);
		goto err;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > PFLASH_MAX_SIZE ||
	    (uint64_t)st.st_size % g->block_size || (uint64_t)st.st_size % (uint64_t)sysconf(_SC_PAGESIZE)) {
		pr_err("%s: %s: %lld bytes is not a flash image (a regular file, a multiple of the %u-byte block, at most %llu MiB)",
		       name, path, (long long)st.st_size, g->block_size, PFLASH_MAX_SIZE >> 20);
		r = -EINVAL;
		goto err;
	}
	if ((uint64_t)st.st_size < min_size) {
		pr_err("%s: %s is %lld bytes; this layout needs %" PRIu64, name, path, (long long)st.st_size, min_size);
		r = -EINVAL;
		goto err;
	}
	p->size = p->file_size = (uint64_t)st.st_size;
	/* Our own copy (not a mapping of the file): the guest sees what it wrote even if a pwrite fails. */
	p->mem = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		r = err_errno("%s: mapping %" PRIu64 " bytes", name, p->size);
		goto err;
	}
	while (done < p->size) {
		ssize_t n = pread(p->fd, p->mem + done, p->size - done, (off_t)done);

		if (n <= 0) {
			r = n < 0 ? err_errno("%s: reading %s", name, path) : -EIO;
			if (!n)
				pr_err("%s: %s shrank while being read", name, path);
			goto err;
		}
		done += (uint64_t)n;
	}
	r = pthread_mutex_init(&p->lock, NULL);
	if (r) {
		r = err_num(r, "%s: pthread_mutex_init", name);
		goto err;
	}
	p->mode = PFLASH_ARRAY;
	p->status = PFLASH_SR_READY;
	build_cfi(p);
	return 0;
err:
	if (p->mem)
		munmap(p->mem, p->file_size);
	p->mem = NULL;
	close(p->fd);
	p->fd = -1;
	return r;
}

int pflash_limit(struct pflash *p, uint64_t size)
{
	if (!size || size > p->file_size || size % p->g.block_size) {
		pr_err("%s: cannot show %" PRIu64 " of its %" PRIu64 " bytes (a whole number of %u-byte blocks)",
		       p->name, size, p->file_size, p->g.block_size);
		return -EINVAL;
	}
	pthread_mutex_lock(&p->lock);
	p->size = size;
	build_cfi(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void sync_file(struct pflash *p)
{
	if (!p->dirty)
		return;
	p->dirty = false;
	if (fsync(p->fd) < 0) {
		p->host_errors++;
		err_errno("%s: fsync", p->name);
	}
}

void pflash_close(struct pflash *p)
{
	if (!p->mem)
		return;
	sync_file(p);
	munmap(p->mem, p->file_size);
	p->mem = NULL;
	close(p->fd);
	p->fd = -1;
	pthread_mutex_destroy(&p->lock);
}

/* Leaving or entering read array mode moves the guest mapping (pflash.h). */
static void set_mode(struct pflash *p, enum pflash_mode m)
{
	bool was = p->mode == PFLASH_ARRAY, now = m == PFLASH_ARRAY;

	p->mode = m;
	if (now)
		sync_file(p);   /* a completed sequence of word programs */
	if (was != now && p->romd)
		p->romd(p->opaque, now);
}

/* The array at [OFF, OFF+LEN) changed: write it through to the file. False on a host error. */
static bool persist(struct pflash *p, uint64_t off, uint64_t len)
{
	while (len) {
		ssize_t n = pwrite(p->fd, p->mem + off, len, (off_t)off);

		if (n <= 0) {
			p->host_errors++;
			if (n < 0)
				err_errno("%s: writing 0x%" PRIx64 "+0x%" PRIx64 " to the vars file", p->name, off, len);
			else
				pr_err("%s: short write to the vars file", p->name);
			return false;
		}
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	p->dirty = true;
	return true;
}

/* Programs LEN bytes at OFF (QEMU and the firmware expect the bytes stored as written). */
static void program(struct pflash *p, uint64_t off, const uint8_t *data, uint32_t len)
{
	if (p->readonly) {
		p->status |= PFLASH_SR_PROGRAM_ERR | PFLASH_SR_LOCKED;
		return;
	}
	memcpy(p->mem + off, data, len);
	if (!persist(p, off, len))
		p->status |= PFLASH_SR_PROGRAM_ERR;
}

static void erase(struct pflash *p, uint64_t off)
{
	uint64_t start = off & ~(uint64_t)(p->g.block_size - 1);

	if (p->readonly) {
		p->status |= PFLASH_SR_ERASE_ERR | PFLASH_SR_LOCKED;
		return;
	}
	memset(p->mem + start, 0xff, p->g.block_size);
	if (!persist(p, start, p->g.block_size))
		p->status |= PFLASH_SR_ERASE_ERR;
	sync_file(p);
}

/* Ends a sequence; status mode shows the result (the firmware polls it, then writes 0xff). */
static void done(struct pflash *p)
{
	p->cmd = 0;
	p->cycle = 0;
	p->status |= PFLASH_SR_READY;
	set_mode(p, PFLASH_STATUS);
}

/* A bad sequence (Intel: "command sequence error" sets both error bits). */
static void sequence_error(struct pflash *p)
{
	p->status |= PFLASH_SR_PROGRAM_ERR | PFLASH_SR_ERASE_ERR;
	done(p);
}

/* The first cycle of a command: CMD is the low byte of the first device's lane. */
static void command(struct pflash *p, uint64_t off, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_ARRAY:
		set_mode(p, PFLASH_ARRAY);
		break;
	case CMD_READ_STATUS:
		set_mode(p, PFLASH_STATUS);
		break;
	case CMD_CLEAR_STATUS:
		/* Clears every bit, the ready bit too (OVMF's flash probe reads 0 next), back to array reads. */
		p->status = 0;
		set_mode(p, PFLASH_ARRAY);
		break;
	case CMD_READ_ID:
		set_mode(p, PFLASH_ID);
		break;
	case CMD_CFI_QUERY:
		set_mode(p, PFLASH_CFI);
		break;
	case CMD_PROGRAM:
	case CMD_PROGRAM_ALT:
	case CMD_BLOCK_ERASE:
	case CMD_LOCK_SETUP:
		p->cmd = cmd;
		p->cycle = 1;
		set_mode(p, PFLASH_STATUS);
		break;
	case CMD_BUFFERED_PROGRAM:
		/* Status reads now say whether the buffer is free (it always is: ready bit). */
		p->cmd = cmd;
		p->cycle = 1;
		p->buf_start = off & ~(uint64_t)(PFLASH_BUFFER_BYTES * p->nr_dev - 1);
		p->status |= PFLASH_SR_READY;
		set_mode(p, PFLASH_STATUS);
		break;
	default:
		pr_debug("%s: unknown command 0x%02x at 0x%" PRIx64 ", back to read array", p->name, cmd, off);
		set_mode(p, PFLASH_ARRAY);
		break;
	}
}

/* The next cycle of a multi-cycle command. */
static void sequence(struct pflash *p, uint64_t off, const uint8_t *data, uint32_t len, uint8_t cmd)
{
	uint32_t words = PFLASH_BUFFER_BYTES * p->nr_dev / p->g.bank_width;

	switch (p->cmd) {
	case CMD_PROGRAM:
	case CMD_PROGRAM_ALT:
		program(p, off, data, len);
		done(p);
		break;
	case CMD_BLOCK_ERASE:
		if (cmd != CMD_CONFIRM) {
			sequence_error(p);
			break;
		}
		erase(p, off);
		done(p);
		break;
	case CMD_LOCK_SETUP:
		/* Lock (0x01) and unlock (0xd0) are accepted: blocks are never locked, read-only flash refuses writes. */
		if (cmd != CMD_LOCK && cmd != CMD_CONFIRM)
			sequence_error(p);
		else
			done(p);
		break;
	case CMD_BUFFERED_PROGRAM:
		if (p->cycle == 1) {
			/* Word count - 1, in the first device's lane (P30 "Buffered Programming"). */
			uint32_t n = data[0] | (p->g.device_width == 2 && len >= 2 ? data[1] << 8 : 0);

			if (n >= words) {
				sequence_error(p);
				break;
			}
			p->count = n + 1;
			p->cycle = 2;
		} else if (p->count) {
			/* Data words must stay in the buffer window chosen at the setup cycle. */
			if (off < p->buf_start || off + len > p->buf_start + PFLASH_BUFFER_BYTES * p->nr_dev) {
				sequence_error(p);
				break;
			}
			program(p, off, data, len);
			p->count--;
		} else {
			if (cmd != CMD_CONFIRM) {
				sequence_error(p);
				break;
			}
			sync_file(p);
			done(p);
		}
		break;
	default:
		sequence_error(p);
		break;
	}
}

/* A trapped read outside read array mode; in ID/CFI mode word I of each device is in its lane. */
static void read_reg(struct pflash *p, uint64_t off, uint8_t *data, uint32_t len)
{
	uint64_t word = off / p->g.bank_width;
	unsigned int lane0 = (unsigned int)(off % p->g.bank_width);

	for (uint32_t i = 0; i < len; i++) {
		unsigned int lane = (lane0 + i) % p->g.bank_width;
		bool low = lane % p->g.device_width == 0;   /* the low byte of a device's lane carries the data */
		uint8_t v = 0;

		switch (p->mode) {
		case PFLASH_STATUS:
			v = low ? p->status : 0;
			break;
		case PFLASH_ID:
			/* Word 0 manufacturer, 1 device, 2 of every block its lock state (never locked). */
			switch (word % (p->g.block_size / p->g.bank_width)) {
			case 0: v = low && word == 0 ? PFLASH_MANUFACTURER : 0; break;
			case 1: v = low && word == 1 ? PFLASH_DEVICE_ID : 0; break;
			default: v = 0; break;
			}
			break;
		case PFLASH_CFI:
			v = low && word < PFLASH_CFI_LEN ? p->cfi[word] : 0;
			break;
		case PFLASH_ARRAY:
			v = p->mem[off + i];
			break;
		}
		data[i] = v;
	}
}

void pflash_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct pflash *p = opaque;

	if (!len || len > 8 || offset >= p->size || len > p->size - offset) {
		if (!is_write)
			memset(data, 0xff, len <= 8 ? len : 8);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if (!is_write)
		read_reg(p, offset, data, len);
	else if (p->cmd)
		sequence(p, offset, data, len, data[0]);
	else
		command(p, offset, data[0]);
	pthread_mutex_unlock(&p->lock);
}
