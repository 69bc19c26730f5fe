/*
 * csv.c: see csv.h.  A byte-at-a-time state machine: every input byte is
 * checked once, every buffer is bounded by the caps, so any input ends in
 * a record, the end or an error, never in a crash (it is fuzzed).
 */
#include "util/csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

/* csv_getc's answers besides a byte. */
#define CSV_EOF		(-1)
#define CSV_ERR		(-2)

/* How a field ended. */
enum field_end { FIELD_NEXT, FIELD_LAST };

void
csv_reader_init(struct csv_reader *r, FILE *fp)
{
	memset(r, 0, sizeof *r);
	r->fp = fp;
	r->back = -1;
	r->line = 1;
}

void
csv_reader_init_mem(struct csv_reader *r, const void *buf, size_t len)
{
	csv_reader_init(r, NULL);
	r->mem = buf;
	r->memlen = buf != NULL ? len : 0;
}

void
csv_reader_release(struct csv_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->offs);
	free(r->fields);
	r->buf = NULL;
	r->offs = NULL;
	r->fields = NULL;
	r->len = r->cap = r->nfields = r->fcap = r->ocap = 0;
}

static void __attribute__((format(printf, 3, 4)))
csv_fail(struct csv_reader *r, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	r->err_line = line;
	r->failed = true;
}

/* One byte of the input, counted against the cap. */
static int
csv_raw_getc(struct csv_reader *r)
{
	int c;

	if (r->fp != NULL) {
		if ((c = getc(r->fp)) == EOF) {
			if (!ferror(r->fp))
				return CSV_EOF;
			csv_fail(r, r->line, "read error: %s", strerror(errno));
			return CSV_ERR;
		}
	} else {
		if (r->mempos >= r->memlen)
			return CSV_EOF;
		c = r->mem[r->mempos++];
	}
	if (++r->nread > CSV_MAX_INPUT) {
		csv_fail(r, r->line, "larger than %lu MiB: split it into several files",
		    CSV_MAX_INPUT / (1024 * 1024));
		return CSV_ERR;
	}
	if (c == '\0') {
		/* Fields are C strings: a NUL would silently cut one short. */
		csv_fail(r, r->line, "NUL byte: not a text file");
		return CSV_ERR;
	}
	return c;
}

/* The BOM is a marker, not part of the first column's name. */
static int
csv_start(struct csv_reader *r)
{
	static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };
	int c;

	r->started = true;
	while (r->npend < sizeof bom) {
		if ((c = csv_raw_getc(r)) == CSV_ERR)
			return -1;
		if (c == CSV_EOF)
			break;
		r->pend[r->npend++] = (unsigned char)c;
		if (r->pend[r->npend - 1] != bom[r->npend - 1])
			return 0;
	}
	if (r->npend == sizeof bom)
		r->npend = 0;
	return 0;
}

static int
csv_getc(struct csv_reader *r)
{
	int c;

	if (r->back != -1) {
		c = r->back;
		r->back = -1;
		return c;
	}
	if (r->ipend < r->npend)
		return r->pend[r->ipend++];
	return csv_raw_getc(r);
}

/* After a CR: the LF that must follow it.  Returns FIELD_LAST or -1. */
static int
csv_crlf(struct csv_reader *r)
{
	int c = csv_getc(r);

	if (c == '\n') {
		r->line++;
		return FIELD_LAST;
	}
	if (c != CSV_ERR)
		csv_fail(r, r->line, "carriage return not followed by a line feed "
		    "outside quotes");
	return -1;
}

static int
field_putc(struct csv_reader *r, int c)
{
	if (r->len - r->offs[r->nfields] >= CSV_MAX_FIELD) {
		csv_fail(r, r->line, "field longer than %d bytes", CSV_MAX_FIELD);
		return -1;
	}
	xgrow(&r->buf, &r->cap, r->len + 1, 1);
	r->buf[r->len++] = (char)c;
	return 0;
}

