/*
 * state_stage.c: see state_stage.h.  The stage is TEMP tables of the
 * state connection, in a file SQLite deletes itself (state.c,
 * configure_temp), so only the page cache is memory.  Statements the
 * read runs once per entry are prepared once.
 */
#include "state/state_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "state/state_stage_int.h"
#include "util/xmem.h"

/* The stage's own page cache (TEMP tables, 16 KiB pages, from malloc):
 * its index builds stay in memory up to this.  Larger measured no faster
 * at 100,000 users (BENCHMARKS.md). */
#define STAGE_TEMP_CACHE_KIB 4096

static const char stage_schema[] =
    "DROP TABLE IF EXISTS temp.stage;"
    "DROP TABLE IF EXISTS temp.stage_gone;"
    "DROP TABLE IF EXISTS temp.stage_present;"
    "DROP TABLE IF EXISTS temp.stage_keys;"
    "DROP TABLE IF EXISTS temp.stage_scope;"
    "CREATE TEMP TABLE stage ("
    " seq INTEGER PRIMARY KEY,"		/* order of arrival */
    " entry_id TEXT, uuid TEXT, dn TEXT NOT NULL, email TEXT, email_key TEXT,"
    " name TEXT, name_was TEXT, bu_id INTEGER, problem TEXT,"
    " id_shared INTEGER NOT NULL DEFAULT 0,"
    " matched INTEGER NOT NULL DEFAULT 0,"	/* struct stage_flags */
    " changed INTEGER NOT NULL DEFAULT 0);"
    "CREATE TEMP TABLE stage_gone (uuid TEXT PRIMARY KEY);"
    "CREATE TEMP TABLE stage_present (uuid TEXT PRIMARY KEY);"
    /* A delta stage (state_stage_delta.c): the e-mail keys it plans, and
     * the mirror rows it stands for. */
    "CREATE TEMP TABLE stage_keys (email_key TEXT PRIMARY KEY);"
    "CREATE TEMP TABLE stage_scope (mirror_rowid INTEGER PRIMARY KEY);";

/* The stage's indexes are made when the read is whole: one sort each
 * costs less than keeping them up entry by entry.  An incremental stage
 * needs those by id and entryUUID before the mirror is merged in. */
static const char stage_id_index[] =
    "CREATE INDEX temp.stage_entry_id ON stage (entry_id);";
static const char stage_uuid_index[] =
    "CREATE INDEX temp.stage_uuid ON stage (uuid);";
static const char stage_key_index[] =
    "CREATE INDEX temp.stage_email_key ON stage (email_key);";


#define DESIRED_COLUMNS "entry_id, uuid, dn, email, email_key, name, name_was, bu_id, " \
	"problem, id_shared, seq"
#define KNOWN_COLUMNS "email_key, email, full_name, entry_id, bu_id, status, origin"

