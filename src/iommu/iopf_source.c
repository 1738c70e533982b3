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

/* The FAULT object and its service, unless S has them already. */
static int service(struct iopf_source *s, const struct iopf_source_env *env, unsigned int timeout_ms)
{
	if (s->iopf)
		return 0;
	s->iommufd = env->iommufd;
	return iopf_create(env->iommufd, env->fds, env->loop, timeout_ms, &s->iopf);
}

/* The mock device and its own IOAS go (test builds); the service stays. */
static void release_mock(struct iopf_source *s)
{
#ifdef NESTVM_IOMMUFD_TEST
	if (s->mock)
		iopf_mock_release(s->mock);
#endif
	free(s->mock);
	s->mock = NULL;
	if (s->mock_ioas)
		iommufd_destroy(s->iommufd, s->mock_ioas);
	s->mock_ioas = 0;
}

int iopf_source_create(struct iopf_source *s, const struct iopf_source_env *env, const struct iopf_mock_config *c,
		       uint32_t ioas, bool own_ioas)
{
	bool had = s->iopf != NULL;
	int r;

	if (!c)
		return service(s, env, 0);
#ifdef NESTVM_IOMMUFD_TEST
	if (s->mock)
		return err_num(EEXIST, "--iopf-mock: one mock device per vIOMMU");
	s->mock = calloc(1, sizeof(*s->mock));
	if (!s->mock)
		return err_num(ENOMEM, "--iopf-mock");
	r = service(s, env, c->timeout_ms);
	if (!r && own_ioas) {
		r = iommufd_ioas_alloc(env->iommufd, &s->mock_ioas);
		ioas = s->mock_ioas;
	}
	if (!r)
		r = iopf_mock_attach(s->mock, env->iommufd, ioas, iopf_fault_id(s->iopf), c);
	if (r && had)
		release_mock(s);
	else if (r)
		iopf_source_release(s);
	return r;
#else
	(void)ioas, (void)own_ioas, (void)had;
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

	if (!s->iopf) {
		s->iommufd = env->iommufd;
		if (!fs) {
			snprintf(why, why_size, "page requests: the state has no page-request source");
			return -EINVAL;
		}
		f = malloc(sizeof(*f));
		if (!f)
			return err_num(ENOMEM, "page requests: restoring");
		r = iopf_state_decode(fs, f, why, why_size);
		if (!r)
			r = iopf_adopt(env->iommufd, env->fds, env->loop, f, &s->iopf, why, why_size);
		free(f);
		if (r)
			return r;
	}
	if (!c)
		return 0;
#ifdef NESTVM_IOMMUFD_TEST
	{
		const struct lu_section *ms = lu_state_find(st, IOPF_MOCK_STATE_TYPE, 0);
		struct iopf_mock_saved m;

		if (!ms) {
			snprintf(why, why_size, "--iopf-mock: the state has no mock device");
			return -EINVAL;
		}
		if (s->mock) {
			snprintf(why, why_size, "--iopf-mock: one mock device per vIOMMU");
			return -EEXIST;
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
	r = -EOPNOTSUPP;
	snprintf(why, why_size, "--iopf-mock: a test build's option (-Diommufd_test=true)");
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
	release_mock(s);
	iopf_destroy(s->iopf);
	s->iopf = NULL;
}
