/*
 * ldapdirsync.c: incremental reads of Active Directory through its DirSync
 * control (1.2.840.113556.1.4.841), behind the contract of RFC 4533
 * content sync (ldapsrc_users_sync, ldapsrc.h).  How AD answers, measured
 * on Samba (DIRECTORY_SERVERS.md), and what the reader makes of it:
 *
 * - DirSync searches only at a naming context's root (an OU as its base is
 *   refused), and does not report an object that leaves its filter: so
 *   the root of the context holding base_dn, with (objectClass=*), and
 *   scope is decided here.
 * - With a cookie it names the objects of which an attribute asked for
 *   changed (another attribute's change names nothing: measured), with
 *   only the changed ones.  So it is asked for the attributes the agent
 *   reads, those its user and disabled filters test (filter.h), and name
 *   and parentGUID (a rename or a move).  Partial values are not merged:
 *   whether an entry is in scope cannot be judged from them.  Each object
 *   named under base_dn is read again whole by its objectGUID, within the
 *   user filter, in batches: found, it goes to the sink; not found, it is
 *   gone (deleted, disabled, out of the filter).  One named outside
 *   base_dn is gone too (moved out; a deleted one sits in CN=Deleted
 *   Objects).  A "gone" is only a claim: every leaver is confirmed before
 *   anything is done (trust.c), and the stage ignores ids it never had.
 * - An ordinary account must ask with the object-security flag, and is
 *   then told of no deletion: a deleted user is found by the next full
 *   read (full_every).  An account granted "Replicating Directory
 *   Changes" is asked without the flag and is told of deletions too.
 *   The flag chosen at the full read is kept with the cookie.
 * - A full read takes its cookie first, from a DirSync that names nothing
 *   (a filter no object matches), then reads the users paged: a change
 *   made meanwhile comes again next time, never lost.
 * - A cookie belongs to one domain controller; Samba takes another DC's
 *   without a word and answers from its own USNs (measured).  So it is
 *   kept with the identity of the DC that gave it (ldapsrc_dc_identity)
 *   and used only on a connection to that same DC.
 *
 * The control and the cookie as stored: ldapdirsync_ctl.c; what is looked
 * up by GUID or DN: ldapdirsync_guid.c.
 */
#include "ldap/ldapsrc.h"

#include <lber.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "ldap/ldapconn.h"
#include "ldap/ldapdirsync_int.h"
#include "ldap/ldapsrc_int.h"
#include "model/dn.h"
#include "model/filter.h"
#include "model/user.h"
#include "util/log.h"
#include "util/xmem.h"

/* An object the baseline named: it needs nothing of it. */
static int
ignore_entry(struct reader *r, LDAPMessage *e)
{
	(void)r;
	(void)e;
	return 0;
}

/* An object DirSync named changed: under base_dn, to be read again; else
 * gone from scope (moved out, deleted), as a claim to confirm. */
static int
named_entry(struct reader *r, LDAPMessage *e)
{
	struct dsync *d = r->dirsync_ctx;
	struct berval **g = ldap_get_values_len(r->ld, e, "objectGUID");
	char *dn = ldap_get_dn(r->ld, e), *norm = dn != NULL ? dn_normalize(dn) : NULL, *id;
	int rc = 0;

	d->named++;
	if (g == NULL || g[0] == NULL || g[0]->bv_len != 16) {
		log_errorx("LDAP DirSync of %s: %s came without its objectGUID; the read is "
		    "incomplete, nothing will be changed", d->nc, dn ? dn : "an object");
		rc = -1;
	} else if (norm != NULL && dn_norm_within(norm, d->base_norm)) {
		xgrow(&d->guids, &d->cap, d->nguids + 1, sizeof *d->guids);
		memcpy(d->guids[d->nguids++], g[0]->bv_val, 16);
	} else {
		d->outside++;
		id = dirsync_guid_text((const unsigned char *)g[0]->bv_val);
		rc = r->sink->gone(r->sink->ctx, id);
		free(id);
	}
	ldap_value_free_len(g);
	ldap_memfree(dn);
	free(norm);
	return rc;
}

/* One DirSync request from *cookie (replaced by the answer's), its
 * objects to entry.  The references it meets name other naming contexts
 * and say nothing of users.  With quiet, a failing result code is left
 * to the caller (r->result_code). */
