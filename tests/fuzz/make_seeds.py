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

# fuzz_virtio_blk: byte 0 = feature bits, then RAM. Requests: header (type, reserved, sector), data, status.
def blk_req_ram(reqs):
    ram = bytearray(0x10000)
    nd = 0
    heads = []
    hdr_at, data_at = 0x2000, 0x4000
    for i, (typ, sector, dlen, din) in enumerate(reqs):
        heads.append(nd)
        h = hdr_at + 0x20 * i
        struct.pack_into('<IIQ', ram, h, typ, 0, sector)
        descs = [(h, 16, 1)]
        if dlen:
            descs.append((data_at + 0x1000 * i, dlen, 1 | (2 if din else 0)))
        descs.append((h + 0x10, 1, 2))
        for j, (a, l, fl) in enumerate(descs):
            struct.pack_into('<QIHH', ram, 16 * (nd + j), a, l, fl if j < len(descs) - 1 else fl & ~1, nd + j + 1)
        nd += len(descs)
        ram[data_at + 0x1000 * i:data_at + 0x1000 * i + dlen] = bytes([0x40 + i]) * dlen
    struct.pack_into('<HH', ram, 0x400, 0, len(reqs))
    for i, hd in enumerate(heads):
        struct.pack_into('<H', ram, 0x404 + 2 * i, hd)
    return ram


ram = blk_req_ram([(1, 3, 1024, False), (0, 3, 512, True), (4, 0, 0, False), (8, 0, 20, True)])
put('fuzz_virtio_blk', 'write-read-flush-getid', bytes([4]) + bytes(ram[:0x8000]))

# fuzz_virtio_console: flags, input length, input, RAM: one receive buffer (rxq at 0), one transmit buffer (txq at 0x1000).
ram = bytearray(0x10000)
struct.pack_into('<QIHH', ram, 0, 0x4000, 64, 2, 0)
struct.pack_into('<HHH', ram, 0x400, 0, 1, 0)
struct.pack_into('<QIHH', ram, 0x1000, 0x5000, 6, 0, 0)
struct.pack_into('<HHH', ram, 0x1400, 0, 1, 0)
ram[0x5000:0x5006] = b'guest\n'
inp = b'typed by the user\n'
put('fuzz_virtio_console', 'rx-tx', bytes([0]) + struct.pack('<H', len(inp)) + inp + bytes(ram[:0x5010]))

# fuzz_virtq_iommu: 24 control bytes, then RAM (at 0x40000000). Stage 1: 4 KiB granule, TxSZ 34
# (30-bit IOVAs: level-2 table at RAM+0x8000, level-3 at +0x9000), IOVA i * 4K -> RAM page i (16 pages).
RB = 0x40000000
ctl = bytearray(24)
ctl[0] = 4 | 0x40          # 16 entries, event_idx
ctl[1] = 34
ctl[2] = 0                 # granule 4K, OAS 48
ctl[3] = 0                 # S1, TTB1 disabled
struct.pack_into('<H', ctl, 4, 0x8000)
struct.pack_into('<III', ctl, 8, 0x0, 0x400, 0x800)
ctl[20], ctl[21], ctl[22], ctl[23] = 1, 3, 0, 0   # invalidate (VAA) after the first request
ram = ram_with_chain(0, [(0x2000, 64, 1, 1), (0x3000, 64, 2, 0)])
struct.pack_into('<Q', ram, 0x8000, (RB + 0x9000) | 3)
for i in range(16):
    struct.pack_into('<Q', ram, 0x9000 + 8 * i, (RB + i * 0x1000) | 3 | 1 << 10 | 1 << 6)
put('fuzz_virtq_iommu', 's1-4k-two-buffers', bytes(ctl) + bytes(ram[:0x9080]))

# fuzz_pci_config: ops [kind, sel, off16, val32]; sel: len 1 << (sel & 3), write if sel & 4.
def pc_op(kind, n, wr, off, val, extra=0):
    return struct.pack('<BBHI', kind, lensel(n) | (4 if wr else 0) | extra, off, val)


