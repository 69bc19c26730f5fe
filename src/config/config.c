/*
 * config.c: see config.h.  The keys, their types and defaults are a table
 * in config_table.c; this file reads the file into it.  inih splits the
 * lines; our own reader feeds it, counting lines (inih's handler gets no
 * line number) and refusing the lines Debian's inih would silently split.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config/config_int.h"
#include "config/config_table.h"
#include "model/dn.h"
#include "util/log.h"
#include "config/secret.h"
#include "util/xmem.h"

#define LINE_MAX_LEN	199	/* Debian's inih: INI_MAX_LINE 200 less the NUL */
#define SECTION_LIST "[ldap], [imocha], [mapping], [business_units], [sync] or [log]"

/* Every message is "FILE:LINE: KEY: why", or shorter when there is no
 * line or no key; each counts as one error.  They are held and logged by
 * flush_errors in line order: values are checked in table order. */
void
config_perr(struct parse *p, int line, const char *key, const char *fmt, ...)
{
	char msg[1024], where[32] = "";
	struct message *m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof where, ":%d", line);
	xgrow(&p->msgs, &p->msgs_cap, p->nmsgs + 1, sizeof *p->msgs);
	m = &p->msgs[p->nmsgs];
	m->line = line;
	m->seq = p->nmsgs++;
	m->text = xasprintf("%s%s: %s%s%s", p->path, where, key ? key : "",
	    key ? ": " : "", msg);
	p->errors++;
}

static int
message_cmp(const void *a, const void *b)
{
	const struct message *x = a, *y = b;
	unsigned lx = (unsigned)x->line - 1, ly = (unsigned)y->line - 1;

	if (lx != ly)
		return lx < ly ? -1 : 1;	/* line 0 wraps around: last */
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
flush_errors(struct parse *p)
{
	if (p->nmsgs == 0)
		return;		/* qsort wants a real array */
	qsort(p->msgs, p->nmsgs, sizeof *p->msgs, message_cmp);
	for (size_t i = 0; i < p->nmsgs; i++) {
		log_errorx("%s", p->msgs[i].text);
		free(p->msgs[i].text);
	}
	p->nmsgs = 0;
}

static bool
section_known(const char *name)
{
	for (size_t i = 0; i < config_nsections; i++)
		if (strcasecmp(name, config_sections[i]) == 0)
			return true;
	return false;
}

int
config_key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < config_nkeys; i++)
		if ((section == NULL ||
		    strcasecmp(section, config_keys[i].section) == 0) &&
		    strcasecmp(name, config_keys[i].name) == 0)
			return (int)i;
	return -1;
}

/* inih's find_chars_or_comment: the first of chars, or an inline comment
 * (";" after white space), or the end. */
static const char *
find_sep(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && (chars == NULL || strchr(chars, *s) == NULL) &&
	    !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static enum line_kind
classify_section(struct parse *p, const char *s)
{
	const char *end = find_sep(s + 1, "]");
	char *name;

	if (*end != ']') {
		config_perr(p, p->lineno, NULL, "missing ] in section header");
		p->key_ok = false;
		return LINE_IGNORE;
	}
	p->have_key = false;
	name = xstrndup(s + 1, (size_t)(end - s - 1));
	if (!section_known(name))
		config_perr(p, p->lineno, NULL, "[%s]: unknown section (expected "
		    SECTION_LIST ")", name);
	free(name);
	return LINE_OTHER;
}

/*
 * Tell what inih will make of the line, mirroring ini_parse_stream, so the
 * handler knows a key line from a continuation, and so syntax errors are
 * each reported (inih only returns the first).
 */
static enum line_kind
classify(struct parse *p, const char *line)
{
	const char *s = line, *end;

	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == ';' || *s == '#')
		return LINE_OTHER;
	if (p->have_key && s > line)
		return p->key_ok ? LINE_CONT : LINE_IGNORE;
	if (*s == '[')
		return classify_section(p, s);
	end = find_sep(s, "=:");
	if (*end != '=' && *end != ':') {
		config_perr(p, p->lineno, NULL, "expected KEY = VALUE, a [section] or "
		    "a ; comment");
		p->key_ok = false;
		return LINE_IGNORE;
	}
	if (end == s) {
		config_perr(p, p->lineno, NULL, "no key name before \"%c\"", *end);
		p->have_key = false;
		return LINE_IGNORE;
	}
	p->have_key = p->key_ok = true;
	p->sep = *end;
	return LINE_KEY;
}

