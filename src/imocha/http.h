/*
 * http.h: the one place that talks HTTP (libcurl).  http_request performs a
 * single request and fills *resp; it never retries (the caller decides).
 * The API key travels only in the header given here and is never logged.
 * Plain http:// is refused unless the host is a loopback address.
 */
#ifndef L2I_HTTP_H
#define L2I_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct http_options {
	const char *ca_file;		/* NULL: system trust store */
	bool insecure_skip_tls_verify;
	const char *proxy;		/* NULL: libcurl's environment */
	long timeout;			/* seconds, whole request */
};

enum http_error {
	HTTP_OK = 0,		/* an HTTP answer arrived (any status) */
	HTTP_TRANSPORT,		/* connect/reset/timeout/TLS: nothing usable arrived */
	HTTP_REFUSED,		/* refused before sending (bad URL, plain http off loopback) */
	HTTP_TOO_LARGE,		/* answer body over HTTP_MAX_BODY */
};

#define HTTP_MAX_BODY (4u * 1024 * 1024)

struct http_response {
	long status;		/* HTTP status code */
	char *body;		/* NUL-terminated, owned; NULL if none */
	size_t body_len;
	long retry_after;	/* seconds from Retry-After, -1 if absent */
	char error[256];	/* what went wrong, for HTTP_TRANSPORT/REFUSED */
};

int http_global_init(void);
void http_global_cleanup(void);
/* method "GET" or "POST"; body NULL for none (sent as application/json).
 * api_key goes in X-API-KEY.  Returns an enum http_error; *resp is filled
 * in every case and released with http_response_release. */
int http_request(const struct http_options *opt, const char *method, const char *url,
    const char *api_key, const char *body, struct http_response *resp);
void http_response_release(struct http_response *resp);
/* True when url is https://, or http:// to 127.0.0.0/8, ::1 or localhost. */
bool http_url_allowed(const char *url);

#endif
