/*
 * http.c: see http.h.  With httppool.c the only file that includes curl.h.
 * Each request runs on its own easy handle; http_xfer_setup puts every
 * option on a handle in one place, and the pool (through http_int.h) uses
 * it unchanged.
 */
#include "imocha/http.h"
#include "imocha/http_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "util/log.h"
#include "util/xmem.h"

#ifndef L2I_VERSION
#define L2I_VERSION "dev"
#endif

#define USER_AGENT	"ldap2imocha/" L2I_VERSION
#define KEY_HEADER	"X-API-KEY: "
#define DEFAULT_TIMEOUT	30L
/* A host that does not answer a connect in this long is treated as down;
 * the caller's retry loop takes it from there. */
#define CONNECT_TIMEOUT	10L
/* A server asking for a longer pause than a day is taken to mean a day. */
#define RETRY_AFTER_MAX	86400L

_Static_assert(sizeof(((struct http_response *)0)->error) >= CURL_ERROR_SIZE,
    "http_response.error must hold curl's error buffer");

int
http_global_init(void)
{
	CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (cc != CURLE_OK) {
		log_errorx("http: curl_global_init: %s", curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

void
http_global_cleanup(void)
{
	curl_global_cleanup();
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

/* ":" followed by nothing or by a port number; "" (no port) too. */
static bool
port_ok(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return true;
	if (*s++ != ':')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return false;
	}
	return true;
}

/* host[:port] or [v6][:port], with no userinfo left; modifies host. */
static bool
host_is_loopback(char *host)
{
	struct in6_addr a6;
	struct in_addr a4;
	char *end;

	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL || !port_ok(end + 1))
			return false;
		*end = '\0';
		return inet_pton(AF_INET6, host + 1, &a6) == 1 &&
		    IN6_IS_ADDR_LOOPBACK(&a6);
	}
	if ((end = strchr(host, ':')) != NULL) {
		if (!port_ok(end))
			return false;
		*end = '\0';
	}
	if (strcasecmp(host, "localhost") == 0)
		return true;
	/* inet_pton takes only four decimal parts: "127.1" or "0x7f.0.0.1"
	 * are refused rather than guessed at. */
	return inet_pton(AF_INET, host, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

bool
http_url_allowed(const char *url)
{
	char auth[256], *at;
	size_t len;

	if (url == NULL)
		return false;
	/* Space or control bytes have no place in a URL; CR/LF could smuggle
	 * a header into the request. */
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	if (strncasecmp(url, "https://", 8) == 0)
		return true;
	if (strncasecmp(url, "http://", 7) != 0)
		return false;
	url += 7;
	len = strcspn(url, "/?#");
	if (len == 0 || len >= sizeof auth)
		return false;
	memcpy(auth, url, len);
	auth[len] = '\0';
	/* Parsers disagree about several '@' or a backslash in the
	 * authority; such a URL is refused, not interpreted. */
	if (strchr(auth, '\\') != NULL)
		return false;
	if ((at = strchr(auth, '@')) != NULL && strchr(at + 1, '@') != NULL)
		return false;
	return host_is_loopback(at ? at + 1 : auth);
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	struct http_response *r = x->resp;
	size_t n = size * nmemb;

	if (n == 0)
		return 0;
	if (n > HTTP_MAX_BODY - r->body_len) {
		x->too_large = true;
		return 0;	/* curl stops with CURLE_WRITE_ERROR */
	}
	xgrow(&r->body, &x->cap, r->body_len + n + 1, 1);
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

/* Retry-After is delta-seconds or an HTTP-date (RFC 9110 10.2.3); the
 * date form is read with curl_getdate against the local clock.  Anything
 * unreadable counts as absent (-1). */
static long
parse_retry_after(const char *v, size_t len)
{
	char buf[128], *end;
	long secs;
	time_t t;

	while (len > 0 && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
	    v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (buf[0] >= '0' && buf[0] <= '9') {
		secs = strtol(buf, &end, 10);
		if (*end != '\0')
			return -1;
		return secs > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : secs;
	}
	if ((t = curl_getdate(buf, NULL)) == -1)
		return -1;
	t -= time(NULL);
	if (t < 0)
		return 0;
	return t > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : (long)t;
}

static size_t
header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_xfer *x = arg;
	size_t n = size * nmemb;

	/* A status line starts a new header block (after a 100 Continue or a
	 * proxy's CONNECT answer): only the last block's value counts. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		x->resp->retry_after = -1;
	else if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
		x->resp->retry_after = parse_retry_after(data + 12, n - 12);
	return n;
}

static struct curl_slist *
headers_build(const char *api_key)
{
	static const char *const fixed[] = {
		"Content-Type: application/json",
		"Accept: application/json",
		"Expect:",	/* no 100-continue round trip */
	};
	struct curl_slist *list = NULL, *l;
	char *key = xasprintf(KEY_HEADER "%s", api_key);

	for (size_t i = 0; i <= sizeof fixed / sizeof fixed[0]; i++) {
		l = curl_slist_append(list, i == 0 ? key : fixed[i - 1]);
		if (l == NULL)
			fatalx("http: out of memory building headers");
		list = l;
	}
	secret_free(key);
	return list;
}

void
http_xfer_release(struct http_xfer *x)
{
	for (struct curl_slist *l = x->headers; l; l = l->next)
		if (strncmp(l->data, KEY_HEADER, strlen(KEY_HEADER)) == 0)
			explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(x->headers);
	x->headers = NULL;
}

#define SETOPT(h, opt, val) do {					\
	CURLcode cc_ = curl_easy_setopt((h), (opt), (val));		\
	if (cc_ != CURLE_OK)						\
		return cc_;						\
} while (0)

/* The options every request shares: safety, TLS, proxy, time limits. */
static CURLcode
setup_transport(CURL *h, const struct http_options *opt)
{
	long timeout = opt->timeout > 0 ? opt->timeout : DEFAULT_TIMEOUT;

	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);	/* the key must not travel on */
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_USERAGENT, USER_AGENT);
	SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, opt->insecure_skip_tls_verify ? 0L : 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, opt->insecure_skip_tls_verify ? 0L : 2L);
	if (opt->ca_file != NULL && opt->ca_file[0] != '\0')
		SETOPT(h, CURLOPT_CAINFO, opt->ca_file);
	if (opt->proxy != NULL && opt->proxy[0] != '\0')
		SETOPT(h, CURLOPT_PROXY, opt->proxy);
	SETOPT(h, CURLOPT_TIMEOUT, timeout);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT,
	    timeout < CONNECT_TIMEOUT ? timeout : CONNECT_TIMEOUT);
	SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_BODY);
	return CURLE_OK;
}

