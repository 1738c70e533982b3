# A virtio reset must not complete while block I/O is in flight (virtio 1.2 2.4.1, 4.1.4.3.2): the
# bare-metal payload firmware/virtio-load/reset.c (arm64) makes a 4 KiB read and 63 of 1 MiB
# available, resets virtio-blk as soon as the small one landed, waits for device_status to read 0,
# then checks that no read writes guest memory any more and none is completed. Its TAP points are
# re-emitted here.
. tests/testhost/lib.sh

if payload_path virtio-load/virtio-reset.bin "virtio reset with I/O in flight"; then
	dd if=/dev/urandom of="$T/disk" bs=1M count=64 2>/dev/null
	timeout 300 "$NESTVM" run --kernel "$PAYLOAD" --memory 256M --disk path="$T/disk" </dev/null >"$T/raw" 2>&1
	rc=$?
	tr -d '\r' < "$T/raw" > "$T/out"
	check "reset payload: nestvm exits 0 (the payload powered off with PSCI SYSTEM_OFF)" [ "$rc" = 0 ] ||
		{ echo "#   nestvm exit status $rc"; show "$T/out"; }
	payload_points "$T/out" "reset payload" 5
fi
done_testing
