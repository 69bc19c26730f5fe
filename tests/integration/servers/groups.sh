#!/bin/sh
# servers/groups: scope by group ([ldap] group_dn) and business units by
# group ([business_units] BU = group DN), on each directory server setup
# (L2I_SERVER, tests/lib/directory.sh), with the same expected results on
# every one: direct and nested members in scope, a cycle harmless, members
# and nested groups added and removed, a group deleted, each seen by the
# next run (on OpenLDAP, once trusted, through its incremental reads); a
# missing group stops the run before any change (exit 3), a group emptied
# at once or shrunk past max_deactivations stops it too (exit 5).
# OpenLDAP and 389 run with their memberOf overlay or plugin on, the other
# 389 setups without: the agent uses neither (groups_ranged.sh has OpenLDAP
# without), and must read the same either way.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"
srv_require
require_cmd sqlite3 sqlite3
t_setup
case $L2I_SERVER in
openldap | 389) SRV_MEMBEROF=1 ;;
esac
SRV_MEMBEROF=${SRV_MEMBEROF:-0} srv_start dir || { not_ok "the $L2I_SERVER server starts"; t_done; }
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }

srv_ou_add Engineering Sales || { not_ok "OUs load"; t_done; }
srv_user_add Engineering ann bob cat out || { not_ok "users load"; t_done; }
srv_user_add Sales dan eve fay gil || { not_ok "users load"; t_done; }
# iMocha Users holds ann and Nested; Nested holds bob and Loop; Loop holds
# cat and Nested again (a cycle).  out, dan, eve, fay, gil: no member.
srv_group_add "iMocha Users" ann @Nested || not_ok "group iMocha Users"
srv_group_add Nested bob @Loop || not_ok "group Nested"
srv_group_add Loop cat @Nested || not_ok "group Loop"
GROUP=$(srv_group_dn "iMocha Users")
if [ "$SRV_MEMBEROF" = 1 ]; then
	check_contains "the server's memberOf machinery is on (ann's memberOf names the group)" \
	    "$(_srv_rig search -b "$(srv_user_dn ann)" -s base memberOf | tr 'A-Z' 'a-z')" \
	    "memberof: $(echo "$GROUP" | tr 'A-Z' 'a-z')"
fi
CFG_LDAP_EXTRA="group_dn = $GROUP" CFG_SYNC_EXTRA="max_deactivations = 2" \
    srv_config "$T/agent.ini"
field() { fake_user_field "$1@example.com" "$2"; }
emails() { fake_users_emails | tr '\n' ' '; }
active() {
	for _a in "$@"; do printf '%s ' "$(field "$_a" status)"; done
}
# sync_ok NAME [CONFIG]: a sync (agent.ini unless CONFIG) that exits 0.
sync_ok() {
	run_agent -c "${2:-$T/agent.ini}" sync
	check_eq "$1: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
}

run_agent -c "$T/agent.ini" check
check_eq "check: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_contains "check: the group, its members, nested counted, and its groups" \
    "$(cat "$T/out")" "group: $GROUP: group_dn, 3 members under base_dn (nested counted, 3 groups)"

run_agent -c "$T/agent.ini" plan
check_contains "plan: a joiner is in scope as a member of the group" "$(cat "$T/out")" \
    "a member of $GROUP"
sync_ok "first sync"
check_eq "direct and nested members are in iMocha, through the cycle; no one else" \
    "$(emails)" "ann@example.com bob@example.com cat@example.com "

# Where reads can be incremental, earn the server's trust first, so what
# follows goes through the incremental path.
srv_earn_trust ann "$T/agent.ini"

srv_group_member_add "iMocha Users" dan || not_ok "dan joins the group"
sync_ok "a direct member added"
check_eq "... is created" "$(field dan status)" Active
case $SRV_KIND in
openldap)
	check_contains "... seen by an incremental run: a membership change reads in full" \
	    "$(cat "$T/err")" "directory read in full: a group's membership changed"
	;;
ad)
	# AD changes no user entry on a membership change, so DirSync cannot
	# name it: the agent works out who joined against the mirror and
	# reads just them (syncmembers.h).
	check_contains "... seen by an incremental run on AD" "$(cat "$T/err")" \
	    "directory read incremental"
	check_contains "... which reads the new member again" "$(cat "$T/err")" \
	    "0 entries left them, 1 members under base_dn are new to the agent"
	;;
esac