static const char *const stage_sql[ST_COUNT] = {
	[ST_MIRROR_ROW] = "SELECT entry_id, dn, email, name, bu_id, in_scope, problem, uuid, "
	    "rowid FROM directory_entry WHERE entry_id = ?",
	/* The same rows in the order they were written (state_stage_walk.c). */
	[ST_MIRROR_WALK] = "SELECT entry_id, dn, email, name, bu_id, in_scope, problem, uuid, "
	    "rowid FROM directory_entry WHERE rowid > ? ORDER BY rowid",
	[ST_PUT] = "INSERT INTO stage (entry_id, uuid, dn, email, email_key, name, name_was, "
	    "bu_id, problem, matched, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	/* Only the mirror's: a server names as gone entries the agent never
	 * had (syncprov: changed ones out of scope; DirSync: any object that
	 * left base_dn), and the count must say whether a user left. */
	[ST_GONE] = "INSERT OR IGNORE INTO stage_gone (uuid) SELECT ?1 WHERE EXISTS "
	    "(SELECT 1 FROM directory_entry WHERE uuid = ?1)",
	[ST_PRESENT] = "INSERT OR IGNORE INTO stage_present (uuid) VALUES (?)",
	[ST_MATERIALIZE] = "INSERT INTO stage (entry_id, uuid, dn, email, email_key, name, "
	    "bu_id, problem, matched) SELECT entry_id, uuid, dn, email, lower(email), name, "
	    "bu_id, problem, 1 FROM directory_entry WHERE rowid = ?",
	[ST_NEXT_DESIRED] = "SELECT " DESIRED_COLUMNS " FROM stage WHERE email_key IS NOT NULL "
	    "ORDER BY email_key COLLATE BINARY, seq",
	[ST_NEXT_KNOWN] = "SELECT " KNOWN_COLUMNS " FROM imocha_user "
	    "ORDER BY email_key COLLATE BINARY",
	/* A delta stage: the known users of its keys only, one look-up each. */
	[ST_NEXT_KNOWN_DELTA] = "SELECT u.email_key, u.email, u.full_name, u.entry_id, "
	    "u.bu_id, u.status, u.origin FROM stage_keys k CROSS JOIN imocha_user u "
	    "ON u.email_key = k.email_key ORDER BY k.email_key COLLATE BINARY",
	[ST_DESIRED_BY_ID] = "SELECT " DESIRED_COLUMNS " FROM stage WHERE entry_id = ? "
	    "AND id_shared = 0 ORDER BY seq LIMIT 1",
	/* A delta stage: an entry the read left alone is its mirror row, with
	 * its marks (its key was not touched, so they hold). */
	[ST_DESIRED_BY_ID_MIRROR] = "SELECT entry_id, uuid, dn, email, lower(email), name, "
	    "NULL, bu_id, problem, 0, 0 FROM directory_entry d WHERE d.entry_id = ? AND "
	    "NOT EXISTS (SELECT 1 FROM stage_scope c WHERE c.mirror_rowid = d.rowid)",
	/* A planned create, loaded as it is applied (plan.h, joiners). */
	[ST_DESIRED_BY_REF] = "SELECT " DESIRED_COLUMNS " FROM stage WHERE seq = ?",
	[ST_KNOWN_BY_ID] = "SELECT " KNOWN_COLUMNS " FROM imocha_user WHERE entry_id = ? "
	    "ORDER BY email_key COLLATE BINARY LIMIT 1",
};

int
stage_exec(struct state_stage *sg, const char *sql, const char *what)
{
	return state_db_exec(sg->st, sql, what);
}

int
state_stage_begin(struct state *st, bool incremental, struct state_stage **out)
{
	struct state_stage *sg = xcalloc(1, sizeof *sg);
	char pragma[96];
	size_t empty;

	*out = NULL;
	sg->st = st;
	sg->incremental = incremental;
	/* The state file's cache at the size of the block that holds it
	 * (state_page_memory.c), from the start: the block is touched whole
	 * when SQLite starts, so a smaller cache saves no memory, and each
	 * page it lets go is read again (STATE_CACHE_KIB). */
	snprintf(pragma, sizeof pragma, "PRAGMA temp.cache_size = -%d; "
	    "PRAGMA main.cache_size = -%d;", STAGE_TEMP_CACHE_KIB, STATE_CACHE_KIB);
	if (stage_exec(sg, stage_schema, "create the read stage") == -1 ||
	    stage_exec(sg, pragma, "size the page caches") == -1)
		goto fail;
	for (int i = 0; i < ST_AFTER_FINISH; i++)
		if (state_db_prepare(st, stage_sql[i], &sg->stmt[i], "prepare the read stage") == -1)
			goto fail;
	/* Deferred: a read snapshot of the mirror, and the stage's inserts
	 * in one go; the state file itself is not written. */
	if (stage_exec(sg, "BEGIN", "begin the read stage") == -1)
		goto fail;
	sg->in_txn = true;
	/* A first read (no mirror yet) looks up no mirror row at all: a
	 * statement step per entry saved (0.1 s at 100,000). */
	if (stage_numbers(sg, "SELECT NOT EXISTS (SELECT 1 FROM directory_entry)", &empty,
	    1) == -1)
		goto fail;
	sg->mirror_empty = empty != 0;
	*out = sg;
	return 0;
fail:
	state_stage_end(sg);
	return -1;
}

/* Step a statement that returns no row, then reset it for the next use. */
int
stage_step_done(struct state_stage *sg, sqlite3_stmt *stmt, const char *what)
{
	int rc = sqlite3_step(stmt) == SQLITE_DONE ? 0 : -1;

	if (rc == -1)
		state_db_fail(sg->st, what);
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return rc;
}

