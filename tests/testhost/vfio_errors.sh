# Device assignment errors: every iommufd/VFIO setup step made to fail (NESTVM_FAIL_AT, see
# src/iommu/fail_inject.h) exits non-zero with exactly one error line, leaks no fd (nestvm counts
# /proc/self/fd before device assignment and after unwinding and reports a leak as a second error
# line), and leaves the device free: the next run binds it again and the guest reads edu's
# identification register. Also: missing device, wrong driver, device in use, passed fds.
. tests/testhost/lib.sh

DEV=/dev/vfio/devices/vfio0
if [ ! -c "$DEV" ] || [ ! -c /dev/iommu ]; then
	skip "no $DEV or /dev/iommu in this host" "vfio errors"
	done_testing; exit
fi
BDF=$(basename "$(dirname "$(dirname "$(readlink -f /sys/class/vfio-dev/vfio0)")")")

# The guest reads edu's identification register (BAR0 offset 0) through the BAR's memslot.
gcmd='for d in /sys/bus/pci/devices/*; do [ "$(cat $d/vendor)" = 0x1234 ] || continue;
a=$(head -n1 $d/resource | cut -d" " -f1); echo 1 > $d/enable; echo "edu-id=$(devmem $a 32)"; done'
works() {
	guest "$T/ok.out" "$gcmd" "" --memory 128M "$@"; rc=$?
	if [ "$rc" = 0 ] && grep -q '^edu-id=0x010000ED' "$T/ok.out"; then ok "$d: then the device is assigned again and edu answers"
	else not_ok "$d: then the device is assigned again and edu answers (status $rc)"; show "$T/ok.out"; fi
	# The VFIO cdev and the iommufd too went back through the VM's fd table (nothing reported left in it).
	check "$d: no fd left in the VM's fd table at exit" sh -c "! grep -q '^nestvm: fd leak' '$T/ok.out'" || show "$T/ok.out"
}
# fails DESC PATTERN nestvm-run-args...: non-zero status below 124, exactly one stderr line matching PATTERN.
fails() {
	d=$1 pat=$2; shift 2
	timeout 60 "$NESTVM" run --kernel "$GUEST_KERNEL" --memory 128M "$@" < /dev/null > "$T/bad.out" 2> "$T/bad.err"; rc=$?
	if [ "$rc" != 0 ] && [ "$rc" -lt 124 ] && [ "$(wc -l < "$T/bad.err")" = 1 ] && grep -Eq -- "$pat" "$T/bad.err"; then
		ok "$d: one-line error (status $rc): $(cat "$T/bad.err")"
	else
		not_ok "$d (status $rc)"; show "$T/bad.err" 5
	fi
}

for step in iommufd-open ioas-alloc bind attach reset region-info irq-setup iova-ranges map-file; do
	NESTVM_FAIL_AT=$step fails "injected $step failure" "injected|Cannot allocate memory" --device vfio,path=$DEV
done
d="after the injected failures"; works --device vfio,path=$DEV
if [ "$NESTVM_ARCH" = arm64 ]; then
	# Behind the nested vSMMUv3: each iommufd object of the nesting set-up (nest parent HWPT, vIOMMU,
	# vDEVICE, vEVENTQ, the first nested HWPT) failing unwinds as cleanly.
	for step in hwpt-alloc viommu-alloc vdevice-alloc veventq-alloc; do
		NESTVM_FAIL_AT=$step fails "nested vSMMU: injected $step failure" "injected|Cannot allocate memory" \
			--device vfio,path=$DEV --viommu smmuv3
	done
	# A host SMMU that cannot nest (a stock kernel on QEMU's SMMUv3: no CANWBS/S2FWB) refuses the
	# vIOMMU with EOPNOTSUPP: nestvm says why and exits 5 (the host lacks something).
	NESTVM_FAIL_AT=viommu-alloc:95 fails "nested vSMMU: host refuses IOMMU_VIOMMU_ALLOC" \
		"cannot nest .*CANWBS or S2FWB" --device vfio,path=$DEV --viommu smmuv3
	check "nested vSMMU: a host that cannot nest gives exit status 5 (status $rc)" [ "$rc" = 5 ]
	d="after the injected nested failures"; works --device vfio,path=$DEV --viommu smmuv3
fi
# With a second device on the same fd count: the failure is in the second device's bind, after the first bound.
NESTVM_FAIL_AT=map-file fails "injected map-file with a passed iommufd" "IOMMU_IOAS_MAP_FILE" \
	--device vfio,path=$DEV --iommufd fd=7 7<>/dev/iommu

fails "missing device" "vfio9: no such device" --device vfio,path=/dev/vfio/devices/vfio9
fails "host BDF that does not exist" "0000:0f:1f.7: no such PCI device" --device vfio,host=0000:0f:1f.7
fails "host BDF not bound to vfio-pci" "0000:00:00.0: (bound to .*, not vfio-pci|not bound to vfio-pci)" \
	--device vfio,host=0000:00:00.0
fails "--iommufd that is not /dev/iommu" "not an open /dev/iommu" --device vfio,path=$DEV --iommufd fd=7 7</dev/null
fails "--device fd that is not a VFIO cdev" "not a VFIO device cdev" --device vfio,fd=8 8</dev/null

# In use: a second VM cannot bind the device the first one holds.
guest "$T/a.out" 'sleep 6' "" --memory 128M --device vfio,path=$DEV &
a=$!
sleep 3
fails "device already in use" "already in use" --device vfio,path=$DEV
wait $a; rc=$?
check "the first VM, holding the device, ran to the end" [ "$rc" = 0 ] || show "$T/a.out"

d="host=$BDF"; works --device "vfio,host=$BDF"
# Passed fds, as a privileged manager would: opened only for nestvm, so that its close is the last
# one and releases the device (not through `timeout`, whose watcher process would inherit them).
"$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --memory 128M --device vfio,fd=8 --iommufd fd=7 \
	--cmdline "panic=-1 nestvm.gcmd=$(printf '%s' "$gcmd" | base64 -w0)" 7<>/dev/iommu 8<>"$DEV" </dev/null \
	> "$T/fds.out" 2>&1; rc=$?
check "passed fds (--iommufd fd=7, --device vfio,fd=8): edu answers" \
	sh -c "[ $rc = 0 ] && grep -q '^edu-id=0x010000ED' '$T/fds.out'" || show "$T/fds.out"
d="twice in a row"; works --device vfio,path=$DEV
done_testing
