/* dirstage.c: see dirstage.h. */
#include "sync/dirstage.h"

#include <stdbool.h>
#include <string.h>

#include <stdlib.h>

#include "model/dn.h"
#include "plan/desired.h"

/* How entry d, as the read made it, compares with its mirror row was. */
static void
compare(const struct desired_user *d, const struct mirror_entry *was, struct stage_flags *f)
{
	if (was == NULL) {
		*f = (struct stage_flags){ .changed = true, .relevant = true };
		return;
	}
	f->matched = true;
	/* Another entryUUID under the same id is another entry: plan it. */
	f->relevant = !desired_same_as_mirror(d, was) ||
	    (d->uuid == NULL) != (was->uuid == NULL) ||
	    (d->uuid != NULL && strcmp(d->uuid, was->uuid) != 0);
	/* The planner does not use the DN; the mirror keeps it. */
	f->changed = f->relevant || strcmp(d->dn, was->dn) != 0;
}

/* An entry group_dn leaves out: like one the user filter leaves out, it
 * is not staged; in an incremental stage its mirror row is gone. */
static int
out_of_group(struct dirstage *ds, const struct dir_user *u, const struct mirror_entry *was)
{
	int rc = 0;

	if (was == NULL)
		return 0;
	if (was->in_scope && ds->left_by_group != NULL)
		value_list_add(ds->left_by_group, was->entry_id);
	if (ds->incremental && (was->uuid != NULL || u->uuid != NULL))
		rc = state_stage_gone(ds->stage, was->uuid ? was->uuid : u->uuid);
	ds->failed |= rc == -1;
	return rc;
}

static bool
admitted(const struct dirstage *ds, const struct dir_user *u)
{
	char *norm;
	bool in;

	if (!group_scope_limits(ds->groups))
		return true;
	norm = u->dn ? dn_normalize(u->dn) : NULL;
	in = group_scope_admits(ds->groups, norm);
	free(norm);
	return in;
}

static int
sink_user(void *ctx, struct dir_user *u)
{
	struct dirstage *ds = ctx;
	struct mirror_entry was;
	struct desired_user d;
	struct stage_flags f;
	int found = 0, rc;

	if (u->id != NULL && (found = state_stage_mirror_row(ds->stage, u->id, &was)) == -1) {
		ds->failed = true;
		return -1;
	}
	if (!admitted(ds, u)) {
		rc = out_of_group(ds, u, found ? &was : NULL);
		if (found)
			state_mirror_release(&was);
		return rc;
	}
	desired_one(&d, u, ds->map, found ? &was : NULL);
	compare(&d, found ? &was : NULL, &f);
	rc = 1;
	if (f.matched && !f.changed)
		rc = state_stage_keep(ds->stage, &d);
	if (rc == 1)
		rc = state_stage_put(ds->stage, &d, &f);
	desired_user_release(&d);
	if (found)
		state_mirror_release(&was);
	ds->failed |= rc == -1;
	return rc;
}

static int
sink_gone(void *ctx, const char *uuid)
{
	struct dirstage *ds = ctx;
	int rc = state_stage_gone(ds->stage, uuid);

	ds->failed |= rc == -1;
	return rc;
}

static int
sink_present(void *ctx, const char *uuid)
{
	struct dirstage *ds = ctx;
	int rc = state_stage_present(ds->stage, uuid);

	ds->failed |= rc == -1;
	return rc;
}

void
dirstage_sink(struct dirstage *ds, struct dir_sink *out)
{
	*out = (struct dir_sink){ .ctx = ds, .user = sink_user, .gone = sink_gone,
	    .present = sink_present };
}

static int
next_desired(void *ctx, struct desired_user *out)
{
	return state_stage_next_desired(ctx, out);
}

static int
next_known(void *ctx, struct known_user *out)
{
	return state_stage_next_known(ctx, out);
}

static int
desired_by_id(void *ctx, const char *id, struct desired_user *out)
{
	return state_stage_desired_by_id(ctx, id, out);
}

static int
known_by_id(void *ctx, const char *id, struct known_user *out)
{
	return state_stage_known_by_id(ctx, id, out);
}

static int
desired_by_ref(void *ctx, int64_t ref, struct desired_user *out)
{
	return state_stage_desired_by_ref(ctx, ref, out);
}

int
dirstage_plan_source(struct state_stage *stage, const struct stage_counts *counts,
    struct plan_source *out)
{
	*out = (struct plan_source){ .ctx = stage, .next_desired = next_desired,
	    .next_known = next_known, .desired_by_id = desired_by_id,
	    .known_by_id = known_by_id, .desired_by_ref = desired_by_ref,
	    .entries = counts->entries, .usable = counts->usable };
	return state_stage_known_counts(stage, &out->managed, &out->managed_active);
}
