#!/usr/bin/env bash
# The nestvm command line on this machine (the native ASan/UBSan build): usage errors are one line
# and exit 2, help texts exit 0, and `nestvm host` tells whether KVM/iommufd are usable (0 or 5).
. "$(dirname "$0")/tap.sh"
nv=${NESTVM:-$TOP/build/nestvm}

expect_fail "no command" 2 "^nestvm: no command given \\(see 'nestvm help'\\)$" "$nv"
expect_fail "unknown command" 2 "^nestvm: unknown command 'frobnicate' \(see 'nestvm help'\)$" "$nv" frobnicate
expect_fail "help for an unknown command" 2 "unknown command 'nope'" "$nv" help nope
expect_fail "run: unknown option" 2 "^nestvm: run: --bogus: unknown option" "$nv" run --bogus
expect_fail "run: no kernel" 2 "^nestvm: run: --kernel: is required" "$nv" run
expect_fail "run: --cpus 0" 2 "--cpus 0: must be a number from 1 to" "$nv" run --kernel /dev/null --cpus 0
expect_fail "run: bad memory size" 2 "--memory lots" "$nv" run --kernel /dev/null --memory lots
expect_fail "version: stray argument" 2 "version takes no arguments" "$nv" version extra
expect_fail "host: stray argument" 2 "unexpected argument 'x'" "$nv" host x

for c in "--help" "help run" "run --help" "version --help" "host --help"; do
	# shellcheck disable=SC2086
	if "$nv" $c > "$T/out" 2>&1 && grep -q usage "$T/out"; then ok "'nestvm $c' prints usage"; else not_ok "'nestvm $c'"; fi
done
if "$nv" version | grep -Eq '^nestvm [0-9.]+ \((x86_64|arm64), built against Linux uAPI 7\.2\)$'; then
	ok "version"; else not_ok "version: $("$nv" version 2>&1)"; fi
"$nv" host > "$T/out" 2> "$T/err"; rc=$?
if [ -e /dev/kvm ] && [ -e /dev/iommu ]; then
	if [ $rc = 0 ] && grep -q '^kvm: /dev/kvm API 12' "$T/out"; then ok "host: KVM and iommufd usable"; else not_ok "host: status $rc"; fi
else
	# Whichever of /dev/kvm and /dev/iommu is missing is named, with a hint, and the status is 5.
	missing=/dev/kvm; [ -e /dev/kvm ] && missing=/dev/iommu
	if [ $rc = 5 ] && grep -q "open $missing (" "$T/err"; then ok "host without $missing: status 5 and a hint"
	else not_ok "host without $missing: status $rc"; sed 's/^/#   /' "$T/err"; fi
fi
done_testing
