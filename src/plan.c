/* plan.c: see plan.h. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "xmem.h"

static void
plan_add(struct plan *p, size_t *cap, enum change_kind kind, const struct desired_user *d,
    const struct known_user *k, const char *reason)
{
	struct change *c;

	xgrow(&p->changes, cap, p->n + 1, sizeof *p->changes);
	c = &p->changes[p->n++];
	*c = (struct change){ .kind = kind, .old_bu = BU_NONE, .new_bu = BU_NONE };
	c->email = xstrdup(d ? d->email : k->email);
	c->email_key = xstrdup(d ? d->email_key : k->email_key);
	c->entry_id = xstrdup(d ? d->entry_id : k->entry_id);
	c->full_name = xstrdup(d ? d->name : k->full_name);
	c->old_bu = k ? k->bu_id : BU_NONE;
	c->new_bu = d ? d->bu_id : BU_NONE;
	c->reason = xstrdup(reason);
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

static int
key_cmp(const struct desired_user *d, const struct known_user *k)
{
	if (d == NULL)
		return 1;
	if (k == NULL)
		return -1;
	return strcmp(d->email_key, k->email_key);
}

/* The next usable desired user at or after *i, or NULL. */
static const struct desired_user *
next_usable(const struct desired_set *want, size_t *i)
{
	while (*i < want->n && want->users[*i].problem != NULL)
		(*i)++;
	return *i < want->n ? &want->users[*i] : NULL;
}

static void
plan_verdict(struct plan *p, const struct plan_settings *s)
{
	p->create_limit = limit_resolve(&s->max_creates, p->in_scope);
	p->deactivation_limit = limit_resolve(&s->max_deactivations, p->managed_active);
	if (p->in_scope == 0 && p->managed > 0)
		p->stop = PLAN_STOP_EMPTY_READ;
	else if (p->creates > p->create_limit)
		p->stop = PLAN_STOP_CREATES;
	else if (p->deactivations > p->deactivation_limit)
		p->stop = PLAN_STOP_DEACTIVATIONS;
	else
		p->stop = PLAN_GO;
}

void
plan_build(const struct desired_set *want, const struct known_user *have, size_t nhave,
    const struct plan_settings *settings, struct plan *out)
{
	size_t i = 0, j = 0, cap = 0;

	*out = (struct plan){ .in_scope = want->usable, .skipped = want->n - want->usable,
	    .managed = nhave };
	for (size_t k = 0; k < nhave; k++)
		if (have[k].status == KNOWN_ACTIVE)
			out->managed_active++;
	/* Merge the two streams on the e-mail key. */
	for (;;) {
		const struct desired_user *d = next_usable(want, &i);
		const struct known_user *k = j < nhave ? &have[j] : NULL;
		int cmp;

		if (d == NULL && k == NULL)
			break;
		cmp = key_cmp(d, k);
		if (cmp < 0)
			plan_add(out, &cap, CHANGE_CREATE, d, NULL, "joined");
		if (cmp <= 0)
			i++;
		if (cmp >= 0)
			j++;
	}
	plan_verdict(out, settings);
}

void
plan_release(struct plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		change_release(&plan->changes[i]);
	free(plan->changes);
	*plan = (struct plan){ 0 };
}

char *
plan_stop_message(const struct plan *p)
{
	switch (p->stop) {
	case PLAN_GO:
		break;
	case PLAN_STOP_CREATES:
		return xasprintf("max_creates stops this run: %zu creates planned, %lu allowed; "
		    "check them with 'ldap2imocha plan', then run 'ldap2imocha sync --force' "
		    "or raise [sync] max_creates", p->creates, p->create_limit);
	case PLAN_STOP_DEACTIVATIONS:
		return xasprintf("max_deactivations stops this run: %zu deactivations planned, "
		    "%lu allowed; check them with 'ldap2imocha plan', then run "
		    "'ldap2imocha sync --force' or raise [sync] max_deactivations",
		    p->deactivations, p->deactivation_limit);
	case PLAN_STOP_EMPTY_READ:
		return xasprintf("the directory read found no user in scope while the agent "
		    "manages %zu; check base_dn and user_filter, then run "
		    "'ldap2imocha sync --force' if the directory really is empty",
		    p->managed);
	}
	return NULL;
}
