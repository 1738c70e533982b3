// SPDX-License-Identifier: GPL-2.0-only
/* The page-request source of a vIOMMU front-end (iopf_source.h). */
#include "iommu/iopf_source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "iommu/iommufd.h"
#include "iommu/iopf.h"
#include "iommu/iopf_mock.h"
#include "liveupdate/state_format.h"
#include "vmm/log.h"

int iopf_source_create(struct iopf_source *s, const struct iopf_source_env *env, const struct iopf_mock_config *c,
		       uint32_t ioas, bool own_ioas)
{
	int r;

	*s = (struct iopf_source){ .iommufd = env->iommufd };
#ifdef NESTVM_IOMMUFD_TEST
	s->mock = calloc(1, sizeof(*s->mock));
	if (!s->mock)
		return err_num(ENOMEM, "--iopf-mock");
	r = iopf_create(env->iommufd, env->fds, env->loop, c->timeout_ms, &s->iopf);
	if (!r && own_ioas) {
		r = iommufd_ioas_alloc(env->iommufd, &s->mock_ioas);
		ioas = s->mock_ioas;
	}
	if (!r)
		r = iopf_mock_attach(s->mock, env->iommufd, ioas, iopf_fault_id(s->iopf), c);
	if (r)
		iopf_source_release(s);
	return r;
#else
	(void)c, (void)ioas, (void)own_ioas;
	r = err_num(EOPNOTSUPP, "--iopf-mock: a test build's option (-Diommufd_test=true)");
	return r;
#endif
}

bool iopf_source_saved(const struct lu_state *st)
{
	return lu_state_find(st, IOPF_STATE_TYPE, 0) != NULL;
}

int iopf_source_adopt(struct iopf_source *s, const struct iopf_source_env *env, const struct iopf_mock_config *c,
		      const struct lu_state *st, char *why, size_t why_size)
{
	const struct lu_section *fs = lu_state_find(st, IOPF_STATE_TYPE, 0);
	struct iopf_saved *f;
	int r;

	*s = (struct iopf_source){ .iommufd = env->iommufd };
	if (!fs) {
		snprintf(why, why_size, "--iopf-mock: the state has no page-request source");
		return -EINVAL;
	}
	f = malloc(sizeof(*f));
	if (!f)
		return err_num(ENOMEM, "--iopf-mock: restoring");
	r = iopf_state_decode(fs, f, why, why_size);
	if (!r)
		r = iopf_adopt(env->iommufd, env->fds, env->loop, f, &s->iopf, why, why_size);
	free(f);
	if (r)
		return r;
#ifdef NESTVM_IOMMUFD_TEST
	{
		const struct lu_section *ms = lu_state_find(st, IOPF_MOCK_STATE_TYPE, 0);
		struct iopf_mock_saved m;

		if (!ms) {
			snprintf(why, why_size, "--iopf-mock: the state has no mock device");
			return -EINVAL;
		}
		s->mock = calloc(1, sizeof(*s->mock));
		if (!s->mock)
			return err_num(ENOMEM, "--iopf-mock: restoring");
		r = iopf_mock_state_decode(ms, &m, why, why_size);
		if (!r)
			r = iopf_mock_adopt(s->mock, env->iommufd, c, &m, why, why_size);
		if (!r)
			s->mock_ioas = m.ioas;
	}
#else
	(void)c;
#endif
	return r;
}

int iopf_source_save(struct iopf_source *s, struct lu_writer *w)
{
	struct iopf_saved *f = malloc(sizeof(*f));
	int r;

	if (!f)
		return err_num(ENOMEM, "saving the page-request source");
	r = iopf_state_get(s->iopf, f);
	if (!r) {
		iopf_state_put(w, f);
		r = lu_writer_end(w);
	}
	free(f);
#ifdef NESTVM_IOMMUFD_TEST
	if (!r && s->mock) {
		iopf_mock_state_put(w, s->mock, s->mock_ioas);
		r = lu_writer_end(w);
	}
#endif
	return r;
}

void iopf_source_release(struct iopf_source *s)
{
	if (s->iopf)
		iopf_answer_all(s->iopf);
#ifdef NESTVM_IOMMUFD_TEST
	if (s->mock)
		iopf_mock_release(s->mock);
#endif
	free(s->mock);
	s->mock = NULL;
	if (s->mock_ioas)
		iommufd_destroy(s->iommufd, s->mock_ioas);
	s->mock_ioas = 0;
	iopf_destroy(s->iopf);
	s->iopf = NULL;
}
