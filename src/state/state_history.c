/*
 * state_history.c: see state.h.  The journal read back as the audit
 * history, its retention after [sync] history_days, and the run totals
 * the metrics file reports (sql/002_api_calls.sql).
 */
#include "state/state_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/log.h"
#include "util/xmem.h"

#define DAY_SECONDS 86400L

/* t as the store writes times, whole seconds; 1970 for anything earlier,
 * so that the text still sorts. */
static void
time_text(time_t t, char buf[STATE_TIME_LEN])
{
	struct tm tm;

	if (t < 0)
		t = 0;
	gmtime_r(&t, &tm);
	if (tm.tm_year + 1900 > 9999 ||
	    strftime(buf, STATE_TIME_LEN, "%Y-%m-%dT%H:%M:%S.000Z", &tm) == 0)
		snprintf(buf, STATE_TIME_LEN, "9999-12-31T23:59:59.999Z");
}

int
state_run_api_calls(struct state *st, long long run_id, const struct run_api_calls *c)
{
	static const char sql[] = "UPDATE run SET api_2xx = ?, api_4xx = ?, "
	    "api_429 = ?, api_5xx = ?, api_transport = ? WHERE id = ?";
	const long v[] = { c->ok_2xx, c->client_4xx, c->throttled_429, c->server_5xx,
	    c->transport };
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	if (state_db_prepare(st, sql, &stmt, "record API calls") == -1)
		return -1;
	for (int i = 0; i < 5; i++)
		if (sqlite3_bind_int64(stmt, i + 1, v[i]) != SQLITE_OK)
			goto fail;
	if (sqlite3_bind_int64(stmt, 6, run_id) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		goto fail;
	rc = 0;
	goto out;
fail:
	state_db_fail(st, "record API calls");
out:
	sqlite3_finalize(stmt);
	return rc;
}

int
state_run_record(struct state *st, const char *command, int exit_status)
{
	static const char sql[] = "INSERT INTO run (command, started_at, ended_at, "
	    "exit_status, duration_ms) VALUES (?1, ?2, ?2, ?3, 0)";
	sqlite3_stmt *stmt = NULL;
	char now[STATE_TIME_LEN];
	int rc = -1;

	state_db_now(now);
	if (state_db_prepare(st, sql, &stmt, "record run") == -1)
		return -1;
	if (state_db_bind_text(stmt, 1, command) != SQLITE_OK ||
	    state_db_bind_text(stmt, 2, now) != SQLITE_OK ||
	    sqlite3_bind_int(stmt, 3, exit_status) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		state_db_fail(st, "record run");
	else
		rc = 0;
	sqlite3_finalize(stmt);
	return rc;
}

/* The runs the store still has and those retention removed, by outcome. */
#define TOTALS_SQL							\
	"SELECT o, SUM(n), SUM(a2), SUM(a4), SUM(a429), SUM(a5), SUM(at) FROM ("\
	"SELECT COALESCE(exit_status, -1) AS o, 1 AS n, api_2xx AS a2, "	\
	"api_4xx AS a4, api_429 AS a429, api_5xx AS a5, api_transport AS at "\
	"FROM run UNION ALL SELECT exit_status, runs, api_2xx, api_4xx, "	\
	"api_429, api_5xx, api_transport FROM run_pruned) GROUP BY o"

static void
totals_add(sqlite3_stmt *stmt, struct run_totals *t)
{
	int o = sqlite3_column_int(stmt, 0);

	/* A status the program never exits with can only be a run that
	 * did not end the usual way. */
	if (o < 0 || o >= RUN_OUTCOME_UNFINISHED)
		o = RUN_OUTCOME_UNFINISHED;
	t->runs[o] += (long)sqlite3_column_int64(stmt, 1);
	t->api.ok_2xx += (long)sqlite3_column_int64(stmt, 2);
	t->api.client_4xx += (long)sqlite3_column_int64(stmt, 3);
	t->api.throttled_429 += (long)sqlite3_column_int64(stmt, 4);
	t->api.server_5xx += (long)sqlite3_column_int64(stmt, 5);
	t->api.transport += (long)sqlite3_column_int64(stmt, 6);
}

int
state_run_totals(struct state *st, struct run_totals *out)
{
	sqlite3_stmt *stmt = NULL;
	int step, rc = -1;

	memset(out, 0, sizeof *out);
	if (state_db_prepare(st, TOTALS_SQL, &stmt, "run totals") == -1)
		return -1;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW)
		totals_add(stmt, out);
	if (step != SQLITE_DONE) {
		state_db_fail(st, "run totals");
		memset(out, 0, sizeof *out);
	} else
		rc = 0;
	sqlite3_finalize(stmt);
	return rc;
}

static void
last_run_read(sqlite3_stmt *stmt, struct run_record *r)
{
	long *f[] = { &r->counts.read, &r->counts.in_scope, &r->counts.created,
	    &r->counts.adopted, &r->counts.moved, &r->counts.deactivated,
	    &r->counts.reactivated, &r->counts.skipped, &r->counts.failed };

	r->id = sqlite3_column_int64(stmt, 0);
	r->command = state_db_column_dup(stmt, 1);
	r->started_at = state_db_column_dup(stmt, 2);
	r->ended_at = state_db_column_dup(stmt, 3);
	r->exit_status = sqlite3_column_int(stmt, 4);
	r->duration_ms = (long)sqlite3_column_int64(stmt, 5);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		*f[i] = (long)sqlite3_column_int64(stmt, 6 + (int)i);
}

int
state_run_last(struct state *st, bool success, struct run_record **out)
{
	static const char sql[] = "SELECT id, command, started_at, ended_at, "
	    "exit_status, duration_ms, n_read, n_in_scope, n_created, n_adopted, "
	    "n_moved, n_deactivated, n_reactivated, n_skipped, n_failed FROM run "
	    "WHERE ended_at IS NOT NULL AND exit_status IS NOT NULL "
	    "AND (?1 = 0 OR exit_status = 0) ORDER BY ended_at DESC, id DESC LIMIT 1";
	sqlite3_stmt *stmt = NULL;
	int step, rc = -1;

	*out = NULL;
	if (state_db_prepare(st, sql, &stmt, "load last run") == -1)
		return -1;
	if (sqlite3_bind_int(stmt, 1, success) != SQLITE_OK) {
		state_db_fail(st, "load last run");
		goto out;
	}
	step = sqlite3_step(stmt);
	if (step == SQLITE_ROW) {
		*out = xcalloc(1, sizeof **out);
		last_run_read(stmt, *out);
	} else if (step != SQLITE_DONE) {
		state_db_fail(st, "load last run");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(stmt);
	return rc;
}

/* The journal's state as history names it: an intended row is one whose
 * answer has not come (yet, or ever: the next run settles it). */
static const char *
outcome_name(const char *state)
{
	if (state == NULL || strcmp(state, "intended") == 0)
		return "pending";
	return state;
}

static void
history_read(sqlite3_stmt *stmt, struct history_entry *e)
{
	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(stmt, 0);
	e->run_id = sqlite3_column_int64(stmt, 1);	/* NULL reads as 0 */
	e->action = (const char *)sqlite3_column_text(stmt, 2);
	e->email = (const char *)sqlite3_column_text(stmt, 3);
	e->entry_id = (const char *)sqlite3_column_text(stmt, 4);
	e->reason = (const char *)sqlite3_column_text(stmt, 5);
	e->old_bu = state_db_column_bu(stmt, 6);
	e->new_bu = state_db_column_bu(stmt, 7);
	e->outcome = outcome_name((const char *)sqlite3_column_text(stmt, 8));
	e->http_status = (long)sqlite3_column_int64(stmt, 9);
	e->answer = (const char *)sqlite3_column_text(stmt, 10);
	e->intended_at = (const char *)sqlite3_column_text(stmt, 11);
	e->settled_at = (const char *)sqlite3_column_text(stmt, 12);
}

/* Bind the filter: ?1 the earliest time, ?2 the e-mail key (NULL: any). */
static int
history_bind(sqlite3_stmt *stmt, const struct history_filter *f, char **key)
{
	char since[STATE_TIME_LEN];

	*key = NULL;
	if (f->has_since) {
		time_text(f->since, since);
		if (sqlite3_bind_text(stmt, 1, since, -1, SQLITE_TRANSIENT) != SQLITE_OK)
			return -1;
	}
	if (f->email != NULL)
		*key = xstrdup_lower(f->email);
	return state_db_bind_text(stmt, 2, *key) == SQLITE_OK ? 0 : -1;
}

int
state_history(struct state *st, const struct history_filter *f,
    int (*each)(const struct history_entry *, void *), void *arg)
{
	/* By id: the order the changes were decided in, which is also the
	 * order of intended_at unless the clock was stepped back. */
	static const char sql[] = "SELECT id, run_id, action, email, entry_id, "
	    "reason, old_bu_id, new_bu_id, state, http_status, answer, intended_at, "
	    "settled_at FROM journal WHERE (?1 IS NULL OR intended_at >= ?1) "
	    "AND (?2 IS NULL OR email_key = ?2) ORDER BY id";
	struct history_entry e;
	sqlite3_stmt *stmt = NULL;
	char *key = NULL;
	int step, rc = -1;

	if (state_db_prepare(st, sql, &stmt, "read history") == -1)
		return -1;
	if (history_bind(stmt, f, &key) == -1) {
		state_db_fail(st, "read history");
		goto out;
	}
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		history_read(stmt, &e);
		if (each(&e, arg) == -1)
			goto out;
	}
	if (step != SQLITE_DONE) {
		state_db_fail(st, "read history");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(stmt);
	free(key);
	return rc;
}

/* Run sql with ?1 bound to cut; *changed: the rows it changed. */
static int
prune_exec(struct state *st, const char *sql, const char *cut, long *changed)
{
	sqlite3_stmt *stmt = NULL;
	int rc = -1;

	*changed = 0;
	if (state_db_prepare(st, sql, &stmt, "prune history") == -1)
		return -1;
	if (state_db_bind_text(stmt, 1, cut) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE)
		state_db_fail(st, "prune history");
	else {
		*changed = sqlite3_changes(st->db);
		rc = 0;
	}
	sqlite3_finalize(stmt);
	return rc;
}

/* A run goes once it ended (or started, if it never ended) before the cut
 * and no journal row that stays names it. */
#define PRUNE_RUN_WHERE							\
	"WHERE started_at < ?1 AND COALESCE(ended_at, started_at) < ?1 "	\
	"AND NOT EXISTS (SELECT 1 FROM journal WHERE journal.run_id = run.id)"

int
state_history_prune(struct state *st, int days)
{
	/* settled_at is never before intended_at: the first test lets the
	 * index narrow the rows down. */
	static const char del_journal[] = "DELETE FROM journal WHERE "
	    "intended_at < ?1 AND state <> 'intended' AND settled_at < ?1";
	static const char add_totals[] = "INSERT INTO run_pruned (exit_status, "
	    "runs, api_2xx, api_4xx, api_429, api_5xx, api_transport) "
	    "SELECT COALESCE(exit_status, -1), COUNT(*), SUM(api_2xx), SUM(api_4xx), "
	    "SUM(api_429), SUM(api_5xx), SUM(api_transport) FROM run " PRUNE_RUN_WHERE
	    " GROUP BY 1 ON CONFLICT (exit_status) DO UPDATE SET "
	    "runs = runs + excluded.runs, api_2xx = api_2xx + excluded.api_2xx, "
	    "api_4xx = api_4xx + excluded.api_4xx, api_429 = api_429 + excluded.api_429, "
	    "api_5xx = api_5xx + excluded.api_5xx, "
	    "api_transport = api_transport + excluded.api_transport";
	static const char del_runs[] = "DELETE FROM run " PRUNE_RUN_WHERE;
	char cut[STATE_TIME_LEN];
	long changes, runs, totals;
	int rc = -1;

	time_text(time(NULL) - (time_t)days * DAY_SECONDS, cut);
	if (state_db_begin(st, "begin prune history") == -1)
		return -1;
	if (prune_exec(st, del_journal, cut, &changes) == -1 ||
	    prune_exec(st, add_totals, cut, &totals) == -1 ||
	    prune_exec(st, del_runs, cut, &runs) == -1 ||
	    state_db_commit(st, "commit prune history") == -1)
		goto out;
	if (changes > 0 || runs > 0)
		log_info("history: removed %ld changes and %ld runs older than %d days "
		    "([sync] history_days)", changes, runs, days);
	rc = 0;
out:
	if (rc == -1)
		state_db_rollback(st);
	return rc;
}

/* n decimal digits at *p into *v; *p moves past them. */
static bool
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

static int
month_days(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* "Z", "+hh", "+hh:mm", "+hhmm" (or "-") into seconds east of UTC. */
static bool
parse_zone(const char *p, long *offset)
{
	int sign, h, m = 0;

	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0)
		return *offset = 0, true;
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &h))
		return false;
	if (*p == ':')
		p++;
	if (*p != '\0' && !digits(&p, 2, &m))
		return false;
	if (*p != '\0' || h > 23 || m > 59)
		return false;
	*offset = sign * (h * 3600L + m * 60L);
	return true;
}

