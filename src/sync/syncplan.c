/*
 * syncplan.c: the first half of a pass (syncrun_int.h): read the
 * directory, plan, put the plan to the trust rules (reading in full again
 * when they say so), then leave out what waits for its retry time and,
 * with --plan FILE, what the saved plan does not hold.
 */
#include "sync/syncrun_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/dn.h"
#include "plan/plan.h"
#include "plan/planfile.h"
#include "plan/retry.h"
#include "state/state.h"
#include "sync/dirstage.h"
#include "sync/syncgroups.h"
#include "sync/syncread.h"
#include "sync/trust.h"
#include "util/log.h"
#include "util/xmem.h"

static char *
time_text(time_t t)
{
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
	return xstrdup(buf);
}

/* Users whose last failure was a refusal wait before the next try
 * (retry.h); their changes leave this run's plan. */
static int
pass_defer_failed(struct pass *p, const struct plan_settings *settings)
{
	struct failure_record *f = NULL;
	size_t n = 0, nkeys = 0;
	long dropped;
	char **keys;
	time_t now = time(NULL);

	if (p->st == NULL)
		return 0;
	if (state_failures(p->st, &f, &n) == -1)
		return EXIT_CONFIG;
	keys = xcalloc(n + 1, sizeof *keys);
	for (size_t i = 0; i < n; i++) {
		time_t next = retry_next_at(&f[i]);
		char *when;

		if (next <= now)
			continue;
		keys[nkeys++] = f[i].email_key;
		when = time_text(next);
		log_info("not retrying %s before %s: iMocha refused its last %s (%ld time%s): %s",
		    f[i].email, when, f[i].action, f[i].attempts, f[i].attempts == 1 ? "" : "s",
		    f[i].last_error);
		free(when);
	}
	/* failures come ordered by e-mail key, as plan_defer wants them */
	dropped = plan_defer(&p->plan, keys, nkeys, settings);
	p->deferred = nkeys;
	if (dropped > 0)
		log_info("%ld changes wait for their retry time", dropped);
	free(keys);
	state_failures_free(f, n);
	return dropped == -1 ? EXIT_CONFIG : 0;
}

void
pass_log_skipped(void *ctx, const char *dn, const char *problem)
{
	(void)ctx;
	log_warnx("skipped %s: %s", dn, problem);
}

/* sync --plan: the saved actions only, each still planned unchanged, and
 * the plan under a day old; else exit 5 with nothing changed. */
static int
pass_restrict_to_saved(struct pass *p, const struct plan_settings *settings)
{
	struct saved_plan saved;
	time_t now = time(NULL);
	size_t planned;
	long missing;
	int rc = EXIT_LIMIT;

	/* Compared change by change: the whole plan in memory (a saved plan
	 * is a reviewed one, not a first sync of a million). */
	if (planfile_read(p->opt->plan_in, &saved) == -1)
		return EXIT_CONFIG;
	if (plan_materialize(&p->plan) == -1) {
		planfile_release(&saved);
		return EXIT_CONFIG;
	}
	planned = p->plan.n;
	if (saved.made_at > now + 300 || now - saved.made_at > PLANFILE_MAX_AGE) {
		char *made = time_text(saved.made_at);

		log_errorx("the saved plan %s was made at %s, not within the last 24 hours; "
		    "nothing was changed: make a new one with 'ldap2imocha plan --out'",
		    p->opt->plan_in, made);
		free(made);
		goto out;
	}
	missing = plan_restrict(&p->plan, saved.changes, saved.n, settings);
	if (missing >= 0) {
		const struct change *c = &saved.changes[missing];

		log_errorx("the saved plan %s no longer holds: %s %s (%s) is not planned any more "
		    "as saved; nothing was changed: review a new 'ldap2imocha plan --out'",
		    p->opt->plan_in, change_kind_str(c->kind), c->email, c->reason);
		goto out;
	}
	p->left_out = planned - p->plan.n;
	log_info("applying the %zu changes of the saved plan %s; %zu changes planned since "
	    "are left for the next run", saved.n, p->opt->plan_in, p->left_out);
	rc = 0;
out:
	planfile_release(&saved);
	return rc;
}

/* The users into the stage: as syncread decides, or in full (why). */
static int
pass_read_users(struct pass *p, const char *full_because)
{
	int rc;

	if ((rc = syncread_users(p->cfg, p->st, full_because, &p->bus, &p->rd)) != 0)
		return rc == -2 ? EXIT_CONFIG : EXIT_LDAP;
	if (pass_stopping(p))
		return PASS_STOPPED;
	state_stage_counts(p->rd.stage, &p->counts);
	return 0;
}

/* Read the OUs, list iMocha's business units (the mapping needs them for
 * the first user), then read the users into the stage (syncread.h).  In
 * this order an LDAP failure is found before an iMocha one, as the exit
 * status order (3 before 4) says. */
