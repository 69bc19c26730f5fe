/*
 * state_journal.c: see state.h.  The change journal: a change is written as
 * intended before its request and settled after it, one transaction each,
 * so a run killed in between leaves a row the next run finishes (SPEC.md).
 * Failures and the status summary are read from it.
 */
#include "state/state_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xmem.h"

/* iMocha's answers can be whole HTML error pages: the journal keeps
 * enough to diagnose, not the page. */
#define ANSWER_MAX 2000

/*
 * One row per e-mail whose latest settled change failed, with the number
 * of failures in a row since its last success: rows are ranked newest
 * first per e-mail, and the first success (lowest rank that did not fail)
 * ends the streak; with no success, every settled row is in it.
 */
#define FAILURES_SQL							\
	"WITH settled AS (SELECT email_key, email, action, state, "	\
	"http_status, answer, settled_at, ROW_NUMBER() OVER "		\
	"(PARTITION BY email_key ORDER BY settled_at DESC, id DESC) AS rn "\
	"FROM journal WHERE state <> 'intended'), "			\
	"streak AS (SELECT email_key, COALESCE(MIN(CASE WHEN "		\
	"state <> 'failed' THEN rn END) - 1, MAX(rn)) AS attempts "	\
	"FROM settled GROUP BY email_key) "				\
	"SELECT s.email, s.action, s.http_status, s.answer, s.settled_at, "\
	"k.attempts, s.email_key FROM settled AS s JOIN streak AS k USING (email_key) "\
	"WHERE s.rn = 1 AND s.state = 'failed' "			\
	"ORDER BY s.email_key COLLATE BINARY"

int
state_change_intend(struct state *st, long long run_id, const struct change *c,
    long long *journal_id)
{
	/* One statement: SQLite makes it its own transaction. */
	static const char sql[] = "INSERT INTO journal (run_id, action, email, "
	    "email_key, entry_id, full_name, old_bu_id, new_bu_id, reason, state, "
	    "intended_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'intended', ?)";
	sqlite3_stmt *stmt = NULL;
	char now[STATE_TIME_LEN];
	int rc = -1;

	*journal_id = 0;
	state_db_now(now);
	if (state_db_prepare(st, sql, &stmt, "journal change") == -1)
		goto out;
	if (state_db_bind_id(stmt, 1, run_id) != SQLITE_OK ||
	    state_db_bind_text(stmt, 2, change_kind_str(c->kind)) != SQLITE_OK ||
	    state_db_bind_text(stmt, 3, c->email) != SQLITE_OK ||
	    state_db_bind_text(stmt, 4, c->email_key) != SQLITE_OK ||
	    state_db_bind_text(stmt, 5, c->entry_id) != SQLITE_OK ||
	    state_db_bind_text(stmt, 6, c->full_name) != SQLITE_OK ||
	    state_db_bind_bu(stmt, 7, c->old_bu) != SQLITE_OK ||
	    state_db_bind_bu(stmt, 8, c->new_bu) != SQLITE_OK ||
	    state_db_bind_text(stmt, 9, c->reason) != SQLITE_OK ||
	    state_db_bind_text(stmt, 10, now) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		state_db_fail(st, "journal change");
		goto out;
	}
	*journal_id = sqlite3_last_insert_rowid(st->db);
	rc = 0;
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* The length of at most ANSWER_MAX bytes of s that ends on a UTF-8
 * character boundary. */
static int
answer_len(const char *s)
{
	size_t len = strlen(s);

	if (len <= ANSWER_MAX)
		return (int)len;
	len = ANSWER_MAX;
	/* s[len] is the first byte left out: while it continues a character,
	 * that character's start goes too. */
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return (int)len;
}

/* Mark the row settled; only an intended row can be, so the audit record
 * of a settled change is never overwritten. */
static int
journal_settle(struct state *st, long long journal_id, const char *outcome,
    long http_status, const char *answer, const char *now)
{
	static const char sql[] = "UPDATE journal SET state = ?, http_status = ?, "
	    "answer = ?, settled_at = ? WHERE id = ? AND state = 'intended'";
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	if (state_db_prepare(st, sql, &stmt, "settle change") == -1)
		goto out;
	if (state_db_bind_text(stmt, 1, outcome) != SQLITE_OK ||
	    state_db_bind_id(stmt, 2, http_status) != SQLITE_OK ||
	    (answer == NULL ? sqlite3_bind_null(stmt, 3) : sqlite3_bind_text(stmt,
	    3, answer, answer_len(answer), SQLITE_STATIC)) != SQLITE_OK ||
	    state_db_bind_text(stmt, 4, now) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 5, journal_id) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		state_db_fail(st, "settle change");
		goto out;
	}
	if (sqlite3_changes(st->db) != 1) {
		log_errorx("state: settle change: no unsettled journal row %lld",
		    journal_id);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(stmt);
	return rc;
}

int
state_change_settle(struct state *st, long long journal_id, const char *outcome,
    long http_status, const char *answer, const struct known_user *after)
{
	char now[STATE_TIME_LEN];
	bool success;
	int rc = -1;

	if (outcome == NULL || (strcmp(outcome, "done") != 0 &&
	    strcmp(outcome, "adopted") != 0 && strcmp(outcome, "failed") != 0)) {
		log_errorx("state: settle journal row %lld: bad outcome \"%s\"",
		    journal_id, outcome ? outcome : "(null)");
		return -1;
	}
	success = strcmp(outcome, "failed") != 0;
	state_db_now(now);
	if (state_db_begin(st, "begin settle") == -1)
		return -1;
	if (journal_settle(st, journal_id, outcome, http_status, answer, now) == -1)
		goto out;
	if (success && after != NULL && state_db_known_upsert(st, after, now) == -1)
		goto out;
	rc = state_db_commit(st, "commit settle");
out:
	if (rc == -1)
		state_db_rollback(st);
	return rc;
}

static int
change_kind_parse(const char *s, enum change_kind *kind)
{
	static const enum change_kind kinds[] = { CHANGE_CREATE, CHANGE_MOVE,
	    CHANGE_DEACTIVATE, CHANGE_REACTIVATE };

	for (size_t i = 0; s != NULL && i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(change_kind_str(kinds[i]), s) == 0) {
			*kind = kinds[i];
			return 0;
		}
	}
	return -1;
}

