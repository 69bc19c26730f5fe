/*
 * state.h: the SQLite state store (SPEC.md, Data model), the only module
 * that speaks SQLite.  It holds the directory mirror, what iMocha holds as
 * far as the agent knows, the change journal (which is also the audit
 * history) and the runs.  state_open applies the schema compiled in from
 * the sql/ files and migrates forward by PRAGMA user_version, in WAL mode.
 * Every write that must be atomic is one transaction inside one call.
 * Functions return 0 on success, -1 after logging the failure once with
 * sqlite3_errmsg.  Loaded arrays are owned by the caller; each has a
 * matching *_free.
 */
#ifndef L2I_STATE_H
#define L2I_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/change.h"

struct state;

/* One directory entry as of the last complete read. */
struct mirror_entry {
	char *entry_id;		/* key */
	char *dn;
	char *email;		/* chosen value, original case; NULL if none */
	char *name;
	int64_t bu_id;		/* BU_NONE if unmapped */
	bool in_scope;		/* usable and mapped: the planner wants it in iMocha */
	char *problem;		/* why it is skipped (NULL: none) */
	char *uuid;		/* entryUUID, NULL when the server has none (AD) */
};

enum known_status { KNOWN_ACTIVE, KNOWN_INACTIVE };
enum known_origin { ORIGIN_CREATED, ORIGIN_ADOPTED, ORIGIN_IMPORTED };

/* One iMocha user as far as the agent knows, keyed by e-mail (lower case). */
struct known_user {
	char *email_key;
	char *email;		/* original case */
	char *full_name;
	char *entry_id;		/* the directory entry it belongs to; NULL if none */
	int64_t bu_id;
	enum known_status status;
	enum known_origin origin;
};

struct run_counts {
	long read;		/* user entries read */
	long in_scope;
	long created;
	long adopted;
	long moved;
	long deactivated;
	long reactivated;
	long skipped;		/* entries not usable: no/bad/shared e-mail, unmapped, unknown BU */
	long failed;		/* API calls for a user that failed */
};

struct run_record {
	long long id;
	char *command;
	char *started_at;	/* ISO 8601 UTC */
	char *ended_at;		/* NULL while running or if it died */
	int exit_status;	/* -1 while running or if it died */
	long duration_ms;
	struct run_counts counts;
};

/* A user whose last change failed and is not settled since. */
struct failure_record {
	char *email;
	char *email_key;
	char *action;		/* change_kind_str */
	char *last_error;	/* iMocha's answer or the transport error */
	char *failed_at;
	long attempts;		/* failed attempts in a row */
	long http_status;	/* of the last failure; 0: no answer */
};

struct state_summary {
	long active, inactive, pending, failed;	/* known users by lifecycle state */
	long mirror_total, mirror_in_scope, mirror_skipped;
	long audit_misses;		/* changes audits found incremental reads missed */
	long servers_distrusted;	/* servers whose incremental reads an audit rejected */
};

int state_open(const char *path, struct state **out);
/* An empty store in a temporary file, gone on state_close: for a plan
 * before any sync made the state file. */
int state_open_scratch(struct state **out);
void state_close(struct state *st);		/* NULL is fine */
int state_schema_version(struct state *st);	/* PRAGMA user_version */

/* The run lock (a lock file beside the database, "<path>.lock", holding the
 * holder's PID).  Returns 0 when taken, 1 when another process holds it
 * (*holder set to its PID, 0 if unknown), -1 on error.  Released by
 * state_close or process exit. */
int state_lock(struct state *st, pid_t *holder);

int state_run_begin(struct state *st, const char *command, long long *run_id);
int state_run_end(struct state *st, long long run_id, const struct run_counts *counts,
    int exit_status);
/* The newest runs first, at most max. */
int state_runs_recent(struct state *st, size_t max, struct run_record **out, size_t *n);
void state_runs_free(struct run_record *runs, size_t n);

/* meta key: "1" when the last sync applied its whole plan, so that an
 * unchanged directory means nothing to do; anything that changes what
 * the agent knows outside a sync removes it. */
#define STATE_META_PLAN_COMPLETE "plan_complete"
/* Each [ldap] group_dn's members at the last complete read, one line
 * each: normalized DN, a tab, the count (syncgroups.c writes it). */
#define STATE_META_GROUP_MEMBERS "group_members"

/* A key of the meta table and its value (NULL: remove the key). */
struct state_meta {
	const char *key;
	const char *value;
};

/* Replace the whole mirror and set the meta keys given (the content-sync
 * cookie that describes this mirror...) in one transaction. */
int state_mirror_replace(struct state *st, const struct mirror_entry *entries, size_t n,
    const struct state_meta *meta, size_t nmeta);
void state_mirror_release(struct mirror_entry *e);
/* Set meta keys in one transaction. */
int state_meta_set(struct state *st, const struct state_meta *meta, size_t nmeta);
/* *value: the key's value (owned), or NULL when it is not set. */
int state_meta_get(struct state *st, const char *key, char **value);
/* Each mirror row to fn, one at a time, in no order; its strings are
 * borrowed for the call (entry_id, dn, in_scope and uuid only).  fn's -1
 * ends it.  0, or -1 (logged by whoever failed). */
int state_mirror_each(struct state *st, int (*fn)(void *ctx, const struct mirror_entry *m),
    void *ctx);
/* The whole mirror, ordered by entry_id. */
int state_mirror_load(struct state *st, struct mirror_entry **out, size_t *n);
void state_mirror_free(struct mirror_entry *entries, size_t n);

