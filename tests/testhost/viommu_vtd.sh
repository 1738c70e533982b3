# Emulated virtio devices behind nestvm's vVT-d (x86_64, --viommu vtd): the DMAR table makes L2's
# intel-iommu (intel_iommu=on, strict) probe the unit and enable DMA translation and interrupt
# remapping (the IOAPIC is in the DRHD's scope), once in scalable mode (the kit kernel's default:
# first-stage tables through the PASID entry of RID_PASID 0) and once in legacy mode (sm_off:
# second-stage tables from the context entry). The virtio devices offer VIRTIO_F_ACCESS_PLATFORM;
# the guest maps every ring and buffer through its tables and nestvm walks them (software backend). Their MSIs and the IOAPIC's (COM1) go through L2's
# IRTEs. The guest reads a random 16 MiB disk (checksum compared with the file), writes + flushes
# a pattern (checked in the file), and its console is virtio too.
. tests/testhost/lib.sh

if [ "$NESTVM_ARCH" != x86_64 ]; then
	skip "VT-d is the x86_64 vIOMMU" "viommu vtd"
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
grep -E "IR-(PCI-MSI|IO-APIC)" /proc/interrupts | sed "s/^ */irq: /";
dmesg | grep -Ei "dmar|iommu|remap" | sed "s/^/dmesg: /"; sync'

# vvtd NAME MODE [options...]: one boot behind the vVT-d in strict mode and MODE (scalable or
# legacy), with the common checks.
vvtd() {
	name=$1 mode=$2; shift 2
	if [ "$mode" = legacy ]; then iommu=intel_iommu=on,sm_off; else iommu=intel_iommu=on,sm_on; fi
	guest "$T/$name.out" "$gcmd" "$iommu iommu.strict=1" --memory 256M --disk "path=$T/disk" --viommu vtd "$@"
	rc=$?
	check "$name: nestvm exits 0 when the guest powers off" [ "$rc" = 0 ] || show "$T/$name.out"
	check "$name: L2 set a $mode-mode root table" grep -q "vtd: the guest set a $mode-mode root table" "$T/$name.out"
	check "$name: L2 found the DRHD of the DMAR" grep -q 'dmesg: .*DMAR: DRHD base: 0x000000fed90000' "$T/$name.out" ||
		show "$T/$name.out"
	check "$name: L2 enabled interrupt remapping" grep -Eq 'dmesg: .*Enabled IRQ remapping in (x2apic|xapic) mode' \
		"$T/$name.out" || show "$T/$name.out"
	check "$name: MSIs go through L2's IRTEs (IR-PCI-MSI)" grep -q '^irq: .*IR-PCI-MSI' "$T/$name.out"
	check "$name: virtio-blk negotiated VIRTIO_F_ACCESS_PLATFORM" out_line "$T/$name.out" 'blk-access-platform=1'
	check "$name: virtio-blk is in a DMA (translating, not identity) domain" out_line "$T/$name.out" 'blk-domain=DMA'
	check "$name: the guest read the disk's pattern through IOVAs" out_line "$T/$name.out" 'read=nestvm-iova-pattern' ||
		show "$T/$name.out"
	check "$name: the guest's flushed write is in the file" \
		[ "$(dd if="$T/disk" bs=512 skip=8 count=1 2>/dev/null | head -c 29)" = guest-wrote-this-through-iova ]
	sum=$(md5sum < "$T/disk" | cut -d' ' -f1)
	check "$name: all 16 MiB the guest read match the file" out_line "$T/$name.out" "sum=$sum" || show "$T/$name.out"
	check "$name: no DMAR faults or errors in the guest's log" \
		sh -c "! grep -Eiq 'dmesg: .*DMAR.*(fault|error|fail|timeout|\\[DMA )' '$T/$name.out'" || show "$T/$name.out"
	check "$name: the guest's /init ran to completion" [ "$(guest_exit "$T/$name.out")" = 0 ]
}
vvtd blk-legacy legacy
vvtd blk scalable
# The serial console's COM1 interrupt is the IOAPIC's pin 4 (with a virtio console nothing opens it).
check "blk: the IOAPIC's interrupts go through L2's IRTEs too (IR-IO-APIC)" grep -q '^irq: .*IR-IO-APIC' "$T/blk.out"
grep -E '^(irq|dmesg): ' "$T/blk.out" | grep -v 'ommand line: ' | sed 's/^/# /'
vvtd virtio-console scalable --console virtio
check "virtio-console: negotiated VIRTIO_F_ACCESS_PLATFORM" out_line "$T/virtio-console.out" 'con-access-platform=1' ||
	show "$T/virtio-console.out"
check "virtio-console: in a DMA domain" out_line "$T/virtio-console.out" 'con-domain=DMA'
check "virtio-console: the guest's console output arrived through the vVT-d" \
	grep -q '^nestvm-guest: exit=0' "$T/virtio-console.out"

# Two vCPUs: every interrupt moved to CPU 1 (Linux rewrites the IRTEs and invalidates the IEC; the
# KVM routes follow), then the whole disk read again through those interrupts.
smp='echo "nproc=$(nproc)"; for f in /proc/irq/*/smp_affinity_list; do echo 1 > $f 2>/dev/null; done;
echo "sum=$(md5sum /dev/vda | cut -d" " -f1)"; grep -E "IR-" /proc/interrupts | sed "s/^ */irq: /"'
guest "$T/smp.out" "$smp" "intel_iommu=on,sm_on iommu.strict=1" --cpus 2 --memory 256M --disk "path=$T/disk" --viommu vtd
rc=$?
check "2 vCPUs: nestvm exits 0 when the guest powers off" [ "$rc" = 0 ] || show "$T/smp.out"
check "2 vCPUs: both online" out_line "$T/smp.out" 'nproc=2'
sum=$(md5sum < "$T/disk" | cut -d' ' -f1)
check "2 vCPUs: the disk reads right with its interrupts moved to CPU 1" out_line "$T/smp.out" "sum=$sum" ||
	show "$T/smp.out"
# /proc/interrupts columns: "irq: N: CPU0 CPU1 chip ...".
check "2 vCPUs: remapped interrupts arrived on CPU 1 (IRTEs aimed at its APIC)" \
	sh -c "grep '^irq: ' '$T/smp.out' | awk '\$4 > 0 { n++ } END { exit !n }'" || show "$T/smp.out"

# Assigned devices behind the vVT-d (shadow backend): viommu_vtd_assigned.sh.
done_testing
