/*
 * metrics.c: see metrics.h.  Every number comes from the state store, not
 * from the run in memory, so the file says the same as `status` and the
 * counters carry on across restarts (and across history retention, which
 * keeps the totals of the runs it deletes).
 */
#include "report/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imocha/httppool.h"
#include "util/log.h"
#include "util/xmem.h"

/* Label values of ldap2imocha_runs_total, by exit status (syncrun.h). */
static const char *const outcome_names[RUN_OUTCOMES] = {
	"done", "partial", "config", "ldap", "imocha", "limit", "locked",
	[RUN_OUTCOME_UNFINISHED] = "unfinished",
};

void
metrics_record_api_calls(struct state *st, long long run_id, const struct http_pool *pool)
{
	struct http_pool_stats s;
	struct run_api_calls c;

	if (pool == NULL || run_id <= 0)
		return;
	http_pool_stats(pool, &s);
	c = (struct run_api_calls){ .ok_2xx = s.answered_2xx, .client_4xx = s.answered_4xx,
	    .throttled_429 = s.answered_429, .server_5xx = s.answered_5xx,
	    .transport = s.transport_errors };
	/* Logged by the state module; the run goes on without them. */
	(void)state_run_api_calls(st, run_id, &c);
}

/* The store's "2026-11-28T04:25:07.123Z" as Unix seconds. */
static bool
unix_seconds(const char *text, double *out)
{
	time_t t;
	int ms = 0;

	*out = 0;
	if (text == NULL || strlen(text) < 20 || state_time_parse(text, 0, &t) == -1)
		return false;
	if (text[19] == '.' && sscanf(text + 20, "%3d", &ms) != 1)
		ms = 0;
	*out = (double)t + ms / 1000.0;
	return true;
}

int
metrics_collect(struct state *st, struct metrics *m)
{
	struct run_record *last = NULL, *ok = NULL;
	int rc = -1;

	memset(m, 0, sizeof *m);
	if (state_run_totals(st, &m->totals) == -1 ||
	    state_run_last(st, false, &last) == -1 ||
	    state_run_last(st, true, &ok) == -1 ||
	    state_summary(st, &m->summary) == -1 ||
	    state_meta_get(st, STATE_META_GROUP_MEMBERS, &m->group_members) == -1)
		goto out;
	if (last != NULL && unix_seconds(last->ended_at, &m->last_end)) {
		m->has_last = true;
		m->last_duration = last->duration_ms / 1000.0;
		m->last_exit = last->exit_status;
	}
	if (ok != NULL)
		m->has_success = unix_seconds(ok->ended_at, &m->last_success_end);
	rc = 0;
out:
	state_runs_free(last, last ? 1 : 0);
	state_runs_free(ok, ok ? 1 : 0);
	return rc;
}

void
metrics_release(struct metrics *m)
{
	free(m->group_members);
	m->group_members = NULL;
}

static void
family(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
sample_long(FILE *fp, const char *name, const char *label, const char *value, long v)
{
	if (label != NULL)
		fprintf(fp, "%s{%s=\"%s\"} %ld\n", name, label, value, v);
	else
		fprintf(fp, "%s %ld\n", name, v);
}

static void
format_runs(FILE *fp, const struct metrics *m)
{
	static const char name[] = "ldap2imocha_runs_total";

	family(fp, name, "counter", "Runs the state store has recorded, by outcome "
	    "(the exit status; unfinished: killed before it ended).");
	for (int i = 0; i < RUN_OUTCOMES; i++)
		sample_long(fp, name, "outcome", outcome_names[i], m->totals.runs[i]);
}

/* Families with one sample each; a time the store does not have yet (no
 * run ended, none succeeded) has no sample, rather than a false zero. */
static void
format_last(FILE *fp, const struct metrics *m)
{
	family(fp, "ldap2imocha_last_run_timestamp_seconds", "gauge",
	    "When the last run ended, in Unix time.");
	if (m->has_last)
		fprintf(fp, "ldap2imocha_last_run_timestamp_seconds %.3f\n", m->last_end);
	family(fp, "ldap2imocha_last_success_timestamp_seconds", "gauge",
	    "When the last run that exited 0 (done, nothing failed) ended, in Unix time.");
	if (m->has_success)
		fprintf(fp, "ldap2imocha_last_success_timestamp_seconds %.3f\n",
		    m->last_success_end);
	family(fp, "ldap2imocha_last_run_duration_seconds", "gauge",
	    "How long the last run took.");
	if (m->has_last)
		fprintf(fp, "ldap2imocha_last_run_duration_seconds %.3f\n", m->last_duration);
	family(fp, "ldap2imocha_last_run_exit_status", "gauge",
	    "The exit status of the last run (0 done, 1 partial, 2 config, 3 ldap, "
	    "4 imocha, 5 limit, 6 locked).");
	if (m->has_last)
		fprintf(fp, "ldap2imocha_last_run_exit_status %d\n", m->last_exit);
}

static void
format_state(FILE *fp, const struct metrics *m)
{
	static const char users[] = "ldap2imocha_users";
	static const char dir[] = "ldap2imocha_directory_entries";
	const struct state_summary *s = &m->summary;

	family(fp, users, "gauge", "iMocha users the agent manages, by state "
	    "(pending: a change sent, not answered; failed: the last change failed).");
	sample_long(fp, users, "state", "active", s->active);
	sample_long(fp, users, "state", "inactive", s->inactive);
	sample_long(fp, users, "state", "pending", s->pending);
	sample_long(fp, users, "state", "failed", s->failed);
	family(fp, dir, "gauge", "Directory user entries of the last complete read: "
	    "read, in scope, skipped (unusable or unmapped).");
	sample_long(fp, dir, "kind", "read", s->mirror_total);
	sample_long(fp, dir, "kind", "in_scope", s->mirror_in_scope);
	sample_long(fp, dir, "kind", "skipped", s->mirror_skipped);
	family(fp, "ldap2imocha_audit_misses_total", "counter", "Changes that audits found "
	    "the directory server's incremental reads missed.");
	sample_long(fp, "ldap2imocha_audit_misses_total", NULL, NULL, s->audit_misses);
	family(fp, "ldap2imocha_servers_distrusted", "gauge", "Directory servers whose "
	    "incremental reads an audit rejected (read in full until reset-trust).");
	sample_long(fp, "ldap2imocha_servers_distrusted", NULL, NULL, s->servers_distrusted);
}

/* A label value as the exposition format wants it: \\, " and newline
 * escaped. */
static void
label_value(FILE *fp, const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\\' || v[i] == '"')
			fputc('\\', fp);
		if (v[i] == '\n')
			fputs("\\n", fp);
		else
			fputc(v[i], fp);
	}
}

