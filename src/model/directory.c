/* directory.c: see directory.h. */
#include "model/directory.h"

#include <stdlib.h>

#include "model/dn.h"
#include "util/xmem.h"

void
value_list_add(struct value_list *list, const char *value)
{
	list->v = xreallocarray(list->v, list->n + 1, sizeof *list->v);
	list->v[list->n++] = xstrdup(value);
}

void
value_list_release(struct value_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

void
dir_user_release(struct dir_user *u)
{
	free(u->id);
	free(u->uuid);
	free(u->dn);
	value_list_release(&u->email);
	value_list_release(&u->name);
	value_list_release(&u->bu);
	free(u->given_name);
	free(u->surname);
	free(u->problem);
	*u = (struct dir_user){ 0 };
}

void
dir_snapshot_release(struct dir_snapshot *snap)
{
	for (size_t i = 0; i < snap->nusers; i++)
		dir_user_release(&snap->users[i]);
	free(snap->users);
	for (size_t i = 0; i < snap->nous; i++) {
		free(snap->ous[i].dn);
		value_list_release(&snap->ous[i].bu_attr);
	}
	free(snap->ous);
	dir_references_release(&snap->refs);
	*snap = (struct dir_snapshot){ 0 };
}

void
dir_delta_release(struct dir_delta *delta)
{
	dir_snapshot_release(&delta->snap);
	value_list_release(&delta->gone);
	value_list_release(&delta->present);
	free(delta->cookie);
	*delta = (struct dir_delta){ 0 };
}

const char *
dir_family_str(enum dir_family family)
{
	switch (family) {
	case DIR_FAMILY_OPENLDAP:
		return "OpenLDAP";
	case DIR_FAMILY_389:
		return "389 Directory Server";
	case DIR_FAMILY_AD:
		return "Active Directory";
	case DIR_FAMILY_UNKNOWN:
		break;
	}
	return "a directory server of no known family";
}

void
dir_server_release(struct dir_server *srv)
{
	free(srv->vendor);
	*srv = (struct dir_server){ 0 };
}

void
dir_references_add(struct dir_references *dst, const struct dir_references *src)
{
	dst->n += src->n;
	dst->outside |= src->outside;
	for (size_t i = 0; i < src->dns.n; i++)
		value_list_add(&dst->dns, src->dns.v[i]);
}

bool
dir_references_hide(const struct dir_references *refs, const char *dn)
{
	if (refs->n == 0)
		return false;
	if (refs->outside || dn == NULL)
		return true;
	for (size_t i = 0; i < refs->dns.n; i++)
		if (dn_is_within(dn, refs->dns.v[i]))
			return true;
	return false;
}

void
dir_references_release(struct dir_references *refs)
{
	value_list_release(&refs->dns);
	*refs = (struct dir_references){ 0 };
}
