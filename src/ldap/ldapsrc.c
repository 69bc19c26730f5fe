/* ldapsrc.c: see ldapsrc.h. */
#include "ldap/ldapsrc.h"

#include <ldap.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "ldap/ldapconn.h"
#include "ldap/ldapsrc_int.h"
#include "util/log.h"
#include "model/user.h"
#include "util/xmem.h"

/* Bounds on what one entry may bring: past them the entry is reported,
 * never silently cut. */
#define VALUE_MAX	4096	/* bytes in one value */
#define VALUES_MAX	1000	/* values of one attribute */
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

/* The attributes a user entry is read for, besides the configured ones. */
static char attr_given[] = "givenName";
static char attr_sn[] = "sn";
/* Every user is read with its entryUUID, whatever id_attribute is: RFC 4533
 * names entries by it, so incremental reads can find them in the mirror. */
static char attr_uuid[] = "entryUUID";
/* RFC 4511 4.5.1.8: "1.1" asks for no attributes at all. */
static char attr_none[] = "1.1";

enum role { ROLE_ID, ROLE_EMAIL, ROLE_NAME, ROLE_GIVEN, ROLE_SN, ROLE_UUID, ROLE_COUNT };


/* One attribute of an entry as it came: its description split into the
 * name and whether a ";range=" option says the server sent only part. */
struct attr {
	char *name;		/* options cut off */
	char *desc;		/* as sent, options included */
	bool ranged;
	struct berval *vals;	/* terminated by a NULL bv_val */
};

/* A user entry under construction. */
struct user_build {
	const struct config *cfg;
	struct dir_user *u;
	size_t nid;		/* id values seen */
	char *id_problem;
};

static void
incomplete(struct reader *r, const char *what, const char *text)
{
	log_errorx("LDAP search of %s %s%s; the read is incomplete, nothing "
	    "will be changed", r->cfg->base_dn, what, text);
}

/* A failure libldap reports on the handle (a dropped connection...). */
static void
search_failed(struct reader *r, int lrc, const char *what)
{
	char *diag = ldapconn_diagnostic(r->ld), *text;

	text = xasprintf(": %s%s%s", ldap_err2string(lrc), *diag ? ": " : "", diag);
	incomplete(r, what, text);
	free(text);
	free(diag);
}

/* Keep the first of several problems in *problem. */
static void
first_problem(char **problem, char *why)
{
	if (*problem == NULL)
		*problem = why;
	else
		free(why);
}

/* NULL when the value can be kept as text, else why not. */
static char *
value_check(const char *label, const struct berval *bv)
{
	if (bv->bv_len > VALUE_MAX)
		return xasprintf("%s value too long (%lu bytes)", label,
		    (unsigned long)bv->bv_len);
	if (memchr(bv->bv_val, '\0', bv->bv_len) != NULL ||
	    !text_is_clean(bv->bv_val, bv->bv_len))
		return xasprintf("%s holds a binary or invalid UTF-8 value", label);
	return NULL;
}

/* Append the values that pass value_check to list.  Returns NULL, or the
 * first problem (owned by the caller); the other values are still kept. */
static char *
values_take_text(const char *label, const struct berval *vals, struct value_list *list)
{
	char *problem = NULL, *why, *text;

	for (size_t i = 0; vals[i].bv_val != NULL; i++) {
		if (list->n >= VALUES_MAX) {
			first_problem(&problem, xasprintf("%s has too many "
			    "values (more than %d)", label, VALUES_MAX));
			break;
		}
		if ((why = value_check(label, &vals[i])) != NULL) {
			first_problem(&problem, why);
			continue;
		}
		text = xstrndup(vals[i].bv_val, vals[i].bv_len);
		value_list_add(list, text);
		free(text);
	}
	return problem;
}

/* The id: exactly one value, any bytes (AD's objectGUID is binary). */
static void
user_take_id(struct user_build *b, const struct attr *a)
{
	for (size_t i = 0; a->vals[i].bv_val != NULL; i++) {
		if (++b->nid > 1)
			continue;
		if (a->vals[i].bv_len > VALUE_MAX) {
			b->id_problem = xasprintf("%s value too long (%lu bytes)",
			    b->cfg->id_attribute, (unsigned long)a->vals[i].bv_len);
			continue;
		}
		b->u->id = user_id_printable(b->cfg->id_attribute,
		    (const unsigned char *)a->vals[i].bv_val, a->vals[i].bv_len);
	}
}

