// SPDX-License-Identifier: GPL-2.0-only
/*
 * CFI flash driven the way the firmware drives it, through the MMIO bus: OVMF's byte-wide probe,
 * byte program and block erase (QemuFlashFvbServicesRuntimeDxe), and AAVMF's 32-bit, two-x16-device
 * unlock, buffered program and erase with status polling (VirtNorFlashDxe). Reads in read-array
 * mode come from the array directly, as from the read-only memslot the owner maps; everything the
 * guest changes must be in the vars file afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/pflash_cfi01.h"
#include "tap.h"
#include "vmm/bus.h"

#define BASE 0xffc00000ull

static struct bus mmio;
static int romd_calls;
static bool romd_on = true;

static void on_romd(void *opaque, bool on)
{
	romd_calls++;
	romd_on = on;
}

/* Where P sits on the bus (its offset from BASE). */
static uint64_t at;

/* A guest read: from the mapped array while the memslot is in, else trapped to the device. */
static uint64_t rd(struct pflash *p, uint64_t off, uint32_t len)
{
	uint64_t v = 0;

	if (romd_on)
		memcpy(&v, p->mem + off, len);
	else
		bus_dispatch(&mmio, BASE + at + off, (uint8_t *)&v, len, false);
	return v;
}

static void wr(uint64_t off, uint64_t v, uint32_t len)
{
	bus_dispatch(&mmio, BASE + at + off, (uint8_t *)&v, len, true);
}

static char *make_file(size_t size, uint8_t fill)
{
	static char names[4][32];
	static int n;
	char *name = names[n++ % 4];
	uint8_t *buf = malloc(size);
	int fd;

	strcpy(name, "/tmp/test_pflash.XXXXXX");
	fd = mkstemp(name);
	memset(buf, fill, size);
	for (size_t i = 0; i < size; i += 4096)
		buf[i] = (uint8_t)(i >> 12);
	if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
		name[0] = 0;
	close(fd);
	free(buf);
	return name;
}

static int file_byte(const char *path, off_t off)
{
	uint8_t b;
	int fd = open(path, O_RDONLY);
	int r = fd >= 0 && pread(fd, &b, 1, off) == 1 ? b : -1;

	close(fd);
	return r;
}

/* OVMF's QemuFlashDetected, with the write-protection check of current edk2. */
static const char *ovmf_probe(struct pflash *p, uint64_t off)
{
	uint8_t orig = (uint8_t)rd(p, off, 1), probe;

	wr(off, 0x50, 1);
	probe = (uint8_t)rd(p, off, 1);
	if (orig != 0x50 && probe == 0x50)
		return "RAM";
	wr(off, 0x70, 1);
	probe = (uint8_t)rd(p, off, 1);
	if (probe == orig)
		return "ROM";
	if (probe == 0x70)
		return "RAM";
	if (probe != 0)
		return "unknown";
	wr(off, 0x10, 1);
	wr(off, orig, 1);
	wr(off, 0x70, 1);
	probe = (uint8_t)rd(p, off, 1);
	wr(off, 0xff, 1);
	return probe & 0x10 ? "FLASH, write-protected" : "FLASH, writable";
}

