/*
 * config_convert.c: see config_table.h.  What is done to a value by its
 * key's type: convert it from the file's text into struct config, print it
 * back, free it.  The keys themselves are config_table.c's rows.
 */
#include "config/config_table.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/dn.h"
#include "util/xmem.h"

#define DAY	86400L

static const char *const level_names[] = { "error", "warning", "info", "debug" };
static const char *const dest_names[] = { "stderr", "syslog" };
static const char *const syncmode_names[] = {
	[CONTENT_SYNC_AUTO] = "auto", [CONTENT_SYNC_YES] = "yes", [CONTENT_SYNC_NO] = "no"
};

static const char *const saslmech_names[] = {
	[SASL_MECH_NONE] = "", [SASL_MECH_GSSAPI] = "GSSAPI",
	[SASL_MECH_EXTERNAL] = "EXTERNAL"
};

static void
format_duration(long s, char *buf, size_t len)
{
	if (s != 0 && s % DAY == 0)
		snprintf(buf, len, "%ldd", s / DAY);
	else if (s != 0 && s % 3600 == 0)
		snprintf(buf, len, "%ldh", s / 3600);
	else if (s != 0 && s % 60 == 0)
		snprintf(buf, len, "%ldm", s / 60);
	else
		snprintf(buf, len, "%lds", s);
}

/* The "expected ..." of a numeric row, for messages. */
static const char *
range_text(const struct config_key *k, char *buf, size_t len)
{
	char lo[32], hi[32];

	if (k->type == CT_DURATION) {
		format_duration(k->min, lo, sizeof lo);
		format_duration(k->max, hi, sizeof hi);
		snprintf(buf, len, "%s to %s, e.g. 15m", lo, hi);
	} else if (k->flags & CF_OPEN_MIN)
		snprintf(buf, len, "more than %ld, at most %ld", k->min, k->max);
	else
		snprintf(buf, len, "%ld to %ld", k->min, k->max);
	return buf;
}

/* The two ways a number can be wrong, said with its range; -1. */
static int
not_a_number(const struct config_key *k, const char *val, char *why, size_t len)
{
	char range[128];

	snprintf(why, len, "\"%s\" is not a number (expected %s)", val,
	    range_text(k, range, sizeof range));
	return -1;
}

static int
out_of_range(const struct config_key *k, const char *val, char *why, size_t len)
{
	char range[128];

	snprintf(why, len, "%s is out of range (expected %s)", val,
	    range_text(k, range, sizeof range));
	return -1;
}

static int
conv_int(const struct config_key *k, const char *val, void *dst,
    char *why, size_t len)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (end == val || *end != '\0')
		return not_a_number(k, val, why, len);
	if (errno == ERANGE || v < k->min || v > k->max)
		return out_of_range(k, val, why, len);
	*(int *)dst = (int)v;
	return 0;
}

static int
conv_double(const struct config_key *k, const char *val, void *dst,
    char *why, size_t len)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(val, &end);
	/* strtod also takes "nan", "inf" and hex: not numbers here. */
	if ((!isdigit((unsigned char)*val) && *val != '.') || *end != '\0' ||
	    strpbrk(val, "xX") != NULL)
		return not_a_number(k, val, why, len);
	if (errno == ERANGE || !isfinite(v) || v > (double)k->max ||
	    v < (double)k->min || ((k->flags & CF_OPEN_MIN) && v == (double)k->min))
		return out_of_range(k, val, why, len);
	*(double *)dst = v;
	return 0;
}

static int
conv_duration(const struct config_key *k, const char *val, void *dst,
    char *why, size_t len)
{
	long v = 0;
	size_t digits = strspn(val, "0123456789");
	/* Well formed but too big for a long: a range error, not a typo. */
	bool formed = digits > 0 && (val[digits] == '\0' ||
	    (strchr("smhd", val[digits]) != NULL && val[digits + 1] == '\0'));
	int rc = parse_duration(val, &v);

	if (rc == -1 && !formed) {
		snprintf(why, len, "\"%s\" is not a duration (expected a number "
		    "with a unit s, m, h or d, e.g. 15m)", val);
		return -1;
	}
	if (rc == -1 || v < k->min || v > k->max)
		return out_of_range(k, val, why, len);
	*(long *)dst = v;
	return 0;
}

