#!/bin/sh
# servers/flat: a directory that keeps its users flat, under no OU that
# maps (FreeIPA's cn=users,cn=accounts; AD's CN=Users, a container), on
# each directory server setup (L2I_SERVER, tests/lib/directory.sh).  Each
# user's own department names the business unit ([mapping] bu_attribute:
# department on AD, departmentNumber on inetOrgPerson); an OU that maps
# still wins; a department iMocha has no BU for, and none at all with no
# default, are reported and skipped; a change of department moves the
# user at the next run.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"
srv_require
t_setup
srv_start dir || { not_ok "the $L2I_SERVER server starts"; t_done; }
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }
srv_ou_add Engineering || { not_ok "OUs load"; t_done; }
srv_user_add Engineering ann || { not_ok "users load"; t_done; }
srv_user_add "" fay gil hal ivy || { not_ok "flat users load"; t_done; }
srv_user_set ann "$SRV_DEPT" Sales &&
    srv_user_set fay "$SRV_DEPT" Sales &&
    srv_user_set gil "$SRV_DEPT" 1 &&
    srv_user_set ivy "$SRV_DEPT" Marketing || { not_ok "departments load"; t_done; }
CFG_MAPPING="bu_attribute = $SRV_DEPT" srv_config "$T/agent.ini"
field() { fake_user_field "$1@example.com" "$2"; }

run_agent -c "$T/agent.ini" sync
check_eq "first sync: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_eq "a flat user's department names the BU (by name)" "$(field fay businessunitId)" 2
check_eq "... or by id" "$(field gil businessunitId)" 1
check_eq "an OU that maps wins over the department" "$(field ann businessunitId)" 1
check_eq "users no rule places are not created" \
    "$(fake_users_emails | tr '\n' ' ')" "ann@example.com fay@example.com gil@example.com "
check_contains "a department iMocha has no BU for is reported" "$(cat "$T/err")" \
    "its $SRV_DEPT \"Marketing\" names no business unit iMocha has"
check_contains "no department and no default: reported" "$(cat "$T/err")" \
    "skipped $(srv_user_dn hal): "

srv_user_set fay "$SRV_DEPT" Engineering || not_ok "fay changes department"
run_agent -c "$T/agent.ini" sync
check_eq "a new department moves the user" "$RC $(field fay businessunitId)" "0 1"
check_eq "... without a second account" "$(field fay createCount)" 1

CFG_MAPPING="bu_attribute = $SRV_DEPT
default_business_unit = Sales" srv_config "$T/agent.ini"
run_agent -c "$T/agent.ini" sync
check_eq "with a default: the user with no department gets it" \
    "$RC $(field hal businessunitId)" "0 2"
check_eq "... but not the one whose department names no BU" \
    "$(fake_users_emails | grep -c '^ivy@')" 0

t_done
