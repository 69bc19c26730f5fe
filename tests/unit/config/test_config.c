/*
 * test_config.c: config_load on good and bad files written to a temporary
 * directory, each error message checked for its exact "file:line: key:"
 * text (stderr is captured around each load); the secret sources and the
 * secret file rules; parse_duration, parse_limit, limit_resolve; and the
 * shipped sample, which must load as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/log.h"
#include "testlib.h"
#include "util/xmem.h"

#define CHECK_HAS(hay, needle) do {						\
	const char *h_ = (hay), *n_ = (needle);					\
	if (strstr(h_, n_) == NULL) {						\
		printf("# %s:%d: want \"%s\" in output:\n%s",			\
		    __FILE__, __LINE__, n_, h_);				\
		testlib_case_failed = 1;					\
	}									\
} while (0)

#define CHECK_HASNT(hay, needle) do {						\
	if (strstr((hay), (needle)) != NULL) {					\
		printf("# %s:%d: unwanted \"%s\" in output:\n%s",		\
		    __FILE__, __LINE__, (needle), (hay));			\
		testlib_case_failed = 1;					\
	}									\
} while (0)

/* The two lines every good file needs; case lines start on line 4. */
#define BASE "[ldap]\nuri = ldap://localhost\nbase_dn = dc=example,dc=com\n"

static char dir[64];
static char out[65536];		/* what the last load wrote to stderr */
static char *ini;		/* dir/t.ini */

