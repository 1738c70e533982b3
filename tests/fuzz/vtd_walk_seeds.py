#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Writes the seed inputs of fuzz_vtd_walk (layout: tests/fuzz/fuzz_vtd_walk.c) to
# corpus/fuzz_vtd_walk/: a first-stage 4-level and a second-stage 4-level path to 4K pages plus a
# 2M leaf, in legacy and in scalable mode, so the fuzzer starts from tables that translate.
# Usage: tests/fuzz/vtd_walk_seeds.py
import os
import struct

PAGE = 4096


def image(fs_flags, ss_flags):
    img = bytearray(8 * PAGE)

    def path(pages, table_bits, big_leaf, leaf_base, leaf_bits):
        # pages[0] -> pages[1] -> pages[2] -> pages[3] (4K leaves); entry 1 of pages[2] is a 2M leaf.
        for a, b in zip(pages, pages[1:]):
            struct.pack_into('<Q', img, a * PAGE, b * PAGE | table_bits)
        struct.pack_into('<Q', img, pages[2] * PAGE + 8, big_leaf)
        for i in range(8):
            struct.pack_into('<Q', img, pages[3] * PAGE + i * 8, leaf_base + i * PAGE | leaf_bits)
    path((0, 2, 3, 4), 0x27, 0x600000 | 0xe7, 0x100000, fs_flags)   # first stage: P RW US A (+PS D)
    path((1, 5, 6, 7), 3, 0x800000 | 0x83, 0x200000, ss_flags)      # second stage: R W (+PS)
    return bytes(img)


def seed(scalable, acc):
    # Walks 0-3 first stage (odd header byte), 4-7 second stage; access flags in bits 7:5.
    h = bytes([1 | 2 | acc << 5] * 4 + [(2 if scalable else 0) | 4 | 16 | acc << 5] * 4)
    # Byte 8/9/10: FS root page 0, 4 levels, 40-bit width; 11..14: SS root page 1, 4 levels,
    # MGAW 57, HAW 40; 15 unused.
    h += bytes([0, 1, 10, 1, 2, 27, 10, 0])
    iovas = [0x1000, 0x3010, 0x201234, 0x7000, 0x2000, 0x5ff8, 0x3fffff, 0x8000]
    return h + b''.join(struct.pack('<Q', v) for v in iovas) + image(0x67, 3)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'fuzz_vtd_walk')
    os.makedirs(out, exist_ok=True)
    for name, data in (('legacy-read', seed(False, 0)), ('scalable-write', seed(True, 1)),
                       ('scalable-priv-write', seed(True, 3))):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
