/*
 * config_auth.c: see config_int.h.  The secrets, and how the agent binds:
 * five keys plus bind_dn and uri, where most mistakes are in how they go
 * together; each is caught here, before any connection, naming the key to
 * fix.
 */
#include "config/config_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config_table.h"
#include "config/secret.h"
#include "util/log.h"
#include "util/xmem.h"

#define CRED_KEYTAB	"ldap-keytab"
#define CRED_TLS_KEY	"ldap-tls-key"

/* Where each secret comes from when its *_file key is not set. */
static const struct {
	const char *key, *credential, *env;
} secret_defs[] = {
	{ "bind_password_file", "ldap-password", "LDAP2IMOCHA_LDAP_PASSWORD" },
	{ "api_key_file", "api-key", "LDAP2IMOCHA_API_KEY" },
};

/* 0 read, 1 no source present, -1 error logged. */
static int
load_secret(struct parse *p, size_t def)
{
	int row = config_key_find(NULL, secret_defs[def].key);
	const struct config_key *k = &config_keys[row];
	char *what = xasprintf("%s:%d: %s", p->path, p->line[row], k->name);
	struct secret_source src = {
		.file = p->raw[row] && *p->raw[row] ? p->raw[row] : NULL,
		.file_what = what,
		.credential = secret_defs[def].credential,
		.env = secret_defs[def].env,
	};
	int rc = secret_load(&src, (char **)((char *)p->cfg + k->off));

	free(what);
	if (rc == -1)
		p->errors++;
	return rc;
}

void
config_load_secrets(struct parse *p)
{
	int row = config_key_find("ldap", "bind_password_file");

	/* A SASL bind has no password: bind_dn with it is an error of its
	 * own (config_auth_settle). */
	if (p->cfg->bind_dn != NULL && p->cfg->sasl_mech == SASL_MECH_NONE) {
		if (load_secret(p, 0) == 1)
			config_perr(p, 0, NULL, "[ldap] bind_dn is set but no password: set "
			    "bind_password_file, or provide $CREDENTIALS_DIRECTORY/"
			    "ldap-password (systemd LoadCredential=) or the environment "
			    "variable LDAP2IMOCHA_LDAP_PASSWORD");
	} else if (p->raw[row] != NULL && *p->raw[row] != '\0')
		log_warnx("%s:%d: bind_password_file: set but %s; the password is not read",
		    p->path, p->line[row], p->cfg->sasl_mech != SASL_MECH_NONE ?
		    "sasl_mech binds without one" : "bind_dn is empty; binding anonymously");
	if (load_secret(p, 1) == 1)
		config_perr(p, 0, NULL, "no iMocha API key: set api_key_file in [imocha], "
		    "or provide $CREDENTIALS_DIRECTORY/api-key (systemd "
		    "LoadCredential=) or the environment variable LDAP2IMOCHA_API_KEY");
}

/* [ldap] key's line, for messages about it. */
static int
line_of(const struct parse *p, const char *key)
{
	return p->line[config_key_find("ldap", key)];
}

#define report(p, key, ...) config_perr((p), line_of((p), (key)), (key), __VA_ARGS__)

static bool
scheme_is(const char *uri, const char *scheme)
{
	return strncasecmp(uri, scheme, strlen(scheme)) == 0;
}

/* The connection to uri is TLS: ldaps://, or ldap:// with StartTLS. */
static bool
uri_tls(const struct config *cfg, const char *uri)
{
	return scheme_is(uri, "ldaps://") || (cfg->starttls && scheme_is(uri, "ldap://"));
}

/* *field: the file its key names, else the credential's (now owned by
 * the config), else NULL.  Held to the secret-file rule: secret.c logs why
 * not, counted as an error here. */
