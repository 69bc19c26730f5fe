/*
 * test_metrics.c: the metrics file.  The exposition text is checked line
 * by line by a small parser of the Prometheus text format (HELP and TYPE
 * before each family's samples, "name{label="value",...} number"); then
 * metrics_write against a real state store: the numbers it reads, the
 * atomic replacement, and a path it cannot write.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "report/metrics.h"
#include "state/state.h"
#include "testlib.h"
#include "util/xmem.h"


#define MAX_FAMILIES 32

struct families {
	char help[MAX_FAMILIES][64];
	char type[MAX_FAMILIES][16];
	size_t n;
	size_t samples;
};

static bool
name_char(int c, bool first)
{
	return isalpha(c) || c == '_' || c == ':' || (!first && isdigit(c));
}

/* The metric name at *p; *p moves past it.  false when there is none. */
static bool
read_name(const char **p, char *buf, size_t len)
{
	size_t i = 0;

	while (name_char((unsigned char)**p, i == 0) && i + 1 < len)
		buf[i++] = *(*p)++;
	buf[i] = '\0';
	return i > 0;
}

/* {label="value",...}: no escapes are needed by what the agent writes. */
static bool
read_labels(const char **p)
{
	char label[64];

	if (**p != '{')
		return true;
	do {
		(*p)++;
		if (!read_name(p, label, sizeof label) || strchr(label, ':') != NULL ||
		    *(*p)++ != '=' || *(*p)++ != '"')
			return false;
		/* The format's three escapes (backslash, quote, n); no other. */
		while (**p != '"' && **p != '\0' && **p != '\n') {
			if (**p == '\\' && (*p)[1] != '\\' && (*p)[1] != '"' && (*p)[1] != 'n')
				return false;
			*p += **p == '\\' ? 2 : 1;
		}
		if (*(*p)++ != '"')
			return false;
	} while (**p == ',');
	return *(*p)++ == '}';
}

static int
family_find(const struct families *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->help[i], name) == 0)
			return (int)i;
	return -1;
}

