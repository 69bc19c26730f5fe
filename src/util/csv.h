/*
 * csv.h: an RFC 4180 CSV reader, record by record, over a FILE* or a
 * buffer.  Accepts quoted fields (which may hold commas, quotes written ""
 * and line ends), CRLF or LF line ends, an optional UTF-8 byte order mark,
 * and a last record with or without its line end.  A blank line is skipped,
 * not read as a record of one empty field.  Refused: a quote inside an
 * unquoted field, anything but a comma or a line end after a closing quote,
 * an unterminated quoted field, a carriage return not followed by a line
 * feed outside quotes, a NUL byte, and input past the caps below.  Pure:
 * no I/O but reading its input, no globals, no logging.
 */
#ifndef L2I_CSV_H
#define L2I_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CSV_MAX_FIELD	4096			/* bytes in one field */
#define CSV_MAX_FIELDS	1024			/* fields in one record */
#define CSV_MAX_INPUT	(64UL * 1024 * 1024)	/* bytes in the whole input */

struct csv_reader {
	/* Input: fp, else the buffer mem of memlen bytes. */
	FILE *fp;
	const unsigned char *mem;
	size_t memlen, mempos;
	unsigned char pend[3];		/* bytes read ahead looking for a BOM */
	size_t npend, ipend;
	size_t nread;			/* bytes taken so far */
	bool started;			/* the BOM check is done */
	int back;			/* a byte pushed back, or -1 */
	bool failed;			/* sticky: every later call returns -1 */
	long line;			/* the physical line being read, from 1 */
	long err_line;			/* the line a failure is on */
	/* The current record: NUL-terminated fields packed in buf. */
	char *buf;
	size_t len, cap;
	size_t *offs;
	char **fields;
	size_t nfields, fcap, ocap;	/* fields used; capacity of fields, offs */
	char error[192];		/* why the last call returned -1 */
};

/* Read fp (the caller keeps and closes it) or the len bytes at buf (which
 * must outlive the reader).  Release with csv_reader_release. */
void csv_reader_init(struct csv_reader *r, FILE *fp);
void csv_reader_init_mem(struct csv_reader *r, const void *buf, size_t len);
void csv_reader_release(struct csv_reader *r);

/* The next record: returns 1 with *fields (*nfields strings, owned by the
 * reader, valid until the next call) and *line the physical line it starts
 * on; 0 at the end of the input; -1 on malformed input or a read error,
 * with r->error saying why and *line the line the fault is on.  After -1
 * every call returns -1. */
int csv_next_record(struct csv_reader *r, char ***fields, size_t *nfields, long *line);

#endif
