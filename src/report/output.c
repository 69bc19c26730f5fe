/* output.c: see output.h. */
#include "report/output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include <cJSON.h>

#include "util/log.h"
#include "plan/mapping.h"
#include "plan/retry.h"
#include "util/xmem.h"


static void
print_json(FILE *fp, cJSON *root)
{
	char *text = cJSON_Print(root);

	if (text == NULL)
		fatalx("cJSON_Print: out of memory");
	fprintf(fp, "%s\n", text);
	cJSON_free(text);
	cJSON_Delete(root);
}

static cJSON *
bu_json(const struct imocha_bu_list *bus, int64_t id)
{
	cJSON *o;

	if (id == BU_NONE)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	if (bu_name_of(bus, id))
		cJSON_AddStringToObject(o, "name", bu_name_of(bus, id));
	else
		cJSON_AddNullToObject(o, "name");
	return o;
}

static void
plan_json(FILE *fp, const struct plan *plan, const struct imocha_bu_list *bus)
{
	cJSON *root = cJSON_CreateObject(), *changes = cJSON_AddArrayToObject(root, "changes");
	cJSON *sum = cJSON_AddObjectToObject(root, "summary"), *notes;
	char *stop = plan_stop_message(plan);

	for (size_t i = 0; i < plan->n; i++) {
		const struct change *c = &plan->changes[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "action", change_kind_str(c->kind));
		cJSON_AddStringToObject(o, "email", c->email);
		cJSON_AddStringToObject(o, "name", c->full_name ? c->full_name : "");
		if (c->entry_id)
			cJSON_AddStringToObject(o, "entry_id", c->entry_id);
		cJSON_AddItemToObject(o, "old_business_unit", bu_json(bus, c->old_bu));
		cJSON_AddItemToObject(o, "new_business_unit", bu_json(bus, c->new_bu));
		cJSON_AddStringToObject(o, "reason", c->reason);
		cJSON_AddItemToArray(changes, o);
	}
	cJSON_AddNumberToObject(sum, "create", (double)plan->creates);
	cJSON_AddNumberToObject(sum, "move", (double)plan->moves);
	cJSON_AddNumberToObject(sum, "deactivate", (double)plan->deactivations);
	cJSON_AddNumberToObject(sum, "reactivate", (double)plan->reactivations);
	cJSON_AddNumberToObject(sum, "in_scope", (double)plan->in_scope);
	cJSON_AddNumberToObject(sum, "skipped", (double)plan->skipped);
	notes = cJSON_AddArrayToObject(root, "notes");
	for (size_t i = 0; i < plan->nnotes; i++)
		cJSON_AddItemToArray(notes, cJSON_CreateString(plan->notes[i]));
	if (stop)
		cJSON_AddStringToObject(root, "stopped_by_limit", stop);
	else
		cJSON_AddNullToObject(root, "stopped_by_limit");
	free(stop);
	print_json(fp, root);
}

static void
change_text(FILE *fp, const struct change *c, const struct imocha_bu_list *bus)
{
	const char *from = bu_name_of(bus, c->old_bu), *to = bu_name_of(bus, c->new_bu);

	fprintf(fp, "%-10s %s \"%s\"", change_kind_str(c->kind), c->email,
	    c->full_name ? c->full_name : "");
	switch (c->kind) {
	case CHANGE_CREATE:
		fprintf(fp, " in business unit %s%s%s", to ? "\"" : "",
		    to ? to : "(iMocha's default)", to ? "\"" : "");
		break;
	case CHANGE_MOVE:
		fprintf(fp, " from business unit %s%s%s to \"%s\"", from ? "\"" : "",
		    from ? from : "(unknown)", from ? "\"" : "", to ? to : "?");
		break;
	case CHANGE_DEACTIVATE:
	case CHANGE_REACTIVATE:
		fprintf(fp, " in business unit %s%s%s", from ? "\"" : "",
		    from ? from : "(unknown)", from ? "\"" : "");
		break;
	}
	fprintf(fp, ": %s\n", c->reason);
}

