// SPDX-License-Identifier: GPL-2.0-only
/*
 * The live-update sections of emulated devices and the vIOMMUs (docs/liveupdate.md): "virtio-pci",
 * "virtio-blk", "virtio-console", "viommu-nested" (versions 1 and 2) and "viommu-shadow" (round
 * trips, every truncation, each invalid field), and "smmuv3": a model driven as Linux's driver does (tables, queues, a stage-1 stream, a
 * fault recorded), saved, restored into a new frozen model over the same guest RAM, which then
 * reads back the same registers, translates the same way and records the next event after the old.
 * `test_lu_emulated --corpus DIR` also writes fuzz_state_format seeds of the sections.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio_pci_state.h"
#include "iommu/smmuv3_state.h"
#include "iommu/viommu_nested.h"
#include "iommu/viommu_shadow.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "smmuv3_harness.h"
#include "tap.h"

static const char *corpus;      /* --corpus DIR */

static void seed(const struct lu_writer *w, const char *name)
{
	char path[512];
	int fd;

	if (!corpus)
		return;
	snprintf(path, sizeof(path), "%s/seed-%s", corpus, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, w->buf, w->len) != (ssize_t)w->len)
		CHECK(0, "seed %s written", path);
	if (fd >= 0)
		close(fd);
}

typedef int (*decode_fn)(const struct lu_section *s, void *out, char *why, size_t why_size);

static int dec_vpci(const struct lu_section *s, void *o, char *why, size_t n)
{
	return virtio_pci_state_decode(s, o, why, n);
}
static int dec_blk(const struct lu_section *s, void *o, char *why, size_t n)
{
	return virtio_blk_state_decode(s, o, why, n);
}
static int dec_con(const struct lu_section *s, void *o, char *why, size_t n)
{
	return virtio_con_state_decode(s, o, why, n);
}
static int dec_smmu(const struct lu_section *s, void *o, char *why, size_t n)
{
	return smmuv3_state_decode(s, o, why, n);
}
static int dec_nested(const struct lu_section *s, void *o, char *why, size_t n)
{
	return viommu_nested_state_decode(s, o, why, n);
}
static int dec_shadow(const struct lu_section *s, void *o, char *why, size_t n)
{
	return viommu_shadow_state_decode(s, o, why, n);
}

/* A finished writer's only section, parsed (TYPE, versions 1-2). NULL when it does not parse. */
static const struct lu_section *only(struct lu_writer *w, struct lu_state *st, const char *type)
{
	const struct lu_section_spec spec = { type, 1, 2, true, false };

	if (lu_writer_finish(w) || lu_state_parse(st, w->buf, w->len, &spec, 1) || st->nr != 1)
		return NULL;
	return &st->sec[0];
}

/* Every strict prefix of S's payload is refused by DECODE. */
static void truncations(const char *what, const struct lu_section *s, decode_fn decode, void *out)
{
	size_t refused = 0;
	char why[200];

	for (size_t cut = 0; cut < s->len; cut++) {
		struct lu_section t = *s;

		t.len = cut;
		refused += decode(&t, out, why, sizeof(why)) == -EINVAL;
	}
	CHECK(refused == s->len, "%s: all %zu truncations refused (%zu)", what, s->len, refused);
}

static struct virtio_pci_saved vpci_good(void)
{
	struct virtio_pci_saved s = {
		.device_id = 2, .nr_queues = 2, .host_features = 0x1300000064ull, .guest_features = 0x100000044ull,
		.dfselect = 1, .gfselect = 1, .status = 0xf, .isr = 1, .config_gen = 3, .msix_config = 0,
		.queue_select = 1,
	};

	s.q[0] = (struct virtio_queue_saved){ .size = 256, .msix_vector = 1, .enabled = true, .desc = 0x41000000,
					      .driver = 0x41001000, .device = 0x41002000, .last_avail = 3,
					      .used_idx = 0xfffe, .signalled_used = 0xfffd, .signalled_valid = true };  /* wrapped: 5 in flight */
	s.q[1] = (struct virtio_queue_saved){ .size = 128, .msix_vector = 0xffff };
	return s;
}

