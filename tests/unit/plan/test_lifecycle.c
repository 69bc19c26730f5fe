/*
 * test_lifecycle.c: the planner through every transition of a user's life
 * (SPEC.md, Rules of the reconciliation), the deactivation limit at its
 * boundaries, and randomized properties: applying a plan to the known
 * state yields the desired state, and planning again then is empty.
 */
#include <stdlib.h>

/* The tables below leave trailing fields out on purpose (zero). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "plan/plan.h"
#include "testlib.h"
#include "util/xmem.h"

/* A desired entry: id, e-mail, BU, problem (NULL: usable), name, name_was. */
struct want_row {
	const char *id, *email;
	int64_t bu;
	const char *problem, *name, *name_was;
};

/* A known user: e-mail, entry id, BU, active?, origin. */
struct have_row {
	const char *email, *id;
	int64_t bu;
	bool active;
	enum known_origin origin;
};

#define MAXROWS 6

struct lifecase {
	const char *name;
	struct want_row want[MAXROWS];
	struct have_row have[MAXROWS];
	bool keep_leavers;	/* deactivate = no */
	const char *changes;	/* "kind email old>new; ..." in plan order */
	const char *reason;	/* a substring of the first change's reason, or NULL */
	size_t notes;
};

static int
want_cmp(const void *a, const void *b)
{
	const struct desired_user *x = a, *y = b;

	if (!x->email_key || !y->email_key)
		return (x->email_key == NULL) - (y->email_key == NULL);
	return strcmp(x->email_key, y->email_key);
}

static int
have_cmp(const void *a, const void *b)
{
	return strcmp(((const struct known_user *)a)->email_key,
	    ((const struct known_user *)b)->email_key);
}

static struct desired_set
make_want(const struct want_row *rows)
{
	struct desired_set set = { xcalloc(MAXROWS, sizeof *set.users), 0, 0 };

	for (; rows->id != NULL; rows++) {
		struct desired_user *d = &set.users[set.n++];

		d->entry_id = xstrdup(rows->id);
		d->dn = xasprintf("uid=%s,ou=People,dc=x", rows->id);
		d->email = xstrdup(rows->email);
		d->email_key = rows->email ? xstrdup_lower(rows->email) : NULL;
		d->name = xstrdup(rows->name ? rows->name : rows->id);
		d->name_was = xstrdup(rows->name_was);
		d->bu_id = rows->bu;
		d->problem = xstrdup(rows->problem);
		if (d->problem == NULL)
			set.usable++;
	}
	qsort(set.users, set.n, sizeof *set.users, want_cmp);
	return set;
}

static struct known_user *
make_have(const struct have_row *rows, size_t *n)
{
	struct known_user *k = xcalloc(MAXROWS, sizeof *k);

	for (*n = 0; rows->email != NULL; rows++, (*n)++)
		k[*n] = (struct known_user){ .email_key = xstrdup_lower(rows->email),
		    .email = xstrdup(rows->email), .entry_id = xstrdup(rows->id),
		    .full_name = xstrdup(rows->email), .bu_id = rows->bu,
		    .status = rows->active ? KNOWN_ACTIVE : KNOWN_INACTIVE, .origin = rows->origin };
	qsort(k, *n, sizeof *k, have_cmp);
	return k;
}

static void
free_have(struct known_user *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_known_release(&k[i]);
	free(k);
}

static char *
describe(const struct plan *p)
{
	char *s = xstrdup("");

	for (size_t i = 0; i < p->n; i++) {
		const struct change *c = &p->changes[i];
		char *next = xasprintf("%s%s%s %s %lld>%lld", s, i ? "; " : "",
		    change_kind_str(c->kind), c->email, (long long)c->old_bu, (long long)c->new_bu);

		free(s);
		s = next;
	}
	return s;
}

static const struct plan_settings defaults = { .deactivate = true,
	.max_creates = { false, 500 }, .max_deactivations = { false, 50 } };

