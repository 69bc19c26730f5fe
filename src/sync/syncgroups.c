/*
 * syncgroups.c: see syncgroups.h.
 *
 * Every group under the naming context that holds a configured group is
 * read first, whole, in one paged search (a base search per group costs a
 * server far more: ldapgroup.c), so a member value is a nested group
 * exactly when it names one of them; everything else is a leaf.  Then
 * each configured group is walked breadth first in memory: a group met
 * before ends its branch, so a cycle is harmless.  Why not the servers' own machinery: OpenLDAP's
 * memberOf overlay counts no nesting and may not be there, 389's plugin
 * may not be on, and AD's in-chain matching rule (1.2.840.113556.1.4.1941)
 * is slow on large directories, gives no count per group, and changes no
 * user entry when a membership does, so incremental reads would not see
 * it.  Reading the groups themselves works alike on all three, and the
 * membership's fingerprint tells the next run that it changed.
 */
#include "sync/syncgroups.h"

#include <stdlib.h>
#include <string.h>

#include "ldap/ldapsrc.h"
#include "model/dn.h"
#include "util/log.h"
#include "util/xmem.h"

/* Normalized DNs, sorted: the groups a walk met. */
struct dn_set {
	char **v;
	size_t n, cap;
};

/* Add norm (owned by the set now) where it sorts; false if it was there. */
static bool
set_insert(struct dn_set *s, char *norm)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->v[mid], norm);

		if (c == 0) {
			free(norm);
			return false;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	xgrow(&s->v, &s->cap, s->n + 1, sizeof *s->v);
	memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof *s->v);
	s->v[lo] = norm;
	s->n++;
	return true;
}

static void
set_release(struct dn_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct dn_set){ 0 };
}

/* Where to list groups for a group at norm: the longest naming context
 * holding it; with none known (a hidden root DSE), its dc= tail, or
 * its parent. */
static char *
listing_base(const struct value_list *contexts, const char *dn)
{
	const char *best = NULL;
	char *norm = dn_normalize(dn), *tail;

	for (size_t i = 0; i < contexts->n; i++)
		if (dn_is_within(dn, contexts->v[i]) && (best == NULL ||
		    strlen(contexts->v[i]) > strlen(best)))
			best = contexts->v[i];
	if (best != NULL || norm == NULL) {
		free(norm);
		return xstrdup(best != NULL ? best : dn);
	}
	tail = strstr(norm, "dc=");
	tail = tail != NULL ? xstrdup(tail) : xstrdup(strchr(norm, ',') ? strchr(norm, ',') + 1 : norm);
	free(norm);
	return tail;
}

/* Every group under the bases the roots need, whole, by normalized DN. */
struct group_entry {
	char *norm;
	struct dir_group g;
};

struct group_table {
	struct group_entry *v;
	size_t n, cap;
};

static int
table_add(void *ctx, struct dir_group *g)
{
	struct group_table *t = ctx;
	char *norm = dn_normalize(g->dn);

	if (norm == NULL)
		return 0;	/* no member value can name it */
	xgrow(&t->v, &t->cap, t->n + 1, sizeof *t->v);
	t->v[t->n++] = (struct group_entry){ norm, *g };
	*g = (struct dir_group){ 0 };
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct group_entry *)a)->norm,
	    ((const struct group_entry *)b)->norm);
}

static const struct group_entry *
table_find(const struct group_table *t, const char *norm)
{
	struct group_entry key = { .norm = (char *)norm };

	return t->n == 0 ? NULL : bsearch(&key, t->v, t->n, sizeof *t->v, entry_cmp);
}

static void
table_release(struct group_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].norm);
		dir_group_release(&t->v[i].g);
	}
	free(t->v);
	*t = (struct group_table){ 0 };
}

/* Every group under the naming contexts that hold the roots, into t,
 * sorted, each once. */
static int
load_groups(struct ldapsrc *src, const struct group_scope *gs, struct group_table *t)
{
	struct value_list contexts = { 0 }, bases = { 0 };
	size_t k = 0;
	int rc = ldapsrc_naming_contexts(src, &contexts);

	for (size_t r = 0; rc == 0 && r < gs->nroots; r++) {
		char *base = listing_base(&contexts, gs->roots[r].dn);
		bool seen = false;

		for (size_t b = 0; b < bases.n && !seen; b++)
			seen = strcmp(bases.v[b], base) == 0;
		if (!seen) {
			value_list_add(&bases, base);
			rc = ldapsrc_group_entries(src, base, table_add, t);
		}
		free(base);
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof *t->v, entry_cmp);
	for (size_t i = 0; i < t->n; i++) {
		if (k > 0 && strcmp(t->v[k - 1].norm, t->v[i].norm) == 0) {
			free(t->v[i].norm);
			dir_group_release(&t->v[i].g);
			continue;
		}
		t->v[k++] = t->v[i];
	}
	t->n = k;
	log_debug("LDAP %s: %zu groups read under %zu naming contexts", ldapsrc_uri(src), t->n,
	    bases.n);
	value_list_release(&contexts);
	value_list_release(&bases);
	return rc;
}

