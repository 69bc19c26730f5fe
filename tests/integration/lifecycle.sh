#!/bin/sh
# lifecycle: users carried through their whole life against a real slapd:
# moved with ldapmodrdn, deleted, disabled, re-enabled, re-added, e-mail
# changed; a mass delete beyond max_deactivations; saved plans.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }
P=ou=People,dc=example,dc=com
{ gen_ou Engineering; gen_ou Sales; gen_users 3 Engineering 1; gen_users 3 Sales 4; } |
    slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }
CFG_LDAP_EXTRA="disabled_filter = (employeeType=disabled)"
export CFG_LDAP_EXTRA
write_config "$T/agent.ini"
field() { fake_user_field "$1@example.com" "$2"; }
status_calls() { fake_request_count POST /v3/accounts/user/status; }
update_calls() { fake_request_count POST /v3/accounts/user/update; }

run_agent -c "$T/agent.ini" sync
check_eq "first sync creates six users" "$(fake_users_emails | wc -l)" 6

# --- moved between OUs: recognised by entryUUID, moved, never re-created --
slapd_modrdn "$T/ldap" -s "ou=Sales,$P" "uid=user00001,ou=Engineering,$P" uid=user00001
run_agent -c "$T/agent.ini" plan
check_contains "plan names the move with old and new BU" "$(cat "$T/out")" \
    'move       user00001@example.com "User 00001" from business unit "Engineering" to "Sales": its OU now maps to another business unit'
run_agent -c "$T/agent.ini" sync
check_eq "moved user: exit 0" "$RC" 0
check_eq "moved user is in Sales at iMocha" "$(field user00001 businessunitId)" 2
check_eq "moved user is not created again" "$(field user00001 createCount)" 1
check_eq "the update body is PascalCase as documented" \
    "$(fake_get /_fake/requests | /usr/bin/python3 -c 'import json,sys; r=[x for x in json.load(sys.stdin)["requests"] if x["path"].endswith("/update")]; print(sorted(r[-1]["body"].keys()))')" \
    "['BusinessunitId', 'Email']"

# --- deleted: deactivated ---------------------------------------------------
slapd_delete "$T/ldap" "uid=user00002,ou=Engineering,$P"
run_agent -c "$T/agent.ini" sync
check_eq "deleted user is Inactive" "$(field user00002 status)" Inactive
check_contains "the deactivation is logged with its reason" "$(cat "$T/err")" \
    "deactivate user00002@example.com (left the directory scope"

# --- disabled, then re-enabled ------------------------------------------------
slapd_modify "$T/ldap" <<EOF
dn: uid=user00003,ou=Engineering,$P
changetype: modify
add: employeeType
employeeType: disabled
EOF
run_agent -c "$T/agent.ini" sync
check_eq "disabled user is Inactive" "$(field user00003 status)" Inactive
slapd_modify "$T/ldap" <<EOF
dn: uid=user00003,ou=Engineering,$P
changetype: modify
delete: employeeType
EOF
run_agent -c "$T/agent.ini" sync
check_eq "re-enabled user is Active again" "$(field user00003 status)" Active
check_eq "re-enabled user is not created again" "$(field user00003 createCount)" 1

# --- re-added under a new entry (new entryUUID), same e-mail ------------------
gen_users 1 Sales 2 | slapd_add "$T/ldap"
run_agent -c "$T/agent.ini" sync
check_eq "re-added user is Active again" "$(field user00002 status)" Active
check_eq "re-added user moved to its new OU's BU" "$(field user00002 businessunitId)" 2
check_eq "re-added user is never created twice" "$(field user00002 createCount)" 1

# --- e-mail changed: old account deactivated, new one created -----------------
slapd_modify "$T/ldap" <<EOF
dn: uid=user00004,ou=Sales,$P
changetype: modify
replace: mail
mail: user00004.new@example.com
EOF
run_agent -c "$T/agent.ini" plan
check_contains "plan explains the e-mail change (old account)" "$(cat "$T/out")" \
    "e-mail changed to user00004.new@example.com in the directory; iMocha cannot rename, so the old account is deactivated"
check_contains "plan explains the e-mail change (new account)" "$(cat "$T/out")" \
    "e-mail changed from user00004@example.com in the directory; iMocha cannot rename, so a new account is created"
run_agent -c "$T/agent.ini" sync
check_eq "old address deactivated" "$(field user00004 status)" Inactive
check_eq "new address created" "$(field user00004.new createCount)" 1