static void
plan_text(FILE *fp, const struct plan *plan, const struct imocha_bu_list *bus)
{
	char *stop = plan_stop_message(plan);

	for (size_t i = 0; i < plan->n; i++)
		change_text(fp, &plan->changes[i], bus);
	for (size_t i = 0; i < plan->nnotes; i++)
		fprintf(fp, "note: %s\n", plan->notes[i]);
	fprintf(fp, "plan: %zu to create, %zu to move, %zu to deactivate, %zu to reactivate; "
	    "%zu users in scope, %zu entries skipped\n", plan->creates, plan->moves,
	    plan->deactivations, plan->reactivations, plan->in_scope, plan->skipped);
	if (stop)
		fprintf(fp, "limit: %s\n", stop);
	free(stop);
}

void
output_plan(FILE *fp, const struct plan *plan, const struct imocha_bu_list *bus, bool json)
{
	if (json)
		plan_json(fp, plan, bus);
	else
		plan_text(fp, plan, bus);
}

static const char *
iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static const char *const lifecycle_names[LIFE_STATES] = {
	[LIFE_ACTIVE] = "active", [LIFE_INACTIVE] = "inactive",
	[LIFE_PENDING] = "pending", [LIFE_FAILED] = "failed",
};

static cJSON *
last_change_json(const struct last_change *l)
{
	cJSON *o;

	if (l->email == NULL)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "email", l->email);
	cJSON_AddStringToObject(o, "action", l->action ? l->action : "");
	cJSON_AddStringToObject(o, "at", l->at ? l->at : "");
	return o;
}

static cJSON *
run_json(const struct run_record *r)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "command", r->command ? r->command : "");
	cJSON_AddStringToObject(o, "started_at", r->started_at ? r->started_at : "");
	if (r->ended_at)
		cJSON_AddStringToObject(o, "ended_at", r->ended_at);
	else
		cJSON_AddNullToObject(o, "ended_at");
	if (r->exit_status >= 0)
		cJSON_AddNumberToObject(o, "exit_status", r->exit_status);
	else
		cJSON_AddNullToObject(o, "exit_status");
	cJSON_AddNumberToObject(o, "duration_ms", (double)r->duration_ms);
	cJSON_AddNumberToObject(o, "read", (double)r->counts.read);
	cJSON_AddNumberToObject(o, "in_scope", (double)r->counts.in_scope);
	cJSON_AddNumberToObject(o, "created", (double)r->counts.created);
	cJSON_AddNumberToObject(o, "adopted", (double)r->counts.adopted);
	cJSON_AddNumberToObject(o, "moved", (double)r->counts.moved);
	cJSON_AddNumberToObject(o, "deactivated", (double)r->counts.deactivated);
	cJSON_AddNumberToObject(o, "reactivated", (double)r->counts.reactivated);
	cJSON_AddNumberToObject(o, "skipped", (double)r->counts.skipped);
	cJSON_AddNumberToObject(o, "failed", (double)r->counts.failed);
	return o;
}

static void
status_json(FILE *fp, const struct status_report *rep)
{
	cJSON *root = cJSON_CreateObject(), *users = cJSON_AddObjectToObject(root, "users");
	cJSON *dir = cJSON_AddObjectToObject(root, "directory");
	cJSON *runs = cJSON_AddArrayToObject(root, "runs");
	cJSON *fails = cJSON_AddArrayToObject(root, "failures");

	cJSON_AddStringToObject(root, "state_file", rep->state_file);
	cJSON_AddNumberToObject(users, "active", (double)rep->summary.active);
	cJSON_AddNumberToObject(users, "inactive", (double)rep->summary.inactive);
	cJSON_AddNumberToObject(users, "pending", (double)rep->summary.pending);
	cJSON_AddNumberToObject(users, "failed", (double)rep->summary.failed);
	cJSON_AddNumberToObject(dir, "entries", (double)rep->summary.mirror_total);
	cJSON_AddNumberToObject(dir, "in_scope", (double)rep->summary.mirror_in_scope);
	cJSON_AddNumberToObject(dir, "skipped", (double)rep->summary.mirror_skipped);
	cJSON_AddNumberToObject(dir, "audit_misses", (double)rep->summary.audit_misses);
	cJSON_AddNumberToObject(dir, "servers_distrusted",
	    (double)rep->summary.servers_distrusted);
	for (int i = 0; i < LIFE_STATES; i++) {
		char *key = xasprintf("last_%s", lifecycle_names[i]);

		cJSON_AddItemToObject(users, key, last_change_json(&rep->last[i]));
		free(key);
	}
	for (size_t i = 0; i < rep->nruns; i++)
		cJSON_AddItemToArray(runs, run_json(&rep->runs[i]));
	for (size_t i = 0; i < rep->nfailures; i++) {
		const struct failure_record *f = &rep->failures[i];
		cJSON *o = cJSON_CreateObject();
		time_t next;

		cJSON_AddStringToObject(o, "email", f->email);
		cJSON_AddStringToObject(o, "action", f->action);
		cJSON_AddStringToObject(o, "last_error", f->last_error ? f->last_error : "");
		cJSON_AddStringToObject(o, "failed_at", f->failed_at ? f->failed_at : "");
		cJSON_AddNumberToObject(o, "attempts", (double)f->attempts);
		next = retry_next_at(f);
		if (next > 0) {
			char when[32];

			cJSON_AddStringToObject(o, "next_retry_at", iso_time(next, when, sizeof when));
		} else
			cJSON_AddStringToObject(o, "next_retry_at", "next run");
		cJSON_AddItemToArray(fails, o);
	}
	print_json(fp, root);
}