static int
conv_limit(const char *val, void *dst,
    char *why, size_t len)
{
	if (parse_limit(val, dst) == 0)
		return 0;
	snprintf(why, len, "\"%s\" is not a limit (expected a count such as 500, "
	    "or a percentage from 0%% to 100%% such as 10%%)", val);
	return -1;
}

static int
conv_bool(const char *val, void *dst,
    char *why, size_t len)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(val, yes[i]) == 0 || strcasecmp(val, no[i]) == 0) {
			*(bool *)dst = strcasecmp(val, yes[i]) == 0;
			return 0;
		}
	}
	snprintf(why, len, "\"%s\" is not a yes/no value (expected yes, no, "
	    "true, false, on, off, 1 or 0)", val);
	return -1;
}

/* The index of val among names (case-insensitive) into *dst; -1 if none. */
static int
choice_index(const char *const *names, size_t n, const char *val, void *dst)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(val, names[i]) == 0) {
			*(int *)dst = (int)i;
			return 0;
		}
	return -1;
}

/* The keys whose value is one word of a list, and what a refusal says
 * after "\"VALUE\" is not ".  choice_index compares without case (SASL
 * mechanism names are case-insensitive too, RFC 4422). */
#define NAMES(a) (a), sizeof(a) / sizeof((a)[0])
static const struct {
	enum config_type type;
	const char *const *names;
	size_t n;
	const char *refusal;
} choices[] = {
	{ CT_LEVEL, NAMES(level_names), "a log level (expected error, warning, info or debug)" },
	{ CT_SYNCMODE, NAMES(syncmode_names), "a content_sync mode (expected auto, yes or no)" },
	{ CT_SASLMECH, NAMES(saslmech_names), "a SASL mechanism the agent uses (expected "
	    "GSSAPI or EXTERNAL; empty for a simple bind)" },
};
#undef NAMES

static int
conv_choice(const struct config_key *k, const char *val, void *dst,
    char *why, size_t len)
{
	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++) {
		if (choices[i].type != k->type)
			continue;
		if (choice_index(choices[i].names, choices[i].n, val, dst) == 0)
			return 0;
		snprintf(why, len, "\"%s\" is not %s", val, choices[i].refusal);
		return -1;
	}
	if (strcasecmp(val, dest_names[0]) != 0 && strcasecmp(val, dest_names[1]) != 0) {
		snprintf(why, len, "\"%s\" is not a destination (expected stderr "
		    "or syslog)", val);
		return -1;
	}
	*(bool *)dst = strcasecmp(val, dest_names[1]) == 0;
	return 0;
}

/* In a filter, parentheses inside values are escaped (\28, \29), so every
 * literal one is structure and they must balance. */
static int
conv_filter(const char *val, void *dst,
    char *why, size_t len)
{
	size_t n = strlen(val);
	int depth = 0;

	if (n == 0 || val[0] != '(' || val[n - 1] != ')') {
		snprintf(why, len, "\"%s\" must be wrapped in parentheses, e.g. "
		    "(objectClass=inetOrgPerson)", val);
		return -1;
	}
	for (const char *c = val; *c && depth >= 0; c++)
		depth += (*c == '(') - (*c == ')');
	if (depth != 0) {
		snprintf(why, len, "\"%s\" has unbalanced parentheses", val);
		return -1;
	}
	*(char **)dst = xstrdup(val);
	return 0;
}

static int
conv_dn(const char *val, void *dst,
    char *why, size_t len)
{
	char *norm = dn_normalize(val);

	if (norm == NULL) {
		snprintf(why, len, "\"%s\" is not a valid DN (expected e.g. "
		    "ou=People,dc=example,dc=com)", val);
		return -1;
	}
	free(norm);
	*(char **)dst = xstrdup(val);
	return 0;
}

