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

/* Rows of 3,000 bytes, one a page of 4 KiB: 1.6 times the pages the
 * cache holds (STATE_CACHE_KIB / 4), so that reading them fills it. */
static const char fill_sql[] =
    "CREATE TABLE scratch (x BLOB);"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
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
	char pragma[64], *fill = xasprintf(fill_sql, STATE_CACHE_KIB / 4 * 8 / 5);
	int used, spilled, floor;

	CHECK_INT(state_open(path, &st), 0);
	if (st == NULL) {
		free(fill);
		free(path);
		return;
	}
	CHECK_INT(sqlite3_exec(st->db, fill, NULL, NULL, NULL), SQLITE_OK);
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
	/* A cache of 4 KiB pages fills 992 slots per 4 MiB (SQLite 3.40,
	 * Debian 12: 1,983 of 8 MiB).  A block too small does not spill:
	 * SQLite recycles its pages sooner (8 MiB in whole slots, none
	 * over: 1,914 used; for 4 MiB, 900 slots: 891 used). */
	floor = STATE_CACHE_KIB / 4096 * 980;
	if (used < floor)
		fprintf(stderr, "# the block's slots used at most: %d, not %d\n", used, floor);
	CHECK(used >= floor);
	CHECK_INT(status(SQLITE_STATUS_PAGECACHE_OVERFLOW, false), spilled);
	state_close(st);
	free(fill);
	free(path);
}

int
main(void)
{
	RUN(the_cache_lives_in_the_block);
	testlib_tmpdir_remove();
	return TESTLIB_EXIT();
}
