# The control API (docs/api.md) on a running L2: `nestvm ctl` for info, counters, pause (the
# guest's console counter stops), resume (it goes on), shutdown (nestvm exits 0); the same with
# Debian's curl --unix-socket (status codes, headers, JSON), as a script would; api_probe for
# what ctl never sends: garbage, unknown endpoint, wrong method, huge body, half a request then
# silence, 100 clients at once, all answered or dropped while the guest keeps counting. Then the
# pause round trip (median, p99) with 2 and 1 vCPUs, and the event stream's lines.
. tests/testhost/lib.sh

PROBE=/nestvm/build-testhost/$NESTVM_ARCH/api_probe
S=$T/api.sock EV=$T/events
# The counter and the guest's uptime (centiseconds) with it: what the guest's clock saw of a pause.
GCMD='i=0; while :; do i=$((i + 1)); read u _ < /proc/uptime; echo "nestvm-tick $i ${u%.*}${u#*.}"; usleep 200000; done'
CTL() { "$NESTVM" ctl "$@"; }
# The guest's last counter value on its console (lines end in CR LF there).
tick() { lines "$T/out" | sed -n 's/^nestvm-tick \([0-9][0-9]*\) [0-9]*$/\1/p' | tail -n1; }
# up_at N: the guest's uptime (cs) printed with tick N
up_at() { lines "$T/out" | sed -n "s/^nestvm-tick $1 \([0-9][0-9]*\)$/\1/p" | tail -n1; }
# the guest's uptimes never decrease
monotonic() { lines "$T/out" | sed -n 's/^nestvm-tick [0-9]* \([0-9][0-9]*\)$/\1/p' |
	{ p=0; while read -r u; do [ "$u" -ge "$p" ] || return 1; p=$u; done; }; }
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
one_of() { v=$1; shift; for x in "$@"; do [ "$v" = "$x" ] && return 0; done; return 1; }
alive() { [ -e "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
# wait_tick N SECS: until the counter reaches N
wait_tick() { i=0; while [ "$(tick)" -lt "$1" ] 2>/dev/null || [ -z "$(tick)" ]; do
	[ $i -ge $(($2 * 10)) ] && return 1; alive "$pid" || return 1; usleep 100000; i=$((i + 1)); done; }
now_cs() { read -r up _ < /proc/uptime; echo "${up%.*}${up#*.}"; }

boot() {  # boot CPUS: nestvm in the background, the guest counting on its console
	rm -f "$T/out" "$EV"
	"$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --cpus "$1" --disk path="$T/disk" \
		--cmdline "loglevel=1 panic=-1 nestvm.gcmd=$(printf '%s' "$GCMD" | base64 -w0)" \
		--api-socket path="$S" --event-monitor path="$EV" < /dev/null > "$T/out" 2>&1 &
	pid=$!
	wait_tick 3 300
}
stop_rc() {  # waits for nestvm (killing it after 60 s); its exit status
	i=0; while alive "$pid" && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done
	alive "$pid" && kill -KILL "$pid"
	wait "$pid"
}

dd if=/dev/zero of="$T/disk" bs=1024 count=1024 2>/dev/null

# --- 2 vCPUs: everything ---
check "L2 (2 vCPUs, --api-socket) boots and counts on its console" boot 2 || show "$T/out"
check "the socket is owner-only" sh -c "ls -l '$S' | grep -q '^srw-------'"
CTL "$S" ping > "$T/c" 2>&1; check "ctl ping: exit 0 with the version" grep -q '^version: ' "$T/c" || show "$T/c"
CTL "$S" info > "$T/c" 2>&1
check "ctl info: Running, 2 vCPUs, devices with PCI addresses" sh -c \
	"grep -q '^state: Running' '$T/c' && grep -q '^config.cpus.boot_vcpus: 2' '$T/c' && grep -q 'pci_bdf: 0000:00:' '$T/c'" || show "$T/c"
CTL --json "$S" info > "$T/c" 2>&1
check "ctl --json info: the JSON (state, device_tree)" sh -c \
	"grep -q '\"state\":\"Running\"' '$T/c' && grep -q '\"device_tree\":{' '$T/c'" || show "$T/c"
CTL "$S" counters > "$T/c" 2>&1; check "ctl counters: exit 0" grep -q '^vmm.pauses: 0' "$T/c" || show "$T/c"
CTL "$S" viommu > "$T/c" 2>&1; check "ctl viommu: no vIOMMU here" grep -q '^front_end: none' "$T/c" || show "$T/c"

t0=$(now_cs)
CTL "$S" pause > "$T/c" 2>&1; rc=$?; t1=$(now_cs)
check "ctl pause: exit 0 ($(( (t1 - t0) * 10 )) ms round trip)" [ $rc = 0 ] || show "$T/c"
sleep 1; c1=$(tick); sleep 3; c2=$(tick)
check "paused: the guest's counter stops (${c1:-none} -> ${c2:-none} over 3 s)" same "$c1" "$c2" ||
	{ ls -la "$T"; tail -n 5 "$T/out" | od -c | tail -n 5; }
CTL "$S" info > "$T/c" 2>&1; check "ctl info: Paused" grep -q '^state: Paused' "$T/c"
CTL "$S" pause > "$T/c" 2>&1; rc=$?
check "a second pause is refused (exit $rc, 409)" sh -c "[ $rc = 1 ] && grep -q 409 '$T/c'" || show "$T/c"
CTL "$S" resume > "$T/c" 2>&1; check "ctl resume: exit 0" [ $? = 0 ] || show "$T/c"
t2=$(now_cs)
check "resumed: the counter goes on past ${c2:-none}" wait_tick $((c2 + 3)) 120
# What the guest's clock saw (docs/api.md): it runs on through a pause on both arches. Reported,
# not judged: the clocksource the guest picked decides; never going back is the requirement.
u1=$(up_at "$c2") u2=$(up_at $((c2 + 1)))
echo "# guest uptime across a $(( (t2 - t1) / 100 )).$(( (t2 - t1) % 100 / 10 )) s pause: ${u1:-?} -> ${u2:-?} cs"
check "the guest's clock never went backwards" monotonic
CTL "$S" counters > "$T/c" 2>&1; check "counters: one pause recorded" grep -q '^vmm.pauses: 1' "$T/c" || show "$T/c"

# --- the same through Debian's curl (tools/testhost/lib.sh th_curl_bundle), as scripts drive it ---
CB=/nestvm/build-testhost/peer/curl-$NESTVM_ARCH
# curl_api METHOD ENDPOINT: the HTTP status; the body in $T/b, the headers in $T/h
curl_api() { "$CB"/lib/ld-linux-* --library-path "$CB/lib" "$CB/curl" -sS --max-time 30 --unix-socket "$S" \
	-X "$1" -o "$T/b" -D "$T/h" -w '%{http_code}' "http://localhost/api/v1/$2" 2> "$T/curl.err"; }
has() { grep -q "$1" "$T/b"; }
if [ ! -x "$CB/curl" ]; then
	skip "no curl bundle in $CB (tools/testhost/run makes it)" "curl: ping, info, counters, pause, resume"
	CB=
else
	r=$(curl_api GET vmm.ping); check "curl GET vmm.ping: $r, JSON with the version" sh -c \
		"[ '$r' = 200 ] && grep -q '\"version\":\"' '$T/b' && grep -qi '^content-type: application/json' '$T/h'" ||
		{ show "$T/b"; show "$T/curl.err"; }
	r=$(curl_api GET vm.info); check "curl GET vm.info: $r, Running with 2 vCPUs" sh -c \
		"[ '$r' = 200 ] && grep -q '\"state\":\"Running\"' '$T/b' && grep -q '\"boot_vcpus\":2' '$T/b'" || show "$T/b"
	r=$(curl_api GET vm.counters); check "curl GET vm.counters: $r, one pause so far" sh -c \
		"[ '$r' = 200 ] && grep -q '\"vmm\":{\"pauses\":1,' '$T/b'" || show "$T/b"
	r=$(curl_api PUT vm.pause); check "curl PUT vm.pause: $r (204, no body)" sh -c "[ '$r' = 204 ] && [ ! -s '$T/b' ]"
	sleep 1; c1=$(tick); sleep 3; c2=$(tick)
	check "paused by curl: the guest's counter stops (${c1:-none} -> ${c2:-none} over 3 s)" same "$c1" "$c2"
	r=$(curl_api GET vm.info); check "curl GET vm.info: Paused" sh -c "[ '$r' = 200 ] && grep -q '\"state\":\"Paused\"' '$T/b'"
	r=$(curl_api PUT vm.pause); check "curl PUT vm.pause again: $r (409, with a reason)" sh -c "[ '$r' = 409 ] && [ -s '$T/b' ]"
	r=$(curl_api GET vm.pause); check "curl GET vm.pause: $r (405, Allow: PUT)" sh -c \
		"[ '$r' = 405 ] && grep -qi '^allow: PUT' '$T/h'" || show "$T/h"
	r=$(curl_api PUT vm.resume); check "curl PUT vm.resume: $r (204)" [ "$r" = 204 ]
	check "resumed by curl: the counter goes on past ${c2:-none}" wait_tick $((c2 + 3)) 120
	r=$(curl_api PUT vm.resume); check "curl PUT vm.resume when running: $r (409)" [ "$r" = 409 ]
	r=$(curl_api GET vm.counters); check "curl GET vm.counters: two pauses recorded" sh -c \
		"[ '$r' = 200 ] && grep -q '\"pauses\":2,' '$T/b'" || show "$T/b"
fi

# --- bad requests: each answered or dropped; the guest keeps counting throughout ---
c1=$(tick)
r=$(printf 'garbage\r\n\r\n' | "$PROBE" "$S" raw); check "garbage: $r" one_of "$r" "status 400" closed
r=$(printf 'GET /api/v1/vm.nothing HTTP/1.1\r\nHost: x\r\n\r\n' | "$PROBE" "$S" raw); check "unknown endpoint: $r" [ "$r" = "status 404" ]
r=$(printf 'POST /api/v1/vm.info HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n' | "$PROBE" "$S" raw)
check "wrong method: $r" [ "$r" = "status 405" ]
r=$(printf 'PUT /api/v1/vm.pause HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n' | "$PROBE" "$S" raw)
check "huge body: $r" [ "$r" = "status 413" ]
r=$(printf 'PUT /api/v1/vm.pause HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n{"a":' | "$PROBE" "$S" raw)
check "malformed JSON body: $r" [ "$r" = "status 400" ]
# Hot-plug itself is hotplug.sh's; here: a body without a path is refused, and a VM started without
# --hotplug-slots has nowhere to put a device.
r=$(printf 'PUT /api/v1/vm.add-device HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}' | "$PROBE" "$S" raw)
check "vm.add-device without a path: $r" [ "$r" = "status 400" ]
r=$(printf 'PUT /api/v1/vm.add-device HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n{"path":"/nodev"}' | "$PROBE" "$S" raw)
check "vm.add-device without hot-plug slots: $r" [ "$r" = "status 409" ]
"$PROBE" "$S" hold 30 'GET /api/v1/vm' > "$T/hold" &
hp=$!
CTL "$S" ping > /dev/null 2>&1; check "a client is served while another sits on half a request" [ $? = 0 ]
wait $hp; r=$(cat "$T/hold")
check "the half request is dropped at the server's timeout: $r" sh -c "echo '$r' | grep -q '^closed after'"
r=$("$PROBE" "$S" crowd 100)
check "100 clients at once: $r" sh -c "echo '$r' | grep -q 'other 0' && ! echo '$r' | grep -q 'answered 0 '"
check "the guest kept counting through all of it (${c1:-none} -> $(tick))" wait_tick $((c1 + 5)) 120
CTL "$S" ping > /dev/null 2>&1; check "the server still answers" [ $? = 0 ]

r=$("$PROBE" "$S" pause 20); check "pause/resume x20 with 2 vCPUs" [ $? = 0 ]; echo "# 2 vCPUs: $r"
CTL "$S" shutdown > "$T/c" 2>&1; check "ctl shutdown: exit 0" [ $? = 0 ] || show "$T/c"
stop_rc; rc=$?
check "nestvm exits 0 after vm.shutdown (exit $rc)" [ $rc = 0 ] || show "$T/out"
for e in booting booted pausing paused resuming resumed shutdown; do
	grep -q "\"source\":\"vm\",\"event\":\"$e\"" "$EV" || missing="$missing $e"
done
check "event monitor: vm events${missing:+ (missing:$missing)}" [ -z "$missing" ] || show "$EV"
check "event monitor: one JSON object per line" sh -c "! grep -v '^{\"timestamp\":{\"secs\":[0-9]*,\"nanos\":[0-9]*},\"source\":\"[a-z]*\",\"event\":\"[a-z]*\",\"properties\":.*}$' '$EV'" || show "$EV"

# --- 1 vCPU: the pause latency, and vmm.shutdown ---
check "L2 (1 vCPU) boots" boot 1 || show "$T/out"
r=$("$PROBE" "$S" pause 20); check "pause/resume x20 with 1 vCPU" [ $? = 0 ]; echo "# 1 vCPU: $r"
if [ -n "$CB" ]; then
	r=$(curl_api PUT vm.shutdown); check "curl PUT vm.shutdown: $r (204)" [ "$r" = 204 ]
	stop_rc; rc=$?
	check "nestvm exits 0 after curl's vm.shutdown (exit $rc)" [ $rc = 0 ] || show "$T/out"
else
	CTL "$S" vmm-shutdown > "$T/c" 2>&1; check "ctl vmm-shutdown: exit 0" [ $? = 0 ] || show "$T/c"
	stop_rc; rc=$?
	check "nestvm exits 0 after vmm.shutdown (exit $rc)" [ $rc = 0 ] || show "$T/out"
fi
done_testing