static void
secret_path(struct parse *p, char **field, const char *key,
    const char *credential)
{
	char *what;

	if (*field == NULL) {
		*field = secret_credential_path(credential);
		what = xasprintf("$CREDENTIALS_DIRECTORY/%s", credential);
	} else
		what = xasprintf("%s:%d: %s", p->path, line_of(p, key), key);
	if (*field != NULL && secret_check_file(*field, what) == -1)
		p->errors++;
	free(what);
}

static void
settle_client_cert(struct config *cfg, struct parse *p)
{
	bool key_set = cfg->tls_key_file != NULL;

	if (cfg->tls_cert_file == NULL) {
		if (key_set)
			report(p, "tls_key_file", "set, but tls_cert_file is not: a client "
			    "key goes with its certificate; set both");
		return;
	}
	if (access(cfg->tls_cert_file, R_OK) == -1)
		report(p, "tls_cert_file", "%s: %s", cfg->tls_cert_file, strerror(errno));
	secret_path(p, &cfg->tls_key_file, "tls_key_file", CRED_TLS_KEY);
	if (cfg->tls_key_file == NULL)
		report(p, "tls_cert_file", "set, but no key for it: set tls_key_file, or "
		    "provide $CREDENTIALS_DIRECTORY/" CRED_TLS_KEY " (systemd LoadCredential=)");
}

/* EXTERNAL: every URI must carry an identity: a client certificate over
 * TLS, or the process's own over ldapi://. */
static void
settle_external(const struct config *cfg, struct parse *p)
{
	for (char **u = cfg->ldap_uris; u != NULL && *u != NULL; u++) {
		if (scheme_is(*u, "ldapi://"))
			continue;
		if (!uri_tls(cfg, *u)) {
			report(p, "sasl_mech", "EXTERNAL over \"%s\": that connection carries "
			    "no identity; use ldaps:// or starttls = yes with tls_cert_file, "
			    "or ldapi://", *u);
			return;
		}
		if (cfg->tls_cert_file == NULL) {
			report(p, "sasl_mech", "EXTERNAL over \"%s\" needs a client "
			    "certificate: set tls_cert_file and tls_key_file", *u);
			return;
		}
	}
}

void
config_auth_settle(struct parse *p)
{
	struct config *cfg = p->cfg;
	static const char *const mech_name[] = {
		[SASL_MECH_GSSAPI] = "GSSAPI", [SASL_MECH_EXTERNAL] = "EXTERNAL"
	};

	settle_client_cert(cfg, p);
	if (cfg->sasl_mech != SASL_MECH_GSSAPI) {
		const char *why = cfg->sasl_mech == SASL_MECH_NONE ?
		    "sasl_mech is empty (a simple bind)" : "sasl_mech is EXTERNAL";

		if (cfg->sasl_keytab != NULL)
			report(p, "sasl_keytab", "set, but %s; it is for sasl_mech = GSSAPI", why);
		if (cfg->sasl_principal != NULL)
			report(p, "sasl_principal", "set, but %s; it is for sasl_mech = GSSAPI",
			    why);
	}
	if (cfg->sasl_mech == SASL_MECH_NONE)
		return;
	if (cfg->bind_dn != NULL && cfg->bind_dn[0] != '\0')
		report(p, "bind_dn", "set with sasl_mech = %s, whose identity comes from %s; "
		    "leave bind_dn empty", mech_name[cfg->sasl_mech],
		    cfg->sasl_mech == SASL_MECH_GSSAPI ? "the keytab" :
		    "the client certificate or the ldapi:// peer");
	if (cfg->sasl_mech == SASL_MECH_EXTERNAL) {
		settle_external(cfg, p);
		return;
	}
	secret_path(p, &cfg->sasl_keytab, "sasl_keytab", CRED_KEYTAB);
	if (cfg->sasl_keytab == NULL)
		report(p, "sasl_mech", "GSSAPI needs a keytab: set sasl_keytab, or provide "
		    "$CREDENTIALS_DIRECTORY/" CRED_KEYTAB " (systemd LoadCredential=)");
}
