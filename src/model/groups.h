/*
 * groups.h: group membership, for scope by group ([ldap] group_dn) and
 * business units by group ([business_units] BU = group DN), SPEC.md.
 *
 * The agent resolves membership itself, the same way on every server
 * (syncgroups.c reads the groups): a group's member and uniqueMember
 * values are DNs; a value naming another group brings that group's
 * members in (nested, to any depth; a cycle ends where a group was met
 * before).  Every other value is a leaf, kept when it lies under base_dn,
 * where users are read (a group's own DN, or a placeholder DN a schema
 * demands, is no one).  What is kept is, per leaf, the root groups (the
 * configured ones) it belongs to: struct group_scope, pure and sorted, so
 * a user's DN is looked up without the directory.
 */
#ifndef L2I_GROUPS_H
#define L2I_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/directory.h"

/* One group entry as read. */
struct dir_group {
	char *dn;			/* as the server wrote it */
	bool has_members;		/* groupOfNames, groupOfUniqueNames or AD group */
	bool posix;			/* posixGroup: members by name (memberUid) */
	bool dynamic;			/* groupOfURLs: members by filter */
	struct value_list members;	/* member and uniqueMember values, whole */
};

void dir_group_release(struct dir_group *g);

/* A root: a group the config names. */
enum group_role {
	GROUP_SCOPE,			/* [ldap] group_dn: its members are in scope */
	GROUP_BU,			/* [business_units]: its members get bu */
};

struct group_root {
	char *dn;			/* as configured */
	char *norm;			/* normalized */
	enum group_role role;
	char *bu;			/* GROUP_BU: the BU name or id as configured */
	char *where;			/* "file:line" of the config line */
	size_t members;			/* leaves under base_dn, nested counted */
	size_t groups;			/* groups met below it, itself included */
};

/* (leaf, root) pairs, sorted by leaf then root, no duplicates. */
struct group_pair {
	char *leaf;			/* normalized DN */
	uint32_t root;
};

struct group_scope {
	struct group_root *roots;
	size_t nroots;
	size_t nscope;			/* roots of role GROUP_SCOPE */
	struct group_pair *pairs;
	size_t npairs, pairs_cap;
};

/* Add a root (copies the strings); returns its index. */
uint32_t group_scope_root(struct group_scope *gs, const char *dn, const char *norm,
    enum group_role role, const char *bu, const char *where);
/* Record that leaf (normalized, copied) is a member of root. */
void group_scope_add(struct group_scope *gs, const char *leaf, uint32_t root);
/* Sort, drop repeats, count each root's members.  Call once, after the
 * last group_scope_add. */
void group_scope_finish(struct group_scope *gs);
/* The pairs of leaf (normalized): *first, and how many (0: none). */
size_t group_scope_find(const struct group_scope *gs, const char *leaf,
    const struct group_pair **first);
/* Whether group_dn selects users at all. */
bool group_scope_limits(const struct group_scope *gs);
/* A user at leaf (normalized; NULL: a DN that does not parse) is in scope:
 * no group_dn, or a member of one of its groups. */
bool group_scope_admits(const struct group_scope *gs, const char *leaf);
void group_scope_release(struct group_scope *gs);

#endif
