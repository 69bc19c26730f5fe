/*
 * desired.h: from directory entries to the users the agent wants in
 * iMocha: one record per entry with its chosen e-mail and name, its
 * business unit, or the reason it is skipped (no, invalid or shared
 * e-mail; an id shared by two entries; unmapped; unknown BU).  Pure: the
 * previous mirror only supplies the values already known, so that a
 * multi-valued attribute never flips between reads (SPEC.md, Values).
 *
 * The agent makes each entry with desired_one as the read streams
 * (dirstage.c); sharing is marked over the whole read by state_stage.c.
 * desired_build, desired_merge, desired_to_mirror and desired_mirror_diff
 * do the same over arrays in memory: the reference the stage is tested
 * against (test_stage.c), and the fuzz targets' way in.
 */
#ifndef L2I_DESIRED_H
#define L2I_DESIRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/desired_user.h"
#include "model/directory.h"
#include "plan/mapping.h"
#include "state/state.h"

struct desired_set {
	struct desired_user *users;	/* ordered by email_key (NULL keys last) */
	size_t n;
	size_t usable;			/* users with no problem: "in scope" */
};

/* prev: the mirror of the last complete read, ordered by entry_id. */
void desired_build(const struct dir_snapshot *snap, const struct mapping *map,
    const struct mirror_entry *prev, size_t nprev, struct desired_set *out);
/* The desired set after an incremental read (OUs and mapping unchanged
 * since prev was written): prev's rows, less those delta says are gone
 * (after a present phase: those it neither sent nor listed), with the
 * entries delta sent built anew through map.  bus names the BUs of prev's
 * rows.  Shared e-mails and ids are marked anew over the whole set. */
void desired_merge(const struct dir_delta *delta, const struct mapping *map,
    const struct mirror_entry *prev, size_t nprev, const struct imocha_bu_list *bus,
    struct desired_set *out);
void desired_release(struct desired_set *set);
/* One entry as a desired user: its values (known: its mirror row, or
 * NULL), its business unit through map, or why it is skipped (sharing with
 * other entries aside: that needs the whole set). */
void desired_one(struct desired_user *out, const struct dir_user *u, const struct mapping *map,
    const struct mirror_entry *known);
/* True when d describes exactly what mirror row m says (a change of the
 * entry that changes nothing the agent uses, such as a description). */
bool desired_same_as_mirror(const struct desired_user *d, const struct mirror_entry *m);
/* The mirror rows that describe this set (for state_mirror_replace);
 * they borrow the set's strings: free only the array. */
struct mirror_entry *desired_to_mirror(const struct desired_set *set, size_t *n);
/* What changed between the previous mirror (ordered by entry_id) and the
 * mirror of set: *ups, the rows to insert or replace (borrowing set's
 * strings: free only the array), and *dels, the entry ids to delete (owned:
 * free each and the array).  An unchanged directory writes nothing. */
void desired_mirror_diff(const struct desired_set *set, const struct mirror_entry *prev,
    size_t nprev, struct mirror_entry **ups, size_t *nup, char ***dels, size_t *ndel);

#endif