/* Each group_dn's members at the last complete read: a group that empties
 * or shrinks is worth an alert before a run stops on it. */
static void
format_groups(FILE *fp, const struct metrics *m)
{
	static const char name[] = "ldap2imocha_group_members";
	const char *line = m->group_members, *tab, *nl;

	if (line == NULL || *line == '\0')
		return;
	family(fp, name, "gauge", "Members of each group_dn under base_dn, nested "
	    "counted, at the last complete read.");
	for (; line != NULL && *line != '\0'; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if ((tab = memchr(line, '\t', nl ? (size_t)(nl - line) : strlen(line))) == NULL)
			continue;
		fprintf(fp, "%s{group=\"", name);
		label_value(fp, line, (size_t)(tab - line));
		fprintf(fp, "\"} %ld\n", strtol(tab + 1, NULL, 10));
	}
}

static void
format_api(FILE *fp, const struct metrics *m)
{
	static const char name[] = "ldap2imocha_api_calls_total";
	const struct run_api_calls *a = &m->totals.api;

	family(fp, name, "counter", "Requests to iMocha by answer, retries included "
	    "(transport: no answer at all).");
	sample_long(fp, name, "outcome", "2xx", a->ok_2xx);
	sample_long(fp, name, "outcome", "4xx", a->client_4xx);
	sample_long(fp, name, "outcome", "429", a->throttled_429);
	sample_long(fp, name, "outcome", "5xx", a->server_5xx);
	sample_long(fp, name, "outcome", "transport", a->transport);
}

int
metrics_format(FILE *fp, const struct metrics *m)
{
	format_runs(fp, m);
	format_last(fp, m);
	format_state(fp, m);
	format_api(fp, m);
	format_groups(fp, m);
	return ferror(fp) ? -1 : 0;
}

/* Write m into tmp and make it durable.  0, or -1 with errno set. */
static int
write_tmp(const char *tmp, const struct metrics *m)
{
	FILE *fp;
	int fd, saved;

	/* O_NOFOLLOW: a link planted at the temporary name is not followed. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1)
		return -1;
	/* The collector runs as another user: the file holds counts only,
	 * so it is readable whatever the agent's umask. */
	if (fchmod(fd, 0644) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (metrics_format(fp, m) == -1 || fflush(fp) == EOF || fsync(fd) == -1) {
		saved = errno;
		fclose(fp);
		errno = saved;
		return -1;
	}
	return fclose(fp) == EOF ? -1 : 0;
}

void
metrics_write(const struct config *cfg, struct state *st)
{
	struct metrics m;
	char *tmp;

	if (cfg->metrics_file == NULL || *cfg->metrics_file == '\0')
		return;
	if (metrics_collect(st, &m) == -1) {
		log_warnx("metrics: %s not updated: the state store could not be read",
		    cfg->metrics_file);
		metrics_release(&m);
		return;
	}
	tmp = xasprintf("%s.tmp", cfg->metrics_file);
	if (write_tmp(tmp, &m) == -1) {
		log_warn("metrics: cannot write %s", tmp);
		unlink(tmp);
	} else if (rename(tmp, cfg->metrics_file) == -1) {
		log_warn("metrics: cannot rename %s to %s", tmp, cfg->metrics_file);
		unlink(tmp);
	} else
		log_debug("metrics: %s updated", cfg->metrics_file);
	free(tmp);
	metrics_release(&m);
}
