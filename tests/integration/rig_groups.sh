#!/bin/sh
# tests/integration/rig_groups.sh: self-test of the group vocabulary of
# tests/lib/directory.sh (srv_group_*) and of the memberOf knobs, on the
# setup L2I_SERVER names (default openldap).  tests/run runs it once, as
# openldap; the others by hand, e.g.
#	L2I_SERVER=ad-root sh tests/integration/rig_groups.sh
# Everything is read back as the agent's service account, over the URI
# the agent gets: the groups must be readable to it on every setup.  A
# second server, with SRV_MEMBEROF=1 (openldap, 389), checks memberOf.

: "${L2I_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"

srv_require
t_setup
# No ~/.ldaprc of the machine's user may change what the tools do.
HOME=$T
export HOME
unset LDAPTLS_CACERT LDAPTLS_REQCERT LDAPTLS_CACERTDIR SRV_GROUP_CLASS SRV_MEMBEROF
LC_ALL=C
export LC_ALL

# fails CMD...: true when CMD fails (a case that expects an error).
fails() {
	! "$@"
}

# as_agent ARGS...: ldapsearch bound as the agent's account, as the agent
# connects (AD: ldaps://, the rig's CA checked).
as_agent() {
	(umask 077 && printf '%s' "$SRV_AGENT_PW" >"$SRV_DIR/agent.pw")
	if [ "$SRV_KIND" = ad ]; then
		LDAPTLS_CACERT=$SRV_CA LDAPTLS_REQCERT=demand ldapsearch -x -LLL \
		    -o ldif-wrap=no -o nettimeout=10 -H "$SRV_LDAPS_URI" \
		    -D "$SRV_AGENT_DN" -y "$SRV_DIR/agent.pw" "$@"
	else
		ldapsearch -x -LLL -o ldif-wrap=no -o nettimeout=10 -H "$SRV_URI" \
		    -D "$SRV_AGENT_DN" -y "$SRV_DIR/agent.pw" "$@"
	fi
}

# values DN ATTR: DN's ATTR values as the agent reads them, lower case,
# sorted, one a line.
values() {
	as_agent -b "$1" -s base "$2" | awk -v a="$(echo "$2" | tr 'A-Z' 'a-z')" '{
		i = index($0, ": ")
		if (i && tolower(substr($0, 1, i - 1)) == a)
			print tolower(substr($0, i + 2))
	}' | sort
}

# members NAME [ATTR]: group NAME's member (or ATTR) values, as values.
members() {
	values "$(srv_group_dn "$1")" "${2:-member}"
}

# dns MEMBER...: the DNs the MEMBERs name (UID or @GROUP), as values.
dns() {
	for _dn_m in "$@"; do
		case $_dn_m in
		@*) srv_group_dn "${_dn_m#@}" ;;
		*) srv_user_dn "$_dn_m" ;;
		esac
	done | tr 'A-Z' 'a-z' | sort
}

# empty_dns NAME: what an empty group NAME holds: its own DN where the
# schema wants a member (OpenLDAP), nothing elsewhere.
empty_dns() {
	[ "$SRV_KIND" = openldap ] && dns "@$1"
	return 0
}

# uniq_add NAME MEMBER...: srv_group_add with SRV_GROUP_CLASS=
# groupOfUniqueNames for this call only.
uniq_add() {
	SRV_GROUP_CLASS=groupOfUniqueNames
	srv_group_add "$@"
	_ua_rc=$?
	unset SRV_GROUP_CLASS
	return "$_ua_rc"
}

# exists DN: the agent finds DN.
exists() {
	as_agent -b "$1" -s base 1.1 >/dev/null 2>&1
}

# --- the server, users ------------------------------------------------------------

if srv_start dir; then
	ok "$SRV_SETUP starts"
else
	not_ok "$SRV_SETUP starts"
	t_done
fi
srv_ou_add Eng || not_ok "an OU loads"
srv_user_add Eng ann bob cid dee || not_ok "users load"

case $SRV_KIND in
ad) want_dn="CN=Staff,OU=Groups,$SRV_SUFFIX" ;;
*) want_dn="cn=Staff,ou=Groups,$SRV_SUFFIX" ;;
esac
check_eq "srv_group_dn" "$(srv_group_dn Staff)" "$want_dn"
case $(srv_group_dn Staff) in
*",$SRV_BASE") in_base=yes ;;
*) in_base=no ;;
esac
want=no
[ "$SRV_SETUP" = ad-root ] && want=yes
check_eq "groups are under base_dn only on ad-root" "$in_base" "$want"

# --- direct members, nesting, a cycle ----------------------------------------------

