// SPDX-License-Identifier: GPL-2.0-only
/*
 * fw_cfg driven the way OVMF (x86 ports 0x510/0x511/0x514) and AAVMF (virt MMIO) drive it: through
 * the bus, selector then data reads, the file directory walked for a name, and DMA descriptors in
 * real guest RAM completed in place.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/fw_cfg_machine.h"
#include "tap.h"
#include "vmm/bus.h"
#include "vmm/guest_mem.h"

#define RAM_BASE  0x40000000ull
#define RAM_SIZE  (4ull << 20)
#define MMIO_BASE 0x09020000ull
#define DESC      (RAM_BASE + 0x1000)
#define BUF       (RAM_BASE + 0x2000)

static struct guest_mem gm;
static struct bus pio, mmio;

static void pio_w16(uint16_t port, uint16_t v)
{
	uint8_t d[2] = { v & 0xff, v >> 8 };

	bus_dispatch(&pio, port, d, 2, true);
}

static void pio_w32be(uint16_t port, uint32_t v)
{
	uint32_t be = htobe32(v);

	/* An `out` of a 32-bit register: the bus carries its little-endian bytes; OVMF swaps first. */
	bus_dispatch(&pio, port, (uint8_t *)&be, 4, true);
}

static uint8_t pio_r8(uint16_t port)
{
	uint8_t d = 0xaa;

	bus_dispatch(&pio, port, &d, 1, false);
	return d;
}

static void pio_read(void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = pio_r8(FW_CFG_PIO_BASE + 1);
}

/* The x86 firmware's DMA kick: high half at 0x514, low half at 0x518 (both big-endian). */
static void pio_dma(uint64_t desc)
{
	pio_w32be(FW_CFG_PIO_BASE + 4, (uint32_t)(desc >> 32));
	pio_w32be(FW_CFG_PIO_BASE + 8, (uint32_t)desc);
}

static void put_desc(uint64_t at, uint32_t control, uint32_t len, uint64_t addr)
{
	struct { uint32_t c, l; uint64_t a; } __attribute__((packed)) d = { htobe32(control), htobe32(len), htobe64(addr) };

	gmem_write(&gm, at, &d, sizeof(d));
}

static uint32_t desc_control(uint64_t at)
{
	uint32_t c = 0xdeadbeef;

	gmem_read(&gm, at, &c, 4);
	return be32toh(c);
}

/* The firmware's QemuFwCfgFindFile: walk FW_CFG_FILE_DIR through the data port. */
static int find_file(const char *name, uint16_t *key, uint32_t *size)
{
	uint32_t count;

	pio_w16(FW_CFG_PIO_BASE, FW_CFG_FILE_DIR);
	pio_read(&count, 4);
	count = be32toh(count);
	for (uint32_t i = 0; i < count && i < 1000; i++) {
		struct fw_cfg_file e;

		pio_read(&e, sizeof(e));
		if (!strncmp(e.name, name, sizeof(e.name))) {
			*key = be16toh(e.select);
			*size = be32toh(e.size);
			return 0;
		}
	}
	return -1;
}