static void
run_lifecase(const struct lifecase *lc)
{
	struct desired_set want = make_want(lc->want);
	size_t nhave;
	struct known_user *have = make_have(lc->have, &nhave);
	struct plan_settings s = defaults;
	struct plan p;
	char *got;

	s.deactivate = !lc->keep_leavers;
	plan_build(&want, have, nhave, &s, &p);
	got = describe(&p);
	if (strcmp(got, lc->changes) != 0) {
		printf("# %s:\n#   got  \"%s\"\n#   want \"%s\"\n", lc->name, got, lc->changes);
		testlib_case_failed = 1;
	}
	if (lc->reason && (p.n == 0 || strstr(p.changes[0].reason, lc->reason) == NULL)) {
		printf("# %s: reason \"%s\" lacks \"%s\"\n", lc->name,
		    p.n ? p.changes[0].reason : "(no change)", lc->reason);
		testlib_case_failed = 1;
	}
	if (p.nnotes != lc->notes) {
		printf("# %s: %zu notes, want %zu\n", lc->name, p.nnotes, lc->notes);
		testlib_case_failed = 1;
	}
	free(got);
	plan_release(&p);
	free_have(have, nhave);
	desired_release(&want);
}

#define A ORIGIN_ADOPTED
#define C ORIGIN_CREATED
#define I ORIGIN_IMPORTED

static const struct lifecase cases[] = {
	{ "new user is created",
	  { { "1", "new@x.com", 10 } }, { { 0 } },
	  false, "create new@x.com -1>10", "joined", 0 },
	{ "user whose OU maps to another BU is moved",
	  { { "1", "a@x.com", 11 } }, { { "a@x.com", "1", 10, true, C } },
	  false, "move a@x.com 10>11", "another business unit", 0 },
	{ "renamed or moved DN, same BU: nothing",
	  { { "1", "a@x.com", 10 } }, { { "a@x.com", "1", 10, true, C } },
	  false, "", NULL, 0 },
	{ "user gone from the read is deactivated",
	  { { "2", "b@x.com", 10 } }, { { "a@x.com", "1", 10, true, C }, { "b@x.com", "2", 10, true, C } },
	  false, "deactivate a@x.com 10>10", "left the directory scope", 0 },
	{ "leaver kept under deactivate = no",
	  { { "2", "b@x.com", 10 } }, { { "a@x.com", "1", 10, true, C }, { "b@x.com", "2", 10, true, C } },
	  true, "", NULL, 0 },
	{ "re-enabled user is reactivated",
	  { { "1", "a@x.com", 10 } }, { { "a@x.com", "1", 10, false, C } },
	  false, "reactivate a@x.com 10>10", "returned", 0 },
	{ "inactive user not reactivated under deactivate = no",
	  { { "1", "a@x.com", 10 } }, { { "a@x.com", "1", 10, false, C } },
	  true, "", NULL, 0 },
	{ "returned with a new entry id: same account, reactivated, not created",
	  { { "9", "A@x.com", 10 } }, { { "a@x.com", "1", 10, false, C } },
	  false, "reactivate A@x.com 10>10", "returned", 0 },
	{ "returned into another BU: reactivated, then moved",
	  { { "1", "a@x.com", 12 } }, { { "a@x.com", "1", 10, false, C } },
	  false, "reactivate a@x.com 10>12; move a@x.com 10>12", NULL, 0 },
	{ "e-mail changed: old deactivated, new created",
	  { { "1", "new@x.com", 10 } }, { { "old@x.com", "1", 10, true, C } },
	  false, "deactivate old@x.com 10>10; create new@x.com -1>10", "changed to new@x.com", 0 },
	{ "e-mail changed under deactivate = no: created, old left and noted",
	  { { "1", "new@x.com", 10 } }, { { "old@x.com", "1", 10, true, C } },
	  true, "create new@x.com -1>10", "changed from old@x.com", 1 },
	{ "unmapped after a move: held where it is",
	  { { "1", "a@x.com", BU_NONE, "no OU above it maps" } }, { { "a@x.com", "1", 10, true, C } },
	  false, "", NULL, 0 },
	{ "became invalid (bad e-mail) while in scope: held",
	  { { "1", "not-an-address", BU_NONE, "invalid e-mail address" } },
	  { { "a@x.com", "1", 10, true, C } },
	  false, "", NULL, 0 },
	{ "e-mail now shared with another entry: held",
	  { { "1", "a@x.com", 10, "e-mail address shared" }, { "2", "a@x.com", 10, "e-mail address shared" } },
	  { { "a@x.com", "1", 10, true, C } },
	  false, "", NULL, 0 },
	{ "imported and out of scope: deactivated",
	  { { "1", "a@x.com", 10 } }, { { "a@x.com", "1", 10, true, C }, { "gone@x.com", NULL, 10, true, I } },
	  false, "deactivate gone@x.com 10>10", "export", 0 },
	{ "imported, in scope but inactive in iMocha: reactivated",
	  { { "1", "a@x.com", 10 } }, { { "a@x.com", NULL, 10, false, I } },
	  false, "reactivate a@x.com 10>10", NULL, 0 },
	{ "imported in scope, BU unknown: placed",
	  { { "1", "a@x.com", 10 } }, { { "a@x.com", NULL, BU_NONE, true, I } },
	  false, "move a@x.com -1>10", "adopted", 0 },
	{ "adopted on create, BU unknown: placed",
	  { { "1", "a@x.com", 10 } }, { { "a@x.com", "1", BU_NONE, true, A } },
	  false, "move a@x.com -1>10", "adopted", 0 },
	{ "inactive and gone: nothing",
	  { { "2", "b@x.com", 10 } }, { { "a@x.com", "1", 10, false, C }, { "b@x.com", "2", 10, true, C } },
	  false, "", NULL, 0 },
	{ "display name changed: noted, not sent",
	  { { "1", "a@x.com", 10, NULL, "Ann New", "Ann Old" } }, { { "a@x.com", "1", 10, true, C } },
	  false, "", NULL, 1 },
	{ "order: deactivations free seats before creates",
	  { { "3", "c@x.com", 10 }, { "1", "a@x.com", 11 } },
	  { { "a@x.com", "1", 10, true, C }, { "z@x.com", "5", 10, true, C } },
	  false, "deactivate z@x.com 10>10; move a@x.com 10>11; create c@x.com -1>10", NULL, 0 },
};

