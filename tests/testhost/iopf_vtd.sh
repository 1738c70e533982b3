# I/O page faults through the vVT-d (x86_64; docs/iopf.md): the kernel's IOMMUFD_TEST mock device
# (raised by tools/iopf-mock on the iommufd it shares with nestvm) is the page-request source of
# requester id 0x10 behind nestvm's VT-d. L2 Linux boots with intel_iommu=off intremap=off, and
# tests/guest/vtd_prq drives the unit's page request queue from userspace through /dev/mem: it
# sets up a page request queue and an invalidation queue in its own pages, takes the 256-bit page
# request descriptors and answers with page group response descriptors. Each request goes through
# the real chain: mock TRIGGER_IOPF -> the kernel's fault queue (IOMMU_FAULT_QUEUE_ALLOC, a nested
# HWPT with IOMMU_HWPT_FAULT_ID_VALID) -> nestvm's fault service -> the vVT-d page request queue ->
# page group response on the invalidation queue -> struct iommu_hwpt_page_response written back.
# What the kernel got is read from nestvm's -v log (the cookie of each group as read from the fault
# fd, and the (cookie, code) write the kernel took). Steps: Success; Invalid Request -> INVALID; a
# queue with one free slot: PRG 3 fits, PRG 4 overflows (PRS.PRO, automatic SUCCESS) and PRG 5 is
# dropped while PRO is set (SUCCESS); guest silence -> INVALID at the timeout (6 s), the late answer
# ignored; a flood of 40 -> nestvm keeps 32, answers 8 SUCCESS at once (PRO for the guest), the 32
# INVALID at the timeout; PRG 8 waiting in the guest's queue while nestvm is updated by re-exec
# (the FAULT object, its fd and the group cross the exec): the guest answers it through the new
# process and the kernel gets SUCCESS with the cookie the old process read; a request in flight at
# power-off -> INVALID at shutdown.
# The same chain through L2's intel-iommu and an L2 iommufd fault queue, with a PRI function in L2:
# iopf_linux.sh (docs/iopf.md, "The chain through L2 Linux").
. tests/testhost/lib.sh

if [ "$NESTVM_ARCH" != x86_64 ]; then
	skip "VT-d is the x86_64 vIOMMU" "iopf vtd"
	done_testing
	exit $?
fi
iopf_mock_or_end

# count ANSWER HOW: the flood's groups (PRG 100-139) the kernel got ANSWER for, answered by HOW.
count() {
	grep -c "^nestvm: debug: iopf: StreamID 0x10 PRG 1[0-3][0-9] cookie [0-9]* answered $1 ($2), the kernel took it" "$T/log"
}
mkfifo "$T/ctl"
# nestvm's answer timeout: the silent steps wait twice it, the update step has half of it.
TMO=6000
b64=$(printf 'vtd_prq --timeout-ms %d' $TMO | base64 -w0)
"$MOCK" --sid 0x10 --timeout-ms $TMO -- timeout 400 "$NESTVM" run -v --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "intel_iommu=off intremap=off panic=-1 nestvm.gcmd=$b64" --viommu vtd --memory 256M \
	--api-socket path="$T/api" < "$T/ctl" > "$T/raw" 2> "$T/log" &