static void test_pio_identity(struct fw_cfg *f)
{
	char sig[5] = { 0 };
	uint32_t id;
	uint8_t dsig[8];

	pio_w16(FW_CFG_PIO_BASE, FW_CFG_SIGNATURE);
	pio_read(sig, 4);
	CHECK(!strcmp(sig, "QEMU"), "signature reads QEMU through port 0x511");
	CHECK(pio_r8(FW_CFG_PIO_BASE + 1) == 0, "reads past the item's end give 0");
	pio_w16(FW_CFG_PIO_BASE, FW_CFG_SIGNATURE);
	CHECK(pio_r8(FW_CFG_PIO_BASE + 1) == 'Q', "selecting again resets the offset");
	pio_w16(FW_CFG_PIO_BASE, FW_CFG_ID);
	pio_read(&id, 4);
	CHECK(le32toh(id) == (FW_CFG_VERSION | FW_CFG_VERSION_DMA), "ID: traditional interface + DMA");
	bus_dispatch(&pio, FW_CFG_PIO_BASE + 4, dsig, 4, false);
	bus_dispatch(&pio, FW_CFG_PIO_BASE + 8, dsig + 4, 4, false);
	CHECK(!memcmp(dsig, "QEMU CFG", 8), "DMA register reads the DMA signature");
	pio_w16(FW_CFG_PIO_BASE, 0x1234);
	CHECK(pio_r8(FW_CFG_PIO_BASE + 1) == 0, "unknown key reads 0");
	pio_w16(FW_CFG_PIO_BASE, FW_CFG_SIGNATURE | FW_CFG_WRITE_CHANNEL);
	bus_dispatch(&pio, FW_CFG_PIO_BASE + 1, (uint8_t[]){ 'X' }, 1, true);
	CHECK(pio_r8(FW_CFG_PIO_BASE + 1) == 'Q', "data port writes are ignored (spec: no-ops), bit 14 selects the same item");
	(void)f;
}

static void test_pio_machine(struct fw_cfg *f)
{
	uint16_t cpus = 0, key = 0;
	uint64_t ram = 0;
	uint32_t size = 0, ksize = 0, csize = 0;
	struct fw_cfg_e820 e[2];
	char cmd[32] = { 0 };

	pio_w16(FW_CFG_PIO_BASE, FW_CFG_NB_CPUS);
	pio_read(&cpus, 2);
	CHECK(le16toh(cpus) == 3, "FW_CFG_NB_CPUS is le16 3");
	pio_w16(FW_CFG_PIO_BASE, FW_CFG_RAM_SIZE);
	pio_read(&ram, 8);
	CHECK(le64toh(ram) == RAM_SIZE, "FW_CFG_RAM_SIZE is le64 RAM size");
	CHECK(find_file("etc/e820", &key, &size) == 0 && size == 2 * sizeof(struct fw_cfg_e820) &&
	      key >= FW_CFG_FILE_FIRST, "etc/e820 found in the directory with 2 entries");
	pio_w16(FW_CFG_PIO_BASE, key);
	pio_read(e, sizeof(e));
	CHECK(le64toh(e[1].address) == 0x100000 && le64toh(e[1].length) == RAM_SIZE - 0x100000 &&
	      le32toh(e[1].type) == FW_CFG_E820_RAM, "e820 entry little-endian address/length/type");
	CHECK(find_file("no/such/file", &key, &size) != 0, "a missing file is not found");
	pio_w16(FW_CFG_PIO_BASE, FW_CFG_KERNEL_SIZE);
	pio_read(&ksize, 4);
	pio_w16(FW_CFG_PIO_BASE, FW_CFG_CMDLINE_SIZE);
	pio_read(&csize, 4);
	pio_w16(FW_CFG_PIO_BASE, FW_CFG_CMDLINE_DATA);
	pio_read(cmd, le32toh(csize) < sizeof(cmd) ? le32toh(csize) : sizeof(cmd) - 1);
	CHECK(le32toh(ksize) == 5000 && le32toh(csize) == 15 && !strcmp(cmd, "console=ttyS0 "),
	      "kernel size, cmdline size (with NUL) and data");
	(void)f;
}

