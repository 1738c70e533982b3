# Two assigned devices behind one nested vSMMUv3 (arm64; tools/test boots L1 with two edu devices):
# one nest parent, one vIOMMU and vEVENTQ, a vDEVICE and a nested HWPT each. Inside L2 each edu is
# bound to vfio-pci and driven through L2's own iommufd in turn: DMA both ways, remap, fault, MSIs.
# Each device's F_TRANSLATION must carry its own StreamID (RID), i.e. the vSID -> pSID mapping is
# per device, and neither device's run may disturb the other's translations.
. tests/testhost/lib.sh

if [ "$NESTVM_ARCH" != arm64 ]; then
	skip "the nested SMMUv3 is arm64's" "viommu nested, two devices"
	done_testing
	exit $?
fi
set -- /dev/vfio/devices/vfio*
if [ $# -lt 2 ]; then
	skip "L1 has $# VFIO device(s), this needs two (tools/testhost/run --edu 2)" "viommu nested, two devices"
	done_testing
	exit $?
fi
a=$1 b=$2
# L2's arm-smmu-v3 rate-limits its event messages (10 per 5 s) and QEMU reports a faulting DMA as
# hundreds of events: the second device starts after that window so its events are printed too.
gcmd='for d in /sys/bus/pci/devices/*; do [ "$(cat $d/vendor)" = 0x1234 ] || continue;
echo "group ${d##*/} $(basename $(readlink $d/iommu_group))"; [ -n "$first" ] && sleep 6; first=no;
edu_test --iommufd --bind --remap --device ${d##*/} --timeout-ms 5000 > /tmp/edu.out; r=$?;
sed "s|^|${d##*/}: |" /tmp/edu.out; echo "edu_rc ${d##*/} $r"; done;
dmesg | grep -E "event: F_TRANSLATION" | sed "s/^/dmesg: /"'
o=$T/multi.out
guest "$o" "$gcmd" "iommu.strict=1" --memory 256M --viommu smmuv3 --device "vfio,path=$a" --device "vfio,path=$b"; rc=$?
shown=0
evidence() { [ $shown = 1 ] || show "$o" 80; shown=1; }
check "two devices ($a, $b): nestvm exits 0 (status $rc), no errors from nestvm" \
	sh -c "[ $rc = 0 ] && ! grep -q '^nestvm: .*\\(IOMMU_\\|VFIO_\\|error\\|will not arrive\\)' '$o'" || evidence
# The vfio-pci functions sit at 00:01.0 and 00:02.0 (StreamID = RID 0x8, 0x10).
for f in 0000:00:01.0:0x8 0000:00:02.0:0x10; do
	bdf=${f%:*} sid=${f##*:}
	check "$bdf: in an IOMMU group of its own" \
		sh -c "[ \$(grep -c '^group ' '$o') = 2 ] && [ \$(sed -n 's/^group [^ ]* //p' '$o' | sort -u | wc -l) = 2 ] &&
			grep -q '^group $bdf ' '$o'" || evidence
	check "$bdf: DMA round trip, remap followed, unmapped IOVA reached no memory" \
		sh -c "grep -q '^$bdf: ok [0-9]* - DMA round trip: 4096 bytes, 0 differ' '$o' &&
			grep -q '^$bdf: ok [0-9]* - remap: the DMA followed the new mapping' '$o' &&
			grep -q '^$bdf: ok [0-9]* - remap: a DMA to the unmapped IOVA reached no buffer' '$o'" || evidence
	check "$bdf: all 6 MSIs through the nested SMMU, edu_test passes completely" \
		sh -c "grep -q '^$bdf: # edu_test: interrupts=6\$' '$o' && grep -q '^edu_rc $bdf 0\$' '$o'" || evidence
	check "$bdf: its F_TRANSLATION carries its own StreamID $sid" \
		grep -Eq "dmesg: .*event: F_TRANSLATION client: $bdf sid: $sid " "$o" || evidence
done
done_testing
