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
#include "ldap/ldapsrc_int.h"
#include "model/dn.h"
#include "model/filter.h"
#include "model/user.h"
#include "util/log.h"
#include "util/xmem.h"

#define OID_DIRSYNC		"1.2.840.113556.1.4.841"
/* LDAP_DIRSYNC_OBJECT_SECURITY: what an ordinary account may ask. */
#define DIRSYNC_OBJECT_SECURITY	1
/* Bytes per answer before "more data": Windows' own cap is 10 MB;
 * Samba sends everything at once whatever is asked (measured). */
#define DIRSYNC_MAX_BYTES	(1 << 20)
/* No object has this objectGUID: a DirSync that names nothing, for its
 * cookie (the server's high-water mark now). */
#define FILTER_NOTHING		"(objectGUID=\\00\\00\\00\\00\\00\\00\\00\\00" \
				"\\00\\00\\00\\00\\00\\00\\00\\00)"
#define COOKIE_PREFIX		"dirsync1;"
/* Objects read again per search (as ldapconfirm.c's batches). */
#define REREAD_BATCH		50

typedef unsigned char guid_t[16];

struct dsync {
	struct ldapsrc *src;
	struct reader *r;
	char *nc;		/* the naming context holding base_dn */
	char *base_norm;	/* base_dn, normalized */
	int flags;
	/* The attributes DirSync is asked for, strings in names. */
	char **attrs;
	struct value_list names;
	/* The objects under base_dn named changed: read again. */
	guid_t *guids;
	size_t nguids, cap;
	size_t named, outside;
	/* The batch being read again, and which of it was found. */
	guid_t *batch;
	size_t nbatch;
	bool found[REREAD_BATCH];
};

static char *
guid_text(const unsigned char *g)
{
	return user_id_printable("objectGUID", g, 16);
}

static char *
hex_encode(const struct berval *bv)
{
	char *out = xmalloc(bv->bv_len * 2 + 1);

	for (size_t i = 0; i < bv->bv_len; i++)
		snprintf(out + 2 * i, 3, "%02x", (unsigned char)bv->bv_val[i]);
	out[bv->bv_len * 2] = '\0';
	return out;
}

static bool
hex_decode(const char *text, size_t len, struct berval *out)
{
	unsigned int byte;

	if (len % 2 != 0)
		return false;
	out->bv_len = len / 2;
	out->bv_val = xmalloc(out->bv_len + 1);
	for (size_t i = 0; i < out->bv_len; i++) {
		if (sscanf(text + 2 * i, "%2x", &byte) != 1) {
			free(out->bv_val);
			*out = (struct berval){ 0, NULL };
			return false;
		}
		out->bv_val[i] = (char)byte;
	}
	return true;
}

/* "dirsync1;FLAGS;COOKIE-HEX;DC-IDENTITY": the identity last, since a DN
 * may hold anything. */
static char *
cookie_text(int flags, const struct berval *bin, const char *dc)
{
	char *hex = hex_encode(bin), *text = xasprintf(COOKIE_PREFIX "%d;%s;%s", flags, hex, dc);

	free(hex);
	return text;
}

static bool
cookie_parse(const char *text, int *flags, struct berval *bin, const char **dc)
{
	const char *p, *semi;
	char *end;

	if (strncmp(text, COOKIE_PREFIX, strlen(COOKIE_PREFIX)) != 0)
		return false;
	p = text + strlen(COOKIE_PREFIX);
	*flags = (int)strtol(p, &end, 10);
	if (end == p || *end != ';')
		return false;
	p = end + 1;
	if ((semi = strchr(p, ';')) == NULL || !hex_decode(p, (size_t)(semi - p), bin))
		return false;
	*dc = semi + 1;
	return true;
}

/* The request: flags, a bound on bytes, and the cookie (empty: from the
 * beginning). */
static int
request_control(int flags, const struct berval *cookie, LDAPControl **out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval none = { 0, NULL }, val;
	int rc = -1;

	*out = NULL;
	if (ber == NULL)
		return -1;
	if (ber_printf(ber, "{iiO}", (ber_int_t)flags, (ber_int_t)DIRSYNC_MAX_BYTES,
	    cookie != NULL && cookie->bv_len > 0 ? cookie : &none) != -1 &&
	    ber_flatten2(ber, &val, 0) == 0 &&
	    ldap_control_create(OID_DIRSYNC, 1, &val, 1, out) == LDAP_SUCCESS)
		rc = 0;
	ber_free(ber, 1);
	return rc;
}

