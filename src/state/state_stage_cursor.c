/*
 * state_stage_cursor.c: the planner's side of the read stage (see
 * state_stage.h): its two streams in e-mail key order, its look-ups by
 * entry id, and the counts it reports.  Each makes the stage ready first:
 * whole, or a delta (state_stage_delta.c), whose streams hold only the
 * keys the read touched.
 */
#include "state/state_int.h"

#include <string.h>

#include "state/state_stage_int.h"

static void
desired_read(sqlite3_stmt *stmt, struct desired_user *d)
{
	*d = (struct desired_user){ 0 };
	d->entry_id = state_db_column_dup(stmt, 0);
	d->uuid = state_db_column_dup(stmt, 1);
	d->dn = state_db_column_dup(stmt, 2);
	d->email = state_db_column_dup(stmt, 3);
	d->email_key = state_db_column_dup(stmt, 4);
	d->name = state_db_column_dup(stmt, 5);
	d->name_was = state_db_column_dup(stmt, 6);
	d->bu_id = state_db_column_bu(stmt, 7);
	d->problem = state_db_column_dup(stmt, 8);
	d->id_shared = sqlite3_column_int(stmt, 9) != 0;
	d->stage_ref = sqlite3_column_int64(stmt, 10);
}

/* Step a cursor: 1 row (read by fn into out), 0 end (the cursor is reset
 * for another pass), -1 logged. */
static int
stage_cursor(struct state_stage *sg, sqlite3_stmt *stmt, int (*fn)(sqlite3_stmt *, void *),
    void *out, const char *what)
{
	int step = sqlite3_step(stmt);

	if (step == SQLITE_ROW)
		return fn(stmt, out) == 0 ? 1 : -1;
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (step == SQLITE_DONE)
		return 0;
	state_db_fail(sg->st, what);
	return -1;
}

static int
desired_row(sqlite3_stmt *stmt, void *out)
{
	desired_read(stmt, out);
	return 0;
}

static int
known_row(sqlite3_stmt *stmt, void *out)
{
	return state_db_known_row(stmt, out);
}

int
state_stage_next_desired(struct state_stage *sg, struct desired_user *out)
{
	if (stage_make_ready(sg) == -1)
		return -1;
	return stage_cursor(sg, sg->stmt[ST_NEXT_DESIRED], desired_row, out,
	    "read the read stage");
}

int
state_stage_next_known(struct state_stage *sg, struct known_user *out)
{
	int rc;

	memset(out, 0, sizeof *out);
	if (stage_make_ready(sg) == -1)
		return -1;
	rc = stage_cursor(sg, sg->stmt[sg->delta ? ST_NEXT_KNOWN_DELTA : ST_NEXT_KNOWN],
	    known_row, out, "read known users");
	if (rc == -1)
		state_known_release(out);
	return rc;
}

/* A look-up by id (text), or by row (id NULL: num): one row at most, the
 * statement reset after. */
static int
stage_lookup(struct state_stage *sg, int which, const char *id, int64_t num,
    int (*fn)(sqlite3_stmt *, void *), void *out, const char *what)
{
	sqlite3_stmt *stmt;
	int rc;

	if (stage_make_ready(sg) == -1)
		return -1;
	stmt = sg->stmt[which];
	if ((id != NULL ? state_db_bind_text(stmt, 1, id) :
	    sqlite3_bind_int64(stmt, 1, num)) != SQLITE_OK) {
		state_db_fail(sg->st, what);
		return -1;
	}
	rc = stage_cursor(sg, stmt, fn, out, what);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc;
}

int
state_stage_desired_by_id(struct state_stage *sg, const char *id, struct desired_user *out)
{
	int rc;

	*out = (struct desired_user){ 0 };
	rc = stage_lookup(sg, ST_DESIRED_BY_ID, id, 0, desired_row, out, "look up an entry");
	/* A delta stage holds the entries the read touched; any other is as
	 * its mirror row has it. */
	if (rc == 0 && sg->delta)
		rc = stage_lookup(sg, ST_DESIRED_BY_ID_MIRROR, id, 0, desired_row, out,
		    "look up an entry");
	return rc;
}

int
state_stage_desired_by_ref(struct state_stage *sg, int64_t ref, struct desired_user *out)
{
	*out = (struct desired_user){ 0 };
	return stage_lookup(sg, ST_DESIRED_BY_REF, NULL, ref, desired_row, out,
	    "load a planned create");
}

int
state_stage_known_by_id(struct state_stage *sg, const char *id, struct known_user *out)
{
	int rc;

	memset(out, 0, sizeof *out);
	rc = stage_lookup(sg, ST_KNOWN_BY_ID, id, 0, known_row, out, "look up a known user");
	if (rc == -1)
		state_known_release(out);
	return rc;
}

/* Two numbers from a one-row query. */
static int
stage_pair(struct state_stage *sg, const char *sql, size_t *a, size_t *b)
{
	size_t n[2];

	if (stage_numbers(sg, sql, n, 2) == -1)
		return -1;
	*a = n[0];
	*b = n[1];
	return 0;
}

int
state_stage_known_counts(struct state_stage *sg, size_t *managed, size_t *active)
{
	size_t inactive;

	/* Kept by triggers (006): counting the table cost 20 ms at 1,000,000
	 * known users.  A full read, which passes over everything anyway,
	 * counts (and state_stage_write_mirror mends the kept counts). */
	if (stage_pair(sg, sg->incremental ?
	    "SELECT total, inactive FROM known_count WHERE id = 1" :
	    "SELECT count(*), count(*) FILTER (WHERE status = 'Inactive') FROM imocha_user",
	    managed, &inactive) == -1)
		return -1;
	*active = *managed - inactive;
	return 0;
}

int
state_stage_mirror_counts(struct state_stage *sg, size_t *entries, size_t *usable)
{
	size_t skipped;

	/* Kept by triggers (007): count(*) read every page of an index, 15 ms
	 * at 1,000,000 entries, in every incremental run. */
	if (stage_pair(sg, "SELECT total, skipped FROM mirror_count WHERE id = 1",
	    entries, &skipped) == -1)
		return -1;
	*usable = *entries - skipped;
	return 0;
}
