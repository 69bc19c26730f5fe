/* test_filter.c: the attributes a search filter tests (filter.h), which
 * an AD incremental read must ask DirSync for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/filter.h"
#include "testlib.h"

/* The names found, joined by ",", or "!" when the filter was refused. */
static char *
names(const char *filter)
{
	struct value_list out = { 0 };
	bool ok = filter_attribute_names(filter, &out);
	char *s = xstrdup(ok ? "" : "!"), *next;

	for (size_t i = 0; i < out.n; i++) {
		next = xasprintf("%s%s%s", s, i ? "," : "", out.v[i]);
		free(s);
		s = next;
	}
	value_list_release(&out);
	return s;
}

static void
attribute_names(void)
{
	static const struct { const char *filter, *want; } cases[] = {
		{ "(objectClass=person)", "objectClass" },
		{ "(&(objectCategory=person)(objectClass=user))", "objectCategory,objectClass" },
		{ "(userAccountControl:1.2.840.113556.1.4.803:=2)", "userAccountControl" },
		{ "(&(objectClass=user)(!(department=Temp*))(|(mail=*)(proxyAddresses=smtp:*)))",
		    "objectClass,department,mail,proxyAddresses" },
		{ "(employeeType>=3)", "employeeType" },
		{ "(sn~=smith)", "sn" },
		{ "(cn;lang-en=x)", "cn" },
		{ "(OBJECTCLASS=a)(objectclass=b)", "OBJECTCLASS" },	/* once, any case */
		{ "(:dn:2.5.13.5:=People)", "" },			/* no type */
		{ "(cn=a\\28b\\29)", "cn" },				/* escaped parentheses */
		{ "(memberOf:1.2.840.113556.1.4.1941:=CN=Staff,DC=x)", "memberOf" },
		{ "(cn=a", "!cn" },
		{ "cn=a)", "!" },
		{ "(cn)", "!" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = names(cases[i].filter);

		CHECK_STR(got, cases[i].want);
		free(got);
	}
}

int
main(void)
{
	RUN(attribute_names);
	return TESTLIB_EXIT();
}
