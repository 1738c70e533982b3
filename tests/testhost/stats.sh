# nestvm run --stats: after a real guest boots to /init and powers off (or reboots), nestvm prints one
# `nestvm-stats:` line on stderr whose numbers hold together: a set-up time and a run time, exits
# counted (the guest's console alone makes hundreds), per-reason counts that sum to the total and
# per-reason times to the total handling time, and the exits this architecture must show. Without
# --stats there is no such line. No timing thresholds: TCG makes absolute times meaningless.
. tests/testhost/lib.sh

# field KEY LINE: the first number after " KEY=" in LINE.
field() { echo " $2" | sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p"; }

# sane NAME LINE VCPUS: the consistency checks of one stats line.
sane() {
	name=$1 s=$2 cpus=$3
	setup=$(field setup_us "$s") run=$(field run_us "$s") exits=$(field exits "$s") xus=$(field exit_us "$s")
	check "$name: vcpus=$cpus ($s)" [ "$(field vcpus "$s")" = "$cpus" ]
	check "$name: the set-up time to the first KVM_RUN is > 0 ($setup us)" [ "${setup:-0}" -gt 0 ]
	check "$name: the run time is > 0 ($run us)" [ "${run:-0}" -gt 0 ]
	check "$name: the guest made exits ($exits, $xus us handling them)" [ "${exits:-0}" -gt 0 ]
	# Handling time is part of each vCPU's run time.
	check "$name: handling time <= vCPUs x run time" [ "${xus:-1}" -le $((cpus * ${run:-0})) ]
	# The per-reason fields NAME=COUNT/US after exit_us=: counts sum to exits; each US is rounded
	# down on its own, so their sum is within one per reason of the total's.
	sums=$(echo "$s" | sed 's/.* exit_us=[0-9]*//' | tr ' ' '\n' | grep = |
		awk -F'[=/]' '{c += $2; u += $3; n++} END {print c + 0, u + 0, n + 0}')
	set -- $sums
	check "$name: per-reason counts sum to exits ($1 of $exits, $3 reasons)" [ "$1" = "$exits" ]
	check "$name: per-reason times sum to exit_us ($2 of $xus)" [ "$2" -le "${xus:-0}" -a $(($2 + $3)) -ge "${xus:-0}" ]
}

stats_line() { grep -o 'nestvm-stats:.*' "$1"; }

# One boot with the streams apart: the line is on stderr, alone, and the guest's console is not in it.
b64=$(printf true | base64 -w0)
timeout 300 "$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --memory 256M --stats \
	--cmdline "panic=-1 nestvm.gcmd=$b64" < /dev/null > "$T/up.out" 2> "$T/up.err"; rc=$?
check "up: nestvm exits 0 with --stats" [ "$rc" = 0 ] || { show "$T/up.out"; show "$T/up.err"; }
check "up: the guest reached /init" grep -q 'nestvm-guest: init reached' "$T/up.out"
check "up: exactly one stats line, on stderr" [ "$(grep -c '^nestvm-stats: ' "$T/up.err")" = 1 ] || show "$T/up.err"
check "up: no stats line on the guest's console" sh -c "! grep -q nestvm-stats '$T/up.out'"
s=$(stats_line "$T/up.err")
sane up "$s" 1
# The exits this architecture's boot cannot do without: the console (x86: 8250 port I/O; arm64: PL011
# MMIO) and the power-off (x86: the ACPI sleep register, port I/O; arm64: PSCI SYSTEM_OFF).
if [ "$NESTVM_ARCH" = arm64 ]; then
	check "up: arm64 exits include MMIO (the PL011)" [ "$(echo " $s" | sed -n 's/.* mmio=\([0-9]*\)\/.*/\1/p')" -gt 0 ]
	check "up: arm64 exits include the power-off system event" sh -c "echo '$s' | grep -q ' system_event=1/'"
else
	check "up: x86_64 exits include port I/O (the 8250)" [ "$(echo " $s" | sed -n 's/.* io=\([0-9]*\)\/.*/\1/p')" -gt 0 ]
fi

# Two vCPUs: both counted, summed into one line.
guest "$T/smp.out" true "" --cpus 2 --memory 256M --stats; rc=$?
check "smp: nestvm exits 0 with --stats" [ "$rc" = 0 ] || show "$T/smp.out"
sane smp "$(stats_line "$T/smp.out")" 2

# A guest reset ends the run another way (exit 3): the line is still printed.
GUEST_TIMEOUT=120 guest "$T/reset.out" 'reboot -f' "" --memory 128M --stats; rc=$?
check "reset: nestvm exits 3 and still prints its stats" sh -c "[ $rc = 3 ] && grep -q 'nestvm-stats: ' '$T/reset.out'" ||
	show "$T/reset.out"

# Off by default. Whatever ends the run (power-off, or the timeout's SIGTERM under heavy load: nestvm
# stops the guest the same way), nothing is printed.
guest "$T/off.out" true "" --memory 128M
check "without --stats: the guest ran, and no stats line" \
	sh -c "grep -q 'nestvm-guest: init reached' '$T/off.out' && ! grep -q nestvm-stats '$T/off.out'" || show "$T/off.out"
done_testing