static void
every_transition(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_lifecase(&cases[i]);
}

/* Deactivations against max_deactivations; moves and reactivations count
 * toward neither limit; an e-mail change counts toward both. */
static void
deactivation_limit_boundaries(void)
{
	static const struct { size_t known, stay, inactive; struct limit lim; enum plan_stop stop; } cs[] = {
		{ 10, 7, 0, { false, 3 }, PLAN_GO },			/* 3 leave, 3 allowed */
		{ 10, 6, 0, { false, 3 }, PLAN_STOP_DEACTIVATIONS },	/* 4 leave */
		{ 10, 9, 0, { true, 10 }, PLAN_GO },			/* 1 of 10 active = 10% */
		{ 10, 8, 0, { true, 10 }, PLAN_STOP_DEACTIVATIONS },
		{ 20, 18, 0, { true, 10 }, PLAN_GO },			/* 2 of 20 */
		{ 10, 9, 0, { false, 0 }, PLAN_STOP_DEACTIVATIONS },
		{ 10, 10, 5, { false, 0 }, PLAN_GO },			/* 5 reactivations */
	};

	for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++) {
		struct desired_set want = { xcalloc(cs[c].known, sizeof *want.users), cs[c].stay, cs[c].stay };
		struct known_user *have = xcalloc(cs[c].known, sizeof *have);
		struct plan_settings s = defaults;
		struct plan p;

		for (size_t i = 0; i < cs[c].known; i++) {
			char *mail = xasprintf("u%03zu@x.com", i), *id = xasprintf("%03zu", i);

			have[i] = (struct known_user){ .email_key = xstrdup(mail), .email = xstrdup(mail),
			    .entry_id = xstrdup(id), .bu_id = 10,
			    .status = i < cs[c].inactive ? KNOWN_INACTIVE : KNOWN_ACTIVE };
			if (i < cs[c].stay)
				want.users[i] = (struct desired_user){ .entry_id = id, .email = mail,
				    .email_key = xstrdup(mail), .name = xstrdup(mail), .bu_id = 11,
				    .dn = xstrdup(id) };
			else {
				free(mail);
				free(id);
			}
		}
		s.max_deactivations = cs[c].lim;
		plan_build(&want, have, cs[c].known, &s, &p);
		if (p.stop != cs[c].stop) {
			printf("# case %zu: stop %d, want %d (%zu deactivations, limit %lu)\n", c,
			    p.stop, cs[c].stop, p.deactivations, p.deactivation_limit);
			testlib_case_failed = 1;
		}
		CHECK_INT(p.moves, cs[c].stay);		/* every stayer moved: never counted */
		plan_release(&p);
		free_have(have, cs[c].known);
		desired_release(&want);
	}
}

