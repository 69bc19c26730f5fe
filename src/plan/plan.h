/*
 * plan.h: the planner, a pure function from what the directory wants
 * (desired users, ordered by e-mail key) and what iMocha holds as far as
 * the agent knows (known users, ordered by e-mail key) to the changes that
 * make iMocha match, plus the verdict of the safety limits.  It reads its
 * input as two streams and look-ups (struct plan_source): the agent's come
 * from the state store (plansource.h), the tests' from arrays (plan_build).
 * No I/O of its own, no clock, no globals: tested with tables and
 * randomized properties.
 */
#ifndef L2I_PLAN_H
#define L2I_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "model/change.h"
#include "config/config.h"
#include "plan/desired.h"
#include "state/state.h"

struct plan_settings {
	bool deactivate;		/* leavers deactivated, returners reactivated */
	struct limit max_creates;	/* percentage of users in scope */
	struct limit max_deactivations;	/* percentage of managed active users */
	/* The rolling 24-hour cap, and the deactivations sent in the 24 hours
	 * before this run; NULL: no daily cap (the tests' planners). */
	const struct limit *max_deactivations_per_day;
	size_t deactivated_last_day;
	/* [ldap] group_dn: each group's members now and at the last read
	 * (SPEC.md: an empty group, or one that shrank by more than
	 * max_deactivations, stops the run). */
	const struct group_count *groups;
	size_t ngroups;
};

/* One group_dn's members (nested counted, under base_dn). */
struct group_count {
	const char *dn;
	size_t now;
	bool known;		/* the last read's count is known */
	size_t was;
};

enum plan_stop {
	PLAN_GO = 0,
	PLAN_STOP_CREATES,		/* more creates than max_creates allows */
	PLAN_STOP_DEACTIVATIONS,	/* more deactivations than max_deactivations */
	PLAN_STOP_EMPTY_READ,		/* nobody in scope, yet the agent manages users */
	PLAN_STOP_DEACTIVATIONS_DAY,	/* more than max_deactivations_per_day in 24 hours */
	PLAN_STOP_GROUP_EMPTY,		/* a group_dn reads with no member */
	PLAN_STOP_GROUP_SHRANK,		/* one lost more than max_deactivations allows */
};

/*
 * A plan holds its changes in two places.  changes[] has every change
 * whole.  joiners[] has the creates of users iMocha has never held (the
 * "joined" ones) as references into the source (desired_user.stage_ref),
 * in e-mail key order, when the source can load them again
 * (desired_by_ref): a first sync plans one create per user, and a
 * million of them must not be held whole (8 bytes each instead of about
 * 250).  They are counted, judged by the limits and deferred like the
 * others; plan_next loads them one at a time as they are applied, and
 * plan_materialize makes them changes (what a printed or saved plan
 * needs).  The source must outlive the plan's use of them.
 */
struct plan {
	struct change *changes;		/* deactivations, reactivations, moves, creates */
	size_t n;
	int64_t *joiners;		/* creates by reference, e-mail key order */
	size_t njoiners;
	void *load_ctx;			/* the source's, to load a joiner */
	int (*load)(void *ctx, int64_t ref, struct desired_user *out);
	/* Set by the caller, or NULL: a joiner's reason said more precisely
	 * (group_dn); returns a new reason, or NULL for the plain one. */
	char *(*explain)(void *ctx, const struct desired_user *d, const char *reason);
	void *explain_ctx;
	size_t creates, moves, deactivations, reactivations;
	size_t in_scope;		/* usable users read */
	size_t skipped;			/* entries read but not usable */
	size_t managed;			/* users the agent knows in iMocha */
	size_t managed_active;
	unsigned long create_limit;	/* resolved limits */
	unsigned long deactivation_limit;
	unsigned long day_limit;	/* max_deactivations_per_day resolved */
	size_t deactivated_last_day;	/* sent in the 24 hours before the run */
	enum plan_stop stop;		/* the first limit tripped, if any */
	struct group_count stop_group;	/* PLAN_STOP_GROUP_*: which (dn owned) */
	char **notes;			/* things to tell the operator that need no change */
	size_t nnotes;
};

