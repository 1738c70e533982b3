# nestvm run --firmware boots Debian's UEFI firmware unmodified: AAVMF on arm64 (tools/setup fetches
# qemu-efi-aarch64, tools/build arm64 copies it to build-testhost/firmware/) boots the kit kernel
# handed to it through fw_cfg (--kernel/--initrd: the firmware's own loader starts the kernel's EFI
# stub) to the guest's /init, boots an EFI system partition on a virtio-blk disk (tools/mkesp, made by
# tools/testhost/guest-esp: systemd-boot starts the kit kernel) to /init with the nested vSMMU and edu,
# boots the kernel on nestvm's ACPI tables instead of the device tree (--firmware-tables acpi: IORT,
# nested vSMMU, edu and its MSIs through the ITS), variables persisting across boots, and with no kernel reaches the UEFI Shell; bad images are refused with
# one clear line; the firmware's own virtio drivers see nestvm's virtio-blk disk; the boot watchdog
# (--boot-timeout) stops firmware that stays in the Shell. x86_64 boots Debian's OVMF (q35 chipset
# parts, flash at 4 GiB, fw_cfg): its image checks always run; its boots (the Shell, direct boot
# through fw_cfg, edu, the ESP behind the vVT-d, variables persisting) when L1's kernel keeps the
# guest's CR8 writes from L0's QEMU, which aborts on them (below; docs/testhost.md).
. tests/testhost/lib.sh

FW=/nestvm/build-testhost/firmware
now() { cut -d' ' -f1 /proc/uptime | cut -d. -f1; }

# bad DESC PATTERN nestvm-run-args...: non-zero status below 124 (no crash, no hang), exactly one
# stderr line matching PATTERN.
bad() {
	d=$1 pat=$2; shift 2
	timeout 60 "$NESTVM" run "$@" < /dev/null > "$T/bad.out" 2> "$T/bad.err"; rc=$?
	if [ "$rc" != 0 ] && [ "$rc" -lt 124 ] && [ "$(wc -l < "$T/bad.err")" = 1 ] && grep -Eq -- "$pat" "$T/bad.err"; then
		ok "bad firmware: $d (status $rc)"
	else
		not_ok "bad firmware: $d (status $rc)"; show "$T/bad.err" 5
	fi
}

# The boot watchdog, on either arch and with direct boot too: a guest that never prints the marker is
# stopped after --boot-timeout with one line and exit code 6; one that does is left alone.
t0=$(now)
GUEST_TIMEOUT=120 guest "$T/wd.out" "sleep 60" "" --boot-timeout 3 --boot-marker "never printed"; rc=$?
check "boot watchdog: no marker within --boot-timeout 3: exit code 6 after $(( $(now) - t0 )) s, not the guest's 60 s" \
	sh -c "[ $rc = 6 ] && [ $(( $(now) - t0 )) -lt 50 ]" || show "$T/wd.out" 10
check "boot watchdog: one line saying what did not happen" \
	sh -c "[ \$(grep -c 'boot watchdog' '$T/wd.out') = 1 ] && grep -q 'did not reach its OS within --boot-timeout 3 s (no \"never printed\"' '$T/wd.out'" ||
	show "$T/wd.out" 10
GUEST_TIMEOUT=300 guest "$T/wd2.out" "true" "" --boot-timeout 250; rc=$?
check "boot watchdog: the default marker (Linux's banner) seen, the guest runs to its end (status $rc)" \
	sh -c "[ $rc = 0 ] && ! grep -q 'boot watchdog' '$T/wd2.out' && grep -q '^nestvm-guest: exit=0' '$T/wd2.out'" ||
	show "$T/wd2.out" 10

