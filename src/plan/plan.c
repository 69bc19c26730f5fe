/*
 * plan.c: see plan.h.  The plan is a merge of two streams ordered by
 * e-mail key, desired users (the entries read that have an e-mail, usable
 * or not) and known iMocha users, one record of each at a time, with
 * look-ups by directory entry id so that an entry whose e-mail changed is
 * told apart from a leaver and a joiner.  Memory grows with the changes
 * planned, not with the directory.
 */
#include "plan/plan_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xmem.h"

struct planner {
	const struct plan_source *src;
	const struct plan_settings *s;
	struct plan *out;
	size_t cap, notes_cap, joiners_cap;
	struct desired_user next;	/* the desired stream's next record */
	bool has_next;
	bool failed;			/* a source call failed: no plan */
};

static void
plan_count(struct plan *p, enum change_kind kind)
{
	switch (kind) {
	case CHANGE_CREATE:
		p->creates++;
		break;
	case CHANGE_MOVE:
		p->moves++;
		break;
	case CHANGE_DEACTIVATE:
		p->deactivations++;
		break;
	case CHANGE_REACTIVATE:
		p->reactivations++;
		break;
	}
}

/* Add one change for desired user d and/or known user k; takes reason. */
static void
plan_add(struct planner *pl, enum change_kind kind, const struct desired_user *d,
    const struct known_user *k, char *reason)
{
	struct plan *p = pl->out;
	struct change *c;

	xgrow(&p->changes, &pl->cap, p->n + 1, sizeof *p->changes);
	c = &p->changes[p->n++];
	*c = (struct change){ .kind = kind };
	/* A deactivation concerns the account iMocha holds: its own e-mail. */
	if (kind == CHANGE_DEACTIVATE || d == NULL) {
		c->email = xstrdup(k->email);
		c->email_key = xstrdup(k->email_key);
	} else {
		c->email = xstrdup(d->email);
		c->email_key = xstrdup(d->email_key);
	}
	c->entry_id = xstrdup(d ? d->entry_id : k->entry_id);
	c->full_name = xstrdup(d && kind != CHANGE_DEACTIVATE ? d->name : k->full_name);
	c->old_bu = k ? k->bu_id : BU_NONE;
	c->new_bu = kind == CHANGE_DEACTIVATE || d == NULL ? c->old_bu : d->bu_id;
	c->reason = reason;
	plan_count(p, kind);
}

static void
plan_note(struct planner *pl, char *note)
{
	struct plan *p = pl->out;

	xgrow(&p->notes, &pl->notes_cap, p->nnotes + 1, sizeof *p->notes);
	p->notes[p->nnotes++] = note;
}

/* A source's answer: 1 found, 0 not; -1 ends the plan. */
static bool
source_ok(struct planner *pl, int rc)
{
	if (rc == -1)
		pl->failed = true;
	return rc == 1;
}

/* ---- the rules of SPEC.md, one key at a time ---- */

/* A usable directory user iMocha does not hold: a joiner, or the new
 * address of an entry whose e-mail changed. */
static void
plan_new(struct planner *pl, const struct desired_user *d)
{
	struct known_user before;

	/* Nobody known (a first sync): no look-up per user. */
	if (d->entry_id != NULL && pl->src->managed > 0 &&
	    source_ok(pl, pl->src->known_by_id(pl->src->ctx, d->entry_id, &before))) {
		bool moved = strcmp(before.email_key, d->email_key) != 0;

		if (moved)
			plan_add(pl, CHANGE_CREATE, d, NULL, xasprintf("e-mail changed from %s "
			    "in the directory; iMocha cannot rename, so a new account is created",
			    before.email));
		state_known_release(&before);
		if (moved)
			return;
	}
	if (d->stage_ref != 0 && pl->src->desired_by_ref != NULL) {
		struct plan *p = pl->out;

		xgrow(&p->joiners, &pl->joiners_cap, p->njoiners + 1, sizeof *p->joiners);
		p->joiners[p->njoiners++] = d->stage_ref;
		plan_count(p, CHANGE_CREATE);
		return;
	}
	plan_add(pl, CHANGE_CREATE, d, NULL, xstrdup("joined"));
}

