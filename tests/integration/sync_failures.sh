#!/bin/sh
# sync_failures: every way a run must stop or hold back, with its exit
# status (SPEC.md), and that nothing is sent or half-applied when it does.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
if ! fake_start "$T/fake" --bu 101:Engineering --bu 102:Sales; then
	not_ok "fake iMocha starts"
	t_done
fi
P=ou=People,dc=example,dc=com
{ gen_ou Sales; gen_users 5 Sales; } >"$T/dir.ldif"
slapd_add "$T/ldap" "$T/dir.ldif" || { not_ok "directory loads"; t_done; }
# One request at a time and one retry: each fault below hits a known user
# and exhausts its retries (resilience.sh covers retries that succeed).
CFG_IMOCHA_EXTRA="max_in_flight = 1
max_retries = 1"
export CFG_IMOCHA_EXTRA
write_config "$T/agent.ini"
users() { fake_users_emails | tr '\n' ' '; }

# --- secrets others can read are refused (exit 2) --------------------------
chmod 0644 "$T/api.key"
run_agent -c "$T/agent.ini" sync
check_eq "world-readable API key file: exit 2" "$RC" 2
check_contains "the message names the file and the fix" "$(cat "$T/err")" "$T/api.key"
check_contains "the message says how to fix it" "$(cat "$T/err")" "chmod 600 $T/api.key"
check_eq "nothing sent with a refused secret" "$(fake_request_count)" 0
chmod 0600 "$T/api.key"

# --- LDAP down (exit 3) ------------------------------------------------------
CFG_URI=ldap://127.0.0.1:9 write_config "$T/down.ini"
run_agent -c "$T/down.ini" sync
check_eq "LDAP server down: exit 3" "$RC" 3
check_eq "LDAP down: nothing sent to iMocha" "$(fake_write_count)" 0

# --- LDAP and iMocha both down: 3 comes before 4 (SPEC.md, exit status) ----
CFG_URI=ldap://127.0.0.1:9 CFG_BASE_URL=http://127.0.0.1:9 write_config "$T/bothdown.ini"
run_agent -c "$T/bothdown.ini" sync
check_eq "LDAP and iMocha down: exit 3, the first stop in the order" "$RC" 3
write_config "$T/imochadown.ini"
sed -i 's|^base_url = .*|base_url = http://127.0.0.1:9|' "$T/imochadown.ini"
run_agent -c "$T/imochadown.ini" sync
check_eq "only iMocha down: exit 4" "$RC" 4

# --- wrong API key (exit 4) --------------------------------------------------
write_config "$T/badkey.ini"
printf 'not-the-key\n' >"$T/api.key"
run_agent -c "$T/badkey.ini" sync
check_eq "wrong API key: exit 4" "$RC" 4
check_contains "wrong API key: says iMocha refused the key" "$(cat "$T/err")" "refused the API key"
check_eq "wrong API key: nothing created" "$(fake_write_count)" 0
write_config "$T/agent.ini"

# --- max_creates (exit 5), plan names the limit, --force applies -------------
CFG_SYNC_EXTRA="max_creates = 4" write_config "$T/limit.ini"
run_agent -c "$T/limit.ini" sync
check_eq "sync beyond max_creates: exit 5" "$RC" 5
check_eq "beyond max_creates: nothing sent" "$(fake_write_count)" 0
check_contains "names the limit, the number and --force" "$(cat "$T/err")" \
    "max_creates stops this run: 5 creates planned, 4 allowed"
run_agent -c "$T/limit.ini" plan
check_eq "plan beyond max_creates: exit 0" "$RC" 0
check_contains "plan names the limit" "$(cat "$T/out")" "limit: max_creates stops this run"
CFG_SYNC_EXTRA="max_creates = 80%" write_config "$T/limit.ini"
run_agent -c "$T/limit.ini" sync
check_eq "a percentage limit stops too (5 > 80% of 5)" "$RC" 5

# --- "already exists" is adopted; a 500 fails one user, not the others -------
fake_post /_fake/users '{"users":[{"email":"USER00001@example.com","fullName":"Old","businessunitId":101,"status":"Active"}]}' >/dev/null
fake_faults '{"faults":[{"path":"/v3/accounts/user/create","email":"user00002@example.com","status":500,"count":2}]}' >/dev/null
run_agent -c "$T/limit.ini" sync --force
check_eq "--force past the limit; one 500: exit 1 (partial)" "$RC" 1
check_eq "the others were created" "$(users)" \
    "user00001@example.com user00003@example.com user00004@example.com user00005@example.com "
check_eq "an existing user is adopted, not created again" \
    "$(fake_user_field user00001@example.com createCount)" 0
