/*
 * test_history.c: the audit history of the state store (state_history.c)
 * against real SQLite files: TIME of `history --since` (ISO 8601 or a
 * duration), the rows read back oldest first with their filters, and the
 * retention that deletes old settled rows and runs, never a pending row,
 * never a run a kept row names, without the run totals going down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "model/change.h"
#include "state/state.h"
#include "testlib.h"
#include "testlib_sql.h"
#include "util/xmem.h"


static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return timegm(&tm);
}

static time_t
parsed(const char *text, time_t now)
{
	time_t t = 12345;

	if (state_time_parse(text, now, &t) == -1)
		return -1;
	return t;
}

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void
test_time_iso(void)
{
	time_t want = utc(2026, 11, 28, 4, 25, 7);

	set_tz("UTC0");
	CHECK_INT(parsed("2026-11-28T04:25:07Z", 0), want);
	CHECK_INT(parsed("2026-11-28T04:25:07.999Z", 0), want);	/* rounds down */
	CHECK_INT(parsed("2026-11-28t04:25:07z", 0), want);
	CHECK_INT(parsed("2026-11-28 04:25:07Z", 0), want);
	CHECK_INT(parsed("2026-11-28T05:25:07+01:00", 0), want);
	CHECK_INT(parsed("2026-11-28T05:25:07+0100", 0), want);
	CHECK_INT(parsed("2026-11-28T02:25:07-02", 0), want);
	CHECK_INT(parsed("2026-11-28T04:25Z", 0), want - 7);
	CHECK_INT(parsed("2026-11-28T04:25:07", 0), want);	/* local, and TZ is UTC */
	CHECK_INT(parsed("2026-11-28", 0), utc(2026, 11, 28, 0, 0, 0));
	CHECK_INT(parsed("2024-02-29", 0), utc(2024, 2, 29, 0, 0, 0));
	/* Without a zone it is local time (ISO 8601): 5 hours west here. */
	set_tz("EST5");
	CHECK_INT(parsed("2026-11-28", 0), utc(2026, 11, 28, 5, 0, 0));
	CHECK_INT(parsed("2026-11-28T04:25:07", 0), want + 5 * 3600);
	CHECK_INT(parsed("2026-11-28T04:25:07Z", 0), want);
	set_tz("UTC0");
}

static void
test_time_duration(void)
{
	time_t now = 1800000000;

	CHECK_INT(parsed("30s", now), now - 30);
	CHECK_INT(parsed("15m", now), now - 900);
	CHECK_INT(parsed("24h", now), now - 86400);
	CHECK_INT(parsed("7d", now), now - 7 * 86400);
	CHECK_INT(parsed("5", now), now - 5);		/* bare seconds */
	CHECK_INT(parsed("2026", now), now - 2026);	/* a year is written as a date */
	CHECK_INT(parsed("0s", now), now);
	CHECK_INT(parsed("99999999999s", now), 0);	/* before 1970: from the start */
}

static void
test_time_refused(void)
{
	static const char *const bad[] = { "", "yesterday", "-5m", "5 m", "5w", "2026-13-01",
	    "2026-00-10", "2026-02-30", "2023-02-29", "2026-11-31", "2026-11-28T24:00Z",
	    "2026-11-28T04:60Z", "2026-11-28T04:25:07+2", "2026-11-28T04:25:07+24:00",
	    "2026-11-28X", "2026-11-28T", "2026-11-28T04", "2026-11-28T04:25:07Zjunk",
	    "2026-11-28T04:25:07.Z", "1969-12-31", "26-11-28", "2026-1-2",
	    "99999999999999999999d" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		time_t t = 1;

		if (state_time_parse(bad[i], 1800000000, &t) != -1)
			printf("# accepted \"%s\"\n", bad[i]);
		CHECK(state_time_parse(bad[i], 1800000000, &t) == -1);
		CHECK_INT(t, 0);
	}
	CHECK(state_time_parse(NULL, 0, &(time_t){ 0 }) == -1);
}

