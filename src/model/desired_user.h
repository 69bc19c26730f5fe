/*
 * desired_user.h: one directory entry as the agent wants it in iMocha (its
 * chosen e-mail and name, its business unit, or why it is skipped).  The
 * planner makes these (desired.h) and the state store stages them
 * (state_stage.h), so the type sits below both.
 */
#ifndef L2I_DESIRED_USER_H
#define L2I_DESIRED_USER_H

#include <stdbool.h>
#include <stdint.h>

struct desired_user {
	char *entry_id;		/* NULL when the entry had no usable id */
	char *uuid;		/* entryUUID, NULL if the server has none */
	char *dn;
	char *email;		/* chosen value, original case; NULL if none */
	char *email_key;	/* lower case; NULL if no e-mail */
	char *name;
	int64_t bu_id;		/* BU_NONE when not placed */
	char *bu_name;
	char *problem;		/* NULL: usable; else why it is skipped */
	bool id_shared;		/* another entry has the same id: no mirror row */
	char *name_was;		/* the name the last read had, when it changed; else NULL */
	int64_t stage_ref;	/* its row in the read stage (state_stage.h); 0: none */
};

void desired_user_release(struct desired_user *d);
/* A deep copy of d. */
void desired_user_copy(struct desired_user *out, const struct desired_user *d);

#endif
