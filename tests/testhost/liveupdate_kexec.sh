# Host kernel update by kexec through LUO (issue 12 (b), docs/liveupdate.md). Needs the L1 booted with
# `kho=on liveupdate=on` (tools/testhost/run --append 'kho=on liveupdate=on'); both arches; with
# `--edu 1` the VM also has edu assigned.
# Phase 1 (no argument): an L2 runs tests/guest/memcheck (a pattern over 32 MiB of its RAM, 8 on
# x86_64, where the nested L2 verifies 32 MiB in 20-30 s; verified every round, the round its
# counter), diskcheck on a virtio disk whose image is on the 9p share (it must outlive L1's RAM), and
# edu's DMA loop with MSIs through L2's iommufd behind the vIOMMU (--viommu smmuv3 on arm64, vtd on
# x86_64); refusals (a command line without liveupdate=on, a missing kernel, edu passed as an fd); a
# --rehearse (session, preserve, kexec_file_load and save, all undone: the VM goes on); then `nestvm
# ctl SOCKET update kexec` with the same kit kernel, an initramfs made of this L1's /init and
# busybox, and this L1's command line with nestvm.cmd= replaced by "sh THIS phase2": L1 reboots into
# it, its /init runs phase 2.
# Phase 2: a restore with a corrupt state (NESTVM_FAIL_AT=luo-corrupt-state, a private copy) is
# refused and the session stays retrievable; `nestvm restore --luo-session` then takes the VM back:
# memcheck goes on past the round it had, 0 bad words; the disk was opened again and diskcheck goes
# on clean; edu was opened, reset and re-initialised (Linux 7.2 cannot preserve it), the vIOMMU's
# host objects rebuilt from the guest's tables, and its DMA loop goes on with its MSIs, having lost
# at most the one DMA in flight at the reboot; the phases are printed; the session is finished (a
# third restore finds none). TAP numbering continues across the kexec (state in $P, on the 9p share).
. tests/testhost/lib.sh

