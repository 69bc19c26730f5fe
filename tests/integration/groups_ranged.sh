#!/bin/sh
# groups_ranged: a group whose member values come in ranges, as Active
# Directory hands out a large member attribute (member;range=0-1499, then
# member;range=1500-*, ...; Samba never does, DIRECTORY_SERVERS.md), is
# read whole: tests/lib/ldap_liar.py's range_member mode makes slapd answer
# so, 3 values a chunk.  Also OpenLDAP without its memberof overlay (the
# agent never needs it; servers/groups runs with it on).
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"
. "$L2I_TOP/tests/lib/liar.sh"
L2I_SERVER=openldap
srv_require
t_setup
srv_start dir || { not_ok "slapd starts"; t_done; }
fake_start "$T/fake" --bu 1:Engineering || { not_ok "fake iMocha starts"; t_done; }
liar_start "$T/liar" "$SRV_URI" || { not_ok "the liar starts"; t_done; }
srv_ou_add Engineering || { not_ok "OU loads"; t_done; }
srv_users_add Engineering 10 || { not_ok "users load"; t_done; }
# Big: user00001..7 and the nested Small (user00008, user00009), 8 values:
# three chunks of 3.  user00010 is in no group.
srv_group_add Small user00008 user00009 || not_ok "group Small"
srv_group_add Big user00001 user00002 user00003 user00004 user00005 user00006 \
    user00007 @Small || not_ok "group Big"
BIG=$(srv_group_dn Big)
SRV_AGENT_URI=$LIAR_URI CFG_LDAP_EXTRA="group_dn = $BIG" CFG_LOG_EXTRA="metrics_file = $T/m.prom" \
    srv_config "$T/agent.ini"
liar_set "$T/liar" "range_member=3"

run_agent -c "$T/agent.ini" check
check_eq "check: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_contains "check: every chunk counted, the nested group's members too" \
    "$(cat "$T/out")" "group: $BIG: group_dn, 9 members under base_dn (nested counted, 2 groups)"
n=$(liar_told "$T/liar" range_member)
check "the member values came in ranges (the lie was told: $n)" test "$n" -ge 3

run_agent -c "$T/agent.ini" sync
check_eq "sync: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_eq "every member is created, from every chunk; the user in no group is not" \
    "$(fake_users_emails | tr '\n' ' ')" \
    "user00001@example.com user00002@example.com user00003@example.com user00004@example.com user00005@example.com user00006@example.com user00007@example.com user00008@example.com user00009@example.com "

check_contains "the metrics file counts the group's members" "$(cat "$T/m.prom")" \
    "ldap2imocha_group_members{group=\"$(echo "$BIG" | tr 'A-Z' 'a-z')\"} 9"

# A member leaves from the last chunk: the next run sees it.
srv_group_member_del Big user00007 || not_ok "user00007 leaves Big"
run_agent -c "$T/agent.ini" sync
check_eq "a member of the last chunk removed: deactivated" \
    "$RC $(fake_user_field user00007@example.com status)" "0 Inactive"
check_contains "... and the metrics file says 8" "$(cat "$T/m.prom")" \
    "ldap2imocha_group_members{group=\"$(echo "$BIG" | tr 'A-Z' 'a-z')\"} 8"
t_done
