/*
 * ldapbind.c: see ldapbind.h.  Three ways to bind, and for each way it
 * goes wrong a message that names the key to fix: libldap and Cyrus SASL
 * say "Local error" or "SASL(-1): generic failure" for most of them.
 */
#include "ldap/ldapbind.h"

#include <ldap.h>
#include <sasl/sasl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldap/ldapconn.h"
#include "ldap/ldapkrb.h"
#include "util/log.h"
#include "util/xmem.h"

static const char *
mech_name(const struct config *cfg)
{
	return cfg->sasl_mech == SASL_MECH_GSSAPI ? "GSSAPI" : "EXTERNAL";
}

/* Neither mechanism asks anything the agent must answer; an authorization
 * identity, if asked for, is left empty: the one authenticated is used. */
static int
sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	(void)ld;
	(void)flags;
	(void)defaults;
	for (sasl_interact_t *it = in; it->id != SASL_CB_LIST_END; it++) {
		it->result = "";
		it->len = 0;
	}
	return LDAP_SUCCESS;
}

/* The root DSE's supportedSASLMechanisms, space-separated (owned); NULL
 * when it cannot be read.  Asked only after a SASL bind failed. */
static char *
offered_mechs(LDAP *ld)
{
	char *attrs[] = { "supportedSASLMechanisms", NULL }, *out = NULL;
	LDAPMessage *res = NULL, *e;
	struct berval **vals;

	if (ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL,
	    NULL, NULL, 1, &res) == LDAP_SUCCESS && (e = ldap_first_entry(ld, res)) != NULL &&
	    (vals = ldap_get_values_len(ld, e, attrs[0])) != NULL) {
		out = xstrdup("");
		for (size_t i = 0; vals[i] != NULL; i++) {
			char *more = xasprintf("%s%s%.*s", out, i ? " " : "",
			    (int)vals[i]->bv_len, vals[i]->bv_val);

			free(out);
			out = more;
		}
		ldap_value_free_len(vals);
	}
	ldap_msgfree(res);
	return out;
}

