/* syncrun.c: see syncrun.h. */
#include "sync/syncrun_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imocha/httppool.h"
#include "ldap/ldapsrc.h"
#include "plan/plan.h"
#include "plan/planfile.h"
#include "report/metrics.h"
#include "report/output.h"
#include "state/state.h"
#include "sync/apply.h"
#include "sync/syncread.h"
#include "util/log.h"
#include "util/xmem.h"

void
syncrun_client(const struct config *cfg, struct imocha *client)
{
	*client = (struct imocha){ .base_url = cfg->base_url, .api_key = cfg->api_key };
	client->http.ca_file = cfg->imocha_ca_file;
	client->http.insecure_skip_tls_verify = cfg->imocha_insecure_skip_tls_verify;
	client->http.proxy = cfg->proxy;
	client->http.timeout = cfg->imocha_timeout;
	/* Every command that talks to iMocha comes through here: one
	 * warning per run, as for the directory (ldapconn_open). */
	if (cfg->imocha_insecure_skip_tls_verify)
		log_warnx("iMocha: insecure_skip_tls_verify = yes: the server's "
		    "certificate and host name are not checked; anyone on the "
		    "path can read the API key and change the answers");
}

int
syncrun_fetch_bus(const struct imocha *client, struct imocha_bu_list *bus)
{
	struct imocha_result res;

	if (imocha_bu_list_fetch(client, bus, &res) == IMOCHA_DONE)
		return 0;
	if (res.outcome == IMOCHA_AUTH)
		log_errorx("iMocha refused the API key listing business units (HTTP %ld: %s); "
		    "check [imocha] api_key_file", res.http_status, res.detail);
	else
		log_errorx("cannot list iMocha's business units at %s: %s (HTTP %ld): %s",
		    client->base_url, imocha_outcome_str(res.outcome), res.http_status,
		    res.detail);
	return EXIT_IMOCHA;
}

/*
 * Changes an earlier run journaled but never settled: it was killed, or
 * stopped with requests in flight.  Whether iMocha made them is unknown;
 * they are recorded as unanswered and planned again, and a create that
 * did reach iMocha comes back "already exists" and is adopted.
 */
static int
pass_settle_leftovers(struct pass *p)
{
	struct change *changes;
	long long *ids;
	size_t n;
	int rc = 0;

	if (state_changes_unsettled(p->st, &changes, &ids, &n) == -1)
		return EXIT_CONFIG;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (state_change_settle(p->st, ids[i], "failed", 0, "no answer: the run ended "
		    "before iMocha answered; planned again", NULL) == -1)
			rc = EXIT_CONFIG;
	p->leftovers = n;
	if (n > 0)
		log_warnx("%zu changes of an earlier run were never answered (it was killed or "
		    "stopped); they are planned again", n);
	state_changes_free(changes, ids, n);
	return rc;
}

/* The daemon's stop flag (SIGTERM): stop between stages too, not only in
 * the pool. */
bool
pass_stopping(const struct pass *p)
{
	return p->opt->stop != NULL && *p->opt->stop != 0;
}

/*
 * A run stopped by the flag ends "done" (exit 0): what it left unanswered
 * stays journaled as intended and the next run settles it.  A failed read
 * or business-unit list while stopping is the signal's doing (libldap
 * takes an interrupted wait for a lost server), not a failure.
 */
static int
pass_stop_status(const struct pass *p, int status)
{
	if (status != PASS_STOPPED &&
	    !(pass_stopping(p) && (status == EXIT_LDAP || status == EXIT_IMOCHA)))
		return status;
	log_info("stopped by signal; changes not answered yet are settled by the next run");
	return EXIT_DONE;
}

/* The pool every request goes through, the business-unit list included,
 * so that the rate limit counts them all. */
static int
pass_open_pool(struct pass *p)
{
	const struct http_pool_limits lim = {
		.requests_per_second = p->cfg->requests_per_second,
		.max_in_flight = p->cfg->max_in_flight,
		.max_retries = p->cfg->max_retries,
		.unreachable_after = IMOCHA_UNREACHABLE_AFTER,
		.backoff_base = 1.0,
		.backoff_max = 60.0,
	};

	p->pool = http_pool_new(&p->client.http, &lim);
	if (p->pool == NULL)
		return EXIT_IMOCHA;
	if (p->opt->stop != NULL)
		http_pool_set_stop_flag(p->pool, p->opt->stop);
	ldapsrc_set_stop_flag(p->opt->stop);
	p->client.pool = p->pool;
	return 0;
}

