// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk (virtio 1.2 5.2) backed by a raw file or block device. Requests are validated (header
 * and status present, 512-byte multiples, sector range inside the capacity) and run as io_uring
 * readv/writev/fsync on the event loop; the completion writes the status byte, the used ring and
 * fires the queue's vector. At most BLK_MAX_INFLIGHT requests are in flight; the rest wait in the
 * ring until one completes. A driver reset with requests in flight is held (device_status reads
 * non-zero) until they are cancelled or complete: no DMA of theirs lands once the reset is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio.h"
#include "devices/virtio_pci_state.h"
#include "liveupdate/state_format.h"
#include "vmm/config.h"
#include "vmm/evloop.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define BLK_QUEUE_SIZE 256
#define BLK_MAX_INFLIGHT 64
#define BLK_SECTOR 512ULL
#define BLK_HDR_LEN 16          /* struct virtio_blk_outhdr (5.2.6) */

struct virtio_blk;

struct blk_req {
	struct virtio_blk *b;
	struct ev_op op;
	bool busy;
	unsigned int gen;           /* reset generation it was started in */
	uint32_t type;
	uint64_t expect;            /* bytes the I/O must transfer */
	uint32_t used_len;
	struct virtq_elem e;
	struct iovec data[VIRTQ_MAX_SEGS];
};

struct virtio_blk {
	struct virtio_dev v;        /* first: the transport frees us through it */
	unsigned int idx;           /* --disk index: "diskN", the "virtio-blk" section's instance */
	struct virtio_blk_config cfg;
	int fd;                     /* registered in FDS (FD_DISK "diskN") */
	struct fdtab *fds;
	int file;                   /* fd's fixed-file slot in the loop's ring (I/O goes through it only) */
	bool ro;
	bool retry_pending;
	char name[24];
	char id[VIRTIO_BLK_ID_BYTES];
	uint64_t sectors;
	struct blk_req req[BLK_MAX_INFLIGHT];
};

static void blk_process(struct virtio_blk *b);

static bool any_busy(struct virtio_blk *b)
{
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++)
		if (b->req[i].busy)
			return true;
	return false;
}

static struct blk_req *free_req(struct virtio_blk *b)
{
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++)
		if (!b->req[i].busy)
			return &b->req[i];
	return NULL;
}

/* Writes the status byte (the last writable byte, 5.2.6) and returns the chain. */
static void finish(struct virtio_blk *b, struct blk_req *r, uint8_t status)
{
	virtq_elem_write(&r->e, r->e.in_len - 1, &status, 1);
	virtq_push(&b->v.q[0].vq, r->e.head, r->used_len + 1);
	r->busy = false;
}

static void io_done(void *opaque, int res)
{
	struct blk_req *r = opaque;
	struct virtio_blk *b = r->b;
	uint8_t status = VIRTIO_BLK_S_OK;

	pthread_mutex_lock(&b->v.lock);
	if (r->gen != b->v.reset_gen || !virtio_queue_ready(&b->v, 0)) {
		/* The driver reset the device meanwhile: the chain is no longer ours to complete. Its
		 * DMA is over now; the last one of them completes the held reset. */
		r->busy = false;
		if (b->v.reset_held && !any_busy(b))
			virtio_reset_done(&b->v);
		pthread_mutex_unlock(&b->v.lock);
		return;
	}
	if (res < 0 || (uint64_t)res != r->expect) {
		pr_debug("%s: request type %u: %d of %llu bytes", b->name, r->type, res, (unsigned long long)r->expect);
		status = VIRTIO_BLK_S_IOERR;
		r->used_len = 0;
	}
	finish(b, r, status);
	virtio_queue_interrupt(&b->v, 0);
	blk_process(b);     /* requests may be waiting for a free slot */
	pthread_mutex_unlock(&b->v.lock);
}

