/*
 * test_state.c: the state store against real SQLite files in a temporary
 * directory: schema creation and migration, records surviving a reopen,
 * the journal's intend/settle flows, failures, the summary and the run
 * lock (held against another process).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/change.h"
#include "state/state.h"
#include "testlib.h"
#include "testlib_sql.h"
#include "util/xmem.h"

extern const char *const schema_migrations[];
extern const size_t schema_migrations_count;

/* This program, for the lock test's child: argv[0] when it is a path, as
 * /proc/self/exe is valgrind's own tool under `make valgrind`. */
static const char *self_exe = "/proc/self/exe";

static struct state *
open_db(const char *path)
{
	struct state *st = NULL;

	CHECK(state_open(path, &st) == 0);
	CHECK(st != NULL);
	return st;
}

static mode_t
file_mode(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) == -1)
		return (mode_t)-1;
	return sb.st_mode & 07777;
}

static struct change
mk_change(enum change_kind kind, const char *email, const char *key)
{
	struct change c = { 0 };

	c.kind = kind;
	c.email = (char *)email;
	c.email_key = (char *)key;
	c.old_bu = BU_NONE;
	c.new_bu = BU_NONE;
	return c;
}

static struct known_user
mk_user(const char *key, const char *email, int64_t bu, enum known_origin origin)
{
	struct known_user u = { 0 };

	u.email_key = (char *)key;
	u.email = (char *)email;
	u.full_name = (char *)"Some One";
	u.bu_id = bu;
	u.status = KNOWN_ACTIVE;
	u.origin = origin;
	return u;
}

/* Journal a change and settle it at once; returns its journal id. */
static long long
journal(struct state *st, const struct change *c, const char *outcome,
    long status, const char *answer, const struct known_user *after)
{
	long long id = 0;

	CHECK(state_change_intend(st, 0, c, &id) == 0);
	CHECK(state_change_settle(st, id, outcome, status, answer, after) == 0);
	return id;
}

static void
test_change_kind_str(void)
{
	CHECK_STR(change_kind_str(CHANGE_CREATE), "create");
	CHECK_STR(change_kind_str(CHANGE_MOVE), "move");
	CHECK_STR(change_kind_str(CHANGE_DEACTIVATE), "deactivate");
	CHECK_STR(change_kind_str(CHANGE_REACTIVATE), "reactivate");
}

static void
test_new_file(void)
{
	char *path = testlib_tmp("new.db"), *wal = testlib_tmp("new.db-wal");
	char *lock = testlib_tmp("new.db.lock"), *mode;
	struct state *st;
	mode_t old = umask(0);
	pid_t holder = -1;

	st = open_db(path);
	CHECK_INT(state_schema_version(st), schema_migrations_count);
	CHECK(schema_migrations_count >= 1);
	CHECK_INT(file_mode(path), 0600);
	CHECK_INT(file_mode(wal), 0600);
	CHECK_INT(state_lock(st, &holder), 0);
	CHECK_INT(holder, 0);
	CHECK_INT(file_mode(lock), 0600);
	umask(old);
	mode = testlib_sql(path, "PRAGMA journal_mode");
	CHECK_STR(mode, "wal");
	state_close(st);
	free(mode);
	free(path);
	free(wal);
	free(lock);
}

static void
test_empty_file(void)
{
	char *path = testlib_tmp("empty.db");
	struct state *st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1);
	close(fd);
	st = open_db(path);
	CHECK_INT(state_schema_version(st), schema_migrations_count);
	state_close(st);
	/* Opening a current database again migrates nothing. */
	st = open_db(path);
	CHECK_INT(state_schema_version(st), schema_migrations_count);
	state_close(st);
	free(path);
}

/* The schema as text, for comparing two stores. */
static char *
schema_of(const char *path)
{
	return testlib_sql(path, "SELECT group_concat(sql, ';') FROM (SELECT sql FROM "
	    "sqlite_master WHERE sql IS NOT NULL ORDER BY type, name)");
}

/* A new store at path left at version k (migrations 0 to k-1), then
 * extra (SQL, or NULL) run on it. */