/* Open the state store.  plan must change nothing, so a plan against a
 * store that does not exist yet works from an empty one instead. */
static int
pass_open_state(struct pass *p)
{
	pid_t holder;
	int rc;

	/* The read is staged in the state store's connection: a plan with
	 * no state file yet works from an empty store of its own. */
	if (!p->opt->apply && access(p->cfg->state_file, F_OK) == -1)
		return state_open_scratch(&p->st) == -1 ? EXIT_CONFIG : 0;
	if (state_open(p->cfg->state_file, &p->st) == -1)
		return EXIT_CONFIG;
	if (!p->opt->apply)
		return 0;
	if ((rc = state_lock(p->st, &holder)) == 1) {
		log_errorx("another ldap2imocha run (PID %ld) holds the lock on %s; "
		    "not starting", (long)holder, p->cfg->state_file);
		state_run_record(p->st, "sync", EXIT_LOCKED);	/* counted in the metrics */
		return EXIT_LOCKED;
	}
	if (rc == -1)
		return EXIT_CONFIG;
	if (state_run_begin(p->st, "sync", &p->run_id) == -1)
		return EXIT_CONFIG;
	log_set_run(p->run_id);
	return pass_settle_leftovers(p);
}

static int
pass_check_limits(struct pass *p)
{
	char *why = plan_stop_message(&p->plan);

	if (why == NULL)
		return 0;
	if (p->opt->apply && p->opt->force) {
		log_warnx("--force: going past the limit: %s", why);
		free(why);
		return 0;
	}
	if (p->opt->apply)
		log_errorx("%s; nothing was changed", why);
	else
		log_warnx("sync would stop here: %s", why);
	free(why);
	return p->opt->apply ? EXIT_LIMIT : 0;
}

static long
elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Nothing the agent uses changed: the new cookie, and the DNs of
 * cosmetic changes, if any, and nothing is sent. */
static int
pass_record_unchanged(struct pass *p)
{
	struct state_meta meta[SYNCREAD_META_MAX];
	size_t nmeta = syncread_meta(&p->rd, meta);
	int rc = state_stage_write_mirror(p->rd.stage, meta, nmeta);

	/* Skipped entries are reported on every run (SPEC.md), this one too. */
	if (rc == 0 && state_stage_each_skipped(p->rd.stage, pass_log_skipped, NULL) == -1)
		rc = -1;
	return rc == -1 ? EXIT_CONFIG : EXIT_DONE;
}

/*
 * The mirror and its cookie, written after the changes are sent: the
 * creates of a first sync are loaded from the stage as they go (plan.h),
 * and the first goes out without waiting for a million mirror rows.  The
 * old mirror and cookie stay a consistent pair until then: a run killed
 * while sending reads again from the old cookie and plans whatever is
 * still missing.  plan_complete says whether this plan went out whole.
 */
static int
pass_record_read(struct pass *p, bool complete)
{
	struct state_meta meta[SYNCREAD_META_MAX + 1];
	size_t nmeta = syncread_meta(&p->rd, meta);

	meta[nmeta++] = (struct state_meta){ META_PLAN_COMPLETE,
	    complete ? pass_plan_complete_value(p->cfg) : "0" };
	return state_stage_write_mirror(p->rd.stage, meta, nmeta);
}

