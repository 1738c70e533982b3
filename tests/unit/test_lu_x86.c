// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86_64 live-update sections that are pure encoding: the vCPU section (every field round-trips,
 * what KVM never reports is refused, every truncation refused), the kvmclock section and the TSC
 * offset arithmetic of Documentation/virt/kvm/devices/vcpu.rst 4.1, the IOAPIC (a model driven as
 * Linux drives it, restored into a new one that routes the same GSIs and goes on behaving the same)
 * and the 16550A (restored into a new model: registers, pending input, interrupt).
 */
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/clock_state.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/ioapic_state.h"
#include "arch/x86_64/vcpu_state.h"
#include "devices/serial8250.h"
#include "devices/serial8250_state.h"
#include "liveupdate/state_fields.h"
#include "liveupdate/state_format.h"
#include "tap.h"

typedef int (*decode_fn)(const struct lu_section *s, void *out, char *why, size_t why_size);

/* One section of TYPE holding LEN bytes of P, parsed into ST (the writer W keeps the bytes). */
static int one_section(struct lu_writer *w, struct lu_state *st, const char *type, const void *p, size_t len)
{
	const struct lu_section_spec spec = { type, 1, 1, true, true };

	lu_writer_init(w);
	lu_writer_begin(w, type, 0, 1, LU_SEC_MANDATORY);
	lu_writer_append(w, p, len);
	if (lu_writer_end(w) || lu_writer_finish(w))
		return -1;
	return lu_state_parse(st, w->buf, w->len, &spec, 1);
}

/* Every payload shorter than LEN (a prefix of P) is refused by DEC: the count refused and tried. */
static void truncations(const char *type, const uint8_t *p, size_t len, decode_fn dec, void *out, unsigned int *refused,
			unsigned int *tried)
{
	char why[200];

	*refused = *tried = 0;
	for (size_t cut = 0; cut < len; cut++) {
		struct lu_writer w;
		struct lu_state st;

		if (one_section(&w, &st, type, p, cut) == 0) {
			(*tried)++;
			if (dec(lu_state_find(&st, type, 0), out, why, sizeof(why)) < 0)
				(*refused)++;
			lu_state_free(&st);
		}
		lu_writer_free(&w);
	}
}

/* ---- the vCPU section ---- */

static void fill(void *p, size_t len, uint8_t seed)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

static void sample_vcpu(struct x86_vcpu_state *s)
{
	memset(s, 0, sizeof(*s));
	s->tsc_khz = 2100000;
	s->tsc_offset = 0xfffffff123456789ull;
	s->tsc_deadline = 0x123456789abull;
	fill(&s->regs, sizeof(s->regs), 1);
	fill(&s->sregs, sizeof(s->sregs), 2);
	s->sregs.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
	s->xcrs.nr_xcrs = 1;
	s->xcrs.xcrs[0].value = 7;
	s->xsave_len = 4096 + 64;
	s->xsave = malloc(s->xsave_len);
	fill(s->xsave, s->xsave_len, 3);
	fill(&s->lapic, sizeof(s->lapic), 4);
	s->events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
	s->events.interrupt.injected = 1;
	s->events.interrupt.nr = 0xec;
	s->events.nmi.masked = 1;
	s->events.smi.latched_init = 1;
	s->mp_state = KVM_MP_STATE_HALTED;
	s->dbg.dr6 = 0xffff0ff0;
	s->dbg.dr7 = 0x400;
	s->nr_msrs = 3;
	s->msrs = calloc(3, sizeof(*s->msrs));
	s->msrs[0] = (struct kvm_msr_entry){ .index = 0xc0000082, .data = 0xffffffff81000000ull };
	s->msrs[1] = (struct kvm_msr_entry){ .index = 0x4b564d01, .data = 0x7ff1001 };
	s->msrs[2] = (struct kvm_msr_entry){ .index = 0x2ff, .data = 0xc06 };
	s->nr_cpuid = 2;
	s->cpuid = calloc(2, sizeof(*s->cpuid));
	s->cpuid[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0x1f, .ebx = 0x68747541 };
	s->cpuid[1] = (struct kvm_cpuid_entry2){ .function = 0xd, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
						 .eax = 0xf, .ebx = 0x240 };
}

