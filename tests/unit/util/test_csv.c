/*
 * test_csv.c: the RFC 4180 reader, table-driven.  Each input is read both
 * from a buffer and from a FILE*, and rendered as "LINE[field][field] ..."
 * per record, then "$" for the end or "!LINE:" and the error for a fault.
 * Then the caps (field, fields per record, whole input) and a small
 * randomized totality check (any bytes end in records, the end or an
 * error; the sanitizer build catches the rest).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/csv.h"
#include "testlib.h"
#include "util/xmem.h"

struct csv_case {
	const char *name;
	const char *in;
	size_t len;		/* 0: strlen(in) */
	const char *want;	/* records then "$", or "!LINE:" */
	const char *error;	/* a piece of the error text, if "!" */
};

static const struct csv_case cases[] = {
	{ "plain", "a,b,c\n1,2,3\n", 0, "1[a][b][c] 2[1][2][3] $", NULL },
	{ "no final line end", "a,b\n1,2", 0, "1[a][b] 2[1][2] $", NULL },
	{ "quoted comma", "\"x,y\",z\n", 0, "1[x,y][z] $", NULL },
	{ "quoted newline", "a,\"l1\nl2\"\nb,c\n", 0, "1[a][l1\nl2] 3[b][c] $", NULL },
	{ "doubled quote", "\"say \"\"hi\"\"\",x\n", 0, "1[say \"hi\"][x] $", NULL },
	{ "only a doubled quote", "\"\"\"\"\n", 0, "1[\"] $", NULL },
	{ "CRLF", "a,b\r\nc,d\r\n", 0, "1[a][b] 2[c][d] $", NULL },
	{ "CRLF inside quotes", "\"a\r\nb\"\r\nc\r\n", 0, "1[a\r\nb] 3[c] $", NULL },
	{ "quoted field last on a CRLF line", "x,\"y\"\r\nz", 0, "1[x][y] 2[z] $", NULL },
	{ "BOM", "\xef\xbb\xbf" "email\nx\n", 0, "1[email] 2[x] $", NULL },
	{ "BOM only", "\xef\xbb\xbf", 0, "$", NULL },
	{ "BOM before a quote", "\xef\xbb\xbf\"e\"\n", 0, "1[e] $", NULL },
	{ "half a BOM is data", "\xef\xbbz\n", 0, "1[\xef\xbbz] $", NULL },
	{ "half a BOM at the end", "\xef\xbb", 0, "1[\xef\xbb] $", NULL },
	{ "BOM later is data", "a\n\xef\xbb\xbf\n", 0, "1[a] 2[\xef\xbb\xbf] $", NULL },
	{ "empty fields", ",,\na,,b\n", 0, "1[][][] 2[a][][b] $", NULL },
	{ "empty quoted field", "\"\"\n", 0, "1[] $", NULL },
	{ "trailing comma at the end", "a,", 0, "1[a][] $", NULL },
	{ "blank lines skipped", "a\n\n\r\nb\n\n", 0, "1[a] 4[b] $", NULL },
	{ "empty file", "", 0, "$", NULL },
	{ "only line ends", "\n\r\n\n", 0, "$", NULL },
	{ "spaces kept", " a , b \n", 0, "1[ a ][ b ] $", NULL },
	{ "UTF-8 kept", "\"Åsa, Ström\",山田\n", 0, "1[Åsa, Ström][山田] $", NULL },
	{ "unterminated quote", "a\n\"b\nc\n", 0, "1[a] !2:", "never closed (opened on line 2)" },
	{ "unterminated quote at the end", "\"", 0, "!1:", "never closed" },
	{ "quote inside an unquoted field", "ab\"c\n", 0, "!1:", "quote inside an unquoted field" },
	{ "quote inside, second record", "x\nab\"c\n", 0, "1[x] !2:", "quote inside" },
	{ "text after a closing quote", "\"a\"b\n", 0, "!1:", "after a closing quote" },
	{ "space after a closing quote", "\"a\" ,b\n", 0, "!1:", "after a closing quote" },
	{ "fault line inside a quoted field", "\"a\nb\"x\n", 0, "!2:", "after a closing quote" },
	{ "stray CR", "a\rb\n", 0, "!1:", "carriage return" },
	{ "CR at the end", "a\r", 0, "!1:", "carriage return" },
	{ "CR after a closing quote", "\"a\"\rb", 0, "!1:", "carriage return" },
	{ "NUL byte", "a\0b\n", 4, "!1:", "NUL byte" },
	{ "NUL in quotes", "\"a\0\"\n", 5, "!1:", "NUL byte" },
};

