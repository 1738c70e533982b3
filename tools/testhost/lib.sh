# Shared by the testhost scripts (sourced, not run). Paths, kit lookup and the private sid apt state.
# shellcheck shell=bash
TH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$TH_DIR/../.." && pwd)
CACHE=${NESTVM_CACHE:-$HOME/.cache/nestvm}
KVER=7.2
mkdir -p "$CACHE"
# Every entry point finds the prebuilt kit the same way: NESTVM_TESTHOST_KIT, else ../shared/testhost
# next to the checkout when it exists, else the kernels are built (tools/testhost/kernel).
if [ -z "${NESTVM_TESTHOST_KIT:-}" ] && [ -d "$TOP/../shared/testhost" ]; then
	NESTVM_TESTHOST_KIT=$(cd "$TOP/../shared/testhost" && pwd)
	export NESTVM_TESTHOST_KIT
fi

th_die() { printf '%s: %s\n' "${TH_PROG:-testhost}" "$1" >&2; exit "${2:-1}"; }
th_say() { printf '%s: %s\n' "${TH_PROG:-testhost}" "$*" >&2; }

th_arch_check() {  # normalise and validate an --arch value
	case "$1" in
		arm64|aarch64) echo arm64 ;;
		x86_64|x86|amd64) echo x86_64 ;;
		*) th_die "unknown arch '$1' (use arm64 or x86_64)" 2 ;;
	esac
}

th_kimage_name() { [ "$1" = arm64 ] && echo Image || echo bzImage; }

# The kernel patches ARCH's kernel is built with: patches/*.patch (every arch) and patches/ARCH/*.patch.
th_arch_patches() {
	ls "$TH_DIR"/patches/*.patch "$TH_DIR/patches/$1"/*.patch 2>/dev/null
}

# The kernel build is keyed by source version + fragment + patches, so any change rebuilds.
th_kernel_key() {
	# shellcheck disable=SC2046
	cat "$TH_DIR/fragments/$1.config" $(th_arch_patches "$1") | { echo "linux-source-$KVER"; cat; } |
		sha256sum | cut -c1-16
}

# th_kit_missing ARCH: the first of ARCH's patches the kit (NESTVM_TESTHOST_KIT) was built without,
# nothing when it has them all. A kit keeps what it applied in patches/ (its build-kit.sh applies
# every one of them to both arches); a patch counts only when it is there byte for byte. A kit with
# no patches/ at all says nothing about them and is taken as it is.
th_kit_missing() {
	local p
	[ -d "$NESTVM_TESTHOST_KIT/patches" ] || return 0
	for p in $(th_arch_patches "$1"); do
		cmp -s "$p" "$NESTVM_TESTHOST_KIT/patches/$(basename "$p")" ||
			cmp -s "$p" "$NESTVM_TESTHOST_KIT/patches/$1/$(basename "$p")" || { basename "$p"; return; }
	done
}

# Where the testhost parts for ARCH live: a kit (NESTVM_TESTHOST_KIT) when it has every patch ARCH's
# kernel needs, else our own build cache (tools/testhost/kernel builds it there).
th_kit_dir() {
	local arch=$1
	if [ -n "${NESTVM_TESTHOST_KIT:-}" ] && [ -z "$(th_kit_missing "$arch")" ]; then
		[ -d "$NESTVM_TESTHOST_KIT/$arch" ] || th_die "kit $NESTVM_TESTHOST_KIT has no $arch/ (unset NESTVM_TESTHOST_KIT to build one)"
		echo "$(cd "$NESTVM_TESTHOST_KIT" && pwd)/$arch"
	else
		echo "$CACHE/kit-$(th_kernel_key "$arch")/$arch"
	fi
}

# Private apt state for parts taken from sid: the system's sources and package state stay untouched.
th_sid_apt() {
	local st="$CACHE/apt-sid"
	mkdir -p "$st/lists/partial"
	if [ ! -f "$st/sid.sources" ]; then
		awk 'BEGIN{RS="";ORS="\n"} NR==1' /etc/apt/sources.list.d/debian.sources |
			sed -e 's/^Suites:.*/Suites: sid/' > "$st/sid.sources"
	fi
	mkdir -p "$st/cache"
	TH_APT=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$st" -o Dir::State::Lists="$st/lists"
		-o Dir::Cache="$st/cache" -o Dir::State::Status=/dev/null -o APT::Sandbox::User=root
		-o APT::Architectures::=amd64 -o APT::Architectures::=arm64)
	if [ ! -f "$st/lists/.updated" ] || [ -n "$(find "$st/lists/.updated" -mmin +1440)" ]; then
		apt-get "${TH_APT[@]}" update -qq || th_die "apt-get update (sid, private state) failed"
		touch "$st/lists/.updated"
	fi
}

