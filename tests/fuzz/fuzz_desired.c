/*
 * fuzz_desired.c: libFuzzer target for directory entries -> the users the
 * agent wants (desired_build over mapping_place, user.c's rules).  The
 * input is lines "C value": C picks the field (u: a new user with that
 * DN, i: id, m: a mail value, n: a name value, g: givenName, s: sn,
 * p: a reader problem, o: a new OU with that DN, b: its ou_attribute
 * value, k: a mirror row "id<TAB>email<TAB>name" of the last read).  The
 * mapping is built from the fixed BU list and config (fuzz_fixture.h)
 * and the fuzzed OUs.  Checks what the planner relies on: usable users
 * have a valid, unique e-mail key, a unique id and a business unit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan/desired.h"
#include "model/directory.h"
#include "fuzz_fixture.h"
#include "util/log.h"
#include "model/user.h"
#include "util/xmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_ITEMS 256	/* users, OUs, mirror rows: keeps each run fast */

static struct config cfg;

struct input {
	struct dir_snapshot snap;
	struct mirror_entry *prev;
	size_t nprev;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(LOG_LEVEL_ERROR, false);
	fixture_config(&cfg);
	return 0;
}

static void
set_once(char **field, const char *v)
{
	if (*field == NULL)
		*field = xstrdup(v);
}

static void
add_mirror(struct input *in, char *v)
{
	struct mirror_entry *e;
	char *tab1 = strchr(v, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;

	if (tab1 == NULL || tab2 == NULL || in->nprev >= MAX_ITEMS)
		return;
	*tab1 = *tab2 = '\0';
	in->prev = xreallocarray(in->prev, in->nprev + 1, sizeof *in->prev);
	e = &in->prev[in->nprev++];
	*e = (struct mirror_entry){ .entry_id = xstrdup(v), .email = xstrdup(tab1 + 1),
	    .name = xstrdup(tab2 + 1), .bu_id = BU_NONE };
}

/* One input line into the snapshot under construction. */
static void
add_line(struct input *in, char code, char *v)
{
	struct dir_snapshot *s = &in->snap;
	struct dir_user *u = s->nusers ? &s->users[s->nusers - 1] : NULL;
	struct dir_ou *ou = s->nous ? &s->ous[s->nous - 1] : NULL;

	if (code == 'u' && s->nusers < MAX_ITEMS) {
		s->users = xreallocarray(s->users, s->nusers + 1, sizeof *s->users);
		s->users[s->nusers++] = (struct dir_user){ .dn = xstrdup(v) };
	} else if (code == 'o' && s->nous < MAX_ITEMS) {
		s->ous = xreallocarray(s->ous, s->nous + 1, sizeof *s->ous);
		s->ous[s->nous++] = (struct dir_ou){ .dn = xstrdup(v) };
	} else if (code == 'b' && ou != NULL)
		value_list_add(&ou->bu_attr, v);
	else if (code == 'k')
		add_mirror(in, v);
	else if (u == NULL)
		return;
	else if (code == 'i')
		set_once(&u->id, v);
	else if (code == 'm')
		value_list_add(&u->email, v);
	else if (code == 'n')
		value_list_add(&u->name, v);
	else if (code == 'g')
		set_once(&u->given_name, v);
	else if (code == 's')
		set_once(&u->surname, v);
	else if (code == 'p')
		set_once(&u->problem, v);
}

static int
mirror_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mirror_entry *)a)->entry_id,
	    ((const struct mirror_entry *)b)->entry_id);
}

static void
input_parse(struct input *in, const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *line, *next;

	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] != '\0' && line[1] == ' ')
			add_line(in, line[0], line + 2);
	}
	free(text);
	/* The reader's contract (directory.h): an entry without its id
	 * carries a problem. */
	for (size_t i = 0; i < in->snap.nusers; i++)
		if (in->snap.users[i].id == NULL)
			set_once(&in->snap.users[i].problem, "no entryUUID");
	/* desired_build wants the mirror ordered by id, ids unique. */
	if (in->nprev > 1)
		qsort(in->prev, in->nprev, sizeof *in->prev, mirror_cmp);
	for (size_t i = 1; i < in->nprev; i++)
		if (strcmp(in->prev[i - 1].entry_id, in->prev[i].entry_id) == 0) {
			for (size_t j = 0; j < in->nprev; j++) {
				free(in->prev[j].entry_id);
				free(in->prev[j].email);
				free(in->prev[j].name);
			}
			in->nprev = 0;
			break;
		}
}

static void
check_set(const struct desired_set *set)
{
	size_t usable = 0;
	const struct desired_user *last = NULL;

	for (size_t i = 0; i < set->n; i++) {
		const struct desired_user *d = &set->users[i];

		if (d->name == NULL || d->dn == NULL)
			abort();
		if (d->problem != NULL)
			continue;
		usable++;
		if (d->entry_id == NULL || d->id_shared || d->email == NULL ||
		    !email_is_valid(d->email) || d->bu_id == BU_NONE || d->bu_name == NULL)
			abort();
		if (last != NULL && strcmp(last->email_key, d->email_key) >= 0)
			abort();	/* ordered, and no e-mail used twice */
		last = d;
	}
	if (usable != set->usable)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { 0 };
	struct desired_set set;
	struct mirror_entry *rows;
	struct mapping *map;
	size_t nrows;

	input_parse(&in, data, size);
	map = mapping_new(&cfg, in.snap.ous, in.snap.nous, &fixture_bus);
	desired_build(&in.snap, map, in.prev, in.nprev, &set);
	check_set(&set);
	rows = desired_to_mirror(&set, &nrows);
	free(rows);
	desired_release(&set);
	mapping_free(map);
	for (size_t i = 0; i < in.nprev; i++) {
		free(in.prev[i].entry_id);
		free(in.prev[i].email);
		free(in.prev[i].name);
	}
	free(in.prev);
	dir_snapshot_release(&in.snap);
	return 0;
}
