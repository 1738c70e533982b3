# TAP helpers for the host-side tests of our tools (tests/tools/*.sh, bash). Sourced.
# shellcheck shell=bash
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
t_n=0 t_fail=0
T=$(mktemp -d /tmp/nestvm-tools-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
ok() { t_n=$((t_n + 1)); echo "ok $t_n - $*"; }
not_ok() { t_n=$((t_n + 1)); t_fail=$((t_fail + 1)); echo "not ok $t_n - $*"; }
# expect_fail DESC STATUS PATTERN CMD...: CMD must exit with STATUS and end with ONE error line on
# stderr (progress lines before it are fine) that matches PATTERN (grep -E).
expect_fail() {
	local d=$1 want=$2 pat=$3 rc; shift 3
	"$@" > "$T/out" 2> "$T/err"; rc=$?
	local last; last=$(grep -v ': booting ' "$T/err" | tail -n 1)
	if [ "$rc" = "$want" ] && [ "$(grep -vc ': booting ' "$T/err")" = 1 ] && grep -Eq -- "$pat" <<< "$last"; then
		ok "$d"
	else
		not_ok "$d"
		echo "#   status $rc (want $want), stderr:"; sed 's/^/#     /' "$T/err" | tail -n 5
	fi
}
done_testing() { echo "1..$t_n"; [ "$t_fail" = 0 ]; }
