/*
 * test_imocha.c: the iMocha client against every answer IMOCHA_API.md
 * documents, and some it does not (garbage, wrong types, huge, deep), with
 * the http.h seam faked (fake_imocha.c): requests are recorded and parsed
 * back to check their exact shape.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "imocha/imocha.h"
#include "testlib.h"

/* fake_imocha.c's interface. */
void fake_http_reset(void);
void fake_http_answer(int err, long status, const char *body, size_t len,
    long retry_after, const char *error);
size_t fake_http_calls(void);
const char *fake_http_method(size_t i);
const char *fake_http_url(size_t i);
const char *fake_http_key(size_t i);
const char *fake_http_body(size_t i);
const struct http_options *fake_http_options(size_t i);

#define ANSWER(status, body, retry) \
	fake_http_answer(HTTP_OK, (status), (body), (size_t)-1, (retry), NULL)

#define BASE "https://apiv3.example.test"

static const struct imocha client = {
	.base_url = BASE,
	.api_key = "test-key-123",
	.http = { .ca_file = "/etc/ca.pem", .timeout = 17 },
};

#define SAMPLE_BU "{\"businessUnits\":[{\"businessUnitId\":164373," \
	"\"businessUnitName\":\"Default BU 1\",\"createdOn\":\"2025-05-15T06:06:18.763\"}]," \
	"\"count\":2}"
#define GW401 "{\"statusCode\":401,\"message\":\"Access denied due to invalid " \
	"subscription key. Make sure to provide a valid key for an active subscription.\"}"

/* The detail is one line: NUL-terminated in bounds, no control bytes,
 * well-formed UTF-8. */
static bool
detail_clean(const struct imocha_result *res)
{
	const unsigned char *p = (const unsigned char *)res->detail;
	size_t len = strnlen(res->detail, sizeof res->detail), n;

	if (len == sizeof res->detail)
		return false;
	for (size_t i = 0; i < len; i += n) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		n = p[i] < 0x80 ? 1 : p[i] < 0xe0 ? 2 : p[i] < 0xf0 ? 3 : 4;
		if (p[i] >= 0x80 && p[i] < 0xc2)
			return false;
		for (size_t k = 1; k < n; k++)
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return false;
	}
	return true;
}

static void
test_outcome_str(void)
{
	CHECK_STR(imocha_outcome_str(IMOCHA_DONE), "done");
	CHECK_STR(imocha_outcome_str(IMOCHA_EXISTS), "exists");
	CHECK_STR(imocha_outcome_str(IMOCHA_REJECTED), "rejected");
	CHECK_STR(imocha_outcome_str(IMOCHA_AUTH), "auth");
	CHECK_STR(imocha_outcome_str(IMOCHA_RATE_LIMITED), "rate-limited");
	CHECK_STR(imocha_outcome_str(IMOCHA_TRANSIENT), "transient");
	CHECK_STR(imocha_outcome_str(IMOCHA_PROTOCOL), "protocol");
}

