/*
 * state_records.c: see state.h.  The runs, the directory mirror and the
 * known iMocha users: plain records the planner and status read whole.
 */
#include "state/state_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xmem.h"

#define RUN_COUNT_FIELDS 9

/* The run table's n_* columns, in this order (sql/001_init.sql). */
static void
run_count_fields(struct run_counts *c, long *f[RUN_COUNT_FIELDS])
{
	f[0] = &c->read;
	f[1] = &c->in_scope;
	f[2] = &c->created;
	f[3] = &c->adopted;
	f[4] = &c->moved;
	f[5] = &c->deactivated;
	f[6] = &c->reactivated;
	f[7] = &c->skipped;
	f[8] = &c->failed;
}

int
state_run_begin(struct state *st, const char *command, long long *run_id)
{
	sqlite3_stmt *stmt = NULL;
	char now[STATE_TIME_LEN];
	int rc = -1;

	*run_id = 0;
	state_db_now(now);
	if (state_db_prepare(st, "INSERT INTO run (command, started_at) VALUES (?, ?)",
	    &stmt, "begin run") == -1)
		goto out;
	if (state_db_bind_text(stmt, 1, command) != SQLITE_OK ||
	    state_db_bind_text(stmt, 2, now) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		state_db_fail(st, "begin run");
		goto out;
	}
	*run_id = sqlite3_last_insert_rowid(st->db);
	rc = 0;
out:
	sqlite3_finalize(stmt);
	return rc;
}

int
state_run_end(struct state *st, long long run_id, const struct run_counts *counts,
    int exit_status)
{
	/* Wall clock both ends, as stored; a clock stepped back gives 0. */
	static const char sql[] = "UPDATE run SET ended_at = ?1, exit_status = ?2, "
	    "duration_ms = MAX(0, CAST(ROUND((julianday(?1) - julianday(started_at)) "
	    "* 86400000.0) AS INTEGER)), n_read = ?3, n_in_scope = ?4, "
	    "n_created = ?5, n_adopted = ?6, n_moved = ?7, n_deactivated = ?8, "
	    "n_reactivated = ?9, n_skipped = ?10, n_failed = ?11 WHERE id = ?12";
	struct run_counts c = { 0 };
	long *f[RUN_COUNT_FIELDS];
	sqlite3_stmt *stmt = NULL;
	char now[STATE_TIME_LEN];
	int i, rc = -1;

	if (counts != NULL)
		c = *counts;
	run_count_fields(&c, f);
	state_db_now(now);
	if (state_db_prepare(st, sql, &stmt, "end run") == -1)
		goto out;
	if (state_db_bind_text(stmt, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 2, exit_status) != SQLITE_OK ||
	    sqlite3_bind_int64(stmt, 12, run_id) != SQLITE_OK)
		goto fail;
	for (i = 0; i < RUN_COUNT_FIELDS; i++)
		if (sqlite3_bind_int64(stmt, 3 + i, *f[i]) != SQLITE_OK)
			goto fail;
	if (sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		log_errorx("state: end run %lld: no such run", run_id);
		goto out;
	}
	rc = 0;
	goto out;
fail:
	state_db_fail(st, "end run");
out:
	sqlite3_finalize(stmt);
	return rc;
}

static void
run_read(sqlite3_stmt *stmt, struct run_record *r)
{
	long *f[RUN_COUNT_FIELDS];
	int i;

	r->id = sqlite3_column_int64(stmt, 0);
	r->command = state_db_column_dup(stmt, 1);
	r->started_at = state_db_column_dup(stmt, 2);
	r->ended_at = state_db_column_dup(stmt, 3);
	r->exit_status = sqlite3_column_type(stmt, 4) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(stmt, 4);
	r->duration_ms = (long)sqlite3_column_int64(stmt, 5);
	run_count_fields(&r->counts, f);
	for (i = 0; i < RUN_COUNT_FIELDS; i++)
		*f[i] = (long)sqlite3_column_int64(stmt, 6 + i);
}

static int
run_read_row(sqlite3_stmt *stmt, void *elem)
{
	run_read(stmt, elem);
	return 0;
}

