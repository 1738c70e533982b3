# A guest with more vCPUs than xAPIC ids (x86_64): 260 vCPUs behind --viommu vtd. vCPUs 255-259 have
# x2APIC ids above 254, which an interrupt's 8-bit destination (IOAPIC RTE, MSI address) cannot
# name; L2's Linux brings them up only with interrupt remapping in x2APIC mode (the DMAR's
# INTR_REMAP, ECAP.EIM), and an interrupt reaches them only through an IRTE's 32-bit destination,
# which nestvm hands to KVM as a 32-bit MSI destination (KVM_CAP_X2APIC_API). Checked from inside:
# all 260 online, vCPU 259's APIC id, x2APIC + remapping in dmesg, and COM1's interrupt (IOAPIC pin
# 4; Linux numbers it anew behind the remapping, "IR-IO-APIC 4-edge ttyS0") moved to CPU 259 and
# counted there while the guest writes to its console.
. tests/testhost/lib.sh

if [ "$NESTVM_ARCH" != x86_64 ]; then
	skip "x2APIC ids are x86_64's (arm64 stops at its 123 redistributor frames)" "260 vCPUs"
	done_testing
	exit $?
fi
# NESTVM_MANY_CPUS_N: another count, for a quick look at the checks themselves (they hold for any N).
N=${NESTVM_MANY_CPUS_N:-260}; LAST=$((N - 1))
# Opt-in: booting 260 vCPUs takes this emulated host (TCG, one L1 CPU, no PAUSE filter) longer than
# a CI run can give one part (docs/viommu.md, "More than 255 vCPUs").
if [ "${NESTVM_TESTHOST_MANY_CPUS:-0}" != 1 ]; then
	skip "$N vCPUs take this emulated host tens of minutes to boot; NESTVM_TESTHOST_MANY_CPUS=1 runs it" "$N vCPUs"
	done_testing
	exit $?
fi
if ! grep -Eq '^CONFIG_NR_CPUS=(26[0-9]|2[7-9][0-9]|[3-9][0-9][0-9]|[0-9]{4})$' "/kit/$NESTVM_ARCH/config"; then
	skip "the kit's kernel has $(grep '^CONFIG_NR_CPUS=' "/kit/$NESTVM_ARCH/config"): fewer CPUs than $N" "$N vCPUs"
	done_testing
	exit $?
fi
GCMD='echo "mc: online $(cat /sys/devices/system/cpu/online)"
echo "mc: apicid $(awk -F": " "/^processor/ { p = \$2 } /^apicid/ && p == '$LAST' { print \$2 }" /proc/cpuinfo)"
dmesg | grep -iE "x2apic|IRQ remapping" | sed "s/^/mc-dmesg: /"
n=$(awk "/ttyS0\$/ { sub(\":\", \"\", \$1); print \$1 }" /proc/interrupts)
echo "mc: com1 irq $n"
echo '$LAST' > /proc/irq/$n/smp_affinity_list; echo "mc: com1 effective $(cat /proc/irq/$n/effective_affinity_list)"
b=$(awk "\$1 == \"$n:\" { print \$('$LAST' + 2) }" /proc/interrupts)
i=0; while [ $i -lt 40 ]; do echo "mc: line $i, for the UART transmit interrupt ........................."; i=$((i + 1)); done
echo "mc: com1 on cpu'$LAST' $b -> $(awk "\$1 == \"$n:\" { print \$('$LAST' + 2) }" /proc/interrupts)"'
t0=$(secs)
# cpuhp.parallel=0: one AP at a time, the others still waiting for their SIPI. With the parallel
# bring-up all 259 APs spin in cpuhp_ap_sync_alive() while the BSP releases them one by one, and on
# this emulated host (no PAUSE filter, one L1 CPU) the BSP then gets a 260th of the CPU: 1200 s were
# not enough for it.
GUEST_TIMEOUT=2700 guest "$T/out" "$GCMD" "loglevel=1 cpuhp.parallel=0" --cpus $N --memory 768M --viommu vtd; rc=$?
echo "# $N vCPUs: $(($(secs) - t0)) s from start to power-off (L1 seconds)"
line() { sed -n "s/^mc: $1 //p" "$T/out" | tail -n1; }
check "L2 brought all $N vCPUs online ($(line online))" [ "$(line online)" = "0-$LAST" ] || show "$T/out" 40
check "vCPU $LAST has x2APIC id $LAST ($(line apicid))" [ "$(line apicid)" = "$LAST" ]
# (x2APIC on at boot, as nestvm starts the LAPICs of such a VM: "x2apic: enabled by BIOS".)
check "L2 runs x2APIC with interrupt remapping" sh -c "grep -qE '^mc-dmesg: .*x2apic(: | )enabled' '$T/out' && grep -qi '^mc-dmesg: .*Enabled IRQ remapping in x2apic mode' '$T/out'" ||
	grep '^mc-dmesg: ' "$T/out" | sed 's/^/#   /'
check "COM1's interrupt (Linux IRQ $(line 'com1 irq')) moved to CPU $LAST ($(line 'com1 effective'))" \
	[ "$(line 'com1 effective')" = "$LAST" ]
c=$(line "com1 on cpu$LAST")
check "... and counted there while the guest wrote 40 lines ($c)" \
	sh -c "set -- \$(echo '$c' | tr -d '>-'); [ -n \"\$2\" ] && [ \"\$2\" -gt \"\$1\" ]"
check "the guest ends and nestvm exits 0 (status $rc, guest $(guest_exit "$T/out"))" \
	[ "$rc.$(guest_exit "$T/out")" = 0.0 ] || show "$T/out" 20
done_testing