int
state_stage_keep(struct state_stage *sg, const struct desired_user *d)
{
	struct kept_rows *k = &sg->kept;
	long long r = k->last_rowid;

	if (sg->incremental || r <= 0)
		return 1;
	if ((size_t)r >= k->nbits) {
		size_t bytes = k->nbits / 8, want = ((size_t)r + 1) * 2 / 8 + 64;

		k->bits = xreallocarray(k->bits, want, 1);
		memset(k->bits + bytes, 0, want - bytes);
		k->nbits = want * 8;
	}
	/* Kept twice: two entries with one id.  Put the second in: the
	 * sharing marks need both rows. */
	if (k->bits[r / 8] & (1u << (r % 8)))
		return 1;
	k->bits[r / 8] |= (unsigned char)(1u << (r % 8));
	k->count++;
	k->last_rowid = 0;
	sg->counts.sent++;
	sg->counts.usable += d->problem == NULL;
	return 0;
}

/* Copy the kept mirror rows into the stage. */
static int
stage_copy_kept(struct state_stage *sg)
{
	sqlite3_stmt *stmt = sg->stmt[ST_MATERIALIZE];

	for (size_t r = 1; r < sg->kept.nbits; r++) {
		if (!(sg->kept.bits[r / 8] & (1u << (r % 8))))
			continue;
		if (sqlite3_bind_int64(stmt, 1, (sqlite3_int64)r) != SQLITE_OK) {
			state_db_fail(sg->st, "copy kept mirror rows");
			return -1;
		}
		if (stage_step_done(sg, stmt, "copy kept mirror rows") == -1)
			return -1;
	}
	free(sg->kept.bits);
	sg->kept = (struct kept_rows){ 0 };
	return 0;
}

int
state_stage_put(struct state_stage *sg, const struct desired_user *d,
    const struct stage_flags *f)
{
	sqlite3_stmt *stmt = sg->stmt[ST_PUT];
	const char *text[] = { d->entry_id, d->uuid, d->dn, d->email, d->email_key, d->name,
	    d->name_was };
	int col = 1, ok = SQLITE_OK;

	for (size_t i = 0; i < sizeof text / sizeof *text && ok == SQLITE_OK; i++)
		ok = state_db_bind_text(stmt, col++, text[i]);
	if (ok == SQLITE_OK)
		ok = state_db_bind_bu(stmt, col++, d->bu_id);
	if (ok == SQLITE_OK)
		ok = state_db_bind_text(stmt, col++, d->problem);
	if (ok == SQLITE_OK)
		ok = sqlite3_bind_int(stmt, col++, f->matched);
	if (ok == SQLITE_OK)
		ok = sqlite3_bind_int(stmt, col++, f->changed);
	if (ok != SQLITE_OK) {
		state_db_fail(sg->st, "stage an entry");
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		return -1;
	}
	if (stage_step_done(sg, stmt, "stage an entry") == -1)
		return -1;
	sg->puts++;
	sg->counts.sent++;
	sg->counts.usable += d->problem == NULL;
	sg->counts.changed += f->changed && d->entry_id != NULL;
	sg->counts.relevant += f->relevant;
	return 0;
}

static int
stage_uuid(struct state_stage *sg, int which, const char *uuid, size_t *count)
{
	sqlite3_stmt *stmt = sg->stmt[which];

	if (state_db_bind_text(stmt, 1, uuid) != SQLITE_OK) {
		state_db_fail(sg->st, "stage an entryUUID");
		return -1;
	}
	if (stage_step_done(sg, stmt, "stage an entryUUID") == -1)
		return -1;
	if (sqlite3_changes(sg->st->db) > 0)
		(*count)++;
	return 0;
}

int
state_stage_gone(struct state_stage *sg, const char *uuid)
{
	return stage_uuid(sg, ST_GONE, uuid, &sg->counts.gone);
}

int
state_stage_present(struct state_stage *sg, const char *uuid)
{
	return stage_uuid(sg, ST_PRESENT, uuid, &sg->counts.present);
}

bool
state_stage_read_nothing(const struct state_stage *sg)
{
	return sg->counts.sent == 0 && sg->counts.gone == 0 && sg->counts.present == 0;
}

void
state_stage_counts(const struct state_stage *sg, struct stage_counts *out)
{
	*out = sg->counts;
}

