// SPDX-License-Identifier: GPL-2.0-only
/* PCIe hot-plug of assigned devices (hotplug.h). */
#include "devices/hotplug.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/pci_root_port.h"
#include "devices/vfio_pci.h"
#include "vmm/config.h"
#include "vmm/event_monitor.h"
#include "vmm/evloop.h"
#include "vmm/fdtab.h"
#include "vmm/log.h"
#include "vmm/vm.h"

enum slot_state {
	SLOT_EMPTY,
	SLOT_ADDED,         /* plugged; the guest may have powered it on */
	SLOT_REMOVING,      /* button pressed, waiting for the guest to power the slot off */
	SLOT_RELEASED,      /* powered off: the loop takes the device out (queued) */
	SLOT_VACATING,      /* taken out under the guest (surprise): waiting for the guest to power it off */
	SLOT_SETTLING,      /* ... powered off: free at the guest's next Link Status read */
};

struct hp_slot {
	struct hotplug *hp;
	struct pci_root_port *port;
	enum slot_state state;      /* under hp->lock: vCPUs (power) vs the loop */
	char id[HOTPLUG_ID_MAX];
	char path[128];
	struct vfio_pci *dev;
	uint32_t rid;               /* as attached to the vIOMMU */
	uint64_t deadline_ns;       /* SLOT_REMOVING: when the request fails; VACATING/SETTLING: when it is free anyway */
	uint64_t link_reads;        /* SLOT_SETTLING: pci_root_port_link_reads at the power-off */
	int req_fd;                 /* VFIO's request interrupt (host wants the device back), -1: none */
	struct ev_watch *req_watch;
};

