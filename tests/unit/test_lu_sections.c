// SPDX-License-Identifier: GPL-2.0-only
/*
 * The live-update sections of VM parts that are pure encoding: register lists (reg_list.h, what
 * the arm64 vCPU and vGIC sections are made of), the PL011's section (a model driven as a guest
 * would, saved, restored into a fresh model that then behaves the same), and the VM's own
 * "vm-config" and "update" sections; each round-trips and refuses truncated or invalid input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pl011.h"
#include "devices/pl011_state.h"
#include "liveupdate/reg_list.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "tap.h"

/* One section of TYPE with the bytes of P/LEN as payload, in a parsed state ST. */
static int one_section(struct lu_writer *w, struct lu_state *st, const char *type, const void *p, size_t len)
{
	const struct lu_section_spec spec = { type, 1, 1, false, true };

	lu_writer_init(w);
	lu_writer_begin(w, type, 0, 1, LU_SEC_MANDATORY);
	lu_writer_append(w, p, len);
	if (lu_writer_end(w) || lu_writer_finish(w))
		return -1;
	return lu_state_parse(st, w->buf, w->len, &spec, 1);
}

static void test_reg_list(void)
{
	const struct lu_section_spec spec = { "regs", 1, 1, false, true };
	uint8_t big[LU_REG_MAX_LEN], payload[4096];
	struct lu_regs l, out;
	struct lu_writer w;
	struct lu_state st;
	struct lu_cursor c;
	char why[200];
	uint64_t v64 = 0x1122334455667788ull;
	uint32_t v32 = 0xdeadbeef;
	size_t plen;
	int r;

	memset(big, 0xa5, sizeof(big));
	lu_regs_init(&l);
	CHECK(lu_regs_add(&l, 0x6030000000100000ull, &v64, 8) == 0 && lu_regs_add(&l, 7, &v32, 4) == 0 &&
	      lu_regs_add(&l, 0x60b0000000100000ull, big, sizeof(big)) == 0, "three registers of 8, 4 and 256 bytes");
	CHECK(lu_regs_add(&l, 9, big, 0) == -EINVAL && lu_regs_add(&l, 9, big, LU_REG_MAX_LEN + 1) == -EINVAL,
	      "lengths 0 and %u refused", LU_REG_MAX_LEN + 1);
	for (int i = 0; i < 300; i++)
		lu_regs_add(&l, 1000 + i, &v32, 4);
	CHECK(l.nr == 303 && lu_regs_find(&l, 1299) == 302 && lu_regs_find(&l, 5) == -1, "grows; find");

	lu_writer_init(&w);
	lu_writer_begin(&w, "regs", 0, 1, LU_SEC_MANDATORY);
	lu_regs_put(&w, &l);
	CHECK(lu_writer_end(&w) == 0 && lu_writer_finish(&w) == 0, "written into a section");
	CHECK(lu_state_parse(&st, w.buf, w.len, &spec, 1) == 0, "the state parses");
	lu_cursor_init(&c, lu_state_find(&st, "regs", 0));
	r = lu_regs_get(&c, &out, LU_REGS_MAX);
	CHECK(r == 0 && lu_cursor_finish(&c, why, sizeof(why)) == 0 && out.nr == l.nr &&
	      out.r[0].id == 0x6030000000100000ull && !memcmp(lu_regs_val(&out, 0), &v64, 8) && out.r[1].len == 4 &&
	      !memcmp(lu_regs_val(&out, 2), big, sizeof(big)) && out.r[302].id == 1299, "round trip: ids, lengths, values");
	lu_regs_free(&out);
	lu_cursor_init(&c, lu_state_find(&st, "regs", 0));
	lu_regs_get(&c, &out, 100);
	CHECK(lu_cursor_finish(&c, why, sizeof(why)) < 0 && !out.nr, "more than MAX registers refused: %s", why);
	plen = lu_state_find(&st, "regs", 0)->len;
	memcpy(payload, lu_state_find(&st, "regs", 0)->data, plen < sizeof(payload) ? plen : sizeof(payload));
	lu_state_free(&st);
	lu_writer_free(&w);
	lu_regs_free(&l);

	/* Hand-made payloads: u32 count, then u64 id, u16 len, bytes. */
	{
		uint8_t p[64] = { 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 2, 3, 4,
				  1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 5, 6, 7, 8 };
		size_t n = 32;

		CHECK(one_section(&w, &st, "regs", p, n) == 0, "a list with the same id twice parses as a state");
		lu_cursor_init(&c, lu_state_find(&st, "regs", 0));
		lu_regs_get(&c, &out, 10);
		CHECK(lu_cursor_finish(&c, why, sizeof(why)) < 0 && !out.nr, "duplicate id refused: %s", why);
		lu_state_free(&st);
		lu_writer_free(&w);
		p[18] = 2;      /* distinct ids, length 0 */
		p[26] = 0;
		CHECK(one_section(&w, &st, "regs", p, n - 4) == 0, "length 0");
		lu_cursor_init(&c, lu_state_find(&st, "regs", 0));
		lu_regs_get(&c, &out, 10);
		CHECK(lu_cursor_finish(&c, why, sizeof(why)) < 0 && !out.nr, "a zero-length register refused: %s", why);
		lu_state_free(&st);
		lu_writer_free(&w);
		p[26] = 0x01;   /* length 257 */
		p[27] = 0x01;
		CHECK(one_section(&w, &st, "regs", p, n) == 0, "length 257");
		lu_cursor_init(&c, lu_state_find(&st, "regs", 0));
		lu_regs_get(&c, &out, 10);
		CHECK(lu_cursor_finish(&c, why, sizeof(why)) < 0 && !out.nr, "a register over 256 bytes refused: %s", why);
		lu_state_free(&st);
		lu_writer_free(&w);
	}
	/* Every truncation of the real payload is refused, never read past. */
	{
		unsigned int refused = 0, tried = 0;

		for (size_t cut = 0; cut < plen && cut < sizeof(payload); cut += 7) {
			tried++;
			if (one_section(&w, &st, "regs", payload, cut) == 0) {
				lu_cursor_init(&c, lu_state_find(&st, "regs", 0));
				lu_regs_get(&c, &out, LU_REGS_MAX);
				refused += lu_cursor_finish(&c, why, sizeof(why)) < 0 && !out.nr;
				lu_regs_free(&out);
			}
			lu_state_free(&st);
			lu_writer_free(&w);
		}
		CHECK(tried && refused == tried, "every truncated register list refused (%u of %u)", refused, tried);
	}
}

