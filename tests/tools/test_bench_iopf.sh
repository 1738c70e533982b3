#!/usr/bin/env bash
# tools/bench/iopf's command line and its summary of a run's log (--from-log: the lines the L1
# script prints -> ratios and JSON), and the usage errors of its two probes, tools/bench/iopf_bare
# and iopf-mock's bench command (their measurements need the testhost's CONFIG_IOMMUFD_TEST kernel).
. "$(dirname "$0")/tap.sh"
bench=$TOP/tools/bench/iopf
bare=${IOPF_BARE:-$TOP/build/iopf_bare}
mock=${IOPF_MOCK:-$TOP/build/iopf-mock}

expect_fail "bench iopf: unknown option" 2 "unknown option '--fast'" "$bench" --fast
expect_fail "bench iopf: --requests 0" 2 "--requests needs a positive number" "$bench" --requests 0
expect_fail "bench iopf: --window 1" 2 "--window is 2\.\.31" "$bench" --window 1
expect_fail "bench iopf: --window 32 (nestvm keeps 32 per device)" 2 "--window is 2\.\.31" "$bench" --window 32
expect_fail "bench iopf: arm64 has no L2 program on this chain" 2 "--arch arm64: the chain with an L2 program is x86_64" \
	"$bench" --arch arm64
expect_fail "bench iopf: --from-log of a missing file" 2 "--from-log: cannot read" "$bench" --from-log "$T/none"
if "$bench" --help | grep -q 'bare fault-fd read/respond loop'; then ok "bench iopf: --help says what the baseline is"
else not_ok "bench iopf: --help"; fi

# A run's log as the L1 script prints it (console noise, \r line ends).
log() {
	cat <<EOF
[    3.1] some console line
bench-raw: bare-latency iopf_bare: bench N=200 K=1 wall_us=4000 faults_per_s=50000.0 median_us=18 p99_us=40 max_us=90
bench-raw: bare-window iopf_bare: bench N=200 K=16 wall_us=2000 faults_per_s=100000.0 median_us=60 p99_us=120 max_us=150
bench-raw: bare-thread-latency iopf_bare: bench N=200 K=1 wall_us=8000 faults_per_s=25000.0 median_us=36 p99_us=80 max_us=99
bench-raw: bare-thread-window iopf_bare: bench N=200 K=16 wall_us=2500 faults_per_s=80000.0 median_us=70 p99_us=130 max_us=160
# vtd_prq bench: answered 400 of 400
bench-raw: nestvm-latency iopf-mock: bench N=200 K=1 wall_us=2000000 faults_per_s=100.0 median_us=9000 p99_us=20000 max_us=30000 not_guest=${1:-0}
bench-raw: nestvm-window iopf-mock: bench N=200 K=16 wall_us=1000000 faults_per_s=400.0 median_us=70000 p99_us=90000 max_us=95000 not_guest=0
bench-raw: nestvm-service n=200 median_us=8000 p99_us=19000 max_us=29000
EOF
}
log | sed 's/$/\r/' > "$T/run.log"
if out=$("$bench" --from-log "$T/run.log" --json "$T/b.json" 2>&1); then ok "bench iopf --from-log: summarised"
else not_ok "bench iopf --from-log: $out"; fi
grep -q '^bench: iopf round trip, 200 requests one at a time: bare median 18 us (p99 40), nestvm+vVT-d+L2 median 9000 us (p99 20000), nestvm/bare = 500.00 (p99 500.00)$' <<< "$out" &&
	ok "round trip: medians, p99 and the ratio nestvm/bare" || not_ok "round-trip line: $out"
grep -q '^bench: iopf faults/s, 200 requests at most 16 unanswered: bare 100000.0, nestvm+vVT-d+L2 400.0, nestvm/bare = 0.004 (one at a time: bare 50000.0, nestvm 100.0, 0.002)$' <<< "$out" &&
	ok "faults/s: windowed and one at a time, ratios below 1 to 3 digits" || not_ok "faults/s line: $out"
