// SPDX-License-Identifier: GPL-2.0-only
/* Checks of the --firmware / --firmware-vars images against the arch's flash layout. */
#include "vmm/firmware.h"

#include <errno.h>
#include <inttypes.h>
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
	return 0;
}
