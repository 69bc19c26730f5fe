/*
 * syncread.h: how a pass reads the directory, streamed into the read stage
 * (state_stage.h) through the mapping.  The OUs come first, in full every
 * time (an OU renamed or re-mapped moves every user below it without the
 * server saying so for them); then the users.  In full when no
 * content-sync cookie is stored, when --full asks, when [sync] full_every
 * has passed since the last full read, when the config's directory
 * settings changed, when an OU changed, or when iMocha's business units
 * changed; otherwise incrementally (RFC 4533 refreshOnly with the stored
 * cookie).  A server without content sync is read with paged searches.
 * The meta keys it keeps in the state store are written by the caller with
 * the mirror they describe (syncread_meta).
 */
#ifndef L2I_SYNCREAD_H
#define L2I_SYNCREAD_H

#include <stdbool.h>

#include "config/config.h"
#include "model/directory.h"
#include "model/groups.h"
#include "imocha/imocha.h"
#include "plan/mapping.h"
#include "state/state.h"
#include "state/state_stage.h"
#include "sync/syncmembers.h"

struct ldapsrc;

/* What the agent believes of a server's incremental reads, and what this
 * run's audit found (syncaudit.c).  key names the server, base and filter. */
enum audit_verdict {
	AUDIT_NONE,		/* not audited with a user change yet: not trusted */
	AUDIT_TRUSTED,		/* an audit saw it report user changes rightly */
	AUDIT_UNTRUSTED,	/* an audit found it miss changes */
};

struct dir_audit {
	char *key;		/* the meta key of the verdict */
	enum audit_verdict verdict;
	char *detail;		/* AUDIT_UNTRUSTED: what was found, for messages */
	bool changed;		/* this run changed the verdict: store value */
	char *value;		/* the verdict to store */
	size_t misses;		/* this run's */
	char *misses_total;	/* the count to store with the mirror, or NULL */
};

struct dir_read {
	struct state_stage *stage;	/* what was read, as desired rows */
	struct mapping *map;		/* built from ous and the BU list */
	struct dir_snapshot ous;	/* every OU (no users) */
	bool incremental;		/* the stage holds changes only (until finished) */
	bool present_phase;		/* the server used the present phase */
	bool state_failed;		/* the read failed because the stage did */
	struct dir_references refs;	/* every continuation reference met */
	struct dir_references ou_refs;	/* those of the OU read */
	struct ldapsrc *src;		/* the users' connection: the same server is
					 * asked to confirm leavers (syncread_close) */
	char *cookie;			/* to store with the mirror; NULL: none */
	char read_at[24];		/* when the users' read began (time_t, decimal) */
	struct dir_audit audit;
	char *ou_fingerprint;
	char *scope_fingerprint;	/* the config's directory and mapping keys */
	char *bu_fingerprint;		/* iMocha's BU list */
	struct group_scope groups;	/* group_dn and [business_units] groups */
	char *group_fingerprint;	/* their membership */
	char *group_counts;		/* each group_dn's members, to store */
	struct value_list left_by_group;	/* ids in scope before, no member now */
	char *ous_dc;			/* AD: the DC the OUs were read from */
	/* AD, scope by group: who left and joined the groups since the mirror,
	 * applied to the incremental read (syncmembers.h). */
	struct member_delta members;
	bool members_pending;
};

/* The first half of a read: every OU (one connection, closed after).
 * Returns 0, or -1 after logging why (nothing may change). */
int syncread_ous(const struct config *cfg, struct dir_read *out);
/* The second half, once iMocha's business units are known (the mapping
 * needs them; they are listed between the halves so that an LDAP failure
 * is found first): the users, on a new connection kept open in rd->src,
 * into a new stage of st, through the mapping.  Incrementally when it
 * may, else in full; full_because (NULL: decide) forces a full read and
 * says why.  Called again on the same rd, it reads again on the same
 * connection (a full read after an incremental one).  The caller stores
 * the cookie with the mirror; plan never does.  bus must outlive rd.
 * Returns 0; -1 after logging that the read failed or was incomplete, or
 * -2 after logging that the state store failed under it: either way
 * nothing may change.  Release rd in every case. */
/* The full_because of an operator's --full: such a read audits too. */
#define SYNCREAD_FULL_ASKED "--full"
int syncread_users(const struct config *cfg, struct state *st, const char *full_because,
    const struct imocha_bu_list *bus, struct dir_read *rd);
/* Done with the directory: close the users' connection. */
void syncread_close(struct dir_read *rd);
/* The meta keys that describe a mirror written from rd. */
#define SYNCREAD_META_MAX 10
/* meta: each group_dn's members at the last read (syncgroups_counts). */
#define SYNCREAD_META_GROUP_COUNTS STATE_META_GROUP_MEMBERS
size_t syncread_meta(const struct dir_read *rd, struct state_meta meta[SYNCREAD_META_MAX]);
void syncread_release(struct dir_read *rd);

#endif
