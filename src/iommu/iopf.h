/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The I/O page fault service of the vIOMMU core: one iommufd FAULT object (fault_queue.h) per VM,
 * whose id the HWPTs of devices with PRI/stall in the guest's stage are allocated with
 * (IOMMU_HWPT_FAULT_ID_VALID; since Linux 6.15 a nesting parent may not carry one). Its fd is read
 * on the event loop; each page request group (records up to IOMMU_PGFAULT_FLAGS_LAST_PAGE) is mapped
 * from the host device (dev_id) to the guest's stream id and handed to the device's front-end
 * (struct iopf_frontend: SMMUv3 PRIQ, smmuv3_priq.c; VT-d page request queue, vtd_prq.c), whose guest
 * answers through iopf_respond(), which writes struct iommu_hwpt_page_response with the group's
 * cookie. Front-ends only encode and decode their own queue entries.
 *
 * The kernel always gets an answer, and what nestvm keeps is bounded:
 *   - at most IOPF_MAX_PER_DEV groups per device and IOPF_MAX_TOTAL in all await the guest; a group
 *     beyond that is answered at once with IOMMUFD_PAGE_RESP_SUCCESS (the function retries and asks
 *     again later, as after an SMMUv3 PRIQ overflow, IHI 0070 8.1) and the front-end told (lost);
 *   - a group of more than IOPF_GROUP_PAGES page requests is answered IOMMUFD_PAGE_RESP_INVALID
 *     without reaching the guest (no guest queue could be made to take it whole);
 *   - a group the guest has not answered after the timeout (iopf_create; IOPF_TIMEOUT_MS by
 *     default) is answered IOMMUFD_PAGE_RESP_INVALID, and a late guest answer is ignored (counted);
 *   - a group of a device that leaves (iopf_remove_device) or of a VM that stops (iopf_destroy) is
 *     answered IOMMUFD_PAGE_RESP_INVALID ("Invalid Request", PCIe 10.4.2.1: do not retry);
 *   - a group of a dev_id no front-end registered is answered IOMMUFD_PAGE_RESP_INVALID.
 *
 * Threads: the fd and the timer are served on the event loop; iopf_respond comes from a vCPU (the
 * front-end's command queue, under the front-end's lock). Lock order: front-end, then the service;
 * the service never calls a front-end with its own lock held.
 */
#ifndef NESTVM_IOMMU_IOPF_H
#define NESTVM_IOMMU_IOPF_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;
struct fdtab;
struct iopf;
struct lu_section;
struct lu_writer;

#define IOPF_MAX_DEVS 16
#define IOPF_GROUP_PAGES 16         /* page requests of one group passed to the guest */
#define IOPF_MAX_PER_DEV 32         /* groups of one device awaiting the guest's answer */
#define IOPF_MAX_TOTAL 128          /* groups awaiting the guest's answer in all */
#define IOPF_TIMEOUT_MS 5000        /* default: a group the guest leaves unanswered this long is answered INVALID */
#define IOPF_LAT_RING 1024          /* service times kept for the latency figures (the last ones) */
#define IOPF_READ_BATCH 256         /* records per read(); the kernel never splits a group across reads,
				     * so a larger group cannot be read: reported, and the queue stops */

/* Why a group was answered (counters, messages). */
enum iopf_reason {
	IOPF_BY_GUEST,              /* the guest's own response */
	IOPF_BY_OVERFLOW,           /* the guest's queue was full or off (the front-end's code) */
	IOPF_BY_LIMIT,              /* nestvm's bounds (IOPF_MAX_PER_DEV / IOPF_MAX_TOTAL / IOPF_GROUP_PAGES) */
	IOPF_BY_TIMEOUT,            /* the guest did not answer in time */
	IOPF_BY_REMOVAL,            /* the device left */
	IOPF_BY_SHUTDOWN,           /* the VM stopped */
	IOPF_BY_UNKNOWN,            /* no front-end for the device */
	IOPF_NR_REASONS,
};

struct iopf_page {
	uint64_t addr;              /* the page address (bits below the page size are 0 from PRI) */
	uint32_t perm;              /* IOMMU_PGFAULT_PERM_* */
};

/* One page request group, in the guest's terms (SID) and the host's (DEV_ID). */
struct iopf_group {
	uint32_t dev_id, sid;
	bool pasid_valid;
	uint32_t pasid;
	uint32_t grpid;             /* PCIe PRG index (9 bits on PCIe; the kernel passes 32) */
	unsigned int nr;            /* page requests, 1..IOPF_GROUP_PAGES; the last ends the group */
	struct iopf_page page[IOPF_GROUP_PAGES];
};

/* What a front-end does for the service; FE is what it registered the device with. */
struct iopf_frontend {
	/*
	 * Puts G into the guest's queue (called without the service's lock). true: queued, the guest
	 * answers with iopf_respond (maybe before this returns). false: not queued; *CODE is the answer
	 * the front-end's spec has the hardware give (IOMMUFD_PAGE_RESP_*), which the service writes.
	 */
	bool (*deliver)(void *fe, const struct iopf_group *g, uint32_t *code);
	/* Optional: a group of FE's device was answered by IOPF_BY_LIMIT without reaching the guest. */
	void (*lost)(void *fe, uint32_t sid);
};

/*
 * A FAULT object on IOMMUFD with its fd watched on LOOP and owned by FDS (as IOPF_FD_NAME: it
 * crosses a live update); TIMEOUT_MS 0 means IOPF_TIMEOUT_MS. Reported on failure (nothing left
 * behind).
 */