/* 0, or -1 for an action the schema should have refused. */
static int
change_read(sqlite3_stmt *stmt, struct change *c)
{
	const char *action = (const char *)sqlite3_column_text(stmt, 1);

	memset(c, 0, sizeof *c);
	if (change_kind_parse(action, &c->kind) == -1) {
		log_errorx("state: load unsettled changes: journal row %lld: "
		    "unknown action \"%s\"", (long long)sqlite3_column_int64(stmt, 0),
		    action ? action : "(null)");
		return -1;
	}
	c->email = state_db_column_dup(stmt, 2);
	c->email_key = state_db_column_dup(stmt, 3);
	c->entry_id = state_db_column_dup(stmt, 4);
	c->full_name = state_db_column_dup(stmt, 5);
	c->old_bu = state_db_column_bu(stmt, 6);
	c->new_bu = state_db_column_bu(stmt, 7);
	c->reason = state_db_column_dup(stmt, 8);
	return 0;
}

int
state_changes_unsettled(struct state *st, struct change **out, long long **ids, size_t *n)
{
	static const char sql[] = "SELECT id, action, email, email_key, entry_id, "
	    "full_name, old_bu_id, new_bu_id, reason FROM journal "
	    "WHERE state = 'intended' ORDER BY id";
	struct change *changes = NULL;
	long long *id = NULL;
	sqlite3_stmt *stmt = NULL;
	size_t count = 0, ccap = 0, icap = 0;
	int step, rc = -1;

	*out = NULL;
	*ids = NULL;
	*n = 0;
	if (state_db_prepare(st, sql, &stmt, "load unsettled changes") == -1)
		goto out;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		xgrow(&changes, &ccap, count + 1, sizeof *changes);
		xgrow(&id, &icap, count + 1, sizeof *id);
		id[count] = sqlite3_column_int64(stmt, 0);
		if (change_read(stmt, &changes[count++]) == -1)
			goto out;
	}
	if (step != SQLITE_DONE) {
		state_db_fail(st, "load unsettled changes");
		goto out;
	}
	*out = changes;
	*ids = id;
	*n = count;
	changes = NULL;
	id = NULL;
	rc = 0;
out:
	sqlite3_finalize(stmt);
	state_changes_free(changes, id, count);
	return rc;
}

void
state_changes_free(struct change *changes, long long *ids, size_t n)
{
	for (size_t i = 0; changes != NULL && i < n; i++)
		change_release(&changes[i]);
	free(changes);
	free(ids);
}

static void
failure_read(sqlite3_stmt *stmt, struct failure_record *f)
{
	const char *answer = (const char *)sqlite3_column_text(stmt, 3);
	long status = (long)sqlite3_column_int64(stmt, 2);

	f->email = state_db_column_dup(stmt, 0);
	f->action = state_db_column_dup(stmt, 1);
	if (answer != NULL && *answer != '\0')
		f->last_error = xstrdup(answer);
	else if (status > 0)
		f->last_error = xasprintf("HTTP %ld", status);
	else
		f->last_error = xstrdup("no answer");
	f->failed_at = state_db_column_dup(stmt, 4);
	f->attempts = (long)sqlite3_column_int64(stmt, 5);
	f->email_key = state_db_column_dup(stmt, 6);
	f->http_status = status;
}

static int
failure_read_row(sqlite3_stmt *stmt, void *elem)
{
	failure_read(stmt, elem);
	return 0;
}

static void
failure_release(void *elem)
{
	struct failure_record *f = elem;

	free(f->email);
	free(f->email_key);
	free(f->action);
	free(f->last_error);
	free(f->failed_at);
}

