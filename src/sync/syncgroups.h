/*
 * syncgroups.h: the groups a read needs (groups.h): each [ldap] group_dn,
 * and each [business_units] DN that names a group, read in full on every
 * run like the OUs (a membership change changes nothing on the user's own
 * entry on Active Directory, and elsewhere only where a memberOf overlay
 * or plugin runs), and resolved nested by the agent itself, the same way
 * on every server.  Nothing is read when the config names no group.
 */
#ifndef L2I_SYNCGROUPS_H
#define L2I_SYNCGROUPS_H

#include "config/config.h"
#include "model/groups.h"
#include "plan/plan.h"

struct ldapsrc;

/* Fill *out (empty when no group is configured); ous: the OUs read
 * (a [business_units] DN among them is an OU, not asked), or NULL.  A group_dn that does
 * not exist, cannot be read, or is no group the agent can read members
 * of is an error: a typo must never take everyone out of scope.  Returns
 * 0, or -1 after logging why (exit 3: nothing may change). */
int syncgroups_read(struct ldapsrc *src, const struct config *cfg, const struct dir_snapshot *ous,
    struct group_scope *out);
/* The check command's: connect, bind, and read the groups into *out.
 * 0, or -1 logged (the first group that cannot be used is named). */
int syncgroups_check(const struct config *cfg, struct group_scope *out);
/* Each group_dn's members, as text to keep with the mirror
 * ("DN<TAB>N<LF>" each, DN normalized); NULL when there is no group_dn. */
char *syncgroups_counts(const struct group_scope *gs);
/* The plan's view of each group_dn: its members now, and what stored
 * (syncgroups_counts of the last read, or NULL) says it had.  An array of
 * gs->nscope (borrowing gs's DNs: free only the array). */
struct group_count *syncgroups_compare(const struct group_scope *gs, const char *stored);

#endif
