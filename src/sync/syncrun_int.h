/*
 * syncrun_int.h: what the two halves of a pass share: syncplan.c reads and
 * plans (pass_prepare), syncrun.c opens the state store and the pool,
 * judges the limits, applies and records (syncrun_run).  Nothing outside
 * them includes it.
 */
#ifndef L2I_SYNCRUN_INT_H
#define L2I_SYNCRUN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "imocha/imocha.h"
#include "plan/plan.h"
#include "state/state.h"
#include "sync/apply.h"
#include "sync/syncread.h"
#include "sync/syncrun.h"

/* A status of the pass's own: the stop flag ended the run (then EXIT_DONE). */
#define PASS_STOPPED (-1)

#define META_PLAN_COMPLETE STATE_META_PLAN_COMPLETE

/* Everything one pass holds, released in one place. */
struct pass {
	const struct config *cfg;
	const struct run_options *opt;
	struct state *st;
	long long run_id;
	struct imocha client;
	struct http_pool *pool;
	struct dir_read rd;		/* the directory as this run read it */
	struct stage_counts counts;	/* what the read stage holds */
	bool nothing_changed;		/* nothing the agent uses changed, nothing pending */
	size_t leftovers, deferred;
	size_t left_out;		/* planned changes a saved plan (--plan) left out */
	size_t held;			/* leavers held: not confirmed gone (trust.h) */
	struct imocha_bu_list bus;
	struct plan plan;
	struct apply_result applied;
	struct timespec started;
};

/* The daemon's stop flag (SIGTERM) is up: stop between stages too, not
 * only in the pool. */
bool pass_stopping(const struct pass *p);
/* The value of the plan_complete meta key: the last run applied its whole
 * plan under these settings (deactivate changes what is planned for an
 * unchanged directory). */
const char *pass_plan_complete_value(const struct config *cfg);
/* state_stage_each_skipped's callback: one warning per skipped entry. */
void pass_log_skipped(void *ctx, const char *dn, const char *problem);
/* Read, map and plan: everything before the first change.  0, or an exit
 * status (PASS_STOPPED included). */
int pass_prepare(struct pass *p);

#endif
