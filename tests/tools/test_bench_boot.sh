#!/usr/bin/env bash
# tools/bench/boot's command line, and its probe tools/bench/boottime (native build) on this machine:
# the time to a marker, and the private memory at that moment with the guest-RAM-sized mapping
# counted apart, so a VMM whose RAM is a MAP_SHARED memfd (private while mapped once) is not
# charged for it, and the part of that RAM in huge pages (a QEMU's THP-backed anonymous RAM).
. "$(dirname "$0")/tap.sh"
bt=${BOOTTIME:-$TOP/build/boottime}
bench=$TOP/tools/bench/boot

expect_fail "bench: unknown option" 2 "unknown option '--fast'" "$bench" --fast
expect_fail "bench: --runs 0" 2 "--runs needs a positive number" "$bench" --runs 0
if "$bench" --help | grep -q 'guest kernel.s own clock at /init'; then ok "bench: --help says how it measures"
else not_ok "bench: --help"; fi
if "$bench" --help | grep -q '^--firmware (arm64): also UEFI boot'; then ok "bench: --help explains --firmware"
else not_ok "bench: --help lacks --firmware"; fi
expect_fail "bench: --firmware on x86_64" 2 "--firmware: x86_64 cannot boot OVMF yet" "$bench" --arch x86_64 --firmware

expect_fail "boottime: no command" 2 "^usage: boottime \[--ram BYTES\] MARKER CMD" "$bt" MARK
expect_fail "boottime: --ram not a number" 2 "^boottime: --ram takes a size in bytes$" "$bt" --ram 64M MARK true

# A "VMM" whose 64 MiB of RAM is a touched MAP_SHARED memfd, as nestvm's is; it prints the marker
# once the RAM is in, then stays alive long enough to be sampled.
cat > "$T/vmm.py" <<'EOF'
import mmap, os, time
fd = os.memfd_create("ram")
os.ftruncate(fd, 64 << 20)
m = mmap.mmap(fd, 64 << 20, mmap.MAP_SHARED)
for i in range(0, 64 << 20, 4096):
    m[i] = 1
print("booted", flush=True)
time.sleep(0.5)
EOF
field() { sed -n "s/.*$1=\\(-\\{0,1\\}[0-9]*\\).*/\\1/p" <<< "$2"; }
cd "$T" || exit 1
r=$("$bt" --ram $((64 << 20)) booted python3 "$T/vmm.py")
vmm=$(field vmm_private_kb "$r") ram=$(field ram_private_kb "$r") mk=$(field marker_us "$r")
dirty=$(field vmm_dirty_kb "$r") huge=$(field ram_huge_kb "$r")
if [ "${mk:--1}" -gt 0 ] && [[ "$r" == *status=0* ]]; then ok "boottime: time to the marker ($r)"; else not_ok "boottime: $r"; fi
if [ "${ram:-0}" -ge 65536 ] && [ "${ram:-0}" -lt 70000 ]; then ok "boottime: the touched 64 MiB memfd counts as guest RAM ($ram KiB)"
else not_ok "boottime: guest RAM $ram KiB, want 65536-70000"; fi
if [ "${vmm:-0}" -gt 0 ] && [ "${vmm:-0}" -lt 65536 ]; then ok "boottime: the VMM's own private memory excludes it ($vmm KiB)"
else not_ok "boottime: VMM private $vmm KiB"; fi
if [ -n "$dirty" ] && [ "$dirty" -gt 0 ] && [ "$dirty" -le "$vmm" ]; then ok "boottime: its dirty part is within it ($dirty KiB)"
else not_ok "boottime: VMM dirty '$dirty' KiB of $vmm"; fi
if grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null; then
	if [ "$huge" = 0 ]; then ok "boottime: memfd RAM without shmem THP has no huge pages"; else not_ok "boottime: memfd huge $huge KiB"; fi
fi
grep -qx booted boottime.out && ok "boottime: the output is kept in boottime.out" || not_ok "boottime.out"

r=$("$bt" booted python3 "$T/vmm.py")
vmm=$(field vmm_private_kb "$r")
if [ "${vmm:-0}" -ge 65536 ] && [ "$(field ram_private_kb "$r")" = 0 ]; then ok "boottime: without --ram all private memory is the VMM's ($vmm KiB)"
else not_ok "boottime without --ram: $r"; fi
# Anonymous RAM with MADV_HUGEPAGE, as QEMU's: with THP on, its huge pages are counted.
cat > "$T/anon.py" <<'EOF'
import mmap, time
m = mmap.mmap(-1, 64 << 20, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
m.madvise(mmap.MADV_HUGEPAGE)
for i in range(0, 64 << 20, 4096):
    m[i] = 1
print("booted", flush=True)
time.sleep(0.5)
EOF
if grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
	ok "boottime: huge pages of anonymous RAM # SKIP THP is off on this machine"
else
	r=$("$bt" --ram $((60 << 20)) booted python3 "$T/anon.py")
	huge=$(field ram_huge_kb "$r") ram=$(field ram_private_kb "$r")
	if [ "${huge:-0}" -gt 0 ] && [ "$huge" -le "$ram" ]; then ok "boottime: THP-backed anonymous RAM counted as huge ($huge of $ram KiB)"
	else not_ok "boottime: anonymous THP RAM: $r"; fi
fi
r=$("$bt" --ram 4096 never true)
if [[ "$r" == "marker_us=-1 "*" status=0 vmm_private_kb=-1 vmm_dirty_kb=-1 ram_private_kb=-1 ram_huge_kb=-1" ]]; then ok "boottime: no marker, no sizes ($r)"
else not_ok "boottime without the marker: $r"; fi
done_testing
