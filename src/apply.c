/* apply.c: see apply.h. */
#include "apply.h"

#include <string.h>

#include "log.h"
#include "mapping.h"
#include "xmem.h"

struct applier {
	struct state *st;
	const struct imocha *client;
	const struct imocha_bu_list *bus;
	long long run_id;
	struct apply_result *res;
};

static const char *
bu_label(const struct imocha_bu_list *bus, int64_t id)
{
	const struct imocha_bu *bu = id == BU_NONE ? NULL : bu_find_id(bus, id);

	return bu ? bu->name : "(none)";
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

static int
call_imocha(const struct imocha *client, const struct change *c, struct imocha_result *res)
{
	switch (c->kind) {
	case CHANGE_CREATE:
		return imocha_user_create(client, c->email, c->full_name, c->new_bu, res);
	case CHANGE_MOVE:
		return imocha_user_update_bu(client, c->email, c->new_bu, res);
	case CHANGE_DEACTIVATE:
		return imocha_user_set_status(client, c->email, false, res);
	case CHANGE_REACTIVATE:
		return imocha_user_set_status(client, c->email, true, res);
	}
	fatalx("call_imocha: change kind %d", (int)c->kind);
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

/* Journal, send and settle one change.  Returns its outcome, or -1 when
 * the state store failed (the run must stop). */
static int
apply_one(struct applier *a, const struct change *c)
{
	struct imocha_result ir;
	long long jid;
	bool adopted;

	if (state_change_intend(a->st, a->run_id, c, &jid) == -1)
		return -1;
	call_imocha(a->client, c, &ir);
	adopted = c->kind == CHANGE_CREATE && ir.outcome == IMOCHA_EXISTS;
	if (settle(a, jid, c, &ir, adopted) == -1)
		return -1;
	log_change(a, c, &ir, adopted);
	return adopted ? (int)IMOCHA_EXISTS : (int)ir.outcome;
}

/* SPEC.md, Adoption: an account found already there is put in the
 * business unit its OU maps to (no status call: it must be active). */
static int
adopt_followup(struct applier *a, const struct change *create)
{
	struct change move = *create;

	if (create->new_bu == BU_NONE)
		return IMOCHA_DONE;
	move.kind = CHANGE_MOVE;
	move.old_bu = BU_NONE;
	move.reason = "adopted: placed in the business unit of its OU";
	return apply_one(a, &move);
}

int
apply_plan(const struct plan *plan, struct state *st, const struct imocha *client,
    const struct imocha_bu_list *bus, long long run_id, struct apply_result *res)
{
	struct applier a = { .st = st, .client = client, .bus = bus, .run_id = run_id,
	    .res = res };

	*res = (struct apply_result){ 0 };
	for (size_t i = 0; i < plan->n; i++) {
		int outcome = apply_one(&a, &plan->changes[i]);

		if (outcome == IMOCHA_EXISTS)
			outcome = adopt_followup(&a, &plan->changes[i]);
		if (outcome == -1) {
			res->state_failed = true;
			return -1;
		}
		if (outcome == IMOCHA_AUTH) {
			log_errorx("iMocha refused the request (see above); stopping the run, "
			    "%zu changes left for the next run", plan->n - i - 1);
			res->auth_failed = true;
			return -1;
		}
	}
	return 0;
}