static const struct change_case {
	long status;
	const char *body;
	bool create;
	enum imocha_outcome want;
	long retry;
	const char *detail;	/* exact; NULL: not checked */
} change_cases[] = {
	{ 200, "{\"email\":\"a@b.c\",\"fullName\":\"A\",\"businessunitId\":164373}",
	    true, IMOCHA_DONE, -1, "" },
	{ 201, "{\"email\":\"a@b.c\",\"fullName\":\"A\"}", true, IMOCHA_DONE, -1, "" },
	{ 200, "{\"email\":\"a@b.c\",\"businessunitId\":170867}", false, IMOCHA_DONE, -1, "" },
	{ 200, "not json at all", false, IMOCHA_DONE, -1, "" },
	{ 200, NULL, false, IMOCHA_DONE, -1, "" },
	{ 400, "{\"errors\":[\"The user is already exists\"]}", true,
	    IMOCHA_EXISTS, -1, "The user is already exists" },
	{ 400, "{\"errors\":[\"THE USER IS ALREADY EXISTS\"]}", true,
	    IMOCHA_EXISTS, -1, "THE USER IS ALREADY EXISTS" },
	{ 400, "{\"errors\":[\"A Valid Email address is required\",\"User already exist\"]}",
	    true, IMOCHA_EXISTS, -1, "A Valid Email address is required; User already exist" },
	{ 400, "{\"errors\":[\"The user is already exists\"]}", false,
	    IMOCHA_REJECTED, -1, "The user is already exists" },
	{ 409, "{\"errors\":[\"The user is already exists\"]}", true,
	    IMOCHA_REJECTED, -1, "The user is already exists" },
	{ 400, "{\"errors\":[\"A Valid Email address is required\"]}", true,
	    IMOCHA_REJECTED, -1, "A Valid Email address is required" },
	{ 400, "{\"errors\":[\"Email address is in invalid format\"]}", true,
	    IMOCHA_REJECTED, -1, "Email address is in invalid format" },
	{ 400, "{\"errors\":[\"The provided BusinessUnitId is invalid or not associated "
	    "with your account.\"]}", false, IMOCHA_REJECTED, -1,
	    "The provided BusinessUnitId is invalid or not associated with your account." },
	{ 400, "{\"errors\":[\"Status must be either 'Active' or 'Inactive'\"]}", false,
	    IMOCHA_REJECTED, -1, "Status must be either 'Active' or 'Inactive'" },
	{ 400, "{\"errors\":[\"one\",\"two\",\"three\"]}", false, IMOCHA_REJECTED, -1,
	    "one; two; three" },
	{ 400, "{\"errors\":\"just a string\"}", false, IMOCHA_REJECTED, -1, "just a string" },
	{ 400, "{\"type\":\"x\",\"title\":\"One or more validation errors occurred.\","
	    "\"status\":400,\"errors\":{\"Email\":[\"The Email field is required.\"]}}",
	    true, IMOCHA_REJECTED, -1, "Email: The Email field is required." },
	{ 400, "{\"title\":\"Bad Request\"}", false, IMOCHA_REJECTED, -1, "Bad Request" },
	{ 400, "{\"errors\":[1,true,null,{}]}", false, IMOCHA_REJECTED, -1,
	    "{\"errors\":[1,true,null,{}]}" },
	{ 400, "{\"errors\":[\"line1\\nline2\\tx\\u0007y\\r\\n\"]}", false,
	    IMOCHA_REJECTED, -1, "line1 line2 x y" },
	{ 400, "{\"errors\":[\"bad \xff\xfe byte\"]}", false, IMOCHA_REJECTED, -1,
	    "bad ?? byte" },
	{ 400, "{\"errors\":[\"next\\u0085line \\u2028sep\"]}", false, IMOCHA_REJECTED, -1,
	    "next line sep" },
	{ 400, "{\"errors\":[\"Zo\xc3\xab \xe5\xb1\xb1\xe7\x94\xb0 invalide\"]}", false,
	    IMOCHA_REJECTED, -1, "Zo\xc3\xab \xe5\xb1\xb1\xe7\x94\xb0 invalide" },
	{ 400, "not json", false, IMOCHA_REJECTED, -1, "not json" },
	{ 400, "{\"errors\":[\"x\"]} trailing", false, IMOCHA_REJECTED, -1,
	    "{\"errors\":[\"x\"]} trailing" },
	{ 400, "\x01\x02\xc3\xa9\x7f<b>", false, IMOCHA_REJECTED, -1, "? <b>" },
	{ 400, "", false, IMOCHA_REJECTED, -1, "HTTP 400 with no message" },
	{ 400, NULL, true, IMOCHA_REJECTED, -1, "HTTP 400 with no message" },
	{ 400, "   \r\n", true, IMOCHA_REJECTED, -1, "HTTP 400 with no message" },
	{ 401, GW401, false, IMOCHA_AUTH, -1, "Access denied due to invalid subscription "
	    "key. Make sure to provide a valid key for an active subscription." },
	{ 403, "{\"statusCode\":403,\"message\":\"Forbidden\"}", true, IMOCHA_AUTH, -1,
	    "Forbidden" },
	{ 401, NULL, false, IMOCHA_AUTH, -1, "HTTP 401 with no message" },
	{ 429, "{\"statusCode\":429,\"message\":\"Rate limit is exceeded. Try again in 12 "
	    "seconds.\"}", true, IMOCHA_RATE_LIMITED, 12,
	    "Rate limit is exceeded. Try again in 12 seconds." },
	{ 429, "{\"statusCode\":429,\"message\":\"Rate limit is exceeded.\"}", true,
	    IMOCHA_RATE_LIMITED, -1, "Rate limit is exceeded." },
	{ 429, "{\"message\":\"try again in 99999999999999999999 seconds\"}", true,
	    IMOCHA_RATE_LIMITED, 86400, NULL },
	{ 429, "{\"message\":\"Try again in -3 seconds\"}", true, IMOCHA_RATE_LIMITED, -1, NULL },
	{ 429, NULL, true, IMOCHA_RATE_LIMITED, -1, "HTTP 429 with no message" },
	{ 500, "{\"errors\":[\"Internal error\"]}", true, IMOCHA_TRANSIENT, -1, "Internal error" },
	{ 502, "<html><body>Bad  Gateway</body></html>\n", true, IMOCHA_TRANSIENT, -1,
	    "<html><body>Bad Gateway</body></html>" },
	{ 503, NULL, false, IMOCHA_TRANSIENT, -1, "HTTP 503 with no message" },
	{ 408, NULL, false, IMOCHA_TRANSIENT, -1, NULL },
	{ 404, NULL, false, IMOCHA_REJECTED, -1, "HTTP 404 with no message" },
	{ 404, "{\"statusCode\":404,\"message\":\"Resource not found\"}", false,
	    IMOCHA_REJECTED, -1, "Resource not found" },
	{ 422, "{\"errors\":[\"Unprocessable\"]}", false, IMOCHA_REJECTED, -1, "Unprocessable" },
	{ 302, "", false, IMOCHA_PROTOCOL, -1, "unexpected HTTP status 302" },
	{ 204, NULL, false, IMOCHA_PROTOCOL, -1, "unexpected HTTP status 204" },
	{ 100, NULL, false, IMOCHA_PROTOCOL, -1, NULL },
	{ 0, NULL, false, IMOCHA_PROTOCOL, -1, NULL },
	{ -1, "x", false, IMOCHA_PROTOCOL, -1, "unexpected HTTP status -1: x" },
	{ 600, "{\"message\":\"odd\"}", false, IMOCHA_PROTOCOL, -1,
	    "unexpected HTTP status 600: odd" },
};

