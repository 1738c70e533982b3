# Peer-to-peer DMA between two assigned devices (issue 14). L1 has two edu devices bound to vfio-pci
# (tools/testhost/run --edu 2), both assigned to one L2. nestvm exports each BAR as a dma-buf and maps
# it into the VM's IOAS at its guest-physical address (src/devices/vfio_pci_p2p.c). Inside L2,
# tests/guest/edu_p2p has edu A's DMA engine write 5 into edu B's factorial register (BAR0 + 0x08)
# and reads 120 back from B:
#  1. without a vIOMMU (both arches): A aims at B's BAR GPA (VFIO no-IOMMU mode in L2). Then B's
#     memory decode goes off (the DMA is blocked) and on again (it arrives: a fresh mapping), B's
#     BAR moves while decoding (the old address is blocked, the new one reaches B);
#  2. the same with p2p=off on B: every DMA to B is blocked, and nestvm keeps running;
#  3. the host refusing the mappings (injected, as for a revoked dma-buf): warned, blocked, running;
#  4. B hot-removed from the VM (vm.remove-device) while A stays: B's BAR leaves the IOAS with the
#     device, A's DMA to B's old address reaches nothing (L1's IOMMU faults), nestvm runs on and
#     has closed every fd of B;
#  5. behind the guest's vIOMMU (arm64: the nested vSMMUv3; x86_64: the vVT-d's shadow backend): L2
#     exports B's BAR0 through its own VFIO as a dma-buf and maps it into A's IOAS at an IOVA (the
#     guest's tables: IOVA -> B's BAR GPA; nestvm: the GPA -> B's host BAR, as stage 2 or in the
#     shadow); unmapped again, the DMA is blocked; with p2p=off on B, blocked from the start.
# Every run ends with nestvm closing everything: no fd leak reported (dma-bufs included).
# B cannot be reset from inside L2 here: QEMU's edu has no FLR, no PM capability and sits on the
# root bus, so the reset path (COMMAND 0 first, then VFIO_DEVICE_RESET) is exercised by the decode
# test, which revokes the dma-buf in the host the same way (vfio_pci_dma_buf_move).
. tests/testhost/lib.sh

