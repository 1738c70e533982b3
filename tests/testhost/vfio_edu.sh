# Device assignment proof (issue #4) with QEMU's edu device, which tools/testhost/init binds to
# vfio-pci in L1. tests/guest/edu_test drives it (identification, liveness, factorial, a DMA round
# trip of a random pattern, MSIs counted):
#  1. in L1 directly, through its VFIO cdev and an iommufd IOAS: proves the program itself;
#  2. in L2, passed through by `nestvm run --device vfio,path=...`, in VFIO no-IOMMU mode inside the
#     guest, twice in a row (the device is released at exit and can be assigned again); then in L1
#     once more (nestvm gave it back intact).
. tests/testhost/lib.sh

EDU_TEST=${EDU_TEST:-/nestvm/build-testhost/$NESTVM_ARCH/tests/guest/edu_test}

# The first edu device's PCI address and cdev.
edu_bdf='' edu_cdev=''
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	edu_bdf=${d##*/}
	for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && edu_cdev=/dev/vfio/devices/${v##*/}; done
	break
done

# edu_ok OUT: the TAP that edu_test printed in OUT passed completely: a plan, no failure, the
# data round trip and exactly 4 MSIs (raise, factorial, 2 DMA).
edu_ok() {
	grep -q '^1\.\.[0-9]' "$1" && ! grep -q '^not ok' "$1" &&
		grep -Eq '^ok [0-9]+ - DMA round trip: 4096 bytes, 0 differ' "$1" &&
		grep -q '^# edu_test: interrupts=4$' "$1"
}

# l1_run NAME: edu_test in L1 on the device's cdev (iommufd backend).
l1_run() {
	timeout 120 "$EDU_TEST" --iommufd --device "$edu_bdf" > "$T/$1.out" 2>&1; rc=$?
	check "L1 ($1): edu_test drives edu through $edu_cdev + iommufd (status $rc)" [ "$rc" = 0 ] ||
		show "$T/$1.out"
	check "L1 ($1): DMA round trip intact and 4 MSIs counted" edu_ok "$T/$1.out" || show "$T/$1.out"
}

have_edu() { [ -n "$edu_bdf" ] && [ -c "$edu_cdev" ]; }
check "an edu device is bound to vfio-pci in L1 (${edu_bdf:-none}, ${edu_cdev:-no cdev})" have_edu ||
	{ done_testing; exit; }
check "edu_test is built ($EDU_TEST)" [ -x "$EDU_TEST" ] || { done_testing; exit; }
l1_run first

# L2: the guest's /init binds edu to vfio-pci and runs edu_test in no-IOMMU mode.
gcmd='edu_test --noiommu --bind'
kcmd='loglevel=4 vfio.enable_unsafe_noiommu_mode=1'
why=
if ! "$NESTVM" run --help 2>&1 | grep -q 'vfio'; then
	why="nestvm run has no --device vfio yet"
elif ! gzip -dc "$GUEST_INITRD" 2>/dev/null | cpio -t 2>/dev/null | grep -q 'bin/edu_test$'; then
	why="$GUEST_INITRD lacks /bin/edu_test (run tools/testhost/guest-initramfs $NESTVM_ARCH after building)"
fi
for run in 1 2; do
	if [ -n "$why" ]; then
		skip "$why" "L2 run $run: nestvm with edu passed through exits 0"
		skip "$why" "L2 run $run: edu_test passes in the guest (no-IOMMU VFIO)"
		skip "$why" "L2 run $run: DMA round trip intact and 4 MSIs counted"
		continue
	fi
	guest "$T/l2-$run.out" "$gcmd" "$kcmd" --memory 256M --device "vfio,path=$edu_cdev"; rc=$?
	check "L2 run $run: nestvm with edu passed through exits 0 (status $rc)" [ "$rc" = 0 ] ||
		show "$T/l2-$run.out"
	check "L2 run $run: edu_test passes in the guest (no-IOMMU VFIO)" [ "$(guest_exit "$T/l2-$run.out")" = 0 ] ||
		show "$T/l2-$run.out"
	check "L2 run $run: DMA round trip intact and 4 MSIs counted" edu_ok "$T/l2-$run.out" ||
		show "$T/l2-$run.out"
done
if [ -n "$why" ]; then
	skip "$why" "L1 (after L2): the device works in L1 again"
	skip "$why" "L1 (after L2): DMA round trip intact and 4 MSIs counted"
else
	l1_run "after L2"
fi
done_testing
