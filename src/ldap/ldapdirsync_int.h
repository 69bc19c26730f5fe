/*
 * ldapdirsync_int.h: what the DirSync reader (ldapdirsync.c) shares with
 * its control and cookie (ldapdirsync_ctl.c) and its look-ups by GUID
 * (ldapdirsync_guid.c).  Not for other modules.
 */
#ifndef L2I_LDAPDIRSYNC_INT_H
#define L2I_LDAPDIRSYNC_INT_H

#include <ldap.h>
#include <stdbool.h>

#include "ldap/ldapsrc.h"
#include "ldap/ldapsrc_int.h"

#define OID_DIRSYNC		"1.2.840.113556.1.4.841"
/* LDAP_DIRSYNC_OBJECT_SECURITY: what an ordinary account may ask. */
#define DIRSYNC_OBJECT_SECURITY	1
/* Bytes per answer before "more data": Windows' own cap is 10 MB;
 * Samba sends everything at once whatever is asked (measured). */
#define DIRSYNC_MAX_BYTES	(1 << 20)
/* No object has this objectGUID: a DirSync that names nothing, for its
 * cookie (the server's high-water mark now). */
#define FILTER_NOTHING		"(objectGUID=\\00\\00\\00\\00\\00\\00\\00\\00" \
				"\\00\\00\\00\\00\\00\\00\\00\\00)"
/* Objects read again per search (as ldapconfirm.c's batches). */
#define REREAD_BATCH		50

typedef unsigned char guid_t[16];

struct dsync {
	struct ldapsrc *src;
	struct reader *r;
	char *nc;		/* the naming context holding base_dn */
	char *base_norm;	/* base_dn, normalized */
	int flags;
	/* The attributes DirSync is asked for, strings in names. */
	char **attrs;
	struct value_list names;
	/* The objects under base_dn named changed: read again. */
	guid_t *guids;
	size_t nguids, cap;
	size_t named, outside;
	/* The batch being read again, and which of it was found. */
	guid_t *batch;
	size_t nbatch;
	bool found[REREAD_BATCH];
};

/* An objectGUID in the form AD tools show (user_id_printable), owned. */
char *dirsync_guid_text(const unsigned char *g);
/* Entry e found by a search of d's batch: marked in d->found; its GUID
 * as dirsync_guid_text gives it (owned), or NULL when it came without. */
char *dirsync_batch_found(struct dsync *d, LDAPMessage *e);
/* "(|(objectGUID=...)...)" for d's batch, owned. */
char *dirsync_guid_ors(const struct dsync *d);
/* The naming context holding base_dn: the deepest the server lists;
 * NULL when none does. */
char *dirsync_naming_context(struct dsync *d);
/* The DNs ldapsrc_also_read named, added to d's GUIDs (once).  0, or -1
 * logged. */
int dirsync_resolve_also(struct dsync *d);

/* The cookie as the state store keeps it. */
struct dirsync_cookie {
	int flags;		/* the request's (DIRSYNC_OBJECT_SECURITY or 0) */
	unsigned long long usn;	/* the DC's highestCommittedUSN before the read; 0: none */
	struct berval bin;	/* the server's cookie (ours: free) */
	const char *dc;		/* the DC that gave it (ldapsrc_dc_identity) */
};
/* "dirsync1;FLAGS;USN;COOKIE-HEX;DC-IDENTITY", owned: the identity last,
 * since a DN may hold anything. */
char *dirsync_cookie_text(const struct dirsync_cookie *c);
/* Its parts back (out->bin owned by the caller, out->dc pointing into
 * text); false when text is not one. */
bool dirsync_cookie_parse(const char *text, struct dirsync_cookie *out);
/* The request control: flags, a bound on bytes, the cookie (empty: from
 * the beginning).  0, or -1. */
int dirsync_request_control(int flags, const struct berval *cookie, LDAPControl **out);
/* The answer's control: more data waiting, and the new cookie into
 * *cookie (replacing it, our memory).  -1 logged when it holds none. */
int dirsync_response_parse(struct dsync *d, LDAPControl **ctrls, struct berval *cookie,
    bool *more);

#endif
