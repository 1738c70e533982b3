/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The nested vIOMMU core: assigned devices are translated by the host IOMMU walking the guest's
 * stage 1 (its tables in guest RAM) over nestvm's stage 2 (a NEST_PARENT HWPT on the guest-RAM
 * IOAS). Like drivers/iommu/iommufd, the core owns what every format shares - per VM one nest
 * parent, one iommufd vIOMMU object, one vDEVICE per device (virt_id = the guest's stream id), one
 * nested HWPT per device replaced (with rollback) as the guest reconfigures it, the vEVENTQ read on
 * the event loop, invalidations batched into IOMMU_HWPT_INVALIDATE calls - and a format
 * (struct viommu_nested_format: smmuv3_nested.c, vtd_nested.c) supplies the iommufd types and
 * encodes the guest's words. A format whose uAPI has no vIOMMU object (VT-d: per_hwpt) gets its
 * nested HWPTs on the nest parent itself, one IOMMU_HWPT_INVALIDATE per nested HWPT the batch
 * concerns, a "blocked" HWPT (an empty IOAS) for abort, and the nest parent for bypass. Streams of emulated devices go to the wrapped software backend, which also keeps
 * every assigned stream's config so their MSI addresses can be translated.
 */
#ifndef NESTVM_VIOMMU_NESTED_H
#define NESTVM_VIOMMU_NESTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/viommu.h"

struct evloop;
struct fdtab;
struct iopf;
struct iopf_frontend;

/* The largest nested HWPT data blob and invalidation entry a format may produce. */
#define VIOMMU_NESTED_DATA_MAX 64
#define VIOMMU_NESTED_ENTRY_MAX 32

/* What a format (the host IOMMU's iommufd driver data) supplies to the core. */
struct viommu_nested_format {
	const char *name;           /* the --viommu model */
	/* Words for messages (scripts and tests grep them): the host IOMMU ("SMMUv3"), a guest stream
	 * config ("guest STE"), a stream id ("StreamID"), invalidation entries ("commands"). */
	const char *host_name, *cfg_name, *sid_name, *entries_name;
	uint32_t viommu_type;       /* IOMMU_VIOMMU_TYPE_* */
	uint32_t hw_info_type;      /* IOMMU_HW_INFO_TYPE_* the host must report */
	uint32_t veventq_type;      /* IOMMU_VEVENTQ_TYPE_* */
	uint32_t event_len;         /* bytes of one vEVENTQ record after its header */
	uint32_t inval_type;        /* IOMMU_VIOMMU_INVALIDATE_DATA_* */
	uint32_t inval_len;         /* bytes of one invalidation entry (<= VIOMMU_NESTED_ENTRY_MAX) */
	/*
	 * The nested HWPT for a stream config (abort and bypass included): IOMMU_HWPT_DATA_* in
	 * *DATA_TYPE, the blob in DATA (VIOMMU_NESTED_DATA_MAX bytes); returns its length.
	 */
	uint32_t (*alloc_nested)(const struct viommu_stream_cfg *cfg, uint32_t *data_type, void *data);
	/* Encodes INV (one the core forwards to the host) as one entry of inval_len bytes at ENTRY. */
	void (*invalidate)(const struct viommu_inval *inv, void *entry);
	/* A vEVENTQ record (already in the guest's terms) as a fault for the front-end. */
	void (*decode_event)(const void *rec, struct viommu_fault *f);
	/*
	 * No vIOMMU object, vDEVICE or vEVENTQ (the VT-d uAPI: IOMMU_HWPT_DATA_VTD_S1 nested HWPTs are
	 * allocated on the NEST_PARENT HWPT and invalidated one by one, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1
	 * on the nested HWPT's id). alloc_nested then returns 0 bytes for abort (the device goes to
	 * the blocked HWPT) and bypass (to the nest parent), and for a stage-1 config it cannot encode
	 * (refused: -EOPNOTSUPP); inval_matches says which invalidations concern a device (PASID 0) or
	 * one of its PASID attachments whose config carries TAG (viommu_stream_cfg.tag: the VT-d domain
	 * id). viommu_type, veventq_type,
	 * event_len and decode_event are unused.
	 */
	bool per_hwpt;
	bool (*inval_matches)(const struct viommu_inval *inv, uint16_t tag, uint32_t pasid);
};

/*
 * Wraps SOFT (owned from now on, also on failure) for the devices of IOMMUFD in FMT. The vEVENTQ fd
 * is registered in FDS ("veventq", kind iommufd-eventq: it crosses a live update; NULL: ours alone).
 * NULL on ENOMEM.
 */
struct viommu *viommu_nested_create(const struct viommu_nested_format *fmt, struct viommu *soft, int iommufd,
				    struct evloop *loop, struct fdtab *fds);
/*
 * Puts the bound device DEV_ID (its VFIO cdev VFIO_FD, attached to IOAS) behind the vIOMMU as guest
 * stream SID: the first device makes the nest parent, vIOMMU and vEVENTQ. The device starts with
 * an abort config until the front-end attaches the stream. Unwinds on failure.
 */
int viommu_nested_add_device(struct viommu *v, int vfio_fd, uint32_t dev_id, uint32_t ioas, uint32_t sid);
/*
 * The device of guest stream SID left (hot-removed; its cdev already closed, which detached it):
 * its vDEVICE and nested HWPT are destroyed and its slot freed. The vIOMMU itself stays.
 */
void viommu_nested_remove_device(struct viommu *v, uint32_t sid);
/* IOMMU_GET_HW_INFO of the first device into BUF (LEN bytes); -EOPNOTSUPP (reported) when the host
 * IOMMU is not of the format's type, -ENODEV before a device. */
int viommu_nested_hw_info(struct viommu *v, void *buf, uint32_t len);
/*
 * Where the host maps its MSI doorbell in our stage 2 for the devices (the first device's software
 * MSI window, from sysfs): 0 with *BASE; -ENOENT when the host reports none, -ENODEV before a device.
 */
int viommu_nested_host_msi(struct viommu *v, uint64_t *base);
/*
 * The assigned devices' page requests go to the I/O page fault service F: each device is registered
 * there as its guest stream id with the front-end's OPS/FE, and the stage-1 nested HWPT of a stream
 * whose config has `iopf` carries F's FAULT object (IOMMU_HWPT_FAULT_ID_VALID; the nest parent never
 * does: since Linux 6.15 it may not). Before the first device; F outlives the backend's devices.
 */
void viommu_nested_set_iopf(struct viommu *v, struct iopf *f, const struct iopf_frontend *ops, void *fe);
/* Destroys the iommufd objects (before the iommufd closes; the devices may be gone already). */
void viommu_nested_release(struct viommu *v);
/* Forward one entry per IOMMU_HWPT_INVALIDATE (the QEMU way) instead of batches: for benchmarks. */
void viommu_nested_set_unbatched(struct viommu *v, bool on);
/*
 * The front-end gives assigned devices PASIDs (before the first device): every HWPT is then
 * allocated with IOMMU_HWPT_ALLOC_PASID, and viommu_attach_pasid attaches a device's PASID to a
 * nested HWPT of its own (VFIO_DEVICE_ATTACH_PASID), to the nest parent (bypass), or detaches it
 * (abort: its requests are blocked). At most VIOMMU_NESTED_MAX_PASIDS attachments in all.
 */
void viommu_nested_set_pasids(struct viommu *v, bool on);
/* PASID attachments there are (a live update by exec does not carry them: vtd_dev refuses it). */
unsigned int viommu_nested_nr_pasids(struct viommu *v);

/*
 * Live update by re-exec (docs/liveupdate.md). The iommufd objects stay alive in the handed-over
 * iommufd: the new process adopts them by id and the vEVENTQ by its handed-over fd, so the devices
 * keep translating and events the host queued meanwhile wait in the vEVENTQ for the new reader:
 *
 *   "viommu-nested", instance 0, version 1, mandatory: u32 nest parent HWPT id, u32 vIOMMU id,
 *   u32 vEVENTQ id, u32 the vEVENTQ sequence number expected next, u8 a record was read, u64 records
 *   the host dropped, u64 of them reported; u32 devices (at most 16), each u32 iommufd device id,
 *   u32 guest stream id, u32 vDEVICE id, u32 nested HWPT id (0: none), u32 its IOMMU_HWPT_DATA_*
 *   type, u32 length (at most 64) + the format's blob it was allocated with (SMMUv3: STE words 0-1).
 *
 * Version 2 (written by per_hwpt formats only, so that an older nestvm still takes a vSMMU's
 * version 1) adds, after the u64 losses: u32 blocked IOAS id, u32 blocked HWPT id (both non-zero);
 * the vIOMMU, vEVENTQ and vDEVICE ids are then 0 and every device has a HWPT (its own nested one,
 * the nest parent or the blocked HWPT).
 */
#define VIOMMU_NESTED_STATE_TYPE "viommu-nested"
#define VIOMMU_NESTED_STATE_VERSION 2
#define VIOMMU_NESTED_FD_NAME "veventq"
#define VIOMMU_NESTED_MAX_DEVS 16
#define VIOMMU_NESTED_MAX_PASIDS 64   /* PASID attachments of all devices together */

struct viommu_nested_saved {
	uint32_t parent_id, viommu_id, veventq_id;
	uint32_t next_seq;
	bool started;
	uint64_t nr_lost, nr_lost_reported;
	uint32_t blocked_ioas, blocked_id;      /* per_hwpt formats (version 2); 0 otherwise */
	uint32_t nr_devs;
	struct viommu_nested_saved_dev {
		uint32_t dev_id, sid, vdevice_id, hwpt_id, data_type, data_len;
		uint8_t data[VIOMMU_NESTED_DATA_MAX];
	} dev[VIOMMU_NESTED_MAX_DEVS];
};

struct lu_writer;
struct lu_section;

/* The objects and queue state of V (VM paused). -ENODEV: no objects yet (nothing to carry). */
int viommu_nested_state_get(struct viommu *v, struct viommu_nested_saved *out);
void viommu_nested_state_put(struct lu_writer *w, const struct viommu_nested_saved *s);
/* Pure: ids non-zero, distinct devices and stream ids, blob lengths within 64. -EINVAL with WHY. */
int viommu_nested_state_decode(const struct lu_section *sec, struct viommu_nested_saved *out, char *why,
			       size_t why_size);
/*
 * The new process, instead of viommu_nested_add_device: device DEV_ID (its handed-over cdev VFIO_FD)
 * as guest stream SID, with the objects S lists (the first device also adopts the vIOMMU, its
 * parent, and the vEVENTQ fd from FDS, watched on the loop). Nothing is allocated, attached or
 * destroyed: on failure (WHY) the previous binary takes the objects back as they are.
 */
int viommu_nested_adopt_device(struct viommu *v, const struct viommu_nested_saved *s, int vfio_fd, uint32_t dev_id,
			       uint32_t sid, char *why, size_t why_size);
/*
 * ON: the configs the front-end attaches go to the software backend only, the adopted devices'
 * HWPTs untouched (a front-end that loads streams before its registers are back: the vVT-d). OFF
 * again before the streams are reloaded from the restored registers: an unchanged config keeps its
 * adopted HWPT, a changed one is replaced as at a guest invalidation.
 */
void viommu_nested_adopting(struct viommu *v, bool on);

#endif
