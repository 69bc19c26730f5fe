/*
 * test_http.c: http.c against a tiny server on 127.0.0.1 that a forked
 * child runs for one connection: it reads the request, answers canned
 * bytes and hands the request back through a pipe for inspection.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "imocha/http.h"
#include "util/log.h"
#include "testlib.h"

enum srv_mode {
	SRV_CANNED,	/* answer the canned bytes */
	SRV_SILENT,	/* accept, read, never answer */
	SRV_STREAM,	/* canned headers, then stream_len bytes of 'x' */
};

struct srv {
	int port;
	pid_t pid;
	int pipe_rd;
	char url[128];
};

static char request_seen[1 << 16];

/* Reads one request (headers and Content-Length body) into buf. */
static size_t
read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0, want = 0;
	char *hdr_end, *cl;
	ssize_t n;

	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if ((hdr_end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (want == 0) {
			want = (size_t)(hdr_end + 4 - buf);
			if ((cl = strcasestr(buf, "\r\nContent-Length:")) != NULL &&
			    cl < hdr_end)
				want += strtoul(cl + 17, NULL, 10);
		}
		if (len >= want)
			break;
	}
	buf[len] = '\0';
	return len;
}

static void
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0 && (n = write(fd, p, len)) > 0)
		p += n, len -= (size_t)n;
}

