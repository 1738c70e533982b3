// SPDX-License-Identifier: GPL-2.0-only
/* Checks of the --firmware / --firmware-vars images against the arch's flash layout. */
#include "vmm/firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "vmm/config.h"
#include "vmm/log.h"

/* The size of PATH, a regular file nestvm can open as the flash needs (read-only code, writable vars). */
static int image_size(const char *opt, const char *path, bool writable, const struct arch_flash_layout *l,
		      uint64_t exact, uint64_t *size)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return err_errno("%s %s", opt, path);
	if (!S_ISREG(st.st_mode)) {
		pr_err("%s %s: not a regular file", opt, path);
		return -EINVAL;
	}
	if (access(path, writable ? R_OK | W_OK : R_OK) < 0)
		return err_errno("%s %s: %s", opt, path, writable ? "the variable store must be writable" : "not readable");
	*size = (uint64_t)st.st_size;
	if (!*size || *size % l->block) {
		pr_err("%s %s: %" PRIu64 " bytes is not a whole number of %" PRIu64 " KiB flash blocks; expected %s",
		       opt, path, *size, l->block >> 10, l->images);
		return -EINVAL;
	}
	if (exact && *size != exact) {
		pr_err("%s %s: %" PRIu64 " bytes, the flash needs %" PRIu64 " MiB; expected %s", opt, path, *size,
		       exact >> 20, l->images);
		return -EINVAL;
	}
	return 0;
}

/*
 * What an image starts with. A variable store is a firmware volume (PI 1.8 Vol. 3 3.2.1
 * EFI_FIRMWARE_VOLUME_HEADER: FileSystemGuid at 16, FvLength at 32, "_FVH" at 40) whose file system
 * GUID is EFI_SYSTEM_NV_DATA_FV_GUID (OVMF's vars templates), or blank flash that the firmware
 * formats on its first boot (Debian's AAVMF_VARS.fd is all zeros). Firmware code is neither.
 */
enum image_kind { IMAGE_CODE, IMAGE_NV_STORE, IMAGE_BLANK, IMAGE_UNREADABLE };

#define HEAD_LEN 4096

static const uint8_t nv_data_fv_guid[16] = {   /* FFF12B8D-7696-4C8B-A985-2747075B4F50 */
	0x8d, 0x2b, 0xf1, 0xff, 0x96, 0x76, 0x8b, 0x4c, 0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50,
};

static enum image_kind image_kind(const char *path, uint64_t size, uint64_t *fv_len)
{
	uint8_t head[HEAD_LEN];
	size_t n = size < HEAD_LEN ? (size_t)size : HEAD_LEN;
	bool zero = true, ones = true;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return IMAGE_UNREADABLE;
	got = pread(fd, head, n, 0);
	close(fd);
	if (got != (ssize_t)n)
		return IMAGE_UNREADABLE;
	if (n >= 48 && !memcmp(head + 40, "_FVH", 4) && !memcmp(head + 16, nv_data_fv_guid, 16)) {
		memcpy(fv_len, head + 32, sizeof(*fv_len));   /* little-endian, as the host (x86_64, arm64) */
		return IMAGE_NV_STORE;
	}
	for (size_t i = 0; i < n; i++) {
		zero &= !head[i];
		ones &= head[i] == 0xff;
	}
	return zero || ones ? IMAGE_BLANK : IMAGE_CODE;
}

/* Code that is firmware code, vars that are a variable store, and not the two swapped. */
static int check_contents(const struct vm_config *cfg, uint64_t code_size, uint64_t vars_size)
{
	uint64_t fv_len = 0;

	switch (image_kind(cfg->firmware, code_size, &fv_len)) {
	case IMAGE_UNREADABLE:
		return err_errno("--firmware %s: reading its start", cfg->firmware);
	case IMAGE_NV_STORE:
		pr_err("--firmware %s: a UEFI variable store, not firmware code (swapped with --firmware-vars?)",
		       cfg->firmware);
		return -EINVAL;
	case IMAGE_BLANK:
		pr_err("--firmware %s: blank (its first 4 KiB all 0x00 or 0xff), not firmware code (a vars template, "
		       "swapped with --firmware-vars?)", cfg->firmware);
		return -EINVAL;
	case IMAGE_CODE:
		break;
	}
	switch (image_kind(cfg->firmware_vars, vars_size, &fv_len)) {
	case IMAGE_UNREADABLE:
		return err_errno("--firmware-vars %s: reading its start", cfg->firmware_vars);
	case IMAGE_CODE:
		pr_err("--firmware-vars %s: not a UEFI variable store (neither a firmware volume of NV data nor blank "
		       "flash): use a copy of the vars template that came with --firmware %s", cfg->firmware_vars,
		       cfg->firmware);
		return -EINVAL;
	case IMAGE_NV_STORE:
		if (!fv_len || fv_len > vars_size) {
			pr_err("--firmware-vars %s: its variable store volume claims %" PRIu64 " bytes, the file has %" PRIu64
			       ": the vars template of another build than --firmware %s?", cfg->firmware_vars, fv_len,
			       vars_size, cfg->firmware);
			return -EINVAL;
		}
		break;
	case IMAGE_BLANK:
		break;
	}
	return 0;
}

int firmware_check(const struct vm_config *cfg, const struct arch_flash_layout *l)
{
	uint64_t code = 0, vars = 0;
	int r;

	if (!cfg->firmware)
		return 0;
	r = image_size("--firmware", cfg->firmware, false, l, l->code_size, &code);
	if (!r)
		r = image_size("--firmware-vars", cfg->firmware_vars, true, l, l->vars_size, &vars);
	if (r)
		return r;
	if (l->total && code + vars != l->total) {
		/* The split is fixed when the firmware is built: code and vars of different builds do not fit. */
		pr_err("--firmware %s (%" PRIu64 " KiB) with --firmware-vars %s (%" PRIu64 " KiB): %" PRIu64 " KiB together; "
		       "expected %s", cfg->firmware, code >> 10, cfg->firmware_vars, vars >> 10, (code + vars) >> 10, l->images);
		return -EINVAL;
	}
	return check_contents(cfg, code, vars);
}