static void
email_change_counts_toward_both_limits(void)
{
	const struct lifecase *lc = &cases[9];
	struct desired_set want = make_want(lc->want);
	size_t nhave;
	struct known_user *have = make_have(lc->have, &nhave);
	struct plan_settings s = defaults;
	struct plan p;

	s.max_creates = (struct limit){ false, 1 };
	s.max_deactivations = (struct limit){ false, 0 };
	plan_build(&want, have, nhave, &s, &p);
	CHECK_INT(p.creates, 1);
	CHECK_INT(p.deactivations, 1);
	CHECK_INT(p.stop, PLAN_STOP_DEACTIVATIONS);
	plan_release(&p);
	s.max_creates = (struct limit){ false, 0 };
	plan_build(&want, have, nhave, &s, &p);
	CHECK_INT(p.stop, PLAN_STOP_CREATES);
	plan_release(&p);
	free_have(have, nhave);
	desired_release(&want);
}

static void
deferred_users_leave_the_plan(void)
{
	static const struct want_row rows[] = { { "1", "a@x.com", 10 }, { "2", "b@x.com", 10 },
		{ "3", "c@x.com", 10 }, { 0 } };
	struct desired_set want = make_want(rows);
	char *keys[] = { "b@x.com", "zz@x.com" };
	struct plan_settings s = defaults;
	struct plan p;
	char *got;

	s.max_creates = (struct limit){ false, 2 };
	plan_build(&want, NULL, 0, &s, &p);
	CHECK_INT(p.stop, PLAN_STOP_CREATES);
	CHECK_INT(plan_defer(&p, keys, 2, &s), 1);
	got = describe(&p);
	CHECK_STR(got, "create a@x.com -1>10; create c@x.com -1>10");
	CHECK_INT(p.creates, 2);
	CHECK_INT(p.stop, PLAN_GO);	/* a deferred change counts toward no limit */
	free(got);
	plan_release(&p);
	desired_release(&want);
}

/* ---- randomized properties ---- */

/* Apply p to have (as iMocha would), returning the new known set. */
static struct known_user *
simulate(const struct plan *p, const struct known_user *have, size_t nhave, size_t *nout)
{
	struct known_user *k = xcalloc(nhave + p->n + 1, sizeof *k);

	*nout = nhave;
	for (size_t i = 0; i < nhave; i++)
		k[i] = (struct known_user){ .email_key = xstrdup(have[i].email_key),
		    .email = xstrdup(have[i].email), .entry_id = xstrdup(have[i].entry_id),
		    .bu_id = have[i].bu_id, .status = have[i].status, .origin = have[i].origin };
	for (size_t c = 0; c < p->n; c++) {
		const struct change *ch = &p->changes[c];
		struct known_user *hit = NULL;

		for (size_t i = 0; i < *nout; i++)
			if (strcmp(k[i].email_key, ch->email_key) == 0)
				hit = &k[i];
		if (ch->kind == CHANGE_CREATE) {
			k[(*nout)++] = (struct known_user){ .email_key = xstrdup(ch->email_key),
			    .email = xstrdup(ch->email), .entry_id = xstrdup(ch->entry_id),
			    .bu_id = ch->new_bu, .status = KNOWN_ACTIVE };
			continue;
		}
		if (hit == NULL) {
			printf("# change for unknown user %s\n", ch->email_key);
			testlib_case_failed = 1;
			continue;
		}
		if (ch->kind == CHANGE_MOVE)
			hit->bu_id = ch->new_bu;
		hit->status = ch->kind == CHANGE_DEACTIVATE ? KNOWN_INACTIVE :
		    ch->kind == CHANGE_REACTIVATE ? KNOWN_ACTIVE : hit->status;
		free(hit->entry_id);
		hit->entry_id = xstrdup(ch->entry_id);
	}
	qsort(k, *nout, sizeof *k, have_cmp);
	return k;
}

/* The desired state holds: every usable user active in its BU, every known
 * user outside the directory inactive (deactivate = yes). */
static void
check_desired_state(const struct desired_set *want, const struct known_user *k, size_t n)
{
	for (size_t i = 0; i < want->n; i++) {
		const struct desired_user *d = &want->users[i];
		const struct known_user *hit = NULL;

		if (d->problem)
			continue;
		for (size_t j = 0; j < n; j++)
			if (strcmp(k[j].email_key, d->email_key) == 0)
				hit = &k[j];
		CHECK(hit != NULL && hit->status == KNOWN_ACTIVE && hit->bu_id == d->bu_id);
	}
	for (size_t j = 0; j < n; j++) {
		bool wanted = false;

		for (size_t i = 0; i < want->n; i++)
			if (want->users[i].email_key && strcmp(want->users[i].email_key, k[j].email_key) == 0)
				wanted = true;
		CHECK(wanted || k[j].status == KNOWN_INACTIVE);
	}
}

