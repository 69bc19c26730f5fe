/* dn.c: see dn.h. */
#include "model/dn.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Append one RDN to *dn.  type and value are taken over. */
static void
dn_push(struct dn *dn, char *type, char *value)
{
	dn->type = xreallocarray(dn->type, dn->n + 1, sizeof *dn->type);
	dn->value = xreallocarray(dn->value, dn->n + 1, sizeof *dn->value);
	dn->type[dn->n] = type;
	dn->value[dn->n] = value;
	dn->n++;
}

static void
trim_trailing_unescaped(char *buf, size_t *len, size_t escaped_len)
{
	/* Trailing spaces are insignificant unless they were escaped. */
	while (*len > escaped_len && buf[*len - 1] == ' ')
		(*len)--;
	buf[*len] = '\0';
}

/*
 * Parse one "type=value" RDN starting at *pp; on return *pp is at the ','
 * or ';' ending it, or at the end.  The value of a multi-valued RDN keeps
 * its '+' parts verbatim after the first.  Returns -1 if malformed.
 */
static int
parse_rdn(const char **pp, char **type_out, char **value_out)
{
	const char *p = *pp, *start;
	char *value;
	size_t len = 0, escaped_len = 0;

	while (*p == ' ')
		p++;
	start = p;
	while (*p && *p != '=' && *p != ',' && *p != ';')
		p++;
	if (*p != '=' || p == start)
		return -1;
	*type_out = xstrndup(start, (size_t)(p - start));
	for (size_t t = strlen(*type_out); t > 0 && (*type_out)[t - 1] == ' '; t--)
		(*type_out)[t - 1] = '\0';
	for (char *c = *type_out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	p++;
	while (*p == ' ')
		p++;
	value = xmalloc(strlen(p) + 1);
	while (*p && *p != ',' && *p != ';') {
		if (*p == '\\') {
			int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;

			/* "\00" would end the C string early and make two
			 * different DNs compare equal: refused. */
			if (hi == 0 && lo == 0)
				goto bad;
			if (hi >= 0 && lo >= 0) {
				value[len++] = (char)(hi << 4 | lo);
				p += 3;
			} else if (p[1] != '\0') {
				value[len++] = p[1];
				p += 2;
			} else
				goto bad;
			escaped_len = len;
		} else if (*p == '"')
			goto bad;	/* quoted values: obsolete, refused */
		else
			value[len++] = *p++;
	}
	trim_trailing_unescaped(value, &len, escaped_len);
	if ((*type_out)[0] == '\0')
		goto bad;
	*value_out = value;
	*pp = p;
	return 0;
bad:
	free(value);
	free(*type_out);
	*type_out = NULL;
	return -1;
}

int
dn_parse(const char *text, struct dn *out)
{
	const char *p = text;

	*out = (struct dn){ 0 };
	if (text == NULL || strlen(text) > DN_MAX_LEN)
		return -1;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;	/* the root DSE: no RDN */
	for (;;) {
		char *type, *value;

		if (parse_rdn(&p, &type, &value) == -1) {
			dn_release(out);
			return -1;
		}
		dn_push(out, type, value);
		if (*p == '\0')
			return 0;
		p++;	/* ',' or ';' */
	}
}

const char *
dn_parent_text(const char *text)
{
	const char *p = text;
	char *type, *value;

	if (text == NULL || strlen(text) > DN_MAX_LEN)
		return NULL;
	while (*p == ' ')
		p++;
	if (*p == '\0' || parse_rdn(&p, &type, &value) == -1)
		return NULL;
	free(type);
	free(value);
	return *p == '\0' ? NULL : p + 1;
}

void
dn_release(struct dn *dn)
{
	for (size_t i = 0; i < dn->n; i++) {
		free(dn->type[i]);
		free(dn->value[i]);
	}
	free(dn->type);
	free(dn->value);
	*dn = (struct dn){ 0 };
}

/* Escape what RFC 4514 requires, so the normal form parses back. */
static size_t
append_escaped(char *dst, const char *value)
{
	size_t n = 0, len = strlen(value);

	for (size_t i = 0; i < len; i++) {
		char c = (char)tolower((unsigned char)value[i]);
		bool special = strchr(",+\"\\<>;=", c) != NULL ||
		    (i == 0 && (c == ' ' || c == '#')) || (i == len - 1 && c == ' ');

		if (special)
			dst[n++] = '\\';
		dst[n++] = c;
	}
	return n;
}

char *
dn_norm_from(const struct dn *dn, size_t from)
{
	size_t cap = 1, n = 0;
	char *out;

	for (size_t i = from; i < dn->n; i++)
		cap += strlen(dn->type[i]) + 2 * strlen(dn->value[i]) + 2;
	out = xmalloc(cap);
	for (size_t i = from; i < dn->n; i++) {
		if (i > from)
			out[n++] = ',';
		memcpy(out + n, dn->type[i], strlen(dn->type[i]));
		n += strlen(dn->type[i]);
		out[n++] = '=';
		n += append_escaped(out + n, dn->value[i]);
	}
	out[n] = '\0';
	return out;
}

/*
 * dn_normalize's common case in one pass and one allocation: RDNs of plain
 * type=value pairs, nothing to unescape or escape (no \\ " + < > ; # at
 * all, no = in a value).  The same rules as parse_rdn and append_escaped
 * (spaces around type and value dropped, lower case).  NULL when the DN
 * is not that plain: the full parse decides.  Every member value of every
 * group goes through here.
 */
static char *
normalize_plain(const char *text)
{
	size_t len = text ? strlen(text) : 0, n = 0, mark;
	const char *p = text;
	char *out;

	if (len == 0 || len > DN_MAX_LEN || strpbrk(text, "\\\"+<>;#") != NULL)
		return NULL;
	out = xmalloc(len + 1);
	for (;;) {
		while (*p == ' ')
			p++;
		for (mark = n; *p && *p != '=' && *p != ','; p++)
			out[n++] = (char)tolower((unsigned char)*p);
		while (n > mark && out[n - 1] == ' ')
			n--;
		if (*p != '=' || n == mark)
			break;
		out[n++] = *p++;
		while (*p == ' ')
			p++;
		for (mark = n; *p && *p != ',' && *p != '='; p++)
			out[n++] = (char)tolower((unsigned char)*p);
		if (*p == '=')
			break;
		while (n > mark && out[n - 1] == ' ')
			n--;
		if (*p == '\0') {
			out[n] = '\0';
			return out;
		}
		out[n++] = *p++;
	}
	free(out);
	return NULL;
}

char *
dn_normalize(const char *text)
{
	struct dn dn;
	char *norm = normalize_plain(text);

	if (norm != NULL)
		return norm;
	if (dn_parse(text, &dn) == -1)
		return NULL;
	norm = dn_norm_from(&dn, 0);
	dn_release(&dn);
	return norm;
}

bool
dn_is_within(const char *dn, const char *ancestor)
{
	struct dn d, a;
	char *tail = NULL, *top = NULL;
	bool within = true;	/* unparsable: doubt holds a user rather than lets it go */

	if (dn_parse(dn, &d) == -1)
		return true;
	if (dn_parse(ancestor, &a) == -1) {
		dn_release(&d);
		return true;
	}
	/* RDN by RDN, so that an escaped comma is never taken for a separator. */
	if (a.n > 0) {
		within = d.n >= a.n;
		if (within) {
			tail = dn_norm_from(&d, d.n - a.n);
			top = dn_norm_from(&a, 0);
			within = strcmp(tail, top) == 0;
		}
	}
	free(tail);
	free(top);
	dn_release(&d);
	dn_release(&a);
	return within;
}

bool
dn_norm_within(const char *norm, const char *ancestor_norm)
{
	size_t n = strlen(norm), a = strlen(ancestor_norm), slashes = 0;

	if (a == 0 || strcmp(norm, ancestor_norm) == 0)
		return true;
	if (n <= a + 1 || strcmp(norm + n - a, ancestor_norm) != 0 || norm[n - a - 1] != ',')
		return false;
	/* The comma must separate RDNs, not be escaped ("\\," is a value's). */
	for (size_t i = n - a - 1; i > 0 && norm[i - 1] == '\\'; i--)
		slashes++;
	return slashes % 2 == 0;
}
