# nestvm run boots an unmodified Linux guest (the testhost kernel + tools/testhost/guest-init) to its
# /init, which checks nproc against --cpus, reads a known pattern from the virtio-blk disk, writes and
# flushes another, and powers off; then bad input, each a one-line error with a non-zero status.
. tests/testhost/lib.sh

# A 4 MiB disk: sector 0 holds a pattern the guest must read; the guest writes sector 8.
mkdisk() { dd if=/dev/zero of="$1" bs=1M count=4 2>/dev/null; printf 'nestvm-disk-pattern-%s' "$2" |
	dd of="$1" conv=notrunc 2>/dev/null; }
gcmd='echo "nproc=$(nproc)"; echo "read=$(head -c 64 /dev/vda | tr -d "\\000")";
printf guest-wrote-this | dd of=/dev/vda bs=512 seek=8 conv=notrunc,fsync 2>/dev/null && echo write-ok; sync'

# boot NAME CPUS [options...]: one boot with checks of everything the guest reported.
boot() {
	name=$1 cpus=$2; shift 2
	mkdisk "$T/disk" "$name"
	guest "$T/$name.out" "$gcmd" "" --cpus "$cpus" --memory 256M --disk "path=$T/disk" "$@"; rc=$?
	check "$name: nestvm exits 0 when the guest powers off" [ "$rc" = 0 ] || show "$T/$name.out"
	check "$name: the guest reached /init" grep -q '^nestvm-guest: init reached' "$T/$name.out"
	check "$name: the guest sees $cpus CPU(s)" grep -q "^nproc=$cpus" "$T/$name.out"
	check "$name: the guest read the disk's pattern" out_line "$T/$name.out" "read=nestvm-disk-pattern-$name" ||
		show "$T/$name.out"
	check "$name: the guest's /init ran to completion" [ "$(guest_exit "$T/$name.out")" = 0 ]
	check "$name: the guest's flushed write is in the file" \
		[ "$(dd if="$T/disk" bs=512 skip=8 count=1 2>/dev/null | head -c 16)" = guest-wrote-this ]
	# vm_destroy ends with the fd table: any fd still registered there (KVM, vCPUs, RAM, disk) is reported.
	check "$name: every fd in the VM's fd table was closed by its owner" \
		sh -c "! grep -q '^nestvm: fd leak' '$T/$name.out'" || show "$T/$name.out"
}
boot up 1
boot smp 2
boot virtio-console 1 --console virtio

# A guest that reboots is not restarted: nestvm exits with its own status for it, 3, distinct from a
# power-off (0) and a crash (4). reboot NAME KCMDLINE [LOG]: one reboot, which must end within 120 s
# (x86 boots in ~6 s; a path nestvm misses hangs the guest) and, with LOG, say how it was done.
reboot() {
	GUEST_TIMEOUT=120 guest "$T/reboot.out" 'echo rebooting; reboot -f' "$2" --memory 128M; rc=$?
	check "guest reboot ($1): nestvm exits 3 (status $rc), after the guest ran" \
		sh -c "[ $rc = 3 ] && grep -q '^rebooting' '$T/reboot.out'" || show "$T/reboot.out"
	[ -z "${3:-}" ] || check "guest reboot ($1): nestvm saw it through $3" \
		grep -q "guest reset through $3; stopping" "$T/reboot.out" || show "$T/reboot.out"
}
if [ "$NESTVM_ARCH" = arm64 ]; then
	reboot "PSCI SYSTEM_RESET" ""
else
	# Linux's own choice: with CONFIG_EFI on hardware-reduced ACPI it tries EFI, finds no runtime
	# services and jumps to the BIOS reset vector (arch/x86/kernel/reboot.c), where our stub is.
	reboot "kernel default" "" "the i8042"
	reboot "reboot=bios: the reset vector" "reboot=b" "the i8042"
	reboot "reboot=kbd: the i8042" "reboot=k" "the i8042"
	reboot "reboot=pci: port 0xcf9" "reboot=p" "port 0xcf9"
	reboot "reboot=acpi: the FADT reset register" "reboot=a" "the FADT reset register"
fi