if [ "$NESTVM_ARCH" != arm64 ]; then
	if ! [ -f "$FW/OVMF_CODE_4M.fd" ] || ! [ -f "$FW/OVMF_VARS_4M.fd" ]; then
		not_ok "OVMF is in $FW (tools/setup fetches it, tools/build x86_64 copies it)"
		done_testing; exit
	fi
	CODE=$FW/OVMF_CODE_4M.fd
	cp "$FW/OVMF_VARS_4M.fd" "$T/vars.fd"; cp "$CODE" "$T/code.fd"; chmod 644 "$T/code.fd"
	# Swapped, the sizes still add up to 4 MiB: the contents tell.
	bad "code and vars swapped" "OVMF_VARS_4M.fd: a UEFI variable store, not firmware code" \
		--firmware "$FW/OVMF_VARS_4M.fd" --firmware-vars "$T/code.fd"
	head -c 4096 "$CODE" | dd of="$T/vars.fd" conv=notrunc 2>/dev/null
	bad "vars that are not a variable store" "vars.fd: not a UEFI variable store" --firmware "$CODE" --firmware-vars "$T/vars.fd"
	head -c 524288 "$FW/OVMF_VARS_4M.fd" > "$T/short.fd"
	bad "vars of another build (sizes do not add up to 4 MiB)" "short.fd.*4M layout" --firmware "$CODE" --firmware-vars "$T/short.fd"
	cp "$FW/OVMF_VARS_4M.fd" "$T/vars.fd"
	bad "more RAM than fits below OVMF's ECAM at 0xb000_0000" "at most 2816M.*firmware boot" \
		--memory 3G --firmware "$CODE" --firmware-vars "$T/vars.fd"

	# The boots themselves take the whole L1 down on a stock L1 kernel: L0's TCG (QEMU 10.0 and 11.1)
	# aborts on the guest's CR8 writes (firmware handlers restore CR8; docs/testhost.md), whichever
	# VMM runs OVMF in L2. The testhost kernel's testhost-svm-intercept-cr8-writes.patch keeps them
	# from L0 (L1's KVM emulates them), so they run when L1's kernel has it (/kit/x86_64/patches,
	# written by tools/testhost/kernel); NESTVM_TESTHOST_OVMF=1 or 0 forces them on or off.
	ovmf=${NESTVM_TESTHOST_OVMF:-}
	[ -n "$ovmf" ] || { grep -qx testhost-svm-intercept-cr8-writes.patch /kit/x86_64/patches 2>/dev/null && ovmf=1; }
	if [ "$ovmf" != 1 ]; then
		skip "L1's kernel lacks testhost-svm-intercept-cr8-writes.patch, without which L0's QEMU aborts under OVMF in L2 (docs/testhost.md); NESTVM_TESTHOST_OVMF=1 runs them" \
			"OVMF boots: Shell, direct boot, ESP with the vVT-d, edu, variables"
		done_testing; exit
	fi
	EFIVARS=/sys/firmware/efi/efivars
	TESTVAR=NestvmTest-4e657374-766d-4669-726d-776172650001

	# No kernel, a disk: OVMF's boot manager finds nothing to boot and falls to the UEFI Shell; its
	# own virtio drivers drive nestvm's disk (map -r lists BLK0, dblk reads its first sector).
	dd if=/dev/zero of="$T/disk" bs=1M count=4 2>/dev/null
	printf 'NESTVM-DISK-PATTERN' | dd of="$T/disk" conv=notrunc 2>/dev/null
	mkfifo "$T/shell.in"
	: > "$T/shell.raw"
	t0=$(now)
	(i=0; while [ $i -lt "${FW_TIMEOUT:-600}" ] && ! grep -q 'Shell> ' "$T/shell.raw"; do sleep 1; i=$((i + 1)); done
	 echo "# UEFI Shell through OVMF: $(( $(now) - t0 )) s" >&2
	 sleep 1; printf 'map -r\r'; sleep 5; printf 'dblk blk0 0 1\r'; sleep 5) > "$T/shell.in" &
	w=$!
	"$NESTVM" run --memory 256M --disk "path=$T/disk" --firmware "$CODE" --firmware-vars "$T/vars.fd" \
		< "$T/shell.in" > "$T/shell.raw" 2>&1 &
	pid=$!
	wait $w
	alive=no; kill -0 $pid 2>/dev/null && alive=yes
	kill $pid 2>/dev/null; wait $pid 2>/dev/null
	tr -d '\r' < "$T/shell.raw" | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' > "$T/shell.out"
	check "UEFI Shell: OVMF reaches the Shell prompt on the serial console" grep -q 'Shell> ' "$T/shell.out" ||
		show "$T/shell.out" 40
	check "UEFI Shell: nestvm was still running the guest there" [ "$alive" = yes ]
	check "UEFI Shell: OVMF's virtio drivers see nestvm's virtio-blk disk as BLK0" grep -q 'BLK0:' "$T/shell.out" ||
		show "$T/shell.out" 20
	check "UEFI Shell: the firmware reads the disk's first sector" grep -q '4E 45 53 54 56 4D 2D 44-49 53 4B' "$T/shell.out" ||
		show "$T/shell.out" 20

	# Direct boot through the firmware: OVMF's QemuKernelLoaderFsDxe reads the bzImage (setup part and
	# kernel), initrd and command line from fw_cfg and starts its EFI stub; the guest sets a variable.
	cp "$FW/OVMF_VARS_4M.fd" "$T/vars.fd"
	t0=$(now)
	GUEST_TIMEOUT=${FW_TIMEOUT:-600} guest "$T/direct.out" "mount -t efivarfs none $EFIVARS &&
