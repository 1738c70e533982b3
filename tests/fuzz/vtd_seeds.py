#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Writes the seed inputs of fuzz_vtd (layout: tests/fuzz/fuzz_vtd.c) to corpus/fuzz_vtd/: a root
# table, a context entry for 00:01.0 over a 4-level second-stage path (legacy mode) or a
# scalable-mode root/context entry with a PASID directory and table entry over a first-stage path,
# an invalidation queue with one descriptor of each kind (128- or 256-bit; with device-TLBs the
# device-TLB ones, and TT 01b for 00:01.0 in legacy mode), and an interrupt remapping table, so the
# fuzzer starts from structures that translate, invalidate and remap.
# Usage: tests/fuzz/vtd_seeds.py
import os
import struct

PAGE = 4096
RAM = 0x40000000


# Device-TLB (type 3: QDEP, PFSID, SID 00:01.0, 8 KiB with S) and PASID-based device-TLB (type 8,
# 256-bit only: PASID 0, G) descriptors as Linux fills them.
DEVTLB = (3 | 31 << 16 | 0xd << 12 | 0xabc << 52 | 8 << 32, 0x1000 | 1)
PDEVTLB = (8 | 31 << 4 | 0xd << 12 | 0xabc << 52 | 8 << 16, 0x1000 | 1 << 11 | 1)


def ram(dt=False):
    img = bytearray(16 * PAGE)
    q = lambda off, v: struct.pack_into('<Q', img, off, v)
    q(0, RAM + 1 * PAGE | 1)                        # root entry, bus 0 -> context table
    q(1 * PAGE + 8 * 16, RAM + 2 * PAGE | (1 << 2 if dt else 0) | 1)   # 00:01.0: TT 00b (01b), SLPTPTR
    q(1 * PAGE + 8 * 16 + 8, 2 | 5 << 8)            # AW 2 (4-level), DID 5
    q(1 * PAGE + 16 * 16, RAM + 2 * PAGE | 2 << 2 | 1)   # 00:02.0 pass-through
    for a, b in ((2, 3), (3, 4), (4, 5)):
        q(a * PAGE, RAM + b * PAGE | 3)
    for i in range(8):
        q(5 * PAGE + i * 8, RAM + (9 + i) * PAGE | (3 if i & 1 else 1))
    descs = [(2 | 1 << 4, 0), (2 | 3 << 4 | 5 << 16, 0x1000 | 1), (1 | 1 << 4, 0), (1 | 3 << 4 | 8 << 32, 0),
             (4, 0), (4 | 1 << 4 | 3 << 32, 0), (5 | 1 << 5 | 1 << 4 | 0x1234 << 32, RAM + 8 * PAGE)]
    if dt:
        descs.insert(-1, DEVTLB)
    for i, (lo, hi) in enumerate(descs):
        q(6 * PAGE + i * 16, lo)
        q(6 * PAGE + i * 16 + 8, hi)
    for i in range(8):
        q(7 * PAGE + i * 16, 1 | (0x40 + i) << 16 | i << 32)
        q(7 * PAGE + i * 16 + 8, [0, 8 | 1 << 18, 8 | 3 << 16 | 1 << 18, 0x0001 | 2 << 18][i & 3])
    return bytes(img), len(descs) * 16


