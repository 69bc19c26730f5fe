/* test_mapping.c: SPEC.md's precedence for a user's business unit. */
#include <stdlib.h>
#include <string.h>

#include "model/change.h"
#include "plan/mapping.h"
#include "testlib.h"

static struct imocha_bu bu_items[] = {
	{ 1, "Engineering" }, { 2, "Sales" }, { 3, "Default BU 1" }, { 4, "R&D = Labs" },
	{ 5, "2024" },
};
static const struct imocha_bu_list bus = { bu_items, sizeof bu_items / sizeof bu_items[0] };

struct mapcase {
	const char *name;
	const char *user_dn;
	int64_t want_bu;	/* BU_NONE: unmapped, with want_problem in the message */
	const char *want_problem;
	const char *bu_values[3];	/* the user's bu_attribute, NULL-ended */
};

/* The directory of these cases:
 *   ou=People                         (no mapping)
 *     ou=Engineering                  match_ou_name -> 1
 *       ou=Platform                   ou_attribute "Sales" -> 2
 *         ou=Ghost                    ou_attribute "Marketing" (no such BU)
 *       ou=Tools                      [business_units] 4 = ... wins over its attribute "Sales"
 *     ou=Sales                        [business_units] Engineering = ... beats the name
 *     ou=Twice                        ou_attribute with two values
 *     ou=Nowhere                      nothing
 */
static void
run_cases(struct config *cfg, const struct mapcase *cases, size_t n)
{
	char *two[] = { "Sales", "Engineering" }, *sales[] = { "Sales" }, *mkt[] = { "Marketing" };
	struct dir_ou ous[] = {
		{ "ou=Platform,ou=Engineering,ou=People,dc=example,dc=com", { sales, 1 } },
		{ "ou=Ghost,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com", { mkt, 1 } },
		{ "ou=Tools,ou=Engineering,ou=People,dc=example,dc=com", { sales, 1 } },
		{ "ou=Twice,ou=People,dc=example,dc=com", { two, 2 } },
		{ "ou=Nowhere,ou=People,dc=example,dc=com", { NULL, 0 } },
	};
	struct mapping *m = mapping_new(cfg, ous, sizeof ous / sizeof ous[0], &bus);

	for (size_t i = 0; i < n; i++) {
		struct bu_choice c;
		struct value_list vals = { (char **)cases[i].bu_values, 0 };

		while (vals.n < 3 && cases[i].bu_values[vals.n] != NULL)
			vals.n++;
		mapping_place(m, cases[i].user_dn, &vals, &c);
		if (c.bu_id != cases[i].want_bu ||
		    (cases[i].want_problem == NULL) != (c.problem == NULL) ||
		    (c.problem && strstr(c.problem, cases[i].want_problem) == NULL)) {
			printf("# %s: got BU %lld problem \"%s\"\n", cases[i].name,
			    (long long)c.bu_id, c.problem ? c.problem : "");
			testlib_case_failed = 1;
		}
		free(c.problem);
	}
	mapping_free(m);
}

static struct config
base_config(void)
{
	static struct bu_map_entry map[] = {
		{ "4", "OU=Tools, ou=Engineering,ou=People,dc=example,dc=com", "t.ini:20" },
		{ "engineering", "ou=sales,ou=people,dc=example,dc=com", "t.ini:21" },
	};
	struct config cfg = { 0 };

	cfg.ou_attribute = "businessCategory";
	cfg.match_ou_name = true;
	cfg.bu_map = map;
	cfg.bu_map_len = 2;
	return cfg;
}

