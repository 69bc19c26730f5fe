/*
 * imocha_int.h: what the two halves of the iMocha client share:
 * imocha.c (decoding answers) and imocha_send.c (building and sending
 * requests).  Not for other modules.
 */
#ifndef L2I_IMOCHA_INT_H
#define L2I_IMOCHA_INT_H

#include <stdbool.h>

#include "imocha/imocha.h"

#define PATH_BU_LIST	"/v3/accounts/business-units"
#define PATH_CREATE	"/v3/accounts/user/create"
#define PATH_UPDATE	"/v3/accounts/user/update"
#define PATH_STATUS	"/v3/accounts/user/status"

/* res empty with outcome PROTOCOL, the given status and no Retry-After. */
void imocha_result_init(struct imocha_result *res, long status);
/* Set the outcome and detail (made one printable line). */
void imocha_result_set(struct imocha_result *res, enum imocha_outcome o, const char *detail);
bool imocha_utf8_valid(const char *s);

#endif