static void test_ovmf(void)
{
	const struct pflash_geom g = { .block_size = 0x1000, .bank_width = 1, .device_width = 1 };
	char *vars = make_file(0x84000, 0xa5), *code = make_file(0x10000, 0xcc);
	struct pflash v, c;
	const char *s;

	CHECK(vars[0] && code[0], "vars and code files");
	CHECK(pflash_open(&v, "vars", vars, false, &g, 0, on_romd, NULL) == 0, "vars flash opened read-write");
	CHECK(pflash_open(&c, "code", code, true, &g, 0, on_romd, NULL) == 0, "code flash opened read-only");
	CHECK(bus_register(&mmio, BASE, v.size, pflash_mmio, &v, "vars") == 0 &&
	      bus_register(&mmio, BASE + v.size, c.size, pflash_mmio, &c, "code") == 0, "both on the bus");
	s = ovmf_probe(&v, 0x1001);
	CHECK(!strcmp(s, "FLASH, writable") && romd_on && v.mode == PFLASH_ARRAY, "OVMF probe of vars: %s, back in array mode", s);
	at = v.size;
	s = ovmf_probe(&c, 0x1001);
	CHECK(!strcmp(s, "FLASH, write-protected") && romd_on, "OVMF probe of code: %s", s);
	wr(0x1001, 0x10, 1);
	wr(0x1001, 0x00, 1);
	wr(0x1001, 0xff, 1);
	CHECK(c.mem[0x1001] == 0xcc && file_byte(code, 0x1001) == 0xcc, "code: program refused, array and file unchanged");
	wr(0x1000, 0x50, 1);
	wr(0x1000, 0x20, 1);
	wr(0x1000, 0xd0, 1);
	CHECK(rd(&c, 0x1000, 1) == 0xa2, "code: erase refused (ready, erase error, locked)");
	wr(0x1000, 0x50, 1);
	CHECK(c.mem[0x1000] == 1, "code: block intact");
	at = 0;
	/* QemuFlashWrite: byte by byte, 0x10 then the data, then read array. */
	romd_calls = 0;
	for (int i = 0; i < 5; i++) {
		wr(0x2000 + i, 0x10, 1);
		wr(0x2000 + i, "hello"[i], 1);
	}
	CHECK(!romd_on && rd(&v, 0x2000, 1) == 0x80, "status mode after a program: ready");
	wr(0x2000, 0xff, 1);
	CHECK(romd_on && romd_calls == 2, "one mapping change out and one back for the whole write");
	CHECK(!memcmp(v.mem + 0x2000, "hello", 5), "programmed bytes read back from the array");
	CHECK(file_byte(vars, 0x2000) == 'h' && file_byte(vars, 0x2004) == 'o', "and are in the vars file");
	/* QemuFlashEraseBlock: 0x20, 0xd0 at the block, then read array. */
	wr(0x2000, 0x20, 1);
	wr(0x2000, 0xd0, 1);
	CHECK(rd(&v, 0x2000, 1) == 0x80, "erase done: status ready, no error");
	wr(0x2000, 0xff, 1);
	CHECK(rd(&v, 0x2000, 1) == 0xff && rd(&v, 0x2fff, 1) == 0xff && rd(&v, 0x3000, 1) == 3 && rd(&v, 0x1fff, 1) == 0xa5 &&
	      v.mem[0x1000] == 1, "erase cleared exactly one 4K block");
	CHECK(file_byte(vars, 0x2000) == 0xff && file_byte(vars, 0x2fff) == 0xff && file_byte(vars, 0x3000) == 3,
	      "erase is in the vars file");
	wr(0x2000, 0x20, 1);
	wr(0x2000, 0x55, 1);
	CHECK(rd(&v, 0x2000, 1) == 0xb0, "erase without confirm: command sequence error (0x30) + ready");
	wr(0, 0x50, 1);
	wr(0, 0x70, 1);
	CHECK(rd(&v, 0, 1) == 0, "clear status clears the error bits");
	wr(0, 0xff, 1);
	/* Read ID and CFI query. */
	wr(0, 0x90, 1);
	CHECK(rd(&v, 0, 1) == PFLASH_MANUFACTURER && rd(&v, 1, 1) == PFLASH_DEVICE_ID && rd(&v, 0x1002, 1) == 0,
	      "read ID: manufacturer, device, block unlocked");
	wr(0, 0x98, 1);
	CHECK(rd(&v, 0x10, 1) == 'Q' && rd(&v, 0x11, 1) == 'R' && rd(&v, 0x12, 1) == 'Y' && rd(&v, 0x13, 1) == 1,
	      "CFI query: QRY, command set 0x0001");
	CHECK(1ull << rd(&v, 0x27, 1) == 0x80000 && rd(&v, 0x2d, 1) + (rd(&v, 0x2e, 1) << 8) + 1 == 0x84 &&
	      (rd(&v, 0x2f, 1) << 8 | rd(&v, 0x30, 1) << 16) == 0x1000, "CFI geometry: 2^19 bytes, 0x84 blocks of 4K");
	wr(0, 0xff, 1);
	/* Out of range accesses never reach past the array. */
	CHECK(!bus_dispatch(&mmio, BASE + v.size + c.size, (uint8_t[8]){ 0 }, 8, true), "past the code flash: nothing");
	pflash_mmio(&v, v.size - 1, (uint8_t[8]){ 0x20 }, 8, true);
	CHECK(v.cmd == 0 && v.mode == PFLASH_ARRAY, "an access straddling the end is dropped");
	bus_unregister(&mmio, BASE, &v);
	bus_unregister(&mmio, BASE + v.size, &c);
	pflash_close(&v);
	pflash_close(&c);
	unlink(vars);
	unlink(code);
}

