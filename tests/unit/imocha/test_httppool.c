/*
 * test_httppool.c: httppool.c against a small HTTP server on 127.0.0.1 that
 * a thread of this process runs with poll(2).  It takes many connections
 * at once, keeps them alive unless told to close, answers each request as
 * the test's script says (status, headers, delay, silence, hang-up) and
 * records when each request arrived, on the clock the pool uses.  Timing
 * checks are one-sided: lower bounds, or upper bounds far above need.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "imocha/http.h"
#include "imocha/httppool.h"
#include "util/log.h"
#include "testlib.h"

#define KEY	"k3y-s3cret"
#define MAXREQ	256
#define MAXCONN	64

enum act {
	ACT_REPLY,	/* answer after delay seconds */
	ACT_SILENT,	/* never answer; keep the connection open */
	ACT_HANGUP,	/* close the connection without a word */
};

struct answer {
	enum act act;
	int status;
	const char *headers;	/* extra header lines, each ending in CRLF */
	double delay;
	bool close;		/* Connection: close */
};

/* n: arrivals before this one; k: earlier arrivals for the same path. */
typedef void script_fn(int n, const char *path, int k, struct answer *a);

enum conn_state { C_FREE, C_READ, C_WAIT, C_SILENT };

struct conn {
	enum conn_state state;
	int fd;
	char buf[8192];
	size_t len, reqlen;
	double due;
	struct answer a;
	char path[64];
	const char *body;
};

/* The server; the test reads its records only after srv_stop joined it. */
static struct {
	int lfd, port, wake[2];
	pthread_t th;
	script_fn *script;
	struct conn conns[MAXCONN];
	int nreq, naccept, open_now, open_max;
	double arrival[MAXREQ];
	char path[MAXREQ][64];
	char url[64];		/* http://127.0.0.1:PORT */
} S;

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
listen_any(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("test_httppool: server socket");
		exit(1);
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0 && (n = write(fd, p, len)) > 0)
		p += n, len -= (size_t)n;
}

static void
conn_close(struct conn *c)
{
	if (c->state == C_WAIT || c->state == C_SILENT)
		S.open_now--;
	close(c->fd);
	c->state = C_FREE;
}

/* Length of the complete request at the start of c->buf, or 0. */
static size_t
request_len(struct conn *c)
{
	char *end, *cl;
	size_t hlen;

	c->buf[c->len] = '\0';
	if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		return 0;
	hlen = (size_t)(end + 4 - c->buf);
	if ((cl = strcasestr(c->buf, "\r\nContent-Length:")) != NULL && cl < end)
		hlen += strtoul(cl + 17, NULL, 10);
	return c->len >= hlen ? hlen : 0;
}

static int
path_count(const char *path)
{
	int k = 0;

	for (int i = 0; i < S.nreq; i++)
		k += strcmp(S.path[i], path) == 0;
	return k;
}

static void
request_arrived(struct conn *c)
{
	double now = now_mono();
	char *sp = strchr(c->buf, ' ');
	int k;

	snprintf(c->path, sizeof c->path, "%.*s", sp ? (int)strcspn(sp + 1, " ") : 0,
	    sp ? sp + 1 : "");
	c->body = strstr(c->buf, "\r\n\r\n") + 4;
	k = path_count(c->path);
	c->a = (struct answer){ .act = ACT_REPLY, .status = 200, .headers = "" };
	if (S.script != NULL)
		S.script(S.nreq, c->path, k, &c->a);
	if (S.nreq < MAXREQ) {
		S.arrival[S.nreq] = now;
		memcpy(S.path[S.nreq], c->path, sizeof S.path[0]);
		S.nreq++;
	}
	if (++S.open_now > S.open_max)
		S.open_max = S.open_now;
	c->state = c->a.act == ACT_SILENT ? C_SILENT : C_WAIT;
	c->due = now + c->a.delay;
}

