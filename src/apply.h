/*
 * apply.h: carry out a plan's changes in iMocha, each journaled in the
 * state store as intended before its request and settled after it (one
 * transaction each), so a run killed anywhere is finished by the next.
 * A failed user does not stop the others; 401/403 stops the run at once.
 */
#ifndef L2I_APPLY_H
#define L2I_APPLY_H

#include <stdbool.h>

#include "imocha.h"
#include "plan.h"
#include "state.h"

struct apply_result {
	long created, adopted, moved, deactivated, reactivated;
	long failed;		/* changes iMocha did not make (retried next run) */
	bool auth_failed;	/* 401/403: the run stopped */
	bool state_failed;	/* the state store could not record a change */
};

/* Apply plan's changes for run run_id.  Returns 0 when every change was
 * attempted (some may have failed: see res), -1 when the run stopped
 * (auth failure or a state store error). */
int apply_plan(const struct plan *plan, struct state *st, const struct imocha *client,
    const struct imocha_bu_list *bus, long long run_id, struct apply_result *res);

#endif
