/*
 * test_plan.c: from directory entries to desired users (skips and their
 * reasons), and the planner over tables and randomized properties.
 */
#include <stdlib.h>

#include "plan/desired.h"
#include "plan/plan.h"
#include "testlib.h"
#include "util/xmem.h"

static struct imocha_bu bu_items[] = { { 1, "Engineering" }, { 2, "Sales" } };
static const struct imocha_bu_list bus = { bu_items, 2 };

/* A snapshot entry: id, DN, one or two e-mails. */
static void
add_user(struct dir_snapshot *s, const char *id, const char *dn, const char *mail1,
    const char *mail2)
{
	struct dir_user *u;

	s->users = xreallocarray(s->users, s->nusers + 1, sizeof *s->users);
	u = &s->users[s->nusers++];
	*u = (struct dir_user){ .id = xstrdup(id), .dn = xstrdup(dn) };
	if (mail1)
		value_list_add(&u->email, mail1);
	if (mail2)
		value_list_add(&u->email, mail2);
	value_list_add(&u->name, "Some Name");
}

static struct mapping *
test_mapping(struct config *cfg)
{
	*cfg = (struct config){ .match_ou_name = true };
	return mapping_new(cfg, NULL, 0, &bus);
}

static const struct desired_user *
find_dn(const struct desired_set *set, const char *dn)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->users[i].dn, dn) == 0)
			return &set->users[i];
	return NULL;
}

static void
skips_name_their_reason(void)
{
	static const struct { const char *dn, *problem; } want[] = {
		{ "uid=ok,ou=Engineering,dc=x", NULL },
		{ "uid=nomail,ou=Engineering,dc=x", "no e-mail address" },
		{ "uid=bad,ou=Engineering,dc=x", "invalid e-mail address" },
		{ "uid=twin1,ou=Sales,dc=x", "e-mail address shared with uid=twin2" },
		{ "uid=twin2,ou=Sales,dc=x", "e-mail address shared with uid=twin1" },
		{ "uid=lost,ou=Nowhere,dc=x", "no OU above it maps" },
		{ "uid=dup1,ou=Sales,dc=x", "id shared with" },
		{ "uid=dup2,ou=Sales,dc=x", "id shared with" },
	};
	struct dir_snapshot snap = { 0 };
	struct desired_set set;
	struct config cfg;
	struct mapping *m = test_mapping(&cfg);
	size_t nrows;
	struct mirror_entry *rows;

	add_user(&snap, "1", "uid=ok,ou=Engineering,dc=x", "Ok@Example.com", NULL);
	add_user(&snap, "2", "uid=nomail,ou=Engineering,dc=x", NULL, NULL);
	add_user(&snap, "3", "uid=bad,ou=Engineering,dc=x", "not-an-address", NULL);
	add_user(&snap, "4", "uid=twin1,ou=Sales,dc=x", "twin@example.com", NULL);
	add_user(&snap, "5", "uid=twin2,ou=Sales,dc=x", "TWIN@example.com", NULL);
	add_user(&snap, "6", "uid=lost,ou=Nowhere,dc=x", "lost@example.com", NULL);
	add_user(&snap, "7", "uid=dup1,ou=Sales,dc=x", "dup1@example.com", NULL);
	add_user(&snap, "7", "uid=dup2,ou=Sales,dc=x", "dup2@example.com", NULL);
	desired_build(&snap, m, NULL, 0, &set);
	CHECK_INT(set.n, 8);
	CHECK_INT(set.usable, 1);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct desired_user *d = find_dn(&set, want[i].dn);

		CHECK(d != NULL);
		if (d == NULL)
			continue;
		if ((want[i].problem == NULL) != (d->problem == NULL) ||
		    (d->problem && strstr(d->problem, want[i].problem) == NULL)) {
			printf("# %s: problem \"%s\", want \"%s\"\n", want[i].dn,
			    d->problem ? d->problem : "(none)", want[i].problem ? want[i].problem : "(none)");
			testlib_case_failed = 1;
		}
	}
	CHECK_STR(find_dn(&set, "uid=ok,ou=Engineering,dc=x")->email, "Ok@Example.com");
	CHECK_STR(find_dn(&set, "uid=ok,ou=Engineering,dc=x")->email_key, "ok@example.com");
	CHECK_INT(find_dn(&set, "uid=ok,ou=Engineering,dc=x")->bu_id, 1);
	/* Entries sharing an id get no mirror row: the id cannot key them. */
	rows = desired_to_mirror(&set, &nrows);
	CHECK_INT(nrows, 6);
	free(rows);
	desired_release(&set);
	mapping_free(m);
	dir_snapshot_release(&snap);
}