ops = [pc_op(0, 4, True, 0x18, 0xe0000000), pc_op(0, 4, True, 0x1c, 0), pc_op(0, 2, True, 0x04, 6),
       pc_op(0, 2, True, 0x42, 0x8000),                                   # MSI-X enable
       pc_op(3, 4, True, 0x10, 0xfee00000), pc_op(3, 4, True, 0x18, 0x31), # vector 1 message
       pc_op(5, 1, False, 0, 0) [:2] + struct.pack('<HI', 1, 0),          # fire vector 1 (masked: PBA)
       pc_op(3, 8, False, 0x2000, 0), pc_op(3, 4, True, 0x1c, 0),          # read PBA, unmask
       pc_op(2, 4, False, 0x0, 0), pc_op(2, 2, True, 0x42, 0xc000),        # CF8/CFC: id, MSI-X mask-all
       pc_op(0, 4, True, 0x10, 0xffffffff), pc_op(0, 4, False, 0x10, 0)]   # BAR0 sizing
put('fuzz_pci_config', 'bar-msix', b''.join(ops))

# fuzz_root_port: ops [kind, sel, off16, val32] (same encoding); pciehp's sequence. The PCIe
# capability is at 0x40: Slot Control 0x58, Slot Status 0x5a; MSI-X at 0x7c.
ops = [pc_op(0, 4, True, 0x10, 0x10000000), pc_op(0, 2, True, 0x04, 6),   # BAR0, memory + master
       pc_op(0, 2, True, 0x7e, 0x8000),                                    # MSI-X enable
       pc_op(6, 4, True, 0x0, 0xfee00000), pc_op(6, 4, True, 0x8, 0x41),    # vector 0
       pc_op(0, 2, True, 0x58, 0x143f | 0x400),                            # events on, power off
       pc_op(3, 1, False, 0, 0), pc_op(0, 2, True, 0x5a, 0x1ff),           # card in; clear events
       pc_op(0, 2, True, 0x58, 0x113f),                                    # power on
       pc_op(2, 4, False, 0, 0, 8),                                      # bus 1 00.0 vendor id
       pc_op(5, 1, False, 0, 0), pc_op(0, 2, True, 0x58, 0x153f),          # button, power off
       pc_op(4, 1, False, 0, 0), pc_op(0, 4, True, 0x18, 0x030300)]        # card out, renumber
put('fuzz_root_port', 'pciehp', b''.join(ops))

# fuzz_pci_bridge: ops [bus << 5 | dev << 3 | fn, sel, off16, val32]; a guest enumerating the switch
# (bus 0 device 0 is the root port), renumbering it as Linux does, toggling a link, ACS, and resets.
# The PCI Express capability is at 0x40 (Link Control 0x50), ACS at 0x100 (control 0x106).
def br_op(bus, dev, n, wr, off, val):
    return struct.pack('<BBHI', bus << 5 | dev << 3, lensel(n) | (4 if wr else 0), off, val)


ops = [br_op(0, 0, 4, False, 0, 0), br_op(0, 0, 4, False, 0x18, 0),      # root port ids, buses
       br_op(1, 0, 4, False, 0, 0), br_op(2, 1, 4, False, 0, 0),          # upstream, downstream 1
       br_op(3, 0, 4, False, 0, 0),                                       # the function below
       br_op(0, 0, 4, True, 0x18, 0x070500), br_op(5, 0, 4, True, 0x18, 0x070605),  # renumber
       br_op(6, 0, 4, True, 0x18, 0x070706), br_op(7, 0, 4, False, 0, 0),
       br_op(6, 0, 2, True, 0x50, 0x10), br_op(7, 0, 4, False, 0, 0),     # link disabled
       br_op(6, 0, 2, True, 0x106, 0x1f), br_op(6, 0, 4, False, 0x104, 0), # ACS
       br_op(0, 0, 2, True, 0x3e, 0x40), br_op(0, 0, 2, True, 0x3e, 0)]   # secondary bus reset
put('fuzz_pci_bridge', 'switch', b''.join(ops))

# fuzz_vfio_pci_config: flags, 6 BAR selectors, real config (256), ops [sel, reg16, val32, pad].
c = bytearray(256)
struct.pack_into('<HHI', c, 0, 0x1234, 0x11e8, 0)
struct.pack_into('<H', c, 6, 0x10 | 0x4000)       # CAP_LIST, SIG_SYSTEM_ERROR
struct.pack_into('<I', c, 8, 0x00ff0010)
c[0x3d] = 1
c[0x34] = 0x40
c[0x40:0x44] = bytes([0x05, 0x50]) + struct.pack('<H', 0x80 | 0x100 | (2 << 1))   # MSI 64-bit, masking, 4 vectors
c[0x50:0x5c] = bytes([0x11, 0x60]) + struct.pack('<HII', 15, 2, 0x2000 | 2)         # MSI-X 16 vectors in BAR2
c[0x60:0x62] = bytes([0x01, 0x70])                                                   # PM
c[0x70:0x73] = bytes([0x10, 0x00, 0x02])                                             # PCIe v2
ops = b''.join(struct.pack('<BHIB', 2, r, 0, 0) for r in range(0, 0x100, 4))
ops += b''.join(struct.pack('<BHIB', s, r, v, 0) for s, r, v in [
    (5, 0x04, 0x0006), (5, 0x52, 0x8000), (6, 0x44, 0xfee00000), (5, 0x42, 0x0001), (5, 0x64, 0x0003),
    (5, 0x78, 0x2810), (6, 0x10, 0xffffffff), (2, 0x10, 0), (6, 0x30, 0xffffffff), (2 | 0x80, 0x100, 0)])
