/*
 * imocha.c: see imocha.h.  The calls of IMOCHA_API.md: request bodies are
 * built with cJSON, answers sorted into outcomes.  The decoders take any
 * bytes at all (they are fuzzed), so every path ends in a defined outcome
 * and res->detail is always one printable, NUL-terminated line.
 */
#include "imocha/imocha.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "imocha/imocha_int.h"
#include "util/log.h"
#include "util/xmem.h"


/* Beyond 2^53 a JSON number may already have been rounded by the parser,
 * so it is no longer known to be the exact id iMocha sent. */
#define JSON_EXACT_MAX	9007199254740992.0
#define EXCERPT_MAX	160		/* bytes of a raw body quoted in detail */
#define RETRY_AFTER_MAX	86400L

/* Appends to a fixed buffer, keeping it one printable line. */
struct line {
	char *buf;
	size_t cap;
	size_t len;
	bool full;		/* truncated: "..." written, ignore the rest */
	bool gap;		/* white space seen, owed before the next text */
};

const char *
imocha_outcome_str(enum imocha_outcome o)
{
	switch (o) {
	case IMOCHA_DONE:		return "done";
	case IMOCHA_EXISTS:		return "exists";
	case IMOCHA_REJECTED:		return "rejected";
	case IMOCHA_AUTH:		return "auth";
	case IMOCHA_RATE_LIMITED:	return "rate-limited";
	case IMOCHA_TRANSIENT:		return "transient";
	case IMOCHA_PROTOCOL:		return "protocol";
	}
	return "unknown";
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing past U+10FFFF), 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s, size_t avail, unsigned long *cp)
{
	size_t n;
	unsigned long c, min;

	if (s[0] < 0x80)
		n = 1, c = s[0], min = 0;
	else if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool
imocha_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n;
	unsigned long cp;

	for (; left > 0; p += n, left -= n)
		if ((n = utf8_len(p, left, &cp)) == 0)
			return false;
	return true;
}

static void
line_init(struct line *l, char *buf, size_t cap)
{
	*l = (struct line){ .buf = buf, .cap = cap };
	buf[0] = '\0';
}

/* Adds n bytes of text unless they would crowd out the "..." mark.  It
 * recurses once at most, to put the owed space (gap is cleared first). */
