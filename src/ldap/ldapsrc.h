/*
 * ldapsrc.h: the LDAP source; with ldapconn.c (connection, TLS, bind) the
 * only code that speaks libldap.
 *
 * A read is one connection (ldapsrc_open tries each configured URI in
 * turn and binds): first every OU (objectClass=organizationalUnit) under
 * base_dn, kept in memory (they are few, and the mapping needs them before
 * the first user), then every in-scope user entry under base_dn,
 * (&user_filter(!disabled_filter)), with only the needed attributes,
 * streamed one entry at a time into a sink (directory.h): the reader holds
 * one page at most, never the directory.  Users come either through RFC
 * 2696 paging or through RFC 4533 content sync, never both on one search.
 *
 * Any ending but a whole read (size or time limit, referral result,
 * dropped connection, a stop signal, a sink that refuses) logs why once and
 * returns -1: the caller throws away what the sink got and changes
 * nothing.
 */
#ifndef L2I_LDAPSRC_H
#define L2I_LDAPSRC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "model/directory.h"
#include "model/groups.h"

struct ldapsrc;

/* Connect and bind.  0, or -1 logged. */
int ldapsrc_open(const struct config *cfg, struct ldapsrc **out);
/* For a process that will only ever bind simply (no [ldap] sasl_mech),
 * before its first libldap call: Cyrus SASL is told to load no plugins,
 * which libldap's initialization has it do whatever the bind (6 ms of a
 * run).  A SASL_PATH in the environment is kept. */
void ldapsrc_skip_sasl_plugins(void);
/* Every OU under base_dn into ous (its users stay empty). */
int ldapsrc_ous(struct ldapsrc *src, struct dir_snapshot *ous);
/* Every in-scope user, paged, into sink. */
int ldapsrc_users(struct ldapsrc *src, const struct dir_sink *sink);
/* The same users through RFC 4533 content sync, refreshOnly: with cookie
 * NULL every user comes back, with a cookie only what changed since
 * (entries whole, deletions and a present phase as entryUUIDs).  Returns
 * 0 and fills *end; 1 when the server does not offer content sync (result
 * 12: use ldapsrc_users); 2 when the server wants a full refresh (the
 * cookie is too old: call again with NULL); -1 after logging why the read
 * is incomplete.  On 1 and 2 the sink may already have had entries: the
 * caller starts again from an empty one. */
int ldapsrc_users_sync(struct ldapsrc *src, const char *cookie, const struct dir_sink *sink,
    struct dir_sync_end *end);
/* AD: the next incremental read (ldapsrc_users_sync with a cookie) also
 * reads these DNs again, as if DirSync had named them (the members that
 * joined a group: syncmembers.h).  dns is borrowed until that read. */
void ldapsrc_also_read(struct ldapsrc *src, const struct value_list *dns);
/* AD: whether a DirSync cookie this connection's reads gave (the
 * dir_sync_end's) was taken by an account told of no deletion (the
 * object-security flag): a user gone from a full read but not from the
 * incremental view may then simply have been deleted. */
bool ldapsrc_dirsync_blind_to_deletions(const struct ldapsrc *src, const char *cookie);
/* AD: whether DirSync answers this account at the root of base_dn's
 * naming context, and whether it tells it of deletions (the right to
 * replicate directory changes).  0, or -1 when it does not answer (said). */
int ldapsrc_dirsync_probe(struct ldapsrc *src, bool *told_deletions);
/* AD: which of the objects named by printable objectGUIDs exist anywhere
 * in the naming context holding base_dn (deleted ones do not, to an
 * ordinary account).  exists[i] for guids[i].  0, or -1 logged. */
int ldapsrc_objects_exist(struct ldapsrc *src, char *const *guids, size_t n, bool *exists);
/* Is an entry still in scope?  The answer of a confirmation search. */
enum presence {
	PRESENCE_UNSURE,	/* the search did not end whole, or a reference may hide it */
	PRESENCE_GONE,		/* success, no such entry in scope, no reference over it */
	PRESENCE_IN_SCOPE,	/* found: under base_dn, in the filter, not disabled */
};

struct confirm_item {
	const char *id;		/* the entry id as stored (user_id_printable) */
	const char *dn;		/* its last known DN (for references); NULL: unknown */
	enum presence presence;	/* set by ldapsrc_confirm */
	char *found_dn;		/* IN_SCOPE: the DN it was found at (owned) */
};

/* Ask this connection's server whether each item is still in scope: a
 * subtree search under base_dn for its id within the user filter and not
 * disabled, in batches of OR filters (SPEC.md, Trust).  Returns 0; -1
 * when the stop flag ended it.  Items not answered stay UNSURE. */
int ldapsrc_confirm(struct ldapsrc *src, struct confirm_item *items, size_t n);
/* The ids of the users under base_dn that match disabled_filter (set) and
 * changed since (modifyTimestamp), each to found (paged; -1 from found
 * ends it).  0, or -1 logged: incomplete. */
int ldapsrc_disabled_since(struct ldapsrc *src, time_t since,
    int (*found)(void *ctx, const char *id), void *ctx);
/* What the server says of itself in its root DSE.  Always 0: a server
 * that hides it is of no known family (out->family UNKNOWN). */
int ldapsrc_server(struct ldapsrc *src, struct dir_server *out);
/* base_dn itself can be read (a bind without read rights finds nothing,
 * not even it, and no error). */
bool ldapsrc_base_readable(struct ldapsrc *src);
/* The domain controller this connection reached, as "INVOCATIONID
 * DSSERVICENAME" (hex, DN); NULL where the server names none (not AD, or
 * hidden).  Asked once per connection; owned by src. */
const char *ldapsrc_dc_identity(struct ldapsrc *src);
/* AD: the DC's highestCommittedUSN now, which every write on it (and
 * every change replicated to it) moves; 0 when it does not say.  Read
 * afresh at each call. */
unsigned long long ldapsrc_dc_usn(struct ldapsrc *src);
/* The URI this connection reached (a string of the config). */
const char *ldapsrc_uri(const struct ldapsrc *src);
/* Search continuation references the reads of this connection met so far. */
const struct dir_references *ldapsrc_references(const struct ldapsrc *src);
void ldapsrc_close(struct ldapsrc *src);
/* While *flag is non-zero a read in progress ends (as failed) at its next
 * page or entry: the daemon's SIGTERM must not wait for a whole directory. */
void ldapsrc_set_stop_flag(const volatile sig_atomic_t *flag);
/* The group at dn (groups.h): 1 read whole (a ranged member attribute
 * too), 0 no such entry or none this account can see, -1 logged. */
int ldapsrc_group(struct ldapsrc *src, const char *dn, struct dir_group *out);
/* Every group (groupOfNames, groupOfUniqueNames, AD group) under base,
 * each read whole (a ranged member attribute too) and given to found
 * (-1 from found ends the read), in one paged search: far cheaper for a
 * server than a base search per group.  0, or -1 logged: incomplete. */
int ldapsrc_group_entries(struct ldapsrc *src, const char *base,
    int (*found)(void *ctx, struct dir_group *g), void *ctx);
/* The root DSE's namingContexts, added to out (none when hidden).  0, or
 * -1 logged. */
int ldapsrc_naming_contexts(struct ldapsrc *src, struct value_list *out);
/* Connect and bind only (the check command).  0 ok, -1 logged. */
int ldapsrc_check(const struct config *cfg);

#endif