static char *
path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static char *
write_file(const char *name, const char *text, mode_t mode)
{
	char *path = path_in(name);
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) == -1) {
		printf("# cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
	return path;
}

/* config_load with stderr captured into out[]. */
static int
load_path(const char *path, struct config *cfg)
{
	FILE *tmp = tmpfile();
	int saved, rc;
	size_t n;

	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	rc = config_load(path, cfg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof out - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return rc;
}

static int
load(const char *text, struct config *cfg)
{
	free(write_file("t.ini", text, 0644));
	return load_path(ini, cfg);
}

/* The load fails and says "t.ini:LINE: what" (LINE 0: "t.ini: what";
 * LINE -1: what alone). */
static void
expect_error(const char *text, int line, const char *what)
{
	struct config cfg;
	char *want;

	if (line > 0)
		want = xasprintf("%s:%d: %s", ini, line, what);
	else if (line == 0)
		want = xasprintf("%s: %s", ini, what);
	else
		want = xstrdup(what);
	CHECK_INT(load(text, &cfg), -1);
	CHECK_HAS(out, want);
	CHECK(cfg.path == NULL && cfg.ldap_uris == NULL);
	free(want);
}

static void
test_defaults(void)
{
	struct config cfg;

	CHECK_INT(load(BASE, &cfg), 0);
	CHECK_STR(out, "");
	CHECK_STR(cfg.path, ini);
	CHECK_STR(cfg.ldap_uris[0], "ldap://localhost");
	CHECK(cfg.ldap_uris[1] == NULL);
	CHECK(cfg.bind_dn == NULL && cfg.bind_password == NULL);
	CHECK(!cfg.starttls && !cfg.ldap_insecure_skip_tls_verify);
	CHECK(cfg.ldap_ca_file == NULL && cfg.disabled_filter == NULL);
	CHECK_STR(cfg.base_dn, "dc=example,dc=com");
	CHECK_STR(cfg.user_filter, "(objectClass=inetOrgPerson)");
	CHECK_STR(cfg.email_attribute, "mail");
	CHECK_STR(cfg.name_attribute, "cn");
	CHECK_STR(cfg.id_attribute, "entryUUID");
	CHECK_INT(cfg.page_size, 500);
	CHECK_INT(cfg.ldap_timeout, 30);
	CHECK_STR(cfg.base_url, "https://apiv3.imocha.io");
	CHECK_STR(cfg.api_key, "env-key");
	CHECK(cfg.imocha_ca_file == NULL && cfg.proxy == NULL);
	CHECK(!cfg.imocha_insecure_skip_tls_verify);
	CHECK(cfg.requests_per_second == 5.0);
	CHECK_INT(cfg.max_in_flight, 4);
	CHECK_INT(cfg.imocha_timeout, 30);
	CHECK_INT(cfg.max_retries, 5);
	CHECK(cfg.ou_attribute == NULL && cfg.default_business_unit == NULL);
	CHECK(cfg.match_ou_name);
	CHECK(cfg.bu_map == NULL && cfg.bu_map_len == 0);
	CHECK_STR(cfg.state_file, "/var/lib/ldap2imocha/state.db");
	CHECK_INT(cfg.interval, 900);
	CHECK(cfg.deactivate);
	CHECK(!cfg.max_creates.percent && cfg.max_creates.value == 500);
	CHECK(!cfg.max_deactivations.percent && cfg.max_deactivations.value == 50);
	CHECK_INT(cfg.full_every, 86400);
	CHECK_INT(cfg.content_sync, CONTENT_SYNC_AUTO);
	CHECK_INT(cfg.history_days, 400);
	CHECK_INT(cfg.log_level, LOG_LEVEL_INFO);
	CHECK(!cfg.log_syslog && cfg.metrics_file == NULL);
	config_release(&cfg);
	CHECK(cfg.path == NULL);
	config_release(&cfg);	/* a released config may be released again */
}

static void
test_every_key_set(void)
{
	struct config cfg;

	CHECK_INT(load("[LDAP]\n"
	    "uri = ldaps://a.example.com  LDAPS://b.example.com:636\tldapi://%2Frun%2Fslapd\n"
	    "starttls = OFF\n"
	    "ca_file = /etc/ssl/ca.pem\n"
	    "insecure_skip_tls_verify = True\n"
	    "base_dn = ou=People,dc=example,dc=com ; a comment\n"
	    "user_filter = (&(objectClass=user)(objectCategory=person))\n"
	    "disabled_filter = (userAccountControl:1.2.840.113556.1.4.803:=2)\n"
	    "email_attribute = userPrincipalName\nname_attribute = displayName\n"
	    "id_attribute = objectGUID\nPage_Size = 100000\ntimeout = 3600\ncontent_sync = No\n"
	    "[imocha]\nbase_url = http://127.0.0.1:8080/api//\n"
	    "insecure_skip_tls_verify = 1\nca_file = /ca2\nproxy = http://proxy:3128\n"
	    "requests_per_second = 0.5\nmax_in_flight = 256\ntimeout = 1\nmax_retries = 0\n"
	    "[mapping]\nou_attribute = businessCategory\nmatch_ou_name = off\n"
	    "default_business_unit = Everyone\n"
	    "[sync]\nstate_file = /tmp/s.db\ninterval = 30s\ndeactivate = no\n"
	    "max_creates = 10%\nmax_deactivations = 0%\nfull_every = 7d\nhistory_days = 36500\n"
	    "[log]\nlevel = DEBUG\ndestination = syslog\nmetrics_file = /tmp/m.prom\n",
	    &cfg), 0);
	CHECK_STR(out, "");
	CHECK_STR(cfg.ldap_uris[0], "ldaps://a.example.com");
	CHECK_STR(cfg.ldap_uris[1], "LDAPS://b.example.com:636");
	CHECK_STR(cfg.ldap_uris[2], "ldapi://%2Frun%2Fslapd");
	CHECK(cfg.ldap_uris[3] == NULL);
	CHECK(!cfg.starttls && cfg.ldap_insecure_skip_tls_verify);
	CHECK_STR(cfg.ldap_ca_file, "/etc/ssl/ca.pem");
	CHECK_STR(cfg.base_dn, "ou=People,dc=example,dc=com");
	CHECK_STR(cfg.user_filter, "(&(objectClass=user)(objectCategory=person))");
	CHECK_STR(cfg.disabled_filter, "(userAccountControl:1.2.840.113556.1.4.803:=2)");
	CHECK_STR(cfg.email_attribute, "userPrincipalName");
	CHECK_STR(cfg.name_attribute, "displayName");
	CHECK_STR(cfg.id_attribute, "objectGUID");
	CHECK_INT(cfg.page_size, 100000);
	CHECK_INT(cfg.ldap_timeout, 3600);
	CHECK_INT(cfg.content_sync, CONTENT_SYNC_NO);
	CHECK_STR(cfg.base_url, "http://127.0.0.1:8080/api");
	CHECK(cfg.imocha_insecure_skip_tls_verify);
	CHECK_STR(cfg.imocha_ca_file, "/ca2");
	CHECK_STR(cfg.proxy, "http://proxy:3128");
	CHECK(cfg.requests_per_second == 0.5);
	CHECK_INT(cfg.max_in_flight, 256);
	CHECK_INT(cfg.imocha_timeout, 1);
	CHECK_INT(cfg.max_retries, 0);
	CHECK_STR(cfg.ou_attribute, "businessCategory");
	CHECK(!cfg.match_ou_name);
	CHECK_STR(cfg.default_business_unit, "Everyone");
	CHECK_STR(cfg.state_file, "/tmp/s.db");
	CHECK_INT(cfg.interval, 30);
	CHECK(!cfg.deactivate);
	CHECK(cfg.max_creates.percent && cfg.max_creates.value == 10);
	CHECK(cfg.max_deactivations.percent && cfg.max_deactivations.value == 0);
	CHECK_INT(cfg.full_every, 7 * 86400);
	CHECK_INT(cfg.history_days, 36500);
	CHECK_INT(cfg.log_level, LOG_LEVEL_DEBUG);
	CHECK(cfg.log_syslog);
	CHECK_STR(cfg.metrics_file, "/tmp/m.prom");
	config_release(&cfg);
}

static void
test_empty_means_none(void)
{
	struct config cfg;

	CHECK_INT(load(BASE "bind_dn =\nca_file = \ndisabled_filter =\n"
	    "bind_password_file =\n[imocha]\nproxy =\napi_key_file =\n"
	    "[mapping]\nou_attribute =\ndefault_business_unit =\n[log]\nmetrics_file =\n",
	    &cfg), 0);
	CHECK(cfg.bind_dn == NULL && cfg.ldap_ca_file == NULL);
	CHECK(cfg.disabled_filter == NULL && cfg.proxy == NULL);
	CHECK(cfg.ou_attribute == NULL && cfg.default_business_unit == NULL);
	CHECK(cfg.metrics_file == NULL);
	CHECK_STR(cfg.api_key, "env-key");	/* empty *_file: next source */
	config_release(&cfg);
}

static void
test_bools(void)
{
	static const struct { const char *text; int want; } cases[] = {
		{ "yes", 1 }, { "YES", 1 }, { "true", 1 }, { "On", 1 }, { "1", 1 },
		{ "no", 0 }, { "No", 0 }, { "FALSE", 0 }, { "off", 0 }, { "0", 0 },
	};
	struct config cfg;
	char *text;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		text = xasprintf(BASE "[sync]\ndeactivate = %s\n", cases[i].text);
		CHECK_INT(load(text, &cfg), 0);
		CHECK_INT(cfg.deactivate, cases[i].want);
		config_release(&cfg);
		free(text);
	}
}

/* One bad value per type and range; each message named by line and key. */
static void
test_bad_values(void)
{
	static const struct { const char *lines; int line; const char *want; } cases[] = {
		{ "page_size = abc", 4, "page_size: \"abc\" is not a number (expected 1 to 100000)" },
		{ "page_size = 12x", 4, "page_size: \"12x\" is not a number (expected 1 to 100000)" },
		{ "page_size = 0", 4, "page_size: 0 is out of range (expected 1 to 100000)" },
		{ "page_size = 100001", 4, "page_size: 100001 is out of range (expected 1 to 100000)" },
		{ "page_size = 99999999999999999999", 4, "page_size: 99999999999999999999 is out of range" },
		{ "page_size =", 4, "page_size: \"\" is not a number (expected 1 to 100000)" },
		{ "timeout = 3601", 4, "timeout: 3601 is out of range (expected 1 to 3600)" },
		{ "starttls = maybe", 4, "starttls: \"maybe\" is not a yes/no value (expected yes, no, "
		    "true, false, on, off, 1 or 0)" },
		{ "starttls =", 4, "starttls: \"\" is not a yes/no value" },
		{ "user_filter = objectClass=person", 4, "user_filter: \"objectClass=person\" must be "
		    "wrapped in parentheses" },
		{ "user_filter = (a=b", 4, "user_filter: \"(a=b\" must be wrapped in parentheses" },
		{ "user_filter = (a=b))(", 4, "user_filter: \"(a=b))(\" must be wrapped in parentheses" },
		{ "user_filter = (&(a=b)", 4, "user_filter: \"(&(a=b)\" has unbalanced parentheses" },
		{ "user_filter = (a=b))", 4, "user_filter: \"(a=b))\" has unbalanced parentheses" },
		{ "user_filter =", 4, "user_filter: must not be empty" },
		{ "disabled_filter = x", 4, "disabled_filter: \"x\" must be wrapped in parentheses" },
		{ "email_attribute =", 4, "email_attribute: must not be empty" },
		{ "\n[imocha]\nrequests_per_second = 0", 6, "requests_per_second: 0 is out of range "
		    "(expected more than 0, at most 10000)" },
		{ "[imocha]\nrequests_per_second = 10000.5", 5, "requests_per_second: 10000.5 is out of range" },
		{ "[imocha]\nrequests_per_second = fast", 5, "requests_per_second: \"fast\" is not a number" },
		{ "[imocha]\nrequests_per_second = nan", 5, "requests_per_second: \"nan\" is not a number" },
		{ "[imocha]\nrequests_per_second = 0x10", 5, "requests_per_second: \"0x10\" is not a number" },
		{ "[imocha]\nrequests_per_second = -1", 5, "requests_per_second: \"-1\" is not a number" },
		{ "[imocha]\nmax_in_flight = 0", 5, "max_in_flight: 0 is out of range (expected 1 to 256)" },
		{ "[imocha]\nmax_in_flight = 257", 5, "max_in_flight: 257 is out of range" },
		{ "[imocha]\ntimeout = 0", 5, "timeout: 0 is out of range (expected 1 to 3600)" },
		{ "[imocha]\nmax_retries = 101", 5, "max_retries: 101 is out of range (expected 0 to 100)" },
		{ "[imocha]\nmax_retries = -1", 5, "max_retries: -1 is out of range (expected 0 to 100)" },
		{ "[imocha]\nbase_url = ftp://x", 5, "base_url: \"ftp://x\" must start with https://" },
		{ "[imocha]\nbase_url = https://", 5, "base_url: \"https://\" is not a URL" },
		{ "[imocha]\nbase_url = https://a b", 5, "base_url: \"https://a b\" is not a URL" },
		{ "[imocha]\nbase_url =", 5, "base_url: must not be empty" },
		{ "[imocha]\ninsecure_skip_tls_verify = 2", 5, "insecure_skip_tls_verify: \"2\" is not a "
		    "yes/no value" },
		{ "[mapping]\nmatch_ou_name = si", 5, "match_ou_name: \"si\" is not a yes/no value" },
		{ "[sync]\ninterval = 15x", 5, "interval: \"15x\" is not a duration (expected a number "
		    "with a unit s, m, h or d, e.g. 15m)" },
		{ "[sync]\ninterval = -5m", 5, "interval: \"-5m\" is not a duration" },
		{ "[sync]\ninterval = 0", 5, "interval: 0 is out of range (expected 1s to 365d, e.g. 15m)" },
		{ "[sync]\ninterval = 366d", 5, "interval: 366d is out of range" },
		{ "[sync]\nfull_every = 99999999999999d", 5, "full_every: 99999999999999d is out of range" },
		{ "[sync]\nfull_every = 99999999999999999999", 5, "full_every: 99999999999999999999 is out "
		    "of range (expected 1s to 365d, e.g. 15m)" },
		{ "[sync]\nfull_every = 24 h", 5, "full_every: \"24 h\" is not a duration" },
		{ "[sync]\nmax_creates = 101%", 5, "max_creates: \"101%\" is not a limit (expected a count "
		    "such as 500, or a percentage from 0% to 100% such as 10%)" },
		{ "[sync]\nmax_creates = -1", 5, "max_creates: \"-1\" is not a limit" },
		{ "[sync]\nmax_deactivations = 5 %", 5, "max_deactivations: \"5 %\" is not a limit" },
		{ "[sync]\nmax_deactivations =", 5, "max_deactivations: \"\" is not a limit" },
		{ "[sync]\nhistory_days = 0", 5, "history_days: 0 is out of range (expected 1 to 36500)" },
		{ "[sync]\nhistory_days = 36501", 5, "history_days: 36501 is out of range" },
		{ "[sync]\nstate_file =", 5, "state_file: must not be empty" },
		{ "[ldap]\ncontent_sync = maybe", 5, "content_sync: \"maybe\" is not a content_sync "
		    "mode (expected auto, yes or no)" },
		{ "[log]\nlevel = loud", 5, "level: \"loud\" is not a log level (expected error, warning, "
		    "info or debug)" },
		{ "[log]\ndestination = file", 5, "destination: \"file\" is not a destination (expected "
		    "stderr or syslog)" },
	};
	char *text;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		text = xasprintf(BASE "%s\n", cases[i].lines);
		expect_error(text, cases[i].line, cases[i].want);
		free(text);
	}
}