static void
run_release(void *elem)
{
	struct run_record *r = elem;

	free(r->command);
	free(r->started_at);
	free(r->ended_at);
}

int
state_runs_recent(struct state *st, size_t max, struct run_record **out, size_t *n)
{
	static const char sql[] = "SELECT id, command, started_at, ended_at, "
	    "exit_status, duration_ms, n_read, n_in_scope, n_created, n_adopted, "
	    "n_moved, n_deactivated, n_reactivated, n_skipped, n_failed "
	    "FROM run ORDER BY id DESC LIMIT ?";
	static const struct state_rows rows = { sizeof **out, run_read_row, run_release };
	sqlite3_stmt *stmt = NULL;

	*out = NULL;
	*n = 0;
	if (state_db_prepare(st, sql, &stmt, "load runs") == -1)
		return -1;
	if (sqlite3_bind_int64(stmt, 1, max > INT64_MAX ? INT64_MAX : (int64_t)max) != SQLITE_OK) {
		state_db_fail(st, "load runs");
		sqlite3_finalize(stmt);
		return -1;
	}
	return state_db_collect(st, stmt, "load runs", &rows, (void **)out, n);
}

void
state_runs_free(struct run_record *runs, size_t n)
{
	for (size_t i = 0; runs != NULL && i < n; i++)
		run_release(&runs[i]);
	free(runs);
}

static int
mirror_insert(sqlite3_stmt *stmt, const struct mirror_entry *e)
{
	if (sqlite3_reset(stmt) != SQLITE_OK ||
	    state_db_bind_text(stmt, 1, e->entry_id) != SQLITE_OK ||
	    state_db_bind_text(stmt, 2, e->dn) != SQLITE_OK ||
	    state_db_bind_text(stmt, 3, e->email) != SQLITE_OK ||
	    state_db_bind_text(stmt, 4, e->name) != SQLITE_OK ||
	    state_db_bind_bu(stmt, 5, e->bu_id) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 6, e->in_scope) != SQLITE_OK ||
	    state_db_bind_text(stmt, 7, e->problem) != SQLITE_OK ||
	    state_db_bind_text(stmt, 8, e->uuid) != SQLITE_OK)
		return -1;
	return sqlite3_step(stmt) == SQLITE_DONE ? 0 : -1;
}

int
state_db_meta_write(struct state *st, const struct state_meta *meta, size_t nmeta)
{
	static const char put[] = "INSERT INTO meta (key, value) VALUES (?, ?) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
	static const char del[] = "DELETE FROM meta WHERE key = ?";

	for (size_t i = 0; i < nmeta; i++) {
		sqlite3_stmt *stmt = NULL;
		int ok;

		if (state_db_prepare(st, meta[i].value ? put : del, &stmt, "store meta") == -1)
			return -1;
		ok = state_db_bind_text(stmt, 1, meta[i].key) == SQLITE_OK &&
		    (meta[i].value == NULL ||
		    state_db_bind_text(stmt, 2, meta[i].value) == SQLITE_OK) &&
		    sqlite3_step(stmt) == SQLITE_DONE;
		if (!ok)
			state_db_fail(st, "store meta");
		sqlite3_finalize(stmt);
		if (!ok)
			return -1;
	}
	return 0;
}

int
state_meta_set(struct state *st, const struct state_meta *meta, size_t nmeta)
{
	if (state_db_begin(st, "begin meta") == -1)
		return -1;
	if (state_db_meta_write(st, meta, nmeta) == -1 || state_db_commit(st, "commit meta") == -1) {
		state_db_rollback(st);
		return -1;
	}
	return 0;
}

int
state_meta_get(struct state *st, const char *key, char **value)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = -1;

	*value = NULL;
	if (state_db_prepare(st, "SELECT value FROM meta WHERE key = ?", &stmt,
	    "load meta") == -1)
		return -1;
	if (state_db_bind_text(stmt, 1, key) == SQLITE_OK) {
		step = sqlite3_step(stmt);
		if (step == SQLITE_ROW)
			*value = state_db_column_dup(stmt, 0);
		rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
	}
	if (rc == -1)
		state_db_fail(st, "load meta");
	sqlite3_finalize(stmt);
	return rc;
}