# Unpacked linux-source-7.2 with every patch of every arch (each touches only its own arch's code),
# shared by the kernel builds and the kernel selftests. One maker at a time (flock).
th_linux_source() {
	local src="$CACHE/linux-source-$KVER" key lk
	# Keyed by the patches' contents, not by where the checkout is (a clone elsewhere shares the tree).
	key=$(cat "$TH_DIR"/patches/*.patch "$TH_DIR"/patches/*/*.patch 2>/dev/null | sha256sum | cut -c1-16)
	exec {lk}> "$CACHE/linux-source.lock" && flock "$lk" || th_die "cannot lock $CACHE/linux-source.lock"
	if [ ! -f "$src/.nestvm-$key" ]; then
		th_sid_apt
		th_say "fetching linux-source-$KVER from sid (private apt state, unpacked under $CACHE)"
		local dl="$CACHE/dl"; rm -rf "$dl" "$src" "$src.tmp"; mkdir -p "$dl"
		(cd "$dl" && apt-get "${TH_APT[@]}" download -qq "linux-source-$KVER") || th_die "download of linux-source-$KVER failed"
		dpkg -x "$dl"/linux-source-${KVER}_*_all.deb "$dl/pkg"
		mkdir -p "$src.tmp" && tar -C "$src.tmp" --strip-components=1 -xf "$dl/pkg/usr/src/linux-source-$KVER.tar.xz"
		for p in "$TH_DIR"/patches/*.patch "$TH_DIR"/patches/*/*.patch; do
			[ -f "$p" ] || continue
			patch -s -d "$src.tmp" -p1 < "$p" || th_die "patch $p failed"
		done
		mv "$src.tmp" "$src" && rm -rf "$dl" && touch "$src/.nestvm-$key"
	fi
	exec {lk}>&-
	echo "$src"
}

# A QEMU that runs from a folder of its own, BUNDLE: the binary, the loader and the libraries it
# needs in BUNDLE/lib, its firmware in BUNDLE/share, and BUNDLE/qemu, a sh wrapper that runs it through
# the bundled loader (`ld-linux --library-path BUNDLE/lib ... -L BUNDLE/share`) from wherever BUNDLE
# is seen (L1 sees build-testhost/ under /nestvm). Without ROOT: the build machine's QEMU, the
# libraries ldd names and the FILES (firmware names) from /usr/share/qemu and /usr/share/seabios.
# With ROOT (a `dpkg -x` tree: th_sid_qemu_root): the loader and libraries of ROOT as ROOT's own
# loader resolves them, and all of ROOT's /usr/share/qemu (FILES unused). Rebuilt when the binary
# changes. Prints BUNDLE.
th_qemu_bundle() {  # th_qemu_bundle QEMU BUNDLE ROOT|"" [FILES...]
	local q=$1 b=$2 root=$3 key f src ld lp
	shift 3
	key=$(sha256sum "$q" | cut -c1-16)
	if [ "$(cat "$b/.key" 2>/dev/null)" != "$key" ]; then
		rm -rf "$b" && mkdir -p "$b/lib" "$b/share" || th_die "cannot make $b"
		cp "$q" "$b/" || th_die "cannot copy $q into $b"
		if [ -z "$root" ]; then
			ldd "$q" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}' | while read -r l; do cp -L "$l" "$b/lib/"; done
			for f in "$@"; do
				src=$(find /usr/share/qemu /usr/share/seabios -name "$f" 2>/dev/null | head -n1)
				[ -n "$src" ] && cp -L "$src" "$b/share/"
			done
		else
			ld=$(find "$root/usr/lib" "$root/usr/lib64" -maxdepth 2 -name 'ld-linux-*.so.*' 2>/dev/null | head -n1)
			[ -n "$ld" ] || th_die "no ld-linux in $root"
			lp=$(find "$root/usr/lib" -maxdepth 1 -type d -name '*-linux-gnu*' | tr '\n' ':')
			"$ld" --library-path "$lp" --list "$q" > "$b/.libs" || th_die "$q does not load with $root's libraries (see $b/.libs)"
			awk '/=> \//{print $3}' "$b/.libs" | while read -r l; do cp -L "$l" "$b/lib/"; done
			cp -L "$ld" "$b/lib/" && cp -rL "$root/usr/share/qemu/." "$b/share/" || th_die "cannot copy $root's loader or /usr/share/qemu"
		fi
		cat > "$b/qemu" <<'WRAP'