static void
test_required_and_uris(void)
{
	expect_error("[ldap]\nbase_dn = dc=x\n", 0, "uri: required in [ldap] but not set");
	expect_error("[ldap]\nuri = ldap://x\n", 0, "base_dn: required in [ldap] but not set");
	expect_error("", 0, "uri: required in [ldap] but not set");
	expect_error("[ldap]\nuri =\nbase_dn = dc=x\n", 2, "uri: must not be empty");
	expect_error("[ldap]\nuri = ldap://a http://b\nbase_dn = dc=x\n", 2,
	    "uri: \"http://b\" is not an LDAP URI (expected ldap://, ldaps:// or ldapi://)");
	expect_error("[ldap]\nuri = ldap.example.com\nbase_dn = dc=x\n", 2,
	    "uri: \"ldap.example.com\" is not an LDAP URI");
	/* Pieces join with nothing between them: say so, do not connect to
	 * "ldaps://aldaps://b". */
	expect_error("[ldap]\nuri = ldaps://a\n  ldaps://b\nbase_dn = dc=x\n", 2,
	    "uri: \"ldaps://aldaps://b\" holds two URIs run together");
	expect_error("[ldap]\nuri = ldap://x\nbase_dn = not a dn\n", 3,
	    "base_dn: \"not a dn\" is not a valid DN");
	expect_error("[ldap]\nuri = ldaps://x\nbase_dn = dc=x\nstarttls = yes\n", 4,
	    "starttls: yes with the ldaps:// URI \"ldaps://x\"; pick one");
}

static void
test_base_url(void)
{
	static const struct { const char *url, *want; } good[] = {
		{ "https://api.example.com/", "https://api.example.com" },
		{ "HTTPS://api.example.com:8443/v3///", "HTTPS://api.example.com:8443/v3" },
		{ "http://127.0.0.1", "http://127.0.0.1" },
		{ "http://127.8.9.10:8080/", "http://127.8.9.10:8080" },
		{ "http://localhost:9000/x", "http://localhost:9000/x" },
		{ "http://[::1]:8080", "http://[::1]:8080" },
	};
	static const char *const bad[] = {
		"http://example.com", "http://128.0.0.1", "http://127.example.com",
		"http://127.0.0.1@evil.example.com/", "http://[::2]", "http://localhost.evil.com",
	};
	struct config cfg;
	char *text, *want;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		text = xasprintf(BASE "[imocha]\nbase_url = %s\n", good[i].url);
		CHECK_INT(load(text, &cfg), 0);
		CHECK_STR(cfg.base_url, good[i].want);
		config_release(&cfg);
		free(text);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		text = xasprintf(BASE "[imocha]\nbase_url = %s\n", bad[i]);
		want = xasprintf("base_url: \"%s\": plain http:// would send the API key "
		    "unencrypted; use https://", bad[i]);
		expect_error(text, 5, want);
		free(want);
		free(text);
	}
}

