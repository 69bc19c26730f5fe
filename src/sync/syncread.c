/* syncread.c: see syncread.h. */
#include "sync/syncread_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync/dirstage.h"
#include "sync/syncgroups.h"
#include "ldap/ldapsrc.h"
#include "util/log.h"
#include "util/xmem.h"

#define META_COOKIE	"sync_cookie"
#define META_LAST_FULL	"last_full_read"
#define META_LAST_READ	"last_read"
/* How far before the last read the search for newly disabled users
 * reaches: the server's clock and the agent's may differ. */
#define DISABLED_SKEW	3600
#define META_OUS	"ou_fingerprint"
#define META_SCOPE	"scope_fingerprint"
#define META_BUS	"bu_fingerprint"
#define META_GROUPS	"group_fingerprint"
/* Members new to the agent read one by one (a base search each) before
 * a full read is cheaper. */
#define MEMBERS_JOINED_MAX	1000

char *
syncread_meta_get(struct state *st, const char *key)
{
	char *v = NULL;

	if (st != NULL && state_meta_get(st, key, &v) == -1)
		v = NULL;	/* logged; a full read is the safe answer */
	return v;
}

/* A stored fingerprint that is missing or differs. */
static bool
meta_differs(struct state *st, const char *key, const char *now)
{
	char *stored = syncread_meta_get(st, key);
	bool differs = stored == NULL || strcmp(stored, now) != 0;

	free(stored);
	return differs;
}

/* Why this run must read in full, or NULL when an incremental read may do
 * (*cookie then holds the stored cookie, owned; else NULL). */
static const char *
full_read_reason(const struct config *cfg, struct state *st, const struct dir_read *rd,
    const char *forced, bool members_incremental, char **cookie_out)
{
	char *cookie = syncread_meta_get(st, META_COOKIE), *last = syncread_meta_get(st, META_LAST_FULL);
	const char *why = NULL;
	long long at = last ? strtoll(last, NULL, 10) : 0;

	if (forced != NULL)
		why = forced;
	else if (cookie == NULL)
		why = "no content-sync cookie yet";
	else if (time(NULL) - at >= cfg->full_every)
		why = "full_every has passed";
	else if (meta_differs(st, META_SCOPE, rd->scope_fingerprint))
		why = "the directory or mapping settings changed";
	else if (meta_differs(st, META_OUS, rd->ou_fingerprint))
		why = "an OU changed";
	else if (meta_differs(st, META_BUS, rd->bu_fingerprint))
		why = "iMocha's business units changed";
	else if (!members_incremental && meta_differs(st, META_GROUPS, rd->group_fingerprint))
		why = "a group's membership changed";
	*cookie_out = why == NULL ? cookie : NULL;
	if (why != NULL)
		free(cookie);
	free(last);
	return why;
}

/* A new, empty stage, and the sink that fills it. */
static int
stage_open(struct state *st, struct dir_read *rd, struct dirstage *ds, struct dir_sink *sink)
{
	state_stage_end(rd->stage);
	rd->stage = NULL;
	if (state_stage_begin(st, rd->incremental, &rd->stage) == -1) {
		rd->state_failed = true;
		return -1;
	}
	value_list_release(&rd->left_by_group);
	*ds = (struct dirstage){ rd->stage, rd->map, false, &rd->groups, rd->incremental,
	    &rd->left_by_group };
	dirstage_sink(ds, sink);
	return 0;
}

/* What a read through ds ended with: rc, or -1 when the stage failed
 * (then the state store, not the directory, is at fault). */
static int
stage_result(struct dir_read *rd, const struct dirstage *ds, int rc)
{
	if (ds->failed) {
		rd->state_failed = true;
		return -1;
	}
	return rc;
}

/* The users in full with paged searches, no cookie kept. */
static int
read_users_paged(struct ldapsrc *src, struct state *st, struct dir_read *rd)
{
	struct dirstage ds;
	struct dir_sink sink;

	rd->incremental = false;
	if (stage_open(st, rd, &ds, &sink) == -1)
		return -1;
	return stage_result(rd, &ds, ldapsrc_users(src, &sink));
}

/* The users who left the groups (syncmembers.h), into an incremental
 * stage: gone, and said so in the plan. */
static int
members_left(struct dir_read *rd)
{
	if (!rd->members_pending)
		return 0;
	rd->members_pending = false;
	for (size_t i = 0; i < rd->members.left_uuids.n; i++)
		if (state_stage_gone(rd->stage, rd->members.left_uuids.v[i]) == -1) {
			rd->state_failed = true;
			return -1;
		}
	for (size_t i = 0; i < rd->members.left_ids.n; i++)
		value_list_add(&rd->left_by_group, rd->members.left_ids.v[i]);
	return 0;
}

