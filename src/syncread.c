/* syncread.c: see syncread.h. */
#include "syncread.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ldapsrc.h"
#include "log.h"
#include "xmem.h"

#define META_COOKIE	"sync_cookie"
#define META_LAST_FULL	"last_full_read"
#define META_OUS	"ou_fingerprint"
#define META_SCOPE	"scope_fingerprint"
#define META_BUS	"bu_fingerprint"

/* FNV-1a, 64 bits: a change detector, not a defence against anyone. */
struct fp {
	uint64_t h;
};

static void
fp_add(struct fp *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : "\x01"); *p; p++)
		f->h = (f->h ^ *p) * 1099511628211ULL;
	f->h = (f->h ^ 0xff) * 1099511628211ULL;	/* field separator */
}

static char *
fp_text(const struct fp *f)
{
	return xasprintf("%016" PRIx64, f->h);
}

/* Everything that decides which users are read and where they map. */
static char *
scope_fingerprint(const struct config *cfg)
{
	struct fp f = { 14695981039346656037ULL };

	fp_add(&f, cfg->base_dn);
	fp_add(&f, cfg->user_filter);
	fp_add(&f, cfg->disabled_filter);
	fp_add(&f, cfg->email_attribute);
	fp_add(&f, cfg->name_attribute);
	fp_add(&f, cfg->id_attribute);
	fp_add(&f, cfg->ou_attribute);
	fp_add(&f, cfg->match_ou_name ? "match" : "nomatch");
	fp_add(&f, cfg->default_business_unit);
	for (size_t i = 0; i < cfg->bu_map_len; i++) {
		fp_add(&f, cfg->bu_map[i].bu);
		fp_add(&f, cfg->bu_map[i].ou_dn);
	}
	return fp_text(&f);
}

static int
ou_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dir_ou *)a)->dn, ((const struct dir_ou *)b)->dn);
}

/* Sorts the OUs (their order is the server's whim) and hashes them. */
static char *
ou_fingerprint(struct dir_snapshot *snap)
{
	struct fp f = { 14695981039346656037ULL };

	if (snap->nous > 1)
		qsort(snap->ous, snap->nous, sizeof *snap->ous, ou_cmp);
	for (size_t i = 0; i < snap->nous; i++) {
		fp_add(&f, snap->ous[i].dn);
		for (size_t v = 0; v < snap->ous[i].bu_attr.n; v++)
			fp_add(&f, snap->ous[i].bu_attr.v[v]);
		fp_add(&f, "\x02");
	}
	return fp_text(&f);
}

static char *
meta(struct state *st, const char *key)
{
	char *v = NULL;

	if (st != NULL && state_meta_get(st, key, &v) == -1)
		v = NULL;	/* logged; a full read is the safe answer */
	return v;
}

/* iMocha's business units: a renamed one changes where users map. */
static char *
bus_fingerprint(const struct imocha_bu_list *bus)
{
	struct fp f = { 14695981039346656037ULL };
	char num[32];

	for (size_t i = 0; i < bus->n; i++) {
		snprintf(num, sizeof num, "%" PRId64, bus->items[i].id);
		fp_add(&f, num);
		fp_add(&f, bus->items[i].name);
	}
	return fp_text(&f);
}

bool
syncread_bus_changed(struct dir_read *rd, struct state *st, const struct imocha_bu_list *bus)
{
	char *stored = meta(st, META_BUS);
	bool changed;

	free(rd->bu_fingerprint);
	rd->bu_fingerprint = bus_fingerprint(bus);
	changed = stored == NULL || strcmp(stored, rd->bu_fingerprint) != 0;
	free(stored);
	return changed;
}

/* Why this run must read in full, or NULL when an incremental read may do. */
static const char *
full_read_reason(const struct config *cfg, struct state *st, const char *scope, bool force)
{
	char *cookie = meta(st, META_COOKIE), *last = meta(st, META_LAST_FULL);
	char *stored = meta(st, META_SCOPE);
	const char *why = NULL;
	long long at = last ? strtoll(last, NULL, 10) : 0;

	if (force)
		why = "--full";
	else if (cookie == NULL)
		why = "no content-sync cookie yet";
	else if (time(NULL) - at >= cfg->full_every)
		why = "full_every has passed";
	else if (stored == NULL || strcmp(stored, scope) != 0)
		why = "the directory or mapping settings changed";
	free(cookie);
	free(last);
	free(stored);
	return why;
}