static void
precedence_nearest_first(void)
{
	static const struct mapcase cases[] = {
		{ "name match", "uid=a,ou=Engineering,ou=People,dc=example,dc=com", 1, NULL, { NULL } },
		{ "attribute beats parent's name", "uid=a,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com", 2, NULL, { NULL } },
		{ "unknown BU is an error, no fallback", "uid=a,ou=Ghost,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com", BU_NONE, "\"Marketing\"", { NULL } },
		{ "explicit map beats attribute (by id)", "uid=a,ou=Tools,ou=Engineering,ou=People,dc=example,dc=com", 4, NULL, { NULL } },
		{ "explicit map beats name", "uid=a,ou=Sales,ou=People,dc=example,dc=com", 1, NULL, { NULL } },
		{ "multi-valued attribute is an error", "uid=a,ou=Twice,ou=People,dc=example,dc=com", BU_NONE, "2 values", { NULL } },
		{ "unmapped without default", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", BU_NONE, "default_business_unit is not set", { NULL } },
		{ "deep nesting finds nearest", "uid=a,ou=X,ou=Y,ou=Engineering,ou=People,dc=example,dc=com", 1, NULL, { NULL } },
	};
	struct config cfg = base_config();

	run_cases(&cfg, cases, sizeof cases / sizeof cases[0]);
}

static void
default_business_unit(void)
{
	static const struct mapcase with_default[] = {
		{ "default by name", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", 3, NULL, { NULL } },
		{ "default does not cover unknown BU", "uid=a,ou=Ghost,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com", BU_NONE, "Marketing", { NULL } },
	};
	static const struct mapcase bad_default[] = {
		{ "default iMocha lacks", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", BU_NONE, "\"Nope\" does not exist", { NULL } },
	};
	struct config cfg = base_config();

	cfg.default_business_unit = "default bu 1";
	run_cases(&cfg, with_default, 2);
	cfg.default_business_unit = "Nope";
	run_cases(&cfg, bad_default, 1);
}

static void
switches_off(void)
{
	static const struct mapcase cases[] = {
		{ "no name match when off", "uid=a,ou=Engineering,ou=People,dc=example,dc=com", BU_NONE, "not set", { NULL } },
		{ "no attribute when unset", "uid=a,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com", BU_NONE, "not set", { NULL } },
		{ "explicit map still works", "uid=a,ou=Tools,ou=Engineering,ou=People,dc=example,dc=com", 4, NULL, { NULL } },
	};
	struct config cfg = base_config();

	cfg.match_ou_name = false;
	cfg.ou_attribute = NULL;
	run_cases(&cfg, cases, sizeof cases / sizeof cases[0]);
}

static void
conflicting_explicit_map(void)
{
	static struct bu_map_entry map[] = {
		{ "Sales", "ou=Nowhere,ou=People,dc=example,dc=com", "t.ini:3" },
		{ "Engineering", "OU=nowhere,ou=People,dc=example,dc=com", "t.ini:4" },
	};
	static const struct mapcase cases[] = {
		{ "one OU, two BUs", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", BU_NONE, "two business units", { NULL } },
	};
	struct config cfg = base_config();

	cfg.bu_map = map;
	run_cases(&cfg, cases, 1);
}

/* bu_attribute: the user's own attribute, for users no OU maps (flat
 * directories: FreeIPA's cn=users, AD's CN=Users). */
static void
user_attribute(void)
{
	static const struct mapcase cases[] = {
		{ "an OU that maps wins over the attribute", "uid=a,ou=Engineering,ou=People,dc=example,dc=com", 1, NULL, { "Sales" } },
		{ "flat user: by name, any case", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", 2, NULL, { "sales" } },
		{ "flat user: by id", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", 4, NULL, { "4" } },
		{ "the attribute beats the default", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", 2, NULL, { "Sales" } },
		{ "one BU by name and by id", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", 2, NULL, { "Sales", "2" } },
		{ "two BUs is an error", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", BU_NONE, "its department names two business units, \"Sales\" and \"Engineering\"", { "Sales", "Engineering" } },
		{ "an unknown BU is an error, not the default", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", BU_NONE, "its department \"Marketing\" names no business unit iMocha has", { "Marketing" } },
		{ "no value: the default", "uid=a,ou=Nowhere,ou=People,dc=example,dc=com", 3, NULL, { NULL } },
	};
	struct config cfg = base_config();

	cfg.bu_attribute = "department";
	cfg.default_business_unit = "Default BU 1";
	run_cases(&cfg, cases, sizeof cases / sizeof cases[0]);
}

/* mapping_place keeps the last parent's outcome (users come OU by OU):
 * in any order, each user is placed as a mapping that never saw the
 * others places it, a bad first RDN under a known parent included. */
static void
parent_memo_changes_nothing(void)
{
	static const char *const dns[] = {
		"uid=a,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com",
		"uid=b,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com",
		"=b,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com",
		"uid=a\\00b,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com",
		"cn=Smith\\, John,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com",
		"uid=c,ou=Engineering,ou=People,dc=example,dc=com",
		"uid=c,ou=Ghost,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com",
		"uid=d,ou=Ghost,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com",
		"uid=d,OU=platform,ou=Engineering,ou=People,dc=example,dc=com",
		"uid=e,ou=Nowhere,ou=People,dc=example,dc=com",
		"uid=f,ou=Nowhere,ou=People,dc=example,dc=com",
		"uid=g,ou=Tools,ou=Engineering,ou=People,dc=example,dc=com",
		"uid=h,ou=Tools,ou=Engineering,ou=People,dc=example,dc=com,",
		"uid=h,ou=Tools,ou=Engineering,ou=People,dc=example,dc=com",
		"uid=i",
		"uid=i,",
	};
	static const int64_t want[] = { 2, 2, BU_NONE, BU_NONE, 2, 1, BU_NONE, BU_NONE, 2,
	    BU_NONE, 2, 4, BU_NONE, 4, BU_NONE, BU_NONE };
	char *sales[] = { "Sales" };
	struct dir_ou ous[] = {
		{ "ou=Platform,ou=Engineering,ou=People,dc=example,dc=com", { sales, 1 } },
		{ "ou=Ghost,ou=Platform,ou=Engineering,ou=People,dc=example,dc=com",
		    { (char *[]){ "Marketing" }, 1 } },
	};
	struct config cfg = base_config();
	struct mapping *seen = mapping_new(&cfg, ous, 2, &bus);
	size_t n = sizeof dns / sizeof dns[0];

	CHECK_INT(sizeof want / sizeof want[0], n);
	for (size_t i = 0; i < n; i++) {
		struct mapping *fresh = mapping_new(&cfg, ous, 2, &bus);
		/* ou=Nowhere's second user has a value of its own. */
		struct value_list vals = { sales, i == 10 };
		struct bu_choice a, b;

		mapping_place(seen, dns[i], &vals, &a);
		mapping_place(fresh, dns[i], &vals, &b);
		if (a.bu_id != b.bu_id || a.bu_id != want[i] || (a.problem == NULL) != (b.problem == NULL) ||
		    (a.problem != NULL && strcmp(a.problem, b.problem) != 0)) {
			printf("# %s: after the others BU %lld \"%s\", alone BU %lld \"%s\", "
			    "want BU %lld\n", dns[i], (long long)a.bu_id, a.problem ? a.problem : "",
			    (long long)b.bu_id, b.problem ? b.problem : "", (long long)want[i]);
			testlib_case_failed = 1;
		}
		free(a.problem);
		free(b.problem);
		mapping_free(fresh);
	}
	mapping_free(seen);
}

static void
bu_lookup(void)
{
	CHECK(bu_find(&bus, "SALES") == &bu_items[1]);
	CHECK(bu_find(&bus, "4") == &bu_items[3]);
	/* a name made of digits is found by name when no id matches */
	CHECK(bu_find(&bus, "2024") == &bu_items[4]);
	CHECK(bu_find(&bus, "Marketing") == NULL);
	CHECK(bu_find_id(&bus, 3) == &bu_items[2]);
}

int
main(void)
{
	RUN(precedence_nearest_first);
	RUN(default_business_unit);
	RUN(switches_off);
	RUN(conflicting_explicit_map);
	RUN(user_attribute);
	RUN(parent_memo_changes_nothing);
	RUN(bu_lookup);
	return TESTLIB_EXIT();
}