/*
 * What the planner reads.  next_desired gives the desired users that have
 * an e-mail, usable or not, in e-mail key order (byte order), several per
 * key when entries share one; next_known the known users in the same
 * order.  desired_by_id finds the desired user of an entry id that only
 * one entry holds (with or without an e-mail); known_by_id a known user
 * that belongs to an entry id.  Each returns 1 with *out filled and owned
 * by the planner, 0 when there is none (more), -1 on an error (logged):
 * the plan is then abandoned.  The counts are over every entry read.
 */
struct plan_source {
	void *ctx;
	int (*next_desired)(void *ctx, struct desired_user *out);
	int (*next_known)(void *ctx, struct known_user *out);
	int (*desired_by_id)(void *ctx, const char *id, struct desired_user *out);
	int (*known_by_id)(void *ctx, const char *id, struct known_user *out);
	/* Optional: the desired user of a stage_ref again, for as long as the
	 * plan is used; with it, joiners are planned by reference. */
	int (*desired_by_ref)(void *ctx, int64_t ref, struct desired_user *out);
	size_t entries, usable;		/* entries read; those with no problem */
	size_t managed, managed_active;	/* known users; those active */
};

/* 0, or -1 when a source call failed (out is then empty). */
int plan_build_from(const struct plan_source *src, const struct plan_settings *settings,
    struct plan *out);
/* The same over arrays (plan_memory.c): want as desired_build makes it,
 * have ordered by e-mail key. */
void plan_build(const struct desired_set *want, const struct known_user *have, size_t nhave,
    const struct plan_settings *settings, struct plan *out);
void plan_release(struct plan *plan);
/* Every change the plan holds, joiners included. */
size_t plan_size(const struct plan *plan);

/* Walking a plan in its order (deactivations, reactivations, moves, then
 * creates by e-mail key), joiners loaded as they come: start zeroed. */
struct plan_cursor {
	size_t i, j;			/* positions in changes[] and joiners[] */
	struct change joiner;		/* joiners[j - 1], loaded, not yet given */
	bool has_joiner;
};
/* The next change, a copy owned by the caller (change_release): 1, 0 at
 * the end, -1 when a joiner cannot be loaded (logged). */
int plan_next(const struct plan *plan, struct plan_cursor *cur, struct change *out);
void plan_cursor_release(struct plan_cursor *cur);
/* Load every joiner into changes[] (re-sorted): what printing or saving
 * a plan, or restricting it to a saved one, works on.  0, or -1 logged
 * (the plan is then as it was). */
int plan_materialize(struct plan *plan);

/* Keep only the saved changes (SPEC.md, Saved plans): each must still be
 * in the plan unchanged (same action, user and business units).  The plan
 * must be materialized (no joiners).  Returns
 * -1 when all hold, the plan then holding exactly them with its counts and
 * verdict redone; else the index of the first saved change that no longer
 * holds, the plan untouched. */
long plan_restrict(struct plan *plan, const struct change *saved, size_t nsaved,
    const struct plan_settings *settings);
/* Drop the changes of the users whose e-mail keys are in keys (sorted in
 * byte order): their last failure asks for a delay (retry.h).  Counts and
 * verdict are redone; returns how many changes were dropped, or -1 when a
 * joiner cannot be loaded (logged; the plan must not be applied). */
long plan_defer(struct plan *plan, char *const *keys, size_t nkeys,
    const struct plan_settings *settings);
/* Keep the changes of changes[] marked in keep[] (one per change; the
 * joiners all stay), release the others, and redo the counts and the
 * verdict. */
void plan_keep(struct plan *plan, const bool *keep, const struct plan_settings *settings);
/* One line saying which limit stops the plan, the planned number, and how
 * to proceed; owned by the caller.  NULL when plan->stop is PLAN_GO. */
char *plan_stop_message(const struct plan *plan);

#endif