static void test_virtio_pci(void)
{
	struct virtio_pci_saved good = vpci_good(), out, c;
	const struct lu_section *s;
	struct lu_writer w;
	struct lu_state st;
	char why[200] = "";

	lu_writer_init(&w);
	virtio_pci_state_put(&w, 0x18, &good);
	CHECK(lu_writer_end(&w) == 0, "virtio-pci written");
	s = only(&w, &st, VIRTIO_PCI_STATE_TYPE);
	seed(&w, "virtio-pci");
	CHECK(s && s->instance == 0x18 && !virtio_pci_state_decode(s, &out, why, sizeof(why)) &&
	      !memcmp(&out, &good, sizeof(out)), "virtio-pci: round trip, instance = devfn (%s)", why);
	if (s)
		truncations("virtio-pci", s, dec_vpci, &out);
	lu_state_free(&st);
	lu_writer_free(&w);

	for (int i = 0; i < 10; i++) {
		static const char *const what[] = {
			"0 queues", "9 queues", "an unknown status bit", "driver features the device lacks", "ISR bit 2",
			"an enabled queue of 100 entries", "an unaligned descriptor table", "an unaligned used ring",
			"more chains in flight than entries", "ring state in a disabled queue",
		};

		c = good;
		switch (i) {
		case 0: c.nr_queues = 0; break;
		case 1: c.nr_queues = 9; break;
		case 2: c.status |= 0x10; break;
		case 3: c.guest_features |= 1ull << 20; break;
		case 4: c.isr = 4; break;
		case 5: c.q[0].size = 100; break;
		case 6: c.q[0].desc += 8; break;
		case 7: c.q[0].device += 2; break;
		case 8: c.q[0].last_avail = (uint16_t)(c.q[0].used_idx + 257); break;
		case 9: c.q[1].used_idx = 1; break;
		}
		lu_writer_init(&w);
		/* 9 queues: the writer stops at the section's bound; the count says 9. */
		virtio_pci_state_put(&w, 0, &c);
		lu_writer_end(&w);
		s = only(&w, &st, VIRTIO_PCI_STATE_TYPE);
		CHECK(s && virtio_pci_state_decode(s, &out, why, sizeof(why)) == -EINVAL, "virtio-pci: %s refused (%s)",
		      what[i], why);
		lu_state_free(&st);
		lu_writer_free(&w);
	}
}

static void test_virtio_blk(void)
{
	struct virtio_blk_saved good = { .sectors = 8192, .ro = false, .nr_done = 3 }, out, c;
	const struct lu_section *s;
	struct lu_writer w;
	struct lu_state st;
	char why[200] = "";

	good.done[0] = (typeof(good.done[0])){ 7, VIRTIO_BLK_S_OK, 4096 };
	good.done[1] = (typeof(good.done[0])){ 9, VIRTIO_BLK_S_IOERR, 0 };
	good.done[2] = (typeof(good.done[0])){ 1023, VIRTIO_BLK_S_OK, 0 };
	lu_writer_init(&w);
	virtio_blk_state_put(&w, 1, &good);
	lu_writer_end(&w);
	s = only(&w, &st, VIRTIO_BLK_STATE_TYPE);
	seed(&w, "virtio-blk-state");
	CHECK(s && s->instance == 1 && !virtio_blk_state_decode(s, &out, why, sizeof(why)) && out.nr_done == 3 &&
	      !memcmp(out.done, good.done, 3 * sizeof(good.done[0])) && out.sectors == 8192,
	      "virtio-blk: round trip, instance = the disk index (%s)", why);
	if (s)
		truncations("virtio-blk", s, dec_blk, &out);
	lu_state_free(&st);
	lu_writer_free(&w);
	for (int i = 0; i < 4; i++) {
		static const char *const what[] = { "head 1024", "status 3", "a failed request with bytes", "a head twice" };

		c = good;
		switch (i) {
		case 0: c.done[0].head = 1024; break;
		case 1: c.done[1].status = 3; break;
		case 2: c.done[1].used_len = 512; break;
		case 3: c.done[2].head = 7; break;
		}
		lu_writer_init(&w);
		virtio_blk_state_put(&w, 0, &c);
		lu_writer_end(&w);
		s = only(&w, &st, VIRTIO_BLK_STATE_TYPE);
		CHECK(s && virtio_blk_state_decode(s, &out, why, sizeof(why)) == -EINVAL, "virtio-blk: %s refused (%s)",
		      what[i], why);
		lu_state_free(&st);
		lu_writer_free(&w);
	}
	{
		/* 65 completions: more than requests can be in flight. */
		uint8_t raw[8 + 1 + 4];

		memset(raw, 0, sizeof(raw));
		raw[9] = 65;
		lu_writer_init(&w);
		lu_writer_begin(&w, VIRTIO_BLK_STATE_TYPE, 0, 1, LU_SEC_MANDATORY);
		lu_writer_append(&w, raw, sizeof(raw));
		for (int i = 0; i < 65; i++) {
			lu_put_u16(&w, (uint16_t)i);
			lu_put_u8(&w, 0);
			lu_put_u32(&w, 0);
		}
		lu_writer_end(&w);
		s = only(&w, &st, VIRTIO_BLK_STATE_TYPE);
		CHECK(s && virtio_blk_state_decode(s, &out, why, sizeof(why)) == -EINVAL, "virtio-blk: 65 completions refused (%s)",
		      why);
		lu_state_free(&st);
		lu_writer_free(&w);
	}
}