# The edu functions' VFIO cdevs, in address order (the suite's L1 also has an igb).
set --
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && set -- "$@" "/dev/vfio/devices/${v##*/}"; done
done
if [ $# -lt 2 ]; then
	skip "L1 has $# edu device(s) bound to vfio-pci, this needs two (tools/testhost/run --edu 2)" \
		"P2P between two edu devices"
	done_testing
	exit $?
fi
a=$1 b=$2
# A free address in nestvm's MMIO32 window to move B's BAR0 to (src/arch/*/layout.h).
if [ "$NESTVM_ARCH" = arm64 ]; then move=0x3e000000; else move=0xdf000000; fi

ok_line() { grep -Eq "^ok [0-9]+ - $2" "$1"; }
# p2p_run NAME EXPECT GCMD-ARGS KCMD NESTVM-ARGS...: edu_p2p in L2 (its output in $T/NAME.out).
p2p_run() {
	local name=$1 gargs=$2 kcmd=$3 o rc; shift 3
	o=$T/$name.out
	guest "$o" "edu_p2p --bind $gargs; echo \"p2p_rc=\$?\"" "$kcmd" --memory 256M -v "$@"; rc=$?
	echo "$rc" > "$T/$name.rc"
}
# p2p_common NAME: what every run must show.
p2p_common() {
	local o=$T/$1.out rc; rc=$(cat "$T/$1.rc")
	check "$1: nestvm exits 0 (status $rc), no fd leak, no error" \
		sh -c "[ '$rc' = 0 ] && ! grep -q 'fd leak' '$o' && ! grep -q '^nestvm: .*error' '$o'" || show "$o" 60
	check "$1: edu_p2p opened both devices and loaded A's buffer" \
		sh -c "grep -Eq '^ok [0-9]+ - A \\(.*\\) and B \\(.*\\) opened' '$o' && grep -Eq '^ok [0-9]+ - B.s BAR0 at' '$o'" ||
		show "$o" 40
}

# 1. No vIOMMU: B's BAR GPA.
kcmd='loglevel=4 vfio.enable_unsafe_noiommu_mode=1'
p2p_run direct "--noiommu --disable --move $move" "$kcmd" --device "vfio,path=$a" --device "vfio,path=$b"
o=$T/direct.out
p2p_common direct
check "direct: nestvm put B's BAR0 into the IOAS (P2P debug line)" \
	grep -Eq 'debug: vfio1 .*: P2P: BAR0\+0x0 \(0x100000 bytes\) in the IOAS at 0x' "$o" || show "$o" 40
check "direct: A's DMA wrote 5 into B's factorial register, B computed 120" \
	ok_line "$o" 'P2P: A.s DMA of 5 to 0x[0-9a-f]*, B.s factorial register reads 120 \(want 120, it arrived\)' || show "$o" 40
check "direct: decode off blocks the DMA, decode on brings it back (24)" \
	sh -c "grep -Eq '^ok [0-9]+ - disable: with B.s memory decode off, A.s DMA of 4 did not arrive' '$o' &&
		grep -Eq '^ok [0-9]+ - disable: decode on again: .* reads 24 \\(want 24, it arrived\\)' '$o'" || show "$o" 40
check "direct: B's BAR moved to $move: the old address is blocked, the new one reaches B" \
	sh -c "grep -Eq '^ok [0-9]+ - move: B at $move, A.s DMA of 5 to the old address .* did not arrive' '$o' &&
		grep -Eq '^ok [0-9]+ - move: B at $move, A.s DMA of 4 there arrived' '$o' &&
		grep -Eq 'debug: vfio1 .*: P2P: BAR0\\+0x0 \\(0x100000 bytes\\) in the IOAS at $move' '$o'" || show "$o" 40
check "direct: edu_p2p passes completely" grep -q '^p2p_rc=0$' "$o" || show "$o" 40

# 2. p2p=off on B: nothing of B in the IOAS, every DMA to it blocked.
p2p_run off "--noiommu --expect blocked --disable --move $move" "$kcmd" \
	--device "vfio,path=$a" --device "vfio,path=$b,p2p=off"
o=$T/off.out
p2p_common off
check "p2p=off: B's BARs never entered the IOAS" sh -c "! grep -q 'debug: vfio1 .*: P2P: BAR.* in the IOAS' '$o'" ||
	show "$o" 40
check "p2p=off: A's DMA of 5 to B's BAR was blocked (B reads 6), and so were the others" \
	sh -c "grep -Eq '^ok [0-9]+ - P2P: A.s DMA of 5 to 0x[0-9a-f]*, B.s factorial register reads 6 \\(want 6: it was blocked\\)' '$o' &&
		grep -q '^p2p_rc=0$' '$o'" || show "$o" 40

# 3. The host refusing the mappings as it does a revoked dma-buf (NESTVM_FAIL_AT=p2p-map:19, ENODEV:
#    what IOMMU_IOAS_MAP_FILE says when vfio-pci revoked the BAR under us): nestvm warns (1st, 2nd,
#    4th... time), keeps running, and the DMA is blocked.
NESTVM_FAIL_AT=p2p-map:19 p2p_run refused "--noiommu --expect blocked --disable" "$kcmd" \
	--device "vfio,path=$a" --device "vfio,path=$b"
o=$T/refused.out
p2p_common refused
check "refused mapping: nestvm warned (1st and 2nd time), the DMA was blocked, edu_p2p passes" \
	sh -c "grep -q 'warning: vfio1 .*: P2P: IOMMU_IOAS_MAP_FILE of BAR0+0x0 at 0x[0-9a-f]*: No such device; .*(1 time)' '$o' &&
		grep -q 'warning: vfio1 .*: P2P: .*(2 times)' '$o' &&
		grep -Eq '^ok [0-9]+ - P2P: A.s DMA of 5 to 0x[0-9a-f]*, B.s factorial register reads 6 \\(want 6: it was blocked\\)' '$o' &&
		grep -q '^p2p_rc=0$' '$o'" || show "$o" 40

# 4. B removed from the VM while A stays (PCIe hot-unplug through the API, the way an operator
#    takes a NIC away from a running GPU VM): nestvm takes B's BAR out of the IOAS and closes its
#    dma-bufs with the device; A's DMA to B's old address then reaches nothing (L1's IOMMU logs the
#    fault) and nestvm runs on. A is cold-plugged, B goes into a hot-plug slot (0000:01:00.0). The
#    guest then idles: the checks look at a running nestvm, which vm.shutdown ends (status 0).
S=$T/api.sock
CTL() { "$NESTVM" ctl "$@"; }
alive() { [ -e "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
wait_for() { i=0; while ! eval "$1"; do [ $i -ge $(($2 * 5)) ] && return 1; alive "$pid" || return 1
	usleep 200000; i=$((i + 1)); done; }
rout() { tr -d '\r' < "$T/rm.out" 2>/dev/null; }
nfds() { ls "/proc/$pid/fd" 2>/dev/null | wc -l; }
# The guest prints B's BAR0 after edu_p2p: B is removed only once that line is there.
rm_p2p_ok() { wait_for "rout | grep -q '^rm: B old BAR0 0x'" 300 && rout | grep -q '^rm: p2p status=0$' &&
	rout | grep -Eq '^ok [0-9]+ - P2P: A.s DMA of 5 to 0x[0-9a-f]*, B.s factorial register reads 120'; }
rm_gone_ok() { wait_for "rout | grep -q '^rm: B gone$'" 120 &&
	rout | grep -Eq "debug: vfio[0-9]+ .*: P2P: BAR0\\+0x0 out of the IOAS \\(was at 0x$old\\)"; }
rm_after_ok() { wait_for "rout | grep -q '^rm: after status='" 120 && rout | grep -q '^rm: after status=0$'; }
rm_fds_ok() { CTL "$S" ping > /dev/null && [ "$n0" = "$n1" ]; }
rg='w() { i=0; while [ $i -lt ${2:-900} ]; do eval "$1" && return 0; usleep 200000; i=$((i + 1)); done; return 1; }
B=0000:01:00.0; here() { [ -e /sys/bus/pci/devices/$B ]; }
echo "rm: waiting"; w here || { echo "rm: B never came"; exit 1; }
edu_p2p --bind --noiommu --b $B; echo "rm: p2p status=$?"
old=$(head -n 1 /sys/bus/pci/devices/$B/resource | cut -d" " -f1); echo "rm: B old BAR0 $old"
w "! here" 450 || { echo "rm: B never left"; exit 1; }; echo "rm: B gone"
edu_p2p --noiommu --dma-only $((old + 8)); echo "rm: after status=$?"
while :; do sleep 1; done'
dmesg -c > /dev/null 2>&1
rm -f "$S"
timeout 600 "$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --memory 256M -v \
	--cmdline "$kcmd panic=-1 nestvm.gcmd=$(printf '%s' "$rg" | base64 -w0)" --api-socket path="$S" \
	--hotplug-slots 1 --device "vfio,path=$a" < /dev/null > "$T/rm.out" 2>&1 &
pid=$!
if check "removal: L2 boots with A and an empty slot" wait_for "rout | grep -q '^rm: waiting$'" 300; then
	n0=$(nfds)
	CTL "$S" add-device "path=$b,id=eduB" > "$T/c" 2>&1
	check "removal: B hot-added, P2P from A into B works (120)" rm_p2p_ok || { show "$T/c"; show "$T/rm.out" 40; }
	old=$(rout | sed -n 's/^rm: B old BAR0 0x0*\([0-9a-f]*\)$/\1/p')
	CTL "$S" remove-device eduB > "$T/c" 2>&1
	check "removal: B removed; nestvm took its BAR0 (0x$old) out of the IOAS" rm_gone_ok || { show "$T/c"; show "$T/rm.out" 40; }
	check "removal: A's DMA to B's old address finished twice, A still answers" rm_after_ok || show "$T/rm.out" 40
	# The host IOMMU dropped it: x86_64's DMAR reports the page, arm64's SMMU the address.
	dmesg > "$T/rm.l1dmesg" 2>&1
	check "removal: ... and reached nothing: L1's IOMMU faulted at 0x$old + 8" \
		sh -c "[ -n '$old' ] && grep -Eiq '(fault addr 0x0*$old|iova[:=]? ?0x0*${old%?}8)' '$T/rm.l1dmesg'" ||
		show "$T/rm.l1dmesg" 10
	grep -Ei "fault addr|iova" "$T/rm.l1dmesg" | head -n 2 | sed 's/^/# L1: /'
	n1=$(nfds)
	check "removal: nestvm runs on (ping); every fd of B is closed ($n0 before the add, $n1 now)" rm_fds_ok ||
		ls -l "/proc/$pid/fd"
else
	show "$T/rm.out" 40
fi
CTL "$S" shutdown > /dev/null 2>&1
i=0; while alive "$pid" && [ $i -lt 300 ]; do usleep 100000; i=$((i + 1)); done
alive "$pid" && kill -KILL "$pid"
wait "$pid"; rc=$?
check "removal: nestvm exits 0 (status $rc), no fd leak" sh -c "[ $rc = 0 ] && ! grep -q 'fd leak' '$T/rm.out'" ||
	show "$T/rm.out" 20

# 5. Behind the guest's vIOMMU, through L2's own dma-buf of B's BAR: arm64's nested vSMMUv3 (L2's
#    stage 1 over nestvm's stage 2, which holds B's BAR), x86's vVT-d on the shadow backend (nestvm
#    copies L2's second-stage tables into A's own IOAS, mapping the IOVA that points at B's BAR GPA
#    to B's dma-buf: ioas_peers.h).
GUEST_INITRD=${NESTED_INITRD:-$GUEST_INITRD}
if [ "$NESTVM_ARCH" = arm64 ]; then
	viommu=smmuv3 vkcmd="iommu.strict=1"
else
	viommu=vtd vkcmd="intel_iommu=on,sm_on iommu.strict=1"
fi
p2p_run nested "--iommufd --unmap" "$vkcmd" --viommu $viommu --device "vfio,path=$a" --device "vfio,path=$b"
o=$T/nested.out
p2p_common nested
check "$viommu: P2P through L2's dma-buf IOVA: A wrote 5 into B, B computed 120" \
	sh -c "grep -Eq '^ok [0-9]+ - B.s BAR0 exported as a dma-buf and mapped into A.s IOAS at IOVA' '$o' &&
		grep -Eq '^ok [0-9]+ - P2P: A.s DMA of 5 to 0x[0-9a-f]*, B.s factorial register reads 120' '$o'" || show "$o" 40
check "$viommu: unmapped IOVA blocked" \
	sh -c "grep -Eq '^ok [0-9]+ - unmap: A.s DMA of 5 to .* reads 6 \\(want 6: it was blocked\\)' '$o' &&
		grep -q '^p2p_rc=0$' '$o'" || show "$o" 40
[ $viommu = vtd ] && check "vtd: the shadow backend mapped L2's IOVA to B's dma-buf (a peer BAR window)" \
	sh -c "grep -q 'vtd: shadow backend' '$o' && grep -Eq 'debug: shadow vIOMMU: device [0-9]+: IOVA 0x[0-9a-f]+\\+0x[0-9a-f]+ -> peer BAR window at 0x' '$o'" ||
	show "$o" 40
p2p_run nested-off "--iommufd --expect blocked" "$vkcmd" --viommu $viommu --device "vfio,path=$a" \
	--device "vfio,path=$b,p2p=off"
o=$T/nested-off.out
p2p_common nested-off
check "$viommu with p2p=off: nestvm has no mapping of B's BAR, the DMA is blocked" \
	sh -c "grep -Eq '^ok [0-9]+ - P2P: A.s DMA of 5 to 0x[0-9a-f]*, B.s factorial register reads 6 \\(want 6: it was blocked\\)' '$o' &&
		grep -q '^p2p_rc=0$' '$o'" || show "$o" 40
done_testing
