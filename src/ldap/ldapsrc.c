/* ldapsrc.c: see ldapsrc.h. */
#include "ldap/ldapsrc.h"

#include <ldap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ldap/ldapbind.h"
#include "ldap/ldapconn.h"
#include "ldap/ldapsrc_int.h"
#include "util/log.h"
#include "util/xmem.h"

#define PAGE_SIZE_DEFAULT 500

/* The daemon's stop flag (SIGTERM): a long read ends between pages. */
static const volatile sig_atomic_t *stop_flag;

void
ldapsrc_set_stop_flag(const volatile sig_atomic_t *flag)
{
	stop_flag = flag;
}

bool
ldapsrc_stopping(void)
{
	return stop_flag != NULL && *stop_flag != 0;
}

/* RFC 4511 4.5.1.8: "1.1" asks for no attributes at all. */
static char attr_none[] = "1.1";

static void
incomplete(struct reader *r, const char *what, const char *text)
{
	log_errorx("LDAP search of %s %s%s; the read is incomplete, nothing "
	    "will be changed", r->search_base ? r->search_base : r->cfg->base_dn, what, text);
}

/* A failure libldap reports on the handle (a dropped connection...). */
void
ldapsrc_search_failed(struct reader *r, int lrc, const char *what)
{
	char *diag = ldapconn_diagnostic(r->ld), *text;

	text = xasprintf(": %s%s%s", ldap_err2string(lrc), *diag ? ": " : "", diag);
	incomplete(r, what, text);
	free(text);
	free(diag);
}

static int
page_end(struct reader *r, const struct search *s, LDAPMessage *res, struct berval *cookie)
{
	char *matched = NULL, *diag = NULL, **refs = NULL, *ref, *text, *advice;
	LDAPControl **ctrls = NULL, *pr;
	ber_int_t estimate;
	int code, lrc, rc = -1;

	lrc = ldap_parse_result(r->ld, res, &code, &matched, &diag, &refs, &ctrls, 0);
	if (lrc != LDAP_SUCCESS) {
		ldapsrc_search_failed(r, lrc, "returned a result that cannot be read");
		goto out;
	}
	r->result_code = code;
	if (code != LDAP_SUCCESS && r->codes_quiet)
		goto out;	/* the caller says what the code means */
	if (code != LDAP_SUCCESS) {
		/* A referral result's diagnostic is often empty: say where
		 * it points too. */
		ref = refs && refs[0] ? xasprintf(", referral to %s", refs[0]) :
		    xstrdup("");
		advice = ldapfamily_limit_advice(r->family, code, r->cfg->bind_dn);
		text = xasprintf("ended with %d (%s): %s%s%s%s", code,
		    ldap_err2string(code), diag && *diag ? diag : "no diagnostic", ref,
		    advice ? "; " : "", advice ? advice : "");
		incomplete(r, text, "");
		free(advice);
		free(text);
		free(ref);
		goto out;
	}
	if (s->control != NULL) {
		*s->result_controls = ctrls;
		ctrls = NULL;
		rc = 0;
		goto out;
	}
	/* No response control: a server that ignored paging sent everything
	 * in this one successful page. */
	pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	if (pr != NULL && (lrc = ldap_parse_pageresponse_control(r->ld, pr,
	    &estimate, cookie)) != LDAP_SUCCESS) {
		ldapsrc_search_failed(r, lrc, "returned a paged results control that cannot be read");
		goto out;
	}
	rc = 0;
out:
	ldap_memfree(matched);
	ldap_memfree(diag);
	ldap_memvfree((void **)refs);
	ldap_controls_free(ctrls);
	return rc;
}

/* Read one page's messages until its result. */
static int
page_read(struct reader *r, const struct search *s, int msgid, struct berval *cookie)
{
	LDAPMessage *msg = NULL;
	struct timeval tv;
	int type, lrc, rc = 0;
	char *text;

	while (rc == 0) {
		tv = (struct timeval){ r->cfg->ldap_timeout, 0 };
		type = ldap_result(r->ld, msgid, LDAP_MSG_ONE,
		    r->cfg->ldap_timeout > 0 ? &tv : NULL, &msg);
		if (type == -1) {
			if (ldap_get_option(r->ld, LDAP_OPT_RESULT_CODE, &lrc) !=
			    LDAP_OPT_SUCCESS)
				lrc = LDAP_OTHER;
			ldapsrc_search_failed(r, lrc, "failed");
			return -1;
		}
		if (type == 0) {
			text = xasprintf(" (no answer in %d s)", r->cfg->ldap_timeout);
			incomplete(r, "timed out", text);
			free(text);
			ldap_abandon_ext(r->ld, msgid, NULL, NULL);
			return -1;
		}
		if (type == LDAP_RES_SEARCH_ENTRY)
			rc = s->entry(r, msg);
		else if (type == LDAP_RES_SEARCH_REFERENCE)
			ldapsrc_note_reference(r, msg);
		else if (type == LDAP_RES_SEARCH_RESULT) {
			rc = page_end(r, s, msg, cookie);
			ldap_msgfree(msg);
			return rc;
		}
		ldap_msgfree(msg);
		msg = NULL;
	}
	ldap_abandon_ext(r->ld, msgid, NULL, NULL);
	return -1;
}

