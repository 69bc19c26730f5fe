/*
 * plan_joiners.c: the creates a plan holds by reference (plan.h) and
 * what needs them loaded: walking the plan in order, making them whole
 * changes, and leaving out those that wait for their retry time.
 */
#include "plan/plan_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xmem.h"

size_t
plan_size(const struct plan *plan)
{
	return plan->n + plan->njoiners;
}

/* Joiner ref as the create plan.c would have made of it. */
static int
joiner_load(const struct plan *plan, int64_t ref, struct change *out)
{
	struct desired_user d;
	char *why = NULL;
	int rc = plan->load(plan->load_ctx, ref, &d);

	if (rc == -1)
		return -1;
	/* The source is read only while the plan is used: a row gone, or
	 * one the planner would not have made a create of, is a fault of
	 * the agent's own, and nothing more is sent. */
	if (rc == 0 || d.email_key == NULL || d.problem != NULL) {
		log_errorx("a planned create (row %lld of the read stage) is no longer as it was "
		    "planned; nothing more is sent this run: a fault of ldap2imocha's own, "
		    "please report it", (long long)ref);
		if (rc == 1)
			desired_user_release(&d);
		return -1;
	}
	if (plan->explain != NULL)
		why = plan->explain(plan->explain_ctx, &d, "joined");
	*out = (struct change){ .kind = CHANGE_CREATE, .email = d.email,
	    .email_key = d.email_key, .entry_id = d.entry_id, .full_name = d.name,
	    .old_bu = BU_NONE, .new_bu = d.bu_id, .reason = why ? why : xstrdup("joined") };
	d.email = d.email_key = d.entry_id = d.name = NULL;	/* now the change's */
	desired_user_release(&d);
	return 0;
}

int
plan_next(const struct plan *plan, struct plan_cursor *cur, struct change *out)
{
	const struct change *c = cur->i < plan->n ? &plan->changes[cur->i] : NULL;

	/* Every change but a create comes before the creates. */
	if (c != NULL && c->kind != CHANGE_CREATE) {
		cur->i++;
		change_copy(out, c);
		return 1;
	}
	if (!cur->has_joiner && cur->j < plan->njoiners) {
		if (joiner_load(plan, plan->joiners[cur->j], &cur->joiner) == -1)
			return -1;
		cur->j++;
		cur->has_joiner = true;
	}
	/* The creates of changes[] and the joiners, merged by key (no key
	 * is planned twice). */
	if (c != NULL && (!cur->has_joiner || strcmp(c->email_key, cur->joiner.email_key) < 0)) {
		cur->i++;
		change_copy(out, c);
		return 1;
	}
	if (!cur->has_joiner)
		return 0;
	*out = cur->joiner;
	cur->joiner = (struct change){ 0 };
	cur->has_joiner = false;
	return 1;
}

void
plan_cursor_release(struct plan_cursor *cur)
{
	if (cur->has_joiner)
		change_release(&cur->joiner);
	*cur = (struct plan_cursor){ 0 };
}

int
plan_materialize(struct plan *plan)
{
	struct change *all;
	size_t n = plan->n;

	if (plan->njoiners == 0)
		return 0;
	all = xcalloc(plan->n + plan->njoiners, sizeof *all);
	if (plan->n > 0)
		memcpy(all, plan->changes, plan->n * sizeof *all);
	for (size_t j = 0; j < plan->njoiners; j++)
		if (joiner_load(plan, plan->joiners[j], &all[n++]) == -1) {
			for (size_t k = plan->n; k < n - 1; k++)
				change_release(&all[k]);
			free(all);
			return -1;
		}
	free(plan->changes);
	free(plan->joiners);
	plan->changes = all;
	plan->n = n;
	plan->joiners = NULL;
	plan->njoiners = 0;
	qsort(plan->changes, plan->n, sizeof *plan->changes, change_order);
	return 0;
}

static int
key_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* The index of the joiner with e-mail key, by bisection (joiners are in
 * key order), loading O(log n) of them: *at, or SIZE_MAX when there is
 * none.  0, or -1 when one cannot be loaded. */
static int
joiner_find(const struct plan *plan, const char *key, size_t *at)
{
	size_t lo = 0, hi = plan->njoiners;

	*at = SIZE_MAX;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct change c;
		int cmp;

		if (joiner_load(plan, plan->joiners[mid], &c) == -1)
			return -1;
		cmp = strcmp(key, c.email_key);
		change_release(&c);
		if (cmp == 0) {
			*at = mid;
			return 0;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Drop the joiners of keys; how many, or -1.  Found first, dropped
 * after: the bisection must not meet a hole. */
static long
joiners_defer(struct plan *plan, char *const *keys, size_t nkeys)
{
	size_t *found = xcalloc(nkeys + 1, sizeof *found), nfound = 0, out = 0, at;

	for (size_t k = 0; k < nkeys && plan->njoiners > 0; k++) {
		if (joiner_find(plan, keys[k], &at) == -1) {
			free(found);
			return -1;
		}
		if (at != SIZE_MAX)
			found[nfound++] = at;
	}
	for (size_t k = 0; k < nfound; k++)
		plan->joiners[found[k]] = 0;	/* no stage row has ref 0 */
	for (size_t j = 0; nfound > 0 && j < plan->njoiners; j++)
		if (plan->joiners[j] != 0)
			plan->joiners[out++] = plan->joiners[j];
	if (nfound > 0)
		plan->njoiners = out;
	free(found);
	return (long)nfound;
}

long
plan_defer(struct plan *plan, char *const *keys, size_t nkeys, const struct plan_settings *settings)
{
	bool *keep = xcalloc(plan->n + 1, sizeof *keep);
	long joiners = nkeys == 0 ? 0 : joiners_defer(plan, keys, nkeys);
	size_t dropped = 0;

	if (joiners == -1) {
		free(keep);
		return -1;
	}
	for (size_t j = 0; j < plan->n; j++) {
		keep[j] = nkeys == 0 || bsearch(plan->changes[j].email_key, keys, nkeys,
		    sizeof *keys, key_cmp) == NULL;
		dropped += !keep[j];
	}
	if (dropped > 0 || joiners > 0)
		plan_keep(plan, keep, settings);
	free(keep);
	return (long)dropped + joiners;
}
