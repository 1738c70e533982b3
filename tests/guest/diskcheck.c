// SPDX-License-Identifier: GPL-2.0-only
/*
 * diskcheck DEVICE WORKERS CHUNK_KIB CHUNKS: the guest side of the virtio-blk part of
 * tests/testhost/liveupdate.sh. WORKERS processes each own CHUNKS chunks of CHUNK_KIB KiB of
 * DEVICE (disjoint, in order), and forever: write every chunk (O_DIRECT, so each write is a request
 * the device sees) with a pattern of (worker, round, chunk, word) and a checksum, fdatasync (a
 * flush request), read every chunk back and verify it. Every worker prints one line per round
 *   diskcheck: worker W round R bad B ioerr E
 * with B counting chunks that read back wrong in any round so far (a write lost, or a read or write
 * completed with the wrong data: a stale chunk carries an older round) and E the reads, writes and
 * flushes that failed or came back short. With several workers, several requests are in flight
 * at any moment, so a live update of the VMM finds some to carry over. The first bad chunk is
 * printed as "diskcheck: BAD ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAGIC 0x6b7364636b636b31ull     /* "1kckcdsk" */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x;
}

/* Chunk C of worker W in round R: words 0-3 a header, the rest the pattern, word 4 their checksum. */
static void fill(uint64_t *p, size_t words, unsigned int w, uint64_t r, uint64_t c)
{
	uint64_t sum = 0;

	p[0] = MAGIC;
	p[1] = w;
	p[2] = r;
	p[3] = c;
	for (size_t i = 5; i < words; i++) {
		p[i] = mix((r << 40) ^ (c << 20) ^ ((uint64_t)w << 60) ^ i);
		sum += p[i];
	}
	p[4] = sum;
}

static int run(const char *dev, unsigned int w, size_t chunk, unsigned int chunks)
{
	size_t words = chunk / 8;
	uint64_t *buf, *want, bad = 0, ioerr = 0;
	off_t base = (off_t)w * chunks * chunk;
	int fd = open(dev, O_RDWR | O_DIRECT);

	if (fd < 0 || posix_memalign((void **)&buf, 4096, chunk) || posix_memalign((void **)&want, 4096, chunk)) {
		printf("diskcheck: worker %u cannot start: %s\n", w, strerror(errno));
		return 1;
	}
	for (uint64_t r = 1;; r++) {
		for (unsigned int c = 0; c < chunks; c++) {
			fill(buf, words, w, r, c);
			if (pwrite(fd, buf, chunk, base + (off_t)c * chunk) != (ssize_t)chunk)
				ioerr++;
		}
		if (fdatasync(fd))
			ioerr++;
		for (unsigned int c = 0; c < chunks; c++) {
			memset(buf, 0, chunk);
			if (pread(fd, buf, chunk, base + (off_t)c * chunk) != (ssize_t)chunk) {
				ioerr++;
				continue;
			}
			fill(want, words, w, r, c);
			if (memcmp(buf, want, chunk)) {
				if (!bad)
					printf("diskcheck: BAD worker %u round %llu chunk %u: read magic 0x%llx worker %llu "
					       "round %llu chunk %llu\n", w, (unsigned long long)r, c,
					       (unsigned long long)buf[0], (unsigned long long)buf[1],
					       (unsigned long long)buf[2], (unsigned long long)buf[3]);
				bad++;
			}
		}
		printf("diskcheck: worker %u round %llu bad %llu ioerr %llu\n", w, (unsigned long long)r,
		       (unsigned long long)bad, (unsigned long long)ioerr);
	}
}

int main(int argc, char **argv)
{
	unsigned int workers, chunks;
	size_t chunk;

	if (argc != 5) {
		fprintf(stderr, "usage: diskcheck DEVICE WORKERS CHUNK_KIB CHUNKS\n");
		return 2;
	}
	workers = (unsigned int)strtoul(argv[2], NULL, 0);
	chunk = strtoul(argv[3], NULL, 0) << 10;
	chunks = (unsigned int)strtoul(argv[4], NULL, 0);
	if (!workers || workers > 16 || chunk < 4096 || chunk % 4096 || chunk > (1 << 20) || !chunks) {
		fprintf(stderr, "diskcheck: 1-16 workers, chunks of 4-1024 KiB (multiples of 4), at least one\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned int w = 1; w < workers; w++) {
		pid_t p = fork();

		if (p < 0) {
			perror("diskcheck: fork");
			return 1;
		}
		if (!p)
			return run(argv[1], w, chunk, chunks);
	}
	return run(argv[1], 0, chunk, chunks);
}
