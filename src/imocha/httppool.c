/*
 * httppool.c: see httppool.h.  A request sits on one of four lists: ready
 * (may start once max_in_flight and the rate limiter allow), timers
 * (waiting to retry, sorted by due time), running (on the multi handle)
 * and done (final, not yet handed back).  Every attempt runs on a fresh
 * easy handle that http_xfer_setup prepares exactly as http_request's;
 * connections are still reused, through the multi handle's cache.
 */
#include "imocha/httppool.h"
#include "imocha/http_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "util/log.h"
#include "util/xmem.h"

/* curl_multi_poll waits at most this long (seconds), so a stop flag raised
 * by a signal handler is seen promptly. */
#define POLL_SLICE	0.1
/* The limiter's window is this much longer than a second: the server sees
 * a start a little after we record it, later on a new connection than on
 * a reused one, so an exact second could count N + 1 at the server. */
#define WINDOW_SLACK	0.05
/* A rate this high is no limit worth remembering more starts for. */
#define RING_MAX	10000

struct preq {
	TAILQ_ENTRY(preq) entry;
	char *method, *url, *api_key, *body;
	void *tag;
	int attempts;			/* started so far */
	double due;			/* monotonic seconds a retry may start */
	int err;			/* the last attempt's enum http_error */
	struct http_response resp;	/* the last attempt's answer */
	struct http_xfer x;
	CURL *h;			/* while running */
};
TAILQ_HEAD(preq_list, preq);

struct http_pool {
	struct http_options opt;	/* strings owned */
	struct http_pool_limits lim;
	struct http_pool_stats stats;
	CURLM *multi;
	struct preq_list ready, timers, running, done;
	size_t outstanding;		/* added and not yet handed back */
	int nrunning;
	double *ring;			/* start times of the last ring_len attempts */
	size_t ring_len, ring_head;	/* ring[ring_head] is the oldest */
	double window;			/* at most ring_len starts in one window */
	int no_answer;			/* attempts in a row with no answer */
	bool unreachable;
	const volatile sig_atomic_t *stop;
	uint64_t rng;
};

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64: jitter needs spread, not secrecy. */
static double
rng_unit(struct http_pool *pool)
{
	uint64_t z = (pool->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;	/* [0, 1) */
}

/* Below one request a second the window stretches to 1/rate seconds and
 * holds one start. */
static void
limiter_init(struct http_pool *pool)
{
	double rps = pool->lim.requests_per_second;

	if (!(rps > 0))
		rps = 1;
	pool->ring_len = rps >= RING_MAX ? RING_MAX : rps >= 1 ? (size_t)floor(rps) : 1;
	pool->window = (rps >= 1 ? 1.0 : 1.0 / rps) + WINDOW_SLACK;
	pool->ring = xcalloc(pool->ring_len, sizeof *pool->ring);
	for (size_t i = 0; i < pool->ring_len; i++)
		pool->ring[i] = -1e18;
}

/* When the next start is allowed: a window after the ring_len-th most
 * recent one. */
static double
limiter_next(const struct http_pool *pool)
{
	return pool->ring[pool->ring_head] + pool->window;
}

static void
limiter_record(struct http_pool *pool, double t)
{
	pool->ring[pool->ring_head] = t;
	pool->ring_head = (pool->ring_head + 1) % pool->ring_len;
}

/* The authority without userinfo (want_host) or the path without query,
 * for log lines: the query might hold an e-mail, userinfo a password. */
static void
url_part(const char *url, bool want_host, char *buf, size_t size)
{
	const char *p = strstr(url, "://"), *auth, *at;
	size_t alen;

	auth = p ? p + 3 : url;
	alen = strcspn(auth, "/?#");
	if (want_host) {
		for (at = auth; (p = memchr(at, '@', alen - (size_t)(at - auth))); )
			at = p + 1;
		snprintf(buf, size, "%.*s", (int)(alen - (size_t)(at - auth)), at);
	} else if (auth[alen] == '/')
		snprintf(buf, size, "%.*s", (int)strcspn(auth + alen, "?#"), auth + alen);
	else
		snprintf(buf, size, "/");
}

struct http_pool *
http_pool_new(const struct http_options *opt, const struct http_pool_limits *lim)
{
	struct http_pool *pool = xcalloc(1, sizeof *pool);
	struct timespec ts;

	if (opt != NULL) {
		pool->opt = *opt;
		pool->opt.ca_file = xstrdup(opt->ca_file);
		pool->opt.proxy = xstrdup(opt->proxy);
	}
	pool->lim = *lim;
	if (pool->lim.max_in_flight < 1)
		pool->lim.max_in_flight = 1;
	if (pool->lim.max_retries < 0)
		pool->lim.max_retries = 0;
	TAILQ_INIT(&pool->ready);
	TAILQ_INIT(&pool->timers);
	TAILQ_INIT(&pool->running);
	TAILQ_INIT(&pool->done);
	limiter_init(pool);
	clock_gettime(CLOCK_REALTIME, &ts);
	pool->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
	    ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)pool;
	if ((pool->multi = curl_multi_init()) == NULL) {
		log_errorx("http: curl_multi_init failed");
		http_pool_free(pool);
		return NULL;
	}
	/* Never more connections to iMocha than requests we allow at once. */
	curl_multi_setopt(pool->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)pool->lim.max_in_flight);
	curl_multi_setopt(pool->multi, CURLMOPT_MAXCONNECTS,
	    (long)pool->lim.max_in_flight);
	return pool;
}