static void
test_decode_change_table(void)
{
	struct imocha_result res;

	for (size_t i = 0; i < sizeof change_cases / sizeof change_cases[0]; i++) {
		const struct change_case *c = &change_cases[i];
		size_t len = c->body ? strlen(c->body) : 0;

		memset(&res, 0x5a, sizeof res);
		imocha_decode_change(c->status, c->body, len, c->create, &res);
		if (res.outcome != c->want || res.retry_after != c->retry ||
		    res.http_status != c->status || !detail_clean(&res) ||
		    (c->detail && strcmp(res.detail, c->detail) != 0)) {
			printf("# case %zu (%ld %s): got %s retry %ld detail \"%.*s\"\n",
			    i, c->status, c->body ? c->body : "(null)",
			    imocha_outcome_str(res.outcome), res.retry_after,
			    (int)strnlen(res.detail, sizeof res.detail), res.detail);
			testlib_case_failed = 1;
		}
	}
}

static void
test_decode_change_hostile(void)
{
	struct imocha_result res;
	size_t big = 4u * 1024 * 1024, n;
	char *buf = malloc(big + 1);

	/* Deep nesting past cJSON's limit: a parse failure, quoted raw. */
	memset(buf, '[', big);
	buf[big] = '\0';
	imocha_decode_change(400, buf, big, true, &res);
	CHECK_INT(res.outcome, IMOCHA_REJECTED);
	CHECK(detail_clean(&res));
	CHECK(strlen(res.detail) < 200);
	CHECK(strstr(res.detail, "...") != NULL);

	/* A length shorter than the buffer: only len bytes are read. */
	imocha_decode_change(400, "{\"errors\":[\"x\"]}GARBAGE", 16, true, &res);
	CHECK_STR(res.detail, "x");
	imocha_decode_change(400, NULL, 50, true, &res);
	CHECK_INT(res.outcome, IMOCHA_REJECTED);

	/* Many long messages: truncated, still one clean line. */
	n = (size_t)snprintf(buf, big, "{\"errors\":[");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(buf + n, big - n, "%s\"message number %d is long enough\"",
		    i ? "," : "", i);
	snprintf(buf + n, big - n, "]}");
	imocha_decode_change(400, buf, strlen(buf), false, &res);
	CHECK_INT(res.outcome, IMOCHA_REJECTED);
	CHECK(detail_clean(&res));
	CHECK(strncmp(res.detail, "message number 0 is long enough; message number 1", 49) == 0);
	CHECK(strlen(res.detail) > 400 && strcmp(res.detail + strlen(res.detail) - 3, "...") == 0);

	free(buf);

	/* A huge body of plain bytes: a short ASCII excerpt. */
	buf = malloc(big);
	memset(buf, 'a', big);
	imocha_decode_change(503, buf, big, false, &res);
	CHECK_INT(res.outcome, IMOCHA_TRANSIENT);
	CHECK_INT(strlen(res.detail), 163);
	free(buf);
}

