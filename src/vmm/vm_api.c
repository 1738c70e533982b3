// SPDX-License-Identifier: GPL-2.0-only
/* The control API's view of, and actions on, a VM (see vm_api.h and docs/api.md). */
#include "vmm/vm_api.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/hotplug.h"
#include "devices/pci.h"
#include "devices/pci_bridge.h"
#include "iommu/viommu.h"
#include "vmm/event_monitor.h"
#include "vmm/evloop.h"
#include "vmm/exitcode.h"
#include "vmm/log.h"
#include "vmm/api_conn.h"
#include "vmm/api_server.h"
#include "vmm/updater.h"
#include "vmm/vm.h"
#include "vmm/vm_state.h"
#include "vmm/vm_update.h"

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static json_object *api_ping(void *opaque)
{
	json_object *o = json_object_new_object(), *f = json_object_new_array();

	if (!o || !f) {
		json_object_put(o);
		json_object_put(f);
		return NULL;
	}
	json_object_object_add(o, "build_version", json_object_new_string(NESTVM_VERSION));
	json_object_object_add(o, "version", json_object_new_string(NESTVM_VERSION));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "features", f);
	return o;
}

static json_object *config_json(const struct vm_config *c)
{
	json_object *o = json_object_new_object(), *cpus = json_object_new_object(), *mem = json_object_new_object(),
		    *payload = json_object_new_object(), *disks = json_object_new_array(),
		    *devs = json_object_new_array(), *con = json_object_new_object();

	json_object_object_add(cpus, "boot_vcpus", json_object_new_int(c->cpus));
	json_object_object_add(cpus, "max_vcpus", json_object_new_int(c->cpus));
	json_object_object_add(o, "cpus", cpus);
	json_object_object_add(mem, "size", json_object_new_int64((int64_t)c->mem_size));
	json_object_object_add(mem, "hugepages", json_object_new_boolean(c->hugepages));
	json_object_object_add(o, "memory", mem);
	json_object_object_add(payload, "kernel", c->kernel ? json_object_new_string(c->kernel) : NULL);
	json_object_object_add(payload, "initramfs", c->initrd ? json_object_new_string(c->initrd) : NULL);
	json_object_object_add(payload, "cmdline", json_object_new_string(c->cmdline ? c->cmdline : ""));
	json_object_object_add(o, "payload", payload);
	for (unsigned int i = 0; i < c->nr_disks; i++) {
		json_object *d = json_object_new_object();
		char id[16];

		snprintf(id, sizeof(id), "_disk%u", i);
		json_object_object_add(d, "path", json_object_new_string(c->disks[i].path));
		json_object_object_add(d, "readonly", json_object_new_boolean(c->disks[i].readonly));
		json_object_object_add(d, "id", json_object_new_string(id));
		json_object_array_add(disks, d);
	}
	json_object_object_add(o, "disks", disks);
	for (unsigned int i = 0; i < c->nr_vfio; i++) {
		const struct vfio_config *v = &c->vfio[i];
		json_object *d = json_object_new_object();
		char id[16], fd[24];

		snprintf(id, sizeof(id), "_vfio%u", i);
		snprintf(fd, sizeof(fd), "fd=%d", v->fd);
		json_object_object_add(d, "path", json_object_new_string(v->path ? v->path : v->host ? v->host : fd));
		json_object_object_add(d, "id", json_object_new_string(id));
		json_object_array_add(devs, d);
	}
	json_object_object_add(o, "devices", devs);
	json_object_object_add(con, "mode", json_object_new_string("Tty"));
	json_object_object_add(o, c->console == CONSOLE_SERIAL ? "serial" : "console", con);
	json_object_object_add(o, "iommu", json_object_new_boolean(c->viommu_model != VIOMMU_MODEL_NONE));
	return o;
}

/*
 * One function of the device tree, and (a cold-plugged root port or switch port, docs/topology.md)
 * the functions below it as its children, with it as their parent. Bridges' children never change.
 */
