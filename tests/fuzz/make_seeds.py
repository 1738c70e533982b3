#!/usr/bin/env python3
# Writes the seed corpora of tests/fuzz (tests/fuzz/corpus/NAME/seed-*): small inputs that reach
# each target's deep paths (a driver's full setup, a valid request, a mapped page table), so 20 s of
# fuzzing start from there. Run from the repository top after changing an input format.
import os
import struct

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')


def put(name, seed, data):
    d = os.path.join(TOP, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'seed-' + seed), 'wb') as f:
        f.write(data)


def lensel(n):
    return {1: 0, 2: 1, 4: 2, 8: 3}[n]


# virtio-pci common config offsets (virtio 1.2 4.1.4.3)
DFSELECT, DF, GFSELECT, GF, MSIX, NUMQ, STATUS = 0, 4, 8, 12, 16, 18, 20
QSELECT, QSIZE, QMSIX, QENABLE, QNOFF, QDESC, QAVAIL, QUSED = 22, 24, 26, 28, 30, 32, 40, 48


def ram_with_chain(qbase, bufs, avail_idx=1):
    """64 KiB RAM image: queue at qbase (desc, avail +0x400, used +0x800), one chain of BUFS
    [(addr, len, flags, next)], made available."""
    ram = bytearray(0x10000)
    for i, (a, l, fl, nx) in enumerate(bufs):
        struct.pack_into('<QIHH', ram, qbase + 16 * i, a, l, fl, nx)
    struct.pack_into('<HHH', ram, qbase + 0x400, 0, avail_idx, 0)
    return ram


# fuzz_virtio_pci: ops [kind, sel, off16, val64]
def vp_op(kind, sel, off, val):
    return struct.pack('<BBHQ', kind, sel, off, val)


def vp_common(off, n, val):
    return vp_op(1, lensel(n), off, val)


ops = [vp_common(STATUS, 1, 0), vp_common(STATUS, 1, 3)]
for sel in (0, 1):
    ops += [vp_common(GFSELECT, 4, sel), vp_common(GF, 4, 1 if sel else 0x30000000)]
ops += [vp_common(STATUS, 1, 11), vp_common(MSIX, 2, 0)]
for q in (0, 1):
    b = q * 0x1000
    ops += [vp_common(QSELECT, 2, q), vp_common(QSIZE, 2, 64), vp_common(QDESC, 8, b),
            vp_common(QAVAIL, 8, b + 0x400), vp_common(QUSED, 8, b + 0x800), vp_common(QMSIX, 2, q + 1),
            vp_common(QENABLE, 2, 1)]
ops += [vp_common(STATUS, 1, 15)]
# MSI-X: enable in config space (kind 5: 0x40 + off), vector 2 entry through BAR2 (kind 3)
ops += [vp_op(3, lensel(4) | 4, 0x20, 0xfee00000), vp_op(3, lensel(4) | 4, 0x28, 0x21)]
ops += [vp_op(6, 0, 1, 0), vp_op(7, 0, 0, 0), vp_op(0, lensel(1) | 4, 0, 0)]   # kick txq, run, read ISR
ram = ram_with_chain(0x1000, [(0x4000, 16, 0, 0)])
ram[0x4000:0x4010] = b'hello, console!\n'
put('fuzz_virtio_pci', 'driver-init-tx', bytes([len(ops)]) + b''.join(ops) + bytes(ram[:0x4010]))
