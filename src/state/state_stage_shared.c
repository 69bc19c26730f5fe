/*
 * state_stage_shared.c: the marks of sharing over a read stage (see
 * state_stage.h): an e-mail or an id two entries hold belongs to neither,
 * as desired.c marks them over arrays.  The rows that share are few: they
 * are held in memory, marked, and compared with their mirror rows again.
 */
#include "state/state_int.h"

#include <stdlib.h>
#include <string.h>

#include "state/state_stage_int.h"
#include "util/xmem.h"

/* Compare row ?1 with its mirror row again, in full. */
static const char recheck_sql[] = "UPDATE stage SET changed = NOT EXISTS (SELECT 1 "
    "FROM directory_entry m WHERE m.entry_id = stage.entry_id AND m.dn IS stage.dn "
    "AND m.email IS stage.email AND m.name IS stage.name AND m.bu_id IS stage.bu_id "
    "AND m.in_scope = (stage.problem IS NULL) AND m.problem IS stage.problem "
    "AND m.uuid IS stage.uuid) WHERE seq = ?1";

struct shared_row {
	long long seq;
	char *dn;
	char *key;
	bool has_problem;
	char *mark;		/* the problem to set, or NULL */
};

static void
shared_rows_free(struct shared_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].dn);
		free(rows[i].key);
		free(rows[i].mark);
	}
	free(rows);
}

/* Only a row otherwise usable is marked (desired.c, mark_shared). */
static void
shared_mark(struct shared_row *r, const struct shared_row *other, const char *what)
{
	if (r->has_problem || r->mark != NULL)
		return;
	r->mark = xasprintf("%s%s", what, other->dn);
}

/*
 * The rows whose column (email_key or entry_id) another row holds too,
 * grouped by it in arrival order, each marked with the DN of a neighbour
 * as desired.c's sort-and-compare does.  They are few: held in memory.
 */
static int
stage_mark_shared(struct state_stage *sg, const char *column, const char *what, bool ids)
{
	char *sql = xasprintf("SELECT seq, dn, %s, problem IS NOT NULL FROM stage "
	    "WHERE %s IN (SELECT %s FROM stage WHERE %s IS NOT NULL GROUP BY %s "
	    "HAVING count(*) > 1) ORDER BY %s COLLATE BINARY, seq", column, column, column,
	    column, column, column);
	struct shared_row *rows = NULL;
	sqlite3_stmt *stmt = NULL, *upd = NULL, *again = NULL;
	size_t n = 0, cap = 0;
	int step, rc = -1;

	if (state_db_prepare(sg->st, sql, &stmt, "find shared e-mails and ids") == -1)
		goto out;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		xgrow(&rows, &cap, n + 1, sizeof *rows);
		rows[n++] = (struct shared_row){ .seq = sqlite3_column_int64(stmt, 0),
		    .dn = state_db_column_dup(stmt, 1), .key = state_db_column_dup(stmt, 2),
		    .has_problem = sqlite3_column_int(stmt, 3) != 0 };
	}
	if (step != SQLITE_DONE) {
		state_db_fail(sg->st, "find shared e-mails and ids");
		goto out;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		if (strcmp(rows[i].key, rows[i + 1].key) != 0)
			continue;
		shared_mark(&rows[i + 1], &rows[i], what);
		shared_mark(&rows[i], &rows[i + 1], what);
	}
	/* A marked row is compared with its mirror row again (one no longer
	 * shared differs from its marked mirror row already). */
	if (state_db_prepare(sg->st, "UPDATE stage SET problem = coalesce(?1, problem), "
	    "id_shared = id_shared OR ?2 WHERE seq = ?3; ", &upd,
	    "mark shared e-mails and ids") == -1 ||
	    state_db_prepare(sg->st, recheck_sql, &again, "mark shared e-mails and ids") == -1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (state_db_bind_text(upd, 1, rows[i].mark) != SQLITE_OK ||
		    sqlite3_bind_int(upd, 2, ids) != SQLITE_OK ||
		    sqlite3_bind_int64(upd, 3, rows[i].seq) != SQLITE_OK ||
		    stage_step_done(sg, upd, "mark shared e-mails and ids") == -1 ||
		    sqlite3_bind_int64(again, 1, rows[i].seq) != SQLITE_OK ||
		    stage_step_done(sg, again, "mark shared e-mails and ids") == -1)
			goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(stmt);
	sqlite3_finalize(upd);
	sqlite3_finalize(again);
	shared_rows_free(rows, n);
	free(sql);
	return rc;
}

int
stage_mark_all_shared(struct state_stage *sg)
{
	if (stage_mark_shared(sg, "email_key", SHARED_EMAIL, false) == -1 ||
	    stage_mark_shared(sg, "entry_id", SHARED_ID, true) == -1)
		return -1;
	return 0;
}
