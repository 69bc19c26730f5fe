/*
 * config.h: the agent's configuration, read from the INI file of SPEC.md.
 * config_load parses the whole file, reports every problem as
 * "file:line: key: reason" through log_errorx, then validates across keys
 * and reads the secrets.  On success *out owns every string; release it
 * with config_release.  The secrets are never logged; config_dump prints
 * the effective config with them redacted.
 */
#ifndef L2I_CONFIG_H
#define L2I_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A limit such as max_creates: a count ("500") or a percentage ("10%"). */
struct limit {
	bool percent;		/* value is a percentage of a base */
	unsigned long value;
};

/* One line of [business_units]: a BU (name or id) = an OU DN. */
struct bu_map_entry {
	char *bu;		/* BU name or id, as written */
	char *ou_dn;		/* OU DN, as written */
	char *where;		/* "file:line", for messages */
};

/* One [ldap] group_dn line: a group whose members are in scope. */
struct group_dn_entry {
	char *dn;		/* as written */
	char *where;		/* "file:line", for messages */
};

/* [ldap] content_sync: whether incremental reads may be used (SPEC.md, Trust). */
/* How the agent binds: a simple bind (or anonymous), or SASL. */
enum sasl_mech {
	SASL_MECH_NONE,		/* simple bind with bind_dn, or anonymous */
	SASL_MECH_GSSAPI,	/* Kerberos from sasl_keytab */
	SASL_MECH_EXTERNAL,	/* TLS client certificate, or ldapi:// peer identity */
};

enum content_sync {
	CONTENT_SYNC_AUTO,	/* where the server offers them and has earned trust */
	CONTENT_SYNC_YES,	/* wherever offered, despite a verdict; exit 3 where not */
	CONTENT_SYNC_NO,	/* never: every read is a paged full read */
};

struct config {
	char *path;		/* the file read */

	/* [ldap] */
	char **ldap_uris;	/* NULL-terminated; "uri" split on white space */
	char *bind_dn;		/* NULL or "": anonymous */
	char *bind_password;	/* secret; NULL when none was given */
	bool starttls;
	char *ldap_ca_file;	/* NULL: system trust store */
	bool ldap_insecure_skip_tls_verify;
	char *base_dn;
	char *user_filter;
	char *disabled_filter;	/* NULL: none */
	char *email_attribute;
	char *name_attribute;
	char *id_attribute;
	int page_size;
	int ldap_timeout;	/* seconds */
	int content_sync;	/* enum content_sync */
	int sasl_mech;		/* enum sasl_mech */
	/* Paths, after config_auth.c: the configured file, else the systemd
	 * credential's; checked as secret files (keytab, key). */
	char *sasl_keytab;	/* GSSAPI only */
	char *sasl_principal;	/* NULL: the keytab's first */
	char *tls_cert_file;	/* client certificate; NULL: none */
	char *tls_key_file;	/* its key; NULL: none */
	/* group_dn: the key may repeat, one DN each; none: no group limits
	 * the scope. */
	struct group_dn_entry *group_dn;
	size_t group_dn_len;

	/* [imocha] */
	char *base_url;		/* no trailing slash */
	char *api_key;		/* secret; required */
	char *imocha_ca_file;
	bool imocha_insecure_skip_tls_verify;
	char *proxy;		/* NULL: libcurl's environment */
	double requests_per_second;
	int max_in_flight;
	int imocha_timeout;	/* seconds */
	int max_retries;

	/* [mapping] */
	char *ou_attribute;	/* NULL: none */
	char *bu_attribute;	/* on user entries, when no OU maps; NULL: none */
	bool match_ou_name;
	char *default_business_unit;	/* NULL: none */

	/* [business_units] */
	struct bu_map_entry *bu_map;
	size_t bu_map_len;

	/* [sync] */
	char *state_file;
	long interval;		/* seconds */
	bool deactivate;
	struct limit max_creates;
	struct limit max_deactivations;
	struct limit max_deactivations_per_day;	/* over any 24 hours */
	long full_every;	/* seconds */
	int history_days;

	/* [log] */
	int log_level;		/* enum log_level */
	bool log_syslog;	/* destination = syslog */
	char *metrics_file;	/* NULL: none */
};

/* Read path into *out.  Returns 0, or -1 after logging every problem. */
int config_load(const char *path, struct config *out);
void config_release(struct config *cfg);
/* Print the effective config, secrets shown as "(set)" or "(not set)". */
void config_dump(const struct config *cfg, FILE *fp);

/* "30s", "15m", "24h", "7d", or bare seconds.  0 ok, -1 malformed. */
int parse_duration(const char *text, long *seconds);
/* "500" or "10%".  0 ok, -1 malformed. */
int parse_limit(const char *text, struct limit *out);
/* The number a limit allows given its base (users in scope, or managed
 * active users) for a percentage; rounds down. */
unsigned long limit_resolve(const struct limit *lim, unsigned long base);

#endif