put('fuzz_vfio_pci_config', 'msi-msix-pm-pcie', bytes([0, 12, 0, 0x80 | 10, 0, 0, 0]) + bytes(c) + ops)
# ... a PCIe function with AER -> ATS -> PRI in its extended space, behind a vIOMMU that offers page
# requests and 4 PASID bits (flags 0x49), on a host with 20 PASID bits and execute mode (selector 0x12):
# the emulated ATS (0x100), PRI (0x110) and PASID (0x120) read and written.
x = bytearray(4096)
x[0:256] = c
struct.pack_into('<I', x, 0x100, 0x0001 | 1 << 16 | 0x140 << 20)      # AER
struct.pack_into('<I', x, 0x140, 0x000f | 1 << 16 | 0x180 << 20)      # ATS
struct.pack_into('<I', x, 0x180, 0x0013 | 1 << 16)                    # PRI
struct.pack_into('<I', x, 0x188, 64)                                  # Outstanding Page Request Capacity
ops = b''.join(struct.pack('<BHIB', 0x80 | 2, r, 0, 0) for r in range(0x100, 0x130, 4))
ops += b''.join(struct.pack('<BHIB', s, r, v, 0) for s, r, v in [
    (0x85, 0x106, 0x8003), (0x85, 0x114, 1), (0x86, 0x11c, 32), (0x85, 0x114, 3), (0x85, 0x114, 2),
    (0x85, 0x126, 7), (0x81, 0x114, 0), (0x82, 0x124, 0)])
put('fuzz_vfio_pci_config', 'ext-ats-pri-pasid', bytes([0x49, 0x12, 0, 0, 0, 0, 0]) + bytes(x) + ops)

# fuzz_pio: exits [port table index, low bits, flags (0x80 table, 0x40 out, size sel), count-1, 0, offset, 0, 0] + data
def pio(idx, low, out, sizesel, count, data=b''):
    return bytes([idx, low, 0x80 | (0x40 if out else 0) | sizesel, count - 1, 0, 0, 0, 0]) + data


put('fuzz_pio', 'com1-pci-reset', b''.join([
    pio(0, 3, True, 0, 1, b'\x03'), pio(0, 1, True, 0, 1, b'\x0f'),        # LCR 8N1, IER all
    pio(0, 0, True, 0, 6, b'hello\n'),                                      # rep outsb THR
    pio(0, 5, False, 0, 4), pio(0, 2, False, 0, 2),                         # rep insb LSR, IIR
    pio(1, 0, True, 2, 1, struct.pack('<I', 0x80000800)),                   # CF8: 00:01.0 reg 0
    pio(2, 0, False, 2, 4), pio(2, 2, False, 1, 2),                         # rep insd/insw CFC
    pio(6, 0, True, 0, 3, b'\x01\x02\x03'), pio(4, 0, False, 0, 1),         # POST, i8042 data
    pio(3, 1, False, 0, 1), pio(3, 0, True, 0, 1, bytes([0x20 | (5 << 2)])),  # PM status, S5
]))

# fuzz_ioapic: ops [kind, arg, value32]
def io_op(kind, arg, val):
    return struct.pack('<BBI', kind, arg, val)


put('fuzz_ioapic', 'level-pin-eoi', b''.join([
    io_op(4, 0, 0x10), io_op(4, 1, 0x30 | 1 << 15),     # RTE0 low: vector 0x30, level, unmasked
    io_op(4, 0, 0x11), io_op(4, 1, 0),                  # RTE0 high: destination 0
    io_op(6, 0, 0), io_op(3, 0x30, 0), io_op(3, 0x30, 0),  # assert pin 0, EOI twice
    io_op(2, 0, 0), io_op(3, 0x30, 0), io_op(0, 0, 0x10), io_op(0, 1, 0),   # deassert, EOI, read back
]))

