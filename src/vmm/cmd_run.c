// SPDX-License-Identifier: GPL-2.0-only
/* nestvm run: parse, create the VM, run it until the guest stops, tear it down. */
#include <errno.h>
#include <stdio.h>

#include "vmm/cmd.h"
#include "vmm/config_parse.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/stats.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

void cmd_run_usage(void)
{
	config_run_usage();
}

int cmd_run(int argc, char **argv)
{
	struct stats *stats = NULL;
	struct vm_config cfg;
	struct vm vm;
	int r, code;

	r = config_parse_run(&cfg, argc, argv);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	r = vm_create(&vm, &cfg);
	if (r)
		return r == -EOPNOTSUPP ? EXIT_UNSUPPORTED : EXIT_VMM_ERROR;
	if (cfg.stats) {
		/* Each vCPU thread writes only its own counters; they are read once vm_run has joined them. */
		stats = stats_create(vm.nr_vcpus);
		if (!stats) {
			vm_destroy(&vm);
			return EXIT_VMM_ERROR;
		}
		for (unsigned int i = 0; i < vm.nr_vcpus; i++)
			vm.vcpus[i].stats = &stats->vcpu[i];
	}
	r = vm_run(&vm);
	code = r ? EXIT_VMM_ERROR : atomic_load(&vm.exit_code);
	if (stats)
		stats_print(stats, stderr);
	vm_destroy(&vm);
	stats_destroy(stats);
	return code;
}