static void
random_rows(unsigned *seed, struct want_row *w, struct have_row *h, char names[][2][16])
{
	size_t nw = 0, nh = 0;

	memset(w, 0, MAXROWS * sizeof *w);
	memset(h, 0, MAXROWS * sizeof *h);
	for (int u = 0; u < 5; u++) {
		int mail = rand_r(seed) % 7;

		snprintf(names[u][0], 16, "%d", u);
		snprintf(names[u][1], 16, "m%d@x.com", mail);
		if (rand_r(seed) % 4 != 0 && nw < MAXROWS - 1) {
			bool dup = false;

			for (size_t i = 0; i < nw; i++)
				dup |= strcmp(w[i].email, names[u][1]) == 0;
			if (!dup)
				w[nw++] = (struct want_row){ names[u][0], names[u][1], 10 + rand_r(seed) % 3 };
		}
		if (rand_r(seed) % 2 == 0 && nh < MAXROWS - 1) {
			bool dup = false;

			for (size_t i = 0; i < nh; i++)
				dup |= strcmp(h[i].email, names[u][1]) == 0;
			if (!dup)
				h[nh++] = (struct have_row){ names[u][1], rand_r(seed) % 3 ? names[u][0] : NULL,
				    rand_r(seed) % 4 ? 10 + rand_r(seed) % 3 : BU_NONE, rand_r(seed) % 3 != 0,
				    (enum known_origin)(rand_r(seed) % 3) };
		}
	}
}

static void
apply_yields_desired_and_replan_is_empty(void)
{
	unsigned seed = 42;

	for (int round = 0; round < 2000; round++) {
		struct want_row w[MAXROWS];
		struct have_row h[MAXROWS];
		char names[5][2][16];
		struct desired_set want;
		struct known_user *have, *after;
		size_t nhave, nafter;
		struct plan p, again;

		random_rows(&seed, w, h, names);
		want = make_want(w);
		have = make_have(h, &nhave);
		plan_build(&want, have, nhave, &defaults, &p);
		after = simulate(&p, have, nhave, &nafter);
		check_desired_state(&want, after, nafter);
		plan_build(&want, after, nafter, &defaults, &again);
		if (again.n != 0) {
			char *d = describe(&again);

			printf("# round %d: second plan not empty: %s\n", round, d);
			free(d);
			testlib_case_failed = 1;
		}
		plan_release(&again);
		plan_release(&p);
		free_have(after, nafter);
		free_have(have, nhave);
		desired_release(&want);
		if (testlib_case_failed)
			break;
	}
}

/* Property: no plan beyond a limit is ever let through. */
static void
no_plan_beyond_a_limit_goes(void)
{
	unsigned seed = 99;

	for (int round = 0; round < 2000; round++) {
		struct want_row w[MAXROWS];
		struct have_row h[MAXROWS];
		char names[5][2][16];
		struct desired_set want;
		struct known_user *have;
		size_t nhave;
		struct plan_settings s = defaults;
		struct plan p;

		random_rows(&seed, w, h, names);
		want = make_want(w);
		have = make_have(h, &nhave);
		s.max_creates = (struct limit){ false, (unsigned long)(rand_r(&seed) % 4) };
		s.max_deactivations = (struct limit){ rand_r(&seed) % 2 == 0,
		    (unsigned long)(rand_r(&seed) % 4) * 30 };
		plan_build(&want, have, nhave, &s, &p);
		if (p.stop == PLAN_GO) {
			CHECK(p.creates <= limit_resolve(&s.max_creates, p.in_scope));
			CHECK(p.deactivations <= limit_resolve(&s.max_deactivations, p.managed_active));
		}
		plan_release(&p);
		free_have(have, nhave);
		desired_release(&want);
	}
}

int
main(void)
{
	RUN(every_transition);
	RUN(deactivation_limit_boundaries);
	RUN(email_change_counts_toward_both_limits);
	RUN(deferred_users_leave_the_plan);
	RUN(apply_yields_desired_and_replan_is_empty);
	RUN(no_plan_beyond_a_limit_goes);
	return TESTLIB_EXIT();
}