/* Why the configured group g cannot give members, or NULL. */
static const char *
unusable(const struct dir_group *g)
{
	if (g->has_members)
		return NULL;
	if (g->posix)
		return "is a posixGroup, whose members (memberUid) are user names, not "
		    "entries: ldap2imocha reads groupOfNames, groupOfUniqueNames and Active "
		    "Directory groups (member DNs)";
	if (g->dynamic)
		return "is a dynamic group (groupOfURLs), whose members are a search, not a "
		    "list: give its users a static group, or select them in user_filter";
	return "is not a group (no groupOfNames, groupOfUniqueNames or group class)";
}

/* Group g's members into gs as root r's: a group not met before goes on
 * the queue, a leaf under base_dn is a member. */
static void
take_members(struct group_scope *gs, uint32_t r, const struct dir_group *g,
    const struct group_table *t, const char *base_norm, struct dn_set *met,
    const struct group_entry ***queue, size_t *nqueue, size_t *qcap)
{
	const struct group_entry *nested;

	for (size_t i = 0; i < g->members.n; i++) {
		char *norm = dn_normalize(g->members.v[i]);

		if (norm == NULL)
			log_debug("group %s: member value \"%s\" is no DN; ignored", g->dn,
			    g->members.v[i]);
		else if ((nested = table_find(t, norm)) != NULL) {
			if (set_insert(met, norm)) {
				xgrow(queue, qcap, *nqueue + 1, sizeof **queue);
				(*queue)[(*nqueue)++] = nested;
			}
			continue;
		} else if (dn_norm_within(norm, base_norm))
			group_scope_add(gs, norm, r);
		free(norm);
	}
}

/* The members of root r, nested, into gs; its first group already read,
 * the others in t (a group met before ends its branch: cycles end). */
static void
walk(struct group_scope *gs, uint32_t r, struct dir_group *first, const struct group_table *t,
    const char *base_norm)
{
	struct dn_set met = { 0 };
	const struct group_entry **queue = NULL;
	size_t nqueue = 0, qcap = 0;

	set_insert(&met, xstrdup(gs->roots[r].norm));
	take_members(gs, r, first, t, base_norm, &met, &queue, &nqueue, &qcap);
	dir_group_release(first);
	for (size_t next = 0; next < nqueue; next++)
		take_members(gs, r, &queue[next]->g, t, base_norm, &met, &queue, &nqueue, &qcap);
	gs->roots[r].groups = met.n;
	log_debug("group %s: %zu groups, nested counted", gs->roots[r].dn, met.n);
	set_release(&met);
	free(queue);
}

/* dn is one of the OUs read (NULL: none known). */
static bool
is_ou(const struct dir_snapshot *ous, const char *dn)
{
	char *norm = dn_normalize(dn), *ou;
	bool found = false;

	for (size_t i = 0; norm != NULL && ous != NULL && i < ous->nous && !found; i++) {
		ou = dn_normalize(ous->ous[i].dn);
		found = ou != NULL && strcmp(ou, norm) == 0;
		free(ou);
	}
	free(norm);
	return found;
}

/* The configured groups as roots, each read once: a group_dn must be a
 * group; a [business_units] DN is a root only when it is one (else an
 * OU, mapping.c's: one of the OUs read is not even asked). */
static int
read_roots(struct ldapsrc *src, const struct config *cfg, const struct dir_snapshot *ous,
    struct group_scope *gs, struct dir_group **firsts)
{
	size_t cap = cfg->group_dn_len + cfg->bu_map_len + 1;
	struct dir_group g;
	const char *why;
	char *norm;
	int rc;

