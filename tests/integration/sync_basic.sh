#!/bin/sh
# sync_basic: the first day.  A real slapd with users in several OUs, the
# fake iMocha with three business units; plan changes nothing, the first
# sync creates exactly the expected users in the expected BUs, the second
# sends no write, and every bad entry is skipped with one line naming it.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
if ! fake_start "$T/fake" --bu 101:Engineering --bu 102:Sales --bu "103:Default BU 1"; then
	not_ok "fake iMocha starts"
	t_done
fi

P=ou=People,dc=example,dc=com
{
	gen_ou Engineering
	gen_ou Platform "ou=Engineering,$P"
	gen_ou Sales
	gen_ou Nowhere
	cat <<EOF
dn: uid=alice,ou=Engineering,$P
objectClass: inetOrgPerson
uid: alice
cn: Alice
displayName: Alice Ångström
sn: Ångström
mail: Alice.Angstrom@Example.com

dn: uid=bob,ou=Platform,ou=Engineering,$P
objectClass: inetOrgPerson
uid: bob
cn: Bob
displayName: Bob 山田
sn: Yamada
mail: bob@example.com

dn: uid=carol,ou=Sales,$P
objectClass: inetOrgPerson
uid: carol
cn: C. Jones
sn: Jones
givenName: Carol
mail: carol@example.com

dn: uid=dave,ou=Nowhere,$P
objectClass: inetOrgPerson
uid: dave
cn: Dave
sn: D
mail: dave@example.com

dn: uid=erin,ou=Sales,$P
objectClass: inetOrgPerson
uid: erin
cn: Erin No Mail
sn: E

dn: uid=frank,ou=Sales,$P
objectClass: inetOrgPerson
uid: frank
cn: Frank
sn: F
mail: frank-at-example.com

dn: uid=gina,ou=Sales,$P
objectClass: inetOrgPerson
uid: gina
cn: Gina
sn: G
mail: shared@example.com

dn: uid=gino,ou=Sales,$P
objectClass: inetOrgPerson
uid: gino
cn: Gino
sn: G
mail: SHARED@example.com
EOF
} >"$T/dir.ldif"
if ! slapd_add "$T/ldap" "$T/dir.ldif"; then
	not_ok "directory loads"
	t_done
fi

# name_attribute = displayName, which carol lacks: she falls back to givenName + sn.
CFG_LDAP_EXTRA="name_attribute = displayName"
export CFG_LDAP_EXTRA
write_config "$T/agent.ini"

# --- plan changes nothing anywhere -----------------------------------------
run_agent -c "$T/agent.ini" plan
check_eq "plan exits 0" "$RC" 0
check_eq "plan sends no write" "$(fake_write_count)" 0
check "plan creates no state store" test ! -e "$T/state.db"
check_contains "plan lists alice's create" "$(cat "$T/out")" \
    'create     Alice.Angstrom@Example.com "Alice Ångström" in business unit "Engineering": joined'
check_contains "plan summary counts" "$(cat "$T/out")" \
    "plan: 3 to create, 0 to move, 0 to deactivate, 0 to reactivate; 3 users in scope, 5 entries skipped"

run_agent -c "$T/agent.ini" plan --json
check_eq "plan --json lists the same changes for scripts" \
    "$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join("%s:%s:%s" % (c["action"], c["email"], c["new_business_unit"]["name"]) for c in d["changes"]), d["summary"]["create"], d["summary"]["skipped"], d["stopped_by_limit"])' "$T/out")" \
    "create:Alice.Angstrom@Example.com:Engineering create:bob@example.com:Engineering create:carol@example.com:Sales 3 5 None"

run_agent -c "$T/agent.ini" business-units
check_eq "business-units exits 0" "$RC" 0
check_contains "business-units lists id and name" "$(cat "$T/out")" "102          Sales"

run_agent -c "$T/agent.ini" check
check_eq "check against a working directory and iMocha exits 0" "$RC" 0
check_contains "check reports each part" "$(cat "$T/out")" "imocha: ok, 3 business units"

# --- the first sync --------------------------------------------------------
run_agent -c "$T/agent.ini" sync
check_eq "first sync exits 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_eq "first sync creates exactly the usable users" "$(fake_users_emails | tr '\n' ' ')" \
    "alice.angstrom@example.com bob@example.com carol@example.com "
check_eq "e-mail sent with its original case" \
    "$(fake_user_field alice.angstrom@example.com email)" "Alice.Angstrom@Example.com"
check_eq "match_ou_name places alice in Engineering" \
    "$(fake_user_field alice.angstrom@example.com businessunitId)" 101
check_eq "nearest mapped OU above bob is Engineering" \
    "$(fake_user_field bob@example.com businessunitId)" 101