P=/nestvm/build-testhost/luo-kexec D=/tmp/luo S=/tmp/luo/api.sock EV=/tmp/luo/events SESSION=lu-test
MIB=32; [ "$NESTVM_ARCH" = arm64 ] || MIB=8
DISK_W=2
if [ "$NESTVM_ARCH" = arm64 ]; then KERNEL=/kit/arm64/Image VIOMMU=smmuv3; else KERNEL=/kit/x86_64/bzImage VIOMMU=vtd; fi
CTL() { "$NESTVM" ctl "$@"; }
alive() { [ -e "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
round() { { tr -d '\r' < "$D/out"; } 2>/dev/null | sed -n 's/^memcheck: round \([0-9]*\) .*/\1/p' | tail -n1; }
bad() { { tr -d '\r' < "$D/out"; } 2>/dev/null | sed -n 's/^memcheck: round .* bad \([0-9]*\) .*/\1/p' | tail -n1; }
wait_round() { i=0; while [ "$(round)" -lt "$1" ] 2>/dev/null || [ -z "$(round)" ]; do
	[ $i -ge $(($2 * 10)) ] && return 1; alive "$pid" || return 1; usleep 100000; i=$((i + 1)); done; }
edu_at() { { tr -d '\r' < "$D/out"; } 2>/dev/null | sed -n 's/^edu-loop: round \([0-9]*\) bad \([0-9]*\) lost \([0-9]*\) .*/\1 \2 \3/p' | tail -n1; }
disk_lines() { { tr -d '\r' < "$D/out"; } 2>/dev/null | grep -c '^diskcheck: worker [0-9]* round '; }
disk_ok() { ! { tr -d '\r' < "$D/out"; } 2>/dev/null | grep -q '^diskcheck: BAD\|^diskcheck: worker .* \(bad [1-9]\|ioerr [1-9]\)\|cannot start'; }
# edu_wait R: the edu loop reaches round R within 120 s
edu_wait() { i=0; while e=$(edu_at); [ -z "$e" ] || [ "${e%% *}" -lt "$1" ]; do
	[ $i -ge 1200 ] && return 1; alive "$pid" || return 1; usleep 100000; i=$((i + 1)); done; }
# disk_goes_on N: 3 more rounds per worker past N lines within 180 s, all good
disk_goes_on() { i=0; while [ "$(disk_lines)" -lt $(($1 + 3 * DISK_W)) ]; do [ $i -ge 1800 ] && return 1
	alive "$pid" || return 1; usleep 100000; i=$((i + 1)); done; disk_ok; }
mono_at() { { tr -d '\r' < "$D/out"; } 2>/dev/null | sed -n "s/^memcheck: round $1 .* mono_ms \([0-9]*\).*/\1/p" | tail -n1; }
goes_on() { wait_round $(($1 + 3)) 120 && [ "$(bad)" = 0 ] && alive "$pid"; }
stop() { CTL "$S" shutdown > /dev/null 2>&1; i=0; while alive "$pid" && [ $i -lt 300 ]; do usleep 100000; i=$((i + 1)); done
	alive "$pid" && kill -KILL "$pid"; wait "$pid" 2>/dev/null; }
mkdir -p "$D"

if [ "${1:-}" = phase2 ]; then
	# --- phase 2, in the kexec'd kernel ---
	. "$P/phase1"
	echo "# phase 2: L1 booted by kexec; $(tr -d '\r' < "$P/reply" | head -c 400)"
	check "the new kernel offers /dev/liveupdate" [ -c /dev/liveupdate ]
	NESTVM_FAIL_AT=luo-corrupt-state "$NESTVM" restore --luo-session "$SESSION" > "$D/bad" 2>&1; rc=$?
	check "a corrupt state (a flipped bit): restore refuses (exit $rc), says why" \
		sh -c "[ $rc = 1 ] && grep -q 'refused: the state is refused (section-crc\|refused: the state is refused (header-crc' '$D/bad'" ||
		show "$D/bad"
	check "... and keeps the session for the next restore" grep -q 'stays unfinished' "$D/bad" || show "$D/bad"
	"$NESTVM" restore --luo-session "$SESSION" > "$D/out" 2>&1 &
	pid=$!
	check "nestvm restore --luo-session $SESSION: memcheck goes on past round $r0 with 0 bad words" \
		goes_on "$r0" || show "$D/out"
	echo "# memcheck after the restore: round $(round), bad $(bad)"
	check "the disk was opened again by its path: diskcheck goes on, no bad chunk, no I/O error" disk_goes_on 0 ||
		show "$D/out"
	if [ -n "$e0" ]; then
		set -- $e0; er=$1 eb=$2 el=$3
		check "edu was opened, reset and re-initialised behind the rebuilt $VIOMMU: its DMA loop goes on with its MSIs past round $er" \
			edu_wait $((er + 3)) || show "$D/out"
		set -- $(edu_at); e1r=${1:-0} e1b=${2:-0} e1l=${3:-0}
		# The function reset lost what only the device held: the DMA in flight at the reboot (its MSI
		# never comes: lost), or the device buffer of a round cut in two (bad). Nothing more.
		check "edu: ... the reset cost at most the DMA in flight (bad/lost $eb/$el at round $er, $e1b/$e1l at round $e1r)" \
			sh -c "[ $((e1b - eb)) -le 1 ] && [ $((e1l - el)) -le 1 ]"
		edu_clean() { edu_wait $((e1r + 3)) && set -- $(edu_at) && [ "$2/$3" = "$e1b/$e1l" ]; }
		check "edu: ... then every round clean (3 more, bad/lost stay $e1b/$e1l)" edu_clean || show "$D/out"
		echo "# edu loop after the restore: $(edu_at) (round, bad, lost)"
	fi
	tr -d '\r' < "$D/out" | grep '^memcheck: round' | head -n 3 | sed 's/^/#   first: /'
	tr -d '\r' < "$D/out" | grep '^memcheck: round' | tail -n 2 | sed 's/^/#   last: /'
	# What the guest saw: its clock from the round before the kexec to the first one after the restore.
	r1=$((r0 + 1)) m1=''
	while [ -z "$m1" ] && [ "$r1" -le "$(round)" ]; do m1=$(mono_at "$r1"); r1=$((r1 + 1)); done
	# (The step is the guest-visible pause plus the rounds run between r0 and the pause: an upper bound.)
	check "the guest's CLOCK_MONOTONIC went on across the kexec (round $r0 at ${m0:-?} ms, round $((r1 - 1)) at ${m1:-?} ms)" \
		sh -c "[ -n '$m0' ] && [ -n '$m1' ] && [ '$m1' -gt '$m0' ]"
	[ -n "$m0" ] && [ -n "$m1" ] && echo "# guest-visible step across the update: $((m1 - m0)) ms (at most; includes rounds before the pause)"
	check "... it continues the run it had (its first round after the restore, $((r1 - 1)), follows $r0), not a new one" \
		[ "$((r1 - 1))" -gt "$r0" ]
	grep -E '^(phase|pause|preserve|kexec_load|reboot|restore|resume) ' "$D/out" | tr -d '\r' | sed 's/^/# /'
	check "the restore printed every phase (text and JSON)" \
		sh -c "grep -q '^restore ' '$D/out' && grep -q '\"phases_us\":{\"pause\":[0-9]*,\"preserve\":[0-9]*,\"kexec_load\":[0-9]*,\"reboot\":' '$D/out'" ||
		show "$D/out"
	if [ "$NESTVM_ARCH" = arm64 ]; then
		check "... the reboot timed with the machine counter (CNTVCT_EL0 runs on across the kexec)" \
			grep -q '"reboot_clock":"counter"' "$D/out"
	fi
	CTL "$S" info > "$D/c" 2>&1
	check "ctl info on the restored VM: Running" grep -q '^state: Running' "$D/c" || show "$D/c"
	"$NESTVM" restore --luo-session "$SESSION" > "$D/third" 2>&1; rc=$?
	check "the session was finished: a second restore finds none (exit $rc)" \
		sh -c "[ $rc != 0 ] && grep -q 'RETRIEVE_SESSION\|retrieved already' '$D/third'" || show "$D/third"
	stop
	done_testing
	exit
fi

# --- phase 1 ---
rm -rf "$P"; mkdir -p "$P"
check "L1 has /dev/liveupdate (booted with kho=on liveupdate=on)" [ -c /dev/liveupdate ] ||
	{ done_testing; exit; }
"$NESTVM" host > "$D/host" 2>&1
check "nestvm host: this kernel preserves memfds across kexec, not iommufds (asked with a throwaway session)" \
	grep -q '^liveupdate: /dev/liveupdate: preserves across kexec: memfd (guest RAM) yes, iommufd no' "$D/host" ||
	show "$D/host"
# The new kernel's initramfs: this L1's own /init and busybox (the root is the unpacked initramfs).
(mkdir -p "$D/rootfs/bin" && cp /init "$D/rootfs/init" && cp /bin/busybox "$D/rootfs/bin/busybox" &&
	cd "$D/rootfs" && find . | cpio -o -H newc 2> /dev/null | gzip -1 > "$P/initrd.cpio.gz")
check "an initramfs for the new kernel ($(wc -c < "$P/initrd.cpio.gz") bytes)" [ -s "$P/initrd.cpio.gz" ]
edu_cdev=''
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && [ -z "$edu_cdev" ] && edu_cdev=/dev/vfio/devices/${v##*/}; done
done
if [ -n "$edu_cdev" ]; then
	# A manager's VFIO cdev (fd=) ends with this kernel and nestvm could not open it again: refused
	# before anything stops, so the VM need not even boot for it.
	rm -f "$D/out" "$S"
	"$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --cpus 1 --memory 128M --cmdline "loglevel=1 panic=-1" \
		--device vfio,fd=3 --api-socket path="$S" < /dev/null > "$D/out" 2>&1 3<> "$edu_cdev" &
	pid=$!
	i=0; while [ ! -S "$S" ] && [ $i -lt 600 ] && alive "$pid"; do usleep 100000; i=$((i + 1)); done
	CTL "$S" update kexec --kernel "$KERNEL" --rehearse > "$D/c" 2>&1; rc=$?
	check "edu passed as --device vfio,fd=: update kexec is refused (exit $rc, 409: nestvm could not open it again)" \
		sh -c "[ $rc = 1 ] && grep -q '409.*vfio,fd=' '$D/c'" || show "$D/c"
	CTL "$S" info > "$D/c" 2>&1
	check "... and the VM goes on (ctl info: Running)" grep -q '^state: Running' "$D/c" || show "$D/c"
	stop
	# The VM to update: edu behind the vIOMMU, its DMA loop through L2's iommufd (nested HWPTs on
	# arm64's vSMMUv3, the shadow vVT-d's IOAS on x86_64), beside memcheck and diskcheck.
	GCMD="memcheck $MIB 200 & diskcheck /dev/vda $DISK_W 64 8 & edu_test --iommufd --bind --timeout-ms 5000 --loop 0"
	KCMD="iommu.strict=1"; [ "$VIOMMU" = vtd ] && KCMD="intel_iommu=on,sm_on iommu.strict=1"
	EDU="--viommu $VIOMMU --device vfio,path=$edu_cdev"
else
	skip "no edu device in L1 (run with --edu 1)" "the kexec update of a VM with an assigned device"
	GCMD="memcheck $MIB 200 & diskcheck /dev/vda $DISK_W 64 8" KCMD='' EDU=''
fi
# The disk image on the 9p share: L1's tmpfs does not outlive the kexec.
dd if=/dev/zero of="$P/vdisk" bs=1M count=4 2>/dev/null
rm -f "$D/out" "$S"
"$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --cpus 2 --memory 256M \
	--cmdline "loglevel=1 panic=-1 $KCMD nestvm.gcmd=$(printf '%s' "$GCMD" | base64 -w0)" \
	--disk path="$P/vdisk" $EDU --api-socket path="$S" --event-monitor path="$EV" < /dev/null > "$D/out" 2>&1 &
pid=$!
booted() { wait_round 3 300 && disk_goes_on 0 && { [ -z "$EDU" ] || edu_wait 3; }; }
check "L2 (2 vCPUs, 256M) boots, memcheck${EDU:+, edu's DMA loop} and diskcheck count" booted || show "$D/out"
CTL "$S" update kexec --kernel "$KERNEL" --cmdline "loglevel=1 kho=on" > "$D/c" 2>&1; rc=$?
check "a command line without liveupdate=on: refused (exit $rc), the VM keeps running" \
	sh -c "[ $rc = 1 ] && grep -q '400.*liveupdate=on' '$D/c'" || show "$D/c"
CTL "$S" update kexec --kernel /nonexistent > "$D/c" 2>&1; rc=$?
check "a missing kernel: refused (exit $rc, 404)" sh -c "[ $rc = 1 ] && grep -q '404.*nonexistent' '$D/c'" || show "$D/c"
r0=$(round)
CTL "$S" update kexec --kernel "$KERNEL" --initrd "$P/initrd.cpio.gz" --session "$SESSION" --rehearse > "$D/c" 2>&1; rc=$?
sed 's/^/# /' "$D/c"
check "update kexec --rehearse: exit 0, the phases (session, preserve, kexec_file_load, save, all undone)" \
	sh -c "[ $rc = 0 ] && grep -q '^preserve ' '$D/c' && grep -q '^kexec_load ' '$D/c'" || show "$D/c"
check "... memcheck goes on past round $r0, 0 bad words" goes_on "$r0" || show "$D/out"
# The phase-2 command line: this one with nestvm.cmd= replaced.
b64=$(printf '%s' "sh tests/testhost/liveupdate_kexec.sh phase2" | base64 -w0)
NEWCMD=$(sed "s/nestvm\.cmd=[^ ]*/nestvm.cmd=$b64/" /proc/cmdline)
r0=$(round)
echo "# kexec at memcheck round $r0, new command line: $NEWCMD"
# The guest's CLOCK_MONOTONIC at its last round before the kexec (memcheck's mono_ms).
m0=$(mono_at "$r0")
# edu's loop (round, bad, lost) as the kexec comes.
e0=$(edu_at); [ -n "$EDU" ] || e0=''
printf "t_n=%s\nt_fail=%s\nr0=%s\nm0=%s\ne0='%s'\n" "$((t_n + 0))" "$t_fail" "$r0" "$m0" "$e0" > "$P/phase1"
sync
CTL --json "$S" update kexec --kernel "$KERNEL" --initrd "$P/initrd.cpio.gz" --cmdline "$NEWCMD" \
	--session "$SESSION" > "$P/reply" 2>&1; rc=$?
sync
# Still here: give the reboot a moment, then it did not happen.
sleep 30
not_ok "update kexec: L1 did not reboot (ctl exit $rc: $(head -c 300 "$P/reply"))"
show "$D/out"
stop
done_testing