static void
test_structure_errors(void)
{
	expect_error(BASE "[ldapp]\nuri = x\n", 4,
	    "[ldapp]: unknown section (expected [ldap], [imocha], [mapping], "
	    "[business_units], [sync] or [log])");
	expect_error(BASE "[nothing]\n", 4, "[nothing]: unknown section");
	expect_error(BASE "colour = blue\n", 4, "colour: unknown key in [ldap]");
	expect_error(BASE "max_retries = 3\n", 4,
	    "max_retries: unknown key in [ldap] (it belongs in [imocha])");
	expect_error(BASE "page_size = 10\n\npage_size = 20\n", 6,
	    "page_size: set again (first set on line 4)");
	expect_error(BASE "uri = ldap://other\n", 4, "uri: set again (first set on line 2)");
	expect_error("uri = ldap://x\n" BASE, 1, "uri: outside any section");
	expect_error(BASE "[imocha\n", 4, "missing ] in section header");
	expect_error(BASE "just words\n", 4, "expected KEY = VALUE");
	expect_error(BASE "= value\n", 4, "no key name before \"=\"");
}

/* Every error is reported, in line order, not just the first. */
static void
test_all_errors_reported(void)
{
	struct config cfg;
	char *want[4];

	CHECK_INT(load(BASE "[log]\nlevel = loud\n[bogus]\n[sync]\nhistory_days = x\n"
	    "interval = 1y\n", &cfg), -1);
	want[0] = xasprintf("%s:5: level:", ini);
	want[1] = xasprintf("%s:6: [bogus]: unknown section", ini);
	want[2] = xasprintf("%s:8: history_days:", ini);
	want[3] = xasprintf("%s:9: interval:", ini);
	for (int i = 0; i < 4; i++) {
		CHECK_HAS(out, want[i]);
		if (i > 0 && strstr(out, want[i - 1]) && strstr(out, want[i]))
			CHECK(strstr(out, want[i - 1]) < strstr(out, want[i]));
	}
	for (int i = 0; i < 4; i++)
		free(want[i]);
}

/* "user_filter = (cn=aaa...)" of exactly len characters. */
static char *
filter_line(size_t len)
{
	char *line = xmalloc(len + 1);

	memset(line, 'a', len);
	memcpy(line, "user_filter = (cn=", 18);
	line[len - 1] = ')';
	line[len] = '\0';
	return line;
}

static void
test_long_lines(void)
{
	struct config cfg;
	char *line, *text;

	/* 199 characters is the most a line may hold; CRLF is not counted. */
	line = filter_line(199);
	text = xasprintf(BASE "%s\r\npage_size = 9\n", line);
	CHECK_INT(load(text, &cfg), 0);
	CHECK_STR(out, "");
	CHECK_INT(strlen(cfg.user_filter), 199 - 14);
	CHECK_INT(cfg.page_size, 9);
	config_release(&cfg);
	free(text);
	free(line);

	line = filter_line(200);
	text = xasprintf(BASE "%s\n", line);
	expect_error(text, 4, "line longer than 199 characters");
	CHECK_HASNT(out, "user_filter");	/* not split and half-read */
	free(text);
	free(line);

	/* A long comment too: Debian's inih would read its tail as a line. */
	text = xasprintf(BASE "; %0250d\npage_size = 7\n", 0);
	expect_error(text, 4, "line longer than 199 characters");
	free(text);
}

static void
test_continuation(void)
{
	struct config cfg;

	CHECK_INT(load(BASE
	    "user_filter = (&(objectClass=user)   ; users\n"
	    "    (objectCategory=person)\n"
	    "; a comment between pieces\n"
	    "\t(memberOf=cn=imocha,ou=Groups,dc=example,dc=com))  ; members only\n"
	    "disabled_filter = (userAccountControl:1.2.840.113556.1.4.803:=2)\n",
	    &cfg), 0);
	CHECK_STR(out, "");
	CHECK_STR(cfg.user_filter, "(&(objectClass=user)(objectCategory=person)"
	    "(memberOf=cn=imocha,ou=Groups,dc=example,dc=com))");
	CHECK_STR(cfg.disabled_filter, "(userAccountControl:1.2.840.113556.1.4.803:=2)");
	config_release(&cfg);

	/* A continued value is checked whole, at its first line. */
	expect_error(BASE "\nuser_filter = (&(a=b)\n  (c=d)\n", 5,
	    "user_filter: \"(&(a=b)(c=d)\" has unbalanced parentheses");
	/* The continuation of a refused key is not applied to another. */
	expect_error(BASE "colour = blue\n  green\n", 4, "colour: unknown key");
	CHECK_HASNT(out, "uri");
}