check_contains "the adoption is logged" "$(cat "$T/err")" "already in iMocha, adopted"
check_contains "the failed user is named" "$(cat "$T/err")" "create user00002@example.com"
check_contains "summary counts adopted and failed" "$(cat "$T/err")" \
    "created 3, adopted 1, moved 1, deactivated 0, reactivated 0, skipped 0, failed 1"
check_eq "the adopted user is then put in its OU's business unit" \
    "$(fake_user_field user00001@example.com businessunitId)" 102
run_agent -c "$T/agent.ini" status
check_contains "status lists the failure" "$(cat "$T/out")" "create user00002@example.com"
run_agent -c "$T/agent.ini" sync
check_eq "the next run retries the failed user: exit 0" "$RC" 0
check_eq "the failed user is created on the next run" \
    "$(fake_user_field user00002@example.com createCount)" 1
run_agent -c "$T/agent.ini" status
check_contains "status: failure cleared" "$(cat "$T/out")" "failures: none"

# --- 429 is a per-user failure retried next run ------------------------------
slapd_add "$T/ldap" <<EOF
dn: uid=late,ou=Sales,$P
objectClass: inetOrgPerson
uid: late
cn: Late
sn: L
mail: late@example.com
EOF
fake_faults '{"faults":[{"path":"/v3/accounts/user/create","status":429,"retry_after":1,"count":2}]}' >/dev/null
run_agent -c "$T/agent.ini" sync
check_eq "429 on a create: exit 1" "$RC" 1
run_agent -c "$T/agent.ini" sync
check_eq "429: the next run creates the user" "$(fake_user_field late@example.com createCount)" 1

# --- 403 on a create stops the run (exit 4) ---------------------------------
{ gen_users 3 Sales 10; } | slapd_add "$T/ldap"
fake_faults '{"faults":[{"path":"/v3/accounts/user/create","status":403,"body":{"statusCode":403,"message":"Forbidden"}}]}' >/dev/null
w=$(fake_write_count)
run_agent -c "$T/agent.ini" sync
check_eq "403 on a create: exit 4" "$RC" 4
check_eq "403: no further user touched" "$(($(fake_write_count) - w))" 1
run_agent -c "$T/agent.ini" sync
check_eq "after a 403 the next run completes" "$RC" 0
check_eq "every user exactly once" \
    "$(fake_get /_fake/users | /usr/bin/python3 -c 'import json,sys; print(sorted({u["createCount"] for u in json.load(sys.stdin)["users"]}))')" \
    "[0, 1]"

# --- an emptied search base is refused (exit 5) ------------------------------
CFG_USER_FILTER="(objectClass=nothingMatchesThis)" write_config "$T/empty.ini"
run_agent -c "$T/empty.ini" sync
check_eq "a read with no user while managing some: exit 5" "$RC" 5
check_contains "says no user in scope" "$(cat "$T/err")" "found no user in scope"

# --- another run holds the lock (exit 6) -------------------------------------
hold_lock "$T/state.db.lock"
run_agent -c "$T/agent.ini" sync
check_eq "a held lock: exit 6" "$RC" 6
check_contains "names the holder's PID" "$(cat "$T/err")" "(PID $HOLDER_PID)"
release_lock

# --- a size-limited read is incomplete (exit 3) ------------------------------
SLAPD_AGENT_LIMITED=1 slapd_start "$T/ldap2" || { not_ok "second slapd"; t_done; }
{ gen_ou Sales; gen_users 600 Sales; } | slapd_add "$T/ldap2"
write_config "$T/sized.ini"
w=$(fake_write_count)
run_agent -c "$T/sized.ini" sync
check_eq "size limit exceeded: exit 3" "$RC" 3
check_contains "says the read is incomplete" "$(cat "$T/err")" "incomplete"
check_contains "says how to lift slapd's limit for the bind account" "$(cat "$T/err")" \
    "slapd's size limit stopped it: give $SLAPD_AGENT_DN limits of its own (slapd.conf: limits dn.exact=\"$SLAPD_AGENT_DN\" size=unlimited;"
check_eq "size limit: nothing sent" "$(fake_write_count)" "$w"
# The read failed after its stage began: the run is still recorded as it
# ended, not left "did not finish".
check_eq "size limit: the run is recorded with exit 3" \
    "$(sqlite3 "$T/state.db" "SELECT exit_status IS NOT NULL, ended_at IS NOT NULL, exit_status FROM run ORDER BY id DESC LIMIT 1")" \
    "1|1|3"
run_agent -c "$T/sized.ini" status
check_contains "size limit: status shows the exit, not an unfinished run" "$(cat "$T/out")" "exit 3"

t_done
