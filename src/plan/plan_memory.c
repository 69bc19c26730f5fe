/*
 * plan_memory.c: plan_build, the planner over arrays: a desired set as
 * desired_build makes it and known users ordered by e-mail key.  The unit
 * tests, the fuzz targets and the randomized properties plan this way; the
 * agent plans from the state store (plansource.c) through the same
 * plan_build_from.
 */
#include "plan/plan.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

struct arrays {
	const struct desired_set *want;
	const struct known_user *have;
	size_t nhave;
	size_t i, j;				/* the two streams' positions */
	const struct desired_user **want_by_id;	/* entries with a unique id */
	size_t nwant_by_id;
	const struct known_user **have_by_id;	/* known users with an entry id */
	size_t nhave_by_id;
};

static int
want_id_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct desired_user *const *)a)->entry_id,
	    (*(const struct desired_user *const *)b)->entry_id);
}

static int
have_id_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct known_user *const *)a)->entry_id,
	    (*(const struct known_user *const *)b)->entry_id);
}

static void
known_copy(struct known_user *out, const struct known_user *k)
{
	*out = *k;
	out->email_key = xstrdup(k->email_key);
	out->email = xstrdup(k->email);
	out->full_name = xstrdup(k->full_name);
	out->entry_id = xstrdup(k->entry_id);
}

static int
next_desired(void *ctx, struct desired_user *out)
{
	struct arrays *a = ctx;

	/* Entries without an e-mail sort last and have no key to plan by. */
	if (a->i == a->want->n || a->want->users[a->i].email_key == NULL)
		return 0;
	desired_user_copy(out, &a->want->users[a->i++]);
	return 1;
}

static int
next_known(void *ctx, struct known_user *out)
{
	struct arrays *a = ctx;

	if (a->j == a->nhave)
		return 0;
	known_copy(out, &a->have[a->j++]);
	return 1;
}

static int
desired_by_id(void *ctx, const char *id, struct desired_user *out)
{
	struct arrays *a = ctx;
	struct desired_user key = { .entry_id = (char *)id };
	const struct desired_user *kp = &key, *const *hit = NULL;

	if (a->nwant_by_id > 0)
		hit = bsearch(&kp, a->want_by_id, a->nwant_by_id, sizeof *a->want_by_id,
		    want_id_cmp);
	if (hit == NULL)
		return 0;
	desired_user_copy(out, *hit);
	return 1;
}

static int
known_by_id(void *ctx, const char *id, struct known_user *out)
{
	struct arrays *a = ctx;
	struct known_user key = { .entry_id = (char *)id };
	const struct known_user *kp = &key, *const *hit = NULL;

	if (a->nhave_by_id > 0)
		hit = bsearch(&kp, a->have_by_id, a->nhave_by_id, sizeof *a->have_by_id,
		    have_id_cmp);
	if (hit == NULL)
		return 0;
	known_copy(out, *hit);
	return 1;
}

static void
index_build(struct arrays *a)
{
	a->want_by_id = xcalloc(a->want->n + 1, sizeof *a->want_by_id);
	for (size_t i = 0; i < a->want->n; i++)
		if (a->want->users[i].entry_id != NULL && !a->want->users[i].id_shared)
			a->want_by_id[a->nwant_by_id++] = &a->want->users[i];
	if (a->nwant_by_id > 1)
		qsort(a->want_by_id, a->nwant_by_id, sizeof *a->want_by_id, want_id_cmp);
	a->have_by_id = xcalloc(a->nhave + 1, sizeof *a->have_by_id);
	for (size_t i = 0; i < a->nhave; i++)
		if (a->have[i].entry_id != NULL)
			a->have_by_id[a->nhave_by_id++] = &a->have[i];
	if (a->nhave_by_id > 1)
		qsort(a->have_by_id, a->nhave_by_id, sizeof *a->have_by_id, have_id_cmp);
}

void
plan_build(const struct desired_set *want, const struct known_user *have, size_t nhave,
    const struct plan_settings *settings, struct plan *out)
{
	struct arrays a = { .want = want, .have = have, .nhave = nhave };
	struct plan_source src = { .ctx = &a, .next_desired = next_desired,
	    .next_known = next_known, .desired_by_id = desired_by_id,
	    .known_by_id = known_by_id, .entries = want->n, .usable = want->usable,
	    .managed = nhave };

	for (size_t k = 0; k < nhave; k++)
		if (have[k].status == KNOWN_ACTIVE)
			src.managed_active++;
	index_build(&a);
	/* Arrays cannot fail. */
	(void)plan_build_from(&src, settings, out);
	free(a.want_by_id);
	free(a.have_by_id);
}