printf '\\007\\000\\000\\000persist-me' > $EFIVARS/$TESTVAR && echo setvar-ok" "" \
		--memory 512M --firmware "$CODE" --firmware-vars "$T/vars.fd"; rc=$?
	echo "# direct boot through OVMF to power-off: $(( $(now) - t0 )) s (status $rc)"
	check "direct boot: nestvm exits 0 when the guest powers off (status $rc)" [ "$rc" = 0 ] || show "$T/direct.out" 40
	check "direct boot: the firmware's loader started the kernel, which reached /init" \
		grep -q '^nestvm-guest: init reached' "$T/direct.out" || show "$T/direct.out" 40
	check "direct boot: the guest set a non-volatile variable" grep -q '^setvar-ok' "$T/direct.out"
	check "direct boot: the vars file changed" sh -c "! cmp -s '$FW/OVMF_VARS_4M.fd' '$T/vars.fd'"
	GUEST_TIMEOUT=${FW_TIMEOUT:-600} guest "$T/again.out" "mount -t efivarfs none $EFIVARS &&
echo persisted=\$(tail -c +5 $EFIVARS/$TESTVAR)" "" --memory 512M --firmware "$CODE" --firmware-vars "$T/vars.fd"
	check "variables persist: the next boot reads the guest's variable back" \
		grep -q '^persisted=persist-me$' "$T/again.out" || show "$T/again.out" 30

	# edu assigned, no vIOMMU: the guest drives it in VFIO no-IOMMU mode after OVMF enumerated it.
	edu_cdev=''
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
		for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && edu_cdev=/dev/vfio/devices/${v##*/}; done
		break
	done
	if [ -c "$edu_cdev" ]; then
		GUEST_TIMEOUT=${FW_TIMEOUT:-600} guest "$T/edu.out" "edu_test --noiommu --bind" \
			"vfio.enable_unsafe_noiommu_mode=1" --memory 512M --device "vfio,path=$edu_cdev" \
			--firmware "$CODE" --firmware-vars "$T/vars.fd"; rc=$?
		check "edu under OVMF: DMA and 4 MSIs in the guest (status $rc)" \
			grep -q '^# edu_test: interrupts=4$' "$T/edu.out" || show "$T/edu.out" 30
	else
		skip "no edu bound to vfio-pci in L1" "edu under OVMF"
	fi

	# The ESP (systemd-boot, tools/testhost/guest-esp) behind the vVT-d: the guest's intel-iommu
	# probes the unit from the DMAR the table-loader installed and reads its virtio-blk disk through
	# it; a boot counter in a variable persists to the next boot.
	ESP=/nestvm/build-testhost/guest/$NESTVM_ARCH-esp.img
	cp "$FW/OVMF_VARS_4M.fd" "$T/espvars.fd"
	for n in 1 2; do
		timeout "${FW_TIMEOUT:-600}" "$NESTVM" run --memory 512M --disk "path=$ESP,readonly" --viommu vtd \
			--firmware "$CODE" --firmware-vars "$T/espvars.fd" < /dev/null > "$T/esp$n.raw" 2>&1; rc=$?
		tr -d '\r' < "$T/esp$n.raw" | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' > "$T/esp$n.out"
		check "ESP boot $n: systemd-boot started the kernel, which reached /init (status $rc)" \
			grep -q '^nestvm-guest: init reached' "$T/esp$n.out" || show "$T/esp$n.out" 40
	done
	check "ESP boot: the guest probed the vVT-d from the DMAR (dmar0 in /sys/class/iommu)" \
		grep -q '^iommus=.*dmar0' "$T/esp1.out" || show "$T/esp1.out" 20
	check "ESP boot: the disk read through the vVT-d's DMA translation (GPT header, DMA domain)" \
		sh -c "grep -q '^esp-disk-gpt=EFI PART' '$T/esp1.out' && grep -q '^esp-disk-domain=DMA' '$T/esp1.out'" ||
		show "$T/esp1.out" 20
	check "ESP boot: the next boot with the same vars file reads the counter the guest set" \
		grep -q '^esp-boots-before=1$' "$T/esp2.out" || show "$T/esp2.out" 30
	done_testing; exit
fi

if ! [ -f "$FW/AAVMF_CODE.fd" ] || ! [ -f "$FW/AAVMF_VARS.fd" ]; then
	not_ok "AAVMF is in $FW (tools/setup fetches it, tools/build arm64 copies it)"
	done_testing; exit
fi
CODE=$FW/AAVMF_CODE.fd

# Bad images: each refused before anything runs, naming the file and what fits.
head -c 1048576 "$CODE" > "$T/short.fd"
cp "$FW/AAVMF_VARS.fd" "$T/vars.fd"
bad "code of the wrong size" "short.fd.*64 MiB" --firmware "$T/short.fd" --firmware-vars "$T/vars.fd"
bad "vars of the wrong size" "short.fd.*64 MiB" --firmware "$CODE" --firmware-vars "$T/short.fd"
bad "missing vars file" "$T/none.fd" --firmware "$CODE" --firmware-vars "$T/none.fd"
bad "code and vars swapped" "AAVMF_VARS.fd: blank.*not firmware code" --firmware "$FW/AAVMF_VARS.fd" --firmware-vars "$T/vars.fd"
cp "$CODE" "$T/vars2.fd"
bad "code as vars" "vars2.fd: not a UEFI variable store" --firmware "$CODE" --firmware-vars "$T/vars2.fd"
rm -f "$T/vars2.fd"
chmod 444 "$T/vars.fd"
[ "$(id -u)" = 0 ] || bad "read-only vars file" "must be writable" --firmware "$CODE" --firmware-vars "$T/vars.fd"
chmod 644 "$T/vars.fd"

# Direct boot through the firmware: AAVMF's QemuKernelLoaderFsDxe reads kernel, initrd and command
# line from fw_cfg and starts the kernel's EFI stub. The guest sees UEFI's variables through runtime
# services (efivarfs) and sets one, which the firmware writes to the vars flash: the next boot with
# the same vars file must find it there. (Under nested TCG a firmware boot takes about 20 s.)
EFIVARS=/sys/firmware/efi/efivars
GUID=8be4df61-93ca-11d2-aa0d-00e098032b8c   # EFI_GLOBAL_VARIABLE
TESTVAR=NestvmTest-4e657374-766d-4669-726d-776172650001
cp "$FW/AAVMF_VARS.fd" "$T/vars.fd"
t0=$(now)
GUEST_TIMEOUT=${FW_TIMEOUT:-600} guest "$T/direct.out" "mount -t efivarfs none $EFIVARS &&
echo efi-boot-vars=\$(ls $EFIVARS | grep -c '^Boot[0-9A-F]*-$GUID\$');
printf '\\007\\000\\000\\000persist-me' > $EFIVARS/$TESTVAR && echo setvar-ok" "" \
	--memory 512M --firmware "$CODE" --firmware-vars "$T/vars.fd"; rc=$?
echo "# direct boot through AAVMF to power-off: $(( $(now) - t0 )) s (status $rc)"
check "direct boot: nestvm exits 0 when the guest powers off (status $rc)" [ "$rc" = 0 ] || show "$T/direct.out" 40
check "direct boot: the firmware's loader started the kernel, which reached /init" \
	grep -q '^nestvm-guest: init reached' "$T/direct.out" || show "$T/direct.out" 40
check "direct boot: the kernel sees UEFI's boot variables through runtime services" \
	grep -Eq '^efi-boot-vars=[1-9]' "$T/direct.out" || show "$T/direct.out" 20
check "direct boot: the guest set a non-volatile variable" grep -q '^setvar-ok' "$T/direct.out"
check "direct boot: the guest's /init ran to completion" [ "$(guest_exit "$T/direct.out")" = 0 ]
check "direct boot: the vars file changed" sh -c "! cmp -s '$FW/AAVMF_VARS.fd' '$T/vars.fd'"

# The same vars file again: the variable is there (read through the firmware from the flash).
t0=$(now)
GUEST_TIMEOUT=${FW_TIMEOUT:-600} guest "$T/again.out" "mount -t efivarfs none $EFIVARS &&
echo persisted=\$(tail -c +5 $EFIVARS/$TESTVAR)" "" --memory 512M --firmware "$CODE" --firmware-vars "$T/vars.fd"; rc=$?
echo "# second boot: $(( $(now) - t0 )) s (status $rc)"
check "variables persist: the next boot reads the guest's variable back (status $rc)" \
	grep -q '^persisted=persist-me$' "$T/again.out" || show "$T/again.out" 30

# With assigned devices behind the nested vSMMU the guest ITS sits at the host's SW_MSI window and
# its control frame takes the last 64K of the vars bank, which then ends a 256K block early
# (src/arch/arm64/layout.h): AAVMF must still find its variable store (the variable set above), and
# edu's MSIs must still arrive through the nested vSMMU once Linux runs.
edu_cdev=''
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	for v in "$d"/vfio-dev/vfio*; do [ -e "$v" ] && edu_cdev=/dev/vfio/devices/${v##*/}; done
	break
done
if [ -c "$edu_cdev" ]; then
	t0=$(now)
	GUEST_TIMEOUT=${FW_TIMEOUT:-600} guest "$T/nested.out" "mount -t efivarfs none $EFIVARS &&
echo persisted=\$(tail -c +5 $EFIVARS/$TESTVAR); edu_test --iommufd --bind --timeout-ms 5000; echo edu_rc=\$?" \
		"iommu.strict=1" --memory 512M --viommu smmuv3 --device "vfio,path=$edu_cdev" \
		--firmware "$CODE" --firmware-vars "$T/vars.fd"; rc=$?
	echo "# nested vSMMU + edu through AAVMF: $(( $(now) - t0 )) s (status $rc)"
	check "nested vSMMU: nestvm exits 0 (status $rc)" [ "$rc" = 0 ] || show "$T/nested.out" 40
	check "nested vSMMU: AAVMF reads its variable store from the shortened vars bank" \
		grep -q '^persisted=persist-me$' "$T/nested.out" || show "$T/nested.out" 30
	check "nested vSMMU: edu's DMA and MSIs through the nested vSMMU (edu_test passes, 4 MSIs)" \
		sh -c "grep -q '^# edu_test: interrupts=4\$' '$T/nested.out' && grep -q '^edu_rc=0\$' '$T/nested.out'" ||
		show "$T/nested.out" 30
else
	skip "no edu bound to vfio-pci in L1" "nested vSMMU under firmware boot"
fi

# ACPI instead of the device tree (--firmware-tables acpi): fw_cfg carries etc/table-loader, so AAVMF
# installs nestvm's tables and hands the OS no device tree (ArmVirtPkg PlatformHasAcpiDtDxe). The EFI
# stub then boots the kernel on ACPI alone: its arm-smmu-v3 must probe from the IORT's SMMUv3 node,
# edu must work behind the nested vSMMU through the guest's own iommufd, and its MSIs must reach the
# guest through the ITS the MADT and the IORT's ITS group describe (RID -> StreamID -> DeviceID).
acpi_cmd="echo acpi-tables=\$(ls /sys/firmware/acpi/tables | tr '\n' ' ');
[ -e /proc/device-tree ] && echo dt=present || echo dt=none;
for i in /sys/class/iommu/*; do echo iommu=\${i##*/} dev=\$(basename \$(readlink -f \$i/device)); done;
dmesg | grep -E 'ACPI: (IORT|APIC|SPCR)|arm-smmu-v3.*(probed|ias)|ITS \[mem' | sed 's/^/dmesg: /';
edu_test --iommufd --bind --timeout-ms 5000; echo edu_rc=\$?"
set -- --viommu smmuv3
[ -c "$edu_cdev" ] && set -- "$@" --device "vfio,path=$edu_cdev"
cp "$FW/AAVMF_VARS.fd" "$T/acpivars.fd"
t0=$(now)
GUEST_TIMEOUT=${FW_TIMEOUT:-600} guest "$T/acpi.out" "$acpi_cmd" "iommu.strict=1" --memory 512M \
	--firmware "$CODE" --firmware-vars "$T/acpivars.fd" --firmware-tables acpi "$@"; rc=$?
echo "# ACPI boot through AAVMF${edu_cdev:+ with the nested vSMMU and edu}: $(( $(now) - t0 )) s (status $rc)"
check "ACPI: nestvm exits 0 when the guest powers off (PSCI from the FADT) (status $rc)" [ "$rc" = 0 ] ||
	show "$T/acpi.out" 40
# acpi_only OUT: the guest listed every table of nestvm's in /sys/firmware/acpi/tables and had no
# device tree (a function: busybox ash misparses this as a nested sh -c string).
acpi_only() {
	local l t
	l=$(sed -n 's/^acpi-tables=//p' "$1")
	for t in DSDT FACP APIC GTDT MCFG SPCR IORT; do
		case " $l " in *" $t "*) ;; *) return 1 ;; esac
	done
	grep -q '^dt=none$' "$1"
}
check "ACPI: the kernel booted on nestvm's tables (DSDT FACP APIC GTDT MCFG SPCR IORT), without a device tree" \
	acpi_only "$T/acpi.out" || show "$T/acpi.out" 30