/* The answer: whether more data waits, and the new cookie (replacing
 * *cookie).  -1 logged when the server sent none or one unreadable. */
static int
response_parse(struct dsync *d, LDAPControl **ctrls, struct berval *cookie, bool *more)
{
	LDAPControl *c = ldap_control_find(OID_DIRSYNC, ctrls, NULL);
	BerElement *ber = c != NULL ? ber_init(&c->ldctl_value) : NULL;
	ber_int_t flag = 0, unused = 0;
	struct berval next = { 0, NULL };

	if (ber == NULL || ber_scanf(ber, "{iio}", &flag, &unused, &next) == LBER_ERROR ||
	    next.bv_len == 0) {
		log_errorx("LDAP DirSync of %s: the answer holds no cookie the agent can read; "
		    "the read is incomplete, nothing will be changed", d->nc);
		if (ber != NULL)
			ber_free(ber, 1);
		ber_memfree(next.bv_val);
		return -1;
	}
	ber_free(ber, 1);
	free(cookie->bv_val);	/* ours: the cookie is kept in our own memory */
	cookie->bv_len = next.bv_len;
	cookie->bv_val = xmalloc(next.bv_len + 1);
	memcpy(cookie->bv_val, next.bv_val, next.bv_len);
	ber_memfree(next.bv_val);
	*more = flag != 0;
	return 0;
}

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
		id = guid_text((const unsigned char *)g[0]->bv_val);
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

	if (request_control(d->flags, cookie, &ctrl) == -1) {
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
		rc = response_parse(d, answer, cookie, more);
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
	struct dsync *d = r->dirsync_ctx;
	struct berval **g = ldap_get_values_len(r->ld, e, "objectGUID");
	char *id = NULL;

	if (g != NULL && g[0] != NULL && g[0]->bv_len == 16) {
		for (size_t i = 0; i < d->nbatch; i++)
			if (memcmp(d->batch[i], g[0]->bv_val, 16) == 0)
				d->found[i] = true;
		id = guid_text((const unsigned char *)g[0]->bv_val);
	}
	ldap_value_free_len(g);
	return ldapsrc_user_entry(r, e, id);
}

/* (&(in-scope filter)(|(objectGUID=...)...)) for the batch. */
static char *
batch_filter(const struct dsync *d)
{
	char *scope = ldapsrc_user_filter(d->r->cfg), *ors = xstrdup(""), *esc, *next, *f;

	for (size_t i = 0; i < d->nbatch; i++) {
		ldapsrc_escape_bytes(d->batch[i], 16, &esc);
		next = xasprintf("%s(objectGUID=%s)", ors, esc);
		free(esc);
		free(ors);
		ors = next;
	}
	f = xasprintf("(&%s(|%s))", scope, ors);
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
		d->batch = &d->guids[i];
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
			id = guid_text(d->batch[j]);
			rc = d->r->sink->gone(d->r->sink->ctx, id);
			free(id);
		}
	}
	return rc;
}

void
ldapsrc_also_read(struct ldapsrc *src, const struct value_list *dns)
{
	src->r.also_dns = dns;
}

/* The DNs ldapsrc_also_read named, as GUIDs to read again; a DN that
 * names nothing now is left out. */
static int
resolve_also(struct dsync *d)
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

/* What changed since cookie: 0, 2 (refused: read in full), -1. */
static int
read_changes(struct dsync *d, struct berval *cookie)
{
	bool more = true, first = true;
	int rc = 0;

	while (rc == 0 && more) {
		if (ldapsrc_stopping()) {
			log_info("LDAP DirSync of %s stopped by signal", d->nc);
			rc = -1;
			break;
		}
		rc = dirsync_round(d, "(objectClass=*)", d->attrs, named_entry, cookie, &more,
		    first);
		if (rc == -1 && first)
			rc = round_failed(d, 2, "the DirSync cookie");
		first = false;
	}
	if (rc == 0)
		rc = resolve_also(d);
	if (rc == 0)
		rc = reread(d);
	if (rc == 0)
		log_debug("LDAP DirSync of %s: %zu objects named, %zu under base_dn read again, "
		    "%zu outside it", d->nc, d->named, d->nguids, d->outside);
	return rc;
}

