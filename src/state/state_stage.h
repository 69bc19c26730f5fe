/*
 * state_stage.h: the directory as this run reads it, kept in the state
 * store's connection as TEMP tables (a file SQLite deletes when the
 * connection closes, never the state file itself), so that a directory of
 * any size costs the agent a bounded amount of memory: SQLite's page cache
 * and one row at a time (SPEC.md, Data model).
 *
 * A stage lives for one pass:
 *   state_stage_begin     empty (a full read) or incremental (a content-
 *                         sync delta, merged with the mirror by _finish);
 *   state_stage_put       one entry as the agent wants it, with how it
 *                         compares with its mirror row, as the read
 *                         streams (_keep instead, in a full read, for an
 *                         entry equal to its row); _gone and _present
 *                         for content sync;
 *   state_stage_finish    the read is whole: the mirror's other rows are
 *                         merged in (incremental), shared e-mails and ids
 *                         marked, the counts taken; after
 *                         state_stage_plan_delta, only the rows of the
 *                         e-mail keys the read touched (a delta stage);
 *   the cursors           the planner's two streams in e-mail key order,
 *                         and its look-ups by entry id;
 *   state_stage_write_mirror   the mirror made equal to the stage by
 *                         difference, with its meta keys, in one
 *                         transaction;
 *   state_stage_end       drops it all (a failed read: nothing written).
 */
#ifndef L2I_STATE_STAGE_H
#define L2I_STATE_STAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/desired_user.h"
#include "state/state.h"

struct state_stage;

/* How an entry the read brought compares with the mirror row of its id.
 * Marks of sharing are made after the read; the rows they touch are
 * compared again then. */
struct stage_flags {
	bool matched;		/* the mirror has a row with its id */
	bool changed;		/* the mirror row differs in anything (DN included) */
	bool relevant;		/* ... in something the planner uses */
};

struct stage_counts {
	size_t entries;		/* rows in the stage */
	size_t usable;		/* rows with no problem: in scope */
	size_t changed;		/* rows to write to the mirror */
	size_t sent;		/* rows the read brought (not merged from the mirror) */
	size_t relevant;	/* rows the read brought that the planner must see */
	size_t gone, present;	/* entryUUIDs listed so (content sync) */
	bool mirror_same;	/* (after _finish) writing the mirror changes nothing */
	bool delta;		/* (after _finish) a delta stage: the planner's streams
				 * hold only the keys the read touched */
};

int state_stage_begin(struct state *st, bool incremental, struct state_stage **out);
/* The mirror row of entry id: 1 found, 0 none, -1 logged. */
int state_stage_mirror_row(struct state_stage *sg, const char *id, struct mirror_entry *out);
int state_stage_put(struct state_stage *sg, const struct desired_user *d,
    const struct stage_flags *flags);
/* Instead of _put, in a full read: d is exactly the mirror row the last
 * _mirror_row found; the stage keeps that row rather than a copy.  1 when
 * it cannot (an incremental stage, or that row kept already): put d. */
int state_stage_keep(struct state_stage *sg, const struct desired_user *d);
int state_stage_gone(struct state_stage *sg, const char *uuid);
int state_stage_present(struct state_stage *sg, const char *uuid);
/* Every row in the stage (kept mirror rows copied in; a delta stage made
 * whole), indexed and marked.  0, or -1 logged. */
int state_stage_whole(struct state_stage *sg);
/* The read brought no entry at all so far. */
bool state_stage_read_nothing(const struct state_stage *sg);
/* The counts so far (before _finish: what the read brought). */
void state_stage_counts(const struct state_stage *sg, struct stage_counts *out);
/* The last run applied its whole plan and nothing of it waits: _finish
 * may make an incremental stage a delta, whose streams hold only the
 * e-mail keys the read touched (state_stage_delta.c).  Its counts, its
 * look-ups by id and its mirror write are those of the whole. */
void state_stage_plan_delta(struct state_stage *sg);
/* The read is whole.  present_phase: drop the mirror rows the server
 * neither sent nor listed as present (incremental only).  A full read
 * that kept every mirror row and put nothing is the mirror: the stage's
 * rows are then made only if a cursor asks for them. */
int state_stage_finish(struct state_stage *sg, bool present_phase, struct stage_counts *out);
/* Each entry the read skips (a row with a problem), in e-mail order:
 * fn(ctx, dn, problem).  Before the stage is whole (nothing the planner
 * uses changed), from the mirror. */
int state_stage_each_skipped(struct state_stage *sg,
    void (*fn)(void *ctx, const char *dn, const char *problem), void *ctx);

/* The planner's streams.  Each _next returns 1 with *out filled (owned:
 * desired_user_release / state_known_release), 0 at the end, -1 logged.
 * The desired stream holds the rows with an e-mail, in key order. */
int state_stage_next_desired(struct state_stage *sg, struct desired_user *out);
int state_stage_next_known(struct state_stage *sg, struct known_user *out);
/* 1 found, 0 not, -1 logged.  The desired row of an entry id held by one
 * entry only; a known user that belongs to entry id. */
int state_stage_desired_by_id(struct state_stage *sg, const char *id, struct desired_user *out);
int state_stage_known_by_id(struct state_stage *sg, const char *id, struct known_user *out);
/* The desired row the planner saw with stage_ref ref (desired_user.h),
 * until state_stage_end: how a planned create is loaded as it is applied. */
int state_stage_desired_by_ref(struct state_stage *sg, int64_t ref, struct desired_user *out);
int state_stage_known_counts(struct state_stage *sg, size_t *managed, size_t *active);
/* The mirror's rows and those of them in scope: what a read that changed
 * nothing the agent uses found in all (entries with no id are not kept). */
int state_stage_mirror_counts(struct state_stage *sg, size_t *entries, size_t *usable);

/* Make the mirror equal to the stage and set meta, one transaction.  Before
 * _finish (nothing but unplanned changes were read) only the rows the read
 * brought are written. */
int state_stage_write_mirror(struct state_stage *sg, const struct state_meta *meta,
    size_t nmeta);
void state_stage_end(struct state_stage *sg);

#endif
