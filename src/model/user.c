/* user.c: see user.h.  Pure functions: no I/O, no globals. */
#include "model/user.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/xmem.h"

#define EMAIL_MAX 254

bool
text_is_clean(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t more;
		uint32_t cp;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return false;
			i++;
			continue;
		}
		/* Multi-byte UTF-8: reject overlongs, surrogates, > U+10FFFF. */
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			cp = c & 0x07;
		} else
			return false;
		for (size_t k = 1; k <= more; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (more == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return false;
		i += more + 1;
	}
	return true;
}

bool
email_is_valid(const char *email)
{
	const char *at, *dot;
	size_t len;

	if (email == NULL)
		return false;
	len = strlen(email);
	if (len == 0 || len > EMAIL_MAX || !text_is_clean(email, len))
		return false;
	for (const char *c = email; *c; c++)
		if (isspace((unsigned char)*c))
			return false;
	at = strchr(email, '@');
	if (at == NULL || at == email || strchr(at + 1, '@') != NULL)
		return false;
	/* The domain holds a dot that is neither its first nor last byte. */
	dot = strchr(at + 1, '.');
	return dot != NULL && dot != at + 1 && email[len - 1] != '.';
}

char *
email_key(const char *email)
{
	return xstrdup_lower(email);
}

static bool
id_is_text(const unsigned char *bytes, size_t len)
{
	if (len == 0 || memchr(bytes, '\0', len) != NULL)
		return false;
	for (size_t i = 0; i < len; i++)
		if (bytes[i] == '\t')
			return false;
	return text_is_clean((const char *)bytes, len);
}

char *
user_id_printable(const char *attr, const unsigned char *bytes, size_t len)
{
	bool guid = len == 16 && attr != NULL && strcasecmp(attr, "objectGUID") == 0;
	char *out;

	if (!guid && id_is_text(bytes, len))
		return xstrndup((const char *)bytes, len);
	if (len == 16) {
		/* AD shows objectGUID with its first three groups little-endian. */
		return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-"
		    "%02x%02x-%02x%02x%02x%02x%02x%02x",
		    bytes[3], bytes[2], bytes[1], bytes[0], bytes[5], bytes[4],
		    bytes[7], bytes[6], bytes[8], bytes[9], bytes[10], bytes[11],
		    bytes[12], bytes[13], bytes[14], bytes[15]);
	}
	out = xmalloc(len * 2 + 1);
	for (size_t i = 0; i < len; i++)
		snprintf(out + i * 2, 3, "%02x", bytes[i]);
	out[len * 2] = '\0';
	return out;
}

const char *
value_choose(const struct value_list *list, const char *known)
{
	const char *best = NULL;

	if (list->n == 0)
		return NULL;
	/* The value already known wins, so a re-read never flips. */
	if (known != NULL)
		for (size_t i = 0; i < list->n; i++)
			if (strcasecmp(list->v[i], known) == 0)
				return list->v[i];
	for (size_t i = 0; i < list->n; i++) {
		int cmp = best ? strcasecmp(list->v[i], best) : -1;

		/* Ties in case-insensitive order fall back to byte order. */
		if (cmp < 0 || (cmp == 0 && strcmp(list->v[i], best) < 0))
			best = list->v[i];
	}
	return best;
}

char *
user_display_name(const struct dir_user *u, const char *known_name, const char *email)
{
	const char *name = value_choose(&u->name, known_name);

	if (name != NULL && *name != '\0')
		return xstrdup(name);
	if (u->given_name && *u->given_name && u->surname && *u->surname)
		return xasprintf("%s %s", u->given_name, u->surname);
	if (u->surname && *u->surname)
		return xstrdup(u->surname);
	if (u->given_name && *u->given_name)
		return xstrdup(u->given_name);
	return xstrdup(email);
}