/* The reply body echoes the path and the request body. */
static void
conn_answer(struct conn *c)
{
	char body[512], head[1024];
	int blen, hlen;

	if (c->a.act == ACT_HANGUP) {
		conn_close(c);
		return;
	}
	blen = snprintf(body, sizeof body, "%s %.*s", c->path,
	    (int)(c->buf + c->reqlen - c->body), c->body);
	hlen = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\n%s%s\r\n", c->a.status, blen, c->a.headers,
	    c->a.close ? "Connection: close\r\n" : "");
	write_all(c->fd, head, (size_t)hlen);
	write_all(c->fd, body, (size_t)blen);
	S.open_now--;
	if (c->a.close) {
		c->state = C_FREE;
		close(c->fd);
		return;
	}
	memmove(c->buf, c->buf + c->reqlen, c->len - c->reqlen);
	c->len -= c->reqlen;
	c->state = C_READ;
}

static void
conn_input(struct conn *c)
{
	ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len);

	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	if (c->state == C_READ && (c->reqlen = request_len(c)) > 0)
		request_arrived(c);
}

static void
srv_accept(void)
{
	int fd = accept(S.lfd, NULL, NULL);

	if (fd < 0)
		return;
	S.naccept++;
	for (int i = 0; i < MAXCONN; i++)
		if (S.conns[i].state == C_FREE) {
			S.conns[i] = (struct conn){ .state = C_READ, .fd = fd };
			return;
		}
	close(fd);
}

/* Answers what is due; returns the poll timeout until the next one. */
static int
srv_due(void)
{
	double now = now_mono(), next = -1;

	for (int i = 0; i < MAXCONN; i++) {
		struct conn *c = &S.conns[i];

		if (c->state != C_WAIT)
			continue;
		if (c->due <= now)
			conn_answer(c);
		else if (next < 0 || c->due < next)
			next = c->due;
	}
	return next < 0 ? -1 : (int)((next - now) * 1000) + 1;
}

static void *
srv_main(void *arg)
{
	struct pollfd pf[MAXCONN + 2];
	int idx[MAXCONN + 2], np, timeout;
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		timeout = srv_due();
		pf[0] = (struct pollfd){ .fd = S.wake[0], .events = POLLIN };
		pf[1] = (struct pollfd){ .fd = S.lfd, .events = POLLIN };
		np = 2;
		for (int i = 0; i < MAXCONN; i++)
			if (S.conns[i].state != C_FREE) {
				idx[np] = i;
				pf[np++] = (struct pollfd){ .fd = S.conns[i].fd, .events = POLLIN };
			}
		if (poll(pf, (nfds_t)np, timeout) < 0)
			continue;
		if (pf[0].revents)
			break;
		if (pf[1].revents)
			srv_accept();
		for (int j = 2; j < np; j++)
			if (pf[j].revents && S.conns[idx[j]].state != C_FREE)
				conn_input(&S.conns[idx[j]]);
	}
	for (int i = 0; i < MAXCONN; i++)
		if (S.conns[i].state != C_FREE)
			conn_close(&S.conns[i]);
	return NULL;
}

static void
srv_start(script_fn *script)
{
	memset(&S, 0, sizeof S);
	S.script = script;
	S.lfd = listen_any(&S.port);
	snprintf(S.url, sizeof S.url, "http://127.0.0.1:%d", S.port);
	if (pipe(S.wake) < 0 || pthread_create(&S.th, NULL, srv_main, NULL) != 0) {
		perror("test_httppool: server thread");
		exit(1);
	}
}

static void
srv_stop(void)
{
	write_all(S.wake[1], "x", 1);
	pthread_join(S.th, NULL);
	close(S.wake[0]);
	close(S.wake[1]);
	close(S.lfd);
}

/* ---- the client side ---- */

static int tags[MAXREQ];
static struct {
	int n, err;
	long status;
	char body[256], error[256];
} got[MAXREQ];

static double backoff_base = 0.05, backoff_max = 10;

