/*
 * state_audit.c: the audit of incremental reads (SPEC.md, Trust), in the
 * state connection's TEMP tables beside the read stage.  An audit reads
 * the directory three times in one run: incrementally (the view that read
 * gives, merged with the mirror, is kept as audit_incr), in full (the
 * stage the run then plans from), and incrementally again from the first
 * read's cookie (what changed meanwhile, kept as audit_since).  A user
 * whose place in scope, e-mail or business unit differs between the first
 * two, and whom the third does not name, is a change the incremental read
 * should have shown and did not: a miss.
 */
#include "state/state_int.h"

#include <stdlib.h>

#include "util/log.h"
#include "state/state_audit.h"
#include "util/xmem.h"

int
state_audit_keep_incremental(struct state *st, struct state_stage *sg)
{
	static const char sql[] =
	    "DROP TABLE IF EXISTS temp.audit_incr;"
	    "DROP TABLE IF EXISTS temp.audit_since;"
	    "CREATE TEMP TABLE audit_incr AS SELECT entry_id, uuid, dn, email_key, bu_id, "
	    " problem IS NULL AS usable FROM stage "
	    " WHERE entry_id IS NOT NULL AND id_shared = 0;"
	    "CREATE INDEX temp.audit_incr_id ON audit_incr (entry_id);"
	    "CREATE TEMP TABLE audit_since (uuid TEXT, entry_id TEXT);";

	if (state_stage_whole(sg) == -1)
		return -1;
	st->audit_view = "audit_incr";
	return state_db_exec(st, sql, "keep the incremental read for the audit");
}

/*
 * An incremental read that named nothing leaves the view the mirror:
 * audit_mirror is a view of it in audit_incr's columns, so nothing is
 * copied.  The mirror's in_scope is the stage's usable: its rows were
 * marked over the same set of entries that marks them again when merged.
 */
int
state_audit_keep_mirror(struct state *st)
{
	static const char sql[] =
	    "DROP TABLE IF EXISTS temp.audit_since;"
	    "CREATE TEMP VIEW IF NOT EXISTS audit_mirror AS SELECT entry_id, uuid, dn, "
	    " lower(email) AS email_key, bu_id, in_scope AS usable FROM main.directory_entry;"
	    "CREATE TEMP TABLE audit_since (uuid TEXT, entry_id TEXT);";

	st->audit_view = "audit_mirror";
	return state_db_exec(st, sql, "keep the mirror for the audit");
}

int
state_audit_since(struct state *st, const char *uuid, const char *entry_id)
{
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	if (state_db_prepare(st, "INSERT INTO audit_since (uuid, entry_id) VALUES (?, ?)",
	    &stmt, "note a change made during the audit") == -1)
		return -1;
	if (state_db_bind_text(stmt, 1, uuid) == SQLITE_OK &&
	    state_db_bind_text(stmt, 2, entry_id) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_DONE)
		rc = 0;
	else
		state_db_fail(st, "note a change made during the audit");
	sqlite3_finalize(stmt);
	return rc;
}

int
state_audit_compare(struct state *st, struct state_stage *sg, size_t *misses, char **example)
{
	/* In scope in the full read, and absent, out of scope or otherwise
	 * placed in the incremental view; or in scope in the view and not in
	 * the full read.  Not a miss when the third read names the entry. */
	static const char fmt[] =
	    "SELECT count(*), min(dn) FROM ("
	    " SELECT b.dn AS dn, b.uuid AS uuid, b.entry_id AS entry_id FROM stage b "
	    "  LEFT JOIN %1$s a ON a.entry_id = b.entry_id "
	    "  WHERE b.entry_id IS NOT NULL AND b.id_shared = 0 AND b.problem IS NULL "
	    "  AND (a.entry_id IS NULL OR a.usable = 0 OR a.email_key IS NOT b.email_key "
	    "   OR a.bu_id IS NOT b.bu_id) "
	    " UNION ALL "
	    " SELECT a.dn, a.uuid, a.entry_id FROM %1$s a WHERE a.usable = 1 "
	    "  AND NOT EXISTS (SELECT 1 FROM stage b WHERE b.entry_id = a.entry_id "
	    "   AND b.id_shared = 0 AND b.problem IS NULL)"
	    ") d WHERE NOT EXISTS (SELECT 1 FROM audit_since s "
	    " WHERE s.uuid = d.uuid OR s.entry_id = d.entry_id)";
	char *sql;
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	*misses = 0;
	*example = NULL;
	if (st->audit_view == NULL) {
		log_warnx("state: the audit's incremental view was not kept");
		return -1;
	}
	if (state_stage_whole(sg) == -1)
		return -1;
	sql = xasprintf(fmt, st->audit_view);
	rc = state_db_prepare(st, sql, &stmt, "compare the audit's reads");
	free(sql);
	if (rc == -1)
		return -1;
	rc = -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*misses = (size_t)sqlite3_column_int64(stmt, 0);
		*example = state_db_column_dup(stmt, 1);
		rc = 0;
	} else
		state_db_fail(st, "compare the audit's reads");
	sqlite3_finalize(stmt);
	return rc;
}

int
state_audit_vanished(struct state *st, struct state_stage *sg, struct value_list *uuids,
    struct value_list *ids)
{
	/* The second half of state_audit_compare's misses. */
	static const char fmt[] =
	    "SELECT a.uuid, a.entry_id FROM %s a WHERE a.usable = 1 AND a.uuid IS NOT NULL "
	    " AND NOT EXISTS (SELECT 1 FROM stage b WHERE b.entry_id = a.entry_id "
	    "  AND b.id_shared = 0 AND b.problem IS NULL) "
	    " AND NOT EXISTS (SELECT 1 FROM audit_since s "
	    "  WHERE s.uuid = a.uuid OR s.entry_id = a.entry_id)";
	sqlite3_stmt *stmt = NULL;
	char *sql;
	int rc, step;

	if (st->audit_view == NULL || state_stage_whole(sg) == -1)
		return -1;
	sql = xasprintf(fmt, st->audit_view);
	rc = state_db_prepare(st, sql, &stmt, "list the users the full read did not find");
	free(sql);
	if (rc == -1)
		return -1;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		value_list_add(uuids, (const char *)sqlite3_column_text(stmt, 0));
		value_list_add(ids, (const char *)sqlite3_column_text(stmt, 1));
	}
	if (step != SQLITE_DONE) {
		state_db_fail(st, "list the users the full read did not find");
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}

int
state_audit_reset(struct state *st, size_t *cleared)
{
	*cleared = 0;
	if (state_db_exec(st, "DELETE FROM meta WHERE key LIKE 'audit:%'",
	    "clear the audit verdicts") == -1)
		return -1;
	*cleared = (size_t)sqlite3_changes(st->db);
	return 0;
}
