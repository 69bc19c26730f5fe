/*
 * syncread_int.h: what the read (syncread.c) shares with the audit of
 * incremental reads (syncaudit.c).  Not for other modules.
 */
#ifndef L2I_SYNCREAD_INT_H
#define L2I_SYNCREAD_INT_H

#include <stdbool.h>

#include "model/directory.h"
#include "ldap/ldapsrc.h"
#include "sync/syncread.h"

/* meta: the misses every audit found, added up (status, metrics). */
#define META_MISSES_TOTAL	"audit_misses_total"

/* FNV-1a over parts (NULL counts), as 16 hex digits, owned. */
char *syncread_fingerprint(const char *const *parts, size_t n);
/* The fingerprints (syncfingerprint.c), each as 16 hex digits, owned:
 * the settings that decide which users are read and where they map; the
 * OUs (sorted in place first); iMocha's business units; who is a member
 * of which configured group. */
char *syncread_scope_fingerprint(const struct config *cfg);
char *syncread_ou_fingerprint(struct dir_snapshot *snap);
char *syncread_bus_fingerprint(const struct imocha_bu_list *bus);
char *syncread_group_fingerprint(const struct group_scope *gs);
/* A meta value (owned), or NULL when missing or unreadable. */
char *syncread_meta_get(struct state *st, const char *key);
/* The users through content sync into a new stage (cookie NULL: all of
 * them); as syncread.c's read, with its fallbacks.  0, or -1 logged. */
int syncread_users_sync(struct ldapsrc *src, struct state *st, char *cookie,
    struct dir_read *rd);
/* Whether this server's incremental reads leave out a user that
 * disabled_filter took out of scope (389: DIRECTORY_SERVERS.md). */
bool syncread_misses_disabled(const struct dir_server *srv);
/* After an incremental read of such a server: the users
 * disabled since the last read, as gone.  0, or -1 logged. */
int syncread_newly_disabled(struct ldapsrc *src, const struct config *cfg, struct state *st,
    struct dir_read *rd);

/* The stored verdict on a server's incremental reads (SPEC.md, Trust). */
void syncaudit_load(const struct config *cfg, struct state *st, const char *uri,
    struct dir_audit *out);
/* Audit: read incrementally from stored (the stored cookie), then in
 * full (the stage the run plans from), then from the first read's cookie
 * again, and compare; rd->audit says what was found.  0, or -1 logged. */
int syncaudit_run(struct ldapsrc *src, const struct config *cfg, struct state *st,
    char *stored, const struct dir_server *srv, struct dir_read *rd);

/* The same, from an incremental read of this run already finished in
 * rd->stage whose plan proved it wrong (trust.h); first is its cookie
 * (taken).  0, or -1 logged. */
int syncaudit_recheck(struct ldapsrc *src, struct state *st, char *first, struct dir_read *rd);

#endif
