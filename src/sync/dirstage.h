/*
 * dirstage.h: the directory read, one entry at a time, into the read
 * stage (state_stage.h): each entry made a desired row through the
 * mapping (desired_one) with the values its mirror row already holds, and
 * compared with that row; then the stage as the planner's source.
 */
#ifndef L2I_DIRSTAGE_H
#define L2I_DIRSTAGE_H

#include "model/directory.h"
#include "plan/mapping.h"
#include "plan/plan.h"
#include "state/state_stage.h"

struct dirstage {
	struct state_stage *stage;
	const struct mapping *map;
	bool failed;		/* a stage call failed (logged): the read is lost */
	/* [ldap] group_dn: an entry that is no member is out of scope, as if
	 * the user filter left it out; NULL or no group_dn: none is. */
	const struct group_scope *groups;
	bool incremental;	/* the stage holds changes: such an entry is gone */
	/* The ids of the entries in scope at the last read that are no
	 * member now (plan says why they leave). */
	struct value_list *left_by_group;
};

/* A sink (directory.h) that puts what it is given into ds->stage. */
void dirstage_sink(struct dirstage *ds, struct dir_sink *out);
/* The planner's source over a finished stage; -1 logged. */
int dirstage_plan_source(struct state_stage *stage, const struct stage_counts *counts,
    struct plan_source *out);

#endif
