/*
 * ldapsync.c: reading the directory through RFC 4533 content sync
 * (refreshOnly) with libldap's ldap_sync API, as SLAPD_NOTES.md measured
 * it: a first refresh returns every entry and a cookie; a refresh with
 * that cookie returns what changed (added, modified and moved entries
 * whole; deleted or out-of-scope ones as entryUUIDs), or, when the
 * server's session log cannot answer, a present phase listing every
 * unchanged entry.  The OUs are read in full, paged, on the same
 * connection.  See ldapsrc.h for the contract.
 */
#include "ldapsrc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ldapconn.h"
#include "ldapsrc_int.h"
#include "log.h"
#include "user.h"
#include "xmem.h"

struct sync_reader {
	struct reader r;
	struct dir_delta *delta;
	bool bad_uuid;
};

/* RFC 4533 carries entryUUIDs as their 16 bytes; the attribute (and the
 * mirror) has the 36-character form. */
static char *
uuid_text(const struct berval *bv)
{
	const unsigned char *b = (const unsigned char *)bv->bv_val;

	if (bv->bv_len != 16)
		return NULL;
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
	    b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int
uuid_add(struct sync_reader *s, struct value_list *list, const struct berval *bv)
{
	char *text = uuid_text(bv);

	if (text == NULL) {
		s->bad_uuid = true;
		return LDAP_OTHER;
	}
	value_list_add(list, text);
	free(text);
	return LDAP_SUCCESS;
}

static int
on_entry(ldap_sync_t *ls, LDAPMessage *msg, struct berval *uuid, ldap_sync_refresh_t phase)
{
	struct sync_reader *s = ls->ls_private;
	struct dir_user *u;
	char *text;

	if (ldapsrc_stopping()) {
		/* libldap's refresh loop goes on whatever a callback returns;
		 * shutting the socket down is what ends it now. */
		int fd = -1;

		if (ldap_get_option(ls->ls_ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS && fd >= 0)
			shutdown(fd, SHUT_RDWR);
		return LDAP_OTHER;
	}
	switch (phase) {
	case LDAP_SYNC_CAPI_PRESENT:
		return uuid_add(s, &s->delta->present, uuid);
	case LDAP_SYNC_CAPI_DELETE:
		return uuid_add(s, &s->delta->gone, uuid);
	case LDAP_SYNC_CAPI_ADD:
	case LDAP_SYNC_CAPI_MODIFY:
		break;
	default:
		return LDAP_SUCCESS;
	}
	if ((text = uuid_text(uuid)) == NULL) {
		s->bad_uuid = true;
		return LDAP_OTHER;
	}
	if (ldapsrc_user_entry(&s->r, msg) == -1) {
		free(text);
		return LDAP_OTHER;
	}
	u = &s->r.snap.users[s->r.snap.nusers - 1];
	free(u->uuid);
	u->uuid = text;
	return LDAP_SUCCESS;
}

static int
on_intermediate(ldap_sync_t *ls, LDAPMessage *msg, BerVarray uuids, ldap_sync_refresh_t phase)
{
	struct sync_reader *s = ls->ls_private;
	struct value_list *list;

	(void)msg;
	if (phase == LDAP_SYNC_CAPI_PRESENTS_IDSET)
		list = &s->delta->present;
	else if (phase == LDAP_SYNC_CAPI_DELETES_IDSET)
		list = &s->delta->gone;
	else
		return LDAP_SUCCESS;
	for (size_t i = 0; uuids != NULL && uuids[i].bv_val != NULL; i++)
		if (uuid_add(s, list, &uuids[i]) != LDAP_SUCCESS)
			return LDAP_OTHER;
	return LDAP_SUCCESS;
}

static int
on_result(ldap_sync_t *ls, LDAPMessage *msg, int refresh_deletes)
{
	struct sync_reader *s = ls->ls_private;

	(void)msg;
	/* FALSE: the server used the present phase, so whatever it neither
	 * sent nor listed as present is gone (RFC 4533 3.3.1). */
	s->delta->present_phase = refresh_deletes == 0;
	return LDAP_SUCCESS;
}

static int
on_reference(ldap_sync_t *ls, LDAPMessage *msg)
{
	struct sync_reader *s = ls->ls_private;

	(void)msg;
	s->r.snap.references_ignored++;
	return LDAP_SUCCESS;
}

/* Set up ls for one refresh; the strings stay ours (see sync_done). */
static void
sync_setup(ldap_sync_t *ls, struct sync_reader *s, const char *cookie, char *filter,
    char **attrs)
{
	ldap_sync_initialize(ls);
	ls->ls_base = s->r.cfg->base_dn;
	ls->ls_scope = LDAP_SCOPE_SUBTREE;
	ls->ls_filter = filter;
	ls->ls_attrs = attrs;
	ls->ls_timelimit = s->r.cfg->ldap_timeout;
	ls->ls_timeout = s->r.cfg->ldap_timeout;
	ls->ls_search_entry = on_entry;
	ls->ls_search_reference = on_reference;
	ls->ls_intermediate = on_intermediate;
	ls->ls_search_result = on_result;
	ls->ls_private = s;
	ls->ls_ld = s->r.ld;
	if (cookie != NULL)
		ber_str2bv(cookie, 0, 1, &ls->ls_cookie);
}

/* Take the cookie, then let ldap_sync_destroy free only its own parts. */
static void
sync_done(ldap_sync_t *ls, struct dir_delta *delta, const char *old_cookie)
{
	const struct berval *c = &ls->ls_cookie;

	if (c->bv_val != NULL && text_is_clean(c->bv_val, c->bv_len) &&
	    (old_cookie == NULL || strlen(old_cookie) != c->bv_len ||
	    memcmp(old_cookie, c->bv_val, c->bv_len) != 0))
		delta->cookie = xstrndup(c->bv_val, c->bv_len);
	ber_memfree(ls->ls_cookie.bv_val);
	ls->ls_cookie.bv_val = NULL;
	ls->ls_base = NULL;
	ls->ls_filter = NULL;
	ls->ls_attrs = NULL;
	ls->ls_ld = NULL;
	ldap_sync_destroy(ls, 0);
}

static int
refresh(struct sync_reader *s, const char *cookie)
{
	char *attrs[LDAPSRC_USER_ATTRS_MAX], *filter = ldapsrc_user_filter(s->r.cfg), *diag;
	ldap_sync_t ls;
	int lrc;

	ldapsrc_user_attrs(s->r.cfg, attrs);
	sync_setup(&ls, s, cookie, filter, attrs);
	log_debug("LDAP content sync of %s: %s (%s)", s->r.cfg->base_dn, filter,
	    cookie ? "changes since the last read" : "every entry");
	lrc = ldap_sync_init_refresh_only(&ls);
	if (lrc == LDAP_SUCCESS && !s->bad_uuid)
		sync_done(&ls, s->delta, cookie);
	else
		sync_done(&ls, &(struct dir_delta){ 0 }, NULL);
	free(filter);
	if (lrc == LDAP_SUCCESS && !s->bad_uuid)
		return 0;
	if (lrc == LDAP_UNAVAILABLE_CRITICAL_EXTENSION)
		return 1;
	if (lrc == LDAP_SYNC_REFRESH_REQUIRED)
		return 2;
	diag = ldapconn_diagnostic(s->r.ld);
	log_errorx("LDAP content sync of %s ended with %d (%s)%s%s; the read is incomplete, "
	    "nothing will be changed", s->r.cfg->base_dn, lrc,
	    s->bad_uuid ? "an entryUUID that is not 16 bytes" : ldap_err2string(lrc),
	    *diag ? ": " : "", diag);
	free(diag);
	return -1;
}

int
ldapsrc_read_sync(const struct config *cfg, const char *cookie, struct dir_delta *out)
{
	struct sync_reader s = { .r = { .cfg = cfg }, .delta = out };
	const char *uri;
	sigset_t old;
	int rc = -1;

	*out = (struct dir_delta){ 0 };
	ldapconn_sigpipe_hold(&old);
	if (ldapconn_open(cfg, &s.r.ld, &uri) == -1)
		goto out;
	if ((rc = refresh(&s, cookie)) != 0 || (rc = ldapsrc_read_ous(&s.r)) != 0)
		goto out;
	log_debug("LDAP %s: content sync: %zu users sent, %zu gone, %zu listed present%s, "
	    "%zu OUs", uri, s.r.snap.nusers, out->gone.n, out->present.n,
	    out->present_phase ? " (present phase)" : "", s.r.snap.nous);
	out->snap = s.r.snap;
	s.r.snap = (struct dir_snapshot){ 0 };
out:
	if (rc != 0) {
		dir_snapshot_release(&s.r.snap);
		dir_delta_release(out);
	}
	ldapconn_close(s.r.ld);
	ldapconn_sigpipe_release(&old);
	return rc;
}