static struct http_pool *
pool_make(long timeout, double rps, int in_flight, int retries, int unreachable)
{
	struct http_options opt = { .timeout = timeout };
	struct http_pool_limits lim = {
		.requests_per_second = rps,
		.max_in_flight = in_flight,
		.max_retries = retries,
		.unreachable_after = unreachable,
		.backoff_base = backoff_base,
		.backoff_max = backoff_max,
	};

	memset(got, 0, sizeof got);
	return http_pool_new(&opt, &lim);
}

static void
add(struct http_pool *pool, int i, const char *path)
{
	char url[128], body[32];

	snprintf(url, sizeof url, "%s%s", S.url, path);
	snprintf(body, sizeof body, "{\"i\":%d}", i);
	http_pool_add(pool, "POST", url, KEY, body, &tags[i]);
}

static void
got_store(void *tag, int err, struct http_response *r)
{
	int i = (int)((int *)tag - tags);

	got[i].n++;
	got[i].err = err;
	got[i].status = r->status;
	snprintf(got[i].body, sizeof got[i].body, "%s", r->body ? r->body : "(null)");
	snprintf(got[i].error, sizeof got[i].error, "%s", r->error);
	http_response_release(r);
}

/* Waits until something other than DONE, storing each result. */
static enum http_pool_event
collect(struct http_pool *pool)
{
	enum http_pool_event ev;
	struct http_response r;
	void *tag;
	int err;

	while ((ev = http_pool_wait(pool, &tag, &err, &r)) == HTTP_POOL_DONE)
		got_store(tag, err, &r);
	return ev;
}

/* Sends /r/0 .. /r/n-1, adding only while the pool has room, which
 * keeps at most max outstanding. */
static enum http_pool_event
drive(struct http_pool *pool, int n, size_t max)
{
	enum http_pool_event ev;
	struct http_response r;
	char path[32];
	void *tag;
	int err, next = 0;

	for (;;) {
		for (; next < n && http_pool_has_room(pool); next++) {
			snprintf(path, sizeof path, "/r/%d", next);
			add(pool, next, path);
		}
		CHECK(http_pool_outstanding(pool) <= max);
		if ((ev = http_pool_wait(pool, &tag, &err, &r)) != HTTP_POOL_DONE)
			return ev;
		got_store(tag, err, &r);
	}
}

/* One request to path, all of its answers collected. */
static enum http_pool_event
one(struct http_pool *pool, const char *path)
{
	add(pool, 0, path);
	return collect(pool);
}

static int log_fd = -1, log_saved = -1;
static char log_path[64];
static char log_text[16384];

static void
log_capture(void)
{
	fflush(stderr);
	snprintf(log_path, sizeof log_path, "/tmp/test_httppool_logXXXXXX");
	if ((log_fd = mkstemp(log_path)) < 0 || (log_saved = dup(2)) < 0) {
		perror("test_httppool: log capture");
		exit(1);
	}
	dup2(log_fd, 2);
	log_init(LOG_LEVEL_DEBUG, false);
}

static void
log_release(void)
{
	ssize_t n;

	log_init(LOG_LEVEL_INFO, false);
	fflush(stderr);
	dup2(log_saved, 2);
	close(log_saved);
	n = pread(log_fd, log_text, sizeof log_text - 1, 0);
	log_text[n > 0 ? n : 0] = '\0';
	close(log_fd);
	unlink(log_path);
}

/* ---- scripts ---- */

static void
script_slow(int n, const char *path, int k, struct answer *a)
{
	(void)n, (void)path, (void)k;
	a->delay = 0.2;
}

/* /retry-N paths get a 503 the first time. */
static void
script_first_503(int n, const char *path, int k, struct answer *a)
{
	(void)n;
	if (strncmp(path, "/retry", 6) == 0 && k == 0)
		a->status = 503;
}

static const char *script_headers;
static int script_status, script_times;

/* script_status (with script_headers) script_times times, then 200. */
static void
script_status_then_ok(int n, const char *path, int k, struct answer *a)
{
	(void)n, (void)path;
	if (k < script_times) {
		a->status = script_status;
		a->headers = script_headers;
	}
}

