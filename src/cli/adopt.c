/*
 * adopt.c: see adopt.h.  The rows are held in memory and checked in three
 * passes: each row on its own, then the BUs against iMocha's list, then
 * e-mails named twice with different values.  Faults are collected and
 * reported in line order, so an operator can fix the file in one go; only
 * a file without any reaches the state store ("nothing is lost or
 * half-applied").
 */
#include "cli/adopt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/csv.h"
#include "imocha/imocha.h"
#include "util/log.h"
#include "plan/mapping.h"
#include "state/state.h"
#include "sync/syncrun.h"
#include "model/user.h"
#include "util/xmem.h"

#define ADOPT_MAX_REPORTED	100	/* fault lines logged; the rest are counted */
#define ADOPT_SHOWN		64	/* bytes of a bad value quoted in a message */
#define ADOPT_SHOWN_BUF		(ADOPT_SHOWN * 4 + 4)

enum column { COL_EMAIL, COL_BU, COL_STATUS, COL_COUNT };
static const char *const column_name[COL_COUNT] = { "email", "business_unit", "status" };

struct adopt_row {
	long line;
	char *email;		/* original case; NULL when unusable */
	char *key;		/* lower case */
	char *bu;		/* as written; NULL when none is named */
	int64_t bu_id;		/* BU_NONE unless resolved */
	enum known_status status;
	bool bad;		/* a fault was reported for it */
};

struct adopt_fault {
	long line;		/* 0: the file as a whole */
	size_t seq;		/* order found, to keep the sort stable */
	char *text;
};

struct adopt {
	const char *path;
	size_t ncols;		/* fields in the header line */
	int col[COL_COUNT];	/* field index of each column, -1 if absent */
	bool needs_bus;		/* some row names a BU */
	struct adopt_row *rows;
	size_t nrows, rcap;
	struct adopt_fault *faults;
	size_t nfaults, fcap;
	struct known_user *users;	/* one per e-mail key, in key order */
	size_t nusers;
};

static void __attribute__((format(printf, 3, 4)))
adopt_fault(struct adopt *a, long line, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	xgrow(&a->faults, &a->fcap, a->nfaults + 1, sizeof *a->faults);
	a->faults[a->nfaults] = (struct adopt_fault){ line, a->nfaults, xstrdup(text) };
	a->nfaults++;
}

/* A value as a message may quote it: the file is not trusted to hold only
 * printable text, so control bytes, quotes and backslashes are escaped, and
 * a long value is cut short. */
static const char *
shown(const char *s, char buf[ADOPT_SHOWN_BUF])
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == ADOPT_SHOWN) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* Spreadsheets pad cells; no e-mail, status or BU starts or ends blank. */
static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* A header name compared to ours: lower case, "Business Unit" and
 * "business-unit" both meaning business_unit.  Too long: matches nothing. */