static void device_tree_add(json_object *t, struct pci_dev *d, const char *parent)
{
	struct pci_bridge *b = pci_bridge_of(d);
	json_object *n = json_object_new_object(), *kids = json_object_new_array();
	char bdf[16];

	if (!n || !kids) {
		json_object_put(n);
		json_object_put(kids);
		return;
	}
	snprintf(bdf, sizeof(bdf), "0000:%02x:%02x.%x", __atomic_load_n(&d->bus, __ATOMIC_RELAXED), d->devfn >> 3,
		 d->devfn & 7);
	json_object_object_add(n, "id", json_object_new_string(d->name));
	json_object_object_add(n, "resources", json_object_new_array());
	json_object_object_add(n, "children", kids);
	json_object_object_add(n, "parent", parent ? json_object_new_string(parent) : NULL);
	json_object_object_add(n, "pci_bdf", json_object_new_string(bdf));
	json_object_object_add(t, d->name, n);
	for (unsigned int s = 0; b && s < PCI_NR_SLOTS; s++) {
		if (!b->child[s])
			continue;
		json_object_array_add(kids, json_object_new_string(b->child[s]->name));
		device_tree_add(t, b->child[s], d->name);
	}
}

/* cloud-hypervisor's device_tree: id -> {id, resources, children, parent, pci_bdf}. */
static json_object *device_tree_json(struct vm *vm)
{
	json_object *t = json_object_new_object();
	struct pci_host *h = vm->pci;

	if (!h)
		return t;
	pthread_mutex_lock(&h->lock);
	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++)
		if (h->slot[s])
			device_tree_add(t, h->slot[s], NULL);
	pthread_mutex_unlock(&h->lock);
	if (vm->hotplug)
		hotplug_describe(vm->hotplug, t);
	return t;
}

static const char *state_name(struct vm_api *a)
{
	if (atomic_load(&a->vm->stopping))
		return "Shutdown";
	return a->paused ? "Paused" : "Running";
}

static json_object *api_info(void *opaque)
{
	struct vm_api *a = opaque;
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "config", config_json(a->vm->cfg));
	json_object_object_add(o, "state", json_object_new_string(state_name(a)));
	json_object_object_add(o, "memory_actual_size", json_object_new_int64((int64_t)a->vm->cfg->mem_size));
	json_object_object_add(o, "device_tree", device_tree_json(a->vm));
	return o;
}

static json_object *api_counters(void *opaque)
{
	struct vm_api *a = opaque;
	json_object *o = json_object_new_object(), *v = json_object_new_object();

	if (!o || !v) {
		json_object_put(o);
		json_object_put(v);
		return NULL;
	}
	json_object_object_add(v, "pauses", json_object_new_int64((int64_t)a->pauses));
	json_object_object_add(v, "last_pause_ns", json_object_new_int64((int64_t)a->last_pause_ns));
	json_object_object_add(v, "updates_failed", json_object_new_int64((int64_t)a->updates_failed));
	json_object_object_add(o, "vmm", v);
	if (arch_viommu(a->vm)) {
		json_object *vi = json_object_new_object();

		viommu_describe(arch_viommu(a->vm), vi);
		json_object_object_add(o, "_viommu", vi);
	}
	return o;
}

static json_object *api_viommu(void *opaque)
{
	struct vm_api *a = opaque;
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "front_end",
			       json_object_new_string(a->vm->cfg->viommu_model == VIOMMU_MODEL_SMMUV3 ? "smmuv3" :
						      a->vm->cfg->viommu_model == VIOMMU_MODEL_VTD ? "vtd" : "none"));
	if (arch_viommu(a->vm))
		viommu_describe(arch_viommu(a->vm), o);
	else
		json_object_object_add(o, "backend", json_object_new_string("none"));
	return o;
}

static int fail(struct api_result *r, int status, const char *fmt, const char *arg)
{
	r->status = status;
	snprintf(r->msg, sizeof(r->msg), fmt, arg);
	return -1;
}