/* inih's reader: one physical line per call, whatever its length. */
static char *
reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t max = num - 1 < LINE_MAX_LEN ? (size_t)(num - 1) : LINE_MAX_LEN;
	ssize_t n;

	if (num < 2)
		return NULL;
	if ((n = getline(&p->buf, &p->bufcap, p->fp)) == -1) {
		if (ferror(p->fp))
			p->read_errno = errno;
		return NULL;
	}
	p->lineno++;
	if (n > 0 && p->buf[n - 1] == '\n')
		p->buf[--n] = '\0';
	if (n > 0 && p->buf[n - 1] == '\r')
		p->buf[--n] = '\0';
	if ((size_t)n > max || memchr(p->buf, '\0', (size_t)n) != NULL) {
		if ((size_t)n > max)
			config_perr(p, p->lineno, NULL, "line longer than %zu characters "
			    "(continue a long value on lines that start with "
			    "white space)", max);
		else
			config_perr(p, p->lineno, NULL, "line holds a NUL byte");
		/* inih sees a blank line; what continues it is dropped. */
		p->key_ok = false;
		p->kind = LINE_IGNORE;
		str[0] = '\0';
		return str;
	}
	memcpy(str, p->buf, (size_t)n + 1);
	p->kind = classify(p, str);
	return str;
}

static void
bu_add(struct parse *p, const char *bu, const char *ou_dn)
{
	struct config *cfg = p->cfg;
	struct bu_map_entry *e;

	xgrow(&cfg->bu_map, &p->bu_cap, cfg->bu_map_len + 1, sizeof *cfg->bu_map);
	e = &cfg->bu_map[cfg->bu_map_len++];
	e->bu = xstrdup(bu);
	e->ou_dn = xstrdup(ou_dn);
	e->where = xasprintf("%s:%d", p->path, p->lineno);
	xgrow(&p->bu_line, &p->bu_line_cap, cfg->bu_map_len, sizeof *p->bu_line);
	p->bu_line[cfg->bu_map_len - 1] = p->lineno;
}

/* "BU =" may be followed by its OUs on continuation lines; with none it
 * maps nothing, which is an error. */
static void
bu_settle(struct parse *p)
{
	if (p->bu_empty_line != 0 && p->cfg->bu_map_len == p->bu_len_then)
		config_perr(p, p->bu_empty_line, p->cur_name, "no OU DN (expected BU = OU "
		    "DN, e.g. Engineering = ou=Engineering,dc=example,dc=com)");
	p->bu_empty_line = 0;
}

/* inih splits "name = value" at the first "=" or ":", so a BU name holding
 * either is cut short; refuse what shows it rather than map a wrong BU. */
static void
on_bu_key(struct parse *p, const char *name, const char *value)
{
	size_t rdn = strcspn(value, ",");
	const char *eq = memchr(value, '=', rdn);

	if (p->sep == ':' || (eq != NULL && memchr(eq + 1, '=', rdn -
	    (size_t)(eq + 1 - value)) != NULL)) {
		config_perr(p, p->lineno, name, "expected BU = OU DN; a BU whose name "
		    "holds \"=\" or \":\" is given by id");
		return;
	}
	p->row = ROW_BU;
	if (*value != '\0')
		bu_add(p, name, value);
	else {
		p->bu_empty_line = p->lineno;
		p->bu_len_then = p->cfg->bu_map_len;
	}
}

/* One group_dn: the key may repeat, and go on on continuation lines. */
static void
group_add(struct parse *p, const char *dn)
{
	struct config *cfg = p->cfg;

	p->row = ROW_GROUP;
	if (*dn == '\0')
		return;		/* "group_dn =": none, or DNs on the lines below */
	xgrow(&cfg->group_dn, &p->group_cap, cfg->group_dn_len + 1, sizeof *cfg->group_dn);
	cfg->group_dn[cfg->group_dn_len] = (struct group_dn_entry){ xstrdup(dn),
	    xasprintf("%s:%d", p->path, p->lineno) };
	xgrow(&p->group_line, &p->group_line_cap, cfg->group_dn_len + 1, sizeof *p->group_line);
	p->group_line[cfg->group_dn_len++] = p->lineno;
}

static void
unknown_key(struct parse *p, const char *section, const char *name)
{
	int row = config_key_find(NULL, name);

	if (row != -1)
		config_perr(p, p->lineno, name, "unknown key in [%s] (it belongs in [%s])",
		    section, config_keys[row].section);
	else
		config_perr(p, p->lineno, name, "unknown key in [%s]", section);
}