static void
script_by_path(int n, const char *path, int k, struct answer *a)
{
	(void)n;
	if (strcmp(path, "/bad") == 0)
		a->status = 400;
	else if (strcmp(path, "/denied") == 0)
		a->status = 403;
	else if (strcmp(path, "/timeout") == 0 && k == 0)
		a->status = 408;
	else if (strcmp(path, "/gone") == 0)
		a->status = 404;
}

static enum act script_act;

/* script_act on the first arrival, 200 after; connections never reused,
 * so a hang-up is not mistaken by curl for a stale kept-alive one. */
static void
script_act_then_ok(int n, const char *path, int k, struct answer *a)
{
	(void)n, (void)path;
	a->close = true;
	if (k == 0)
		a->act = script_act;
}

/* hang-up, 500, hang-up, 200: never two attempts in a row without answer. */
static void
script_alternate(int n, const char *path, int k, struct answer *a)
{
	(void)n, (void)path;
	a->close = true;
	if (k == 0 || k == 2)
		a->act = ACT_HANGUP;
	else if (k == 1)
		a->status = 500;
}

static void
script_mixed_free(int n, const char *path, int k, struct answer *a)
{
	(void)n, (void)k;
	if (strcmp(path, "/fast") == 0)
		return;
	if (strcmp(path, "/retry") == 0)
		a->status = 500;
	else if (strcmp(path, "/silent") == 0)
		a->act = ACT_SILENT;
	else
		a->delay = 5;
}

/* ---- the cases ---- */

static void
test_idle(void)
{
	struct http_pool *pool = pool_make(5, 5, 2, 1, 0);
	struct http_response r;
	void *tag = &tag;
	int err = -1;

	CHECK(pool != NULL);
	CHECK(http_pool_has_room(pool));
	CHECK_INT(http_pool_outstanding(pool), 0);
	CHECK_INT(http_pool_wait(pool, &tag, &err, &r), HTTP_POOL_IDLE);
	CHECK(tag == NULL);
	CHECK(r.body == NULL);
	http_pool_free(pool);
	http_pool_free(NULL);
}

static void
test_many(void)
{
	struct http_pool *pool = pool_make(10, 1000, 4, 2, 3);
	struct http_pool_stats st;
	char want[64];

	srv_start(NULL);
	CHECK_INT(drive(pool, 40, 4), HTTP_POOL_IDLE);
	srv_stop();
	for (int i = 0; i < 40; i++) {
		snprintf(want, sizeof want, "/r/%d {\"i\":%d}", i, i);
		CHECK_INT(got[i].n, 1);
		CHECK_INT(got[i].err, HTTP_OK);
		CHECK_INT(got[i].status, 200);
		CHECK_STR(got[i].body, want);
	}
	http_pool_stats(pool, &st);
	CHECK_INT(st.attempts, 40);
	CHECK_INT(st.retries, 0);
	CHECK_INT(st.answered_2xx, 40);
	CHECK_INT(S.nreq, 40);
	CHECK(S.naccept < 40);	/* kept-alive connections were reused */
	CHECK(S.open_max <= 4);
	http_pool_free(pool);
}

static void
test_in_flight_bound(void)
{
	struct http_pool *pool = pool_make(10, 1000, 3, 0, 0);
	char url[128];

	srv_start(script_slow);
	/* The caller ignores has_room here: the pool still keeps 3 at most
	 * on the wire.  Two host names, so that curl's per-host connection
	 * cap is not what holds them. */
	for (int i = 0; i < 12; i++) {
		snprintf(url, sizeof url, "http://%s:%d/r/%d",
		    i % 2 ? "localhost" : "127.0.0.1", S.port, i);
		http_pool_add(pool, "GET", url, KEY, NULL, &tags[i]);
	}
	CHECK(!http_pool_has_room(pool));
	CHECK_INT(http_pool_outstanding(pool), 12);
	CHECK_INT(collect(pool), HTTP_POOL_IDLE);
	srv_stop();
	CHECK_INT(http_pool_outstanding(pool), 0);
	CHECK(http_pool_has_room(pool));
	for (int i = 0; i < 12; i++)
		CHECK_INT(got[i].status, 200);
	CHECK_INT(S.nreq, 12);
	CHECK(S.open_max <= 3);
	CHECK(S.open_max >= 2);
	http_pool_free(pool);
}

