/*
 * syncaudit.c: the audit of a server's incremental reads (SPEC.md, Trust).
 * A server is believed only after an audit saw its incremental read
 * report a user change rightly; one that an audit catches missing a
 * change is not used again under content_sync = auto until an operator
 * clears the verdict (ldap2imocha reset-trust).
 *
 * An audit reads three times on one connection: incrementally from the
 * stored cookie (kept aside as the incremental read's view), in full (the
 * stage the run plans from), and incrementally again from the first
 * read's cookie.  The third names what changed after the first began, so
 * a change made between the reads is not taken for a miss; a server that
 * reports nothing there makes such a change count, which errs toward
 * distrust.  A server that will not answer from the first read's cookie
 * makes the audit inconclusive: the verdict stays.
 *
 * A quiet audit, the usual one on a quiet directory: the first read named
 * nothing (no entry, none gone, no present phase), so its view is the
 * mirror, compared as it stands (state_audit_keep_mirror) rather than
 * copied; and when the full read then finds every entry as the mirror
 * has it, the two reads agree with nothing to compare.  That keeps a full
 * read of an unchanged directory about as cheap as one without an audit.
 */
#include "sync/syncread_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "state/state_audit.h"
#include "util/xmem.h"

#define META_AUDIT_PREFIX	"audit:"

void
syncaudit_load(const struct config *cfg, struct state *st, const char *uri,
    struct dir_audit *out)
{
	const char *parts[] = { uri, cfg->base_dn, cfg->user_filter, cfg->disabled_filter };
	char *fp, *v;

	/* A read again in the same run keeps what this run found. */
	if (out->key != NULL && out->changed)
		return;
	fp = syncread_fingerprint(parts, sizeof parts / sizeof parts[0]);
	free(out->key);
	free(out->detail);
	*out = (struct dir_audit){ .key = xasprintf(META_AUDIT_PREFIX "%s", fp) };
	free(fp);
	v = syncread_meta_get(st, out->key);
	if (v != NULL && strcmp(v, "trusted") == 0)
		out->verdict = AUDIT_TRUSTED;
	else if (v != NULL && strncmp(v, "untrusted ", 10) == 0) {
		out->verdict = AUDIT_UNTRUSTED;
		out->detail = xstrdup(v + 10);
	}
	free(v);
}

/* Set this run's verdict, to be stored with the mirror; a miss adds to
 * the running total. */
static void
verdict_set(struct state *st, struct dir_audit *a, enum audit_verdict v, const char *detail)
{
	char *total;

	a->verdict = v;
	a->changed = true;
	free(a->value);
	a->value = v == AUDIT_TRUSTED ? xstrdup("trusted") : xasprintf("untrusted %s", detail);
	if (v != AUDIT_UNTRUSTED)
		return;
	free(a->detail);
	a->detail = xstrdup(detail);
	total = syncread_meta_get(st, META_MISSES_TOTAL);
	free(a->misses_total);
	a->misses_total = xasprintf("%lld", (total ? strtoll(total, NULL, 10) : 0) +
	    (long long)a->misses);
	free(total);
}

/* The third read's sink: every entry it names changed after the first. */
struct since_ctx {
	struct state *st;
	bool failed;
};

static int
since_user(void *ctx, struct dir_user *u)
{
	struct since_ctx *c = ctx;

	if (state_audit_since(c->st, u->uuid, u->id) == -1)
		c->failed = true;
	return c->failed ? -1 : 0;
}

static int
since_gone(void *ctx, const char *uuid)
{
	struct since_ctx *c = ctx;

	if (state_audit_since(c->st, uuid, NULL) == -1)
		c->failed = true;
	return c->failed ? -1 : 0;
}

static int
since_present(void *ctx, const char *uuid)
{
	(void)ctx;
	(void)uuid;
	return 0;
}

/* What changed since cookie: the entries sent and those named gone.  A
 * present phase is not worked out (an entry deleted meanwhile and only
 * left out of it counts as a miss: that errs toward distrust, and 389
 * claims a present phase on every refresh).  *vague when the server would
 * not answer from that cookie at all. */
static int
read_since(struct ldapsrc *src, struct state *st, const char *cookie, bool *vague)
{
	struct since_ctx c = { st, false };
	struct dir_sink sink = { &c, since_user, since_gone, since_present };
	struct dir_sync_end end;
	int rc = ldapsrc_users_sync(src, cookie, &sink, &end);

	*vague = rc == 1 || rc == 2;
	free(end.cookie);
	if (c.failed)
		return -1;
	return rc == -1 ? -1 : 0;
}

/* The verdict from what the audit found. */
static void
judge(struct state *st, struct dir_audit *a, const char *uri, bool saw_change, size_t misses,
    const char *example)
{
	char *detail;

	if (misses > 0) {
		a->misses = misses;
		detail = xasprintf("%zu changes a full read shows were missing, e.g. %s", misses,
		    example ? example : "(no DN)");
		log_warnx("LDAP %s: audit of its incremental reads: %s", uri, detail);
		verdict_set(st, a, AUDIT_UNTRUSTED, detail);
		free(detail);
	} else if (saw_change && a->verdict != AUDIT_UNTRUSTED) {
		log_info("LDAP %s: audit of its incremental reads: every user change was "
		    "reported rightly; they are trusted from now on", uri);
		if (a->verdict != AUDIT_TRUSTED)
			verdict_set(st, a, AUDIT_TRUSTED, NULL);
	} else if (a->verdict == AUDIT_NONE)
		log_info("LDAP %s: audit of its incremental reads: no miss, and no user change "
		    "yet to judge them by", uri);
}

