. tests/testhost/lib.sh
S=$T/api.sock
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && cdev="/dev/vfio/devices/${v##*/}"; done
	break
done
timeout 120 "$NESTVM" run --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --memory 256M -v \
	--cmdline "loglevel=4 vfio.enable_unsafe_noiommu_mode=1 panic=-1 nestvm.gcmd=$(printf 'sleep 40' | base64 -w0)" \
	--api-socket path="$S" --hotplug-slots 1 < /dev/null > "$T/out" 2>&1 &
pid=$!
sleep 25
echo "== ctl fd=3 ($cdev)"
"$NESTVM" ctl "$S" add-device "fd=3,id=x" 3<>"$cdev"; echo "ctl rc=$?"
sleep 1
echo "== ctl fd=3 via sh -c"
sh -c "exec 3<>$cdev; $NESTVM ctl $S add-device fd=3,id=y"; echo "ctl rc=$?"
sleep 1
ls -la /proc/self/fd
"$NESTVM" ctl "$S" remove-device x
sleep 1
"$NESTVM" ctl "$S" shutdown
wait $pid
grep -v "MSI to\|evtq" "$T/out" | grep -i "api\|hotplug\|vfio\|error\|seccomp" | sed 's/^/#D /' | tail -60
done_testing