struct hotplug {
	struct vm *vm;
	pthread_mutex_t lock;
	unsigned int nr;
	struct hp_slot *slot;
	unsigned int next_idx;      /* names the cdevs in the fd table (vfioN after the cold-plugged ones) */
	int tick_fd;                /* periodic 1 s: removal timeouts */
	struct ev_watch *tick_watch;
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static int fail(struct hotplug_result *res, int status, const char *fmt, const char *arg)
{
	res->status = status;
	snprintf(res->msg, sizeof(res->msg), fmt, arg);
	return -1;
}

static json_object *props(const struct hp_slot *s, const char *bdf)
{
	json_object *p = json_object_new_object();

	if (p) {
		json_object_object_add(p, "id", json_object_new_string(s->id));
		json_object_object_add(p, "bdf", json_object_new_string(bdf));
	}
	return p;
}

static void slot_bdf(const struct hp_slot *s, char *bdf, size_t n)
{
	snprintf(bdf, n, "0000:%02x:00.0", s->dev ? s->dev->pci.bus : pci_root_port_secondary_bus(s->port));
}

static void req_disarm(struct hp_slot *s)
{
	struct vm *vm = s->hp->vm;

	if (s->req_watch)
		evloop_unwatch(vm->loop, s->req_watch);
	s->req_watch = NULL;
	if (s->req_fd >= 0)
		fdtab_close(vm_fdtab(vm), s->req_fd);
	s->req_fd = -1;
}

/*
 * Takes the device out of its slot and frees it: no vCPU reaches it any more once unplugged; its
 * BARs leave the buses and memslots, its interrupts are torn down, the cdev is closed (which
 * detaches it from the IOAS or nested HWPT), then the vIOMMU drops its objects for it. Loop thread.
 */
static void take_out(struct hp_slot *s, bool surprise)
{
	struct vm *vm = s->hp->vm;
	struct pci_dev *d;
	json_object *p;
	char bdf[16];

	slot_bdf(s, bdf, sizeof(bdf));
	req_disarm(s);
	/*
	 * After a surprise removal the guest's pciehp is still at work: it unbinds the drivers, powers
	 * the slot off, waits 1 s, drops the presence and link events that arrived meanwhile (but not
	 * Attention Button Pressed), then reads Slot and Link Status to decide whether the slot is
	 * occupied and must be turned on (Linux remove_board, pciehp_handle_presence_or_link_change).
	 * A device plugged in before that read is turned on by that decision, and the button event of
	 * its plug, handled next, finds the slot on and starts a 5 s power-off that the next real press
	 * cancels: the slot could never be released again. So the slot is not free until the guest has
	 * powered it off and then read Link Status (or the removal timeout passed, for a guest without
	 * a hot-plug driver). Decided before the unplug: the guest may power off while we tear down.
	 */
	if (surprise) {
		pthread_mutex_lock(&s->hp->lock);
		if (pci_root_port_powered(s->port)) {
			s->state = SLOT_VACATING;
			s->deadline_ns = now_ns() + HOTPLUG_REMOVE_TIMEOUT_MS * 1000000ULL;
		}
		pthread_mutex_unlock(&s->hp->lock);
	}
	d = pci_root_port_unplug(s->port);
	if (d) {
		pci_dev_unmap_bars(d);
		d->ops->destroy(d);
	}
	pci_host_viommu_detach_vfio(vm->pci, s->rid);
	pr_info("hotplug: %s (%s) removed from %s%s", s->id, s->path, bdf, surprise ? " (surprise: the host took it back)" : "");
	p = props(s, bdf);
	if (p && surprise)
		json_object_object_add(p, "surprise", json_object_new_boolean(true));
	event_monitor_emit("vm", "device-removed", p);
	pthread_mutex_lock(&s->hp->lock);
	s->dev = NULL;
	s->id[0] = '\0';
	if (s->state != SLOT_VACATING && s->state != SLOT_SETTLING)
		s->state = SLOT_EMPTY;
	pthread_mutex_unlock(&s->hp->lock);
}

/* hp->lock held: a settling slot is free once the guest has read Link Status after powering it off. */
static void settle(struct hp_slot *s)
{
	if (s->state == SLOT_SETTLING && pci_root_port_link_reads(s->port) != s->link_reads) {
		s->state = SLOT_EMPTY;
		pr_info("hotplug: root port %u: the guest powered the slot off and checked it: free again", s->port->nr);
	}
}

/* The guest powered the slot off after the button: take the device out (queued from the vCPU). */
static void released(void *opaque, int res)
{
	struct hp_slot *s = opaque;

	(void)res;
	if (s->state == SLOT_RELEASED)
		take_out(s, false);
}

/* vCPU thread, no lock held: Slot Control's power controller changed. */
static void port_power(void *opaque, struct pci_root_port *p, bool on)
{
	struct hp_slot *s = opaque;
	bool queue = false;

	pthread_mutex_lock(&s->hp->lock);
	if (!on && s->state == SLOT_REMOVING) {
		s->state = SLOT_RELEASED;
		queue = true;
	} else if (!on && s->state == SLOT_VACATING) {
		s->state = SLOT_SETTLING;
		s->link_reads = pci_root_port_link_reads(p);
	}
	pthread_mutex_unlock(&s->hp->lock);
	if (queue && evloop_call(s->hp->vm->loop, released, s)) {
		/* Cannot queue (out of memory): the timeout turns it back into a failed request. */
		pthread_mutex_lock(&s->hp->lock);
		s->state = SLOT_REMOVING;
		pthread_mutex_unlock(&s->hp->lock);
	}
}

static const struct pci_root_port_ops port_ops = { .power = port_power };

/* VFIO's request interrupt: the host wants the device back (unbind, removal). Give it back now. */
static bool on_req(void *opaque, int fd)
{
	struct hp_slot *s = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		err_errno("hotplug: reading %s's request eventfd", s->id);
	pr_warn("hotplug: the host asks for %s (%s) back: surprise removal from the guest", s->id, s->path);
	s->req_watch = NULL;    /* not re-armed: returning false ends the watch */
	take_out(s, true);
	return false;
}

/* VFIO_PCI_REQ_IRQ_INDEX (vfio_pci_core_request): optional, a device without it just lacks surprise removal. */
static void req_arm(struct hp_slot *s)
{
	struct vm *vm = s->hp->vm;
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = VFIO_PCI_REQ_IRQ_INDEX };
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = { .set = { .argsz = sizeof(irq), .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			   .index = VFIO_PCI_REQ_IRQ_INDEX, .start = 0, .count = 1 } };
	int fd, r;