static int dec_vcpu(const struct lu_section *s, void *out, char *why, size_t why_size)
{
	int r = x86_vcpu_state_get(s, out, why, why_size);

	x86_vcpu_state_free(out);
	return r;
}

/* Encodes S, decodes it into OUT: 0 or the decoder's refusal (WHY). */
static int vcpu_round(const struct x86_vcpu_state *s, struct x86_vcpu_state *out, char *why, size_t why_size)
{
	const struct lu_section_spec spec = { X86_VCPU_STATE_TYPE, 1, 1, true, true };
	struct lu_writer w;
	struct lu_state st;
	int r;

	lu_writer_init(&w);
	r = x86_vcpu_state_put(&w, 3, s);
	if (!r)
		r = lu_writer_finish(&w);
	if (!r)
		r = lu_state_parse(&st, w.buf, w.len, &spec, 1);
	if (!r) {
		r = x86_vcpu_state_get(lu_state_find(&st, X86_VCPU_STATE_TYPE, 3), out, why, why_size);
		lu_state_free(&st);
	}
	lu_writer_free(&w);
	return r;
}

static void test_vcpu(void)
{
	struct x86_vcpu_state s, o;
	char why[200];
	int r;

	sample_vcpu(&s);
	r = vcpu_round(&s, &o, why, sizeof(why));
	CHECK(r == 0, "a vCPU state round-trips%s%s", r ? ": " : "", r ? why : "");
	if (r)
		memset(&o, 0, sizeof(o));
	CHECK(o.tsc_khz == s.tsc_khz && o.tsc_offset == s.tsc_offset && o.tsc_deadline == s.tsc_deadline &&
	      !memcmp(&o.regs, &s.regs, sizeof(s.regs)) && !memcmp(&o.sregs, &s.sregs, sizeof(s.sregs)) &&
	      !memcmp(&o.xcrs, &s.xcrs, sizeof(s.xcrs)) && !memcmp(&o.lapic, &s.lapic, sizeof(s.lapic)) &&
	      !memcmp(&o.events, &s.events, sizeof(s.events)) && o.mp_state == s.mp_state &&
	      !memcmp(&o.dbg, &s.dbg, sizeof(s.dbg)), "TSC, regs, sregs2, XCRs, LAPIC, events, mp_state, debug registers");
	CHECK(o.xsave_len == s.xsave_len && o.xsave && !memcmp(o.xsave, s.xsave, s.xsave_len), "the XSAVE area (%u bytes)",
	      s.xsave_len);
	CHECK(o.nr_msrs == 3 && o.msrs && !memcmp(o.msrs, s.msrs, 3 * sizeof(*s.msrs)) && o.nr_cpuid == 2 && o.cpuid &&
	      !memcmp(o.cpuid, s.cpuid, 2 * sizeof(*s.cpuid)), "the MSRs and CPUID entries");
	x86_vcpu_state_free(&o);

	/* Truncated: every prefix of the payload. */
	{
		const struct lu_section_spec spec = { X86_VCPU_STATE_TYPE, 1, 1, true, true };
		unsigned int refused, tried;
		struct lu_writer w;
		struct lu_state st;
		uint8_t *p;
		size_t len;

		lu_writer_init(&w);
		x86_vcpu_state_put(&w, 0, &s);
		lu_writer_finish(&w);
		lu_state_parse(&st, w.buf, w.len, &spec, 1);
		len = lu_state_find(&st, X86_VCPU_STATE_TYPE, 0)->len;
		p = malloc(len);
		memcpy(p, lu_state_find(&st, X86_VCPU_STATE_TYPE, 0)->data, len);
		lu_state_free(&st);
		lu_writer_free(&w);
		truncations(X86_VCPU_STATE_TYPE, p, len, dec_vcpu, &o, &refused, &tried);
		CHECK(tried == len && refused == tried, "every truncation of the %zu-byte section refused (%u of %u)", len,
		      refused, tried);
		/* One byte more is refused too: a version's layout is fixed. */
		p = realloc(p, len + 1);
		p[len] = 0;
		{
			struct lu_writer w2;
			struct lu_state st2;

			CHECK(one_section(&w2, &st2, X86_VCPU_STATE_TYPE, p, len + 1) == 0 &&
			      dec_vcpu(lu_state_find(&st2, X86_VCPU_STATE_TYPE, 0), &o, why, sizeof(why)) < 0,
			      "a trailing byte refused: %s", why);
			lu_state_free(&st2);
			lu_writer_free(&w2);
		}
		free(p);
	}

	/* What KVM never reports. Each case changes one field of the sample. */
	{
		static const char *const names[] = {
			"TSC at 0 kHz", "unknown sregs2 flags", "17 XCRs", "XCR flags", "a 4092-byte XSAVE area",
			"a 4098-byte XSAVE area", "an XSAVE area over the maximum", "unknown event flags",
			"event reserved bytes", "mp_state 5 (s390 STOPPED)", "debug register flags",
			"debug register reserved words", "IA32_TSC in the MSR list", "IA32_TSC_DEADLINE in the MSR list",
			"an MSR listed twice", "more than X86_MSRS_MAX MSRs",
		};
		for (unsigned int k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			struct x86_vcpu_state b;

			sample_vcpu(&b);
			switch (k) {
			case 0: b.tsc_khz = 0; break;
			case 1: b.sregs.flags = 2; break;
			case 2: b.xcrs.nr_xcrs = 17; break;
			case 3: b.xcrs.flags = 1; break;
			case 4: b.xsave_len = 4092; break;
			case 5: b.xsave_len = 4098; break;
			case 6:
				free(b.xsave);
				b.xsave_len = X86_XSAVE_MAX + 4;
				b.xsave = calloc(1, b.xsave_len);
				break;
			case 7: b.events.flags |= 0x40; break;
			case 8: b.events.reserved[25] = 1; break;
			case 9: b.mp_state = KVM_MP_STATE_STOPPED; break;
			case 10: b.dbg.flags = 1; break;
			case 11: b.dbg.reserved[8] = 1; break;
			case 12: b.msrs[1].index = X86_MSR_IA32_TSC; break;
			case 13: b.msrs[2].index = X86_MSR_IA32_TSC_DEADLINE; break;
			case 14: b.msrs[2].index = b.msrs[0].index; break;
			case 15:
				free(b.msrs);
				b.nr_msrs = X86_MSRS_MAX + 1;
				b.msrs = calloc(b.nr_msrs, sizeof(*b.msrs));
				for (uint32_t i = 0; i < b.nr_msrs; i++)
					b.msrs[i].index = 0x40000000 + i;
				break;
			}
			why[0] = 0;
			r = vcpu_round(&b, &o, why, sizeof(why));
			CHECK(r < 0 && why[0] && !o.xsave && !o.msrs && !o.cpuid, "refused: %s (%s)", names[k], why);
			x86_vcpu_state_free(&b);
		}
	}
	x86_vcpu_state_free(&s);
}

