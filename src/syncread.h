/*
 * syncread.h: how a sync reads the directory.  In full when no content-sync
 * cookie is stored, when --full asks, when [sync] full_every has passed
 * since the last full read, when the config's directory settings changed,
 * or when any OU changed (OUs are read in full every time: an OU renamed
 * or re-mapped moves every user below it without the server saying so for
 * them).  Otherwise incrementally (RFC 4533 refreshOnly with the stored
 * cookie).  A server without content sync is read with paged searches.
 * The keys it keeps in the state store's meta table are written by the
 * caller with the mirror they describe (syncread_meta).
 */
#ifndef L2I_SYNCREAD_H
#define L2I_SYNCREAD_H

#include <stdbool.h>

#include "config.h"
#include "directory.h"
#include "imocha.h"
#include "state.h"

struct dir_read {
	struct dir_delta delta;		/* .snap: every OU, and the users read */
	bool incremental;		/* delta holds changes only */
	char *cookie;			/* to store with the mirror; NULL: none */
	char *ou_fingerprint;
	char *scope_fingerprint;	/* the config's directory and mapping keys */
	char *bu_fingerprint;		/* iMocha's BU list (syncread_bus_changed) */
};

/* Read for a sync (st set) or a plan (st NULL: in full, no cookie used or
 * kept).  Returns 0, or -1 after logging (the read failed or was
 * incomplete: nothing may change). */
int syncread_read(const struct config *cfg, struct state *st, bool force_full,
    struct dir_read *out);
/* Once iMocha's BU list is fetched: note its fingerprint, and say whether
 * it changed since the mirror was stored (a renamed BU moves users, which
 * an incremental read cannot see: read again in full). */
bool syncread_bus_changed(struct dir_read *rd, struct state *st, const struct imocha_bu_list *bus);
/* True when an incremental read found nothing changed at all. */
bool syncread_nothing_changed(const struct dir_read *rd);
/* The meta keys that describe a mirror written from rd (at most 6). */
size_t syncread_meta(const struct dir_read *rd, char *now_text, size_t now_len,
    struct state_meta meta[6]);
void syncread_release(struct dir_read *rd);

#endif
