/*
 * ldapgroup.c: reading groups (ldapsrc.h: ldapsrc_group,
 * ldapsrc_group_entries, ldapsrc_naming_contexts).
 *
 * A group is read by a base search of its DN, asking for its classes and
 * member and uniqueMember.  Active Directory hands a large member
 * attribute out in ranges (MaxValRange, 1,500 values by default): the
 * entry holds "member;range=0-1499" and no plain member, and the next
 * chunk is asked for as "member;range=1500-*" until a chunk's upper bound
 * is "*".  Every chunk is taken, so a group reads whole or not at all.
 * Many groups are read by one paged search of them all, not a base search
 * each: measured on slapd, 2,506 base searches cost it 0.5 s of CPU, one
 * search of all 5,000 groups and their 178,000 member values 0.04 s.
 */
#include "ldap/ldapsrc_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldap/ldapconn.h"
#include "ldap/ldapsrc.h"
#include "util/log.h"
#include "util/xmem.h"

/* A group's classes, as each server names them. */
#define GROUP_CLASSES_FILTER "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)" \
	"(objectClass=group))"

static bool
value_is(const struct berval *bv, const char *want)
{
	return bv->bv_len == strlen(want) && strncasecmp(bv->bv_val, want, bv->bv_len) == 0;
}

static void
take_classes(struct dir_group *g, struct berval **vals)
{
	for (size_t i = 0; vals != NULL && vals[i] != NULL; i++) {
		if (value_is(vals[i], "groupOfNames") || value_is(vals[i], "groupOfUniqueNames") ||
		    value_is(vals[i], "group"))
			g->has_members = true;
		else if (value_is(vals[i], "posixGroup"))
			g->posix = true;
		else if (value_is(vals[i], "groupOfURLs"))
			g->dynamic = true;
	}
}

/* One allocation per value: groups hold most of the values a read meets. */
static void
take_values(struct dir_group *g, struct berval **vals)
{
	size_t n = 0;

	while (vals != NULL && vals[n] != NULL)
		n++;
	if (n == 0)
		return;
	g->members.v = xreallocarray(g->members.v, g->members.n + n, sizeof *g->members.v);
	for (size_t i = 0; i < n; i++)
		g->members.v[g->members.n++] = xstrndup(vals[i]->bv_val, vals[i]->bv_len);
}

/*
 * "member;range=L-H": where the next chunk starts (H + 1), or -1 when
 * this is the last ("L-*") or the name is no range of a member attribute.
 */
static long
range_next(const char *name)
{
	const char *opt = strchr(name, ';'), *dash;
	char *end;
	long hi;

	if (opt == NULL || strncasecmp(opt, ";range=", 7) != 0)
		return -1;
	if ((dash = strchr(opt + 7, '-')) == NULL || strcmp(dash + 1, "*") == 0)
		return -1;
	hi = strtol(dash + 1, &end, 10);
	return *end == '\0' && hi >= 0 && hi < LONG_MAX ? hi + 1 : -1;
}

static bool
is_member_attr(const char *name)
{
	size_t n = strcspn(name, ";");

	return (n == 6 && strncasecmp(name, "member", 6) == 0) ||
	    (n == 12 && strncasecmp(name, "uniqueMember", 12) == 0);
}

/* One entry's attributes into g; *next: where the member range goes on
 * (-1: done). */
static void
take_entry(LDAP *ld, LDAPMessage *e, struct dir_group *g, long *next, char **next_attr)
{
	BerElement *ber = NULL;
	char *a;

	*next = -1;
	for (a = ldap_first_attribute(ld, e, &ber); a != NULL;
	    a = ldap_next_attribute(ld, e, ber)) {
		struct berval **vals = ldap_get_values_len(ld, e, a);

		if (strcasecmp(a, "objectClass") == 0)
			take_classes(g, vals);
		else if (is_member_attr(a)) {
			long n = range_next(a);

			take_values(g, vals);
			if (n >= 0) {
				*next = n;
				free(*next_attr);
				*next_attr = xstrndup(a, strcspn(a, ";"));
			}
		}
		ldap_value_free_len(vals);
		ldap_memfree(a);
	}
	ber_free(ber, 0);
}

/* One base search of dn for attrs: 1 and *res with its entry, 0 no such
 * entry (or one this account cannot see), -1 logged. */
static int
read_base(struct ldapsrc *src, const char *dn, char **attrs, LDAPMessage **res)
{
	const struct config *cfg = src->r.cfg;
	struct timeval tv = { cfg->ldap_timeout, 0 };
	char *diag;
	int lrc;

	*res = NULL;
	lrc = ldap_search_ext_s(src->r.ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
	    NULL, NULL, cfg->ldap_timeout > 0 ? &tv : NULL, 0, res);
	if (lrc == LDAP_NO_SUCH_OBJECT || (lrc == LDAP_SUCCESS &&
	    ldap_first_entry(src->r.ld, *res) == NULL))
		return 0;
	if (lrc == LDAP_SUCCESS)
		return 1;
	diag = ldapconn_diagnostic(src->r.ld);
	log_errorx("LDAP %s: reading the group %s failed: %s%s%s; the read is incomplete, "
	    "nothing will be changed", src->uri, dn, ldap_err2string(lrc), *diag ? ": " : "",
	    diag);
	free(diag);
	return -1;
}

