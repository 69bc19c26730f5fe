/* test_groups.c: the membership table of scope by group (groups.h), and
 * the DN test it leans on (dn_norm_within). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dn.h"
#include "model/groups.h"
#include "testlib.h"

static void
norm_within(void)
{
	static const struct { const char *dn, *base; bool within; } cases[] = {
		{ "uid=a,ou=people,dc=x", "ou=people,dc=x", true },
		{ "ou=people,dc=x", "ou=people,dc=x", true },
		{ "uid=a,ou=groups,dc=x", "ou=people,dc=x", false },
		{ "uid=a,xou=people,dc=x", "ou=people,dc=x", false },	/* not at an RDN */
		{ "cn=a\\,ou=people,dc=x", "ou=people,dc=x", false },	/* an escaped comma */
		{ "cn=a\\\\,ou=people,dc=x", "ou=people,dc=x", true },	/* an escaped backslash */
		{ "dc=x", "ou=people,dc=x", false },
		{ "uid=a,dc=x", "", true },				/* the root holds all */
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_INT(dn_norm_within(cases[i].dn, cases[i].base), cases[i].within);
}

/* dn_normalize's one-pass path for plain DNs gives exactly what the full
 * parse gives, and leaves every other DN to it. */
static void
plain_path_agrees(void)
{
	static const char *const dns[] = {
		"uid=Ann,ou=People,dc=Example,dc=COM",
		"  UID = ann , OU=People ,dc=example,dc=com  ",
		"CN=User ann,OU=Sales EMEA,DC=corp,DC=example,DC=com",
		"cn=,dc=x", "cn=   ,dc=x", "Common Name =x", "2.5.4.3=x,dc=y",
		"cn=zoë,dc=x", "cn=a\\,b,dc=x", "cn=a\\2cb,dc=x", "cn=a+sn=b,dc=x",
		"cn=#a,dc=x", "cn=a=b,dc=x", "cn=a;dc=x", "cn=\"q\",dc=x", "cn=a,,dc=x",
		"cn=a,", "=a", "cn", ",", " ", "dc=x,", "cn=<a>,dc=x",
	};

	for (size_t i = 0; i < sizeof dns / sizeof dns[0]; i++) {
		struct dn dn;
		char *fast = dn_normalize(dns[i]), *full = NULL;

		if (dn_parse(dns[i], &dn) == 0) {
			full = dn_norm_from(&dn, 0);
			dn_release(&dn);
		}
		if ((fast == NULL) != (full == NULL) ||
		    (fast != NULL && strcmp(fast, full) != 0))
			fprintf(stderr, "# %s: fast \"%s\", full \"%s\"\n", dns[i],
			    fast ? fast : "(null)", full ? full : "(null)");
		CHECK((fast == NULL) == (full == NULL));
		if (fast != NULL && full != NULL)
			CHECK_STR(fast, full);
		free(fast);
		free(full);
	}
}

static void
membership(void)
{
	struct group_scope gs = { 0 };
	const struct group_pair *p;
	uint32_t scope, bu;

	CHECK(!group_scope_limits(&gs));
	CHECK(group_scope_admits(&gs, "uid=x,dc=x"));	/* no group_dn: everyone */
	scope = group_scope_root(&gs, "cn=All,dc=x", "cn=all,dc=x", GROUP_SCOPE, NULL, "f:1");
	bu = group_scope_root(&gs, "cn=Sales,dc=x", "cn=sales,dc=x", GROUP_BU, "Sales", "f:2");
	/* Met twice through two nested paths: one member, counted once. */
	group_scope_add(&gs, "uid=b,dc=x", scope);
	group_scope_add(&gs, "uid=a,dc=x", scope);
	group_scope_add(&gs, "uid=b,dc=x", scope);
	group_scope_add(&gs, "uid=c,dc=x", bu);
	group_scope_add(&gs, "uid=b,dc=x", bu);
	group_scope_finish(&gs);
	CHECK(group_scope_limits(&gs));
	CHECK_INT(gs.nscope, 1);
	CHECK_INT(gs.roots[scope].members, 2);
	CHECK_INT(gs.roots[bu].members, 2);
	CHECK_INT(group_scope_find(&gs, "uid=b,dc=x", &p), 2);
	if (p != NULL) {
		CHECK_INT(p[0].root, scope);
		CHECK_INT(p[1].root, bu);
	}
	CHECK_INT(group_scope_find(&gs, "uid=z,dc=x", &p), 0);
	CHECK(p == NULL);
	CHECK_INT(group_scope_find(&gs, NULL, &p), 0);
	CHECK(group_scope_admits(&gs, "uid=a,dc=x"));
	/* A member of a [business_units] group only is not in scope. */
	CHECK(!group_scope_admits(&gs, "uid=c,dc=x"));
	CHECK(!group_scope_admits(&gs, "uid=z,dc=x"));
	CHECK(!group_scope_admits(&gs, NULL));
	group_scope_release(&gs);
}

int
main(void)
{
	RUN(norm_within);
	RUN(plain_path_agrees);
	RUN(membership);
	return TESTLIB_EXIT();
}
