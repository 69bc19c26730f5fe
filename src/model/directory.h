/*
 * directory.h: what a read of the directory yields, before any mapping:
 * user entries, OU entries, and what content sync says besides.  ldapsrc
 * hands each user entry to a sink as it arrives (struct dir_sink) and
 * keeps the OUs in a snapshot; nothing the sink got is used unless the
 * read ends whole (STYLE.md, "publish only complete snapshots").  A
 * snapshot or delta of users in memory is what the in-memory reference
 * (desired_build, desired_merge) and the tests work with.
 */
#ifndef L2I_DIRECTORY_H
#define L2I_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>

/* A list of attribute values, as text.  Values holding NUL or invalid
 * UTF-8 are kept out by the reader (it names the DN and attribute). */
struct value_list {
	char **v;
	size_t n;
};

struct dir_user {
	char *id;		/* id_attribute in printable form (see user_id_printable) */
	char *uuid;		/* entryUUID (RFC 4533 names entries by it); NULL if none */
	char *dn;
	struct value_list email;	/* email_attribute values */
	struct value_list name;		/* name_attribute values */
	struct value_list bu;		/* bu_attribute values ([mapping]) */
	char *given_name;	/* givenName (first value) or NULL */
	char *surname;		/* sn (first value) or NULL */
	char *problem;		/* non-NULL: why the reader could not use the entry (no id...) */
};

struct dir_ou {
	char *dn;
	struct value_list bu_attr;	/* ou_attribute values (0, 1, or a multi-value error) */
};

/*
 * Search continuation references a read met (RFC 4511 4.5.3): parts of
 * the subtree that live elsewhere and were not read.  The users they may
 * hide are held, never taken as gone (SPEC.md).
 */
struct dir_references {
	size_t n;			/* references seen */
	struct value_list dns;		/* the DNs under base_dn they name */
	bool outside;			/* one named no DN under base_dn: anything may hide */
};

struct dir_snapshot {
	struct dir_user *users;
	size_t nusers;
	struct dir_ou *ous;
	size_t nous;
	struct dir_references refs;	/* search continuation references seen */
};

/*
 * An RFC 4533 refresh: the users sent whole (added, changed, moved; with
 * no cookie, every user), every OU (read in full each time), and the
 * entryUUIDs the server listed as gone or as present.
 */
struct dir_delta {
	struct dir_snapshot snap;
	struct value_list gone;		/* deleted, or out of the filter's scope */
	struct value_list present;	/* unchanged, listed in a present phase */
	bool present_phase;		/* an entry neither sent nor listed is gone */
	char *cookie;			/* the new cookie; NULL: keep the old one */
};

/*
 * Where a streamed read puts what it reads, one piece at a time, so that
 * the reader never holds the whole directory.  Each function returns 0,
 * or -1 to end the read as failed (having logged why).  user may take the
 * strings it wants out of *u (setting the fields to NULL); the reader
 * releases what is left.  gone and present are for content sync only.
 */
struct dir_sink {
	void *ctx;
	int (*user)(void *ctx, struct dir_user *u);
	int (*gone)(void *ctx, const char *uuid);	/* deleted, or out of scope */
	int (*present)(void *ctx, const char *uuid);	/* unchanged (present phase) */
};

/* What a content-sync read says besides its entries. */
struct dir_sync_end {
	char *cookie;			/* the new cookie; NULL: keep the old one */
	bool present_phase;		/* an entry neither sent nor listed is gone */
};

/* Which directory server answers, from its root DSE (ldapsrc_server).
 * Whether the agent may believe its incremental reads depends on it. */
enum dir_family {
	DIR_FAMILY_UNKNOWN,
	DIR_FAMILY_OPENLDAP,
	DIR_FAMILY_389,		/* 389 Directory Server, RHDS, FreeIPA */
	DIR_FAMILY_AD,		/* Active Directory, Samba AD DC */
};

struct dir_server {
	enum dir_family family;
	bool offers_content_sync;	/* supportedControl lists RFC 4533's */
	bool offers_dirsync;		/* ... AD's DirSync (1.2.840.113556.1.4.841) */
	char *vendor;			/* vendorName and vendorVersion, or NULL */
};

/* "OpenLDAP", "389 Directory Server", ... for messages. */
const char *dir_family_str(enum dir_family family);
void dir_server_release(struct dir_server *srv);
void dir_user_release(struct dir_user *u);
void dir_snapshot_release(struct dir_snapshot *snap);
/* Add what src holds to dst. */
void dir_references_add(struct dir_references *dst, const struct dir_references *src);
/* A user last seen at dn (NULL: not known) may be hidden by refs. */
bool dir_references_hide(const struct dir_references *refs, const char *dn);
void dir_references_release(struct dir_references *refs);
void dir_delta_release(struct dir_delta *delta);
void value_list_add(struct value_list *list, const char *value);
void value_list_release(struct value_list *list);

#endif
