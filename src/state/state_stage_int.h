/*
 * state_stage_int.h: what the read stage's two files share (state_stage.c
 * fills and writes the stage; state_stage_cursor.c reads it for the
 * planner); nothing outside them includes it.
 */
#ifndef L2I_STATE_STAGE_INT_H
#define L2I_STATE_STAGE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "state/state_stage.h"

/* The marks desired.c puts on entries that share an e-mail or an id. */
#define SHARED_EMAIL "e-mail address shared with "
#define SHARED_ID "id shared with "

/* Statements prepared with the stage; those that need its indexes are
 * prepared when they exist (ST_AFTER_FINISH on). */
enum {
	ST_MIRROR_ROW, ST_MIRROR_WALK, ST_PUT, ST_GONE, ST_PRESENT, ST_MATERIALIZE,
	ST_NEXT_DESIRED, ST_AFTER_FINISH = ST_NEXT_DESIRED, ST_NEXT_KNOWN,
	ST_NEXT_KNOWN_DELTA, ST_DESIRED_BY_ID, ST_DESIRED_BY_ID_MIRROR, ST_DESIRED_BY_REF,
	ST_KNOWN_BY_ID,
	ST_COUNT
};

/*
 * A full read of an unchanged directory brings every entry exactly as its
 * mirror row has it.  Such an entry is not copied into the stage: its
 * mirror row is kept, one bit per row (by rowid), and copied in only if
 * the stage must be whole after all (state_stage_finish: a plan is
 * needed).  Then the usual run costs one look-up per entry and no stage
 * at all.
 */
struct kept_rows {
	unsigned char *bits;
	size_t nbits;			/* rowids 0 .. nbits-1 */
	size_t count;			/* bits set */
	long long last_rowid;		/* the last mirror row looked up; 0: none */
};

/* The mirror in rowid order beside a full read (state_stage_walk.c). */
struct mirror_walk {
	bool started;
	bool has_row;		/* the statement holds the next row */
	bool off;		/* the read's order is not the mirror's: look up by id */
	size_t hits, misses;
};

struct state_stage {
	struct state *st;
	sqlite3_stmt *stmt[ST_COUNT];
	bool incremental;
	bool in_txn;		/* the read's inserts are one transaction */
	bool finished;
	bool whole;		/* every row is in the stage (kept rows copied in) */
	bool present_phase;	/* (incremental) the server used the present phase */
	bool delta_allowed;	/* state_stage_plan_delta was called */
	bool delta;		/* only the touched keys' rows (state_stage_delta.c) */
	bool merge_ready;	/* indexed by id (and entryUUID) for the merge */
	bool indexed;		/* indexed by key, the other statements prepared */
	bool mirror_deletes;	/* (after finish) some mirror rows must go */
	bool mirror_empty;	/* the mirror had no row when the read began */
	struct mirror_walk walk;
	size_t puts;		/* rows put by the read */
	struct kept_rows kept;
	struct stage_counts counts;
};

/* Make every row of the stage (kept mirror rows copied in), index it and
 * prepare the statements that need the indexes; once.  A delta stage is
 * made whole by merging the rest of the mirror in.  0, or -1 logged. */
int stage_make_whole(struct state_stage *sg);
/* The stage ready for the planner: whole, or a delta.  0, or -1 logged. */
int stage_make_ready(struct state_stage *sg);
/* The two steps both kinds of stage take around merging mirror rows in:
 * the indexes the merge needs (kept rows copied in first), then the key
 * index and the statements that need it.  Each once.  0, or -1 logged. */
int stage_index_for_merge(struct state_stage *sg);
int stage_index_for_plan(struct state_stage *sg);
/* Merge into the stage the mirror rows of from (a table or a subquery in
 * directory_entry's columns) that the read neither sent nor listed gone;
 * then mark what is shared over the whole stage.  0, or -1 logged. */
int stage_merge_mirror(struct state_stage *sg, const char *from);
int stage_mark_all_shared(struct state_stage *sg);
/* (state_stage_delta.c) The touched keys' rows only, counted as if whole.
 * 1 made, 0 not worth it (the caller makes the stage whole), -1 logged. */
int stage_make_delta(struct state_stage *sg);
/* (state_stage_walk.c) The walk's statement let go: before the stage's
 * transaction ends or the mirror is written. */
void stage_walk_stop(struct state_stage *sg);
/* Run sql on the stage's connection; what names it in a failure.  0, or
 * -1 logged. */
int stage_exec(struct state_stage *sg, const char *sql, const char *what);
/* Step stmt, which returns no row, then reset it and clear its bindings.
 * 0, or -1 logged (what names it). */
int stage_step_done(struct state_stage *sg, sqlite3_stmt *stmt, const char *what);
/* The stage's own counts, one pass: rows, usable rows, and of the rows
 * with a unique id those changed and those matched by a mirror row. */
#define STAGE_COUNTS_SQL "SELECT count(*), coalesce(sum(problem IS NULL), 0), " \
	"coalesce(sum(changed AND entry_id IS NOT NULL AND NOT id_shared), 0), " \
	"coalesce(sum(matched AND entry_id IS NOT NULL AND NOT id_shared), 0)"
/* n numbers from a one-row query.  0, or -1 logged. */
int stage_numbers(struct state_stage *sg, const char *sql, size_t *out, int n);

#endif
