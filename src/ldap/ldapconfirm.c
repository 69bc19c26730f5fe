/*
 * ldapconfirm.c: asking the server again whether entries are still in
 * scope, by id (SPEC.md, Trust).  An incremental read's word that a user
 * left is never enough to deactivate it: each such user is looked for
 * with a subtree search under base_dn, within the user filter and not
 * disabled, on the same connection (so the same server) as the read.
 * Only a search that ends in success, with no entry of that id and no
 * continuation reference that could hide it, says "gone".  Ids are asked
 * in batches, one OR filter each.  See ldapsrc.h for the contract.
 */
#include "ldap/ldapsrc.h"

#include <ctype.h>
#include <ldap.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "model/dn.h"
#include "ldap/ldapconn.h"
#include "ldap/ldapsrc_int.h"
#include "util/log.h"
#include "model/user.h"
#include "util/xmem.h"

/* Ids per search: a filter of 50 short values stays far below any
 * server's limits on filter size. */
#define CONFIRM_BATCH 50

void
ldapsrc_escape_bytes(const unsigned char *b, size_t n, char **out)
{
	static const char hex[] = "0123456789abcdef";
	char *t = *out = xmalloc(n * 3 + 1);

	for (size_t i = 0; i < n; i++) {
		*t++ = '\\';
		*t++ = hex[b[i] >> 4];
		*t++ = hex[b[i] & 15];
	}
	*t = '\0';
}

static int
hex_value(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* The printable id back to bytes: AD's GUID form (first three groups
 * byte-swapped, as user_id_printable makes it) or plain hex.  0 when it
 * is neither. */
size_t
ldapsrc_id_bytes(const char *attr, const char *id, unsigned char *out, size_t cap)
{
	static const int guid_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	unsigned char raw[16];
	size_t len = strlen(id), n = 0;

	if (strcasecmp(attr, "objectGUID") == 0 && len == 36) {
		for (const char *p = id; *p != '\0' && n < 16; p++) {
			if (*p == '-')
				continue;
			if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
				return 0;
			raw[n++] = (unsigned char)(hex_value(p[0]) * 16 + hex_value(p[1]));
			p++;
		}
		if (n != 16 || cap < 16)
			return 0;
		for (int i = 0; i < 16; i++)
			out[i] = raw[guid_order[i]];
		return 16;
	}
	if (len < 2 || len % 2 != 0 || len / 2 > cap || strspn(id, "0123456789abcdef") != len)
		return 0;
	for (n = 0; n < len / 2; n++)
		out[n] = (unsigned char)(hex_value(id[2 * n]) * 16 + hex_value(id[2 * n + 1]));
	return n;
}

/* "(attr=v)" for each form the stored id may have had in the directory:
 * as text, and as the bytes its printable form stands for.  Asking for
 * both can only find more, which holds a user rather than lets it go. */
static void
id_clauses(const char *attr, const char *id, char **out)
{
	unsigned char bytes[256];
	struct berval in = { strlen(id), (char *)id }, esc = { 0, NULL };
	size_t n = ldapsrc_id_bytes(attr, id, bytes, sizeof bytes);
	bool guid = n == 16 && strcasecmp(attr, "objectGUID") == 0;
	char *bin = NULL, *text;

	if (n > 0)
		ldapsrc_escape_bytes(bytes, n, &bin);
	if (guid)
		text = xasprintf("(%s=%s)", attr, bin);
	else {
		ldap_bv2escaped_filter_value(&in, &esc);
		text = bin ? xasprintf("(%s=%s)(%s=%s)", attr, esc.bv_val, attr, bin) :
		    xasprintf("(%s=%s)", attr, esc.bv_val);
		ber_memfree(esc.bv_val);
	}
	free(bin);
	*out = text;
}

/* (&(in-scope filter)(|(id=...)...)) for items[0..n). */
static char *
batch_filter(const struct config *cfg, const struct confirm_item *items, size_t n)
{
	char *scope = ldapsrc_user_filter(cfg), *ors = xstrdup(""), *clause, *next, *f;

	for (size_t i = 0; i < n; i++) {
		id_clauses(cfg->id_attribute, items[i].id, &clause);
		next = xasprintf("%s%s", ors, clause);
		free(ors);
		free(clause);
		ors = next;
	}
	f = xasprintf("(&%s(|%s))", scope, ors);
	free(scope);
	free(ors);
	return f;
}

/* An entry the search found: the item of its id is still in scope. */
static void
mark_found(struct reader *r, LDAPMessage *e, struct confirm_item *items, size_t n)
{
	struct berval **vals = ldap_get_values_len(r->ld, e, r->cfg->id_attribute);
	char *id, *dn = ldap_get_dn(r->ld, e);

	for (size_t v = 0; vals != NULL && vals[v] != NULL; v++) {
		id = user_id_printable(r->cfg->id_attribute,
		    (const unsigned char *)vals[v]->bv_val, vals[v]->bv_len);
		for (size_t i = 0; i < n; i++)
			if (strcmp(items[i].id, id) == 0) {
				items[i].presence = PRESENCE_IN_SCOPE;
				free(items[i].found_dn);
				items[i].found_dn = xstrdup(dn);
			}
		free(id);
	}
	ldap_memfree(dn);
	ldap_value_free_len(vals);
}

/* Where a continuation reference points: a DN under base_dn, or (any
 * other answer) anywhere. */
