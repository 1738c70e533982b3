// SPDX-License-Identifier: GPL-2.0-only
/*
 * The live-update sections of assigned devices (docs/liveupdate.md): "pci-msix" (an MSI-X table
 * driven as a guest would, saved, restored into a fresh model that then behaves the same, and a
 * handed-over eventfd taking a vector's place with its pending fire), "vfio-pci" and "iommufd"
 * (round trips, every field check, every truncation). No KVM: a live vector's eventfd is its delivery.
 * `test_lu_devices --corpus DIR` also writes fuzz_state_format seeds of the three sections.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/pci_msix.h"
#include "devices/pci_msix_state.h"
#include "devices/vfio_pci_state.h"
#include "iommu/iommufd_state.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "tap.h"
#include "vmm/vm.h"

#define NV 4
#define PBA 0x800

static struct vm vm;
static const char *corpus;      /* --corpus DIR */

/* A finished state as a fuzz seed DIR/seed-NAME (with --corpus). */
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
static const struct pci_dev_ops no_ops;

struct model {
	struct pci_dev dev;
	struct pci_msix msix;
	uint8_t cap;
};

static void model_init(struct model *m, unsigned int nv)
{
	pci_dev_init(&m->dev, &vm, &no_ops, "lu-msix", 0x1234, 0x5678, 0xff000001, 0, 0);
	pci_dev_add_bar(&m->dev, 2, 0x1000, true, false);
	if (pci_msix_init(&m->msix, &m->dev, nv, 2, 0, PBA))
		CHECK(0, "MSI-X set up");
	m->cap = m->msix.cap;
}

static void model_fini(struct model *m)
{
	pci_msix_fini(&m->msix);
	pci_dev_fini(&m->dev);
}

static uint32_t tbl_read(struct model *m, uint64_t off)
{
	uint8_t b[4];

	pci_msix_bar_access(&m->msix, off, b, 4, false);
	return (uint32_t)pci_le_get(b, 4);
}

static void tbl_write(struct model *m, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	pci_le_put(b, 4, v);
	pci_msix_bar_access(&m->msix, off, b, 4, true);
}

static void ctrl_write(struct model *m, uint16_t v)
{
	uint8_t b[2];

	pci_le_put(b, 2, v);
	pci_dev_cfg_write(&m->dev, m->cap + PCI_MSIX_FLAGS, b, 2);
}

static bool fired(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t cnt;

	return poll(&p, 1, 0) == 1 && read(fd, &cnt, sizeof(cnt)) == sizeof(cnt) && cnt > 0;
}

static void ext_fire(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		CHECK(0, "eventfd write");
}

/* A finished one-section state holding PAYLOAD (LEN bytes) as TYPE, parsed into ST. */
static int state_of(struct lu_writer *w, struct lu_state *st, const char *type, uint32_t inst, const void *payload,
		    size_t len)
{
	const struct lu_section_spec spec = { type, 1, 1, true, false };

	lu_writer_init(w);
	lu_writer_begin(w, type, inst, 1, LU_SEC_MANDATORY);
	lu_writer_append(w, payload, len);
	if (lu_writer_end(w) || lu_writer_finish(w))
		return -1;
	return lu_state_parse(st, w->buf, w->len, &spec, 1);
}

/* The payload of the first section of a finished writer (its bytes, its length). */
static const uint8_t *payload_of(const struct lu_writer *w, struct lu_state *st, const char *type, size_t *len)
{
	const struct lu_section_spec spec = { type, 1, 1, true, false };

	if (lu_state_parse(st, w->buf, w->len, &spec, 1) || !st->nr)
		return NULL;
	*len = st->sec[0].len;
	return st->sec[0].data;
}

typedef int (*decode_fn)(const struct lu_section *s, void *out, char *why, size_t why_size);

/* Every strict prefix of PAYLOAD is refused by DECODE; the whole payload is accepted. */
static void truncations(const char *what, const char *type, const uint8_t *payload, size_t len, decode_fn decode,
			void *out)
{
	struct lu_writer w;
	struct lu_state st;
	char why[200];
	size_t refused = 0;

	for (size_t cut = 0; cut < len; cut++) {
		if (!state_of(&w, &st, type, 0, payload, cut) && decode(&st.sec[0], out, why, sizeof(why)) == -EINVAL)
			refused++;
		lu_state_free(&st);
		lu_writer_free(&w);
	}
	CHECK(refused == len, "%s: all %zu truncations refused (%zu)", what, len, refused);
}