def ram_scalable(dt=False, pasids=False):
    img = bytearray(16 * PAGE)
    q = lambda off, v: struct.pack_into('<Q', img, off, v)
    q(0, RAM + 1 * PAGE | 1)                        # scalable root entry, bus 0, devfn 0-127
    q(1 * PAGE + 8 * 32, RAM + 10 * PAGE | 1)       # context entry 00:01.0 -> PASID directory
    q(1 * PAGE + 16 * 32, RAM + 10 * PAGE | 1)      # 00:02.0 too
    q(10 * PAGE, RAM + 11 * PAGE | 1)               # PASID directory entry 0 -> PASID table
    q(11 * PAGE, 1 << 6 | 1)                        # PASID entry 0: PGTT first stage
    q(11 * PAGE + 8, 5)                             # DID 5
    q(11 * PAGE + 16, RAM + 2 * PAGE)               # FSPTPTR, 4-level
    if pasids:                                      # PASIDs 1 (first stage, DID 6) and 2 (pass-through)
        q(11 * PAGE + 64, 1 << 6 | 1)
        q(11 * PAGE + 64 + 8, 6)
        q(11 * PAGE + 64 + 16, RAM + 2 * PAGE)
        q(11 * PAGE + 128, 4 << 6 | 1)
        q(11 * PAGE + 128 + 8, 6)
    for a, b in ((2, 3), (3, 4), (4, 5)):
        q(a * PAGE, RAM + b * PAGE | 7)             # P RW US
    for i in range(8):
        q(5 * PAGE + i * 8, RAM + (12 + (i & 3)) * PAGE | (7 if i & 1 else 5))
    descs = [(2 | 1 << 4, 0), (7 | 3 << 4, 0), (6 | 3 << 4 | 5 << 16, 0x1000 | 1), (6 | 2 << 4 | 5 << 16, 0),
             (1 | 1 << 4, 0), (4, 0), (5 | 1 << 5 | 1 << 4 | 0x1234 << 32, RAM + 8 * PAGE)]
    if dt:
        descs[-1:-1] = [DEVTLB, PDEVTLB]
    for i, (lo, hi) in enumerate(descs):
        q(6 * PAGE + i * 32, lo)
        q(6 * PAGE + i * 32 + 8, hi)
    for i in range(8):
        q(7 * PAGE + i * 16, 1 | (0x40 + i) << 16 | i << 32)
    return bytes(img), len(descs) * 32


def op(off, width, kind, value):
    return struct.pack('<HB', off, width | kind << 2) + value.to_bytes(5, 'little')


def seed(enables, ops, scalable=False, nested=(0, 0, 0)):
    dt = bool(enables & 0x80)                                     # device-TLBs (fuzz_vtd.c)
    img, iqt = ram_scalable(dt, bool(nested[0] & 0x40)) if scalable else ram(dt)
    h = bytearray(32)
    h[0], h[1], h[2], h[3] = 1 << 4 if scalable else 0, 6 | (0x80 if scalable else 0), 7 | 7 << 4, enables
    struct.pack_into('<4H', h, 4, 0x0008, 0x0010, 0x0008, 0x0100)
    struct.pack_into('<I', h, 12, iqt)
    struct.pack_into('<II', h, 16, 0x1000, 0x5000)
    h[24] = len(ops)
    h[25], h[26], h[27] = nested                                  # the nested backend (fuzz_vtd.c)
    return (bytes(h) + b''.join(ops) + img).rstrip(b'\0')   # RAM past the input is zero anyway


def main():
    out = os.path.join(os.path.dirname(__file__), 'corpus', 'fuzz_vtd')
    os.makedirs(out, exist_ok=True)
    xl = [op(0, 2, 2, 0x1000 | (0 << 32)), op(0, 2, 2, 0x2000), op(0x34, 2, 1, 0), op(0x208, 3, 1, 0)]
    ir = [op(0, 2, 3, i << 5 | 1 << 4 | (i & 1) << 3 | (i << 20)) for i in range(6)]
    regs = [op(0x88, 3, 0, 0x70), op(0x34, 2, 0, 0x10), op(0x28, 3, 0, 0), op(0x108, 3, 0, 0),
            op(0x18, 2, 0, 0x80000000), op(0x9c, 2, 0, 1)]
    seeds = {
        'translate': seed(0x21, xl),
        'queue': seed(0x23, regs),
        'remap': seed(0x3f, ir + xl),
        'legacy-off': seed(0, regs + ir),
        'scalable': seed(0x23, xl + regs, True),
        'scalable-remap': seed(0x3f, ir + xl, True),
        # the nested backend over the fake iommufd: two assigned devices, a host with every
        # first-stage feature; then one refusing HWPTs; then one taking one invalidation per call
        'nested': seed(0x23, xl + regs, True, (0x3f, 0, 0)),
        'nested-refused': seed(0x23, regs + xl, True, (0x03, 1, 0)),
        'nested-inval': seed(0x23, regs, True, (0x1f, 0, 1)),
        'nested-legacy': seed(0x23, xl + regs, False, (0x01, 2, 0)),
        # ... and a host with PASIDs: PASIDs 1 and 2 of the scalable image's table become
        # attachments of their own
        'nested-pasid': seed(0x23, xl + regs, True, (0x7f, 0, 0)),
        # device-TLBs: their descriptors in the queue, TT 01b (legacy)
        'devtlb': seed(0xa3, xl + regs),
        'scalable-devtlb': seed(0xa3, xl + regs, True),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