mock=$!
exec 9>"$T/ctl"
# iopf-mock takes addresses in hex.
flood=$(i=100; while [ $i -lt 140 ]; do printf 'trigger %d %x 3\n' $i $((i * 4096)); i=$((i + 1)); done)
steps_ok=1
for step in "1:trigger 1 10000 3" "2:trigger 2 20000 3" "3:trigger 3 30000 3
trigger 4 40000 3" "3b:trigger 5 50000 3" "4:trigger 6 60000 3" "5:$flood" "6:trigger 8 80000 3" "7:trigger 7 70000 3"; do
	n=${step%%:*}
	if [ "$n" = 3b ]; then
		sleep 1     # PRG 5 after PRG 4 set PRO
	elif ! raw_wait "# iopf-step $n" 240; then
		echo "# the program never reached step $n"
		steps_ok=0
		break
	fi
	if [ "$n" = 6 ]; then
		# The flood's 32 kept groups time out on nestvm's clock, from when it read each one; the
		# program's wait runs on the guest's. Under load the first can lag: PRG 8 (and the counters
		# below) come once all 32 are answered, or a busy device's bound would meet PRG 8.
		d=$(($(secs) + 60))
		while [ "$(count INVALID timeout)" -lt 32 ] && [ "$(secs)" -lt $d ]; do usleep 100000; done
		"$NESTVM" ctl --json "$T/api" viommu > "$T/viommu.json" 2>&1
	fi
	echo "${step#*:}" >&9
	if [ "$n" = 6 ]; then
		# PRG 8 is in the guest's queue, unanswered: nestvm is updated under it.
		if raw_wait "# iopf-pending 8" 120; then
			"$NESTVM" ctl --json "$T/api" update exec > "$T/update" 2>&1
			echo "exit $?" >> "$T/update"
		else
			echo "# PRG 8 never reached the guest's queue"
			steps_ok=0
		fi
	fi
done
exec 9>&-
wait $mock
rc=$?
tr -d '\r' < "$T/raw" > "$T/out"
check "iopf-mock and nestvm exit 0 (L2 powered off)" [ "$rc" = 0 ] ||
	{ echo "#   exit status $rc"; show "$T/out" 30; show "$T/log" 20; }
check "L2 reached every step and the harness raised its page requests" [ "$steps_ok" = 1 ]
check "iopf-mock raised 48 page requests (IOMMU_TEST_OP_TRIGGER_IOPF)" \
	[ "$(grep -c '^iopf-mock: triggered grpid' "$T/log")" = 48 ] || show "$T/log" 20
check "nestvm put the mock device behind the vVT-d with a FAULT object" \
	grep -q 'vtd: IOMMUFD_TEST mock device [0-9]* is requester id 0x10, its page requests through FAULT object' "$T/log"
grep -E '^(ok|not ok|# |1\.\.)' "$T/out" | grep -v '^# iopf-step' > "$T/prog"
payload_points "$T/prog" vtd_prq 16
check "L2's /init ran vtd_prq to completion" [ "$(guest_exit "$T/out")" = 0 ] || show "$T/out" 30

answered() { iopf_answered "$T/log" "$@"; }
check "PRG 1: the guest's Success reached the kernel as SUCCESS with the group's cookie" answered 1 SUCCESS guest
check "PRG 2: the guest's Invalid Request reached the kernel as INVALID with the group's cookie" answered 2 INVALID guest
check "PRG 3: took the last free slot, answered SUCCESS by the guest" answered 3 SUCCESS guest
check "PRG 4: the full queue dropped it (PRO); the kernel got the automatic SUCCESS" answered 4 SUCCESS overflow
check "PRG 5: dropped while PRO was set; the kernel got SUCCESS" answered 5 SUCCESS overflow
check "PRG 6: the silent guest's group was answered INVALID at the timeout" answered 6 INVALID timeout
check "PRG 6: the guest's late answer was ignored" \
	grep -q "StreamID 0x10 answered PRG 6, which awaits no answer" "$T/log"
check "flood: 8 of the 40 answered SUCCESS at once by nestvm's bound (32 per device await the guest)" \
	[ "$(count SUCCESS limit)" = 8 ] || echo "#   $(count SUCCESS limit)"
check "flood: the 32 kept ones answered INVALID at the timeout" [ "$(count INVALID timeout)" = 32 ] ||
	echo "#   $(count INVALID timeout)"
check "PRG 7: in flight at power-off, answered INVALID at shutdown" answered 7 INVALID shutdown
check "update exec with PRG 8 awaiting the guest: exit 0, the phases ($(head -c 200 "$T/update"))" \
	sh -c "grep -q '\"phases_us\":{\"pause\":' '$T/update' && grep -qx 'exit 0' '$T/update'" || show "$T/update"
check "PRG 8: read before the update, carried across it, answered SUCCESS by the guest after it with cookie $(iopf_cookie "$T/log" 8)" \
	iopf_carried "$T/log" 8 || { grep -n 'PRG 8\|adopted FAULT' "$T/log" | sed 's/^/#   /'; }
