#!/bin/sh
# already_exists: a create answered "already exists" is one attempt, is
# recorded as adopted (SPEC.md, Adoption; IMOCHA_API.md) and is never sent
# again.  iMocha already holds one directory user, under another case of
# its e-mail and in another business unit; the other user is new.  The
# fake counts every create that reaches it (fake_create_attempts), so a
# create re-sent after "already exists" would show even though iMocha's
# answer, and the fake's createCount, stay the same.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
require_cmd sqlite3 sqlite3
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales ||
    { not_ok "fake iMocha starts"; t_done; }
{ gen_ou Engineering; gen_users 2 Engineering 1; } |
    slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }
write_config "$T/agent.ini"
OLD=user00001@example.com
NEW=user00002@example.com
fake_post /_fake/users '{"users":[{"email":"User00001@Example.COM",
    "fullName":"User 00001","businessunitId":2}]}' >/dev/null ||
    { not_ok "the existing user is preloaded"; t_done; }

db() {
	sqlite3 "$T/state.db" "$1"
}

# posts PATH EMAIL: how many POSTs to PATH named EMAIL (any key case).
posts() {
	fake_get /_fake/requests | "$L2I_PY" -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin)["requests"]
          if r["method"] == "POST" and r["path"] == sys.argv[1]
          and isinstance(r["body"], dict)
          and any(k.lower() == "email" and str(v).lower() == sys.argv[2]
                  for k, v in r["body"].items())))' "$1" "$2"
}

run_agent -c "$T/agent.ini" sync
check_eq "sync exits 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "the existing user: one create attempt, answered 'already exists'" \
    "$(fake_create_attempts "$OLD")" 1
check_eq "the existing user was not created again" \
    "$(fake_user_field "$OLD" createCount)" 0
check_eq "the existing user is recorded as adopted, active, in its BU" \
    "$(db "SELECT origin || '|' || status || '|' || bu_id FROM imocha_user WHERE email_key = '$OLD'")" \
    "adopted|Active|1"
check_eq "its journal row is settled as adopted, 400" \
    "$(db "SELECT state || '|' || http_status FROM journal WHERE action = 'create' AND email_key = '$OLD'")" \
    "adopted|400"
check_contains "the row keeps iMocha's answer" \
    "$(db "SELECT answer FROM journal WHERE action = 'create' AND email_key = '$OLD'")" \
    "already exists"
check_eq "adoption moves it to the mapped BU" \
    "$(fake_user_field "$OLD" businessunitId)" 1
check_eq "adoption sends no status call for an active user" \
    "$(posts /v3/accounts/user/status "$OLD")" 0
check_eq "the new user: created once, one attempt, origin created" \
    "$(fake_user_field "$NEW" createCount) $(fake_create_attempts "$NEW") $(db "SELECT origin FROM imocha_user WHERE email_key = '$NEW'")" \
    "1 1 created"

writes=$(fake_write_count)
run_agent -c "$T/agent.ini" sync
check_eq "second sync exits 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "second sync: no further create attempt for either user" \
    "$(fake_create_attempts "$OLD") $(fake_create_attempts "$NEW")" "1 1"
check_eq "second sync sends nothing at all" "$(fake_write_count)" "$writes"
check_eq "the adopted user stays adopted" \
    "$(db "SELECT origin FROM imocha_user WHERE email_key = '$OLD'")" adopted

t_done
