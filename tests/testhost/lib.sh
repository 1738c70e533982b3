# Sourced by the testhost tests (tests/testhost/*.sh), which run INSIDE L1 under busybox sh (POSIX sh,
# no bash). Gives TAP helpers and `guest`, which boots an L2 guest with nestvm: the kit's kernel, the
# initramfs of tools/testhost/guest-initramfs, and a command for the guest's /init to run.
# shellcheck shell=sh
: "${NESTVM_ARCH:?tests/testhost scripts run inside the testhost (tools/testhost/run)}"
NESTVM=${NESTVM:-/nestvm/build-testhost/$NESTVM_ARCH/nestvm}
# GUEST_KERNEL and GUEST_INITRD may name another L2 kernel (e.g. a plain one beside a debug L1
# kernel in a kit copy) and initramfs.
if [ "$NESTVM_ARCH" = arm64 ]; then GUEST_KERNEL=${GUEST_KERNEL:-/kit/arm64/Image}
else GUEST_KERNEL=${GUEST_KERNEL:-/kit/x86_64/bzImage}; fi
GUEST_INITRD=${GUEST_INITRD:-/nestvm/build-testhost/guest/$NESTVM_ARCH.cpio.gz}
T=$(mktemp -d /tmp/t.XXXXXX)
t_n=0 t_fail=0

# l1_health: what is wrong with L1 itself, empty when nothing is. A failure's line carries it, since
# CI shows only the failing lines: an L2 that stalls on an L1 whose TSC the clocksource watchdog gave
# up on, or whose CPUs stall (RCU, soft lockups), is a testhost fault, not nestvm's.
l1_health() {
	local cs k notes=
	cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
	case "$cs" in tsc|arch_sys_counter) ;; *) notes="clocksource ${cs:-?}" ;; esac
	k=$(dmesg 2>/dev/null)
	echo "$k" | grep -q -i 'clocksource.*unstable\|TSC unstable' && notes="$notes; $(echo "$k" |
		grep -i -m1 -o 'Marking clocksource .* unstable\|TSC unstable.*' | tr -d "'")"
	echo "$k" | grep -q 'rcu.*self-detected stall\|rcu.*detected stalls' && notes="$notes; RCU stall"
	echo "$k" | grep -q 'soft lockup' && notes="$notes; soft lockup"
	echo "$k" | grep -q 'blocked for more than' && notes="$notes; hung task"
	echo "${notes#; }"
}
ok() { t_n=$((t_n + 1)); echo "ok $t_n - $*"; }
not_ok() {
	local h
	t_n=$((t_n + 1)) t_fail=$((t_fail + 1)); h=$(l1_health)
	echo "not ok $t_n - $*${h:+ [L1: $h]}"
}
skip() { t_n=$((t_n + 1)); echo "ok $t_n - $2 # SKIP $1"; }
# check DESC CMD...: one test point, passing when CMD succeeds. DESC is local: the tests' wait
# helpers set a global d (a deadline), which once printed a boot's point as "ok 1 - 309".
check() { local desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; return 1; fi; }
# show FILE: a failed test's evidence, as TAP comments.
show() { sed 's/^/#   /' "$1" | tail -n "${2:-30}"; }
# show_proc PID [SOCKET]: a VMM that stopped answering, as TAP comments: each thread's state, wait
# channel and syscall, its fds, and whether anything still listens on SOCKET (/proc/net/unix flag
# 00010000 is __SO_ACCEPTCON). A CI failure leaves nothing else behind.
show_proc() {
	[ -d "/proc/$1" ] || { echo "#   pid $1: gone"; return; }
	for t in /proc/$1/task/*; do
		echo "#   task ${t##*/}: $(cut -d' ' -f2,3 "$t/stat" 2>/dev/null) wchan=$(cat "$t/wchan" 2>/dev/null) syscall=$(cut -d' ' -f1 "$t/syscall" 2>/dev/null)"
	done
	ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/^.* \([0-9]* -> .*\)/#   fd \1/p'
	[ -z "$2" ] || grep -F " $2" /proc/net/unix | sed 's/^/#   unix /'
	[ -z "$2" ] || grep -qF " $2" /proc/net/unix || echo "#   no socket bound at $2"
}
done_testing() { echo "1..$t_n"; rm -rf "$T"; [ "$t_fail" = 0 ]; }