/* The rest of an unquoted field: up to a comma, a line end or the end. */
static int
field_unquoted(struct csv_reader *r)
{
	int c;

	for (;;) {
		switch ((c = csv_getc(r))) {
		case CSV_ERR:
			return -1;
		case CSV_EOF:
			return FIELD_LAST;
		case ',':
			return FIELD_NEXT;
		case '\n':
			r->line++;
			return FIELD_LAST;
		case '\r':
			return csv_crlf(r);
		case '"':
			csv_fail(r, r->line, "quote inside an unquoted field "
			    "(quote the whole field and double the quote: \"\")");
			return -1;
		default:
			if (field_putc(r, c) == -1)
				return -1;
		}
	}
}

/* What may follow a closing quote: a doubled quote, or the field's end. */
static int
field_after_quote(struct csv_reader *r, bool *more)
{
	int c = csv_getc(r);

	*more = false;
	switch (c) {
	case CSV_ERR:
		return -1;
	case '"':
		*more = true;
		return field_putc(r, '"');
	case CSV_EOF:
		return FIELD_LAST;
	case ',':
		return FIELD_NEXT;
	case '\n':
		r->line++;
		return FIELD_LAST;
	case '\r':
		return csv_crlf(r);
	default:
		csv_fail(r, r->line, "unexpected character after a closing quote");
		return -1;
	}
}

/* A quoted field, its opening quote read. */
static int
field_quoted(struct csv_reader *r)
{
	long opened = r->line;
	bool more;
	int c, end;

	for (;;) {
		if ((c = csv_getc(r)) == CSV_ERR)
			return -1;
		if (c == CSV_EOF) {
			csv_fail(r, opened, "quoted field never closed (opened on line %ld)",
			    opened);
			return -1;
		}
		if (c == '"') {
			end = field_after_quote(r, &more);
			if (end == -1 || !more)
				return end;
			continue;
		}
		if (c == '\n')
			r->line++;
		if (field_putc(r, c) == -1)
			return -1;
	}
}

/* One field into the record; returns how it ended, or -1. */
static int
field_read(struct csv_reader *r)
{
	int c, end;

	if (r->nfields == CSV_MAX_FIELDS) {
		csv_fail(r, r->line, "more than %d fields in one record", CSV_MAX_FIELDS);
		return -1;
	}
	xgrow(&r->offs, &r->ocap, r->nfields + 1, sizeof *r->offs);
	r->offs[r->nfields] = r->len;
	if ((c = csv_getc(r)) == CSV_ERR)
		return -1;
	if (c == '"')
		end = field_quoted(r);
	else {
		if (c != CSV_EOF)
			r->back = c;
		end = field_unquoted(r);
	}
	if (end == -1)
		return -1;
	xgrow(&r->buf, &r->cap, r->len + 1, 1);
	r->buf[r->len++] = '\0';
	r->nfields++;
	return end;
}

/* Skip blank lines; returns 1 at a record's first byte (pushed back), 0 at
 * the end of the input, -1 on error. */
static int
record_find(struct csv_reader *r)
{
	int c;

	for (;;) {
		if ((c = csv_getc(r)) == CSV_ERR)
			return -1;
		if (c == CSV_EOF)
			return 0;
		if (c == '\n')
			r->line++;
		else if (c == '\r') {
			if (csv_crlf(r) == -1)
				return -1;
		} else {
			r->back = c;
			return 1;
		}
	}
}

int
csv_next_record(struct csv_reader *r, char ***fields, size_t *nfields, long *line)
{
	size_t i;
	int rc, end;

	*fields = NULL;
	*nfields = 0;
	*line = r->line;
	if (r->failed)
		goto fail;
	if (!r->started && csv_start(r) == -1)
		goto fail;
	if ((rc = record_find(r)) != 1) {
		if (rc == -1)
			goto fail;
		*line = r->line;
		return 0;
	}
	*line = r->line;
	r->len = 0;
	r->nfields = 0;
	do {
		if ((end = field_read(r)) == -1)
			goto fail;
	} while (end == FIELD_NEXT);
	/* buf is final now: the pointers into it stay valid until next call. */
	xgrow(&r->fields, &r->fcap, r->nfields + 1, sizeof *r->fields);
	for (i = 0; i < r->nfields; i++)
		r->fields[i] = r->buf + r->offs[i];
	r->fields[r->nfields] = NULL;
	*fields = r->fields;
	*nfields = r->nfields;
	return 1;
fail:
	*line = r->err_line;
	return -1;
}
