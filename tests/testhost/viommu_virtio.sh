# Emulated virtio devices behind nestvm's vSMMUv3 (arm64): with --viommu smmuv3 the devices offer
# VIRTIO_F_ACCESS_PLATFORM, the L2 driver maps every ring and buffer through its IOMMU (strict mode:
# unmapped and invalidated right after each request), and nestvm translates all of that DMA with
# its software stage-1 walker. The guest reads a random 16 MiB disk (checksum compared with the
# file), writes + flushes a pattern (checked in the file), and its console is virtio too.
. tests/testhost/lib.sh

if [ "$NESTVM_ARCH" != arm64 ]; then
	skip "SMMUv3 is the arm64 vIOMMU" "viommu virtio"
	done_testing
	exit $?
fi

dd if=/dev/urandom of="$T/disk" bs=1M count=16 2>/dev/null
printf 'nestvm-iova-pattern' | dd of="$T/disk" conv=notrunc 2>/dev/null
gcmd='echo "read=$(head -c 64 /dev/vda | tr -d "\\000" | head -c 19)";
d=$(readlink -f /sys/block/vda/device);
echo "blk-access-platform=$(cut -c34 $d/features)";
echo "blk-domain=$(cat $d/../iommu_group/type)";
for c in /sys/bus/virtio/drivers/virtio_console/virtio*; do [ -e "$c" ] || continue; c=$(readlink -f $c);
	echo "con-access-platform=$(cut -c34 $c/features)"; echo "con-domain=$(cat $c/../iommu_group/type)"; done;
printf guest-wrote-this-through-iova | dd of=/dev/vda bs=512 seek=8 conv=notrunc,fsync 2>/dev/null && echo write-ok;
echo 3 > /proc/sys/vm/drop_caches;
echo "sum=$(md5sum /dev/vda | cut -d" " -f1)";
dmesg | grep -i smmu | sed "s/^/dmesg: /"; sync'

# vsmmu NAME [options...]: one boot behind the vSMMU in strict mode, with the common checks.
vsmmu() {
	name=$1; shift
	guest "$T/$name.out" "$gcmd" "iommu.strict=1" --memory 256M --disk "path=$T/disk" --viommu smmuv3 "$@"; rc=$?
	check "$name: nestvm exits 0 when the guest powers off" [ "$rc" = 0 ] || show "$T/$name.out"
	check "$name: virtio-blk negotiated VIRTIO_F_ACCESS_PLATFORM" out_line "$T/$name.out" 'blk-access-platform=1' ||
		show "$T/$name.out"
	check "$name: virtio-blk is in a DMA (translating, not identity) domain" out_line "$T/$name.out" 'blk-domain=DMA'
	check "$name: the guest read the disk's pattern through IOVAs" out_line "$T/$name.out" 'read=nestvm-iova-pattern' ||
		show "$T/$name.out"
	check "$name: the guest's flushed write is in the file" \
		[ "$(dd if="$T/disk" bs=512 skip=8 count=1 2>/dev/null | head -c 29)" = guest-wrote-this-through-iova ]
	sum=$(md5sum < "$T/disk" | cut -d' ' -f1)
	check "$name: all 16 MiB the guest read match the file" out_line "$T/$name.out" "sum=$sum" || show "$T/$name.out"
	check "$name: no SMMU events or errors in the guest's log" \
		sh -c "! grep -Eiq 'dmesg: .*smmu.*(event|error|fail|timeout|abort)' '$T/$name.out'" || show "$T/$name.out"
	check "$name: the guest's /init ran to completion" [ "$(guest_exit "$T/$name.out")" = 0 ]
}
vsmmu blk
vsmmu virtio-console --console virtio
check "virtio-console: negotiated VIRTIO_F_ACCESS_PLATFORM" out_line "$T/virtio-console.out" 'con-access-platform=1' ||
	show "$T/virtio-console.out"
check "virtio-console: in a DMA domain" out_line "$T/virtio-console.out" 'con-domain=DMA'
check "virtio-console: the guest's console output arrived through the vSMMU" \
	grep -q '^nestvm-guest: exit=0' "$T/virtio-console.out"
done_testing
