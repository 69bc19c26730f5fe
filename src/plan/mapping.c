/* mapping.c: see mapping.h. */
#include "plan/mapping.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/change.h"
#include "model/dn.h"
#include "util/xmem.h"

enum rule_kind {
	RULE_MAPPED,		/* the OU maps to bu */
	RULE_ERROR,		/* the OU's users cannot be placed: detail says why */
};

struct ou_rule {
	char *dn_norm;		/* sort key */
	enum rule_kind kind;
	const struct imocha_bu *bu;
	char *detail;
};

/* What a user's parent OUs make of it: the nearest rule or name match. */
struct parent_outcome {
	const struct ou_rule *rule;	/* NULL: no rule */
	const struct imocha_bu *by_name;	/* match_ou_name; used when no rule */
};

/*
 * The last parent placed, as its DN text stood: a directory sends its
 * users OU by OU, so most users share the previous one's parent, and
 * parsing, normalizing and looking up every parent level again was 7 %
 * of a full read's time (perf, 100,000 users in one OU).
 */
struct parent_memo {
	char *parent;		/* dn_parent_text of the last DN placed; NULL: none */
	struct parent_outcome outcome;
};

struct mapping {
	const struct config *cfg;
	struct parent_memo *memo;	/* mapping_place's own; see above */
	const struct imocha_bu_list *bus;
	struct ou_rule *rules;	/* sorted by dn_norm, unique */
	size_t nrules;
	struct bu_choice fallback;	/* default_business_unit, resolved once */
	const struct group_scope *groups;	/* NULL: no [business_units] group */
	const struct imocha_bu **group_bu;	/* per root: its BU; NULL: none at iMocha */
};

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

const struct imocha_bu *
bu_find_id(const struct imocha_bu_list *bus, int64_t id)
{
	for (size_t i = 0; i < bus->n; i++)
		if (bus->items[i].id == id)
			return &bus->items[i];
	return NULL;
}

static const struct imocha_bu *
bu_find_name(const struct imocha_bu_list *bus, const char *name)
{
	for (size_t i = 0; i < bus->n; i++)
		if (strcasecmp(bus->items[i].name, name) == 0)
			return &bus->items[i];
	return NULL;
}

const char *
bu_name_of(const struct imocha_bu_list *bus, int64_t id)
{
	const struct imocha_bu *bu = id == BU_NONE ? NULL : bu_find_id(bus, id);

	return bu ? bu->name : NULL;
}

const struct imocha_bu *
bu_find(const struct imocha_bu_list *bus, const char *name_or_id)
{
	/* An id wins over a BU whose name is made of digits; SPEC.md lets a
	 * name holding '=' or ':' be given by id, so ids must always work. */
	if (all_digits(name_or_id)) {
		const struct imocha_bu *bu = bu_find_id(bus, strtoll(name_or_id, NULL, 10));

		if (bu != NULL)
			return bu;
	}
	return bu_find_name(bus, name_or_id);
}

static int
rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ou_rule *)a)->dn_norm, ((const struct ou_rule *)b)->dn_norm);
}

static const struct ou_rule *
rule_find(const struct mapping *m, const char *dn_norm)
{
	struct ou_rule key = { .dn_norm = (char *)dn_norm };

	if (m->nrules == 0)
		return NULL;
	return bsearch(&key, m->rules, m->nrules, sizeof *m->rules, rule_cmp);
}

/* A rule for an OU that names a BU (by name or id) with source saying where. */
static void
rule_add_named(struct mapping *m, char *dn_norm, const char *bu_text, const char *source)
{
	struct ou_rule *r;

	m->rules = xreallocarray(m->rules, m->nrules + 1, sizeof *m->rules);
	r = &m->rules[m->nrules++];
	*r = (struct ou_rule){ .dn_norm = dn_norm };
	r->bu = bu_find(m->bus, bu_text);
	if (r->bu != NULL)
		r->kind = RULE_MAPPED;
	else {
		r->kind = RULE_ERROR;
		r->detail = xasprintf("business unit \"%s\" (%s) does not exist in iMocha",
		    bu_text, source);
	}
}

static void
rule_add_error(struct mapping *m, char *dn_norm, char *detail)
{
	m->rules = xreallocarray(m->rules, m->nrules + 1, sizeof *m->rules);
	m->rules[m->nrules++] = (struct ou_rule){ .dn_norm = dn_norm, .kind = RULE_ERROR,
	    .detail = detail };
}

static void
rules_sort(struct mapping *m)
{
	if (m->nrules > 1)
		qsort(m->rules, m->nrules, sizeof *m->rules, rule_cmp);
}

/* One OU DN given twice in [business_units]: the same BU twice is harmless;
 * two different BUs is an error for its users, never a guess. */