check "... the new process took the mock device's HWPTs and the FAULT object over (no new ones)" \
	grep -q 'vtd: IOMMUFD_TEST mock device [0-9]* is requester id 0x10, its page requests through FAULT object [0-9]* (adopted)' "$T/log" ||
	show "$T/log" 20
# vm.viommu before step 6: 46 groups; the guest answered 3 (PRG 1-3), the full queue 2 (PRG 4, 5),
# the bound 8, the timeout 33 (PRG 6 and the flood's 32); SUCCESS 2 + 2 + 8, INVALID 1 + 33; 1 late;
# service times of the guest's 3 answers.
check "vm.viommu counts every group and answer (\"iopf\")" sh -c "grep -q '\"iopf\":{\"fault_id\":[0-9]*,\"timeout_ms\":6000,\"groups\":46,\"pending\":0,\"answered\":{\"guest\":3,\"overflow\":2,\"limit\":8,\"timeout\":33,\"removal\":0,\"shutdown\":0,\"unknown-device\":0},\"success\":12,\"invalid\":34,\"late_answers\":1,\"latency_us\":{\"n\":3,\"median\":[0-9]*,\"p99\":[0-9]*,\"max\":[0-9]*}}' '$T/viommu.json'" ||
	show "$T/viommu.json"
check "no answer was refused by the kernel or failed" \
	sh -c "! grep -q 'iopf: writing the\|holds no such group\|reading the fault queue' '$T/log'" || show "$T/log" 40
grep 'iopf: ' "$T/log" | grep -v ' PRG 1[0-3][0-9] ' | sed 's/^/# /'

# L2's own intel-iommu (scalable mode) on a unit with ECAP.PRS: it enables its page request queue
# and interrupt, takes the request, finds no PRI-enabled device at requester id 0x10 (there is none
# in L2: the mock device is no PCI function there) and answers it Invalid Request itself; the
# kernel gets INVALID through the page group response. With a PRI function at that id the chain goes
# on to an L2 iommufd fault queue: iopf_linux.sh.
rm -f "$T/ctl" "$T/raw" "$T/log"
mkfifo "$T/ctl"
b64=$(printf '%s' 'echo "# l2-ready"; sleep 8; grep -i prq /proc/interrupts | sed "s/^ */irq: /";
dmesg | grep -Ei "page request|prq" | sed "s/^/dmesg: /"; ls /sys/bus/pci/devices | sed "s/^/pci: /"' | base64 -w0)
"$MOCK" --sid 0x10 --timeout-ms 5000 -- timeout 300 "$NESTVM" run -v --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
	--cmdline "intel_iommu=on,sm_on panic=-1 nestvm.gcmd=$b64" --viommu vtd --memory 256M < "$T/ctl" > "$T/raw" 2> "$T/log" &
mock=$!
exec 9>"$T/ctl"
ready=0
raw_wait "# l2-ready" 240 && ready=1 && echo "trigger 9 90000 3" >&9
exec 9>&-
wait $mock
rc=$?
tr -d '\r' < "$T/raw" > "$T/out"
check "L2 intel-iommu: nestvm exits 0, L2 booted and its /init ran" sh -c "[ $rc = 0 ] && [ $ready = 1 ]" ||
	{ show "$T/out" 30; show "$T/log" 20; }
check "L2 intel-iommu: its page request interrupt (dmar*-prq) fired" \
	sh -c "grep -E '^irq: .*prq' '$T/out' | awk '{ s = 0; for (i = 3; i < NF; i++) if (\$i ~ /^[0-9]+\$/) s += \$i; if (s > 0) f = 1 } END { exit !f }'" ||
	show "$T/out" 30
check "L2 intel-iommu: it answered requester id 0x10's PRG 9 Invalid Request itself (no PRI device there)" \
	answered 9 INVALID guest || show "$T/log" 20
grep -E '^(irq|dmesg|pci): ' "$T/out" | sed 's/^/# /'
grep 'iopf: ' "$T/log" | sed 's/^/# /'
done_testing