/* No more than max starts in any window [t, t + 1 s) at the server. */
static int
max_in_window(double window)
{
	int best = 0;

	for (int i = 0; i < S.nreq; i++) {
		int c = 0;

		for (int j = 0; j < S.nreq; j++)
			c += S.arrival[j] >= S.arrival[i] && S.arrival[j] < S.arrival[i] + window;
		if (c > best)
			best = c;
	}
	return best;
}

static void
test_rate_limit(void)
{
	struct http_pool *pool = pool_make(10, 5, 20, 2, 0);
	struct http_pool_stats st;
	char path[32];
	double t0;

	/* 15 requests, 3 of them retried once: 18 starts, 5 a second. */
	srv_start(script_first_503);
	t0 = now_mono();
	for (int i = 0; i < 15; i++) {
		snprintf(path, sizeof path, i % 5 == 0 ? "/retry%d" : "/r/%d", i);
		add(pool, i, path);
	}
	CHECK_INT(collect(pool), HTTP_POOL_IDLE);
	t0 = now_mono() - t0;
	srv_stop();
	for (int i = 0; i < 15; i++)
		CHECK_INT(got[i].status, 200);
	http_pool_stats(pool, &st);
	CHECK_INT(st.attempts, 18);
	CHECK_INT(st.retries, 3);
	CHECK_INT(S.nreq, 18);
	CHECK(max_in_window(1.0) <= 5);
	CHECK(t0 >= 3.0);
	printf("# 18 starts at 5/s took %.2f s\n", t0);
	http_pool_free(pool);
}

static void
test_rate_below_one(void)
{
	struct http_pool *pool = pool_make(10, 0.8, 4, 0, 0);

	srv_start(NULL);
	add(pool, 0, "/a");
	add(pool, 1, "/b");
	CHECK_INT(collect(pool), HTTP_POOL_IDLE);
	srv_stop();
	CHECK_INT(S.nreq, 2);
	if (S.nreq == 2)
		CHECK(S.arrival[1] - S.arrival[0] >= 1.2);	/* 1/0.8 s apart */
	http_pool_free(pool);
}

static void
test_429_retry_after(void)
{
	struct http_pool *pool = pool_make(10, 100, 4, 3, 0);
	struct http_pool_stats st;

	script_status = 429, script_times = 1;
	script_headers = "Retry-After: 1\r\n";
	srv_start(script_status_then_ok);
	CHECK_INT(one(pool, "/limited"), HTTP_POOL_IDLE);
	srv_stop();
	CHECK_INT(got[0].err, HTTP_OK);
	CHECK_INT(got[0].status, 200);
	CHECK_INT(S.nreq, 2);
	if (S.nreq == 2)
		CHECK(S.arrival[1] - S.arrival[0] >= 0.999);
	http_pool_stats(pool, &st);
	CHECK_INT(st.answered_429, 1);
	CHECK_INT(st.answered_4xx, 0);
	CHECK_INT(st.answered_2xx, 1);
	CHECK_INT(st.retries, 1);
	http_pool_free(pool);
}

/* Retry-After is capped at backoff_max. */
static void
test_429_capped(void)
{
	struct http_pool *pool;
	double t0;

	backoff_max = 0.3;
	pool = pool_make(10, 100, 4, 3, 0);
	backoff_max = 10;
	script_status = 429, script_times = 1;
	script_headers = "Retry-After: 3600\r\n";
	srv_start(script_status_then_ok);
	t0 = now_mono();
	CHECK_INT(one(pool, "/limited"), HTTP_POOL_IDLE);
	t0 = now_mono() - t0;
	srv_stop();
	CHECK_INT(got[0].status, 200);
	CHECK_INT(S.nreq, 2);
	if (S.nreq == 2)
		CHECK(S.arrival[1] - S.arrival[0] >= 0.299);
	CHECK(t0 < 30);
	http_pool_free(pool);
}