static void
rules_merge_duplicates(struct mapping *m)
{
	size_t out = 0;

	for (size_t i = 0; i < m->nrules; i++) {
		struct ou_rule *prev = out > 0 ? &m->rules[out - 1] : NULL;

		if (prev == NULL || strcmp(prev->dn_norm, m->rules[i].dn_norm) != 0) {
			m->rules[out++] = m->rules[i];
			continue;
		}
		if (prev->kind == RULE_MAPPED && m->rules[i].kind == RULE_MAPPED &&
		    prev->bu != m->rules[i].bu) {
			prev->kind = RULE_ERROR;
			prev->detail = xasprintf("OU %s is mapped to two business units "
			    "in [business_units] (\"%s\" and \"%s\")", m->rules[i].dn_norm,
			    prev->bu->name, m->rules[i].bu->name);
		}
		free(m->rules[i].dn_norm);
		free(m->rules[i].detail);
	}
	m->nrules = out;
}

static void
add_config_rules(struct mapping *m)
{
	for (size_t i = 0; i < m->cfg->bu_map_len; i++) {
		const struct bu_map_entry *e = &m->cfg->bu_map[i];
		char *norm = dn_normalize(e->ou_dn);
		char *source;

		if (norm == NULL)
			continue;	/* config_load already refused malformed DNs */
		source = xasprintf("[business_units] at %s", e->where ? e->where : "?");
		rule_add_named(m, norm, e->bu, source);
		free(source);
	}
	rules_sort(m);
	rules_merge_duplicates(m);
}

/* Rules from the OU entries' ou_attribute, for OUs the explicit map does
 * not already cover (it wins). */
static void
add_attribute_rules(struct mapping *m, const struct dir_ou *ous, size_t nous)
{
	size_t nexplicit = m->nrules;

	for (size_t i = 0; i < nous; i++) {
		char *norm, *source;
		struct ou_rule key;

		if (ous[i].bu_attr.n == 0 || (norm = dn_normalize(ous[i].dn)) == NULL)
			continue;
		key = (struct ou_rule){ .dn_norm = norm };
		if (nexplicit > 0 &&
		    bsearch(&key, m->rules, nexplicit, sizeof *m->rules, rule_cmp) != NULL) {
			free(norm);
			continue;
		}
		if (ous[i].bu_attr.n > 1) {
			rule_add_error(m, norm, xasprintf("OU %s has %zu values of %s; "
			    "it must have one", ous[i].dn, ous[i].bu_attr.n,
			    m->cfg->ou_attribute));
			continue;
		}
		source = xasprintf("%s of %s", m->cfg->ou_attribute, ous[i].dn);
		rule_add_named(m, norm, ous[i].bu_attr.v[0], source);
		free(source);
	}
	rules_sort(m);
}

static void
resolve_fallback(struct mapping *m)
{
	const char *def = m->cfg->default_business_unit;
	const struct imocha_bu *bu;

	m->fallback = (struct bu_choice){ .bu_id = BU_NONE };
	if (def == NULL || *def == '\0') {
		m->fallback.problem = xstrdup("no OU above it maps to a business unit "
		    "and default_business_unit is not set");
		return;
	}
	if ((bu = bu_find(m->bus, def)) == NULL) {
		m->fallback.problem = xasprintf("no OU above it maps to a business unit "
		    "and default_business_unit \"%s\" does not exist in iMocha", def);
		return;
	}
	m->fallback.bu_id = bu->id;
	m->fallback.bu_name = bu->name;
}

struct mapping *
mapping_new(const struct config *cfg, const struct dir_ou *ous, size_t nous,
    const struct imocha_bu_list *bus)
{
	struct mapping *m = xcalloc(1, sizeof *m);

	m->memo = xcalloc(1, sizeof *m->memo);
	m->cfg = cfg;
	m->bus = bus;
	add_config_rules(m);
	if (cfg->ou_attribute != NULL)
		add_attribute_rules(m, ous, nous);
	resolve_fallback(m);
	return m;
}

void
mapping_free(struct mapping *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nrules; i++) {
		free(m->rules[i].dn_norm);
		free(m->rules[i].detail);
	}
	free(m->rules);
	free(m->fallback.problem);
	free(m->group_bu);
	free(m->memo->parent);
	free(m->memo);
	free(m);
}

void
mapping_set_groups(struct mapping *m, const struct group_scope *gs)
{
	free(m->group_bu);
	m->group_bu = NULL;
	m->groups = gs;
	if (gs == NULL)
		return;
	m->group_bu = xcalloc(gs->nroots + 1, sizeof *m->group_bu);
	for (size_t r = 0; r < gs->nroots; r++)
		if (gs->roots[r].role == GROUP_BU)
			m->group_bu[r] = bu_find(m->bus, gs->roots[r].bu);
}

/* The business unit the [business_units] groups of user_dn give: 1 placed
 * (or a problem: two groups naming different BUs, or a BU iMocha lacks),
 * 0 when no such group holds the user. */
