/* desired.c: see desired.h. */
#include "plan/desired.h"

#include <stdlib.h>
#include <string.h>

#include "model/change.h"
#include "model/user.h"
#include "util/xmem.h"

static int
mirror_cmp_id(const void *key, const void *elem)
{
	return strcmp(key, ((const struct mirror_entry *)elem)->entry_id);
}

static const struct mirror_entry *
mirror_find(const struct mirror_entry *prev, size_t nprev, const char *id)
{
	if (id == NULL || nprev == 0)
		return NULL;
	return bsearch(id, prev, nprev, sizeof *prev, mirror_cmp_id);
}

/* Fill d from entry u; problems of the entry itself come first. */
void
desired_one(struct desired_user *d, const struct dir_user *u,
    const struct mapping *map, const struct mirror_entry *known)
{
	const char *email;
	struct bu_choice bu;

	*d = (struct desired_user){ .bu_id = BU_NONE };
	d->entry_id = xstrdup(u->id);
	d->uuid = xstrdup(u->uuid);
	d->dn = xstrdup(u->dn);
	email = value_choose(&u->email, known ? known->email : NULL);
	d->email = xstrdup(email);
	d->email_key = email ? email_key(email) : NULL;
	d->name = user_display_name(u, known ? known->name : NULL, email ? email : "");
	if (known != NULL && known->name != NULL && strcmp(known->name, d->name) != 0)
		d->name_was = xstrdup(known->name);
	if (u->problem != NULL) {
		d->problem = xstrdup(u->problem);
		return;
	}
	if (email == NULL) {
		d->problem = xstrdup("no e-mail address");
		return;
	}
	if (!email_is_valid(email)) {
		d->problem = xasprintf("invalid e-mail address \"%s\"", email);
		return;
	}
	mapping_place(map, u->dn, &u->bu, &bu);
	d->bu_id = bu.bu_id;
	d->bu_name = xstrdup(bu.bu_name);
	d->problem = bu.problem;
}

static int
desired_cmp_key(const void *a, const void *b)
{
	const struct desired_user *x = a, *y = b;

	if (x->email_key == NULL || y->email_key == NULL)
		return (x->email_key == NULL) - (y->email_key == NULL);
	return strcmp(x->email_key, y->email_key);
}

static int
desired_cmp_id(const void *a, const void *b)
{
	const struct desired_user *const *x = a, *const *y = b;

	if ((*x)->entry_id == NULL || (*y)->entry_id == NULL)
		return ((*x)->entry_id == NULL) - ((*y)->entry_id == NULL);
	return strcmp((*x)->entry_id, (*y)->entry_id);
}

#define SHARED_EMAIL "e-mail address shared with "
#define SHARED_ID "id shared with "

/* Only a user otherwise usable is marked: its own problem says more, and
 * a mark must be removable when the other entry goes (desired_merge). */
static void
mark_shared(struct desired_user *d, const struct desired_user *other, const char *what)
{
	if (d->problem != NULL)
		return;
	d->problem = xasprintf("%s%s", what, other->dn);
}

static bool
problem_is_shared(const char *problem)
{
	return problem != NULL && (strncmp(problem, SHARED_EMAIL, strlen(SHARED_EMAIL)) == 0 ||
	    strncmp(problem, SHARED_ID, strlen(SHARED_ID)) == 0);
}

/* An e-mail held by two entries belongs to neither: iMocha keys on it. */
static void
mark_shared_emails(struct desired_set *set)
{
	for (size_t i = 0; i + 1 < set->n; i++) {
		struct desired_user *a = &set->users[i], *b = &set->users[i + 1];

		if (a->email_key == NULL || b->email_key == NULL ||
		    strcmp(a->email_key, b->email_key) != 0)
			continue;
		mark_shared(b, a, SHARED_EMAIL);
		mark_shared(a, b, SHARED_EMAIL);
	}
}

/* Two entries with one id cannot both be known by it. */
static void
mark_shared_ids(struct desired_set *set)
{
	struct desired_user **by_id = xcalloc(set->n, sizeof *by_id);

	for (size_t i = 0; i < set->n; i++)
		by_id[i] = &set->users[i];
	qsort(by_id, set->n, sizeof *by_id, desired_cmp_id);
	for (size_t i = 0; i + 1 < set->n; i++) {
		if (by_id[i]->entry_id == NULL || by_id[i + 1]->entry_id == NULL ||
		    strcmp(by_id[i]->entry_id, by_id[i + 1]->entry_id) != 0)
			continue;
		mark_shared(by_id[i], by_id[i + 1], SHARED_ID);
		mark_shared(by_id[i + 1], by_id[i], SHARED_ID);
		by_id[i]->id_shared = by_id[i + 1]->id_shared = true;
	}
	free(by_id);
}