static int irq_level = -1;

static void on_irq(void *opaque, bool level)
{
	irq_level = level;
}

static void on_tx(void *opaque, const uint8_t *buf, size_t len)
{
}

static void wr(struct pl011 *u, uint64_t off, uint32_t v)
{
	pl011_mmio(u, off, (uint8_t *)&v, 4, true);
}

static uint32_t rd(struct pl011 *u, uint64_t off)
{
	uint32_t v = 0;

	pl011_mmio(u, off, (uint8_t *)&v, 4, false);
	return v;
}

static void test_pl011(void)
{
	const struct lu_section_spec spec = { PL011_STATE_TYPE, 1, 1, false, true };
	struct pl011 a, b;
	struct lu_writer w;
	struct lu_state st;
	char why[200];
	uint8_t *p;
	size_t len;

	pl011_init(&a, on_irq, on_tx, NULL);
	/* The guest's driver: baud, 8N1 with FIFOs, enabled, RX interrupts; then input arrives. */
	wr(&a, PL011_IBRD, 13);
	wr(&a, PL011_FBRD, 1);
	wr(&a, PL011_LCR_H, 0x70);
	wr(&a, PL011_CR, 0x301);
	wr(&a, PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	pl011_input(&a, (const uint8_t *)"hello", 5);
	CHECK(irq_level == 1, "model: input raises its interrupt");
	CHECK(rd(&a, PL011_DR) == 'h', "the guest reads one byte");

	lu_writer_init(&w);
	CHECK(pl011_state_save(&a, &w) == 0 && lu_writer_finish(&w) == 0, "saved");
	CHECK(lu_state_parse(&st, w.buf, w.len, &spec, 1) == 0, "the state parses");
	irq_level = -1;
	pl011_init(&b, on_irq, on_tx, NULL);
	CHECK(pl011_state_restore(&b, lu_state_find(&st, PL011_STATE_TYPE, 0), why, sizeof(why)) == 0 && irq_level == 1,
	      "restored into a new model, which drives its interrupt to the saved level");
	CHECK(rd(&b, PL011_IBRD) == 13 && rd(&b, PL011_LCR_H) == 0x70 && rd(&b, PL011_CR) == 0x301 &&
	      rd(&b, PL011_IMSC) == (PL011_INT_RX | PL011_INT_RT), "registers as the guest left them");
	CHECK(rd(&b, PL011_DR) == 'e' && rd(&b, PL011_DR) == 'l' && rd(&b, PL011_DR) == 'l' && rd(&b, PL011_DR) == 'o' &&
	      (rd(&b, PL011_FR) & PL011_FR_RXFE) && irq_level == 0, "the unread input comes next, then the FIFO is empty");
	lu_state_free(&st);

	/* Corruptions a valid CRC can carry (the writer's own bug, or a newer layout): refused. */
	p = w.buf + LU_HEADER_LEN + LU_SECTION_HEADER_LEN;
	len = w.len;
	{
		uint8_t copy[8192];
		const size_t rx_count_off = 9 * 4 + 1 + 8;
		struct lu_writer w2;

		memcpy(copy, p, 4 * 9 + 1 + 8 + 4 + 4);
		copy[5 * 4] = 0xff;   /* IMSC beyond the PL011's bits */
		copy[5 * 4 + 1] = 0xff;
		CHECK(one_section(&w2, &st, PL011_STATE_TYPE, copy, rx_count_off + 4 + 4) == 0 &&
		      pl011_state_restore(&b, lu_state_find(&st, PL011_STATE_TYPE, 0), why, sizeof(why)) < 0,
		      "interrupt mask bits the PL011 has not: %s", why);
		lu_state_free(&st);
		lu_writer_free(&w2);
		memcpy(copy, p, rx_count_off + 4 + 4);
		copy[9 * 4] = 0;      /* level 0 while RIS & IMSC say 1 */
		CHECK(one_section(&w2, &st, PL011_STATE_TYPE, copy, rx_count_off + 4 + 4) == 0 &&
		      pl011_state_restore(&b, lu_state_find(&st, PL011_STATE_TYPE, 0), why, sizeof(why)) < 0,
		      "an interrupt level RIS & IMSC contradict: %s", why);
		lu_state_free(&st);
		lu_writer_free(&w2);
		memcpy(copy, p, rx_count_off + 4 + 4);
		copy[rx_count_off] = 0x01;   /* 4097 backlog bytes */
		copy[rx_count_off + 1] = 0x10;
		CHECK(one_section(&w2, &st, PL011_STATE_TYPE, copy, rx_count_off + 4 + 4) == 0 &&
		      pl011_state_restore(&b, lu_state_find(&st, PL011_STATE_TYPE, 0), why, sizeof(why)) < 0,
		      "a backlog over %u bytes: %s", PL011_BACKLOG, why);
		lu_state_free(&st);
		lu_writer_free(&w2);
		CHECK(one_section(&w2, &st, PL011_STATE_TYPE, copy, 20) == 0 &&
		      pl011_state_restore(&b, lu_state_find(&st, PL011_STATE_TYPE, 0), why, sizeof(why)) < 0,
		      "a truncated section: %s", why);
		lu_state_free(&st);
		lu_writer_free(&w2);
	}
	(void)len;
	CHECK(rd(&b, PL011_IMSC) == (PL011_INT_RX | PL011_INT_RT), "a refused state changed nothing");
	lu_writer_free(&w);
	pl011_destroy(&a);
	pl011_destroy(&b);
}

int main(void)
{
	test_reg_list();
	test_pl011();
	return tap_done();
}