/* A usable directory user iMocha holds: reactivate, move, or nothing. */
static void
plan_matched(struct planner *pl, const struct desired_user *d, const struct known_user *k)
{
	if (k->status == KNOWN_INACTIVE && pl->s->deactivate)
		plan_add(pl, CHANGE_REACTIVATE, d, k, xstrdup("returned to the directory scope"));
	if (d->bu_id != BU_NONE && d->bu_id != k->bu_id)
		plan_add(pl, CHANGE_MOVE, d, k, xstrdup(k->bu_id == BU_NONE ?
		    "adopted: placed in the business unit of its OU" :
		    "its OU now maps to another business unit"));
	if (d->name_was != NULL)
		plan_note(pl, xasprintf("%s: display name changed from \"%s\" to \"%s\" in the "
		    "directory; iMocha cannot rename users, so it is only recorded", d->email,
		    d->name_was, d->name));
}

/* An active iMocha user whose entry, found by id, has another e-mail now. */
static void
plan_email_changed(struct planner *pl, const struct known_user *k,
    const struct desired_user *entry)
{
	/* The old account goes, the new one is created by plan_new.  The
	 * pair counts toward both limits. */
	if (pl->s->deactivate)
		plan_add(pl, CHANGE_DEACTIVATE, NULL, k, xasprintf("e-mail changed to %s in the "
		    "directory; iMocha cannot rename, so the old account is deactivated",
		    entry->email));
	else
		plan_note(pl, xasprintf("%s: e-mail changed to %s in the directory; the old "
		    "account stays active because deactivate = no", k->email, entry->email));
}

/* An iMocha user no usable directory user holds.  held: an entry with
 * that e-mail is in scope but unusable (unmapped, shared e-mail...): it
 * stays as it is, and its skip line reports it. */
static void
plan_unmatched(struct planner *pl, const struct known_user *k, bool held)
{
	struct desired_user entry;

	if (k->status == KNOWN_INACTIVE || held)
		return;
	if (k->entry_id != NULL &&
	    source_ok(pl, pl->src->desired_by_id(pl->src->ctx, k->entry_id, &entry))) {
		/* Same entry, another e-mail, or an entry now unusable. */
		if (entry.problem == NULL)
			plan_email_changed(pl, k, &entry);
		desired_user_release(&entry);
		return;
	}
	if (!pl->s->deactivate || pl->failed)
		return;
	plan_add(pl, CHANGE_DEACTIVATE, NULL, k, xstrdup(k->entry_id == NULL &&
	    k->origin == ORIGIN_IMPORTED ? "adopted from iMocha's export but not in the "
	    "directory scope" : "left the directory scope (deleted, moved out of base_dn, "
	    "or disabled)"));
	pl->out->changes[pl->out->n - 1].left = true;
}

static void
want_advance(struct planner *pl)
{
	desired_user_release(&pl->next);
	pl->has_next = source_ok(pl, pl->src->next_desired(pl->src->ctx, &pl->next));
}

/* Advance past the desired records holding key; *usable gets the usable
 * one (at most one: two entries sharing an e-mail are both unusable). */
static bool
take_key(struct planner *pl, const char *key, struct desired_user *usable)
{
	bool found = false;

	while (pl->has_next && strcmp(pl->next.email_key, key) == 0) {
		if (pl->next.problem == NULL && !found) {
			*usable = pl->next;
			pl->next = (struct desired_user){ 0 };
			found = true;
		}
		want_advance(pl);
	}
	return found;
}

/* Visit every e-mail key of either stream once. */
static void
plan_merge(struct planner *pl)
{
	struct known_user k;
	bool has_k;

	want_advance(pl);
	has_k = source_ok(pl, pl->src->next_known(pl->src->ctx, &k));
	while (!pl->failed && (pl->has_next || has_k)) {
		struct desired_user usable = { 0 };
		char *key = NULL;
		bool found = false;
		int cmp = !pl->has_next ? 1 : !has_k ? -1 : strcmp(pl->next.email_key, k.email_key);

		if (cmp <= 0) {
			key = xstrdup(pl->next.email_key);
			found = take_key(pl, key, &usable);
			free(key);
		}
		if (cmp < 0) {
			if (found)
				plan_new(pl, &usable);
		} else {
			if (found)
				plan_matched(pl, &usable, &k);
			else
				plan_unmatched(pl, &k, cmp == 0);
			state_known_release(&k);
			has_k = source_ok(pl, pl->src->next_known(pl->src->ctx, &k));
		}
		desired_user_release(&usable);
	}
	if (has_k)
		state_known_release(&k);
	desired_user_release(&pl->next);
}

