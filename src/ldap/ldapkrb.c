/*
 * ldapkrb.c: see ldapkrb.h.  MIT Kerberos' library (libkrb5) is used for
 * one thing: getting the agent's initial credentials from its keytab, the
 * way `kinit -k -t KEYTAB PRINCIPAL` would, into a ccache of the process's
 * own.  The SASL GSSAPI mechanism (Cyrus SASL, through libldap) then
 * takes service tickets from that ccache; gss_krb5_ccache_name points
 * GSSAPI at it, so neither KRB5CCNAME nor anyone else's ticket cache is
 * used.  The ccache is MEMORY: it lives and dies with the process, and no
 * file holds a ticket.  Tickets are fetched again from the keytab when
 * less than half their life (at most ten minutes) is left: a daemon never
 * binds with one about to expire, and Samba's KDC gives no service ticket
 * on a TGT with two minutes or less to go.
 */
#include "ldap/ldapkrb.h"

#include <errno.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xmem.h"

#define RENEW_MARGIN_MAX 600	/* seconds */

static struct {
	krb5_context ctx;
	krb5_ccache cc;
	char *ccname;		/* "MEMORY:ldap2imocha-PID" */
	char *principal;	/* unparsed, as it got credentials */
	char *source;		/* "KEYTAB|sasl_principal" they came from */
	time_t start, end;	/* of the initial ticket; 0: none */
} krb;

/* The library's own words for code, freed by the caller. */
static char *
krb_text(krb5_error_code code)
{
	const char *m = krb5_get_error_message(krb.ctx, code);
	char *s = xstrdup(m ? m : "unknown Kerberos error");

	krb5_free_error_message(krb.ctx, m);
	return s;
}

/* Why getting credentials failed, said for the key to fix. */
static void
explain(krb5_error_code code, const struct config *cfg, const char *principal)
{
	char *text = krb_text(code);
	const char *hint;

	switch (code) {
	case KRB5KRB_AP_ERR_SKEW:
		hint = "this host's clock and the KDC's differ by more than Kerberos "
		    "allows (5 minutes by default): set the time right (chrony, NTP)";
		break;
	case KRB5_KDC_UNREACH:
	case KRB5_REALM_CANT_RESOLVE:
	case KRB5_REALM_UNKNOWN:
		hint = "no KDC of the principal's realm answered: check the realm's "
		    "kdc lines in krb5.conf (KRB5_CONFIG), or its DNS SRV records, "
		    "and that port 88 is reachable";
		break;
	case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
		hint = "the KDC does not know this principal: check sasl_principal";
		break;
	case KRB5KDC_ERR_PREAUTH_FAILED:
	case KRB5KRB_AP_ERR_BAD_INTEGRITY:
		hint = "the keytab's key is not the account's current one (was its "
		    "password reset?): export the keytab again";
		break;
	case KRB5KDC_ERR_CLIENT_REVOKED:
		hint = "the KDC says the account is disabled, locked or expired";
		break;
	default:
		hint = NULL;
	}
	log_errorx("Kerberos: cannot get credentials for %s from the keytab %s "
	    "([ldap] sasl_keytab): %s%s%s", principal, cfg->sasl_keytab, text,
	    hint ? "; " : "", hint ? hint : "");
	free(text);
}

/* The principal to use: sasl_principal, else the keytab's first entry. */
static krb5_error_code
pick_principal(const struct config *cfg, krb5_keytab kt, krb5_principal *out)
{
	krb5_kt_cursor cur;
	krb5_keytab_entry e;
	krb5_error_code code;

	if (cfg->sasl_principal != NULL)
		return krb5_parse_name(krb.ctx, cfg->sasl_principal, out);
	if ((code = krb5_kt_start_seq_get(krb.ctx, kt, &cur)) != 0)
		return code;
	code = krb5_kt_next_entry(krb.ctx, kt, &e, &cur);
	krb5_kt_end_seq_get(krb.ctx, kt, &cur);
	if (code != 0)
		return code;
	code = krb5_copy_principal(krb.ctx, e.principal, out);
	krb5_free_keytab_entry_contents(krb.ctx, &e);
	return code;
}

/* The keytab holds a key for p: a clearer error than the KDC's. */
static int
keytab_has(krb5_keytab kt, krb5_principal p)
{
	krb5_kt_cursor cur;
	krb5_keytab_entry e;
	int found = 0;

	if (krb5_kt_start_seq_get(krb.ctx, kt, &cur) != 0)
		return -1;
	while (!found && krb5_kt_next_entry(krb.ctx, kt, &e, &cur) == 0) {
		found = krb5_principal_compare(krb.ctx, e.principal, p);
		krb5_free_keytab_entry_contents(krb.ctx, &e);
	}
	krb5_kt_end_seq_get(krb.ctx, kt, &cur);
	return found;
}