static int
search_page(struct reader *r, const struct search *s, struct berval *cookie)
{
	LDAPControl *ctrls[2] = { NULL, NULL };
	int size = r->cfg->page_size > 0 ? r->cfg->page_size : PAGE_SIZE_DEFAULT;
	int msgid, lrc, rc = -1;
	struct berval prev = *cookie;
	char *what;

	*cookie = (struct berval){ 0, NULL };
	/* Critical: a server that cannot page must say so (12), not send a
	 * partial answer under its own limits.  A search with a control of
	 * its own (DirSync) is not paged. */
	lrc = s->control != NULL ? LDAP_SUCCESS :
	    ldap_create_page_control(r->ld, size, prev.bv_len ? &prev : NULL, 1, &ctrls[0]);
	ber_memfree(prev.bv_val);
	if (s->control != NULL)
		ctrls[0] = s->control;
	if (lrc != LDAP_SUCCESS) {
		ldapsrc_search_failed(r, lrc, "could not build its paged results control");
		goto out;
	}
	lrc = ldap_search_ext(r->ld, r->search_base, LDAP_SCOPE_SUBTREE, s->filter,
	    s->attrs, 0, ctrls, NULL, NULL, LDAP_NO_LIMIT, &msgid);
	if (lrc != LDAP_SUCCESS) {
		what = xasprintf("with filter %s could not be sent", s->filter);
		ldapsrc_search_failed(r, lrc, what);
		free(what);
		goto out;
	}
	rc = page_read(r, s, msgid, cookie);
out:
	if (s->control == NULL)
		ldap_control_free(ctrls[0]);
	return rc;
}