static int api_pause(void *opaque, struct api_result *r)
{
	struct vm_api *a = opaque;
	uint64_t t0 = now_ns();
	unsigned int left = 0;
	int e;

	if (a->paused)
		return fail(r, 409, "%s", "the VM is already paused");
	event_monitor_emit("vm", "pausing", NULL);
	e = vcpus_park(a->vm, VM_API_PAUSE_TIMEOUT_MS);
	if (e == -ESHUTDOWN)
		return fail(r, 409, "%s", "the VM is shutting down");
	if (e)
		return fail(r, 503, "%s", "the vCPUs did not all stop in time; the VM keeps running");
	/* Devices next: no virtqueue or completion handling until resume, and nothing in flight. */
	evloop_hold(a->vm->loop, true);
	e = evloop_drain(a->vm->loop, VM_API_PAUSE_TIMEOUT_MS, &left);
	if (e) {
		evloop_hold(a->vm->loop, false);
		vcpus_unpark(a->vm);
		pr_err("api: pause: %u I/O operation(s) still in flight after %u ms", left, VM_API_PAUSE_TIMEOUT_MS);
		return fail(r, 503, "%s", "device I/O did not complete in time; the VM keeps running");
	}
	e = arch_vm_pause(a->vm);
	if (e) {
		evloop_hold(a->vm->loop, false);
		vcpus_unpark(a->vm);
		return fail(r, 500, "%s", "the architecture could not pause; the VM keeps running");
	}
	a->last_pause_ns = now_ns() - t0;
	a->pauses++;
	a->paused = true;
	pr_info("api: VM paused (%u vCPUs parked in %llu us)", a->vm->nr_vcpus,
		(unsigned long long)(a->last_pause_ns / 1000));
	event_monitor_emit("vm", "paused", NULL);
	return 0;
}

static int api_resume(void *opaque, struct api_result *r)
{
	struct vm_api *a = opaque;

	if (!a->paused)
		return fail(r, 409, "%s", "the VM is not paused");
	event_monitor_emit("vm", "resuming", NULL);
	if (arch_vm_resume(a->vm))
		return fail(r, 500, "%s", "the architecture could not resume; the VM stays paused");
	evloop_hold(a->vm->loop, false);   /* what devices kept is handled from the next loop turn */
	vcpus_unpark(a->vm);
	a->paused = false;
	event_monitor_emit("vm", "resumed", NULL);
	return 0;
}

/* After the reply went out: stop the VM (and with it nestvm) with the code the action chose. */
static void stop_after_reply(void *opaque)
{
	struct vm_api *a = opaque;

	vm_request_exit(a->vm, a->exit_code);
}

/* The event (shutdown, reset) comes from vm_request_exit, like a guest-initiated one. */
static int stop_with(struct vm_api *a, struct api_result *r, int code)
{
	if (atomic_load(&a->vm->stopping))
		return fail(r, 409, "%s", "the VM is already shutting down");
	a->exit_code = code;
	r->after = stop_after_reply;
	return 0;
}

static int api_shutdown(void *opaque, struct api_result *r)
{
	return stop_with(opaque, r, EXIT_OK);
}

/* No in-process reboot: nestvm stops as on a guest reset (exit 3) for its manager to restart it. */
static int api_reboot(void *opaque, struct api_result *r)
{
	return stop_with(opaque, r, EXIT_GUEST_RESET);
}

/* Pressed, not held: what the guest does with it (power off, or nothing) is the guest's. */
static int api_power_button(void *opaque, struct api_result *r)
{
	struct vm_api *a = opaque;

	if (atomic_load(&a->vm->stopping))
		return fail(r, 409, "%s", "the VM is shutting down");
	if (arch_vm_power_button(a->vm))
		return fail(r, 500, "%s", "the machine has no power button");
	pr_info("api: power button pressed");
	return 0;
}

static int api_vmm_shutdown(void *opaque, struct api_result *r)
{
	return stop_with(opaque, r, EXIT_OK);
}

static const char *str_member(json_object *o, const char *key, bool *bad)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = true;
		return NULL;
	}
	return json_object_get_string(v);
}

/*
 * cloud-hypervisor's DeviceConfig: {"path": ..., "id": ...}; its other keys are not supported. Or,
 * instead of "path", "fd": N, the Nth (from 0) of the fds the client passed with SCM_RIGHTS on this
 * connection (api_conn.h), as cloud-hypervisor takes passed fds in order.
 */
