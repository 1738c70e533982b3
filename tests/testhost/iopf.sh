# I/O page faults end to end (arm64; docs/iopf.md): the kernel's IOMMUFD_TEST mock device (raised by
# tools/iopf-mock on the iommufd it shares with nestvm) is the page-request source of StreamID 0x10
# behind nestvm's SMMUv3; the bare-metal payload firmware/iopf-guest enables the PRI queue, takes
# the requests and answers with CMD_PRI_RESP. Each request goes through the real chain: mock
# TRIGGER_IOPF -> the kernel's fault queue (IOMMU_FAULT_QUEUE_ALLOC, a nested HWPT with
# IOMMU_HWPT_FAULT_ID_VALID) -> nestvm's fault service -> the guest's PRIQ -> CMD_PRI_RESP ->
# struct iommu_hwpt_page_response written back. What the kernel got is read from nestvm's log (-v):
# the cookie of each group as read from the fault fd, and the (cookie, code) write the kernel took
# (the mock driver's page_response does nothing visible; a write with a cookie the kernel does not
# hold fails, and nestvm logs that differently). Steps: Success, Denied -> INVALID, PRIQ overflow ->
# OVFLG + automatic SUCCESS, guest silence -> INVALID at the timeout (8 s here), a flood of 40
# requests the guest never answers -> nestvm keeps 32 (IOPF_MAX_PER_DEV: its memory is bounded),
# answers the other 8 SUCCESS at once and the 32 INVALID at the timeout, PRG 8 left in the PRIQ
# while nestvm is updated by re-exec -> answered through the new process with the cookie the old
# one read (the FAULT object, its fd and the group cross the exec), a request in flight at
# power-off -> INVALID. The payload's own points are re-emitted prefixed "payload:".
. tests/testhost/lib.sh

payload_path iopf-guest/iopf-guest.bin "iopf payload" || { done_testing; exit $?; }
iopf_mock_or_end

# count ANSWER HOW: the flood's groups (PRG 100-139) the kernel got ANSWER for, answered by HOW.
count() {
	grep -c "^nestvm: debug: iopf: StreamID 0x10 PRG 1[0-3][0-9] cookie [0-9]* answered $1 ($2), the kernel took it" "$T/log"
}
mkfifo "$T/ctl"
# The payload's TIMEOUT_MS (firmware/iopf-guest/main.c): its silent steps wait past it.
"$MOCK" --sid 0x10 --timeout-ms 8000 -- timeout 300 "$NESTVM" run -v --kernel "$PAYLOAD" --viommu smmuv3 \
	--memory 64M --api-socket path="$T/api" < "$T/ctl" > "$T/raw" 2> "$T/log" &
mock=$!
exec 9>"$T/ctl"
flood=$(i=100; while [ $i -lt 140 ]; do echo "trigger $i $((i * 10000)) 3"; i=$((i + 1)); done)
steps_ok=1
for step in "1:trigger 1 10000 3" "2:trigger 2 20000 1" "3:trigger 3 30000 3
trigger 4 40000 3
trigger 5 50000 3" "4:trigger 6 60000 3" "5:$flood" "6:trigger 8 80000 3" "7:trigger 7 70000 3"; do
	n=${step%%:*}
	if ! raw_wait "# iopf-step $n" 120; then
		echo "# the payload never reached step $n"
		steps_ok=0
		break
	fi
	# The service's counters through the control API (vm.viommu) before PRG 8.
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
		# PRG 8 is in the guest's PRIQ, unanswered: nestvm is updated under it.
		if raw_wait "# iopf-pending 8" 120; then
			"$NESTVM" ctl --json "$T/api" update exec > "$T/update" 2>&1
			echo "exit $?" >> "$T/update"
		else
			echo "# PRG 8 never reached the guest's PRIQ"
			steps_ok=0
		fi
	fi
done
exec 9>&-
wait $mock
rc=$?
# The console (the payload's TAP) alone in out; nestvm's and iopf-mock's messages in log.
tr -d '\r' < "$T/raw" > "$T/out"
check "iopf-mock and nestvm exit 0 (the payload powered off)" [ "$rc" = 0 ] ||
	{ echo "#   exit status $rc"; show "$T/out" 20; show "$T/log" 20; }
check "the payload reached every step and the harness raised its page requests" [ "$steps_ok" = 1 ]
check "iopf-mock raised 48 page requests (IOMMU_TEST_OP_TRIGGER_IOPF)" \
	[ "$(grep -c '^iopf-mock: triggered grpid' "$T/log")" = 48 ] || show "$T/log" 20
