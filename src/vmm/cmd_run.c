// SPDX-License-Identifier: GPL-2.0-only
/* nestvm run: parse, create the VM (or restore it after a live update), run it until the guest stops. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices/vfio_pci_state.h"
#include "iommu/fail_inject.h"
#include "iommu/iommufd.h"
#include "iommu/iommufd_state.h"
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
#include "vmm/vm_update.h"

void cmd_run_usage(void)
{
	config_run_usage();
}

/* vm_run's hook once the vCPUs run again after a restore: the update's reply; no way back from here. */
static void restored(struct vm *vm, void *arg)
{
	struct vm_restore *rs = arg;
	int prev = fdtab_lookup(&vm->fds, FD_BINARY, "previous");

	/* The eventfds registered for the handover are their devices' own again (vfio_pci_state.h). */
	vfio_pci_state_release(&vm->fds);
	vm_restore_reply(rs, vm);
	if (prev >= 0)
		fdtab_close(&vm->fds, prev);
	if (rs->state_fd >= 0)
		close(rs->state_fd);
	rs->state_fd = -1;
}

/* A copy of ARGV (NULL-terminated) that config parsing may cut up; NULL when out of memory. */
static char **copy_args(int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));

	for (int i = 0; v && i < argc; i++) {
		if (!(v[i] = strdup(argv[i]))) {
			vm_state_free_args(i, v);
			return NULL;
		}
	}
	return v;
}

/* The fd the previous process handed over as KIND/NAME, now the caller's (-1: none). */
static int take_fd(struct vm *vm, enum fd_kind kind, const char *name)
{
	int fd = fdtab_lookup(&vm->fds, kind, name);

	if (fd >= 0)
		fdtab_release(&vm->fds, fd);
	return fd;
}

int cmd_run(int argc, char **argv)
{
	struct api_server *api = NULL;
	struct stats *stats = NULL;
	struct vm_restore rs;
	struct vm_update upd;
	struct vm_config cfg;
	struct vm_api ctl;
	struct vm vm;
	char why[320];
	char **rargv = NULL, **parsed = NULL;
	int r, code, rargc = 0, prev;
	bool restoring, have_upd = false;

	r = vm_restore_args(&rs, argc, argv);
	if (r < 0)
		return EXIT_USAGE;
	restoring = r == 0;
	if (restoring) {
		/* After `vm.update exec`: the machine is made from the arguments the state carries. */
		r = vm_restore_begin(&rs, why, sizeof(why));
		if (!r)
			r = vm_state_args(&rs.st, &rargc, &rargv, why, sizeof(why));
		if (!r && !(parsed = copy_args(rargc, rargv)))
			r = -ENOMEM;
		if (!r && config_parse_run(&cfg, rargc, parsed)) {
			snprintf(why, sizeof(why), "the saved run arguments do not parse with this nestvm");
			r = -EINVAL;
		}
		if (r) {
			vm_restore_fallback(&rs, NULL, why);
			return EXIT_VMM_ERROR;
		}
		argc = rargc;
	} else {
		/* A copy for vm.update: parsing cuts option values up in place. */
		rargv = calloc((size_t)argc + 1, sizeof(*rargv));
		for (int i = 0; rargv && i < argc; i++)
			if (!(rargv[rargc++] = strdup(argv[i])))
				break;
		if (!rargv || rargc != argc) {
			vm_state_free_args(rargc, rargv);
			pr_err("run: out of memory");
			return EXIT_VMM_ERROR;
		}
		r = config_parse_run(&cfg, argc, argv);
		if (r) {
			vm_state_free_args(rargc, rargv);
			return r > 0 ? EXIT_OK : EXIT_USAGE;
		}
	}
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
	if (!restoring) {
		if ((cfg.events.path || cfg.events.fd >= 0) && event_monitor_open(cfg.events.path, cfg.events.fd))
			return EXIT_VMM_ERROR;
		event_monitor_emit("vmm", "starting", NULL);
	}
	r = vm_create(&vm, &cfg, restoring ? &rs.st : NULL);
	if (r && restoring) {
		vm_restore_fallback(&rs, &vm, vm.restore_why);
		return EXIT_VMM_ERROR;
	}
	if (r) {
		event_monitor_close();
		return r == -EOPNOTSUPP ? EXIT_UNSUPPORTED : EXIT_VMM_ERROR;
	}
	if (restoring) {
		uint32_t id;

		/* The leak count (iommufd_ctx_probe_free_id): every object is adopted or made by now,
		 * and this thread has no seccomp filter yet. A failed probe only loses the figure.
		 * Test hook lu-leak-object (liveupdate.sh): an IOAS this process makes and never
		 * destroys, the leak the probe must see (the id it reports grows by one per update). */
		if (vm.iommufd.fd >= 0 && fail_inject("lu-leak-object") && iommufd_ioas_alloc(vm.iommufd.fd, &id))
			pr_warn("update: lu-leak-object: IOMMU_IOAS_ALLOC failed");
		if (vm.iommufd.fd >= 0 && !iommufd_ctx_probe_free_id(&vm.iommufd, &id))
			rs.iommufd_free_id = id;
	}
	if (restoring) {
		/* The control socket and event stream the previous process served, as they are. */
		int efd = take_fd(&vm, FD_EVENT_MONITOR, "events");

		cfg.api.path = NULL;
		cfg.api.fd = take_fd(&vm, FD_API_SOCKET, "api");
		cfg.events.path = NULL;
		cfg.events.fd = efd;
		if (efd >= 0 && event_monitor_open(NULL, efd))
			goto err;
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
	/* vm.update: the updater thread starts now, before any thread confines itself. */
	if (api) {
		if (vm_update_init(&upd, &vm, rargc, rargv))
			goto err;
		have_upd = true;
		upd.api = api;
		ctl.update = &upd;
	}
	if (restoring) {
		rs.t_restored = vm_update_now_ns();
		if (rs.info.was_paused) {
			/* It was paused before the update: it stays paused (vm.resume lets it go). */
			atomic_store(&vm.park.want, true);
			ctl.paused = true;
		}
		vm.started = restored;
		vm.started_arg = &rs;
	}
	r = vm_run(&vm);
	code = r ? EXIT_VMM_ERROR : atomic_load(&vm.exit_code);
	/* The loop has stopped for good: the server's watches are never served again. */
	if (have_upd)
		vm_update_fini(&upd);
	api_server_destroy(api);
	if (stats)
		stats_print(stats, stderr);
	if (restoring) {
		prev = fdtab_lookup(&vm.fds, FD_BINARY, "previous");
		if (prev >= 0)
			fdtab_close(&vm.fds, prev);
	}
	vm_destroy(&vm);
	if (restoring)
		vm_restore_end(&rs);
	stats_destroy(stats);
	event_monitor_emit("vmm", "shutdown", NULL);
	event_monitor_close();
	vm_state_free_args(rargc, rargv);
	vm_state_free_args(rargc, parsed);
	return code;
err:
	if (have_upd)
		vm_update_fini(&upd);
	if (restoring) {
		vm_restore_fallback(&rs, &vm, "setting up the control API or event stream failed");
		vm_restore_end(&rs);
	}
	vm_destroy(&vm);
	stats_destroy(stats);
	event_monitor_close();
	vm_state_free_args(rargc, rargv);
	vm_state_free_args(rargc, parsed);
	return EXIT_VMM_ERROR;
}
