/*
 * imocha_send.c: building the requests of IMOCHA_API.md and sending them,
 * one at a time (http_request) or many at once through a pool (httppool).
 * Both ways end in the same decoders of imocha.c.
 */
#include "imocha/imocha.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "imocha/httppool.h"
#include "imocha/imocha_int.h"
#include "util/log.h"
#include "util/xmem.h"

/* ---- request bodies ---- */

/* A text the caller hands us must be sendable as a JSON string. */
static bool
text_ok(const char *what, const char *s, struct imocha_result *res)
{
	if (s != NULL && s[0] != '\0' && imocha_utf8_valid(s))
		return true;
	imocha_result_init(res, 0);
	res->outcome = IMOCHA_REJECTED;
	snprintf(res->detail, sizeof res->detail, "%s is %s", what,
	    s == NULL || s[0] == '\0' ? "empty" : "not valid UTF-8");
	return false;
}

/* Adds key: id as a JSON integer printed exactly (no trip through double). */
static bool
add_int64(cJSON *obj, const char *key, int64_t v)
{
	char num[32];

	snprintf(num, sizeof num, "%" PRId64, v);
	return cJSON_AddRawToObject(obj, key, num) != NULL;
}

/* The body text of obj (consumed); fatal only when out of memory. */
static char *
body_text(cJSON *obj)
{
	char *cj = obj ? cJSON_PrintUnformatted(obj) : NULL, *text;

	cJSON_Delete(obj);
	if (cj == NULL)
		fatalx("imocha: cannot encode a request body: out of memory");
	text = xstrdup(cj);
	cJSON_free(cj);
	return text;
}

static char *
create_body(const char *email, const char *full_name, int64_t bu_id)
{
	cJSON *obj = cJSON_CreateObject();

	if (obj == NULL || cJSON_AddStringToObject(obj, "email", email) == NULL ||
	    cJSON_AddStringToObject(obj, "fullName", full_name) == NULL ||
	    (bu_id >= 0 && !add_int64(obj, "businessunitId", bu_id)))
		fatalx("imocha: cannot build a create body: out of memory");
	return body_text(obj);
}

static char *
update_body(const char *email, int64_t bu_id)
{
	cJSON *obj = cJSON_CreateObject();

	/* PascalCase, exactly as IMOCHA_API.md documents this one call. */
	if (obj == NULL || cJSON_AddStringToObject(obj, "Email", email) == NULL ||
	    !add_int64(obj, "BusinessunitId", bu_id))
		fatalx("imocha: cannot build an update body: out of memory");
	return body_text(obj);
}

static char *
status_body(const char *email, bool active)
{
	cJSON *obj = cJSON_CreateObject();

	if (obj == NULL || cJSON_AddStringToObject(obj, "email", email) == NULL ||
	    cJSON_AddStringToObject(obj, "status", active ? "Active" : "Inactive") == NULL)
		fatalx("imocha: cannot build a status body: out of memory");
	return body_text(obj);
}

int
imocha_call_build(const struct change *ch, struct imocha_call *call, struct imocha_result *res)
{
	*call = (struct imocha_call){ 0 };
	if (!text_ok("e-mail", ch->email, res))
		return -1;
	switch (ch->kind) {
	case CHANGE_CREATE:
		if (!text_ok("full name", ch->full_name, res))
			return -1;
		call->path = PATH_CREATE;
		call->body = create_body(ch->email, ch->full_name, ch->new_bu);
		call->is_create = true;
		break;
	case CHANGE_MOVE:
		call->path = PATH_UPDATE;
		call->body = update_body(ch->email, ch->new_bu);
		break;
	case CHANGE_DEACTIVATE:
	case CHANGE_REACTIVATE:
		call->path = PATH_STATUS;
		call->body = status_body(ch->email, ch->kind == CHANGE_REACTIVATE);
		break;
	}
	return 0;
}

void
imocha_call_release(struct imocha_call *call)
{
	free(call->body);
	*call = (struct imocha_call){ 0 };
}

/* ---- answers ---- */

/* An answer that did not arrive, or arrived too large, sorted into *res;
 * true when an HTTP answer is there for the decoders. */
static bool
transport_result(int err, const struct http_response *resp, struct imocha_result *res)
{
	char why[sizeof resp->error + 32];

	imocha_result_init(res, err == HTTP_OK || err == HTTP_TOO_LARGE ? resp->status : 0);
	switch (err) {
	case HTTP_OK:
		return true;
	case HTTP_TOO_LARGE:
		imocha_result_set(res, IMOCHA_PROTOCOL, "answer larger than 4 MiB");
		break;
	case HTTP_REFUSED:
		/* Every later request would be refused too: stop the run as
		 * for a rejected key (the config check should catch it first). */
		snprintf(why, sizeof why, "request refused: %s", resp->error);
		imocha_result_set(res, IMOCHA_AUTH, why);
		break;
	default:
		imocha_result_set(res, IMOCHA_TRANSIENT, resp->error[0] ? resp->error :
		    "transport error");
		break;
	}
	return false;
}