check "nestvm put the mock device behind the vSMMU with a FAULT object" \
	grep -q 'IOMMUFD_TEST mock device [0-9]* is StreamID 0x10, its page requests through FAULT object' "$T/log"

payload_points "$T/out" payload 32

answered() { iopf_answered "$T/log" "$@"; }
check "PRG 1: the guest's Success reached the kernel as SUCCESS with the group's cookie" answered 1 SUCCESS guest
check "PRG 2: the guest's Denied reached the kernel as INVALID with the group's cookie" answered 2 INVALID guest
check "PRG 3: queued, then answered SUCCESS by the guest" answered 3 SUCCESS guest
check "PRG 4: queued, then answered SUCCESS by the guest" answered 4 SUCCESS guest
check "PRG 5: the full PRIQ discarded it; the kernel got the automatic SUCCESS (retry)" answered 5 SUCCESS overflow
check "PRG 6: the silent guest's group was answered INVALID at the timeout" answered 6 INVALID timeout
check "PRG 6: the guest's late answer was ignored" \
	grep -q "StreamID 0x10 answered PRG 6, which awaits no answer" "$T/log"
# count CODE REASON: answers of the flood's PRGs (100-139) with CODE for REASON the kernel took.
check "flood: 8 of the 40 answered SUCCESS at once by nestvm's bound (32 per device await the guest)" \
	[ "$(count SUCCESS limit)" = 8 ] || echo "#   $(count SUCCESS limit)"
check "flood: the 32 kept ones answered INVALID at the timeout" [ "$(count INVALID timeout)" = 32 ] ||
	echo "#   $(count INVALID timeout)"
check "flood: PRG 100 and 131 kept, PRG 132 and 139 answered by the bound" sh -c '
	f() { grep -q "iopf: StreamID 0x10 PRG $1 cookie [0-9]* answered $2" "$3"; }
	f 100 "INVALID (timeout)" "$0" && f 131 "INVALID (timeout)" "$0" &&
	f 132 "SUCCESS (limit)" "$0" && f 139 "SUCCESS (limit)" "$0"' "$T/log"
check "PRG 7: in flight at power-off, answered INVALID at shutdown" answered 7 INVALID shutdown
check "update exec with PRG 8 awaiting the guest: exit 0, the phases ($(head -c 200 "$T/update"))" \
	sh -c "grep -q '\"phases_us\":{\"pause\":' '$T/update' && grep -qx 'exit 0' '$T/update'" || show "$T/update"
check "PRG 8: read before the update, carried across it, answered SUCCESS by the guest after it with cookie $(iopf_cookie "$T/log" 8)" \
	iopf_carried "$T/log" 8 || { grep -n 'PRG 8\|adopted FAULT' "$T/log" | sed 's/^/#   /'; }
check "... the new process took the mock device's HWPTs and the FAULT object over (no new ones)" \
	grep -q 'smmuv3: IOMMUFD_TEST mock device [0-9]* is StreamID 0x10, its page requests through FAULT object [0-9]* (adopted)' "$T/log" ||
	show "$T/log" 20
# vm.viommu before step 6: 46 groups, 4 answered by the guest (PRG 1-4), 1 on overflow (PRG 5), 8 by
# the bound, 33 at the timeout (PRG 6 and the flood's 32); SUCCESS 3 + 1 + 8, INVALID 1 + 33; 1 late.
check "vm.viommu counts every group and answer (\"iopf\")" sh -c "grep -q '\"iopf\":{\"fault_id\":[0-9]*,\"timeout_ms\":8000,\"groups\":46,\"pending\":0,\"answered\":{\"guest\":4,\"overflow\":1,\"limit\":8,\"timeout\":33,\"removal\":0,\"shutdown\":0,\"unknown-device\":0},\"success\":12,\"invalid\":34,\"late_answers\":1,\"latency_us\":{\"n\":4,\"median\":[0-9]*,\"p99\":[0-9]*,\"max\":[0-9]*}}' '$T/viommu.json'" ||
	show "$T/viommu.json"
check "no answer was refused by the kernel or failed" \
	sh -c "! grep -q 'iopf: writing the\|holds no such group\|reading the fault queue' '$T/log'" || show "$T/log" 40
# The evidence: what nestvm read from the fault fd and what it wrote back (the flood's 80 lines left out).
grep 'iopf: ' "$T/log" | grep -v ' PRG 1[0-3][0-9] ' | sed 's/^/# /'
done_testing