/* AAVMF on virt: 32-bit bus, two x16 devices, each command in both 16-bit lanes. */
#define DUAL(x) ((uint32_t)(x) << 16 | (uint32_t)(x))

static void test_aavmf(void)
{
	const struct pflash_geom g = { .block_size = 0x40000, .bank_width = 4, .device_width = 2 };
	char *vars = make_file(0x100000, 0x5a);
	uint32_t words[32];
	struct pflash v;
	bool ok = true;

	CHECK(pflash_open(&v, "vars", vars, false, &g, 0, on_romd, NULL) == 0, "AAVMF-style vars flash");
	CHECK(bus_register(&mmio, BASE, v.size, pflash_mmio, &v, "vars") == 0, "on the bus");
	/* NorFlashUnlockSingleBlock */
	wr(0x40000, DUAL(0x60), 4);
	wr(0x40000, DUAL(0xd0), 4);
	CHECK(rd(&v, 0x40000, 4) == DUAL(0x80), "unlock: status ready in both devices");
	wr(0x40000, DUAL(0xff), 4);
	/* NorFlashEraseSingleBlock, polling status */
	wr(0x40000, DUAL(0x20), 4);
	wr(0x40000, DUAL(0xd0), 4);
	CHECK(rd(&v, 0x40000, 4) == DUAL(0x80), "erase: status ready, no error in either device");
	wr(0x40000, DUAL(0xff), 4);
	CHECK(rd(&v, 0x40000, 4) == 0xffffffff && rd(&v, 0x7fffc, 4) == 0xffffffff && rd(&v, 0x3fffc, 4) == 0x5a5a5a5a &&
	      rd(&v, 0x80004, 4) == 0x5a5a5a5a, "erase cleared exactly the 256K block");
	/* NorFlashWriteBuffer: 0xe8, status, count - 1 (32 words), the words, confirm, status */
	for (int i = 0; i < 32; i++)
		words[i] = 0x01020304u * (uint32_t)(i + 1);
	wr(0x40080, DUAL(0xe8), 4);
	CHECK(rd(&v, 0x40080, 4) & 0x80, "buffered program: buffer available");
	wr(0x40080, DUAL(31), 4);
	for (int i = 0; i < 32; i++)
		wr(0x40080 + 4 * i, words[i], 4);
	wr(0x40080, DUAL(0xd0), 4);
	CHECK(rd(&v, 0x40080, 4) == DUAL(0x80), "buffered program: done, no error");
	wr(0x40080, DUAL(0xff), 4);
	for (int i = 0; i < 32; i++)
		ok &= rd(&v, 0x40080 + 4 * i, 4) == words[i];
	CHECK(ok && rd(&v, 0x40100, 4) == 0xffffffff && rd(&v, 0x4007c, 4) == 0xffffffff, "the 128 bytes, nothing else");
	CHECK(file_byte(vars, 0x40080) == 4 && file_byte(vars, 0x40083) == 1, "in the vars file");
	/* A count beyond the buffer, and data outside the buffer window: sequence errors, nothing written. */
	wr(0x40200, DUAL(0xe8), 4);
	wr(0x40200, DUAL(32), 4);
	CHECK(rd(&v, 0x40200, 4) == DUAL(0xb0), "count of 33 words: sequence error");
	wr(0, DUAL(0x50), 4);
	wr(0x40200, DUAL(0xe8), 4);
	wr(0x40200, DUAL(1), 4);
	wr(0x40200, 0x11111111, 4);
	wr(0x40300, 0x22222222, 4);
	CHECK(rd(&v, 0x40200, 4) == DUAL(0xb0) && v.mem[0x40300] == 0xff, "data outside the buffer window refused");
	wr(0, DUAL(0x50), 4);
	wr(0, DUAL(0xff), 4);
	/* CFI through both devices: data in the low byte of each 16-bit lane. */
	wr(0, DUAL(0x98), 4);
	CHECK(rd(&v, 0x10 * 4, 4) == DUAL('Q') && rd(&v, 0x27 * 4, 4) == DUAL(19) && rd(&v, 0x28 * 4, 4) == DUAL(1),
	      "CFI in both lanes: QRY, 2^19 bytes per device, x16");
	CHECK(((rd(&v, 0x2f * 4, 4) & 0xff) | (rd(&v, 0x30 * 4, 4) & 0xff) << 8) << 8 == 0x20000, "CFI block size per device: 128K");
	wr(0, DUAL(0xff), 4);
	bus_unregister(&mmio, BASE, &v);
	pflash_close(&v);
	unlink(vars);
}

