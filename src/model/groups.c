/* groups.c: see groups.h. */
#include "model/groups.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

void
dir_group_release(struct dir_group *g)
{
	free(g->dn);
	value_list_release(&g->members);
	*g = (struct dir_group){ 0 };
}

uint32_t
group_scope_root(struct group_scope *gs, const char *dn, const char *norm,
    enum group_role role, const char *bu, const char *where)
{
	struct group_root *r;

	gs->roots = xreallocarray(gs->roots, gs->nroots + 1, sizeof *gs->roots);
	r = &gs->roots[gs->nroots];
	*r = (struct group_root){ .dn = xstrdup(dn), .norm = xstrdup(norm), .role = role,
	    .bu = xstrdup(bu), .where = xstrdup(where) };
	if (role == GROUP_SCOPE)
		gs->nscope++;
	return (uint32_t)gs->nroots++;
}

void
group_scope_add(struct group_scope *gs, const char *leaf, uint32_t root)
{
	xgrow(&gs->pairs, &gs->pairs_cap, gs->npairs + 1, sizeof *gs->pairs);
	gs->pairs[gs->npairs++] = (struct group_pair){ xstrdup(leaf), root };
}

static int
pair_cmp(const void *a, const void *b)
{
	const struct group_pair *x = a, *y = b;
	int c = strcmp(x->leaf, y->leaf);

	if (c != 0)
		return c;
	return x->root < y->root ? -1 : x->root > y->root;
}

void
group_scope_finish(struct group_scope *gs)
{
	size_t k = 0;

	if (gs->npairs > 1)
		qsort(gs->pairs, gs->npairs, sizeof *gs->pairs, pair_cmp);
	for (size_t i = 0; i < gs->npairs; i++) {
		if (k > 0 && pair_cmp(&gs->pairs[k - 1], &gs->pairs[i]) == 0) {
			free(gs->pairs[i].leaf);
			continue;
		}
		gs->pairs[k++] = gs->pairs[i];
	}
	gs->npairs = k;
	for (size_t r = 0; r < gs->nroots; r++)
		gs->roots[r].members = 0;
	for (size_t i = 0; i < gs->npairs; i++)
		gs->roots[gs->pairs[i].root].members++;
}

size_t
group_scope_find(const struct group_scope *gs, const char *leaf,
    const struct group_pair **first)
{
	size_t lo = 0, hi = gs->npairs, n = 0;

	*first = NULL;
	if (leaf == NULL)
		return 0;
	/* The first pair whose leaf is not below leaf. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(gs->pairs[mid].leaf, leaf) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + n < gs->npairs && strcmp(gs->pairs[lo + n].leaf, leaf) == 0)
		n++;
	if (n > 0)
		*first = &gs->pairs[lo];
	return n;
}

bool
group_scope_limits(const struct group_scope *gs)
{
	return gs != NULL && gs->nscope > 0;
}

bool
group_scope_admits(const struct group_scope *gs, const char *leaf)
{
	const struct group_pair *p;
	size_t n;

	if (!group_scope_limits(gs))
		return true;
	n = group_scope_find(gs, leaf, &p);
	for (size_t i = 0; i < n; i++)
		if (gs->roots[p[i].root].role == GROUP_SCOPE)
			return true;
	return false;
}

void
group_scope_release(struct group_scope *gs)
{
	for (size_t r = 0; r < gs->nroots; r++) {
		free(gs->roots[r].dn);
		free(gs->roots[r].norm);
		free(gs->roots[r].bu);
		free(gs->roots[r].where);
	}
	for (size_t i = 0; i < gs->npairs; i++)
		free(gs->pairs[i].leaf);
	free(gs->roots);
	free(gs->pairs);
	*gs = (struct group_scope){ 0 };
}