static void
multi_valued_email_keeps_known_value(void)
{
	struct dir_snapshot snap = { 0 };
	struct mirror_entry prev = { .entry_id = "1", .email = "zed@example.com", .name = "Z" };
	struct desired_set set;
	struct config cfg;
	struct mapping *m = test_mapping(&cfg);

	add_user(&snap, "1", "uid=a,ou=Sales,dc=x", "amy@example.com", "zed@example.com");
	desired_build(&snap, m, NULL, 0, &set);
	CHECK_STR(set.users[0].email, "amy@example.com");
	desired_release(&set);
	desired_build(&snap, m, &prev, 1, &set);
	CHECK_STR(set.users[0].email, "zed@example.com");
	desired_release(&set);
	mapping_free(m);
	dir_snapshot_release(&snap);
}

/* ---- the planner over hand-made desired and known sets ---- */

static struct desired_set
want_n(size_t n, size_t nbad)
{
	struct desired_set set = { xcalloc(n + nbad, sizeof *set.users), n + nbad, n };

	for (size_t i = 0; i < n + nbad; i++) {
		struct desired_user *d = &set.users[i];

		d->entry_id = xasprintf("id%05zu", i);
		d->dn = xasprintf("uid=u%05zu,ou=Sales,dc=x", i);
		d->email = xasprintf("U%05zu@example.com", i);
		d->email_key = xasprintf("u%05zu@example.com", i);
		d->name = xasprintf("User %zu", i);
		d->bu_id = 2;
		d->bu_name = xstrdup("Sales");
		if (i >= n)
			d->problem = xstrdup("test: unusable");
	}
	return set;
}

static struct known_user *
known_n(size_t n, size_t from)
{
	struct known_user *k = xcalloc(n ? n : 1, sizeof *k);

	for (size_t i = 0; i < n; i++)
		k[i] = (struct known_user){ .email_key = xasprintf("u%05zu@example.com", from + i),
		    .email = xasprintf("U%05zu@example.com", from + i), .bu_id = 2,
		    .status = KNOWN_ACTIVE, .origin = ORIGIN_CREATED };
	return k;
}

static void
known_free(struct known_user *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(k[i].email_key);
		free(k[i].email);
	}
	free(k);
}

static const struct plan_settings generous = { .deactivate = true,
	.max_creates = { false, 500 }, .max_deactivations = { false, 50 } };

/* The mirror is written by difference: changed and new rows, and the ids
 * of rows gone; nothing at all when nothing changed. */
