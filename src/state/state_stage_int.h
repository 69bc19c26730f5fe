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

/* Statements prepared with the stage; those that need its indexes are
 * prepared when they exist (ST_AFTER_FINISH on). */
enum {
	ST_MIRROR_ROW, ST_PUT, ST_GONE, ST_PRESENT, ST_MATERIALIZE,
	ST_NEXT_DESIRED, ST_AFTER_FINISH = ST_NEXT_DESIRED, ST_NEXT_KNOWN,
	ST_DESIRED_BY_ID, ST_KNOWN_BY_ID, ST_COUNT
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

struct state_stage {
	struct state *st;
	sqlite3_stmt *stmt[ST_COUNT];
	bool incremental;
	bool in_txn;		/* the read's inserts are one transaction */
	bool finished;
	bool whole;		/* every row is in the stage (kept rows copied in) */
	bool present_phase;	/* (incremental) the server used the present phase */
	bool mirror_deletes;	/* (after finish) some mirror rows must go */
	size_t puts;		/* rows put by the read */
	struct kept_rows kept;
	struct stage_counts counts;
};

/* Make every row of the stage (kept mirror rows copied in), index it and
 * prepare the statements that need the indexes; once.  0, or -1 logged. */
int stage_make_whole(struct state_stage *sg);
/* Run sql on the stage's connection; what names it in a failure.  0, or
 * -1 logged. */
int stage_exec(struct state_stage *sg, const char *sql, const char *what);
/* n numbers from a one-row query.  0, or -1 logged. */
int stage_numbers(struct state_stage *sg, const char *sql, size_t *out, int n);

#endif