/* Order by e-mail key, mark what is shared, count the usable. */
static void
desired_finish(struct desired_set *set)
{
	if (set->n > 1)
		qsort(set->users, set->n, sizeof *set->users, desired_cmp_key);
	mark_shared_emails(set);
	mark_shared_ids(set);
	set->usable = 0;
	for (size_t i = 0; i < set->n; i++)
		if (set->users[i].problem == NULL)
			set->usable++;
}

void
desired_build(const struct dir_snapshot *snap, const struct mapping *map,
    const struct mirror_entry *prev, size_t nprev, struct desired_set *out)
{
	*out = (struct desired_set){ 0 };
	out->users = xcalloc(snap->nusers, sizeof *out->users);
	out->n = snap->nusers;
	for (size_t i = 0; i < snap->nusers; i++) {
		const struct dir_user *u = &snap->users[i];

		desired_one(&out->users[i], u, map, mirror_find(prev, nprev, u->id));
	}
	desired_finish(out);
}

void
desired_release(struct desired_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		desired_user_release(&set->users[i]);
	free(set->users);
	*set = (struct desired_set){ 0 };
}

struct mirror_entry *
desired_to_mirror(const struct desired_set *set, size_t *n)
{
	struct mirror_entry *rows = xcalloc(set->n, sizeof *rows);

	*n = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct desired_user *d = &set->users[i];

		if (d->entry_id == NULL || d->id_shared)
			continue;	/* nothing unique to key a mirror row on */
		rows[(*n)++] = (struct mirror_entry){ .entry_id = d->entry_id, .dn = d->dn,
		    .email = d->email, .name = d->name, .bu_id = d->bu_id,
		    .in_scope = d->problem == NULL, .problem = d->problem, .uuid = d->uuid };
	}
	return rows;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
in_sorted(char *const *list, size_t n, const char *s)
{
	return s != NULL && n > 0 && bsearch(&s, list, n, sizeof *list, str_cmp) != NULL;
}

/* A sorted copy of the pointers of list (strings borrowed). */
static char **
sorted_view(const struct value_list *list)
{
	char **v = xcalloc(list->n + 1, sizeof *v);

	if (list->n > 0)
		memcpy(v, list->v, list->n * sizeof *v);
	if (list->n > 1)
		qsort(v, list->n, sizeof *v, str_cmp);
	return v;
}

/* A row of the previous mirror as a desired user; a mark of sharing is
 * dropped, to be made again over the merged set if it still holds, unless
 * no other mirror row holds its e-mail (keys_shared false): then the
 * entry it was shared with is one the mirror has no row for (no id, or an
 * id held twice), which an incremental read cannot show; the mark stays
 * as the last full read made it. */
static void
desired_from_mirror(struct desired_user *d, const struct mirror_entry *m,
    const struct imocha_bu_list *bus, bool key_shared)
{
	*d = (struct desired_user){ .bu_id = m->bu_id };
	d->entry_id = xstrdup(m->entry_id);
	d->uuid = xstrdup(m->uuid);
	d->dn = xstrdup(m->dn);
	d->email = xstrdup(m->email);
	d->email_key = m->email ? email_key(m->email) : NULL;
	d->name = xstrdup(m->name);
	d->bu_name = xstrdup(bu_name_of(bus, m->bu_id));
	if (!problem_is_shared(m->problem) || !key_shared)
		d->problem = xstrdup(m->problem);
}

/* The mirror rows' e-mail keys, sorted (owned). */
static char **
mirror_keys(const struct mirror_entry *prev, size_t nprev, size_t *n)
{
	char **keys = xcalloc(nprev + 1, sizeof *keys);

	*n = 0;
	for (size_t i = 0; i < nprev; i++)
		if (prev[i].email != NULL)
			keys[(*n)++] = email_key(prev[i].email);
	if (*n > 1)
		qsort(keys, *n, sizeof *keys, str_cmp);
	return keys;
}