/* givenName and sn: the first clean value. */
static void
user_take_first(struct user_build *b, const char *label, const struct attr *a, char **field)
{
	struct value_list list = { 0 };

	first_problem(&b->u->problem, values_take_text(label, a->vals, &list));
	if (*field == NULL && list.n > 0) {
		*field = list.v[0];
		list.v[0] = NULL;
	}
	value_list_release(&list);
}

static const char *
role_attr(const struct config *cfg, enum role role)
{
	switch (role) {
	case ROLE_ID:
		return cfg->id_attribute;
	case ROLE_EMAIL:
		return cfg->email_attribute;
	case ROLE_NAME:
		return cfg->name_attribute;
	case ROLE_GIVEN:
		return attr_given;
	case ROLE_SN:
		return attr_sn;
	case ROLE_UUID:
		return attr_uuid;
	default:
		return NULL;
	}
}

/* Give one attribute to every role it plays: id_attribute may well be
 * the e-mail attribute too. */
static void
user_attr(void *ctx, const struct attr *a)
{
	struct user_build *b = ctx;
	struct dir_user *u = b->u;
	const char *label;

	for (enum role role = 0; role < ROLE_COUNT; role++) {
		label = role_attr(b->cfg, role);
		if (label == NULL || strcasecmp(label, a->name) != 0)
			continue;
		if (a->ranged) {
			/* AD's ranged retrieval: the rest would take more
			 * searches; an id or e-mail must not be guessed from
			 * a part. */
			first_problem(&u->problem, xasprintf("%s came back in part (%s): "
			    "it has more values than the server sends at once",
			    label, a->desc));
			continue;
		}
		if (role == ROLE_ID)
			user_take_id(b, a);
		else if (role == ROLE_UUID)
			user_take_first(b, label, a, &u->uuid);
		else if (role == ROLE_EMAIL || role == ROLE_NAME)
			first_problem(&u->problem, values_take_text(label,
			    a->vals, role == ROLE_EMAIL ? &u->email : &u->name));
		else
			user_take_first(b, label, a,
			    role == ROLE_GIVEN ? &u->given_name : &u->surname);
	}
}

/*
 * Walk an entry: its DN into *dn, then each attribute to fn.  Uses the
 * entry's own BER element, so each attribute is seen once whatever its
 * options, with binary-safe values.  -1 (logged) when it cannot be decoded.
 */
static int
entry_walk(struct reader *r, LDAPMessage *e, char **dn,
    void (*fn)(void *, const struct attr *), void *ctx)
{
	BerElement *ber = NULL;
	struct berval bv, *vals = NULL;
	struct attr a;
	char *semi;
	int lrc;

	*dn = NULL;
	if ((lrc = ldap_get_dn_ber(r->ld, e, &ber, &bv)) != LDAP_SUCCESS)
		goto out;
	*dn = xstrndup(bv.bv_val, bv.bv_len);
	for (;;) {
		lrc = ldap_get_attribute_ber(r->ld, e, ber, &bv, &vals);
		if (lrc != LDAP_SUCCESS || bv.bv_val == NULL)
			break;
		a.desc = xstrndup(bv.bv_val, bv.bv_len);
		a.name = xstrdup(a.desc);
		a.ranged = false;
		if ((semi = strchr(a.name, ';')) != NULL) {
			*semi = '\0';
			a.ranged = strcasestr(a.desc, ";range=") != NULL;
		}
		a.vals = vals ? vals : &(struct berval){ 0, NULL };
		fn(ctx, &a);
		free(a.name);
		free(a.desc);
		ber_memfree(vals);
		vals = NULL;
	}
out:
	ber_memfree(vals);
	if (ber != NULL)
		ber_free(ber, 0);
	if (lrc != LDAP_SUCCESS) {
		search_failed(r, lrc, "could not decode an entry");
		return -1;
	}
	return 0;
}