static void
render_record(char **out, char **fields, size_t n, long line)
{
	char *s;

	s = xasprintf("%s%ld", *out, line);
	free(*out);
	*out = s;
	for (size_t i = 0; i < n; i++) {
		s = xasprintf("%s[%s]", *out, fields[i]);
		free(*out);
		*out = s;
	}
	s = xasprintf("%s ", *out);
	free(*out);
	*out = s;
}

/* Read everything r holds into the "1[a][b] $" form; *error gets a copy
 * of the error text, if any. */
static char *
render(struct csv_reader *r, char **error)
{
	char *out = xstrdup(""), *s, **fields;
	size_t n;
	long line;
	int rc;

	*error = NULL;
	while ((rc = csv_next_record(r, &fields, &n, &line)) == 1) {
		CHECK(fields[n] == NULL);
		render_record(&out, fields, n, line);
	}
	if (rc == 0) {
		CHECK(fields == NULL && n == 0);
		s = xasprintf("%s$", out);
	} else {
		s = xasprintf("%s!%ld:", out, line);
		*error = xstrdup(r->error);
		/* The failure sticks. */
		CHECK_INT(csv_next_record(r, &fields, &n, &line), -1);
	}
	free(out);
	return s;
}

static void
check_case(const struct csv_case *c, struct csv_reader *r, const char *how)
{
	char *got, *error;

	got = render(r, &error);
	if (strcmp(got, c->want) != 0)
		printf("# %s (%s)\n", c->name, how);
	CHECK_STR(got, c->want);
	if (c->error != NULL) {
		if (error == NULL || strstr(error, c->error) == NULL)
			printf("# %s (%s): error \"%s\" lacks \"%s\"\n", c->name, how,
			    error ? error : "(none)", c->error);
		CHECK(error != NULL && strstr(error, c->error) != NULL);
	}
	free(got);
	free(error);
}

static void
test_table(void)
{
	struct csv_reader r;
	FILE *fp;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct csv_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->in);

		csv_reader_init_mem(&r, c->in, len);
		check_case(c, &r, "buffer");
		csv_reader_release(&r);
		if ((fp = tmpfile()) == NULL) {
			CHECK(fp != NULL);
			continue;
		}
		CHECK_INT(fwrite(c->in, 1, len, fp), len);
		rewind(fp);
		csv_reader_init(&r, fp);
		check_case(c, &r, "FILE");
		csv_reader_release(&r);
		fclose(fp);
	}
}

/* A record of one field of len bytes ('x'), quoted or not. */
static char *
long_field(size_t len, bool quoted, size_t *total)
{
	char *s = xmalloc(len + 4), *p = s;

	if (quoted)
		*p++ = '"';
	memset(p, 'x', len);
	p += len;
	if (quoted)
		*p++ = '"';
	*p++ = '\n';
	*total = (size_t)(p - s);
	return s;
}

static int
read_one(const char *buf, size_t len, size_t *nfields, size_t *flen, char *error,
    size_t errsize)
{
	struct csv_reader r;
	char **fields;
	long line;
	int rc;

	csv_reader_init_mem(&r, buf, len);
	rc = csv_next_record(&r, &fields, nfields, &line);
	*flen = rc == 1 ? strlen(fields[0]) : 0;
	snprintf(error, errsize, "%s", r.error);
	csv_reader_release(&r);
	return rc;
}

static void
test_field_cap(void)
{
	char error[192], *s;
	size_t len, n, flen;

	for (int quoted = 0; quoted <= 1; quoted++) {
		s = long_field(CSV_MAX_FIELD, quoted, &len);
		CHECK_INT(read_one(s, len, &n, &flen, error, sizeof error), 1);
		CHECK_INT(flen, CSV_MAX_FIELD);
		free(s);
		s = long_field(CSV_MAX_FIELD + 1, quoted, &len);
		CHECK_INT(read_one(s, len, &n, &flen, error, sizeof error), -1);
		CHECK(strstr(error, "field longer than 4096 bytes") != NULL);
		free(s);
	}
}

