/*
 * change.h: one change the agent makes in iMocha, as the planner decides it,
 * the journal records it and apply carries it out.  Strings are owned by the
 * change; change_release frees them.
 */
#ifndef L2I_CHANGE_H
#define L2I_CHANGE_H

#include <stdbool.h>
#include <stdint.h>

enum change_kind {
	CHANGE_CREATE,		/* POST user/create */
	CHANGE_MOVE,		/* POST user/update: another business unit */
	CHANGE_DEACTIVATE,	/* POST user/status Inactive */
	CHANGE_REACTIVATE,	/* POST user/status Active */
};

#define BU_NONE ((int64_t)-1)

struct change {
	enum change_kind kind;
	char *email;		/* original case, as sent */
	char *email_key;	/* lower case */
	char *entry_id;		/* directory id it stems from; NULL for none */
	char *full_name;	/* create only */
	int64_t old_bu;		/* BU_NONE when not known / not relevant */
	int64_t new_bu;
	char *reason;		/* for plan output and the journal: "joined", ... */
	bool left;		/* a deactivation because no entry in scope holds it
				 * (a leaver, which SPEC.md's Trust rule confirms) */
};

const char *change_kind_str(enum change_kind kind);	/* "create", "move", ... */
void change_release(struct change *c);
/* A deep copy of c. */
void change_copy(struct change *out, const struct change *c);

#endif