/* More than one of the sorted keys is key. */
static bool
key_held_twice(char *const *keys, size_t n, const char *key)
{
	char *const *hit;

	if (key == NULL || n < 2 || (hit = bsearch(&key, keys, n, sizeof *keys, str_cmp)) == NULL)
		return false;
	return (hit > keys && strcmp(hit[-1], key) == 0) ||
	    (hit + 1 < keys + n && strcmp(hit[1], key) == 0);
}

void
desired_merge(const struct dir_delta *delta, const struct mapping *map,
    const struct mirror_entry *prev, size_t nprev, const struct imocha_bu_list *bus,
    struct desired_set *out)
{
	const struct dir_snapshot *snap = &delta->snap;
	char **gone = sorted_view(&delta->gone), **present = sorted_view(&delta->present);
	char **sent = xcalloc(snap->nusers + 1, sizeof *sent), **sent_ids = xcalloc(snap->nusers + 1, sizeof *sent_ids);
	size_t nsent = 0, nids = 0, nkeys;
	char **keys = mirror_keys(prev, nprev, &nkeys);

	*out = (struct desired_set){ xcalloc(nprev + snap->nusers + 1, sizeof *out->users), 0, 0 };
	for (size_t i = 0; i < snap->nusers; i++) {
		const struct dir_user *u = &snap->users[i];

		desired_one(&out->users[out->n++], u, map, mirror_find(prev, nprev, u->id));
		if (u->uuid)
			sent[nsent++] = u->uuid;
		if (u->id)
			sent_ids[nids++] = u->id;
	}
	if (nsent > 1)
		qsort(sent, nsent, sizeof *sent, str_cmp);
	if (nids > 1)
		qsort(sent_ids, nids, sizeof *sent_ids, str_cmp);
	for (size_t i = 0; i < nprev; i++) {
		const struct mirror_entry *m = &prev[i];

		if (in_sorted(sent, nsent, m->uuid) || in_sorted(sent_ids, nids, m->entry_id) ||
		    in_sorted(gone, delta->gone.n, m->uuid) ||
		    (delta->present_phase && !in_sorted(present, delta->present.n, m->uuid)))
			continue;
		char *key = m->email ? email_key(m->email) : NULL;

		desired_from_mirror(&out->users[out->n++], m, bus,
		    key_held_twice(keys, nkeys, key));
		free(key);
	}
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	free(sent);
	free(sent_ids);
	free(gone);
	free(present);
	desired_finish(out);
}

static bool
same_text(const char *a, const char *b)
{
	return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

static bool
mirror_same(const struct mirror_entry *a, const struct mirror_entry *b)
{
	return same_text(a->dn, b->dn) && same_text(a->email, b->email) &&
	    same_text(a->name, b->name) && a->bu_id == b->bu_id &&
	    a->in_scope == b->in_scope && same_text(a->problem, b->problem) &&
	    same_text(a->uuid, b->uuid);
}

static int
mirror_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mirror_entry *)a)->entry_id,
	    ((const struct mirror_entry *)b)->entry_id);
}

void
desired_mirror_diff(const struct desired_set *set, const struct mirror_entry *prev,
    size_t nprev, struct mirror_entry **ups, size_t *nup, char ***dels, size_t *ndel)
{
	size_t n, i = 0, j = 0;
	struct mirror_entry *rows = desired_to_mirror(set, &n);

	if (n > 1)
		qsort(rows, n, sizeof *rows, mirror_cmp);
	*dels = xcalloc(nprev + 1, sizeof **dels);
	*nup = *ndel = 0;
	/* Both in entry_id order: one merge; rows is compacted in place. */
	while (i < n || j < nprev) {
		int cmp = i == n ? 1 : j == nprev ? -1 : strcmp(rows[i].entry_id, prev[j].entry_id);

		if (cmp > 0) {
			(*dels)[(*ndel)++] = xstrdup(prev[j++].entry_id);
			continue;
		}
		if (cmp < 0 || !mirror_same(&rows[i], &prev[j]))
			rows[(*nup)++] = rows[i];
		i++;
		if (cmp == 0)
			j++;
	}
	*ups = rows;
}

bool
desired_same_as_mirror(const struct desired_user *d, const struct mirror_entry *m)
{
	return same_text(d->entry_id, m->entry_id) && same_text(d->email, m->email) &&
	    same_text(d->name, m->name) && d->bu_id == m->bu_id &&
	    (d->problem == NULL) == m->in_scope && same_text(d->problem, m->problem);
}