/* One content-sync read; a server without it is read paged instead, and a
 * cookie the server finds too old is dropped for a full refresh. */
static int
read_once(const struct config *cfg, const char *cookie, struct dir_read *rd)
{
	int rc = ldapsrc_read_sync(cfg, cookie, &rd->delta);

	if (rc == 2 && cookie != NULL) {
		log_info("the directory server asks for a full refresh (the cookie is too old)");
		cookie = NULL;
		rc = ldapsrc_read_sync(cfg, NULL, &rd->delta);
	}
	if (rc == 1) {
		log_info("the directory server does not offer content sync (RFC 4533); "
		    "reading in full with paged searches");
		rd->incremental = false;
		return ldapsrc_read(cfg, &rd->delta.snap);
	}
	if (rc == 0 && cookie == NULL)
		rd->incremental = false;
	return rc == 0 ? 0 : -1;
}

int
syncread_read(const struct config *cfg, struct state *st, bool force_full, struct dir_read *out)
{
	char *cookie = NULL, *stored_ous;
	const char *why;

	*out = (struct dir_read){ 0 };
	out->scope_fingerprint = scope_fingerprint(cfg);
	if (st == NULL)
		return ldapsrc_read(cfg, &out->delta.snap) == -1 ? -1 : 0;
	why = full_read_reason(cfg, st, out->scope_fingerprint, force_full);
	if (why == NULL)
		cookie = meta(st, META_COOKIE);
	out->incremental = cookie != NULL;
	if (read_once(cfg, cookie, out) == -1)
		goto fail;
	out->ou_fingerprint = ou_fingerprint(&out->delta.snap);
	stored_ous = meta(st, META_OUS);
	if (out->incremental && (stored_ous == NULL ||
	    strcmp(stored_ous, out->ou_fingerprint) != 0)) {
		why = "an OU changed";
		dir_delta_release(&out->delta);
		free(out->ou_fingerprint);
		out->incremental = false;
		if (read_once(cfg, NULL, out) == -1) {
			free(stored_ous);
			goto fail;
		}
		out->ou_fingerprint = ou_fingerprint(&out->delta.snap);
	}
	free(stored_ous);
	log_info("directory read %s%s%s", out->incremental ? "incremental" : "in full",
	    why && !out->incremental ? ": " : "", why && !out->incremental ? why : "");
	out->cookie = out->delta.cookie ? xstrdup(out->delta.cookie) : cookie;
	if (out->cookie != cookie)
		free(cookie);
	return 0;
fail:
	free(cookie);
	syncread_release(out);
	return -1;
}

bool
syncread_nothing_changed(const struct dir_read *rd)
{
	return rd->incremental && rd->delta.snap.nusers == 0 && rd->delta.gone.n == 0 &&
	    !rd->delta.present_phase;
}

size_t
syncread_meta(const struct dir_read *rd, char *now_text, size_t now_len, struct state_meta m[6])
{
	size_t n = 0;

	m[n++] = (struct state_meta){ META_COOKIE, rd->cookie };
	m[n++] = (struct state_meta){ META_OUS, rd->ou_fingerprint };
	m[n++] = (struct state_meta){ META_SCOPE, rd->scope_fingerprint };
	m[n++] = (struct state_meta){ META_BUS, rd->bu_fingerprint };
	if (!rd->incremental) {
		snprintf(now_text, now_len, "%lld", (long long)time(NULL));
		m[n++] = (struct state_meta){ META_LAST_FULL, now_text };
	}
	return n;
}

void
syncread_release(struct dir_read *rd)
{
	dir_delta_release(&rd->delta);
	free(rd->cookie);
	free(rd->ou_fingerprint);
	free(rd->scope_fingerprint);
	free(rd->bu_fingerprint);
	*rd = (struct dir_read){ 0 };
}