static void
test_5xx_then_ok(void)
{
	struct http_pool *pool = pool_make(10, 100, 4, 5, 0);
	struct http_pool_stats st;

	script_status = 500, script_times = 2, script_headers = "";
	srv_start(script_status_then_ok);
	log_capture();
	add(pool, 0, "/v3/users?email=a@b.c");
	CHECK_INT(collect(pool), HTTP_POOL_IDLE);
	log_release();
	srv_stop();
	CHECK_INT(got[0].n, 1);
	CHECK_INT(got[0].err, HTTP_OK);
	CHECK_INT(got[0].status, 200);
	CHECK_INT(S.nreq, 3);
	http_pool_stats(pool, &st);
	CHECK_INT(st.attempts, 3);
	CHECK_INT(st.retries, 2);
	CHECK_INT(st.answered_5xx, 2);
	CHECK_INT(st.answered_2xx, 1);
	CHECK(strstr(log_text, "debug: http: retrying POST /v3/users in ") != NULL);
	CHECK(strstr(log_text, " s after HTTP 500 (retry 1 of 5)") != NULL);
	CHECK(strstr(log_text, "(retry 2 of 5)") != NULL);
	CHECK(strstr(log_text, "(retry 3") == NULL);
	CHECK(strstr(log_text, KEY) == NULL);
	CHECK(strstr(log_text, "a@b.c") == NULL);	/* path only, no query */
	http_pool_free(pool);
}

static void
test_5xx_forever(void)
{
	struct http_pool *pool = pool_make(10, 100, 4, 2, 0);
	struct http_pool_stats st;

	script_status = 500, script_times = 1000, script_headers = "";
	srv_start(script_status_then_ok);
	CHECK_INT(one(pool, "/broken"), HTTP_POOL_IDLE);
	srv_stop();
	CHECK_INT(got[0].n, 1);
	CHECK_INT(got[0].err, HTTP_OK);
	CHECK_INT(got[0].status, 500);
	CHECK_STR(got[0].body, "/broken {\"i\":0}");	/* the last answer's body */
	CHECK_INT(S.nreq, 3);
	http_pool_stats(pool, &st);
	CHECK_INT(st.attempts, 3);
	CHECK_INT(st.retries, 2);
	CHECK_INT(st.answered_5xx, 3);
	http_pool_free(pool);
}

static void
test_final_at_once(void)
{
	struct http_pool *pool = pool_make(10, 100, 4, 5, 0);
	struct http_pool_stats st;

	srv_start(script_by_path);
	add(pool, 0, "/bad");
	add(pool, 1, "/denied");
	add(pool, 2, "/gone");
	add(pool, 3, "/timeout");
	CHECK_INT(collect(pool), HTTP_POOL_IDLE);
	srv_stop();
	CHECK_INT(got[0].status, 400);
	CHECK_INT(got[1].status, 403);
	CHECK_INT(got[2].status, 404);
	CHECK_INT(got[3].status, 200);	/* 408 is retried */
	CHECK_INT(S.nreq, 5);
	CHECK_INT(path_count("/bad"), 1);
	CHECK_INT(path_count("/timeout"), 2);
	http_pool_stats(pool, &st);
	CHECK_INT(st.retries, 1);
	CHECK_INT(st.answered_4xx, 4);
	http_pool_free(pool);
}

