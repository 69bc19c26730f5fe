/*
 * ldapsrc_int.h: what the paged reader (ldapsrc.c) shares with the
 * content-sync reader (ldapsync.c): one entry made into a dir_user, the
 * OU read, the user filter and attributes.  Not for other modules.
 */
#ifndef L2I_LDAPSRC_INT_H
#define L2I_LDAPSRC_INT_H

#include <ldap.h>
#include <signal.h>
#include <stdbool.h>

#include "config/config.h"
#include "model/directory.h"
#include "model/groups.h"

#define LDAPSRC_USER_ATTRS_MAX 8

struct reader {
	const struct config *cfg;
	LDAP *ld;
	const struct dir_sink *sink;	/* where user entries go */
	struct dir_snapshot snap;	/* the OUs, and the references ignored */
	size_t nusers;			/* user entries given to the sink */
	size_t ous_cap;
	/* Content sync: an entry sent without its id or entryUUID (389 sends
	 * changed entries without operational attributes) is not given to
	 * the sink but read again by its DN once the refresh ends. */
	bool reread_missing;
	struct value_list reread_dn, reread_uuid;
	/* ldapsrc_group_entries: where each group goes. */
	int (*group_found)(void *ctx, struct dir_group *g);
	void *group_ctx;
	/* ldapsrc_ids_matching: where each id found goes. */
	int (*id_found)(void *ctx, const char *id);
	void *id_ctx;
	/* The server's family, once ldapsrc_server read its root DSE: the
	 * advice for a limit names that family's knob. */
	enum dir_family family;
	/* The base of the search under way: base_dn, or a group search's. */
	const char *search_base;
	/* The result code the last search ended with; with codes_quiet a
	 * code other than success is left to the caller to report. */
	int result_code;
	bool codes_quiet;
	/* AD: incremental reads through DirSync (ldapsrc_server found it). */
	bool dirsync;
	/* ldapdirsync.c's state during its re-read by GUID, and the DNs the
	 * next DirSync read also reads again (ldapsrc_also_read). */
	void *dirsync_ctx;
	const struct value_list *also_dns;
	/* The domain controller this connection reached (AD), once asked:
	 * see ldapsrc_dc_identity. */
	char *dc_identity;
	bool dc_asked;
};

/* One search: what it is for, and what to make of each entry. */
struct search {
	const char *filter;
	char **attrs;
	int (*entry)(struct reader *, LDAPMessage *);
	const char *base;	/* NULL: base_dn */
	/* Sent instead of paging, one search (DirSync, ldapdirsync.c); the
	 * result's controls go to *result_controls (ldap_controls_free). */
	LDAPControl *control;
	LDAPControl ***result_controls;
};

/* Run s under its base, subtree, with RFC 2696 paging; any ending but a
 * whole read is logged and -1. */
int ldapsrc_search_paged(struct reader *r, const struct search *s);

/* One connection for one read (ldapsrc.h). */
struct ldapsrc {
	struct reader r;
	const char *uri;		/* the URI it is connected to, in cfg */
	sigset_t old_mask;		/* SIGPIPE held while it is open */
};

/* True once the stop flag is raised: readers end at the next page or entry. */
bool ldapsrc_stopping(void);
/* Make entry e a dir_user and give it to r->sink (a problem, not a
 * failure, when its values cannot be used).  uuid (owned; NULL: take the
 * entryUUID attribute) names the entry.  -1 when the message cannot be
 * read or the sink refuses it. */
int ldapsrc_user_entry(struct reader *r, LDAPMessage *e, char *uuid);
/* Read every OU under base_dn into r->snap.ous, paged.  -1 logged. */
int ldapsrc_read_ous(struct reader *r);
/* One OU entry into the reader's snapshot.  0, or -1 logged. */
int ldapsrc_ou_entry(struct reader *r, LDAPMessage *e);
/* Log a failure libldap reports on the handle (a dropped connection...):
 * the read is incomplete. */
void ldapsrc_search_failed(struct reader *r, int lrc, const char *what);
/* Record a search continuation reference in r->snap.refs. */
void ldapsrc_note_reference(struct reader *r, LDAPMessage *ref);
/* The attributes a user is read for, NULL-terminated, borrowed from cfg
 * (the uuid's depends on the server's family). */
void ldapsrc_user_attrs(const struct reader *r, char *attrs[LDAPSRC_USER_ATTRS_MAX]);
/* f in parentheses ("objectClass=person" nests too), owned by the caller. */
char *ldapsrc_filter_paren(const char *f);
/* How to lift the server limit that ended a search with code (3, 4 or
 * 11), in the family's own terms (ldapfamily.c); NULL for other codes.
 * Owned by the caller. */
char *ldapfamily_limit_advice(enum dir_family family, int code, const char *bind_dn);
/* Why an entry with no id_attribute value is skipped, with the fix where
 * the family is known to leave it out (389's entryUUID).  Owned. */
char *ldapfamily_no_id(enum dir_family family, const char *id_attribute);
/* The printable id back to its bytes: AD's GUID form (first three groups
 * byte-swapped, as user_id_printable makes it) or plain hex.  0 when it
 * is neither. */
size_t ldapsrc_id_bytes(const char *attr, const char *id, unsigned char *out, size_t cap);
/* Bytes as a filter value, each escaped (\\xx), into *out (owned). */
void ldapsrc_escape_bytes(const unsigned char *b, size_t n, char **out);
/* The same users as ldapsrc_users_sync, through AD's DirSync
 * (ldapdirsync.c): ldapsrc_users_sync hands over when r->dirsync. */
int ldapsrc_users_dirsync(struct ldapsrc *src, const char *cookie, const struct dir_sink *sink,
    struct dir_sync_end *end);
/* (&user_filter(!disabled_filter)), owned by the caller. */
char *ldapsrc_user_filter(const struct config *cfg);

#endif
