/*
 * httppool.h: many HTTP requests at once, at the speed iMocha allows
 * (libcurl's multi interface; with http.c the only code that speaks
 * libcurl).  Requests are queued with a tag.  The pool keeps at most
 * max_in_flight outstanding (queued, in flight, or waiting to retry) and
 * starts at most requests_per_second in any one-second window, retries
 * included.  A request is retried, up to max_retries times, after a
 * transport error (no answer: refused, reset, timeout), a 429 (waiting
 * Retry-After when given), or a 408/5xx, with exponential backoff and
 * jitter otherwise; every other answer is final.  Single-threaded: all
 * work happens inside http_pool_wait.  Never logs the API key.
 */
#ifndef L2I_HTTPPOOL_H
#define L2I_HTTPPOOL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "imocha/http.h"

struct http_pool;

struct http_pool_limits {
	double requests_per_second;	/* > 0; below 1: one request per 1/rate seconds */
	int max_in_flight;		/* >= 1 */
	int max_retries;		/* retries after the first attempt, >= 0 */
	int unreachable_after;		/* consecutive attempts with no answer at all: give up */
	double backoff_base;		/* seconds before the first retry (then doubling) */
	double backoff_max;		/* seconds, cap of one wait (Retry-After included) */
};

/* Counters for logs and metrics, over the pool's life. */
struct http_pool_stats {
	long attempts;			/* requests sent, retries included */
	long retries;
	long answered_2xx, answered_4xx, answered_429, answered_5xx;
	long transport_errors;
};

enum http_pool_event {
	HTTP_POOL_DONE,		/* a request is final: *tag, *err, *resp are set */
	HTTP_POOL_IDLE,		/* nothing is outstanding */
	HTTP_POOL_UNREACHABLE,	/* unreachable_after attempts in a row got no answer */
	HTTP_POOL_STOPPED,	/* the stop flag was raised (a signal) */
};

/* opt and lim are copied.  Returns NULL (logged) if curl cannot start. */
struct http_pool *http_pool_new(const struct http_options *opt, const struct http_pool_limits *lim);
/* Abandons whatever is outstanding (no answer is awaited); NULL is fine. */
void http_pool_free(struct http_pool *pool);
/* While *flag is non-zero, http_pool_wait returns HTTP_POOL_STOPPED at once
 * (within about 100 ms when it is raised during a wait). */
void http_pool_set_stop_flag(struct http_pool *pool, const volatile sig_atomic_t *flag);
/* True while fewer than max_in_flight requests are outstanding. */
bool http_pool_has_room(const struct http_pool *pool);
size_t http_pool_outstanding(const struct http_pool *pool);
/* Queue a request (strings are copied; body NULL for none).  It is checked
 * as http_request checks it; a refused one comes back from http_pool_wait
 * as final with err HTTP_REFUSED, never sent. */
void http_pool_add(struct http_pool *pool, const char *method, const char *url,
    const char *api_key, const char *body, void *tag);
/* Run until one request is final, or nothing is outstanding, or the pool
 * gives up or is stopped; see enum http_pool_event.  On HTTP_POOL_DONE,
 * *err is the last attempt's enum http_error and *resp its answer (release
 * with http_response_release). */
enum http_pool_event http_pool_wait(struct http_pool *pool, void **tag, int *err,
    struct http_response *resp);
void http_pool_stats(const struct http_pool *pool, struct http_pool_stats *out);

#endif
