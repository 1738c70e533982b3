// SPDX-License-Identifier: GPL-2.0-only
/* Standard fw_cfg items for the machine (fw_cfg.rst "Firmware Configuration Items"). */
#include "devices/fw_cfg_machine.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "vmm/log.h"

_Static_assert(sizeof(struct fw_cfg_e820) == 20, "etc/e820 entry");

/* A blob with its _SIZE key (le32) and _DATA key; nothing when empty. */
static int add_blob(struct fw_cfg *f, uint16_t size_key, uint16_t data_key, const void *p, size_t len)
{
	int r;

	if (!p || !len)
		return 0;
	if (len > UINT32_MAX) {
		pr_err("fw_cfg: item 0x%x: %zu bytes do not fit its 32-bit size", data_key, len);
		return -EFBIG;
	}
	r = fw_cfg_add_u32(f, size_key, (uint32_t)len);
	return r ? r : fw_cfg_add_bytes(f, data_key, p, len);
}

static int add_e820(struct fw_cfg *f, const struct fw_cfg_e820 *e, unsigned int n)
{
	struct fw_cfg_e820 le[FW_CFG_E820_MAX];

	if (n > FW_CFG_E820_MAX) {
		pr_err("fw_cfg: %u e820 entries, at most %u", n, FW_CFG_E820_MAX);
		return -E2BIG;
	}
	for (unsigned int i = 0; i < n; i++)
		le[i] = (struct fw_cfg_e820){ htole64(e[i].address), htole64(e[i].length), htole32(e[i].type) };
	return fw_cfg_add_file(f, "etc/e820", le, n * sizeof(le[0]), false);
}

int fw_cfg_add_machine(struct fw_cfg *f, const struct fw_cfg_machine *m)
{
	int r;

	if (!m->nr_cpus || m->nr_cpus > UINT16_MAX) {
		pr_err("fw_cfg: %u CPUs", m->nr_cpus);
		return -EINVAL;
	}
	r = fw_cfg_add_u16(f, FW_CFG_NB_CPUS, (uint16_t)m->nr_cpus);
	if (!r)
		r = fw_cfg_add_u16(f, FW_CFG_MAX_CPUS, (uint16_t)m->nr_cpus);   /* no hotplug */
	if (!r)
		r = fw_cfg_add_u64(f, FW_CFG_RAM_SIZE, m->ram_size);
	if (!r)
		r = fw_cfg_add_u16(f, FW_CFG_NOGRAPHIC, 1);     /* serial console only */
	if (!r && m->e820)
		r = add_e820(f, m->e820, m->nr_e820);
	if (!r)
		r = add_blob(f, FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA, m->setup, m->setup_size);
	if (!r)
		r = add_blob(f, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA, m->kernel, m->kernel_size);
	if (!r)
		r = add_blob(f, FW_CFG_INITRD_SIZE, FW_CFG_INITRD_DATA, m->initrd, m->initrd_size);
	/* The command line's size counts its NUL (what the firmware allocates and copies). */
	if (!r && m->cmdline && *m->cmdline)
		r = add_blob(f, FW_CFG_CMDLINE_SIZE, FW_CFG_CMDLINE_DATA, m->cmdline, strlen(m->cmdline) + 1);
	return r;
}