# fuzz_pl011: ops [flags (0x80 input, 0x40 write, 0x10 any width) | off[11:8], off[7:0], b0, b1]
def pl(off, wr, val=0):
    return bytes([(0x40 if wr else 0) | (off >> 8), off & 0xff, val & 0xff, val >> 8 & 0xff])


put('fuzz_pl011', 'enable-rx-irq', b''.join([
    pl(0x2c, True, 0x70), pl(0x30, True, 0x301), pl(0x38, True, 0x7f0),   # LCR_H FEN 8N1, CR on, IMSC
    bytes([0x80, 0, 3, 0]),                                               # 60 bytes of input
    pl(0x18, False), pl(0x40, False), pl(0x00, False), pl(0x00, False), pl(0x3c, False),
    pl(0x44, True, 0x7ff), pl(0x00, True, 0x41), pl(0xfe0, False), pl(0x2c, True, 0x60),
    bytes([0x80, 0, 250, 0]), pl(0x04, False), pl(0x04, True, 0)]))      # overrun, RSR, ECR

# fuzz_pl031: ops [flags (0x40 write, 0x10 any width/offset, bits 1:0 log2 width), off[7:0], off[11:8], v0, v1, v2]
def rtc(off, wr, val=0, width=None):
    f = (0x40 if wr else 0) | (0x10 | {1: 0, 2: 1, 4: 2, 8: 3}[width] if width else 0)
    return bytes([f, off & 0xff, off >> 8]) + struct.pack('<I', val)[:3]


put('fuzz_pl031', 'aavmf-init-settime', b''.join(
    [rtc(0xfe0 + 4 * i, False, width=1) for i in range(8)] +          # IdentifyPL031: byte reads
    [rtc(0x0c, False), rtc(0x0c, True, 1), rtc(0x10, False), rtc(0x10, True, 0), rtc(0x1c, True, 1),
     rtc(0x00, False), rtc(0x08, True, 0x123456), rtc(0x00, False), rtc(0x08, False),
     rtc(0x04, True, 0x654321), rtc(0x18, False), rtc(0x09, False, width=2), rtc(0x0e, True, 0, width=2)]))

# fuzz_pl061: ops [flags (0x80 machine op, 0x40 write, 0x10 any width) | off[11:8], off[7:0], value, line op]
def gp(off, wr, val=0):
    return bytes([(0x40 if wr else 0) | (off >> 8), off & 0xff, val & 0xff, 0])


put('fuzz_pl061', 'gpio-keys-power', b''.join(
    [gp(0xfe0 + 4 * i, False) for i in range(8)] +                       # amba: PeriphID, PCellID
    [gp(0x400, True, 0), gp(0x404, True, 0), gp(0x408, True, 0x08), gp(0x410, True, 0x08),
     bytes([0x80, 0, 0, 0x83]),                                            # the power button
     gp(0x418, False), gp(0x41c, True, 0x08), gp(0x020, False),            # MIS, IC, line 3 read: released
     gp(0x418, False), gp(0x41c, True, 0x08), gp(0x020, False),
     gp(0x404, True, 0x01), gp(0x40c, True, 0x01), gp(0x410, True, 0x01),  # line 0 level high
     bytes([0x80, 0, 0, 0x10]), gp(0x414, False), bytes([0x80, 0, 0, 0x00]),
     gp(0x400, True, 0xf0), gp(0x3fc, True, 0xff), gp(0x3fc, False)]))

# fuzz_serial8250: ops [flags (0x80 input, 0x40 any offset/width, 0x08 write), offset, value]
def s8(off, wr, val=0):
    return bytes([0x08 if wr else 0, off, val])


put('fuzz_serial8250', 'dlab-fifo-rx-irq', b''.join([
    s8(3, True, 0x83), s8(0, True, 1), s8(1, True, 0), s8(3, True, 0x03),   # 115200 8N1
    s8(2, True, 0xc7), s8(1, True, 0x0f), s8(4, True, 0x0b),                # FIFO on, all IRQs, OUT2
    bytes([0x80, 0, 4]),                                                    # 64 bytes of input
    s8(2, False), s8(5, False), s8(0, False), s8(0, False), s8(6, False),
    s8(0, True, 0x41), s8(2, False), s8(4, True, 0x1b), s8(0, True, 0x42), s8(0, False),  # loopback
    s8(7, True, 0x5a), s8(7, False), bytes([0x80, 0, 80]), s8(5, False)]))  # scratch, overrun

