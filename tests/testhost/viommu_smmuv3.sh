# --viommu smmuv3 (arm64): the guest's own arm-smmu-v3 driver probes nestvm's emulated SMMUv3 (device
# tree node + iommu-map), enables it (stream table, command queue with CMD_SYNC completion, event
# queue), puts the PCI devices in IOMMU groups with strict DMA domains, and virtio-blk keeps working.
. tests/testhost/lib.sh

if [ "$NESTVM_ARCH" != arm64 ]; then
	skip "SMMUv3 is the arm64 vIOMMU" "viommu smmuv3"
	done_testing
	exit $?
fi

dd if=/dev/zero of="$T/disk" bs=1M count=4 2>/dev/null
printf 'nestvm-smmu-pattern' | dd of="$T/disk" conv=notrunc 2>/dev/null
gcmd='echo "read=$(head -c 64 /dev/vda | tr -d "\\000")";
echo "groups=$(ls /sys/kernel/iommu_groups | wc -l)";
for d in /sys/bus/pci/devices/*; do [ -e "$d/iommu_group" ] && echo "grouped=${d##*/}:$(cat $d/vendor):$(cat $d/device)"; done;
for g in /sys/kernel/iommu_groups/*; do echo "gtype=$(cat $g/type 2>/dev/null)"; done;
dmesg | grep -i smmu | sed "s/^/dmesg: /"'
guest "$T/smmu.out" "$gcmd" "iommu.strict=1" --memory 256M --disk "path=$T/disk" --viommu smmuv3; rc=$?
check "smmuv3: nestvm exits 0 when the guest powers off" [ "$rc" = 0 ] || show "$T/smmu.out"
check "smmuv3: the guest's driver probed the SMMU (its oas line)" \
	grep -Eq 'dmesg: .*arm-smmu-v3 9050000.iommu: oas 44-bit' "$T/smmu.out" || show "$T/smmu.out"
check "smmuv3: no SMMU errors, timeouts or events in the guest's log" \
	sh -c "! grep -Eiq 'dmesg: .*smmu.*(error|fail|timeout|event|abort|not respond)' '$T/smmu.out'" || show "$T/smmu.out"
check "smmuv3: the virtio-blk device is in an IOMMU group" grep -q '^grouped=.*:0x1af4:0x1042' "$T/smmu.out" ||
	show "$T/smmu.out"
check "smmuv3: strict DMA domains" grep -q '^gtype=DMA$' "$T/smmu.out" || show "$T/smmu.out"
check "smmuv3: virtio-blk works behind the SMMU" out_line "$T/smmu.out" 'read=nestvm-smmu-pattern' ||
	show "$T/smmu.out"
check "smmuv3: the guest's /init ran to completion" [ "$(guest_exit "$T/smmu.out")" = 0 ]

# Without the option there is no SMMU: no group, no driver.
guest "$T/none.out" "$gcmd" "" --memory 256M --disk "path=$T/disk"; rc=$?
check "no --viommu: boots, no IOMMU groups" sh -c "[ $rc = 0 ] && grep -q '^groups=0' '$T/none.out'" || show "$T/none.out"
done_testing
