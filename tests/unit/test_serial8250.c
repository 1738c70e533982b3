// SPDX-License-Identifier: GPL-2.0-only
/* 16550A driven the way Linux's 8250 driver drives it: byte port accesses through the bus callback. */
#include <string.h>

#include "devices/serial8250.h"
#include "tap.h"

static uint8_t out[2048];
static size_t out_len;
static bool line;
static int line_changes;

static void on_tx(void *opaque, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len && out_len < sizeof(out); i++)
		out[out_len++] = buf[i];
}

static void on_irq(void *opaque, bool level)
{
	line = level;
	line_changes++;
}

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static uint8_t rd(struct serial8250 *s, uint64_t off)
{
	uint8_t d = 0xaa;

	serial8250_access(s, off, &d, 1, false);
	return d;
}

static void wr(struct serial8250 *s, uint64_t off, uint8_t v)
{
	serial8250_access(s, off, &v, 1, true);
}

static void fresh(struct serial8250 *s)
{
	out_len = 0;
	line = false;
	line_changes = 0;
	serial8250_init(s, on_irq, on_tx, NULL);
}

static void test_reset_and_scratch(void)
{
	struct serial8250 s;

	fresh(&s);
	CHECK(rd(&s, IIR) == 0x01, "reset: IIR says no interrupt");
	CHECK((rd(&s, LSR) & 0x61) == 0x60, "reset: LSR THRE|TEMT, no data");
	CHECK(rd(&s, IER) == 0, "reset: IER 0");
	wr(&s, SCR, 0x5a);
	CHECK(rd(&s, SCR) == 0x5a, "scratch holds 0x5a");
	wr(&s, SCR, 0xa5);
	CHECK(rd(&s, SCR) == 0xa5, "scratch holds 0xa5");
	wr(&s, IER, 0xff);
	CHECK(rd(&s, IER) == 0x0f, "IER keeps only its 4 defined bits");
	serial8250_destroy(&s);
}

static void test_dlab(void)
{
	struct serial8250 s;

	fresh(&s);
	wr(&s, IER, 0x05);
	wr(&s, LCR, 0x83);      /* DLAB + 8N1 */
	wr(&s, DLL, 0x01);
	wr(&s, DLM, 0x02);
	CHECK(rd(&s, DLL) == 0x01 && rd(&s, DLM) == 0x02, "divisor latch reads back with DLAB set");
	CHECK(out_len == 0, "DLL write is not transmitted");
	wr(&s, LCR, 0x03);
	CHECK(rd(&s, LCR) == 0x03, "LCR reads back");
	CHECK(rd(&s, IER) == 0x05, "IER untouched by DLM write");
	serial8250_destroy(&s);
}

static void test_tx_thre(void)
{
	struct serial8250 s;

	fresh(&s);
	wr(&s, LCR, 0x03);
	wr(&s, THR, 'h');
	wr(&s, THR, 'i');
	CHECK(out_len == 2 && !memcmp(out, "hi", 2), "THR writes reach the output");
	CHECK(!line, "no interrupt while IER is 0");

	/* Linux's serial8250_startup THRE probe: enabling ETBEI with THR empty must interrupt. */
	wr(&s, IER, 0x02);
	CHECK(line, "ETBEI on with THR empty raises the line");
	CHECK((rd(&s, IIR) & 0x0f) == 0x02, "IIR reports THRE");
	CHECK(!line, "reading IIR acknowledged THRE: line low");
	CHECK((rd(&s, IIR) & 0x0f) == 0x01, "IIR now says no interrupt");
	wr(&s, IER, 0x00);
	wr(&s, IER, 0x02);
	CHECK(line && (rd(&s, IIR) & 0x0f) == 0x02, "re-enabling ETBEI raises THRE again");
	wr(&s, THR, 'x');
	CHECK(line, "THR write: transmitted at once, THRE pending again");
	wr(&s, IER, 0x00);
	CHECK(!line, "IER 0 lowers the line");
	serial8250_destroy(&s);
}

