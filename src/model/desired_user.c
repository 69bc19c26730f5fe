/* desired_user.c: see desired_user.h. */
#include "model/desired_user.h"

#include <stdlib.h>

#include "util/xmem.h"

void
desired_user_release(struct desired_user *d)
{
	free(d->entry_id);
	free(d->uuid);
	free(d->dn);
	free(d->email);
	free(d->email_key);
	free(d->name);
	free(d->name_was);
	free(d->bu_name);
	free(d->problem);
	*d = (struct desired_user){ 0 };
}

void
desired_user_copy(struct desired_user *out, const struct desired_user *d)
{
	*out = *d;
	out->entry_id = xstrdup(d->entry_id);
	out->uuid = xstrdup(d->uuid);
	out->dn = xstrdup(d->dn);
	out->email = xstrdup(d->email);
	out->email_key = xstrdup(d->email_key);
	out->name = xstrdup(d->name);
	out->name_was = xstrdup(d->name_was);
	out->bu_name = xstrdup(d->bu_name);
	out->problem = xstrdup(d->problem);
}
