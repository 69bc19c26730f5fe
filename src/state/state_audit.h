/*
 * state_audit.h: the audit of incremental reads, in the state store (see
 * state_audit.c for the method).  In a run that audits:
 *   state_audit_keep_incremental  after the incremental read's stage is
 *                                 finished: keep its view of the directory;
 *   state_audit_keep_mirror       instead, when that read named nothing
 *                                 (no entry, none gone, no present phase):
 *                                 its view is the mirror, taken as it is;
 *   state_audit_since             for each entry the read from the first
 *                                 read's cookie names (changed meanwhile);
 *   state_audit_compare           after the full read into a new stage:
 *                                 the misses, and the least DN among them
 *                                 (owned; NULL when none).
 * Each returns 0, or -1 logged.
 */
#ifndef L2I_STATE_AUDIT_H
#define L2I_STATE_AUDIT_H

#include <stddef.h>

#include "model/directory.h"
#include "state/state.h"
#include "state/state_stage.h"

int state_audit_keep_incremental(struct state *st, struct state_stage *sg);
int state_audit_keep_mirror(struct state *st);
int state_audit_since(struct state *st, const char *uuid, const char *entry_id);
int state_audit_compare(struct state *st, struct state_stage *sg, size_t *misses,
    char **example);
/* The users in scope in the kept view that the full read in sg did not
 * find, and the third read did not name: uuid and entry id of each,
 * added to the lists (AD: those deleted are no miss, syncaudit.c). */
int state_audit_vanished(struct state *st, struct state_stage *sg, struct value_list *uuids,
    struct value_list *ids);
/* Forget every server's verdict (reset-trust): each is audited again
 * before its incremental reads are used.  *cleared: how many. */
int state_audit_reset(struct state *st, size_t *cleared);

#endif