static void
test_unreachable(void)
{
	struct http_pool *pool = pool_make(5, 100, 4, 10, 3);
	struct http_pool_stats st;
	struct http_response r;
	char url[64], want[96];
	int lfd, port, err;
	void *tag;

	/* Nobody listens on a port just released. */
	lfd = listen_any(&port);
	close(lfd);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v3/x", port);
	log_capture();
	http_pool_add(pool, "GET", url, KEY, NULL, &tags[0]);
	CHECK_INT(http_pool_wait(pool, &tag, &err, &r), HTTP_POOL_UNREACHABLE);
	log_release();
	CHECK_INT(http_pool_wait(pool, &tag, &err, &r), HTTP_POOL_UNREACHABLE);
	CHECK(tag == NULL);
	http_pool_stats(pool, &st);
	CHECK_INT(st.attempts, 3);
	CHECK_INT(st.transport_errors, 3);
	CHECK_INT(http_pool_outstanding(pool), 1);
	snprintf(want, sizeof want, "http: 3 attempts in a row got no answer from 127.0.0.1:%d: ",
	    port);
	CHECK(strstr(log_text, want) != NULL);
	CHECK(strstr(log_text, "warning") != NULL);
	CHECK(strstr(log_text, KEY) == NULL);
	http_pool_free(pool);
}

/* An answer, even a 500, resets the count of attempts without one. */
static void
test_unreachable_reset(void)
{
	struct http_pool *pool = pool_make(5, 100, 4, 5, 2);
	struct http_pool_stats st;

	srv_start(script_alternate);
	CHECK_INT(one(pool, "/flaky"), HTTP_POOL_IDLE);
	srv_stop();
	CHECK_INT(got[0].status, 200);
	CHECK_INT(S.nreq, 4);
	http_pool_stats(pool, &st);
	CHECK_INT(st.transport_errors, 2);
	CHECK_INT(st.retries, 3);
	http_pool_free(pool);
}

static void
test_hangup_retried(void)
{
	struct http_pool *pool = pool_make(5, 100, 4, 2, 0);
	struct http_pool_stats st;

	script_act = ACT_HANGUP;
	srv_start(script_act_then_ok);
	CHECK_INT(one(pool, "/x"), HTTP_POOL_IDLE);
	srv_stop();
	CHECK_INT(got[0].err, HTTP_OK);
	CHECK_INT(got[0].status, 200);
	CHECK_INT(S.nreq, 2);
	http_pool_stats(pool, &st);
	CHECK_INT(st.transport_errors, 1);
	CHECK_INT(st.retries, 1);
	http_pool_free(pool);
}

static void
test_timeout_retried(void)
{
	struct http_pool *pool = pool_make(1, 100, 4, 2, 0);
	struct http_pool_stats st;
	double t0 = now_mono();

	script_act = ACT_SILENT;
	srv_start(script_act_then_ok);
	CHECK_INT(one(pool, "/x"), HTTP_POOL_IDLE);
	t0 = now_mono() - t0;
	srv_stop();
	CHECK_INT(got[0].status, 200);
	CHECK_INT(S.nreq, 2);
	CHECK(t0 >= 0.99);
	http_pool_stats(pool, &st);
	CHECK_INT(st.transport_errors, 1);
	CHECK_INT(st.retries, 1);
	http_pool_free(pool);
}

/* The last attempt's transport error is final once retries run out. */
static void
test_transport_final(void)
{
	struct http_pool *pool = pool_make(5, 100, 4, 1, 0);

	srv_start(NULL);
	srv_stop();	/* the port is closed again: refused */
	CHECK_INT(one(pool, "/x"), HTTP_POOL_IDLE);
	CHECK_INT(got[0].err, HTTP_TRANSPORT);
	CHECK_STR(got[0].body, "(null)");
	CHECK(got[0].error[0] != '\0');
	http_pool_free(pool);
}

static volatile sig_atomic_t stop_flag;

