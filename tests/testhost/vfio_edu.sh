# Device assignment proof (issue #4) with QEMU's edu device, which tools/testhost/init binds to
# vfio-pci in L1. tests/guest/edu_test drives it (identification, liveness, factorial, a DMA round
# trip of a fresh random pattern, MSIs counted) and prints TAP, which this test checks in parts:
#  1. in L1 directly, through its VFIO cdev and an iommufd IOAS: proves the program itself;
#  2. in L2, passed through by `nestvm run --device vfio,path=...`, in VFIO no-IOMMU mode inside the
#     guest (the guest's /init binds edu to vfio-pci), twice in a row: the device is released at exit
#     and can be assigned again; then in L1 once more: nestvm handed it back intact.
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

# ok_line OUT REGEX: edu_test reported a passing test point matching REGEX.
ok_line() { grep -Eq "^ok [0-9]+ - $2" "$1"; }
# edu_checks WHERE OUT STATUS: the parts of one edu_test run, from the device being there to the
# data (so a failure says how far passthrough got); OUT is shown once, at the first failure.
edu_checks() {
	where=$1 out=$2 st=$3 shown=0
	evidence() { [ $shown = 1 ] || show "$out" 40; shown=1; }
	check "$where: edu found and opened through VFIO" ok_line "$out" '.* opened through the (iommufd|noiommu) backend' || evidence
	check "$where: MMIO: identification, liveness, factorial" \
		sh -c "grep -Eq '^ok [0-9]+ - identification register' '$out' &&
			[ \$(grep -Ec '^ok [0-9]+ - liveness' '$out') = 2 ] && grep -Eq '^ok [0-9]+ - 10! = 3628800' '$out'" || evidence
	check "$where: MSIs: irq-raise, factorial-done and 2 DMA-done, 4 in total" \
		grep -q '^# edu_test: interrupts=4$' "$out" || evidence
	check "$where: DMA round trip RAM -> edu -> RAM intact" ok_line "$out" 'DMA round trip: 4096 bytes, 0 differ' || evidence
	check "$where: edu_test passes completely (status $st)" \
		sh -c "[ '$st' = 0 ] && grep -q '^1\\.\\.[0-9]' '$out' && ! grep -q '^not ok' '$out'" || evidence
}
# l1_run NAME: edu_test in L1 on the device's cdev (iommufd backend).
l1_run() {
	timeout 120 "$EDU_TEST" --iommufd --device "$edu_bdf" > "$T/$1.out" 2>&1
	edu_checks "L1 ($1, $edu_cdev + iommufd)" "$T/$1.out" $?
}

have_edu() { [ -n "$edu_bdf" ] && [ -c "$edu_cdev" ]; }
check "an edu device is bound to vfio-pci in L1 (${edu_bdf:-none}, ${edu_cdev:-no cdev})" have_edu ||
	{ done_testing; exit; }
check "edu_test is built ($EDU_TEST)" [ -x "$EDU_TEST" ] || { done_testing; exit; }
l1_run first

# L2: the guest's /init binds edu to vfio-pci and runs edu_test in no-IOMMU mode.
gcmd='edu_test --noiommu --bind'
kcmd='loglevel=4 vfio.enable_unsafe_noiommu_mode=1'
for run in 1 2; do
	# The second run is verbose: nestvm then reports how many BAR accesses trapped (mmapped: none).
	v=; [ $run = 2 ] && v=-v
	guest "$T/l2-$run.out" "$gcmd" "$kcmd" --memory 256M --device "vfio,path=$edu_cdev" $v; rc=$?
	check "L2 run $run: nestvm with edu passed through exits 0 (status $rc)" [ "$rc" = 0 ]
	edu_checks "L2 run $run (passthrough, no-IOMMU VFIO in the guest)" "$T/l2-$run.out" "$(guest_exit "$T/l2-$run.out")"
done
check "edu's BAR0 is mapped into the guest: no BAR access exited to nestvm" \
	grep -Eq 'debug: .*: 0 BAR accesses trapped to nestvm' "$T/l2-2.out" || grep 'BAR accesses trapped' "$T/l2-2.out"
l1_run "after L2"
done_testing
