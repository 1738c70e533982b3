// SPDX-License-Identifier: GPL-2.0-only
/*
 * A vfio-pci function's lifetime: find its VFIO device cdev (path, sysfs vfio-dev/ of a host BDF, or
 * a passed fd), VFIO_DEVICE_BIND_IOMMUFD to the VM's iommufd, VFIO_DEVICE_ATTACH_IOMMUFD_PT to its
 * IOAS (Documentation/driver-api/vfio.rst "VFIO device cdev"), reset, build the model, put it on the
 * PCI host. Closing the cdev releases everything (unbind, detach, the kernel's reset on release).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/vfio_pci.h"
#include "devices/vfio_pci_state.h"
#include "iommu/fail_inject.h"
#include "vmm/config.h"
#include "vmm/event_monitor.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static void vfio_pci_destroy(struct pci_dev *d);
static void vfio_pci_bus_reset(struct pci_dev *d);

static const struct pci_dev_ops vfio_pci_ops = {
	.bus_reset = vfio_pci_bus_reset,
	.cfg_read = vfio_pci_cfg_read,
	.cfg_write = vfio_pci_cfg_write,
	.bar_access = vfio_pci_bar_access,
	.bar_remap = vfio_pci_bar_remap,
	.destroy = vfio_pci_destroy,
	.lu_quiesce = vfio_pci_lu_quiesce,
	.lu_save = vfio_pci_lu_save,
	.lu_resume = vfio_pci_lu_resume,
	.lu_restore = vfio_pci_lu_restore,
};

/* /sys/bus/pci/devices/BDF/vfio-dev/vfioN -> /dev/vfio/devices/vfioN, with a reason when there is none. */
static int resolve_host(const char *bdf, char *path, size_t n)
{
	char dir[PATH_MAX], link[PATH_MAX];
	struct dirent *e;
	DIR *d;
	ssize_t l;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", bdf);
	if (access(dir, F_OK)) {
		pr_err("--device vfio,host=%s: no such PCI device on this host", bdf);
		return -ENODEV;
	}
	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(dir);
	if (!d) {
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/driver", bdf);
		l = readlink(dir, link, sizeof(link) - 1);
		if (l > 0) {
			link[l] = '\0';
			pr_err("--device vfio,host=%s: bound to %s, not vfio-pci (echo vfio-pci > "
			       "/sys/bus/pci/devices/%s/driver_override, then rebind)", bdf, strrchr(link, '/') + 1, bdf);
		} else {
			pr_err("--device vfio,host=%s: not bound to vfio-pci (or the kernel lacks CONFIG_VFIO_DEVICE_CDEV)",
			       bdf);
		}
		return -ENODEV;
	}
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "vfio", 4)) {
			snprintf(path, n, "/dev/vfio/devices/%s", e->d_name);
			closedir(d);
			return 0;
		}
	}
	closedir(d);
	pr_err("--device vfio,host=%s: %s is empty", bdf, dir);
	return -ENODEV;
}

static int open_cdev(struct vfio_pci *v, const struct vfio_config *cfg, unsigned int idx)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (cfg->fd >= 0) {
		if (fstat(cfg->fd, &st))
			return err_errno("--device vfio,fd=%d", cfg->fd);
		/* Ours now: closed with the device. */
		r = fdtab_adoptf(v->fds, cfg->fd, FD_VFIO_DEVICE, "vfio_pci", "vfio%u", idx);
		if (r < 0)
			return r;
		v->fd = r;
		if (!S_ISCHR(st.st_mode)) {
			pr_err("--device vfio,fd=%d: not a VFIO device cdev", cfg->fd);
			return -EINVAL;   /* closed by vfio_pci_free */
		}
		return 0;
	}
	if (cfg->host) {
		r = resolve_host(cfg->host, path, sizeof(path));
		if (r)
			return r;
	} else {
		snprintf(path, sizeof(path), "%s", cfg->path);
	}
	v->fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->fd >= 0) {
		v->fd = fdtab_adoptf(v->fds, v->fd, FD_VFIO_DEVICE, "vfio_pci", "vfio%u", idx);
		return v->fd < 0 ? v->fd : 0;
	}
	if (errno == ENOENT)
		pr_err("--device vfio: %s: no such device (is it bound to vfio-pci? see /sys/bus/pci/devices/*/vfio-dev)",
		       path);
	else
		err_errno("--device vfio: open %s", path);
	return errno == ENOENT ? -ENODEV : -errno;
}