check "ACPI: arm-smmu-v3 probed the vSMMU from the IORT (smmu3 in /sys/class/iommu, an IORT platform device)" \
	grep -q '^iommu=smmu3\.0x0000000009050000 dev=arm-smmu-v3\.' "$T/acpi.out" || show "$T/acpi.out" 30
if [ -c "$edu_cdev" ]; then
	check "ACPI: edu's DMA and MSIs through the nested vSMMU (edu_test over the guest's iommufd passes, 4 MSIs)" \
		sh -c "grep -q '^# edu_test: interrupts=4\$' '$T/acpi.out' && grep -q '^edu_rc=0\$' '$T/acpi.out'" ||
		show "$T/acpi.out" 30
	# The MADT names one MSI controller, the ITS (at the nested-MSI placement, layout.h), and the IORT
	# routes every RID to it: the 4 MSIs above can only have come through it.
	check "ACPI: the MSI controller is the MADT's ITS at the nested-MSI address (0x07ff0000), the IORT's ITS group" \
		grep -q 'ITS \[mem 0x07ff0000-0x0800ffff\]' "$T/acpi.out" || show "$T/acpi.out" 30
else
	skip "no edu bound to vfio-pci in L1" "ACPI: edu behind the nested vSMMU"
	skip "no edu bound to vfio-pci in L1" "ACPI: edu's MSIs through the ITS"
