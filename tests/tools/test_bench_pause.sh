#!/usr/bin/env bash
# tools/bench/pause's command line, and api_probe's QMP client (qmp-pause, the peer side of the
# benchmark) against this machine's own QEMU: stop/cont round trips timed, then quit.
. "$(dirname "$0")/tap.sh"
probe=${API_PROBE:-$TOP/build/api_probe}
bench=$TOP/tools/bench/pause

expect_fail "bench pause: unknown option" 2 "unknown option '--fast'" "$bench" --fast
expect_fail "bench pause: --runs 0" 2 "--runs needs a positive number" "$bench" --runs 0
if "$bench" --help | grep -q 'QMP stop / cont'; then ok "bench pause: --help says what the peer does"
else not_ok "bench pause: --help"; fi

if ! command -v qemu-system-x86_64 > /dev/null; then
	ok "api_probe qmp-pause # SKIP no qemu-system-x86_64 on this machine"
	done_testing; exit
fi
# A microvm with no kernel (qboot runs and halts): enough for stop/cont.
qemu-system-x86_64 -M microvm -nodefaults -display none -m 64M -qmp unix:"$T/qmp.sock",server=on,wait=off \
	> "$T/qemu.out" 2>&1 &
q=$!
for _ in $(seq 50); do [ -S "$T/qmp.sock" ] && break; sleep 0.1; done
r=$(timeout 60 "$probe" "$T/qmp.sock" qmp-pause 5); rc=$?
if [ $rc = 0 ] && [[ "$r" =~ ^over\ 5:\ pause\ median\ [0-9]+\ us\ p99\ [0-9]+\ us.*resume\ median\ [0-9]+\ us ]]; then
	ok "api_probe qmp-pause: 5 stop/cont timed ($r)"
else
	not_ok "api_probe qmp-pause: status $rc: $r"
fi
for _ in $(seq 50); do kill -0 $q 2>/dev/null || break; sleep 0.1; done
if kill -0 $q 2>/dev/null; then not_ok "api_probe qmp-pause: QEMU did not quit"; kill -KILL $q; else ok "api_probe qmp-pause: then QEMU quit"; fi
wait $q 2>/dev/null
r=$(timeout 20 "$probe" "$T/none.sock" qmp-pause 5); rc=$?
if [ $rc = 1 ] && [ "$r" = "no QMP socket" ]; then ok "api_probe qmp-pause: no socket: exit 1"; else not_ok "no socket: $rc $r"; fi
done_testing