/* ---- kvmclock and the TSC offsets ---- */

static int dec_clock(const struct lu_section *s, void *out, char *why, size_t why_size)
{
	return x86_clock_state_get(s, out, why, why_size);
}

static void test_clock(void)
{
	const struct lu_section_spec spec = { X86_CLOCK_STATE_TYPE, 1, 1, false, true };
	struct x86_clock_state c = { .flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC,
				     .clock = 123456789012ull, .realtime = 1700000000000000000ull, .host_tsc = 99999999999ull,
				     .mono = 5555555555ull }, o;
	unsigned int refused, tried;
	struct lu_writer w;
	struct lu_state st;
	uint8_t p[64];
	char why[200];
	size_t len;

	lu_writer_init(&w);
	CHECK(x86_clock_state_put(&w, &c) == 0 && lu_writer_finish(&w) == 0 && lu_state_parse(&st, w.buf, w.len, &spec, 1) == 0,
	      "a kvmclock section written and parsed");
	CHECK(x86_clock_state_get(lu_state_find(&st, X86_CLOCK_STATE_TYPE, 0), &o, why, sizeof(why)) == 0 &&
	      o.flags == c.flags && o.clock == c.clock && o.realtime == c.realtime && o.host_tsc == c.host_tsc &&
	      o.mono == c.mono, "kvmclock round-trips");
	len = lu_state_find(&st, X86_CLOCK_STATE_TYPE, 0)->len;
	memcpy(p, lu_state_find(&st, X86_CLOCK_STATE_TYPE, 0)->data, len);
	lu_state_free(&st);
	lu_writer_free(&w);
	truncations(X86_CLOCK_STATE_TYPE, p, len, dec_clock, &o, &refused, &tried);
	CHECK(tried == len && refused == tried, "every truncation refused (%u of %u)", refused, tried);
	p[0] |= 0x10;   /* a flag KVM_GET_CLOCK does not define */
	CHECK(one_section(&w, &st, X86_CLOCK_STATE_TYPE, p, len) == 0 &&
	      x86_clock_state_get(lu_state_find(&st, X86_CLOCK_STATE_TYPE, 0), &o, why, sizeof(why)) < 0,
	      "unknown kvmclock flags refused: %s", why);
	lu_state_free(&st);
	lu_writer_free(&w);

	/* vcpu.rst 4.1 step 6 on one host: kvmclock and the TSC moved alike, the offset stays. */
	CHECK(x86_tsc_offset_after(1000, 5000000000ull, 6000000000ull, 10000000000ull, 12000000000ull, 2000000) == 1000,
	      "1 s on kvmclock and 2e9 ticks at 2 GHz: the offset is unchanged");
	/* kvmclock advanced 1 s more than the host TSC did: the guest TSC must advance 1 s more too. */
	CHECK(x86_tsc_offset_after(1000, 5000000000ull, 7000000000ull, 10000000000ull, 12000000000ull, 2000000) ==
	      1000 + 2000000000ull, "kvmclock 1 s ahead of the host TSC: the offset grows by 1 s of ticks");
	/* An offset that wraps (the guest TSC started near 0 on a host whose TSC is large). */
	CHECK(x86_tsc_offset_after(0 - 50000000000ull, 5000000000ull, 5000000000ull, 10000000000ull, 10000001000ull,
				   3000000) == 0 - 50000001000ull, "a negative offset, host TSC on by 1000 ticks");
	CHECK(x86_tsc_offset_after(5000, 5000000000ull, 4999999000ull, 10, 10, 1000000) == 4000,
	      "kvmclock read back 1 us behind: 1000 ticks at 1 GHz back");
}

