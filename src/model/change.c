/* change.c: see change.h. */
#include "model/change.h"

#include <stdlib.h>

#include "util/xmem.h"

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

void
change_copy(struct change *out, const struct change *c)
{
	*out = *c;
	out->email = xstrdup(c->email);
	out->email_key = xstrdup(c->email_key);
	out->entry_id = xstrdup(c->entry_id);
	out->full_name = xstrdup(c->full_name);
	out->reason = xstrdup(c->reason);
}
