#!/usr/bin/env bash
# tools/mkesp on this machine: refusals with one clear line, and the image it makes (read back with
# sfdisk and mtools): a GPT whose one partition is an EFI system partition holding the kernel, the
# initrd and the loader's files with the command line. Booting it is tests/testhost/firmware.sh's.
. "$(dirname "$0")/tap.sh"
mk=$TOP/tools/mkesp
printf 'MZ fake kernel' > "$T/k"; printf 'initrd bytes' > "$T/i"; printf 'MZ fake sd-boot' > "$T/sd"
printf '\177ELF' > "$T/elf"

expect_fail "mkesp: no --arch" 2 "^mkesp: --arch must be arm64 or x86_64" "$mk" --kernel "$T/k" "$T/o"
expect_fail "mkesp: no output" 2 "^mkesp: no output image given" "$mk" --arch arm64 --kernel "$T/k"
expect_fail "mkesp: missing kernel file" 2 "$T/none: not a readable file" "$mk" --arch arm64 --kernel "$T/none" "$T/o"
expect_fail "mkesp: a kernel that is no EFI application" 2 "no MZ header.*CONFIG_EFI_STUB" \
	"$mk" --arch arm64 --kernel "$T/elf" "$T/o"
expect_fail "mkesp: unknown loader" 2 "^mkesp: --loader must be systemd-boot or shell" \
	"$mk" --arch x86_64 --kernel "$T/k" --loader grub "$T/o"
expect_fail "mkesp: missing systemd-boot" 2 "$T/nosd: no systemd-boot for arm64" \
	"$mk" --arch arm64 --kernel "$T/k" --sd-boot "$T/nosd" "$T/o"
if [ -e "$T/o" ] || [ -e "$T/o.tmp" ]; then not_ok "mkesp: refusals leave no image"; else ok "mkesp: refusals leave no image"; fi

if ! command -v mcopy >/dev/null || ! { command -v sfdisk >/dev/null || [ -x /usr/sbin/sfdisk ]; }; then
	ok "mkesp: image contents # SKIP mtools/fdisk not installed (tools/setup)"
	done_testing; exit
fi
export MTOOLS_SKIP_CHECK=1 PATH=$PATH:/usr/sbin:/sbin
if "$mk" --arch arm64 --kernel "$T/k" --initrd "$T/i" --sd-boot "$T/sd" --cmdline "console=ttyAMA0 a=b" "$T/esp.img" 2> "$T/err"; then
	ok "mkesp: systemd-boot image made"
else
	not_ok "mkesp: systemd-boot image made"; sed 's/^/#   /' "$T/err"
fi
if sfdisk -d "$T/esp.img" 2>/dev/null | grep -q 'start= *2048,.*type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B'; then
	ok "mkesp: one GPT partition at 1 MiB, of the EFI system partition type"
else not_ok "mkesp: partition table"; sfdisk -d "$T/esp.img" 2>&1 | sed 's/^/#   /'; fi
got() { mtype -i "$T/esp.img@@1M" "$1" 2>/dev/null; }
if [ "$(got ::/EFI/BOOT/BOOTAA64.EFI)" = "MZ fake sd-boot" ] && [ "$(got ::/nestvm/linux.efi)" = "MZ fake kernel" ] &&
	[ "$(got ::/nestvm/initrd)" = "initrd bytes" ]; then
	ok "mkesp: FAT holds systemd-boot as BOOTAA64.EFI, the kernel and the initrd"
else not_ok "mkesp: FAT contents"; mdir -/ -i "$T/esp.img@@1M" :: 2>&1 | sed 's/^/#   /' | head; fi
if got ::/loader/entries/nestvm.conf | grep -qx 'options console=ttyAMA0 a=b' &&
	got ::/loader/entries/nestvm.conf | grep -qx 'initrd /nestvm/initrd' && got ::/loader/loader.conf | grep -qx 'timeout 0'; then
	ok "mkesp: the loader entry carries the command line and the initrd, no menu timeout"
else not_ok "mkesp: loader entry"; got ::/loader/entries/nestvm.conf | sed 's/^/#   /'; fi
if "$mk" --arch x86_64 --loader shell --kernel "$T/k" --initrd "$T/i" --cmdline "console=ttyS0" "$T/sh.img" 2> "$T/err" &&
	[ "$(mtype -i "$T/sh.img@@1M" ::/startup.nsh | tr -d '\r' | tail -n 1)" = '\nestvm\linux.efi initrd=\nestvm\initrd console=ttyS0' ] &&
	! mdir -i "$T/sh.img@@1M" ::/EFI >/dev/null 2>&1; then
	ok "mkesp: --loader shell writes startup.nsh starting the kernel with initrd= and the command line, no \\EFI\\BOOT"
else not_ok "mkesp: --loader shell"; sed 's/^/#   /' "$T/err"; fi
done_testing