static int
place_by_group(const struct mapping *m, const char *user_dn, struct bu_choice *out)
{
	const struct group_scope *gs = m->groups;
	const struct group_pair *p;
	char *norm;
	size_t n;
	long first = -1;

	if (gs == NULL || gs->nroots == gs->nscope)
		return 0;
	norm = dn_normalize(user_dn);
	n = group_scope_find(gs, norm, &p);
	free(norm);
	for (size_t i = 0; i < n; i++) {
		uint32_t r = p[i].root;

		if (gs->roots[r].role != GROUP_BU)
			continue;
		if (m->group_bu[r] == NULL) {
			out->problem = xasprintf("business unit \"%s\" of its group %s (%s) does "
			    "not exist in iMocha", gs->roots[r].bu, gs->roots[r].dn,
			    gs->roots[r].where);
			return 1;
		}
		if (first == -1)
			first = r;
		else if (m->group_bu[first] != m->group_bu[r]) {
			out->problem = xasprintf("a member of %s (business unit %s) and of %s "
			    "(business unit %s): [business_units] cannot say which",
			    gs->roots[first].dn, m->group_bu[first]->name, gs->roots[r].dn,
			    m->group_bu[r]->name);
			return 1;
		}
	}
	if (first == -1)
		return 0;
	out->bu_id = m->group_bu[first]->id;
	out->bu_name = m->group_bu[first]->name;
	return 1;
}

static void
choose_bu(struct bu_choice *out, const struct imocha_bu *bu)
{
	out->bu_id = bu->id;
	out->bu_name = bu->name;
}

/*
 * The user's own bu_attribute, when no OU maps it.  Each value must name a
 * BU iMocha has, and all the same one (a value twice, or by name and by
 * id, is fine); else it is an error for that user, never a guess or the
 * default.
 */
static void
place_by_attribute(const struct mapping *m, const struct value_list *vals,
    struct bu_choice *out)
{
	const struct imocha_bu *bu, *chosen = NULL;

	for (size_t i = 0; i < vals->n; i++) {
		if ((bu = bu_find(m->bus, vals->v[i])) == NULL) {
			out->problem = xasprintf("its %s \"%s\" names no business unit "
			    "iMocha has", m->cfg->bu_attribute, vals->v[i]);
			return;
		}
		if (chosen != NULL && chosen != bu) {
			out->problem = xasprintf("its %s names two business units, \"%s\" "
			    "and \"%s\"", m->cfg->bu_attribute, chosen->name, bu->name);
			return;
		}
		chosen = bu;
	}
	if (chosen != NULL)	/* the caller gives at least one value */
		choose_bu(out, chosen);
}

/* The nearest of dn's parents (index 1 up) that a rule or, with
 * match_ou_name, its name places. */
static struct parent_outcome
place_by_parents(const struct mapping *m, const struct dn *dn)
{
	struct parent_outcome o = { NULL, NULL };

	for (size_t i = 1; i < dn->n && o.rule == NULL && o.by_name == NULL; i++) {
		char *norm = dn_norm_from(dn, i);

		o.rule = rule_find(m, norm);
		if (o.rule == NULL && m->cfg->match_ou_name && strcmp(dn->type[i], "ou") == 0)
			o.by_name = bu_find_name(m->bus, dn->value[i]);
		free(norm);
	}
	return o;
}

void
mapping_place(const struct mapping *m, const char *user_dn,
    const struct value_list *bu_values, struct bu_choice *out)
{
	struct parent_memo *memo = m->memo;
	const char *parent;
	struct parent_outcome o;
	struct dn dn;

	*out = (struct bu_choice){ .bu_id = BU_NONE };
	if (place_by_group(m, user_dn, out) == 1)
		return;
	parent = dn_parent_text(user_dn);
	if (parent != NULL && memo->parent != NULL && strcmp(parent, memo->parent) == 0)
		o = memo->outcome;
	else {
		if (dn_parse(user_dn, &dn) == -1) {
			out->problem = user_dn != NULL && strlen(user_dn) > DN_MAX_LEN ?
			    xasprintf("its DN is longer than %d bytes", DN_MAX_LEN) :
			    xstrdup("its DN cannot be parsed");
			return;
		}
		o = place_by_parents(m, &dn);
		dn_release(&dn);
		if (parent != NULL) {
			free(memo->parent);
			memo->parent = xstrdup(parent);
			memo->outcome = o;
		}
	}
	if (o.rule != NULL && o.rule->kind == RULE_ERROR)
		out->problem = xstrdup(o.rule->detail);
	else if (o.rule != NULL)
		choose_bu(out, o.rule->bu);
	else if (o.by_name != NULL)
		choose_bu(out, o.by_name);
	else if (bu_values != NULL && bu_values->n > 0)
		place_by_attribute(m, bu_values, out);
	else {
		out->bu_id = m->fallback.bu_id;
		out->bu_name = m->fallback.bu_name;
		out->problem = xstrdup(m->fallback.problem);
	}
}
