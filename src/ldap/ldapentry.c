/*
 * ldapentry.c: one directory entry as the agent takes it (ldapsrc_int.h):
 * which attribute plays which role, each value checked (text, bounds), a
 * user's id, e-mail and names, an OU's name.  A value the agent cannot use
 * becomes the entry's problem, reported with its DN; never a guess.
 */
#include "ldap/ldapsrc.h"

#include <ldap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldap/ldapsrc_int.h"
#include "model/user.h"
#include "util/log.h"
#include "util/xmem.h"

/* Bounds on what one entry may bring: past them the entry is reported,
 * never silently cut. */
#define VALUE_MAX	4096	/* bytes in one value */
#define VALUES_MAX	1000	/* values of one attribute */

/* The attributes a user entry is read for, besides the configured ones. */
static char attr_given[] = "givenName";
static char attr_sn[] = "sn";
/* Every user is read with its entryUUID, whatever id_attribute is: RFC 4533
 * names entries by it, so incremental reads can find them in the mirror.
 * On AD, whose DirSync names objects by objectGUID, that is the uuid. */
static char attr_uuid[] = "entryUUID";
static char attr_guid[] = "objectGUID";
enum role { ROLE_ID, ROLE_EMAIL, ROLE_NAME, ROLE_GIVEN, ROLE_SN, ROLE_UUID, ROLE_BU, ROLE_COUNT };
/* Each role names at most one attribute, and the list ends with NULL. */
_Static_assert(ROLE_COUNT < LDAPSRC_USER_ATTRS_MAX, "LDAPSRC_USER_ATTRS_MAX too small");


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
	enum dir_family family;
	struct dir_user *u;
	size_t nid;		/* id values seen */
	char *id_problem;
};

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
role_attr(const struct config *cfg, enum dir_family family, enum role role)
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
		return family == DIR_FAMILY_AD ? attr_guid : attr_uuid;
	case ROLE_BU:
		return cfg->bu_attribute != NULL && cfg->bu_attribute[0] != '\0' ?
		    cfg->bu_attribute : NULL;
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
		label = role_attr(b->cfg, b->family, role);
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
		else if (role == ROLE_UUID && b->family == DIR_FAMILY_AD) {
			if (u->uuid == NULL && a->vals[0].bv_val != NULL && a->vals[0].bv_len == 16)
				u->uuid = user_id_printable(attr_guid,
				    (const unsigned char *)a->vals[0].bv_val, 16);
		} else if (role == ROLE_UUID)
			user_take_first(b, label, a, &u->uuid);
		else if (role == ROLE_EMAIL || role == ROLE_NAME || role == ROLE_BU)
			first_problem(&u->problem, values_take_text(label, a->vals,
			    role == ROLE_EMAIL ? &u->email : role == ROLE_NAME ? &u->name :
			    &u->bu));
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
	/* Attribute descriptions are short: on the stack, not two
	 * allocations per attribute of every entry. */
	char desc[128], name[128];
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
		if (bv.bv_len < sizeof desc) {
			memcpy(desc, bv.bv_val, bv.bv_len);
			desc[bv.bv_len] = '\0';
			memcpy(name, desc, bv.bv_len + 1);
			a.desc = desc;
			a.name = name;
		} else {
			a.desc = xstrndup(bv.bv_val, bv.bv_len);
			a.name = xstrdup(a.desc);
		}
		a.ranged = false;
		if ((semi = strchr(a.name, ';')) != NULL) {
			*semi = '\0';
			a.ranged = strcasestr(a.desc, ";range=") != NULL;
		}
		a.vals = vals ? vals : &(struct berval){ 0, NULL };
		fn(ctx, &a);
		if (a.desc != desc) {
			free(a.name);
			free(a.desc);
		}
		ber_memfree(vals);
		vals = NULL;
	}
out:
	ber_memfree(vals);
	if (ber != NULL)
		ber_free(ber, 0);
	if (lrc != LDAP_SUCCESS) {
		ldapsrc_search_failed(r, lrc, "could not decode an entry");
		return -1;
	}
	return 0;
}

int
ldapsrc_user_entry(struct reader *r, LDAPMessage *e, char *uuid)
{
	struct dir_user u = { 0 };
	struct user_build b = { .cfg = r->cfg, .family = r->family, .u = &u };
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
		why = ldapfamily_no_id(r->family, r->cfg->id_attribute);
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

int
ldapsrc_ou_entry(struct reader *r, LDAPMessage *e)
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
void
ldapsrc_user_attrs(const struct reader *r, char *attrs[LDAPSRC_USER_ATTRS_MAX])
{
	size_t n = 0, i;

	/* Only the attributes used, each once (names are case-insensitive). */
	for (enum role role = 0; role < ROLE_COUNT; role++) {
		const char *name = role_attr(r->cfg, r->family, role);

		for (i = 0; name != NULL && i < n; i++)
			if (strcasecmp(attrs[i], name) == 0)
				break;
		if (name != NULL && i == n)
			attrs[n++] = (char *)name;
	}
	attrs[n] = NULL;
}