static void test_virtio_con(void)
{
	static struct virtio_con_saved good, out;
	const struct lu_section *s;
	struct lu_writer w;
	struct lu_state st;
	char why[200] = "";

	good.len = 5;
	memcpy(good.input, "hello", 5);
	lu_writer_init(&w);
	virtio_con_state_put(&w, &good);
	lu_writer_end(&w);
	s = only(&w, &st, VIRTIO_CON_STATE_TYPE);
	seed(&w, "virtio-console");
	CHECK(s && !virtio_con_state_decode(s, &out, why, sizeof(why)) && out.len == 5 && !memcmp(out.input, "hello", 5),
	      "virtio-console: round trip of the undelivered input (%s)", why);
	if (s)
		truncations("virtio-console", s, dec_con, &out);
	lu_state_free(&st);
	lu_writer_free(&w);
	lu_writer_init(&w);
	lu_writer_begin(&w, VIRTIO_CON_STATE_TYPE, 0, 1, LU_SEC_MANDATORY);
	lu_put_u32(&w, VIRTIO_CON_STATE_MAX_INPUT + 1);
	for (unsigned int i = 0; i <= VIRTIO_CON_STATE_MAX_INPUT; i++)
		lu_put_u8(&w, 'x');
	lu_writer_end(&w);
	s = only(&w, &st, VIRTIO_CON_STATE_TYPE);
	CHECK(s && virtio_con_state_decode(s, &out, why, sizeof(why)) == -EINVAL && out.len == 0,
	      "virtio-console: more input than the device keeps refused (%s)", why);
	lu_state_free(&st);
	lu_writer_free(&w);
}