/* Three-byte character runs with a one- or two-byte ASCII prefix, so
 * the truncation point falls on every position of a character. */
static void
test_decode_truncation_utf8(void)
{
	struct imocha_result res;
	char body[4096];
	size_t n;

	for (int pre = 0; pre < 3; pre++) {
		n = (size_t)snprintf(body, sizeof body, "{\"errors\":[\"%.*s", pre, "ab");
		for (int i = 0; i < 300; i++)
			n += (size_t)snprintf(body + n, sizeof body - n, "\xe5\xb1\xb1");
		snprintf(body + n, sizeof body - n, "\"]}");
		imocha_decode_change(400, body, strlen(body), false, &res);
		CHECK(detail_clean(&res));
		CHECK(strcmp(res.detail + strlen(res.detail) - 3, "...") == 0);
	}
}

static void
test_decode_bu_list_ok(void)
{
	struct imocha_bu_list list;
	struct imocha_result res;

	CHECK_INT(imocha_decode_bu_list(200, SAMPLE_BU, strlen(SAMPLE_BU), &list, &res), 0);
	CHECK_INT(res.outcome, IMOCHA_DONE);
	CHECK_INT(res.http_status, 200);
	CHECK_INT(list.n, 1);	/* the sample's "count" of 2 is not trusted */
	if (list.n == 1) {
		CHECK_INT(list.items[0].id, 164373);
		CHECK_STR(list.items[0].name, "Default BU 1");
	}
	imocha_bu_list_release(&list);
	CHECK(list.items == NULL && list.n == 0);

	CHECK_INT(imocha_decode_bu_list(200, "{\"businessUnits\":[],\"count\":0}", 30,
	    &list, &res), 0);
	CHECK_INT(res.outcome, IMOCHA_DONE);
	CHECK_INT(list.n, 0);
	imocha_bu_list_release(&list);

	{
		const char *b = "{\"count\":3,\"businessUnits\":["
		    "{\"businessUnitId\":1,\"businessUnitName\":\"Sales\"},"
		    "{\"businessUnitName\":\"Unit\xc3\xa9 \xe5\xb1\xb1\",\"businessUnitId\":2.0},"
		    "{\"businessUnitId\":9007199254740992,\"businessUnitName\":\"\",\"x\":[1]}]}";

		CHECK_INT(imocha_decode_bu_list(201, b, strlen(b), &list, &res), 0);
		CHECK_INT(list.n, 3);
		if (list.n == 3) {
			CHECK_INT(list.items[0].id, 1);
			CHECK_STR(list.items[1].name, "Unit\xc3\xa9 \xe5\xb1\xb1");
			CHECK_INT(list.items[1].id, 2);
			CHECK_INT(list.items[2].id, INT64_C(9007199254740992));
			CHECK_STR(list.items[2].name, "");
		}
		imocha_bu_list_release(&list);
	}
}

