/* apply.c: see apply.h. */
#include "sync/apply.h"

#include <stdlib.h>
#include <string.h>

#include "imocha/httppool.h"
#include "util/log.h"
#include "plan/mapping.h"
#include "util/progress.h"
#include "util/xmem.h"

struct flight;

struct applier {
	struct flight *live;	/* submitted, not yet landed: freed if abandoned */
	struct state *st;
	const struct imocha *client;
	const struct imocha_bu_list *bus;
	long long run_id;
	struct apply_result *res;
};

static const char *
bu_label(const struct imocha_bu_list *bus, int64_t id)
{
	const char *name = bu_name_of(bus, id);

	return name ? name : "(none)";
}

/*
 * What iMocha holds once change c succeeded: the known record as it is
 * now (earlier changes of this run included) with c's effect on it.  The
 * strings are borrowed from *current and c; release *current after use.
 */
static int
known_after(struct state *st, const struct change *c, bool adopted,
    struct known_user *current, struct known_user *after)
{
	int found = state_known_get(st, c->email_key, current);

	if (found == -1)
		return -1;
	*after = *current;
	if (!found)
		*after = (struct known_user){ .email_key = c->email_key, .email = c->email,
		    .bu_id = BU_NONE, .status = KNOWN_ACTIVE, .origin = ORIGIN_CREATED };
	if (c->entry_id != NULL)
		after->entry_id = c->entry_id;
	if (c->full_name != NULL)
		after->full_name = c->full_name;
	switch (c->kind) {
	case CHANGE_CREATE:
		after->status = KNOWN_ACTIVE;
		after->origin = adopted ? ORIGIN_ADOPTED : ORIGIN_CREATED;
		/* An adopted account's BU is unknown until the agent sets it. */
		after->bu_id = adopted ? BU_NONE : c->new_bu;
		break;
	case CHANGE_MOVE:
		after->bu_id = c->new_bu;
		break;
	case CHANGE_DEACTIVATE:
		after->status = KNOWN_INACTIVE;
		break;
	case CHANGE_REACTIVATE:
		after->status = KNOWN_ACTIVE;
		break;
	}
	return 0;
}

static void
count_success(const struct change *c, bool adopted, struct apply_result *r)
{
	if (adopted) {
		r->adopted++;
		return;
	}
	switch (c->kind) {
	case CHANGE_CREATE:
		r->created++;
		break;
	case CHANGE_MOVE:
		r->moved++;
		break;
	case CHANGE_DEACTIVATE:
		r->deactivated++;
		break;
	case CHANGE_REACTIVATE:
		r->reactivated++;
		break;
	}
}

static void
log_change(const struct applier *a, const struct change *c, const struct imocha_result *ir,
    bool adopted)
{
	const char *bu = bu_label(a->bus, c->new_bu);

	if (ir->outcome == IMOCHA_DONE || adopted)
		log_info("%s %s (%s), business unit %s: %s", change_kind_str(c->kind), c->email,
		    c->reason, bu, adopted ? "already in iMocha, adopted" : "done");
	else
		log_warnx("%s %s (%s), business unit %s: failed, %s (HTTP %ld): %s; "
		    "retried on the next run", change_kind_str(c->kind), c->email, c->reason, bu,
		    imocha_outcome_str(ir->outcome), ir->http_status, ir->detail);
}

/* Settle one answered change in the journal, with the known user it made. */
static int
settle(struct applier *a, long long jid, const struct change *c, const struct imocha_result *ir,
    bool adopted)
{
	struct known_user current, after;
	bool ok = ir->outcome == IMOCHA_DONE || adopted;
	int rc;

	if (!ok) {
		a->res->failed++;
		return state_change_settle(a->st, jid, "failed", ir->http_status, ir->detail, NULL);
	}
	if (known_after(a->st, c, adopted, &current, &after) == -1)
		return -1;
	rc = state_change_settle(a->st, jid, adopted ? "adopted" : "done", ir->http_status,
	    ir->detail, &after);
	state_known_release(&current);
	if (rc == 0)
		count_success(c, adopted, a->res);
	return rc;
}

/* One change on its way: what the answer will be settled against. */
struct flight {
	struct change change;		/* owned */
	bool followup;			/* not one of the plan's: not in its count */
	struct imocha_call call;
	long long jid;
	struct flight *next;		/* the follow-up queue */
	struct flight *live_prev, *live_next;
};

static void
live_add(struct applier *a, struct flight *f)
{
	f->live_next = a->live;
	if (a->live != NULL)
		a->live->live_prev = f;
	a->live = f;
}

static void
live_remove(struct applier *a, struct flight *f)
{
	if (f->live_prev != NULL)
		f->live_prev->live_next = f->live_next;
	else
		a->live = f->live_next;
	if (f->live_next != NULL)
		f->live_next->live_prev = f->live_prev;
}

static void
flight_free(struct flight *f)
{
	imocha_call_release(&f->call);
	change_release(&f->change);
	free(f);
}

/* Journal c, then queue its request.  A change that cannot even be sent
 * (a text iMocha would refuse) is settled as failed at once. */
