/*
 * bounds.h: every limit on hostile or broken input, in one place (README,
 * "Limits").  Documentation only: each constant stays beside the code that
 * enforces it (named below), so this header defines nothing and nothing
 * includes it.  It is not called limits.h: with -Isrc that name would
 * shadow the C library's <limits.h> for every file that includes it.
 *
 * The rule: past a limit the item is refused with a message naming it
 * (the user, the DN and attribute, the file and line), never a crash, and
 * never silently cut in a way that changes its meaning.
 *
 * From iMocha (HTTP, JSON):
 *   HTTP_MAX_BODY (http.h)	4 MiB per answer body.  A longer answer, or
 *				one whose Content-Length promises more, is
 *				stopped (CURLOPT_MAXFILESIZE and the write
 *				callback): "answer larger than 4 MiB".  The
 *				business-unit list is then refused whole
 *				(exit 4); a change fails for that user (exit 1).
 *   [imocha] timeout		seconds for a whole request (default 30): an
 *				answer that never ends is cut, as a transport
 *				failure, retried up to max_retries.
 *   CJSON_NESTING_LIMIT	1000 levels (libcjson's build): deeper JSON is
 *				not JSON ("the answer is not JSON"); the first
 *				160 bytes are quoted, as ASCII (EXCERPT_MAX,
 *				imocha.c).
 *   imocha_result.detail	512 bytes (imocha.h): iMocha's message, made one
 *				printable UTF-8 line (invalid bytes become '?');
 *				a longer one ends in "...".
 *   JSON_EXACT_MAX (imocha.c)	a business-unit id must be an integer that
 *				JSON carries exactly (|id| <= 2^53); a string,
 *				fraction or bigger number refuses the list.
 *   RETRY_AFTER_MAX		a Retry-After over a day is read as a day
 *				(http.c, imocha.c); the pool waits at most 60 s
 *				within a run.
 *
 * From the directory (LDAP):
 *   VALUE_MAX (ldapsrc.c)	4096 bytes per attribute value.  A longer value
 *				of the id, e-mail, name, givenName or sn refuses
 *				the entry: "skipped DN: ATTR value too long (N
 *				bytes)"; of an OU's ou_attribute, that value.
 *   VALUES_MAX (ldapsrc.c)	1000 values per attribute: "ATTR has too many
 *				values (more than 1000)", the entry refused.
 *   text values		NUL bytes, invalid UTF-8 or control characters
 *				in a text attribute refuse the entry: "ATTR
 *				holds a binary or invalid UTF-8 value".  The id
 *				may be binary (objectGUID): it is printed.
 *   DN_MAX_LEN (dn.h)		4096 bytes per DN (as the server sends it): a
 *				longer DN cannot be placed ("its DN is longer
 *				than 4096 bytes"); "\00" in a DN is refused.
 *   EMAIL_MAX (user.c)		254 bytes per e-mail (RFC 5321): a longer one
 *				is an invalid e-mail, the entry skipped.
 *   ranged attributes		AD's ";range=" (a part of many values) refuses
 *				the entry, never a guess from the part.
 *   entries			no cap in the agent.  A server's size or time
 *				limit ends the read incomplete (exit 3): users
 *				cut off are never taken as leavers.
 *
 * From files:
 *   LINE_MAX_LEN (config.c)	199 characters per config line (Debian's inih);
 *				a longer line is an error naming file:line.
 *				Long values continue on indented lines.
 *   SECRET_MAX_LEN (secret.h)	4096 bytes per secret file; longer is refused.
 *   CSV_MAX_FIELD, CSV_MAX_FIELDS, CSV_MAX_INPUT (csv.h)
 *				adopt's CSV: 4096 bytes a field, 1024 fields a
 *				record, 64 MiB in all; past them the file is
 *				refused naming the line.
 *   PLANFILE_MAX_BYTES (planfile.c)
 *				256 MiB per saved plan.
 *
 * Stored and shown:
 *   ANSWER_MAX (state_journal.c)	2000 bytes of iMocha's answer kept in the
 *				journal, cut on a character boundary.
 *   TEXT_ANSWER_MAX (output_history.c)	200 bytes of it in `history`'s text
 *				output (the JSON output has all of it).
 */
#ifndef L2I_BOUNDS_H
#define L2I_BOUNDS_H
#endif
