# I/O page faults through L2 Linux's own IOMMU driver (x86_64; docs/iopf.md, "The chain through L2
# Linux"): the kernel's IOMMUFD_TEST mock device (raised by tools/iopf-mock on the iommufd it shares
# with nestvm) is the page-request source of requester id 0x10 behind nestvm's VT-d, and nestvm shows
# L2 a PCIe function there with ATS and PRI capabilities (iopf-mock --function: --iopf-mock
# ...,function=on). L2 boots with intel_iommu=on,sm_on: its driver enables ATS and PRI on that
# function (the vVT-d offers ECAP.DT, PRS and PDS). tests/guest/iopf_l2 binds the function to
# vfio-pci, attaches it to a fault-capable HWPT on an iommufd fault queue of L2's and answers what
# comes: PRG 1 Success, PRG 2 Invalid Request. The whole chain: mock TRIGGER_IOPF -> L1's fault
# queue -> nestvm -> the vVT-d page request queue -> L2 intel-iommu (prq_event_thread) -> L2
# iommufd fault queue -> iopf_l2 -> L2 intel-iommu page group response -> nestvm -> the L1 kernel,
# which gets each group's cookie with the code (read from nestvm's -v log, as iopf_vtd.sh does).
. tests/testhost/lib.sh

if [ "$NESTVM_ARCH" != x86_64 ]; then
	skip "VT-d is the x86_64 vIOMMU (the arm64 proof is iopf.sh's bare-metal payload)" "iopf through L2 Linux"
	done_testing
	exit $?
fi
iopf_mock_or_end


mkfifo "$T/ctl"
# nestvm's answer timeout, long enough for L2's driver, its fault queue and the program under TCG.
TMO=30000
b64=$(printf 'iopf_l2 --invalid 2 --count 2 --timeout-ms 240000' | base64 -w0)
"$MOCK" --sid 0x10 --timeout-ms $TMO --function -- timeout 600 "$NESTVM" run -v --kernel "$GUEST_KERNEL" \
	--initrd "$GUEST_INITRD" --cmdline "intel_iommu=on,sm_on iommu.strict=1 panic=-1 nestvm.gcmd=$b64" \
	--viommu vtd --memory 256M < "$T/ctl" > "$T/raw" 2> "$T/log" &
mock=$!
exec 9>"$T/ctl"
steps_ok=1
for g in 1 2; do
	if [ $g = 1 ] && ! raw_wait "iopf-l2: ready" 400; then
		echo "# iopf_l2 never got ready"
		steps_ok=0
		break
	fi
	printf 'trigger %d %x 3\n' $g $((g * 65536)) >&9
	if ! raw_wait "iopf-l2: answered grpid $g " 120; then
		echo "# iopf_l2 never answered PRG $g"
		steps_ok=0
		break
	fi
done
exec 9>&-
wait $mock
rc=$?
tr -d '\r' < "$T/raw" > "$T/out"
check "iopf-mock and nestvm exit 0 (L2 powered off)" [ "$rc" = 0 ] ||
	{ echo "#   exit status $rc"; show "$T/out" 30; show "$T/log" 20; }
check "nestvm showed L2 the test function at 00:02.0 and put the mock device behind the vVT-d" \
	sh -c "grep -q 'iopf test function: 1234:11e9 at 00:02.0' '$T/log' &&
		grep -q 'vtd: IOMMUFD_TEST mock device [0-9]* is requester id 0x10' '$T/log'" || show "$T/log" 20
check "L2's intel-iommu enabled ATS and PRI on the function (ECAP.DT, PRS, PDS)" \
	grep -q 'iopf test function: PRI enabled, ATS enabled' "$T/log" || show "$T/log" 20
check "iopf_l2: the function on vfio-pci, attached to a fault-capable HWPT of L2's iommufd" \
	grep -q '^iopf-l2: ready dev_id [0-9]* hwpt [0-9]* fault [0-9]*' "$T/out" || show "$T/out" 30
check "the harness raised both page requests and iopf_l2 answered them" [ "$steps_ok" = 1 ]
check "PRG 1 reached L2's fault queue with its address and permissions (read+write)" \
	grep -q '^iopf-l2: fault grpid 1 addr 0x10000 perm 3 ' "$T/out" || show "$T/out" 20
check "PRG 2 too" grep -q '^iopf-l2: fault grpid 2 addr 0x20000 perm 3 ' "$T/out" || show "$T/out" 20
grep '^iopf-l2: ' "$T/out" | sed 's/^/# L2: /'
grep 'iopf: StreamID 0x10 PRG [12] cookie [0-9]* answered' "$T/log" | sed 's/^nestvm: debug: /# /'
answered() { iopf_answered "$T/log" "$@"; }
check "PRG 1: L2's Success (through its driver's page group response) reached the kernel as SUCCESS with the group's cookie" \
	answered 1 SUCCESS guest || grep 'PRG 1 ' "$T/log" | sed 's/^/#   /'
check "PRG 2: L2's Invalid Request reached the kernel as INVALID with the group's cookie" \
	answered 2 INVALID guest || grep 'PRG 2 ' "$T/log" | sed 's/^/#   /'
check "iopf_l2 ended after its two groups, L2 powered off" \
	sh -c "grep -q '^iopf-l2: done 2' '$T/out' && [ '$(guest_exit "$T/out")' = 0 ]" || show "$T/out" 20
done_testing