static void
on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
test_stop_flag(void)
{
	struct http_pool *pool = pool_make(30, 100, 4, 2, 0);
	struct itimerval it = { .it_value = { 0, 300000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct http_response r;
	void *tag;
	int err;
	double t0;

	script_act = ACT_SILENT;
	srv_start(script_act_then_ok);
	http_pool_set_stop_flag(pool, &stop_flag);
	add(pool, 0, "/x");
	stop_flag = 1;
	CHECK_INT(http_pool_wait(pool, &tag, &err, &r), HTTP_POOL_STOPPED);
	stop_flag = 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = now_mono();
	CHECK_INT(http_pool_wait(pool, &tag, &err, &r), HTTP_POOL_STOPPED);
	t0 = now_mono() - t0;
	CHECK(t0 >= 0.25);
	CHECK(t0 < 5);		/* not the 30 s timeout */
	CHECK_INT(http_pool_outstanding(pool), 1);
	http_pool_free(pool);	/* abandons the request in flight */
	srv_stop();
	CHECK_INT(S.nreq, 1);
	signal(SIGALRM, SIG_DFL);
	stop_flag = 0;
}

/* Free with requests in every state: nothing awaited, nothing leaked. */
static void
test_free_busy(void)
{
	struct http_pool *pool;
	struct http_response r;
	void *tag;
	int err;
	double t0 = now_mono();

	backoff_base = 5;
	pool = pool_make(30, 100, 3, 3, 0);
	backoff_base = 0.05;
	srv_start(script_mixed_free);
	add(pool, 0, "/retry");
	add(pool, 1, "/fast");
	add(pool, 2, "/silent");
	add(pool, 3, "/slow");
	add(pool, 4, "/slow2");
	add(pool, 5, "/slow3");
	http_pool_add(pool, "GET", "http://example.com/", KEY, NULL, &tags[6]);
	/* A request starts when added, so /fast may be done before the
	 * refused one is: both are taken, in whichever order. */
	while ((got[1].n == 0 || got[6].n == 0) &&
	    http_pool_wait(pool, &tag, &err, &r) == HTTP_POOL_DONE)
		got_store(tag, err, &r);
	CHECK_INT(got[1].status, 200);
	CHECK_INT(got[6].err, HTTP_REFUSED);
	CHECK_INT(http_pool_outstanding(pool), 5);
	http_pool_free(pool);
	srv_stop();
	CHECK(now_mono() - t0 < 4.5);	/* the 5 s answers were not awaited */
}

static void
test_refused(void)
{
	struct http_pool *pool = pool_make(5, 100, 4, 2, 0);
	struct http_pool_stats st;

	srv_start(NULL);
	http_pool_add(pool, "POST", "http://example.com/v3/x", KEY, "{}", &tags[0]);
	http_pool_add(pool, "PUT", "https://x.example/", KEY, NULL, &tags[1]);
	http_pool_add(pool, "GET", "https://x.example/", "", NULL, &tags[2]);
	add(pool, 3, "/ok");
	CHECK_INT(http_pool_outstanding(pool), 4);
	CHECK_INT(collect(pool), HTTP_POOL_IDLE);
	srv_stop();
	for (int i = 0; i < 3; i++) {
		CHECK_INT(got[i].n, 1);
		CHECK_INT(got[i].err, HTTP_REFUSED);
		CHECK_STR(got[i].body, "(null)");
		CHECK(got[i].error[0] != '\0');
	}
	CHECK(strstr(got[0].error, "https") != NULL);
	CHECK_INT(got[3].status, 200);
	CHECK_INT(S.nreq, 1);
	http_pool_stats(pool, &st);
	CHECK_INT(st.attempts, 1);
	http_pool_free(pool);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (http_global_init() != 0)
		return 1;
	RUN(test_idle);
	RUN(test_many);
	RUN(test_in_flight_bound);
	RUN(test_rate_limit);
	RUN(test_rate_below_one);
	RUN(test_429_retry_after);
	RUN(test_429_capped);
	RUN(test_5xx_then_ok);
	RUN(test_5xx_forever);
	RUN(test_final_at_once);
	RUN(test_unreachable);
	RUN(test_unreachable_reset);
	RUN(test_hangup_retried);
	RUN(test_timeout_retried);
	RUN(test_transport_final);
	RUN(test_stop_flag);
	RUN(test_free_busy);
	RUN(test_refused);
	http_global_cleanup();
	return TESTLIB_EXIT();
}
