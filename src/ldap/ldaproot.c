/*
 * ldaproot.c: what the directory server says of itself in its root DSE
 * (RFC 4512 5.1): which family it belongs to, whether it offers RFC
 * 4533 content sync or AD's DirSync, and (AD) which domain controller it
 * is.  The family decides whether the agent may believe
 * its incremental reads (SPEC.md, Trust; DIRECTORY_SERVERS.md): only
 * OpenLDAP's syncprov reports deletions and entries leaving the filter as
 * the RFC says.  See ldapsrc.h for the contract.
 */
#include "ldap/ldapsrc.h"

#include <ldap.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>
#include <sys/time.h>

#include "ldap/ldapconn.h"
#include "ldap/ldapsrc_int.h"
#include "util/log.h"
#include "util/xmem.h"

#define OID_CONTENT_SYNC	"1.3.6.1.4.1.4203.1.9.1.1"
#define OID_DIRSYNC		"1.2.840.113556.1.4.841"
/* supportedCapabilities of Active Directory (LDAP_CAP_ACTIVE_DIRECTORY_OID). */
#define OID_AD_CAPABILITY	"1.2.840.113556.1.4.800"

static bool
values_hold(struct berval **vals, const char *want)
{
	size_t n = strlen(want);

	for (size_t i = 0; vals != NULL && vals[i] != NULL; i++)
		if (vals[i]->bv_len == n && strncasecmp(vals[i]->bv_val, want, n) == 0)
			return true;
	return false;
}

static char *
value_first(struct berval **vals)
{
	if (vals == NULL || vals[0] == NULL)
		return NULL;
	return xstrndup(vals[0]->bv_val, vals[0]->bv_len);
}

/* The family from the root DSE's marks: OpenLDAP names its own object
 * class, 389 its vendor, AD a capability of its own. */
static void
server_from_entry(LDAP *ld, LDAPMessage *e, struct dir_server *out)
{
	struct berval **oc = ldap_get_values_len(ld, e, "objectClass");
	struct berval **ctl = ldap_get_values_len(ld, e, "supportedControl");
	struct berval **vendor = ldap_get_values_len(ld, e, "vendorName");
	struct berval **version = ldap_get_values_len(ld, e, "vendorVersion");
	struct berval **caps = ldap_get_values_len(ld, e, "supportedCapabilities");
	char *name = value_first(vendor), *ver = value_first(version);

	out->offers_content_sync = values_hold(ctl, OID_CONTENT_SYNC);
	out->offers_dirsync = values_hold(ctl, OID_DIRSYNC);
	if (values_hold(oc, "OpenLDAProotDSE"))
		out->family = DIR_FAMILY_OPENLDAP;
	else if (values_hold(caps, OID_AD_CAPABILITY))
		out->family = DIR_FAMILY_AD;
	else if (name != NULL && (strcasestr(name, "389") != NULL ||
	    strcasestr(name, "Red Hat") != NULL || strcasestr(name, "Fedora") != NULL))
		out->family = DIR_FAMILY_389;
	out->vendor = name != NULL ? xasprintf("%s%s%s", name, ver ? " " : "", ver ? ver : "") :
	    NULL;
	free(name);
	free(ver);
	ldap_value_free_len(oc);
	ldap_value_free_len(ctl);
	ldap_value_free_len(vendor);
	ldap_value_free_len(version);
	ldap_value_free_len(caps);
}

int
ldapsrc_server(struct ldapsrc *src, struct dir_server *out)
{
	static char a_oc[] = "objectClass", a_ctl[] = "supportedControl",
	    a_vendor[] = "vendorName", a_version[] = "vendorVersion",
	    a_caps[] = "supportedCapabilities";
	char *attrs[] = { a_oc, a_ctl, a_vendor, a_version, a_caps, NULL };
	struct timeval tv = { src->r.cfg->ldap_timeout, 0 };
	LDAPMessage *res = NULL, *e;
	int lrc;

	*out = (struct dir_server){ .family = DIR_FAMILY_UNKNOWN };
	lrc = ldap_search_ext_s(src->r.ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
	    NULL, NULL, &tv, 1, &res);
	e = lrc == LDAP_SUCCESS ? ldap_first_entry(src->r.ld, res) : NULL;
	if (e != NULL)
		server_from_entry(src->r.ld, e, out);
	else {
		/* A server that hides its root DSE is of no known family: it
		 * is read in full, which is always right. */
		char *diag = ldapconn_diagnostic(src->r.ld);

		log_debug("LDAP %s: the root DSE cannot be read (%s%s%s); the server is "
		    "taken as of no known family", src->uri, ldap_err2string(lrc),
		    *diag ? ": " : "", diag);
		free(diag);
	}
	ldap_msgfree(res);
	src->r.family = out->family;
	/* AD's own incremental reads; another family offering the control
	 * is not known to answer as AD does. */
	src->r.dirsync = out->family == DIR_FAMILY_AD && out->offers_dirsync &&
	    !out->offers_content_sync;
	log_debug("LDAP %s: %s%s%s%s", src->uri, dir_family_str(out->family),
	    out->vendor ? " (" : "", out->vendor ? out->vendor : "", out->vendor ? ")" : "");
	return 0;
}