check "srv_group_add Staff ann bob" srv_group_add Staff ann bob
check_eq "the agent reads the direct members" "$(members Staff)" "$(dns ann bob)"
want=groupOfNames
[ "$SRV_KIND" = ad ] && want=group
check_contains "the agent reads the group's objectClass" \
    "$(values "$(srv_group_dn Staff)" objectClass)" "$(echo "$want" | tr 'A-Z' 'a-z')"
check_eq "the agent reads its cn" "$(values "$(srv_group_dn Staff)" cn)" staff
check "srv_group_add All cid @Staff (nested)" srv_group_add All cid @Staff
check_eq "a nested group's DN is a member value" "$(members All)" "$(dns cid @Staff)"

check "a cycle: srv_group_add CycA @CycB (CycB not made yet)" srv_group_add CycA @CycB
check "... then srv_group_add CycB @CycA" srv_group_add CycB @CycA
check_eq "CycA names CycB" "$(members CycA)" "$(dns @CycB)"
check_eq "CycB names CycA" "$(members CycB)" "$(dns @CycA)"

# --- memberOf without the knob ------------------------------------------------------

case $SRV_KIND in
ad)
	check_eq "AD: memberOf is always there (direct groups only)" \
	    "$(values "$(srv_user_dn ann)" memberOf)" "$(dns @Staff)"
	check_eq "AD: the in-chain rule finds nested members" \
	    "$(as_agent -b "$SRV_SUFFIX" \
	    "(memberOf:1.2.840.113556.1.4.1941:=$(srv_group_dn All))" 1.1 |
	    sed -n 's/^dn: //p' | tr 'A-Z' 'a-z' | sort)" "$(dns ann bob cid @Staff)"
	;;
*)
	check_eq "no memberOf without SRV_MEMBEROF" \
	    "$(values "$(srv_user_dn ann)" memberOf)" ""
	;;
esac

# --- empty groups, the placeholder ------------------------------------------------------

check "srv_group_add Empty (no member)" srv_group_add Empty
check_eq "an empty group: placeholder only where the schema wants one" \
    "$(members Empty)" "$(empty_dns Empty)"
check "srv_group_member_add Empty dee @Staff" srv_group_member_add Empty dee @Staff
check_eq "... the members added (the placeholder gone)" "$(members Empty)" \
    "$(dns dee @Staff)"
check "srv_group_member_del Staff bob" srv_group_member_del Staff bob
check_eq "... bob is out, ann still in" "$(members Staff)" "$(dns ann)"
check "srv_group_member_del Staff ann (the last one)" srv_group_member_del Staff ann
check_eq "... the group left empty, or with the placeholder" "$(members Staff)" \
    "$(empty_dns Staff)"
check "srv_group_member_add Staff ann bob" srv_group_member_add Staff ann bob
check_eq "... back" "$(members Staff)" "$(dns ann bob)"
check "srv_group_member_del of two at once" srv_group_member_del Staff ann bob
check_eq "... empty, or the placeholder" "$(members Staff)" "$(empty_dns Staff)"
check "srv_group_empty All" srv_group_empty All
check_eq "... every member out at once" "$(members All)" "$(empty_dns All)"
check "srv_group_empty of an empty group" srv_group_empty All
check_eq "... still empty" "$(members All)" "$(empty_dns All)"

# --- deletion ---------------------------------------------------------------------------

check "the agent reads CycB before" exists "$(srv_group_dn CycB)"
check "srv_group_delete CycB" srv_group_delete CycB
check "... the agent finds it no more" fails exists "$(srv_group_dn CycB)"
if [ "$SRV_KIND" = ad ]; then
	check_eq "AD takes a deleted group out of its groups' member" \
	    "$(members CycA)" ""
else
	check_eq "$SRV_KIND keeps a deleted group's DN in its groups (dangling)" \
	    "$(members CycA)" "$(dns @CycB)"
fi
check "srv_group_delete of an unknown group fails" fails srv_group_delete Nope
check "srv_group_member_add with an unknown user fails" \
    fails srv_group_member_add CycA nobody

# --- the OU of the groups --------------------------------------------------------------

rm -f "$SRV_DIR/group/.ou"
check "srv_group_add finds the OU there when its mark is lost" srv_group_add Again ann
check_eq "the agent reads every group under the OU" \
    "$(as_agent -b "$(srv_group_dn x | sed 's/^[^,]*,//')" -s one 1.1 |
    sed -n 's/^dn: //p' | tr 'A-Z' 'a-z' | sort)" \
    "$(dns @Again @All @CycA @Empty @Staff)"

# --- groupOfUniqueNames -----------------------------------------------------------------

check "SRV_GROUP_CLASS=groupOfUniqueNames srv_group_add Uniq ann" uniq_add Uniq ann
if [ "$SRV_KIND" = ad ]; then
	check_eq "AD ignores SRV_GROUP_CLASS: a group with member" \
	    "$(members Uniq)" "$(dns ann)"