/* Deactivations first (they free seats), then reactivations before the
 * moves of the same users, then creates; e-mail key order within each. */
int
change_order(const void *a, const void *b)
{
	static const int rank[] = { [CHANGE_DEACTIVATE] = 0, [CHANGE_REACTIVATE] = 1,
	    [CHANGE_MOVE] = 2, [CHANGE_CREATE] = 3 };
	const struct change *x = a, *y = b;

	if (rank[x->kind] != rank[y->kind])
		return rank[x->kind] - rank[y->kind];
	return strcmp(x->email_key, y->email_key);
}

void
plan_verdict(struct plan *p, const struct plan_settings *s)
{
	p->create_limit = limit_resolve(&s->max_creates, p->in_scope);
	p->deactivation_limit = limit_resolve(&s->max_deactivations, p->managed_active);
	p->deactivated_last_day = s->deactivated_last_day;
	p->day_limit = s->max_deactivations_per_day == NULL ? 0 :
	    limit_resolve(s->max_deactivations_per_day, p->managed_active);
	free((char *)p->stop_group.dn);
	p->stop_group = (struct group_count){ 0 };
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct group_count *g = &s->groups[i];

		if (g->now == 0)
			p->stop = PLAN_STOP_GROUP_EMPTY;
		else if (g->known && g->was > g->now && g->was - g->now > p->deactivation_limit)
			p->stop = PLAN_STOP_GROUP_SHRANK;
		else
			continue;
		p->stop_group = *g;
		p->stop_group.dn = xstrdup(g->dn);
		return;
	}
	if (p->in_scope == 0 && p->managed > 0)
		p->stop = PLAN_STOP_EMPTY_READ;
	else if (p->creates > p->create_limit)
		p->stop = PLAN_STOP_CREATES;
	else if (p->deactivations > p->deactivation_limit)
		p->stop = PLAN_STOP_DEACTIVATIONS;
	else if (s->max_deactivations_per_day != NULL && p->deactivations > 0 &&
	    p->deactivations + s->deactivated_last_day > p->day_limit)
		p->stop = PLAN_STOP_DEACTIVATIONS_DAY;
	else
		p->stop = PLAN_GO;
}

int
plan_build_from(const struct plan_source *src, const struct plan_settings *settings,
    struct plan *out)
{
	struct planner pl = { .src = src, .s = settings, .out = out };

	*out = (struct plan){ .in_scope = src->usable, .skipped = src->entries - src->usable,
	    .managed = src->managed, .managed_active = src->managed_active,
	    .load_ctx = src->ctx, .load = src->desired_by_ref };
	plan_merge(&pl);
	if (pl.failed) {
		plan_release(out);
		return -1;
	}
	if (out->n > 1)
		qsort(out->changes, out->n, sizeof *out->changes, change_order);
	plan_verdict(out, settings);
	return 0;
}

void
plan_release(struct plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		change_release(&plan->changes[i]);
	for (size_t i = 0; i < plan->nnotes; i++)
		free(plan->notes[i]);
	free(plan->changes);
	free(plan->joiners);
	free(plan->notes);
	free((char *)plan->stop_group.dn);
	*plan = (struct plan){ 0 };
}

/* What to do past a limit: review exactly what would be applied, then
 * apply exactly that (SPEC.md, Safety limits). */
#define REVIEW_ADVICE "review the plan with 'ldap2imocha plan --out FILE', then apply " \
	"exactly that plan with 'ldap2imocha sync --plan FILE --force'"