static void
on_key(struct parse *p, const char *section, const char *name, const char *value)
{
	int row;

	bu_settle(p);
	p->row = ROW_NONE;
	free(p->cur_name);
	p->cur_name = xstrdup(name);
	if (*section == '\0') {
		config_perr(p, p->lineno, name, "outside any section (expected it under "
		    "one of " SECTION_LIST ")");
		return;
	}
	if (!section_known(section))
		return;		/* reported at the section header */
	if (strcasecmp(section, "business_units") == 0)
		on_bu_key(p, name, value);
	else if ((row = config_key_find(section, name)) == -1)
		unknown_key(p, section, name);
	else if (config_keys[row].type == CT_DNLIST)
		group_add(p, value);
	else if (p->line[row] != 0)
		config_perr(p, p->lineno, name, "set again (first set on line %d)",
		    p->line[row]);
	else {
		p->raw[row] = xstrdup(value);
		p->line[row] = p->lineno;
		p->row = row;
	}
}

/* Debian's inih leaves inline comments on continuation lines; strip them
 * like on the key line, so a "; why" reads the same everywhere. */
static void
on_continuation(struct parse *p, const char *value)
{
	const char *end = find_sep(value, NULL);
	char *piece, *joined;

	while (end > value && isspace((unsigned char)end[-1]))
		end--;
	piece = xstrndup(value, (size_t)(end - value));
	if (p->row == ROW_BU)
		bu_add(p, p->cur_name, piece);
	else if (p->row == ROW_GROUP)
		group_add(p, piece);
	else if (p->row >= 0) {
		joined = xasprintf("%s%s", p->raw[p->row], piece);
		free(p->raw[p->row]);
		p->raw[p->row] = joined;
	}
	free(piece);
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	if (p->kind == LINE_KEY)
		on_key(p, section, name, value);
	else if (p->kind == LINE_CONT)
		on_continuation(p, value);
	return 1;	/* keep going: every error is reported */
}

static void
parse_file(struct parse *p)
{
	int rc = ini_parse_stream(reader, p, handler, p);

	bu_settle(p);
	if (p->read_errno != 0)
		config_perr(p, 0, NULL, "%s", strerror(p->read_errno));
	else if (rc == -2)
		config_perr(p, 0, NULL, "out of memory");
	else if (rc != 0 && p->errors == 0)
		config_perr(p, rc, NULL, "syntax error");	/* a line classify missed */
}

/* A value set in the file or a default, through the same checks. */
static void
apply(struct parse *p, const struct config_key *k, int line, const char *val)
{
	char why[768];

	if (*val == '\0' && (k->flags & (CF_REQUIRED | CF_NONEMPTY))) {
		config_perr(p, line, k->name, "must not be empty");
		return;
	}
	/* An optional string set to "" is NULL: none, anonymous, default. */
	if (*val == '\0' && (k->type == CT_STRING || k->type == CT_FILTER ||
	    k->type == CT_SECRET))
		return;
	if (config_convert(p->cfg, k, val, why, sizeof why) == -1)
		config_perr(p, line, k->name, "%s", why);
}

static void
apply_all(struct parse *p)
{
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		if (p->raw[i] != NULL)
			apply(p, k, p->line[i], p->raw[i]);
		else if (k->def != NULL)
			apply(p, k, 0, k->def);
		else if (k->flags & CF_REQUIRED)
			config_perr(p, 0, k->name, "required in [%s] but not set", k->section);
	}
}

/* Each OU DN must parse, and one OU cannot map to two BUs. */
static void
check_bu_map(struct parse *p)
{
	const struct config *cfg = p->cfg;
	char **norm = xcalloc(cfg->bu_map_len, sizeof *norm);

	for (size_t i = 0; i < cfg->bu_map_len; i++) {
		const struct bu_map_entry *e = &cfg->bu_map[i];

		if ((norm[i] = dn_normalize(e->ou_dn)) == NULL) {
			config_perr(p, p->bu_line[i], e->bu, "\"%s\" is not a valid DN "
			    "(expected e.g. ou=Sales,dc=example,dc=com)", e->ou_dn);
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (norm[j] == NULL || strcmp(norm[i], norm[j]) != 0 ||
			    strcmp(e->bu, cfg->bu_map[j].bu) == 0)
				continue;
			config_perr(p, p->bu_line[i], e->bu, "OU \"%s\" is already mapped "
			    "to \"%s\" on line %d", e->ou_dn, cfg->bu_map[j].bu,
			    p->bu_line[j]);
			break;
		}
	}
	for (size_t i = 0; i < cfg->bu_map_len; i++)
		free(norm[i]);
	free(norm);
}