grep -q '^bench: iopf round trip against the bare loop with a responder thread: bare median 36 us (p99 80), nestvm/bare = 250.00 (p99 250.00); faults/s at most 16 unanswered: bare 80000.0, nestvm/bare = 0.005$' <<< "$out" &&
	ok "the baseline with a responder thread and its ratios" || not_ok "responder-thread line: $out"
grep -q '^bench: iopf nestvm service time (fault fd read -> response written, last 200): median 8000 us, p99 19000 us$' <<< "$out" &&
	ok "nestvm's own service time (vm.viommu latency_us)" || not_ok "service line: $out"
grep -q '^# vtd_prq bench: answered 400 of 400$' <<< "$out" && ok "the L1 script's comment lines are passed on" ||
	not_ok "comment lines: $out"
if python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["bench"] == "iopf" and j["arch"] == "x86_64" and j["requests"] == 200 and j["window"] == 16
assert j["bare"]["one_at_a_time"] == {"faults_per_s": 50000.0, "median_us": 18, "p99_us": 40, "max_us": 90}
assert j["nestvm"]["window"]["faults_per_s"] == 400.0 and j["nestvm"]["service"] == {"n": 200, "median_us": 8000, "p99_us": 19000, "max_us": 29000}
assert j["nestvm_over_bare"] == {"latency_median": 500.0, "latency_p99": 500.0, "faults_per_s": 0.004, "faults_per_s_one_at_a_time": 0.002}
assert j["bare_thread"]["window"] == {"faults_per_s": 80000.0, "median_us": 70, "p99_us": 130, "max_us": 160}
assert j["nestvm_over_bare_thread"] == {"latency_median": 250.0, "latency_p99": 250.0, "faults_per_s": 0.005}
' "$T/b.json" 2> "$T/py.err"; then ok "JSON: both modes, nestvm's service time and the ratios"
else not_ok "JSON: $(cat "$T/b.json") $(tail -n 2 "$T/py.err")"; fi

log 3 > "$T/bounds.log"
expect_fail "bench iopf: requests answered by nestvm's bounds, not the guest, fail the run" 1 \
	"nestvm-latency: 3 requests were answered by nestvm's bounds or timeout" "$bench" --from-log "$T/bounds.log" --json "$T/x.json"
log | grep -v bare-thread-window > "$T/short.log"
expect_fail "bench iopf: a log without a result fails" 1 "no bare-thread-window result in the log" \
	"$bench" --from-log "$T/short.log" --json "$T/x.json"
{ log; echo "bench: nestvm's window run failed"; } > "$T/failed.log"
expect_fail "bench iopf: a run the L1 script reported failed fails" 1 "benchmark failed" \
	"$bench" --from-log "$T/failed.log" --json "$T/x.json"

expect_fail "iopf_bare: no arguments" 2 "^usage: iopf_bare \[--thread\] N K" "$bare"
expect_fail "iopf_bare: K above 256" 2 "^usage: iopf_bare \[--thread\] N K" "$bare" 10 257
expect_fail "iopf_bare: N not a number" 2 "^usage: iopf_bare \[--thread\] N K" "$bare" 10x 1
expect_fail "iopf_bare: --thread still needs N K" 2 "^usage: iopf_bare \[--thread\] N K" "$bare" --thread 10
if [ -e /dev/iommu ]; then
	ok "iopf_bare without /dev/iommu # SKIP this machine has /dev/iommu"
else
	expect_fail "iopf_bare: no /dev/iommu is an error" 1 "^iopf_bare: /dev/iommu: No such file" "$bare" 10 1
fi
expect_fail "iopf-mock: usage names --bench and --function" 2 "^usage: iopf-mock \[--sid N\] \[--timeout-ms N\] \[--bench\] \[--function\] --" "$mock" --bench
done_testing
