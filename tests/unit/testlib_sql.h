/*
 * testlib_sql.h: one helper for tests that look into, or tamper with, a
 * state store behind the module's back, through a connection of their own.
 */
#ifndef L2I_TESTLIB_SQL_H
#define L2I_TESTLIB_SQL_H

#include <sqlite3.h>

#include "testlib.h"

struct testlib_first {
	bool seen;
	char *value;
};

static int
testlib_sql_first(void *ctx, int ncols, char **values, char **names)
{
	struct testlib_first *first = ctx;

	(void)names;
	if (!first->seen && ncols > 0)
		first->value = values[0] ? xstrdup(values[0]) : NULL;
	first->seen = true;
	return 0;
}

/* Run the statements of sql on the store at path; the first column of the
 * first row any of them returned (owned), or NULL. */
static inline char *
testlib_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	struct testlib_first first = { 0 };

	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, testlib_sql_first, &first, NULL) == SQLITE_OK);
	sqlite3_close(db);
	return first.value;
}

#endif
