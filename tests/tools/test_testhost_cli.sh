#!/usr/bin/env bash
# Bad input to the testhost scripts: each case ends with one error line saying what to do and a
# distinct non-zero status (tools/testhost/run: 2 usage, 3 missing parts, 124 timeout, 125 panic).
. "$(dirname "$0")/tap.sh"
run=$TOP/tools/testhost/run
kit=${NESTVM_TESTHOST_KIT:-}

expect_fail "unknown option" 2 "unknown option '--frobnicate'" "$run" --arch arm64 --frobnicate -- true
expect_fail "unknown arch" 2 "unknown arch 'sparc'" "$run" --arch sparc -- true
expect_fail "no command" 2 "no command given" "$run" --arch arm64
expect_fail "non-numeric timeout" 2 "'soon' is not a number" "$run" --arch arm64 --timeout soon -- true

# A kit with a file missing: copy the real kit's arm64 part without its kernel.
mkdir -p "$T/kit/arm64"
expect_fail "kit file missing" 3 "kit file .*/arm64/Image is missing" \
	env NESTVM_TESTHOST_KIT="$T/kit" "$run" --arch arm64 -- true
expect_fail "kit without the arch" 3 "has no x86_64/" \
	env NESTVM_TESTHOST_KIT="$T/kit" "$run" --arch x86_64 -- true

# A kit is used only if it was built with every kernel patch the arch needs (lib.sh th_kit_missing):
# one that recorded only the all-arch patches lacks x86_64's; one that records none is taken as is.
missing() { NESTVM_TESTHOST_KIT=$1 bash -c '. "$0/tools/testhost/lib.sh"; th_kit_missing "$1"' "$TOP" "$2"; }
mkdir -p "$T/kit2/patches" && cp "$TOP"/tools/testhost/patches/*.patch "$T/kit2/patches/"
m=$(missing "$T/kit2" x86_64)
if [ -n "$(ls "$TOP"/tools/testhost/patches/x86_64/*.patch 2>/dev/null)" ]; then
	[ -n "$m" ] && [ -f "$TOP/tools/testhost/patches/x86_64/$m" ] && ok "a kit without x86_64's patches lacks $m" ||
		not_ok "a kit without x86_64's patches: th_kit_missing said '$m'"
fi
m=$(missing "$T/kit2" arm64)
[ -z "$m" ] && ok "... it has all of arm64's" || not_ok "... arm64: th_kit_missing said '$m'"
cp "$TOP"/tools/testhost/patches/x86_64/*.patch "$T/kit2/patches/" 2>/dev/null
m=$(missing "$T/kit2" x86_64)
[ -z "$m" ] && ok "... and with them copied in, x86_64's too" || not_ok "... with them: th_kit_missing said '$m'"
echo "changed" >> "$T/kit2/patches/$(ls "$TOP"/tools/testhost/patches/*.patch | head -n1 | sed 's|.*/||')"
m=$(missing "$T/kit2" arm64)
[ -n "$m" ] && ok "a patch that differs from ours counts as missing ($m)" || not_ok "a changed patch was taken"
m=$(missing "$T/kit" x86_64)
[ -z "$m" ] && ok "a kit that records no patches is taken as it is" || not_ok "a kit without patches/: '$m'"

# QEMU missing: a PATH with everything but qemu-system-*.
mkdir -p "$T/bin"
for d in /usr/local/bin /usr/bin /bin; do
	for f in "$d"/*; do
		case ${f##*/} in qemu-system-*) continue ;; esac
		[ -e "$T/bin/${f##*/}" ] || ln -s "$f" "$T/bin/${f##*/}"
	done
done
expect_fail "QEMU missing" 3 "qemu-system-aarch64 not found: run tools/setup" env PATH="$T/bin" "$run" --arch arm64 -- true

# Real L1 boots: a command's status comes back; a timeout and a kernel panic are told apart.
"$run" --arch arm64 --quiet --timeout 120 -- 'exit 7' 2>/dev/null
rc=$?; if [ $rc = 7 ]; then ok "L1 command status is returned (7)"; else not_ok "L1 command status: got $rc, want 7"; fi
expect_fail "L1 timeout" 124 "L1 timed out after 3s" "$run" --arch arm64 --quiet --timeout 3 -- 'sleep 600'
expect_fail "L1 kernel panic" 125 "L1 kernel panicked: .*Kernel panic" \
	"$run" --arch x86_64 --quiet --timeout 120 --append 'rdinit=/nonexistent root=/dev/nonexistent' -- true
done_testing