/* Every known iMocha user, ordered by email_key. */
int state_known_load(struct state *st, struct known_user **out, size_t *n);
void state_known_free(struct known_user *users, size_t n);
/* Insert or replace one known user (adopt FILE uses it), one transaction. */
int state_known_put(struct state *st, const struct known_user *u);
/* adopt FILE: in one transaction, insert each user whose email_key is not
 * yet known, as origin "imported" with no entry id (the users' origin and
 * entry_id are ignored); rows already there stay as they are, being more
 * current than an export.  *added counts the inserted; all or nothing. */
int state_known_import(struct state *st, const struct known_user *users, size_t n,
    size_t *added);

/* The known user with this e-mail key into *out: 1 found, 0 not known,
 * -1 error.  Release *out with state_known_release. */
int state_known_get(struct state *st, const char *email_key, struct known_user *out);
void state_known_release(struct known_user *u);

/* Journal a change as intended before its request (one transaction);
 * *journal_id names it for state_change_settle. */
int state_change_intend(struct state *st, long long run_id, const struct change *c,
    long long *journal_id);
/* Settle a journaled change (one transaction).  outcome is "done",
 * "adopted" or "failed"; http_status 0 when no answer came; answer is
 * iMocha's text or the transport error.  For "done" and "adopted" the
 * known user is updated to what the change made true (after is not NULL);
 * "failed" leaves it unchanged. */
int state_change_settle(struct state *st, long long journal_id, const char *outcome,
    long http_status, const char *answer, const struct known_user *after);
/* Deactivations sent (done, or still unanswered) in the last 24 hours:
 * what [sync] max_deactivations_per_day counts besides a run's own. */
int state_deactivations_last_day(struct state *st, size_t *n);
/* Journaled changes never settled (the run died between intend and settle). */
int state_changes_unsettled(struct state *st, struct change **out, long long **ids, size_t *n);
void state_changes_free(struct change *changes, long long *ids, size_t n);

/* Lifecycle states of the users iMocha holds, as `status` shows them. */
enum lifecycle_state { LIFE_ACTIVE, LIFE_INACTIVE, LIFE_PENDING, LIFE_FAILED, LIFE_STATES };

struct last_change {
	char *email, *action, *at;	/* all NULL when no change led there yet */
};

/* For each lifecycle state, the newest change that led a user into it. */
int state_last_changes(struct state *st, struct last_change out[LIFE_STATES]);
void state_last_changes_release(struct last_change out[LIFE_STATES]);

int state_failures(struct state *st, struct failure_record **out, size_t *n);
void state_failures_free(struct failure_record *f, size_t n);
int state_summary(struct state *st, struct state_summary *out);

/*
 * History, retention and run totals (state_history.c): what `history`
 * lists, what each sync prunes after [sync] history_days, and what the
 * metrics file sums.
 */
#include <time.h>

/* Answers the requests of one run got from iMocha, per attempt (retries
 * included); a 429 is not counted among the 4xx. */
struct run_api_calls {
	long ok_2xx, client_4xx, throttled_429, server_5xx, transport;
};

/* Record a run's API calls; call before state_run_end.  One statement. */
int state_run_api_calls(struct state *st, long long run_id, const struct run_api_calls *c);
/* Record a run that ended before it began its work (another instance held
 * the lock): one complete row, started and ended now. */
int state_run_record(struct state *st, const char *command, int exit_status);

/* Run outcomes: the exit statuses 0 to 6, then runs that never ended
 * (killed, or the machine stopped). */
#define RUN_OUTCOME_UNFINISHED 7
#define RUN_OUTCOMES 8

/* Totals over every run the store has recorded, the pruned ones included,
 * so that they never go down. */
struct run_totals {
	long runs[RUN_OUTCOMES];
	struct run_api_calls api;
};

int state_run_totals(struct state *st, struct run_totals *out);
/* The run that ended last (success: the last that exited 0) into a new
 * record, *out NULL when there is none; free it with
 * state_runs_free(*out, 1). */
int state_run_last(struct state *st, bool success, struct run_record **out);

/* One journal row as `history` shows it; the strings are only valid during
 * the callback. */
struct history_entry {
	long long id;
	long long run_id;		/* 0: made outside a run */
	const char *action;		/* change_kind_str */
	const char *email;		/* original case */
	const char *entry_id;		/* NULL: none */
	const char *reason;
	int64_t old_bu, new_bu;		/* BU_NONE: none */
	const char *outcome;		/* "pending", "done", "adopted" or "failed" */
	long http_status;		/* 0: no answer */
	const char *answer;		/* iMocha's text or the transport error; NULL: none */
	const char *intended_at;	/* when it was decided and sent */
	const char *settled_at;		/* NULL while pending */
};

struct history_filter {
	bool has_since;
	time_t since;		/* changes journaled at or after this time */
	const char *email;	/* compared case-insensitively; NULL: everyone */
};

/* Call each for every journal row f selects, oldest first, in one read
 * snapshot.  each returns 0 to go on, -1 to stop (having logged why).
 * Returns 0, or -1 (logged). */
int state_history(struct state *st, const struct history_filter *f,
    int (*each)(const struct history_entry *, void *), void *arg);
/* Delete, in one transaction, the settled journal rows and the runs older
 * than days (a row still 'intended', and a run a kept row names, stay),
 * the runs' counts added to the totals first.  Logs what it removed. */
int state_history_prune(struct state *st, int days);
/* TIME of `history --since`: an ISO 8601 date ("2026-11-28": local
 * midnight) or date-time ("2026-11-28T04:25:07Z", "...+01:00"; local time
 * without a zone), or a duration ("30s", "15m", "24h", "7d": that long
 * before now).  0, or -1 when text is neither. */
int state_time_parse(const char *text, time_t now, time_t *out);

#endif