static void
mirror_written_by_difference(void)
{
	struct desired_set set = want_n(4, 0), before = want_n(4, 0);
	struct mirror_entry *prev, *ups;
	char **dels;
	size_t nprev, nup, ndel;

	prev = desired_to_mirror(&before, &nprev);
	desired_mirror_diff(&set, prev, nprev, &ups, &nup, &dels, &ndel);
	CHECK_INT(nup, 0);
	CHECK_INT(ndel, 0);
	free(ups);
	free(dels);
	/* id00001 changes BU, id00003 leaves, id00009 is new (sorts last) */
	set.users[1].bu_id = 7;
	free(set.users[3].entry_id);
	set.users[3].entry_id = xstrdup("id00009");
	desired_mirror_diff(&set, prev, nprev, &ups, &nup, &dels, &ndel);
	CHECK_INT(nup, 2);
	CHECK(nup == 2 && strcmp(ups[0].entry_id, "id00001") == 0 && ups[0].bu_id == 7);
	CHECK(nup == 2 && strcmp(ups[1].entry_id, "id00009") == 0);
	CHECK_INT(ndel, 1);
	CHECK(ndel == 1 && strcmp(dels[0], "id00003") == 0);
	for (size_t i = 0; i < ndel; i++)
		free(dels[i]);
	free(dels);
	free(ups);
	free(prev);
	desired_release(&before);
	desired_release(&set);
}

static void
creates_exactly_the_missing(void)
{
	struct desired_set want = want_n(10, 2);
	struct known_user *have = known_n(4, 3);	/* u00003..u00006 known */
	struct plan p;

	plan_build(&want, have, 4, &generous, &p);
	CHECK_INT(p.n, 6);
	CHECK_INT(p.creates, 6);
	CHECK_INT(p.in_scope, 10);
	CHECK_INT(p.skipped, 2);
	CHECK_INT(p.stop, PLAN_GO);
	for (size_t i = 0; i < p.n; i++) {
		CHECK_INT(p.changes[i].kind, CHANGE_CREATE);
		CHECK_INT(p.changes[i].new_bu, 2);
		CHECK(strcmp(p.changes[i].email_key, "u00003@example.com") < 0 ||
		    strcmp(p.changes[i].email_key, "u00006@example.com") > 0);
	}
	CHECK_STR(p.changes[0].email, "U00000@example.com");	/* original case */
	CHECK_STR(p.changes[0].reason, "joined");
	plan_release(&p);
	known_free(have, 4);
	desired_release(&want);
}

static void
create_limit_boundaries(void)
{
	static const struct { size_t want, known; struct limit lim; enum plan_stop stop; } cases[] = {
		{ 10, 0, { false, 10 }, PLAN_GO },		/* exactly at the limit */
		{ 11, 0, { false, 10 }, PLAN_STOP_CREATES },	/* one past */
		{ 0, 0, { false, 0 }, PLAN_GO },		/* nothing to do */
		{ 1, 0, { false, 0 }, PLAN_STOP_CREATES },
		{ 100, 90, { true, 10 }, PLAN_GO },		/* 10 creates, 10% of 100 */
		{ 100, 89, { true, 10 }, PLAN_STOP_CREATES },	/* 11 creates */
		{ 95, 86, { true, 10 }, PLAN_GO },		/* 9 of 9.5 rounds down to 9 */
		{ 95, 85, { true, 10 }, PLAN_STOP_CREATES },
		{ 5, 0, { true, 100 }, PLAN_GO },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct desired_set want = want_n(cases[i].want, 0);
		struct known_user *have = known_n(cases[i].known, 0);
		struct plan_settings s = generous;
		struct plan p;

		s.max_creates = cases[i].lim;
		plan_build(&want, have, cases[i].known, &s, &p);
		if (p.stop != cases[i].stop) {
			printf("# case %zu: stop %d, want %d (%zu creates, limit %lu)\n", i,
			    p.stop, cases[i].stop, p.creates, p.create_limit);
			testlib_case_failed = 1;
		}
		plan_release(&p);
		known_free(have, cases[i].known);
		desired_release(&want);
	}
}

static void
empty_read_is_refused(void)
{
	struct desired_set want = want_n(0, 3);		/* three entries, none usable */
	struct known_user *have = known_n(2, 0);
	struct plan p;
	char *msg;

	plan_build(&want, have, 2, &generous, &p);
	CHECK_INT(p.stop, PLAN_STOP_EMPTY_READ);
	msg = plan_stop_message(&p);
	CHECK(msg != NULL && strstr(msg, "no user in scope") != NULL);
	free(msg);
	plan_release(&p);
	plan_build(&want, have, 0, &generous, &p);	/* a new install: nothing managed */
	CHECK_INT(p.stop, PLAN_GO);
	plan_release(&p);
	known_free(have, 2);
	desired_release(&want);
}