int
ldapsrc_user_entry(struct reader *r, LDAPMessage *e, char *uuid)
{
	struct dir_user u = { 0 };
	struct user_build b = { .cfg = r->cfg, .u = &u };
	char *why;
	int rc;

	if (entry_walk(r, e, &u.dn, user_attr, &b) == -1) {
		free(b.id_problem);
		free(uuid);
		dir_user_release(&u);
		return -1;
	}
	if (r->reread_missing && (b.nid == 0 || u.uuid == NULL)) {
		/* Incomplete as sent: read again by DN (ldapsync.c). */
		value_list_add(&r->reread_dn, u.dn);
		value_list_add(&r->reread_uuid, uuid ? uuid : "");
		free(b.id_problem);
		free(uuid);
		dir_user_release(&u);
		return 0;
	}
	if (b.nid == 0)
		why = xasprintf("no %s", r->cfg->id_attribute);
	else if (b.nid > 1)
		why = xasprintf("%s has %zu values", r->cfg->id_attribute, b.nid);
	else
		why = b.id_problem;	/* NULL: the id is good */
	if (why != b.id_problem)
		free(b.id_problem);
	/* An entry without its one id cannot be tracked at all: that problem
	 * wins over any other. */
	if (why != NULL) {
		free(u.id);
		u.id = NULL;
		free(u.problem);
		u.problem = why;
	} else if (!text_is_clean(u.dn, strlen(u.dn)))
		first_problem(&u.problem, xstrdup("the DN holds control "
		    "characters or invalid UTF-8"));
	if (uuid != NULL) {
		free(u.uuid);
		u.uuid = uuid;
	}
	r->nusers++;
	rc = r->sink->user(r->sink->ctx, &u);
	dir_user_release(&u);
	return rc;
}

struct ou_build {
	const struct config *cfg;
	struct dir_ou *ou;
};

static void
ou_attr(void *ctx, const struct attr *a)
{
	struct ou_build *b = ctx;
	char *problem;

	if (b->cfg->ou_attribute == NULL ||
	    strcasecmp(a->name, b->cfg->ou_attribute) != 0)
		return;
	problem = values_take_text(b->cfg->ou_attribute, a->vals, &b->ou->bu_attr);
	if (problem != NULL)
		log_warnx("LDAP OU %s: %s; that value is left out", b->ou->dn, problem);
	free(problem);
}

static int
ou_entry(struct reader *r, LDAPMessage *e)
{
	struct dir_snapshot *s = &r->snap;
	struct ou_build b = { .cfg = r->cfg };

	xgrow(&s->ous, &r->ous_cap, s->nous + 1, sizeof *s->ous);
	b.ou = &s->ous[s->nous++];
	*b.ou = (struct dir_ou){ 0 };
	return entry_walk(r, e, &b.ou->dn, ou_attr, &b);
}

/* The end of one page: the result code decides whether the read is whole;
 * the page response control holds the cookie for the next page. */