static const struct bu_bad_case {
	long status;
	const char *body;
	enum imocha_outcome want;
	const char *detail_part;
} bu_bad[] = {
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":\"164373\",\"businessUnitName\":\"A\"}]}",
	    IMOCHA_PROTOCOL, "businessUnits[0].businessUnitId" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":1.5,\"businessUnitName\":\"A\"}]}",
	    IMOCHA_PROTOCOL, "businessUnits[0].businessUnitId is not an exact integer" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":1e30,\"businessUnitName\":\"A\"}]}",
	    IMOCHA_PROTOCOL, "businessUnits[0].businessUnitId is not an exact integer" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":1e400,\"businessUnitName\":\"A\"}]}",
	    IMOCHA_PROTOCOL, "businessUnits[0].businessUnitId" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":9007199254740994,\"businessUnitName\":\"A\"}]}",
	    IMOCHA_PROTOCOL, "not an exact integer" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":-7,\"businessUnitName\":\"A\"}]}",
	    IMOCHA_PROTOCOL, "businessUnits[0].businessUnitId is negative" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":null,\"businessUnitName\":\"A\"}]}",
	    IMOCHA_PROTOCOL, "businessUnits[0].businessUnitId is missing" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":1,\"businessUnitName\":\"A\"},"
	    "{\"businessUnitId\":2}]}", IMOCHA_PROTOCOL,
	    "businessUnits[1].businessUnitName is missing or not a string" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":1,\"businessUnitName\":7}]}",
	    IMOCHA_PROTOCOL, "businessUnits[0].businessUnitName" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":1,\"businessUnitName\":\"\xff\"}]}",
	    IMOCHA_PROTOCOL, "not valid UTF-8" },
	{ 200, "{\"businessUnits\":[{\"businessUnitId\":1,\"businessUnitName\":\"A\"},3]}",
	    IMOCHA_PROTOCOL, "businessUnits[1] is not an object" },
	{ 200, "{\"businessUnits\":{}}", IMOCHA_PROTOCOL, "no businessUnits array" },
	{ 200, "{\"count\":0}", IMOCHA_PROTOCOL, "no businessUnits array" },
	{ 200, "[{\"businessUnits\":[]}]", IMOCHA_PROTOCOL, "no businessUnits array" },
	{ 200, "\"businessUnits\"", IMOCHA_PROTOCOL, "no businessUnits array" },
	{ 200, "<html>", IMOCHA_PROTOCOL, "not JSON" },
	{ 200, "{\"businessUnits\":[]} x", IMOCHA_PROTOCOL, "not JSON" },
	{ 200, "", IMOCHA_PROTOCOL, "not JSON" },
	{ 200, NULL, IMOCHA_PROTOCOL, "not JSON" },
	{ 401, GW401, IMOCHA_AUTH, "Access denied" },
	{ 403, NULL, IMOCHA_AUTH, "HTTP 403" },
	{ 429, "{\"message\":\"Try again in 3 seconds.\"}", IMOCHA_RATE_LIMITED, "Try again" },
	{ 500, "oops", IMOCHA_TRANSIENT, "oops" },
	{ 404, NULL, IMOCHA_REJECTED, "HTTP 404" },
	{ 400, "{\"errors\":[\"The user is already exists\"]}", IMOCHA_REJECTED, "already" },
	{ 302, NULL, IMOCHA_PROTOCOL, "unexpected HTTP status 302" },
};

