# Assigned devices behind nestvm's vVT-d (x86_64, --viommu vtd) on the SHADOW backend: L1's VT-d
# (QEMU intel-iommu) has no ECAP.NEST, so nestvm gives each assigned edu an IOAS of its own and
# keeps it equal to L2's VT-d tables (walked on L2's invalidations: CAP.CM=1, second-stage tables,
# IOMMU_IOAS_MAP_FILE of guest RAM). Inside L2, edu is bound to vfio-pci and tests/guest/edu_test
# uses L2's own iommufd (IOAS_MAP of its buffers): DMA both ways, --remap (the DMA must follow a
# changed mapping; a DMA to the unmapped IOVA must reach no memory, blocked by L1's IOMMU, while
# nestvm keeps running), and every edu MSI arrives through L2's interrupt remapping. Three boots:
# scalable mode with a DMA default domain (strict) and both of L1's edus (one guest domain each),
# legacy mode, and an identity default domain (iommu.passthrough=1: the device starts on the
# guest-RAM IOAS, then L2's VFIO moves it to a translated domain).
. tests/testhost/lib.sh
GUEST_INITRD=${NESTED_INITRD:-$GUEST_INITRD}
# Each boot runs edu_test fully under TCG; on a loaded host one took more than the default 300 s.
GUEST_TIMEOUT=${GUEST_TIMEOUT:-900}

if [ "$NESTVM_ARCH" != x86_64 ]; then
	skip "VT-d is the x86_64 vIOMMU" "vVT-d with assigned devices"
	done_testing
	exit $?
fi

cdevs=''
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && cdevs="$cdevs /dev/vfio/devices/${v##*/}"; done
done
set -- $cdevs
edu_cdev=${1:-} edu_cdev2=${2:-}
check "an edu device is bound to vfio-pci in L1 (${edu_cdev:-none})" [ -c "$edu_cdev" ] || { done_testing; exit; }

ok_line() { grep -Eq "^ok [0-9]+ - $2" "$1"; }
# Every edu of L2, each through its own iommufd IOAS (a guest domain of its own).
gcmd='for d in /sys/bus/pci/devices/*; do [ "$(cat $d/device)" = 0x11e8 ] || continue;
edu_test --iommufd --bind --device ${d##*/} --remap --timeout-ms 30000; echo "edu_rc=$?"; done;
dmesg | grep -Ei "dmar|iommu|remap" | sed "s/^/dmesg: /"'

# run NAME KCMDLINE [nestvm options...]: one L2 boot with the common checks.
run() {
	name=$1 kcmd=$2; shift 2
	o="$T/$name.out" shown=0
	evidence() { [ $shown = 1 ] || show "$o" 60; shown=1; }
	dmesg -c > /dev/null 2>&1
	guest "$o" "$gcmd" "$kcmd" -v --memory 256M --viommu vtd "$@"; rc=$?
	dmesg > "$T/$name.l1dmesg" 2>&1
	# -v adds debug lines ("nestvm: debug: ..."), which name ioctls too: only the others count.
	grep -v '^nestvm: debug:' "$o" | grep '^nestvm: .*\(IOMMU_\|VFIO_\|error\)' > "$T/$name.errors"
	check "$name: nestvm exits 0 (status $rc), no errors from nestvm" \
		sh -c "[ $rc = 0 ] && [ ! -s '$T/$name.errors' ]" || { show "$T/$name.errors" 10; evidence; }
	check "$name: the shadow backend serves the assigned device" \
		grep -Eq 'shadow vIOMMU: [1-9][0-9]* syncs' "$o" || evidence
	check "$name: L2's intel-iommu found the DRHD and enabled interrupt remapping" \
		sh -c "grep -q 'dmesg: .*DMAR: DRHD base: 0x000000fed90000' '$o' &&
			grep -Eq 'dmesg: .*Enabled IRQ remapping in (x2apic|xapic) mode' '$o'" || evidence
	check "$name: edu opened through L2's iommufd (the vVT-d translates it)" \
		ok_line "$o" '.* opened through the iommufd backend' || evidence
	check "$name: DMA both ways through L2's tables (shadowed into the device's IOAS)" \
		ok_line "$o" 'DMA round trip: 4096 bytes, 0 differ' || evidence
	check "$name: remapped IOVA: the DMA followed the new mapping" \
		ok_line "$o" 'remap: the DMA followed the new mapping \(0 bytes differ in the new buffer, 0 changed in the old\)' ||
		evidence
	check "$name: a DMA to the unmapped IOVA reached no memory" \
		ok_line "$o" 'remap: a DMA to the unmapped IOVA reached no buffer' || evidence
	iova=$(sed -n 's/^# edu_test: DMA to unmapped IOVA \(0x[0-9a-f]*\).*/\1/p' "$o" | head -n1)
	check "$name: L1's IOMMU blocked that DMA at IOVA ${iova:-?} (L1 dmesg: DMAR fault)" \
		grep -Eiq "DMAR: \\[DMA Write.*fault addr ${iova:-none}" "$T/$name.l1dmesg" ||
		{ show "$T/$name.l1dmesg" 10; evidence; }
	# With remapping on, Linux clears GCMD.CFI: a compatibility-format MSI would be blocked (fault
	# 0x25), so every edu MSI that arrives came through one of L2's IRTEs.
	check "$name: all edu MSIs arrive through L2's IRTEs (remapping on, CFI clear) and edu_test passes completely" \
		sh -c "grep -Eq 'dmesg: .*Enabled IRQ remapping in (x2apic|xapic) mode' '$o' &&
			grep -q '^# edu_test: interrupts=6\$' '$o' && ! grep -q '^edu_rc=[1-9]' '$o' && grep -q '^edu_rc=0' '$o'" ||
		evidence
	check "$name: no DMAR faults or errors in L2's log" \
		sh -c "! grep -Eiq 'dmesg: .*DMAR.*(fault|error|fail|timeout|\\[DMA )' '$o'" || evidence
}
two=''
[ -c "$edu_cdev2" ] && two="--device vfio,path=$edu_cdev2"
# shellcheck disable=SC2086
run scalable "intel_iommu=on,sm_on iommu.strict=1" --device "vfio,path=$edu_cdev" $two
check "scalable: L2 set a scalable-mode root table" grep -q 'vtd: the guest set a scalable-mode root table' "$T/scalable.out"
run legacy "intel_iommu=on,sm_off iommu.strict=1" --device "vfio,path=$edu_cdev"
check "legacy: L2 set a legacy-mode root table" grep -q 'vtd: the guest set a legacy-mode root table' "$T/legacy.out"
run identity "intel_iommu=on,sm_on iommu.passthrough=1" --device "vfio,path=$edu_cdev"
check "identity: edu started in an identity (pass-through) domain" \
	grep -Eq 'dmesg: .*(Default domain type: Passthrough|iommu: Default domain type: Passthrough)' "$T/identity.out" ||
	show "$T/identity.out" 40
if [ -n "$two" ]; then
	check "scalable: both edus (one guest domain each) passed DMA, remap and the blocked DMA" \
		sh -c "[ \$(grep -c '^edu_rc=0\$' '$T/scalable.out') = 2 ] &&
			[ \$(grep -Ec '^ok [0-9]+ - remap: a DMA to the unmapped IOVA reached no buffer' '$T/scalable.out') = 2 ]" ||
		show "$T/scalable.out" 60
else
	skip "one edu in L1 (tools/testhost/run --edu 2)" "two assigned devices behind one vVT-d"
fi
done_testing
