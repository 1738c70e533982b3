# Nested vSMMUv3 (issue #5): edu passed through behind the guest's SMMUv3, stage 1 by L2's own
# arm-smmu-v3 driver, stage 2 by nestvm, both walked by the host SMMU (QEMU's, stage=nested, in L1)
# through iommufd's NEST_PARENT HWPT / vIOMMU / vDEVICE / nested HWPT. Inside L2, edu is bound to
# vfio-pci and tests/guest/edu_test uses L2's own iommufd (IOAS_MAP of its buffers): DMA both ways,
# then --remap: the IOVA is unmapped and mapped to another buffer and the DMA must follow
# (invalidations reached the host SMMU), and a DMA to the unmapped IOVA must come back to L2 as an
# F_TRANSLATION event (0x10) with edu's StreamID and the address, through the vEVENTQ (also on
# nestvm's event stream, --event-monitor); and every edu
# MSI arrives (the device's doorbell write crosses both stages). Twice.
. tests/testhost/lib.sh
GUEST_INITRD=${NESTED_INITRD:-$GUEST_INITRD}

if [ "$NESTVM_ARCH" != arm64 ]; then
	skip "the nested SMMUv3 is arm64's" "viommu nested"
	done_testing
	exit $?
fi

edu_cdev=''
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && edu_cdev=/dev/vfio/devices/${v##*/}; done
	break
done
check "an edu device is bound to vfio-pci in L1 (${edu_cdev:-none})" [ -c "$edu_cdev" ] || { done_testing; exit; }

ok_line() { grep -Eq "^ok [0-9]+ - $2" "$1"; }
gcmd='edu_test --iommufd --bind --remap --timeout-ms 5000; echo "edu_rc=$?";
dmesg | grep -E "arm-smmu-v3|iommu|ITS \\[mem" | sed "s/^/dmesg: /"'
for run in 1 2; do
	o="$T/nested-$run.out" shown=0
	evidence() { [ $shown = 1 ] || show "$o" 60; shown=1; }
	guest "$o" "$gcmd" "iommu.strict=1" --memory 256M --viommu smmuv3 --device "vfio,path=$edu_cdev" \
		--event-monitor path="$o.ev"; rc=$?
	w="nested run $run"
	check "$w: nestvm exits 0 (status $rc), no errors from nestvm" \
		sh -c "[ $rc = 0 ] && ! grep -q '^nestvm: .*\\(IOMMU_\\|VFIO_\\|error\\)' '$o'" || evidence
	check "$w: L2's arm-smmu-v3 probed the vSMMU (oas line) without warnings" \
		sh -c "grep -Eq 'dmesg: .*arm-smmu-v3 9050000.iommu: oas' '$o' &&
			! grep -Eiq 'dmesg: .*arm-smmu-v3.*(warn|fail|timeout|not respond|error)' '$o'" || evidence
	check "$w: edu opened through L2's iommufd (the vSMMU translates it)" \
		ok_line "$o" '.* opened through the iommufd backend' || evidence
	check "$w: DMA both ways through stage 1 (L2) + stage 2 (nestvm)" \
		ok_line "$o" 'DMA round trip: 4096 bytes, 0 differ' || evidence
	check "$w: remapped IOVA: the DMA followed the new mapping" \
		ok_line "$o" 'remap: the DMA followed the new mapping \(0 bytes differ in the new buffer, 0 changed in the old\)' ||
		evidence
	check "$w: a DMA to the unmapped IOVA reached no memory" \
		ok_line "$o" 'remap: a DMA to the unmapped IOVA reached no buffer' || evidence
	iova=$(sed -n 's/^# edu_test: DMA to unmapped IOVA \(0x[0-9a-f]*\).*/\1/p' "$o")
	check "$w: L2 got F_TRANSLATION (event 0x10) for edu's StreamID 0x8 at IOVA ${iova:-?} via the vEVENTQ" \
		grep -Eq "dmesg: .*event: F_TRANSLATION client: 0000:00:01.0 sid: 0x8 .*iova: ${iova:-none} " "$o" || evidence
	# The same fault on nestvm's event stream (docs/api.md): a host vEVENTQ record, in the guest's terms.
	check "$w: the event stream has the fault (viommu fault, origin host, F_TRANSLATION, sid 8, ${iova:-?})" \
		grep -q "\"source\":\"viommu\",\"event\":\"fault\",\"properties\":{\"front_end\":\"smmuv3\",\"origin\":\"host\",\"type\":\"F_TRANSLATION\",\"sid\":8,\"address\":\"${iova:-none}\",\"write\":[a-z]*,\"delivered\":true" "$o.ev" ||
		{ evidence; show "$o.ev"; }
	# MSIs: L1's vfio-pci programs edu with L1's SW_MSI IOVA, where iommufd maps the host ITS page in
	# our stage 2 (the "msi" reserved region, 0x8000000 on arm-smmu-v3), and that write first goes
	# through L2's stage 1, which maps the IOVA to L2's ITS doorbell (GITS base + 64K). nestvm's
	# nested-MSI GIC placement (src/arch/arm64/layout.h) puts L2's doorbell at exactly that IPA.
	its=$(sed -n 's/^dmesg: .*ITS \[mem \(0x[0-9a-f]*\)-.*/\1/p' "$o" | head -n1)
	swmsi=$(sed -n 's/^\(0x[0-9a-f]*\) 0x[0-9a-f]* msi$/\1/p' /sys/kernel/iommu_groups/*/reserved_regions | head -n1)
	check "$w: L2's ITS doorbell (${its:-?} + 0x10000) is the host SW_MSI base (${swmsi:-?}), nestvm did not warn" \
		sh -c "[ -n '$its' ] && [ -n '$swmsi' ] && [ \$(($its + 0x10000)) = \$(($swmsi)) ] &&
			! grep -q 'MSIs of assigned devices will not arrive' '$o'" || evidence
	check "$w: edu MSIs through the nested SMMU (6 in total) and edu_test passes completely" \
		sh -c "grep -q '^# edu_test: interrupts=6\$' '$o' && grep -q '^edu_rc=0\$' '$o'" || evidence
done

# The host refusing the guest's stage-1 STE (injected: NESTVM_FAIL_AT=vste-s1, as if
# IOMMU_HWPT_ALLOC failed) must not leave the device translating with an older config: it aborts,
# so edu's DMA reaches no memory and its MSIs none either, and L2 hears of it as C_BAD_STE for edu.
o="$T/refused.out" shown=0
gcmd='edu_test --iommufd --bind --timeout-ms 1000; echo "edu_rc=$?"; dmesg | grep -E "arm-smmu-v3" | sed "s/^/dmesg: /"'
NESTVM_FAIL_AT=vste-s1 guest "$o" "$gcmd" "iommu.strict=1" --memory 256M --viommu smmuv3 --device "vfio,path=$edu_cdev"; rc=$?
w="host refuses the guest STE"
check "$w: nestvm reports it and keeps running (status $rc)" \
	sh -c "[ $rc = 0 ] && grep -q '^nestvm: IOMMU_HWPT_ALLOC nested (guest STE) for StreamID 0x8 (injected)' '$o'" || evidence
check "$w: edu's DMA reached no memory (the device aborts)" \
	grep -Eq '^not ok [0-9]+ - DMA round trip: 4096 bytes, [0-9]+ differ' "$o" || evidence
check "$w: L2 got C_BAD_STE for edu's StreamID 0x8" \
	grep -Eq "dmesg: .*C_BAD_STE.* sid: 0x8 " "$o" || evidence
done_testing
