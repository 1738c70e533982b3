// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the live-update state reader, on any bytes (a corrupt, truncated or hostile state
 * file). The state is validated and indexed, then every indexed section is read the way consumers
 * do: the "fds" handover list, the assigned-device sections ("pci-msix", "vfio-pci", "iommufd"),
 * the virtio ones ("virtio-pci", "virtio-blk", "virtio-console"), the vSMMU's ("smmuv3",
 * "viommu-nested"), the vVT-d's ("vtd", "viommu-shadow") and the page-request source's ("iopf",
 * "iopf-mock") through their decoders, other types through typed-field
 * cursors. Nothing
 * may crash, leak or read outside the input (ASan); a refused state must index nothing.
 * Seeds: `test_state_format --corpus tests/fuzz/corpus/fuzz_state_format`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci_msix_state.h"
#include "devices/vfio_pci_state.h"
#include "devices/virtio_pci_state.h"
#include "iommu/iommufd_state.h"
#include "iommu/iopf.h"
#include "iommu/iopf_mock.h"
#include "iommu/smmuv3_state.h"
#include "iommu/viommu_nested.h"
#include "iommu/viommu_shadow.h"
#include "iommu/vtd_state.h"
#include "liveupdate/fds_section.h"
#include "liveupdate/kexec_section.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct lu_section_spec specs[] = {
	{ .type = "vcpu", .min_version = 1, .max_version = 2, .multi = true },
	{ .type = "memory", .min_version = 1, .max_version = 1 },
	{ .type = "virtio-blk", .min_version = 1, .max_version = 1, .multi = true },
	{ .type = LU_FDS_TYPE, .min_version = 1, .max_version = LU_FDS_VERSION },
	{ .type = PCI_MSIX_STATE_TYPE, .min_version = 1, .max_version = PCI_MSIX_STATE_VERSION, .multi = true },
	{ .type = VFIO_PCI_STATE_TYPE, .min_version = 1, .max_version = VFIO_PCI_STATE_VERSION, .multi = true },
	{ .type = IOMMUFD_STATE_TYPE, .min_version = 1, .max_version = IOMMUFD_STATE_VERSION },
	{ .type = VIRTIO_PCI_STATE_TYPE, .min_version = 1, .max_version = VIRTIO_PCI_STATE_VERSION, .multi = true },
	{ .type = VIRTIO_CON_STATE_TYPE, .min_version = 1, .max_version = VIRTIO_CON_STATE_VERSION },
	{ .type = SMMUV3_STATE_TYPE, .min_version = 1, .max_version = SMMUV3_STATE_VERSION },
	{ .type = VIOMMU_NESTED_STATE_TYPE, .min_version = 1, .max_version = VIOMMU_NESTED_STATE_VERSION },
	{ .type = VTD_STATE_TYPE, .min_version = 1, .max_version = VTD_STATE_VERSION },
	{ .type = VIOMMU_SHADOW_STATE_TYPE, .min_version = 1, .max_version = VIOMMU_SHADOW_STATE_VERSION },
	{ .type = IOPF_STATE_TYPE, .min_version = 1, .max_version = IOPF_STATE_VERSION },
	{ .type = IOPF_MOCK_STATE_TYPE, .min_version = 1, .max_version = IOPF_MOCK_STATE_VERSION },
	{ .type = LU_KEXEC_TYPE, .min_version = 1, .max_version = LU_KEXEC_VERSION },
};