static void test_nested(void)
{
	static struct viommu_nested_saved good, out, c;
	const struct lu_section *s;
	struct lu_writer w;
	struct lu_state st;
	char why[200] = "";

	good = (struct viommu_nested_saved){ .parent_id = 3, .viommu_id = 4, .veventq_id = 5, .next_seq = 17,
					     .started = true, .nr_lost = 2, .nr_lost_reported = 1, .nr_devs = 2 };
	good.dev[0] = (struct viommu_nested_saved_dev){ .dev_id = 1, .sid = 8, .vdevice_id = 6, .hwpt_id = 7,
							.data_type = 2, .data_len = 16 };
	memset(good.dev[0].data, 0xab, 16);
	good.dev[1] = (struct viommu_nested_saved_dev){ .dev_id = 2, .sid = 16, .vdevice_id = 9, .hwpt_id = 0 };
	lu_writer_init(&w);
	viommu_nested_state_put(&w, &good);
	lu_writer_end(&w);
	s = only(&w, &st, VIOMMU_NESTED_STATE_TYPE);
	seed(&w, "viommu-nested");
	CHECK(s && s->version == 1 && !viommu_nested_state_decode(s, &out, why, sizeof(why)) &&
	      !memcmp(&out, &good, sizeof(out)), "viommu-nested: round trip, version 1 (an older nestvm reads it) (%s)", why);
	if (s)
		truncations("viommu-nested", s, dec_nested, &out);
	lu_state_free(&st);
	lu_writer_free(&w);
	for (int i = 0; i < 6; i++) {
		static const char *const what[] = { "vIOMMU id 0", "no devices", "vDEVICE id 0", "a stream twice",
						    "more losses reported than counted", "a 65-byte blob" };

		c = good;
		switch (i) {
		case 0: c.viommu_id = 0; break;
		case 1: c.nr_devs = 0; break;
		case 2: c.dev[1].vdevice_id = 0; break;
		case 3: c.dev[1].sid = 8; break;
		case 4: c.nr_lost_reported = 3; break;
		case 5: break;
		}
		lu_writer_init(&w);
		if (i == 5) {
			/* put() refuses to write an oversized blob: the raw layout. */
			lu_writer_begin(&w, VIOMMU_NESTED_STATE_TYPE, 0, 1, LU_SEC_MANDATORY);
			lu_put_u32(&w, 3); lu_put_u32(&w, 4); lu_put_u32(&w, 5); lu_put_u32(&w, 0); lu_put_bool(&w, false);
			lu_put_u64(&w, 0); lu_put_u64(&w, 0); lu_put_u32(&w, 1);
			lu_put_u32(&w, 1); lu_put_u32(&w, 8); lu_put_u32(&w, 6); lu_put_u32(&w, 7); lu_put_u32(&w, 2);
			lu_put_u32(&w, 65);
			for (int k = 0; k < 65; k++)
				lu_put_u8(&w, 0);
		} else {
			viommu_nested_state_put(&w, &c);
		}
		lu_writer_end(&w);
		s = only(&w, &st, VIOMMU_NESTED_STATE_TYPE);
		CHECK(s && viommu_nested_state_decode(s, &out, why, sizeof(why)) == -EINVAL, "viommu-nested: %s refused (%s)",
		      what[i], why);
		lu_state_free(&st);
		lu_writer_free(&w);
	}
}

/* Version 2: a format without vIOMMU object (VT-d): the blocked IOAS and HWPT, no vIOMMU, vEVENTQ or vDEVICE ids. */
static void test_nested_per_hwpt(void)
{
	static struct viommu_nested_saved good, out, c;
	const struct lu_section *s;
	struct lu_writer w;
	struct lu_state st;
	char why[200] = "";

	good = (struct viommu_nested_saved){ .parent_id = 17, .blocked_ioas = 18, .blocked_id = 19, .nr_devs = 2 };
	good.dev[0] = (struct viommu_nested_saved_dev){ .dev_id = 10, .sid = 8, .hwpt_id = 20, .data_type = 3, .data_len = 24 };
	memset(good.dev[0].data, 0xcd, 24);
	good.dev[1] = (struct viommu_nested_saved_dev){ .dev_id = 11, .sid = 16, .hwpt_id = 17 };      /* on the parent */
	lu_writer_init(&w);
	viommu_nested_state_put(&w, &good);
	lu_writer_end(&w);
	s = only(&w, &st, VIOMMU_NESTED_STATE_TYPE);
	seed(&w, "viommu-nested-hwpt");
	CHECK(s && s->version == 2 && !viommu_nested_state_decode(s, &out, why, sizeof(why)) &&
	      !memcmp(&out, &good, sizeof(out)), "viommu-nested HWPT-only: version 2 round trip (%s)", why);
	if (s)
		truncations("viommu-nested HWPT-only", s, dec_nested, &out);
	lu_state_free(&st);
	lu_writer_free(&w);
	for (int i = 0; i < 5; i++) {
		static const char *const what[] = { "a vIOMMU id", "blocked IOAS id 0", "the blocked HWPT is the parent",
						    "a vDEVICE id", "a device on no HWPT" };

		c = good;
		switch (i) {
		case 0: c.viommu_id = 4; break;
		case 1: c.blocked_ioas = 0; break;
		case 2: c.blocked_id = 17; break;
		case 3: c.dev[1].vdevice_id = 6; break;
		case 4: c.dev[0].hwpt_id = 0; break;
		}
		lu_writer_init(&w);
		viommu_nested_state_put(&w, &c);
		lu_writer_end(&w);
		s = only(&w, &st, VIOMMU_NESTED_STATE_TYPE);
		CHECK(s && viommu_nested_state_decode(s, &out, why, sizeof(why)) == -EINVAL,
		      "viommu-nested HWPT-only: %s refused (%s)", what[i], why);
		lu_state_free(&st);
		lu_writer_free(&w);
	}
}