/* A bank shown shorter than its file (arm64's vars bank below the nested-MSI ITS): the tail is neither
 * reachable nor changed, and the file keeps its size. */
static void test_limit(void)
{
	const struct pflash_geom g = { .block_size = 0x40000, .bank_width = 4, .device_width = 2 };
	char *vars = make_file(0x100000, 0x5a);
	uint32_t v32 = 0;
	struct pflash v;
	struct stat st;

	CHECK(pflash_open(&v, "vars", vars, false, &g, 0, on_romd, NULL) == 0, "limit: 1 MiB vars flash");
	CHECK(pflash_limit(&v, 0x30000) == -EINVAL && pflash_limit(&v, 0) == -EINVAL && pflash_limit(&v, 0x140000) == -EINVAL,
	      "limit: not a block multiple, zero, beyond the file: -EINVAL");
	CHECK(pflash_limit(&v, 0xc0000) == 0 && v.size == 0xc0000 && v.file_size == 0x100000, "limit: 768K of 1 MiB shown");
	CHECK(bus_register(&mmio, BASE, v.size, pflash_mmio, &v, "vars") == 0, "limit: on the bus");
	/* Erase the last shown block through the bus; a write past the shown end reaches nothing. */
	wr(0x80000, DUAL(0x20), 4);
	wr(0x80000, DUAL(0xd0), 4);
	CHECK(rd(&v, 0x80000, 4) == DUAL(0x80), "limit: erase of the last shown block succeeds");
	wr(0x80000, DUAL(0xff), 4);
	CHECK(file_byte(vars, 0x80000) == 0xff && file_byte(vars, 0xbffff) == 0xff && file_byte(vars, 0xc0001) == 0x5a, "limit: the block erased in the file, the tail kept");
	CHECK(!bus_dispatch(&mmio, BASE + 0xc0000, (uint8_t *)&v32, 4, true), "limit: the tail is not on the bus");
	pflash_mmio(&v, 0xc0000, (uint8_t *)&v32, 4, false);
	CHECK(v32 == 0xffffffff, "limit: the model reads all-ones past the shown end");
	wr(0, DUAL(0x98), 4);
	CHECK(rd(&v, 0x2d * 4, 4) == DUAL(2), "limit: CFI counts the 3 shown blocks");
	wr(0, DUAL(0xff), 4);
	bus_unregister(&mmio, BASE, &v);
	pflash_close(&v);
	CHECK(stat(vars, &st) == 0 && st.st_size == 0x100000, "limit: the file keeps its size");
	unlink(vars);
}

static void test_open_errors(void)
{
	const struct pflash_geom g = { .block_size = 0x1000, .bank_width = 1, .device_width = 1 };
	char *odd = make_file(0x1800, 0xff), *small = make_file(0x2000, 0xff);
	struct pflash p;

	CHECK(pflash_open(&p, "vars", "/nonexistent/vars.fd", false, &g, 0, NULL, NULL) == -ENOENT, "missing file");
	CHECK(pflash_open(&p, "vars", odd, false, &g, 0, NULL, NULL) == -EINVAL, "size not a block multiple");
	CHECK(pflash_open(&p, "vars", small, false, &g, 0x4000, NULL, NULL) == -EINVAL, "smaller than the layout needs");
	CHECK(pflash_open(&p, "vars", "/tmp", false, &g, 0, NULL, NULL) < 0, "a directory");
	unlink(odd);
	unlink(small);
}

int main(void)
{
	CHECK(bus_init(&mmio, "mmio") == 0, "bus");
	test_ovmf();
	test_aavmf();
	test_limit();
	test_open_errors();
	bus_destroy(&mmio);
	return tap_done();
}
