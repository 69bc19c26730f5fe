/*
 * plan.h: the planner, a pure function from what the directory wants
 * (desired users, ordered by e-mail key) and what iMocha holds as far as
 * the agent knows (known users, ordered by e-mail key) to the changes that
 * make iMocha match, plus the verdict of the safety limits.  No I/O, no
 * clock, no globals: tested with tables and randomized properties.
 */
#ifndef L2I_PLAN_H
#define L2I_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "change.h"
#include "config.h"
#include "desired.h"
#include "state.h"

struct plan_settings {
	bool deactivate;		/* leavers deactivated, returners reactivated */
	struct limit max_creates;	/* percentage of users in scope */
	struct limit max_deactivations;	/* percentage of managed active users */
};

enum plan_stop {
	PLAN_GO = 0,
	PLAN_STOP_CREATES,		/* more creates than max_creates allows */
	PLAN_STOP_DEACTIVATIONS,	/* more deactivations than max_deactivations */
	PLAN_STOP_EMPTY_READ,		/* nobody in scope, yet the agent manages users */
};

struct plan {
	struct change *changes;		/* deactivations, reactivations, moves, creates */
	size_t n;
	size_t creates, moves, deactivations, reactivations;
	size_t in_scope;		/* usable users read */
	size_t skipped;			/* entries read but not usable */
	size_t managed;			/* users the agent knows in iMocha */
	size_t managed_active;
	unsigned long create_limit;	/* resolved limits */
	unsigned long deactivation_limit;
	enum plan_stop stop;		/* the first limit tripped, if any */
	char **notes;			/* things to tell the operator that need no change */
	size_t nnotes;
};

void plan_build(const struct desired_set *want, const struct known_user *have, size_t nhave,
    const struct plan_settings *settings, struct plan *out);
void plan_release(struct plan *plan);
/* Keep only the saved changes (SPEC.md, Saved plans): each must still be
 * in the plan unchanged (same action, user and business units).  Returns
 * -1 when all hold, the plan then holding exactly them with its counts and
 * verdict redone; else the index of the first saved change that no longer
 * holds, the plan untouched. */
long plan_restrict(struct plan *plan, const struct change *saved, size_t nsaved,
    const struct plan_settings *settings);
/* Drop the changes of the users whose e-mail keys are in keys (sorted in
 * byte order): their last failure asks for a delay (retry.h).  Counts and
 * verdict are redone; returns how many changes were dropped. */
size_t plan_defer(struct plan *plan, char *const *keys, size_t nkeys,
    const struct plan_settings *settings);
/* One line saying which limit stops the plan, the planned number, and how
 * to proceed; owned by the caller.  NULL when plan->stop is PLAN_GO. */
char *plan_stop_message(const struct plan *plan);

#endif