static int msix_decode(const struct lu_section *s, void *out, char *why, size_t n)
{
	return pci_msix_state_decode(s, out, why, n);
}

static int vfio_decode(const struct lu_section *s, void *out, char *why, size_t n)
{
	return vfio_pci_state_decode(s, out, why, n);
}

static int iommufd_decode(const struct lu_section *s, void *out, char *why, size_t n)
{
	return iommufd_state_decode(s, out, why, n);
}

static void test_msix(void)
{
	struct model a, b;
	struct pci_msix_saved sv;
	struct lu_writer w;
	struct lu_state st;
	char why[200];
	uint8_t cfg[PCI_CFG_SPACE_SIZE_EXP];
	const uint8_t *p;
	size_t plen;
	int handed;

	model_init(&a, NV);
	ctrl_write(&a, PCI_MSIX_FLAGS_ENABLE);
	for (unsigned int i = 0; i < NV; i++) {
		tbl_write(&a, i * 16, 0x8000000 + i * 0x40);
		tbl_write(&a, i * 16 + 4, i);
		tbl_write(&a, i * 16 + 8, 0x20 + i);
	}
	tbl_write(&a, 12, 0);           /* vector 0 live; 1..3 masked */
	pci_msix_notify(&a.msix, 1);    /* vector 1 pending in the PBA */
	ext_fire(a.msix.v[2].efd);      /* vector 2 fired by the device (VFIO) while masked: in its eventfd */
	/* The update: delivery stops, a live vector's fire waits in the eventfd too. */
	pci_msix_quiesce(&a.msix);
	ext_fire(a.msix.v[0].efd);
	CHECK(!a.msix.v[0].irqfd, "quiesce: vector 0 no longer delivering");

	lu_writer_init(&w);
	CHECK(pci_msix_state_save(&a.msix, 0x18, &w) == 0 && lu_writer_finish(&w) == 0, "pci-msix saved");
	seed(&w, "pci-msix");
	p = payload_of(&w, &st, PCI_MSIX_STATE_TYPE, &plen);
	CHECK(p && st.sec[0].instance == 0x18 && plen == 4 + NV * 16 + 8, "one section, instance = devfn, %zu bytes", plen);
	CHECK(p && pci_msix_state_decode(&st.sec[0], &sv, why, sizeof(why)) == 0, "decodes (%s)", p ? why : "-");
	CHECK(sv.nr == NV && sv.e[3].addr_lo == 0x80000c0 && sv.e[3].addr_hi == 3 && sv.e[3].data == 0x23 &&
	      sv.e[0].ctrl == 0 && sv.e[1].ctrl == PCI_MSIX_ENTRY_CTRL_MASKBIT && sv.pba[0] == 2,
	      "table and PBA as the guest left them");
	if (p) {
		static struct pci_msix_saved scratch;

		truncations("pci-msix", PCI_MSIX_STATE_TYPE, p, plen, msix_decode, &scratch);
	}

	/* The new process: a fresh model, config space back, the table, the handed-over eventfds. */
	model_init(&b, NV);
	memcpy(cfg, a.dev.cfg, sizeof(cfg));
	pci_dev_cfg_restore(&b.dev, cfg);
	CHECK(pci_msix_restore_table(&b.msix, &sv) == 0, "table restored");
	for (unsigned int i = 0; i < NV; i++) {
		handed = a.msix.v[i].efd;
		a.msix.v[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);   /* a keeps a fd to close */
		CHECK(pci_msix_take_efd(&b.msix, i, handed) == 0 && b.msix.v[i].efd == handed, "vector %u takes the "
		      "handed-over eventfd", i);
	}
	pthread_mutex_lock(&b.dev.lock);
	pci_msix_ctrl_written(&b.msix);
	pthread_mutex_unlock(&b.dev.lock);
	CHECK(pci_msix_enabled(&b.msix) && tbl_read(&b, 3 * 16 + 8) == 0x23 && tbl_read(&b, 4) == 0,
	      "restored: enabled, entries read back");
	CHECK(fired(b.msix.v[0].efd), "the fire that waited in vector 0's eventfd is delivered once it is live");
	CHECK(tbl_read(&b, PBA) == 6, "PBA: vector 1 (notified) and 2 (fired from outside while masked) pending (0x%x)",
	      tbl_read(&b, PBA));
	tbl_write(&b, 2 * 16 + 12, 0);
	CHECK(fired(b.msix.v[2].efd) && tbl_read(&b, PBA) == 2, "unmasking vector 2 delivers its held-back message");
	pci_msix_notify(&b.msix, 0);
	CHECK(fired(b.msix.v[0].efd), "vector 0 fires as before");
	CHECK(pci_msix_take_efd(&b.msix, 0, b.msix.v[0].efd) == -EBUSY || !b.msix.v[0].irqfd,
	      "no eventfd swap under a delivering vector");
	CHECK(pci_msix_take_efd(&b.msix, NV, 5) == -EINVAL && pci_msix_take_efd(&b.msix, 0, -1) == -EINVAL,
	      "take_efd: vector out of range, fd -1 refused");
	sv.nr = NV + 1;
	CHECK(pci_msix_restore_table(&b.msix, &sv) == -EINVAL, "a table of another size refused");
	lu_state_free(&st);
	lu_writer_free(&w);
	model_fini(&a);
	model_fini(&b);

	/* Field checks. */
	{
		struct { uint32_t n; uint32_t e[4]; uint64_t pba; } __attribute__((packed)) bad;
		const struct { const char *what; uint32_t n, e3, e0; uint64_t pba; } cases[] = {
			{ "0 vectors", 0, 0, 0, 0 },
			{ "65 vectors", 65, 0, 0, 0 },
			{ "reserved control bits", 1, 3, 0, 0 },
			{ "unaligned address", 1, 0, 0x1002, 0 },
			{ "a PBA bit beyond the vectors", 1, 0, 0, 2 },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			memset(&bad, 0, sizeof(bad));
			bad.n = cases[i].n;
			bad.e[0] = cases[i].e0;
			bad.e[3] = cases[i].e3;
			bad.pba = cases[i].pba;
			CHECK(state_of(&w, &st, PCI_MSIX_STATE_TYPE, 0, &bad, sizeof(bad)) == 0 &&
			      pci_msix_state_decode(&st.sec[0], &sv, why, sizeof(why)) == -EINVAL, "pci-msix: %s refused (%s)",
			      cases[i].what, why);
			lu_state_free(&st);
			lu_writer_free(&w);
		}
	}
}