# Read-only disk: the guest's write fails and the file stays as it was.
mkdisk "$T/disk" ro
guest "$T/ro.out" "$gcmd" "" --memory 256M --disk "path=$T/disk,readonly"; rc=$?
check "readonly disk: guest boots and powers off" [ "$rc" = 0 ] || show "$T/ro.out"
check "readonly disk: the guest's write is refused" sh -c "! grep -q '^write-ok' '$T/ro.out'"
check "readonly disk: the file is unchanged" \
	[ "$(dd if="$T/disk" bs=512 skip=8 count=1 2>/dev/null | tr -d '\0')" = "" ]

# Console input: what the user types reaches the guest, on both console kinds. The guest may not
# read its console until its driver is up (a UART drops what overflows its FIFO before that, so the
# first line may arrive cut), so a writer repeats the line and the guest waits for a whole one.
mkfifo "$T/in"
# Typed through a FIFO, a line every half second: nestvm reads a pipe as a terminal's input, as it
# arrives. (A regular file that grew instead was read to its end at once, often before the guest's
# driver was up: a virtio device reset drops what it holds, EOF ends input, and under host load the
# guest never saw a line.) The guest turns the tty's echo off first: n_tty writes a line's text and
# its newline in two steps, and the echo of the next typed line got in between (x86_64, loaded:
# "got=typed-input-virtiotyped-input-virt").
rm -f "$T/in"; mkfifo "$T/in"
for c in serial virtio; do
	(i=0; while [ $i -lt 120 ]; do echo typed-input-$c; sleep 0.5; i=$((i + 1)); done) > "$T/in" 2>/dev/null &
	w=$!
	GUEST_STDIN=$T/in guest "$T/in-$c.out" 'stty -echo; while read -r l; do case $l in typed-input-*) echo "got=$l"; break ;; esac; done' "" --console $c; rc=$?
	kill $w 2>/dev/null; wait $w 2>/dev/null
	check "console input ($c): nestvm exits 0" [ "$rc" = 0 ] || show "$T/in-$c.out"
	check "console input ($c): the guest read the typed line" out_line "$T/in-$c.out" "got=typed-input-$c" ||
		show "$T/in-$c.out"
done

# bad DESC PATTERN nestvm-run-args...: non-zero status below 128 (no crash), exactly one stderr line
# matching PATTERN.
bad() {
	d=$1 pat=$2; shift 2
	timeout 60 "$NESTVM" run "$@" < /dev/null > "$T/bad.out" 2> "$T/bad.err"; rc=$?
	if [ "$rc" != 0 ] && [ "$rc" -lt 124 ] && [ "$(wc -l < "$T/bad.err")" = 1 ] && grep -Eq -- "$pat" "$T/bad.err"; then
		ok "bad input: $d (status $rc)"
	else
		not_ok "bad input: $d (status $rc)"; show "$T/bad.err" 5
	fi
}
head -c 65536 "$GUEST_KERNEL" > "$T/trunc"
printf 'this is not a kernel' > "$T/text"
bad "missing kernel" "$T/nope" --kernel "$T/nope"
bad "truncated kernel" "truncated" --kernel "$T/trunc"
bad "not a kernel image" "not an? (arm64 Image|bzImage)" --kernel "$T/text"
bad "a program is not a kernel" "not an? (arm64 Image|bzImage)" --kernel /bin/busybox
bad "memory larger than the host" "memory" --kernel "$GUEST_KERNEL" --memory 1T
bad "--cpus 0" "--cpus 0" --kernel "$GUEST_KERNEL" --cpus 0
# The most --cpus allows: arm64's redistributor frames (123), x86_64's MADT room (1024); above 255
# x86_64 also needs --viommu vtd (x2APIC destinations are reached only through interrupt remapping).
if [ "$NESTVM_ARCH" = arm64 ]; then bad "--cpus too many" "--cpus 124" --kernel "$GUEST_KERNEL" --cpus 124
else
	bad "--cpus too many" "--cpus 1025" --kernel "$GUEST_KERNEL" --cpus 1025
	bad "--cpus 256 without --viommu vtd" "above 255 needs --viommu vtd" --kernel "$GUEST_KERNEL" --cpus 256
fi
bad "unreadable disk" "$T/nodisk" --kernel "$GUEST_KERNEL" --disk "path=$T/nodisk"
bad "missing initrd" "$T/noinitrd" --kernel "$GUEST_KERNEL" --initrd "$T/noinitrd"
done_testing