static void
line_put(	/* NOLINT(misc-no-recursion): one level, see above */struct line *l, const char *p, size_t n)
{
	if (l->gap) {
		l->gap = false;
		line_put(l, " ", 1);
	}
	if (l->full)
		return;
	if (l->len + n + 3 >= l->cap) {
		memcpy(l->buf + l->len, "...", 4);
		l->len += 3;
		l->full = true;
		return;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

/* Appends s[0..len): a run of control characters and white space becomes
 * one space (none at either end of the line), bytes that are not UTF-8 (or, under ascii, not ASCII) become '?',
 * and a multi-byte character is never cut. */
static void
line_add(struct line *l, const char *s, size_t len, bool ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t n;

	for (; len > 0 && !l->full; p += n, len -= n) {
		n = utf8_len(p, len, &cp);
		if (n == 0 || (ascii && n > 1)) {
			n = n ? n : 1;
			line_put(l, "?", 1);
		} else if (cp <= ' ' || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029)
			l->gap = l->len > 0;
		else
			line_put(l, (const char *)p, n);
	}
}

static void
line_str(struct line *l, const char *s)
{
	line_add(l, s, strlen(s), false);
}

void
imocha_result_init(struct imocha_result *res, long status)
{
	*res = (struct imocha_result){ .outcome = IMOCHA_PROTOCOL,
	    .http_status = status, .retry_after = -1 };
}

void
imocha_result_set(struct imocha_result *res, enum imocha_outcome o, const char *detail)
{
	struct line l;

	res->outcome = o;
	line_init(&l, res->detail, sizeof res->detail);
	line_str(&l, detail);
}

/* Parses a whole body as JSON: NULL when it is not (trailing bytes other
 * than white space included).  cJSON bounds its nesting depth. */
static cJSON *
json_parse(const char *body, size_t len)
{
	const char *end = NULL;
	cJSON *root;

	if (body == NULL || len == 0)
		return NULL;
	if ((root = cJSON_ParseWithLengthOpts(body, len, &end, false)) == NULL)
		return NULL;
	for (; end != NULL && end < body + len; end++)
		if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
			cJSON_Delete(root);
			return NULL;
		}
	return root;
}

/* The number as an exact int64, refusing fractions and rounded values. */
static bool
json_int64(const cJSON *item, int64_t *out)
{
	double d;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	if (!(d >= -JSON_EXACT_MAX && d <= JSON_EXACT_MAX))
		return false;	/* also NaN and infinities */
	if ((double)(int64_t)d != d)
		return false;
	*out = (int64_t)d;
	return true;
}

static bool
says_exists(const char *msg)
{
	return msg != NULL && strcasestr(msg, "already exist") != NULL;
}

/* One message, after a "; " when it is not the first. */
static void
message_add(struct line *l, const char *prefix, const char *msg, bool *any)
{
	if (*any)
		line_str(l, "; ");
	if (prefix != NULL) {
		line_str(l, prefix);
		line_str(l, ": ");
	}
	line_str(l, msg);
	*any = true;
}

/*
 * The "errors" member: documented as an array of strings; a single string
 * and ASP.NET's {"Field":["msg"]} map are read too.  Sets *exists when a
 * message says "already exist".
 */
static bool
errors_add(struct line *l, const cJSON *errors, bool *exists)
{
	const cJSON *e, *m;
	bool any = false;

	if (cJSON_IsString(errors)) {
		message_add(l, NULL, errors->valuestring, &any);
		*exists |= says_exists(errors->valuestring);
		return true;
	}
	cJSON_ArrayForEach(e, errors) {
		if (cJSON_IsString(e)) {
			message_add(l, cJSON_IsObject(errors) ? e->string : NULL,
			    e->valuestring, &any);
			*exists |= says_exists(e->valuestring);
		} else if (cJSON_IsObject(errors) && cJSON_IsArray(e)) {
			cJSON_ArrayForEach(m, e)
				if (cJSON_IsString(m)) {
					message_add(l, e->string, m->valuestring, &any);
					*exists |= says_exists(m->valuestring);
				}
		}
	}
	return any;
}

/* iMocha's own words from an error body into l; false when it has none. */
static bool
messages_add(struct line *l, const cJSON *root, bool *exists)
{
	static const char *const keys[] = { "message", "title", "error" };
	const cJSON *v;

	if (!cJSON_IsObject(root))
		return false;
	if (errors_add(l, cJSON_GetObjectItem(root, "errors"), exists))
		return true;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		v = cJSON_GetObjectItem(root, keys[i]);
		if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
			line_str(l, v->valuestring);
			return true;
		}
	}
	return false;
}

/* The gateway's "Try again in N seconds." when no header said it. */
static long
retry_from_message(const cJSON *root)
{
	const cJSON *m = cJSON_IsObject(root) ?
	    cJSON_GetObjectItem(root, "message") : NULL;
	const char *p;
	long v;

	/* m == NULL is what cJSON_IsString says too; spelled out for the
	 * static analyzer, which cannot see into libcjson. */
	if (m == NULL || !cJSON_IsString(m) ||
	    (p = strcasestr(m->valuestring, "try again in ")) == NULL)
		return -1;
	p += strlen("try again in ");
	if (*p < '0' || *p > '9')
		return -1;
	v = strtol(p, NULL, 10);	/* ERANGE gives LONG_MAX: capped */
	return v > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : v;
}

static enum imocha_outcome
classify(long status, bool exists)
{
	if (status == 200 || status == 201)
		return IMOCHA_DONE;
	if (status == 401 || status == 403)
		return IMOCHA_AUTH;
	if (status == 429)
		return IMOCHA_RATE_LIMITED;
	/* A server-side timeout says nothing about the user: retry. */
	if (status == 408 || (status >= 500 && status <= 599))
		return IMOCHA_TRANSIENT;
	if (status == 400 && exists)
		return IMOCHA_EXISTS;
	if (status >= 400 && status <= 499)
		return IMOCHA_REJECTED;
	return IMOCHA_PROTOCOL;
}

/* iMocha's messages, else a short ASCII excerpt of the raw body. */
static void
explain(struct line *l, const cJSON *root, const char *body, size_t len, bool *exists)
{
	if (messages_add(l, root, exists) || body == NULL)
		return;
	line_add(l, body, len < EXCERPT_MAX ? len : EXCERPT_MAX, true);
	if (len > EXCERPT_MAX)
		line_str(l, "...");
}

