/*
 * fuzz_csv.c: libFuzzer target for the RFC 4180 reader (csv_reader_init_mem,
 * as adopt reads iMocha's export).  Reads every record and checks the
 * reader's promises: fields within the caps, -1 sticky with a reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader r;
	char **fields;
	size_t nfields;
	long line, last = 0;
	int rc;

	csv_reader_init_mem(&r, data, size);
	while ((rc = csv_next_record(&r, &fields, &nfields, &line)) == 1) {
		if (nfields == 0 || nfields > CSV_MAX_FIELDS || line < last)
			abort();
		for (size_t i = 0; i < nfields; i++)
			if (strlen(fields[i]) > CSV_MAX_FIELD)
				abort();
		last = line;
	}
	if (rc == -1 && (r.error[0] == '\0' ||
	    csv_next_record(&r, &fields, &nfields, &line) != -1))
		abort();
	csv_reader_release(&r);
	return 0;
}
