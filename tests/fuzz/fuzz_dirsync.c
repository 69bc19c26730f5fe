/*
 * fuzz_dirsync.c: libFuzzer target for what an Active Directory DC, or
 * the state store, hands the DirSync reader (ldapdirsync_ctl.c): byte 0
 * picks the input.  Even: the answer's control value (BER, from the
 * server) through dirsync_response_parse; a cookie that comes back is
 * stored, parsed back and must be the same.  Odd: the rest as the stored
 * cookie text through dirsync_cookie_parse, and as a search filter
 * through filter_attribute_names (config text).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldap/ldapdirsync_int.h"
#include "model/filter.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(LOG_LEVEL_ERROR, false);
	return 0;
}

/* The answer's control, and the cookie it holds stored and read back. */
static void
answer(const uint8_t *data, size_t size)
{
	char oid[] = "1.2.840.113556.1.4.841", nc[] = "DC=example,DC=com";
	LDAPControl ctrl = { oid, { size, (char *)data }, 0 }, *ctrls[] = { &ctrl, NULL };
	struct dsync d = { .nc = nc };
	struct dirsync_cookie c = { 1, 4242, { 0, NULL }, "00 CN=NTDS Settings,CN=DC1" }, back;
	char *text;
	bool more = false;

	if (dirsync_response_parse(&d, ctrls, &c.bin, &more) == 0) {
		text = dirsync_cookie_text(&c);
		if (!dirsync_cookie_parse(text, &back) || back.flags != 1 || back.usn != 4242 ||
		    back.bin.bv_len != c.bin.bv_len ||
		    memcmp(back.bin.bv_val, c.bin.bv_val, c.bin.bv_len) != 0 ||
		    strcmp(back.dc, c.dc) != 0)
			abort();
		free(text);
		free(back.bin.bv_val);
	}
	free(c.bin.bv_val);
}

static void
stored(const uint8_t *data, size_t size)
{
	struct value_list names = { 0 };
	struct dirsync_cookie c;
	char *text;

	if ((text = malloc(size + 1)) == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (dirsync_cookie_parse(text, &c) && (c.dc < text || c.dc > text + size))
		abort();
	free(c.bin.bv_val);
	filter_attribute_names(text, &names);
	for (size_t i = 0; i < names.n; i++)
		if (names.v[i][0] == '\0' || strpbrk(names.v[i], "()=") != NULL)
			abort();	/* a name is never empty, never holds filter syntax */
	value_list_release(&names);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		answer(data + 1, size - 1);
	else
		stored(data + 1, size - 1);
	return 0;
}