static int
page_end(struct reader *r, LDAPMessage *res, struct berval *cookie)
{
	char *matched = NULL, *diag = NULL, **refs = NULL, *ref, *text;
	LDAPControl **ctrls = NULL, *pr;
	ber_int_t estimate;
	int code, lrc, rc = -1;

	lrc = ldap_parse_result(r->ld, res, &code, &matched, &diag, &refs, &ctrls, 0);
	if (lrc != LDAP_SUCCESS) {
		search_failed(r, lrc, "returned a result that cannot be read");
		goto out;
	}
	if (code != LDAP_SUCCESS) {
		/* A referral result's diagnostic is often empty: say where
		 * it points too. */
		ref = refs && refs[0] ? xasprintf(", referral to %s", refs[0]) :
		    xstrdup("");
		text = xasprintf("ended with %d (%s): %s%s", code,
		    ldap_err2string(code), diag && *diag ? diag : "no diagnostic", ref);
		incomplete(r, text, "");
		free(text);
		free(ref);
		goto out;
	}
	/* No response control: a server that ignored paging sent everything
	 * in this one successful page. */
	pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	if (pr != NULL && (lrc = ldap_parse_pageresponse_control(r->ld, pr,
	    &estimate, cookie)) != LDAP_SUCCESS) {
		search_failed(r, lrc, "returned a paged results control that cannot be read");
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
			search_failed(r, lrc, "failed");
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
			rc = page_end(r, msg, cookie);
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
	 * partial answer under its own limits. */
	lrc = ldap_create_page_control(r->ld, size, prev.bv_len ? &prev : NULL, 1, &ctrls[0]);
	ber_memfree(prev.bv_val);
	if (lrc != LDAP_SUCCESS) {
		search_failed(r, lrc, "could not build its paged results control");
		goto out;
	}
	lrc = ldap_search_ext(r->ld, r->cfg->base_dn, LDAP_SCOPE_SUBTREE, s->filter,
	    s->attrs, 0, ctrls, NULL, NULL, LDAP_NO_LIMIT, &msgid);
	if (lrc != LDAP_SUCCESS) {
		what = xasprintf("with filter %s could not be sent", s->filter);
		search_failed(r, lrc, what);
		free(what);
		goto out;
	}
	rc = page_read(r, s, msgid, cookie);
out:
	ldap_control_free(ctrls[0]);
	return rc;
}

int
ldapsrc_search_paged(struct reader *r, const struct search *s)
{
	struct berval cookie = { 0, NULL };
	int rc;

	log_debug("LDAP search of %s: %s", r->cfg->base_dn, s->filter);
	do {
		if (ldapsrc_stopping()) {
			log_info("LDAP read of %s stopped by signal", r->cfg->base_dn);
			rc = -1;
			break;
		}
		rc = search_page(r, s, &cookie);
	} while (rc == 0 && cookie.bv_len > 0);
	ber_memfree(cookie.bv_val);
	return rc;
}

/* A filter given without its parentheses ("objectClass=person") still
 * nests inside "(&...)". */
char *
ldapsrc_filter_paren(const char *f)
{
	return f[0] == '(' ? xstrdup(f) : xasprintf("(%s)", f);
}

void
ldapsrc_user_attrs(const struct config *cfg, char *attrs[LDAPSRC_USER_ATTRS_MAX])
{
	size_t n = 0, i;

	/* Only the attributes used, each once (names are case-insensitive). */
	for (enum role role = 0; role < ROLE_COUNT; role++) {
		const char *name = role_attr(cfg, role);

		for (i = 0; name != NULL && i < n; i++)
			if (strcasecmp(attrs[i], name) == 0)
				break;
		if (name != NULL && i == n)
			attrs[n++] = (char *)name;
	}
	attrs[n] = NULL;
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

	ldapsrc_user_attrs(r->cfg, attrs);
	rc = ldapsrc_search_paged(r, &(struct search){ filter, attrs, paged_user_entry });
	free(filter);
	return rc;
}

int
ldapsrc_read_ous(struct reader *r)
{
	char *attrs[2] = { attr_none, NULL };

	if (r->cfg->ou_attribute != NULL && r->cfg->ou_attribute[0] != '\0')
		attrs[0] = r->cfg->ou_attribute;
	return ldapsrc_search_paged(r, &(struct search){ "(objectClass=organizationalUnit)",
	    attrs, ou_entry });
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
	value_list_release(&src->r.reread_dn);
	value_list_release(&src->r.reread_uuid);
	ldapconn_close(src->r.ld);
	ldapconn_sigpipe_release(&src->old_mask);
	free(src);
}

static int
check_base(const struct config *cfg)
{
	char *attrs[2] = { attr_none, NULL }, *diag;
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
		log_errorx("LDAP %s: base_dn %s cannot be read: %s%s%s", uri,
		    cfg->base_dn, ldap_err2string(lrc), *diag ? ": " : "", diag);
		free(diag);
		goto out;
	}
	log_info("LDAP %s: bound as %s and read base_dn %s", uri,
	    cfg->bind_dn && cfg->bind_dn[0] ? cfg->bind_dn : "anonymous", cfg->base_dn);
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