static void
test_business_units(void)
{
	struct config cfg;
	char *where;

	CHECK_INT(load(BASE
	    "[business_units]   ; the explicit map\n"
	    "Engineering = ou=Engineering,ou=People,dc=example,dc=com\n"
	    "Sales EMEA = ou=Sales EMEA,ou=People,dc=example,dc=com\n"
	    "  ou=Sales UK,ou=People,dc=example,dc=com   ; continued: one more OU\n"
	    "\n"
	    "   ou=Sales DE,ou=People,dc=example,dc=com\n"
	    "Engineering = ou=Platform,ou=People,dc=example,dc=com\n"
	    "42 = ou=Legal,dc=example,dc=com\n",
	    &cfg), 0);
	CHECK_STR(out, "");
	CHECK_INT(cfg.bu_map_len, 6);
	if (cfg.bu_map_len == 6) {
		static const struct { const char *bu, *dn; int line; } want[] = {
			{ "Engineering", "ou=Engineering,ou=People,dc=example,dc=com", 5 },
			{ "Sales EMEA", "ou=Sales EMEA,ou=People,dc=example,dc=com", 6 },
			{ "Sales EMEA", "ou=Sales UK,ou=People,dc=example,dc=com", 7 },
			{ "Sales EMEA", "ou=Sales DE,ou=People,dc=example,dc=com", 9 },
			{ "Engineering", "ou=Platform,ou=People,dc=example,dc=com", 10 },
			{ "42", "ou=Legal,dc=example,dc=com", 11 },
		};
		for (size_t i = 0; i < 6; i++) {
			where = xasprintf("%s:%d", ini, want[i].line);
			CHECK_STR(cfg.bu_map[i].bu, want[i].bu);
			CHECK_STR(cfg.bu_map[i].ou_dn, want[i].dn);
			CHECK_STR(cfg.bu_map[i].where, where);
			free(where);
		}
	}
	config_release(&cfg);

	/* "BU =" then its OUs, one per continuation line. */
	CHECK_INT(load(BASE "[business_units]\nOps =\n  ou=A,dc=x\n  ou=B,dc=x\n"
	    "Eng = ou=C,dc=x\n", &cfg), 0);
	CHECK_INT(cfg.bu_map_len, 3);
	if (cfg.bu_map_len == 3) {
		CHECK_STR(cfg.bu_map[0].bu, "Ops");
		CHECK_STR(cfg.bu_map[1].ou_dn, "ou=B,dc=x");
		CHECK_STR(cfg.bu_map[2].bu, "Eng");
	}
	config_release(&cfg);

	expect_error(BASE "[business_units]\nEng =\n", 5, "Eng: no OU DN");
	expect_error(BASE "[business_units]\nEng =\nOps = ou=Ops,dc=x\n", 5, "Eng: no OU DN");
	expect_error(BASE "[business_units]\nR=D = ou=RD,dc=x\n", 5,
	    "R: expected BU = OU DN; a BU whose name holds \"=\" or \":\" is given by id");
	expect_error(BASE "[business_units]\nEng = not a dn\n", 5,
	    "Eng: \"not a dn\" is not a valid DN");
	expect_error(BASE "[business_units]\nR:D = ou=RD,dc=x\n", 5,
	    "R: expected BU = OU DN; a BU whose name holds \"=\" or \":\" is given by id");
	expect_error(BASE "[business_units]\nA = ou=X,dc=y\nB = OU=x, DC=Y\n", 6,
	    "B: OU \"OU=x, DC=Y\" is already mapped to \"A\" on line 5");
}

/* group_dn may repeat, and go on on continuation lines, one DN each;
 * each bad DN names its own line. */
static void
test_group_dn(void)
{
	struct config cfg;
	char *where;

	CHECK_INT(load(BASE "group_dn = cn=iMocha Users,ou=Groups,dc=example,dc=com\n"
	    "page_size = 100\n"
	    "group_dn =\n"
	    "  cn=Hiring,ou=Groups,dc=example,dc=com   ; continued\n"
	    "  cn=Interns,ou=Groups,dc=example,dc=com\n", &cfg), 0);
	CHECK_STR(out, "");
	CHECK_INT(cfg.group_dn_len, 3);
	if (cfg.group_dn_len == 3) {
		CHECK_STR(cfg.group_dn[0].dn, "cn=iMocha Users,ou=Groups,dc=example,dc=com");
		CHECK_STR(cfg.group_dn[1].dn, "cn=Hiring,ou=Groups,dc=example,dc=com");
		CHECK_STR(cfg.group_dn[2].dn, "cn=Interns,ou=Groups,dc=example,dc=com");
		where = xasprintf("%s:8", ini);
		CHECK_STR(cfg.group_dn[2].where, where);
		free(where);
	}
	config_release(&cfg);

	CHECK_INT(load(BASE "group_dn =\n", &cfg), 0);
	CHECK_INT(cfg.group_dn_len, 0);
	config_release(&cfg);

	expect_error(BASE "group_dn = cn=A,dc=x\ngroup_dn = not a dn\n", 5,
	    "group_dn: \"not a dn\" is not a valid DN");
	expect_error(BASE "group_dn = cn=A,dc=x\ngroup_dn = CN=a, DC=x\n", 5,
	    "group_dn: \"CN=a, DC=x\" is already listed on line 4");
}

static void
test_missing_file(void)
{
	struct config cfg;
	char *path = path_in("absent.ini"), *want;

	CHECK_INT(load_path(path, &cfg), -1);
	want = xasprintf("%s: No such file or directory", path);
	CHECK_HAS(out, want);
	free(want);
	free(path);
}

