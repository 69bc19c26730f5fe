/*
 * dn.h: distinguished names as text (RFC 4514), without libldap, so the
 * mapping stays pure and testable.  A parsed DN keeps each RDN's attribute
 * type and unescaped value; its normalized form (types and values in lower
 * case, escapes resolved, spaces around separators dropped) is what DNs are
 * compared by.  Everything returned is owned by the caller.
 */
#ifndef L2I_DN_H
#define L2I_DN_H

#include <stdbool.h>
#include <stddef.h>

#define DN_MAX_LEN 4096		/* longer DNs are refused, not truncated */

struct dn {
	char **type;		/* lower-case attribute type of each RDN, nearest first */
	char **value;		/* unescaped value, original case */
	size_t n;
};

/* Parse text into *out.  Returns 0, or -1 for a malformed or over-long DN
 * (*out is then empty).  Multi-valued RDNs ("a=1+b=2") are kept whole as
 * one RDN whose type is that of the first part. */
int dn_parse(const char *text, struct dn *out);
void dn_release(struct dn *dn);
/* The text of text's parent: what follows its first RDN and the ',' or
 * ';' after it, as it stands in text.  NULL when text is over-long, has
 * one RDN or none, or its first RDN is malformed.  dn_parse makes of the
 * rest of text's RDNs just what it makes of that text, so two DNs with
 * the same parent text and a good first RDN share their parent. */
const char *dn_parent_text(const char *text);
/* The normalized form of the RDNs from index from to the end (from = 0:
 * the whole DN; from = 1: its parent). */
char *dn_norm_from(const struct dn *dn, size_t from);
/* dn_parse + dn_norm_from(0); NULL if malformed. */
char *dn_normalize(const char *text);
/* dn is ancestor or lies below it, compared normalized.  A DN that cannot
 * be parsed counts as within: callers use it to hold users in doubt. */
bool dn_is_within(const char *dn, const char *ancestor);
/* The same over two normalized DNs, without parsing (a hot path: every
 * member of a group is asked). */
bool dn_norm_within(const char *norm, const char *ancestor_norm);

#endif
