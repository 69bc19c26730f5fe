/*
 * ldapsync.c: reading the directory through RFC 4533 content sync
 * (refreshOnly) with libldap's ldap_sync API, as SLAPD_NOTES.md measured
 * it: a first refresh returns every entry and a cookie; a refresh with
 * that cookie returns what changed (added, modified and moved entries
 * whole; deleted or out-of-scope ones as entryUUIDs), or, when the
 * server's session log cannot answer, a present phase listing every
 * unchanged entry.  Each entry, and each entryUUID listed, goes to the
 * sink as it comes.  See ldapsrc.h for the contract.
 */
#include "ldap/ldapsrc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ldap/ldapconn.h"
#include "ldap/ldapsrc_int.h"
#include "util/log.h"
#include "model/user.h"
#include "util/xmem.h"

struct sync_reader {
	struct reader *r;
	struct dir_sync_end *end;
	bool bad_uuid;
	bool sink_failed;
	/* libldap's refreshOnly loop waits for ever on a server that stops
	 * sending (it ignores ls_timeout): a watchdog thread shuts the
	 * socket down when nothing came for [ldap] timeout seconds. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct timespec last;	/* CLOCK_MONOTONIC of the last message */
	bool done;
	bool silent;		/* the watchdog fired */
	size_t messages;	/* entries, id sets and references received */
};

/* A message came: the server is still sending. */
static void
sync_alive(struct sync_reader *s)
{
	pthread_mutex_lock(&s->mu);
	clock_gettime(CLOCK_MONOTONIC, &s->last);
	pthread_mutex_unlock(&s->mu);
}

static void *
sync_watchdog(void *arg)
{
	struct sync_reader *s = arg;
	struct timespec now, tick;
	int fd = -1;

	pthread_mutex_lock(&s->mu);
	while (!s->done) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - s->last.tv_sec >= s->r->cfg->ldap_timeout) {
			if (ldap_get_option(s->r->ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS &&
			    fd >= 0)
				shutdown(fd, SHUT_RDWR);
			s->silent = true;
			break;
		}
		tick = now;
		tick.tv_sec += 1;
		pthread_cond_timedwait(&s->cv, &s->mu, &tick);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* RFC 4533 carries entryUUIDs as their 16 bytes; the attribute (and the
 * mirror) has the 36-character form. */
static char *
uuid_text(const struct berval *bv)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = (const unsigned char *)bv->bv_val;
	char *text, *t;

	if (bv->bv_len != 16)
		return NULL;
	/* By hand: once per entry, and printf's cost showed in the profile. */
	t = text = xmalloc(37);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*t++ = '-';
		*t++ = hex[b[i] >> 4];
		*t++ = hex[b[i] & 15];
	}
	*t = '\0';
	return text;
}

/* One entryUUID listed as gone or present, to the sink. */
static int
uuid_give(struct sync_reader *s, int (*give)(void *, const char *), const struct berval *bv)
{
	char *text = uuid_text(bv);
	int rc;

	if (text == NULL) {
		s->bad_uuid = true;
		return LDAP_OTHER;
	}
	rc = give(s->r->sink->ctx, text);
	free(text);
	if (rc == -1) {
		s->sink_failed = true;
		return LDAP_OTHER;
	}
	return LDAP_SUCCESS;
}

/* libldap's refresh loop goes on whatever a callback returns; shutting
 * the socket down is what ends it now. */
