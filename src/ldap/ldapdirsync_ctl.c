/*
 * ldapdirsync_ctl.c: the DirSync control as it goes over the wire (the
 * request: flags, a bound on bytes, the cookie; the answer: more data,
 * the new cookie), and the cookie as the state store keeps it, with the
 * identity of the domain controller that gave it (ldapdirsync_int.h).
 */
#include "ldap/ldapdirsync_int.h"

#include <lber.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xmem.h"

#define COOKIE_PREFIX		"dirsync1;"

static char *
hex_encode(const struct berval *bv)
{
	char *out = xmalloc(bv->bv_len * 2 + 1);

	for (size_t i = 0; i < bv->bv_len; i++)
		snprintf(out + 2 * i, 3, "%02x", (unsigned char)bv->bv_val[i]);
	out[bv->bv_len * 2] = '\0';
	return out;
}

static bool
hex_decode(const char *text, size_t len, struct berval *out)
{
	unsigned int byte;

	if (len % 2 != 0)
		return false;
	out->bv_len = len / 2;
	out->bv_val = xmalloc(out->bv_len + 1);
	for (size_t i = 0; i < out->bv_len; i++) {
		if (sscanf(text + 2 * i, "%2x", &byte) != 1) {
			free(out->bv_val);
			*out = (struct berval){ 0, NULL };
			return false;
		}
		out->bv_val[i] = (char)byte;
	}
	return true;
}

char *
dirsync_cookie_text(const struct dirsync_cookie *c)
{
	char *hex = hex_encode(&c->bin), *text = xasprintf(COOKIE_PREFIX "%d;%llu;%s;%s",
	    c->flags, c->usn, hex, c->dc);

	free(hex);
	return text;
}

bool
dirsync_cookie_parse(const char *text, struct dirsync_cookie *out)
{
	const char *p, *semi;
	char *end;

	*out = (struct dirsync_cookie){ 0 };
	if (strncmp(text, COOKIE_PREFIX, strlen(COOKIE_PREFIX)) != 0)
		return false;
	p = text + strlen(COOKIE_PREFIX);
	out->flags = (int)strtol(p, &end, 10);
	if (end == p || *end != ';')
		return false;
	p = end + 1;
	out->usn = strtoull(p, &end, 10);
	if (end == p || *end != ';')
		return false;
	p = end + 1;
	if ((semi = strchr(p, ';')) == NULL || !hex_decode(p, (size_t)(semi - p), &out->bin))
		return false;
	out->dc = semi + 1;
	return true;
}

/* The request: flags, a bound on bytes, and the cookie (empty: from the
 * beginning). */
int
dirsync_request_control(int flags, const struct berval *cookie, LDAPControl **out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval none = { 0, NULL }, val;
	int rc = -1;

	*out = NULL;
	if (ber == NULL)
		return -1;
	if (ber_printf(ber, "{iiO}", (ber_int_t)flags, (ber_int_t)DIRSYNC_MAX_BYTES,
	    cookie != NULL && cookie->bv_len > 0 ? cookie : &none) != -1 &&
	    ber_flatten2(ber, &val, 0) == 0 &&
	    ldap_control_create(OID_DIRSYNC, 1, &val, 1, out) == LDAP_SUCCESS)
		rc = 0;
	ber_free(ber, 1);
	return rc;
}

/* The answer: whether more data waits, and the new cookie (replacing
 * *cookie).  -1 logged when the server sent none or one unreadable. */
int
dirsync_response_parse(struct dsync *d, LDAPControl **ctrls, struct berval *cookie, bool *more)
{
	LDAPControl *c = ldap_control_find(OID_DIRSYNC, ctrls, NULL);
	/* An empty value is no BER at all: liblber would read past it. */
	BerElement *ber = c != NULL && c->ldctl_value.bv_val != NULL &&
	    c->ldctl_value.bv_len > 0 ? ber_init(&c->ldctl_value) : NULL;
	ber_int_t flag = 0, unused = 0;
	struct berval next = { 0, NULL };

	if (ber == NULL || ber_scanf(ber, "{iio}", &flag, &unused, &next) == LBER_ERROR ||
	    next.bv_len == 0) {
		log_errorx("LDAP DirSync of %s: the answer holds no cookie the agent can read; "
		    "the read is incomplete, nothing will be changed", d->nc);
		if (ber != NULL)
			ber_free(ber, 1);
		ber_memfree(next.bv_val);
		return -1;
	}
	ber_free(ber, 1);
	free(cookie->bv_val);	/* ours: the cookie is kept in our own memory */
	cookie->bv_len = next.bv_len;
	cookie->bv_val = xmalloc(next.bv_len + 1);
	memcpy(cookie->bv_val, next.bv_val, next.bv_len);
	ber_memfree(next.bv_val);
	*more = flag != 0;
	return 0;
}

bool
ldapsrc_dirsync_blind_to_deletions(const struct ldapsrc *src, const char *cookie)
{
	struct dirsync_cookie c;
	bool blind;

	if (!src->r.dirsync || cookie == NULL)
		return false;
	blind = dirsync_cookie_parse(cookie, &c) && (c.flags & DIRSYNC_OBJECT_SECURITY);
	free(c.bin.bv_val);
	return blind;
}
