# PCIe hot-plug of an assigned device (docs/api.md, src/devices/hotplug.h): L2 starts with an API
# socket and one empty hot-plug slot (--hotplug-slots 1); `nestvm ctl add-device` plugs edu into it,
# L2's stock pciehp powers the slot on and enumerates it, and tests/guest/edu_test passes inside L2
# (VFIO no-IOMMU mode there); `nestvm ctl remove-device` presses the attention button, pciehp lets go
# and powers the slot off, nestvm takes the device out and closes every fd it opened for it (counted
# in /proc/PID/fd); then the same device is hot-added and tested a second time. Round 1 ends in a
# surprise removal instead: L1 unbinds the device from vfio-pci under the guest (surprise(), below). On arm64 the same
# once more behind the nested vSMMU (--viommu smmuv3): the hot-added edu gets a vDEVICE and a nested
# HWPT, and edu_test runs through L2's own iommufd; the nested vSMMU needs an assigned device at
# boot, so the first edu is cold-plugged there and the second one is hot-plugged. On x86_64 the same
# behind the vVT-d (--viommu vtd) with no device at boot: the unit starts in caching mode because of
# the slot, the hot-added edu gets the shadow backend (an IOAS of its own that follows L2's
# invalidations), and edu_test runs through L2's own iommufd over L2's intel-iommu.
# Round 2 passes the device as a manager without access to /dev/vfio would: the cdev's fd sent with
# SCM_RIGHTS on the request (vm.add-device {"fd": 0}): `nestvm ctl add-device fd=3`, and behind the
# vSMMU tools/bench/api_probe sendfd with 2 more fds nestvm must close; a request naming a passed /dev/null or an fd index nobody passed is refused and
# its fds are closed.
. tests/testhost/lib.sh