/* ---- the IOAPIC ---- */

static int nmsi, nroute;
static uint64_t route_addr[IOAPIC_PINS], last_addr;
static uint32_t route_data[IOAPIC_PINS], routed_pins, last_data;

static int on_msi(void *opaque, uint64_t addr, uint32_t data)
{
	nmsi++;
	last_addr = addr;
	last_data = data;
	return 0;
}

static void on_route(void *opaque, unsigned int pin, uint64_t addr, uint32_t data)
{
	nroute++;
	routed_pins |= 1u << pin;
	route_addr[pin] = addr;
	route_data[pin] = data;
}

static uint32_t io_rd(struct ioapic *io, uint32_t reg)
{
	uint8_t d[4];
	uint32_t v = reg;

	memcpy(d, &v, 4);
	ioapic_mmio(io, 0x00, d, 4, true);
	ioapic_mmio(io, 0x10, d, 4, false);
	memcpy(&v, d, 4);
	return v;
}

static void io_wr(struct ioapic *io, uint32_t reg, uint32_t val)
{
	uint8_t d[4];

	memcpy(d, &reg, 4);
	ioapic_mmio(io, 0x00, d, 4, true);
	memcpy(d, &val, 4);
	ioapic_mmio(io, 0x10, d, 4, true);
}

