/* test_retry.c: the growing delay before a refused change is tried again. */
#include "plan/retry.h"
#include "testlib.h"

static void
refusals_wait_longer_each_time(void)
{
	static const struct { long status, attempts; time_t delay; } cases[] = {
		{ 400, 1, 15 * 60 },
		{ 400, 2, 30 * 60 },
		{ 404, 3, 60 * 60 },
		{ 400, 7, 16 * 60 * 60 },
		{ 400, 8, 24 * 60 * 60 },	/* 32 h capped to a day */
		{ 400, 40, 24 * 60 * 60 },
		{ 429, 3, 0 },			/* rate limited: next run */
		{ 401, 2, 0 },			/* the key, not the user */
		{ 403, 2, 0 },
		{ 408, 3, 0 },
		{ 500, 3, 0 },
		{ 503, 1, 0 },
		{ 0, 5, 0 },			/* no answer: next run */
	};
	time_t base = retry_parse_time("2026-11-28T04:25:07.123Z");

	CHECK_INT(base, 1795839907);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct failure_record f = { .failed_at = "2026-11-28T04:25:07.123Z",
		    .attempts = cases[i].attempts, .http_status = cases[i].status };
		time_t next = retry_next_at(&f);

		if (next != (cases[i].delay ? base + cases[i].delay : 0)) {
			printf("# case %zu: next %lld, want base + %lld\n", i, (long long)next,
			    (long long)cases[i].delay);
			testlib_case_failed = 1;
		}
	}
}

static void
bad_times(void)
{
	struct failure_record f = { .failed_at = "yesterday", .attempts = 1, .http_status = 400 };

	CHECK_INT(retry_parse_time(NULL), -1);
	CHECK_INT(retry_parse_time("2026-11-28"), -1);
	CHECK_INT(retry_next_at(&f), 0);	/* unreadable: do not hold a user back */
}

int
main(void)
{
	RUN(refusals_wait_longer_each_time);
	RUN(bad_times);
	return TESTLIB_EXIT();
}