static bool
host_is_loopback(const char *host, size_t len)
{
	static const unsigned char v6_loopback[16] = { [15] = 1 };
	unsigned char addr[16];
	char buf[64];

	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (strcasecmp(buf, "localhost") == 0)
		return true;
	if (buf[0] == '[' && buf[len - 1] == ']') {
		buf[len - 1] = '\0';
		return inet_pton(AF_INET6, buf + 1, addr) == 1 &&
		    memcmp(addr, v6_loopback, sizeof addr) == 0;
	}
	return inet_pton(AF_INET, buf, addr) == 1 && addr[0] == 127;
}

/* The host of "[user@]host[:port][/path]", *len 0 if none. */
static const char *
url_host(const char *rest, size_t *len)
{
	size_t n = strcspn(rest, "/?#");
	const char *at = memrchr(rest, '@', n), *rb;

	if (at != NULL)
		rest = at + 1;
	if (*rest == '[' && (rb = strchr(rest, ']')) != NULL)
		*len = (size_t)(rb + 1 - rest);
	else
		*len = strcspn(rest, ":/?#");
	return rest;
}

static int
conv_url(const struct config_key *k, const char *val, void *dst,
    char *why, size_t len)
{
	bool plain = strncasecmp(val, "http://", 7) == 0;
	size_t skip = plain ? 7 : 8, n = strlen(val), hostlen;
	const char *host;

	if (!plain && strncasecmp(val, "https://", 8) != 0) {
		snprintf(why, len, "\"%s\" must start with https://", val);
		return -1;
	}
	host = url_host(val + skip, &hostlen);
	if (val[strcspn(val, " \t")] != '\0' || hostlen == 0) {
		snprintf(why, len, "\"%s\" is not a URL (expected e.g. %s)", val, k->def);
		return -1;
	}
	if (plain && !host_is_loopback(host, hostlen)) {
		snprintf(why, len, "\"%s\": plain http:// would send the API key "
		    "unencrypted; use https:// (http:// is allowed only to a "
		    "loopback address: 127.0.0.1, [::1], localhost)", val);
		return -1;
	}
	while (n > skip && val[n - 1] == '/')
		n--;		/* callers append "/path" */
	*(char **)dst = xstrndup(val, n);
	return 0;
}

/* Why uri is no LDAP URI, or NULL.  Continuation pieces are joined with
 * nothing between them, so two URIs on two lines become one word with two
 * "://" in it: worth its own message. */
static const char *
uri_problem(const char *uri)
{
	static const char *const schemes[] = { "ldap://", "ldaps://", "ldapi://" };

	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i]);

		if (strncasecmp(uri, schemes[i], n) != 0)
			continue;
		if (strstr(uri + n, "://") == NULL)
			return NULL;
		return "holds two URIs run together; continuation lines are "
		    "joined with nothing between them, so list the URIs on one line";
	}
	return "is not an LDAP URI (expected ldap://, ldaps:// or ldapi://)";
}

static void
free_uris(char **uris)
{
	for (char **u = uris; u && *u; u++)
		free(*u);
	free(uris);
}

static int
conv_uris(const char *val, void *dst,
    char *why, size_t len)
{
	char **uris = NULL;
	const char *problem;
	size_t n = 0, cap = 0, word;

	for (const char *s = val; *(s += strspn(s, " \t")) != '\0'; s += word) {
		xgrow(&uris, &cap, n + 2, sizeof *uris);
		uris[n++] = xstrndup(s, word = strcspn(s, " \t"));
		uris[n] = NULL;
		if ((problem = uri_problem(uris[n - 1])) != NULL) {
			snprintf(why, len, "\"%s\" %s", uris[n - 1], problem);
			free_uris(uris);
			return -1;
		}
	}
	*(char ***)dst = uris;
	return 0;
}

int
config_convert(struct config *cfg, const struct config_key *k, const char *val,
    char *why, size_t len)
{
	void *dst = (char *)cfg + k->off;

	switch (k->type) {
	case CT_STRING:		*(char **)dst = xstrdup(val); return 0;
	case CT_FILTER:		return conv_filter(val, dst, why, len);
	case CT_DN:		return conv_dn(val, dst, why, len);
	case CT_URL:		return conv_url(k, val, dst, why, len);
	case CT_URIS:		return conv_uris(val, dst, why, len);
	case CT_BOOL:		return conv_bool(val, dst, why, len);
	case CT_INT:		return conv_int(k, val, dst, why, len);
	case CT_DOUBLE:		return conv_double(k, val, dst, why, len);
	case CT_DURATION:	return conv_duration(k, val, dst, why, len);
	case CT_LIMIT:		return conv_limit(val, dst, why, len);
	case CT_LEVEL:
	case CT_SYNCMODE:
	case CT_SASLMECH:
	case CT_DEST:		return conv_choice(k, val, dst, why, len);
	case CT_SECRET:			/* config.c reads it, last */
	case CT_DNLIST:		return 0;	/* config.c keeps them as read */
	}
	return 0;
}

