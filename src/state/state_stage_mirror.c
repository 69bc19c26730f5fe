/*
 * state_stage_mirror.c: what a finished read stage gives the state store
 * (state_stage.h): the skipped entries to report, and the mirror written
 * from the stage with the meta keys that describe it, in one transaction.
 */
#include "state/state_int.h"

#include "state/state_stage_int.h"

int
state_stage_each_skipped(struct state_stage *sg,
    void (*fn)(void *ctx, const char *dn, const char *problem), void *ctx)
{
	/* A stage that is not whole holds the changes only of a read whose
	 * changes leave every problem as it was: the mirror's rows say
	 * which entries are skipped (the partial index finds them; INDEXED
	 * BY, since SQLite would otherwise walk the lower(email) index over
	 * every row to spare a sort: 0.5 s at 1,000,000 users). */
	static const char from_mirror[] = "SELECT dn, problem FROM directory_entry "
	    "INDEXED BY directory_entry_problem WHERE problem IS NOT NULL "
	    "ORDER BY lower(email), dn";
	static const char from_stage[] = "SELECT dn, problem FROM stage WHERE problem IS NOT NULL "
	    "ORDER BY email_key IS NULL, email_key COLLATE BINARY, seq";
	/* A delta stage: its rows, and the mirror's it does not stand for. */
	static const char from_delta[] = "SELECT dn, problem FROM ("
	    "SELECT dn, problem, email_key AS k, 0 AS m, seq, NULL AS d FROM stage "
	    "WHERE problem IS NOT NULL UNION ALL "
	    "SELECT dn, problem, lower(email), 1, 0, dn FROM directory_entry e "
	    "INDEXED BY directory_entry_problem WHERE problem IS NOT NULL AND "
	    "NOT EXISTS (SELECT 1 FROM stage_scope c WHERE c.mirror_rowid = e.rowid)) "
	    "ORDER BY k IS NULL, k COLLATE BINARY, m, seq, d";
	sqlite3_stmt *stmt = NULL;
	int step;

	if (state_db_prepare(sg->st, sg->delta ? from_delta : sg->whole ? from_stage : from_mirror,
	    &stmt, "list skipped entries") == -1)
		return -1;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		fn(ctx, (const char *)sqlite3_column_text(stmt, 0),
		    (const char *)sqlite3_column_text(stmt, 1));
	sqlite3_finalize(stmt);
	if (step != SQLITE_DONE) {
		state_db_fail(sg->st, "list skipped entries");
		return -1;
	}
	return 0;
}

int
state_stage_write_mirror(struct state_stage *sg, const struct state_meta *meta, size_t nmeta)
{
	static const char del[] = "DELETE FROM directory_entry WHERE NOT EXISTS (SELECT 1 "
	    "FROM stage s WHERE s.entry_id = directory_entry.entry_id AND s.id_shared = 0)";
	/* A delta stage stands for the rows of stage_scope only. */
	static const char del_delta[] = "DELETE FROM directory_entry WHERE rowid IN "
	    "(SELECT mirror_rowid FROM stage_scope) AND NOT EXISTS (SELECT 1 FROM stage s "
	    "WHERE s.entry_id = directory_entry.entry_id AND s.id_shared = 0)";
	/* An upsert, not INSERT OR REPLACE: its delete would fire no trigger
	 * and mirror_count (007) would drift. */
#define PUT_ROWS "INSERT INTO directory_entry (entry_id, dn, email, name, bu_id, " \
	"in_scope, problem, uuid) SELECT s.entry_id, s.dn, s.email, s.name, s.bu_id, " \
	"s.problem IS NULL, s.problem, s.uuid FROM stage AS s WHERE s.changed = 1 AND " \
	"s.entry_id IS NOT NULL AND s.id_shared = 0"
#define PUT_UPSERT " ON CONFLICT (entry_id) DO UPDATE SET dn = excluded.dn, " \
	"email = excluded.email, name = excluded.name, bu_id = excluded.bu_id, " \
	"in_scope = excluded.in_scope, problem = excluded.problem, uuid = excluded.uuid"
	/* The columns of the mirror's indexes (006, 003, 005) as row d holds
	 * them in stage row s. */
#define KEYS_SAME "d.email IS s.email AND d.uuid IS s.uuid AND d.problem IS s.problem"
	/* A mirror that was empty: every row is new. */
	static const char put_all[] = PUT_ROWS PUT_UPSERT;
	/* A row whose indexed columns are as the mirror holds them (a rename,
	 * a move) is written in the table alone: the upsert sets every
	 * column, and SQLite rewrites a row's entry in every index on a
	 * column it sets, changed or not (100 renamed rows at 20,000 users:
	 * 306 pages to the WAL, 100 this way).  The upsert then writes the
	 * others: new rows, and those whose e-mail, entryUUID or problem
	 * changed. */
	static const char put_in_place[] = "UPDATE directory_entry AS d SET dn = s.dn, "
	    "name = s.name, bu_id = s.bu_id, in_scope = s.problem IS NULL FROM stage AS s "
	    "WHERE s.changed = 1 AND s.entry_id IS NOT NULL AND s.id_shared = 0 AND "
	    "d.entry_id = s.entry_id AND " KEYS_SAME;
	static const char put_rest[] = PUT_ROWS " AND NOT EXISTS (SELECT 1 FROM "
	    "directory_entry d WHERE d.entry_id = s.entry_id AND " KEYS_SAME ")" PUT_UPSERT;
	/* A full read passes over everything anyway: the counts the triggers
	 * keep are made exact again, whatever a hand edit did (15 ms at
	 * 1,000,000 entries, 20 ms for the known users). */
	static const char recount[] = "UPDATE mirror_count SET "
	    "total = (SELECT count(*) FROM directory_entry), "
	    "skipped = (SELECT count(*) FROM directory_entry WHERE problem IS NOT NULL) "
	    "WHERE id = 1; UPDATE known_count SET total = (SELECT count(*) FROM imocha_user), "
	    "inactive = (SELECT count(*) FROM imocha_user WHERE status = 'Inactive') WHERE id = 1";
	int rc = -1;

	stage_walk_stop(sg);
	if (sg->in_txn) {
		/* Unfinished: only the rows the read brought are written. */
		if (stage_exec(sg, "COMMIT", "end the read stage") == -1)
			return -1;
		sg->in_txn = false;
	}
	if (state_db_begin(sg->st, "begin mirror update") == -1)
		return -1;
	if (sg->finished && sg->mirror_deletes && stage_exec(sg, sg->delta ? del_delta : del,
	    "update mirror") == -1)
		goto out;
	if ((sg->counts.changed > 0 && (sg->mirror_empty ?
	    stage_exec(sg, put_all, "update mirror") == -1 :
	    stage_exec(sg, put_in_place, "update mirror") == -1 ||
	    stage_exec(sg, put_rest, "update mirror") == -1)) ||
	    (sg->finished && !sg->incremental && stage_exec(sg, recount, "recount mirror") == -1) ||
	    state_db_meta_write(sg->st, meta, nmeta) == -1)
		goto out;
	rc = state_db_commit(sg->st, "commit mirror update");
out:
	if (rc == -1)
		state_db_rollback(sg->st);
	return rc;
}