static void
limit_message_says_how_to_proceed(void)
{
	struct desired_set want = want_n(3, 0);
	struct plan_settings s = generous;
	struct plan p;
	char *msg;

	s.max_creates = (struct limit){ false, 2 };
	plan_build(&want, NULL, 0, &s, &p);
	msg = plan_stop_message(&p);
	CHECK(msg != NULL);
	CHECK(msg && strstr(msg, "max_creates") && strstr(msg, "3 creates planned") &&
	    strstr(msg, "2 allowed") && strstr(msg, "--force"));
	free(msg);
	plan_release(&p);
	desired_release(&want);
}

/* Property: applying a plan's creates to the known set yields a known set
 * that holds every usable desired user, and planning again is empty. */
static void
apply_then_replan_is_empty(void)
{
	unsigned seed = 20261128;

	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(rand_r(&seed) % 40), bad = (size_t)(rand_r(&seed) % 5);
		struct desired_set want = want_n(n, bad);
		struct known_user *have = xcalloc(n + 1, sizeof *have), *after;
		size_t nhave = 0, nafter = 0;
		struct plan p, again;

		for (size_t i = 0; i < n; i++)
			if (rand_r(&seed) % 3 == 0)
				have[nhave++] = (struct known_user){ .email_key = want.users[i].email_key,
				    .bu_id = 2, .status = KNOWN_ACTIVE };
		plan_build(&want, have, nhave, &generous, &p);
		CHECK_INT(p.creates + nhave, n);
		/* apply: merge the creates into the known set, in key order */
		after = xcalloc(n + 1, sizeof *after);
		for (size_t i = 0, j = 0, c = 0; i < n; i++) {
			if (j < nhave && strcmp(have[j].email_key, want.users[i].email_key) == 0)
				after[nafter++] = have[j++];
			else if (c < p.n && strcmp(p.changes[c].email_key, want.users[i].email_key) == 0)
				after[nafter++] = (struct known_user){ .email_key = p.changes[c++].email_key,
				    .bu_id = 2, .status = KNOWN_ACTIVE };
		}
		CHECK_INT(nafter, n);
		plan_build(&want, after, nafter, &generous, &again);
		CHECK_INT(again.n, 0);
		plan_release(&again);
		plan_release(&p);
		free(after);
		free(have);
		desired_release(&want);
	}
}

/* Property: a plan over a limit always says so (never silently passes). */
static void
limits_always_hold(void)
{
	unsigned seed = 7;

	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(rand_r(&seed) % 60);
		struct plan_settings s = generous;
		struct desired_set want = want_n(n, 0);
		struct plan p;

		s.max_creates = (struct limit){ rand_r(&seed) % 2 == 0,
		    (unsigned long)(rand_r(&seed) % 70) };
		if (s.max_creates.percent && s.max_creates.value > 100)
			s.max_creates.value = 100;
		plan_build(&want, NULL, 0, &s, &p);
		CHECK((p.creates > limit_resolve(&s.max_creates, n)) == (p.stop == PLAN_STOP_CREATES));
		plan_release(&p);
		desired_release(&want);
	}
}

int
main(void)
{
	RUN(skips_name_their_reason);
	RUN(multi_valued_email_keeps_known_value);
	RUN(mirror_written_by_difference);
	RUN(creates_exactly_the_missing);
	RUN(create_limit_boundaries);
	RUN(empty_read_is_refused);
	RUN(limit_message_says_how_to_proceed);
	RUN(apply_then_replan_is_empty);
	RUN(limits_always_hold);
	return TESTLIB_EXIT();
}