int
ldapsrc_search_paged(struct reader *r, const struct search *s)
{
	struct berval cookie = { 0, NULL };
	int rc;

	r->search_base = s->base ? s->base : r->cfg->base_dn;
	r->result_code = LDAP_SUCCESS;
	log_debug("LDAP search of %s: %s", r->search_base, s->filter);
	do {
		if (ldapsrc_stopping()) {
			log_info("LDAP read of %s stopped by signal", r->search_base);
			rc = -1;
			break;
		}
		rc = search_page(r, s, &cookie);
	} while (rc == 0 && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	r->search_base = NULL;
	return rc;
}

/* A filter given without its parentheses ("objectClass=person") still
 * nests inside "(&...)". */
char *
ldapsrc_filter_paren(const char *f)
{
	return f[0] == '(' ? xstrdup(f) : xasprintf("(%s)", f);
}

char *
ldapsrc_user_filter(const struct config *cfg)
{
	char *filter, *uf = ldapsrc_filter_paren(cfg->user_filter), *df;

	if (cfg->disabled_filter == NULL || cfg->disabled_filter[0] == '\0')
		return uf;
	df = ldapsrc_filter_paren(cfg->disabled_filter);
	filter = xasprintf("(&%s(!%s))", uf, df);
	free(df);
	free(uf);
	return filter;
}

static int
paged_user_entry(struct reader *r, LDAPMessage *e)
{
	return ldapsrc_user_entry(r, e, NULL);
}

static int
read_users(struct reader *r)
{
	char *attrs[LDAPSRC_USER_ATTRS_MAX], *filter = ldapsrc_user_filter(r->cfg);
	int rc;

	ldapsrc_user_attrs(r, attrs);
	rc = ldapsrc_search_paged(r, &(struct search){ .filter = filter, .attrs = attrs,
	    .entry = paged_user_entry });
	free(filter);
	return rc;
}

int
ldapsrc_read_ous(struct reader *r)
{
	char *attrs[2] = { attr_none, NULL };

	if (r->cfg->ou_attribute != NULL && r->cfg->ou_attribute[0] != '\0')
		attrs[0] = r->cfg->ou_attribute;
	return ldapsrc_search_paged(r, &(struct search){
	    .filter = "(objectClass=organizationalUnit)", .attrs = attrs,
	    .entry = ldapsrc_ou_entry });
}

void
ldapsrc_skip_sasl_plugins(void)
{
	/* An empty plugin path: SASL keeps its built-in EXTERNAL only.
	 * Measured: a process's libldap start-up takes 2.6 ms instead of
	 * 7.5 ms (min of 40), ldap.conf still read. */
	setenv("SASL_PATH", "", 0);
}

int
ldapsrc_open(const struct config *cfg, struct ldapsrc **out)
{
	struct ldapsrc *src = xcalloc(1, sizeof *src);

	src->r.cfg = cfg;
	ldapconn_sigpipe_hold(&src->old_mask);
	if (ldapconn_open(cfg, &src->r.ld, &src->uri) == -1) {
		ldapconn_sigpipe_release(&src->old_mask);
		free(src);
		*out = NULL;
		return -1;
	}
	*out = src;
	return 0;
}

int
ldapsrc_ous(struct ldapsrc *src, struct dir_snapshot *ous)
{
	struct reader *r = &src->r;

	*ous = (struct dir_snapshot){ 0 };
	if (ldapsrc_read_ous(r) == -1)
		return -1;
	log_debug("LDAP %s: read %zu OUs under %s", src->uri, r->snap.nous, r->cfg->base_dn);
	ous->ous = r->snap.ous;
	ous->nous = r->snap.nous;
	r->snap.ous = NULL;
	r->snap.nous = 0;
	r->ous_cap = 0;
	return 0;
}

int
ldapsrc_users(struct ldapsrc *src, const struct dir_sink *sink)
{
	struct reader *r = &src->r;

	r->sink = sink;
	r->nusers = 0;
	if (read_users(r) == -1)
		return -1;
	log_debug("LDAP %s: read %zu users under %s (%zu search references ignored)",
	    src->uri, r->nusers, r->cfg->base_dn, r->snap.refs.n);
	return 0;
}

const struct dir_references *
ldapsrc_references(const struct ldapsrc *src)
{
	return &src->r.snap.refs;
}

void
ldapsrc_close(struct ldapsrc *src)
{
	if (src == NULL)
		return;
	dir_snapshot_release(&src->r.snap);
	free(src->r.dc_identity);
	value_list_release(&src->r.reread_dn);
	value_list_release(&src->r.reread_uuid);
	ldapconn_close(src->r.ld);
	ldapconn_sigpipe_release(&src->old_mask);
	free(src);
}

static int
check_base(const struct config *cfg)
{
	char *attrs[2] = { attr_none, NULL }, *diag, *who;
	LDAPMessage *res = NULL;
	struct timeval tv = { cfg->ldap_timeout, 0 };
	const char *uri;
	LDAP *ld = NULL;
	int lrc, rc = -1;

	if (ldapconn_open(cfg, &ld, &uri) == -1)
		return -1;
	lrc = ldap_search_ext_s(ld, cfg->base_dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, cfg->ldap_timeout > 0 ? &tv : NULL, 1, &res);
	if (lrc == LDAP_SUCCESS && ldap_count_entries(ld, res) != 1)
		lrc = LDAP_NO_SUCH_OBJECT;	/* hidden by an ACL */
	if (lrc != LDAP_SUCCESS) {
		diag = ldapconn_diagnostic(ld);
		/* Not there, or not visible to this account: a server says
		 * the same of both (389 grants an anonymous bind no read). */
		log_errorx("LDAP %s: base_dn %s cannot be read: %s%s%s%s", uri,
		    cfg->base_dn, ldap_err2string(lrc), *diag ? ": " : "", diag,
		    lrc == LDAP_NO_SUCH_OBJECT ? "; check the DN, and the read rights of "
		    "the bind account (bind_dn) on it" : "");
		free(diag);
		goto out;
	}
	who = ldapbind_identity(cfg, ld);
	log_info("LDAP %s: bound as %s and read base_dn %s", uri, who, cfg->base_dn);
	free(who);
	rc = 0;
out:
	ldap_msgfree(res);
	ldapconn_close(ld);
	return rc;
}

int
ldapsrc_check(const struct config *cfg)
{
	sigset_t old;
	int rc;

	ldapconn_sigpipe_hold(&old);
	rc = check_base(cfg);
	ldapconn_sigpipe_release(&old);
	return rc;
}