int
state_mirror_replace(struct state *st, const struct mirror_entry *entries, size_t n,
    const struct state_meta *meta, size_t nmeta)
{
	static const char sql[] = "INSERT INTO directory_entry (entry_id, dn, "
	    "email, name, bu_id, in_scope, problem, uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *stmt = NULL;
	size_t i;
	int rc = -1;

	if (state_db_begin(st, "begin mirror replace") == -1)
		return -1;
	if (state_db_exec(st, "DELETE FROM directory_entry", "clear mirror") == -1 ||
	    state_db_prepare(st, sql, &stmt, "store mirror") == -1)
		goto out;
	/* One statement, one transaction: 100,000 entries take well under a
	 * second this way. */
	for (i = 0; i < n; i++) {
		if (mirror_insert(stmt, &entries[i]) == -1) {
			state_db_fail(st, "store mirror");
			goto out;
		}
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (state_db_meta_write(st, meta, nmeta) == -1)
		goto out;
	rc = state_db_commit(st, "commit mirror");
out:
	sqlite3_finalize(stmt);
	if (rc == -1)
		state_db_rollback(st);
	return rc;
}

static void
mirror_release_row(void *elem)
{
	state_mirror_release(elem);
}

int
state_db_mirror_row(sqlite3_stmt *stmt, struct mirror_entry *e)
{
	e->entry_id = state_db_column_dup(stmt, 0);
	e->dn = state_db_column_dup(stmt, 1);
	e->email = state_db_column_dup(stmt, 2);
	e->name = state_db_column_dup(stmt, 3);
	e->bu_id = state_db_column_bu(stmt, 4);
	e->in_scope = sqlite3_column_int(stmt, 5) != 0;
	e->problem = state_db_column_dup(stmt, 6);
	e->uuid = state_db_column_dup(stmt, 7);
	return 0;
}

static int
mirror_read_row(sqlite3_stmt *stmt, void *elem)
{
	return state_db_mirror_row(stmt, elem);
}

int
state_mirror_load(struct state *st, struct mirror_entry **out, size_t *n)
{
	static const char sql[] = "SELECT entry_id, dn, email, name, bu_id, "
	    "in_scope, problem, uuid FROM directory_entry ORDER BY entry_id COLLATE BINARY";
	static const struct state_rows rows = { sizeof **out, mirror_read_row,
	    mirror_release_row };

	return state_db_load(st, sql, "load mirror", &rows, (void **)out, n);
}

int
state_mirror_each(struct state *st, int (*fn)(void *ctx, const struct mirror_entry *m),
    void *ctx)
{
	static const char sql[] = "SELECT entry_id, dn, in_scope, uuid FROM directory_entry";
	sqlite3_stmt *stmt = NULL;
	int step, rc = 0;

	if (state_db_prepare(st, sql, &stmt, "read the mirror") == -1)
		return -1;
	while (rc == 0 && (step = sqlite3_step(stmt)) == SQLITE_ROW) {
		/* Borrowed for the call: SQLite's own text. */
		struct mirror_entry m = {
			.entry_id = (char *)sqlite3_column_text(stmt, 0),
			.dn = (char *)sqlite3_column_text(stmt, 1),
			.in_scope = sqlite3_column_int(stmt, 2) != 0,
			.uuid = (char *)sqlite3_column_text(stmt, 3),
		};

		rc = fn(ctx, &m);
	}
	if (rc == 0 && step != SQLITE_DONE) {
		state_db_fail(st, "read the mirror");
		rc = -1;
	}
	sqlite3_finalize(stmt);
	return rc;
}

void
state_mirror_release(struct mirror_entry *e)
{
	free(e->entry_id);
	free(e->uuid);
	free(e->dn);
	free(e->email);
	free(e->name);
	free(e->problem);
	memset(e, 0, sizeof *e);
}

void
state_mirror_free(struct mirror_entry *entries, size_t n)
{
	for (size_t i = 0; entries != NULL && i < n; i++)
		state_mirror_release(&entries[i]);
	free(entries);
}

/* The text the schema's CHECK constraints allow. */
static const char *const status_text[] = { "Active", "Inactive" };
static const char *const origin_text[] = { "created", "adopted", "imported" };

static int
text_index(const char *const *names, int count, const char *s)
{
	for (int i = 0; s != NULL && i < count; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int
state_db_known_upsert(struct state *st, const struct known_user *u, const char *now)
{
	/* An upsert, not INSERT OR REPLACE: a replace deletes the old row
	 * without firing the triggers that keep known_count (006). */
	static const char sql[] = "INSERT INTO imocha_user (email_key, "
	    "email, full_name, entry_id, bu_id, status, origin, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email_key) DO UPDATE SET "
	    "email = excluded.email, full_name = excluded.full_name, "
	    "entry_id = excluded.entry_id, bu_id = excluded.bu_id, status = excluded.status, "
	    "origin = excluded.origin, updated_at = excluded.updated_at";
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	if ((unsigned)u->status > KNOWN_INACTIVE || (unsigned)u->origin > ORIGIN_IMPORTED) {
		log_errorx("state: store known user %s: bad status or origin",
		    u->email_key ? u->email_key : "(null)");
		goto out;
	}
	if (state_db_prepare(st, sql, &stmt, "store known user") == -1)
		goto out;
	if (state_db_bind_text(stmt, 1, u->email_key) != SQLITE_OK ||
	    state_db_bind_text(stmt, 2, u->email) != SQLITE_OK ||
	    state_db_bind_text(stmt, 3, u->full_name) != SQLITE_OK ||
	    state_db_bind_text(stmt, 4, u->entry_id) != SQLITE_OK ||
	    state_db_bind_bu(stmt, 5, u->bu_id) != SQLITE_OK ||
	    state_db_bind_text(stmt, 6, status_text[u->status]) != SQLITE_OK ||
	    state_db_bind_text(stmt, 7, origin_text[u->origin]) != SQLITE_OK ||
	    state_db_bind_text(stmt, 8, now) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		state_db_fail(st, "store known user");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(stmt);
	return rc;
}

int
state_known_put(struct state *st, const struct known_user *u)
{
	char now[STATE_TIME_LEN];
	int rc = -1;

	state_db_now(now);
	if (state_db_begin(st, "begin known user") == -1)
		return -1;
	if (state_db_known_upsert(st, u, now) == -1)
		goto out;
	rc = state_db_commit(st, "commit known user");
out:
	if (rc == -1)
		state_db_rollback(st);
	return rc;
}

/* One imported user inside the caller's transaction; *added grows by one
 * when it was new. */
static int
known_import_one(struct state *st, sqlite3_stmt *stmt, const struct known_user *u,
    const char *now, size_t *added)
{
	/* SQLite lets a NULL into a TEXT primary key: refuse it here. */
	if (u->email_key == NULL || u->email == NULL ||
	    (unsigned)u->status > KNOWN_INACTIVE) {
		log_errorx("state: import known user %s: no e-mail or bad status",
		    u->email_key ? u->email_key : "(null)");
		return -1;
	}
	if (sqlite3_reset(stmt) != SQLITE_OK ||
	    state_db_bind_text(stmt, 1, u->email_key) != SQLITE_OK ||
	    state_db_bind_text(stmt, 2, u->email) != SQLITE_OK ||
	    state_db_bind_text(stmt, 3, u->full_name) != SQLITE_OK ||
	    state_db_bind_bu(stmt, 4, u->bu_id) != SQLITE_OK ||
	    state_db_bind_text(stmt, 5, status_text[u->status]) != SQLITE_OK ||
	    state_db_bind_text(stmt, 6, origin_text[ORIGIN_IMPORTED]) != SQLITE_OK ||
	    state_db_bind_text(stmt, 7, now) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		state_db_fail(st, "import known users");
		return -1;
	}
	*added += (size_t)sqlite3_changes(st->db);
	return 0;
}

int
state_known_import(struct state *st, const struct known_user *users, size_t n,
    size_t *added)
{
	/* Not INSERT OR IGNORE: that would also swallow NOT NULL and CHECK
	 * failures; only the key conflict means "already known". */
	static const char sql[] = "INSERT INTO imocha_user (email_key, email, "
	    "full_name, entry_id, bu_id, status, origin, updated_at) "
	    "VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT (email_key) DO NOTHING";
	sqlite3_stmt *stmt = NULL;
	char now[STATE_TIME_LEN];
	size_t count = 0;
	int rc = -1;

	*added = 0;
	state_db_now(now);
	if (state_db_begin(st, "begin import") == -1)
		return -1;
	if (state_db_prepare(st, sql, &stmt, "import known users") == -1)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (known_import_one(st, stmt, &users[i], now, &count) == -1)
			goto out;
	sqlite3_finalize(stmt);
	stmt = NULL;
	/* Users known from outside a sync must be planned by the next one,
	 * even if the directory did not change. */
	if (state_db_exec(st, "DELETE FROM meta WHERE key = '" STATE_META_PLAN_COMPLETE "'",
	    "import known users") == -1)
		goto out;
	if ((rc = state_db_commit(st, "commit import")) == 0)
		*added = count;
out:
	sqlite3_finalize(stmt);
	if (rc == -1)
		state_db_rollback(st);
	return rc;
}

/* 0, or -1 for text the schema should have refused. */
int
state_db_known_row(sqlite3_stmt *stmt, struct known_user *u)
{
	int status, origin;

	u->email_key = state_db_column_dup(stmt, 0);
	u->email = state_db_column_dup(stmt, 1);
	u->full_name = state_db_column_dup(stmt, 2);
	u->entry_id = state_db_column_dup(stmt, 3);
	u->bu_id = state_db_column_bu(stmt, 4);
	status = text_index(status_text, 2, (const char *)sqlite3_column_text(stmt, 5));
	origin = text_index(origin_text, 3, (const char *)sqlite3_column_text(stmt, 6));
	if (status == -1 || origin == -1) {
		log_errorx("state: load known users: %s: bad status or origin",
		    u->email_key ? u->email_key : "(null)");
		return -1;
	}
	u->status = (enum known_status)status;
	u->origin = (enum known_origin)origin;
	return 0;
}

static int
known_read_row(sqlite3_stmt *stmt, void *elem)
{
	return state_db_known_row(stmt, elem);
}

static void
known_release_row(void *elem)
{
	state_known_release(elem);
}

int
state_known_load(struct state *st, struct known_user **out, size_t *n)
{
	/* Byte order, which the planner's merge with the mirror relies on. */
	static const char sql[] = "SELECT email_key, email, full_name, entry_id, "
	    "bu_id, status, origin FROM imocha_user ORDER BY email_key COLLATE BINARY";
	static const struct state_rows rows = { sizeof **out, known_read_row,
	    known_release_row };

	return state_db_load(st, sql, "load known users", &rows, (void **)out, n);
}

void
state_known_free(struct known_user *users, size_t n)
{
	for (size_t i = 0; users != NULL && i < n; i++)
		state_known_release(&users[i]);
	free(users);
}

int
state_known_get(struct state *st, const char *email_key, struct known_user *out)
{
	static const char sql[] = "SELECT email_key, email, full_name, entry_id, "
	    "bu_id, status, origin FROM imocha_user WHERE email_key = ?";
	sqlite3_stmt *stmt = NULL;
	int step, rc = -1;

	memset(out, 0, sizeof *out);
	if (state_db_prepare(st, sql, &stmt, "load known user") == -1)
		return -1;
	sqlite3_bind_text(stmt, 1, email_key, -1, SQLITE_STATIC);
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW)
		rc = state_db_known_row(stmt, out) == -1 ? -1 : 1;
	else if (step == SQLITE_DONE)
		rc = 0;
	else
		state_db_fail(st, "load known user");
	sqlite3_finalize(stmt);
	if (rc == -1)
		state_known_release(out);
	return rc;
}

void
state_known_release(struct known_user *u)
{
	free(u->email_key);
	free(u->email);
	free(u->full_name);
	free(u->entry_id);
	memset(u, 0, sizeof *u);
}
