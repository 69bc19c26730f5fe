/*
 * config_table.c: see config_table.h.  The keys of SPEC.md's INI file,
 * one row each (what is done to a value by its type: config_convert.c).
 * Adding a key is one row here plus one line in the man page and the
 * sample.
 */
#include "config/config_table.h"

#include <stddef.h>

#define DAY	86400L

#define O(field) offsetof(struct config, field)

const struct config_key config_keys[] = {
	{ "ldap", "uri", CT_URIS, NULL, O(ldap_uris), CF_REQUIRED, 0, 0,
	    "LDAP URIs (ldap://, ldaps://, ldapi://), space-separated, tried in turn" },
	{ "ldap", "bind_dn", CT_STRING, "", O(bind_dn), 0, 0, 0,
	    "DN to bind as; empty: anonymous" },
	{ "ldap", "bind_password_file", CT_SECRET, NULL, O(bind_password), 0, 0, 0,
	    "file holding the bind password" },
	{ "ldap", "starttls", CT_BOOL, "no", O(starttls), 0, 0, 0,
	    "require StartTLS on ldap:// URIs" },
	{ "ldap", "ca_file", CT_STRING, "", O(ldap_ca_file), 0, 0, 0,
	    "CA bundle; empty: the system's trust store" },
	{ "ldap", "insecure_skip_tls_verify", CT_BOOL, "no",
	    O(ldap_insecure_skip_tls_verify), 0, 0, 0,
	    "turn certificate checks off (warns on every run)" },
	{ "ldap", "base_dn", CT_DN, NULL, O(base_dn), CF_REQUIRED, 0, 0,
	    "where users are searched" },
	{ "ldap", "user_filter", CT_FILTER, "(objectClass=inetOrgPerson)",
	    O(user_filter), CF_NONEMPTY, 0, 0, "which entries are users" },
	{ "ldap", "disabled_filter", CT_FILTER, "", O(disabled_filter), 0, 0, 0,
	    "which users are disabled; empty: none" },
	{ "ldap", "email_attribute", CT_STRING, "mail", O(email_attribute),
	    CF_NONEMPTY, 0, 0, "attribute holding the e-mail" },
	{ "ldap", "name_attribute", CT_STRING, "cn", O(name_attribute),
	    CF_NONEMPTY, 0, 0, "attribute holding the display name" },
	{ "ldap", "id_attribute", CT_STRING, "entryUUID", O(id_attribute),
	    CF_NONEMPTY, 0, 0, "immutable entry id; objectGUID on AD" },
	{ "ldap", "page_size", CT_INT, "500", O(page_size), 0, 1, 100000,
	    "entries per page (RFC 2696)" },
	{ "ldap", "timeout", CT_INT, "30", O(ldap_timeout), 0, 1, 3600,
	    "seconds, network and operation" },
	{ "ldap", "content_sync", CT_SYNCMODE, "auto", O(content_sync), 0, 0, 0,
	    "incremental reads: auto, yes or no (see TRUST)" },
	{ "ldap", "sasl_mech", CT_SASLMECH, "", O(sasl_mech), 0, 0, 0,
	    "SASL bind: GSSAPI or EXTERNAL; empty: simple bind or anonymous" },
	{ "ldap", "sasl_keytab", CT_STRING, "", O(sasl_keytab), 0, 0, 0,
	    "GSSAPI: the client keytab (a secret file)" },
	{ "ldap", "sasl_principal", CT_STRING, "", O(sasl_principal), 0, 0, 0,
	    "GSSAPI: the principal in that keytab; empty: its first" },
	{ "ldap", "tls_cert_file", CT_STRING, "", O(tls_cert_file), 0, 0, 0,
	    "TLS client certificate (EXTERNAL, or servers that ask for one)" },
	{ "ldap", "tls_key_file", CT_STRING, "", O(tls_key_file), 0, 0, 0,
	    "its private key (a secret file)" },
	{ "ldap", "group_dn", CT_DNLIST, "", O(group_dn), 0, 0, 0,
	    "scope by group: only members (nested counted); repeat the key, one DN each" },

	{ "imocha", "base_url", CT_URL, "https://apiv3.imocha.io", O(base_url),
	    CF_NONEMPTY, 0, 0, "API root; plain http only to a loopback address" },
	{ "imocha", "api_key_file", CT_SECRET, NULL, O(api_key), 0, 0, 0,
	    "file holding the API key" },
	{ "imocha", "ca_file", CT_STRING, "", O(imocha_ca_file), 0, 0, 0,
	    "CA bundle; empty: the system's trust store" },
	{ "imocha", "insecure_skip_tls_verify", CT_BOOL, "no",
	    O(imocha_insecure_skip_tls_verify), 0, 0, 0,
	    "turn certificate checks off (warns on every run)" },
	{ "imocha", "proxy", CT_STRING, "", O(proxy), 0, 0, 0,
	    "HTTP proxy; empty: libcurl's https_proxy/no_proxy environment" },
	{ "imocha", "requests_per_second", CT_DOUBLE, "5", O(requests_per_second),
	    CF_OPEN_MIN, 0, 10000, "client-side rate limit, retries included" },
	{ "imocha", "max_in_flight", CT_INT, "4", O(max_in_flight), 0, 1, 256,
	    "concurrent requests" },
	{ "imocha", "timeout", CT_INT, "30", O(imocha_timeout), 0, 1, 3600,
	    "seconds per request" },
	{ "imocha", "max_retries", CT_INT, "5", O(max_retries), 0, 0, 100,
	    "retries of a transient failure" },

	{ "mapping", "ou_attribute", CT_STRING, "", O(ou_attribute), 0, 0, 0,
	    "attribute on OU entries naming the BU; empty: none" },
	{ "mapping", "bu_attribute", CT_STRING, "", O(bu_attribute), 0, 0, 0,
	    "attribute on user entries naming the BU when no OU maps; empty: none" },
	{ "mapping", "match_ou_name", CT_BOOL, "yes", O(match_ou_name), 0, 0, 0,
	    "an OU named like a BU maps to it" },
	{ "mapping", "default_business_unit", CT_STRING, "",
	    O(default_business_unit), 0, 0, 0,
	    "BU for users under no mapped OU; empty: skip them" },

	{ "sync", "state_file", CT_STRING, "/var/lib/ldap2imocha/state.db",
	    O(state_file), CF_NONEMPTY, 0, 0, "the SQLite state store" },
	{ "sync", "interval", CT_DURATION, "15m", O(interval), 0, 1, 365 * DAY,
	    "daemon: time between runs" },
	{ "sync", "deactivate", CT_BOOL, "yes", O(deactivate), 0, 0, 0,
	    "deactivate users who left; reactivate on return" },
	{ "sync", "max_creates", CT_LIMIT, "500", O(max_creates), 0, 0, 0,
	    "per run: a count, or a percentage of users in scope" },
	{ "sync", "max_deactivations", CT_LIMIT, "50", O(max_deactivations),
	    0, 0, 0, "per run: a count, or a percentage of managed active users" },
	{ "sync", "max_deactivations_per_day", CT_LIMIT, "100",
	    O(max_deactivations_per_day), 0, 0, 0,
	    "over any 24 hours: a count, or a percentage of managed active users" },
	{ "sync", "full_every", CT_DURATION, "24h", O(full_every), 0, 1, 365 * DAY,
	    "read the whole directory at least this often" },
	{ "sync", "history_days", CT_INT, "400", O(history_days), 0, 1, 36500,
	    "days the change history is kept" },

	{ "log", "level", CT_LEVEL, "info", O(log_level), 0, 0, 0,
	    "error, warning, info or debug" },
	{ "log", "destination", CT_DEST, "stderr", O(log_syslog), 0, 0, 0,
	    "stderr (journald-aware) or syslog" },
	{ "log", "metrics_file", CT_STRING, "", O(metrics_file), 0, 0, 0,
	    "Prometheus textfile; empty: none" },
};

const size_t config_nkeys = sizeof config_keys / sizeof config_keys[0];

const char *const config_sections[] = {
	"ldap", "imocha", "mapping", "business_units", "sync", "log"
};
const size_t config_nsections = sizeof config_sections / sizeof config_sections[0];