/* The users through content sync; a server without it is read paged
 * instead, and a cookie the server finds too old is dropped for a full
 * refresh.  Either way what the stage got so far is thrown away. */
int
syncread_users_sync(struct ldapsrc *src, struct state *st, char *cookie, struct dir_read *rd)
{
	struct dirstage ds;
	struct dir_sink sink;
	struct dir_sync_end end;
	int rc;

	if (stage_open(st, rd, &ds, &sink) == -1)
		return -1;
	if (cookie != NULL && members_left(rd) == -1)
		return -1;
	rc = stage_result(rd, &ds, ldapsrc_users_sync(src, cookie, &sink, &end));
	if (rc == 2 && cookie != NULL) {	/* the reader said why */
		rd->incremental = false;
		cookie = NULL;
		if (stage_open(st, rd, &ds, &sink) == -1)
			return -1;
		rc = stage_result(rd, &ds, ldapsrc_users_sync(src, NULL, &sink, &end));
	}
	if (rc == 1)	/* not offered after all: ldapsync.c said why */
		return read_users_paged(src, st, rd);
	if (rc != 0)
		return -1;
	rd->present_phase = end.present_phase;
	rd->cookie = end.cookie ? end.cookie : xstrdup(cookie);
	return 0;
}

int
syncread_ous(const struct config *cfg, struct dir_read *out)
{
	struct ldapsrc *src;
	int rc;

	*out = (struct dir_read){ 0 };
	out->scope_fingerprint = syncread_scope_fingerprint(cfg);
	if (ldapsrc_open(cfg, &src) == -1) {
		syncread_release(out);
		return -1;
	}
	rc = ldapsrc_ous(src, &out->ous);
	if (ldapsrc_dc_identity(src) != NULL)
		out->ous_dc = xstrdup(ldapsrc_dc_identity(src));
	dir_references_add(&out->ou_refs, ldapsrc_references(src));
	if (rc == 0)
		rc = syncgroups_read(src, cfg, &out->ous, &out->groups);
	ldapsrc_close(src);
	if (rc == -1) {
		syncread_release(out);
		return -1;
	}
	out->ou_fingerprint = syncread_ou_fingerprint(&out->ous);
	out->group_fingerprint = syncread_group_fingerprint(&out->groups);
	out->group_counts = syncgroups_counts(&out->groups);
	return 0;
}

/*
 * Why this server's incremental reads are not used at all, or NULL when
 * they may be (SPEC.md, Trust).  OpenLDAP's syncprov reports what left as
 * RFC 4533 says, and AD's DirSync is read so that nothing rests on what it
 * leaves out (ldapdirsync.c); 389 says "all the rest is gone" on every
 * refresh and leaves out entries that left the filter
 * (DIRECTORY_SERVERS.md), so under content_sync = auto it and every other
 * server are read in full.  *fatal: content_sync = yes against a server
 * that offers neither (exit 3).
 */
static const char *
incremental_refused(const struct config *cfg, const struct dir_server *srv, bool *fatal)
{
	bool dirsync = srv->family == DIR_FAMILY_AD && srv->offers_dirsync;

	*fatal = false;
	if (cfg->content_sync == CONTENT_SYNC_NO)
		return "content_sync = no";
	if (!srv->offers_content_sync && !dirsync) {
		*fatal = cfg->content_sync == CONTENT_SYNC_YES;
		return "the directory server offers no incremental reads (RFC 4533 content "
		    "sync, or AD's DirSync)";
	}
	if (cfg->content_sync == CONTENT_SYNC_AUTO && srv->family != DIR_FAMILY_OPENLDAP &&
	    !dirsync)
		return "incremental reads are trusted only on OpenLDAP's syncprov and AD's "
		    "DirSync (content_sync = auto)";
	return NULL;
}

bool
syncread_misses_disabled(const struct dir_server *srv)
{
	/* DirSync is asked for the disabled filter's attributes: it names
	 * the entry (ldapdirsync.c). */
	return srv->family != DIR_FAMILY_OPENLDAP && srv->family != DIR_FAMILY_AD;
}

struct disabled_ctx {
	struct dir_read *rd;
	size_t found;
};

/* A user disabled since the last read: gone, by the entryUUID its mirror
 * row has (the stage merges the mirror by it). */
