/*
 * plan_int.h: what plan.c (the planner) shares with plan_joiners.c (the
 * creates it holds by reference); nothing else includes it.
 */
#ifndef L2I_PLAN_INT_H
#define L2I_PLAN_INT_H

#include "plan/plan.h"

/* The plan's order: deactivations, reactivations, moves, creates; e-mail
 * key order within each (qsort's comparison over struct change). */
int change_order(const void *a, const void *b);
/* The limits resolved and the first one tripped, from the counts. */
void plan_verdict(struct plan *p, const struct plan_settings *s);

#endif