/* One line of exposition text; false (and a diagnostic) if it is wrong. */
static bool
check_line(struct families *f, const char *line)
{
	char name[64], *end;
	const char *p = line;
	int i;

	if (strncmp(line, "# HELP ", 7) == 0) {
		p += 7;
		if (!read_name(&p, name, sizeof name) || *p != ' ' || p[1] == '\0' ||
		    family_find(f, name) != -1 || f->n == MAX_FAMILIES)
			return false;
		snprintf(f->help[f->n++], sizeof f->help[0], "%s", name);
		return true;
	}
	if (strncmp(line, "# TYPE ", 7) == 0) {
		p += 7;
		if (!read_name(&p, name, sizeof name) || (i = family_find(f, name)) == -1 ||
		    f->type[i][0] != '\0' ||
		    (strcmp(p, " counter") != 0 && strcmp(p, " gauge") != 0))
			return false;
		snprintf(f->type[i], sizeof f->type[0], "%s", p + 1);
		return true;
	}
	if (!read_name(&p, name, sizeof name) || (i = family_find(f, name)) == -1 ||
	    f->type[i][0] == '\0' || !read_labels(&p) || *p++ != ' ')
		return false;
	if (strcmp(f->type[i], "counter") == 0 &&
	    (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total") != 0))
		return false;
	strtod(p, &end);
	f->samples++;
	return end != p && *end == '\0' && !isspace((unsigned char)*p);
}

/* Every line of text checks; returns the number of samples, -1 if bad. */
static long
check_exposition(const char *text)
{
	struct families f = { .n = 0 };
	char *copy = xstrdup(text), *line, *next;
	long rc = -1;

	if (*text == '\0' || text[strlen(text) - 1] != '\n')
		goto out;
	for (line = copy; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		if (!check_line(&f, line)) {
			printf("# bad exposition line: %s\n", line);
			goto out;
		}
	}
	for (size_t i = 0; i < f.n; i++)
		if (f.type[i][0] == '\0')
			goto out;
	rc = (long)f.samples;
out:
	free(copy);
	return rc;
}

static char *
format(const struct metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	CHECK(fp != NULL);
	CHECK(metrics_format(fp, m) == 0);
	fclose(fp);
	return buf;
}

static void
test_format_full(void)
{
	struct metrics m = { .has_last = true, .last_end = 1795843146.583,
	    .last_duration = 0.932, .last_exit = 1, .has_success = true,
	    .last_success_end = 1795843000.5 };
	char *text;

	m.totals.runs[0] = 12;
	m.totals.runs[6] = 2;
	m.totals.runs[RUN_OUTCOME_UNFINISHED] = 1;
	m.totals.api = (struct run_api_calls){ 100, 4, 3, 2, 1 };
	m.summary = (struct state_summary){ .active = 50, .inactive = 7, .pending = 1,
	    .failed = 2, .mirror_total = 60, .mirror_in_scope = 58, .mirror_skipped = 2,
	    .audit_misses = 3, .servers_distrusted = 1 };
	text = format(&m);
	/* 8 outcomes + 4 last-run gauges + 4 user states + 3 kinds + 2 audit
	 * + 5 answers */
	CHECK_INT(check_exposition(text), 26);
	CHECK(strstr(text, "\nldap2imocha_runs_total{outcome=\"done\"} 12\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_runs_total{outcome=\"locked\"} 2\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_runs_total{outcome=\"unfinished\"} 1\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_runs_total{outcome=\"partial\"} 0\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_last_run_timestamp_seconds 1795843146.583\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_last_success_timestamp_seconds 1795843000.500\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_last_run_duration_seconds 0.932\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_last_run_exit_status 1\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_users{state=\"inactive\"} 7\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_directory_entries{kind=\"in_scope\"} 58\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_audit_misses_total 3\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_servers_distrusted 1\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_api_calls_total{outcome=\"429\"} 3\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_api_calls_total{outcome=\"transport\"} 1\n") != NULL);
	free(text);
}

/* No run has ended yet: the time gauges have HELP and TYPE but no sample,
 * rather than a zero that would read as 1970. */
static void
test_format_empty(void)
{
	struct metrics m;
	char *text;

	memset(&m, 0, sizeof m);
	text = format(&m);
	CHECK_INT(check_exposition(text), 22);
	CHECK(strstr(text, "# TYPE ldap2imocha_last_success_timestamp_seconds gauge\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_last_run_timestamp_seconds ") == NULL);
	CHECK(strstr(text, "\nldap2imocha_last_run_exit_status ") == NULL);
	free(text);
}

/* Each group_dn's members, from the meta key the read keeps; a DN's
 * backslash and quote escaped in the label. */
static void
test_format_groups(void)
{
	struct metrics m;
	char *text;

	memset(&m, 0, sizeof m);
	m.group_members = xstrdup("cn=imocha users,ou=groups,dc=example,dc=com\t52666\n"
	    "cn=a\\,\"b\",dc=x\t3\n");
	text = format(&m);
	CHECK_INT(check_exposition(text), 24);
	CHECK(strstr(text, "# TYPE ldap2imocha_group_members gauge\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_group_members{group=\"cn=imocha users,ou=groups,"
	    "dc=example,dc=com\"} 52666\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_group_members{group=\"cn=a\\\\,\\\"b\\\",dc=x\"} 3\n")
	    != NULL);
	free(text);
	metrics_release(&m);
	CHECK(m.group_members == NULL);
}

/* The parser itself refuses what is not exposition text. */
static void
test_parser_refuses(void)
{
	CHECK(check_exposition("# HELP a_total x\n# TYPE a_total counter\na_total 1\n") == 1);
	CHECK(check_exposition("a 1\n") == -1);
	CHECK(check_exposition("# HELP a x\n# TYPE a gauge\na one\n") == -1);
	CHECK(check_exposition("# HELP a x\n# TYPE a gauge\na{l=\"v\" 1\n") == -1);
	CHECK(check_exposition("# HELP a x\n# TYPE a counter\na 1\n") == -1);
	CHECK(check_exposition("# HELP a x\n# TYPE a gauge\na 1") == -1);
	CHECK(check_exposition("# HELP a x\na 1\n") == -1);
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = xcalloc(1, 65536);

	if (fp != NULL) {
		buf[fread(buf, 1, 65535, fp)] = '\0';
		fclose(fp);
	}
	return buf;
}

/* A store with a partial run (with API calls), a run that met the lock
 * and a run that died. */
static struct state *
store_with_runs(const char *path)
{
	struct run_api_calls calls = { 7, 1, 2, 3, 4 };
	struct run_counts counts = { .read = 9, .in_scope = 8, .failed = 1 };
	struct state *st = NULL;
	long long id;

	CHECK(state_open(path, &st) == 0);
	CHECK(state_run_begin(st, "sync", &id) == 0);
	CHECK(state_run_begin(st, "sync", &id) == 0);	/* dies: never ended */
	CHECK(state_run_begin(st, "sync", &id) == 0);
	CHECK(state_run_api_calls(st, id, &calls) == 0);
	CHECK(state_run_end(st, id, &counts, 1) == 0);
	CHECK(state_run_record(st, "sync", 6) == 0);
	return st;
}

static void
test_write_store(void)
{
	char *db = testlib_tmp("m.db"), *prom = testlib_tmp("m.prom");
	char *tmp = xasprintf("%s.tmp", prom), *text;
	struct config cfg;
	struct state *st;
	struct stat sb;

	memset(&cfg, 0, sizeof cfg);
	cfg.metrics_file = prom;
	st = store_with_runs(db);
	metrics_write(&cfg, st);
	text = slurp(prom);
	CHECK_INT(check_exposition(text), 25);	/* no success yet: 26 - 1 */
	CHECK(strstr(text, "\nldap2imocha_runs_total{outcome=\"partial\"} 1\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_runs_total{outcome=\"locked\"} 1\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_runs_total{outcome=\"unfinished\"} 2\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_runs_total{outcome=\"done\"} 0\n") != NULL);
	/* the locked run ended last */
	CHECK(strstr(text, "\nldap2imocha_last_run_exit_status 6\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_api_calls_total{outcome=\"2xx\"} 7\n") != NULL);
	CHECK(strstr(text, "\nldap2imocha_api_calls_total{outcome=\"transport\"} 4\n") != NULL);
	CHECK(access(tmp, F_OK) == -1);
	CHECK(stat(prom, &sb) == 0 && (sb.st_mode & 07777) == 0644);
	free(text);
	state_close(st);
	free(db);
	free(prom);
	free(tmp);
}

/* A path it cannot write is a warning, and leaves nothing behind. */
static void
test_write_unwritable(void)
{
	char *db = testlib_tmp("u.db"), *prom = testlib_tmp("none/m.prom");
	struct config cfg;
	struct state *st;

	memset(&cfg, 0, sizeof cfg);
	cfg.metrics_file = prom;
	st = store_with_runs(db);
	metrics_write(&cfg, st);
	CHECK(access(prom, F_OK) == -1);
	cfg.metrics_file = NULL;
	metrics_write(&cfg, st);	/* not configured: nothing at all */
	state_close(st);
	free(db);
	free(prom);
}

int
main(void)
{
	RUN(test_parser_refuses);
	RUN(test_format_full);
	RUN(test_format_empty);
	RUN(test_format_groups);
	RUN(test_write_store);
	RUN(test_write_unwritable);
	testlib_tmpdir_remove();
	return TESTLIB_EXIT();
}