run_agent -c "$T/agent.ini" sync
check_eq "no change: nothing sent" "$RC $(fake_request_count POST /v3/accounts/user/create)" \
    "0 4"
if srv_incremental; then
	check_contains "no change: the read stays incremental" "$(cat "$T/err")" \
	    "directory read incremental"
fi

srv_group_member_del Nested bob || not_ok "bob leaves Nested"
run_agent -c "$T/agent.ini" plan
check_contains "plan: a member removed says why it leaves" "$(cat "$T/out")" \
    "removed from $GROUP"
sync_ok "a nested member removed"
check_eq "... is deactivated; the others stay" "$(active bob ann cat dan)" \
    "Inactive Active Active Active "
if [ "$SRV_KIND" = ad ]; then
	check_contains "... by an incremental run on AD" "$(cat "$T/err")" \
	    "directory read incremental"
	check_contains "... which found who left against the mirror" "$(cat "$T/err")" \
	    "1 entries left them, 0 members under base_dn are new to the agent"
fi

srv_group_add "Sales Team" eve fay || not_ok "group Sales Team"
srv_group_member_add "iMocha Users" "@Sales Team" || not_ok "Sales Team nested in"
sync_ok "a nested group added"
check_eq "... its members are created" "$(active eve fay)" "Active Active "
if [ "$SRV_KIND" = ad ]; then
	check_contains "... by an incremental run on AD" "$(cat "$T/err")" \
	    "directory read incremental"
fi

if [ "$SRV_KIND" != ad ]; then
	srv_user_add Sales ivy || not_ok "ivy is added"
	SRV_GROUP_CLASS=groupOfUniqueNames srv_group_add Unique ivy || not_ok "group Unique"
	srv_group_member_add "iMocha Users" @Unique || not_ok "Unique nested in"
	sync_ok "a groupOfUniqueNames nested"
	check_eq "... its member (uniqueMember) is created" "$(field ivy status)" Active
fi

srv_group_member_del "iMocha Users" "@Sales Team" || not_ok "Sales Team nested out"
sync_ok "a nested group removed"
check_eq "... its members are deactivated" "$(active eve fay)" "Inactive Inactive "

srv_group_delete Loop || not_ok "group Loop deleted"
sync_ok "a nested group deleted"
check_eq "... its member is deactivated; the cycle's other end stays" "$(active cat ann)" \
    "Inactive Active "

# --- business unit by group -------------------------------------------------
SALESG=$(srv_group_dn "Sales People")
srv_group_add "Sales People" ann || not_ok "group Sales People"
CFG_BU_MAP="Sales = $SALESG" CFG_LDAP_EXTRA="group_dn = $GROUP" \
    CFG_SYNC_EXTRA="max_deactivations = 2" srv_config "$T/agent.ini"
sync_ok "a business unit given by a group"
check_eq "... its member moves there from its OU's" "$(field ann businessunitId)" 2
ENGG=$(srv_group_dn "Eng People")
srv_group_add "Eng People" ann || not_ok "group Eng People"
CFG_BU_MAP="Sales = $SALESG
Engineering = $ENGG" CFG_LDAP_EXTRA="group_dn = $GROUP" \
    CFG_SYNC_EXTRA="max_deactivations = 2" srv_config "$T/agent.ini"
sync_ok "a member of two groups naming different business units"
check_eq "... stays where it is" "$(field ann businessunitId) $(field ann status)" "2 Active"
check_contains "... and is reported" "$(cat "$T/err")" \
    "[business_units] cannot say which"
srv_group_delete "Eng People" || not_ok "group Eng People deleted"

# --- safety -----------------------------------------------------------------
writes=$(fake_write_count)
CFG_LDAP_EXTRA="group_dn = $(srv_group_dn "iMocha Userz")" srv_config "$T/typo.ini"
run_agent -c "$T/typo.ini" sync
check_eq "a group_dn that does not exist: exit 3" "$RC" 3
check_contains "... names the group and the line" "$(cat "$T/err")" \
    "group_dn $(srv_group_dn "iMocha Userz") ($T/typo.ini:"
check_eq "... nothing was changed" "$(fake_write_count)" "$writes"
run_agent -c "$T/typo.ini" check
check_eq "check: the missing group fails it (exit 3)" "$RC" 3

srv_group_empty "iMocha Users" || not_ok "the group is emptied"
run_agent -c "$T/agent.ini" sync
check_eq "a group emptied at once: exit 5" "$RC" 5
check_contains "... says so" "$(cat "$T/err")" "group_dn $GROUP reads with no member"
check_eq "... nothing was changed" "$(fake_write_count)" "$writes"