fi

# Boot from a disk: the ESP image tools/testhost/guest-esp makes (tools/mkesp: GPT, FAT, systemd-boot as
# \EFI\BOOT\BOOTAA64.EFI, the kit kernel, the guest initramfs, a loader entry with the command line).
# No --kernel: the firmware's boot manager finds the removable-media default file on nestvm's
# virtio-blk disk, systemd-boot starts the kernel's EFI stub with the initrd (LoadFile2) and the
# command line. The guest's /init counts boots in a non-volatile variable (efivarfs), reports the
# IOMMUs the kernel probed and, with edu assigned behind the nested vSMMU, runs its iommufd test.
ESP=/nestvm/build-testhost/guest/$NESTVM_ARCH-esp.img
# esp_boot OUT NESTVM-ARGS...: boots the ESP (read-only) with a fresh-or-kept $T/espvars.fd.
esp_boot() {
	local out=$1 rc; shift
	timeout "${FW_TIMEOUT:-600}" "$NESTVM" run --memory 512M --disk "path=$ESP,readonly" \
		--firmware "$CODE" --firmware-vars "$T/espvars.fd" "$@" < /dev/null > "$out.raw" 2>&1; rc=$?
	tr -d '\r' < "$out.raw" | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' > "$out"
	return $rc
}
if [ -f "$ESP" ]; then
	cp "$FW/AAVMF_VARS.fd" "$T/espvars.fd"
	set --
	[ -c "$edu_cdev" ] && set -- --viommu smmuv3 --device "vfio,path=$edu_cdev"
	t0=$(now)
	esp_boot "$T/esp1.out" "$@"; rc=$?
	echo "# ESP boot through AAVMF + systemd-boot${1:+ with the nested vSMMU and edu}: $(( $(now) - t0 )) s (status $rc)"
	check "ESP boot: nestvm exits 0 when the guest powers off (status $rc)" [ "$rc" = 0 ] || show "$T/esp1.out" 40
	check "ESP boot: the firmware booted the disk's loader, which started the kernel to /init" \
		grep -q '^nestvm-guest: init reached' "$T/esp1.out" || show "$T/esp1.out" 40
	check "ESP boot: the first boot with a fresh vars file sees no boot counter yet, sets it" \
		sh -c "grep -q '^esp-boots-before=0\$' '$T/esp1.out' && grep -q '^esp-setvar-ok' '$T/esp1.out'" ||
		show "$T/esp1.out" 20
	if [ -c "$edu_cdev" ]; then
		check "ESP boot: the guest probed the vSMMU (an smmu3 in /sys/class/iommu)" \
			grep -q '^iommus=.*smmu3' "$T/esp1.out" || show "$T/esp1.out" 20
		check "ESP boot: edu's DMA and MSIs through the nested vSMMU (edu_test passes, 4 MSIs)" \
			sh -c "grep -q '^# edu_test: interrupts=4\$' '$T/esp1.out' && grep -q '^edu_rc=0\$' '$T/esp1.out'" ||
			show "$T/esp1.out" 30
	else
		skip "no edu bound to vfio-pci in L1" "ESP boot: vSMMU probed"
		skip "no edu bound to vfio-pci in L1" "ESP boot: edu behind the nested vSMMU"
	fi
	t0=$(now)
	esp_boot "$T/esp2.out" --boot-timeout 500; rc=$?
	echo "# second ESP boot, same vars file: $(( $(now) - t0 )) s (status $rc)"
	check "ESP boot: the next boot with the same vars file reads the counter the guest set (status $rc)" \
		grep -q '^esp-boots-before=1$' "$T/esp2.out" || show "$T/esp2.out" 30
	check "ESP boot: --boot-timeout saw the kernel's banner after the firmware and loader, did not fire" \
		sh -c "! grep -q 'boot watchdog' '$T/esp2.out'" || show "$T/esp2.out" 10