static void
status_text(FILE *fp, const struct status_report *rep)
{
	const struct state_summary *s = &rep->summary;

	fprintf(fp, "state store: %s\n", rep->state_file);
	fprintf(fp, "iMocha users: %ld active, %ld inactive, %ld pending, %ld failed\n",
	    s->active, s->inactive, s->pending, s->failed);
	for (int i = 0; i < LIFE_STATES; i++)
		if (rep->last[i].email != NULL)
			fprintf(fp, "  last %s: %s %s at %s\n", lifecycle_names[i],
			    rep->last[i].action, rep->last[i].email, rep->last[i].at);
	fprintf(fp, "directory (last complete read): %ld entries, %ld in scope, %ld skipped\n",
	    s->mirror_total, s->mirror_in_scope, s->mirror_skipped);
	fprintf(fp, "audits of incremental reads: %ld missed changes found, %ld servers not "
	    "trusted%s\n", s->audit_misses, s->servers_distrusted, s->servers_distrusted > 0 ?
	    " (their reads are in full; 'ldap2imocha reset-trust' clears the verdicts)" : "");
	fprintf(fp, "last runs:\n");
	if (rep->nruns == 0)
		fprintf(fp, "  none yet\n");
	for (size_t i = 0; i < rep->nruns; i++) {
		const struct run_record *r = &rep->runs[i];

		fprintf(fp, "  run %lld %s started %s: ", r->id, r->command ? r->command : "?",
		    r->started_at ? r->started_at : "?");
		if (r->exit_status < 0)
			fprintf(fp, "did not finish\n");
		else
			fprintf(fp, "exit %d in %ld.%03lds; read %ld, in scope %ld, created %ld, "
			    "adopted %ld, moved %ld, deactivated %ld, reactivated %ld, skipped %ld, "
			    "failed %ld\n", r->exit_status, r->duration_ms / 1000, r->duration_ms % 1000,
			    r->counts.read, r->counts.in_scope, r->counts.created, r->counts.adopted,
			    r->counts.moved, r->counts.deactivated, r->counts.reactivated,
			    r->counts.skipped, r->counts.failed);
	}
	fprintf(fp, "failures:%s\n", rep->nfailures ? "" : " none");
	for (size_t i = 0; i < rep->nfailures; i++) {
		const struct failure_record *f = &rep->failures[i];

		time_t next = retry_next_at(f);
		char when[32];

		fprintf(fp, "  %s %s: %s (%ld attempt%s, last at %s; next retry %s)\n", f->action,
		    f->email, f->last_error ? f->last_error : "?", f->attempts,
		    f->attempts == 1 ? "" : "s", f->failed_at ? f->failed_at : "?",
		    next > 0 ? iso_time(next, when, sizeof when) : "on the next run");
	}
}

void
output_status(FILE *fp, const struct status_report *report, bool json)
{
	if (json)
		status_json(fp, report);
	else
		status_text(fp, report);
}

void
output_bu_list(FILE *fp, const struct imocha_bu_list *bus)
{
	fprintf(fp, "%-12s %s\n", "ID", "NAME");
	for (size_t i = 0; i < bus->n; i++)
		fprintf(fp, "%-12" PRId64 " %s\n", bus->items[i].id, bus->items[i].name);
}