static void
test_fields_cap(void)
{
	size_t len = CSV_MAX_FIELDS + 2, n, flen;
	char *s = xmalloc(len), error[192];

	/* CSV_MAX_FIELDS empty fields: one fewer comma. */
	memset(s, ',', len);
	s[CSV_MAX_FIELDS - 1] = '\n';
	CHECK_INT(read_one(s, CSV_MAX_FIELDS, &n, &flen, error, sizeof error), 1);
	CHECK_INT(n, CSV_MAX_FIELDS);
	s[CSV_MAX_FIELDS - 1] = ',';
	s[CSV_MAX_FIELDS] = '\n';
	CHECK_INT(read_one(s, CSV_MAX_FIELDS + 1, &n, &flen, error, sizeof error), -1);
	CHECK(strstr(error, "more than 1024 fields") != NULL);
	free(s);
}

static void
test_input_cap(void)
{
	size_t len = CSV_MAX_INPUT + 1, n, flen;
	char *s = xmalloc(len), error[192];

	/* Blank lines cost nothing but bytes. */
	memset(s, '\n', len);
	CHECK_INT(read_one(s, CSV_MAX_INPUT, &n, &flen, error, sizeof error), 0);
	CHECK_INT(read_one(s, len, &n, &flen, error, sizeof error), -1);
	CHECK(strstr(error, "larger than 64 MiB") != NULL);
	free(s);
}

static void
test_line_numbers(void)
{
	static const char in[] = "h1,h2\n\"multi\nline\nvalue\",x\r\n\nlast,\"one\"";
	struct csv_reader r;
	char **fields;
	size_t n;
	long line;

	csv_reader_init_mem(&r, in, sizeof in - 1);
	CHECK_INT(csv_next_record(&r, &fields, &n, &line), 1);
	CHECK_INT(line, 1);
	CHECK_INT(csv_next_record(&r, &fields, &n, &line), 1);
	CHECK_INT(line, 2);
	CHECK_STR(fields[0], "multi\nline\nvalue");
	CHECK_INT(csv_next_record(&r, &fields, &n, &line), 1);
	CHECK_INT(line, 6);
	CHECK_STR(fields[1], "one");
	CHECK_INT(csv_next_record(&r, &fields, &n, &line), 0);
	CHECK_INT(csv_next_record(&r, &fields, &n, &line), 0);
	csv_reader_release(&r);
	csv_reader_release(&r);		/* twice is harmless */
	csv_reader_init_mem(&r, NULL, 10);	/* no buffer: empty */
	CHECK_INT(csv_next_record(&r, &fields, &n, &line), 0);
	csv_reader_release(&r);
}

/* Any bytes: records, then the end or one error; fields stay bounded. */
static void
test_random_input(void)
{
	static const unsigned char alphabet[] = { 'a', 'b', ',', '"', '"', '\n', '\r',
	    '\0', 0xef, 0xbb, 0xbf, ' ' };
	unsigned long seed = 20260601;
	unsigned char buf[64];
	struct csv_reader r;
	char **fields;
	size_t n, len;
	long line, last;
	int rc, records;

	for (int iter = 0; iter < 20000; iter++) {
		len = (size_t)(iter % (int)sizeof buf);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			buf[i] = alphabet[(seed >> 33) % sizeof alphabet];
		}
		csv_reader_init_mem(&r, buf, len);
		records = 0;
		last = 0;
		while ((rc = csv_next_record(&r, &fields, &n, &line)) == 1) {
			CHECK(n >= 1 && n <= len + 1 && fields[n] == NULL);
			CHECK(line > last && line <= (long)len + 1);
			last = line;
			if (++records > (int)len + 1)
				break;
		}
		CHECK(rc == 0 || (rc == -1 && r.error[0] != '\0'));
		csv_reader_release(&r);
	}
}

int
main(void)
{
	RUN(test_table);
	RUN(test_field_cap);
	RUN(test_fields_cap);
	RUN(test_input_cap);
	RUN(test_line_numbers);
	RUN(test_random_input);
	return TESTLIB_EXIT();
}
