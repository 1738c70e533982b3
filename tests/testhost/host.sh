# nestvm host inside L1: real KVM, a usable iommufd and the edu device's VFIO cdev are seen the way
# `nestvm run` will use them.
. tests/testhost/lib.sh
"$NESTVM" host > "$T/host" 2>&1; rc=$?
check "nestvm host exits 0 in the testhost" [ "$rc" = 0 ] || show "$T/host"
check "KVM API 12 with every capability nestvm needs" grep -Eq '^kvm: /dev/kvm API 12, .*caps:( [A-Z_0-9]+)+$' "$T/host"
check "no KVM capability missing" sh -c "! grep -q ' !' '$T/host'"
check "iommufd: an IOAS can be allocated" grep -q '^iommufd: /dev/iommu usable' "$T/host"
check "edu is a VFIO device cdev" grep -Eq '^vfio: /dev/vfio/devices/vfio[0-9]+ -> PCI [0-9a-f:.]+ \(0x1234:0x11e8\)$' "$T/host"
# The suite's L1 runs without kho=on liveupdate=on (liveupdate_kexec.sh checks the probe with them).
if [ -c /dev/liveupdate ]; then
	check "liveupdate: which fds this kernel preserves across kexec" \
		grep -q '^liveupdate: /dev/liveupdate: preserves across kexec: memfd (guest RAM) yes' "$T/host" || show "$T/host"
else
	check "liveupdate: no /dev/liveupdate, said so" grep -q '^liveupdate: no /dev/liveupdate' "$T/host" || show "$T/host"
fi
done_testing
