/*
 * syncmembers.h: what a change of the groups' membership means for the
 * mirror, worked out without reading every user (scope by group on AD,
 * whose incremental reads cannot see it: a membership change touches no
 * user entry).  The groups are read whole every run (syncgroups.c); the
 * mirror holds the members in scope at the last run.  So:
 *   left	a mirror entry whose DN no configured group holds now: gone
 *		from scope (confirmed like every leaver, trust.c);
 *   joined	a member under base_dn the mirror does not hold: read again
 *		by DN, and in scope if the user filter still takes it.
 * A member renamed since is both; the incremental read that names the
 * rename settles it (the entry read whole wins over "gone").
 */
#ifndef L2I_SYNCMEMBERS_H
#define L2I_SYNCMEMBERS_H

#include "model/directory.h"
#include "model/groups.h"
#include "state/state.h"

struct member_delta {
	struct value_list left_uuids;	/* mirror entries no group holds now */
	struct value_list left_ids;	/* ... the entry ids of those in scope */
	struct value_list joined_dns;	/* members (normalized DNs) not in the mirror */
};

/* Whether gs can be followed this way: it limits scope (group_dn) and
 * places no user in a business unit (a BU group's member may move
 * between units without leaving the mirror: that is read in full). */
bool syncmembers_applies(const struct group_scope *gs);
/* The delta between the mirror in st and gs (finished).  0, or -1
 * logged. */
int syncmembers_delta(struct state *st, const struct group_scope *gs, struct member_delta *out);
void syncmembers_release(struct member_delta *d);

#endif