static json_object *api_add_device(void *opaque, json_object *body, struct api_result *r)
{
	struct vm_api *a = opaque;
	struct hotplug_result res;
	const char *path, *id;
	json_object *o, *fdv = NULL;
	bool bad = false;
	int fd = -1;

	path = str_member(body, "path", &bad);
	id = str_member(body, "id", &bad);
	json_object_object_foreach(body, k, v) {
		if (!strcmp(k, "fd"))
			fdv = v;
		else if (strcmp(k, "path") && strcmp(k, "id")) {
			fail(r, 400, "unsupported key \"%.40s\" (nestvm takes path or fd, and id)", k);
			return NULL;
		}
	}
	if (fdv && (!json_object_is_type(fdv, json_type_int) || json_object_get_int64(fdv) < 0 ||
		    json_object_get_int64(fdv) >= API_CONN_MAX_FDS)) {
		fail(r, 400, "%s", "fd is the index (from 0) of an fd passed with SCM_RIGHTS on this connection");
		return NULL;
	}
	if (bad || !path == !fdv) {
		fail(r, 400, "%s", "one of path (a string, /dev/vfio/devices/vfioN) or fd (an index) is required; id is a string");
		return NULL;
	}
	if (fdv) {
		fd = api_server_take_fd((unsigned int)json_object_get_int64(fdv));
		if (fd < 0) {
			fail(r, 400, "%s", "no such fd was passed with SCM_RIGHTS on this connection (or a request took it)");
			return NULL;
		}
	}
	if (!a->vm->hotplug) {
		if (fd >= 0)
			close(fd);
		fail(r, 409, "%s", "the VM has no hot-plug slots (start it with --hotplug-slots N)");
		return NULL;
	}
	/* hotplug_add owns FD now: it closes it on failure, the device keeps it on success. */
	if (hotplug_add(a->vm->hotplug, path, fd, id, &res)) {
		r->status = res.status;
		snprintf(r->msg, sizeof(r->msg), "%s", res.msg);
		return NULL;
	}
	o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_string(res.id));
	json_object_object_add(o, "bdf", json_object_new_string(res.bdf));
	return o;
}

static int api_remove_device(void *opaque, json_object *body, struct api_result *r)
{
	struct vm_api *a = opaque;
	struct hotplug_result res;
	bool bad = false;
	const char *id = str_member(body, "id", &bad);

	if (bad || !id)
		return fail(r, 400, "%s", "id (a string) is required");
	if (!a->vm->hotplug)
		return fail(r, 404, "no hot-plugged device %s", id);
	if (hotplug_remove(a->vm->hotplug, id, &res)) {
		r->status = res.status;
		snprintf(r->msg, sizeof(r->msg), "%s", res.msg);
		return -1;
	}
	return 0;
}

static int prepare_call(void *arg)
{
	struct vm_api *a = arg;

	return vm_update_prepare(a->update, a->update->binary, a->update->info.rehearse, a->update->conn_fd);
}

static int commit_call(void *arg)
{
	return vm_update_commit(arg);
}

/*
 * vm.update exec (docs/liveupdate.md): checked, the binaries opened, the VM paused (as vm.pause),
 * then the updater thread saves and execs. Back here only when that failed: resumed, 500.
 */
static int api_update_exec(void *opaque, const char *binary, bool rehearse, struct api_result *r)
{
	struct vm_api *a = opaque;
	struct vm_update *u = a->update;
	uint64_t t0 = vm_update_now_ns();
	bool was_paused = a->paused;
	const char *why;
	int e;

	if (!u)
		return fail(r, 501, "%s", "vm.update is not offered by this nestvm run");
	if (atomic_load(&a->vm->stopping))
		return fail(r, 409, "%s", "the VM is shutting down");
	why = vm_state_refusal(a->vm);
	if (why)
		return fail(r, 409, "update refused, the VM keeps running: %s", why);
	u->binary = binary;
	u->info.rehearse = rehearse;
	u->conn_fd = api_server_request_fd();
	e = updater_call(&u->thread, prepare_call, a);
	if (e)
		return fail(r, e == -ENOENT ? 404 : 400, "update refused, the VM keeps running: %s", u->err);
	event_monitor_emit("vm", "updating", NULL);
	if (!was_paused && api_pause(a, r)) {
		vm_update_abort(u);
		a->updates_failed++;
		return -1;
	}
	u->info.t_request = t0;
	u->info.t_paused = vm_update_now_ns();
	u->info.was_paused = was_paused;
	updater_call(&u->thread, commit_call, u);
	/* The exec did not happen: the VM stays with this process. */
	vm_update_abort(u);
	a->updates_failed++;
	if (!was_paused)
		api_resume(a, &(struct api_result){ 0 });
	return fail(r, 500, "update failed, the VM keeps running: %s", u->err);
}

