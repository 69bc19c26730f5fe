/*
 * syncfingerprint.c: what decides whether the mirror still describes the
 * directory as this run would read it: the settings, the OUs, iMocha's
 * business units, the groups' membership, each hashed (syncread_int.h).
 * A stored fingerprint that differs makes the run read in full.
 */
#include "sync/syncread_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

/* FNV-1a, 64 bits: a change detector, not a defence against anyone. */
struct fp {
	uint64_t h;
};

static void
fp_add(struct fp *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : "\x01"); *p; p++)
		f->h = (f->h ^ *p) * 1099511628211ULL;
	f->h = (f->h ^ 0xff) * 1099511628211ULL;	/* field separator */
}

static char *
fp_text(const struct fp *f)
{
	return xasprintf("%016" PRIx64, f->h);
}

char *
syncread_fingerprint(const char *const *parts, size_t n)
{
	struct fp f = { 14695981039346656037ULL };

	for (size_t i = 0; i < n; i++)
		fp_add(&f, parts[i]);
	return fp_text(&f);
}

/* Everything that decides which users are read and where they map. */
char *
syncread_scope_fingerprint(const struct config *cfg)
{
	struct fp f = { 14695981039346656037ULL };

	fp_add(&f, cfg->base_dn);
	fp_add(&f, cfg->user_filter);
	fp_add(&f, cfg->disabled_filter);
	fp_add(&f, cfg->email_attribute);
	fp_add(&f, cfg->name_attribute);
	fp_add(&f, cfg->id_attribute);
	fp_add(&f, cfg->ou_attribute);
	fp_add(&f, cfg->bu_attribute);
	fp_add(&f, cfg->match_ou_name ? "match" : "nomatch");
	fp_add(&f, cfg->default_business_unit);
	for (size_t i = 0; i < cfg->bu_map_len; i++) {
		fp_add(&f, cfg->bu_map[i].bu);
		fp_add(&f, cfg->bu_map[i].ou_dn);
	}
	for (size_t i = 0; i < cfg->group_dn_len; i++)
		fp_add(&f, cfg->group_dn[i].dn);
	return fp_text(&f);
}

/* Who is a member of which configured group: a change reads in full
 * (on AD, with group_dn alone: worked out against the mirror instead,
 * syncmembers.h). */
char *
syncread_group_fingerprint(const struct group_scope *gs)
{
	struct fp f = { 14695981039346656037ULL };
	char num[24];

	for (size_t r = 0; r < gs->nroots; r++) {
		fp_add(&f, gs->roots[r].norm);
		fp_add(&f, gs->roots[r].bu);
	}
	for (size_t i = 0; i < gs->npairs; i++) {
		snprintf(num, sizeof num, "%" PRIu32, gs->pairs[i].root);
		fp_add(&f, gs->pairs[i].leaf);
		fp_add(&f, num);
	}
	return fp_text(&f);
}

static int
ou_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dir_ou *)a)->dn, ((const struct dir_ou *)b)->dn);
}

/* Sorts the OUs (their order is the server's whim) and hashes them. */
char *
syncread_ou_fingerprint(struct dir_snapshot *snap)
{
	struct fp f = { 14695981039346656037ULL };

	if (snap->nous > 1)
		qsort(snap->ous, snap->nous, sizeof *snap->ous, ou_cmp);
	for (size_t i = 0; i < snap->nous; i++) {
		fp_add(&f, snap->ous[i].dn);
		for (size_t v = 0; v < snap->ous[i].bu_attr.n; v++)
			fp_add(&f, snap->ous[i].bu_attr.v[v]);
		fp_add(&f, "\x02");
	}
	return fp_text(&f);
}

/* iMocha's business units: a renamed one changes where users map. */
char *
syncread_bus_fingerprint(const struct imocha_bu_list *bus)
{
	struct fp f = { 14695981039346656037ULL };
	char num[32];

	for (size_t i = 0; i < bus->n; i++) {
		snprintf(num, sizeof num, "%" PRId64, bus->items[i].id);
		fp_add(&f, num);
		fp_add(&f, bus->items[i].name);
	}
	return fp_text(&f);
}