CURLcode
http_xfer_setup(CURL *h, const struct http_options *opt, const char *method,
    const char *url, const char *api_key, const char *body, struct http_xfer *x)
{
	CURLcode cc;

	if ((cc = setup_transport(h, opt)) != CURLE_OK)
		return cc;
	x->headers = headers_build(api_key);
	SETOPT(h, CURLOPT_URL, url);
	/* Plain http only reaches loopback here: a proxy would carry the
	 * key off the machine in clear. */
	if (strncasecmp(url, "http://", 7) == 0)
		SETOPT(h, CURLOPT_NOPROXY, "*");
	SETOPT(h, CURLOPT_HTTPHEADER, x->headers);
	SETOPT(h, CURLOPT_ERRORBUFFER, x->resp->error);
	SETOPT(h, CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(h, CURLOPT_WRITEDATA, x);
	SETOPT(h, CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(h, CURLOPT_HEADERDATA, x);
	if (strcmp(method, "POST") == 0) {
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body ? strlen(body) : 0));
		SETOPT(h, CURLOPT_POSTFIELDS, body ? body : "");
	} else
		SETOPT(h, CURLOPT_HTTPGET, 1L);
	return CURLE_OK;
}

int
http_request_check(const char *method, const char *url, const char *api_key,
    struct http_response *resp)
{
	const char *why = NULL;

	if (method == NULL ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0))
		why = "unsupported method";
	else if (!http_url_allowed(url))
		why = "URL refused: https:// is required (plain http:// only to a loopback address)";
	else if (api_key == NULL || api_key[0] == '\0')
		why = "no API key";
	else
		for (const unsigned char *p = (const unsigned char *)api_key; *p; p++)
			if (*p < ' ' || *p == 0x7f)
				why = "the API key holds control characters";
	if (why == NULL)
		return HTTP_OK;
	snprintf(resp->error, sizeof resp->error, "%s", why);
	return HTTP_REFUSED;
}

int
http_xfer_result(CURL *h, CURLcode cc, struct http_xfer *x)
{
	struct http_response *r = x->resp;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (cc == CURLE_OK)
		return HTTP_OK;
	if (x->too_large || cc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(r->error, sizeof r->error,
		    "answer larger than %u bytes", HTTP_MAX_BODY);
		return HTTP_TOO_LARGE;
	}
	if (r->error[0] == '\0')
		snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(cc));
	return HTTP_TRANSPORT;
}

int
http_request(const struct http_options *opt, const char *method, const char *url,
    const char *api_key, const char *body, struct http_response *resp)
{
	static const struct http_options defaults;
	struct http_xfer x = { .resp = resp };
	CURL *h = NULL;
	CURLcode cc;
	int rc;

	*resp = (struct http_response){ .retry_after = -1 };
	if ((rc = http_request_check(method, url, api_key, resp)) != HTTP_OK)
		goto out;
	rc = HTTP_TRANSPORT;
	if ((h = curl_easy_init()) == NULL) {
		snprintf(resp->error, sizeof resp->error, "curl_easy_init failed");
		goto out;
	}
	if ((cc = http_xfer_setup(h, opt ? opt : &defaults, method, url, api_key,
	    body, &x)) != CURLE_OK) {
		snprintf(resp->error, sizeof resp->error, "setting up the request: %s",
		    curl_easy_strerror(cc));
		goto out;
	}
	rc = http_xfer_result(h, curl_easy_perform(h), &x);
out:
	if (h != NULL)
		curl_easy_cleanup(h);
	http_xfer_release(&x);
	if (rc != HTTP_OK) {
		/* Debug only: the iMocha layer says what the operator sees. */
		log_debug("http: %s %s: %s", method ? method : "?",
		    http_url_allowed(url) ? url : "(refused URL)", resp->error);
		http_response_release(resp);
	}
	return rc;
}
