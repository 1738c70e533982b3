#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# Writes the seed inputs of fuzz_smmuv3 (layout: tests/fuzz/fuzz_smmuv3.c) to corpus/fuzz_smmuv3/:
# a Linux-like guest setup (linear stream table, a stage-1 STE and CD, 4K page tables, a queue of
# CFGI/TLBI/SYNC commands, register pokes) on the software backend, on the nested backend over the
# fake iommufd with vEVENTQ records, and nested with two devices, refused vSTEs and short
# invalidations. Usage: tests/fuzz/smmuv3_seeds.py
import os
import struct

RAM = 0x40000000
SID, ASID = 8, 5


def seed(backend, fail=0, inval_accept=0, events=b''):
    hdr = bytearray(64)
    hdr[0] = 0x10                                   # MSI
    hdr[1] = 0x10                                   # STRTAB at RAM + 0x1000
    hdr[2:6] = struct.pack('<I', 8)                 # linear, 256 STEs
    hdr[6], hdr[7] = 5, 4                           # CMDQ 32, EVTQ 16 entries
    hdr[8:12] = bytes([SID, 9, 10, 11])
    hdr[16] = 2                                     # SMMUEN
    hdr[17:21] = struct.pack('<I', 6)               # CMDQ_PROD
    hdr[21:29] = struct.pack('<II', 0x10, 0x11)     # IOVAs 0x10000, 0x11000
    hdr[29] = 12
    hdr[31], hdr[32], hdr[33] = backend, fail, inval_accept
    hdr[35] = len(events) // 4
    idr = [1 << 0 | 1 << 1 | 2 << 2 | 1 << 4 | 1 << 12 | 1 << 13 | 1 << 18 | 1 << 24 | 1 << 26 | 1 << 27,
           16 | 19 << 16 | 19 << 21, 0, 1 << 10, 0, 4 | 1 << 4 | 1 << 6]
    hdr[40:64] = struct.pack('<6I', *idr)
    ops = [
        (0x0000, 2, 1, 0),                          # IDR0 read
        (0x0044, 2, 0, 1 << 31 | 1 << 20),          # GBPA update + abort
        (0x0098, 1, 0, 0xff),                       # half a CMDQ_PROD
        (0x10000 + 0xa8, 2, 1, 0),                  # EVENTQ_PROD (page 1)
        (0x0090, 3, 0, 0),                          # CMDQ_BASE while enabled (ignored)
        (0x0000, 2, 2, 0x10000 >> 0),               # translate
        (0x0000, 2, 3, 2),                          # PROD += 2
        (0x0064, 2, 0, 1),                          # GERRORN
    ]
    opb = bytearray()
    for off, width, kind, v in ops:
        b2 = (off >> 16 & 1) | width << 1 | kind << 3
        opb += struct.pack('<HB', off & 0xffff, b2) + struct.pack('<Q', v)[:5]
    hdr[36] = len(ops)
    ram = bytearray(0xe000 + len(events))
    def q(off, v):
        ram[off:off + 8] = struct.pack('<Q', v)
    q(0x1000 + SID * 64, RAM + 0x6000 | 5 << 1 | 1)                 # STE: S1, CD at 0x6000
    q(0x6000, 25 | 1 << 30 | 1 << 31 | 4 << 32 | 1 << 41 | 1 << 45 | 1 << 46 | ASID << 48)
    q(0x6008, RAM + 0x9000)                                        # TTB0
    q(0x9000, RAM + 0xa000 | 3)
    q(0xa000, RAM + 0xb000 | 3)
    q(0xb000 + 0x10 * 8, 0x40a00000 | 3 | 1 << 10 | 1 << 6)
    q(0xb000 + 0x11 * 8, 0x40a01000 | 3 | 1 << 10 | 1 << 6 | 1 << 7)
    cmds = [(0x03 | SID << 32, 1), (0x12 | ASID << 48, 0x10000), (0x05 | SID << 32, 1),
            (0x10, 0), (0x40 | SID << 32, 0), (0x46 | 1 << 12, 0), (0x46, 0), (0x06 | SID << 32, 0)]
    for i, (w0, w1) in enumerate(cmds):
        q(0x8000 + i * 16, w0)
        q(0x8000 + i * 16 + 8, w1)
    ram[0xe000:] = events
    return bytes(hdr) + bytes(opb) + bytes(ram)


def vevent(seq, evt0):
    return struct.pack('<II', 0, seq) + struct.pack('<4Q', evt0, 0, 0x10000, 0)


out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'fuzz_smmuv3')
os.makedirs(out, exist_ok=True)
evts = vevent(0, 0x10 | SID << 32) + vevent(2, 0x04 | SID << 32)
for name, data in [('software', seed(0)), ('nested', seed(1, events=evts)),
                   ('nested-refusing', seed(1 | 2 | 4 | 8, fail=0x40, inval_accept=2))]:
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