# --- a mass delete beyond max_deactivations: exit 5, no status call -----------
for u in user00005 user00006; do slapd_delete "$T/ldap" "uid=$u,ou=Sales,$P"; done
slapd_delete "$T/ldap" "uid=user00001,ou=Sales,$P"
CFG_SYNC_EXTRA="max_deactivations = 2" write_config "$T/limit.ini"
before=$(status_calls)
run_agent -c "$T/limit.ini" sync
check_eq "three deactivations over a limit of two: exit 5" "$RC" 5
check_eq "no status call sent" "$(status_calls)" "$before"
check_contains "says which limit, how many, and how to proceed" "$(cat "$T/err")" \
    "max_deactivations stops this run: 3 deactivations planned, 2 allowed; review the plan with 'ldap2imocha plan --out FILE', then apply exactly that plan with 'ldap2imocha sync --plan FILE --force'"
run_agent -c "$T/limit.ini" sync --force
check_eq "--force applies the deactivations" "$(($(status_calls) - before))" 3
check_eq "all three inactive" "$(field user00005 status) $(field user00006 status) $(field user00001 status)" \
    "Inactive Inactive Inactive"

# --- saved plans ---------------------------------------------------------------
gen_users 1 Engineering 20 | slapd_add "$T/ldap"
run_agent -c "$T/agent.ini" plan --out "$T/plan.json"
check_eq "plan --out: exit 0" "$RC" 0
check_eq "the saved plan is private (0600)" "$(stat -c %a "$T/plan.json")" 600
gen_users 1 Engineering 21 | slapd_add "$T/ldap"
writes=$(fake_write_count)
run_agent -c "$T/agent.ini" sync --plan "$T/plan.json"
check_eq "sync --plan: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_eq "sync --plan sends exactly the saved change" "$(($(fake_write_count) - writes))" 1
check_eq "the saved create was applied" "$(field user00020 createCount)" 1
check_eq "a change planned since is left for the next run" "$(field user00021 createCount)" ""
check_contains "says what it left" "$(cat "$T/err")" "1 changes planned since are left for the next run"
run_agent -c "$T/agent.ini" sync
check_eq "the next run applies it" "$(field user00021 createCount)" 1

# A saved action that no longer holds: refused whole.
gen_users 2 Engineering 30 | slapd_add "$T/ldap"
run_agent -c "$T/agent.ini" plan --out "$T/plan2.json"
slapd_delete "$T/ldap" "uid=user00031,ou=Engineering,$P"
writes=$(fake_write_count)
run_agent -c "$T/agent.ini" sync --plan "$T/plan2.json"
check_eq "a saved plan that no longer holds: exit 5" "$RC" 5
check_contains "names the action that no longer holds" "$(cat "$T/err")" "create user00031@example.com"
check_eq "nothing of it applied" "$(fake_write_count)" "$writes"

# A stale plan (over 24 hours old): refused.
run_agent -c "$T/agent.ini" plan --out "$T/plan3.json"
/usr/bin/python3 - "$T/plan3.json" <<'EOF'
import json, sys, time
d = json.load(open(sys.argv[1]))
d["made_at_unix"] = int(time.time()) - 25 * 3600
json.dump(d, open(sys.argv[1], "w"))
EOF
run_agent -c "$T/agent.ini" sync --plan "$T/plan3.json"
check_eq "a plan older than 24 hours: exit 5" "$RC" 5
check_contains "says it is stale" "$(cat "$T/err")" "not within the last 24 hours"
check_eq "nothing applied from a stale plan" "$(fake_write_count)" "$writes"

# --- status by lifecycle state ----------------------------------------------------
run_agent -c "$T/agent.ini" sync
run_agent -c "$T/agent.ini" status
check_contains "status counts users by lifecycle state" "$(cat "$T/out")" \
    "iMocha users: 6 active, 4 inactive, 0 pending, 0 failed"
check_contains "status shows the last change into each state" "$(cat "$T/out")" \
    "last inactive: deactivate user0000"
check_contains "status shows the last activation" "$(cat "$T/out")" \
    "last active: create user00030@example.com at"
run_agent -c "$T/agent.ini" status --json
check_eq "status --json has the last change of each state" \
    "$(/usr/bin/python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["users"]; print(u["last_inactive"]["action"], u["last_pending"], u["inactive"])' "$T/out")" \
    "deactivate None 4"
t_done
