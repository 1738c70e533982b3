/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * QEMU's firmware configuration device (fw_cfg), as QEMU's docs/specs/fw_cfg.rst describes it: the
 * interface OVMF and AAVMF read RAM size, CPU count, direct-boot kernel/initrd/cmdline, e820 and ACPI
 * tables from. A 16-bit selector picks an item, the data register streams its bytes from an offset
 * that the selector resets, and the DMA interface copies an item to guest RAM in one access.
 *
 * Two register layouts, as on QEMU's machines (fw_cfg.rst "Selector (Control) Register", "Data
 * Register", "Register Locations"):
 *   x86 port I/O (fw_cfg_pio, registered at FW_CFG_PIO_BASE): +0 selector (16-bit little-endian),
 *     +1 data (8-bit), +4 DMA address high 32 bits, +8 low 32 bits (big-endian; the low write starts it);
 *   MMIO (fw_cfg_mmio, arm64 virt at 0x0902_0000): +0 data (1/2/4/8 bytes in string order), +8
 *     selector (16-bit big-endian), +16 DMA address (64-bit big-endian, or two 32-bit halves, the low
 *     half at +20 starting it).
 * Writes through the data register are ignored (fw_cfg.rst: no-ops since QEMU 2.4); the DMA WRITE
 * operation changes only files added as writable. Host-architecture independent; the state is
 * under the device's lock (vCPUs access it concurrently).
 */
#ifndef NESTVM_FW_CFG_H
#define NESTVM_FW_CFG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct guest_mem;

/* Selector keys (fw_cfg.rst "Firmware Configuration Items"; QEMU's fw_cfg_keys.h numbering). */
#define FW_CFG_SIGNATURE        0x00    /* "QEMU" */
#define FW_CFG_ID               0x01    /* le32 feature bits */
#define FW_CFG_UUID             0x02
#define FW_CFG_RAM_SIZE         0x03    /* le64 */
#define FW_CFG_NOGRAPHIC        0x04    /* le16 */
#define FW_CFG_NB_CPUS          0x05    /* le16: CPUs present at boot */
#define FW_CFG_MACHINE_ID       0x06
#define FW_CFG_KERNEL_ADDR      0x07    /* le32 */
#define FW_CFG_KERNEL_SIZE      0x08    /* le32 */
#define FW_CFG_KERNEL_CMDLINE   0x09
#define FW_CFG_INITRD_ADDR      0x0a    /* le32 */
#define FW_CFG_INITRD_SIZE      0x0b    /* le32 */
#define FW_CFG_BOOT_DEVICE      0x0c
#define FW_CFG_NUMA             0x0d
#define FW_CFG_BOOT_MENU        0x0e
#define FW_CFG_MAX_CPUS         0x0f    /* le16 */
#define FW_CFG_KERNEL_ENTRY     0x10
#define FW_CFG_KERNEL_DATA      0x11
#define FW_CFG_INITRD_DATA      0x12
#define FW_CFG_CMDLINE_ADDR     0x13    /* le32 */
#define FW_CFG_CMDLINE_SIZE     0x14    /* le32, including the NUL */
#define FW_CFG_CMDLINE_DATA     0x15
#define FW_CFG_SETUP_ADDR       0x16    /* x86 bzImage: the real-mode setup part */
#define FW_CFG_SETUP_SIZE       0x17
#define FW_CFG_SETUP_DATA       0x18
#define FW_CFG_FILE_DIR         0x19
#define FW_CFG_FILE_FIRST       0x20
#define FW_CFG_WRITE_CHANNEL    0x4000  /* selector bit 14: write mode (ignored, see above) */
#define FW_CFG_ARCH_LOCAL       0x8000

/* FW_CFG_ID bits (fw_cfg.rst "Firmware Configuration Items", 0x01). */
#define FW_CFG_VERSION          0x01    /* the traditional selector/data interface */
#define FW_CFG_VERSION_DMA      0x02    /* the DMA interface */

/* FWCfgDmaAccess.control bits (fw_cfg.rst "Guest-side DMA Interface"); the select key is bits 31:16. */
#define FW_CFG_DMA_CTL_ERROR    0x01
#define FW_CFG_DMA_CTL_READ     0x02
#define FW_CFG_DMA_CTL_SKIP     0x04
#define FW_CFG_DMA_CTL_SELECT   0x08
#define FW_CFG_DMA_CTL_WRITE    0x10
#define FW_CFG_DMA_SIGNATURE    0x51454d5520434647ull   /* "QEMU CFG", read from the DMA address register */

#define FW_CFG_MAX_FILE_PATH    56
#define FW_CFG_MAX_ITEMS        64      /* standard keys and files together */
#define FW_CFG_MAX_FILES        32
#define FW_CFG_DMA_ACCESS_SIZE  16      /* be32 control, be32 length, be64 address */

/* Register windows. */
#define FW_CFG_PIO_BASE         0x510   /* x86: selector 0x510, data 0x511, DMA 0x514-0x51b */
#define FW_CFG_PIO_LEN          12
#define FW_CFG_MMIO_LEN         0x18    /* data +0, selector +8, DMA +16 */

/* One directory entry (fw_cfg.rst "File Directory"): all fields big-endian. */
struct fw_cfg_file {
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[FW_CFG_MAX_FILE_PATH];
} __attribute__((packed));

struct fw_cfg_item {
	uint16_t key;
	bool writable;              /* DMA WRITE allowed (files added with fw_cfg_add_file(..., true)) */
	uint8_t *data;              /* owned */
	uint32_t size;
	char name[FW_CFG_MAX_FILE_PATH];   /* files only, NUL-terminated */
};

struct fw_cfg {
	pthread_mutex_t lock;
	struct guest_mem *mem;      /* DMA descriptors and buffers: guest RAM only */
	struct fw_cfg_item items[FW_CFG_MAX_ITEMS];
	unsigned int nr_items, nr_files;
	int cur;                    /* index of the selected item, -1 if the key has none */
	uint32_t offset;            /* data offset in the selected item */
	uint32_t dma_hi;            /* the DMA address register's high half, until the low half is written */
	uint64_t dma_ops, dma_errors;   /* for tests and debugging */
};

/* Signature, ID (with the DMA bit) and an empty file directory; guest RAM is where DMA goes. */
int fw_cfg_init(struct fw_cfg *f, struct guest_mem *mem);
void fw_cfg_destroy(struct fw_cfg *f);
/* A copy of LEN bytes at KEY (a standard or arch-local key; not a file key). Replaces an existing one. */
int fw_cfg_add_bytes(struct fw_cfg *f, uint16_t key, const void *data, size_t len);
int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v);   /* little-endian, as the spec's integers */
int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v);
/* A named file at the next free key from FW_CFG_FILE_FIRST, listed in FW_CFG_FILE_DIR. -EEXIST on a duplicate. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len, bool writable);
/* The current contents of a file (after guest DMA writes), NULL if there is none. */
const uint8_t *fw_cfg_file(struct fw_cfg *f, const char *name, uint32_t *size);

/* bus_access_fn for the x86 port window (FW_CFG_PIO_LEN bytes) and the MMIO window (FW_CFG_MMIO_LEN). */
void fw_cfg_pio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
void fw_cfg_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