static int
setup(void)
{
	OM_uint32 minor;
	krb5_error_code code;

	if (krb.ctx != NULL)
		return 0;
	if ((code = krb5_init_context(&krb.ctx)) != 0) {
		log_errorx("Kerberos: cannot start the library (error %ld); check "
		    "krb5.conf (KRB5_CONFIG)", (long)code);
		krb.ctx = NULL;
		return -1;
	}
	krb.ccname = xasprintf("MEMORY:ldap2imocha-%ld", (long)getpid());
	if (krb5_cc_resolve(krb.ctx, krb.ccname, &krb.cc) != 0 ||
	    gss_krb5_ccache_name(&minor, krb.ccname, NULL) != GSS_S_COMPLETE) {
		log_errorx("Kerberos: cannot make the agent's own credential cache");
		ldapkrb_end();
		return -1;
	}
	return 0;
}

/* What the config says credentials come from: a reload that changes it
 * (another keytab, another principal) gets new ones at once. */
static char *
source_of(const struct config *cfg)
{
	return xasprintf("%s|%s", cfg->sasl_keytab ? cfg->sasl_keytab : "",
	    cfg->sasl_principal ? cfg->sasl_principal : "");
}

/* Initial credentials from the keytab into the process's ccache. */
static int
acquire(const struct config *cfg)
{
	krb5_keytab kt = NULL;
	krb5_principal p = NULL;
	krb5_creds creds;
	krb5_error_code code;
	char *kt_name = xasprintf("FILE:%s", cfg->sasl_keytab), *name = NULL;
	int rc = -1;

	memset(&creds, 0, sizeof creds);
	if ((code = krb5_kt_resolve(krb.ctx, kt_name, &kt)) != 0 ||
	    (code = pick_principal(cfg, kt, &p)) != 0) {
		char *text = krb_text(code);

		log_errorx("Kerberos: the keytab %s ([ldap] sasl_keytab) %s: %s",
		    cfg->sasl_keytab, code == KRB5_KT_END ? "holds no key" :
		    cfg->sasl_principal ? "or sasl_principal cannot be used" :
		    "cannot be read", text);
		free(text);
		goto out;
	}
	if (krb5_unparse_name(krb.ctx, p, &name) != 0)
		goto out;
	if (keytab_has(kt, p) == 0) {
		log_errorx("Kerberos: the keytab %s ([ldap] sasl_keytab) holds no key for "
		    "%s: export one for that principal, or set sasl_principal to one it "
		    "holds (klist -k %s lists them)", cfg->sasl_keytab, name, cfg->sasl_keytab);
		goto out;
	}
	code = krb5_get_init_creds_keytab(krb.ctx, &creds, p, kt, 0, NULL, NULL);
	if (code == 0)
		code = krb5_cc_initialize(krb.ctx, krb.cc, p);
	if (code == 0)
		code = krb5_cc_store_cred(krb.ctx, krb.cc, &creds);
	if (code != 0) {
		explain(code, cfg, name);
		goto out;
	}
	free(krb.principal);
	krb.principal = xstrdup(name);
	free(krb.source);
	krb.source = source_of(cfg);
	krb.start = time(NULL);
	krb.end = (time_t)creds.times.endtime;
	log_debug("Kerberos: credentials for %s from the keytab, valid %ld s",
	    name, (long)(krb.end - krb.start));
	rc = 0;
out:
	krb5_free_cred_contents(krb.ctx, &creds);
	if (name != NULL)
		krb5_free_unparsed_name(krb.ctx, name);
	krb5_free_principal(krb.ctx, p);
	if (kt != NULL)
		krb5_kt_close(krb.ctx, kt);
	free(kt_name);
	return rc;
}

int
ldapkrb_ready(const struct config *cfg)
{
	time_t now = time(NULL), margin;
	char *source;

	if (setup() == -1)
		return -1;
	source = source_of(cfg);
	if (krb.source != NULL && strcmp(source, krb.source) != 0)
		krb.end = 0;
	free(source);
	margin = (krb.end - krb.start) / 2;
	if (margin > RENEW_MARGIN_MAX)
		margin = RENEW_MARGIN_MAX;
	if (krb.end != 0 && now + margin < krb.end)
		return 0;
	if (krb.end != 0)
		log_info("Kerberos: the agent's ticket for %s %s; getting a new one "
		    "from the keytab", krb.principal, now < krb.end ? "is about to expire" :
		    "has expired");
	return acquire(cfg);
}

void
ldapkrb_forget(void)
{
	krb.end = 0;
	krb.start = 0;
}

const char *
ldapkrb_principal(void)
{
	return krb.principal;
}

void
ldapkrb_end(void)
{
	if (krb.ctx != NULL) {
		if (krb.cc != NULL)
			krb5_cc_destroy(krb.ctx, krb.cc);
		krb5_free_context(krb.ctx);
	}
	free(krb.ccname);
	free(krb.principal);
	free(krb.source);
	memset(&krb, 0, sizeof krb);
}