EDU_TEST=${EDU_TEST:-/nestvm/build-testhost/$NESTVM_ARCH/tests/guest/edu_test}
PROBE=/nestvm/build-testhost/$NESTVM_ARCH/api_probe
S=$T/api.sock EV=$T/events
CTL() { "$NESTVM" ctl "$@"; }
alive() { [ -e "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
out() { lines "$T/out"; }
# wait_for CMD SECS: until CMD succeeds (nestvm still alive), polled every 0.2 s
wait_for() { i=0; while ! eval "$1"; do [ $i -ge $(($2 * 5)) ] && return 1; alive "$pid" || return 1
	usleep 200000; i=$((i + 1)); done; }
nfds() { ls "/proc/$pid/fd" 2>/dev/null | wc -l; }
# gone N: the guest saw round N's device go. nestvm's own log lines share the console and can land
# inside the guest's marker (seen: "hpnestvm: hotplug: edu1 ... removed from 0000:01:00.0" then
# ": gone 1"), so the marker's end, or what the guest prints next, tells.
gone() { out | grep -q "gone $1\$" || { [ "$1" = 1 ] && out | grep -q 'waiting 2$'; } ||
	{ [ "$1" = 2 ] && out | grep -q 'nestvm-guest: exit=0'; }; }

# The edu devices bound to vfio-pci in L1: their cdevs, in PCI order.
cdevs=''
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && cdevs="$cdevs /dev/vfio/devices/${v##*/}"; done
done
set -- $cdevs
check "an edu device is bound to vfio-pci in L1 (${1:-none})" [ -c "${1:-/nonexistent}" ] || { done_testing; exit; }
check "edu_test is built ($EDU_TEST)" [ -x "$EDU_TEST" ] || { done_testing; exit; }

# The guest: for each round, wait for edu at 0000:01:00.0 (the slot's bus), test it, wait until
# pciehp took it away. Markers on the console tell the host where the guest is.
BDF=0000:01:00.0
GROUND='w() { i=0; while [ $i -lt ${2:-900} ]; do eval "$1" && return 0; usleep 200000; i=$((i + 1)); done; return 1; }
here() { [ -e /sys/bus/pci/devices/'$BDF' ]; }
for r in 1 2; do
  echo "hp: waiting $r"; w here || { echo "hp: never came $r"; exit 1; }
  echo "hp: present $r"; dmesg | grep -i pciehp | tail -n 8 | sed "s/^/hp-dmesg: /"
  edu_test EDUARGS --device '$BDF' --bind; echo "hp: edu_test $r status=$?"
  w "! here" 450 || { echo "hp: never left $r"; dmesg | grep -i pciehp | sed "s/^/hp-dmesg: /"; exit 1; }; echo "hp: gone $r"
done'

# edu_checks WHERE OUT: the parts of one edu_test run (as tests/testhost/vfio_edu.sh checks them).
edu_checks() {
	where=$1 o=$2 shown=0
	evidence() { [ $shown = 1 ] || show "$o" 40; shown=1; }
	check "$where: edu found and opened through VFIO" grep -Eq '^ok [0-9]+ - .* opened through the (iommufd|noiommu) backend' "$o" || evidence
	check "$where: MSIs: 4 in total" grep -q '^# edu_test: interrupts=4$' "$o" || evidence
	check "$where: DMA round trip RAM -> edu -> RAM intact" grep -Eq '^ok [0-9]+ - DMA round trip: 4096 bytes, 0 differ' "$o" || evidence
	check "$where: edu_test passes completely" sh -c "grep -q '^1\\.\\.[0-9]' '$o' && ! grep -q '^not ok' '$o'" || evidence
}
# round_out N: the console between the guest's "present N" and "edu_test N" markers
round_out() { out | sed -n "/^hp: present $1\$/,/^hp: edu_test $1 /p"; }

# surprise NAME R CDEV: the host takes the device back under the running guest, as an administrator's
# unbind (or the device's removal) does: vfio-pci signals the request interrupt and the unbind waits
# until the cdev is closed (vfio_unregister_group_dev). nestvm must give the device up at once (no
# guest handshake), the guest's pciehp sees the slot empty (Presence Detect Changed), every fd goes,
# and the host gets the device. It is bound to vfio-pci again afterwards; CDEV names the new cdev.
surprise() {
	local name=$1 r=$2 host n1 i=0
	host=$(readlink -f "/sys/class/vfio-dev/${3##*/}/device"); host=${host##*/}
	rm -f "$T/unbound"
	(echo "$host" > /sys/bus/pci/drivers/vfio-pci/unbind && echo ok > "$T/unbound") &
	check "$name round $r: the host unbinds $host from vfio-pci: nestvm gives it up (event device-removed, surprise)" \
		wait_for "grep -q '\"event\":\"device-removed\".*\"id\":\"edu$r\".*\"surprise\":true' '$EV'" 60 ||
		{ show "$T/out"; grep device-removed "$EV"; }
	check "$name round $r: the host's unbind returns (nestvm closed the cdev)" wait_for "[ -s '$T/unbound' ]" 60
	n1=$(nfds)
	check "$name round $r: every fd opened for it is closed ($n0 before the add, $n1 after the removal)" [ "$n0" = "$n1" ]
	check "$name round $r: L2 saw it go" wait_for "gone $r" 60 || show "$T/out"
	check "$name round $r: nestvm runs on and answers (ping)" CTL "$S" ping
	echo "$host" > /sys/bus/pci/drivers/vfio-pci/bind
	while [ $i -lt 50 ] && ! ls "/sys/bus/pci/devices/$host/vfio-dev" 2>/dev/null | grep -q vfio; do usleep 100000; i=$((i + 1)); done
	CDEV=/dev/vfio/devices/$(ls "/sys/bus/pci/devices/$host/vfio-dev" 2>/dev/null | head -n 1)
	check "$name round $r: the host binds $host to vfio-pci again ($CDEV)" [ -c "$CDEV" ]
	# The slot is free once the guest has powered it off: until then add-device says 409 (busy).
	# A request naming a /dev/null (refused with 500 once a slot is free) tells which.
	i=0; while "$PROBE" "$S" sendfd "$CDEV" 2 1 probe > "$T/c" 2>&1; grep -q '^status 409$' "$T/c" && [ $i -lt 150 ]; do
		usleep 200000; i=$((i + 1)); done
	check "$name round $r: the slot is free again once the guest powered it off (add-device: 409 for $((i / 5)) s, then not)" \
		grep -q '^status 500$' "$T/c" || show "$T/c"
	check "$name round $r: ... freed by the guest's power-off and its Link Status check, not by the timeout" \
		sh -c "grep -q 'root port 0: the guest powered the slot off and checked it: free again' '$T/out' && ! grep -q 'surprise removal; it is free again' '$T/out'" ||
		show "$T/out"
}

# scenario NAME CDEV EDUARGS KCMD [nestvm run options...]
scenario() {
	local name=$1 cdev=$2 eargs=$3 kcmd=$4 g n0 n1 rc; shift 4
	g=$(printf '%s' "$GROUND" | sed "s|EDUARGS|$eargs|")
	rm -f "$T/out" "$EV" "$S"
	timeout 600 "$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --memory 256M \
		--cmdline "$kcmd panic=-1 nestvm.gcmd=$(printf '%s' "$g" | base64 -w0)" \
		--api-socket path="$S" --event-monitor path="$EV" --hotplug-slots 1 "$@" < /dev/null > "$T/out" 2>&1 &
	pid=$!
	check "$name: L2 boots with an empty hot-plug slot and waits" wait_for "out | grep -q '^hp: waiting 1$'" 300 ||
		{ show "$T/out"; kill "$pid"; wait "$pid"; return 1; }
	CTL --json "$S" info > "$T/c" 2>&1
	check "$name: vm.info lists the root port" grep -q '"root-port0"' "$T/c" || show "$T/c"
	CTL "$S" add-device "path=/nonexistent" > "$T/c" 2>&1
	check "$name: add-device of a bad path is refused (exit 1, 400)" grep -q 'said 400' "$T/c" || show "$T/c"
	for r in 1 2; do
		wait_for "out | grep -q '^hp: waiting $r$'" 120
		n0=$(nfds)
		if [ $r = 1 ]; then
			CTL "$S" add-device "path=$cdev,id=edu$r" > "$T/c" 2>&1; rc=$?
			check "$name round $r: ctl add-device: exit 0, edu$r at $BDF" \
				sh -c "[ $rc = 0 ] && grep -q '^id: edu$r$' '$T/c' && grep -q '^bdf: $BDF$' '$T/c'" || show "$T/c"
		else
			"$PROBE" "$S" sendfd "$cdev" 2 1 "edu$r" > "$T/c" 2>&1
			check "$name round $r: add-device {\"fd\": 1}, a /dev/null: not a VFIO device, refused (500)" \
				grep -q '^status 500$' "$T/c" || show "$T/c"
			"$PROBE" "$S" sendfd "$cdev" 2 3 "edu$r" > "$T/c" 2>&1
			check "$name round $r: add-device {\"fd\": 3} with 3 fds passed (0-2): 400" grep -q '^status 400$' "$T/c" ||
				show "$T/c"
			n2=$(nfds)
			check "$name round $r: the 3 fds passed with each are closed ($n0 before, $n2 after)" [ "$n0" = "$n2" ]
			if [ "$name" = smmuv3 ]; then
				"$PROBE" "$S" sendfd "$cdev" 2 0 "edu$r" > "$T/c" 2>&1
				check "$name round $r: add-device {\"fd\": 0} with the cdev passed by SCM_RIGHTS (+2 fds): 200" \
					grep -q '^status 200$' "$T/c" || show "$T/c"
			else
				CTL "$S" add-device "fd=3,id=edu$r" 3<>"$cdev" > "$T/c" 2>&1; rc=$?
				check "$name round $r: ctl add-device fd=3 (the cdev passed by SCM_RIGHTS): exit 0, edu$r at $BDF" \
					sh -c "[ $rc = 0 ] && grep -q '^id: edu$r$' '$T/c' && grep -q '^bdf: $BDF$' '$T/c'" || show "$T/c"
			fi
		fi
		check "$name round $r: event device-added" wait_for "grep -q '\"event\":\"device-added\".*\"id\":\"edu$r\"' '$EV'" 10
		check "$name round $r: L2's pciehp enumerates it" wait_for "out | grep -q '^hp: present $r$'" 120 || show "$T/out"
		if [ "$name" = smmuv3 ]; then
			CTL --json "$S" viommu > "$T/c" 2>&1
			check "$name round $r: the hot-added edu (StreamID 0x100) has a vDEVICE and a nested HWPT" \
				grep -Eq '\{"sid":256,"dev_id":[0-9]+,"vdevice_id":[1-9][0-9]*,"nested_hwpt_id":[1-9]' "$T/c" ||
				show "$T/c"
		fi
		CTL --json "$S" info > "$T/c" 2>&1
		check "$name round $r: vm.info's device_tree has edu$r at $BDF" \
			grep -q "\"edu$r\":{\"id\":\"edu$r\".*\"pci_bdf\":\"$BDF\"" "$T/c" || show "$T/c"
		wait_for "out | grep -q '^hp: edu_test $r '" 180
		round_out $r > "$T/round$r"
		edu_checks "$name round $r (hot-added, in L2)" "$T/round$r"
		if [ "$name" = vtd ]; then
			CTL --json "$S" viommu > "$T/c" 2>&1
			check "$name round $r: the hot-added edu (source id 0x100) has its own IOAS, which shadows L2's tables" \
				grep -Eq '"backend":"shadow".*\{"sid":256,"dev_id":[0-9]+,"ioas_id":[1-9][0-9]*,"attached_to":"shadow"' "$T/c" ||
				show "$T/c"
		fi
		if [ $r = 1 ]; then
			surprise "$name" $r "$cdev"
			cdev=$CDEV
			continue
		fi
		CTL "$S" remove-device "edu$r" > "$T/c" 2>&1
		check "$name round $r: ctl remove-device: exit 0" [ $? = 0 ] || show "$T/c"
		check "$name round $r: L2 releases it and nestvm takes it out (event device-removed)" \
			wait_for "grep -q '\"event\":\"device-removed\".*\"id\":\"edu$r\"' '$EV'" 60 || show "$T/out"
		n1=$(nfds)
		check "$name round $r: every fd opened for it is closed ($n0 before the add, $n1 after the removal)" \
			[ "$n0" = "$n1" ]
		check "$name round $r: L2 saw it go" wait_for "gone $r" 30 || show "$T/out"
	done
	i=0; while alive "$pid" && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done
	alive "$pid" && kill "$pid"
	wait "$pid"; rc=$?
	check "$name: the guest ends and nestvm exits 0 (status $rc)" [ $rc = 0 ] || show "$T/out"
}

scenario "no vIOMMU" "$1" "--noiommu" "loglevel=4 vfio.enable_unsafe_noiommu_mode=1"

if [ "$NESTVM_ARCH" = x86_64 ]; then
	scenario "vtd" "${CDEV:-$1}" "--iommufd --timeout-ms 5000" "loglevel=4 intel_iommu=on,sm_on iommu.strict=1" --viommu vtd
elif [ "$NESTVM_ARCH" != arm64 ]; then
	skip "the nested vSMMU is arm64's" "smmuv3: hot-added edu behind the nested vSMMU"
elif [ -z "$2" ]; then
	skip "needs two edu devices (tools/testhost/run --edu 2)" "smmuv3: hot-added edu behind the nested vSMMU"
else
	# The first edu is cold-plugged (it makes the nested vSMMU), the second one hot-plugged.
	scenario "smmuv3" "$2" "--iommufd --timeout-ms 5000" "loglevel=4 iommu.strict=1" \
		--viommu smmuv3 --device "vfio,path=$1"
fi
done_testing
