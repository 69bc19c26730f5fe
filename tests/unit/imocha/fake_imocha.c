/*
 * fake_imocha.c: the http.h seam for test_imocha.  http_request replays
 * answers scripted with fake_http_answer, in order, and records every
 * request (method, URL, key, body, options) for the test to inspect.
 * Linked ahead of the archive, so these symbols win over src/http.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imocha/http.h"
#include "imocha/httppool.h"
#include "util/log.h"
#include "util/xmem.h"

/* The fake's own interface; test_imocha.c declares it again (the seam has
 * no header of its own). */
void fake_http_reset(void);
void fake_http_answer(int err, long status, const char *body, size_t len,
    long retry_after, const char *error);
size_t fake_http_calls(void);
const char *fake_http_method(size_t i);
const char *fake_http_url(size_t i);
const char *fake_http_key(size_t i);
const char *fake_http_body(size_t i);
const struct http_options *fake_http_options(size_t i);

#define FAKE_MAX 64

struct fake_answer {
	int err;
	long status;
	char *body;		/* NULL: none */
	size_t len;
	long retry_after;
	char *error;
};

struct fake_request {
	char *method, *url, *key, *body;
	struct http_options opt;	/* strings not copied: the test's own */
};

static struct fake_answer answers[FAKE_MAX];
static struct fake_request requests[FAKE_MAX];
static size_t nanswers, next_answer, nrequests;

void
fake_http_reset(void)
{
	for (size_t i = 0; i < nanswers; i++) {
		free(answers[i].body);
		free(answers[i].error);
	}
	for (size_t i = 0; i < nrequests; i++) {
		free(requests[i].method);
		free(requests[i].url);
		free(requests[i].key);
		free(requests[i].body);
	}
	nanswers = next_answer = nrequests = 0;
}

/* len (size_t)-1: strlen(body). */
void
fake_http_answer(int err, long status, const char *body, size_t len,
    long retry_after, const char *error)
{
	struct fake_answer *a;

	if (nanswers == FAKE_MAX)
		abort();
	a = &answers[nanswers++];
	if (body != NULL && len == (size_t)-1)
		len = strlen(body);
	*a = (struct fake_answer){ .err = err, .status = status,
	    .body = body ? xstrndup(body, len) : NULL, .len = body ? len : 0,
	    .retry_after = retry_after, .error = xstrdup(error) };
}

size_t
fake_http_calls(void)
{
	return nrequests;
}

const char *
fake_http_method(size_t i)
{
	return i < nrequests ? requests[i].method : NULL;
}

const char *
fake_http_url(size_t i)
{
	return i < nrequests ? requests[i].url : NULL;
}

const char *
fake_http_key(size_t i)
{
	return i < nrequests ? requests[i].key : NULL;
}

const char *
fake_http_body(size_t i)
{
	return i < nrequests ? requests[i].body : NULL;
}

const struct http_options *
fake_http_options(size_t i)
{
	return i < nrequests ? &requests[i].opt : NULL;
}

int
http_global_init(void)
{
	return 0;
}

void
http_global_cleanup(void)
{
}

void
http_response_release(struct http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

bool
http_url_allowed(const char *url)
{
	return url != NULL && (strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "http://127.0.0.1", 16) == 0);
}

int
http_request(const struct http_options *opt, const char *method, const char *url,
    const char *api_key, const char *body, struct http_response *resp)
{
	struct fake_answer *a;

	*resp = (struct http_response){ .retry_after = -1 };
	if (nrequests == FAKE_MAX)
		abort();
	requests[nrequests++] = (struct fake_request){ .method = xstrdup(method),
	    .url = xstrdup(url), .key = xstrdup(api_key), .body = xstrdup(body),
	    .opt = *opt };
	if (next_answer == nanswers) {
		snprintf(resp->error, sizeof resp->error, "fake: no scripted answer");
		return HTTP_TRANSPORT;
	}
	a = &answers[next_answer++];
	resp->status = a->status;
	resp->retry_after = a->retry_after;
	if (a->error != NULL)
		snprintf(resp->error, sizeof resp->error, "%s", a->error);
	if (a->err == HTTP_OK && a->body != NULL) {
		resp->body = xstrndup(a->body, a->len);
		resp->body_len = a->len;
	}
	return a->err;
}

/*
 * The pool is not part of this seam: these tests drive the client with
 * c->pool == NULL, one request at a time.  Defining its entry points here
 * keeps the real pool (and with it the real http.c) out of the link.
 */
void
http_pool_add(struct http_pool *pool, const char *method, const char *url,
    const char *api_key, const char *body, void *tag)
{
	(void)pool, (void)method, (void)url, (void)api_key, (void)body, (void)tag;
	fatalx("fake http: the pool is not faked");
}

enum http_pool_event
http_pool_wait(struct http_pool *pool, void **tag, int *err, struct http_response *resp)
{
	(void)pool, (void)tag, (void)err, (void)resp;
	fatalx("fake http: the pool is not faked");
}