static void
store_at_version(const char *path, size_t k, const char *extra)
{
	char *sql;

	unlink(path);
	close(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
	for (size_t i = 0; i < k; i++)
		free(testlib_sql(path, schema_migrations[i]));
	sql = xasprintf("PRAGMA user_version = %zu; %s", k, extra ? extra : "");
	free(testlib_sql(path, sql));
	free(sql);
}

/* A store left at any older version takes the rest in one go and ends
 * as a new one; a migration that fails leaves it at its version, with
 * nothing of the later ones. */
static void
test_migrate_from_each_version(void)
{
	char *fresh = testlib_tmp("fresh.db"), *want;
	struct state *st;

	state_close(open_db(fresh));
	want = schema_of(fresh);
	CHECK(want != NULL && strstr(want, "directory_entry") != NULL);
	for (size_t k = 1; k < schema_migrations_count; k++) {
		char *path = testlib_tmp("old.db"), *got, *v;

		store_at_version(path, k, NULL);
		st = open_db(path);
		CHECK_INT(state_schema_version(st), schema_migrations_count);
		state_close(st);
		got = schema_of(path);
		CHECK_STR(got, want);
		free(got);
		/* Again from k, with the last migration's first object already
		 * there: it fails, and the whole step with it. */
		store_at_version(path, k, schema_migrations[schema_migrations_count - 1]);
		if (k + 1 < schema_migrations_count) {
			st = (struct state *)1;
			CHECK_INT(state_open(path, &st), -1);
			CHECK(st == NULL);
			v = testlib_sql(path, "PRAGMA user_version");
			CHECK(v != NULL && strtoul(v, NULL, 10) == k);
			free(v);
		}
		free(path);
	}
	free(want);
	free(fresh);
}

static void
test_refused_files(void)
{
	char *path = testlib_tmp("newer.db"), *junk = testlib_tmp("junk.db");
	char *sql, *v;
	struct state *st = NULL;
	FILE *fp;

	state_close(open_db(path));
	sql = xasprintf("PRAGMA user_version = %zu", schema_migrations_count + 1);
	free(testlib_sql(path, sql));
	st = (struct state *)1;
	CHECK_INT(state_open(path, &st), -1);
	CHECK(st == NULL);
	/* Refusing must not have touched it. */
	v = testlib_sql(path, "PRAGMA user_version");
	CHECK(v != NULL && strtol(v, NULL, 10) == (long)schema_migrations_count + 1);
	fp = fopen(junk, "w");
	CHECK(fp != NULL);
	for (int i = 0; fp != NULL && i < 200; i++)
		fputs("this is not a database\n", fp);
	if (fp != NULL)
		fclose(fp);
	CHECK_INT(state_open(junk, &st), -1);
	CHECK(st == NULL);
	free(v);
	free(sql);
	free(path);
	free(junk);
}

static void
test_mirror_roundtrip(void)
{
	char *path = testlib_tmp("mirror.db");
	struct mirror_entry in[] = {
		{ "c1", "uid=c,ou=x,dc=t", "C@T.org", "C", 12, true, NULL, NULL },
		{ "a1", "uid=a,ou=x,dc=t", NULL, "A", BU_NONE, false, "no e-mail", NULL },
		{ "B1", "uid=b,ou=x,dc=t", "b@t.org", NULL, 0, true, NULL, NULL },
	};
	struct mirror_entry *out = NULL;
	struct state *st = open_db(path);
	size_t n = 0;

	CHECK_INT(state_mirror_replace(st, in, 3, NULL, 0), 0);
	CHECK_INT(state_mirror_load(st, &out, &n), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(out[0].entry_id, "B1");	/* byte order */
		CHECK_STR(out[0].name, NULL);
		CHECK_INT(out[0].bu_id, 0);
		CHECK_STR(out[1].entry_id, "a1");
		CHECK_STR(out[1].email, NULL);
		CHECK_INT(out[1].bu_id, BU_NONE);
		CHECK(!out[1].in_scope);
		CHECK_STR(out[1].problem, "no e-mail");
		CHECK_STR(out[2].dn, "uid=c,ou=x,dc=t");
		CHECK_STR(out[2].email, "C@T.org");
		CHECK_INT(out[2].bu_id, 12);
		CHECK(out[2].in_scope);
		CHECK_STR(out[2].problem, NULL);
	}
	state_mirror_free(out, n);
	/* A failed replace (duplicate id) keeps the previous mirror whole. */
	in[1].entry_id = "c1";
	CHECK_INT(state_mirror_replace(st, in, 3, NULL, 0), -1);
	CHECK_INT(state_mirror_load(st, &out, &n), 0);
	CHECK_INT(n, 3);
	state_mirror_free(out, n);
	CHECK_INT(state_mirror_replace(st, in, 1, NULL, 0), 0);
	CHECK_INT(state_mirror_load(st, &out, &n), 0);
	CHECK_INT(n, 1);
	state_mirror_free(out, n);
	CHECK_INT(state_mirror_replace(st, NULL, 0, NULL, 0), 0);
	CHECK_INT(state_mirror_load(st, &out, &n), 0);
	CHECK_INT(n, 0);
	state_mirror_free(out, n);
	state_close(st);
	free(path);
}

static void
test_mirror_large(void)
{
	const size_t count = 100000;
	char *path = testlib_tmp("large.db");
	struct mirror_entry *in = xcalloc(count, sizeof *in), *out = NULL;
	struct state *st = open_db(path);
	size_t i, n = 0;

	for (i = 0; i < count; i++) {
		/* Stored in reverse to see the load sort them. */
		in[i].entry_id = xasprintf("id%06zu", count - 1 - i);
		in[i].dn = xasprintf("uid=u%zu,ou=people,dc=example,dc=org", i);
		in[i].email = xasprintf("user%zu@example.org", i);
		in[i].name = xasprintf("User %zu", i);
		in[i].bu_id = (int64_t)(i % 7);
		in[i].in_scope = true;
	}
	CHECK_INT(state_mirror_replace(st, in, count, NULL, 0), 0);
	CHECK_INT(state_mirror_load(st, &out, &n), 0);
	CHECK_INT(n, count);
	if (n == count) {
		CHECK_STR(out[0].entry_id, "id000000");
		CHECK_STR(out[count - 1].entry_id, "id099999");
		CHECK_STR(out[count - 1].email, "user0@example.org");
	}
	state_mirror_free(out, n);
	for (i = 0; i < count; i++) {
		free(in[i].entry_id);
		free(in[i].dn);
		free(in[i].email);
		free(in[i].name);
	}
	free(in);
	state_close(st);
	free(path);
}

static void
test_known_order(void)
{
	static const char *const keys[] = { "zed@x.org", "\xc3\xa9t\xc3\xa9@x.org",
	    "ab@x.org", "a.b@x.org", "_a@x.org", "a-b@x.org", "1@x.org" };
	static const char *const emails[] = { "Zed@X.org", "\xc3\xa9t\xc3\xa9@X.org",
	    "AB@x.org", "A.b@x.org", "_A@x.org", "a-B@x.org", "1@X.ORG" };
	static const char *const want[] = { "1@x.org", "_a@x.org", "a-b@x.org",
	    "a.b@x.org", "ab@x.org", "zed@x.org", "\xc3\xa9t\xc3\xa9@x.org" };
	char *path = testlib_tmp("known.db");
	struct state *st = open_db(path);
	struct known_user u, *out = NULL;
	size_t i, n = 0;

	for (i = 0; i < 7; i++) {
		u = mk_user(keys[i], emails[i], (int64_t)i, ORIGIN_IMPORTED);
		u.status = i % 2 ? KNOWN_INACTIVE : KNOWN_ACTIVE;
		u.entry_id = i == 0 ? NULL : (char *)"e";
		CHECK_INT(state_known_put(st, &u), 0);
	}
	/* Put replaces. */
	u = mk_user("zed@x.org", "ZED@x.org", BU_NONE, ORIGIN_CREATED);
	CHECK_INT(state_known_put(st, &u), 0);
	CHECK_INT(state_known_load(st, &out, &n), 0);
	CHECK_INT(n, 7);
	for (i = 0; i < n && i < 7; i++)
		CHECK_STR(out[i].email_key, want[i]);
	if (n == 7) {
		CHECK_STR(out[0].email, "1@X.ORG");
		CHECK_INT(out[0].bu_id, 6);
		CHECK_INT(out[0].status, KNOWN_ACTIVE);
		CHECK_INT(out[0].origin, ORIGIN_IMPORTED);
		CHECK_STR(out[0].entry_id, "e");
		CHECK_STR(out[5].email, "ZED@x.org");
		CHECK_INT(out[5].bu_id, BU_NONE);
		CHECK_INT(out[5].origin, ORIGIN_CREATED);
		CHECK_STR(out[5].entry_id, NULL);
		CHECK_INT(out[6].status, KNOWN_INACTIVE);
	}
	state_known_free(out, n);
	state_close(st);
	free(path);
}

/* known_count (006) agrees with a count of imocha_user after inserts,
 * status changes by upsert, an import, and an import undone. */
static void
known_count_agrees(const char *path, const char *when)
{
	char *kept = testlib_sql(path, "SELECT total || ' ' || inactive FROM known_count"),
	    *counted = testlib_sql(path, "SELECT count(*) || ' ' || "
	    "coalesce(sum(status = 'Inactive'), 0) FROM imocha_user");

	if (kept == NULL || counted == NULL || strcmp(kept, counted) != 0)
		printf("# known_count %s: kept %s, counted %s\n", when, kept ? kept : "none",
		    counted ? counted : "none");
	CHECK(kept != NULL && counted != NULL && strcmp(kept, counted) == 0);
	free(kept);
	free(counted);
}

static void
test_known_count(void)
{
	char *path = testlib_tmp("count.db");
	struct state *st = open_db(path);
	struct known_user u[3], bad[2];
	size_t added;

	known_count_agrees(path, "empty");
	u[0] = mk_user("a@x.org", "a@x.org", 1, ORIGIN_CREATED);
	u[1] = mk_user("b@x.org", "b@x.org", 1, ORIGIN_CREATED);
	u[1].status = KNOWN_INACTIVE;
	CHECK_INT(state_known_put(st, &u[0]), 0);
	CHECK_INT(state_known_put(st, &u[1]), 0);
	known_count_agrees(path, "two put");
	u[0].status = KNOWN_INACTIVE;
	u[1].status = KNOWN_ACTIVE;
	CHECK_INT(state_known_put(st, &u[0]), 0);
	CHECK_INT(state_known_put(st, &u[1]), 0);
	CHECK_INT(state_known_put(st, &u[1]), 0);	/* the same again */
	known_count_agrees(path, "statuses flipped");
	u[2] = mk_user("c@x.org", "c@x.org", 1, ORIGIN_IMPORTED);
	u[2].status = KNOWN_INACTIVE;
	CHECK_INT(state_known_import(st, u, 3, &added), 0);
	CHECK_INT(added, 1);
	known_count_agrees(path, "imported");
	bad[0] = mk_user("d@x.org", "d@x.org", 1, ORIGIN_IMPORTED);
	bad[1] = mk_user("e@x.org", NULL, 1, ORIGIN_IMPORTED);
	CHECK_INT(state_known_import(st, bad, 2, &added), -1);
	known_count_agrees(path, "an import undone");
	state_close(st);
	free(path);
}

/* adopt FILE's import: new keys are added as imported, known keys kept,
 * and a failure part way leaves nothing behind. */
static void
test_known_import(void)
{
	char *path = testlib_tmp("import.db"), *count;
	struct state *st = open_db(path);
	struct known_user in[4], bad[2], *out = NULL;
	size_t added = 99, n = 0;

	in[0] = mk_user("kept@x.org", "Kept@x.org", 5, ORIGIN_CREATED);
	CHECK_INT(state_known_put(st, &in[0]), 0);
	in[0] = mk_user("kept@x.org", "KEPT@x.org", 9, ORIGIN_IMPORTED);
	in[0].status = KNOWN_INACTIVE;
	in[1] = mk_user("new@x.org", "New@x.org", 7, ORIGIN_CREATED);
	in[1].entry_id = (char *)"ignored";
	in[1].status = KNOWN_INACTIVE;
	in[2] = mk_user("nobu@x.org", "nobu@x.org", BU_NONE, ORIGIN_IMPORTED);
	in[2].full_name = NULL;
	in[3] = mk_user("new@x.org", "NEW@x.org", 8, ORIGIN_IMPORTED);	/* repeated */
	CHECK_INT(state_known_import(st, in, 4, &added), 0);
	CHECK_INT(added, 2);
	CHECK_INT(state_known_load(st, &out, &n), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(out[0].email, "Kept@x.org");		/* untouched */
		CHECK_INT(out[0].bu_id, 5);
		CHECK_INT(out[0].status, KNOWN_ACTIVE);
		CHECK_INT(out[0].origin, ORIGIN_CREATED);
		CHECK_STR(out[1].email, "New@x.org");
		CHECK_INT(out[1].bu_id, 7);
		CHECK_INT(out[1].status, KNOWN_INACTIVE);
		CHECK_INT(out[1].origin, ORIGIN_IMPORTED);
		CHECK_STR(out[1].entry_id, NULL);
		CHECK_STR(out[1].full_name, "Some One");
		CHECK_INT(out[2].bu_id, BU_NONE);
		CHECK_STR(out[2].full_name, NULL);
		CHECK_INT(out[2].origin, ORIGIN_IMPORTED);
	}
	state_known_free(out, n);
	/* Again: everything is known now. */
	CHECK_INT(state_known_import(st, in, 4, &added), 0);
	CHECK_INT(added, 0);
	CHECK_INT(state_known_import(st, NULL, 0, &added), 0);
	CHECK_INT(added, 0);
	/* A bad second user undoes the first. */
	bad[0] = mk_user("fresh@x.org", "fresh@x.org", 1, ORIGIN_IMPORTED);
	bad[1] = mk_user("broken@x.org", NULL, 1, ORIGIN_IMPORTED);
	added = 99;
	CHECK_INT(state_known_import(st, bad, 2, &added), -1);
	CHECK_INT(added, 0);
	bad[1] = mk_user("broken@x.org", "broken@x.org", 1, ORIGIN_IMPORTED);
	bad[1].status = (enum known_status)7;
	CHECK_INT(state_known_import(st, bad, 2, &added), -1);
	bad[1] = mk_user(NULL, "nokey@x.org", 1, ORIGIN_IMPORTED);
	CHECK_INT(state_known_import(st, bad, 2, &added), -1);
	count = testlib_sql(path, "SELECT count(*) FROM imocha_user");
	CHECK_STR(count, "3");
	free(count);
	count = testlib_sql(path, "SELECT count(*) FROM imocha_user WHERE origin = 'imported'");
	CHECK_STR(count, "2");
	free(count);
	state_close(st);
	free(path);
}

static void
test_settle_flows(void)
{
	char *path = testlib_tmp("settle.db");
	struct state *st = open_db(path);
	struct change c;
	struct known_user a, b, moved, *out = NULL;
	struct failure_record *f = NULL;
	long long run = 0;
	size_t n = 0;

	CHECK_INT(state_run_begin(st, "sync", &run), 0);
	c = mk_change(CHANGE_CREATE, "A@x.org", "a@x.org");
	c.new_bu = 7;
	a = mk_user("a@x.org", "A@x.org", 7, ORIGIN_CREATED);
	journal(st, &c, "done", 200, "{\"ok\":true}", &a);
	c = mk_change(CHANGE_CREATE, "B@x.org", "b@x.org");
	b = mk_user("b@x.org", "B@x.org", 3, ORIGIN_ADOPTED);
	journal(st, &c, "adopted", 409, "already exists", &b);
	/* A failed move leaves the known user as it was. */
	c = mk_change(CHANGE_MOVE, "A@x.org", "a@x.org");
	c.old_bu = 7;
	c.new_bu = 9;
	moved = a;
	moved.bu_id = 9;
	journal(st, &c, "failed", 500, "boom", &moved);
	CHECK_INT(state_known_load(st, &out, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(out[0].email_key, "a@x.org");
		CHECK_INT(out[0].bu_id, 7);
		CHECK_INT(out[0].origin, ORIGIN_CREATED);
		CHECK_STR(out[1].email, "B@x.org");
		CHECK_INT(out[1].origin, ORIGIN_ADOPTED);
	}
	state_known_free(out, n);
	CHECK_INT(state_failures(st, &f, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(f[0].email, "A@x.org");
		CHECK_STR(f[0].action, "move");
		CHECK_STR(f[0].last_error, "boom");
		CHECK_INT(f[0].attempts, 1);
	}
	state_failures_free(f, n);
	state_close(st);
	free(path);
}

static void
test_unsettled(void)
{
	char *path = testlib_tmp("unsettled.db");
	struct state *st = open_db(path);
	struct change c1, c2, *out = NULL;
	struct state_summary sum;
	long long run = 0, id1 = 0, id2 = 0, *ids = NULL;
	size_t n = 0;

	CHECK_INT(state_run_begin(st, "sync", &run), 0);
	c1 = mk_change(CHANGE_CREATE, "New@x.org", "new@x.org");
	c1.entry_id = "guid-1";
	c1.full_name = "New Person";
	c1.new_bu = 4;
	c1.reason = "joined";
	c2 = mk_change(CHANGE_DEACTIVATE, "Old@x.org", "old@x.org");
	c2.old_bu = 3;
	c2.reason = "left";
	CHECK_INT(state_change_intend(st, run, &c1, &id1), 0);
	CHECK_INT(state_change_intend(st, run, &c2, &id2), 0);
	CHECK(id1 > 0 && id2 > id1);
	/* The run dies here; the next one finds both. */
	state_close(st);
	st = open_db(path);
	CHECK_INT(state_changes_unsettled(st, &out, &ids, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(ids[0], id1);
		CHECK_INT(ids[1], id2);
		CHECK_INT(out[0].kind, CHANGE_CREATE);
		CHECK_STR(out[0].email, "New@x.org");
		CHECK_STR(out[0].email_key, "new@x.org");
		CHECK_STR(out[0].entry_id, "guid-1");
		CHECK_STR(out[0].full_name, "New Person");
		CHECK_INT(out[0].old_bu, BU_NONE);
		CHECK_INT(out[0].new_bu, 4);
		CHECK_STR(out[0].reason, "joined");
		CHECK_INT(out[1].kind, CHANGE_DEACTIVATE);
		CHECK_STR(out[1].entry_id, NULL);
		CHECK_STR(out[1].full_name, NULL);
		CHECK_INT(out[1].old_bu, 3);
		CHECK_INT(out[1].new_bu, BU_NONE);
	}
	state_changes_free(out, ids, n);
	CHECK_INT(state_change_settle(st, id1, "done", 200, "", NULL), 0);
	CHECK_INT(state_changes_unsettled(st, &out, &ids, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(ids[0], id2);
	state_changes_free(out, ids, n);
	CHECK_INT(state_summary(st, &sum), 0);
	CHECK_INT(sum.pending, 1);
	state_close(st);
	free(path);
}

static void
test_failures(void)
{
	char *path = testlib_tmp("failures.db");
	struct state *st = open_db(path);
	struct failure_record *f = NULL;
	struct known_user u = mk_user("f@x.org", "F@x.org", 1, ORIGIN_CREATED);
	struct change c = mk_change(CHANGE_CREATE, "F@x.org", "f@x.org");
	struct change g = mk_change(CHANGE_DEACTIVATE, "G@x.org", "g@x.org");
	char long_answer[2002];
	size_t n = 0;

	journal(st, &c, "failed", 503, "", NULL);
	CHECK_INT(state_failures(st, &f, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(f[0].last_error, "HTTP 503");
		CHECK_INT(f[0].attempts, 1);
	}
	state_failures_free(f, n);
	journal(st, &c, "failed", 0, "connection refused", NULL);
	/* 1999 bytes, then a character straddling byte 2000: it goes whole. */
	memset(long_answer, 'x', 1999);
	memcpy(long_answer + 1999, "\xc3\xa9", 3);
	journal(st, &g, "failed", 400, long_answer, NULL);
	CHECK_INT(state_failures(st, &f, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(f[0].email, "F@x.org");
		CHECK_STR(f[0].action, "create");
		CHECK_STR(f[0].last_error, "connection refused");
		CHECK_INT(f[0].attempts, 2);
		CHECK(f[0].failed_at != NULL && strlen(f[0].failed_at) == 24);
		CHECK_STR(f[1].action, "deactivate");
		CHECK_INT(strlen(f[1].last_error), 1999);
	}
	state_failures_free(f, n);
	/* A success clears the streak; the next failure starts a new one. */
	journal(st, &c, "done", 200, "ok", &u);
	CHECK_INT(state_failures(st, &f, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(f[0].email, "G@x.org");
	state_failures_free(f, n);
	c.kind = CHANGE_MOVE;
	journal(st, &c, "failed", 500, "later", NULL);
	CHECK_INT(state_failures(st, &f, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(f[0].action, "move");
		CHECK_INT(f[0].attempts, 1);
	}
	state_failures_free(f, n);
	state_close(st);
	free(path);
}

static void
test_summary(void)
{
	char *path = testlib_tmp("summary.db");
	struct state *st = open_db(path);
	struct mirror_entry m[] = {
		{ "1", "uid=1", "a@x.org", "A", 1, true, NULL, NULL },
		{ "2", "uid=2", "b@x.org", "B", 1, true, NULL, NULL },
		{ "3", "uid=3", "shared@x.org", "C", 1, false, "shared e-mail", NULL },
	};
	struct known_user u;
	struct change c = mk_change(CHANGE_CREATE, "c@x.org", "c@x.org");
	struct state_summary sum;
	long long id = 0;

	CHECK_INT(state_summary(st, &sum), 0);
	CHECK_INT(sum.active + sum.inactive + sum.pending + sum.failed, 0);
	CHECK_INT(sum.mirror_total, 0);
	CHECK_INT(state_mirror_replace(st, m, 3, NULL, 0), 0);
	u = mk_user("a@x.org", "a@x.org", 1, ORIGIN_CREATED);
	CHECK_INT(state_known_put(st, &u), 0);
	u = mk_user("b@x.org", "b@x.org", 1, ORIGIN_ADOPTED);
	CHECK_INT(state_known_put(st, &u), 0);
	u = mk_user("z@x.org", "z@x.org", 1, ORIGIN_IMPORTED);
	u.status = KNOWN_INACTIVE;
	CHECK_INT(state_known_put(st, &u), 0);
	journal(st, &c, "failed", 500, "x", NULL);
	journal(st, &c, "failed", 500, "y", NULL);
	CHECK_INT(state_change_intend(st, 0, &c, &id), 0);
	CHECK_INT(state_summary(st, &sum), 0);
	CHECK_INT(sum.active, 2);
	CHECK_INT(sum.inactive, 1);
	CHECK_INT(sum.pending, 1);
	CHECK_INT(sum.failed, 1);
	CHECK_INT(sum.mirror_total, 3);
	CHECK_INT(sum.mirror_in_scope, 2);
	CHECK_INT(sum.mirror_skipped, 1);
	state_close(st);
	free(path);
}

static void
test_reopen_keeps(void)
{
	char *path = testlib_tmp("reopen.db");
	struct state *st = open_db(path);
	struct mirror_entry m = { "e1", "uid=1", "A@x.org", "A", 5, true, NULL, NULL };
	struct mirror_entry *mo = NULL;
	struct known_user u = mk_user("a@x.org", "A@x.org", 5, ORIGIN_CREATED), *ko = NULL;
	struct change c = mk_change(CHANGE_CREATE, "A@x.org", "a@x.org");
	struct run_record *ro = NULL;
	struct failure_record *fo = NULL;
	struct run_counts counts = { .read = 1, .in_scope = 1, .created = 1 };
	long long run = 0, id = 0;
	size_t n = 0;

	CHECK_INT(state_run_begin(st, "sync", &run), 0);
	CHECK_INT(state_mirror_replace(st, &m, 1, NULL, 0), 0);
	CHECK_INT(state_change_intend(st, run, &c, &id), 0);
	CHECK_INT(state_change_settle(st, id, "done", 200, "ok", &u), 0);
	c.kind = CHANGE_MOVE;
	journal(st, &c, "failed", 502, "bad gateway", NULL);
	CHECK_INT(state_run_end(st, run, &counts, 0), 0);
	state_close(st);

	st = open_db(path);
	CHECK_INT(state_mirror_load(st, &mo, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(mo[0].email, "A@x.org");
	state_mirror_free(mo, n);
	CHECK_INT(state_known_load(st, &ko, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(ko[0].bu_id, 5);
	state_known_free(ko, n);
	CHECK_INT(state_runs_recent(st, 5, &ro, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(ro[0].id, run);
		CHECK_INT(ro[0].counts.created, 1);
	}
	state_runs_free(ro, n);
	CHECK_INT(state_failures(st, &fo, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(fo[0].last_error, "bad gateway");
	state_failures_free(fo, n);
	state_close(st);
	free(path);
}

static void
test_bad_settle(void)
{
	char *path = testlib_tmp("bad.db");
	struct state *st = open_db(path);
	struct change c = mk_change(CHANGE_REACTIVATE, "R@x.org", "r@x.org"), *out = NULL;
	long long id = 0, *ids = NULL;
	size_t n = 0;

	CHECK_INT(state_change_intend(st, 0, &c, &id), 0);
	CHECK_INT(state_change_settle(st, id, "ok", 200, "", NULL), -1);
	CHECK_INT(state_change_settle(st, id, NULL, 200, "", NULL), -1);
	CHECK_INT(state_change_settle(st, id + 1000, "done", 200, "", NULL), -1);
	CHECK_INT(state_changes_unsettled(st, &out, &ids, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(out[0].kind, CHANGE_REACTIVATE);
	state_changes_free(out, ids, n);
	CHECK_INT(state_change_settle(st, id, "done", 200, "", NULL), 0);
	/* A settled row is history: it is not settled again. */
	CHECK_INT(state_change_settle(st, id, "failed", 500, "", NULL), -1);
	/* Foreign keys are on: a journal row names a real run. */
	CHECK_INT(state_change_intend(st, 424242, &c, &id), -1);
	CHECK_INT(id, 0);
	state_close(st);
	free(path);
}

static void
test_runs(void)
{
	char *path = testlib_tmp("runs.db");
	struct state *st = open_db(path);
	struct run_counts counts = { 10, 8, 1, 2, 3, 4, 5, 6, 7 };
	struct run_record *r = NULL;
	long long r1 = 0, r2 = 0;
	size_t n = 0;

	CHECK_INT(state_run_begin(st, "sync", &r1), 0);
	CHECK_INT(state_run_end(st, r1, &counts, 1), 0);
	CHECK_INT(state_run_begin(st, "daemon", &r2), 0);
	CHECK(r2 > r1);
	CHECK_INT(state_run_end(st, r2 + 100, &counts, 0), -1);
	CHECK_INT(state_runs_recent(st, 10, &r, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(r[0].id, r2);
		CHECK_STR(r[0].command, "daemon");
		CHECK_STR(r[0].ended_at, NULL);
		CHECK_INT(r[0].exit_status, -1);
		CHECK_INT(r[1].id, r1);
		CHECK_INT(r[1].exit_status, 1);
		CHECK(r[1].ended_at != NULL);
		CHECK(r[1].duration_ms >= 0 && r[1].duration_ms < 60000);
		CHECK(strlen(r[1].started_at) == 24 && r[1].started_at[10] == 'T' &&
		    r[1].started_at[19] == '.' && r[1].started_at[23] == 'Z');
		CHECK_INT(r[1].counts.read, 10);
		CHECK_INT(r[1].counts.in_scope, 8);
		CHECK_INT(r[1].counts.reactivated, 5);
		CHECK_INT(r[1].counts.failed, 7);
	}
	state_runs_free(r, n);
	CHECK_INT(state_runs_recent(st, 1, &r, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(r[0].id, r2);
	state_runs_free(r, n);
	CHECK_INT(state_runs_recent(st, 0, &r, &n), 0);
	CHECK_INT(n, 0);
	state_runs_free(r, n);
	state_close(st);
	free(path);
}

/* The child process of test_lock: a fresh program (fork then exec, since
 * SQLite connections must not cross a fork) trying the lock.  Exits with
 * state_lock's result, or 3 when the holder it names is not its parent. */
static int
lock_child(const char *path)
{
	struct state *st = NULL;
	pid_t holder = 0;
	int rc;

	if (state_open(path, &st) == -1)
		return 2;
	rc = state_lock(st, &holder);
	state_close(st);
	if (rc == 1 && holder != getppid())
		return 3;
	return rc == -1 ? 2 : rc;
}

static int
run_lock_child(const char *path)
{
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(self_exe, "test_state", "lock-child", path, (char *)NULL);
		_exit(4);
	}
	if (pid == -1 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void
test_lock(void)
{
	char *path = testlib_tmp("lock.db");
	struct state *st = open_db(path), *other;
	pid_t holder = -1;

	CHECK_INT(state_lock(st, &holder), 0);
	CHECK_INT(holder, 0);
	CHECK_INT(state_lock(st, &holder), 0);	/* already ours */
	CHECK_INT(run_lock_child(path), 1);
#ifdef F_OFD_SETLK
	/* An OFD lock also keeps a second handle in this process out. */
	other = open_db(path);
	CHECK_INT(state_lock(other, &holder), 1);
	CHECK_INT(holder, getpid());
	state_close(other);
#endif
	state_close(st);
	CHECK_INT(run_lock_child(path), 0);
	other = open_db(path);
	CHECK_INT(state_lock(other, &holder), 0);
	state_close(other);
	free(path);
}

/* The cookie is written with the mirror it describes, in one transaction. */
static void
test_meta_with_mirror(void)
{
	char *path = testlib_tmp("meta.db"), *v = NULL;
	struct mirror_entry in[] = {
		{ "e1", "uid=e,dc=t", "e@t.org", "E", 3, true, NULL, "0f0e0d0c-0b0a-0908-0706-050403020100" },
		{ "e1", "uid=dup,dc=t", "d@t.org", "D", 3, true, NULL, NULL },
	};
	struct state_meta meta[] = { { "sync_cookie", "rid=000,csn=1" }, { "other", "x" } };
	struct state_meta drop[] = { { "other", NULL } };
	struct mirror_entry *out = NULL;
	size_t n = 0;
	struct state *st = open_db(path);

	CHECK_INT(state_mirror_replace(st, in, 1, meta, 2), 0);
	CHECK_INT(state_meta_get(st, "sync_cookie", &v), 0);
	CHECK_STR(v, "rid=000,csn=1");
	free(v);
	CHECK_INT(state_mirror_load(st, &out, &n), 0);
	CHECK(n == 1 && strcmp(out[0].uuid, in[0].uuid) == 0);
	state_mirror_free(out, n);
	/* a failed mirror write leaves the old cookie: never one without the other */
	meta[0].value = "rid=000,csn=2";
	CHECK_INT(state_mirror_replace(st, in, 2, meta, 1), -1);
	CHECK_INT(state_meta_get(st, "sync_cookie", &v), 0);
	CHECK_STR(v, "rid=000,csn=1");
	free(v);
	CHECK_INT(state_meta_set(st, drop, 1), 0);
	CHECK_INT(state_meta_get(st, "other", &v), 0);
	CHECK(v == NULL);
	state_close(st);
	free(path);
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "lock-child") == 0)
		return lock_child(argv[2]);
	if (argc > 0 && strchr(argv[0], '/') != NULL)
		self_exe = argv[0];
	RUN(test_change_kind_str);
	RUN(test_new_file);
	RUN(test_empty_file);
	RUN(test_migrate_from_each_version);
	RUN(test_refused_files);
	RUN(test_mirror_roundtrip);
	RUN(test_mirror_large);
	RUN(test_known_order);
	RUN(test_known_import);
	RUN(test_known_count);
	RUN(test_settle_flows);
	RUN(test_unsettled);
	RUN(test_failures);
	RUN(test_summary);
	RUN(test_reopen_keeps);
	RUN(test_bad_settle);
	RUN(test_runs);
	RUN(test_meta_with_mirror);
	RUN(test_lock);
	testlib_tmpdir_remove();
	return TESTLIB_EXIT();
}
