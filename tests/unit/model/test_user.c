/* test_user.c: e-mail rules, printable ids, value choice, display names, DNs. */
#include <stdlib.h>

#include "model/dn.h"
#include "testlib.h"
#include "model/user.h"

static void
email_validity(void)
{
	static const struct { const char *email; bool valid; } cases[] = {
		{ "alice@example.com", true },
		{ "Alice.Smith+tag@Sub.Example.COM", true },
		{ "zoë@example.com", true },
		{ "", false },
		{ "alice", false },
		{ "@example.com", false },
		{ "alice@", false },
		{ "alice@localhost", false },
		{ "alice@.com", false },
		{ "alice@example.", false },
		{ "al ice@example.com", false },
		{ "alice@exa\tmple.com", false },
		{ "a@b@example.com", false },
		{ "alice@example.com\n", false },
		{ "\xff@example.com", false },
	};
	char longmail[300];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (email_is_valid(cases[i].email) != cases[i].valid)
			printf("# case %zu: \"%s\"\n", i, cases[i].email);
		CHECK(email_is_valid(cases[i].email) == cases[i].valid);
	}
	CHECK(!email_is_valid(NULL));
	/* 254 bytes is the limit: 242 + "@example.com" (12) = 254. */
	memset(longmail, 'a', 242);
	memcpy(longmail + 242, "@example.com", 13);
	CHECK(email_is_valid(longmail));
	memset(longmail, 'a', 243);
	memcpy(longmail + 243, "@example.com", 13);
	CHECK(!email_is_valid(longmail));
}

static void
email_keys_are_lower_case(void)
{
	char *k = email_key("Alice.Smith@Example.COM");

	CHECK_STR(k, "alice.smith@example.com");
	free(k);
}

static void
printable_ids(void)
{
	/* AD shows this objectGUID as 8f4e1a2b-3c4d-5e6f-7081-92a3b4c5d6e7. */
	static const unsigned char guid[16] = { 0x2b, 0x1a, 0x4e, 0x8f, 0x4d, 0x3c, 0x6f, 0x5e,
	    0x70, 0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7 };
	static const unsigned char bin[3] = { 0x00, 0xff, 0x10 };
	const char *uuid = "6f1c2c1e-7d1b-103e-8f4e-4b9a4f9b2a11";
	char *s;

	/* A GUID whose 16 bytes happen to be printable text: still a GUID. */
	static const unsigned char textlike[16] = "ABCDEFGHIJKLMNOP";

	s = user_id_printable("objectGUID", guid, sizeof guid);
	CHECK_STR(s, "8f4e1a2b-3c4d-5e6f-7081-92a3b4c5d6e7");
	free(s);
	s = user_id_printable("objectguid", textlike, sizeof textlike);
	CHECK_STR(s, "44434241-4645-4847-494a-4b4c4d4e4f50");
	free(s);
	s = user_id_printable("entryUUID", (const unsigned char *)uuid, strlen(uuid));
	CHECK_STR(s, uuid);
	free(s);
	s = user_id_printable("uid", textlike, sizeof textlike);
	CHECK_STR(s, "ABCDEFGHIJKLMNOP");
	free(s);
	s = user_id_printable("someBinaryId", bin, sizeof bin);
	CHECK_STR(s, "00ff10");
	free(s);
}

static void
value_choice_is_stable(void)
{
	char *vals[] = { "b@example.com", "A@example.com", "c@example.com" };
	struct value_list list = { vals, 3 };
	struct value_list empty = { NULL, 0 };

	CHECK_STR(value_choose(&list, NULL), "A@example.com");
	CHECK_STR(value_choose(&list, "C@EXAMPLE.COM"), "c@example.com");
	CHECK_STR(value_choose(&list, "gone@example.com"), "A@example.com");
	CHECK(value_choose(&empty, NULL) == NULL);
}

static void
display_name_fallbacks(void)
{
	char *names[] = { "Alice Smith" };
	struct dir_user u = { .name = { names, 1 }, .given_name = "Al", .surname = "Smith" };
	char *s;

	s = user_display_name(&u, NULL, "alice@example.com");
	CHECK_STR(s, "Alice Smith");
	free(s);
	u.name.n = 0;
	s = user_display_name(&u, NULL, "alice@example.com");
	CHECK_STR(s, "Al Smith");
	free(s);
	u.given_name = NULL;
	u.surname = NULL;
	s = user_display_name(&u, NULL, "alice@example.com");
	CHECK_STR(s, "alice@example.com");
	free(s);
}

static void
clean_text(void)
{
	CHECK(text_is_clean("Zoë Ångström 山田", strlen("Zoë Ångström 山田")));
	CHECK(!text_is_clean("a\x01", 2));
	CHECK(!text_is_clean("\xc3", 1));		/* truncated sequence */
	CHECK(!text_is_clean("\xc0\xaf", 2));		/* overlong */
	CHECK(!text_is_clean("\xed\xa0\x80", 3));	/* surrogate */
	CHECK(!text_is_clean("a\0b", 3));
}

static void
dn_normal_forms(void)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "OU=Engineering, OU=People,DC=Example,DC=com", "ou=engineering,ou=people,dc=example,dc=com" },
		{ "ou = R\\2CD ,dc=example", "ou=r\\,d,dc=example" },
		{ "cn=Smith\\, John,ou=People", "cn=smith\\, john,ou=people" },
		{ "ou=Sales\\20,dc=x", "ou=sales\\ ,dc=x" },
		{ "", "" },
	};
	static const char *bad[] = { "ou", "=x", "ou=\"q\"", "ou=a\\", "ou=a,,dc=x",
	    "ou=a\\00b,dc=x" };

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *n = dn_normalize(cases[i].in);

		CHECK_STR(n, cases[i].want);
		free(n);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *n = dn_normalize(bad[i]);

		if (n != NULL)
			printf("# accepted bad DN \"%s\" as \"%s\"\n", bad[i], n);
		CHECK(n == NULL);
		free(n);
	}
}

/* Past DN_MAX_LEN a DN is refused whole, never cut to fit. */
static void
dn_too_long(void)
{
	char dn[DN_MAX_LEN + 2], *n;

	memset(dn, 'a', sizeof dn - 1);
	memcpy(dn, "cn=", 3);
	dn[sizeof dn - 1] = '\0';
	CHECK(dn_normalize(dn) == NULL);
	dn[DN_MAX_LEN] = '\0';	/* exactly DN_MAX_LEN bytes: taken */
	n = dn_normalize(dn);
	CHECK(n != NULL && strlen(n) == DN_MAX_LEN);
	free(n);
}

static void
dn_parents(void)
{
	struct dn dn;
	char *p;

	CHECK_INT(dn_parse("uid=a,ou=Eng,dc=example,dc=com", &dn), 0);
	CHECK_INT(dn.n, 4);
	CHECK_STR(dn.type[1], "ou");
	CHECK_STR(dn.value[1], "Eng");
	p = dn_norm_from(&dn, 1);
	CHECK_STR(p, "ou=eng,dc=example,dc=com");
	free(p);
	dn_release(&dn);
}

int
main(void)
{
	RUN(email_validity);
	RUN(email_keys_are_lower_case);
	RUN(printable_ids);
	RUN(value_choice_is_stable);
	RUN(display_name_fallbacks);
	RUN(clean_text);
	RUN(dn_normal_forms);
	RUN(dn_parents);
	RUN(dn_too_long);
	return TESTLIB_EXIT();
}
