/*
 * trust.h: what the agent will not take on a directory server's word
 * (SPEC.md, Trust and continuation references).  A plan made from a read
 * is looked at before anything is done: each leaver it would deactivate
 *   - whose last known entry lies where a continuation reference pointed
 *     (a part of the directory the read did not see) is held;
 *   - after an incremental read, is confirmed by a search for its id on
 *     the same server (ldapsrc_confirm): gone, it stays in the plan; in
 *     doubt, it is held; still in scope, the incremental read was wrong
 *     and the run must read in full.
 * Too many to confirm one by one, or a leaver with no id to confirm it
 * by, also means reading in full.  Held users are dropped from the plan
 * (and so planned again, and reported, by every run until it is clear).
 */
#ifndef L2I_TRUST_H
#define L2I_TRUST_H

#include <stddef.h>

#include "plan/plan.h"
#include "sync/syncread.h"

/* More leavers than this are not confirmed one by one: the run reads in
 * full instead (a full read is its own confirmation). */
#define TRUST_CONFIRM_MAX 100

enum trust_verdict {
	TRUST_GO,		/* the plan, less the held users, may go ahead */
	TRUST_READ_FULL,	/* read in full and plan again (why says why) */
	TRUST_FAILED,		/* the state store failed (logged) */
};

struct trust_result {
	size_t leavers;		/* deactivations of users no entry in scope holds */
	size_t held;		/* of them, dropped from the plan */
	size_t confirmed;	/* confirmed gone by a search */
	size_t contradicted;	/* said gone, found in scope */
	char *why;		/* TRUST_READ_FULL: why, owned */
};

/* Look at plan's leavers as read into rd (its stage finished, its
 * connection open).  Logs each held user and each verdict. */
enum trust_verdict trust_check_leavers(struct dir_read *rd, struct plan *plan,
    const struct plan_settings *settings, struct trust_result *out);
void trust_result_release(struct trust_result *r);

#endif