/* Which source a secret comes from: file, then credentials, then env. */
static void
test_secret_sources(void)
{
	struct config cfg;
	char *key = write_file("api.key", "from-file\n", 0600);
	char *creds = path_in("creds"), *credkey, *text, *want;

	mkdir(creds, 0700);
	credkey = xasprintf("%s/api-key", creds);
	free(write_file("creds/api-key", "from-creds\n", 0400));
	free(write_file("creds/ldap-password", "pw-creds", 0400));
	setenv("CREDENTIALS_DIRECTORY", creds, 1);

	text = xasprintf(BASE "[imocha]\napi_key_file = %s\n", key);
	CHECK_INT(load(text, &cfg), 0);
	CHECK_STR(cfg.api_key, "from-file");
	config_release(&cfg);
	free(text);

	CHECK_INT(load(BASE, &cfg), 0);
	CHECK_STR(cfg.api_key, "from-creds");
	config_release(&cfg);

	unlink(credkey);	/* not in the credentials: the environment */
	CHECK_INT(load(BASE, &cfg), 0);
	CHECK_STR(cfg.api_key, "env-key");
	config_release(&cfg);

	CHECK_INT(load(BASE "bind_dn = cn=sync,dc=example,dc=com\n", &cfg), 0);
	CHECK_STR(cfg.bind_password, "pw-creds");
	config_release(&cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	setenv("LDAP2IMOCHA_LDAP_PASSWORD", "pw-env\n", 1);
	CHECK_INT(load(BASE "bind_dn = cn=sync,dc=example,dc=com\n", &cfg), 0);
	CHECK_STR(cfg.bind_password, "pw-env");
	config_release(&cfg);
	unsetenv("LDAP2IMOCHA_LDAP_PASSWORD");

	/* A configured file that cannot be read does not fall through. */
	text = xasprintf(BASE "[imocha]\napi_key_file = %s/nope.key\n", dir);
	want = xasprintf("api_key_file: %s/nope.key: No such file or directory", dir);
	expect_error(text, 5, want);
	free(want);
	free(text);

	expect_error(BASE "bind_dn = cn=sync,dc=example,dc=com\n", 0,
	    "[ldap] bind_dn is set but no password: set bind_password_file, or provide "
	    "$CREDENTIALS_DIRECTORY/ldap-password (systemd LoadCredential=) or the "
	    "environment variable LDAP2IMOCHA_LDAP_PASSWORD");
	unsetenv("LDAP2IMOCHA_API_KEY");
	expect_error(BASE, 0, "no iMocha API key: set api_key_file in [imocha], or provide "
	    "$CREDENTIALS_DIRECTORY/api-key (systemd LoadCredential=) or the environment "
	    "variable LDAP2IMOCHA_API_KEY");
	setenv("LDAP2IMOCHA_API_KEY", "", 1);
	expect_error(BASE, -1, "LDAP2IMOCHA_API_KEY: is empty");
	setenv("LDAP2IMOCHA_API_KEY", "env-key", 1);

	/* No bind_dn: anonymous, and a password file is not even read. */
	text = xasprintf(BASE "bind_password_file = %s/nope\n", dir);
	CHECK_INT(load(text, &cfg), 0);
	CHECK(cfg.bind_password == NULL);
	CHECK_HAS(out, "bind_password_file: set but bind_dn is empty");
	config_release(&cfg);
	free(text);

	free(credkey);
	free(creds);
	free(key);
}

/* Load with api_key_file naming a file of this content and mode; 0 or -1. */
static int
load_key(const char *content, mode_t mode, char **path, struct config *cfg)
{
	char *text;
	int rc;

	*path = write_file("k.key", content, mode);
	text = xasprintf(BASE "[imocha]\napi_key_file = %s\n", *path);
	rc = load(text, cfg);
	free(text);
	return rc;
}

static void
test_secret_modes(void)
{
	static const struct { mode_t mode; const char *why; } cases[] = {
		{ 0600, NULL }, { 0400, NULL }, { 0640, NULL }, { 0440, NULL },
		{ 0660, "group-writable (mode 0660)" },
		{ 0620, "group-writable (mode 0620)" },
		{ 0604, "readable by others (mode 0604)" },
		{ 0644, "readable by others (mode 0644)" },
		{ 0602, "accessible to others (mode 0602)" },
		{ 0601, "accessible to others (mode 0601)" },
	};
	struct config cfg;
	char *path, *want;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = load_key("s3cret-value\n", cases[i].mode, &path, &cfg);

		if (cases[i].why == NULL) {
			CHECK_INT(rc, 0);
			CHECK_STR(cfg.api_key, "s3cret-value");
			config_release(&cfg);
		} else {
			CHECK_INT(rc, -1);
			want = xasprintf("%s:5: api_key_file: %s: %s; run: chmod 600 %s",
			    ini, path, cases[i].why, path);
			CHECK_HAS(out, want);
			free(want);
		}
		CHECK_HASNT(out, "s3cret");
		free(path);
	}
}

static void
test_secret_owner_and_kind(void)
{
	char *path, *link, *text, *want;

	if (geteuid() == 0) {
		path = write_file("owned.key", "x\n", 0600);
		CHECK_INT(chown(path, 1000, 1000), 0);
		text = xasprintf(BASE "[imocha]\napi_key_file = %s\n", path);
		want = xasprintf("api_key_file: %s: owned by uid 1000, not root or the "
		    "running user (uid 0); run: chown root %s", path, path);
		expect_error(text, 5, want);
		free(want);
		free(text);
		free(path);
	} else
		printf("# not root: the owner check is not exercised\n");

	path = write_file("real.key", "x\n", 0600);
	link = path_in("link.key");
	unlink(link);
	CHECK_INT(symlink(path, link), 0);
	text = xasprintf(BASE "[imocha]\napi_key_file = %s\n", link);
	want = xasprintf("api_key_file: %s: is a symbolic link", link);
	expect_error(text, 5, want);
	free(want);
	free(text);
	free(link);
	free(path);

	text = xasprintf(BASE "[imocha]\napi_key_file = %s\n", dir);
	want = xasprintf("api_key_file: %s: not a regular file", dir);
	expect_error(text, 5, want);
	free(want);
	free(text);

	path = path_in("fifo.key");
	unlink(path);
	CHECK_INT(mkfifo(path, 0600), 0);
	text = xasprintf(BASE "[imocha]\napi_key_file = %s\n", path);
	want = xasprintf("api_key_file: %s: not a regular file", path);
	expect_error(text, 5, want);	/* and does not hang */
	free(want);
	free(text);
	unlink(path);
	free(path);
}

static void
test_secret_content(void)
{
	static const struct { const char *content, *want, *why; } cases[] = {
		{ "abc", "abc", NULL },
		{ "abc\n", "abc", NULL },
		{ "abc\r\n", "abc", NULL },
		{ " spaced key ", " spaced key ", NULL },
		{ "", NULL, "is empty" },
		{ "\n", NULL, "is empty" },
		{ "abc\n\n", NULL, "holds more than one line" },
		{ "abc\ndef\n", NULL, "holds more than one line" },
	};
	struct config cfg;
	char *path, *want, *big;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = load_key(cases[i].content, 0600, &path, &cfg);

		if (cases[i].why == NULL) {
			CHECK_INT(rc, 0);
			CHECK_STR(cfg.api_key, cases[i].want);
			config_release(&cfg);
		} else {
			CHECK_INT(rc, -1);
			want = xasprintf("%s:5: api_key_file: %s: %s", ini, path,
			    cases[i].why);
			CHECK_HAS(out, want);
			CHECK_HASNT(out, "def");
			free(want);
		}
		free(path);
	}
	big = xmalloc(5000);
	memset(big, 'k', 4999);
	big[4999] = '\0';
	CHECK_INT(load_key(big, 0600, &path, &cfg), -1);
	CHECK_HAS(out, "longer than 4096 bytes");
	CHECK_HASNT(out, "kkkk");
	free(path);
	big[4096] = '\0';	/* exactly the cap is fine */
	CHECK_INT(load_key(big, 0600, &path, &cfg), 0);
	CHECK_INT(strlen(cfg.api_key), 4096);
	config_release(&cfg);
	free(path);
	free(big);
}

static void
test_parse_duration(void)
{
	static const struct { const char *text; int rc; long want; } cases[] = {
		{ "30s", 0, 30 }, { "15m", 0, 900 }, { "24h", 0, 86400 }, { "7d", 0, 604800 },
		{ "45", 0, 45 }, { "0", 0, 0 }, { "0s", 0, 0 }, { "365d", 0, 31536000 },
		{ "9223372036854775807", 0, 9223372036854775807L },
		{ "9223372036854775808", -1, 0 }, { "153722867280912931m", -1, 0 },
		{ "106751991167301d", -1, 0 },
		{ "", -1, 0 }, { "s", -1, 0 }, { "-5", -1, 0 }, { "-5m", -1, 0 },
		{ "+5", -1, 0 }, { " 5", -1, 0 }, { "5 m", -1, 0 }, { "5ms", -1, 0 },
		{ "5w", -1, 0 }, { "5M", -1, 0 }, { "1.5h", -1, 0 }, { "abc", -1, 0 },
		{ "5m ", -1, 0 },
	};
	long v;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = 12345;
		CHECK_INT(parse_duration(cases[i].text, &v), cases[i].rc);
		CHECK_INT(v, cases[i].want);
	}
}

