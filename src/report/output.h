/*
 * output.h: what the commands print for people and for scripts (--json):
 * the plan and the state store's status.  The only module besides the
 * iMocha client that speaks JSON.  Writes to fp; returns nothing to check
 * (a failed write to stdout shows up as the exit status of fflush in main).
 */
#ifndef L2I_OUTPUT_H
#define L2I_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "imocha/imocha.h"
#include "plan/plan.h"
#include "state/state.h"

void output_plan(FILE *fp, const struct plan *plan, const struct imocha_bu_list *bus, bool json);

struct status_report {
	const char *state_file;
	struct state_summary summary;
	struct run_record *runs;	/* newest first */
	size_t nruns;
	struct failure_record *failures;
	size_t nfailures;
	struct last_change last[LIFE_STATES];
};

void output_status(FILE *fp, const struct status_report *report, bool json);
void output_bu_list(FILE *fp, const struct imocha_bu_list *bus);

/* history (output_history.c): every change of the journal that f selects,
 * oldest first, as it is read: one line each, or with json one array of
 * objects, one a line.  Returns 0, or -1 when the store could not be read
 * (logged; the output may then be cut short). */
int output_history(FILE *fp, struct state *st, const struct history_filter *f, bool json);

#endif