void
config_print_value(const struct config *cfg, const struct config_key *k, FILE *fp)
{
	const void *field = (const char *)cfg + k->off;
	const struct limit *lim = field;
	char buf[32];

	switch (k->type) {
	case CT_STRING: case CT_FILTER: case CT_DN: case CT_URL:
		fputs(*(char *const *)field ? *(char *const *)field : "", fp);
		break;
	case CT_URIS:
		for (char *const *u = *(char **const *)field; u && *u; u++)
			fprintf(fp, "%s%s", *u, u[1] ? " " : "");
		break;
	case CT_BOOL:	fputs(*(const bool *)field ? "yes" : "no", fp); break;
	case CT_INT:	fprintf(fp, "%d", *(const int *)field); break;
	case CT_DOUBLE:	fprintf(fp, "%g", *(const double *)field); break;
	case CT_DURATION:
		format_duration(*(const long *)field, buf, sizeof buf);
		fputs(buf, fp);
		break;
	case CT_LIMIT:
		fprintf(fp, "%lu%s", lim->value, lim->percent ? "%" : "");
		break;
	case CT_LEVEL:	fputs(level_names[*(const int *)field & 3], fp); break;
	case CT_DEST:	fputs(dest_names[*(const bool *)field], fp); break;
	case CT_SYNCMODE: fputs(syncmode_names[*(const int *)field % 3], fp); break;
	case CT_SASLMECH: fputs(saslmech_names[*(const int *)field % 3], fp); break;
	case CT_SECRET:
		fputs(*(char *const *)field ? "(set)" : "(not set)", fp);
		break;
	case CT_DNLIST:
		for (size_t i = 0; i < cfg->group_dn_len; i++)
			fprintf(fp, "%s%s", i ? "; " : "", cfg->group_dn[i].dn);
		break;
	}
}

void
config_free_value(struct config *cfg, const struct config_key *k)
{
	void *field = (char *)cfg + k->off;

	switch (k->type) {
	case CT_STRING: case CT_FILTER: case CT_DN: case CT_URL:
		free(*(char **)field);
		break;
	case CT_URIS:
		free_uris(*(char ***)field);
		break;
	case CT_SECRET:
		secret_free(*(char **)field);
		break;
	default:
		return;		/* not a pointer */
	}
	*(void **)field = NULL;
}

int
parse_duration(const char *text, long *seconds)
{
	char *end;
	long n, unit;

	*seconds = 0;
	if (text == NULL || !isdigit((unsigned char)*text))
		return -1;	/* also refuses signs and white space */
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno == ERANGE)
		return -1;
	switch (*end) {
	case '\0':
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = DAY; break;
	default: return -1;
	}
	if ((*end != '\0' && end[1] != '\0') || n > LONG_MAX / unit)
		return -1;
	*seconds = n * unit;
	return 0;
}

int
parse_limit(const char *text, struct limit *out)
{
	char *end;
	unsigned long v;

	memset(out, 0, sizeof *out);
	if (text == NULL || !isdigit((unsigned char)*text))
		return -1;	/* strtoul would take "-1" */
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno == ERANGE)
		return -1;
	if (*end == '%') {
		if (end[1] != '\0' || v > 100)
			return -1;
		out->percent = true;
	} else if (*end != '\0')
		return -1;
	out->value = v;
	return 0;
}

unsigned long
limit_resolve(const struct limit *lim, unsigned long base)
{
	if (!lim->percent)
		return lim->value;
	/* Split so base * value cannot overflow; still rounds down. */
	return base / 100 * lim->value + base % 100 * lim->value / 100;
}
