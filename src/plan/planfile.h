/*
 * planfile.h: saved plans (SPEC.md, Saved plans).  `plan --out FILE`
 * writes the plan with the time it was made, as JSON a change board can
 * read; `sync --plan FILE` reads it back.  The file is written whole or
 * not at all (a temporary file renamed over it), mode 0600: it names
 * people.  Errors are logged once with the file name; functions return
 * 0 or -1.
 */
#ifndef L2I_PLANFILE_H
#define L2I_PLANFILE_H

#include <stddef.h>
#include <time.h>

#include "model/change.h"
#include "imocha/imocha.h"
#include "plan/plan.h"

#define PLANFILE_MAX_AGE (24 * 60 * 60)	/* seconds a saved plan stays valid */

struct saved_plan {
	time_t made_at;
	struct change *changes;
	size_t n;
};

int planfile_write(const char *path, const struct plan *plan, const struct imocha_bu_list *bus,
    time_t made_at);
int planfile_read(const char *path, struct saved_plan *out);
void planfile_release(struct saved_plan *saved);

#endif