/* The emulated-device and vSMMU decoders: what they accept keeps the bounds restore indexes with. */
static void read_emulated(const struct lu_section *s)
{
	char why[256];

	if (!strcmp(s->type, VIRTIO_PCI_STATE_TYPE)) {
		static struct virtio_pci_saved v;

		if (!virtio_pci_state_decode(s, &v, why, sizeof(why))) {
			if (!v.nr_queues || v.nr_queues > VIRTIO_STATE_MAX_QUEUES || (v.guest_features & ~v.host_features))
				abort();
			for (unsigned int i = 0; i < v.nr_queues; i++)
				if (v.q[i].size > VIRTIO_STATE_MAX_QSIZE ||
				    (v.q[i].enabled && (uint16_t)(v.q[i].last_avail - v.q[i].used_idx) > v.q[i].size))
					abort();
		}
	} else if (!strcmp(s->type, VIRTIO_BLK_STATE_TYPE)) {
		static struct virtio_blk_saved b;

		if (!virtio_blk_state_decode(s, &b, why, sizeof(why))) {
			if (b.nr_done > VIRTIO_BLK_STATE_MAX_DONE)
				abort();
			for (uint32_t i = 0; i < b.nr_done; i++)
				if (b.done[i].head >= VIRTIO_STATE_MAX_QSIZE || b.done[i].status > 2)
					abort();
		}
	} else if (!strcmp(s->type, VIRTIO_CON_STATE_TYPE)) {
		static struct virtio_con_saved c;

		if (!virtio_con_state_decode(s, &c, why, sizeof(why)) && c.len > VIRTIO_CON_STATE_MAX_INPUT)
			abort();
	} else if (!strcmp(s->type, SMMUV3_STATE_TYPE)) {
		static struct smmuv3_saved m;

		if (!smmuv3_state_decode(s, &m, why, sizeof(why)) && m.nr_streams > SMMUV3_MAX_STREAMS)
			abort();
	} else if (!strcmp(s->type, VTD_STATE_TYPE)) {
		static struct vtd_saved t;

		/* What restore indexes with: the streams, FRI; a queue with QIE on within IQA.QS. */
		if (!vtd_state_decode(s, &t, why, sizeof(why)) &&
		    (t.nr_streams > VTD_MAX_STREAMS || t.fri >= VTD_NFR ||
		     ((t.gsts & GCMD_QIE) && t.iqh >= (0x1000ull << IQA_QS(t.iqa)))))
			abort();
	} else if (!strcmp(s->type, IOPF_STATE_TYPE)) {
		static struct iopf_saved f;

		/* What adoption indexes with: the groups within the service's table. */
		if (!iopf_state_decode(s, &f, why, sizeof(why)) && (f.nr > IOPF_MAX_TOTAL || !f.fault_id || !f.timeout_ms))
			abort();
	} else if (!strcmp(s->type, IOPF_MOCK_STATE_TYPE)) {
		struct iopf_mock_saved m;

		if (!iopf_mock_state_decode(s, &m, why, sizeof(why)) && (!m.parent_id || !m.nested_id))
			abort();
	} else if (!strcmp(s->type, VIOMMU_SHADOW_STATE_TYPE)) {
		static struct viommu_shadow_saved h;

		/* What adoption relies on: bounded counts, sorted disjoint whole-page areas (shadow_map). */
		if (!viommu_shadow_state_decode(s, &h, why, sizeof(why))) {
			if (h.nr_devs > SHADOW_MAX_DEVS)
				abort();
			for (uint32_t i = 0; i < h.nr_devs; i++) {
				const struct viommu_shadow_saved_dev *d = &h.dev[i];

				if (d->nr_areas > SHADOW_STATE_MAX_AREAS || (d->nr_areas && !d->areas) || (!d->on_shadow && d->nr_areas))
					abort();
				for (uint32_t j = 0; j < d->nr_areas; j++)
					if (!d->areas[j].len || (d->areas[j].iova & 0xfff) ||
					    (j && d->areas[j].iova <= d->areas[j - 1].iova + d->areas[j - 1].len - 1))
						abort();
			}
			viommu_shadow_saved_free(&h);
		}
	} else {
		static struct viommu_nested_saved n;

		if (!viommu_nested_state_decode(s, &n, why, sizeof(why))) {
			if (!n.nr_devs || n.nr_devs > VIOMMU_NESTED_MAX_DEVS)
				abort();
			for (uint32_t i = 0; i < n.nr_devs; i++)
				if (n.dev[i].data_len > VIOMMU_NESTED_DATA_MAX)
					abort();
		}
	}
}