/* ---- finishing: merge, marks, counts ---- */

/*
 * The rows of the mirror (of from) the delta left alone, as desired rows:
 * not sent again (by entryUUID or id), not listed gone, and after a
 * present phase listed present.  A mark of sharing is dropped, to be made
 * again over the whole stage if it still holds, when another mirror row
 * holds the e-mail; else it was made by an entry the mirror has no row
 * for, and stays (desired.c, desired_from_mirror).
 */
int
stage_merge_mirror(struct state_stage *sg, const char *from)
{
	static const char merge[] =
	    "INSERT INTO stage (entry_id, uuid, dn, email, email_key, name, bu_id, problem, "
	    " matched, changed) "
	    "SELECT m.entry_id, m.uuid, m.dn, m.email, lower(m.email), m.name, m.bu_id, "
	    " CASE WHEN shared THEN NULL ELSE m.problem END, 1, shared "
	    "FROM (SELECT *, (substr(problem, 1, " "%zu) = '" SHARED_EMAIL "' OR "
	    " substr(problem, 1, %zu) = '" SHARED_ID "') IS 1 AND EXISTS (SELECT 1 "
	    " FROM directory_entry o WHERE lower(o.email) = lower(r.email) AND "
	    " o.rowid != r.rowid) AS shared "
	    " FROM %s AS r) AS m "
	    "WHERE NOT EXISTS (SELECT 1 FROM stage s WHERE s.uuid = m.uuid) "
	    " AND NOT EXISTS (SELECT 1 FROM stage s WHERE s.entry_id = m.entry_id) "
	    " AND NOT EXISTS (SELECT 1 FROM stage_gone g WHERE g.uuid = m.uuid) "
	    " AND (%d = 0 OR EXISTS (SELECT 1 FROM stage_present p WHERE p.uuid = m.uuid))";
	char *sql = xasprintf(merge, strlen(SHARED_EMAIL), strlen(SHARED_ID), from,
	    sg->present_phase ? 1 : 0);
	int rc = stage_exec(sg, sql, "merge the mirror into the read stage");

	free(sql);
	return rc;
}

/* Numbers from a one-row query, into out[0..n). */
int
stage_numbers(struct state_stage *sg, const char *sql, size_t *out, int n)
{
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	if (state_db_prepare(sg->st, sql, &stmt, "count the read stage") == -1)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			out[i] = (size_t)sqlite3_column_int64(stmt, i);
		rc = 0;
	} else
		state_db_fail(sg->st, "count the read stage");
	sqlite3_finalize(stmt);
	return rc;
}

int
stage_index_for_merge(struct state_stage *sg)
{
	if (sg->merge_ready)
		return 0;
	if (stage_copy_kept(sg) == -1 ||
	    stage_exec(sg, stage_id_index, "index the read stage") == -1 ||
	    (sg->incremental && stage_exec(sg, stage_uuid_index, "index the read stage") == -1))
		return -1;
	sg->merge_ready = true;
	return 0;
}

/* The key index, and the rest of the statements, which need it. */
int
stage_index_for_plan(struct state_stage *sg)
{
	if (sg->indexed)
		return 0;
	if (stage_exec(sg, stage_key_index, "index the read stage") == -1)
		return -1;
	for (int i = ST_AFTER_FINISH; i < ST_COUNT; i++)
		if (state_db_prepare(sg->st, stage_sql[i], &sg->stmt[i],
		    "prepare the read stage") == -1)
			return -1;
	sg->indexed = true;
	return 0;
}

/* Everything in the stage, indexed, merged with the mirror (incremental),
 * marked, counted.  The key index is made after the merge: one sort costs
 * less than keeping it up row by row.  A delta stage has its indexes and
 * its touched keys' rows already: the rest of the mirror joins them. */
