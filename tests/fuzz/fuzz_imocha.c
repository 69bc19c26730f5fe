/*
 * fuzz_imocha.c: libFuzzer target for the iMocha answer decoders, every
 * endpoint, success and error shapes.  The first two bytes pick the HTTP
 * status (from a table of the statuses IMOCHA_API.md lists, plus odd
 * ones) and the decoder; the rest is the body, NUL-terminated as http.c
 * hands it over (it may hold NUL bytes of its own: the length counts).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imocha/imocha.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[] = { 200, 201, 400, 401, 403, 404, 408, 429, 500,
    502, 503, 204, 302, 418, 0, 999 };

/* What every outcome promises: one printable, NUL-terminated line. */
static void
check_result(const struct imocha_result *res)
{
	size_t n = strnlen(res->detail, sizeof res->detail);

	if (n == sizeof res->detail)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)res->detail[i] < ' ' || res->detail[i] == 0x7f)
			abort();
	if ((unsigned)res->outcome > IMOCHA_PROTOCOL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imocha_result res;
	struct imocha_bu_list list;
	char *body;
	long status;
	int which;

	if (size < 2)
		return 0;
	status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	which = data[1] % 3;
	/* An exact-size copy, so ASan sees any read past the terminator. */
	if ((body = malloc(size - 1)) == NULL)
		return 0;
	memcpy(body, data + 2, size - 2);
	body[size - 2] = '\0';
	if (which == 2) {
		if (imocha_decode_bu_list(status, body, size - 2, &list, &res) == 0) {
			for (size_t i = 0; i < list.n; i++)
				if (list.items[i].name == NULL || list.items[i].id < 0)
					abort();
			if (res.outcome != IMOCHA_DONE)
				abort();
		} else if (list.n != 0 || list.items != NULL)
			abort();
		imocha_bu_list_release(&list);
	} else
		imocha_decode_change(status, body, size - 2, which == 1, &res);
	check_result(&res);
	free(body);
	return 0;
}