static void
preq_free(struct preq *r)
{
	http_xfer_release(&r->x);
	http_response_release(&r->resp);
	free(r->method);
	free(r->url);
	secret_free(r->api_key);
	free(r->body);
	free(r);
}

static void
list_free(struct preq_list *list)
{
	struct preq *r;

	while ((r = TAILQ_FIRST(list)) != NULL) {
		TAILQ_REMOVE(list, r, entry);
		preq_free(r);
	}
}

void
http_pool_free(struct http_pool *pool)
{
	struct preq *r;

	if (pool == NULL)
		return;
	while ((r = TAILQ_FIRST(&pool->running)) != NULL) {
		TAILQ_REMOVE(&pool->running, r, entry);
		curl_multi_remove_handle(pool->multi, r->h);
		curl_easy_cleanup(r->h);
		preq_free(r);
	}
	list_free(&pool->ready);
	list_free(&pool->timers);
	list_free(&pool->done);
	if (pool->multi != NULL)
		curl_multi_cleanup(pool->multi);
	free((char *)pool->opt.ca_file);
	free((char *)pool->opt.proxy);
	free(pool->ring);
	free(pool);
}

void
http_pool_set_stop_flag(struct http_pool *pool, const volatile sig_atomic_t *flag)
{
	pool->stop = flag;
}

bool
http_pool_has_room(const struct http_pool *pool)
{
	return pool->outstanding < (size_t)pool->lim.max_in_flight;
}

size_t
http_pool_outstanding(const struct http_pool *pool)
{
	return pool->outstanding;
}

void
http_pool_stats(const struct http_pool *pool, struct http_pool_stats *out)
{
	*out = pool->stats;
}

/* r is final: its last attempt's result waits on the done list.  A
 * failure is logged at debug level only, as http_request does: the iMocha
 * layer says what the operator sees. */
static void
preq_final(struct http_pool *pool, struct preq *r)
{
	char path[256];

	if (r->err != HTTP_OK) {
		url_part(r->url, false, path, sizeof path);
		log_debug("http: %s %s: %s", r->method, path, r->resp.error);
	}
	TAILQ_INSERT_TAIL(&pool->done, r, entry);
}

static void pool_kick(struct http_pool *pool);

void
http_pool_add(struct http_pool *pool, const char *method, const char *url,
    const char *api_key, const char *body, void *tag)
{
	struct preq *r = xcalloc(1, sizeof *r);

	r->tag = tag;
	r->resp.retry_after = -1;
	pool->outstanding++;
	if ((r->err = http_request_check(method, url, api_key, &r->resp)) != HTTP_OK) {
		log_debug("http: %s %s: %s", method ? method : "?",
		    http_url_allowed(url) ? url : "(refused URL)", r->resp.error);
		TAILQ_INSERT_TAIL(&pool->done, r, entry);
		return;
	}
	r->method = xstrdup(method);
	r->url = xstrdup(url);
	r->api_key = xstrdup(api_key);
	r->body = xstrdup(body);
	TAILQ_INSERT_TAIL(&pool->ready, r, entry);
	pool_kick(pool);
}