static void test_pio_dma(struct fw_cfg *f)
{
	uint8_t buf[5000], want[5000];
	uint64_t e0;

	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(i * 7);
	/* Select + read in one descriptor: the whole kernel. */
	memset(buf, 0x55, sizeof(buf));
	gmem_write(&gm, BUF, buf, sizeof(buf));
	put_desc(DESC, FW_CFG_KERNEL_DATA << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4000, BUF);
	pio_dma(DESC);
	gmem_read(&gm, BUF, buf, sizeof(buf));
	CHECK(desc_control(DESC) == 0, "DMA select+read completes with control 0");
	CHECK(!memcmp(buf, want, 4000) && buf[4000] == 0x55, "DMA read copied exactly 4000 bytes");
	/* Skip 500, then read past the end: 500 bytes of data then zeros. */
	put_desc(DESC, FW_CFG_DMA_CTL_SKIP, 500, 0);
	pio_dma(DESC);
	CHECK(desc_control(DESC) == 0, "DMA skip completes");
	put_desc(DESC, FW_CFG_DMA_CTL_READ, 1000, BUF);
	pio_dma(DESC);
	gmem_read(&gm, BUF, buf, 1000);
	CHECK(desc_control(DESC) == 0 && !memcmp(buf, want + 4500, 500) && buf[500] == 0 && buf[999] == 0,
	      "DMA read past the item's end fills zeros");
	/* A buffer outside RAM: error bit, nothing written anywhere, the VMM goes on. */
	e0 = f->dma_errors;
	put_desc(DESC, FW_CFG_KERNEL_DATA << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 16, RAM_BASE + RAM_SIZE - 8);
	pio_dma(DESC);
	CHECK(desc_control(DESC) == FW_CFG_DMA_CTL_ERROR && f->dma_errors == e0 + 1, "DMA buffer leaving RAM: error bit");
	put_desc(DESC, FW_CFG_DMA_CTL_READ, 16, ~0ull - 7);
	pio_dma(DESC);
	CHECK(desc_control(DESC) == FW_CFG_DMA_CTL_ERROR, "DMA buffer wrapping the address space: error bit");
	/* A descriptor outside RAM: nothing to complete, nothing touched. */
	pio_dma(RAM_BASE - 16);
	pio_dma(~0ull - 3);
	CHECK(f->dma_errors == e0 + 4, "DMA descriptors outside RAM are counted and dropped");
	/* Writes: refused on a read-only item, allowed within a writable file. */
	put_desc(DESC, FW_CFG_KERNEL_DATA << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, BUF);
	pio_dma(DESC);
	CHECK(desc_control(DESC) == FW_CFG_DMA_CTL_ERROR, "DMA write to a read-only item: error bit");
	pio_w16(FW_CFG_PIO_BASE, FW_CFG_KERNEL_DATA);
	CHECK(pio_r8(FW_CFG_PIO_BASE + 1) == want[0], "the read-only item is unchanged");
}

static void test_dma_write(struct fw_cfg *f)
{
	uint16_t key;
	uint32_t size, n;
	const uint8_t *d;

	CHECK(find_file("etc/writable", &key, &size) == 0 && size == 8, "writable file listed");
	gmem_write(&gm, BUF, "ABCDEFGH", 8);
	put_desc(DESC, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP, 2, 0);
	pio_dma(DESC);
	put_desc(DESC, FW_CFG_DMA_CTL_WRITE, 4, BUF);
	pio_dma(DESC);
	d = fw_cfg_file(f, "etc/writable", &n);
	CHECK(desc_control(DESC) == 0 && d && n == 8 && !memcmp(d, "\0\0ABCD\0\0", 8), "DMA write after skip lands at offset 2");
	put_desc(DESC, FW_CFG_DMA_CTL_WRITE, 4, BUF);
	pio_dma(DESC);
	CHECK(desc_control(DESC) == FW_CFG_DMA_CTL_ERROR && !memcmp(d, "\0\0ABCD\0\0", 8),
	      "a DMA write running past the file's end is refused whole");
}