static int
disabled_found(void *ctx, const char *id)
{
	struct disabled_ctx *c = ctx;
	struct mirror_entry m;
	int found = state_stage_mirror_row(c->rd->stage, id, &m), rc = 0;

	if (found == 1 && m.in_scope && m.uuid != NULL) {
		rc = state_stage_gone(c->rd->stage, m.uuid);
		c->found++;
	}
	if (found == 1)
		state_mirror_release(&m);
	if (found == -1 || rc == -1) {
		c->rd->state_failed = true;
		return -1;
	}
	return 0;
}

/*
 * Servers other than OpenLDAP do not report an entry that a change takes
 * out of the search filter (389: DIRECTORY_SERVERS.md), so a user newly
 * disabled would stay in scope for incremental reads.  After such a read,
 * the users that match disabled_filter and changed since the last read
 * (modifyTimestamp, with a margin for the clocks) are taken as gone; like
 * every leaver they are confirmed before anything is done.
 */
int
syncread_newly_disabled(struct ldapsrc *src, const struct config *cfg, struct state *st,
    struct dir_read *rd)
{
	char *last = syncread_meta_get(st, META_LAST_READ);
	struct disabled_ctx c = { rd, 0 };
	int rc = 0;

	if (cfg->disabled_filter != NULL && cfg->disabled_filter[0] != '\0' && last != NULL)
		rc = ldapsrc_disabled_since(src, (time_t)strtoll(last, NULL, 10) - DISABLED_SKEW,
		    disabled_found, &c);
	if (rc == 0 && c.found > 0)
		log_info("%zu users in scope at the last read match disabled_filter now; they "
		    "are confirmed as leavers", c.found);
	free(last);
	return rc;
}

/* The stored cookie may be compared with a full read now: the settings,
 * OUs and business units are those it was read under. */
static bool
audit_comparable(struct state *st, const struct dir_read *rd, const char *stored)
{
	return stored != NULL && !meta_differs(st, META_SCOPE, rd->scope_fingerprint) &&
	    !meta_differs(st, META_OUS, rd->ou_fingerprint) &&
	    !meta_differs(st, META_GROUPS, rd->group_fingerprint) &&
	    !meta_differs(st, META_BUS, rd->bu_fingerprint);
}

/*
 * The groups' membership changed, on AD, where incremental reads cannot
 * see that (syncmembers.h): who left and who joined, worked out against
 * the mirror and applied to this run's incremental read.  NULL, or why
 * the read is in full instead.
 */
static const char *
members_changed(struct ldapsrc *src, struct state *st, struct dir_read *rd)
{
	syncmembers_release(&rd->members);
	rd->members_pending = false;
	if (syncmembers_delta(st, &rd->groups, &rd->members) == -1)
		return "the mirror could not be read to follow the groups' membership";
	if (rd->members.joined_dns.n > MEMBERS_JOINED_MAX)
		return "a group's membership changed (more joined than are read one by one)";
	log_info("the groups' membership changed: %zu entries left them, %zu members under "
	    "base_dn are new to the agent and are read again", rd->members.left_uuids.n,
	    rd->members.joined_dns.n);
	rd->members_pending = true;
	ldapsrc_also_read(src, &rd->members.joined_dns);
	return NULL;
}

/*
 * A server whose content sync may be used: incrementally when it is
 * trusted (or content_sync = yes), else in full; and an audit (an
 * incremental read, then a full one, compared: syncaudit.c) when a read
 * in full is due anyway, or the server is not trusted yet.  *why says why
 * the read is in full, NULL when it is incremental.
 */