# fuzz_fw_cfg: a 512-byte RAM image (RAM at 0) holding DMA descriptors, then ops [ctl, offset, value le64];
# ctl 0x80 MMIO, 0x40 write, bits 1:0 width 1/2/4/8. DMA register values are written big-endian.
def fc_desc(ram, at, control, length, addr):
    struct.pack_into('>IIQ', ram, at, control, length, addr)


def fc(ctl, off, val):
    return struct.pack('<BBQ', ctl, off, val)


def be32_as_le(v):
    return struct.unpack('<I', struct.pack('>I', v))[0]


fc_ram = bytearray(512)
fc_desc(fc_ram, 0x40, 0x11 << 16 | 0x08 | 0x02, 256, 0x200)   # select KERNEL_DATA + read 256 bytes
fc_desc(fc_ram, 0x60, 0x21 << 16 | 0x08 | 0x10, 8, 0)         # select the writable file + write 8
fc_desc(fc_ram, 0x80, 0x19 << 16 | 0x08 | 0x02, 200, 0x100)   # select FILE_DIR + read 200
put('fuzz_fw_cfg', 'pio-dma', bytes(fc_ram) + b''.join([
    fc(0x41, 0, 0x05), fc(0x00, 1, 0), fc(0x00, 1, 0),         # select NB_CPUS, two data reads
    fc(0x42, 4, 0), fc(0x42, 8, be32_as_le(0x40)), fc(0x42, 4, 0), fc(0x42, 8, be32_as_le(0x60)),
    fc(0x42, 8, be32_as_le(0x80))]))
put('fuzz_fw_cfg', 'mmio-dma', bytes(fc_ram) + b''.join([
    fc(0xc1, 8, struct.unpack('<H', struct.pack('>H', 0x19))[0]), fc(0x83, 0, 0), fc(0x83, 0, 0),
    fc(0x83, 0, 0), fc(0x83, 0, 0), fc(0xc3, 16, struct.unpack('<Q', struct.pack('>Q', 0x80))[0])]))


# fuzz_pflash: geometry byte (bit 0 AAVMF 32-bit dual x16 with 16K blocks, bit 1 read-only), then ops
# [ctl, offset le16, value le64]; ctl 0x80 write, 0x40 near the end, bits 1:0 width.
def pf(wr, off, val, n):
    return struct.pack('<BHQ', (0x80 if wr else 0) | lensel(n), off, val)


def dual(x):
    return x << 16 | x


put('fuzz_pflash', 'ovmf', b'\x00' + b''.join([
    pf(0, 0x1001, 0, 1), pf(1, 0x1001, 0x50, 1), pf(0, 0x1001, 0, 1), pf(1, 0x1001, 0x70, 1), pf(0, 0x1001, 0, 1),
    pf(1, 0x1001, 0x10, 1), pf(1, 0x1001, 0x41, 1), pf(1, 0x1001, 0x70, 1), pf(0, 0x1001, 0, 1),
    pf(1, 0x1001, 0xff, 1), pf(1, 0x2000, 0x20, 1), pf(1, 0x2000, 0xd0, 1), pf(0, 0x2000, 0, 1),
    pf(1, 0, 0x98, 1), pf(0, 0x10, 0, 1), pf(1, 0, 0xff, 1)]))
put('fuzz_pflash', 'aavmf', b'\x01' + b''.join(
    [pf(1, 0x4000, dual(0x60), 4), pf(1, 0x4000, dual(0xd0), 4), pf(1, 0x4000, dual(0x20), 4),
     pf(1, 0x4000, dual(0xd0), 4), pf(0, 0x4000, 0, 4), pf(1, 0x4080, dual(0xe8), 4), pf(0, 0x4080, 0, 4),
     pf(1, 0x4080, dual(7), 4)] +
    [pf(1, 0x4080 + 4 * i, 0x01020304 * (i + 1), 4) for i in range(8)] +
    [pf(1, 0x4080, dual(0xd0), 4), pf(0, 0x4080, 0, 4), pf(1, 0, dual(0xff), 4), pf(1, 0, dual(0x90), 4),
     pf(0, 4, 0, 4), pf(1, 0, dual(0xff), 4)]))