static void test_vfio(void)
{
	const struct vfio_pci_saved good = {
		.devfn = 0x10, .devid = 7, .pm_state = 3, .msi_enabled = true, .msi_nvec = 4,
		.msi_addr = 0x8090040, .msi_data = 0x20, .intx_fds = true, .intx = true,
	};
	struct vfio_pci_saved out, c;
	struct lu_writer w;
	struct lu_state st;
	const uint8_t *p;
	char why[200];
	size_t plen;

	lu_writer_init(&w);
	vfio_pci_state_put(&w, 3, &good);
	CHECK(lu_writer_end(&w) == 0 && lu_writer_finish(&w) == 0, "vfio-pci written");
	seed(&w, "vfio-pci");
	p = payload_of(&w, &st, VFIO_PCI_STATE_TYPE, &plen);
	CHECK(p && st.sec[0].instance == 3 && vfio_pci_state_decode(&st.sec[0], &out, why, sizeof(why)) == 0 &&
	      !memcmp(&out, &good, sizeof(out)), "round trip, instance = the --device index");
	if (p)
		truncations("vfio-pci", VFIO_PCI_STATE_TYPE, p, plen, vfio_decode, &out);
	lu_state_free(&st);
	lu_writer_free(&w);

	for (int i = 0; i < 9; i++) {
		const char *what[] = { "PowerState 4", "3 MSI vectors", "MSI enabled, 0 vectors", "64 MSI vectors",
				       "MSI disabled with vectors", "MSI and MSI-X armed", "INTx irqfd without eventfds",
				       "INTx armed without irqfd", "INTx armed with MSI" };

		c = good;
		switch (i) {
		case 0: c.pm_state = 4; break;
		case 1: c.msi_nvec = 3; break;
		case 2: c.msi_nvec = 0; break;
		case 3: c.msi_nvec = 64; break;
		case 4: c.msi_enabled = false; break;
		case 5: c.msix_on = true; break;
		case 6: c.intx_fds = false; break;
		case 7: c.intx = false; c.intx_on = true; break;
		case 8: c.intx_on = true; break;
		}
		lu_writer_init(&w);
		vfio_pci_state_put(&w, 0, &c);
		lu_writer_end(&w);
		lu_writer_finish(&w);
		p = payload_of(&w, &st, VFIO_PCI_STATE_TYPE, &plen);
		CHECK(p && vfio_pci_state_decode(&st.sec[0], &out, why, sizeof(why)) == -EINVAL, "vfio-pci: %s refused (%s)",
		      what[i], why);
		lu_state_free(&st);
		lu_writer_free(&w);
	}
	/* A bool that is neither 0 nor 1 (the last byte: INTx armed). */
	{
		uint8_t raw[64];

		lu_writer_init(&w);
		vfio_pci_state_put(&w, 0, &good);
		lu_writer_end(&w);
		lu_writer_finish(&w);
		p = payload_of(&w, &st, VFIO_PCI_STATE_TYPE, &plen);
		if (p && plen <= sizeof(raw)) {
			memcpy(raw, p, plen);
			raw[plen - 1] = 2;
			lu_state_free(&st);
			lu_writer_free(&w);
			CHECK(state_of(&w, &st, VFIO_PCI_STATE_TYPE, 0, raw, plen) == 0 &&
			      vfio_pci_state_decode(&st.sec[0], &out, why, sizeof(why)) == -EINVAL, "vfio-pci: a bool of 2 refused");
		}
		lu_state_free(&st);
		lu_writer_free(&w);
	}
}

