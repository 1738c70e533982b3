# Bare-metal SMMUv3 conformance (arm64): firmware/smmuv3-conformance, a flat arm64 Image without an
# OS, drives nestvm's emulated SMMUv3 (--viommu smmuv3) through its registers and queues (IHI 0070:
# ID/reset values, GBPA, CR0ACK, CMD_SYNC, CMDQ errors, linear and 2-level stream tables, C_BAD_STE,
# event queue overflow), prints TAP on the PL011 and powers off with PSCI. Each of its test points is
# re-emitted here as one of this script's own points (prefixed "payload:"), so numbering never collides.
. tests/testhost/lib.sh

if [ "$NESTVM_ARCH" != arm64 ]; then
	skip "the SMMUv3 payload is aarch64 bare metal" "smmuv3 conformance payload"
	done_testing
	exit $?
fi

PAYLOAD=${NESTVM_SMMU_PAYLOAD:-/nestvm/build-testhost/arm64/firmware/smmuv3-conformance/smmuv3-conformance.bin}
if [ ! -f "$PAYLOAD" ]; then
	not_ok "smmuv3 conformance payload is built ($PAYLOAD missing: run tools/build arm64)"
	done_testing
	exit $?
fi
timeout 120 "$NESTVM" run --kernel "$PAYLOAD" --viommu smmuv3 --memory 64M </dev/null >"$T/raw" 2>&1
rc=$?
tr -d '\r' < "$T/raw" > "$T/out"
check "smmuv3 payload: nestvm exits 0 (the payload powered off with PSCI SYSTEM_OFF)" [ "$rc" = 0 ] ||
	{ echo "#   nestvm exit status $rc"; show "$T/out"; }

# The payload's points, its diagnostics as comments.
payload_points "$T/out" payload 25
done_testing
