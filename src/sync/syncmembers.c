/* syncmembers.c: see syncmembers.h. */
#include "sync/syncmembers.h"

#include <stdlib.h>
#include <string.h>

#include "model/dn.h"
#include "util/xmem.h"

struct walk {
	const struct group_scope *gs;
	struct member_delta *out;
	char **norms;		/* every mirror DN, normalized */
	size_t n, cap;
};

static int
mirror_row(void *ctx, const struct mirror_entry *m)
{
	struct walk *w = ctx;
	char *norm = m->dn != NULL ? dn_normalize(m->dn) : NULL;

	if (norm != NULL) {
		xgrow(&w->norms, &w->cap, w->n + 1, sizeof *w->norms);
		w->norms[w->n++] = norm;
	}
	if (m->uuid != NULL && !group_scope_admits(w->gs, norm)) {
		value_list_add(&w->out->left_uuids, m->uuid);
		if (m->in_scope)
			value_list_add(&w->out->left_ids, m->entry_id);
	}
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool
syncmembers_applies(const struct group_scope *gs)
{
	return group_scope_limits(gs) && gs->nscope == gs->nroots;
}

int
syncmembers_delta(struct state *st, const struct group_scope *gs, struct member_delta *out)
{
	struct walk w = { gs, out, NULL, 0, 0 };
	const char *last = NULL;
	int rc;

	*out = (struct member_delta){ .left_uuids = { 0 } };
	rc = state_mirror_each(st, mirror_row, &w);
	if (rc == 0 && w.n > 1)
		qsort(w.norms, w.n, sizeof *w.norms, str_cmp);
	/* The pairs are sorted by leaf: each leaf once. */
	for (size_t i = 0; rc == 0 && i < gs->npairs; i++) {
		const char *leaf = gs->pairs[i].leaf;

		if (last != NULL && strcmp(last, leaf) == 0)
			continue;
		last = leaf;
		if (bsearch(&leaf, w.norms, w.n, sizeof *w.norms, str_cmp) == NULL)
			value_list_add(&out->joined_dns, leaf);
	}
	for (size_t i = 0; i < w.n; i++)
		free(w.norms[i]);
	free(w.norms);
	if (rc == -1)
		syncmembers_release(out);
	return rc;
}

void
syncmembers_release(struct member_delta *d)
{
	value_list_release(&d->left_uuids);
	value_list_release(&d->left_ids);
	value_list_release(&d->joined_dns);
}