/* Returns 1 when completed synchronously, 0 when submitted, -EAGAIN when the ring is full. */
static int blk_start(struct virtio_blk *b, struct blk_req *r)
{
	struct virtio_blk_outhdr hdr;
	struct io_uring_sqe *sqe;
	uint64_t len, sector;
	bool in;
	int n;

	r->used_len = 0;
	if (r->e.faulted) {
		/* A buffer's IOVA faulted (the vIOMMU recorded the event): fail the request, 5.2.6. */
		finish(b, r, VIRTIO_BLK_S_IOERR);
		return 1;
	}
	virtq_elem_read(&r->e, 0, &hdr, sizeof(hdr));
	r->type = hdr.type;
	sector = hdr.sector;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		in = r->type == VIRTIO_BLK_T_IN;
		if (!in && b->ro)
			break;
		len = in ? r->e.in_len - 1 : r->e.out_len - BLK_HDR_LEN;
		/* 5.2.6.1: whole sectors, inside the disk; written without overflow. */
		if (len % BLK_SECTOR || sector > b->sectors || len / BLK_SECTOR > b->sectors - sector) {
			pr_debug("%s: request sector %llu +%llu bytes rejected", b->name, (unsigned long long)sector,
				 (unsigned long long)len);
			break;
		}
		if (!len)
			return finish(b, r, VIRTIO_BLK_S_OK), 1;
		n = virtq_elem_slice(&r->e, in, in ? 0 : BLK_HDR_LEN, len, r->data, VIRTQ_MAX_SEGS);
		if (n <= 0)
			break;
		sqe = evloop_sqe(b->v.vm->loop, &r->op);
		if (!sqe)
			return -EAGAIN;
		if (in)
			io_uring_prep_readv(sqe, b->file, r->data, (unsigned int)n, sector * BLK_SECTOR);
		else
			io_uring_prep_writev(sqe, b->file, r->data, (unsigned int)n, sector * BLK_SECTOR);
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
		r->expect = len;
		r->used_len = in ? (uint32_t)len : 0;
		return 0;
	case VIRTIO_BLK_T_FLUSH:
		/* 5.2.6.2: completed writes are durable once the flush completes. */
		sqe = evloop_sqe(b->v.vm->loop, &r->op);
		if (!sqe)
			return -EAGAIN;
		io_uring_prep_fsync(sqe, b->file, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
		r->expect = 0;
		return 0;
	case VIRTIO_BLK_T_GET_ID:
		/* 5.2.6: up to 20 bytes, not NUL-terminated when all are used. */
		r->used_len = (uint32_t)virtq_elem_write(&r->e, 0, b->id,
							 r->e.in_len - 1 < sizeof(b->id) ? r->e.in_len - 1 : sizeof(b->id));
		finish(b, r, VIRTIO_BLK_S_OK);
		return 1;
	default:
		finish(b, r, VIRTIO_BLK_S_UNSUPP);
		return 1;
	}
	finish(b, r, VIRTIO_BLK_S_IOERR);
	return 1;
}

static void retry(void *opaque, int res)
{
	struct virtio_blk *b = opaque;

	pthread_mutex_lock(&b->v.lock);
	b->retry_pending = false;
	if (virtio_queue_ready(&b->v, 0))
		blk_process(b);
	pthread_mutex_unlock(&b->v.lock);
}

/* Loop thread, device lock held. */
static void blk_process(struct virtio_blk *b)
{
	struct virtq *q = &b->v.q[0].vq;
	unsigned int budget = VIRTIO_QUEUE_BUDGET;
	bool pushed = false;
	struct blk_req *r;

	while (virtio_queue_ready(&b->v, 0) && (r = free_req(b))) {
		int ret;

		if (!budget--) {
			/* Requests that complete at once (GET_ID, errors) free their slot: bound the turn. */
			virtio_queue_kick(&b->v, 0);
			break;
		}
		ret = virtq_pop(q, &r->e);

		if (!ret)
			break;
		if (ret < 0 || r->e.out_len < BLK_HDR_LEN || r->e.in_len < 1) {
			/* No header or no status byte: nothing sensible to answer (5.2.6.1). */
			pr_debug("%s: malformed request chain", b->name);
			virtio_set_needs_reset(&b->v);
			break;
		}
		r->busy = true;
		r->gen = b->v.reset_gen;
		ret = blk_start(b, r);
		if (ret == -EAGAIN) {
			r->busy = false;
			virtq_unpop(q);
			if (!b->retry_pending && !evloop_call(b->v.vm->loop, retry, b))
				b->retry_pending = true;
			break;
		}
		pushed |= ret == 1;
	}
	if (pushed)
		virtio_queue_interrupt(&b->v, 0);
}

static void blk_notify(struct virtio_dev *v, unsigned int q)
{
	blk_process((struct virtio_blk *)v);
}

/* Loop thread: cancels what a held reset waits for; each still completes through io_done. */
static void cancel_stale(void *opaque, int res)
{
	struct virtio_blk *b = opaque;

	pthread_mutex_lock(&b->v.lock);
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++) {
		struct blk_req *r = &b->req[i];

		/* Only the reset's own: a slot busy in the current generation is a new request. */
		if (r->busy && r->gen != b->v.reset_gen && evloop_cancel(b->v.vm->loop, &r->op))
			pr_debug("%s: cannot cancel a request: the reset waits for it", b->name);
	}
	pthread_mutex_unlock(&b->v.lock);
}