static void
srv_child(int lfd, int pipe_wr, enum srv_mode mode, const char *reply,
    size_t stream_len)
{
	static char req[1 << 16], chunk[65536];
	size_t len;
	int c;

	signal(SIGPIPE, SIG_IGN);
	if ((c = accept(lfd, NULL, NULL)) < 0)
		_exit(1);
	len = read_request(c, req, sizeof req);
	if (mode == SRV_SILENT)
		pause();
	write_all(c, reply, strlen(reply));
	if (mode == SRV_STREAM) {
		memset(chunk, 'x', sizeof chunk);
		for (size_t sent = 0; sent < stream_len; sent += sizeof chunk)
			write_all(c, chunk, stream_len - sent < sizeof chunk ?
			    stream_len - sent : sizeof chunk);
	}
	shutdown(c, SHUT_WR);
	close(c);
	write_all(pipe_wr, req, len);
	_exit(0);
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
	    listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("test_http: server socket");
		exit(1);
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
srv_start(struct srv *s, enum srv_mode mode, const char *reply, size_t stream_len)
{
	int lfd = listen_any(&s->port), p[2];

	if (pipe(p) < 0) {
		perror("pipe");
		exit(1);
	}
	fflush(stdout);
	if ((s->pid = fork()) < 0) {
		perror("fork");
		exit(1);
	}
	if (s->pid == 0) {
		close(p[0]);
		srv_child(lfd, p[1], mode, reply, stream_len);
	}
	close(p[1]);
	close(lfd);
	s->pipe_rd = p[0];
	snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/v3/x", s->port);
}

/* Collects what the server saw (empty when it was killed). */
static void
srv_finish(struct srv *s, bool kill_it)
{
	size_t len = 0;
	ssize_t n;

	if (kill_it)
		kill(s->pid, SIGKILL);
	while (len < sizeof request_seen - 1 &&
	    (n = read(s->pipe_rd, request_seen + len, sizeof request_seen - 1 - len)) > 0)
		len += (size_t)n;
	request_seen[len] = '\0';
	close(s->pipe_rd);
	waitpid(s->pid, NULL, 0);
}

static int
do_request(const struct srv *s, long timeout, const char *method, const char *body,
    struct http_response *r)
{
	struct http_options opt = { .timeout = timeout };

	return http_request(&opt, method, s->url, "k3y-s3cret", body, r);
}

static void
test_url_allowed(void)
{
	static const struct { const char *url; bool ok; } t[] = {
		{ "https://apiv3.imocha.io", true },
		{ "HTTPS://apiv3.imocha.io/v3", true },
		{ "http://127.0.0.1:8080/v3", true },
		{ "http://127.1.2.3/", true },
		{ "http://localhost:99/x", true },
		{ "http://LOCALHOST", true },
		{ "http://[::1]:8080/", true },
		{ "http://[::1]", true },
		{ "http://[0:0:0:0:0:0:0:1]/", true },
		{ "http://user:pw@127.0.0.1:1/", true },
		{ "http://127.0.0.1?x=1", true },
		{ "http://127.0.0.1#frag", true },
		{ "http://127.0.0.1:/", true },
		{ NULL, false },
		{ "", false },
		{ "ftp://127.0.0.1/", false },
		{ "127.0.0.1:80", false },
		{ "http://example.com/", false },
		{ "http://128.0.0.1/", false },
		{ "http://10.0.0.1/", false },
		{ "http://127.0.0.1@evil.com/", false },
		{ "http://evil.com#@127.0.0.1/", false },
		{ "http://evil.com?@127.0.0.1/", false },
		{ "http://a@127.0.0.1@evil.com/", false },
		{ "http://x@localhost@127.0.0.1/", false },
		{ "http://127.0.0.1\\@evil.com/", false },
		{ "http://localhost.evil.com/", false },
		{ "http://127.0.0.1.evil.com/", false },
		{ "http://[::2]/", false },
		{ "http://[::1/", false },
		{ "http://[::1]x/", false },
		{ "http://[::ffff:127.0.0.1]/", false },
		{ "http://127.0.0.1:80x/", false },
		{ "http://127.0.0.1:99999/", false },
		{ "http://127.1/", false },
		{ "http://0x7f.0.0.1/", false },
		{ "http://", false },
		{ "http:///x", false },
		{ "https://ok.example\r\nX-Injected: 1", false },
		{ "https://a b", false },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (http_url_allowed(t[i].url) != t[i].ok) {
			printf("# url %s: want %s\n", t[i].url ? t[i].url : "(null)",
			    t[i].ok ? "allowed" : "refused");
			testlib_case_failed = 1;
		}
}

static void
test_refused(void)
{
	struct http_options opt = { .timeout = 2 };
	struct http_response r;

	CHECK_INT(http_request(&opt, "GET", "http://example.com/", "k", NULL, &r),
	    HTTP_REFUSED);
	CHECK(r.error[0] != '\0');
	CHECK(r.body == NULL);
	CHECK_INT(r.retry_after, -1);
	CHECK_INT(http_request(&opt, "PUT", "https://x.example/", "k", NULL, &r),
	    HTTP_REFUSED);
	CHECK_INT(http_request(&opt, "GET", "https://x.example/", NULL, NULL, &r),
	    HTTP_REFUSED);
	CHECK_INT(http_request(&opt, "GET", "https://x.example/", "", NULL, &r),
	    HTTP_REFUSED);
	CHECK_INT(http_request(&opt, "GET", "https://x.example/", "k\r\nX: y", NULL, &r),
	    HTTP_REFUSED);
	CHECK(strstr(r.error, "X: y") == NULL);	/* the key is not echoed */
	http_response_release(&r);
}

static void
test_post_request_shape(void)
{
	struct srv s;
	struct http_response r;
	int rc;

	srv_start(&s, SRV_CANNED, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}", 0);
	rc = do_request(&s, 5, "POST", "{\"email\":\"a@b.c\"}", &r);
	srv_finish(&s, false);
	CHECK_INT(rc, HTTP_OK);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body, "{\"ok\":true}");
	CHECK_INT(r.body_len, 11);
	CHECK_INT(r.retry_after, -1);
	CHECK(strncmp(request_seen, "POST /v3/x HTTP/1.1\r\n", 21) == 0);
	CHECK(strcasestr(request_seen, "\r\nX-API-KEY: k3y-s3cret\r\n") != NULL);
	CHECK(strcasestr(request_seen, "\r\nContent-Type: application/json\r\n") != NULL);
	CHECK(strcasestr(request_seen, "\r\nAccept: application/json\r\n") != NULL);
	CHECK(strcasestr(request_seen, "\r\nUser-Agent: ldap2imocha/") != NULL);
	CHECK(strstr(request_seen, "\r\n\r\n{\"email\":\"a@b.c\"}") != NULL);
	http_response_release(&r);
	CHECK(r.body == NULL);
}

static void
test_get_empty_body(void)
{
	struct srv s;
	struct http_response r;
	int rc;

	srv_start(&s, SRV_CANNED, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 0);
	rc = do_request(&s, 5, "GET", NULL, &r);
	srv_finish(&s, false);
	CHECK_INT(rc, HTTP_OK);
	CHECK_INT(r.status, 204);
	CHECK(r.body == NULL);
	CHECK_INT(r.body_len, 0);
	CHECK(strncmp(request_seen, "GET /v3/x HTTP/1.1\r\n", 20) == 0);
	http_response_release(&r);
}

static long
retry_after_for(const char *header_line)
{
	char reply[512];
	struct srv s;
	struct http_response r;
	long v;

	snprintf(reply, sizeof reply, "HTTP/1.1 429 Too Many Requests\r\n%s"
	    "Content-Length: 2\r\nConnection: close\r\n\r\n{}", header_line);
	srv_start(&s, SRV_CANNED, reply, 0);
	if (do_request(&s, 5, "GET", NULL, &r) != HTTP_OK || r.status != 429)
		v = -99;
	else
		v = r.retry_after;
	srv_finish(&s, false);
	http_response_release(&r);
	return v;
}

static void
test_retry_after(void)
{
	char line[128];
	time_t t;

	CHECK_INT(retry_after_for(""), -1);
	CHECK_INT(retry_after_for("Retry-After: 7\r\n"), 7);
	CHECK_INT(retry_after_for("retry-after:   42  \r\n"), 42);
	CHECK_INT(retry_after_for("Retry-After: 0\r\n"), 0);
	CHECK_INT(retry_after_for("Retry-After: 999999999999\r\n"), 86400);
	CHECK_INT(retry_after_for("Retry-After: soon\r\n"), -1);
	CHECK_INT(retry_after_for("Retry-After: 5x\r\n"), -1);
	CHECK_INT(retry_after_for("Retry-After: -5\r\n"), -1);
	/* The HTTP-date form is parsed against the local clock. */
	t = time(NULL) + 120;
	strftime(line, sizeof line, "Retry-After: %a, %d %b %Y %H:%M:%S GMT\r\n",
	    gmtime(&t));
	{
		long v = retry_after_for(line);

		CHECK(v >= 100 && v <= 120);
	}
	CHECK_INT(retry_after_for("Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"), 0);
}

static void
test_no_redirect(void)
{
	struct srv s;
	struct http_response r;
	int rc;

	/* Were the redirect followed, the second connection would fail: the
	 * server takes one connection only. */
	srv_start(&s, SRV_CANNED, "HTTP/1.1 302 Found\r\nLocation: /v3/elsewhere\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n", 0);
	rc = do_request(&s, 5, "GET", NULL, &r);
	srv_finish(&s, false);
	CHECK_INT(rc, HTTP_OK);
	CHECK_INT(r.status, 302);
	http_response_release(&r);
}

static void
test_body_cap(void)
{
	char reply[256];
	struct srv s;
	struct http_response r;
	int rc;

	/* Announced too large: stopped on the header. */
	snprintf(reply, sizeof reply, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n"
	    "Connection: close\r\n\r\n", HTTP_MAX_BODY + 1);
	srv_start(&s, SRV_STREAM, reply, HTTP_MAX_BODY + 1);
	rc = do_request(&s, 10, "GET", NULL, &r);
	srv_finish(&s, false);
	CHECK_INT(rc, HTTP_TOO_LARGE);
	CHECK(r.body == NULL);
	CHECK(strstr(r.error, "larger") != NULL);

	/* Unannounced: stopped by the write callback. */
	srv_start(&s, SRV_STREAM, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
	    HTTP_MAX_BODY + 1);
	rc = do_request(&s, 10, "GET", NULL, &r);
	srv_finish(&s, false);
	CHECK_INT(rc, HTTP_TOO_LARGE);
	CHECK(r.body == NULL);

	/* Exactly the cap is fine. */
	srv_start(&s, SRV_STREAM, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
	    HTTP_MAX_BODY);
	rc = do_request(&s, 10, "GET", NULL, &r);
	srv_finish(&s, false);
	CHECK_INT(rc, HTTP_OK);
	CHECK_INT(r.body_len, HTTP_MAX_BODY);
	CHECK(r.body != NULL && r.body[HTTP_MAX_BODY] == '\0' && r.body[0] == 'x');
	http_response_release(&r);
}

static void
test_transport_errors(void)
{
	struct srv s;
	struct http_response r;
	int lfd, port, rc;
	char url[64];

	/* Nobody listens on a port just released. */
	lfd = listen_any(&port);
	close(lfd);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	rc = http_request(&(struct http_options){ .timeout = 5 }, "GET", url, "k",
	    NULL, &r);
	CHECK_INT(rc, HTTP_TRANSPORT);
	CHECK(r.error[0] != '\0');
	CHECK(r.body == NULL);
	CHECK_INT(r.status, 0);

	srv_start(&s, SRV_SILENT, "", 0);
	rc = do_request(&s, 1, "GET", NULL, &r);
	srv_finish(&s, true);
	CHECK_INT(rc, HTTP_TRANSPORT);
	CHECK(strcasestr(r.error, "timed out") != NULL || strcasestr(r.error, "timeout") != NULL);

	/* The server hangs up mid-body. */
	srv_start(&s, SRV_CANNED, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
	    "Connection: close\r\n\r\n{\"partial\"", 0);
	rc = do_request(&s, 5, "GET", NULL, &r);
	srv_finish(&s, false);
	CHECK_INT(rc, HTTP_TRANSPORT);
	CHECK(r.body == NULL);
	CHECK(r.error[0] != '\0');
}

/* Failures are logged at debug level, without the key. */
static void
test_log_has_no_key(void)
{
	char path[] = "/tmp/test_http_logXXXXXX", text[4096];
	struct http_response r;
	struct srv s;
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	if (fd < 0 || saved < 0) {
		CHECK(!"mkstemp/dup");
		return;
	}
	fflush(stderr);
	dup2(fd, 2);
	log_init(LOG_LEVEL_DEBUG, false);
	srv_start(&s, SRV_SILENT, "", 0);
	do_request(&s, 1, "POST", "{}", &r);
	srv_finish(&s, true);
	http_request(NULL, "GET", "http://example.com/", "k3y-s3cret", NULL, &r);
	log_init(LOG_LEVEL_INFO, false);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, sizeof text - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	CHECK(strstr(text, "debug: http: POST http://127.0.0.1:") != NULL);
	CHECK(strstr(text, "refused") != NULL);
	CHECK(strstr(text, "k3y-s3cret") == NULL);
}

int
main(void)
{
	if (http_global_init() != 0)
		return 1;
	RUN(test_url_allowed);
	RUN(test_refused);
	RUN(test_post_request_shape);
	RUN(test_get_empty_body);
	RUN(test_retry_after);
	RUN(test_no_redirect);
	RUN(test_body_cap);
	RUN(test_transport_errors);
	RUN(test_log_has_no_key);
	http_global_cleanup();
	return TESTLIB_EXIT();
}
