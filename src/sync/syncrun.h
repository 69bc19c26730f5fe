/*
 * syncrun.h: one reconciliation pass, from the directory read to the
 * recorded run, shared by `plan` (computes and prints, changes nothing
 * anywhere, takes no lock) and `sync` (applies).  Returns the process exit
 * status of SPEC.md (0 done, 1 partial, 2 config/state, 3 LDAP, 4 iMocha,
 * 5 safety limit, 6 locked) after logging why.
 */
#ifndef L2I_SYNCRUN_H
#define L2I_SYNCRUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config/config.h"
#include "imocha/imocha.h"

/* Attempts in a row with no answer at all after which iMocha counts as
 * unreachable and the run stops (exit 4), the rest left pending. */
#define IMOCHA_UNREACHABLE_AFTER 5

enum exit_status {
	EXIT_DONE = 0,
	EXIT_PARTIAL = 1,
	EXIT_CONFIG = 2,
	EXIT_LDAP = 3,
	EXIT_IMOCHA = 4,
	EXIT_LIMIT = 5,
	EXIT_LOCKED = 6,
};

struct run_options {
	bool apply;		/* sync: true; plan: false */
	bool force;		/* apply even past a safety limit */
	bool full;		/* read the whole directory, whatever the cookie */
	bool json;		/* plan: machine-readable output */
	const char *plan_out;	/* plan --out: save the plan here */
	const char *plan_in;	/* sync --plan: apply exactly this saved plan */
	FILE *out;		/* where plan prints (stdout) */
	/* daemon: raised by SIGTERM; the run stops at once, what is in
	 * flight is abandoned and settled by the next run, and it ends 0 */
	const volatile sig_atomic_t *stop;
	char *summary;		/* daemon: the summary line is also copied here */
	size_t summary_size;
};

int syncrun_run(const struct config *cfg, const struct run_options *opt);
/* The iMocha client described by cfg (borrows cfg's strings). */
void syncrun_client(const struct config *cfg, struct imocha *client);
/* Fetch the BU list; logs and returns EXIT_IMOCHA on failure, else 0. */
int syncrun_fetch_bus(const struct imocha *client, struct imocha_bu_list *bus);

#endif