static void test_mmio(struct fw_cfg *f)
{
	uint8_t d[8], sel[2] = { 0, FW_CFG_SIGNATURE };   /* big-endian selector */
	uint16_t cpus;
	uint64_t desc_be = htobe64(DESC);
	uint8_t buf[8] = { 0 };

	bus_dispatch(&mmio, MMIO_BASE + 8, sel, 2, true);
	memset(d, 0xaa, 8);
	bus_dispatch(&mmio, MMIO_BASE, d, 4, false);
	CHECK(!memcmp(d, "QEMU", 4), "MMIO: a 4-byte data read gives the bytes in string order");
	sel[1] = FW_CFG_NB_CPUS;
	bus_dispatch(&mmio, MMIO_BASE + 8, sel, 2, true);
	bus_dispatch(&mmio, MMIO_BASE, (uint8_t *)&cpus, 2, false);
	CHECK(le16toh(cpus) == 3, "MMIO: big-endian selector picks NB_CPUS");
	bus_dispatch(&mmio, MMIO_BASE + 16, d, 8, false);
	CHECK(!memcmp(d, "QEMU CFG", 8), "MMIO: DMA register reads the signature");
	put_desc(DESC, FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, BUF);
	bus_dispatch(&mmio, MMIO_BASE + 16, (uint8_t *)&desc_be, 8, true);
	gmem_read(&gm, BUF, buf, 4);
	CHECK(desc_control(DESC) == 0 && !memcmp(buf, "QEMU", 4), "MMIO: 64-bit DMA register write runs the descriptor");
	memset(buf, 0, 8);
	gmem_write(&gm, BUF, buf, 8);
	put_desc(DESC, FW_CFG_ID << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, BUF);
	bus_dispatch(&mmio, MMIO_BASE + 16, (uint8_t *)&desc_be, 4, true);
	bus_dispatch(&mmio, MMIO_BASE + 20, (uint8_t *)&desc_be + 4, 4, true);
	gmem_read(&gm, BUF, buf, 4);
	CHECK(desc_control(DESC) == 0 && buf[0] == 3, "MMIO: two 32-bit halves, the low one starting it");
	bus_dispatch(&mmio, MMIO_BASE + 3, d, 1, false);
	CHECK(d[0] == 0, "MMIO: data reads at other offsets give 0");
	(void)f;
}

static void test_limits(void)
{
	struct fw_cfg f;
	char name[80];
	int r = 0;

	CHECK(fw_cfg_init(&f, &gm) == 0, "second device");
	CHECK(fw_cfg_add_file(&f, "a", "x", 1, false) == 0 && fw_cfg_add_file(&f, "a", "y", 1, false) == -EEXIST,
	      "duplicate file name refused");
	memset(name, 'n', sizeof(name));
	name[FW_CFG_MAX_FILE_PATH] = 0;
	CHECK(fw_cfg_add_file(&f, name, "x", 1, false) == -EINVAL, "56-byte name (no room for NUL) refused");
	CHECK(fw_cfg_add_bytes(&f, FW_CFG_FILE_FIRST, "x", 1) == -EINVAL && fw_cfg_add_bytes(&f, FW_CFG_FILE_DIR, "x", 1) == -EINVAL,
	      "file keys are not set directly");
	for (int i = 1; i < FW_CFG_MAX_FILES && !r; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		r = fw_cfg_add_file(&f, name, "x", 1, false);
	}
	CHECK(r == 0 && fw_cfg_add_file(&f, "one-too-many", "x", 1, false) == -ENOSPC, "at most %d files", FW_CFG_MAX_FILES);
	fw_cfg_destroy(&f);
}