/* Each group_dn must parse; the same group twice is a slip worth telling. */
static void
check_group_dn(struct parse *p)
{
	const struct config *cfg = p->cfg;
	char **norm = xcalloc(cfg->group_dn_len + 1, sizeof *norm);

	for (size_t i = 0; i < cfg->group_dn_len; i++) {
		if ((norm[i] = dn_normalize(cfg->group_dn[i].dn)) == NULL) {
			config_perr(p, p->group_line[i], "group_dn", "\"%s\" is not a valid "
			    "DN (expected e.g. cn=iMocha Users,ou=Groups,dc=example,dc=com)",
			    cfg->group_dn[i].dn);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (norm[j] != NULL && strcmp(norm[i], norm[j]) == 0) {
				config_perr(p, p->group_line[i], "group_dn", "\"%s\" is "
				    "already listed on line %d", cfg->group_dn[i].dn,
				    p->group_line[j]);
				break;
			}
	}
	for (size_t i = 0; i < cfg->group_dn_len; i++)
		free(norm[i]);
	free(norm);
}

static void
check_cross(struct parse *p)
{
	const struct config *cfg = p->cfg;
	int row = config_key_find("ldap", "starttls");

	for (char **u = cfg->ldap_uris; cfg->starttls && u && *u; u++)
		if (strncasecmp(*u, "ldaps://", 8) == 0) {
			config_perr(p, p->line[row], "starttls", "yes with the ldaps:// URI "
			    "\"%s\"; pick one: ldaps://, or ldap:// with StartTLS", *u);
			break;
		}
	check_bu_map(p);
	check_group_dn(p);
}

int
config_load(const char *path, struct config *out)
{

	struct parse p;

	memset(out, 0, sizeof *out);
	memset(&p, 0, sizeof p);
	out->path = xstrdup(path);
	p.cfg = out;
	p.path = path;
	p.row = ROW_NONE;
	p.raw = xcalloc(config_nkeys, sizeof *p.raw);
	p.line = xcalloc(config_nkeys, sizeof *p.line);
	if ((p.fp = fopen(path, "re")) == NULL) {
		config_perr(&p, 0, NULL, "%s", strerror(errno));
		goto out;
	}
	parse_file(&p);
	apply_all(&p);
	check_cross(&p);
	/* The file's problems in line order, then the secrets' (secret.c
	 * logs those as it meets them). */
	flush_errors(&p);
	config_load_secrets(&p);
	config_auth_settle(&p);
out:
	flush_errors(&p);
	free(p.msgs);
	free(p.bu_line);
	free(p.group_line);
	if (p.fp != NULL)
		fclose(p.fp);
	free(p.buf);
	free(p.cur_name);
	for (size_t i = 0; i < config_nkeys; i++)
		free(p.raw[i]);
	free(p.raw);
	free(p.line);
	if (p.errors == 0)
		return 0;
	config_release(out);
	return -1;
}

void
config_release(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < config_nkeys; i++)
		config_free_value(cfg, &config_keys[i]);
	for (size_t i = 0; i < cfg->bu_map_len; i++) {
		free(cfg->bu_map[i].bu);
		free(cfg->bu_map[i].ou_dn);
		free(cfg->bu_map[i].where);
	}
	free(cfg->bu_map);
	for (size_t i = 0; i < cfg->group_dn_len; i++) {
		free(cfg->group_dn[i].dn);
		free(cfg->group_dn[i].where);
	}
	free(cfg->group_dn);
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

void
config_dump(const struct config *cfg, FILE *fp)
{
	for (size_t s = 0; s < config_nsections; s++) {
		const char *section = config_sections[s];

		fprintf(fp, "%s[%s]\n", s ? "\n" : "", section);
		for (size_t i = 0; strcmp(section, "business_units") == 0 &&
		    i < cfg->bu_map_len; i++)
			fprintf(fp, "%s = %s\t; %s\n", cfg->bu_map[i].bu,
			    cfg->bu_map[i].ou_dn, cfg->bu_map[i].where);
		for (size_t i = 0; i < config_nkeys; i++) {
			if (strcmp(config_keys[i].section, section) != 0)
				continue;
			if (config_keys[i].type == CT_DNLIST && cfg->group_dn_len > 0) {
				for (size_t g = 0; g < cfg->group_dn_len; g++)
					fprintf(fp, "%s = %s\t; %s\n", config_keys[i].name,
					    cfg->group_dn[g].dn, cfg->group_dn[g].where);
				continue;
			}
			fprintf(fp, "%s = ", config_keys[i].name);
			config_print_value(cfg, &config_keys[i], fp);
			fputc('\n', fp);
		}
	}
}
