/*
 * retry.h: when a user whose last change failed is tried again (SPEC.md:
 * "retried on later runs, with a growing delay").  A change iMocha turned
 * down (a 4xx other than 408 and 429) will be turned down again until
 * someone fixes something, so it waits 15 minutes after the failure,
 * doubling with each failure in a row, at most a day.  A failure with no
 * answer, a 401/403 (the key, not the user), a 408, 429 or 5xx is retried
 * on the next run.  Pure.
 */
#ifndef L2I_RETRY_H
#define L2I_RETRY_H

#include <stdbool.h>
#include <time.h>

#include "state/state.h"

#define RETRY_FIRST_DELAY (15 * 60)
#define RETRY_MAX_DELAY (24 * 60 * 60)

/* The time f may next be tried; 0 when the next run may try it. */
time_t retry_next_at(const struct failure_record *f);
/* An ISO 8601 UTC time of the state store ("2026-11-28T04:25:07.123Z"); -1 if malformed. */
time_t retry_parse_time(const char *text);

#endif