int
state_failures(struct state *st, struct failure_record **out, size_t *n)
{
	static const struct state_rows rows = { sizeof **out, failure_read_row,
	    failure_release };

	return state_db_load(st, FAILURES_SQL, "load failures", &rows, (void **)out, n);
}

void
state_failures_free(struct failure_record *f, size_t n)
{
	for (size_t i = 0; f != NULL && i < n; i++)
		failure_release(&f[i]);
	free(f);
}

int
state_summary(struct state *st, struct state_summary *out)
{
	/* One statement reads one consistent snapshot, even while a sync
	 * writes. */
	static const char sql[] = "SELECT "
	    "(SELECT COUNT(*) FROM imocha_user WHERE status = 'Active'), "
	    "(SELECT COUNT(*) FROM imocha_user WHERE status = 'Inactive'), "
	    "(SELECT COUNT(*) FROM journal WHERE state = 'intended'), "
	    "(SELECT COUNT(*) FROM (" FAILURES_SQL ")), "
	    "(SELECT COUNT(*) FROM directory_entry), "
	    "(SELECT COUNT(*) FROM directory_entry WHERE in_scope = 1), "
	    "(SELECT COUNT(*) FROM directory_entry WHERE problem IS NOT NULL), "
	    "coalesce((SELECT CAST(value AS INTEGER) FROM meta "
	    " WHERE key = 'audit_misses_total'), 0), "
	    "(SELECT COUNT(*) FROM meta WHERE key LIKE 'audit:%' AND value LIKE 'untrusted%')";
	long *f[] = { &out->active, &out->inactive, &out->pending, &out->failed,
	    &out->mirror_total, &out->mirror_in_scope, &out->mirror_skipped,
	    &out->audit_misses, &out->servers_distrusted };
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (state_db_prepare(st, sql, &stmt, "summary") == -1)
		goto out;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		state_db_fail(st, "summary");
		goto out;
	}
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		*f[i] = (long)sqlite3_column_int64(stmt, (int)i);
	rc = 0;
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* The newest journal row of each lifecycle state: what last made a user
 * active, inactive, pending or failed. */
static const char *const last_change_sql[LIFE_STATES] = {
	[LIFE_ACTIVE] = "SELECT email, action, settled_at FROM journal WHERE "
	    "state IN ('done', 'adopted') AND action IN ('create', 'reactivate') "
	    "ORDER BY settled_at DESC, id DESC LIMIT 1",
	[LIFE_INACTIVE] = "SELECT email, action, settled_at FROM journal WHERE "
	    "state = 'done' AND action = 'deactivate' ORDER BY settled_at DESC, id DESC LIMIT 1",
	[LIFE_PENDING] = "SELECT email, action, intended_at FROM journal WHERE "
	    "state = 'intended' ORDER BY intended_at DESC, id DESC LIMIT 1",
	[LIFE_FAILED] = "SELECT email, action, settled_at FROM journal WHERE "
	    "state = 'failed' ORDER BY settled_at DESC, id DESC LIMIT 1",
};

int
state_last_changes(struct state *st, struct last_change out[LIFE_STATES])
{
	memset(out, 0, LIFE_STATES * sizeof *out);
	for (int i = 0; i < LIFE_STATES; i++) {
		sqlite3_stmt *stmt = NULL;
		int step;

		if (state_db_prepare(st, last_change_sql[i], &stmt, "last changes") == -1)
			goto fail;
		step = sqlite3_step(stmt);
		if (step == SQLITE_ROW) {
			out[i].email = state_db_column_dup(stmt, 0);
			out[i].action = state_db_column_dup(stmt, 1);
			out[i].at = state_db_column_dup(stmt, 2);
		}
		sqlite3_finalize(stmt);
		if (step != SQLITE_ROW && step != SQLITE_DONE) {
			state_db_fail(st, "last changes");
			goto fail;
		}
	}
	return 0;
fail:
	state_last_changes_release(out);
	return -1;
}

void
state_last_changes_release(struct last_change out[LIFE_STATES])
{
	for (int i = 0; i < LIFE_STATES; i++) {
		free(out[i].email);
		free(out[i].action);
		free(out[i].at);
		out[i] = (struct last_change){ 0 };
	}
}

int
state_deactivations_last_day(struct state *st, size_t *n)
{
	/* intended_at is state_db_now's text, which strftime's %f form
	 * matches: they compare as text.  The unary + keeps SQLite on the
	 * intended_at index (the last day's rows), off the state index
	 * (nearly every row is 'done'). */
	static const char sql[] = "SELECT count(*) FROM journal WHERE action = 'deactivate' "
	    "AND +state IN ('done', 'intended') "
	    "AND intended_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 day')";
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	*n = 0;
	if (state_db_prepare(st, sql, &stmt, "count the last day's deactivations") == -1)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*n = (size_t)sqlite3_column_int64(stmt, 0);
		rc = 0;
	} else
		state_db_fail(st, "count the last day's deactivations");
	sqlite3_finalize(stmt);
	return rc;
}