/* The header's Retry-After wins over the message's; it also helps a 503. */
static void
finish(const char *method, const char *path, const struct http_response *resp,
    struct imocha_result *res)
{
	if (resp->retry_after >= 0 && (res->outcome == IMOCHA_RATE_LIMITED ||
	    res->outcome == IMOCHA_TRANSIENT))
		res->retry_after = resp->retry_after;
	log_debug("imocha: %s %s: %s (HTTP %ld)%s%s", method, path,
	    imocha_outcome_str(res->outcome), res->http_status,
	    res->detail[0] ? ": " : "", res->detail);
}

void
imocha_call_result(const struct imocha_call *call, int err, const struct http_response *resp,
    struct imocha_result *res)
{
	if (transport_result(err, resp, res))
		imocha_decode_change(resp->status, resp->body, resp->body_len, call->is_create, res);
	finish("POST", call->path, resp, res);
}

/* ---- sending ---- */

void
imocha_call_submit(const struct imocha *c, const struct imocha_call *call, void *tag)
{
	char *url = xasprintf("%s%s", c->base_url, call->path);

	http_pool_add(c->pool, "POST", url, c->api_key, call->body, tag);
	free(url);
}

/* One request now: through the pool when there is one (so that it counts
 * toward the rate limit and is retried), else directly. */
static int
send_now(const struct imocha *c, const char *method, const char *path, const char *body,
    struct http_response *resp)
{
	char *url = xasprintf("%s%s", c->base_url, path);
	int err = HTTP_TRANSPORT, tag;
	void *got;

	if (c->pool == NULL) {
		err = http_request(&c->http, method, url, c->api_key, body, resp);
		free(url);
		return err;
	}
	*resp = (struct http_response){ .retry_after = -1 };
	http_pool_add(c->pool, method, url, c->api_key, body, &tag);
	free(url);
	for (;;) {
		enum http_pool_event ev = http_pool_wait(c->pool, &got, &err, resp);

		if (ev == HTTP_POOL_DONE && got == &tag)
			return err;
		if (ev == HTTP_POOL_DONE) {
			http_response_release(resp);	/* not ours: cannot happen */
			continue;
		}
		snprintf(resp->error, sizeof resp->error, "%s", ev == HTTP_POOL_STOPPED ?
		    "stopped" : "no answer from iMocha, attempt after attempt");
		return HTTP_TRANSPORT;
	}
}

int
imocha_bu_list_fetch(const struct imocha *c, struct imocha_bu_list *out,
    struct imocha_result *res)
{
	struct http_response resp;
	int err = send_now(c, "GET", PATH_BU_LIST, NULL, &resp);

	*out = (struct imocha_bu_list){ 0 };
	if (transport_result(err, &resp, res))
		imocha_decode_bu_list(resp.status, resp.body, resp.body_len, out, res);
	finish("GET", PATH_BU_LIST, &resp, res);
	http_response_release(&resp);
	return (int)res->outcome;
}

/* One change, sent now and decoded. */
static int
change_now(const struct imocha *c, const struct change *ch, struct imocha_result *res)
{
	struct imocha_call call;
	struct http_response resp;
	int err;

	if (imocha_call_build(ch, &call, res) == -1)
		return (int)res->outcome;
	err = send_now(c, "POST", call.path, call.body, &resp);
	imocha_call_result(&call, err, &resp, res);
	http_response_release(&resp);
	imocha_call_release(&call);
	return (int)res->outcome;
}

int
imocha_user_create(const struct imocha *c, const char *email, const char *full_name,
    int64_t bu_id, struct imocha_result *res)
{
	struct change ch = { .kind = CHANGE_CREATE, .email = (char *)email,
	    .full_name = (char *)full_name, .new_bu = bu_id };

	return change_now(c, &ch, res);
}

int
imocha_user_update_bu(const struct imocha *c, const char *email, int64_t bu_id,
    struct imocha_result *res)
{
	struct change ch = { .kind = CHANGE_MOVE, .email = (char *)email, .new_bu = bu_id };

	return change_now(c, &ch, res);
}

int
imocha_user_set_status(const struct imocha *c, const char *email, bool active,
    struct imocha_result *res)
{
	struct change ch = { .kind = active ? CHANGE_REACTIVATE : CHANGE_DEACTIVATE,
	    .email = (char *)email };

	return change_now(c, &ch, res);
}
