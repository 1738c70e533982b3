# The PCIe topology assigned devices are cold-plugged into (issue 14, docs/topology.md). L1 has two
# edu devices bound to vfio-pci (tools/testhost/run --edu 2), both assigned to one L2:
#  1. switch=sw0 on both: L2 finds each edu below its own downstream port (PCIe type 6, ACS
#     capability) of one switch (upstream port, type 5) below a root port (type 4), links 16 GT/s x16
#     (lspci-style reads of /sys/bus/pci: the parent chain, each port's PCI Express capability), ACS on
#     the root and downstream ports; and
#     P2P through it works: edu A's DMA engine writes 5 into B's factorial register, B computes 120
#     (tests/guest/edu_p2p, no vIOMMU: A aims at B's BAR GPA);
#  2. A on a root port of its own (root-port=on), B behind the switch: A sits directly below a root
#     port and works (its DMA engine drives the same P2P DMA into B);
#  3. --pcie-topology host: L1's edus sit on L1's root bus, so each gets a root port;
#  4. the switch behind the guest's vIOMMU (arm64: the nested vSMMUv3; x86_64: the vVT-d, shadow
#     backend): each edu in an IOMMU group of its own, still translated under the requester ID
#     nestvm attached it with, and P2P through L2's dma-buf IOVA works.
# Without a topology option the layout stays flat (every other test runs that way).
. tests/testhost/lib.sh