static void
test_parse_limit(void)
{
	static const struct { const char *text; int rc; bool percent; unsigned long value; } cases[] = {
		{ "500", 0, false, 500 }, { "0", 0, false, 0 }, { "10%", 0, true, 10 },
		{ "0%", 0, true, 0 }, { "100%", 0, true, 100 },
		{ "101%", -1, false, 0 }, { "-1", -1, false, 0 }, { "", -1, false, 0 },
		{ "%", -1, false, 0 }, { "10 %", -1, false, 0 }, { "10%%", -1, false, 0 },
		{ "1.5%", -1, false, 0 }, { "ten", -1, false, 0 }, { " 5", -1, false, 0 },
		{ "99999999999999999999999", -1, false, 0 },
	};
	struct limit lim;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lim.percent = true;
		lim.value = 777;
		CHECK_INT(parse_limit(cases[i].text, &lim), cases[i].rc);
		CHECK_INT(lim.percent, cases[i].percent);
		CHECK_INT(lim.value, cases[i].value);
	}
}

static void
test_limit_resolve(void)
{
	struct limit pct = { true, 10 }, count = { false, 500 };

	CHECK_INT(limit_resolve(&pct, 95), 9);
	CHECK_INT(limit_resolve(&pct, 100), 10);
	CHECK_INT(limit_resolve(&pct, 0), 0);
	CHECK_INT(limit_resolve(&count, 3), 500);
	pct.value = 0;
	CHECK_INT(limit_resolve(&pct, 1000), 0);
	pct.value = 100;
	CHECK_INT(limit_resolve(&pct, 95), 95);
	pct.value = 33;
	CHECK_INT(limit_resolve(&pct, 10), 3);
	pct.value = 100;	/* no overflow on a huge base */
	CHECK(limit_resolve(&pct, (unsigned long)-1) == (unsigned long)-1);
	pct.value = 50;
	CHECK(limit_resolve(&pct, (unsigned long)-1) == (unsigned long)-1 / 2);
}

/* config_dump as a string. */
static char *
dump(const struct config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	config_dump(cfg, fp);
	fclose(fp);
	return buf;
}

static void
test_dump(void)
{
	struct config cfg;
	char *text;

	setenv("LDAP2IMOCHA_LDAP_PASSWORD", "hunter2", 1);
	CHECK_INT(load(BASE "bind_dn = cn=a,dc=b\n[business_units]\n"
	    "Eng = ou=Eng,dc=b\n  ou=Ops,dc=b\n[sync]\nmax_creates = 10%\n", &cfg), 0);
	text = dump(&cfg);
	CHECK_HAS(text, "[ldap]\nuri = ldap://localhost\n");
	CHECK_HAS(text, "bind_password_file = (set)\n");
	CHECK_HAS(text, "api_key_file = (set)\n");
	CHECK_HASNT(text, "hunter2");
	CHECK_HASNT(text, "env-key");
	CHECK_HAS(text, "[business_units]\nEng = ou=Eng,dc=b");
	CHECK_HAS(text, "Eng = ou=Ops,dc=b");
	CHECK_HAS(text, "max_creates = 10%\n");
	CHECK_HAS(text, "interval = 15m\n");
	CHECK_HAS(text, "level = info\n");
	CHECK_HAS(text, "destination = stderr\n");
	CHECK_HAS(text, "requests_per_second = 5\n");
	free(text);
	config_release(&cfg);
	unsetenv("LDAP2IMOCHA_LDAP_PASSWORD");

	CHECK_INT(load(BASE, &cfg), 0);
	text = dump(&cfg);
	CHECK_HAS(text, "bind_password_file = (not set)\n");
	free(text);
	config_release(&cfg);
}

/* The shipped sample loads as it is and documents every key: each key
 * config_dump prints appears in it as "key =" (most commented out). */
static void
test_sample(void)
{
	const char *top = getenv("L2I_TOP");
	char *path = xasprintf("%s/etc/ldap2imocha.ini.sample", top ? top : ".");
	char *text, *want, *sample = NULL;
	size_t cap = 0;
	struct config cfg;
	FILE *fp;

	CHECK_INT(load_path(path, &cfg), 0);
	CHECK_STR(out, "");
	if ((fp = fopen(path, "r")) == NULL || cfg.path == NULL) {
		CHECK(fp != NULL);
		free(path);
		return;
	}
	CHECK(getdelim(&sample, &cap, '\0', fp) > 0);
	fclose(fp);
	text = dump(&cfg);
	for (const char *line = text; *line; line += strcspn(line, "\n") + 1) {
		if (*line == '[' || *line == '\n')
			continue;
		want = xasprintf("%.*s =", (int)strcspn(line, " "), line);
		CHECK_HAS(sample, want);
		free(want);
	}
	free(text);
	free(sample);
	config_release(&cfg);
	free(path);
}

/* The bind settings together (config_auth.c): each mistake names its key
 * and line, and the keytab and the client key follow the secret-file rule,
 * from the key or from the systemd credential, never the environment. */