static long long
journal(struct state *st, long long run, enum change_kind kind, const char *email,
    int64_t old_bu, int64_t new_bu, const char *outcome)
{
	struct change c = { .kind = kind, .email = (char *)email, .old_bu = old_bu,
	    .new_bu = new_bu, .reason = (char *)"test" };
	long long id = 0;

	c.email_key = xstrdup_lower(email);
	CHECK(state_change_intend(st, run, &c, &id) == 0);
	if (outcome != NULL)
		CHECK(state_change_settle(st, id, outcome, strcmp(outcome, "failed") ? 200 : 400,
		    strcmp(outcome, "failed") ? NULL : "Seat limit", NULL) == 0);
	free(c.email_key);
	return id;
}

/* What history lists, one "action email outcome" line per row. */
struct seen {
	char text[1024];
	size_t n;
	long long last_id;
	bool ordered;
};

static int
collect(const struct history_entry *e, void *arg)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof s->text - len, "%s%s %s %s", s->n ? "\n" : "",
	    e->action, e->email, e->outcome);
	if (e->id <= s->last_id)
		s->ordered = false;
	s->last_id = e->id;
	s->n++;
	return 0;
}

static struct seen
history(struct state *st, const char *since, const char *email)
{
	struct history_filter f = { .has_since = since != NULL, .email = email };
	struct seen s = { .ordered = true };

	if (since != NULL)
		CHECK(state_time_parse(since, time(NULL), &f.since) == 0);
	CHECK(state_history(st, &f, collect, &s) == 0);
	CHECK(s.ordered);
	return s;
}

static struct state *
store(const char *name, char **path, long long *run)
{
	struct state *st = NULL;

	*path = testlib_tmp(name);
	CHECK(state_open(*path, &st) == 0);
	CHECK(state_run_begin(st, "sync", run) == 0);
	journal(st, *run, CHANGE_CREATE, "Ann@example.com", BU_NONE, 1, "done");
	journal(st, *run, CHANGE_MOVE, "ann@example.com", 1, 2, "done");
	journal(st, *run, CHANGE_DEACTIVATE, "bob@example.com", 2, BU_NONE, "failed");
	journal(st, *run, CHANGE_CREATE, "cy@example.com", BU_NONE, 1, NULL);
	CHECK(state_run_end(st, *run, NULL, 1) == 0);
	return st;
}

static void
test_history_filters(void)
{
	struct state *st;
	struct seen s;
	char *path;
	long long run;

	st = store("filters.db", &path, &run);
	s = history(st, NULL, NULL);
	CHECK_STR(s.text, "create Ann@example.com done\nmove ann@example.com done\n"
	    "deactivate bob@example.com failed\ncreate cy@example.com pending");
	s = history(st, NULL, "ANN@EXAMPLE.COM");
	CHECK_STR(s.text, "create Ann@example.com done\nmove ann@example.com done");
	s = history(st, NULL, "nobody@example.com");
	CHECK_INT(s.n, 0);
	/* The first two changes back-dated two days. */
	free(testlib_sql(path, "UPDATE journal SET intended_at = strftime('%Y-%m-%dT%H:%M:%fZ', "
	    "'now', '-2 days') WHERE id <= 2"));
	s = history(st, "1d", NULL);
	CHECK_STR(s.text, "deactivate bob@example.com failed\ncreate cy@example.com pending");
	s = history(st, "3d", "ann@example.com");
	CHECK_INT(s.n, 2);
	s = history(st, "2999-01-01", NULL);
	CHECK_INT(s.n, 0);
	state_close(st);
	free(path);
}

static long
total_runs(struct state *st)
{
	struct run_totals t;
	long n = 0;

	CHECK(state_run_totals(st, &t) == 0);
	for (int i = 0; i < RUN_OUTCOMES; i++)
		n += t.runs[i];
	return n;
}

