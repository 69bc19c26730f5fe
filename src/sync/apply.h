/*
 * apply.h: carry out a plan's changes in iMocha, several at once through
 * the client's pool (at the configured rate), each journaled in the state
 * store as intended before its request and settled after its final answer
 * (one transaction each), so a run killed anywhere is finished by the
 * next.  A failed user does not stop the others; 401/403 stops sending at
 * once (what is in flight is still settled); an unreachable iMocha or a
 * stop flag ends the run with the rest left pending.
 */
#ifndef L2I_APPLY_H
#define L2I_APPLY_H

#include <stdbool.h>

#include "imocha/imocha.h"
#include "plan/plan.h"
#include "state/state.h"

struct apply_result {
	long created, adopted, moved, deactivated, reactivated;
	long failed;		/* changes iMocha did not make (retried next run) */
	bool auth_failed;	/* 401/403: the run stopped */
	bool unreachable;	/* no answer, attempt after attempt: the run stopped */
	bool stopped;		/* the stop flag was raised (daemon shutdown) */
	bool state_failed;	/* the state store could not record a change */
};

/* Apply plan's changes for run run_id; client->pool must be set.  Returns
 * 0 when every change was attempted (some may have failed: see res), -1
 * when the run stopped early (see the flags in res). */
int apply_plan(const struct plan *plan, struct state *st, const struct imocha *client,
    const struct imocha_bu_list *bus, long long run_id, struct apply_result *res);

#endif