static bool
mech_listed(const char *list, const char *mech)
{
	size_t n = strlen(mech);

	for (const char *p = list; (p = strcasestr(p, mech)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

/* The SPN GSSAPI asks a ticket for: ldap/ and the URI's host as written
 * (owned). */
static char *
uri_spn(const char *uri)
{
	LDAPURLDesc *lud = NULL;
	char *spn;

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS || lud->lud_host == NULL ||
	    *lud->lud_host == '\0')
		spn = xstrdup("ldap/HOST");
	else
		spn = xasprintf("ldap/%s", lud->lud_host);
	ldap_free_urldesc(lud);
	return spn;
}

/* What a failed GSSAPI exchange means, from Kerberos' words in diag;
 * *spn_unknown when the KDC knows no principal for the server. */
static const char *
gssapi_hint(const char *diag, bool *spn_unknown)
{
	*spn_unknown = strcasestr(diag, "not found in Kerberos database") != NULL ||
	    strcasestr(diag, "Server not found") != NULL;
	if (*spn_unknown)
		return "write the server's name as its account's SPNs have it in [ldap] uri "
		    "(setspn -L, samba-tool spn list), or add that SPN";
	if (strcasestr(diag, "Clock skew") != NULL)
		return "this host's clock and the KDC's differ by more than Kerberos allows: "
		    "set the time right (chrony, NTP)";
	if (strcasestr(diag, "KDC") != NULL && (strcasestr(diag, "contact") != NULL ||
	    strcasestr(diag, "reach") != NULL || strcasestr(diag, "find") != NULL))
		return "no KDC answered: check krb5.conf's kdc lines (KRB5_CONFIG)";
	if (strcasestr(diag, "no mechanism available") != NULL)
		return "this host's SASL has no GSSAPI module: install "
		    "libsasl2-modules-gssapi-mit";
	return NULL;
}

static char *
sasl_failure(const struct config *cfg, const char *uri, LDAP *ld, int lrc)
{
	char *diag = ldapconn_diagnostic(ld), *offered = NULL, *what, *spn = NULL;
	const char *mech = mech_name(cfg), *hint = NULL;
	bool spn_unknown = false;

	if (lrc != LDAP_INVALID_CREDENTIALS && (offered = offered_mechs(ld)) != NULL &&
	    !mech_listed(offered, mech)) {
		what = xasprintf("SASL %s bind failed: the server does not offer %s (its "
		    "supportedSASLMechanisms: %s); change [ldap] sasl_mech", mech, mech,
		    *offered ? offered : "none");
		free(offered);
		free(diag);
		return what;
	}
	free(offered);
	if (cfg->sasl_mech == SASL_MECH_GSSAPI)
		hint = gssapi_hint(diag, &spn_unknown);
	else if (lrc == LDAP_INVALID_CREDENTIALS || lrc == LDAP_INAPPROPRIATE_AUTH)
		hint = "the server maps the client certificate (tls_cert_file) or the "
		    "ldapi:// peer to no account: map it (slapd: authz-regexp; 389: "
		    "certmap.conf), or check the certificate is the one it expects";
	else if (strcasestr(diag, "no mechanism available") != NULL)
		hint = "no identity reached the server: over TLS, tls_cert_file must be a "
		    "certificate the server accepts (its CA must be one the server trusts)";
	if (spn_unknown) {
		char *name = uri_spn(uri);

		spn = xasprintf("the KDC knows no service principal %s for the host in this "
		    "URI: ", name);
		free(name);
	}
	what = xasprintf("SASL %s bind as %s failed%s%s%s%s%s%s", mech,
	    cfg->sasl_mech == SASL_MECH_GSSAPI && ldapkrb_principal() ? ldapkrb_principal() :
	    "the agent", *diag ? " (" : "", diag, *diag ? ")" : "", hint ? "; " : "",
	    spn ? spn : "", hint ? hint : "");
	free(spn);
	free(diag);
	return what;
}

static int
sasl_bind(const struct config *cfg, const char *uri, LDAP *ld, bool tls, char **what)
{
	/* Over TLS the connection is protected: GSSAPI must add no layer of
	 * its own (Samba refuses sign or seal inside TLS).  Without TLS it
	 * must seal, or nothing protects the directory's answers. */
	const char *props = tls ? "maxssf=0" : cfg->sasl_mech == SASL_MECH_GSSAPI ?
	    "minssf=56" : "minssf=0";
	int lrc, tries = cfg->sasl_mech == SASL_MECH_GSSAPI ? 2 : 1;

	if (ldap_set_option(ld, LDAP_OPT_X_SASL_SECPROPS, props) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON) != LDAP_OPT_SUCCESS) {
		*what = xstrdup("cannot set the SASL options");
		return LDAP_LOCAL_ERROR;
	}
	do {
		if (cfg->sasl_mech == SASL_MECH_GSSAPI && ldapkrb_ready(cfg) == -1) {
			*what = xstrdup("no Kerberos credentials (the reason is above)");
			return LDAP_LOCAL_ERROR;
		}
		lrc = ldap_sasl_interactive_bind_s(ld, NULL, mech_name(cfg), NULL, NULL,
		    LDAP_SASL_QUIET, sasl_interact, NULL);
		/* A ticket the server finds expired, early or not: once more
		 * with new credentials. */
		if (lrc != LDAP_SUCCESS && tries > 1) {
			char *diag = ldapconn_diagnostic(ld);
			bool expired = strcasestr(diag, "expired") != NULL;

			free(diag);
			if (!expired)
				break;
			ldapkrb_forget();
		}
	} while (lrc != LDAP_SUCCESS && --tries > 0);
	if (lrc != LDAP_SUCCESS)
		*what = sasl_failure(cfg, uri, ld, lrc);
	return lrc;
}

int
ldapbind(const struct config *cfg, const char *uri, struct ldap *ld, bool tls, char **what)
{
	struct berval cred = { 0, "" };
	const char *dn = NULL;
	int lrc;

	*what = NULL;
	if (cfg->sasl_mech != SASL_MECH_NONE)
		return sasl_bind(cfg, uri, ld, tls, what);
	if (cfg->bind_dn != NULL && cfg->bind_dn[0] != '\0') {
		dn = cfg->bind_dn;
		cred.bv_val = cfg->bind_password;
		cred.bv_len = strlen(cfg->bind_password);
	}
	lrc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (lrc == LDAP_STRONG_AUTH_REQUIRED && !tls && strncasecmp(uri, "ldap://", 7) == 0)
		/* Active Directory's rule: no simple bind without TLS. */
		*what = xasprintf("%s%s failed; the server takes no simple bind on a "
		    "connection without TLS: use ldaps:// in [ldap] uri, or starttls = yes",
		    dn ? "bind as " : "anonymous bind", dn ? dn : "");
	else if (lrc != LDAP_SUCCESS)
		*what = dn ? xasprintf("bind as %s failed", dn) :
		    xstrdup("anonymous bind failed");
	return lrc;
}

char *
ldapbind_identity(const struct config *cfg, struct ldap *ld)
{
	struct berval *authzid = NULL;
	char *out;

	/* The server's word (RFC 4532) where it has the operation; Samba
	 * has not. */
	if (ldap_whoami_s(ld, &authzid, NULL, NULL) == LDAP_SUCCESS && authzid != NULL &&
	    authzid->bv_len > 0) {
		/* "dn:DN" (389 writes "dn: DN"), "u:NAME" or "". */
		size_t skip = authzid->bv_len > 3 && strncasecmp(authzid->bv_val, "dn:", 3) == 0 ?
		    3 : 0;

		while (skip < authzid->bv_len && authzid->bv_val[skip] == ' ')
			skip++;
		out = xasprintf("%.*s", (int)(authzid->bv_len - skip), authzid->bv_val + skip);
		ber_bvfree(authzid);
		/* The servers lower-case it: bind_dn as written, when it is. */
		if (cfg->sasl_mech == SASL_MECH_NONE && cfg->bind_dn != NULL &&
		    strcasecmp(out, cfg->bind_dn) == 0) {
			free(out);
			out = xstrdup(cfg->bind_dn);
		}
		return out;
	}
	ber_bvfree(authzid);
	if (cfg->sasl_mech == SASL_MECH_GSSAPI)
		return xasprintf("%s (Kerberos; the server has no \"Who am I?\" operation)",
		    ldapkrb_principal() ? ldapkrb_principal() : "the keytab's principal");
	if (cfg->sasl_mech == SASL_MECH_EXTERNAL)
		return xstrdup("the client certificate's or the peer's identity (the server "
		    "has no \"Who am I?\" operation)");
	return xstrdup(cfg->bind_dn && cfg->bind_dn[0] ? cfg->bind_dn : "anonymous");
}