/*
 * vCPU thread, lock held, after a reset: requests in flight hold it. The wait is bounded by the
 * requests themselves (file or block-device I/O, cancelled when the kernel still can), and no
 * thread blocks on it: the driver polls device_status, io_done completes the reset.
 */
static bool blk_reset_busy(struct virtio_dev *v)
{
	struct virtio_blk *b = (struct virtio_blk *)v;

	if (!any_busy(b))
		return false;
	if (evloop_call(v->vm->loop, cancel_stale, b))
		pr_debug("%s: cannot queue the cancellation: the reset waits for the requests", b->name);
	return true;
}

/*
 * Live update, the old process, lock held, the loop held and drained: every request in flight has
 * completed in the kernel and its completion waits, unhandled, in the loop. Saved is what io_done
 * would do with it (the status and length), for the new process to complete (virtio_pci_state.h).
 */
static int blk_lu_save(struct virtio_dev *v, struct lu_writer *w)
{
	struct virtio_blk *b = (struct virtio_blk *)v;
	struct virtio_blk_saved *s = calloc(1, sizeof(*s));

	if (!s)
		return err_num(ENOMEM, "%s: saving its state", b->name);
	s->sectors = b->sectors;
	s->ro = b->ro;
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++) {
		struct blk_req *r = &b->req[i];
		int res;

		/* From before a driver reset, or a queue that broke since: io_done would drop it. */
		if (!r->busy || r->gen != v->reset_gen || !virtio_queue_ready(v, 0))
			continue;
		if (evloop_kept_result(v->vm->loop, &r->op, &res)) {
			free(s);
			return err_num(EBUSY, "%s: request %u (head %u) has not completed", b->name, i, r->e.head);
		}
		s->done[s->nr_done].head = r->e.head;
		if (res < 0 || (uint64_t)res != r->expect) {
			s->done[s->nr_done].status = VIRTIO_BLK_S_IOERR;
			s->done[s->nr_done].used_len = 0;
		} else {
			s->done[s->nr_done].status = VIRTIO_BLK_S_OK;
			s->done[s->nr_done].used_len = r->used_len;
		}
		s->nr_done++;
	}
	if (s->nr_done)
		pr_info("%s: %u request(s) in flight at the pause, completed by the next process", b->name, s->nr_done);
	virtio_blk_state_put(w, b->idx, s);
	free(s);
	return lu_writer_end(w);
}

/* The new process, lock held, transport restored: completes the requests the old one had finished. */
static int blk_lu_restore(struct virtio_dev *v, const struct lu_state *st, char *why, size_t why_size)
{
	struct virtio_blk *b = (struct virtio_blk *)v;
	const struct lu_section *sec = lu_state_find(st, VIRTIO_BLK_STATE_TYPE, b->idx);
	struct virtio_blk_saved *s = malloc(sizeof(*s));
	struct virtq_elem *e = malloc(sizeof(*e));
	struct virtq *q = &v->q[0].vq;
	int r = -ENOMEM;

	if (!s || !e)
		goto out;
	if (!sec) {
		snprintf(why, why_size, "%s: no saved state", b->name);
		r = -EINVAL;
		goto out;
	}
	r = virtio_blk_state_decode(sec, s, why, why_size);
	if (r)
		goto out;
	r = -EINVAL;
	if (s->sectors != b->sectors || s->ro != b->ro) {
		snprintf(why, why_size, "%s: a disk of %" PRIu64 " sectors%s was saved, this one has %" PRIu64 "%s",
			 b->name, s->sectors, s->ro ? " (read-only)" : "", b->sectors, b->ro ? " (read-only)" : "");
		goto out;
	}
	if (s->nr_done && !virtio_queue_ready(v, 0)) {
		snprintf(why, why_size, "%s: %u completions saved for a queue that is not running", b->name, s->nr_done);
		goto out;
	}
	for (uint32_t i = 0; i < s->nr_done; i++) {
		uint8_t status = s->done[i].status;

		/* The chain as the previous process popped it: the status byte is its last writable one. */
		if (virtq_elem_at(q, s->done[i].head, e) != 1 || e->in_len < 1 ||
		    s->done[i].used_len > e->in_len - 1) {
			snprintf(why, why_size, "%s: saved request at head %u is no chain of %u+1 writable bytes", b->name,
				 s->done[i].head, s->done[i].used_len);
			goto out;
		}
		virtq_elem_write(e, e->in_len - 1, &status, 1);
		virtq_push(q, e->head, s->done[i].used_len + 1);
	}
	if (s->nr_done)
		virtio_queue_interrupt(v, 0);
	r = 0;
out:
	free(s);
	free(e);
	return r;
}

