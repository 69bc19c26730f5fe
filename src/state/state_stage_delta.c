/*
 * state_stage_delta.c: a read stage that holds only what an incremental
 * read touched, for a run whose last run applied its whole plan
 * (state_stage_plan_delta).  Then the plan over the whole directory and
 * the plan over the e-mail keys the read touched are the same: every other
 * key planned to nothing last time and nothing of it changed since.  So
 * the planner walks those keys only, and the run costs what the change
 * costs, not what the directory holds (#17: merging the whole mirror took
 * 3.9 s at 1,000,000 users for 20 new ones).
 *
 * The keys touched: those of the entries the read sent; those their mirror
 * rows had, and those of the rows listed gone (found by id and entryUUID);
 * those of the known users that belong to any entry of these keys (an
 * entry the read left alone may be shared no more: its known user, under
 * an older e-mail, is then planned).  The stage holds the sent entries and
 * every mirror row of a touched key (found by the lower(email) index), so
 * an e-mail shared with an entry the read left alone is still seen as
 * shared.  stage_scope lists the mirror rows the stage stands for: the
 * counts are the mirror's, less those rows, plus the stage's; the mirror
 * is written by difference over them alone.
 */
#include "state/state_int.h"

#include "state/state_stage_int.h"
#include "util/log.h"

/* More rows touched than this and one bulk merge of the whole mirror
 * costs less than looking each touched key up. */
#define DELTA_MAX_TOUCHED 20000

/* Each step adds rows to the scope, keys to plan, or both.  Every join
 * starts from the small TEMP table (CROSS JOIN fixes SQLite's order: with
 * no statistics it chose to scan the mirror, 0.2 s at 100,000 users), and
 * +k.email_key, with no affinity, lets the lower(email) index serve. */
static const char scope_sql[] =
    /* the mirror rows of the entries sent, by id and by entryUUID, and of
     * those listed gone */
    "INSERT OR IGNORE INTO stage_scope SELECT d.rowid FROM stage s "
    " CROSS JOIN directory_entry d ON d.entry_id = s.entry_id;"
    "INSERT OR IGNORE INTO stage_scope SELECT d.rowid FROM stage s "
    " CROSS JOIN directory_entry d ON d.uuid = s.uuid;"
    "INSERT OR IGNORE INTO stage_scope SELECT d.rowid FROM stage_gone g "
    " CROSS JOIN directory_entry d ON d.uuid = g.uuid;"
    /* their keys, new and old */
    "INSERT OR IGNORE INTO stage_keys SELECT email_key FROM stage "
    " WHERE email_key IS NOT NULL;"
    "INSERT OR IGNORE INTO stage_keys SELECT lower(d.email) FROM stage_scope c "
    " CROSS JOIN directory_entry d ON d.rowid = c.mirror_rowid WHERE d.email IS NOT NULL;"
    /* the other entries of those keys: one may be shared no more, or
     * shared now */
    "INSERT OR IGNORE INTO stage_scope SELECT d.rowid FROM stage_keys k "
    " CROSS JOIN directory_entry d ON lower(d.email) = +k.email_key;"
    /* the known users of every entry so far: the planner looks an
     * unmatched one's entry up by id, and that entry may have changed */
    "INSERT OR IGNORE INTO stage_keys SELECT u.email_key FROM stage s "
    " CROSS JOIN imocha_user u ON u.entry_id = s.entry_id;"
    "INSERT OR IGNORE INTO stage_keys SELECT u.email_key FROM stage_scope c "
    " CROSS JOIN directory_entry d ON d.rowid = c.mirror_rowid "
    " CROSS JOIN imocha_user u ON u.entry_id = d.entry_id;"
    /* and the entries of those users' keys, unchanged, for the stream */
    "INSERT OR IGNORE INTO stage_scope SELECT d.rowid FROM stage_keys k "
    " CROSS JOIN directory_entry d ON lower(d.email) = +k.email_key;";

static const char from_scope[] = "(SELECT d.rowid AS rowid, d.* FROM stage_scope c "
    "CROSS JOIN directory_entry d ON d.rowid = c.mirror_rowid)";

/* The counts of the whole, from the mirror's, the scope's and the stage's
 * (stage_make_whole counts the same over a whole stage). */
static int
delta_counts(struct state_stage *sg)
{
	static const char stage[] = STAGE_COUNTS_SQL " FROM stage";
	static const char scope[] = "SELECT count(*), coalesce(sum(d.problem IS NULL), 0) "
	    "FROM stage_scope c CROSS JOIN directory_entry d ON d.rowid = c.mirror_rowid";
	size_t n[4], in_scope[2], mirror, mirror_usable;

	if (stage_numbers(sg, stage, n, 4) == -1 ||
	    stage_numbers(sg, scope, in_scope, 2) == -1 ||
	    state_stage_mirror_counts(sg, &mirror, &mirror_usable) == -1)
		return -1;
	sg->counts.entries = mirror - in_scope[0] + n[0];
	sg->counts.usable = mirror_usable - in_scope[1] + n[1];
	sg->counts.changed = n[2];
	/* Each row of the scope is matched by one stage row of its id, or
	 * goes. */
	sg->mirror_deletes = n[3] != in_scope[0];
	sg->counts.mirror_same = n[2] == 0 && !sg->mirror_deletes;
	return 0;
}

int
stage_make_delta(struct state_stage *sg)
{
	size_t keys;

	if (sg->counts.sent + sg->counts.gone > DELTA_MAX_TOUCHED)
		return 0;
	if (stage_index_for_merge(sg) == -1 ||
	    stage_exec(sg, scope_sql, "find the keys the read touched") == -1 ||
	    stage_merge_mirror(sg, from_scope) == -1 ||
	    stage_index_for_plan(sg) == -1 || stage_mark_all_shared(sg) == -1 ||
	    delta_counts(sg) == -1 ||
	    stage_numbers(sg, "SELECT count(*) FROM stage_keys", &keys, 1) == -1)
		return -1;
	sg->delta = sg->counts.delta = true;
	log_debug("planning the %zu e-mail keys the read touched, not the %zu entries of the "
	    "directory: the last run applied its whole plan", keys, sg->counts.entries);
	return 1;
}