/* "hh:mm[:ss[.fff]]" into tm; *p is left at what follows (the zone). */
static bool
parse_clock(const char **p, struct tm *tm)
{
	if (!digits(p, 2, &tm->tm_hour) || *(*p)++ != ':' || !digits(p, 2, &tm->tm_min))
		return false;
	if (**p == ':') {
		(*p)++;
		if (!digits(p, 2, &tm->tm_sec))
			return false;
		/* A fraction is dropped: whole seconds, rounded down, keep
		 * a time copied from history's output inclusive. */
		if (**p == '.' || **p == ',') {
			(*p)++;
			if (!isdigit((unsigned char)**p))
				return false;
			while (isdigit((unsigned char)**p))
				(*p)++;
		}
	}
	return tm->tm_hour <= 23 && tm->tm_min <= 59 && tm->tm_sec <= 60;
}

static int
parse_iso(const char *p, time_t *out)
{
	struct tm tm;
	long offset = 0;
	bool zoned = false;

	memset(&tm, 0, sizeof tm);
	if (!digits(&p, 4, &tm.tm_year) || *p++ != '-' || !digits(&p, 2, &tm.tm_mon) ||
	    *p++ != '-' || !digits(&p, 2, &tm.tm_mday))
		return -1;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > month_days(tm.tm_year, tm.tm_mon))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!parse_clock(&p, &tm))
			return -1;
		if (*p != '\0' && !(zoned = parse_zone(p, &offset)))
			return -1;
	} else if (*p != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	/* ISO 8601: a time without a zone is local time. */
	*out = zoned ? timegm(&tm) - offset : mktime(&tm);
	return *out == (time_t)-1 && !zoned ? -1 : 0;
}

int
state_time_parse(const char *text, time_t now, time_t *out)
{
	long seconds;

	*out = 0;
	if (text == NULL)
		return -1;
	/* "2026-..." is a date; a number with or without a unit is a
	 * duration (a bare number is seconds, as everywhere). */
	if (strlen(text) >= 5 && text[4] == '-')
		return parse_iso(text, out);
	if (parse_duration(text, &seconds) == -1)
		return -1;
	*out = seconds > now ? 0 : now - seconds;
	return 0;
}