static void io_rte(struct ioapic *io, unsigned int pin, uint64_t r)
{
	io_wr(io, 0x10 + 2 * pin + 1, (uint32_t)(r >> 32));
	io_wr(io, 0x10 + 2 * pin, (uint32_t)r);
}

static int dec_ioapic(const struct lu_section *s, void *out, char *why, size_t why_size)
{
	return ioapic_state_restore(out, s, why, why_size);
}

static void test_ioapic(void)
{
	const struct lu_section_spec spec = { IOAPIC_STATE_TYPE, 1, 1, false, true };
	struct ioapic a, b;
	unsigned int refused, tried;
	struct lu_writer w;
	struct lu_state st;
	uint8_t p[512];
	char why[200];
	size_t len;

	/* Linux: IOAPIC id 2, COM1 (pin 4) edge to vector 0x24 on APIC 1, pin 10 level to 0x31 on APIC 0. */
	ioapic_init(&a, on_msi, on_route, NULL);
	io_wr(&a, 0x00, 2u << 24);
	io_rte(&a, 4, 0x24 | 1ull << 56);
	io_rte(&a, 10, 0x31 | 1ull << 15 | 1ull << 13);
	ioapic_set_irq(&a, 10, true);   /* asserted: delivered, Remote IRR set until the EOI */
	ioapic_set_irq(&a, 4, true);
	CHECK(nmsi == 2 && nroute == 1 && (io_rd(&a, 0x10 + 20) & 1u << 14), "model: two interrupts, pin 10 in service");
	io_rd(&a, 0x10 + 9);            /* IOREGSEL left at pin 4's high dword */

	lu_writer_init(&w);
	CHECK(ioapic_state_save(&a, &w) == 0 && lu_writer_finish(&w) == 0 && lu_state_parse(&st, w.buf, w.len, &spec, 1) == 0,
	      "saved and parsed");
	nmsi = nroute = 0;
	routed_pins = 0;
	ioapic_init(&b, on_msi, on_route, NULL);
	CHECK(ioapic_state_restore(&b, lu_state_find(&st, IOAPIC_STATE_TYPE, 0), why, sizeof(why)) == 0,
	      "restored into a new IOAPIC");
	{
		uint8_t d[4];
		uint32_t v;

		ioapic_mmio(&b, 0x00, d, 4, false);
		memcpy(&v, d, 4);
		CHECK(v == 0x10 + 9, "IOREGSEL as the guest left it");
	}
	CHECK(nroute == 1 && routed_pins == 1u << 10 && route_addr[10] == 0xfee00000ull && route_data[10] == (0x31 | 3u << 14) &&
	      nmsi == 0, "the level pin's GSI route rebuilt with the same MSI, nothing delivered");
	CHECK((io_rd(&b, 0x00) >> 24) == 2 && io_rd(&b, 0x10 + 8) == 0x24 && io_rd(&b, 0x10 + 9) == 1u << 24 &&
	      (io_rd(&b, 0x10 + 20) & 1u << 14), "id, redirection entries and Remote IRR as saved");
	ioapic_eoi(&b, 0x31);
	CHECK(nmsi == 1 && last_data == (0x31 | 3u << 14), "the EOI of pin 10 re-delivers it (still asserted)");
	ioapic_set_irq(&b, 4, true);
	CHECK(nmsi == 1, "pin 4 kept its level: no new edge");
	ioapic_set_irq(&b, 4, false);
	ioapic_set_irq(&b, 4, true);
	CHECK(nmsi == 2 && last_addr == (0xfee00000ull | 1u << 12), "its next edge goes to APIC 1");
	len = lu_state_find(&st, IOAPIC_STATE_TYPE, 0)->len;
	memcpy(p, lu_state_find(&st, IOAPIC_STATE_TYPE, 0)->data, len);
	lu_state_free(&st);
	lu_writer_free(&w);

	truncations(IOAPIC_STATE_TYPE, p, len, dec_ioapic, &b, &refused, &tried);
	CHECK(tried == len && refused == tried, "every truncation refused (%u of %u)", refused, tried);
	{
		/* Offsets: id 0, IOREGSEL 1, levels 5, RTEs 9 + 8 * pin, routed 201, routes 205 + 12 * pin. */
		static const struct { size_t off; uint8_t val; const char *what; } bad[] = {
			{ 0, 0x10, "a 5-bit IOAPIC id" },
			{ 2, 0x01, "IOREGSEL over 0xff" },
			{ 8, 0x01, "a level on pin 24" },
			{ 9 + 8 * 4 + 1, 0x10, "delivery status set" },
			{ 9 + 8 * 4 + 1, 0x40, "Remote IRR on an edge pin" },
			{ 204, 0x01, "pin 24 routed" },
			{ 205 + 12 * 10 + 2, 0x00, "a route that is no MSI address" },
		};
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			uint8_t q[512];

			memcpy(q, p, len);
			q[bad[k].off] = bad[k].val;
			if (bad[k].off == 205 + 12 * 10 + 2)
				q[bad[k].off + 1] = 0;
			nroute = 0;
			CHECK(one_section(&w, &st, IOAPIC_STATE_TYPE, q, len) == 0 &&
			      ioapic_state_restore(&b, lu_state_find(&st, IOAPIC_STATE_TYPE, 0), why, sizeof(why)) < 0 && !nroute,
			      "refused, nothing routed: %s (%s)", bad[k].what, why);
			lu_state_free(&st);
			lu_writer_free(&w);
		}
	}
	ioapic_destroy(&a);
	ioapic_destroy(&b);
}

