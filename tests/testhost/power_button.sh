# vm.power-button (docs/api.md): `nestvm ctl SOCKET power-button` presses the machine's power button
# (x86_64: the ACPI GED notifies the PNP0C0C button; arm64: the PL061 line of gpio-keys' KEY_POWER)
# and the guest powers itself off: its kernel's button driver reports KEY_POWER, busybox acpid (the
# L2 init starts it, tools/testhost/guest-init) runs the power-key handler, and nestvm exits 0.
# Needs the drivers in the kit's kernel (tools/testhost/fragments: evdev, and ACPI_BUTTON or
# GPIO_PL061 + KEYBOARD_GPIO); with an older kit the press is still answered, the rest skipped.
. tests/testhost/lib.sh

S=$T/pb.sock
GCMD='i=0; while :; do i=$((i + 1)); echo "nestvm-tick $i"; sleep 1; done'
alive() { [ -e "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
tick() { tr -d '\r' < "$T/out" | sed -n 's/^nestvm-tick \([0-9][0-9]*\)$/\1/p' | tail -n1; }
wait_tick() { i=0; while [ "$(tick)" -lt "$1" ] 2>/dev/null || [ -z "$(tick)" ]; do
	[ $i -ge $(($2 * 10)) ] && return 1; alive "$pid" || return 1; usleep 100000; i=$((i + 1)); done; }
# waits up to $1 s for nestvm to exit; its status (255 if it had to be killed)
exit_within() { i=0; while alive "$pid" && [ $i -lt $(($1 * 10)) ]; do usleep 100000; i=$((i + 1)); done
	alive "$pid" && { kill -KILL "$pid"; wait "$pid"; return 255; }; wait "$pid"; }

cfg=/kit/$NESTVM_ARCH/config
if [ "$NESTVM_ARCH" = x86_64 ]; then need="CONFIG_INPUT_EVDEV=y CONFIG_ACPI_BUTTON=y"
else need="CONFIG_INPUT_EVDEV=y CONFIG_GPIO_PL061=y CONFIG_KEYBOARD_GPIO=y"; fi
missing=
for c in $need; do grep -qx "$c" "$cfg" 2>/dev/null || missing="$missing ${c%=y}"; done

# One vCPU: the button needs no more (and x86_64's known 2-vCPU triple fault of the emulated host,
# docs/testhost.md, stays out of this test).
"$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --cpus 1 \
	--cmdline "loglevel=1 panic=-1 nestvm.gcmd=$(printf '%s' "$GCMD" | base64 -w0)" \
	--api-socket path="$S" < /dev/null > "$T/out" 2>&1 &
pid=$!
check "L2 boots and counts on its console" wait_tick 2 300 || show "$T/out"
if [ -n "$missing" ]; then
	check "acpid is not started: the guest has no input device" sh -c "! grep -q 'nestvm-guest: acpid listening' '$T/out'"
else
	check "the guest has the power key (input device) and acpid listens" \
		grep -q 'nestvm-guest: acpid listening (.*event0' "$T/out" || show "$T/out"
fi
t0=$(cut -d' ' -f1 /proc/uptime)
"$NESTVM" ctl "$S" power-button > "$T/c" 2>&1; rc=$?
check "ctl power-button: exit 0 (204)" [ $rc = 0 ] || show "$T/c"
if [ -n "$missing" ]; then
	skip "the kit's kernel lacks$missing" "the guest powers off on the power button"
	check "the guest keeps running" wait_tick $(($(tick) + 2)) 60
	"$NESTVM" ctl "$S" shutdown > /dev/null 2>&1
	exit_within 60
else
	exit_within 120; rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	# Its power-key handler's line, and not the test command's end (which also powers off).
	check "the guest powers off on the power button: its power-key handler ran and nestvm exits 0 (status $rc, $(echo "$t0 $t1" |
		awk '{printf "%.1f", $2 - $1}') s after the press)" \
		sh -c "[ $rc = 0 ] && tr -d '\r' < '$T/out' | grep -q '^nestvm-guest: power button' &&
			! grep -q 'nestvm-guest: exit=' '$T/out'" || show "$T/out"
fi
done_testing
