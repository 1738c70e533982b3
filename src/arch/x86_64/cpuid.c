// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID filtering. Bits per the Intel SDM Vol. 2A (CPUID) and AMD APM Vol. 3 appendix E; topology as
 * Linux parses it (arch/x86/kernel/cpu/topology_common.c, topology_ext.c, topology_amd.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86_64/cpuid.h"
#include "vmm/log.h"

#define CPUID_MAX_ENTRIES 4096

#define L1_ECX_VMX       (1u << 5)
#define L1_ECX_TSC_DEADLINE (1u << 24)
#define L1_ECX_HYPERVISOR (1u << 31)
#define L1_EDX_HTT       (1u << 28)
#define E1_ECX_CMP_LEGACY (1u << 1)
#define E1_ECX_SVM       (1u << 2)
#define E1_ECX_TOPOEXT   (1u << 22)

int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *c;

	for (unsigned int n = 128; n <= CPUID_MAX_ENTRIES; n *= 2) {
		c = calloc(1, sizeof(*c) + (n + CPUID_EXTRA_ENTRIES) * sizeof(c->entries[0]));
		if (!c)
			return err_num(-ENOMEM, "CPUID table");
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return err_errno("KVM_GET_SUPPORTED_CPUID");
	}
	return err_num(-E2BIG, "KVM_GET_SUPPORTED_CPUID: more than %u entries", CPUID_MAX_ENTRIES);
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || c->entries[i].index == idx))
			return &c->entries[i];
	return NULL;
}

static void drop(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function != fn)
			c->entries[j++] = c->entries[i];
	c->nent = j;
}

static unsigned int order(unsigned int n)
{
	unsigned int s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

/* A count into a field of MAX: x2APIC-sized counts saturate the legacy fields (leaf 0xB has them whole). */
static unsigned int clamp(unsigned int v, unsigned int max)
{
	return v < max ? v : max;
}

/*
 * Leaf 0xB/0x1F (SDM "V2 Extended Topology Enumeration"): SMT level of one thread, core level of
 * NR_CPUS cores, then the invalid level that ends the list. EDX is the x2APIC id on every subleaf.
 */
static void ext_topology(struct kvm_cpuid2 *c, uint32_t fn, unsigned int apic_id, unsigned int nr_cpus)
{
	struct kvm_cpuid_entry2 e = { .function = fn, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .edx = apic_id };

	drop(c, fn);
	e.index = 0;
	e.eax = 0;
	e.ebx = 1;
	e.ecx = 0 | 1u << 8;        /* level 0, type SMT */
	c->entries[c->nent++] = e;
	e.index = 1;
	e.eax = order(nr_cpus);
	e.ebx = nr_cpus;
	e.ecx = 1 | 2u << 8;        /* level 1, type Core */
	c->entries[c->nent++] = e;
	e.index = 2;
	e.eax = 0;
	e.ebx = 0;
	e.ecx = 2;                  /* type 0: invalid, ends enumeration */
	c->entries[c->nent++] = e;
}

void cpuid_filter(struct kvm_cpuid2 *c, unsigned int apic_id, unsigned int nr_cpus, bool tsc_deadline)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t max_basic = 0;
	bool has_1f;

	e = find(c, 0, 0);
	if (e)
		max_basic = e->eax;
	e = find(c, 1, 0);
	if (e) {
		/* EBX[31:24] initial APIC id, [23:16] logical processors per package (valid with HTT). */
		e->ebx = (e->ebx & 0xffff) | (apic_id & 0xff) << 24 | clamp(nr_cpus, 0xff) << 16;
		e->ecx |= L1_ECX_HYPERVISOR;
		e->ecx &= ~L1_ECX_VMX;
		if (tsc_deadline)
			e->ecx |= L1_ECX_TSC_DEADLINE;   /* KVM emulates it with the in-kernel LAPIC */
		if (nr_cpus > 1)
			e->edx |= L1_EDX_HTT;
		else
			e->edx &= ~L1_EDX_HTT;
	}
	/* Leaf 4 (Intel deterministic cache): EAX[31:26] = cores per package - 1. */
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 4 && (c->entries[i].eax & 0x1f))
			c->entries[i].eax = (c->entries[i].eax & 0x03ffffff) | clamp(nr_cpus - 1, 0x3f) << 26;
	has_1f = find(c, 0x1f, 0) != NULL;
	if (max_basic >= 0xb)
		ext_topology(c, 0xb, apic_id, nr_cpus);
	if (has_1f && max_basic >= 0x1f)
		ext_topology(c, 0x1f, apic_id, nr_cpus);
	e = find(c, 0x80000001, 0);
	if (e)
		/* No nested SVM for the guest; no TOPOEXT so Linux does not read leaf 0x8000001e. */
		e->ecx &= ~(E1_ECX_SVM | E1_ECX_TOPOEXT | E1_ECX_CMP_LEGACY);
	e = find(c, 0x80000008, 0);
	if (e)
		/* AMD APM: ECX[7:0] NC = threads - 1, [15:12] ApicIdCoreIdSize. */
		e->ecx = (e->ecx & ~0xf0ffu) | clamp(nr_cpus - 1, 0xff) | order(nr_cpus) << 12;
	/*
	 * Zeroed rather than dropped, so a leaf below the maximum reads as all-zero: AMD extended APIC
	 * id/topology (we describe topology in 0xB) and the SVM leaf (no SVM).
	 */
	for (uint32_t i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function == 0x8000001e || e->function == 0x80000026 || e->function == 0x8000000a)
			e->eax = e->ebx = e->ecx = e->edx = 0;
	}
}