static int kexec_prepare_call(void *arg)
{
	return vm_kexec_prepare(arg);
}

static int kexec_commit_call(void *arg)
{
	return vm_kexec_commit(arg);
}

/*
 * vm.update kexec (docs/liveupdate.md, vm_kexec.h): checked and the kernel loaded... on the updater
 * thread; the VM paused (as vm.pause) for the commit, which reboots on success. Back here with a
 * rehearsal's answer (the VM resumes) or a failure (resumed, 500).
 */
static json_object *api_update_kexec(void *opaque, const struct api_kexec_req *q, struct api_result *r)
{
	struct vm_api *a = opaque;
	struct vm_update *u = a->update;
	uint64_t t0 = vm_update_now_ns();
	bool was_paused = a->paused;
	json_object *o = NULL;
	const char *why;
	int e;

	if (!u) {
		fail(r, 501, "%s", "vm.update is not offered by this nestvm run");
		return NULL;
	}
	if (atomic_load(&a->vm->stopping)) {
		fail(r, 409, "%s", "the VM is shutting down");
		return NULL;
	}
	why = vm_state_refusal(a->vm);
	if (why) {
		fail(r, 409, "update refused, the VM keeps running: %s", why);
		return NULL;
	}
	u->kx.kernel = q->kernel;
	u->kx.initrd = q->initrd;
	u->kx.cmdline = q->cmdline;
	u->kx.session = q->session;
	u->kx.rehearse = q->rehearse;
	u->conn_fd = api_server_request_fd();
	e = updater_call(&u->thread, kexec_prepare_call, u);
	if (e) {
		fail(r, e == -ENOENT ? 404 : e == -EOPNOTSUPP ? 409 : 400, "update refused, the VM keeps running: %s", u->err);
		return NULL;
	}
	event_monitor_emit("vm", "updating", NULL);
	if (!was_paused && api_pause(a, r)) {
		vm_kexec_abort(u);
		a->updates_failed++;
		return NULL;
	}
	u->info.t_request = t0;
	u->info.t_paused = vm_update_now_ns();
	u->info.was_paused = was_paused;
	e = updater_call(&u->thread, kexec_commit_call, u);
	vm_kexec_abort(u);
	if (!e && q->rehearse)
		o = vm_kexec_rehearsal(u);
	if (!o)
		a->updates_failed++;
	if (!was_paused)
		api_resume(a, &(struct api_result){ 0 });
	if (o) {
		event_monitor_emit("vm", "updated", json_object_get(o));
		return o;
	}
	fail(r, 500, "update failed, the VM keeps running: %s", e ? u->err : "out of memory");
	{
		json_object *ev = json_object_new_object();

		json_object_object_add(ev, "reason", json_object_new_string(r->msg));
		event_monitor_emit("vm", "update-failed", ev);
	}
	return NULL;
}

void vm_api_init(struct vm_api *a, struct vm *vm)
{
	*a = (struct vm_api){
		.vm = vm,
		.ops = {
			.opaque = a,
			.ping = api_ping,
			.info = api_info,
			.counters = api_counters,
			.viommu = api_viommu,
			.pause = api_pause,
			.resume = api_resume,
			.shutdown = api_shutdown,
			.reboot = api_reboot,
			.power_button = api_power_button,
			.vmm_shutdown = api_vmm_shutdown,
			.add_device = api_add_device,
			.remove_device = api_remove_device,
			.update_exec = api_update_exec,
			.update_kexec = api_update_kexec,
		},
	};
}
