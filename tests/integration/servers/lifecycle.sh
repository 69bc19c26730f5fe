#!/bin/sh
# servers/lifecycle: users carried through their whole life, on each
# directory server setup (L2I_SERVER, tests/lib/directory.sh), with the same
# expected results on every one: created in their OU's business unit,
# adopted from an iMocha export instead of created, moved, renamed,
# disabled and re-enabled, deleted, re-added as a new entry, e-mail changed.
# Each step is one sync; each checks what iMocha was sent and holds.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"
srv_require
require_cmd sqlite3 sqlite3
t_setup
srv_start dir || { not_ok "the $L2I_SERVER server starts"; t_done; }
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }

srv_ou_add Engineering Sales || { not_ok "OUs load"; t_done; }
srv_user_add Engineering ann bob cat || { not_ok "users load"; t_done; }
srv_user_add Sales dan eve oli || { not_ok "users load"; t_done; }
srv_config "$T/agent.ini"
field() { fake_user_field "$1@example.com" "$2"; }

run_agent -c "$T/agent.ini" check
check_eq "check: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_contains "check: bound as the service account, base_dn read" "$(cat "$T/err")" \
    "bound as $SRV_AGENT_DN and read base_dn $SRV_BASE"
case $SRV_KIND in
openldap) how="incremental: RFC 4533 content sync, once an audit trusts the server" ;;
389) how="incremental: none on 389 Directory Server: every run reads in full" ;;
ad) how="incremental: DirSync, once an audit trusts the DC; a deleted user is deactivated by the next full read" ;;
esac
check_contains "check: how the server will be read" "$(cat "$T/out")" "$how"

# oli is in iMocha already, made by hand before the agent: an export of
# iMocha's users is adopted, and the first sync does not create oli again.
fake_post /_fake/users '{"users":[{"email":"oli@example.com","fullName":"Oli Hand",
 "businessunitId":2}]}' >/dev/null
printf 'Email,Full Name,Business Unit,Status\noli@example.com,Oli Hand,Sales,Active\n' \
    >"$T/export.csv"
run_agent -c "$T/agent.ini" adopt "$T/export.csv"
check_eq "adopt: exit 0" "$RC" 0

run_agent -c "$T/agent.ini" sync
check_eq "first sync: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_eq "first sync: the six users are in iMocha" "$(fake_users_emails | tr '\n' ' ')" \
    "ann@example.com bob@example.com cat@example.com dan@example.com eve@example.com oli@example.com "
check_eq "each in its OU's business unit" \
    "$(field ann businessunitId) $(field dan businessunitId)" "1 2"
check_eq "five created; the adopted user is not created" \
    "$(fake_request_count POST /v3/accounts/user/create)" 5
check_eq "the adopted user keeps the one account made by hand" "$(field oli createCount)" 0

run_agent -c "$T/agent.ini" sync
check_eq "a second sync with nothing changed sends nothing" \
    "$(fake_request_count POST /v3/accounts/user/create) $(fake_write_count)" "5 5"

# --- moved between OUs: the same entry, known by its id, never re-created
srv_user_move ann Sales || not_ok "ann moves in the directory"
run_agent -c "$T/agent.ini" sync
check_eq "moved: exit 0" "$RC" 0
check_eq "moved: in Sales at iMocha" "$(field ann businessunitId)" 2
check_eq "moved: not created again" "$(field ann createCount)" 1

# --- renamed (a new RDN, same OU): nothing for iMocha --------------------
w=$(fake_write_count)
srv_user_rename bob bob2 || not_ok "bob is renamed in the directory"
run_agent -c "$T/agent.ini" sync
check_eq "renamed: exit 0" "$RC" 0
check_eq "renamed: no request to iMocha" "$(fake_write_count)" "$w"
check_eq "renamed: still one account, active" "$(field bob createCount) $(field bob status)" "1 Active"
check_contains "renamed: the mirror has the new DN" \
    "$(sqlite3 "$T/state.db" "SELECT dn FROM directory_entry WHERE email = 'bob@example.com'")" \
    "bob2"

# --- disabled, then re-enabled --------------------------------------------
srv_user_disable cat || not_ok "cat is disabled in the directory"
run_agent -c "$T/agent.ini" sync
check_eq "disabled: exit 0" "$RC" 0
check_eq "disabled: Inactive at iMocha" "$(field cat status)" Inactive
srv_user_enable cat || not_ok "cat is enabled again in the directory"
run_agent -c "$T/agent.ini" sync
check_eq "re-enabled: Active again" "$(field cat status)" Active
check_eq "re-enabled: not created again" "$(field cat createCount)" 1

# --- deleted: deactivated; re-added as a new entry: reactivated ----------
# AD's DirSync tells an ordinary account of no deletion: there a deleted
# user is deactivated by the next full read (full_every; servers/
# incremental shows the incremental run that does not see it).
srv_user_delete dan || not_ok "dan is deleted from the directory"
if [ "$SRV_KIND" = ad ]; then
	run_agent -c "$T/agent.ini" sync --full
else
	run_agent -c "$T/agent.ini" sync
fi
check_eq "deleted: exit 0" "$RC" 0
check_eq "deleted: Inactive at iMocha" "$(field dan status)" Inactive
check_contains "deleted: the reason is logged" "$(cat "$T/err")" \
    "deactivate dan@example.com (left the directory scope"
srv_user_add Engineering dan || not_ok "dan is added again, in Engineering"
run_agent -c "$T/agent.ini" sync
check_eq "re-added: Active again" "$(field dan status)" Active
check_eq "re-added: in its new OU's business unit" "$(field dan businessunitId)" 1
check_eq "re-added: never created twice" "$(field dan createCount)" 1

# --- e-mail changed: the old account deactivated, a new one created ------
srv_user_mail eve eve.new@example.com || not_ok "eve's e-mail changes"
run_agent -c "$T/agent.ini" sync
check_eq "e-mail changed: exit 0" "$RC" 0
check_eq "e-mail changed: the old account is Inactive" "$(field eve status)" Inactive
check_eq "e-mail changed: the new one is Active, in Sales" \
    "$(fake_user_field eve.new@example.com status) $(fake_user_field eve.new@example.com businessunitId)" \
    "Active 2"

# --- the end state, and one more run that changes nothing -----------------
w=$(fake_write_count)
run_agent -c "$T/agent.ini" sync
check_eq "at the end, a sync changes nothing" "$RC $(fake_write_count)" "0 $w"
run_agent -c "$T/agent.ini" status --json
check_eq "status --json: the last run ended 0" \
    "$("$L2I_PY" -c 'import json, sys; print(json.load(sys.stdin)["runs"][0]["exit_status"])' <"$T/out")" 0

t_done