static int
pass_read(struct pass *p)
{
	int rc;

	if (syncread_ous(p->cfg, &p->rd) == -1)
		return EXIT_LDAP;
	if (pass_stopping(p))
		return PASS_STOPPED;
	if ((rc = syncrun_fetch_bus(&p->client, &p->bus)) != 0)
		return rc;
	if (pass_stopping(p))
		return PASS_STOPPED;
	return pass_read_users(p, p->opt->full ? SYNCREAD_FULL_ASKED : NULL);
}

/*
 * An incremental read that brought only changes the agent does not use (a
 * description edited, an entry moved within its business unit, or nothing
 * at all): each entry, placed again and compared with its own mirror row,
 * is the same.  Then there is nothing to plan, and only those rows are
 * written; the mirror's other rows are not even looked at.  Any doubt (a
 * new entry, one gone, a present phase, a different value) and the answer
 * is no: the full plan decides.
 */
static bool
pass_only_cosmetic(const struct pass *p)
{
	return p->rd.incremental && !p->rd.present_phase && p->counts.gone == 0 &&
	    p->counts.relevant == 0;
}

/* The value of the plan_complete meta key: the last run applied its
 * whole plan under these settings (deactivate changes what is planned for
 * an unchanged directory). */
const char *
pass_plan_complete_value(const struct config *cfg)
{
	return cfg->deactivate ? "1" : "1 deactivate=no";
}

/* The last run applied its whole plan, under the same settings, and
 * nothing waits for a retry: an unchanged directory means nothing to do. */
static bool
pass_plan_was_complete(struct pass *p)
{
	char *v = NULL;
	bool complete;

	if (!p->opt->apply || p->leftovers > 0 ||
	    state_meta_get(p->st, META_PLAN_COMPLETE, &v) == -1)
		return false;
	complete = v != NULL && strcmp(v, pass_plan_complete_value(p->cfg)) == 0;
	free(v);
	return complete;
}

static bool
value_listed(const struct value_list *l, const char *v)
{
	for (size_t i = 0; v != NULL && i < l->n; i++)
		if (strcmp(l->v[i], v) == 0)
			return true;
	return false;
}

/* The group_dn groups user_dn is a member of, for a reason ("cn=A; cn=B"). */
static char *
groups_of(const struct group_scope *gs, const char *user_dn)
{
	const struct group_pair *pair;
	char *norm = dn_normalize(user_dn), *text = NULL, *more;
	size_t n = group_scope_find(gs, norm, &pair);

	for (size_t i = 0; i < n; i++) {
		if (gs->roots[pair[i].root].role != GROUP_SCOPE)
			continue;
		more = xasprintf("%s%s%s", text ? text : "", text ? "; " : "",
		    gs->roots[pair[i].root].dn);
		free(text);
		text = more;
	}
	free(norm);
	return text;
}

/* A create's reason, when group_dn decides the scope: the groups it is
 * a member of. */
static char *
create_explained(const struct group_scope *gs, const char *dn, const char *reason)
{
	char *groups = groups_of(gs, dn), *why;

	if (groups == NULL)
		return NULL;
	why = xasprintf("%s: a member of %s", reason, groups);
	free(groups);
	return why;
}

/* The same for a joiner the plan loads as it is applied (plan.h). */
static char *
joiner_explained(void *ctx, const struct desired_user *d, const char *reason)
{
	return create_explained(ctx, d->dn, reason);
}

/* When group_dn decides the scope, say so: a leaver whose entry is still
 * there left its groups; a joiner is a member. */
static int
pass_explain_groups(struct pass *p)
{
	const struct group_scope *gs = &p->rd.groups;
	struct desired_user d;
	int found;

	if (!group_scope_limits(gs))
		return 0;
	p->plan.explain = joiner_explained;
	p->plan.explain_ctx = (void *)gs;
	for (size_t i = 0; i < p->plan.n; i++) {
		struct change *c = &p->plan.changes[i];
		char *why = NULL;

		if (c->kind == CHANGE_DEACTIVATE && c->left &&
		    value_listed(&p->rd.left_by_group, c->entry_id))
			why = gs->nscope == 1 ? xasprintf("removed from %s", gs->roots[0].dn) :
			    xstrdup("removed from every group of group_dn");
		else if ((c->kind == CHANGE_CREATE || c->kind == CHANGE_REACTIVATE) &&
		    c->entry_id != NULL) {
			if ((found = state_stage_desired_by_id(p->rd.stage, c->entry_id, &d)) == -1)
				return -1;
			if (found) {
				why = create_explained(gs, d.dn, c->reason);
				desired_user_release(&d);
			}
		}
		if (why != NULL) {
			free(c->reason);
			c->reason = why;
		}
	}
	return 0;
}