static void
test_bind_settings(void)
{
	struct config cfg;
	char *kt = write_file("ldap.keytab", "keytab", 0600);
	char *cert = write_file("client.crt", "cert", 0644);
	char *key = write_file("client.key", "key", 0600);
	char *creds = path_in("creds"), *text, *want;

	/* GSSAPI from a keytab, over ldap:// */
	text = xasprintf(BASE "sasl_mech = gssapi\nsasl_keytab = %s\n"
	    "sasl_principal = agent@EXAMPLE.COM\n", kt);
	CHECK_INT(load(text, &cfg), 0);
	CHECK_STR(out, "");
	CHECK_INT(cfg.sasl_mech, SASL_MECH_GSSAPI);
	CHECK_STR(cfg.sasl_keytab, kt);
	CHECK_STR(cfg.sasl_principal, "agent@EXAMPLE.COM");
	config_release(&cfg);
	free(text);
	expect_error(BASE "sasl_mech = PLAIN\n", 4, "sasl_mech: \"PLAIN\" is not a SASL "
	    "mechanism the agent uses (expected GSSAPI or EXTERNAL");
	expect_error(BASE "sasl_mech = GSSAPI\n", 4, "sasl_mech: GSSAPI needs a keytab: "
	    "set sasl_keytab, or provide $CREDENTIALS_DIRECTORY/ldap-keytab");
	/* A keytab others can read is refused like any secret file. */
	chmod(kt, 0644);
	text = xasprintf(BASE "sasl_mech = GSSAPI\nsasl_keytab = %s\n", kt);
	want = xasprintf("%s:5: sasl_keytab: %s: readable by others (mode 0644); "
	    "run: chmod 600 %s", ini, kt, kt);
	expect_error(text, -1, want);
	free(want);
	free(text);
	chmod(kt, 0600);
	/* ... and the credential's the same; the environment is no source. */
	mkdir(creds, 0700);
	free(write_file("creds/ldap-keytab", "keytab", 0640));
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	CHECK_INT(load(BASE "sasl_mech = GSSAPI\n", &cfg), 0);
	want = path_in("creds/ldap-keytab");
	CHECK_STR(cfg.sasl_keytab, want);
	free(want);
	config_release(&cfg);
	free(write_file("creds/ldap-keytab", "keytab", 0604));
	expect_error(BASE "sasl_mech = GSSAPI\n", -1,
	    "$CREDENTIALS_DIRECTORY/ldap-keytab: ");
	CHECK_HAS(out, "readable by others");
	unsetenv("CREDENTIALS_DIRECTORY");
	setenv("LDAP2IMOCHA_LDAP_KEYTAB", kt, 1);
	expect_error(BASE "sasl_mech = GSSAPI\n", 4, "sasl_mech: GSSAPI needs a keytab");
	unsetenv("LDAP2IMOCHA_LDAP_KEYTAB");

	/* A SASL bind takes no bind_dn; its keys mean nothing without it. */
	expect_error(BASE "bind_dn = cn=agent,dc=example,dc=com\nsasl_mech = EXTERNAL\n"
	    "uri = ldapi:///\n", 4, "bind_dn: set with sasl_mech = EXTERNAL, whose identity "
	    "comes from the client certificate or the ldapi:// peer; leave bind_dn empty");
	CHECK_HASNT(out, "no password");
	text = xasprintf(BASE "sasl_keytab = %s\n", kt);
	expect_error(text, 4, "sasl_keytab: set, but sasl_mech is empty (a simple bind); "
	    "it is for sasl_mech = GSSAPI");
	free(text);

	/* EXTERNAL: over ldapi://, or TLS with a client certificate. */
	CHECK_INT(load("[ldap]\nuri = ldapi:///\nbase_dn = dc=example,dc=com\n"
	    "sasl_mech = EXTERNAL\n", &cfg), 0);
	CHECK_INT(cfg.sasl_mech, SASL_MECH_EXTERNAL);
	config_release(&cfg);
	expect_error(BASE "sasl_mech = EXTERNAL\n", 4, "sasl_mech: EXTERNAL over "
	    "\"ldap://localhost\": that connection carries no identity");
	expect_error("[ldap]\nuri = ldaps://x\nbase_dn = dc=x\nsasl_mech = EXTERNAL\n", 4,
	    "sasl_mech: EXTERNAL over \"ldaps://x\" needs a client certificate: set "
	    "tls_cert_file and tls_key_file");
	text = xasprintf("[ldap]\nuri = ldap://x\nstarttls = yes\nbase_dn = dc=x\n"
	    "sasl_mech = EXTERNAL\ntls_cert_file = %s\ntls_key_file = %s\n", cert, key);
	CHECK_INT(load(text, &cfg), 0);
	CHECK_STR(cfg.tls_cert_file, cert);
	CHECK_STR(cfg.tls_key_file, key);
	config_release(&cfg);
	free(text);

	/* A certificate and its key go together; the key is a secret file. */
	text = xasprintf(BASE "tls_cert_file = %s\n", cert);
	expect_error(text, 4, "tls_cert_file: set, but no key for it: set tls_key_file, or "
	    "provide $CREDENTIALS_DIRECTORY/ldap-tls-key");
	free(text);
	text = xasprintf(BASE "tls_key_file = %s\n", key);
	expect_error(text, 4, "tls_key_file: set, but tls_cert_file is not");
	free(text);
	chmod(key, 0660);
	text = xasprintf(BASE "tls_cert_file = %s\ntls_key_file = %s\n", cert, key);
	want = xasprintf("%s:5: tls_key_file: %s: group-writable", ini, key);
	expect_error(text, -1, want);
	free(want);
	free(text);
	text = xasprintf(BASE "tls_cert_file = %s/none.crt\ntls_key_file = %s\n", dir, key);
	expect_error(text, 4, "tls_cert_file: ");
	CHECK_HAS(out, "none.crt: No such file or directory");
	free(text);

	unlink(kt);
	unlink(cert);
	unlink(key);
	free(kt);
	free(cert);
	free(key);
	free(creds);
}

static void
cleanup(void)
{
	static const char *const names[] = { "t.ini", "api.key", "k.key",
	    "owned.key", "real.key", "link.key", "creds/ldap-password", "creds/ldap-keytab",
	    "creds" };
	char *p;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		p = path_in(names[i]);
		if (unlink(p) == -1)
			rmdir(p);
		free(p);
	}
	rmdir(dir);
}

int
main(void)
{
	char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof dir, "%s/l2i-config.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	ini = path_in("t.ini");
	unsetenv("CREDENTIALS_DIRECTORY");
	unsetenv("LDAP2IMOCHA_LDAP_PASSWORD");
	setenv("LDAP2IMOCHA_API_KEY", "env-key", 1);
	log_init(LOG_LEVEL_INFO, false);

	RUN(test_defaults);
	RUN(test_every_key_set);
	RUN(test_empty_means_none);
	RUN(test_bools);
	RUN(test_bad_values);
	RUN(test_required_and_uris);
	RUN(test_base_url);
	RUN(test_structure_errors);
	RUN(test_all_errors_reported);
	RUN(test_long_lines);
	RUN(test_continuation);
	RUN(test_business_units);
	RUN(test_group_dn);
	RUN(test_missing_file);
	RUN(test_secret_sources);
	RUN(test_secret_modes);
	RUN(test_secret_owner_and_kind);
	RUN(test_secret_content);
	RUN(test_bind_settings);
	RUN(test_parse_duration);
	RUN(test_parse_limit);
	RUN(test_limit_resolve);
	RUN(test_dump);
	RUN(test_sample);

	cleanup();
	free(ini);
	return TESTLIB_EXIT();
}