const char *
ldapsrc_uri(const struct ldapsrc *src)
{
	return src->uri;
}

bool
ldapsrc_base_readable(struct ldapsrc *src)
{
	static char none[] = "1.1";
	char *attrs[] = { none, NULL };
	struct timeval tv = { src->r.cfg->ldap_timeout, 0 };
	LDAPMessage *res = NULL;
	bool readable;
	int lrc;

	lrc = ldap_search_ext_s(src->r.ld, src->r.cfg->base_dn, LDAP_SCOPE_BASE,
	    "(objectClass=*)", attrs, 0, NULL, NULL, &tv, 1, &res);
	readable = lrc == LDAP_SUCCESS && ldap_count_entries(src->r.ld, res) == 1;
	ldap_msgfree(res);
	return readable;
}

/* The first value of one attribute of the root DSE (owned), or NULL. */
static char *
root_value(struct ldapsrc *src, const char *attr)
{
	char *attrs[] = { (char *)attr, NULL }, *v = NULL;
	struct timeval tv = { src->r.cfg->ldap_timeout, 0 };
	LDAPMessage *res = NULL, *e;
	struct berval **vals;

	if (ldap_search_ext_s(src->r.ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
	    NULL, NULL, &tv, 1, &res) == LDAP_SUCCESS &&
	    (e = ldap_first_entry(src->r.ld, res)) != NULL) {
		vals = ldap_get_values_len(src->r.ld, e, attr);
		v = value_first(vals);
		ldap_value_free_len(vals);
	}
	ldap_msgfree(res);
	return v;
}

/*
 * Which domain controller answers (AD): its rootDSE dsServiceName (the DN
 * of its NTDS Settings object) and that object's invocationId, which a DC
 * restored from a backup changes.  A DirSync cookie and the USNs in it
 * mean something only to the DC that gave them (DIRECTORY_SERVERS.md).
 */
const char *
ldapsrc_dc_identity(struct ldapsrc *src)
{
	static char a_inv[] = "invocationId";
	char *inv_attrs[] = { a_inv, NULL }, *ds;
	struct timeval tv = { src->r.cfg->ldap_timeout, 0 };
	LDAPMessage *res = NULL, *e;
	struct berval **vals = NULL;
	char hex[33];

	if (src->r.dc_asked)
		return src->r.dc_identity;
	src->r.dc_asked = true;
	ds = root_value(src, "dsServiceName");
	if (ds != NULL && ldap_search_ext_s(src->r.ld, ds, LDAP_SCOPE_BASE, "(objectClass=*)",
	    inv_attrs, 0, NULL, NULL, &tv, 1, &res) == LDAP_SUCCESS &&
	    (e = ldap_first_entry(src->r.ld, res)) != NULL &&
	    (vals = ldap_get_values_len(src->r.ld, e, a_inv)) != NULL && vals[0] != NULL &&
	    vals[0]->bv_len == 16) {
		for (size_t i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", (unsigned char)vals[0]->bv_val[i]);
		src->r.dc_identity = xasprintf("%s %s", hex, ds);
	} else if (ds != NULL)
		log_debug("LDAP %s: the invocationId of %s cannot be read", src->uri, ds);
	ldap_value_free_len(vals);
	ldap_msgfree(res);
	free(ds);
	return src->r.dc_identity;
}

unsigned long long
ldapsrc_dc_usn(struct ldapsrc *src)
{
	char *usn = root_value(src, "highestCommittedUSN");
	unsigned long long n = usn != NULL ? strtoull(usn, NULL, 10) : 0;

	free(usn);
	return n;
}
