/*
 * state_int.h: what the state store's own files (state.c, state_records.c,
 * state_journal.c) share; nothing else includes it, so SQLite stays inside
 * the state module (STYLE.md).  The helpers that can fail log the failure
 * once as "state: WHAT: <sqlite3_errmsg>" and return -1; callers only
 * clean up.
 */
#ifndef L2I_STATE_INT_H
#define L2I_STATE_INT_H

#include <sqlite3.h>

#include "state/state.h"

struct state {
	sqlite3 *db;
	char *path;		/* the database file; the lock file is beside it */
	int lock_fd;		/* -1 until state_lock took the lock */
	/* The audit's incremental view (state_audit.c): the table or view
	 * the full read is compared with; NULL until one is kept. */
	const char *audit_view;
};

/* The state file's page cache, KiB, from a read stage's start
 * (state_stage.c); state_page_memory.c's block holds this much.  The
 * pages an incremental run with 100 changed entries reads fit in it:
 * 1,132 at 1,000,000 users, of which a 4 MiB cache (992 pages) read 439
 * twice (BENCHMARKS.md, "A change's own cost"). */
#define STATE_CACHE_KIB 8192

/* (state_page_memory.c) The block SQLite keeps the state file's pages in,
 * in huge pages where the kernel gives them: once, before the first
 * connection opens. */
void state_page_memory_setup(void);

/* "2026-11-28T04:25:07.123Z" plus its NUL. */
#define STATE_TIME_LEN 25

void state_db_now(char buf[STATE_TIME_LEN]);
void state_db_fail(struct state *st, const char *what);
int state_db_exec(struct state *st, const char *sql, const char *what);
int state_db_prepare(struct state *st, const char *sql, sqlite3_stmt **stmt,
    const char *what);
/* BEGIN IMMEDIATE: every transaction here writes, and taking the write lock
 * up front waits (busy timeout) instead of failing on the upgrade. */
int state_db_begin(struct state *st, const char *what);
int state_db_commit(struct state *st, const char *what);
/* Quiet: the failure that led here is already logged. */
void state_db_rollback(struct state *st);
/* Bind NULL for a NULL string, NULL for BU_NONE, NULL for id 0.  Return
 * the sqlite result code (SQLITE_OK is 0). */
int state_db_bind_text(sqlite3_stmt *stmt, int col, const char *s);
int state_db_bind_bu(sqlite3_stmt *stmt, int col, int64_t bu);
int state_db_bind_id(sqlite3_stmt *stmt, int col, long long id);
char *state_db_column_dup(sqlite3_stmt *stmt, int col);	/* NULL stays NULL */
int64_t state_db_column_bu(sqlite3_stmt *stmt, int col);
/* How to read one kind of row into an array element, and release one. */
struct state_rows {
	size_t size;
	int (*read)(sqlite3_stmt *stmt, void *elem);	/* -1: the row is bad */
	void (*release)(void *elem);
};

/* Step stmt (prepared and bound) to its end into a new array of rows, one
 * zeroed element each, then finalize it.  On failure (logged once as
 * what) everything read is released and *array is NULL, *count 0. */
int state_db_collect(struct state *st, sqlite3_stmt *stmt, const char *what,
    const struct state_rows *rows, void **array, size_t *count);
/* state_db_prepare + state_db_collect, for a statement with no parameter. */
int state_db_load(struct state *st, const char *sql, const char *what,
    const struct state_rows *rows, void **array, size_t *count);
/* One row of directory_entry (entry_id, dn, email, name, bu_id, in_scope,
 * problem, uuid) and of imocha_user (email_key, email, full_name,
 * entry_id, bu_id, status, origin) into *out; -1 for a row the schema
 * should have refused (logged). */
int state_db_mirror_row(sqlite3_stmt *stmt, struct mirror_entry *out);
int state_db_known_row(sqlite3_stmt *stmt, struct known_user *out);
/* Set or delete (value NULL) meta keys inside the caller's transaction. */
int state_db_meta_write(struct state *st, const struct state_meta *meta, size_t nmeta);
/* Insert or replace one known user inside the caller's transaction. */
int state_db_known_upsert(struct state *st, const struct known_user *u,
    const char *now);

#endif