/* A fresh easy handle for the next attempt of r, on the multi handle. */
static void
attempt_start(struct http_pool *pool, struct preq *r, double now)
{
	CURLcode cc = CURLE_OK;
	CURLMcode mc = CURLM_OK;

	http_response_release(&r->resp);
	r->resp = (struct http_response){ .retry_after = -1 };
	r->x = (struct http_xfer){ .resp = &r->resp };
	r->err = HTTP_TRANSPORT;
	if ((r->h = curl_easy_init()) == NULL ||
	    (cc = http_xfer_setup(r->h, &pool->opt, r->method, r->url, r->api_key,
	    r->body, &r->x)) != CURLE_OK ||
	    (cc = curl_easy_setopt(r->h, CURLOPT_PRIVATE, r)) != CURLE_OK ||
	    (mc = curl_multi_add_handle(pool->multi, r->h)) != CURLM_OK) {
		/* Nothing was sent and retrying would not help. */
		snprintf(r->resp.error, sizeof r->resp.error, "setting up the request: %s",
		    r->h == NULL ? "curl_easy_init failed" : cc != CURLE_OK ?
		    curl_easy_strerror(cc) : curl_multi_strerror(mc));
		curl_easy_cleanup(r->h);
		r->h = NULL;
		http_xfer_release(&r->x);
		preq_final(pool, r);
		return;
	}
	limiter_record(pool, now);
	if (r->attempts++ > 0)
		pool->stats.retries++;
	pool->stats.attempts++;
	pool->nrunning++;
	TAILQ_INSERT_TAIL(&pool->running, r, entry);
}

/* Retries whose time has come join the ready list; then as many ready
 * requests start as max_in_flight and the limiter allow. */
static void
start_ready(struct http_pool *pool)
{
	double now = now_mono();
	struct preq *r;

	while ((r = TAILQ_FIRST(&pool->timers)) != NULL && r->due <= now) {
		TAILQ_REMOVE(&pool->timers, r, entry);
		TAILQ_INSERT_TAIL(&pool->ready, r, entry);
	}
	while ((r = TAILQ_FIRST(&pool->ready)) != NULL &&
	    pool->nrunning < pool->lim.max_in_flight && limiter_next(pool) <= now) {
		TAILQ_REMOVE(&pool->ready, r, entry);
		attempt_start(pool, r, now);
		now = now_mono();
	}
}

static bool
retryable(const struct preq *r)
{
	long s = r->resp.status;

	if (r->err == HTTP_TRANSPORT)
		return true;
	return r->err == HTTP_OK && (s == 429 || s == 408 || (s >= 500 && s <= 599));
}

/* Seconds before retry number k: Retry-After on a 429, else exponential
 * backoff with "equal jitter" (half the step fixed, half random), so a
 * failing server always gets at least half the pause. */
static double
retry_wait(struct http_pool *pool, const struct preq *r, int k)
{
	double d, cap = pool->lim.backoff_max > 0 ? pool->lim.backoff_max : 0;

	if (r->err == HTTP_OK && r->resp.status == 429 && r->resp.retry_after >= 0)
		return fmin((double)r->resp.retry_after, cap);
	d = pool->lim.backoff_base > 0 ? pool->lim.backoff_base : 0;
	d = fmin(ldexp(d, k - 1 < 1000 ? k - 1 : 1000), cap);
	return d / 2 + rng_unit(pool) * d / 2;
}

static void
retry_schedule(struct http_pool *pool, struct preq *r)
{
	double wait = retry_wait(pool, r, r->attempts);
	char path[256], why[300];
	struct preq *t;

	r->due = now_mono() + wait;
	TAILQ_FOREACH(t, &pool->timers, entry)
		if (t->due > r->due)
			break;
	if (t != NULL)
		TAILQ_INSERT_BEFORE(t, r, entry);
	else
		TAILQ_INSERT_TAIL(&pool->timers, r, entry);
	if (pool->unreachable)
		return;
	url_part(r->url, false, path, sizeof path);
	if (r->err == HTTP_OK)
		snprintf(why, sizeof why, "HTTP %ld", r->resp.status);
	else
		snprintf(why, sizeof why, "%s", r->resp.error);
	log_debug("http: retrying %s %s in %.1f s after %s (retry %d of %d)",
	    r->method, path, wait, why, r->attempts, pool->lim.max_retries);
}