else
	not_ok "ESP boot: $ESP exists (tools/testhost/guest-initramfs $NESTVM_ARCH makes it)"
fi

# No kernel: the boot manager finds nothing to boot and falls to the UEFI Shell, which counts down
# startup.nsh and prints its prompt. With a virtio-blk disk attached, the firmware's own virtio 1.0
# PCI and block drivers must drive nestvm's disk: "map -r" typed at the prompt lists it as BLK0, and
# "dblk" reads its first sector (a pattern). nestvm keeps running at the prompt: stop it there.
cp "$FW/AAVMF_VARS.fd" "$T/vars.fd"
dd if=/dev/zero of="$T/disk" bs=1M count=4 2>/dev/null
printf 'NESTVM-DISK-PATTERN' | dd of="$T/disk" conv=notrunc 2>/dev/null
mkfifo "$T/shell.in"
: > "$T/shell.raw"
t0=$(now)
(i=0; while [ $i -lt "${FW_TIMEOUT:-600}" ] && ! grep -q 'Shell> ' "$T/shell.raw"; do sleep 1; i=$((i + 1)); done
 echo "# UEFI Shell through AAVMF: $(( $(now) - t0 )) s" >&2
 sleep 1; printf 'map -r\r'; sleep 5; printf 'dblk blk0 0 1\r'; sleep 5) > "$T/shell.in" &