set --
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && set -- "$@" "/dev/vfio/devices/${v##*/}"; done
done
if [ $# -lt 2 ]; then
	skip "L1 has $# edu device(s) bound to vfio-pci, this needs two (tools/testhost/run --edu 2)" \
		"PCIe topology with two edu devices"
	done_testing
	exit $?
fi
a=$1 b=$2

# In L2 (busybox): for each edu, "topo: BDF" and one "topo-port:" line per bridge above it, nearest
# first: its PCI Express Device/Port Type (PCIe 6.0 7.5.3.2, found by walking the capability list in
# config space), whether it has an ACS extended capability (ID 0x000d at 0x100), its link as sysfs
# shows it. Then edu_p2p.
# shellcheck disable=SC2016
probe='b() { od -An -tu1 -j"$2" -N1 "$1/config" | tr -d " "; }
ptype() { local p n=0; p=$(b "$1" 52); while [ "${p:-0}" != 0 ] && [ $n -lt 48 ]; do
	[ "$(b "$1" "$p")" = 16 ] && { echo $(( $(b "$1" $((p + 2))) >> 4 )); return; }; p=$(b "$1" $((p + 1))); n=$((n + 1)); done; echo none; }
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ] || continue
	p=$(readlink -f $d); g=$(readlink $d/iommu_group); echo "topo: ${d##*/} path=${p#/sys/devices/} group=${g##*/}"; q=${p%/*}
	while [ -e "$q/config" ]; do
		acs=no; [ "$(b $q 256)" = 13 ] && [ "$(b $q 257)" = 0 ] && acs=yes
		echo "topo-port: ${q##*/} above=${d##*/} type=$(ptype $q) acs=$acs speed=$(cat $q/current_link_speed | tr " " _) width=$(cat $q/current_link_width)"
		q=${q%/*}
	done
done
'
kcmd='loglevel=4 vfio.enable_unsafe_noiommu_mode=1'
run() {
	local name=$1 gargs=$2 kc=$3 rc; shift 3
	guest "$T/$name.out" "$probe edu_p2p --bind $gargs; echo \"p2p_rc=\$?\"" "$kc" --memory 256M -v "$@"; rc=$?
	echo "$rc" > "$T/$name.rc"
}
# ports OUT EDU: the types of the bridges above EDU (nearest first), e.g. "6 5 4".
ports() { sed -n "s/^topo-port: .* above=$2 type=\([^ ]*\) .*/\1/p" "$1" | tr '\n' ' ' | sed 's/ $//'; }
# group OUT EDU: EDU's IOMMU group in L2 (empty without one).
group() { sed -n "s/^topo: $2 .* group=\([^ ]*\).*/\1/p" "$1"; }
bdf_above() { sed -n "s/^topo-port: \([^ ]*\) above=$2 .*/\1/p" "$1" | sed -n "${3}p"; }
edus() { sed -n 's/^topo: \([^ ]*\) .*/\1/p' "$1"; }
common() {
	local o=$T/$1.out rc; rc=$(cat "$T/$1.rc")
	check "$1: nestvm exits 0 (status $rc), no fd leak, no error" \
		sh -c "[ '$rc' = 0 ] && ! grep -q 'fd leak' '$o' && ! grep -q '^nestvm: .*error' '$o'" || show "$o" 60
	check "$1: L2 sees both edu devices" sh -c "[ \$(grep -c '^topo: ' '$o') = 2 ]" || show "$o" 60
	check "$1: A's DMA wrote 5 into B's factorial register through the topology, B computed 120" \
		sh -c "grep -Eq '^ok [0-9]+ - P2P: A.s DMA of 5 to 0x[0-9a-f]*, B.s factorial register reads 120' '$o' &&
			grep -q '^p2p_rc=0$' '$o'" || show "$o" 40
}

# 1. Both behind switch sw0; vm.info asked while L2 runs.
( i=0; while [ $i -lt 600 ]; do "$NESTVM" ctl --json "$T/api.sock" info > "$T/info" 2>/dev/null &&
	grep -q device_tree "$T/info" && break; usleep 200000; i=$((i + 1)); done ) &
qpid=$!
run switch "--noiommu" "$kcmd" --api-socket "path=$T/api.sock" --device "vfio,path=$a,switch=sw0" \
	--device "vfio,path=$b,switch=sw0"
wait $qpid
o=$T/switch.out
common switch
check "switch: vm.info's device_tree: each edu's parent is a downstream port, theirs the upstream port, its the root port" \
	sh -c "grep -q '\"parent\":\"switch sw0 downstream 0\",\"pci_bdf\":\"0000:03:00.0\"' '$T/info' &&
		grep -q '\"parent\":\"switch sw0 downstream 1\",\"pci_bdf\":\"0000:04:00.0\"' '$T/info' &&
		grep -q '\"switch sw0 downstream 1\":{[^}]*\"parent\":\"switch sw0 upstream\",\"pci_bdf\":\"0000:02:01.0\"' '$T/info' &&
		grep -q '\"switch sw0 upstream\":{[^}]*\"parent\":\"switch sw0 root port\",\"pci_bdf\":\"0000:01:00.0\"' '$T/info'" ||
	show "$T/info" 5
grep '^topo' "$o" | sed 's/^/# /'
set -- $(edus "$o")
ea=$1 eb=$2
check "switch: each edu is below a downstream port (6), an upstream port (5), a root port (4)" \
	sh -c "[ '$(ports "$o" "$ea")' = '6 5 4' ] && [ '$(ports "$o" "$eb")' = '6 5 4' ]" || show "$o" 40
check "switch: one switch: the same upstream port above both, a downstream port each" \
	sh -c "[ -n '$(bdf_above "$o" "$ea" 2)' ] && [ '$(bdf_above "$o" "$ea" 2)' = '$(bdf_above "$o" "$eb" 2)' ] &&
		[ '$(bdf_above "$o" "$ea" 1)' != '$(bdf_above "$o" "$eb" 1)' ]" || show "$o" 40
check "switch: ACS capability on the downstream and root ports, not the upstream port" \
	sh -c "grep -E '^topo-port: .* type=(4|6) ' '$o' | grep -q 'acs=yes' && ! grep -E '^topo-port: .* type=(4|6) ' '$o' | grep -q 'acs=no' &&
		! grep -E '^topo-port: .* type=5 ' '$o' | grep -q 'acs=yes'" || show "$o" 40
check "switch: links at 16 GT/s x16" \
	sh -c "! grep '^topo-port: ' '$o' | grep -v 'speed=16.0_GT/s_PCIe width=16' | grep -q ." || show "$o" 40
check "switch: nestvm built it (info line)" \
	grep -Eq 'PCIe switch sw0: root port 00:[0-9a-f]{2}\.0, upstream port [0-9a-f]{2}:00\.0, 2 downstream port' "$o" ||
	show "$o" 40

# 2. A on a root port of its own, B behind the switch.
run mixed "--noiommu" "$kcmd" --device "vfio,path=$a,root-port=on" --device "vfio,path=$b,switch=sw0"
o=$T/mixed.out
common mixed
grep '^topo' "$o" | sed 's/^/# /'
set -- $(edus "$o")
check "mixed: one edu directly below a root port (4), the other below the switch (6 5 4)" \
	sh -c "{ [ '$(ports "$o" "$1")' = 4 ] && [ '$(ports "$o" "$2")' = '6 5 4' ]; } ||
		{ [ '$(ports "$o" "$2")' = 4 ] && [ '$(ports "$o" "$1")' = '6 5 4' ]; }" || show "$o" 40
check "mixed: the root port's edu drove the DMA (A opened and loaded)" \
	sh -c "grep -Eq '^ok [0-9]+ - A \\(.*\\) and B \\(.*\\) opened' '$o'" || show "$o" 40

# 3. --pcie-topology host: L1's edus are on L1's root bus, so each gets a root port.
run host "--noiommu" "$kcmd" --pcie-topology host --device "vfio,path=$a" --device "vfio,path=$b"
o=$T/host.out
common host
set -- $(edus "$o")
check "host: nestvm read L1's topology (both on a root port there)" \
	sh -c "[ \$(grep -c 'debug: --pcie-topology host: vfio[01] (0000:[0-9a-f:.]*): on a root port' '$o') = 2 ]" ||
	show "$o" 40
check "host: each edu directly below a root port of its own" \
	sh -c "[ '$(ports "$o" "$1")' = 4 ] && [ '$(ports "$o" "$2")' = 4 ] &&
		[ '$(bdf_above "$o" "$1" 1)' != '$(bdf_above "$o" "$2" 1)' ]" || show "$o" 40

# 4. The switch behind the guest's vIOMMU: arm64's nested vSMMUv3, x86_64's vVT-d (shadow backend).
GUEST_INITRD=${NESTED_INITRD:-$GUEST_INITRD}
if [ "$NESTVM_ARCH" = arm64 ]; then
	viommu=smmuv3 vkcmd="iommu.strict=1"
else
	viommu=vtd vkcmd="intel_iommu=on,sm_on iommu.strict=1"
fi
run nested "--iommufd" "$vkcmd" --viommu $viommu --device "vfio,path=$a,switch=sw0" \
	--device "vfio,path=$b,switch=sw0"
o=$T/nested.out
common nested
set -- $(edus "$o")
check "$viommu: both edus below the switch, each in an IOMMU group of its own (ACS preset on the ports)" \
	sh -c "[ '$(ports "$o" "$1")' = '6 5 4' ] && [ '$(ports "$o" "$2")' = '6 5 4' ] && [ -n '$(group "$o" "$1")' ] &&
		[ -n '$(group "$o" "$2")' ] && [ '$(group "$o" "$1")' != '$(group "$o" "$2")' ]" || show "$o" 40
check "$viommu: P2P through L2's dma-buf IOVA across the switch (B computed 120)" \
	sh -c "grep -Eq '^ok [0-9]+ - B.s BAR0 exported as a dma-buf and mapped into A.s IOAS at IOVA' '$o' &&
		grep -Eq '^ok [0-9]+ - P2P: A.s DMA of 5 to 0x[0-9a-f]*, B.s factorial register reads 120' '$o'" || show "$o" 40
done_testing
