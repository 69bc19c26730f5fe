#!/bin/sh
# journal_order: a change is in the state store as 'intended' before its
# request gets an answer (SPEC.md: "Every change is written to the state
# store as intended before the API call and as done after it"), and a
# create whose answer a SIGKILL lost is sent again exactly once by the next
# run, settled by "already exists", never created twice.
#
# The fake parks the create with a "hold" fault: it has arrived (the fake
# counts it as an attempt on arrival) and gets no answer until the test
# calls fake_release.  Nothing is timed, so the test cannot race: while the
# request is held, the agent cannot have read an answer.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
require_cmd sqlite3 sqlite3
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering || { not_ok "fake iMocha starts"; t_done; }
{ gen_ou Engineering; gen_users 1 Engineering 1; } |
    slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }
# One request at a time: the held create is the only one in flight.
CFG_IMOCHA_EXTRA="max_in_flight = 1" write_config "$T/agent.ini"
CREATE=/v3/accounts/user/create

db() {
	sqlite3 "$T/state.db" "$1"
}

# held_or_gone: the fake parks a request, or the agent ended (no hang).
held_or_gone() {
	proc_alive "$AGENT_PID" || return 0
	[ "$(fake_held)" -ge 1 ]
}

# request_of EMAIL: "STATUS ARRIVAL" of the last create for EMAIL the fake
# logged; STATUS is "null" while it is unanswered, ARRIVAL unix seconds.
request_of() {
	fake_get /_fake/requests | "$L2I_PY" -c '
import json, sys
r = [r for r in json.load(sys.stdin)["requests"] if r["path"] == sys.argv[1]
     and isinstance(r["body"], dict)
     and str(r["body"].get("email", "")).lower() == sys.argv[2].lower()][-1]
print("null" if r["status"] is None else r["status"], "%.6f" % r["time"])
' "$CREATE" "$1"
}

# --- the journal row comes before the answer ---------------------------------
# Why this fails if the journal row were written after the answer: the
# fake has not answered the create when the state store is read, so a row
# written on the answer (or a transaction still open during the request:
# the sqlite3 shell sees only committed rows) is not there yet and the
# query prints nothing instead of "intended".  A run killed at that point
# would then leave no trace of a create iMocha may well have made.
E=user00001@example.com
fake_faults "[{\"path\":\"$CREATE\",\"email\":\"$E\",\"hold\":true}]" ||
    { not_ok "hold fault installed"; t_done; }
agent_bg -c "$T/agent.ini" sync
wait_for 60 held_or_gone
check "the agent's create reached the fake and is held" proc_alive "$AGENT_PID" ||
    diag "$(tail -n 20 "$T/bg.err")"
check_eq "the fake counted the create on arrival" "$(fake_create_attempts "$E")" 1
req=$(request_of "$E")
held_status=${req%% *} arrival=${req#* }
check_eq "the create is not answered yet" "$held_status" null
check_eq "while unanswered, its journal row is there: intended, no answer" \
    "$(db "SELECT state || '|' || ifnull(http_status, '-') || '|' || ifnull(settled_at, '-') FROM journal WHERE action = 'create' AND email_key = '$E'")" \
    "intended|-|-"
# One-sided: intended_at is taken (truncated to the ms) before the row is
# committed; a correct agent commits before it sends, so the row's time is
# never after the request's arrival.  A row written after sending would
# usually carry a later time.
intended_at=$(db "SELECT strftime('%s', intended_at) + (strftime('%f', intended_at) - strftime('%S', intended_at)) FROM journal WHERE action = 'create' AND email_key = '$E'")
check "intended_at ($intended_at) is not after the request's arrival ($arrival)" \
    awk -v i="${intended_at:-x}" -v a="$arrival" 'BEGIN { exit !(i != "x" && i + 0 <= a + 0) }'
check_eq "while unanswered, iMocha made nothing yet" "$(fake_users_emails)" ""
fake_release
wait_for 60 _t_not_alive "$AGENT_PID" || kill -KILL "$AGENT_PID" 2>/dev/null
RC=0
wait "$AGENT_PID" || RC=$?
rm -f "$T/agent.pid"
AGENT_PID=
check_eq "once answered, the run ends: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/bg.err")"
check_eq "once answered, the row is settled: done, 200" \
    "$(db "SELECT state || '|' || http_status FROM journal WHERE action = 'create' AND email_key = '$E'")" \
    "done|200"
check_eq "the user is recorded as created" \
    "$(db "SELECT origin FROM imocha_user WHERE email_key = '$E'")" created
check_eq "created once, one attempt" \
    "$(fake_user_field "$E" createCount) $(fake_create_attempts "$E")" "1 1"

# --- a create whose answer a SIGKILL lost ------------------------------------
# The agent is killed while its create is held; the fake then makes the
# user (as iMocha would: the request had arrived), but the answer reaches
# nobody.  The next run must send that create once more and take "already
# exists" as the user being there.  Only the attempt counter shows the
# re-send: createCount stays 1 whatever the agent does short of a double
# create.
E=user00002@example.com
gen_users 1 Engineering 2 | slapd_add "$T/ldap" || not_ok "directory: second user added"
fake_faults "[{\"path\":\"$CREATE\",\"email\":\"$E\",\"hold\":true}]" ||
    { not_ok "hold fault installed"; t_done; }
agent_bg -c "$T/agent.ini" sync
wait_for 60 held_or_gone
check "the second user's create is held" proc_alive "$AGENT_PID" ||
    diag "$(tail -n 20 "$T/bg.err")"
kill -KILL "$AGENT_PID" 2>/dev/null
wait "$AGENT_PID" 2>/dev/null
rm -f "$T/agent.pid"
AGENT_PID=
check_eq "after the kill the journal still says intended" \
    "$(db "SELECT state FROM journal WHERE action = 'create' AND email_key = '$E'")" intended
fake_release
user_made() {
	[ "$(fake_user_field "$E" createCount)" = 1 ]
}
check "the fake made the user the killed run asked for" wait_for 30 user_made
check_eq "so far: one attempt" "$(fake_create_attempts "$E")" 1
run_agent -c "$T/agent.ini" sync
check_eq "the run after the kill: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "the run after the kill sent the create exactly once more" \
    "$(fake_create_attempts "$E")" 2
check_eq "and iMocha still made the user only once" \
    "$(fake_user_field "$E" createCount)" 1
check_eq "no change left intended" \
    "$(db "SELECT count(*) FROM journal WHERE state = 'intended'")" 0
check_eq "the re-sent create was settled by 'already exists': adopted" \
    "$(db "SELECT state || '|' || http_status FROM journal WHERE action = 'create' AND email_key = '$E' ORDER BY id DESC LIMIT 1")" \
    "adopted|400"
check_eq "the killed run's row is settled, not left for ever" \
    "$(db "SELECT state FROM journal WHERE action = 'create' AND email_key = '$E' ORDER BY id LIMIT 1")" failed
check_eq "the state store knows the user: adopted, active" \
    "$(db "SELECT origin || '|' || status FROM imocha_user WHERE email_key = '$E'")" "adopted|Active"
run_agent -c "$T/agent.ini" sync
check_eq "one more run: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "one more run sends no create attempt for either user" \
    "$(fake_create_attempts user00001@example.com) $(fake_create_attempts "$E")" "1 2"

t_done