static void
column_key(char *field, char *out, size_t size)
{
	const char *s = trim(field);
	size_t i;

	if (strlen(s) >= size) {
		out[0] = '\0';
		return;
	}
	for (i = 0; s[i] != '\0'; i++)
		out[i] = s[i] == ' ' || s[i] == '-' ? '_' :
		    (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	out[i] = '\0';
}

static int
adopt_header(struct adopt *a, char **fields, size_t n, long line)
{
	char key[32];
	int c;

	a->ncols = n;
	for (size_t i = 0; i < n; i++) {
		column_key(fields[i], key, sizeof key);
		for (c = 0; c < COL_COUNT; c++) {
			if (strcmp(key, column_name[c]) != 0)
				continue;
			if (a->col[c] != -1) {
				adopt_fault(a, line, "column %s appears twice in the header line",
				    column_name[c]);
				return -1;
			}
			a->col[c] = (int)i;
		}
	}
	if (a->col[COL_EMAIL] == -1) {
		adopt_fault(a, line, "no \"email\" column in the header line (the first "
		    "line must name the columns: email, business_unit, status)");
		return -1;
	}
	return 0;
}

static void
row_email(struct adopt *a, struct adopt_row *r, char *field)
{
	char buf[ADOPT_SHOWN_BUF];
	char *email = trim(field);

	if (*email == '\0') {
		adopt_fault(a, r->line, "no e-mail address");
		r->bad = true;
	} else if (!email_is_valid(email)) {
		adopt_fault(a, r->line, "invalid e-mail address \"%s\"", shown(email, buf));
		r->bad = true;
	} else {
		r->email = xstrdup(email);
		r->key = email_key(email);
	}
}

/* An empty status means Active: the export lists live accounts. */
static void
row_status(struct adopt *a, struct adopt_row *r, char *field)
{
	char buf[ADOPT_SHOWN_BUF];
	char *s = trim(field);

	if (*s == '\0' || strcasecmp(s, "active") == 0)
		r->status = KNOWN_ACTIVE;
	else if (strcasecmp(s, "inactive") == 0)
		r->status = KNOWN_INACTIVE;
	else {
		adopt_fault(a, r->line, "status \"%s\" is neither Active nor Inactive",
		    shown(s, buf));
		r->bad = true;
	}
}

static void
adopt_row(struct adopt *a, char **fields, size_t n, long line)
{
	struct adopt_row *r;
	char *bu;

	if (n != a->ncols) {
		adopt_fault(a, line, "%zu field%s where the header line has %zu", n,
		    n == 1 ? "" : "s", a->ncols);
		return;
	}
	xgrow(&a->rows, &a->rcap, a->nrows + 1, sizeof *a->rows);
	r = &a->rows[a->nrows++];
	*r = (struct adopt_row){ .line = line, .bu_id = BU_NONE, .status = KNOWN_ACTIVE };
	row_email(a, r, fields[a->col[COL_EMAIL]]);
	if (a->col[COL_STATUS] != -1)
		row_status(a, r, fields[a->col[COL_STATUS]]);
	if (a->col[COL_BU] != -1 && *(bu = trim(fields[a->col[COL_BU]])) != '\0') {
		r->bu = xstrdup(bu);
		a->needs_bus = true;
	}
}

/* Read and check every row; -1 when there is no usable header (the faults
 * say why).  Malformed CSV ends the reading, but the rows before it are
 * still checked, so that one run reports as much as it can. */
static int
adopt_read(struct adopt *a)
{
	struct csv_reader rd;
	bool header = false;
	char **fields;
	size_t n;
	long line;
	FILE *fp;
	int rc;

	if ((fp = fopen(a->path, "r")) == NULL) {
		adopt_fault(a, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	csv_reader_init(&rd, fp);
	while ((rc = csv_next_record(&rd, &fields, &n, &line)) == 1) {
		if (header)
			adopt_row(a, fields, n, line);
		else if (adopt_header(a, fields, n, line) == -1)
			break;
		else
			header = true;
	}
	if (rc == -1)
		adopt_fault(a, line, "%s", rd.error);
	else if (rc == 0 && !header)
		adopt_fault(a, 0, "empty: no header line naming the columns");
	csv_reader_release(&rd);
	fclose(fp);
	return header ? 0 : -1;
}

static void
adopt_resolve(struct adopt *a, const struct imocha_bu_list *bus)
{
	char buf[ADOPT_SHOWN_BUF];
	const struct imocha_bu *bu;

	for (size_t i = 0; i < a->nrows; i++) {
		struct adopt_row *r = &a->rows[i];

		if (r->bu == NULL)
			continue;
		if ((bu = bu_find(bus, r->bu)) != NULL)
			r->bu_id = bu->id;
		else {
			adopt_fault(a, r->line, "business unit \"%s\" does not exist in iMocha "
			    "(ldap2imocha business-units lists them)", shown(r->bu, buf));
			r->bad = true;
		}
	}
}

static int
row_cmp(const void *x, const void *y)
{
	const struct adopt_row *a = *(const struct adopt_row *const *)x;
	const struct adopt_row *b = *(const struct adopt_row *const *)y;
	int c = strcmp(a->key, b->key);

	return c != 0 ? c : (a->line > b->line) - (a->line < b->line);
}

/* The n rows of group name one e-mail: identical repeats are fine, a row
 * that says otherwise than the first is a fault. */
static void
group_check(struct adopt *a, struct adopt_row **group, size_t n)
{
	char buf[ADOPT_SHOWN_BUF];
	bool bu, st;

	for (size_t i = 1; i < n; i++) {
		bu = group[i]->bu_id != group[0]->bu_id;
		st = group[i]->status != group[0]->status;
		if (bu || st)
			adopt_fault(a, group[i]->line, "%s is also on line %ld with another %s",
			    shown(group[i]->email, buf), group[0]->line,
			    bu && st ? "business unit and status" : bu ? "business unit" : "status");
	}
}

/* One user per e-mail, from its first row, in key order. */
static void
adopt_merge(struct adopt *a)
{
	struct adopt_row **sorted = xcalloc(a->nrows + 1, sizeof *sorted);
	struct known_user *u;
	size_t n = 0, i, j;

	for (i = 0; i < a->nrows; i++)
		if (!a->rows[i].bad)
			sorted[n++] = &a->rows[i];
	qsort(sorted, n, sizeof *sorted, row_cmp);
	a->users = xcalloc(n + 1, sizeof *a->users);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(sorted[j]->key, sorted[i]->key) == 0; j++)
			;
		group_check(a, &sorted[i], j - i);
		u = &a->users[a->nusers++];
		u->email_key = xstrdup(sorted[i]->key);
		u->email = xstrdup(sorted[i]->email);
		u->bu_id = sorted[i]->bu_id;
		u->status = sorted[i]->status;
		u->origin = ORIGIN_IMPORTED;
	}
	free(sorted);
}

static int
fault_cmp(const void *x, const void *y)
{
	const struct adopt_fault *a = x, *b = y;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static void
adopt_report(struct adopt *a)
{
	size_t i;

	if (a->nfaults == 0)
		return;
	qsort(a->faults, a->nfaults, sizeof *a->faults, fault_cmp);
	for (i = 0; i < a->nfaults && i < ADOPT_MAX_REPORTED; i++) {
		if (a->faults[i].line > 0)
			log_errorx("%s:%ld: %s", a->path, a->faults[i].line, a->faults[i].text);
		else
			log_errorx("%s: %s", a->path, a->faults[i].text);
	}
	if (a->nfaults > ADOPT_MAX_REPORTED)
		log_errorx("%s: %zu more faults not shown", a->path,
		    a->nfaults - ADOPT_MAX_REPORTED);
	log_errorx("adopt: nothing recorded; correct %s and run adopt again", a->path);
}

/* Under the run lock, as a recorded run: the import, all or nothing. */
static int
adopt_record(const struct config *cfg, struct adopt *a, size_t *added)
{
	struct run_counts counts = { 0 };
	struct state *st = NULL;
	long long run_id = 0;
	pid_t holder = 0;
	int rc = EXIT_CONFIG, locked;

	*added = 0;
	if (state_open(cfg->state_file, &st) == -1)
		goto out;
	if ((locked = state_lock(st, &holder)) == 1) {
		log_errorx("another ldap2imocha run (PID %ld) holds the lock on %s; "
		    "not starting", (long)holder, cfg->state_file);
		rc = EXIT_LOCKED;
	}
	if (locked != 0 || state_run_begin(st, "adopt", &run_id) == -1)
		goto out;
	log_set_run(run_id);
	if (state_known_import(st, a->users, a->nusers, added) == 0)
		rc = EXIT_DONE;
	counts.read = (long)a->nusers;
	counts.adopted = (long)*added;
	/* A failure here is logged, but the import is committed: the exit
	 * status must not claim that nothing was done. */
	state_run_end(st, run_id, &counts, rc);
	log_set_run(0);
out:
	state_close(st);
	return rc;
}

static void
adopt_release(struct adopt *a)
{
	for (size_t i = 0; i < a->nrows; i++) {
		free(a->rows[i].email);
		free(a->rows[i].key);
		free(a->rows[i].bu);
	}
	free(a->rows);
	for (size_t i = 0; i < a->nfaults; i++)
		free(a->faults[i].text);
	free(a->faults);
	state_known_free(a->users, a->nusers);
}

/* Read, resolve and merge; 0, or the exit status to stop with. */
static int
adopt_check(const struct config *cfg, struct adopt *a, struct imocha_bu_list *bus)
{
	struct imocha client;
	int rc;

	if (adopt_read(a) == -1)
		return EXIT_CONFIG;
	if (a->needs_bus) {
		syncrun_client(cfg, &client);
		/* The file's own faults come first (SPEC.md: 2 before 4). */
		if ((rc = syncrun_fetch_bus(&client, bus)) != 0)
			return a->nfaults > 0 ? EXIT_CONFIG : rc;
		adopt_resolve(a, bus);
	}
	adopt_merge(a);
	return a->nfaults > 0 ? EXIT_CONFIG : 0;
}

int
adopt_run(const struct config *cfg, const char *path)
{
	struct imocha_bu_list bus = { 0 };
	struct adopt a = { .path = path, .col = { -1, -1, -1 } };
	size_t added = 0;
	int rc;

	if ((rc = adopt_check(cfg, &a, &bus)) != 0) {
		adopt_report(&a);
		goto out;
	}
	if (a.nusers == 0)
		log_warnx("%s: no user after the header line", path);
	if ((rc = adopt_record(cfg, &a, &added)) == EXIT_DONE)
		printf("adopt: %zu users in %s: %zu recorded as managed, "
		    "%zu already known to the agent\n", a.nusers, path, added,
		    a.nusers - added);
out:
	imocha_bu_list_release(&bus);
	adopt_release(&a);
	return rc;
}
