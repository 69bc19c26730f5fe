/*
 * output_history.c: see output.h.  `history` prints as it reads, one
 * change at a time, so a long history needs no more memory than one row.
 * It names business units by id only: their names are iMocha's, and
 * history must work while iMocha is down, with no network call.
 */
#include "report/output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "util/log.h"
#include "util/xmem.h"

/* Text output keeps one line per change: a longer answer (an HTML error
 * page, say) is cut here; --json has it whole. */
#define TEXT_ANSWER_MAX 200

struct history_out {
	FILE *fp;
	bool json;
	size_t n;
};

static bool
is_status_change(const char *action)
{
	return strcmp(action, "deactivate") == 0 || strcmp(action, "reactivate") == 0;
}

/* The status a change left and the one it made; NULL for other changes. */
static void
status_pair(const char *action, const char **from, const char **to)
{
	*from = *to = NULL;
	if (strcmp(action, "deactivate") == 0) {
		*from = "Active";
		*to = "Inactive";
	} else if (strcmp(action, "reactivate") == 0) {
		*from = "Inactive";
		*to = "Active";
	}
}

static void
print_bu(FILE *fp, int64_t bu, const char *none)
{
	if (bu == BU_NONE)
		fputs(none, fp);
	else
		fprintf(fp, "%" PRId64, bu);
}

/* What changed: "business unit 1 -> 2", "status Active -> Inactive". */
static void
what_text(FILE *fp, const struct history_entry *e)
{
	const char *from, *to;

	status_pair(e->action, &from, &to);
	if (from != NULL) {
		fprintf(fp, "status %s -> %s", from, to);
		return;
	}
	fputs("business unit ", fp);
	if (strcmp(e->action, "create") == 0) {
		print_bu(fp, e->new_bu, "(iMocha's default)");
		return;
	}
	print_bu(fp, e->old_bu, "?");
	fputs(" -> ", fp);
	print_bu(fp, e->new_bu, "?");
}

/* The answer on one line: control characters become spaces, and past
 * TEXT_ANSWER_MAX bytes it is cut on a character boundary. */
static void
answer_text(FILE *fp, const char *s)
{
	size_t len = strlen(s), i;
	bool cut = len > TEXT_ANSWER_MAX;

	if (cut) {
		len = TEXT_ANSWER_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc(c < 0x20 || c == 0x7f ? ' ' : c, fp);
	}
	if (cut)
		fputs("...", fp);
}

static void
history_line(FILE *fp, const struct history_entry *e)
{
	fprintf(fp, "%s run ", e->intended_at ? e->intended_at : "?");
	if (e->run_id > 0)
		fprintf(fp, "%lld", e->run_id);
	else
		fputc('-', fp);
	fprintf(fp, " %s %s ", e->action, e->email);
	what_text(fp, e);
	fprintf(fp, ": %s", e->outcome);
	if (strcmp(e->outcome, "pending") != 0) {
		if (e->http_status > 0)
			fprintf(fp, " (HTTP %ld)", e->http_status);
		else
			fputs(" (no answer)", fp);
	}
	if (e->answer != NULL && *e->answer != '\0') {
		fputs(": ", fp);
		answer_text(fp, e->answer);
	}
	fputc('\n', fp);
}

static void
add_text_or_null(cJSON *o, const char *key, const char *s)
{
	if (s != NULL)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

/* The shape plan --json uses for a business unit, by id alone. */
static void
add_bu(cJSON *o, const char *key, int64_t bu)
{
	cJSON *b;

	if (bu == BU_NONE) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	b = cJSON_AddObjectToObject(o, key);
	cJSON_AddNumberToObject(b, "id", (double)bu);
}

static cJSON *
history_json(const struct history_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	const char *from, *to;

	cJSON_AddNumberToObject(o, "id", (double)e->id);
	add_text_or_null(o, "at", e->intended_at);
	add_text_or_null(o, "settled_at", e->settled_at);
	if (e->run_id > 0)
		cJSON_AddNumberToObject(o, "run_id", (double)e->run_id);
	else
		cJSON_AddNullToObject(o, "run_id");
	cJSON_AddStringToObject(o, "email", e->email);
	cJSON_AddStringToObject(o, "action", e->action);
	add_text_or_null(o, "entry_id", e->entry_id);
	add_text_or_null(o, "reason", e->reason);
	add_bu(o, "old_business_unit", is_status_change(e->action) ? BU_NONE : e->old_bu);
	add_bu(o, "new_business_unit", is_status_change(e->action) ? BU_NONE : e->new_bu);
	status_pair(e->action, &from, &to);
	add_text_or_null(o, "old_status", from);
	add_text_or_null(o, "new_status", to);
	cJSON_AddStringToObject(o, "outcome", e->outcome);
	if (e->http_status > 0)
		cJSON_AddNumberToObject(o, "http_status", (double)e->http_status);
	else
		cJSON_AddNullToObject(o, "http_status");
	add_text_or_null(o, "answer", e->answer);
	return o;
}

/* state_history's callback: one change, as it is read. */
static int
history_each(const struct history_entry *e, void *arg)
{
	struct history_out *out = arg;
	cJSON *o;
	char *text;

	if (e->action == NULL || e->email == NULL || e->outcome == NULL) {
		log_errorx("history: journal row %lld is incomplete", e->id);
		return -1;
	}
	if (!out->json) {
		history_line(out->fp, e);
		out->n++;
		return 0;
	}
	o = history_json(e);
	if ((text = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("cJSON_PrintUnformatted: out of memory");
	/* One object a line: the array stays valid JSON and easy to grep. */
	fprintf(out->fp, "%s%s", out->n++ > 0 ? ",\n" : "\n", text);
	cJSON_free(text);
	cJSON_Delete(o);
	return 0;
}

int
output_history(FILE *fp, struct state *st, const struct history_filter *f, bool json)
{
	struct history_out out = { .fp = fp, .json = json };
	int rc;

	if (json)
		fputc('[', fp);
	rc = state_history(st, f, history_each, &out);
	if (json)
		fputs(out.n > 0 ? "\n]\n" : "]\n", fp);
	if (rc == 0 && out.n == 0)
		log_info("history: no change recorded%s", f->has_since || f->email ?
		    " that matches" : " yet");
	return rc;
}
