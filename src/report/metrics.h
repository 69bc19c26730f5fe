/*
 * metrics.h: the metrics file ([log] metrics_file), in the Prometheus text
 * exposition format for node_exporter's textfile collector.  After each
 * applying run (sync, each daemon pass) it is rebuilt from the state store
 * alone (run totals, the last run, users by state, the last directory
 * read) and replaced atomically, so a scrape never sees half a file.  A
 * failure to write it is a warning and never changes a run's outcome.
 */
#ifndef L2I_METRICS_H
#define L2I_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "state/state.h"

struct http_pool;

struct metrics {
	struct run_totals totals;
	bool has_last;			/* some run has ended */
	double last_end;		/* Unix seconds */
	double last_duration;		/* seconds */
	int last_exit;
	bool has_success;		/* some run has exited 0 */
	double last_success_end;
	struct state_summary summary;
	char *group_members;		/* STATE_META_GROUP_MEMBERS's value, or NULL */
};

/* Store the pool's answer counts as the run's API calls (call before
 * state_run_end).  pool NULL: nothing was sent.  A failure is logged. */
void metrics_record_api_calls(struct state *st, long long run_id,
    const struct http_pool *pool);
/* Read what the metrics say from the store.  0, or -1 (logged).  Release
 * m with metrics_release either way. */
int metrics_collect(struct state *st, struct metrics *m);
void metrics_release(struct metrics *m);
/* Print m in the exposition format.  0, or -1 when fp reports an error. */
int metrics_format(FILE *fp, const struct metrics *m);
/* Collect and replace cfg->metrics_file (FILE.tmp beside it, fsync,
 * rename); nothing when it is not set.  Failures are warnings. */
void metrics_write(const struct config *cfg, struct state *st);

#endif