/* The naming context holding base_dn: the deepest the server lists. */
static char *
naming_context(struct dsync *d)
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

/* Is cookie this DC's?  If not, say why; the read is then in full. */
static bool
cookie_usable(struct dsync *d, const char *cookie, const char *dc, int *flags,
    struct berval *bin)
{
	const char *theirs;

	if (!cookie_parse(cookie, flags, bin, &theirs)) {
		log_info("LDAP %s: the stored cookie is not a DirSync cookie; reading in full",
		    ldapsrc_uri(d->src));
		return false;
	}
	if (strcmp(theirs, dc) != 0) {
		log_info("LDAP %s: the stored DirSync cookie was given by another domain "
		    "controller (%s), or by this one before it was restored from a backup; "
		    "this connection reached %s; reading in full", ldapsrc_uri(d->src), theirs,
		    dc);
		return false;
	}
	return true;
}

int
ldapsrc_users_dirsync(struct ldapsrc *src, const char *cookie, const struct dir_sink *sink,
    struct dir_sync_end *end)
{
	struct dsync d = { .src = src, .r = &src->r };
	struct berval bin = { 0, NULL };
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
	if (d.base_norm == NULL || (d.nc = naming_context(&d)) == NULL) {
		log_info("LDAP %s: base_dn lies in no naming context the server lists; DirSync "
		    "is not used, reading in full", src->uri);
		rc = 1;
	} else if ((d.attrs = watched_attributes(&d, &d.names)) == NULL)
		rc = 1;
	else if (cookie != NULL)
		rc = cookie_usable(&d, cookie, dc, &d.flags, &bin) ? read_changes(&d, &bin) : 2;
	else if ((rc = baseline(&d, &bin)) == 0)
		rc = ldapsrc_users(src, sink);
	if (rc == 0) {
		end->cookie = cookie_text(d.flags, &bin, dc);
		log_debug("LDAP %s: DirSync: %zu users sent", src->uri, src->r.nusers);
	}
	src->r.also_dns = NULL;
	free(bin.bv_val);
	free(d.attrs);
	value_list_release(&d.names);
	free(d.guids);
	free(d.nc);
	free(d.base_norm);
	return rc;
}

bool
ldapsrc_dirsync_blind_to_deletions(const struct ldapsrc *src, const char *cookie)
{
	struct berval bin = { 0, NULL };
	const char *dc;
	int flags = 0;
	bool blind;

	if (!src->r.dirsync || cookie == NULL)
		return false;
	blind = cookie_parse(cookie, &flags, &bin, &dc) && (flags & DIRSYNC_OBJECT_SECURITY);
	free(bin.bv_val);
	return blind;
}

/* An object found by ldapsrc_objects_exist. */
static int
exists_entry(struct reader *r, LDAPMessage *e)
{
	struct dsync *d = r->dirsync_ctx;
	struct berval **g = ldap_get_values_len(r->ld, e, "objectGUID");

	for (size_t i = 0; g != NULL && g[0] != NULL && g[0]->bv_len == 16 && i < d->nbatch; i++)
		if (memcmp(d->batch[i], g[0]->bv_val, 16) == 0)
			d->found[i] = true;
	ldap_value_free_len(g);
	return 0;
}

int
ldapsrc_objects_exist(struct ldapsrc *src, char *const *guids, size_t n, bool *exists)
{
	static char a_guid[] = "objectGUID";
	char *attrs[] = { a_guid, NULL }, *ors, *next, *esc, *filter;
	struct dsync d = { .src = src, .r = &src->r };
	struct dir_references saved = src->r.snap.refs;
	int rc = 0;

	if (n == 0)
		return 0;
	d.base_norm = dn_normalize(src->r.cfg->base_dn);
	if (d.base_norm == NULL || (d.nc = naming_context(&d)) == NULL) {
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
		d.batch = &d.guids[i];
		d.nbatch = n - i < REREAD_BATCH ? n - i : REREAD_BATCH;
		memset(d.found, 0, sizeof d.found);
		ors = xstrdup("");
		for (size_t j = 0; j < d.nbatch; j++) {
			ldapsrc_escape_bytes(d.batch[j], 16, &esc);
			next = xasprintf("%s(objectGUID=%s)", ors, esc);
			free(esc);
			free(ors);
			ors = next;
		}
		filter = xasprintf("(|%s)", ors);
		free(ors);
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