/*
 * DirSync tells an ordinary account of no deletion (ldapdirsync.c): a user
 * the incremental view holds and the full read did not find is no miss
 * when it exists nowhere in the domain any more; it is noted as changed
 * meanwhile.  One that still exists (disabled, moved out, out of the
 * filter) stays a miss: DirSync should have named it.
 */
static int
excuse_deleted(struct ldapsrc *src, struct state *st, struct dir_read *rd)
{
	struct value_list uuids = { 0 }, ids = { 0 };
	bool *exists;
	size_t deleted = 0;
	int rc = state_audit_vanished(st, rd->stage, &uuids, &ids);

	if (rc == -1)
		rd->state_failed = true;
	exists = xcalloc(uuids.n + 1, sizeof *exists);
	if (rc == 0 && uuids.n > 0)
		rc = ldapsrc_objects_exist(src, uuids.v, uuids.n, exists);
	for (size_t i = 0; i < uuids.n && rc == 0; i++) {
		if (exists[i])
			continue;
		deleted++;
		if ((rc = state_audit_since(st, uuids.v[i], ids.v[i])) == -1)
			rd->state_failed = true;
	}
	if (rc == 0 && deleted > 0)
		log_info("LDAP %s: audit of its incremental reads: %zu users they did not report "
		    "gone were deleted, which DirSync does not tell this account of: no miss",
		    ldapsrc_uri(src), deleted);
	free(exists);
	value_list_release(&uuids);
	value_list_release(&ids);
	return rc;
}

/* The misses between the kept view and the full read in rd's stage.  A
 * quiet audit whose full read found the mirror exactly has none. */
static int
audit_misses(struct ldapsrc *src, struct state *st, bool quiet, bool blind,
    struct dir_read *rd, size_t *misses, char **example)
{
	struct stage_counts c;

	*misses = 0;
	*example = NULL;
	if (quiet) {
		if (state_stage_finish(rd->stage, rd->present_phase, &c) == -1) {
			rd->state_failed = true;
			return -1;
		}
		if (c.mirror_same)
			return 0;
	}
	if (blind && excuse_deleted(src, st, rd) == -1)
		return -1;	/* said; state_failed when the state store failed */
	if (state_audit_compare(st, rd->stage, misses, example) == -1) {
		rd->state_failed = true;
		return -1;
	}
	return 0;
}

/* The second half of an audit: the incremental read's view is kept aside
 * (its finished stage, or the mirror when quiet), then the full read (the
 * stage the run plans from) and the read from first, the incremental
 * read's cookie (taken: freed here). */
static int
audit_against_full(struct ldapsrc *src, struct state *st, char *first, bool saw,
    bool quiet, struct dir_read *rd)
{
	char *example = NULL;
	size_t misses = 0;
	bool vague = false;
	int rc;

	if ((quiet ? state_audit_keep_mirror(st) :
	    state_audit_keep_incremental(st, rd->stage)) == -1) {
		rd->state_failed = true;
		free(first);
		return -1;
	}
	rd->present_phase = false;
	rd->incremental = false;
	rc = syncread_users_sync(src, st, NULL, rd);
	if (rc == 0 && (rc = read_since(src, st, first, &vague)) == -1)
		rd->state_failed = true;
	if (rc == 0 && !vague && audit_misses(src, st, quiet,
	    ldapsrc_dirsync_blind_to_deletions(src, first), rd, &misses, &example) == -1)
		rc = -1;
	if (rc == 0 && vague)
		log_info("LDAP %s: audit of its incremental reads: inconclusive (the server "
		    "could not say what changed during the audit)", ldapsrc_uri(src));
	else if (rc == 0)
		judge(st, &rd->audit, ldapsrc_uri(src), saw, misses, example);
	free(first);
	free(example);
	return rc;
}

int
syncaudit_run(struct ldapsrc *src, const struct config *cfg, struct state *st, char *stored,
    const struct dir_server *srv, struct dir_read *rd)
{
	struct stage_counts c;
	char *first;
	bool saw, quiet;
	int rc;

	rd->incremental = true;
	if ((rc = syncread_users_sync(src, st, stored, rd)) != 0 || !rd->incremental)
		return rc;	/* failed, or the server sent everything: no audit */
	if (syncread_misses_disabled(srv) &&
	    (rc = syncread_newly_disabled(src, cfg, st, rd)) != 0)
		return rc;
	state_stage_counts(rd->stage, &c);
	saw = c.relevant + c.gone > 0;
	quiet = state_stage_read_nothing(rd->stage) && !rd->present_phase;
	if (state_stage_finish(rd->stage, rd->present_phase, &c) == -1) {
		rd->state_failed = true;
		return -1;
	}
	first = rd->cookie;
	rd->cookie = NULL;
	return audit_against_full(src, st, first, saw, quiet, rd);
}

int
syncaudit_recheck(struct ldapsrc *src, struct state *st, char *first, struct dir_read *rd)
{
	return audit_against_full(src, st, first, false, false, rd);
}