/* Counters and the unreachable verdict for one finished attempt. */
static void
attempt_count(struct http_pool *pool, const struct preq *r)
{
	struct http_pool_stats *st = &pool->stats;
	long s = r->resp.status;
	char host[256];

	if (r->err == HTTP_TRANSPORT) {
		st->transport_errors++;
		if (++pool->no_answer < pool->lim.unreachable_after ||
		    pool->lim.unreachable_after <= 0 || pool->unreachable)
			return;
		pool->unreachable = true;
		url_part(r->url, true, host, sizeof host);
		log_warnx("http: %d attempts in a row got no answer from %s: last error: %s",
		    pool->no_answer, host, r->resp.error);
		return;
	}
	pool->no_answer = 0;
	if (s == 429)
		st->answered_429++;
	else if (s >= 200 && s <= 299)
		st->answered_2xx++;
	else if (s >= 400 && s <= 499)
		st->answered_4xx++;
	else if (s >= 500 && s <= 599)
		st->answered_5xx++;
}

static void
attempt_done(struct http_pool *pool, struct preq *r, CURLcode cc)
{
	TAILQ_REMOVE(&pool->running, r, entry);
	pool->nrunning--;
	r->err = http_xfer_result(r->h, cc, &r->x);
	curl_multi_remove_handle(pool->multi, r->h);
	curl_easy_cleanup(r->h);
	r->h = NULL;
	http_xfer_release(&r->x);
	attempt_count(pool, r);
	if (retryable(r) && r->attempts <= pool->lim.max_retries)
		retry_schedule(pool, r);
	else
		preq_final(pool, r);
}

/* Sorts out every transfer curl has finished. */
static void
collect(struct http_pool *pool)
{
	struct preq *r;
	CURLMsg *m;
	int left;
	void *p;

	while ((m = curl_multi_info_read(pool->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p) != CURLE_OK ||
		    p == NULL)
			fatalx("http: a finished transfer that is not the pool's");
		r = p;
		attempt_done(pool, r, m->data.result);
	}
}

/* Milliseconds until something of ours is due: a retry, a start the
 * limiter holds back, or the end of a POLL_SLICE. */
static int
poll_timeout_ms(const struct http_pool *pool)
{
	double now = now_mono(), next = now + POLL_SLICE;
	const struct preq *t;

	if ((t = TAILQ_FIRST(&pool->timers)) != NULL && t->due < next)
		next = t->due;
	if (!TAILQ_EMPTY(&pool->ready) && pool->nrunning < pool->lim.max_in_flight)
		next = fmin(next, limiter_next(pool));
	return next <= now ? 0 : (int)ceil((next - now) * 1000);
}

/*
 * Start what may start and let curl write it, without waiting: a request
 * leaves as soon as it is added.  Before, the first of a run's changes
 * waited in the ready list while the others were journaled (one fdatasync
 * each, up to max_in_flight) until http_pool_wait.
 */
static void
pool_kick(struct http_pool *pool)
{
	CURLMcode mc;
	int still;

	start_ready(pool);
	if ((mc = curl_multi_perform(pool->multi, &still)) != CURLM_OK)
		log_warnx("http: curl_multi_perform: %s", curl_multi_strerror(mc));
	collect(pool);
}

/* One round of work: start what may start, let curl move, collect. */
static void
pool_step(struct http_pool *pool)
{
	static const struct timespec slice = { 0, (long)(POLL_SLICE * 1e9) };
	CURLMcode mc;

	pool_kick(pool);
	if (!TAILQ_EMPTY(&pool->done) || pool->unreachable)
		return;
	if ((mc = curl_multi_poll(pool->multi, NULL, 0, poll_timeout_ms(pool),
	    NULL)) != CURLM_OK) {
		log_warnx("http: curl_multi_poll: %s", curl_multi_strerror(mc));
		nanosleep(&slice, NULL);	/* no busy loop on a broken multi */
	}
}

enum http_pool_event
http_pool_wait(struct http_pool *pool, void **tag, int *err,
    struct http_response *resp)
{
	struct preq *r;

	*tag = NULL;
	*err = HTTP_OK;
	*resp = (struct http_response){ .retry_after = -1 };
	for (;;) {
		if (pool->stop != NULL && *pool->stop)
			return HTTP_POOL_STOPPED;
		if ((r = TAILQ_FIRST(&pool->done)) != NULL)
			break;
		if (pool->unreachable)
			return HTTP_POOL_UNREACHABLE;
		if (pool->outstanding == 0)
			return HTTP_POOL_IDLE;
		pool_step(pool);
	}
	TAILQ_REMOVE(&pool->done, r, entry);
	pool->outstanding--;
	*tag = r->tag;
	*err = r->err;
	*resp = r->resp;
	r->resp.body = NULL;	/* now the caller's */
	if (*err != HTTP_OK)
		http_response_release(resp);
	preq_free(r);
	return HTTP_POOL_DONE;
}