static void blk_destroy(struct virtio_dev *v)
{
	struct virtio_blk *b = (struct virtio_blk *)v;

	virtio_pci_fini(v);
	evloop_file_remove(v->vm->loop, b->file);
	fdtab_close(b->fds, b->fd);
	free(b);
}

static const struct virtio_dev_ops blk_ops = {
	.queue_notify = blk_notify,
	.reset_busy = blk_reset_busy,
	.lu_save = blk_lu_save,
	.lu_restore = blk_lu_restore,
	.destroy = blk_destroy,
};

static int disk_open(struct virtio_blk *b, const struct disk_config *disk, unsigned int index)
{
	struct vm *vm = b->v.vm;
	struct stat st;
	uint64_t size;

	/* After a kexec the image is opened again by its path (vm_restore_reopens): sync() ran before it. */
	if (vm->restore && !vm_restore_reopens(vm)) {
		/* A live update by exec: the previous process's fd (its open file holds the image's lock). */
		char name[FDTAB_NAME_LEN];

		snprintf(name, sizeof(name), "disk%u", index);
		b->fd = fdtab_lookup(b->fds, FD_DISK, name);
		if (b->fd < 0) {
			snprintf(vm->restore_why, sizeof(vm->restore_why), "the fd of disk %s (%s) was not handed over",
				 name, disk->path);
			return -ENOENT;
		}
		goto opened;
	}
	b->fd = open(disk->path, (disk->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return err_errno("disk %s", disk->path);
	b->fd = fdtab_adoptf(b->fds, b->fd, FD_DISK, "virtio_blk", "disk%u", index);
	if (b->fd < 0)
		return b->fd;
	/* Two writers of one image corrupt it: take the image like QEMU does. */
	if (flock(b->fd, (disk->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return err_errno("disk %s: flock", disk->path);
		pr_err("disk %s: in use (locked by another user of the image)", disk->path);
		return -EBUSY;
	}
opened:
	if (fstat(b->fd, &st) < 0)
		return err_errno("disk %s: stat", disk->path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &size) < 0)
			return err_errno("disk %s: BLKGETSIZE64", disk->path);
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else {
		pr_err("disk %s: not a regular file or block device", disk->path);
		return -EINVAL;
	}
	b->sectors = size / BLK_SECTOR;
	return 0;
}

int virtio_blk_create(struct vm *vm, const struct disk_config *disk, unsigned int index)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	const char *base;
	uint64_t features;
	int r;

	if (!b)
		return err_num(ENOMEM, "disk %s", disk->path);
	b->fds = vm_fdtab(vm);
	b->v.vm = vm;       /* for disk_open; virtio_pci_init sets it again */
	b->idx = index;
	r = disk_open(b, disk, index);
	if (r)
		goto err_free;
	r = evloop_file_add(vm->loop, b->fd);
	if (r < 0)
		goto err_free;
	b->file = r;
	b->ro = disk->readonly;
	snprintf(b->name, sizeof(b->name), "virtio-blk%u", index);
	base = strrchr(disk->path, '/');
	base = base ? base + 1 : disk->path;
	/* 5.2.6: the id is up to 20 bytes, NUL-padded, not necessarily terminated. */
	memcpy(b->id, base, strnlen(base, sizeof(b->id)));
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++)
		b->req[i] = (struct blk_req){ .b = b, .op = { .fn = io_done, .opaque = &b->req[i] } };
	/* 5.2.4: capacity in 512-byte sectors; the chain carries header + data + status. */
	b->cfg.capacity = b->sectors;
	b->cfg.seg_max = VIRTQ_MAX_SEGS - 2;
	b->cfg.blk_size = BLK_SECTOR;
	features = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH |
		   1ULL << VIRTIO_RING_F_INDIRECT_DESC | 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (b->ro)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	r = virtio_pci_init(&b->v, vm, &blk_ops, b->name, VIRTIO_ID_BLOCK, features, 1, BLK_QUEUE_SIZE,
			    (uint8_t *)&b->cfg, sizeof(b->cfg));
	if (r)
		goto err_file;
	r = virtio_pci_add(&b->v);
	if (r) {
		virtio_pci_fini(&b->v);
		goto err_file;
	}
	return 0;
err_file:
	evloop_file_remove(vm->loop, b->file);
err_free:
	/* Restoring, the handed-over fd stays registered: the previous binary takes the VM back with it. */
	if ((!vm->restore || vm_restore_reopens(vm)) && b->fd >= 0)
		fdtab_close(b->fds, b->fd);
	free(b);
	return r;
}