static void
test_decode_bu_list_bad(void)
{
	struct imocha_bu_list list;
	struct imocha_result res;

	for (size_t i = 0; i < sizeof bu_bad / sizeof bu_bad[0]; i++) {
		const struct bu_bad_case *c = &bu_bad[i];
		int rc;

		memset(&list, 0x5a, sizeof list);
		rc = imocha_decode_bu_list(c->status, c->body, c->body ? strlen(c->body) : 0,
		    &list, &res);
		if (rc == 0 || res.outcome != c->want || list.n != 0 || list.items != NULL ||
		    !detail_clean(&res) || strstr(res.detail, c->detail_part) == NULL) {
			printf("# bu case %zu: rc %d, %s, n %zu, detail \"%s\"\n", i, rc,
			    imocha_outcome_str(res.outcome), list.n, res.detail);
			testlib_case_failed = 1;
		}
		imocha_bu_list_release(&list);
	}
	/* Deeply nested list: cJSON's depth limit fails the parse. */
	{
		size_t n = 100000;
		char *b = malloc(n + 40);
		size_t k = (size_t)snprintf(b, n + 40, "{\"businessUnits\":");

		memset(b + k, '[', n);
		CHECK(imocha_decode_bu_list(200, b, k + n, &list, &res) != 0);
		CHECK_INT(res.outcome, IMOCHA_PROTOCOL);
		CHECK(list.items == NULL);
		free(b);
	}
}

/* The recorded body i parsed back; checks method, URL and key on the way. */
static cJSON *
request_json(size_t i, const char *method, const char *path)
{
	char url[256];

	snprintf(url, sizeof url, BASE "%s", path);
	CHECK_STR(fake_http_method(i), method);
	CHECK_STR(fake_http_url(i), url);
	CHECK_STR(fake_http_key(i), "test-key-123");
	CHECK(fake_http_options(i) != NULL && fake_http_options(i)->timeout == 17);
	CHECK(fake_http_options(i) != NULL && fake_http_options(i)->ca_file != NULL &&
	    strcmp(fake_http_options(i)->ca_file, "/etc/ca.pem") == 0);
	return fake_http_body(i) ? cJSON_Parse(fake_http_body(i)) : NULL;
}

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
test_create_body(void)
{
	const char *name = "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m \xe5\xb1\xb1\xe7\x94\xb0";
	struct imocha_result res;
	cJSON *j;

	fake_http_reset();
	ANSWER(200, "{\"email\":\"Zoe@Example.com\"}", -1);
	CHECK_INT(imocha_user_create(&client, "Zoe@Example.com", name, 164373, &res),
	    IMOCHA_DONE);
	CHECK_INT(res.outcome, IMOCHA_DONE);
	CHECK_INT(res.http_status, 200);
	CHECK_INT(fake_http_calls(), 1);
	j = request_json(0, "POST", "/v3/accounts/user/create");
	CHECK(cJSON_IsObject(j));
	CHECK_INT(cJSON_GetArraySize(j), 3);
	CHECK_STR(jstr(j, "email"), "Zoe@Example.com");
	CHECK_STR(jstr(j, "fullName"), name);
	CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "businessunitId")));
	CHECK(cJSON_GetObjectItemCaseSensitive(j, "businessunitId")->valuedouble == 164373);
	/* Sent as raw UTF-8, not escaped or mangled. */
	CHECK(strstr(fake_http_body(0), name) != NULL);
	CHECK(strstr(fake_http_body(0), "\"businessunitId\":164373") != NULL);
	cJSON_Delete(j);

	/* No business unit: the member is left out. */
	ANSWER(201, NULL, -1);
	imocha_user_create(&client, "a@b.c", "Quote \" and\nnewline", -1, &res);
	CHECK_INT(res.outcome, IMOCHA_DONE);
	j = request_json(1, "POST", "/v3/accounts/user/create");
	CHECK_INT(cJSON_GetArraySize(j), 2);
	CHECK_STR(jstr(j, "fullName"), "Quote \" and\nnewline");
	CHECK(cJSON_GetObjectItem(j, "businessunitId") == NULL);
	cJSON_Delete(j);

	/* An id past 2^53 is printed exactly, not through a double. */
	ANSWER(200, "{}", -1);
	imocha_user_create(&client, "a@b.c", "A", INT64_MAX, &res);
	CHECK(strstr(fake_http_body(2), "\"businessunitId\":9223372036854775807}") != NULL);
	fake_http_reset();
}