static int
submit(struct applier *a, struct flight *f)
{
	struct imocha_result ir;

	if (state_change_intend(a->st, a->run_id, &f->change, &f->jid) == -1) {
		flight_free(f);
		return -1;
	}
	if (imocha_call_build(&f->change, &f->call, &ir) == -1) {
		int rc = settle(a, f->jid, &f->change, &ir, false);

		if (!f->followup)
			progress_tick();
		log_change(a, &f->change, &ir, false);
		flight_free(f);
		return rc;
	}
	imocha_call_submit(a->client, &f->call, f);
	live_add(a, f);
	return 0;
}

/* SPEC.md, Adoption: an account found already there is put in the
 * business unit its OU maps to (no status call: it must be active). */
static struct flight *
adopt_followup(const struct change *create)
{
	struct flight *f;

	if (create->new_bu == BU_NONE)
		return NULL;
	f = xcalloc(1, sizeof *f);
	f->followup = true;
	f->change = (struct change){ .kind = CHANGE_MOVE, .email = xstrdup(create->email),
	    .email_key = xstrdup(create->email_key), .entry_id = xstrdup(create->entry_id),
	    .full_name = xstrdup(create->full_name), .old_bu = BU_NONE,
	    .new_bu = create->new_bu,
	    .reason = xstrdup("adopted: placed in the business unit of its OU") };
	return f;
}

/* The final answer of f: settle it, log it, maybe queue a follow-up. */
static int
land(struct applier *a, struct flight *f, int err, struct http_response *resp,
    struct flight **followups)
{
	struct imocha_result ir;
	bool adopted;
	int rc;

	live_remove(a, f);
	imocha_call_result(&f->call, err, resp, &ir);
	http_response_release(resp);
	adopted = f->change.kind == CHANGE_CREATE && ir.outcome == IMOCHA_EXISTS;
	rc = settle(a, f->jid, &f->change, &ir, adopted);
	if (!f->followup)
		progress_tick();
	if (rc == 0)
		log_change(a, &f->change, &ir, adopted);
	if (ir.outcome == IMOCHA_AUTH && !a->res->auth_failed) {
		log_errorx("iMocha refused the request (HTTP %ld: %s); sending nothing more "
		    "this run", ir.http_status, ir.detail);
		a->res->auth_failed = true;
	}
	if (rc == 0 && adopted) {
		struct flight *next = adopt_followup(&f->change);

		if (next != NULL) {
			next->next = *followups;
			*followups = next;
		}
	}
	flight_free(f);
	return rc;
}

/* The next change to send, follow-ups first, then the plan's (its
 * joiners loaded one by one here): 1 with *out, 0 none left, -1 a joiner
 * could not be loaded. */
static int
next_flight(const struct plan *plan, struct plan_cursor *cur, struct flight **followups,
    struct flight **out)
{
	struct flight *f = *followups;
	int rc;

	if (f != NULL) {
		*followups = f->next;
		f->next = NULL;
		*out = f;
		return 1;
	}
	f = xcalloc(1, sizeof *f);
	if ((rc = plan_next(plan, cur, &f->change)) != 1) {
		free(f);
		return rc;
	}
	*out = f;
	return 1;
}

/* What never landed: its journal rows stay intended, for the next run. */
static void
abandon(struct applier *a, struct flight *followups)
{
	while (followups != NULL) {
		struct flight *next = followups->next;

		flight_free(followups);
		followups = next;
	}
	/* The whole list goes: no unlinking one by one. */
	while (a->live != NULL) {
		struct flight *f = a->live;

		a->live = f->live_next;
		flight_free(f);
	}
}

int
apply_plan(const struct plan *plan, struct state *st, const struct imocha *client,
    const struct imocha_bu_list *bus, long long run_id, struct apply_result *res)
{
	struct applier a = { .st = st, .client = client, .bus = bus, .run_id = run_id,
	    .res = res };
	struct flight *followups = NULL, *f;
	struct plan_cursor cur = { 0 };
	size_t taken = 0, total = plan_size(plan);
	int rc = 0, more;

	*res = (struct apply_result){ 0 };
	progress_start((long)total);
	for (;;) {
		struct http_response resp;
		void *tag;
		int err;
		enum http_pool_event ev;

		more = 0;
		while (!res->auth_failed && http_pool_has_room(client->pool) &&
		    (more = next_flight(plan, &cur, &followups, &f)) == 1) {
			taken += !f->followup;
			if (submit(&a, f) == -1)
				goto state_failed;
		}
		if (more == -1)
			goto state_failed;
		ev = http_pool_wait(client->pool, &tag, &err, &resp);
		if (ev == HTTP_POOL_DONE) {
			if (land(&a, tag, err, &resp, &followups) == -1)
				goto state_failed;
			continue;
		}
		if (ev == HTTP_POOL_IDLE && !res->auth_failed && (taken < total || followups))
			continue;
		res->unreachable = ev == HTTP_POOL_UNREACHABLE;
		res->stopped = ev == HTTP_POOL_STOPPED;
		break;
	}
	if (res->unreachable)
		log_errorx("iMocha is unreachable; stopping the run: %zu changes not sent, and "
		    "those in flight are settled by the next run", total - taken);
	if (res->unreachable || res->stopped || res->auth_failed)
		rc = -1;
	progress_end();
	abandon(&a, followups);
	plan_cursor_release(&cur);
	return rc;
state_failed:
	res->state_failed = true;
	progress_end();
	abandon(&a, followups);
	plan_cursor_release(&cur);
	return -1;
}
