/*
 * test_page_memory.c: the state file's page cache lives in the block
 * state_page_memory.c hands SQLite, and that block holds the cache at its
 * largest (STATE_CACHE_KIB) whole.  Its own process: SQLite's
 * page-cache counters are the process's.
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>

#include "state/state.h"
#include "state/state_int.h"
#include "testlib.h"
#include "util/xmem.h"

/* 1,600 rows of 3,000 bytes: about 1,600 pages of 4 KiB, more than a
 * 4 MiB cache holds. */
static const char fill_sql[] =
    "CREATE TABLE scratch (x BLOB);"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1600) "
    "INSERT INTO scratch SELECT randomblob(3000) FROM n;";

/* SQLite's counter op: its value now, or its highest. */
static int
status(int op, bool highest)
{
	int cur = 0, high = 0;

	CHECK_INT(sqlite3_status(op, &cur, &high, 0), SQLITE_OK);
	return highest ? high : cur;
}

static void
the_cache_lives_in_the_block(void)
{
	char *path = testlib_tmp("pages.db");
	struct state *st = NULL;
	char pragma[64];
	int used, spilled;

	CHECK_INT(state_open(path, &st), 0);
	if (st == NULL) {
		free(path);
		return;
	}
	CHECK_INT(sqlite3_exec(st->db, fill_sql, NULL, NULL, NULL), SQLITE_OK);
	/* The stage's largest cache, read through twice.  What SQLite held
	 * outside the block so far (the stage's 16 KiB pages, a sort's) must
	 * not grow. */
	spilled = status(SQLITE_STATUS_PAGECACHE_OVERFLOW, false);
	snprintf(pragma, sizeof pragma, "PRAGMA main.cache_size = -%d", STATE_CACHE_KIB);
	CHECK_INT(sqlite3_exec(st->db, pragma, NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 2; i++)
		CHECK_INT(sqlite3_exec(st->db, "SELECT sum(length(x)) FROM scratch",
		    NULL, NULL, NULL), SQLITE_OK);
	used = status(SQLITE_STATUS_PAGECACHE_USED, true);
	/* A 4 MiB cache of 4 KiB pages filled 992 slots (SQLite 3.40, Debian
	 * 12).  A block too small does not spill: SQLite recycles its pages
	 * sooner (900 slots: 891 used; 962, none over 4 MiB: 952). */
	if (used < 980)
		fprintf(stderr, "# the block's slots used at most: %d\n", used);
	CHECK(used >= 980);
	CHECK_INT(status(SQLITE_STATUS_PAGECACHE_OVERFLOW, false), spilled);
	state_close(st);
	free(path);
}

int
main(void)
{
	RUN(the_cache_lives_in_the_block);
	testlib_tmpdir_remove();
	return TESTLIB_EXIT();
}