int iopf_create(int iommufd, struct fdtab *fds, struct evloop *loop, unsigned int timeout_ms, struct iopf **out);
/*
 * The same over an existing fault fd FD (ours from now on, also on failure) with object id ID:
 * IOMMUFD -1 means there is no object to destroy, LOOP NULL that nothing watches the fd nor arms a
 * timer (the caller drives iopf_read and iopf_expire: unit tests).
 */
int iopf_create_fd(int iommufd, uint32_t id, int fd, struct evloop *loop, unsigned int timeout_ms, struct iopf **out);
/*
 * The VM stops: every group still awaiting the guest is answered (IOPF_BY_SHUTDOWN). Groups that
 * arrive later are answered the same way; the kernel answers the ones it still holds itself when
 * the device leaves the fault-capable HWPT or the FAULT object goes.
 */
void iopf_answer_all(struct iopf *f);
/* iopf_answer_all, then the fd is closed and the object destroyed (its HWPTs must be gone). NULL: no-op. */
void iopf_destroy(struct iopf *f);
/* The FAULT object's id, for IOMMU_HWPT_ALLOC's fault_id. */
uint32_t iopf_fault_id(const struct iopf *f);
/* Host device DEV_ID is guest stream SID of front-end OPS/FE. -ENOSPC (reported), -EEXIST. */
int iopf_add_device(struct iopf *f, uint32_t dev_id, uint32_t sid, const struct iopf_frontend *ops, void *fe);
/* Stream SID's device left: its groups are answered (IOPF_BY_REMOVAL), its faults no longer routed. */
void iopf_remove_device(struct iopf *f, uint32_t sid);
/*
 * The guest answered page request group GRPID of stream SID with CODE (IOMMUFD_PAGE_RESP_*): the
 * oldest such group awaiting an answer gets it. 0; -ENOENT when none awaits (a late or made-up
 * answer: ignored, counted); -errno when the kernel refused the write (reported).
 */
int iopf_respond(struct iopf *f, uint32_t sid, uint32_t grpid, uint32_t code);
/* One read() of the fault fd and the groups it completes (the loop's handler; tests call it). 0, or -errno. */
int iopf_read(struct iopf *f);
/* Answers the groups older than the timeout at NOW_MS (iopf_now_ms()); returns how many. */
unsigned int iopf_expire(struct iopf *f, uint64_t now_ms);
uint64_t iopf_now_ms(void);
/* Groups awaiting the guest's answer (of SID; UINT32_MAX: all). */
unsigned int iopf_pending(struct iopf *f, uint32_t sid);
/*
 * The service time of the last IOPF_LAT_RING groups the guest answered: from the return of the
 * read() of the fault fd that brought the group to the page response write the kernel took
 * (CLOCK_MONOTONIC, microseconds; median and p99 by nearest rank). The time from the device's fault
 * to that read (the loop's wake-up) is not in it. All 0 when there is none yet.
 */
struct iopf_latency {
	unsigned int n;
	uint32_t median, p99, max;
};
void iopf_latency(struct iopf *f, struct iopf_latency *l);
/* The counters (vm.viommu "iopf"): groups, answers by reason and code, late answers, then
 * "latency_us" {n, median, p99, max} (iopf_latency). */
void iopf_describe(struct iopf *f, json_object *o);
/* The answers given for REASON so far. */
uint64_t iopf_count(struct iopf *f, enum iopf_reason reason);

/*
 * Live update by re-exec (docs/liveupdate.md, docs/iopf.md). The FAULT object stays alive in the
 * handed-over iommufd and its fd crosses the exec in the fd table: groups the kernel delivered to
 * the old process are answered by the new one with their cookies, and groups it queued meanwhile
 * wait in the fd. What the service knows of each group awaiting the guest goes along; the
 * front-end's queue (its registers, the entries in guest RAM) is the front-end's section:
 *
 *   "iopf", instance 0, version 1, mandatory: u32 FAULT object id (non-zero), u32 answer timeout
 *   in ms (non-zero), u32 groups awaiting the guest (at most IOPF_MAX_TOTAL, IOPF_MAX_PER_DEV per
 *   stream), each u32 iommufd device id, u32 guest stream id, u32 PRG index, u32 cookie (distinct),
 *   u32 age in ms (how long it has waited; the pause does not count); in arrival order; then u64
 *   groups, late answers, refused writes, answers by reason (IOPF_NR_REASONS) and by code (2).
 */
#define IOPF_STATE_TYPE "iopf"
#define IOPF_STATE_VERSION 1
#define IOPF_FD_NAME "fault"

struct iopf_saved {
	uint32_t fault_id, timeout_ms, nr;
	struct iopf_saved_group {
		uint32_t dev_id, sid, grpid, cookie, age_ms;
	} p[IOPF_MAX_TOTAL];
	uint64_t nr_groups, nr_late, nr_write_errs, by_reason[IOPF_NR_REASONS], by_code[2];
};

/* F's state (the loop held, the vCPUs parked). -EBUSY (reported) with a group half read. */
int iopf_state_get(struct iopf *f, struct iopf_saved *out);
void iopf_state_put(struct lu_writer *w, const struct iopf_saved *s);
/* Pure: ids and timeout non-zero, counts within the bounds, cookies distinct. -EINVAL with WHY. */
int iopf_state_decode(const struct lu_section *sec, struct iopf_saved *out, char *why, size_t why_size);
/*
 * The new process, instead of iopf_create: the service over the handed-over fault fd (FDS's
 * IOPF_FD_NAME) and object, with S's groups awaiting the guest (their timeout goes on). Nothing is
 * allocated or answered: on failure (WHY) the previous binary takes the objects back as they are.
 */
int iopf_adopt(int iommufd, struct fdtab *fds, struct evloop *loop, const struct iopf_saved *s, struct iopf **out,
	       char *why, size_t why_size);

#endif