static int
dirsync_round(struct dsync *d, const char *filter, char **attrs,
    int (*entry)(struct reader *, LDAPMessage *), struct berval *cookie, bool *more, bool quiet)
{
	LDAPControl *ctrl = NULL, **answer = NULL;
	struct dir_references saved = d->r->snap.refs;
	int rc;

	if (dirsync_request_control(d->flags, cookie, &ctrl) == -1) {
		log_errorx("LDAP DirSync of %s: cannot encode the control", d->nc);
		return -1;
	}
	d->r->snap.refs = (struct dir_references){ 0 };
	d->r->codes_quiet = quiet;
	d->r->dirsync_ctx = d;
	rc = ldapsrc_search_paged(d->r, &(struct search){ .filter = filter, .attrs = attrs,
	    .entry = entry, .base = d->nc, .control = ctrl, .result_controls = &answer });
	d->r->codes_quiet = false;
	dir_references_release(&d->r->snap.refs);
	d->r->snap.refs = saved;
	ldap_control_free(ctrl);
	if (rc == 0)
		rc = dirsync_response_parse(d, answer, cookie, more);
	ldap_controls_free(answer);
	return rc;
}

/* A result code that says "not this request" rather than "broken": a
 * control or cookie the server will not take. */
static bool
refusal(int code)
{
	return code == LDAP_UNAVAILABLE_CRITICAL_EXTENSION || code == LDAP_PROTOCOL_ERROR ||
	    code == LDAP_UNWILLING_TO_PERFORM || code == LDAP_OTHER ||
	    code == LDAP_OPERATIONS_ERROR || code == LDAP_NOT_SUPPORTED;
}

/* What a quiet round that failed ended with: 2 or 1 (as the caller
 * says a refusal means), or -1 after saying why the read is incomplete. */
static int
round_failed(struct dsync *d, int refused_rc, const char *what)
{
	int code = d->r->result_code;
	char *diag;

	if (code == LDAP_SUCCESS)
		return -1;	/* the connection failed: said */
	diag = ldapconn_diagnostic(d->r->ld);
	if (refusal(code))
		log_info("LDAP %s: the domain controller refused %s (%d: %s%s%s); reading in full",
		    ldapsrc_uri(d->src), what, code, ldap_err2string(code), *diag ? ": " : "",
		    diag);
	else
		log_errorx("LDAP DirSync of %s ended with %d (%s%s%s); the read is incomplete, "
		    "nothing will be changed", d->nc, code, ldap_err2string(code),
		    *diag ? ": " : "", diag);
	free(diag);
	return refusal(code) ? refused_rc : -1;
}

/* The baseline: a cookie for now, naming nothing.  Without the object-
 * security flag first (an account with the right is told of deletions),
 * then with it. */
static int
baseline(struct dsync *d, struct berval *cookie)
{
	static char a_guid[] = "objectGUID";
	char *attrs[] = { a_guid, NULL };
	bool more = true, first = true;
	int rc = 0;

	d->flags = 0;
	while (rc == 0 && more) {
		rc = dirsync_round(d, FILTER_NOTHING, attrs, ignore_entry, cookie, &more, first);
		if (rc == -1 && first && d->flags == 0 &&
		    d->r->result_code == LDAP_INSUFFICIENT_ACCESS) {
			d->flags = DIRSYNC_OBJECT_SECURITY;
			rc = 0;
			continue;
		}
		if (rc == -1 && first)
			return round_failed(d, 1, "DirSync");
		first = false;
	}
	if (rc == 0)
		log_debug("LDAP %s: DirSync %s", ldapsrc_uri(d->src), d->flags == 0 ?
		    "with the right to replicate directory changes: deletions are reported" :
		    "with object security: deletions are found by full reads");
	return rc;
}

/* The attributes DirSync is asked for (see the top); NULL-terminated,
 * strings borrowed from names.  NULL when a filter names memberOf (whose
 * changes are the group's, never reported on the user: 1 for the
 * caller) or cannot be followed. */
