/* retry.c: see retry.h. */
#include "plan/retry.h"

#include <stdio.h>
#include <string.h>

/* 401 and 403 are about the API key, not the user: the run stopped for
 * them, and the user is tried as soon as the key works again. */
static bool
delayed_status(long status)
{
	return status >= 400 && status < 500 && status != 401 && status != 403 &&
	    status != 408 && status != 429;
}

time_t
retry_parse_time(const char *text)
{
	struct tm tm = { 0 };
	int n = 0;

	if (text == NULL || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

time_t
retry_next_at(const struct failure_record *f)
{
	time_t failed = retry_parse_time(f->failed_at);
	long delay = RETRY_FIRST_DELAY;

	if (!delayed_status(f->http_status) || failed == -1)
		return 0;
	for (long i = 1; i < f->attempts && delay < RETRY_MAX_DELAY; i++)
		delay *= 2;
	if (delay > RETRY_MAX_DELAY)
		delay = RETRY_MAX_DELAY;
	return failed + delay;
}
