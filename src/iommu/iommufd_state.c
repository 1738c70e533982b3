// SPDX-License-Identifier: GPL-2.0-only
/* A VM's iommufd context across a live update (iommufd_state.h). */
#include "iommu/iommufd_state.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "iommu/fail_inject.h"
#include "liveupdate/state_fields.h"
#include "vmm/log.h"

#define MAP_ALIGN 4096ull   /* guest RAM regions are page aligned (guest_mem.c) */

int iommufd_state_save(const struct iommufd_ctx *c, struct lu_writer *w)
{
	if (!c->has_ioas)
		return err_num(EINVAL, "update: the iommufd context has no IOAS");
	lu_writer_begin(w, IOMMUFD_STATE_TYPE, 0, IOMMUFD_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, c->ioas_id);
	lu_put_u32(w, c->nr_maps);
	for (unsigned int i = 0; i < c->nr_maps; i++) {
		lu_put_u64(w, c->map[i].iova);
		lu_put_u64(w, c->map[i].len);
	}
	return lu_writer_end(w);
}

int iommufd_state_decode(const struct lu_section *s, struct iommufd_saved *out, char *why, size_t why_size)
{
	struct lu_cursor c;

	memset(out, 0, sizeof(*out));
	lu_cursor_init(&c, s);
	out->ioas_id = lu_get_u32(&c);
	out->nr_maps = lu_get_count(&c, GMEM_MAX_REGIONS, 16);
	if (!c.bad && !out->ioas_id)
		lu_cursor_fail(&c, "IOAS id 0");
	for (unsigned int i = 0; i < out->nr_maps && !c.bad; i++) {
		uint64_t iova = lu_get_u64(&c), len = lu_get_u64(&c);

		if (!c.bad && (!len || iova + len < iova || ((iova | len) & (MAP_ALIGN - 1))))
			lu_cursor_fail(&c, "mapping %u: IOVA 0x%" PRIx64 "+0x%" PRIx64 " is empty, wraps or is not page aligned",
				       i, iova, len);
		out->map[i] = (struct iommufd_map){ .iova = iova, .len = len };
	}
	return lu_cursor_finish(&c, why, why_size);
}

int iommufd_ctx_adopt(struct iommufd_ctx *c, int fd, const struct iommufd_saved *saved, char *why, size_t why_size)
{
	struct iommu_ioas_change_process cp = { .size = sizeof(cp) };

	c->fd = fd;
	c->ioas_id = saved->ioas_id;
	c->has_ioas = true;
	c->nr_maps = saved->nr_maps;
	memcpy(c->map, saved->map, sizeof(c->map));
	/* Test hook (tests/testhost/liveupdate.sh): the new binary's restore fails with a device assigned. */
	if (fail_inject("lu-change-process")) {
		snprintf(why, why_size, "IOMMU_IOAS_CHANGE_PROCESS: injected failure (NESTVM_FAIL_AT=lu-change-process)");
		return -EIO;
	}
	if (ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cp)) {
		int e = errno;

		snprintf(why, why_size, "IOMMU_IOAS_CHANGE_PROCESS on the handed-over iommufd: %s%s", strerror(e),
			 e == EINVAL ? " (a mapping that is not IOMMU_IOAS_MAP_FILE)" : "");
		return -e;
	}
	pr_debug("update: iommufd adopted (IOAS %u, %u mappings), pinned pages charged to this process",
		 c->ioas_id, c->nr_maps);
	return 0;
}

int iommufd_ctx_probe_free_id(const struct iommufd_ctx *c, uint32_t *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_destroy d = { .size = sizeof(d) };

	if (c->fd < 0)
		return err_num(EBADF, "update: iommufd id probe without an iommufd");
	if (ioctl(c->fd, IOMMU_IOAS_ALLOC, &a))
		return err_errno("update: iommufd id probe: IOMMU_IOAS_ALLOC");
	d.id = a.out_ioas_id;
	if (ioctl(c->fd, IOMMU_DESTROY, &d)) {
		int e = errno;

		pr_err("update: iommufd id probe: IOMMU_DESTROY of IOAS %u: %s (the object stays)", a.out_ioas_id,
		       strerror(e));
		return -e;
	}
	*id = a.out_ioas_id;
	return 0;
}