static char **
watched_attributes(struct dsync *d, struct value_list *names)
{
	static const char *const always[] = { "objectGUID", "parentGUID", "name", "isDeleted" };
	char *attrs[LDAPSRC_USER_ATTRS_MAX], **out;

	for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
		value_list_add(names, always[i]);
	ldapsrc_user_attrs(d->r, attrs);
	for (size_t i = 0; attrs[i] != NULL; i++)
		value_list_add(names, attrs[i]);
	if (!filter_attribute_names(d->r->cfg->user_filter, names) ||
	    (d->r->cfg->disabled_filter != NULL && d->r->cfg->disabled_filter[0] != '\0' &&
	    !filter_attribute_names(d->r->cfg->disabled_filter, names))) {
		log_info("LDAP %s: the user or disabled filter cannot be read for the attributes "
		    "it tests; DirSync is not used, reading in full", ldapsrc_uri(d->src));
		return NULL;
	}
	for (size_t i = 0; i < names->n; i++)
		if (strcasecmp(names->v[i], "memberOf") == 0) {
			log_info("LDAP %s: the user or disabled filter tests memberOf, whose "
			    "changes AD's DirSync never reports on the member; reading in full "
			    "(group_dn scopes by group and is read incrementally)",
			    ldapsrc_uri(d->src));
			return NULL;
		}
	out = xcalloc(names->n + 1, sizeof *out);
	memcpy(out, names->v, names->n * sizeof *out);
	return out;
}

static int
guid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* An entry read again: found in scope, whole. */
static int
reread_entry(struct reader *r, LDAPMessage *e)
{
	return ldapsrc_user_entry(r, e, dirsync_batch_found(r->dirsync_ctx, e));
}

/* (&(in-scope filter)(|(objectGUID=...)...)) for the batch. */
static char *
batch_filter(const struct dsync *d)
{
	char *scope = ldapsrc_user_filter(d->r->cfg), *ors = dirsync_guid_ors(d), *f;

	f = xasprintf("(&%s%s)", scope, ors);
	free(scope);
	free(ors);
	return f;
}

/* Every object named under base_dn, read again by its GUID. */
static int
reread(struct dsync *d)
{
	char *attrs[LDAPSRC_USER_ATTRS_MAX], *filter, *id;
	size_t n = 0;
	int rc = 0;

	if (d->nguids > 1)
		qsort(d->guids, d->nguids, sizeof *d->guids, guid_cmp);
	for (size_t i = 0; i < d->nguids; i++)	/* named in several answers: once */
		if (n == 0 || memcmp(d->guids[n - 1], d->guids[i], 16) != 0)
			memmove(d->guids[n++], d->guids[i], 16);
	d->nguids = n;
	ldapsrc_user_attrs(d->r, attrs);
	for (size_t i = 0; i < d->nguids && rc == 0; i += REREAD_BATCH) {
		d->batch = d->guids + i;
		d->nbatch = d->nguids - i < REREAD_BATCH ? d->nguids - i : REREAD_BATCH;
		memset(d->found, 0, sizeof d->found);
		filter = batch_filter(d);
		d->r->dirsync_ctx = d;
		rc = ldapsrc_search_paged(d->r, &(struct search){ .filter = filter,
		    .attrs = attrs, .entry = reread_entry });
		free(filter);
		for (size_t j = 0; j < d->nbatch && rc == 0; j++) {
			if (d->found[j])
				continue;
			id = dirsync_guid_text(d->batch[j]);
			rc = d->r->sink->gone(d->r->sink->ctx, id);
			free(id);
		}
	}
	return rc;
}

/*
 * What changed since the cookie: 0, 2 (refused: read in full), -1.  A DC
 * whose highestCommittedUSN has not moved since the cookie's read began
 * wrote nothing since, its own or replicated: DirSync, which costs the
 * server a pass over the whole naming context (Samba: no index serves
 * it, BENCHMARKS.md), is not asked.  Group members new to the agent are
 * read either way.
 */