static void
test_update_and_status_body(void)
{
	struct imocha_result res;
	cJSON *j;

	fake_http_reset();
	ANSWER(200, "{\"email\":\"a@b.c\",\"businessunitId\":170867}", -1);
	CHECK_INT(imocha_user_update_bu(&client, "a@b.c", 170867, &res), IMOCHA_DONE);
	j = request_json(0, "POST", "/v3/accounts/user/update");
	CHECK_INT(cJSON_GetArraySize(j), 2);
	CHECK_STR(jstr(j, "Email"), "a@b.c");
	CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "BusinessunitId")));
	CHECK(cJSON_GetObjectItemCaseSensitive(j, "email") == NULL);
	CHECK(strstr(fake_http_body(0), "\"BusinessunitId\":170867") != NULL);
	cJSON_Delete(j);

	ANSWER(200, "{}", -1);
	ANSWER(200, "{}", -1);
	CHECK_INT(imocha_user_set_status(&client, "a@b.c", true, &res), IMOCHA_DONE);
	CHECK_INT(imocha_user_set_status(&client, "a@b.c", false, &res), IMOCHA_DONE);
	j = request_json(1, "POST", "/v3/accounts/user/status");
	CHECK_INT(cJSON_GetArraySize(j), 2);
	CHECK_STR(jstr(j, "email"), "a@b.c");
	CHECK_STR(jstr(j, "status"), "Active");
	cJSON_Delete(j);
	j = request_json(2, "POST", "/v3/accounts/user/status");
	CHECK_STR(jstr(j, "status"), "Inactive");
	cJSON_Delete(j);
	fake_http_reset();
}

static void
test_bad_input_not_sent(void)
{
	struct imocha_result res;

	fake_http_reset();
	CHECK_INT(imocha_user_create(&client, "a@b.c", NULL, 1, &res), IMOCHA_REJECTED);
	CHECK_INT(imocha_user_create(&client, "a\xff@b.c", "A", 1, &res), IMOCHA_REJECTED);
	CHECK(strstr(res.detail, "UTF-8") != NULL);
	CHECK_INT(res.http_status, 0);
	CHECK_INT(imocha_user_update_bu(&client, "", 1, &res), IMOCHA_REJECTED);
	CHECK_INT(imocha_user_set_status(&client, NULL, true, &res), IMOCHA_REJECTED);
	CHECK_INT(fake_http_calls(), 0);
}

static void
test_bu_list_fetch(void)
{
	struct imocha_bu_list list;
	struct imocha_result res;

	fake_http_reset();
	ANSWER(200, SAMPLE_BU, -1);
	CHECK_INT(imocha_bu_list_fetch(&client, &list, &res), IMOCHA_DONE);
	CHECK_INT(list.n, 1);
	CHECK_STR(fake_http_method(0), "GET");
	CHECK_STR(fake_http_url(0), BASE "/v3/accounts/business-units");
	CHECK_STR(fake_http_key(0), "test-key-123");
	CHECK(fake_http_body(0) == NULL);
	imocha_bu_list_release(&list);

	ANSWER(401, GW401, -1);
	CHECK_INT(imocha_bu_list_fetch(&client, &list, &res), IMOCHA_AUTH);
	CHECK(list.items == NULL && list.n == 0);
	CHECK_INT(res.http_status, 401);
	CHECK(strstr(res.detail, "subscription key") != NULL);

	fake_http_answer(HTTP_TOO_LARGE, 200, NULL, 0, -1, "answer larger than 4194304 bytes");
	CHECK_INT(imocha_bu_list_fetch(&client, &list, &res), IMOCHA_PROTOCOL);
	CHECK_STR(res.detail, "answer larger than 4 MiB");
	CHECK(list.items == NULL);
	fake_http_reset();
}