static int
read_users_content_sync(struct ldapsrc *src, const struct config *cfg, struct state *st,
    const char *full_because, const struct dir_server *srv, struct dir_read *rd,
    const char **why)
{
	char *cookie = NULL, *stored;
	bool distrusted, members_incremental;
	int rc;

	syncaudit_load(cfg, st, ldapsrc_uri(src), &rd->audit);
	/* Not on a server whose incremental reads no audit has judged yet:
	 * a change of membership makes the run read in full (and audit
	 * later), as on every other server. */
	members_incremental = srv->family == DIR_FAMILY_AD && srv->offers_dirsync &&
	    syncmembers_applies(&rd->groups) && rd->audit.verdict != AUDIT_NONE;
	distrusted = rd->audit.verdict == AUDIT_UNTRUSTED &&
	    cfg->content_sync == CONTENT_SYNC_AUTO;
	if (rd->audit.verdict == AUDIT_UNTRUSTED)
		log_warnx("LDAP %s: an audit found this server's incremental reads wrong (%s); %s",
		    ldapsrc_uri(src), rd->audit.detail, distrusted ?
		    "they are not used ([ldap] content_sync = auto); 'ldap2imocha reset-trust' "
		    "clears the verdict" : "they are used all the same ([ldap] content_sync = yes)");
	*why = full_read_reason(cfg, st, rd, full_because, members_incremental, &cookie);
	if (distrusted && *why == NULL)
		*why = "an audit found this server's incremental reads wrong (content_sync = auto)";
	if (*why == NULL && !distrusted && members_incremental &&
	    meta_differs(st, META_GROUPS, rd->group_fingerprint) &&
	    (*why = members_changed(src, st, rd)) != NULL) {
		free(cookie);
		cookie = NULL;
	}
	stored = syncread_meta_get(st, META_COOKIE);
	/* An audit on the full reads that come anyway (--full too), and on
	 * every read of a server not trusted yet; not when the trust rules
	 * already found this run's incremental read wrong. */
	if ((full_because == NULL || strcmp(full_because, SYNCREAD_FULL_ASKED) == 0) &&
	    !distrusted && audit_comparable(st, rd, stored) &&
	    (*why != NULL || rd->audit.verdict == AUDIT_NONE)) {
		if (*why == NULL)
			*why = "auditing the server's incremental reads (not trusted yet)";
		rc = syncaudit_run(src, cfg, st, stored, srv, rd);
	} else {
		if (distrusted) {
			free(cookie);
			cookie = NULL;
		}
		rd->incremental = cookie != NULL;
		rc = syncread_users_sync(src, st, cookie, rd);
		if (rc == 0 && rd->incremental && syncread_misses_disabled(srv))
			rc = syncread_newly_disabled(src, cfg, st, rd);
	}
	free(stored);
	free(cookie);
	return rc;
}

/*
 * AD names each domain controller (ldapsrc_dc_identity).  A run whose
 * connections reached different ones (a name answered by any DC) may
 * have read the OUs and the users at different points of replication:
 * it reads in full.  NULL when they agree.
 */
static const char *
dc_differs(struct ldapsrc *src, const struct dir_read *rd)
{
	const char *users_dc = ldapsrc_dc_identity(src);

	if (users_dc == NULL && rd->ous_dc == NULL)
		return NULL;
	if (users_dc != NULL && rd->ous_dc != NULL && strcmp(users_dc, rd->ous_dc) == 0)
		return NULL;
	log_info("LDAP %s: this run's connections reached different domain controllers (%s for "
	    "the OUs, %s for the users); reading in full", ldapsrc_uri(src),
	    rd->ous_dc ? rd->ous_dc : "one that did not say", users_dc ? users_dc :
	    "one that did not say");
	return "this run's connections reached different domain controllers";
}

/* The decision, then the users into the stage. */
static int
read_users(struct ldapsrc *src, const struct config *cfg, struct state *st,
    const char *full_because, char *first, struct dir_read *rd)
{
	const char *why;
	struct dir_server srv = { 0 };
	bool fatal = false;
	int rc;

	ldapsrc_server(src, &srv);
	if (full_because == NULL && srv.family == DIR_FAMILY_AD)
		full_because = dc_differs(src, rd);
	why = incremental_refused(cfg, &srv, &fatal);
	if (fatal) {
		log_errorx("LDAP %s: content_sync = yes, but %s (%s) offers no incremental "
		    "reads (RFC 4533 content sync, or AD's DirSync); set [ldap] content_sync = "
		    "auto or no", ldapsrc_uri(src),
		    dir_family_str(srv.family), srv.vendor ? srv.vendor : "no vendor named");
		dir_server_release(&srv);
		return -1;
	}
	if (why == NULL)
		rc = first != NULL ? syncaudit_recheck(src, st, first, rd) :
		    read_users_content_sync(src, cfg, st, full_because, &srv, rd, &why);
	else
		rc = read_users_paged(src, st, rd);
	/* Chosen incremental, read in full: the server would not send changes
	 * only (read_users_sync said why). */
	if (why == NULL)
		why = "the server sent every entry";
	if (rc == 0)
		log_info("directory read %s%s%s", rd->incremental ? "incremental" : "in full",
		    !rd->incremental ? ": " : "", !rd->incremental ? why : "");
	dir_server_release(&srv);
	return rc;
}