/* ---- the 16550A ---- */

static int line = -1;

static void on_line(void *opaque, bool level)
{
	line = level;
}

static void on_tx(void *opaque, const uint8_t *buf, size_t len)
{
}

static uint8_t u_rd(struct serial8250 *s, uint64_t off)
{
	uint8_t d = 0;

	serial8250_access(s, off, &d, 1, false);
	return d;
}

static void u_wr(struct serial8250 *s, uint64_t off, uint8_t v)
{
	serial8250_access(s, off, &v, 1, true);
}

static int dec_uart(const struct lu_section *s, void *out, char *why, size_t why_size)
{
	return serial8250_state_restore(out, s, why, why_size);
}

static void test_serial8250(void)
{
	const struct lu_section_spec spec = { SERIAL8250_STATE_TYPE, 1, 1, true, true };
	static struct serial8250 a, b;
	unsigned int refused, tried;
	struct lu_writer w;
	struct lu_state st;
	uint8_t p[2048];
	char why[200];
	size_t len;

	/* Linux's 8250: 115200 8N1 (divisor 1), FIFOs, DTR/RTS/OUT2, RX interrupts; input arrives. */
	serial8250_init(&a, on_line, on_tx, NULL);
	u_wr(&a, 3, 0x80);
	u_wr(&a, 0, 1);
	u_wr(&a, 1, 0);
	u_wr(&a, 3, 0x03);
	u_wr(&a, 2, 0xc1);
	u_wr(&a, 4, 0x0b);
	u_wr(&a, 7, 0x5a);
	u_wr(&a, 1, 0x01);
	serial8250_input(&a, (const uint8_t *)"date\n", 5);
	CHECK(line == 1 && u_rd(&a, 0) == 'd', "model: input raises the line, the guest reads one byte");

	lu_writer_init(&w);
	CHECK(serial8250_state_save(&a, 0, &w) == 0 && lu_writer_finish(&w) == 0 &&
	      lu_state_parse(&st, w.buf, w.len, &spec, 1) == 0, "saved and parsed");
	line = -1;
	serial8250_init(&b, on_line, on_tx, NULL);
	CHECK(serial8250_state_restore(&b, lu_state_find(&st, SERIAL8250_STATE_TYPE, 0), why, sizeof(why)) == 0 && line == 1,
	      "restored; the line driven to the saved level");
	CHECK(u_rd(&b, 3) == 0x03 && u_rd(&b, 4) == 0x0b && u_rd(&b, 7) == 0x5a && u_rd(&b, 1) == 0x01 &&
	      (u_rd(&b, 2) & 0xcf) == 0xc4, "LCR, MCR, SCR, IER, FIFOs on and received data pending in IIR");
	u_wr(&b, 3, 0x83);
	CHECK(u_rd(&b, 0) == 1 && u_rd(&b, 1) == 0, "the divisor latch");
	u_wr(&b, 3, 0x03);
	CHECK(u_rd(&b, 0) == 'a' && u_rd(&b, 0) == 't' && u_rd(&b, 0) == 'e' && u_rd(&b, 0) == '\n' &&
	      !(u_rd(&b, 5) & 1) && line == 0, "the unread input comes next, then none and the line drops");
	len = lu_state_find(&st, SERIAL8250_STATE_TYPE, 0)->len;
	memcpy(p, lu_state_find(&st, SERIAL8250_STATE_TYPE, 0)->data, len);
	lu_state_free(&st);
	lu_writer_free(&w);

	truncations(SERIAL8250_STATE_TYPE, p, len, dec_uart, &b, &refused, &tried);
	CHECK(tried == len && refused == tried, "every truncation refused (%u of %u)", refused, tried);
	{
		/* Offsets: IER 0, LCR 1, MCR 2, LSR 3, MSR 4, SCR 5, FCR 6, divisor 7, THRE 9, level 10, count 11. */
		static const struct { size_t off; uint8_t val; const char *what; } bad[] = {
			{ 0, 0x10, "IER bit 4" }, { 2, 0x20, "MCR bit 5" }, { 3, 0x01, "LSR without THRE/TEMT" },
			{ 4, 0x10, "MSR line bits" }, { 6, 0x02, "FCR clear bits kept" }, { 9, 2, "a THRE flag of 2" },
			{ 10, 0, "level 0 with input pending and ERBFI" }, { 12, 0x04, "1028 input bytes" },
		};
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			uint8_t q[2048];

			memcpy(q, p, len);
			q[bad[k].off] = bad[k].val;
			CHECK(one_section(&w, &st, SERIAL8250_STATE_TYPE, q, len) == 0 &&
			      serial8250_state_restore(&b, lu_state_find(&st, SERIAL8250_STATE_TYPE, 0), why, sizeof(why)) < 0,
			      "refused: %s (%s)", bad[k].what, why);
			lu_state_free(&st);
			lu_writer_free(&w);
		}
	}
	CHECK(u_rd(&b, 7) == 0x5a && u_rd(&b, 3) == 0x03, "a refused state changed nothing");
	serial8250_destroy(&a);
	serial8250_destroy(&b);
}

