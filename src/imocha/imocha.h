/*
 * imocha.h: the iMocha client (IMOCHA_API.md): builds the request bodies,
 * calls http, and sorts each answer into an outcome the caller branches on.
 * Bodies are JSON (cJSON, which no other module but output sees).
 */
#ifndef L2I_IMOCHA_H
#define L2I_IMOCHA_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "model/change.h"
#include "imocha/http.h"

struct http_pool;

struct imocha {
	const char *base_url;	/* no trailing slash */
	const char *api_key;
	struct http_options http;
	struct http_pool *pool;	/* NULL: one request at a time, no retries */
};

enum imocha_outcome {
	IMOCHA_DONE = 0,	/* 200/201: the change is made */
	IMOCHA_EXISTS,		/* create: "already exists" (adopt) */
	IMOCHA_REJECTED,	/* other 4xx: a per-user failure, message in detail */
	IMOCHA_AUTH,		/* 401/403: stop the run */
	IMOCHA_RATE_LIMITED,	/* 429: retry later (retry_after if known) */
	IMOCHA_TRANSIENT,	/* 5xx, timeout, reset: retry later */
	IMOCHA_PROTOCOL,	/* an answer we cannot read */
};

struct imocha_result {
	enum imocha_outcome outcome;
	long http_status;	/* 0 when no answer arrived */
	long retry_after;	/* seconds, -1 if none */
	char detail[512];	/* iMocha's message(s) or the transport error */
};

struct imocha_bu {
	int64_t id;
	char *name;
};

struct imocha_bu_list {
	struct imocha_bu *items;
	size_t n;
};

const char *imocha_outcome_str(enum imocha_outcome o);

/* GET /v3/accounts/business-units into *out (owned; release below). */
int imocha_bu_list_fetch(const struct imocha *c, struct imocha_bu_list *out,
    struct imocha_result *res);
void imocha_bu_list_release(struct imocha_bu_list *list);

/* POST /v3/accounts/user/create.  bu_id < 0: omit businessunitId. */
int imocha_user_create(const struct imocha *c, const char *email, const char *full_name,
    int64_t bu_id, struct imocha_result *res);
/* POST /v3/accounts/user/update (PascalCase body, IMOCHA_API.md). */
int imocha_user_update_bu(const struct imocha *c, const char *email, int64_t bu_id,
    struct imocha_result *res);
/* POST /v3/accounts/user/status; active selects "Active"/"Inactive". */
int imocha_user_set_status(const struct imocha *c, const char *email, bool active,
    struct imocha_result *res);

/*
 * Many changes at once: build a call for a change, submit it to the
 * client's pool (which retries and paces it), and sort the final answer
 * that http_pool_wait hands back for it.
 */
struct imocha_call {
	const char *path;
	char *body;		/* owned */
	bool is_create;
};

/* Build the call for ch.  Returns 0, or -1 with *res filled (REJECTED: a
 * text that cannot be sent); nothing to release then. */
int imocha_call_build(const struct change *ch, struct imocha_call *call, struct imocha_result *res);
void imocha_call_release(struct imocha_call *call);
/* Queue call on c->pool (which must be set) with tag. */
void imocha_call_submit(const struct imocha *c, const struct imocha_call *call, void *tag);
/* Sort a final answer (http_pool_wait's err and resp) into *res. */
void imocha_call_result(const struct imocha_call *call, int err, const struct http_response *resp,
    struct imocha_result *res);

/* Decoders, exposed for the unit and fuzz tests: turn a status and body
 * into *res (and *out for the BU list).  Return 0 when the body had the
 * expected shape. */
int imocha_decode_bu_list(long status, const char *body, size_t len,
    struct imocha_bu_list *out, struct imocha_result *res);
void imocha_decode_change(long status, const char *body, size_t len, bool is_create,
    struct imocha_result *res);

#endif