static int bind_attach(struct vfio_pci *v, int iommufd, uint32_t ioas)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
	struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = ioas };

	if (fail_inject("bind"))
		return err_errno("%s: VFIO_DEVICE_BIND_IOMMUFD (injected)", v->name);
	if (ioctl(v->fd, VFIO_DEVICE_BIND_IOMMUFD, &b)) {
		/* The cdev path allows one open instance (vfio_df_open: EINVAL); a group user gives EBUSY. */
		if (errno == EBUSY || errno == EINVAL) {
			pr_err("%s: VFIO_DEVICE_BIND_IOMMUFD: the device is already in use (another VM or process)", v->name);
			return -EBUSY;
		}
		if (errno == ENOTTY) {
			pr_err("%s: not a VFIO device cdev", v->name);
			return -ENOTTY;
		}
		return err_errno("%s: VFIO_DEVICE_BIND_IOMMUFD", v->name);
	}
	v->devid = b.out_devid;
	if (fail_inject("attach") || ioctl(v->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a))
		return err_errno("%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT to IOAS %u", v->name, ioas);
	return 0;
}

static int device_info(struct vfio_pci *v, bool adopted)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = VFIO_PCI_CONFIG_REGION_INDEX };

	if (ioctl(v->fd, VFIO_DEVICE_GET_INFO, &info))
		return err_errno("%s: VFIO_DEVICE_GET_INFO", v->name);
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) || info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		pr_err("%s: not a PCI device", v->name);
		return -EINVAL;
	}
	/*
	 * Start from a clean device state (the previous user may have left it anywhere); not after a
	 * live update by exec, where the device is the guest's, running.
	 */
	if (!adopted && (fail_inject("reset") ||
			   ((info.flags & VFIO_DEVICE_FLAGS_RESET) && ioctl(v->fd, VFIO_DEVICE_RESET))))
		return err_errno("%s: VFIO_DEVICE_RESET", v->name);
	v->has_reset = info.flags & VFIO_DEVICE_FLAGS_RESET;
	if (!(info.flags & VFIO_DEVICE_FLAGS_RESET))
		pr_debug("%s: no reset method (VFIO_DEVICE_FLAGS_RESET): starting from its current state", v->name);
	if (ioctl(v->fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return err_errno("%s: VFIO_DEVICE_GET_REGION_INFO config", v->name);
	if (ri.size < PCI_CFG_SPACE_SIZE) {
		pr_err("%s: config region of %llu bytes", v->name, (unsigned long long)ri.size);
		return -EINVAL;
	}
	v->cfg_off = ri.offset;
	v->cfg_size = ri.size < PCI_CFG_SPACE_SIZE_EXP ? ri.size : PCI_CFG_SPACE_SIZE_EXP;
	return 0;
}

/* MSI-X table and PBA location (6.8.2.4-5); only offered when both are in one memory BAR. */
void vfio_pci_find_msix(struct vfio_pci *v, const uint8_t *real, const struct vfio_pci_cap *caps, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t t, p;

		if (caps[i].id != PCI_CAP_ID_MSIX)
			continue;
		t = (uint32_t)pci_le_get(real + caps[i].off + PCI_MSIX_TABLE, 4);
		p = (uint32_t)pci_le_get(real + caps[i].off + PCI_MSIX_PBA, 4);
		if ((t & PCI_MSIX_TABLE_BIR) != (p & PCI_MSIX_TABLE_BIR) || (t & PCI_MSIX_TABLE_BIR) >= PCI_NR_BARS) {
			pr_debug("%s: MSI-X table and PBA in different BARs: MSI-X not offered", v->name);
			return;
		}
		v->has_msix = true;
		v->msix_bar = t & PCI_MSIX_TABLE_BIR;
		v->msix_table_off = t & PCI_MSIX_TABLE_OFFSET;
		v->msix_pba_off = p & PCI_MSIX_PBA_OFFSET;
		v->msix_real_nr = (pci_le_get(real + caps[i].off + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1u;
	}
}

void vfio_pci_report_error(struct vfio_pci *v, const char *error, json_object *props)
{
	char bdf[16];

	if (!props)
		props = json_object_new_object();
	if (!props)
		return;
	snprintf(bdf, sizeof(bdf), "0000:00:%02x.%x", v->pci.devfn >> 3, v->pci.devfn & 7);
	json_object_object_add(props, "device", json_object_new_string(v->name));
	json_object_object_add(props, "pci_bdf", json_object_new_string(bdf));
	json_object_object_add(props, "error", json_object_new_string(error));
	event_monitor_emit("device", "error", props);
}

void vfio_pci_function_reset(struct vfio_pci *v)
{
	struct pci_dev *d = &v->pci;
	uint16_t cmd;

	/* Emulated state first: COMMAND 0 takes the BARs (and their memslots) down before the device resets. */
	pci_dev_cfg_reset(d, v->reset_cfg, sizeof(v->reset_cfg));
	atomic_store(&v->pm_state, VFIO_PCI_D0);
	vfio_pci_ecap_sync(v);   /* PRI Enable 0: the vIOMMU stops routing its page requests to the guest */
	if (v->msi.cap)
		vfio_pci_msi_update(v);
	if (v->has_msix && v->msix.dev)
		vfio_pci_msix_update(v);
	if (v->fd >= 0 && v->has_reset && (fail_inject("function-reset") || ioctl(v->fd, VFIO_DEVICE_RESET))) {
		json_object *p = json_object_new_object();
		int e = errno;

		err_errno("%s: VFIO_DEVICE_RESET for the guest's function reset", v->name);
		/* The guest may reset in a loop: the log line is its own, the stream says it 1, 2, 4... times. */
		if (vfio_pci_report_due(++v->nr_reset_errors)) {
			json_object_object_add(p, "errno", json_object_new_int(e));
			json_object_object_add(p, "count", json_object_new_int64((int64_t)v->nr_reset_errors));
			vfio_pci_report_error(v, "reset-failed", p);
		} else {
			json_object_put(p);
		}
	} else if (!v->has_reset)
		pr_debug("%s: function reset: the device has no reset method, only its emulated state was reset", v->name);
	/* The host restored its own saved COMMAND: make the device's match ours (decode off) again. */
	pthread_mutex_lock(&d->lock);
	cmd = pci_cfg_get16(d, PCI_COMMAND);
	pthread_mutex_unlock(&d->lock);
	vfio_pci_cmd_forward(v, cmd);
	if (v->rom_size)
		vfio_pci_rom_update(v);
}

/* A Secondary Bus Reset from the root port above resets the function like an FLR. */
static void vfio_pci_bus_reset(struct pci_dev *d)
{
	vfio_pci_function_reset((struct vfio_pci *)d);
}

static void vfio_pci_free(struct vfio_pci *v, bool irq, bool dev)
{
	if (irq)
		vfio_pci_irq_fini(v);
	pci_msix_fini(&v->msix);
	if (dev) {
		pci_dev_unmap_bars(&v->pci);
		vfio_pci_bars_fini(v);
		pci_dev_fini(&v->pci);
	}
	fdtab_close(v->fds, v->fd);   /* unbinds from the iommufd and detaches from the IOAS */
	free(v);
}

static void vfio_pci_destroy(struct pci_dev *d)
{
	struct vfio_pci *v = (struct vfio_pci *)d;

	/* With -v, tests check that the hot path (mmapped BARs) never exited to nestvm. */
	pr_debug("%s: %llu BAR accesses trapped to nestvm", v->name, (unsigned long long)v->nr_bar_traps);
	vfio_pci_free(v, true, true);
}

int vfio_pci_create(struct vm *vm, const struct vfio_config *cfg, unsigned int idx)
{
	return vfio_pci_create_below(vm, cfg, idx, NULL, NULL);
}

int vfio_pci_create_below(struct vm *vm, const struct vfio_config *cfg, unsigned int idx, const uint8_t *bus,
			  struct vfio_pci **out)
{
	struct vfio_pci_cap caps[16];
	uint8_t real[PCI_CFG_SPACE_SIZE];
	struct vfio_pci *v = calloc(1, sizeof(*v));
	unsigned int ncaps;
	bool added = false;
	/* Made by vm_create after a live update (a hot-add later is a new device as ever). */
	bool restoring = vm->restore && !(vm->pci && vm->pci->running);
	/* After an exec the cdev is handed over, bound, attached and running; after a kexec it is opened
	 * and reset anew (vm_restore_reopens) and vfio_pci_lu_restore replays the guest's settings. */
	bool adopt = restoring && !vm_restore_reopens(vm);
	int r;

	if (!v)
		return err_num(ENOMEM, "vfio device");
	v->fd = -1;
	v->fds = vm_fdtab(vm);
	v->rom = cfg->rom;
	v->idx = idx;
	/* Peers' DMA into this device's BARs goes through the VM's IOAS (stage 2 behind a vIOMMU). */
	v->p2p = !cfg->p2p_off && vm->iommufd.fd >= 0 && vm->iommufd.has_ioas;
	v->iommufd = vm->iommufd.fd;
	v->ioas = vm->iommufd.ioas_id;
	v->peers = &vm->iommufd.peers;
	if (cfg->path)
		snprintf(v->name, sizeof(v->name), "vfio%u (%s)", idx, cfg->path);
	else if (cfg->host)
		snprintf(v->name, sizeof(v->name), "vfio%u (%s)", idx, cfg->host);
	else
		snprintf(v->name, sizeof(v->name), "vfio%u (fd %d)", idx, cfg->fd);
	if (adopt) {
		/* A live update: the cdev the previous process handed over, bound and attached as it left it. */
		r = vfio_pci_state_adopt_fd(v->fds, vm->restore, idx, &v->fd, &v->devid, vm->restore_why,
					    sizeof(vm->restore_why));
	} else {
		r = open_cdev(v, cfg, idx);
		if (!r)
			r = bind_attach(v, vm->iommufd.fd, vm->iommufd.ioas_id);
	}
	if (!r)
		r = device_info(v, adopt);
	if (!r && (r = vfio_pci_cfg_pread(v, 0, real, sizeof(real))))
		err_num(r, "%s: reading config space", v->name);
	if (r && adopt) {
		/* Nothing closed: the previous binary takes the VM back with this very fd (vm_restore_fallback). */
		return r;
	}
	if (r) {
		vfio_pci_free(v, false, false);
		return r;
	}
	pci_dev_init(&v->pci, vm, &vfio_pci_ops, v->name, (uint16_t)pci_le_get(real + PCI_VENDOR_ID, 2),
		     (uint16_t)pci_le_get(real + PCI_DEVICE_ID, 2), (uint32_t)pci_le_get(real + PCI_CLASS_REVISION, 4),
		     (uint16_t)pci_le_get(real + PCI_SUBSYSTEM_VENDOR_ID, 2),
		     (uint16_t)pci_le_get(real + PCI_SUBSYSTEM_ID, 2));
	v->intx_pin = real[PCI_INTERRUPT_PIN] <= 4 ? real[PCI_INTERRUPT_PIN] : 0;
	/* Behind a root port INTx would be swizzled through the port (PCI-PCI Bridge 1.2 9.1), which the
	 * INTx routing does not model: such functions offer MSI/MSI-X only. */
	if (bus)
		v->intx_pin = 0;
	vfio_pci_config_header(v, real, v->intx_pin);
	ncaps = vfio_pci_caps_scan(real, sizeof(real), caps, 16);
	vfio_pci_find_msix(v, real, caps, ncaps);
	r = vfio_pci_bars_init(v, real);
	if (!r && v->has_msix && !v->bar[v->msix_bar].size)
		v->has_msix = false;    /* its BAR is not offered */
	if (!r)
		vfio_pci_p2p_init(v);
	if (!r)
		r = vfio_pci_config_caps(v, real, caps, ncaps);
	if (!r)
		vfio_pci_config_snapshot(v);    /* before pci_host_add pre-assigns BAR addresses */
	if (!r && bus) {
		/* For a root port's slot: 00.0 of its secondary bus, BARs left for the guest to assign. */
		v->pci.host = vm->pci;
		v->pci.devfn = 0;
		v->pci.bus = *bus;
	} else if (!r) {
		r = pci_host_add(vm->pci, &v->pci);
		added = !r;
	}
	if (!r) {
		/* Behind the guest's vIOMMU, if any, as its requester ID. */
		r = pci_host_viommu_attach_vfio(vm->pci, v->fd, v->devid, vm->iommufd.ioas_id,
						pci_dev_requester_id(&v->pci));
	}
	if (!r)
		vfio_pci_ecap_init(v);
	if (!r)
		r = vfio_pci_irq_init(v);
	if (r && adopt) {
		/* As above: the handed-over device must stay as it is for the fallback (this process execs). */
		return r;
	}
	if (r) {
		if (added)
			pci_host_remove(vm->pci, &v->pci);
		vfio_pci_free(v, added, true);
		return r;
	}
	pr_debug("%s: %04x:%04x, iommufd device %u, PCI %02x:%02x.0", v->name, pci_cfg_get16(&v->pci, PCI_VENDOR_ID),
		 pci_cfg_get16(&v->pci, PCI_DEVICE_ID), v->devid, v->pci.bus, v->pci.devfn >> 3);
	if (out)
		*out = v;
	return 0;
}
