// SPDX-License-Identifier: GPL-2.0-only
/* The VM's live-update state: its sections, refusals, and the VM-level sections (vm_state.h). */
#include "vmm/vm_state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "devices/pci.h"
#include "devices/pci_msix_state.h"
#include "devices/pci_state.h"
#include "devices/vfio_pci_state.h"
#include "devices/virtio_pci_state.h"
#include "iommu/iommufd_state.h"
#include "liveupdate/fds_section.h"
#include "liveupdate/kexec_section.h"
#include "liveupdate/state_fields.h"
#include "vmm/log.h"
#include "vmm/vm.h"

#define VM_CONFIG_TYPE "vm-config"
#define VM_UPDATE_TYPE "update"

const char *vm_state_refusal(struct vm *vm)
{
	static char why[160];   /* the loop thread's: vm.update requests come one at a time */
	const struct pci_dev *d;

	if (vm->cfg->firmware)
		return "--firmware: the flash, RTC and fw_cfg models are not serialized yet";
	if (vm->cfg->stats)
		return "--stats: the exit counters are not carried across an update";
	if (vm->hotplug)
		return "--hotplug-slots: the root ports and their slots are not serialized yet";
	if (vm->pci && (d = pci_host_state_unsaved(vm->pci))) {
		snprintf(why, sizeof(why), "PCI function %s is not serialized yet (root ports)", d->name);
		return why;
	}
	return arch_state_refusal(vm);
}

void vm_state_quiesce(struct vm *vm)
{
	if (vm->pci)
		pci_host_state_quiesce(vm->pci);
}

void vm_state_resume(struct vm *vm)
{
	if (vm->pci)
		pci_host_state_resume(vm->pci);
}

int vm_state_save(struct vm *vm, struct lu_writer *w, int argc, char *const *argv, const struct vm_update_info *info)
{
	int r;

	if (argc < 1 || argc > VM_STATE_MAX_ARGS)
		return err_num(EINVAL, "update: %d run arguments", argc);
	lu_writer_begin(w, VM_CONFIG_TYPE, 0, 1, LU_SEC_MANDATORY);
	lu_put_u32(w, (uint32_t)argc);
	for (int i = 0; i < argc; i++)
		lu_put_str(w, argv[i], VM_STATE_MAX_STR);
	r = lu_writer_end(w);
	if (r)
		return err_num(-r, "update: saving the run arguments (one longer than %d bytes?)", VM_STATE_MAX_STR);
	r = arch_state_save(vm, w);
	if (!r && vm->iommufd.fd >= 0)
		r = iommufd_state_save(&vm->iommufd, w);
	if (!r && vm->pci)
		r = pci_host_state_save(vm->pci, w);
	if (r)
		return r;
	lu_writer_begin(w, VM_UPDATE_TYPE, 0, 1, LU_SEC_MANDATORY);
	lu_put_u64(w, info->t_request);
	lu_put_u64(w, info->t_paused);
	lu_put_u64(w, info->t_saved);
	lu_put_bool(w, info->was_paused);
	lu_put_bool(w, info->rehearse);
	lu_put_str(w, info->binary, VM_STATE_MAX_STR);
	return lu_writer_end(w);
}

int vm_state_load(struct lu_state *st, int fd)
{
	struct lu_section_spec *specs = calloc(arch_state_nr_specs + 11, sizeof(*specs));
	size_t n = 0;
	int r;

	if (!specs)
		return -ENOMEM;
	specs[n++] = lu_fds_spec;
	specs[n++] = lu_kexec_spec;
	specs[n++] = (struct lu_section_spec){ VM_CONFIG_TYPE, 1, 1, false, true };
	specs[n++] = (struct lu_section_spec){ VM_UPDATE_TYPE, 1, 1, false, true };
	specs[n++] = (struct lu_section_spec){ PCI_CFG_STATE_TYPE, 1, 1, true, false };
	specs[n++] = (struct lu_section_spec){ PCI_MSIX_STATE_TYPE, 1, PCI_MSIX_STATE_VERSION, true, false };
	specs[n++] = (struct lu_section_spec){ VFIO_PCI_STATE_TYPE, 1, VFIO_PCI_STATE_VERSION, true, false };
	specs[n++] = (struct lu_section_spec){ IOMMUFD_STATE_TYPE, 1, IOMMUFD_STATE_VERSION, false, false };
	specs[n++] = (struct lu_section_spec){ VIRTIO_PCI_STATE_TYPE, 1, VIRTIO_PCI_STATE_VERSION, true, false };
	specs[n++] = (struct lu_section_spec){ VIRTIO_BLK_STATE_TYPE, 1, VIRTIO_BLK_STATE_VERSION, true, false };
	specs[n++] = (struct lu_section_spec){ VIRTIO_CON_STATE_TYPE, 1, VIRTIO_CON_STATE_VERSION, false, false };
	for (size_t i = 0; i < arch_state_nr_specs; i++)
		specs[n++] = arch_state_specs[i];
	r = lu_state_load_fd(st, fd, specs, n);
	free(specs);
	return r;
}

void vm_state_free_args(int argc, char **argv)
{
	if (!argv)
		return;
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

int vm_state_args(const struct lu_state *st, int *argc, char ***argv, char *why, size_t why_size)
{
	const struct lu_section *s = lu_state_find(st, VM_CONFIG_TYPE, 0);
	char buf[VM_STATE_MAX_STR + 1];
	struct lu_cursor c;
	char **v;
	uint32_t n;
	int r;

	if (!s) {
		snprintf(why, why_size, "no '%s' section", VM_CONFIG_TYPE);
		return -EINVAL;
	}
	lu_cursor_init(&c, s);
	n = lu_get_count(&c, VM_STATE_MAX_ARGS, 4);
	if (!c.bad && !n)
		lu_cursor_fail(&c, "no run arguments");
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < n && !c.bad; i++) {
		lu_get_str(&c, buf, sizeof(buf));
		if (!c.bad && !(v[i] = strdup(buf)))
			lu_cursor_fail(&c, "out of memory");
	}
	r = lu_cursor_finish(&c, why, why_size);
	if (r) {
		vm_state_free_args((int)n, v);
		return r;
	}
	*argc = (int)n;
	*argv = v;
	return 0;
}

int vm_state_info(const struct lu_state *st, struct vm_update_info *out, char *why, size_t why_size)
{
	const struct lu_section *s = lu_state_find(st, VM_UPDATE_TYPE, 0);
	struct lu_cursor c;

	if (!s) {
		snprintf(why, why_size, "no '%s' section", VM_UPDATE_TYPE);
		return -EINVAL;
	}
	lu_cursor_init(&c, s);
	out->t_request = lu_get_u64(&c);
	out->t_paused = lu_get_u64(&c);
	out->t_saved = lu_get_u64(&c);
	out->was_paused = lu_get_bool(&c);
	out->rehearse = lu_get_bool(&c);
	lu_get_str(&c, out->binary, sizeof(out->binary));
	return lu_cursor_finish(&c, why, why_size);
}
