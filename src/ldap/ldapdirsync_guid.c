/*
 * ldapdirsync_guid.c: what the DirSync reader looks up by objectGUID or
 * DN: the naming context to ask, the members new to a group resolved to
 * their GUIDs, and whether objects exist at all (a deleted one does not,
 * to an ordinary account: the audit's question, ldapsrc.h).
 */
#include "ldap/ldapdirsync_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ldap/ldapconn.h"
#include "model/dn.h"
#include "model/user.h"
#include "util/log.h"
#include "util/xmem.h"

char *
dirsync_guid_text(const unsigned char *g)
{
	return user_id_printable("objectGUID", g, 16);
}

char *
dirsync_guid_ors(const struct dsync *d)
{
	char *ors = xstrdup(""), *esc, *next, *f;

	for (size_t i = 0; i < d->nbatch; i++) {
		ldapsrc_escape_bytes(d->batch[i], 16, &esc);
		next = xasprintf("%s(objectGUID=%s)", ors, esc);
		free(esc);
		free(ors);
		ors = next;
	}
	f = xasprintf("(|%s)", ors);
	free(ors);
	return f;
}

/* The naming context holding base_dn: the deepest the server lists. */
char *
dirsync_naming_context(struct dsync *d)
{
	struct value_list ncs = { 0 };
	char *best = NULL, *norm;
	size_t best_len = 0;

	if (ldapsrc_naming_contexts(d->src, &ncs) == -1)
		return NULL;
	for (size_t i = 0; i < ncs.n; i++) {
		norm = dn_normalize(ncs.v[i]);
		if (norm != NULL && dn_norm_within(d->base_norm, norm) &&
		    (best == NULL || strlen(norm) > best_len)) {
			free(best);
			best = xstrdup(ncs.v[i]);
			best_len = strlen(norm);
		}
		free(norm);
	}
	value_list_release(&ncs);
	return best;
}

void
ldapsrc_also_read(struct ldapsrc *src, const struct value_list *dns)
{
	src->r.also_dns = dns;
}

/* The DNs ldapsrc_also_read named, as GUIDs to read again; a DN that
 * names nothing now is left out. */
int
dirsync_resolve_also(struct dsync *d)
{
	static char a_guid[] = "objectGUID";
	char *attrs[] = { a_guid, NULL }, *diag;
	const struct value_list *dns = d->r->also_dns;
	struct timeval tv = { d->r->cfg->ldap_timeout, 0 };
	LDAPMessage *res, *e;
	struct berval **g;
	int lrc;

	d->r->also_dns = NULL;	/* once */
	for (size_t i = 0; dns != NULL && i < dns->n; i++) {
		res = NULL;
		lrc = ldap_search_ext_s(d->r->ld, dns->v[i], LDAP_SCOPE_BASE, "(objectClass=*)",
		    attrs, 0, NULL, NULL, d->r->cfg->ldap_timeout > 0 ? &tv : NULL, 1, &res);
		e = lrc == LDAP_SUCCESS ? ldap_first_entry(d->r->ld, res) : NULL;
		g = e != NULL ? ldap_get_values_len(d->r->ld, e, a_guid) : NULL;
		if (g != NULL && g[0] != NULL && g[0]->bv_len == 16) {
			xgrow(&d->guids, &d->cap, d->nguids + 1, sizeof *d->guids);
			memcpy(d->guids[d->nguids++], g[0]->bv_val, 16);
		}
		ldap_value_free_len(g);
		ldap_msgfree(res);
		if (lrc != LDAP_SUCCESS && lrc != LDAP_NO_SUCH_OBJECT) {
			diag = ldapconn_diagnostic(d->r->ld);
			log_errorx("LDAP %s: reading %s, a new member of a group, ended with %d "
			    "(%s%s%s); the read is incomplete, nothing will be changed",
			    ldapsrc_uri(d->src), dns->v[i], lrc, ldap_err2string(lrc),
			    *diag ? ": " : "", diag);
			free(diag);
			return -1;
		}
	}
	return 0;
}

char *
dirsync_batch_found(struct dsync *d, LDAPMessage *e)
{
	struct berval **g = ldap_get_values_len(d->r->ld, e, "objectGUID");
	char *id = NULL;

	if (g != NULL && g[0] != NULL && g[0]->bv_len == 16) {
		for (size_t i = 0; i < d->nbatch; i++)
			if (memcmp(d->batch[i], g[0]->bv_val, 16) == 0)
				d->found[i] = true;
		id = dirsync_guid_text((const unsigned char *)g[0]->bv_val);
	}
	ldap_value_free_len(g);
	return id;
}

/* An object found by ldapsrc_objects_exist. */
static int
exists_entry(struct reader *r, LDAPMessage *e)
{
	free(dirsync_batch_found(r->dirsync_ctx, e));
	return 0;
}

int
ldapsrc_objects_exist(struct ldapsrc *src, char *const *guids, size_t n, bool *exists)
{
	static char a_guid[] = "objectGUID";
	char *attrs[] = { a_guid, NULL }, *filter;
	struct dsync d = { .src = src, .r = &src->r };
	struct dir_references saved = src->r.snap.refs;
	int rc = 0;

	if (n == 0)
		return 0;
	d.base_norm = dn_normalize(src->r.cfg->base_dn);
	if (d.base_norm == NULL || (d.nc = dirsync_naming_context(&d)) == NULL) {
		log_errorx("LDAP %s: base_dn lies in no naming context the server lists",
		    src->uri);
		free(d.base_norm);
		return -1;
	}
	d.guids = xcalloc(n, sizeof *d.guids);
	for (size_t i = 0; i < n; i++)
		if (ldapsrc_id_bytes("objectGUID", guids[i], d.guids[i], 16) != 16)
			exists[i] = true;	/* not a GUID: taken as there */
	src->r.snap.refs = (struct dir_references){ 0 };
	for (size_t i = 0; i < n && rc == 0; i += REREAD_BATCH) {
		d.batch = d.guids + i;
		d.nbatch = n - i < REREAD_BATCH ? n - i : REREAD_BATCH;
		memset(d.found, 0, sizeof d.found);
		filter = dirsync_guid_ors(&d);
		src->r.dirsync_ctx = &d;
		rc = ldapsrc_search_paged(&src->r, &(struct search){ .filter = filter,
		    .attrs = attrs, .entry = exists_entry, .base = d.nc });
		free(filter);
		for (size_t j = 0; j < d.nbatch; j++)
			exists[i + j] |= d.found[j];
	}
	dir_references_release(&src->r.snap.refs);
	src->r.snap.refs = saved;
	free(d.guids);
	free(d.nc);
	free(d.base_norm);
	return rc;
}
