/*
 * state_stage_walk.c: the mirror row of each entry a read brings (see
 * state_stage.h, state_stage_mirror_row).
 *
 * A full read meets the entries in about the order their mirror rows were
 * written: the server sends them in its own order, the same every read,
 * and the mirror's rows were written in the order of a read.  So the next
 * mirror row in rowid order is most often the one asked for, and a step
 * along that order costs a fraction of a look-up by id (which was 1.9 us
 * of the 12 a full read spends per entry at 100,000 entries, 16 % of
 * row 2 of BENCHMARKS.md).  When the next row is not the one, the look-up
 * by id answers and the walk goes on after the row it found; a read whose
 * order is not the mirror's at all turns the walk off.  An incremental
 * read brings few entries, in no such order: it looks up by id only.
 */
#include "state/state_int.h"

#include <string.h>

#include "state/state_stage_int.h"

/* Past this many misses, more misses than hits: the orders differ. */
#define WALK_MISSES_ALLOWED 64

/* The walk's next row into the statement: 0, or -1 logged. */
static int
walk_step(struct state_stage *sg)
{
	int step = sqlite3_step(sg->stmt[ST_MIRROR_WALK]);

	sg->walk.has_row = step == SQLITE_ROW;
	if (step == SQLITE_ROW || step == SQLITE_DONE)
		return 0;
	state_db_fail(sg->st, "walk the mirror");
	return -1;
}

/* The walk's next row is the first after rowid. */
static int
walk_from(struct state_stage *sg, long long rowid)
{
	sqlite3_stmt *w = sg->stmt[ST_MIRROR_WALK];

	sqlite3_reset(w);
	if (sqlite3_bind_int64(w, 1, rowid) != SQLITE_OK) {
		state_db_fail(sg->st, "walk the mirror");
		return -1;
	}
	sg->walk.started = true;
	return walk_step(sg);
}

/* The walk's next row when it is entry id's: 1 (taken, the walk moved
 * on), 0 it is not, -1 logged. */
static int
walk_take(struct state_stage *sg, const char *id, struct mirror_entry *out)
{
	sqlite3_stmt *w = sg->stmt[ST_MIRROR_WALK];
	const char *next;

	if (!sg->walk.started && walk_from(sg, 0) == -1)
		return -1;
	if (!sg->walk.has_row)
		return 0;
	next = (const char *)sqlite3_column_text(w, 0);
	if (next == NULL || strcmp(next, id) != 0)
		return 0;
	if (state_db_mirror_row(w, out) != 0) {
		state_db_fail(sg->st, "walk the mirror");
		return -1;
	}
	sg->kept.last_rowid = sqlite3_column_int64(w, 8);
	sg->walk.hits++;
	return walk_step(sg) == -1 ? -1 : 1;
}

/* The look-up by id: 1 found (its rowid in kept.last_rowid), 0 none. */
static int
lookup_by_id(struct state_stage *sg, const char *id, struct mirror_entry *out)
{
	sqlite3_stmt *stmt = sg->stmt[ST_MIRROR_ROW];
	int step, rc = -1;

	if (state_db_bind_text(stmt, 1, id) == SQLITE_OK) {
		step = sqlite3_step(stmt);
		if (step == SQLITE_ROW)
			rc = state_db_mirror_row(stmt, out) == 0 ? 1 : -1;
		else if (step == SQLITE_DONE)
			rc = 0;
	}
	sg->kept.last_rowid = rc == 1 ? sqlite3_column_int64(stmt, 8) : 0;
	if (rc == -1)
		state_db_fail(sg->st, "look up a mirror row");
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc;
}

int
state_stage_mirror_row(struct state_stage *sg, const char *id, struct mirror_entry *out)
{
	bool walking = !sg->incremental && !sg->walk.off;
	int rc;

	memset(out, 0, sizeof *out);
	sg->kept.last_rowid = 0;
	if (sg->mirror_empty)
		return 0;
	if (walking && (rc = walk_take(sg, id, out)) != 0)
		return rc;
	if ((rc = lookup_by_id(sg, id, out)) != 1 || !walking)
		return rc;
	/* Found out of the walk's order: it goes on from there, or stops
	 * when the read's order is not the mirror's. */
	if (++sg->walk.misses > WALK_MISSES_ALLOWED && sg->walk.misses > sg->walk.hits) {
		sg->walk.off = true;
		/* Every entry from here a look-up at random. */
		stage_walk_stop(sg);
		return rc;
	}
	if (walk_from(sg, sg->kept.last_rowid) == -1) {
		state_mirror_release(out);
		return -1;
	}
	return rc;
}

void
stage_walk_stop(struct state_stage *sg)
{
	if (sg->stmt[ST_MIRROR_WALK] != NULL)
		sqlite3_reset(sg->stmt[ST_MIRROR_WALK]);
	sg->walk.has_row = false;
	sg->walk.started = false;
}