# guest OUT GCMD KCMDLINE [nestvm run options...]: boots L2 with its /init running GCMD, the console
# going to OUT, and returns nestvm's exit status. KCMDLINE is added to the guest kernel command line.
# nestvm's stdin is $GUEST_STDIN (default /dev/null); it is killed after $GUEST_TIMEOUT s (default 300).
guest() {
	# local (busybox ash has it): callers keep their own $gcmd, $out, ...
	local out=$1 gcmd=$2 kcmd=$3 b64 rc; shift 3
	b64=$(printf '%s' "$gcmd" | base64 -w0)
	timeout "${GUEST_TIMEOUT:-300}" "$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" \
		--cmdline "$kcmd panic=-1 nestvm.gcmd=$b64" "$@" < "${GUEST_STDIN:-/dev/null}" > "$out.raw" 2>&1
	rc=$?
	tr -d '\r' < "$out.raw" > "$out" && rm -f "$out.raw"
	return $rc
}
# secs: L1's uptime in whole seconds. Waits count against it, not loop turns: a turn reads the
# console log, which under load takes far longer than its sleep (a stalled L2 once kept a
# 300-"second" wait going for over 10 minutes).
secs() { read -r u _ < /proc/uptime; echo "${u%.*}"; }
# lines FILE: a console log still being written, CRs dropped, without its last line if that is
# not finished yet (a check that read "mono_ms 10" of a half-written "mono_ms 10934" saw the guest's
# clock go back). The marker goes onto the unfinished line, or alone after a finished one; either
# way the last line goes.
lines() { { cat "$1" 2>/dev/null; printf '\001\n'; } | tr -d '\r' | sed '$d'; }
# The guest's /init status (tools/testhost/guest-init prints it), or empty if it never got there.
# out_line FILE TEXT: FILE has a line that is exactly TEXT, alone or followed by a kernel message the
# console put on the same line ("TEXT[    8.92] pci ..."): L2's late boot messages interleave with
# what /init prints.
out_line() { tr -d '\r' < "$1" | sed 's/\[ *[0-9][0-9]*\.[0-9][0-9]*\].*$//' | grep -qxF -- "$2"; }
guest_exit() { sed -n 's/^nestvm-guest: exit=\([0-9]*\).*/\1/p' "$1" | tail -n1; }

# Bare-metal arm64 payloads (firmware/): payload_path NAME DESC sets PAYLOAD to the built payload,
# or emits the test point that says why there is none (skip off arm64, not_ok when unbuilt) and fails.
payload_path() {
	PAYLOAD=/nestvm/build-testhost/arm64/firmware/$1
	if [ "$NESTVM_ARCH" != arm64 ]; then
		skip "the payload is aarch64 bare metal" "$2"
		return 1
	fi
	[ -f "$PAYLOAD" ] || { not_ok "$2: payload $PAYLOAD is built (run tools/build arm64)"; return 1; }
}
# iopf_cookie LOG PRG: the cookie of PRG's last group of StreamID 0x10 as nestvm (-v) read it from
# the fault fd (docs/iopf.md; iopf.sh, iopf_vtd.sh).
iopf_cookie() { sed -n "s/^nestvm: debug: iopf: device [0-9]* (StreamID 0x10) PRG $2 cookie \([0-9]*\):.*/\1/p" "$1" | tail -n1; }
# iopf_answered LOG PRG CODE REASON: nestvm wrote (that cookie, CODE) back for REASON and the kernel took it.
iopf_answered() {
	local c
	c=$(iopf_cookie "$1" "$2")
	[ -n "$c" ] && grep -q "^nestvm: debug: iopf: StreamID 0x10 PRG $2 cookie $c answered $3 ($4), the kernel took it" "$1"
}
# iopf_carried LOG PRG: in that order, the old process read PRG's group, a new one (a live update)
# adopted the FAULT object with one group awaiting the guest, and the guest's SUCCESS went to the
# kernel with the cookie the old one read.
iopf_carried() {
	local c
	c=$(iopf_cookie "$1" "$2")
	[ -n "$c" ] && awk -v c="$c" -v g="$2" '
		index($0, "(StreamID 0x10) PRG " g " cookie " c ":") { r = NR }
		/iopf: adopted FAULT object [0-9]* with 1 group\(s\) awaiting the guest/ && r && !a { a = NR }
		index($0, "StreamID 0x10 PRG " g " cookie " c " answered SUCCESS (guest), the kernel took it") && a { ok = 1 }
		END { exit !ok }' "$1"
}
# payload_points OUT PREFIX MIN: re-emits each TAP point of a payload's output OUT as one of this
# script's own (prefixed), its diagnostics as comments, then checks it ran to its plan with at least
# MIN points and no Bail out.
payload_points() {
	local out=$1 pre=$2 min=$3 n=0 line desc plan
	while IFS= read -r line; do
		case "$line" in
		"ok "*" # SKIP "*)
			n=$((n + 1)); desc=${line#ok * - }
			skip "${desc##* # SKIP }" "$pre: ${desc% # SKIP *}" ;;
		"ok "*) n=$((n + 1)); ok "$pre: ${line#ok * - }" ;;
		"not ok "*) n=$((n + 1)); not_ok "$pre: ${line#not ok * - }" ;;
		"# "*) echo "# $pre: ${line#\# }" ;;
		esac
	done < "$out"
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | tail -n1)
	check "$pre: ran to its plan (1..$plan) with all $n points, at least $min, no Bail out" \
		sh -c "[ '$plan' = '$n' ] && [ '$n' -ge '$min' ] && ! grep -q '^Bail out!' '$out'" || show "$out"
}

# raw_wait PATTERN SECS: the console of a guest running in the background ($T/raw, CRs dropped) has a
# line starting with PATTERN within SECS seconds (iopf.sh, iopf_vtd.sh, iopf_linux.sh).
raw_wait() {
	local d=$(($(secs) + $2))
	while [ "$(secs)" -lt $d ]; do
		tr -d '\r' < "$T/raw" 2>/dev/null | grep -q "^$1" && return 0
		usleep 100000
	done
	return 1
}
# iopf_mock_or_end: MOCK, the test build's tools/iopf-mock for this arch; without it a failed point
# and the end of the script.
iopf_mock_or_end() {
	MOCK=/nestvm/build-testhost/$NESTVM_ARCH/iopf-mock
	[ -x "$MOCK" ] && return 0
	not_ok "iopf-mock is built (a test build: tools/build $NESTVM_ARCH sets -Diommufd_test=true)"
	done_testing
	exit $?
}