static int
read_changes(struct dsync *d, struct dirsync_cookie *ck)
{
	unsigned long long usn = ldapsrc_dc_usn(d->src);
	bool more = true, first = true;
	int rc = 0;

	if (usn != 0 && usn == ck->usn) {
		more = false;
		log_debug("LDAP %s: no write on the domain controller since the last read "
		    "(highestCommittedUSN %llu): DirSync is not asked", ldapsrc_uri(d->src), usn);
	}
	while (rc == 0 && more) {
		if (ldapsrc_stopping()) {
			log_info("LDAP DirSync of %s stopped by signal", d->nc);
			rc = -1;
			break;
		}
		rc = dirsync_round(d, "(objectClass=*)", d->attrs, named_entry, &ck->bin, &more,
		    first);
		if (rc == -1 && first)
			rc = round_failed(d, 2, "the DirSync cookie");
		first = false;
		ck->usn = usn;
	}
	if (rc == 0)
		rc = dirsync_resolve_also(d);
	if (rc == 0)
		rc = reread(d);
	if (rc == 0)
		log_debug("LDAP DirSync of %s: %zu objects named, %zu under base_dn read again, "
		    "%zu outside it", d->nc, d->named, d->nguids, d->outside);
	return rc;
}

/* Is cookie this DC's?  If not, say why; the read is then in full. */
static bool
cookie_usable(struct dsync *d, const char *cookie, const char *dc, struct dirsync_cookie *ck)
{
	if (!dirsync_cookie_parse(cookie, ck)) {
		log_info("LDAP %s: the stored cookie is not a DirSync cookie; reading in full",
		    ldapsrc_uri(d->src));
		return false;
	}
	if (strcmp(ck->dc, dc) != 0) {
		log_info("LDAP %s: the stored DirSync cookie was given by another domain "
		    "controller (%s), or by this one before it was restored from a backup; "
		    "this connection reached %s; reading in full", ldapsrc_uri(d->src), ck->dc,
		    dc);
		return false;
	}
	d->flags = ck->flags;
	return true;
}

int
ldapsrc_users_dirsync(struct ldapsrc *src, const char *cookie, const struct dir_sink *sink,
    struct dir_sync_end *end)
{
	struct dsync d = { .src = src, .r = &src->r };
	struct dirsync_cookie ck = { 0 };
	const char *dc = ldapsrc_dc_identity(src);
	int rc;

	*end = (struct dir_sync_end){ 0 };
	src->r.sink = sink;
	src->r.nusers = 0;
	if (dc == NULL) {
		log_info("LDAP %s: the domain controller does not say which it is (dsServiceName, "
		    "invocationId); DirSync is not used, reading in full", src->uri);
		return 1;
	}
	d.base_norm = dn_normalize(src->r.cfg->base_dn);
	if (d.base_norm == NULL || (d.nc = dirsync_naming_context(&d)) == NULL) {
		log_info("LDAP %s: base_dn lies in no naming context the server lists; DirSync "
		    "is not used, reading in full", src->uri);
		rc = 1;
	} else if ((d.attrs = watched_attributes(&d, &d.names)) == NULL)
		rc = 1;
	else if (cookie != NULL)
		rc = cookie_usable(&d, cookie, dc, &ck) ? read_changes(&d, &ck) : 2;
	else {
		ck.usn = ldapsrc_dc_usn(src);	/* before the baseline: a write after it
						 * is in the next read */
		if ((rc = baseline(&d, &ck.bin)) == 0)
			rc = ldapsrc_users(src, sink);
	}
	if (rc == 0) {
		ck.flags = d.flags;
		ck.dc = dc;
		end->cookie = dirsync_cookie_text(&ck);
		log_debug("LDAP %s: DirSync: %zu users sent", src->uri, src->r.nusers);
	}
	src->r.also_dns = NULL;
	free(ck.bin.bv_val);
	free(d.attrs);
	value_list_release(&d.names);
	free(d.guids);
	free(d.nc);
	free(d.base_norm);
	return rc;
}


int
ldapsrc_dirsync_probe(struct ldapsrc *src, bool *told_deletions)
{
	struct dsync d = { .src = src, .r = &src->r };
	struct berval bin = { 0, NULL };
	int rc = -1;

	*told_deletions = false;
	d.base_norm = dn_normalize(src->r.cfg->base_dn);
	if (d.base_norm != NULL && (d.nc = dirsync_naming_context(&d)) != NULL &&
	    (rc = baseline(&d, &bin)) == 0)
		*told_deletions = d.flags == 0;
	free(bin.bv_val);
	free(d.nc);
	free(d.base_norm);
	return rc == 0 ? 0 : -1;
}