/* The shadow vIOMMU's devices: their IOASes, attachments and mapped areas. */
static void test_shadow(void)
{
	static struct shadow_area areas[3] = {
		{ .iova = 0x100000, .len = 0x5000, .gpa = 0x200000, .writable = true },
		{ .iova = 0x105000, .len = 0x1000, .gpa = 0x900000 },
		{ .iova = 0x40000000, .len = 0x40000000, .gpa = 0x0, .writable = true },
	};
	static struct shadow_area bad_areas[3];
	static struct viommu_shadow_saved good, out, c;
	const struct lu_section *s;
	struct lu_writer w;
	struct lu_state st;
	char why[200] = "";
	bool same;

	good = (struct viommu_shadow_saved){ .nr_devs = 2, .nr_syncs = 40, .nr_full_syncs = 3 };
	good.dev[0] = (struct viommu_shadow_saved_dev){ .dev_id = 1, .sid = 0x10, .ioas = 5, .on_shadow = true,
							.nr_areas = 3, .areas = areas };
	good.dev[1] = (struct viommu_shadow_saved_dev){ .dev_id = 2, .sid = 0x18, .ioas = 6 };
	lu_writer_init(&w);
	CHECK(viommu_shadow_state_put(&w, &good) == 0, "viommu-shadow: written");
	s = only(&w, &st, VIOMMU_SHADOW_STATE_TYPE);
	seed(&w, "viommu-shadow");
	same = s && !viommu_shadow_state_decode(s, &out, why, sizeof(why)) && out.nr_devs == 2 &&
	       out.dev[0].nr_areas == 3 && !memcmp(out.dev[0].areas, areas, sizeof(areas)) && out.dev[0].on_shadow &&
	       out.dev[0].ioas == 5 && out.dev[1].sid == 0x18 && !out.dev[1].on_shadow && !out.dev[1].nr_areas &&
	       out.nr_syncs == 40 && out.nr_full_syncs == 3;
	CHECK(same, "viommu-shadow: round trip (%s)", why);
	viommu_shadow_saved_free(&out);
	if (s)
		truncations("viommu-shadow", s, dec_shadow, &out);
	lu_state_free(&st);
	lu_writer_free(&w);
	for (int i = 0; i < 8; i++) {
		static const char *const what[] = { "IOAS id 0", "a stream twice", "an IOAS twice", "an unaligned area",
						    "overlapping areas", "areas out of order", "areas on a device on guest RAM",
						    "more whole-space syncs than syncs" };

		c = good;
		memcpy(bad_areas, areas, sizeof(areas));
		c.dev[0].areas = bad_areas;
		switch (i) {
		case 0: c.dev[1].ioas = 0; break;
		case 1: c.dev[1].sid = 0x10; break;
		case 2: c.dev[1].ioas = 5; break;
		case 3: bad_areas[1].gpa = 0x900800; break;
		case 4: bad_areas[1].iova = 0x104000; break;
		case 5: bad_areas[2].iova = 0x1000; break;
		case 6: c.dev[0].on_shadow = false; break;
		case 7: c.nr_full_syncs = 41; break;
		}
		lu_writer_init(&w);
		viommu_shadow_state_put(&w, &c);
		s = only(&w, &st, VIOMMU_SHADOW_STATE_TYPE);
		CHECK(s && viommu_shadow_state_decode(s, &out, why, sizeof(why)) == -EINVAL, "viommu-shadow: %s refused (%s)",
		      what[i], why);
		lu_state_free(&st);
		lu_writer_free(&w);
	}
}