w=$!
"$NESTVM" run --memory 256M --disk "path=$T/disk" --firmware "$CODE" --firmware-vars "$T/vars.fd" \
	< "$T/shell.in" > "$T/shell.raw" 2>&1 &
pid=$!
wait $w
alive=no; kill -0 $pid 2>/dev/null && alive=yes
kill $pid 2>/dev/null; wait $pid 2>/dev/null
tr -d '\r' < "$T/shell.raw" | sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' > "$T/shell.out"
check "UEFI Shell: AAVMF reaches the Shell prompt" grep -q 'Shell> ' "$T/shell.out" || show "$T/shell.out" 40
check "UEFI Shell: nestvm was still running the guest there" [ "$alive" = yes ]
check "UEFI Shell: the firmware's virtio drivers see nestvm's virtio-blk disk (BLK0 at PciRoot(0x0)/Pci(0x1,0x0))" \
	sh -c "grep -q 'BLK0:' '$T/shell.out' && grep -q 'PciRoot(0x0)/Pci(0x1,0x0)' '$T/shell.out'" || show "$T/shell.out" 20
check "UEFI Shell: the firmware reads the disk's first sector" grep -q '4E 45 53 54 56 4D 2D 44-49 53 4B' "$T/shell.out" ||
	show "$T/shell.out" 20
# Firmware that never reaches an OS: no disk, no kernel, AAVMF waits at the Shell prompt. The boot
# watchdog stops it with exit code 6 and one line; the Shell's output is no OS (no marker in it).
cp "$FW/AAVMF_VARS.fd" "$T/vars.fd"
t0=$(now)
timeout "${FW_TIMEOUT:-600}" "$NESTVM" run --memory 256M --firmware "$CODE" --firmware-vars "$T/vars.fd" \
	--boot-timeout 90 < /dev/null > "$T/wdfw.out" 2> "$T/wdfw.err"; rc=$?
echo "# watchdog at the Shell: $(( $(now) - t0 )) s"
check "boot watchdog: AAVMF left at the Shell is stopped after --boot-timeout 90 with exit code 6 (status $rc)" \
	[ "$rc" = 6 ] || show "$T/wdfw.err" 10
check "boot watchdog: it had reached the Shell, and says so in one stderr line" \
	sh -c "tr -d '\r' < '$T/wdfw.out' | grep -q 'Shell> ' && [ \$(wc -l < '$T/wdfw.err') = 1 ] && grep -q 'did not reach its OS' '$T/wdfw.err'" ||
	show "$T/wdfw.err" 10
done_testing
