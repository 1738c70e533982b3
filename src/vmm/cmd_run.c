// SPDX-License-Identifier: GPL-2.0-only
/* nestvm run: parse, create the VM, run it until the guest stops, tear it down. */
#include <errno.h>
#include <stdio.h>

#include "vmm/api_server.h"
#include "vmm/cmd.h"
#include "vmm/config_parse.h"
#include "vmm/event_monitor.h"
#include "vmm/exitcode.h"
#include "vmm/firmware.h"
#include "vmm/log.h"
#include "vmm/stats.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"
#include "vmm/vm_api.h"

void cmd_run_usage(void)
{
	config_run_usage();
}

int cmd_run(int argc, char **argv)
{
	struct api_server *api = NULL;
	struct stats *stats = NULL;
	struct vm_config cfg;
	struct vm_api ctl;
	struct vm vm;
	int r, code;

	r = config_parse_run(&cfg, argc, argv);
	if (r)
		return r > 0 ? EXIT_OK : EXIT_USAGE;
	if (cfg.firmware) {
		/* The images are checked before anything exists; a machine that cannot boot them yet
		 * says why rather than half-booting. */
		if (firmware_check(&cfg, &arch_flash_layout))
			return EXIT_USAGE;
		if (arch_flash_layout.not_wired) {
			pr_err("run: --firmware: booting through UEFI firmware is not wired into this machine yet "
			       "(issue 15): %s; use --kernel", arch_flash_layout.not_wired);
			return EXIT_USAGE;
		}
	}
	if ((cfg.events.path || cfg.events.fd >= 0) && event_monitor_open(cfg.events.path, cfg.events.fd))
		return EXIT_VMM_ERROR;
	event_monitor_emit("vmm", "starting", NULL);
	r = vm_create(&vm, &cfg);
	if (r) {
		event_monitor_close();
		return r == -EOPNOTSUPP ? EXIT_UNSUPPORTED : EXIT_VMM_ERROR;
	}
	if (cfg.stats) {
		/* Each vCPU thread writes only its own counters; they are read once vm_run has joined them. */
		stats = stats_create(vm.nr_vcpus);
		if (!stats)
			goto err;
		for (unsigned int i = 0; i < vm.nr_vcpus; i++)
			vm.vcpus[i].stats = &stats->vcpu[i];
	}
	/* The API socket exists before the guest runs: a manager may connect as soon as it appears. */
	vm_api_init(&ctl, &vm);
	if ((cfg.api.path || cfg.api.fd >= 0) &&
	    api_server_create(&api, cfg.api.path, cfg.api.fd, vm.loop, &ctl.ops))
		goto err;
	r = vm_run(&vm);
	code = r ? EXIT_VMM_ERROR : atomic_load(&vm.exit_code);
	/* The loop has stopped for good: the server's watches are never served again. */
	api_server_destroy(api);
	if (stats)
		stats_print(stats, stderr);
	vm_destroy(&vm);
	stats_destroy(stats);
	event_monitor_emit("vmm", "shutdown", NULL);
	event_monitor_close();
	return code;
err:
	vm_destroy(&vm);
	stats_destroy(stats);
	event_monitor_close();
	return EXIT_VMM_ERROR;
}
