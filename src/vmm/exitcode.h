/* SPDX-License-Identifier: GPL-2.0-only */
/* Process exit codes: scripts and managers tell what happened without parsing messages. */
#ifndef NESTVM_EXITCODE_H
#define NESTVM_EXITCODE_H

enum nestvm_exit {
	EXIT_OK = 0,            /* guest powered off / command succeeded */
	EXIT_VMM_ERROR = 1,     /* nestvm failed (setup or runtime), message on stderr */
	EXIT_USAGE = 2,         /* bad command line */
	EXIT_GUEST_RESET = 3,   /* guest asked for a reset (reboot) and no reset policy applies */
	EXIT_GUEST_CRASH = 4,   /* guest crashed: KVM internal error, triple fault, PSCI crash, reset loop */
	EXIT_UNSUPPORTED = 5,   /* the host lacks something nestvm needs (KVM cap, iommufd feature) */
	EXIT_BOOT_TIMEOUT = 6,  /* --boot-timeout: the guest did not reach its OS in time (vmm/boot_watch.h) */
};

#endif