int
syncread_users(const struct config *cfg, struct state *st, const char *full_because,
    const struct imocha_bu_list *bus, struct dir_read *rd)
{
	char *first;
	bool recheck;
	int rc = -1;

	/* A read again replaces what the last one made. */
	snprintf(rd->read_at, sizeof rd->read_at, "%lld", (long long)time(NULL));
	rd->present_phase = false;
	rd->state_failed = false;
	free(rd->bu_fingerprint);
	/* Read again in full because this run's incremental read proved
	 * wrong (trust.h): its finished stage and cookie are the first half
	 * of an audit. */
	recheck = full_because != NULL && strcmp(full_because, SYNCREAD_FULL_ASKED) != 0 &&
	    rd->incremental && rd->stage != NULL && rd->cookie != NULL;
	first = recheck ? rd->cookie : NULL;
	if (!recheck)
		free(rd->cookie);
	rd->cookie = NULL;
	mapping_free(rd->map);
	rd->bu_fingerprint = syncread_bus_fingerprint(bus);
	rd->map = mapping_new(cfg, rd->ous.ous, rd->ous.nous, bus);
	mapping_set_groups(rd->map, &rd->groups);
	/* A connection of its own: the OUs' may have gone idle while iMocha
	 * was asked for its business units, and servers close idle ones. */
	if (rd->src != NULL || ldapsrc_open(cfg, &rd->src) == 0) {
		rc = read_users(rd->src, cfg, st, full_because, first, rd);
		dir_references_release(&rd->refs);
		dir_references_add(&rd->refs, &rd->ou_refs);
		dir_references_add(&rd->refs, ldapsrc_references(rd->src));
	} else
		free(first);
	if (rc == -1)
		return rd->state_failed ? -2 : -1;
	/* Nothing at all, not even base_dn: an account without read rights
	 * (389 answers an anonymous bind so), not an empty directory.  No
	 * --force may take that for everyone leaving. */
	if (!rd->incremental && rd->ous.nous == 0 && state_stage_read_nothing(rd->stage) &&
	    !ldapsrc_base_readable(rd->src)) {
		log_errorx("LDAP %s: nothing under base_dn %s can be read, not even base_dn "
		    "itself: the bind account (bind_dn) lacks read rights, or base_dn is "
		    "hidden from it; the read is incomplete, nothing will be changed",
		    ldapsrc_uri(rd->src), cfg->base_dn);
		return -1;
	}
	if (rd->refs.n > 0)
		log_info("met %zu search continuation references: the parts of the directory "
		    "they name were not read, and the users last seen there are held as they "
		    "are", rd->refs.n);
	return 0;
}

void
syncread_close(struct dir_read *rd)
{
	ldapsrc_close(rd->src);
	rd->src = NULL;
}

size_t
syncread_meta(const struct dir_read *rd, struct state_meta m[SYNCREAD_META_MAX])
{
	size_t n = 0;

	m[n++] = (struct state_meta){ META_COOKIE, rd->cookie };
	m[n++] = (struct state_meta){ META_OUS, rd->ou_fingerprint };
	m[n++] = (struct state_meta){ META_SCOPE, rd->scope_fingerprint };
	m[n++] = (struct state_meta){ META_BUS, rd->bu_fingerprint };
	m[n++] = (struct state_meta){ META_GROUPS, rd->group_fingerprint };
	m[n++] = (struct state_meta){ SYNCREAD_META_GROUP_COUNTS, rd->group_counts };
	m[n++] = (struct state_meta){ META_LAST_READ, rd->read_at };
	if (rd->audit.changed)
		m[n++] = (struct state_meta){ rd->audit.key, rd->audit.value };
	if (rd->audit.misses_total != NULL)
		m[n++] = (struct state_meta){ META_MISSES_TOTAL, rd->audit.misses_total };
	if (!rd->incremental)
		m[n++] = (struct state_meta){ META_LAST_FULL, rd->read_at };
	return n;
}

void
syncread_release(struct dir_read *rd)
{
	free(rd->audit.key);
	free(rd->audit.detail);
	free(rd->audit.value);
	free(rd->audit.misses_total);
	syncread_close(rd);
	dir_references_release(&rd->refs);
	dir_references_release(&rd->ou_refs);
	state_stage_end(rd->stage);
	mapping_free(rd->map);
	dir_snapshot_release(&rd->ous);
	free(rd->cookie);
	free(rd->ou_fingerprint);
	free(rd->scope_fingerprint);
	free(rd->bu_fingerprint);
	group_scope_release(&rd->groups);
	free(rd->group_fingerprint);
	free(rd->group_counts);
	value_list_release(&rd->left_by_group);
	free(rd->ous_dc);
	syncmembers_release(&rd->members);
	*rd = (struct dir_read){ 0 };
}