srv_user_add Sales hal || not_ok "hal is added"
srv_group_member_add "iMocha Users" ann dan gil hal @Nested || not_ok "the group is filled again"
sync_ok "filled again"
check_eq "... gil and hal join" "$(active gil hal)" "Active Active "
srv_group_member_del "iMocha Users" ann dan gil || not_ok "three members leave at once"
writes=$(fake_write_count)
run_agent -c "$T/agent.ini" sync
check_eq "a group that shrinks by more than max_deactivations: exit 5" "$RC" 5
check_contains "... says by how much, and the limit" "$(cat "$T/err")" \
    "group_dn $GROUP has 1 member, 4 at the last read: it lost 3, more than max_deactivations allows (2)"
check_eq "... nothing was changed" "$(fake_write_count)" "$writes"
# Under deactivate = no nothing is deactivated, so no other limit trips:
# the shrink alone stops the run.
CFG_BU_MAP="Sales = $SALESG" CFG_LDAP_EXTRA="group_dn = $GROUP" \
    CFG_SYNC_EXTRA="max_deactivations = 2
deactivate = no" srv_config "$T/keep.ini"
run_agent -c "$T/keep.ini" sync
check_eq "... deactivate = no, no deactivation planned: the shrink alone stops it (exit 5)" \
    "$RC $(fake_write_count)" "5 $writes"
run_agent -c "$T/agent.ini" sync --force
check_eq "--force goes past it" "$RC $(active ann dan gil hal)" \
    "0 Inactive Inactive Inactive Active "

if [ "$SRV_KIND" != ad ]; then
	srv_group_posix Posix ann || not_ok "a posixGroup"
	CFG_LDAP_EXTRA="group_dn = $(srv_group_dn Posix)" srv_config "$T/posix.ini"
	run_agent -c "$T/posix.ini" sync
	check_eq "a posixGroup as group_dn: exit 3" "$RC" 3
	check_contains "... refused, and why" "$(cat "$T/err")" \
	    "is a posixGroup, whose members (memberUid) are user names"
fi

# OpenLDAP keeps a member value as written (no refint overlay here): a
# member renamed is no member any more.  The incremental read sends the
# renamed entry; the server, asked to confirm, finds it, but in no group:
# it left all the same, without a second, full read.  AD rewrites the
# group's member value on a rename: the member stays one.  (Without the
# [business_units] group: a member of one may change units without
# leaving the mirror, which a membership change reads in full to see.)
if [ "$SRV_KIND" = ad ]; then
	CFG_LDAP_EXTRA="group_dn = $GROUP" srv_config "$T/scope.ini"
	sync_ok "scope by group alone" "$T/scope.ini"
	srv_user_rename hal hal2 || not_ok "hal is renamed"
	run_agent -c "$T/scope.ini" sync
	check_eq "AD: a member renamed stays a member, Active" "$RC $(field hal status)" \
	    "0 Active" || sed 's/^/# /' "$T/err"
	check_contains "... read incrementally" "$(cat "$T/err")" "directory read incremental"
	check_contains "... the mirror has the new DN" \
	    "$(sqlite3 "$T/state.db" "SELECT dn FROM directory_entry WHERE email = 'hal@example.com'")" \
	    "CN=hal2,"
fi
if [ "$SRV_KIND" = openldap ]; then
	srv_group_member_add "iMocha Users" ann || not_ok "ann joins again"
	sync_ok "a member back"
	check_eq "... reactivated" "$(field ann status)" Active
	srv_user_rename hal hal2 || not_ok "hal is renamed"
	run_agent -c "$T/agent.ini" sync
	check_eq "a member renamed, its group naming the old DN: deactivated" \
	    "$RC $(field hal status)" "0 Inactive" || sed 's/^/# /' "$T/err"
	check_contains "... confirmed gone by the incremental path" "$(cat "$T/err")" \
	    "the directory server confirmed that 1 of the users the incremental read said left are gone"
	check "... with no full read after it" sh -c "! grep -q 'reading the directory in full after all' \"\$1\"" - \
	    "$T/err"
fi

writes=$(fake_write_count)
run_agent -c "$T/agent.ini" sync
check_eq "at the end, a sync changes nothing" "$RC $(fake_write_count)" "0 $writes"
t_done
