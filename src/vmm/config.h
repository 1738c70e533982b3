/* SPDX-License-Identifier: GPL-2.0-only */
/* What the user asked for (`nestvm run` options), parsed and validated before anything is created. */
#ifndef NESTVM_CONFIG_H
#define NESTVM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define CFG_MAX_DISKS 8
/*
 * --cpus: on x86_64 as many as the MADT has room for (X86_MADT_MAX_CPUS); above 255 the vCPUs have
 * x2APIC ids, which interrupts reach only through remapping (CFG_XAPIC_MAX_CPUS, --viommu vtd). On
 * arm64 as many as the layout has GICv3 redistributor frames for (ARM64_GIC_REDIST_SIZE / STRIDE).
 * The running KVM's own limit (KVM_CAP_MAX_VCPUS) is checked when the VM is made.
 */
#if defined(__x86_64__)
#define CFG_MAX_CPUS 1024
#define CFG_MAX_CPUS_STR "1024"
#else
#define CFG_MAX_CPUS 123
#define CFG_MAX_CPUS_STR "123"
#endif
#define CFG_XAPIC_MAX_CPUS 255      /* xAPIC ids 0-254 (0xff is broadcast), SDM Vol. 3A 11.4.6 */
#define CFG_XAPIC_MAX_CPUS_STR "255"
#define CFG_MAX_VFIO 8
#define CFG_MAX_HOTPLUG_SLOTS 16
#define CFG_MAX_HOTPLUG_SLOTS_STR "16"
#define CFG_SWITCH_ID_MAX 24        /* switch=ID: up to 23 characters */

enum console_kind { CONSOLE_SERIAL, CONSOLE_VIRTIO };
enum seccomp_mode { SECCOMP_ON, SECCOMP_LOG, SECCOMP_OFF };
/*
 * --viommu: the MODEL of IOMMU the guest sees (its registers and tables). Not to be confused with
 * the backend that implements it (struct viommu: software or nested, iommu/viommu.h) nor the
 * iommufd vIOMMU object the nested backend allocates (iommu/viommu_obj.h).
 */
enum viommu_model { VIOMMU_MODEL_NONE, VIOMMU_MODEL_SMMUV3, VIOMMU_MODEL_VTD };
/* --viommu MODEL,backend=: which backend serves assigned devices (docs/viommu.md). AUTO: nested when
 * the host IOMMU can nest, else shadow (vtd; smmuv3 is always nested). */
enum viommu_backend { VIOMMU_BACKEND_AUTO, VIOMMU_BACKEND_NESTED, VIOMMU_BACKEND_SHADOW };
/* --firmware-tables: how firmware boot describes the machine to the OS (docs/firmware.md). */
enum fw_tables { FW_TABLES_DT, FW_TABLES_ACPI };
/* --pcie-topology: where assigned devices without root-port= / switch= go (docs/topology.md). */
enum pcie_topology { PCIE_TOPOLOGY_FLAT, PCIE_TOPOLOGY_HOST };

struct disk_config {
	const char *path;
	bool readonly;
};

/* --device vfio,...: exactly one of path / host / fd names the VFIO device cdev. */
struct vfio_config {
	const char *path;       /* /dev/vfio/devices/vfioN */
	const char *host;       /* PCI address DDDD:BB:DD.F, resolved through sysfs vfio-dev/ */
	int fd;                 /* pre-opened cdev fd (passed by a manager), -1 if none */
	bool rom;               /* expose the expansion ROM (hidden by default) */
	bool p2p_off;           /* p2p=off: the BARs stay out of the IOAS (no peer-to-peer DMA to them) */
	/* Where the guest sees it (docs/topology.md): a slot of bus 0 (default), its own root port, or a
	 * downstream port of virtual switch SW; AUTO: as the host has it (--pcie-topology host). */
	enum vfio_place { VFIO_PLACE_DEFAULT, VFIO_PLACE_FLAT, VFIO_PLACE_ROOT_PORT, VFIO_PLACE_SWITCH } place;
	char sw[CFG_SWITCH_ID_MAX];     /* VFIO_PLACE_SWITCH: the switch's id */
};

/* --api-socket / --event-monitor: exactly one of path / fd; neither: not enabled. */
struct endpoint_config {
	const char *path;
	int fd;                 /* -1 if none */
};

/* --iopf-mock (test builds only, -Diommufd_test=true; iommu/iopf_mock.h): a kernel IOMMUFD_TEST mock
 * device on the --iommufd context as the page-request source of guest stream SID. */
struct iopf_mock_config {
	bool on;
	uint32_t dev_id;            /* its iommufd device (idev) id: what its faults carry */
	uint32_t stdev_id;          /* the selftest object that moves it between HWPTs */
	uint32_t hwpt_id;           /* where it goes back at the end: its IOAS (a new automatic domain;
				     * the one it came with went when it left) or a HWPT that stays */
	uint32_t sid;               /* the guest's StreamID for it */
	unsigned int timeout_ms;    /* the guest's answer timeout; 0: the default (iopf.h) */
	/* --iopf-mock ...,function=on: a PCIe function with ATS and PRI capabilities at the source's requester id */
	bool function;
};

struct fdtab_entry;

struct vm_config {
	const char *kernel;     /* optional with --firmware (then booted through the firmware's fw_cfg loader) */
	const char *initrd;
	const char *cmdline;
	unsigned int cpus;
	uint64_t mem_size;
	bool hugepages;
	struct disk_config disks[CFG_MAX_DISKS];
	unsigned int nr_disks;
	enum console_kind console;
	enum seccomp_mode seccomp;
	struct vfio_config vfio[CFG_MAX_VFIO];
	unsigned int nr_vfio;
	unsigned int hotplug_slots;     /* --hotplug-slots: empty root ports for vm.add-device */
	enum pcie_topology topology;    /* --pcie-topology: placement of devices that name none */
	int iommufd_fd;         /* --iommufd fd=N: pre-opened /dev/iommu, -1: nestvm opens it */
	enum viommu_model viommu_model;     /* --viommu: the IOMMU the guest sees in front of its PCI devices */
	enum viommu_backend viommu_backend; /* --viommu ...,backend=: what serves assigned devices behind it */
	bool stats;             /* --stats: count exits and their handling time, print a summary at exit */
	struct endpoint_config api;     /* --api-socket: the control API (docs/api.md) */
	struct endpoint_config events;  /* --event-monitor: the event stream */
	const char *firmware;           /* --firmware: UEFI code image (read-only flash) */
	const char *firmware_vars;      /* --firmware-vars: its variable store (writable flash, persisted) */
	enum fw_tables firmware_tables; /* --firmware-tables: arm64 dt (default) or acpi; x86_64 always acpi */
	unsigned int boot_timeout;      /* --boot-timeout SECS: the boot watchdog (vmm/boot_watch.h), 0: off */
	const char *boot_marker;        /* --boot-marker TEXT: what "reached the OS" means, NULL: the default */
	struct iopf_mock_config iopf_mock;
	/*
	 * `nestvm restore --luo-session` (cmd_restore.c), not an option: the fds retrieved from the LUO
	 * session (guest RAM memfds), adopted instead of the state's "fds" section. NULL otherwise.
	 */
	const struct fdtab_entry *lu_fds;
	unsigned int nr_lu_fds;
};

#endif