static int
sync_abort(ldap_sync_t *ls)
{
	int fd = -1;

	if (ldap_get_option(ls->ls_ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS && fd >= 0)
		shutdown(fd, SHUT_RDWR);
	return LDAP_OTHER;
}

static int
on_entry(ldap_sync_t *ls, LDAPMessage *msg, struct berval *uuid, ldap_sync_refresh_t phase)
{
	struct sync_reader *s = ls->ls_private;
	char *text;

	s->messages++;
	sync_alive(s);
	if (ldapsrc_stopping() || s->sink_failed)
		return sync_abort(ls);
	switch (phase) {
	case LDAP_SYNC_CAPI_PRESENT:
		return uuid_give(s, s->r->sink->present, uuid);
	case LDAP_SYNC_CAPI_DELETE:
		return uuid_give(s, s->r->sink->gone, uuid);
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
	if (ldapsrc_user_entry(s->r, msg, text) == -1) {
		s->sink_failed = true;
		return sync_abort(ls);
	}
	return LDAP_SUCCESS;
}

static int
on_intermediate(ldap_sync_t *ls, LDAPMessage *msg, BerVarray uuids, ldap_sync_refresh_t phase)
{
	struct sync_reader *s = ls->ls_private;
	int (*give)(void *, const char *);

	(void)msg;
	s->messages++;
	sync_alive(s);
	if (ldapsrc_stopping() || s->sink_failed)
		return sync_abort(ls);
	if (phase == LDAP_SYNC_CAPI_PRESENTS_IDSET)
		give = s->r->sink->present;
	else if (phase == LDAP_SYNC_CAPI_DELETES_IDSET)
		give = s->r->sink->gone;
	else
		return LDAP_SUCCESS;
	for (size_t i = 0; uuids != NULL && uuids[i].bv_val != NULL; i++)
		if (uuid_give(s, give, &uuids[i]) != LDAP_SUCCESS)
			return sync_abort(ls);
	return LDAP_SUCCESS;
}

static int
on_result(ldap_sync_t *ls, LDAPMessage *msg, int refresh_deletes)
{
	struct sync_reader *s = ls->ls_private;

	(void)msg;
	/* FALSE: the server used the present phase, so whatever it neither
	 * sent nor listed as present is gone (RFC 4533 3.3.1). */
	s->end->present_phase = refresh_deletes == 0;
	return LDAP_SUCCESS;
}

static int
on_reference(ldap_sync_t *ls, LDAPMessage *msg)
{
	struct sync_reader *s = ls->ls_private;

	s->messages++;
	ldapsrc_note_reference(s->r, msg);
	return LDAP_SUCCESS;
}

/* Set up ls for one refresh; the strings stay ours (see sync_done). */
static void
sync_setup(ldap_sync_t *ls, struct sync_reader *s, const char *cookie, char *filter,
    char **attrs)
{
	ldap_sync_initialize(ls);
	ls->ls_base = s->r->cfg->base_dn;
	ls->ls_scope = LDAP_SCOPE_SUBTREE;
	ls->ls_filter = filter;
	ls->ls_attrs = attrs;
	ls->ls_timelimit = s->r->cfg->ldap_timeout;
	ls->ls_timeout = s->r->cfg->ldap_timeout;
	ls->ls_search_entry = on_entry;
	ls->ls_search_reference = on_reference;
	ls->ls_intermediate = on_intermediate;
	ls->ls_search_result = on_result;
	ls->ls_private = s;
	ls->ls_ld = s->r->ld;
	if (cookie != NULL)
		ber_str2bv(cookie, 0, 1, &ls->ls_cookie);
}

/* Take the cookie, then let ldap_sync_destroy free only its own parts. */
static void
sync_done(ldap_sync_t *ls, struct dir_sync_end *end, const char *old_cookie)
{
	const struct berval *c = &ls->ls_cookie;

	if (c->bv_val != NULL && text_is_clean(c->bv_val, c->bv_len) &&
	    (old_cookie == NULL || strlen(old_cookie) != c->bv_len ||
	    memcmp(old_cookie, c->bv_val, c->bv_len) != 0))
		end->cookie = xstrndup(c->bv_val, c->bv_len);
	ber_memfree(ls->ls_cookie.bv_val);
	ls->ls_cookie.bv_val = NULL;
	ls->ls_base = NULL;
	ls->ls_filter = NULL;
	ls->ls_attrs = NULL;
	ls->ls_ld = NULL;
	ldap_sync_destroy(ls, 0);
}

/*
 * The ways a server refuses the content-sync control, when it does so
 * before sending anything: 12 as RFC 4511 says; Samba answers the critical
 * control with an ExtendedResponse carrying 12 and never ends the search,
 * which libldap reports as 80; others say 2 or 53.  Taken as "not
 * offered": a full paged read follows, which is always right and reports
 * a real failure of the server itself.
 */
static bool
sync_refused(int lrc)
{
	return lrc == LDAP_UNAVAILABLE_CRITICAL_EXTENSION || lrc == LDAP_OTHER ||
	    lrc == LDAP_PROTOCOL_ERROR || lrc == LDAP_UNWILLING_TO_PERFORM ||
	    lrc == LDAP_NOT_SUPPORTED;
}

static int
refresh(struct sync_reader *s, const char *cookie)
{
	char *attrs[LDAPSRC_USER_ATTRS_MAX], *filter = ldapsrc_user_filter(s->r->cfg), *diag,
	    *advice;
	bool whole;
	ldap_sync_t ls;
	int lrc;

	pthread_condattr_t attr;
	pthread_t watch;
	bool watching;
	struct dir_sync_end lost = { 0 };

	ldapsrc_user_attrs(s->r, attrs);
	sync_setup(&ls, s, cookie, filter, attrs);
	log_debug("LDAP content sync of %s: %s (%s)", s->r->cfg->base_dn, filter,
	    cookie ? "changes since the last read" : "every entry");
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &attr);
	pthread_condattr_destroy(&attr);
	clock_gettime(CLOCK_MONOTONIC, &s->last);
	watching = s->r->cfg->ldap_timeout > 0 &&
	    (errno = pthread_create(&watch, NULL, sync_watchdog, s)) == 0;
	if (!watching && s->r->cfg->ldap_timeout > 0)
		log_warn("LDAP content sync of %s: cannot start its watchdog", s->r->cfg->base_dn);
	lrc = ldap_sync_init_refresh_only(&ls);
	if (watching) {
		pthread_mutex_lock(&s->mu);
		s->done = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(watch, NULL);
	}
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	whole = lrc == LDAP_SUCCESS && !s->bad_uuid && !s->sink_failed && !s->silent;
	sync_done(&ls, whole ? s->end : &lost, whole ? cookie : NULL);
	free(lost.cookie);	/* a read that did not end whole keeps no cookie */
	free(filter);
	if (whole)
		return 0;
	if (s->sink_failed && !ldapsrc_stopping())
		return -1;	/* the sink said why */
	if (s->silent) {
		log_errorx("LDAP content sync of %s timed out (no answer in %d s); the read is "
		    "incomplete, nothing will be changed", s->r->cfg->base_dn,
		    s->r->cfg->ldap_timeout);
		return -1;
	}
	if (ldapsrc_stopping()) {
		log_info("LDAP content sync of %s stopped by signal", s->r->cfg->base_dn);
		return -1;
	}
	if (s->messages == 0 && sync_refused(lrc)) {
		diag = ldapconn_diagnostic(s->r->ld);
		log_info("LDAP content sync of %s: the server refused the request before "
		    "sending anything (%d: %s%s%s): it does not offer content sync; reading "
		    "in full with paged searches", s->r->cfg->base_dn, lrc, ldap_err2string(lrc),
		    *diag ? ": " : "", diag);
		free(diag);
		return 1;
	}
	if (lrc == LDAP_SYNC_REFRESH_REQUIRED) {
		log_info("LDAP content sync of %s: the server asks for a full refresh (the cookie "
		    "is too old)", s->r->cfg->base_dn);
		return 2;
	}
	diag = ldapconn_diagnostic(s->r->ld);
	advice = ldapfamily_limit_advice(s->r->family, lrc, s->r->cfg->bind_dn);
	log_errorx("LDAP content sync of %s ended with %d (%s)%s%s%s%s; the read is "
	    "incomplete, nothing will be changed", s->r->cfg->base_dn, lrc,
	    s->bad_uuid ? "an entryUUID that is not 16 bytes" : ldap_err2string(lrc),
	    *diag ? ": " : "", diag, advice ? "; " : "", advice ? advice : "");
	free(advice);
	free(diag);
	return -1;
}

/* One entry sent incomplete, read again by its DN: given whole to the
 * sink, or, when it is no longer in scope, given as gone by the UUID the
 * refresh named it by.  -1 logged: the read is incomplete. */
static int
reread_one(struct reader *r, const char *dn, const char *uuid, char *filter, char **attrs)
{
	struct timeval tv = { r->cfg->ldap_timeout, 0 };
	LDAPMessage *res = NULL, *e;
	char *diag;
	int lrc, rc = 0;

	lrc = ldap_search_ext_s(r->ld, dn, LDAP_SCOPE_BASE, filter, attrs, 0, NULL, NULL, &tv,
	    LDAP_NO_LIMIT, &res);
	e = lrc == LDAP_SUCCESS ? ldap_first_entry(r->ld, res) : NULL;
	if (e != NULL)
		rc = ldapsrc_user_entry(r, e, NULL);
	else if (lrc == LDAP_SUCCESS || lrc == LDAP_NO_SUCH_OBJECT)
		rc = *uuid != '\0' ? r->sink->gone(r->sink->ctx, uuid) : 0;
	else {
		diag = ldapconn_diagnostic(r->ld);
		log_errorx("LDAP content sync of %s: reading %s again, which came without the "
		    "attributes the agent needs, ended with %d (%s)%s%s; the read is incomplete, "
		    "nothing will be changed", r->cfg->base_dn, dn, lrc, ldap_err2string(lrc),
		    *diag ? ": " : "", diag);
		free(diag);
		rc = -1;
	}
	ldap_msgfree(res);
	return rc;
}

/* The entries the refresh sent without their id or entryUUID, again. */
static int
reread_incomplete(struct reader *r)
{
	char *attrs[LDAPSRC_USER_ATTRS_MAX], *filter = ldapsrc_user_filter(r->cfg);
	int rc = 0;

	r->reread_missing = false;
	ldapsrc_user_attrs(r, attrs);
	if (r->reread_dn.n > 0)
		log_info("LDAP content sync of %s: %zu entries came without the attributes the "
		    "agent needs (%s or entryUUID); reading them again by DN", r->cfg->base_dn,
		    r->reread_dn.n, r->cfg->id_attribute);
	for (size_t i = 0; i < r->reread_dn.n && rc == 0; i++)
		rc = ldapsrc_stopping() ? -1 :
		    reread_one(r, r->reread_dn.v[i], r->reread_uuid.v[i], filter, attrs);
	value_list_release(&r->reread_dn);
	value_list_release(&r->reread_uuid);
	free(filter);
	return rc;
}

int
ldapsrc_users_sync(struct ldapsrc *src, const char *cookie, const struct dir_sink *sink,
    struct dir_sync_end *end)
{
	struct sync_reader s = { .r = &src->r, .end = end };
	int rc;

	if (src->r.dirsync)
		return ldapsrc_users_dirsync(src, cookie, sink, end);
	*end = (struct dir_sync_end){ 0 };
	src->r.sink = sink;
	src->r.nusers = 0;
	src->r.reread_missing = true;
	rc = refresh(&s, cookie);
	if (rc == 0 && reread_incomplete(&src->r) == -1)
		rc = -1;
	src->r.reread_missing = false;
	value_list_release(&src->r.reread_dn);
	value_list_release(&src->r.reread_uuid);
	if (rc == 0)
		log_debug("LDAP %s: content sync: %zu users sent%s", src->uri, src->r.nusers,
		    end->present_phase ? " (present phase)" : "");
	else {
		free(end->cookie);
		*end = (struct dir_sync_end){ 0 };
	}
	return rc;
}
