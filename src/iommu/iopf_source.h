/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The page-request source of a vIOMMU front-end: the I/O page fault service (iopf.h) of its assigned
 * functions' page requests and, in test builds, the IOMMUFD_TEST mock device that raises requests
 * (iopf_mock.h). Made, adopted after a live update, saved and released the same way behind the
 * vSMMUv3 and the vVT-d; the front-end only registers the service with its own queue
 * (smmuv3_set_iopf, vtd_set_iopf) and its devices.
 */
#ifndef NESTVM_IOMMU_IOPF_SOURCE_H
#define NESTVM_IOMMU_IOPF_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

struct evloop;
struct fdtab;
struct iopf;
struct iopf_mock;
struct lu_state;
struct lu_writer;

struct iopf_source {
	struct iopf *iopf;              /* NULL: no source */
	struct iopf_mock *mock;         /* test builds: the mock device */
	int iommufd;
	uint32_t mock_ioas;             /* an empty IOAS of the mock's own (0: it sits on the VM's) */
};

/* Where the service lives: the VM's iommufd, fd table and event loop. */
struct iopf_source_env {
	int iommufd;
	struct fdtab *fds;
	struct evloop *loop;
};

/*
 * A FAULT object (unless S has one: the page requests of assigned functions and the mock's share it)
 * and the mock device C behind it, its HWPTs on IOAS, or with OWN_IOAS on an empty IOAS of its own
 * (x86 guest RAM at GPA 0 lies below the mock domain's aperture). C NULL: the FAULT object only (any
 * build). Unwinds what it made.
 */
int iopf_source_create(struct iopf_source *s, const struct iopf_source_env *env, const struct iopf_mock_config *c,
		       uint32_t ioas, bool own_ioas);
/*
 * The new process of a live update, instead of iopf_source_create: the FAULT object, its fd, the
 * groups awaiting the guest (unless S has them already) and, with C, the mock's HWPTs from ST's
 * "iopf" and "iopf-mock" sections. Nothing is allocated or answered; on failure (WHY) nothing is
 * undone either (the previous binary takes the objects back as they are).
 */
int iopf_source_adopt(struct iopf_source *s, const struct iopf_source_env *env, const struct iopf_mock_config *c,
		      const struct lu_state *st, char *why, size_t why_size);
/* The "iopf" (and "iopf-mock") sections of S (VM paused). */
int iopf_source_save(struct iopf_source *s, struct lu_writer *w);
/* Whether ST carries a page-request source (its "iopf" section). */
bool iopf_source_saved(const struct lu_state *st);
/* Every group awaiting the guest answered, the mock's HWPTs, its IOAS, then the FAULT object go. */
void iopf_source_release(struct iopf_source *s);

#endif