else
	check_eq "groupOfUniqueNames: uniqueMember" "$(members Uniq uniqueMember)" "$(dns ann)"
	check_contains "... objectClass groupOfUniqueNames" \
	    "$(values "$(srv_group_dn Uniq)" objectClass)" groupofuniquenames
	# The class stays with the group, whatever the knob says now.
	check "srv_group_member_add Uniq bob (knob unset)" srv_group_member_add Uniq bob
	check_eq "... uniqueMember" "$(members Uniq uniqueMember)" "$(dns ann bob)"
	check "srv_group_empty Uniq" srv_group_empty Uniq
	check_eq "... empty, or the placeholder" "$(members Uniq uniqueMember)" \
	    "$(empty_dns Uniq)"
fi

# --- posixGroup ---------------------------------------------------------------------------

if [ "$SRV_KIND" = ad ]; then
	check "AD: srv_group_posix refuses" fails srv_group_posix Px ann
	check_contains "... saying why" "$(srv_group_posix Px ann 2>&1)" "no posixGroup on AD"
else
	check "srv_group_posix Px ann bob" srv_group_posix Px ann bob
	check_contains "... a posixGroup" "$(values "$(srv_group_dn Px)" objectClass)" posixgroup
	check_eq "... memberUid per user" "$(members Px memberUid)" "ann
bob"
	check_eq "... gidNumber 5000" "$(values "$(srv_group_dn Px)" gidNumber)" 5000
	check "srv_group_posix Py (no member)" srv_group_posix Py
	check_eq "... no placeholder (memberUid is optional), gidNumber 5001" \
	    "$(members Py memberUid) $(values "$(srv_group_dn Py)" gidNumber)" " 5001"
	check "srv_group_member_add Px cid" srv_group_member_add Px cid
	check_eq "... memberUid" "$(members Px memberUid)" "ann
bob
cid"
	check "a posixGroup takes no @GROUP" fails srv_group_member_add Px @Staff
fi

# --- memberOf with SRV_MEMBEROF=1 ------------------------------------------------------------

# AD ignores the knob (memberOf is always there): the same cases run on
# the server above.
if [ "$SRV_KIND" = ad ]; then
	diag "SRV_MEMBEROF=1: ignored on AD; memberOf cases on the first server"
elif SRV_MEMBEROF=1 srv_start mo; then
	ok "SRV_MEMBEROF=1: $SRV_SETUP starts"
else
	not_ok "SRV_MEMBEROF=1: $SRV_SETUP starts"
	t_done
fi
srv_user_add "" eve fay gus || not_ok "users load"
check "srv_group_add Inner eve" srv_group_add Inner eve
check "srv_group_add Outer fay @Inner" srv_group_add Outer fay @Inner
check_eq "a user's memberOf names its group" \
    "$(values "$(srv_user_dn fay)" memberOf)" "$(dns @Outer)"
if [ "$SRV_KIND" = 389 ]; then
	check_eq "389: memberOf names the nested groups too" \
	    "$(values "$(srv_user_dn eve)" memberOf)" "$(dns @Inner @Outer)"
else
	check_eq "$SRV_KIND: memberOf names the direct groups only" \
	    "$(values "$(srv_user_dn eve)" memberOf)" "$(dns @Inner)"
fi
check_eq "the nested group's own memberOf names its group" \
    "$(values "$(srv_group_dn Inner)" memberOf)" "$(dns @Outer)"
check "srv_group_add Lone (empty)" srv_group_add Lone
check_eq "an empty group (or its placeholder) makes no memberOf" \
    "$(values "$(srv_group_dn Lone)" memberOf)" ""
check "srv_group_member_add Lone gus" srv_group_member_add Lone gus
check_eq "a member added gets memberOf" "$(values "$(srv_user_dn gus)" memberOf)" \
    "$(dns @Lone)"
check "srv_group_member_del Lone gus" srv_group_member_del Lone gus
check_eq "a member removed loses it" "$(values "$(srv_user_dn gus)" memberOf)" ""
check "SRV_GROUP_CLASS=groupOfUniqueNames srv_group_add UniqMo gus" uniq_add UniqMo gus
check_eq "groupOfUniqueNames gives memberOf too" \
    "$(values "$(srv_user_dn gus)" memberOf)" "$(dns @UniqMo)"
want=$(dns fay @Inner)
[ "$SRV_KIND" = 389 ] && want=$(dns eve fay @Inner)
check_eq "the agent finds members by (memberOf=GROUP)" \
    "$(as_agent -b "$SRV_SUFFIX" "(memberOf=$(srv_group_dn Outer))" 1.1 |
    sed -n 's/^dn: //p' | tr 'A-Z' 'a-z' | sort)" "$want"

t_done
