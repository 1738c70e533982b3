// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "kexec" section (liveupdate/kexec_section.h) and the LUO wrapper's argument checks: every
 * field round-trips, every truncation and a trailing byte are refused, an empty session name is
 * refused; the wrapper refuses session names LUO could not hold before any ioctl.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "liveupdate/kexec_section.h"
#include "liveupdate/luo.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "tap.h"

static const struct lu_section_spec spec = { LU_KEXEC_TYPE, 1, 1, false, false };

/* A one-section state holding PAYLOAD (LEN bytes) as a "kexec" section, parsed into ST. */
static int state_of(struct lu_writer *w, struct lu_state *st, const void *payload, size_t len)
{
	lu_writer_init(w);
	lu_writer_begin(w, LU_KEXEC_TYPE, 0, 1, LU_SEC_MANDATORY);
	lu_writer_append(w, payload, len);
	if (lu_writer_end(w) || lu_writer_finish(w))
		return -1;
	return lu_state_parse(st, w->buf, w->len, &spec, 1);
}

static void test_round_trip(void)
{
	struct lu_kexec_info k = { .t_preserved = 11, .t_loaded = 22, .realtime_saved = 33, .counter_saved = 44,
				   .counter_hz = 62500000 }, out;
	struct lu_writer w, w2;
	struct lu_state st, st2;
	uint8_t payload[16384];
	size_t len, refused = 0;
	char why[200];

	snprintf(k.session, sizeof(k.session), "lu-test");
	snprintf(k.kernel, sizeof(k.kernel), "/kit/arm64/Image");
	snprintf(k.cmdline, sizeof(k.cmdline), "console=ttyAMA0 kho=on liveupdate=on");
	lu_writer_init(&w);
	CHECK(!lu_kexec_save(&w, &k) && !lu_writer_finish(&w), "saved");
	CHECK(!lu_state_parse(&st, w.buf, w.len, &spec, 1) && st.nr == 1, "parses");
	CHECK(!lu_kexec_decode(&st.sec[0], &out, why, sizeof(why)) && !strcmp(out.session, "lu-test") &&
	      out.t_preserved == 11 && out.t_loaded == 22 && out.realtime_saved == 33 && out.counter_saved == 44 &&
	      out.counter_hz == 62500000 && !strcmp(out.kernel, k.kernel) && !strcmp(out.cmdline, k.cmdline),
	      "every field round-trips");
	len = st.sec[0].len;
	memcpy(payload, st.sec[0].data, len);
	lu_state_free(&st);
	lu_writer_free(&w);
	for (size_t cut = 0; cut < len; cut++) {
		if (!state_of(&w2, &st2, payload, cut) && lu_kexec_decode(&st2.sec[0], &out, why, sizeof(why)) == -EINVAL)
			refused++;
		lu_state_free(&st2);
		lu_writer_free(&w2);
	}
	CHECK(refused == len, "all %zu truncations refused (%zu)", len, refused);
	payload[len] = 0;
	CHECK(!state_of(&w2, &st2, payload, len + 1) && lu_kexec_decode(&st2.sec[0], &out, why, sizeof(why)) == -EINVAL,
	      "a trailing byte is refused (%s)", why);
	lu_state_free(&st2);
	lu_writer_free(&w2);

	k.session[0] = 0;
	lu_writer_init(&w);
	CHECK(!lu_kexec_save(&w, &k) && !lu_writer_finish(&w) && !lu_state_parse(&st, w.buf, w.len, &spec, 1) &&
	      lu_kexec_decode(&st.sec[0], &out, why, sizeof(why)) == -EINVAL && strstr(why, "empty"),
	      "an empty session name is refused (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
}

static void test_luo_args(void)
{
	char long_name[80];

	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	/* fd -1: a name that passed the check would fail with EBADF, not EINVAL. */
	CHECK(luo_session_create(-1, "") == -EINVAL, "an empty session name: EINVAL before any ioctl");
	CHECK(luo_session_create(-1, long_name) == -EINVAL, "a session name of 79 bytes: EINVAL before any ioctl");
	CHECK(luo_session_retrieve(-1, long_name) == -EINVAL, "retrieve: the same check");
	CHECK(luo_session_create(-1, "nestvm") == -EBADF, "a valid name reaches the ioctl (EBADF on fd -1)");
}

int main(void)
{
	test_round_trip();
	test_luo_args();
	return tap_done();
}
