// SPDX-License-Identifier: GPL-2.0-only
/* Test-only: the IOMMUFD_TEST mock device behind a guest StreamID (iopf_mock.h). */
#include "iommu/iopf_mock.h"

#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "iommu/hwpt.h"
#include "iommu/iommufd.h"
#include "iommu/iommufd_mock.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "vmm/log.h"

static int replace(int iommufd, uint32_t stdev_id, uint32_t pt_id)
{
	struct iommu_test_cmd c = { .size = sizeof(c), .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev_id,
				    .mock_domain_replace = { .pt_id = pt_id } };

	if (ioctl(iommufd, IOMMU_TEST_CMD, &c))
		return err_errno("IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE of mock device %u to %u", stdev_id, pt_id);
	return 0;
}

int iopf_mock_attach(struct iopf_mock *m, int iommufd, uint32_t ioas, uint32_t fault_id, const struct iopf_mock_config *c)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	int r;

	*m = (struct iopf_mock){ .iommufd = iommufd, .c = *c };
	r = hwpt_alloc(iommufd, c->dev_id, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_DATA_NONE, NULL, 0,
		       &m->parent_id, "mock nest parent");
	if (r)
		return r;
	/* The fault queue goes on the nested (guest-stage) HWPT: since Linux 6.15 a nest parent may
	 * not carry one. */
	r = hwpt_alloc_fault(iommufd, c->dev_id, m->parent_id, IOMMU_HWPT_FAULT_ID_VALID, fault_id,
			     IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &m->nested_id, "mock nested (fault-capable)");
	if (r)
		goto err_parent;
	r = replace(iommufd, c->stdev_id, m->nested_id);
	if (r)
		goto err_nested;
	m->attached = true;
	return 0;

err_nested:
	iommufd_destroy(iommufd, m->nested_id);
err_parent:
	iommufd_destroy(iommufd, m->parent_id);
	return r;
}

void iopf_mock_release(struct iopf_mock *m)
{
	if (!m->attached)
		return;
	/* Leaving the fault-capable HWPT makes the kernel answer what it still holds of the device. */
	replace(m->iommufd, m->c.stdev_id, m->c.hwpt_id);
	iommufd_destroy(m->iommufd, m->nested_id);
	iommufd_destroy(m->iommufd, m->parent_id);
	m->attached = false;
}

void iopf_mock_state_put(struct lu_writer *w, const struct iopf_mock *m, uint32_t ioas)
{
	lu_writer_begin(w, IOPF_MOCK_STATE_TYPE, 0, IOPF_MOCK_STATE_VERSION, LU_SEC_MANDATORY);
	lu_put_u32(w, m->c.dev_id);
	lu_put_u32(w, m->c.stdev_id);
	lu_put_u32(w, m->parent_id);
	lu_put_u32(w, m->nested_id);
	lu_put_u32(w, ioas);
}

int iopf_mock_state_decode(const struct lu_section *sec, struct iopf_mock_saved *o, char *why, size_t why_size)
{
	struct lu_cursor c;

	lu_cursor_init(&c, sec);
	o->dev_id = lu_get_u32(&c);
	o->stdev_id = lu_get_u32(&c);
	o->parent_id = lu_get_u32(&c);
	o->nested_id = lu_get_u32(&c);
	o->ioas = lu_get_u32(&c);
	if (!c.bad && (!o->parent_id || !o->nested_id || o->parent_id == o->nested_id))
		lu_cursor_fail(&c, "nest parent %u, nested HWPT %u", o->parent_id, o->nested_id);
	return lu_cursor_finish(&c, why, why_size);
}

int iopf_mock_adopt(struct iopf_mock *m, int iommufd, const struct iopf_mock_config *c, const struct iopf_mock_saved *s,
		    char *why, size_t why_size)
{
	if (s->dev_id != c->dev_id || s->stdev_id != c->stdev_id) {
		snprintf(why, why_size, "--iopf-mock: the saved mock device is %u/%u, this one %u/%u", s->dev_id,
			 s->stdev_id, c->dev_id, c->stdev_id);
		return -EINVAL;
	}
	*m = (struct iopf_mock){ .iommufd = iommufd, .c = *c, .parent_id = s->parent_id, .nested_id = s->nested_id,
				 .attached = true };
	return 0;
}