#!/bin/sh
# Runs the bundled QEMU through the bundled loader and libraries, its firmware from share/.
b=$(cd "$(dirname "$0")" && pwd)
q=$(cd "$b" && ls qemu-system-*)
exec "$b"/lib/ld-linux-* --library-path "$b/lib" "$b/$q" -L "$b/share" "$@"
WRAP
		chmod +x "$b/qemu"
		echo "$key" > "$b/.key"
	fi
	echo "$b"
}

# The x86_64 peer VMM for runs inside L1: the build machine's qemu-system-x86_64 bundled
# (th_qemu_bundle) with the firmware microvm loads, in build-testhost/peer/x86_64. Prints the folder.
th_x86_peer_bundle() {
	local q
	q=$(command -v qemu-system-x86_64) || th_die "qemu-system-x86_64 not found: run tools/setup" 3
	th_qemu_bundle "$q" "$TOP/build-testhost/peer/x86_64" "" \
		qboot.rom bios-microvm.bin linuxboot_dma.bin kvmvapic.bin bios-256k.bin
}

# Debian sid's QEMU system emulator PKG (qemu-system-x86 or qemu-system-arm) and its whole runtime
# closure (sid's libc6 included), unpacked (`dpkg -x`, nothing installed or configured) into
# $CACHE/qemu-sid/root: the private sid apt state of th_sid_apt resolves the closure with an empty
# package status (`install --download-only` downloads every dependency), the .debs are kept in
# $CACHE/qemu-sid/debs. Absolute symlinks in the tree (/usr/share/qemu -> /usr/share/seabios/...) are
# made to point into the tree. Fetched once per candidate version. Prints the root.
th_sid_qemu_root() {  # th_sid_qemu_root PKG
	local pkg=$1 r="$CACHE/qemu-sid" v d l t
	th_sid_apt
	v=$(apt-cache "${TH_APT[@]}" policy "$pkg" | awk '/Candidate:/{print $2}')
	[ -n "$v" ] && [ "$v" != "(none)" ] || th_die "sid has no $pkg"
	if [ ! -f "$r/.done-$pkg-$v" ]; then
		th_say "fetching sid's $pkg $v and its runtime closure (private apt state, unpacked under $r)"
		mkdir -p "$r/debs/partial" "$r/state" "$r/root" || th_die "cannot make $r"
		# ipxe-qemu and seabios: the option ROMs and BIOS QEMU loads (Recommends, or reached only through
		# qemu-system-data); both architecture-independent, so cheap for either PKG.
		apt-get "${TH_APT[@]}" -o Dir::State="$r/state" -o Dir::Cache::Archives="$r/debs" \
			-o Debug::NoLocking=1 install --download-only -y -qq --no-install-recommends \
			"$pkg" ipxe-qemu seabios >&2 || th_die "resolving/downloading sid's $pkg failed"
		for d in "$r"/debs/*.deb; do dpkg -x "$d" "$r/root" || th_die "dpkg -x $d failed"; done
		find "$r/root" -type l | while read -r l; do
			t=$(readlink "$l")
			case $t in "$r/root"/*) ;; /*) ln -sfn "$r/root$t" "$l" ;; esac
		done
		touch "$r/.done-$pkg-$v"
	fi
	echo "$r/root"
}

# The L0 QEMU an arch's testhost runs under unless told (run --l0-qemu, NESTVM_L0_QEMU): sid's for
# x86_64, where QEMU 10.0's TCG SVM world switch leaks L1 host state into nested guests (L2 vCPUs
# saved with L1's __svm_vcpu_run RIP; docs/testhost.md), the system's for arm64.
th_l0_default() {  # th_l0_default ARCH
	case $1 in
		x86_64) echo sid ;;
		*) echo system ;;
	esac
}

# The L0 QEMU of `tools/testhost/run --l0-qemu sid`: sid's qemu-system-ARCH bundled (th_qemu_bundle)
# in $CACHE/l0-qemu-sid/ARCH. Prints the command (the bundle's wrapper) to run it with.
th_l0_qemu_sid() {  # th_l0_qemu_sid ARCH
	local pkg bin root b
	case $1 in
		x86_64) pkg=qemu-system-x86 bin=qemu-system-x86_64 ;;
		arm64) pkg=qemu-system-arm bin=qemu-system-aarch64 ;;
	esac
	root=$(th_sid_qemu_root "$pkg") || exit
	b=$(th_qemu_bundle "$root/usr/bin/$bin" "$CACHE/l0-qemu-sid/$1" "$root") || exit
	echo "$b/qemu"
}

# The arm64 peer VMM for runs inside L1: Debian trixie's qemu-system-arm in a foreign debootstrap root
# (unpacked, not configured), build-testhost/peer/arm64, which L1 runs with chroot. About 370 MB,
# downloaded once from the machine's own Debian source. Prints the folder.
th_arm64_peer_root() {
	local r="$TOP/build-testhost/peer/arm64" mirror d
	if [ ! -f "$r/.done" ]; then
		command -v debootstrap >/dev/null || th_die "debootstrap not found: run tools/setup" 3
		mirror=$(awk 'BEGIN{RS="";ORS="\n"} NR==1' /etc/apt/sources.list.d/debian.sources | sed -n 's/^URIs: *\([^ ]*\).*/\1/p')
		th_say "making the arm64 peer root (trixie qemu-system-arm) in $r"
		rm -rf "$r" && mkdir -p "$r"
		debootstrap --arch=arm64 --foreign --variant=minbase --include=qemu-system-arm trixie "$r" "$mirror" >&2 ||
			th_die "debootstrap of the arm64 peer root failed"
		for d in "$r"/var/cache/apt/archives/*.deb; do dpkg -x "$d" "$r"; done
		touch "$r/.done"
	fi
	echo "$r"
}

# Debian's curl for tests inside L1 (tests/testhost/api.sh drives the API with it), the way the QEMU
# peer is bundled: the binary and the libraries ldd lists, in build-testhost/peer/curl-ARCH (L1 sees
# it under /nestvm and runs it through the bundled loader, lib/ld-linux-*). x86_64: the build
# machine's own files. arm64: the same Debian packages for arm64 (curl and those of the libraries
# x86_64's ldd lists; no dependency resolution, so nothing else), downloaded once into a private
# apt state. Prints the folder; fails (with a note) when it cannot be made: tests then skip curl.
th_curl_bundle() {
	local arch=$1 b="$TOP/build-testhost/peer/curl-$1" c key libs l pkgs st d
	local -a o
	c=$(command -v curl) || { th_say "curl not found (tools/setup installs it): no curl in L1"; return 1; }
	key=$(sha256sum "$c" | cut -c1-16)
	if [ "$(cat "$b/.key" 2>/dev/null)" = "$key" ]; then echo "$b"; return 0; fi
	rm -rf "$b" && mkdir -p "$b/lib"
	libs=$(ldd "$c" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}')
	if [ "$arch" = x86_64 ]; then
		cp "$c" "$b/curl"
		for l in $libs; do cp -L "$l" "$b/lib/"; done
	else
		pkgs="curl:arm64"
		for l in $libs; do
			d=$(dpkg -S "$(readlink -f "$l")" 2>/dev/null || dpkg -S "$l" 2>/dev/null) || continue
			pkgs="$pkgs ${d%%:*}:arm64"
		done
		st="$CACHE/apt-curl-arm64"; mkdir -p "$st/lists/partial" "$b/debs"
		awk 'BEGIN{RS="";ORS="\n"} NR==1' /etc/apt/sources.list.d/debian.sources > "$st/arm64.sources"
		o=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$st" -o Dir::State::Lists="$st/lists"
		   -o APT::Architectures::=arm64 -o APT::Architecture=arm64 -o Dir::State::Status=/dev/null
		   -o APT::Sandbox::User=root)
		if [ ! -f "$st/lists/.updated" ]; then
			apt-get "${o[@]}" update -qq >&2 && touch "$st/lists/.updated" ||
				{ th_say "apt-get update (arm64, private state) failed: no curl in L1"; return 1; }
		fi
		# shellcheck disable=SC2086 # word splitting of the package list is wanted
		(cd "$b/debs" && apt-get "${o[@]}" download -qq $(printf '%s\n' $pkgs | sort -u) >&2) ||
			{ th_say "downloading curl:arm64 and its libraries failed: no curl in L1"; return 1; }
		for d in "$b"/debs/*.deb; do dpkg -x "$d" "$b/root"; done
		cp "$b/root/usr/bin/curl" "$b/curl"
		find "$b/root/lib/aarch64-linux-gnu" "$b/root/usr/lib/aarch64-linux-gnu" -maxdepth 1 -name '*.so*' \
			\( -type f -o -type l \) 2>/dev/null |
			while read -r l; do cp -L "$l" "$b/lib/" 2>/dev/null; done
		rm -rf "$b/debs" "$b/root"
	fi
	echo "$key" > "$b/.key"
	echo "$b"
}