# fuzz_chipset: ops [kind (bits 1:0 MCH/LPC/PM/CMOS, 0x80 write, bits 5:4 log2 width), off16, pad, val32]:
# OVMF's PlatformPei (PMBASE, ACPI_EN, RCBA, PCIEXBAR), its timer and shutdown, PcRtc's SetTime.
def cs(kind, off, val=0, wr=False, n=4):
    return struct.pack('<BHBI', kind | (0x80 if wr else 0) | lensel(n) << 4, off, 0, val)


put('fuzz_chipset', 'ovmf-platformpei', b''.join([
    cs(0, 2, n=2), cs(1, 0x44, n=1), cs(1, 0x40, 0x600, True), cs(1, 0x44, 0x80, True, 1), cs(1, 0xf0, 0xfed1c001, True),
    cs(0, 0x64, 0, True), cs(0, 0x60, 0xb0000001, True), cs(0, 0x9d, 0x4a, True, 1), cs(1, 0x60, 0x0a, True, 1),
    cs(2, 8), cs(2, 4, 1, True, 2), cs(2, 0, 0xffff, True, 2), cs(3, 0, 0x0b, True, 1), cs(3, 1, 0x82, True, 1),
    cs(3, 0, 0x09, True, 1), cs(3, 1, 0x99, True, 1), cs(3, 0, 0x0b, True, 1), cs(3, 1, 0x02, True, 1),
    cs(3, 0, 0x04, True, 1), cs(3, 1), cs(2, 4, 0x2000, True, 2)]))


# fuzz_iopf: [0 N records(40 bytes: flags dev_id pasid grpid perm rsvd addr length cookie)] host groups,
# [1 sel val32] PRIQ registers, [2 cmd 16 bytes] commands (CMD_PRI_RESP 0x41), [3] timeout, [4] removal.
def pgf(grpid, addr, last=True, pasid=None):
    flags = (2 if last else 0) | (1 if pasid is not None else 0)
    return struct.pack('<IIIIIIQII', flags, 0, pasid or 0, grpid, 3, 0, addr, 0, 0)


def pri_resp(sid, grpid, resp):
    return struct.pack('<BQQ', 2, 0x41 | sid << 32, grpid | resp << 12)


put('fuzz_iopf', 'answer-and-overflow', b''.join([
    bytes([0, 0]) + pgf(5, 0x10000),
    pri_resp(0x10, 5, 2),
    bytes([0, 2]) + pgf(6, 0x20000, False) + pgf(6, 0x21000, False) + pgf(6, 0x22000),
    bytes([0, 0]) + pgf(7, 0x30000, pasid=3),
    struct.pack('<BBI', 1, 5, 4),   # PRIQ_CONS
    pri_resp(0x10, 6, 0), pri_resp(0x10, 7, 1),
    bytes([0, 7]) + b''.join(pgf(8 + i, 0x40000 + i * 0x1000) for i in range(8)),
    bytes([3]), bytes([0, 0]) + pgf(20, 0x50000), bytes([4]),
]))


# fuzz_iopf_vtd: the same host groups; [1 sel val32] page request registers (0 PQH, 1 PQT, 2 PQA,
# 4 PRS, 5 PECTL...), [2 desc 16 bytes] invalidation queue descriptors (page group response 9h:
# RID 31:16, Response Code 15:12; PRG index 11:3, LPIG 2), [3] timeout, [4] removal.
def pgresp(rid, grpid, rc):
    return struct.pack('<BQQ', 2, 0x9 | rc << 12 | rid << 16, grpid << 3 | 4)


put('fuzz_iopf_vtd', 'answer-and-overflow', b''.join([
    bytes([0, 0]) + pgf(5, 0x10000),
    pgresp(0x10, 5, 0),
    bytes([0, 2]) + pgf(6, 0x20000, False) + pgf(6, 0x21000, False) + pgf(6, 0x22000),
    bytes([0, 0]) + pgf(7, 0x30000, pasid=3),
    struct.pack('<BBI', 1, 0, 0x80),   # PQH
    struct.pack('<BBI', 1, 4, 1),      # PRS.PPR
    pgresp(0x10, 6, 1), pgresp(0x10, 7, 0xf), pgresp(0x10, 7, 2),
    struct.pack('<BBI', 1, 6, 0x10),   # FSTS.IQE
    bytes([0, 7]) + b''.join(pgf(8 + i, 0x40000 + i * 0x1000) for i in range(8)),
    bytes([3]), bytes([0, 0]) + pgf(20, 0x50000), bytes([4]),
]))