char *
plan_stop_message(const struct plan *p)
{
	switch (p->stop) {
	case PLAN_GO:
		break;
	case PLAN_STOP_CREATES:
		return xasprintf("max_creates stops this run: %zu creates planned, %lu allowed; "
		    REVIEW_ADVICE ", or raise [sync] max_creates", p->creates, p->create_limit);
	case PLAN_STOP_DEACTIVATIONS:
		return xasprintf("max_deactivations stops this run: %zu deactivations planned, "
		    "%lu allowed; " REVIEW_ADVICE ", or raise [sync] max_deactivations",
		    p->deactivations, p->deactivation_limit);
	case PLAN_STOP_DEACTIVATIONS_DAY:
		return xasprintf("max_deactivations_per_day stops this run: %zu deactivations "
		    "planned and %zu sent in the last 24 hours, %lu allowed over any 24 hours; "
		    REVIEW_ADVICE ", or raise [sync] max_deactivations_per_day",
		    p->deactivations, p->deactivated_last_day, p->day_limit);
	case PLAN_STOP_GROUP_EMPTY:
		return xasprintf("group_dn %s reads with no member under base_dn, which would "
		    "take every user it held out of scope: an ACL hiding its member values, or "
		    "a script rebuilding it, reads so too; if it really is empty, "
		    REVIEW_ADVICE, p->stop_group.dn);
	case PLAN_STOP_GROUP_SHRANK:
		return xasprintf("group_dn %s has %zu member%s, %zu at the last read: it lost "
		    "%zu, more than max_deactivations allows (%lu) in one run; "
		    REVIEW_ADVICE ", or raise [sync] max_deactivations", p->stop_group.dn,
		    p->stop_group.now, p->stop_group.now == 1 ? "" : "s", p->stop_group.was,
		    p->stop_group.was - p->stop_group.now, p->deactivation_limit);
	case PLAN_STOP_EMPTY_READ:
		return xasprintf("the directory read found no user in scope while the agent "
		    "manages %zu; check base_dn and user_filter; if the directory really is "
		    "empty, " REVIEW_ADVICE, p->managed);
	}
	return NULL;
}

static int
change_ptr_order(const void *a, const void *b)
{
	return change_order(*(const struct change *const *)a, *(const struct change *const *)b);
}

/* Mark in keep[] the plan's changes equal to the saved ones: both sorted
 * in plan order, then merged.  Returns the saved index of the first one
 * the plan does not hold, or -1. */
static long
match_saved(const struct plan *plan, const struct change *saved, size_t nsaved, bool *keep)
{
	const struct change **sorted = xcalloc(nsaved + 1, sizeof *sorted);
	size_t j = 0;
	long missing = -1;

	for (size_t i = 0; i < nsaved; i++)
		sorted[i] = &saved[i];
	if (nsaved > 1)
		qsort(sorted, nsaved, sizeof *sorted, change_ptr_order);
	for (size_t i = 0; i < nsaved && missing == -1; i++) {
		while (j < plan->n && change_order(&plan->changes[j], sorted[i]) < 0)
			j++;
		if (j < plan->n && change_order(&plan->changes[j], sorted[i]) == 0 &&
		    plan->changes[j].old_bu == sorted[i]->old_bu &&
		    plan->changes[j].new_bu == sorted[i]->new_bu)
			keep[j] = true;
		else
			missing = (long)(sorted[i] - saved);
	}
	free(sorted);
	return missing;
}

void
plan_keep(struct plan *plan, const bool *keep, const struct plan_settings *settings)
{
	size_t out = 0;

	plan->creates = plan->moves = plan->deactivations = plan->reactivations = 0;
	for (size_t j = 0; j < plan->n; j++) {
		if (!keep[j]) {
			change_release(&plan->changes[j]);
			continue;
		}
		plan->changes[out++] = plan->changes[j];
		plan_count(plan, plan->changes[j].kind);
	}
	plan->n = out;
	plan->creates += plan->njoiners;
	plan_verdict(plan, settings);
}

long
plan_restrict(struct plan *plan, const struct change *saved, size_t nsaved,
    const struct plan_settings *settings)
{
	bool *keep;
	long missing;

	if (plan->njoiners > 0)
		fatalx("plan_restrict: the plan holds joiners by reference");
	keep = xcalloc(plan->n + 1, sizeof *keep);
	missing = match_saved(plan, saved, nsaved, keep);

	if (missing == -1)
		plan_keep(plan, keep, settings);
	free(keep);
	return missing;
}