	if (ioctl(s->dev->fd, VFIO_DEVICE_GET_IRQ_INFO, &info) || !info.count) {
		pr_debug("hotplug: %s has no VFIO request interrupt: no surprise removal", s->id);
		return;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		err_errno("hotplug: %s: request eventfd", s->id);
		return;
	}
	fd = fdtab_adoptf(vm_fdtab(vm), fd, FD_EVENTFD, "hotplug", "%s-req", s->id);
	if (fd < 0)
		return;
	s->req_fd = fd;
	irq.fd = fd;
	if (ioctl(s->dev->fd, VFIO_DEVICE_SET_IRQS, &irq)) {
		err_errno("hotplug: %s: VFIO_DEVICE_SET_IRQS (request interrupt)", s->id);
		req_disarm(s);
		return;
	}
	r = evloop_watch(vm->loop, fd, on_req, s, &s->req_watch);
	if (r) {
		err_num(r, "hotplug: %s: watching the request eventfd", s->id);
		req_disarm(s);
		return;
	}
	evloop_watch_control(s->req_watch);     /* also while paused: the host is waiting */
}

static struct hp_slot *find_id(struct hotplug *hp, const char *id)
{
	for (unsigned int i = 0; i < hp->nr; i++)
		if (hp->slot[i].state != SLOT_EMPTY && !strcmp(hp->slot[i].id, id))
			return &hp->slot[i];
	return NULL;
}

/* IDs: letters, digits, '_', '-', '.', at most HOTPLUG_ID_MAX - 1 (they name fds and JSON keys). */
static bool id_ok(const char *id)
{
	size_t n = strlen(id);

	if (!n || n >= HOTPLUG_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9') ||
		      strchr("_-.", id[i])))
			return false;
	return true;
}

/* The checks of hotplug_add before anything is opened or taken: 0, or -1 with RES filled. */
static int add_check(struct hotplug *hp, const char *path, int fd, const char **id, char *gen, struct hp_slot **out,
		     struct hotplug_result *res)
{
	struct hp_slot *s = NULL;
	unsigned int vacating = 0;
	struct stat st;

	if (fd >= 0 ? path || fstat(fd, &st) || !S_ISCHR(st.st_mode) :
	    !path || strncmp(path, "/dev/vfio/devices/", 18) || strlen(path) >= sizeof(s->path))
		return fail(res, 400, "%s", fd >= 0 ? "the fd passed is not a character device (a VFIO device cdev)" :
			    "path must be a VFIO device cdev, /dev/vfio/devices/vfioN");
	if (*id && **id && !id_ok(*id))
		return fail(res, 400, "%s", "id: 1 to 63 letters, digits, '_', '-' or '.'");
	if (!*id || !**id) {
		snprintf(gen, HOTPLUG_ID_MAX, "_vfio%u", hp->next_idx);
		*id = gen;
	}
	if (find_id(hp, *id))
		return fail(res, 409, "device id %s is in use", *id);
	pthread_mutex_lock(&hp->lock);
	for (unsigned int i = 0; i < hp->nr && !s; i++) {
		settle(&hp->slot[i]);
		if (hp->slot[i].state == SLOT_EMPTY)
			s = &hp->slot[i];
		vacating += hp->slot[i].state == SLOT_VACATING || hp->slot[i].state == SLOT_SETTLING;
	}
	pthread_mutex_unlock(&hp->lock);
	if (!s && vacating)
		return fail(res, 409, "%s", "no free hot-plug slot yet: the guest is still releasing a device the host took back; retry");
	if (!s)
		return fail(res, 507, "%s", "no free hot-plug slot (see --hotplug-slots)");
	*out = s;
	return 0;
}