static char a_oc[] = "objectClass", a_member[] = "member", a_unique[] = "uniqueMember";

/* Group dn from entry e (its first read): the entry's attributes, then
 * the rest of a ranged member attribute, chunk by chunk.  1, or -1
 * logged (out released). */
static int
group_from_entry(struct ldapsrc *src, const char *dn, LDAPMessage *e, struct dir_group *out)
{
	/* objectClass too: Samba answers a search for ranged attributes alone
	 * with no entry at all (measured), and a class is always readable. */
	char *more[3] = { NULL, a_oc, NULL }, *next_attr = NULL, *range;
	LDAPMessage *res;
	long next, asked;
	int rc = 1;

	if ((range = ldap_get_dn(src->r.ld, e)) != NULL) {
		out->dn = xstrdup(range);
		ldap_memfree(range);
	} else
		out->dn = xstrdup(dn);
	take_entry(src->r.ld, e, out, &next, &next_attr);
	while (rc == 1 && next >= 0) {
		asked = next;
		range = xasprintf("%s;range=%ld-*", next_attr, next);
		more[0] = range;
		log_debug("LDAP %s: group %s: reading %s", src->uri, out->dn, range);
		rc = read_base(src, dn, more, &res);
		if (rc == 1)
			take_entry(src->r.ld, ldap_first_entry(src->r.ld, res), out, &next,
			    &next_attr);
		if (rc == 1 && next >= 0 && next <= asked) {
			/* A server that answers a chunk with one before it would
			 * loop forever, and repeat values. */
			log_errorx("LDAP %s: the group %s answered %s with no values past %ld; "
			    "the read is incomplete, nothing will be changed", src->uri, dn, range,
			    asked - 1);
			rc = -1;
		} else if (rc == 0) {
			log_errorx("LDAP %s: the group %s went away while its members were "
			    "read in ranges; the read is incomplete, nothing will be changed",
			    src->uri, dn);
			rc = -1;
		}
		ldap_msgfree(res);
		free(range);
	}
	free(next_attr);
	if (rc == -1)
		dir_group_release(out);
	return rc;
}

int
ldapsrc_group(struct ldapsrc *src, const char *dn, struct dir_group *out)
{
	char *attrs[] = { a_oc, a_member, a_unique, NULL };
	LDAPMessage *res;
	int rc;

	*out = (struct dir_group){ 0 };
	if ((rc = read_base(src, dn, attrs, &res)) == 1)
		rc = group_from_entry(src, dn, ldap_first_entry(src->r.ld, res), out);
	ldap_msgfree(res);
	return rc;
}

/* Each group's entry, whole, to r->group_found. */
static int
group_entry(struct reader *r, LDAPMessage *e)
{
	/* The reader is the first member of its connection (ldapsrc_int.h). */
	struct ldapsrc *src = (struct ldapsrc *)r;
	struct dir_group g = { 0 };
	char *dn = ldap_get_dn(r->ld, e);
	int rc;

	if (dn == NULL) {
		ldapsrc_search_failed(r, LDAP_DECODING_ERROR, "returned a group without a DN");
		return -1;
	}
	rc = group_from_entry(src, dn, e, &g) == 1 ? r->group_found(r->group_ctx, &g) : -1;
	ldap_memfree(dn);
	dir_group_release(&g);
	return rc;
}

int
ldapsrc_group_entries(struct ldapsrc *src, const char *base,
    int (*found)(void *ctx, struct dir_group *g), void *ctx)
{
	char *attrs[] = { a_oc, a_member, a_unique, NULL };
	struct dir_references saved = src->r.snap.refs;
	int rc;

	/* A group search reaches where users are not read: its continuation
	 * references say nothing of the users, so they are not kept. */
	src->r.snap.refs = (struct dir_references){ 0 };
	src->r.group_found = found;
	src->r.group_ctx = ctx;
	rc = ldapsrc_search_paged(&src->r, &(struct search){
	    .filter = GROUP_CLASSES_FILTER, .attrs = attrs, .entry = group_entry, .base = base });
	src->r.group_found = NULL;
	src->r.group_ctx = NULL;
	dir_references_release(&src->r.snap.refs);
	src->r.snap.refs = saved;
	return rc;
}

int
ldapsrc_naming_contexts(struct ldapsrc *src, struct value_list *out)
{
	static char a_nc[] = "namingContexts";
	char *attrs[] = { a_nc, NULL };
	LDAPMessage *res;
	struct berval **vals;
	int rc = read_base(src, "", attrs, &res);

	if (rc == 1) {
		vals = ldap_get_values_len(src->r.ld, ldap_first_entry(src->r.ld, res), a_nc);
		for (size_t i = 0; vals != NULL && vals[i] != NULL; i++) {
			char *v = xstrndup(vals[i]->bv_val, vals[i]->bv_len);

			value_list_add(out, v);
			free(v);
		}
		ldap_value_free_len(vals);
	}
	ldap_msgfree(res);
	return rc == -1 ? -1 : 0;
}
