/*
 * ldapfamily.c: what the agent tells an operator differently for each
 * directory server family (DIRECTORY_SERVERS.md).  A read stopped by one
 * of the server's own limits is fixed on the server, and each family
 * spells that fix its own way: the message names the knob, the entry it
 * goes on and the value, so that nobody has to look it up at 3am.  So
 * with an entry that lacks its id where the family is known for it.
 */
#include "ldap/ldapsrc.h"

#include <ldap.h>
#include <strings.h>

#include "ldap/ldapsrc_int.h"
#include "util/xmem.h"

/* The account the limits are set for, as the advice names it. */
static const char *
who(const char *bind_dn)
{
	return bind_dn != NULL && bind_dn[0] != '\0' ? bind_dn : "the anonymous bind";
}

static char *
advice_389(int code, const char *dn)
{
	switch (code) {
	case LDAP_SIZELIMIT_EXCEEDED:
		return xasprintf("389 Directory Server's size limit (nsslapd-sizelimit, 2000 "
		    "by default) stopped it: set nsSizeLimit: -1 and nsPagedSizeLimit: -1 on "
		    "the entry of %s", dn);
	case LDAP_ADMINLIMIT_EXCEEDED:
		return xasprintf("389 Directory Server's look-through limit "
		    "(nsslapd-lookthroughlimit, 5000 by default) stopped it: set "
		    "nsLookThroughLimit: -1 on the entry of %s", dn);
	default:
		return xasprintf("389 Directory Server's time limit (nsslapd-timelimit) "
		    "stopped it: set nsTimeLimit: -1 on the entry of %s", dn);
	}
}

static char *
advice_openldap(int code, const char *dn)
{
	const char *what = code == LDAP_TIMELIMIT_EXCEEDED ? "time=unlimited" :
	    code == LDAP_ADMINLIMIT_EXCEEDED ? "size.prtotal=unlimited size.pr=noEstimate" :
	    "size=unlimited";

	return xasprintf("slapd's %s limit stopped it: give %s limits of its own "
	    "(slapd.conf: limits dn.exact=\"%s\" %s; cn=config: the same in olcLimits "
	    "of the database)", code == LDAP_TIMELIMIT_EXCEEDED ? "time" : "size", dn, dn, what);
}

static char *
advice_ad(int code)
{
	if (code == LDAP_TIMELIMIT_EXCEEDED)
		return xstrdup("Active Directory's MaxQueryDuration (LDAP policy, 120 s by "
		    "default) stopped it: raise it with ntdsutil, or narrow base_dn");
	return xstrdup("Active Directory's LDAP policy stopped it (MaxPageSize caps each "
	    "page at 1000 entries, MaxResultSetSize the paged results a DC keeps): set "
	    "[ldap] page_size = 1000 or less, and see ntdsutil's LDAP policies");
}

char *
ldapfamily_no_id(enum dir_family family, const char *id_attribute)
{
	if (family == DIR_FAMILY_389 && strcasecmp(id_attribute, "entryUUID") == 0)
		return xstrdup("no entryUUID: 389 Directory Server gives none to entries "
		    "imported with ldif2db or made before its entryUUID plugin ran; set "
		    "[ldap] id_attribute = nsUniqueId, which every entry has");
	return xasprintf("no %s", id_attribute);
}

char *
ldapfamily_limit_advice(enum dir_family family, int code, const char *bind_dn)
{
	const char *dn = who(bind_dn);

	if (code != LDAP_SIZELIMIT_EXCEEDED && code != LDAP_ADMINLIMIT_EXCEEDED &&
	    code != LDAP_TIMELIMIT_EXCEEDED)
		return NULL;
	switch (family) {
	case DIR_FAMILY_389:
		return advice_389(code, dn);
	case DIR_FAMILY_OPENLDAP:
		return advice_openldap(code, dn);
	case DIR_FAMILY_AD:
		return advice_ad(code);
	case DIR_FAMILY_UNKNOWN:
		break;
	}
	return xasprintf("a limit of the server's stopped it: lift its %s limit for %s "
	    "(OpenLDAP: a limits directive; 389: nsSizeLimit, nsLookThroughLimit on the "
	    "account's entry; Active Directory: page_size = 1000)",
	    code == LDAP_TIMELIMIT_EXCEEDED ? "time" : "size", dn);
}