static void
test_transport_outcomes(void)
{
	struct imocha_result res;

	fake_http_reset();
	fake_http_answer(HTTP_TRANSPORT, 0, NULL, 0, -1,
	    "Failed to connect to apiv3.imocha.io port 443: Connection refused");
	CHECK_INT(imocha_user_create(&client, "a@b.c", "A", 1, &res), IMOCHA_TRANSIENT);
	CHECK_INT(res.http_status, 0);
	CHECK_STR(res.detail, "Failed to connect to apiv3.imocha.io port 443: Connection refused");

	fake_http_answer(HTTP_TRANSPORT, 0, NULL, 0, -1, "");
	CHECK_INT(imocha_user_set_status(&client, "a@b.c", true, &res), IMOCHA_TRANSIENT);
	CHECK(res.detail[0] != '\0');

	fake_http_answer(HTTP_REFUSED, 0, NULL, 0, -1, "URL refused");
	CHECK_INT(imocha_user_update_bu(&client, "a@b.c", 1, &res), IMOCHA_AUTH);
	CHECK(strstr(res.detail, "refused") != NULL);

	fake_http_answer(HTTP_TOO_LARGE, 400, NULL, 0, -1, NULL);
	CHECK_INT(imocha_user_create(&client, "a@b.c", "A", 1, &res), IMOCHA_PROTOCOL);
	CHECK_STR(res.detail, "answer larger than 4 MiB");
	CHECK_INT(res.http_status, 400);
	fake_http_reset();
}

static void
test_retry_after(void)
{
	struct imocha_result res;

	fake_http_reset();
	/* The header wins over the message. */
	ANSWER(429, "{\"statusCode\":429,\"message\":\"Rate limit is exceeded. Try again "
	    "in 12 seconds.\"}", 30);
	CHECK_INT(imocha_user_create(&client, "a@b.c", "A", 1, &res), IMOCHA_RATE_LIMITED);
	CHECK_INT(res.retry_after, 30);
	ANSWER(429, "{\"statusCode\":429,\"message\":\"Rate limit is exceeded. Try again "
	    "in 12 seconds.\"}", -1);
	imocha_user_create(&client, "a@b.c", "A", 1, &res);
	CHECK_INT(res.retry_after, 12);
	ANSWER(429, "{\"statusCode\":429,\"message\":\"Rate limit is exceeded.\"}", -1);
	imocha_user_create(&client, "a@b.c", "A", 1, &res);
	CHECK_INT(res.retry_after, -1);
	ANSWER(429, NULL, 0);
	imocha_user_create(&client, "a@b.c", "A", 1, &res);
	CHECK_INT(res.retry_after, 0);
	ANSWER(503, NULL, 5);
	CHECK_INT(imocha_user_create(&client, "a@b.c", "A", 1, &res), IMOCHA_TRANSIENT);
	CHECK_INT(res.retry_after, 5);
	/* A done or rejected answer carries no pause. */
	ANSWER(400, "{\"errors\":[\"x\"]}", 5);
	imocha_user_create(&client, "a@b.c", "A", 1, &res);
	CHECK_INT(res.retry_after, -1);
	ANSWER(400, "{\"errors\":[\"The user is already exists\"]}", -1);
	CHECK_INT(imocha_user_create(&client, "a@b.c", "A", 1, &res), IMOCHA_EXISTS);
	CHECK_INT(res.http_status, 400);
	fake_http_reset();
}

int
main(void)
{
	RUN(test_outcome_str);
	RUN(test_decode_change_table);
	RUN(test_decode_change_hostile);
	RUN(test_decode_truncation_utf8);
	RUN(test_decode_bu_list_ok);
	RUN(test_decode_bu_list_bad);
	RUN(test_create_body);
	RUN(test_update_and_status_body);
	RUN(test_bad_input_not_sent);
	RUN(test_bu_list_fetch);
	RUN(test_transport_outcomes);
	RUN(test_retry_after);
	return TESTLIB_EXIT();
}
