/* trust.c: see trust.h. */
#include "sync/trust.h"

#include <stdlib.h>
#include <string.h>

#include "ldap/ldapsrc.h"
#include "model/dn.h"
#include "util/log.h"
#include "state/state_stage.h"
#include "util/xmem.h"

/* One leaver of the plan: its change, and where the mirror last saw it. */
struct leaver {
	size_t change;		/* index in plan->changes */
	char *dn;		/* last known DN; NULL: none known */
};

static void
leavers_free(struct leaver *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(l[i].dn);
	free(l);
}

/* The plan's leavers, each with the DN its mirror row has.  -1 logged. */
static int
leavers_collect(struct dir_read *rd, const struct plan *plan, struct leaver **out, size_t *n)
{
	struct mirror_entry m;
	struct leaver *l = xcalloc(plan->n + 1, sizeof *l);
	size_t k = 0;
	int found;

	for (size_t j = 0; j < plan->n; j++) {
		const struct change *c = &plan->changes[j];

		if (c->kind != CHANGE_DEACTIVATE || !c->left)
			continue;
		l[k].change = j;
		if (c->entry_id != NULL) {
			if ((found = state_stage_mirror_row(rd->stage, c->entry_id, &m)) == -1) {
				leavers_free(l, k + 1);
				return -1;
			}
			if (found) {
				l[k].dn = m.dn;
				m.dn = NULL;
				state_mirror_release(&m);
			}
		}
		k++;
	}
	*out = l;
	*n = k;
	return 0;
}

static void
hold(const struct change *c, const char *dn, const char *why, bool *keep_it, size_t *held)
{
	log_warnx("held %s (%s): %s; not deactivated this run", c->email,
	    dn ? dn : "no entry known", why);
	*keep_it = false;
	(*held)++;
}

/* The leavers a continuation reference may hide: a part of the directory
 * the read did not see cannot say who left. */
static void
hold_referenced(const struct dir_read *rd, const struct plan *plan, struct leaver *l, size_t n,
    bool *keep, size_t *held)
{
	for (size_t i = 0; i < n; i++)
		if (dir_references_hide(&rd->refs, l[i].dn))
			hold(&plan->changes[l[i].change], l[i].dn, "its entry was last seen where "
			    "a search continuation reference points, a part of the directory "
			    "this read did not see", &keep[l[i].change], held);
}

/* dn (NULL: not known) is in scope as far as group_dn goes. */
static bool
member(const struct dir_read *rd, const char *dn)
{
	char *norm;
	bool in;

	if (!group_scope_limits(&rd->groups) || dn == NULL)
		return true;
	norm = dn_normalize(dn);
	in = group_scope_admits(&rd->groups, norm);
	free(norm);
	return in;
}

/* Ask the server about the leavers still kept; decide from the answers. */
static enum trust_verdict
confirm(struct dir_read *rd, const struct plan *plan, struct leaver *l, size_t n, bool *keep,
    struct trust_result *out)
{
	struct confirm_item *items = xcalloc(n + 1, sizeof *items);
	size_t m = 0, *which = xcalloc(n + 1, sizeof *which);
	const char *example = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!keep[l[i].change])
			continue;
		items[m] = (struct confirm_item){ .id = plan->changes[l[i].change].entry_id,
		    .dn = l[i].dn };
		which[m++] = i;
	}
	if (m > 0 && ldapsrc_confirm(rd->src, items, m) == -1)
		log_info("confirming leavers stopped by signal; they are held");
	/* Found, but in none of group_dn's groups (read in full this run):
	 * it left the scope all the same. */
	for (size_t k = 0; k < m; k++)
		if (items[k].presence == PRESENCE_IN_SCOPE && !member(rd, items[k].found_dn))
			items[k].presence = PRESENCE_GONE;
	for (size_t k = 0; k < m; k++) {
		const struct leaver *lv = &l[which[k]];
		const struct change *c = &plan->changes[lv->change];

		if (items[k].presence == PRESENCE_GONE)
			out->confirmed++;
		else if (items[k].presence == PRESENCE_IN_SCOPE) {
			out->contradicted++;
			if (example == NULL)
				example = lv->dn ? lv->dn : c->email;
		} else
			hold(c, lv->dn, "the directory server could not confirm that it left "
			    "(the search for its id did not end whole)", &keep[lv->change],
			    &out->held);
	}
	if (out->contradicted > 0)
		out->why = xasprintf("the incremental read said %zu user%s left who %s still in "
		    "scope (for example %s)", out->contradicted,
		    out->contradicted == 1 ? "" : "s", out->contradicted == 1 ? "is" : "are",
		    example);
	for (size_t k = 0; k < m; k++)
		free(items[k].found_dn);
	free(items);
	free(which);
	return out->contradicted > 0 ? TRUST_READ_FULL : TRUST_GO;
}

/* Why an incremental read's leavers cannot be confirmed one by one. */
static char *
unconfirmable(const struct plan *plan, const struct leaver *l, size_t n, const bool *keep)
{
	size_t left = 0;

	for (size_t i = 0; i < n; i++) {
		if (!keep[l[i].change])
			continue;
		left++;
		if (plan->changes[l[i].change].entry_id == NULL)
			return xasprintf("%s would be deactivated but has no entry id to confirm "
			    "it left by", plan->changes[l[i].change].email);
	}
	if (left > TRUST_CONFIRM_MAX)
		return xasprintf("the incremental read says %zu users left, more than %d to "
		    "confirm one by one", left, TRUST_CONFIRM_MAX);
	return NULL;
}

enum trust_verdict
trust_check_leavers(struct dir_read *rd, struct plan *plan, const struct plan_settings *settings,
    struct trust_result *out)
{
	struct leaver *l = NULL;
	bool *keep;
	size_t n = 0;
	enum trust_verdict v = TRUST_GO;

	*out = (struct trust_result){ 0 };
	if (leavers_collect(rd, plan, &l, &n) == -1)
		return TRUST_FAILED;
	out->leavers = n;
	keep = xcalloc(plan->n + 1, sizeof *keep);
	for (size_t j = 0; j < plan->n; j++)
		keep[j] = true;
	hold_referenced(rd, plan, l, n, keep, &out->held);
	if (rd->incremental && n > 0) {
		out->why = unconfirmable(plan, l, n, keep);
		v = out->why != NULL ? TRUST_READ_FULL : confirm(rd, plan, l, n, keep, out);
	}
	if (v == TRUST_GO && out->held > 0)
		plan_keep(plan, keep, settings);
	if (v == TRUST_GO && out->confirmed > 0)
		log_info("the directory server confirmed that %zu of the users the incremental "
		    "read said left are gone", out->confirmed);
	free(keep);
	leavers_free(l, n);
	return v;
}

void
trust_result_release(struct trust_result *r)
{
	free(r->why);
	*r = (struct trust_result){ 0 };
}