void
imocha_decode_change(long status, const char *body, size_t len, bool is_create,
    struct imocha_result *res)
{
	char scratch[sizeof res->detail], head[48];
	struct line l;
	bool exists = false;
	cJSON *root;

	imocha_result_init(res, status);
	if (status == 200 || status == 201) {
		res->outcome = IMOCHA_DONE;	/* the echo carries nothing we need */
		return;
	}
	root = json_parse(body, len);
	/* A first pass only learns whether a message says "already exists". */
	line_init(&l, scratch, sizeof scratch);
	explain(&l, root, body, len, &exists);
	res->outcome = classify(status, is_create && exists);
	if (res->outcome == IMOCHA_RATE_LIMITED)
		res->retry_after = retry_from_message(root);
	line_init(&l, res->detail, sizeof res->detail);
	if (res->outcome == IMOCHA_PROTOCOL)
		snprintf(head, sizeof head, "unexpected HTTP status %ld%s", status,
		    scratch[0] ? ": " : "");
	else if (scratch[0] == '\0')
		snprintf(head, sizeof head, "HTTP %ld with no message", status);
	else
		head[0] = '\0';
	line_str(&l, head);
	explain(&l, root, body, len, &exists);
	cJSON_Delete(root);
}

/* businessUnits[i] into *bu, or a PROTOCOL result naming what is wrong. */
static int
bu_read(const cJSON *item, size_t i, struct imocha_bu *bu, struct imocha_result *res)
{
	const cJSON *id = cJSON_GetObjectItem(item, "businessUnitId");
	const cJSON *name = cJSON_GetObjectItem(item, "businessUnitName");
	const char *why = NULL;

	if (!cJSON_IsObject(item))
		why = "is not an object";
	else if (!cJSON_IsNumber(id))
		why = ".businessUnitId is missing or not a number";
	else if (!json_int64(id, &bu->id))
		why = ".businessUnitId is not an exact integer";
	else if (bu->id < 0)
		why = ".businessUnitId is negative";
	else if (!cJSON_IsString(name))
		why = ".businessUnitName is missing or not a string";
	else if (!imocha_utf8_valid(name->valuestring))
		why = ".businessUnitName is not valid UTF-8";
	if (why != NULL) {
		res->outcome = IMOCHA_PROTOCOL;
		snprintf(res->detail, sizeof res->detail,
		    "business-unit list: businessUnits[%zu]%s%s", i,
		    why[0] == '.' ? "" : " ", why);
		return -1;
	}
	bu->name = xstrdup(name->valuestring);
	return 0;
}

void
imocha_bu_list_release(struct imocha_bu_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->n; i++)
		free(list->items[i].name);
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

int
imocha_decode_bu_list(long status, const char *body, size_t len,
    struct imocha_bu_list *out, struct imocha_result *res)
{
	struct imocha_bu_list list = { 0 };
	const cJSON *units, *item;
	cJSON *root = NULL;
	int rc = -1;

	*out = (struct imocha_bu_list){ 0 };
	if (status != 200 && status != 201) {
		imocha_decode_change(status, body, len, false, res);
		return -1;
	}
	imocha_result_init(res, status);
	if ((root = json_parse(body, len)) == NULL) {
		imocha_result_set(res, IMOCHA_PROTOCOL, "business-unit list: the answer is not JSON");
		goto out;
	}
	units = cJSON_IsObject(root) ? cJSON_GetObjectItem(root, "businessUnits") : NULL;
	if (!cJSON_IsArray(units)) {
		imocha_result_set(res, IMOCHA_PROTOCOL,
		    "business-unit list: no businessUnits array in the answer");
		goto out;
	}
	/* The "count" member is not trusted: the array is what we use. */
	list.items = xcalloc((size_t)cJSON_GetArraySize(units), sizeof *list.items);
	cJSON_ArrayForEach(item, units) {
		if (bu_read(item, list.n, &list.items[list.n], res) != 0)
			goto out;	/* never half a list */
		list.n++;
	}
	*out = list;
	list = (struct imocha_bu_list){ 0 };
	res->outcome = IMOCHA_DONE;
	rc = 0;
out:
	imocha_bu_list_release(&list);
	cJSON_Delete(root);
	return rc;
}
