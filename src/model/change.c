/* change.c: see change.h. */
#include "model/change.h"

#include <stdlib.h>

/* These names are also the journal's action column (sql/001_init.sql
 * checks them): changing one is a schema migration. */
const char *
change_kind_str(enum change_kind kind)
{
	switch (kind) {
	case CHANGE_CREATE:
		return "create";
	case CHANGE_MOVE:
		return "move";
	case CHANGE_DEACTIVATE:
		return "deactivate";
	case CHANGE_REACTIVATE:
		return "reactivate";
	}
	return "unknown";
}

void
change_release(struct change *c)
{
	if (c == NULL)
		return;
	free(c->email);
	free(c->email_key);
	free(c->entry_id);
	free(c->full_name);
	free(c->reason);
	c->email = c->email_key = c->entry_id = c->full_name = c->reason = NULL;
}
