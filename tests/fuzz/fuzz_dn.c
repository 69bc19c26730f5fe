/*
 * fuzz_dn.c: libFuzzer target for DN parsing (RFC 4514 escapes, multi-
 * valued RDNs, DN_MAX_LEN) and placing a user by DN (mapping_place).
 * Checks that a normal form parses back to itself, and that every suffix
 * form dn_norm_from gives is a parseable DN too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/dn.h"
#include "fuzz_fixture.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct config cfg;
static struct mapping *map;
static const struct dir_ou ous[] = {
	{ (char *)"ou=Attr,ou=People,dc=example,dc=com", { (char *[]){ (char *)"Sales" }, 1 } },
	{ (char *)"ou=Two,ou=People,dc=example,dc=com",
	    { (char *[]){ (char *)"Sales", (char *)"101" }, 2 } },
	{ (char *)"ou=Bad\\", { (char *[]){ (char *)"Sales" }, 1 } },
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(LOG_LEVEL_ERROR, false);
	fixture_config(&cfg);
	map = mapping_new(&cfg, ous, sizeof ous / sizeof ous[0], &fixture_bus);
	return 0;
}

/* A normal form (when it fits DN_MAX_LEN) normalizes to itself. */
static void
check_stable(const char *norm)
{
	char *again;

	if (strlen(norm) > DN_MAX_LEN)
		return;
	if ((again = dn_normalize(norm)) == NULL || strcmp(again, norm) != 0)
		abort();
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bu_choice choice;
	struct dn dn;
	char *text, *norm;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (dn_parse(text, &dn) == 0) {
		for (size_t i = 0; i <= dn.n; i++) {
			norm = dn_norm_from(&dn, i);
			check_stable(norm);
			free(norm);
		}
		dn_release(&dn);
	} else if (dn.n != 0 || dn.type != NULL)
		abort();	/* a failed parse leaves *out empty */
	free(dn_normalize(text));
	mapping_place(map, text, NULL, &choice);
	if ((choice.bu_id == BU_NONE) != (choice.bu_name == NULL))
		abort();
	free(choice.problem);
	free(text);
	return 0;
}