static int
pass_apply(struct pass *p)
{
	struct timespec sent;
	size_t planned = plan_size(&p->plan);
	long ms;
	int rc, status;

	if (p->nothing_changed)
		return pass_record_unchanged(p);
	/* The directory's connection goes before the first request. */
	syncread_close(&p->rd);
	clock_gettime(CLOCK_MONOTONIC, &sent);
	rc = apply_plan(&p->plan, p->st, &p->client, &p->bus, p->run_id, &p->applied);
	/* What the changes themselves cost (requests and journal commits),
	 * apart from reading and planning: make bench reports it. */
	ms = elapsed_ms(&sent);
	if (planned > 0)
		log_info("sent %zu change%s to iMocha in %ld.%03ld s", planned,
		    planned == 1 ? "" : "s", ms / 1000, ms % 1000);
	if (rc == -1)
		status = p->applied.state_failed ? EXIT_CONFIG :
		    p->applied.stopped ? PASS_STOPPED : EXIT_IMOCHA;
	else
		status = p->applied.failed > 0 ? EXIT_PARTIAL : EXIT_DONE;
	/* A state store that failed is not written to again. */
	if (p->applied.state_failed)
		return status;
	/* Complete only if nothing planned waits: not for a retry time, not
	 * left out by a saved plan, not a leaver held in doubt. */
	if (pass_record_read(p, status == EXIT_DONE && p->deferred == 0 &&
	    p->left_out == 0 && p->held == 0) == -1)
		return EXIT_CONFIG;
	return status;
}

static void
pass_finish(struct pass *p, int status)
{
	struct run_counts counts = {
		.read = (long)p->counts.sent,
		.in_scope = (long)p->counts.usable,
		.created = p->applied.created, .adopted = p->applied.adopted,
		.moved = p->applied.moved, .deactivated = p->applied.deactivated,
		.reactivated = p->applied.reactivated,
		.skipped = (long)(p->counts.entries - p->counts.usable),
		.failed = p->applied.failed,
	};
	long ms = elapsed_ms(&p->started);
	char text[512];

	/* A read that failed leaves its stage's transaction open: the run's
	 * end must not be written inside it, to be rolled back with it. */
	state_stage_end(p->rd.stage);
	p->rd.stage = NULL;
	if (p->opt->apply) {
		snprintf(text, sizeof text, "summary: read %ld, in scope %ld, created %ld, "
		    "adopted %ld, moved %ld, deactivated %ld, reactivated %ld, skipped %ld, "
		    "failed %ld, duration %ld.%03lds, exit %d", counts.read, counts.in_scope,
		    counts.created, counts.adopted, counts.moved, counts.deactivated,
		    counts.reactivated, counts.skipped, counts.failed, ms / 1000, ms % 1000,
		    status);
		log_info("%s", text);
		if (p->opt->summary != NULL && p->opt->summary_size > 0)
			snprintf(p->opt->summary, p->opt->summary_size, "%s", text);
	}
	if (p->run_id > 0) {
		metrics_record_api_calls(p->st, p->run_id, p->pool);
		state_run_end(p->st, p->run_id, &counts, status);
		state_history_prune(p->st, p->cfg->history_days);
		metrics_write(p->cfg, p->st);
	}
	log_set_run(0);
}

static void
pass_release(struct pass *p)
{
	plan_release(&p->plan);
	syncread_release(&p->rd);
	imocha_bu_list_release(&p->bus);
	http_pool_free(p->pool);
	state_close(p->st);
}

int
syncrun_run(const struct config *cfg, const struct run_options *opt)
{
	struct pass p = { .cfg = cfg, .opt = opt };
	int status;

	clock_gettime(CLOCK_MONOTONIC, &p.started);
	syncrun_client(cfg, &p.client);
	if ((status = pass_open_state(&p)) != 0)
		goto out;
	if ((status = pass_open_pool(&p)) != 0)
		goto out;
	if ((status = pass_prepare(&p)) != 0)
		goto out;
	if (!opt->apply) {
		/* Printed and saved whole: its joiners made changes (plan.h). */
		if (plan_materialize(&p.plan) == -1) {
			status = EXIT_CONFIG;
			goto out;
		}
		output_plan(opt->out, &p.plan, &p.bus, opt->json);
		if (opt->plan_out != NULL &&
		    planfile_write(opt->plan_out, &p.plan, &p.bus, time(NULL)) == -1) {
			status = EXIT_CONFIG;
			goto out;
		}
	}
	if ((status = pass_check_limits(&p)) != 0 || !opt->apply)
		goto out;
	status = pass_apply(&p);
out:
	status = pass_stop_status(&p, status);
	pass_finish(&p, status);
	pass_release(&p);
	return status;
}