static void
reference_note(struct reader *r, LDAPMessage *ref, struct dir_references *refs)
{
	char **urls = NULL;
	LDAPURLDesc *lud = NULL;

	refs->n++;
	if (ldap_parse_reference(r->ld, ref, &urls, NULL, 0) != LDAP_SUCCESS || urls == NULL ||
	    urls[0] == NULL) {
		refs->outside = true;
		ldap_memvfree((void **)urls);
		return;
	}
	for (size_t u = 0; urls[u] != NULL; u++) {
		if (ldap_url_parse(urls[u], &lud) == LDAP_URL_SUCCESS && lud->lud_dn != NULL &&
		    lud->lud_dn[0] != '\0' && dn_is_within(lud->lud_dn, r->cfg->base_dn))
			value_list_add(&refs->dns, lud->lud_dn);
		else
			refs->outside = true;
		log_debug("LDAP search of %s: continuation reference %s", r->cfg->base_dn, urls[u]);
		ldap_free_urldesc(lud);
		lud = NULL;
	}
	ldap_memvfree((void **)urls);
}

/* One batch: GONE unless found, referenced, or the search did not end
 * whole; then the found ones IN_SCOPE. */
static void
confirm_batch(struct reader *r, const char *uri, struct confirm_item *items, size_t n)
{
	char *attrs[2] = { (char *)r->cfg->id_attribute, NULL };
	char *filter = batch_filter(r->cfg, items, n), *diag;
	struct timeval tv = { r->cfg->ldap_timeout, 0 };
	struct dir_references refs = { 0 };
	LDAPMessage *res = NULL, *m;
	int lrc;

	for (size_t i = 0; i < n; i++)
		items[i].presence = PRESENCE_GONE;
	lrc = ldap_search_ext_s(r->ld, r->cfg->base_dn, LDAP_SCOPE_SUBTREE, filter, attrs, 0,
	    NULL, NULL, &tv, LDAP_NO_LIMIT, &res);
	for (m = ldap_first_message(r->ld, res); m != NULL; m = ldap_next_message(r->ld, m)) {
		if (ldap_msgtype(m) == LDAP_RES_SEARCH_ENTRY)
			mark_found(r, m, items, n);
		else if (ldap_msgtype(m) == LDAP_RES_SEARCH_REFERENCE)
			reference_note(r, m, &refs);
	}
	/* The users a reference may hide stay unsure. */
	for (size_t i = 0; i < n; i++)
		if (items[i].presence == PRESENCE_GONE && dir_references_hide(&refs, items[i].dn))
			items[i].presence = PRESENCE_UNSURE;
	dir_references_release(&refs);
	if (lrc != LDAP_SUCCESS) {
		diag = ldapconn_diagnostic(r->ld);
		log_warnx("LDAP %s: confirming that %zu users left: the search ended with %d "
		    "(%s)%s%s; they are held as they are", uri, n, lrc, ldap_err2string(lrc),
		    *diag ? ": " : "", diag);
		free(diag);
		for (size_t i = 0; i < n; i++)
			if (items[i].presence == PRESENCE_GONE)
				items[i].presence = PRESENCE_UNSURE;
	}
	ldap_msgfree(res);
	free(filter);
}

int
ldapsrc_confirm(struct ldapsrc *src, struct confirm_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		items[i].presence = PRESENCE_UNSURE;
	for (size_t i = 0; i < n; i += CONFIRM_BATCH) {
		if (ldapsrc_stopping())
			return -1;
		confirm_batch(&src->r, src->uri, items + i,
		    n - i < CONFIRM_BATCH ? n - i : CONFIRM_BATCH);
	}
	return 0;
}


void
ldapsrc_note_reference(struct reader *r, LDAPMessage *ref)
{
	reference_note(r, ref, &r->snap.refs);
}

/* An entry of ldapsrc_disabled_since: its id to the caller. */
static int
id_entry(struct reader *r, LDAPMessage *e)
{
	struct berval **vals = ldap_get_values_len(r->ld, e, r->cfg->id_attribute);
	char *id;
	int rc = 0;

	for (size_t v = 0; vals != NULL && vals[v] != NULL && rc == 0; v++) {
		id = user_id_printable(r->cfg->id_attribute,
		    (const unsigned char *)vals[v]->bv_val, vals[v]->bv_len);
		rc = r->id_found(r->id_ctx, id);
		free(id);
	}
	ldap_value_free_len(vals);
	return rc;
}

int
ldapsrc_disabled_since(struct ldapsrc *src, time_t since,
    int (*found)(void *ctx, const char *id), void *ctx)
{
	const struct config *cfg = src->r.cfg;
	char *attrs[2] = { (char *)cfg->id_attribute, NULL }, when[32], *uf, *df, *filter;
	struct tm tm;
	int rc;

	gmtime_r(&since, &tm);
	strftime(when, sizeof when, "%Y%m%d%H%M%SZ", &tm);
	uf = ldapsrc_filter_paren(cfg->user_filter);
	df = ldapsrc_filter_paren(cfg->disabled_filter);
	filter = xasprintf("(&%s%s(modifyTimestamp>=%s))", uf, df, when);
	src->r.id_found = found;
	src->r.id_ctx = ctx;
	rc = ldapsrc_search_paged(&src->r, &(struct search){ .filter = filter,
	    .attrs = attrs, .entry = id_entry });
	src->r.id_found = NULL;
	src->r.id_ctx = NULL;
	free(uf);
	free(df);
	free(filter);
	return rc;
}