int
stage_make_whole(struct state_stage *sg)
{
	/* One pass over the stage.  Rows with a unique id are unique by id:
	 * as many of them matched as the mirror has rows means every mirror
	 * row is kept. */
	static const char count[] = STAGE_COUNTS_SQL ", "
	    "(SELECT count(*) FROM directory_entry) FROM stage";
	size_t n[5];

	if (sg->whole)
		return 0;
	if (stage_index_for_merge(sg) == -1 ||
	    (sg->incremental && stage_merge_mirror(sg, "directory_entry") == -1) ||
	    stage_index_for_plan(sg) == -1 || stage_mark_all_shared(sg) == -1 ||
	    stage_numbers(sg, count, n, 5) == -1)
		return -1;
	sg->whole = true;
	sg->delta = sg->counts.delta = false;
	sg->counts.entries = n[0];
	sg->counts.usable = n[1];
	sg->counts.changed = n[2];
	sg->mirror_deletes = n[3] != n[4];
	sg->counts.mirror_same = n[2] == 0 && !sg->mirror_deletes;
	return 0;
}

int
stage_make_ready(struct state_stage *sg)
{
	return sg->delta ? 0 : stage_make_whole(sg);
}

void
state_stage_plan_delta(struct state_stage *sg)
{
	sg->delta_allowed = true;
}

int
state_stage_whole(struct state_stage *sg)
{
	return stage_make_whole(sg);
}

/*
 * An incremental read that changes nothing of the mirror: it sent no
 * entry; it listed as gone none of the mirror's entries (syncprov lists an
 * entry changed outside the search's scope, a group or a service account,
 * as gone: measured; _gone keeps only the mirror's); and a present phase,
 * if any, listed every entry the mirror holds.  Then the directory is the mirror, known without
 * merging the whole mirror into the stage (0.5 s at 100,000 users).
 * 1 yes, 0 no, -1 logged.
 */
static int
stage_is_mirror(struct state_stage *sg, bool present_phase)
{
	static const char not_present[] = "SELECT count(*) FROM directory_entry m WHERE m.uuid "
	    "IS NULL OR NOT EXISTS (SELECT 1 FROM stage_present p WHERE p.uuid = m.uuid)";
	size_t n = 0;

	if (!sg->incremental || sg->counts.sent > 0 || sg->counts.gone > 0 ||
	    (!present_phase && sg->counts.present > 0))
		return 0;
	if (present_phase && stage_numbers(sg, not_present, &n, 1) == -1)
		return -1;
	return n == 0;
}

int
state_stage_finish(struct state_stage *sg, bool present_phase, struct stage_counts *out)
{
	size_t mirror;
	int rc;

	stage_walk_stop(sg);
	if (sg->in_txn && stage_exec(sg, "COMMIT", "end the read stage") == -1)
		return -1;
	sg->in_txn = false;
	sg->present_phase = present_phase;
	sg->finished = true;
	/* An incremental read that changes nothing of the mirror, or every
	 * entry of a full read kept, and as many as the mirror has rows: the
	 * directory is the mirror.  The stage is made whole only if something
	 * asks for its rows. */
	if ((rc = stage_is_mirror(sg, present_phase)) == -1)
		return -1;
	if (rc == 1) {
		if (state_stage_mirror_counts(sg, &sg->counts.entries, &sg->counts.usable) == -1)
			return -1;
		sg->counts.mirror_same = true;
		*out = sg->counts;
		return 0;
	}
	if (!sg->incremental && sg->puts == 0) {
		if (stage_numbers(sg, "SELECT count(*) FROM directory_entry", &mirror, 1) == -1)
			return -1;
		if (mirror == sg->kept.count) {
			sg->counts.entries = sg->counts.sent;
			sg->counts.changed = 0;
			sg->counts.mirror_same = true;
			*out = sg->counts;
			return 0;
		}
	}
	/* The last run applied its whole plan: only the keys this read
	 * touched can plan anything (state_stage_delta.c). */
	rc = 0;
	if (sg->delta_allowed && sg->incremental && !present_phase && !sg->whole &&
	    (rc = stage_make_delta(sg)) == -1)
		return -1;
	if (rc == 0 && stage_make_whole(sg) == -1)
		return -1;
	*out = sg->counts;
	return 0;
}

void
state_stage_end(struct state_stage *sg)
{
	if (sg == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(sg->stmt[i]);
	if (sg->in_txn)
		state_db_rollback(sg->st);
	/* The tables stay until the next stage or the connection's end (the
	 * temp file goes whole then; dropping 100,000 rows costs more), but
	 * their page cache is given back now. */
	sqlite3_db_release_memory(sg->st->db);
	free(sg->kept.bits);
	free(sg);
}