static void test_rx(void)
{
	struct serial8250 s;

	fresh(&s);
	wr(&s, FCR, 0x07);      /* FIFO on, clear both */
	CHECK((rd(&s, IIR) & 0xc0) == 0xc0, "IIR shows FIFOs enabled");
	serial8250_input(&s, (const uint8_t *)"ab", 2);
	CHECK(rd(&s, LSR) & 0x01, "LSR.DR set with input");
	CHECK(!line, "no RX interrupt while ERBFI is off");
	wr(&s, IER, 0x01);
	CHECK(line, "ERBFI on with data raises the line");
	CHECK((rd(&s, IIR) & 0x0f) == 0x04, "IIR reports received data");
	CHECK(rd(&s, RBR) == 'a', "first byte");
	CHECK(line, "line stays high with data left");
	CHECK(rd(&s, RBR) == 'b', "second byte");
	CHECK(!line, "line low once drained");
	CHECK(!(rd(&s, LSR) & 0x01), "LSR.DR clear once drained");
	CHECK(rd(&s, RBR) == 0, "empty RBR reads 0");

	/* Overrun: more input than the buffer holds. */
	static uint8_t big[SERIAL8250_RX_BUF + 10];
	memset(big, 'z', sizeof(big));
	wr(&s, IER, 0x05);
	serial8250_input(&s, big, sizeof(big));
	CHECK((rd(&s, IIR) & 0x0f) == 0x06, "overrun: line-status interrupt has priority");
	CHECK((rd(&s, LSR) & 0x03) == 0x03, "LSR shows OE and DR");
	CHECK(!(rd(&s, LSR) & 0x02), "OE cleared by reading LSR");
	CHECK((rd(&s, IIR) & 0x0f) == 0x04, "then received data");
	wr(&s, FCR, 0x03);      /* clear RX FIFO */
	CHECK(!(rd(&s, LSR) & 0x01) && !line, "FCR clear-RX empties the FIFO and lowers the line");
	serial8250_destroy(&s);
}

static void test_loopback(void)
{
	struct serial8250 s;

	fresh(&s);
	wr(&s, MCR, 0x10);              /* loopback, all outputs off */
	(void)rd(&s, MSR);              /* clear deltas */
	wr(&s, MCR, 0x1f);              /* DTR RTS OUT1 OUT2 on */
	uint8_t msr = rd(&s, MSR);
	CHECK((msr & 0xf0) == 0xf0, "loopback: CTS/DSR/RI/DCD follow RTS/DTR/OUT1/OUT2 (%#x)", msr);
	CHECK((msr & 0x0b) == 0x0b, "loopback: DCTS/DDSR/DDCD latched (%#x)", msr);
	CHECK((rd(&s, MSR) & 0x0f) == 0, "deltas clear on read");
	wr(&s, THR, 'L');
	CHECK(out_len == 0, "loopback: nothing reaches the output");
	CHECK((rd(&s, LSR) & 0x01) && rd(&s, RBR) == 'L', "loopback: TX byte comes back on RX");
	serial8250_input(&s, (const uint8_t *)"q", 1);
	CHECK(!(rd(&s, LSR) & 0x01), "loopback: host input is disconnected");
	wr(&s, IER, 0x08);
	wr(&s, MCR, 0x1b);              /* OUT1 off: RI falls -> TERI */
	CHECK(line && (rd(&s, IIR) & 0x0f) == 0x00, "modem-status interrupt on RI trailing edge");
	CHECK(rd(&s, MSR) & 0x04, "TERI set");
	CHECK(!line, "reading MSR clears the modem-status interrupt");
	wr(&s, MCR, 0x03);
	CHECK(rd(&s, MCR) == 0x03, "MCR reads back");
	CHECK((rd(&s, MSR) & 0xb0) == 0xb0, "out of loopback: CTS/DSR/DCD asserted");
	serial8250_destroy(&s);
}

static void test_garbage(void)
{
	struct serial8250 s;
	uint8_t d[8];

	fresh(&s);
	memset(d, 0, sizeof(d));
	serial8250_access(&s, 8, d, 1, false);
	CHECK(d[0] == 0xff, "offset past the registers reads all-ones");
	serial8250_access(&s, ~0ull, d, 1, true);
	serial8250_access(&s, 0, d, 4, false);
	CHECK(d[0] == 0xff && d[3] == 0xff, "4-byte access reads all-ones");
	memset(d, 0x41, sizeof(d));
	serial8250_access(&s, 0, d, 2, true);
	serial8250_access(&s, 0, d, 8, true);
	CHECK(out_len == 0, "wide writes to THR are ignored");
	serial8250_access(&s, 0, d, 0, true);
	serial8250_access(&s, 0, d, 1000, false);
	CHECK(rd(&s, LSR) == 0x60, "state intact after garbage accesses");
	/* Every register, every value: never crashes, state stays sane. */
	for (unsigned int off = 0; off < 8; off++)
		for (unsigned int v = 0; v < 256; v++) {
			uint8_t b = (uint8_t)v;

			serial8250_access(&s, off, &b, 1, true);
			serial8250_access(&s, off, &b, 1, false);
		}
	CHECK(s.rx_count <= SERIAL8250_RX_BUF, "RX count bounded after a write sweep");
	serial8250_destroy(&s);
}

int main(void)
{
	test_reset_and_scratch();
	test_dlab();
	test_tx_thre();
	test_rx();
	test_loopback();
	test_garbage();
	return tap_done();
}