int hotplug_add(struct hotplug *hp, const char *path, int fd, const char *id, struct hotplug_result *res)
{
	struct vfio_config cfg = { .path = fd >= 0 ? NULL : path, .fd = fd };
	struct hp_slot *s = NULL;
	char gen[HOTPLUG_ID_MAX], fdname[32];
	uint8_t bus;
	int r;

	*res = (struct hotplug_result){ 0 };
	if (add_check(hp, path, fd, &id, gen, &s, res)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	bus = pci_root_port_secondary_bus(s->port);
	if (!bus) {
		if (fd >= 0)
			close(fd);
		return fail(res, 503, "%s", "the guest has not numbered the slot's bus yet");
	}
	if (fd >= 0) {
		snprintf(fdname, sizeof(fdname), "fd passed by the client");
		path = fdname;
	}
	/* From here the model owns FD (a character device: vfio_pci's fstat succeeds, so it adopts it). */
	r = vfio_pci_create_below(hp->vm, &cfg, hp->next_idx, &bus, &s->dev);
	if (r) {
		/* The model unwound itself and closed the cdev; a vIOMMU entry made before a later step failed goes too. */
		s->dev = NULL;
		pci_host_viommu_detach_vfio(hp->vm->pci, (uint32_t)bus << 8);
		return fail(res, r == -EBUSY ? 409 : r == -ENODEV || r == -ENOENT ? 404 : 500,
			    "could not assign %s (see nestvm's log)", path);
	}
	hp->next_idx++;
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->rid = pci_dev_requester_id(&s->dev->pci);
	req_arm(s);
	r = pci_root_port_plug(s->port, &s->dev->pci);
	if (r) {
		/* Cannot happen for an empty slot; unwind all the same. */
		req_disarm(s);
		s->dev->pci.ops->destroy(&s->dev->pci);
		pci_host_viommu_detach_vfio(hp->vm->pci, s->rid);
		s->dev = NULL;
		return fail(res, 500, "%s", "the slot refused the device");
	}
	pthread_mutex_lock(&hp->lock);
	s->state = SLOT_ADDED;
	pthread_mutex_unlock(&hp->lock);
	snprintf(res->id, sizeof(res->id), "%s", s->id);
	slot_bdf(s, res->bdf, sizeof(res->bdf));
	pr_info("hotplug: %s (%s) added at %s (root port %u)", s->id, path, res->bdf, s->port->nr);
	event_monitor_emit("vm", "device-added", props(s, res->bdf));
	return 0;
}

int hotplug_remove(struct hotplug *hp, const char *id, struct hotplug_result *res)
{
	struct hp_slot *s;
	enum slot_state st;

	*res = (struct hotplug_result){ 0 };
	if (!id || !*id)
		return fail(res, 400, "%s", "id is required");
	s = find_id(hp, id);
	if (!s)
		return fail(res, 404, "no hot-plugged device %s", id);
	pthread_mutex_lock(&hp->lock);
	st = s->state;
	if (st == SLOT_ADDED && pci_root_port_powered(s->port)) {
		s->state = SLOT_REMOVING;
		s->deadline_ns = now_ns() + HOTPLUG_REMOVE_TIMEOUT_MS * 1000000ULL;
	}
	pthread_mutex_unlock(&hp->lock);
	snprintf(res->id, sizeof(res->id), "%s", s->id);
	slot_bdf(s, res->bdf, sizeof(res->bdf));
	if (st != SLOT_ADDED)
		return fail(res, 409, "%s is already being removed", id);
	if (s->state == SLOT_ADDED) {
		/* The slot is off: the guest does not use the function (never enabled it, or let it go). */
		take_out(s, false);
		return 0;
	}
	pr_info("hotplug: %s: attention button pressed, waiting for the guest to power %s off", id, res->bdf);
	pci_root_port_press_button(s->port);
	return 0;
}

static bool on_tick(void *opaque, int fd)
{
	struct hotplug *hp = opaque;
	uint64_t n, now = now_ns();

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		err_errno("hotplug: timer");
	for (unsigned int i = 0; i < hp->nr; i++) {
		struct hp_slot *s = &hp->slot[i];
		bool late, vacated;

		pthread_mutex_lock(&hp->lock);
		late = s->state == SLOT_REMOVING && now >= s->deadline_ns;
		if (late)
			s->state = SLOT_ADDED;
		settle(s);
		vacated = (s->state == SLOT_VACATING || s->state == SLOT_SETTLING) && now >= s->deadline_ns;
		if (vacated)
			s->state = SLOT_EMPTY;
		pthread_mutex_unlock(&hp->lock);
		if (vacated)
			pr_warn("hotplug: root port %u: the guest did not power the slot off within %u s of a surprise removal; it is free again",
				s->port->nr, HOTPLUG_REMOVE_TIMEOUT_MS / 1000);
		if (late) {
			char bdf[16];

			slot_bdf(s, bdf, sizeof(bdf));
			pr_warn("hotplug: %s: the guest did not release %s within %u s; it keeps the device", s->id, bdf,
				HOTPLUG_REMOVE_TIMEOUT_MS / 1000);
			event_monitor_emit("vm", "device-remove-timeout", props(s, bdf));
		}
	}
	return true;
}

void hotplug_describe(struct hotplug *hp, json_object *tree)
{
	for (unsigned int i = 0; i < hp->nr; i++) {
		struct hp_slot *s = &hp->slot[i];
		json_object *n;
		char bdf[16];

		if (s->state == SLOT_EMPTY || s->state == SLOT_VACATING || s->state == SLOT_SETTLING)
			continue;
		n = json_object_new_object();
		if (!n)
			return;
		slot_bdf(s, bdf, sizeof(bdf));
		json_object_object_add(n, "id", json_object_new_string(s->id));
		json_object_object_add(n, "resources", json_object_new_array());
		json_object_object_add(n, "children", json_object_new_array());
		json_object_object_add(n, "parent", json_object_new_string(s->port->pci.name));
		json_object_object_add(n, "pci_bdf", json_object_new_string(bdf));
		json_object_object_add(n, "path", json_object_new_string(s->path));
		json_object_object_add(n, "state", json_object_new_string(s->state == SLOT_ADDED ? "added" : "removing"));
		json_object_object_add(tree, s->id, n);
	}
}

unsigned int hotplug_nr_slots(const struct hotplug *hp)
{
	return hp ? hp->nr : 0;
}

static int start_tick(struct hotplug *hp)
{
	struct itimerspec its = { .it_interval = { .tv_sec = 1 }, .it_value = { .tv_sec = 1 } };
	int r;

	hp->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (hp->tick_fd < 0)
		return err_errno("hotplug: timerfd_create");
	hp->tick_fd = fdtab_adopt(vm_fdtab(hp->vm), hp->tick_fd, FD_LOCAL, "hotplug", "hotplug-tick");
	if (hp->tick_fd < 0)
		return hp->tick_fd;
	if (timerfd_settime(hp->tick_fd, 0, &its, NULL))
		return err_errno("hotplug: timerfd_settime");
	r = evloop_watch(hp->vm->loop, hp->tick_fd, on_tick, hp, &hp->tick_watch);
	if (r)
		return err_num(r, "hotplug: watching the timer");
	evloop_watch_control(hp->tick_watch);
	return 0;
}

int hotplug_create(struct vm *vm, unsigned int n, struct hotplug **out)
{
	struct hotplug *hp = calloc(1, sizeof(*hp));
	int r = 0;

	*out = NULL;
	if (!hp || !(hp->slot = calloc(n ? n : 1, sizeof(*hp->slot)))) {
		free(hp);
		return err_num(ENOMEM, "hotplug");
	}
	hp->vm = vm;
	hp->tick_fd = -1;
	hp->next_idx = CFG_MAX_VFIO;    /* after every cold-plugged vfioN */
	pthread_mutex_init(&hp->lock, NULL);
	for (unsigned int i = 0; i < n && !r; i++) {
		struct hp_slot *s = &hp->slot[i];

		*s = (struct hp_slot){ .hp = hp, .req_fd = -1 };
		r = pci_root_port_create(vm, i, &port_ops, s, &s->port);
		hp->nr += !r;
	}
	if (!r)
		r = start_tick(hp);
	if (r) {
		/* The ports already on the PCI host go with it. */
		hotplug_destroy(hp);
		return r;
	}
	*out = hp;
	return 0;
}

void hotplug_destroy(struct hotplug *hp)
{
	if (!hp)
		return;
	for (unsigned int i = 0; i < hp->nr; i++)
		req_disarm(&hp->slot[i]);
	if (hp->tick_watch)
		evloop_unwatch(hp->vm->loop, hp->tick_watch);
	if (hp->tick_fd >= 0)
		fdtab_close(vm_fdtab(hp->vm), hp->tick_fd);
	pthread_mutex_destroy(&hp->lock);
	free(hp->slot);
	free(hp);
}
