/* planfile.c: see planfile.h. */
#include "plan/planfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "util/log.h"
#include "plan/mapping.h"
#include "util/xmem.h"

#define PLANFILE_FORMAT "ldap2imocha-plan"
#define PLANFILE_VERSION 1
#define PLANFILE_MAX_BYTES (256u * 1024 * 1024)

static cJSON *
change_json(const struct change *c, const struct imocha_bu_list *bus)
{
	cJSON *o = cJSON_CreateObject();
	const char *from = bu_name_of(bus, c->old_bu), *to = bu_name_of(bus, c->new_bu);

	cJSON_AddStringToObject(o, "action", change_kind_str(c->kind));
	cJSON_AddStringToObject(o, "email", c->email);
	cJSON_AddStringToObject(o, "name", c->full_name ? c->full_name : "");
	if (c->entry_id)
		cJSON_AddStringToObject(o, "entry_id", c->entry_id);
	/* Ids are what the check compares; names are for the reviewer. */
	cJSON_AddNumberToObject(o, "old_business_unit_id", (double)c->old_bu);
	cJSON_AddStringToObject(o, "old_business_unit", from ? from : "");
	cJSON_AddNumberToObject(o, "new_business_unit_id", (double)c->new_bu);
	cJSON_AddStringToObject(o, "new_business_unit", to ? to : "");
	cJSON_AddStringToObject(o, "reason", c->reason);
	return o;
}

static char *
plan_document(const struct plan *plan, const struct imocha_bu_list *bus, time_t made_at)
{
	cJSON *root = cJSON_CreateObject(), *changes;
	char stamp[32];
	struct tm tm;
	char *text;

	gmtime_r(&made_at, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(root, "format", PLANFILE_FORMAT);
	cJSON_AddNumberToObject(root, "version", PLANFILE_VERSION);
	cJSON_AddStringToObject(root, "made_at", stamp);
	cJSON_AddNumberToObject(root, "made_at_unix", (double)made_at);
	changes = cJSON_AddArrayToObject(root, "changes");
	for (size_t i = 0; i < plan->n; i++)
		cJSON_AddItemToArray(changes, change_json(&plan->changes[i], bus));
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		fatalx("cJSON_Print: out of memory");
	return text;
}

static int
write_all(int fd, const char *text)
{
	size_t len = strlen(text), off = 0;

	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	return write(fd, "\n", 1) == 1 ? 0 : -1;
}

int
planfile_write(const char *path, const struct plan *plan, const struct imocha_bu_list *bus,
    time_t made_at)
{
	char *text = plan_document(plan, bus, made_at);
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("cannot write the plan to %s", tmp);
		goto out;
	}
	if (write_all(fd, text) == -1 || fsync(fd) == -1) {
		log_warn("cannot write the plan to %s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		log_warn("cannot save the plan as %s", path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	cJSON_free(text);
	free(tmp);
	return rc;
}

static char *
read_whole(const char *path)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fp == NULL) {
		log_warn("cannot read the saved plan %s", path);
		return NULL;
	}
	for (;;) {
		size_t got;

		xgrow(&buf, &cap, len + 65536 + 1, 1);
		got = fread(buf + len, 1, cap - len - 1, fp);
		len += got;
		if (got == 0 || len > PLANFILE_MAX_BYTES)
			break;
	}
	buf[len] = '\0';
	if (ferror(fp) || len > PLANFILE_MAX_BYTES) {
		log_errorx("%s: cannot read the saved plan (%s)", path,
		    ferror(fp) ? "read error" : "larger than 256 MiB");
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

static const char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
json_int(const cJSON *o, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
		return false;
	*out = (int64_t)v->valuedouble;
	return true;
}

static int
change_kind_parse(const char *text, enum change_kind *kind)
{
	static const enum change_kind kinds[] = { CHANGE_CREATE, CHANGE_MOVE,
	    CHANGE_DEACTIVATE, CHANGE_REACTIVATE };

	for (size_t i = 0; text && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(text, change_kind_str(kinds[i])) == 0) {
			*kind = kinds[i];
			return 0;
		}
	return -1;
}

static int
change_from_json(const char *path, size_t index, const cJSON *o, struct change *c)
{
	const char *email = json_str(o, "email"), *name = json_str(o, "name");

	*c = (struct change){ 0 };
	if (change_kind_parse(json_str(o, "action"), &c->kind) == -1 || email == NULL ||
	    !json_int(o, "old_business_unit_id", &c->old_bu) ||
	    !json_int(o, "new_business_unit_id", &c->new_bu)) {
		log_errorx("%s: change %zu: needs action, email, old_business_unit_id and "
		    "new_business_unit_id; was the file edited?", path, index + 1);
		return -1;
	}
	c->email = xstrdup(email);
	c->email_key = xstrdup_lower(email);
	c->full_name = xstrdup(name);
	c->entry_id = xstrdup(json_str(o, "entry_id"));
	c->reason = xstrdup(json_str(o, "reason") ? json_str(o, "reason") : "");
	return 0;
}

static int
plan_from_json(const char *path, const cJSON *root, struct saved_plan *out)
{
	const cJSON *changes = cJSON_GetObjectItemCaseSensitive(root, "changes"), *item;
	int64_t made, version;
	const char *format = json_str(root, "format");

	if (format == NULL || strcmp(format, PLANFILE_FORMAT) != 0 ||
	    !json_int(root, "version", &version) || version != PLANFILE_VERSION ||
	    !json_int(root, "made_at_unix", &made) || !cJSON_IsArray(changes)) {
		log_errorx("%s: not a plan saved by 'ldap2imocha plan --out' (version %d)",
		    path, PLANFILE_VERSION);
		return -1;
	}
	out->made_at = (time_t)made;
	out->changes = xcalloc((size_t)cJSON_GetArraySize(changes) + 1, sizeof *out->changes);
	cJSON_ArrayForEach(item, changes) {
		if (change_from_json(path, out->n, item, &out->changes[out->n]) == -1)
			return -1;
		out->n++;
	}
	return 0;
}

int
planfile_read(const char *path, struct saved_plan *out)
{
	char *text = read_whole(path);
	cJSON *root;
	int rc = -1;

	*out = (struct saved_plan){ 0 };
	if (text == NULL)
		return -1;
	root = cJSON_Parse(text);
	if (root == NULL)
		log_errorx("%s: the saved plan is not valid JSON", path);
	else
		rc = plan_from_json(path, root, out);
	cJSON_Delete(root);
	free(text);
	if (rc == -1)
		planfile_release(out);
	return rc;
}

void
planfile_release(struct saved_plan *saved)
{
	for (size_t i = 0; i < saved->n; i++)
		change_release(&saved->changes[i]);
	free(saved->changes);
	*saved = (struct saved_plan){ 0 };
}