/* The SMMU model across an update: registers, queues and streams, behaviour afterwards. */
static void test_smmuv3(void)
{
	static const struct smmuv3_hooks hooks = { .irq = h_irq, .msi = h_msi };
	static struct harness a, b;
	static struct smmuv3_saved sv, bad;
	struct viommu_xlate x;
	const struct lu_section *s;
	struct lu_writer w;
	struct lu_state st;
	uint64_t ttb, evt[4];
	uint32_t regs[][2] = { { SMMU_CR0, 0 }, { SMMU_CR1, 0 }, { SMMU_CR2, 0 }, { SMMU_GBPA, 0 }, { SMMU_IRQ_CTRL, 0 },
			       { SMMU_STRTAB_BASE_CFG, 0 }, { SMMU_CMDQ_PROD, 0 }, { SMMU_CMDQ_CONS, 0 },
			       { SMMU_PAGE_SIZE + SMMU_EVENTQ_PROD, 0 }, { SMMU_PAGE_SIZE + SMMU_EVENTQ_CONS, 0 },
			       { SMMU_GERROR, 0 }, { SMMU_IDR0, 0 }, { SMMU_IDR1, 0 }, { SMMU_IDR5, 0 } };
	unsigned int n_ev, same = 0;
	char why[200] = "";
	int r;

	if (h_init(&a, NULL)) {
		CHECK(0, "SMMU set-up");
		return;
	}
	h_enable(&a);
	ttb = h_alloc_pt(&a);
	h_cd(&a, CDS, ttb, 5);
	h_ste(&a, 8, STE_S1(CDS), 0);
	h_ste(&a, 16, STE_BYPASS, 0);
	h_map(&a, ttb, 0x10000, RAM_BASE + 0x800000, true);
	smmuv3_add_stream(&a.s, 8);
	smmuv3_add_stream(&a.s, 16);
	CHECK(smmuv3_translate(&a.s, 8, 0x10000, true, &x) == 0 && x.pa == RAM_BASE + 0x800000, "old model translates");
	CHECK(smmuv3_translate(&a.s, 8, 0x20000, false, &x) == -EFAULT && h_nr_events(&a) == 1,
	      "old model recorded a translation fault");
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		regs[i][1] = rd32(&a, regs[i][0]);

	lu_writer_init(&w);
	CHECK(smmuv3_state_save(&a.s, &w) == 0, "smmuv3 saved");
	s = only(&w, &st, SMMUV3_STATE_TYPE);
	seed(&w, "smmuv3");
	CHECK(s && !smmuv3_state_decode(s, &sv, why, sizeof(why)) && sv.nr_streams == 2 && sv.cr0 == a.s.cr0,
	      "smmuv3: decoded (%s)", why);
	if (s)
		truncations("smmuv3", s, dec_smmu, &bad);

	/* The new process: a model over the same guest RAM, frozen, its devices registering streams. */
	memset(&b, 0, sizeof(b));
	b.sp = &b.s;
	b.mem = &a.gm;
	b.v = viommu_soft_create(&a.gm);
	r = b.v ? smmuv3_init(&b.s, &a.s.feat, &a.gm, b.v, &hooks, &b) : -1;
	CHECK(r == 0, "new model");
	smmuv3_freeze(&b.s);
	smmuv3_add_stream(&b.s, 16);
	CHECK(!b.s.streams[0].loaded, "frozen: a stream registered is not attached");
	{
		struct smmuv3_saved other = sv;

		other.feat.evtqs = 8;
		CHECK(smmuv3_state_restore(&b.s, &other, why, sizeof(why)) == -EINVAL,
		      "a feature set the new model does not show is refused (%s)", why);
	}
	CHECK(smmuv3_state_restore(&b.s, &sv, why, sizeof(why)) == 0 && b.s.nr_streams == 2,
	      "restored, the saved StreamIDs registered (%s)", why);
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		same += rd32(&b, regs[i][0]) == regs[i][1];
	CHECK(same == sizeof(regs) / sizeof(regs[0]), "every register reads the same (%u of %zu)", same,
	      sizeof(regs) / sizeof(regs[0]));
	CHECK(b.s.streams[0].loaded && b.s.streams[1].loaded, "thawed: every stream attached from the guest's tables");
	CHECK(smmuv3_translate(&b.s, 8, 0x10000, true, &x) == 0 && x.pa == RAM_BASE + 0x800000,
	      "the new model translates the same");
	CHECK(smmuv3_translate(&b.s, 16, 0x1234000, true, &x) == 0 && x.pa == 0x1234000, "a bypass stream stays bypass");
	n_ev = h_nr_events(&b);
	CHECK(smmuv3_translate(&b.s, 8, 0x30000, true, &x) == -EFAULT && h_nr_events(&b) == n_ev + 1 && n_ev == 1,
	      "the next fault is recorded after the old one (%u events)", h_nr_events(&b));
	h_evt(&b, 1, evt);
	CHECK((evt[0] & 0xff) == EVT_F_TRANSLATION && evt[2] == 0x30000, "... as F_TRANSLATION at its IOVA");
	lu_state_free(&st);
	lu_writer_free(&w);

	for (int i = 0; i < 8; i++) {
		static const char *const what[] = { "a reserved CR0 bit", "GBPA's Update bit", "a StreamID twice",
						    "a StreamID beyond SIDSIZE", "a queue base with reserved bits",
						    "no translation granule", "PRI queue state without IDR0.PRI",
						    "CR0.PRIQEN without IDR0.PRI" };

		lu_writer_init(&w);
		switch (i) {
		case 0: a.s.cr0 |= 1u << 5; break;
		case 1: a.s.gbpa |= GBPA_UPDATE; break;
		case 2: a.s.streams[1].sid = 8; break;
		case 3: a.s.streams[1].sid = 1u << 16; break;
		case 4: a.s.evtq.base |= 1ull << 63; break;
		case 5: a.s.feat.gran4k = a.s.feat.gran16k = a.s.feat.gran64k = false; break;
		case 6: a.s.priq.base = 0x40000000; break;
		case 7: a.s.cr0 |= CR0_PRIQEN; break;
		}
		smmuv3_state_save(&a.s, &w);
		s = only(&w, &st, SMMUV3_STATE_TYPE);
		CHECK(s && smmuv3_state_decode(s, &bad, why, sizeof(why)) == -EINVAL, "smmuv3: %s refused (%s)", what[i], why);
		lu_state_free(&st);
		lu_writer_free(&w);
		a.s.cr0 &= ~(1u << 5);
		a.s.gbpa &= ~GBPA_UPDATE;
		a.s.streams[1].sid = 16;
		a.s.evtq.base &= ~(1ull << 63);
		a.s.feat.gran4k = true;
		a.s.priq.base = 0;
		a.s.cr0 &= ~CR0_PRIQEN;
	}
	/* A version 1 section (before the PRI queue): the same bytes but the version-2 tail, still read. */
	lu_writer_init(&w);
	smmuv3_state_save(&a.s, &w);
	s = only(&w, &st, SMMUV3_STATE_TYPE);
	if (s) {
		struct lu_section v1 = *s;

		v1.version = 1;
		v1.len -= 2 + 16 + 8 + 8 + 24;     /* PRI, PRIQS; queue; IRQ_CFG0; CFG1-2; counters */
		CHECK(smmuv3_state_decode(&v1, &bad, why, sizeof(why)) == 0 && !bad.feat.pri && !bad.priq.base,
		      "smmuv3: a version 1 section is still read, without a PRI queue (%s)", why);
	}
	lu_state_free(&st);
	lu_writer_free(&w);
	smmuv3_destroy(&b.s);
	viommu_destroy(b.v);
	h_fini(&a);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		corpus = argv[2];
	test_virtio_pci();
	test_virtio_blk();
	test_virtio_con();
	test_nested();
	test_nested_per_hwpt();
	test_shadow();
	test_smmuv3();
	return tap_done();
}
