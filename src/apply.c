/* apply.c: see apply.h. */
#include "apply.h"

#include <string.h>

#include "log.h"
#include "mapping.h"
#include "xmem.h"

static const char *
bu_label(const struct imocha_bu_list *bus, int64_t id)
{
	const struct imocha_bu *bu = id == BU_NONE ? NULL : bu_find_id(bus, id);

	return bu ? bu->name : "(none)";
}

/* What iMocha holds once change c succeeded (or was found done). */
static void
known_after(const struct change *c, enum known_origin origin, struct known_user *after)
{
	*after = (struct known_user){ .email_key = c->email_key, .email = c->email,
	    .full_name = c->full_name, .entry_id = c->entry_id, .bu_id = c->new_bu,
	    .status = KNOWN_ACTIVE, .origin = origin };
	if (origin == ORIGIN_ADOPTED) {
		/* The account was there before us: its BU is not known until
		 * the agent sets it (the lifecycle's update after adoption). */
		after->bu_id = BU_NONE;
	}
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

/* Settle one answered change in the journal; log it as one line. */
static int
settle(struct state *st, long long jid, const struct change *c, const struct imocha_result *ir,
    const struct imocha_bu_list *bus, struct apply_result *r)
{
	struct known_user after;
	bool ok = ir->outcome == IMOCHA_DONE;
	bool adopted = c->kind == CHANGE_CREATE && ir->outcome == IMOCHA_EXISTS;
	const char *outcome = adopted ? "adopted" : ok ? "done" : "failed";

	if (ok || adopted)
		known_after(c, adopted ? ORIGIN_ADOPTED : ORIGIN_CREATED, &after);
	if (state_change_settle(st, jid, outcome, ir->http_status, ir->detail,
	    ok || adopted ? &after : NULL) == -1)
		return -1;
	if (ok || adopted) {
		count_success(c, adopted, r);
		log_info("%s %s (%s), business unit %s: %s", change_kind_str(c->kind), c->email,
		    c->reason, bu_label(bus, c->new_bu),
		    adopted ? "already in iMocha, adopted" : "done");
	} else {
		r->failed++;
		log_warnx("%s %s (%s), business unit %s: failed, %s (HTTP %ld): %s; "
		    "retried on the next run", change_kind_str(c->kind), c->email, c->reason,
		    bu_label(bus, c->new_bu), imocha_outcome_str(ir->outcome), ir->http_status,
		    ir->detail);
	}
	return 0;
}

int
apply_plan(const struct plan *plan, struct state *st, const struct imocha *client,
    const struct imocha_bu_list *bus, long long run_id, struct apply_result *res)
{
	*res = (struct apply_result){ 0 };
	for (size_t i = 0; i < plan->n; i++) {
		const struct change *c = &plan->changes[i];
		struct imocha_result ir;
		long long jid;

		if (state_change_intend(st, run_id, c, &jid) == -1) {
			res->state_failed = true;
			return -1;
		}
		call_imocha(client, c, &ir);
		if (settle(st, jid, c, &ir, bus, res) == -1) {
			res->state_failed = true;
			return -1;
		}
		if (ir.outcome == IMOCHA_AUTH) {
			log_errorx("iMocha refused the API key (HTTP %ld: %s); stopping the run, "
			    "%zu changes left for later", ir.http_status, ir.detail, plan->n - i - 1);
			res->auth_failed = true;
			return -1;
		}
	}
	return 0;
}