/* An x86 direct boot through the firmware: setup part, kernel, initrd; a plain select by DMA. */
static void test_boot_items(void)
{
	static const uint8_t setup[1024] = { [0x1f1] = 1 }, kernel[100], initrd[300] = { 1, 2, 3 };
	struct fw_cfg_machine m = { .nr_cpus = 1, .ram_size = RAM_SIZE, .setup = setup, .setup_size = sizeof(setup),
				    .kernel = kernel, .kernel_size = sizeof(kernel), .initrd = initrd,
				    .initrd_size = sizeof(initrd) };
	uint32_t setup_size = 0, initrd_size = 0, cmd_size = 0x5a5a;
	uint8_t b[3];
	struct fw_cfg f;

	CHECK(fw_cfg_init(&f, &gm) == 0 && fw_cfg_add_machine(&f, &m) == 0, "boot items");
	CHECK(bus_register(&pio, FW_CFG_PIO_BASE + 0x100, FW_CFG_PIO_LEN, fw_cfg_pio, &f, "fw_cfg2") == 0, "second device on the bus");
	fw_cfg_pio(&f, 0, (uint8_t[]){ FW_CFG_SETUP_SIZE, 0 }, 2, true);
	for (int i = 0; i < 4; i++)
		fw_cfg_pio(&f, 1, (uint8_t *)&setup_size + i, 1, false);
	fw_cfg_pio(&f, 0, (uint8_t[]){ FW_CFG_INITRD_SIZE, 0 }, 2, true);
	for (int i = 0; i < 4; i++)
		fw_cfg_pio(&f, 1, (uint8_t *)&initrd_size + i, 1, false);
	fw_cfg_pio(&f, 0, (uint8_t[]){ FW_CFG_CMDLINE_SIZE, 0 }, 2, true);
	fw_cfg_pio(&f, 1, (uint8_t *)&cmd_size, 1, false);
	CHECK(le32toh(setup_size) == 1024 && le32toh(initrd_size) == 300 && cmd_size == 0x5a00,
	      "setup and initrd sizes; no command line item when there is none (reads 0)");
	put_desc(DESC, FW_CFG_INITRD_DATA << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0);
	bus_dispatch(&pio, FW_CFG_PIO_BASE + 0x100 + 4, (uint8_t[]){ 0, 0, 0, 0 }, 4, true);
	{
		uint32_t lo = htobe32((uint32_t)DESC);

		bus_dispatch(&pio, FW_CFG_PIO_BASE + 0x100 + 8, (uint8_t *)&lo, 4, true);
	}
	CHECK(desc_control(DESC) == 0, "a DMA descriptor with only SELECT completes");
	fw_cfg_pio(&f, 1, b, 1, false);
	fw_cfg_pio(&f, 1, b + 1, 1, false);
	fw_cfg_pio(&f, 1, b + 2, 1, false);
	CHECK(!memcmp(b, initrd, 3), "and the data port then reads the selected initrd from offset 0");
	bus_unregister(&pio, FW_CFG_PIO_BASE + 0x100, &f);
	fw_cfg_destroy(&f);
}

int main(void)
{
	static const struct fw_cfg_e820 e820[] = {
		{ 0, 0x9fc00, FW_CFG_E820_RAM },
		{ 0x100000, RAM_SIZE - 0x100000, FW_CFG_E820_RAM },
	};
	uint8_t kernel[5000];
	struct fw_cfg f;
	struct fw_cfg_machine m = { .nr_cpus = 3, .ram_size = RAM_SIZE, .e820 = e820, .nr_e820 = 2,
				    .kernel = kernel, .kernel_size = sizeof(kernel), .cmdline = "console=ttyS0 " };

	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (uint8_t)(i * 7);
	CHECK(gmem_add_ram(&gm, RAM_BASE, RAM_SIZE, false) == 0, "guest RAM");
	CHECK(bus_init(&pio, "pio") == 0 && bus_init(&mmio, "mmio") == 0, "buses");
	CHECK(fw_cfg_init(&f, &gm) == 0, "fw_cfg init");
	CHECK(fw_cfg_add_machine(&f, &m) == 0, "machine items");
	CHECK(fw_cfg_add_file(&f, "etc/writable", "\0\0\0\0\0\0\0\0", 8, true) == 0, "writable file");
	CHECK(bus_register(&pio, FW_CFG_PIO_BASE, FW_CFG_PIO_LEN, fw_cfg_pio, &f, "fw_cfg") == 0 &&
	      bus_register(&mmio, MMIO_BASE, FW_CFG_MMIO_LEN, fw_cfg_mmio, &f, "fw_cfg") == 0, "registered on both buses");
	test_pio_identity(&f);
	test_pio_machine(&f);
	test_pio_dma(&f);
	test_dma_write(&f);
	test_mmio(&f);
	test_limits();
	test_boot_items();
	fw_cfg_destroy(&f);
	bus_destroy(&pio);
	bus_destroy(&mmio);
	gmem_destroy(&gm);
	return tap_done();
}