/* The assigned-device decoders: what they accept satisfies the invariants restore relies on. */
static void read_device(const struct lu_section *s)
{
	char why[256];

	if (!strcmp(s->type, PCI_MSIX_STATE_TYPE)) {
		static struct pci_msix_saved m;

		if (!pci_msix_state_decode(s, &m, why, sizeof(why)) &&
		    (!m.nr || m.nr > PCI_MSIX_MAX_VECTORS || (m.nr % 64 && m.pba[m.nr / 64] >> (m.nr % 64))))
			abort();
	} else if (!strcmp(s->type, VFIO_PCI_STATE_TYPE)) {
		struct vfio_pci_saved v;

		if (!vfio_pci_state_decode(s, &v, why, sizeof(why)) &&
		    (v.pm_state > 3 || v.msi_nvec > 32 || (v.msi_enabled && v.msix_on) || (v.intx && !v.intx_fds)))
			abort();
	} else {
		static struct iommufd_saved f;

		if (!iommufd_state_decode(s, &f, why, sizeof(why)) && (!f.ioas_id || f.nr_maps > GMEM_MAX_REGIONS))
			abort();
	}
}

/* A consumer's read: a bounded array, a string, scalars, then the exact-end check. */
static void read_fields(const struct lu_section *s)
{
	struct lu_cursor c;
	char str[16], why[256];
	uint32_t n;

	lu_cursor_init(&c, s);
	lu_get_u64(&c);
	n = lu_get_count(&c, 64, 2);
	for (uint32_t i = 0; i < n; i++)
		lu_get_u16(&c);
	lu_get_str(&c, str, sizeof(str));
	lu_get_bool(&c);
	lu_get_u32(&c);
	if (lu_cursor_finish(&c, why, sizeof(why)) && !c.bad && c.off == s->len)
		abort();   /* finish refused a cursor that read exactly to the end without error */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lu_state st;

	if (lu_state_parse(&st, data, size, specs, sizeof(specs) / sizeof(specs[0]))) {
		if (st.nr || st.sec || st.refusal == LU_OK || !st.why[0])
			abort();   /* a refusal must index nothing and say why */
		lu_state_free(&st);
	} else {
		for (unsigned int i = 0; i < st.nr; i++) {
			const struct lu_section *s = &st.sec[i];

			if (s->data < (const uint8_t *)data || s->len > size || s->data + s->len > data + size)
				abort();   /* an indexed payload outside the input */
			if (!strcmp(s->type, LU_FDS_TYPE)) {
				struct fdtab_entry *e;
				unsigned int nr;
				char why[256];

				if (!lu_fds_decode(s, &e, &nr, why, sizeof(why)))
					free(e);
			} else if (!strcmp(s->type, LU_KEXEC_TYPE)) {
				static struct lu_kexec_info k;
				char why[256];

				/* What restore relies on: a session name it can look up, NUL-terminated strings. */
				if (!lu_kexec_decode(s, &k, why, sizeof(why)) &&
				    (!k.session[0] || strlen(k.session) > LU_KEXEC_NAME_MAX ||
				     strlen(k.kernel) > LU_KEXEC_MAX_STR || strlen(k.cmdline) > LU_KEXEC_MAX_STR))
					abort();
			} else if (!strcmp(s->type, PCI_MSIX_STATE_TYPE) || !strcmp(s->type, VFIO_PCI_STATE_TYPE) ||
				   !strcmp(s->type, IOMMUFD_STATE_TYPE)) {
				read_device(s);
			} else if (!strcmp(s->type, VIRTIO_PCI_STATE_TYPE) || !strcmp(s->type, VIRTIO_BLK_STATE_TYPE) ||
				   !strcmp(s->type, VIRTIO_CON_STATE_TYPE) || !strcmp(s->type, SMMUV3_STATE_TYPE) ||
				   !strcmp(s->type, VIOMMU_NESTED_STATE_TYPE) || !strcmp(s->type, VTD_STATE_TYPE) ||
				   !strcmp(s->type, VIOMMU_SHADOW_STATE_TYPE) || !strcmp(s->type, IOPF_STATE_TYPE) ||
				   !strcmp(s->type, IOPF_MOCK_STATE_TYPE)) {
				read_emulated(s);
			} else {
				read_fields(s);
			}
		}
		lu_state_free(&st);
	}
	/* The same bytes with no known types: every section unknown (skipped or refused as mandatory). */
	if (!lu_state_parse(&st, data, size, NULL, 0) && st.nr)
		abort();
	lu_state_free(&st);
	return 0;
}
