/*
 * http_int.h: what http.c shares with httppool.c and no other module (it
 * includes curl.h), so a request sent through the pool gets exactly the
 * checks, options and callbacks http_request gives it.
 */
#ifndef L2I_HTTP_INT_H
#define L2I_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "imocha/http.h"

/* One transfer: what the callbacks write into.  resp is set by the
 * caller; the rest starts zeroed.  Must outlive the transfer. */
struct http_xfer {
	struct http_response *resp;
	size_t cap;			/* allocated size of resp->body */
	bool too_large;			/* the write callback stopped it */
	struct curl_slist *headers;
};

/* What can be refused before any byte is sent: HTTP_OK, or HTTP_REFUSED
 * with resp->error saying why (never quoting the key). */
int http_request_check(const char *method, const char *url, const char *api_key,
    struct http_response *resp);
/* Every option of one request on handle h, the same for http_request and
 * the pool.  The arguments were checked by http_request_check; body must
 * outlive the transfer. */
CURLcode http_xfer_setup(CURL *h, const struct http_options *opt, const char *method,
    const char *url, const char *api_key, const char *body, struct http_xfer *x);
/* Sorts a finished transfer (cc its result) into an enum http_error and
 * sets x->resp->status and, on failure, x->resp->error. */
int http_xfer_result(CURL *h, CURLcode cc, struct http_xfer *x);
/* Frees the header list, wiping the key's copy first; the handle must no
 * longer use it. */
void http_xfer_release(struct http_xfer *x);

#endif