/* The LAPIC ID register: the state keeps KVM's 8-bit layout whatever the VM's x2APIC id format. */
static void test_lapic_id(void)
{
	struct kvm_lapic_state l;
	uint32_t id;

	memset(&l, 0, sizeof(l));
	id = 3;                                  /* KVM_GET_LAPIC, 32-bit ids, x2APIC mode */
	memcpy(l.regs + 0x20, &id, 4);
	x86_lapic_id_to_state(&l, true);
	memcpy(&id, l.regs + 0x20, 4);
	CHECK(id == 3u << 24, "x2APIC id 3 saved in the 8-bit layout (%#x)", id);
	x86_lapic_id_to_state(&l, false);
	memcpy(&id, l.regs + 0x20, 4);
	CHECK(id == 3u << 24, "8-bit layout (xAPIC mode, or no 32-bit ids): as KVM gave it");
	x86_lapic_id_from_state(&l, true, 300);
	memcpy(&id, l.regs + 0x20, 4);
	CHECK(id == 300, "restored with 32-bit ids in x2APIC mode: the vCPU's own x2APIC id (%u)", id);
	id = 5u << 24;
	memcpy(l.regs + 0x20, &id, 4);
	x86_lapic_id_from_state(&l, false, 5);
	memcpy(&id, l.regs + 0x20, 4);
	CHECK(id == 5u << 24, "restored in the 8-bit layout: unchanged");
}

int main(void)
{
	test_vcpu();
	test_lapic_id();
	test_clock();
	test_ioapic();
	test_serial8250();
	return tap_done();
}