	*firsts = xcalloc(cap, sizeof **firsts);
	for (size_t i = 0; i < cfg->group_dn_len; i++) {
		const struct group_dn_entry *e = &cfg->group_dn[i];

		if ((rc = ldapsrc_group(src, e->dn, &g)) == -1)
			return -1;
		why = rc == 0 ? "does not exist, or the bind account (bind_dn) cannot read it" :
		    unusable(&g);
		if (why != NULL) {
			log_errorx("LDAP %s: group_dn %s (%s) %s; no user would be in scope "
			    "through it, so nothing will be changed", ldapsrc_uri(src), e->dn,
			    e->where, why);
			dir_group_release(&g);
			return -1;
		}
		norm = dn_normalize(e->dn);
		(*firsts)[group_scope_root(gs, e->dn, norm, GROUP_SCOPE, NULL, e->where)] = g;
		free(norm);
	}
	for (size_t i = 0; i < cfg->bu_map_len; i++) {
		const struct bu_map_entry *e = &cfg->bu_map[i];

		if (is_ou(ous, e->ou_dn))
			continue;
		if ((rc = ldapsrc_group(src, e->ou_dn, &g)) == -1)
			return -1;
		if (rc == 1 && (g.posix || g.dynamic) && !g.has_members) {
			log_errorx("LDAP %s: [business_units] %s = %s (%s) %s; nothing will be "
			    "changed", ldapsrc_uri(src), e->bu, e->ou_dn, e->where, unusable(&g));
			dir_group_release(&g);
			return -1;
		}
		if (rc == 0 || !g.has_members) {
			dir_group_release(&g);
			continue;
		}
		norm = dn_normalize(e->ou_dn);
		(*firsts)[group_scope_root(gs, e->ou_dn, norm, GROUP_BU, e->bu, e->where)] = g;
		free(norm);
	}
	return 0;
}

int
syncgroups_read(struct ldapsrc *src, const struct config *cfg, const struct dir_snapshot *ous,
    struct group_scope *out)
{
	struct group_table table = { 0 };
	struct dir_group *firsts = NULL;
	char *base_norm = dn_normalize(cfg->base_dn);
	size_t nroots;
	int rc;

	*out = (struct group_scope){ 0 };
	rc = read_roots(src, cfg, ous, out, &firsts);
	nroots = out->nroots;
	if (rc == 0 && nroots > 0)
		rc = load_groups(src, out, &table);
	for (size_t r = 0; rc == 0 && r < nroots; r++)
		walk(out, (uint32_t)r, &firsts[r], &table, base_norm ? base_norm : "");
	for (size_t r = 0; r < nroots; r++)
		dir_group_release(&firsts[r]);
	free(firsts);
	table_release(&table);
	free(base_norm);
	if (rc == -1) {
		group_scope_release(out);
		return -1;
	}
	group_scope_finish(out);
	for (size_t r = 0; r < out->nroots; r++)
		log_debug("LDAP %s: group %s: %zu members under base_dn, nested counted",
		    ldapsrc_uri(src), out->roots[r].dn, out->roots[r].members);
	return 0;
}

char *
syncgroups_counts(const struct group_scope *gs)
{
	char *text = NULL, *more;

	for (size_t r = 0; r < gs->nroots; r++) {
		if (gs->roots[r].role != GROUP_SCOPE)
			continue;
		more = xasprintf("%s%s\t%zu\n", text ? text : "", gs->roots[r].norm,
		    gs->roots[r].members);
		free(text);
		text = more;
	}
	return text;
}

/* What stored says root norm had: true and *was, or false. */
static bool
stored_count(const char *stored, const char *norm, size_t *was)
{
	size_t len = strlen(norm);

	for (const char *line = stored; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, norm, len) == 0 && line[len] == '\t') {
			*was = (size_t)strtoull(line + len + 1, NULL, 10);
			return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

struct group_count *
syncgroups_compare(const struct group_scope *gs, const char *stored)
{
	struct group_count *out = xcalloc(gs->nscope + 1, sizeof *out);
	size_t k = 0;

	for (size_t r = 0; r < gs->nroots; r++) {
		if (gs->roots[r].role != GROUP_SCOPE)
			continue;
		out[k] = (struct group_count){ .dn = gs->roots[r].dn, .now = gs->roots[r].members };
		out[k].known = stored_count(stored, gs->roots[r].norm, &out[k].was);
		k++;
	}
	return out;
}

int
syncgroups_check(const struct config *cfg, struct group_scope *out)
{
	struct ldapsrc *src;
	int rc;

	*out = (struct group_scope){ 0 };
	if (ldapsrc_open(cfg, &src) == -1)
		return -1;
	rc = syncgroups_read(src, cfg, NULL, out);
	ldapsrc_close(src);
	return rc;
}