/* The plan, from the finished stage and the known users, both streamed. */
static int
pass_plan(struct pass *p, const struct plan_settings *settings)
{
	struct plan_source src;

	if (state_stage_each_skipped(p->rd.stage, pass_log_skipped, NULL) == -1 ||
	    dirstage_plan_source(p->rd.stage, &p->counts, &src) == -1 ||
	    plan_build_from(&src, settings, &p->plan) == -1 || pass_explain_groups(p) == -1)
		return EXIT_CONFIG;
	return 0;
}

/* Finish the stage, then plan from it; nothing_changed when the last run
 * applied its whole plan and the directory is the same. */
static int
pass_plan_read(struct pass *p, const struct plan_settings *settings)
{
	bool complete = pass_plan_was_complete(p);

	if (!(complete && pass_only_cosmetic(p))) {
		/* Nothing waits from the last run: only what this read touched
		 * can plan a change. */
		if (complete)
			state_stage_plan_delta(p->rd.stage);
		if (state_stage_finish(p->rd.stage, p->rd.present_phase, &p->counts) == -1)
			return EXIT_CONFIG;
		p->nothing_changed = complete && p->counts.mirror_same;
	} else {
		/* Only the changes were read: the whole is the mirror's. */
		p->nothing_changed = true;
		if (state_stage_mirror_counts(p->rd.stage, &p->counts.entries,
		    &p->counts.usable) == -1)
			return EXIT_CONFIG;
	}
	if (p->nothing_changed)
		return 0;
	return pass_plan(p, settings);
}

/*
 * What the read says is not taken on its word (trust.h): leavers are
 * confirmed or held, and when an incremental read proves wrong, or its
 * plan would trip a safety limit (limits are judged on a full read), the
 * directory is read again in full, on the same server, and planned again.
 */
static int
pass_trust(struct pass *p, const struct plan_settings *settings)
{
	struct trust_result t;
	enum trust_verdict v = trust_check_leavers(&p->rd, &p->plan, settings, &t);
	char *why = t.why;
	int rc;

	t.why = NULL;
	p->held = t.held;
	trust_result_release(&t);
	if (v == TRUST_FAILED)
		return EXIT_CONFIG;
	if (v == TRUST_GO && p->rd.incremental && p->plan.stop != PLAN_GO)
		why = xstrdup("the plan of an incremental read would trip a safety limit, "
		    "and limits are judged on a full read");
	if (why == NULL)
		return 0;
	log_info("reading the directory in full after all: %s", why);
	plan_release(&p->plan);
	p->nothing_changed = false;
	rc = pass_read_users(p, why);
	free(why);
	if (rc != 0 || (rc = pass_plan_read(p, settings)) != 0 || p->nothing_changed)
		return rc;
	/* A full read is its own confirmation: only references hold now. */
	v = trust_check_leavers(&p->rd, &p->plan, settings, &t);
	p->held = t.held;
	trust_result_release(&t);
	return v == TRUST_FAILED ? EXIT_CONFIG : 0;
}

/* Each group_dn's members now and at the last read, for the limits. */
static int
pass_group_counts(struct pass *p, struct group_count **out)
{
	char *stored = NULL;

	*out = NULL;
	if (!group_scope_limits(&p->rd.groups))
		return 0;
	if (state_meta_get(p->st, SYNCREAD_META_GROUP_COUNTS, &stored) == -1)
		return EXIT_CONFIG;
	*out = syncgroups_compare(&p->rd.groups, stored);
	free(stored);
	return 0;
}

/* From the read to the plan the run would apply. */
static int
pass_prepare_plan(struct pass *p, const struct plan_settings *settings)
{
	int rc;

	if ((rc = pass_plan_read(p, settings)) != 0)
		return rc;
	if (!p->nothing_changed && (rc = pass_trust(p, settings)) != 0)
		return rc;
	if (p->nothing_changed) {
		log_info("nothing changed in the directory since the last run that the "
		    "agent uses");
		return 0;
	}
	if ((rc = pass_defer_failed(p, settings)) != 0)
		return rc;
	if (p->opt->plan_in != NULL && (rc = pass_restrict_to_saved(p, settings)) != 0)
		return rc;
	if (p->opt->apply)
		for (size_t i = 0; i < p->plan.nnotes; i++)
			log_info("%s", p->plan.notes[i]);
	return 0;
}

int
pass_prepare(struct pass *p)
{
	struct plan_settings settings = { .deactivate = p->cfg->deactivate,
	    .max_creates = p->cfg->max_creates,
	    .max_deactivations = p->cfg->max_deactivations,
	    .max_deactivations_per_day = &p->cfg->max_deactivations_per_day };
	struct group_count *groups = NULL;
	int rc;

	if (state_deactivations_last_day(p->st, &settings.deactivated_last_day) == -1)
		return EXIT_CONFIG;
	if ((rc = pass_read(p)) != 0)
		return rc;
	if ((rc = pass_group_counts(p, &groups)) != 0)
		return rc;
	settings.groups = groups;
	settings.ngroups = p->rd.groups.nscope;
	rc = pass_prepare_plan(p, &settings);
	free(groups);
	return rc;
}