static void test_iommufd(void)
{
	struct iommufd_ctx c = { .fd = -1, .has_ioas = true, .ioas_id = 2, .nr_maps = 1,
				 .map = { { .iova = 0x40000000, .len = 0x10000000 } } };
	struct iommufd_saved out;
	struct lu_writer w;
	struct lu_state st;
	const uint8_t *p;
	char why[200];
	size_t plen;

	lu_writer_init(&w);
	CHECK(iommufd_state_save(&c, &w) == 0 && lu_writer_finish(&w) == 0, "iommufd written");
	seed(&w, "iommufd");
	p = payload_of(&w, &st, IOMMUFD_STATE_TYPE, &plen);
	CHECK(p && iommufd_state_decode(&st.sec[0], &out, why, sizeof(why)) == 0 && out.ioas_id == 2 &&
	      out.nr_maps == 1 && out.map[0].iova == 0x40000000 && out.map[0].len == 0x10000000, "round trip");
	if (p)
		truncations("iommufd", IOMMUFD_STATE_TYPE, p, plen, iommufd_decode, &out);
	lu_state_free(&st);
	lu_writer_free(&w);
	c.has_ioas = false;
	lu_writer_init(&w);
	CHECK(iommufd_state_save(&c, &w) == -EINVAL, "a context without IOAS is not saved");
	lu_writer_free(&w);

	{
		struct { uint32_t ioas, n; uint64_t iova, len; } __attribute__((packed)) bad;
		const struct { const char *what; uint32_t ioas, n; uint64_t iova, len; } cases[] = {
			{ "IOAS id 0", 0, 1, 0x40000000, 0x1000 },
			{ "an empty mapping", 2, 1, 0x40000000, 0 },
			{ "a wrapping mapping", 2, 1, 0xfffffffffffff000ull, 0x2000 },
			{ "an unaligned mapping", 2, 1, 0x40000800, 0x1000 },
			{ "more mappings than RAM regions", 2, GMEM_MAX_REGIONS + 1, 0x40000000, 0x1000 },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			bad.ioas = cases[i].ioas;
			bad.n = cases[i].n;
			bad.iova = cases[i].iova;
			bad.len = cases[i].len;
			CHECK(state_of(&w, &st, IOMMUFD_STATE_TYPE, 0, &bad, sizeof(bad)) == 0 &&
			      iommufd_state_decode(&st.sec[0], &out, why, sizeof(why)) == -EINVAL, "iommufd: %s refused (%s)",
			      cases[i].what, why);
			lu_state_free(&st);
			lu_writer_free(&w);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		corpus = argv[2];
	vm.vm_fd = -1;
	test_msix();
	test_vfio();
	test_iommufd();
	return tap_done();
}