static void
test_prune(void)
{
	struct run_api_calls calls = { 5, 1, 0, 2, 0 };
	struct run_totals before, after;
	struct state *st;
	struct seen s;
	char *path;
	long long run, old_run, new_run;

	st = store("prune.db", &path, &run);
	CHECK(state_run_begin(st, "sync", &old_run) == 0);
	CHECK(state_run_api_calls(st, old_run, &calls) == 0);
	CHECK(state_run_end(st, old_run, NULL, 0) == 0);
	CHECK(state_run_begin(st, "sync", &new_run) == 0);
	journal(st, new_run, CHANGE_REACTIVATE, "bob@example.com", 2, BU_NONE, "done");
	CHECK(state_run_end(st, new_run, NULL, 0) == 0);
	/* Everything but the newest run and its change, three days old. */
	free(testlib_sql(path, "UPDATE journal SET intended_at = strftime('%Y-%m-%dT%H:%M:%fZ', "
	    "'now', '-3 days'), settled_at = CASE WHEN settled_at IS NULL THEN NULL ELSE "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days') END "
	    "WHERE run_id <> (SELECT MAX(id) FROM run)"));
	free(testlib_sql(path, "UPDATE run SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', "
	    "'-3 days'), ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days') "
	    "WHERE id <> (SELECT MAX(id) FROM run)"));
	CHECK(state_run_totals(st, &before) == 0);
	CHECK(state_history_prune(st, 1) == 0);
	CHECK(state_run_totals(st, &after) == 0);
	CHECK(memcmp(&before, &after, sizeof before) == 0);
	CHECK_INT(after.api.ok_2xx, 5);
	CHECK_INT(after.api.server_5xx, 2);
	CHECK_INT(after.runs[0], 2);
	CHECK_INT(after.runs[1], 1);
	s = history(st, NULL, NULL);
	/* The pending row stays (the next run settles it), and so does the
	 * run that names it. */
	CHECK_STR(s.text, "create cy@example.com pending\nreactivate bob@example.com done");
	{
		struct run_record *runs = NULL;
		size_t n = 0;

		CHECK(state_runs_recent(st, 10, &runs, &n) == 0);
		CHECK_INT(n, 2);
		if (n == 2) {
			CHECK_INT(runs[0].id, new_run);
			CHECK_INT(runs[1].id, run);
		}
		state_runs_free(runs, n);
	}
	/* Pruning again removes nothing and changes no total. */
	CHECK(state_history_prune(st, 1) == 0);
	CHECK_INT(total_runs(st), 3);
	state_close(st);
	free(path);
}

static void
test_last_run(void)
{
	struct run_record *last = NULL, *ok = NULL;
	struct state *st = NULL;
	char *path = testlib_tmp("last.db");
	long long a, b;

	CHECK(state_open(path, &st) == 0);
	CHECK(state_run_last(st, false, &last) == 0);
	CHECK(last == NULL);
	CHECK(state_run_begin(st, "sync", &a) == 0);
	CHECK(state_run_end(st, a, NULL, 0) == 0);
	CHECK(state_run_begin(st, "sync", &b) == 0);
	CHECK(state_run_end(st, b, NULL, 3) == 0);
	CHECK(state_run_begin(st, "sync", &b) == 0);	/* still running */
	CHECK(state_run_last(st, false, &last) == 0);
	CHECK(state_run_last(st, true, &ok) == 0);
	CHECK(last != NULL && last->exit_status == 3 && last->ended_at != NULL);
	CHECK(ok != NULL && ok->id == a && ok->exit_status == 0);
	state_runs_free(last, 1);
	state_runs_free(ok, 1);
	CHECK_INT(total_runs(st), 3);
	state_close(st);
	free(path);
}

int
main(void)
{
	RUN(test_time_iso);
	RUN(test_time_duration);
	RUN(test_time_refused);
	RUN(test_history_filters);
	RUN(test_prune);
	RUN(test_last_run);
	testlib_tmpdir_remove();
	return TESTLIB_EXIT();
}