check_eq "carol lands in Sales" "$(fake_user_field carol@example.com businessunitId)" 102
check_eq "UTF-8 name sent intact" "$(fake_user_field alice.angstrom@example.com fullName)" \
    "Alice Ångström"
check_eq "CJK name sent intact" "$(fake_user_field bob@example.com fullName)" "Bob 山田"
check_eq "givenName + sn when name_attribute is missing" "$(fake_user_field carol@example.com fullName)" \
    "Carol Jones"
check_eq "each user created once" "$(fake_write_count)" 3
err=$(cat "$T/err")
check_contains "no e-mail is skipped naming the DN" "$err" \
    "skipped uid=erin,ou=Sales,$P: no e-mail address"
check_contains "invalid e-mail is skipped naming the DN" "$err" \
    "skipped uid=frank,ou=Sales,$P: invalid e-mail address"
check_contains "shared e-mail: first entry skipped" "$err" \
    "skipped uid=gina,ou=Sales,$P: e-mail address shared"
check_contains "shared e-mail: second entry skipped" "$err" \
    "skipped uid=gino,ou=Sales,$P: e-mail address shared"
check_contains "unmapped OU without default is skipped" "$err" \
    "skipped uid=dave,ou=Nowhere,$P: no OU above it maps to a business unit and default_business_unit is not set"
check_contains "one summary line" "$err" \
    "summary: read 8, in scope 3, created 3, adopted 0, moved 0, deactivated 0, reactivated 0, skipped 5, failed 0"
check_eq "state store is in WAL mode" "$(sqlite3 "$T/state.db" 'PRAGMA journal_mode')" wal
check_eq "journal holds each create settled as done" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal WHERE action='create' AND state='done'")" 3

# --- the second sync sends no write ----------------------------------------
before=$(fake_request_count)
run_agent -c "$T/agent.ini" sync
check_eq "second sync exits 0" "$RC" 0
check_eq "second sync sends no write" "$(fake_write_count)" 3
check_eq "second sync only lists business units" "$(($(fake_request_count) - before))" 1
check_contains "second sync: nothing changed" "$(cat "$T/err")" "nothing changed in the directory"
check_contains "second sync reports the unmapped entry again" "$(cat "$T/err")" \
    "skipped uid=dave,ou=Nowhere,$P: no OU above it maps to a business unit"
check_contains "second sync reports a shared e-mail again" "$(cat "$T/err")" \
    "skipped uid=gina,ou=Sales,$P: e-mail address shared"

# --- status ----------------------------------------------------------------
run_agent -c "$T/agent.ini" status
check_contains "status counts active users" "$(cat "$T/out")" \
    "iMocha users: 3 active, 0 inactive, 0 pending, 0 failed"
run_agent -c "$T/agent.ini" status --json
check_eq "status --json parses and counts" \
    "$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["users"]["active"], len(d["runs"]), d["runs"][0]["created"], d["runs"][1]["created"])' "$T/out")" \
    "3 2 0 3"

# --- a default BU, then ou_attribute and an explicit map -------------------
CFG_MAPPING="default_business_unit = Default BU 1" write_config "$T/agent.ini"
run_agent -c "$T/agent.ini" sync
check_eq "default BU places the unmapped user" "$(fake_user_field dave@example.com businessunitId)" 103

# An OU naming a BU iMocha lacks is an error for its users, never the default.
slapd_modify "$T/ldap" <<EOF
dn: ou=Platform,ou=Engineering,$P
changetype: modify
add: objectClass
objectClass: extensibleObject
-
add: businessCategory
businessCategory: Marketing
EOF
slapd_add "$T/ldap" <<EOF
dn: uid=hank,ou=Platform,ou=Engineering,$P
objectClass: inetOrgPerson
uid: hank
cn: Hank
sn: H
mail: hank@example.com
EOF
CFG_MAPPING="default_business_unit = Default BU 1
ou_attribute = businessCategory" write_config "$T/agent.ini"
run_agent -c "$T/agent.ini" sync
check_eq "unknown BU: the run still exits 0 (a warning)" "$RC" 0
check_contains "unknown BU is reported for its user" "$(cat "$T/err")" \
    "skipped uid=hank,ou=Platform,ou=Engineering,$P: business unit \"Marketing\" (businessCategory of ou=Platform"
check_eq "unknown BU: user not created, no fallback to the default" \
    "$(fake_user_field hank@example.com email)" ""

CFG_MAPPING="default_business_unit = Default BU 1
ou_attribute = businessCategory" CFG_BU_MAP="Sales = ou=Platform,ou=Engineering,$P" \
    write_config "$T/agent.ini"
run_agent -c "$T/agent.ini" sync
check_eq "[business_units] wins over ou_attribute" \
    "$(fake_user_field hank@example.com businessunitId)" 102

t_done
