#!/bin/sh
# history: the audit trail read back from the journal.  Creates, a move
# (ldapmodrdn) and a deactivation (ldapdelete) are each listed once, oldest
# first, with their outcome; --user, --since (a duration, a date, a future
# date), --json; history needs no iMocha (it only reads the store); and
# retention: with history_days = 1, rows back-dated three days are deleted
# by the next sync, recent ones kept, the run totals kept.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
require_cmd sqlite3 sqlite3
slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }
P=ou=People,dc=example,dc=com
{ gen_ou Engineering; gen_ou Sales; gen_users 3 Engineering 1; } |
    slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }
write_config "$T/agent.ini"
DB=$T/state.db

# history_py CODE: run CODE over `history --json` ($T/out) as H.
history_py() {
	"$L2I_PY" -c "
import json, sys
H = json.load(open(sys.argv[1]))
$1" "$T/out"
}

# --- no store yet: history refuses and creates nothing ------------------------
run_agent -c "$T/agent.ini" history
check_eq "history before any sync: exit 2" "$RC" 2
check_contains "says there is no store yet" "$(cat "$T/err")" "no state store at $DB yet"
check "history created no store" test ! -e "$DB"

# --- three creates, a move, a deactivation -------------------------------------
run_agent -c "$T/agent.ini" sync
check_eq "first sync: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
slapd_modrdn "$T/ldap" -s "ou=Sales,$P" "uid=user00001,ou=Engineering,$P" uid=user00001
run_agent -c "$T/agent.ini" sync
check_eq "sync with a move: exit 0" "$RC" 0
slapd_delete "$T/ldap" "uid=user00002,ou=Engineering,$P"
run_agent -c "$T/agent.ini" sync
check_eq "sync with a deactivation: exit 0" "$RC" 0
# A create iMocha refuses: history keeps its answer (a long one: the text
# line cuts it, --json has it whole).
LONG=$(printf '%0300d' 0 | tr 0 x)
gen_users 1 Engineering 4 | slapd_add "$T/ldap"
fake_faults "[{\"path\":\"/v3/accounts/user/create\",\"email\":\"user00004@example.com\",\"status\":400,\"body\":{\"errors\":[\"Seat limit reached $LONG\"]}}]"
run_agent -c "$T/agent.ini" sync
check_eq "sync with a refused create: exit 1" "$RC" 1

run_agent -c "$T/agent.ini" history
check_eq "history: exit 0" "$RC" 0 || diag "$(cat "$T/err")"
cp "$T/out" "$T/history.txt"
check_eq "one line per change" "$(wc -l <"$T/history.txt")" 6
check_eq "each change once, oldest first" \
    "$(awk '{ print $4, $5 }' "$T/history.txt")" \
    "create user00001@example.com
create user00002@example.com
create user00003@example.com
move user00001@example.com
deactivate user00002@example.com
create user00004@example.com"
check_contains "a create names its business unit and outcome" "$(cat "$T/history.txt")" \
    'run 1 create user00003@example.com business unit 1: done (HTTP 200)'
check_contains "the move shows the old and new business unit" "$(cat "$T/history.txt")" \
    "run 2 move user00001@example.com business unit 1 -> 2: done (HTTP 200)"
check_contains "the deactivation shows the status change" "$(cat "$T/history.txt")" \
    "run 3 deactivate user00002@example.com status Active -> Inactive: done (HTTP 200)"
check_contains "a refused change shows iMocha's answer on the same line" \
    "$(cat "$T/history.txt")" \
    "run 4 create user00004@example.com business unit 1: failed (HTTP 400): Seat limit reached xxx"
check_eq "a long answer is cut on the text line" "$(tail -n 1 "$T/history.txt" | grep -c 'xxx\.\.\.$')" 1
check_eq "every line starts with its time" "$(grep -Evc \
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z run ' "$T/history.txt")" 0
check "times never go back" sh -c "awk '{ print \$1 }' '$T/history.txt' | sort -c"

# --- --json: the same changes, in the same order --------------------------------
run_agent -c "$T/agent.ini" history --json
check_eq "history --json: exit 0" "$RC" 0
check_eq "--json parses and holds the same changes in order" \
    "$(history_py 'print("\n".join("%s %s %s" % (h["action"], h["email"], h["outcome"]) for h in H))')" \
    "create user00001@example.com done
create user00002@example.com done
create user00003@example.com done
move user00001@example.com done
deactivate user00002@example.com done
create user00004@example.com failed"
check_eq "--json: ids rise; the run of each change" \
    "$(history_py 'print(all(a["id"] < b["id"] for a, b in zip(H, H[1:])), [h["run_id"] for h in H])')" \
    "True [1, 1, 1, 2, 3, 4]"
check_eq "--json: times match the text lines" \
    "$(history_py 'print("\n".join(h["at"] for h in H))')" "$(awk '{ print $1 }' "$T/history.txt")"
check_eq "--json: the move's business units, the deactivation's status" \
    "$(history_py 'm, d = H[3], H[4]; print(m["old_business_unit"], m["new_business_unit"], m["old_status"], d["old_status"], d["new_status"], d["http_status"], d["old_business_unit"])')" \
    "{'id': 1} {'id': 2} None Active Inactive 200 None"
check_eq "--json: iMocha's answer is kept whole" \
    "$(history_py 'print(H[5]["answer"] == "Seat limit reached " + "x" * 300, H[5]["http_status"], H[5]["settled_at"] >= H[5]["at"])')" \
    "True 400 True"

# --- --user ------------------------------------------------------------------------
run_agent -c "$T/agent.ini" history --user USER00001@Example.COM
check_eq "--user matches the e-mail case-insensitively" \
    "$(awk '{ print $4, $5 }' "$T/out")" "create user00001@example.com
move user00001@example.com"
run_agent -c "$T/agent.ini" history --user nobody@example.com
check_eq "--user with no change: exit 0, nothing listed" "$RC $(wc -l <"$T/out")" "0 0"
run_agent -c "$T/agent.ini" history --json --user user00002@example.com
check_eq "--json --user" "$(history_py 'print([h["action"] for h in H])')" \
    "['create', 'deactivate']"

# --- --since -------------------------------------------------------------------------
# The first run's changes, back-dated three days.
sqlite3 "$DB" "UPDATE journal SET intended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days'),
    settled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days') WHERE run_id = 1;
    UPDATE run SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days', '-1 seconds'),
    ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days', '+1 seconds') WHERE id = 1"
run_agent -c "$T/agent.ini" history --since 2d
check_eq "--since 2d: the last two days only" "$(awk '{ print $4, $5 }' "$T/out")" \
    "move user00001@example.com
deactivate user00002@example.com
create user00004@example.com"
run_agent -c "$T/agent.ini" history --since 96h
check_eq "--since 96h: everything" "$(wc -l <"$T/out")" 6
run_agent -c "$T/agent.ini" history --since "$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ)"
check_eq "--since an ISO date-time two days ago" "$(wc -l <"$T/out")" 3
run_agent -c "$T/agent.ini" history --since "$(date -d '-5 days' +%Y-%m-%d)"
check_eq "--since a date five days ago" "$(wc -l <"$T/out")" 6
run_agent -c "$T/agent.ini" history --since 2999-01-01
check_eq "--since a future date: exit 0, nothing listed" "$RC $(wc -l <"$T/out")" "0 0"
run_agent -c "$T/agent.ini" history --json --since 2999-01-01T00:00:00+02:00
check_eq "--json --since a future date: an empty array" "$(history_py 'print(H)')" "[]"
run_agent -c "$T/agent.ini" history --since yesterday
check_eq "--since that is no time: exit 2" "$RC" 2
check_contains "says what it wants" "$(cat "$T/err")" "--since wants a date"

# --- retention --------------------------------------------------------------------------
CFG_SYNC_EXTRA="history_days = 1" write_config "$T/keep1.ini"
runs_before=$(sqlite3 "$DB" "SELECT COUNT(*) FROM run")
run_agent -c "$T/keep1.ini" sync
check_eq "sync with history_days = 1: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_contains "says what it removed" "$(cat "$T/err")" \
    "history: removed 3 changes and 1 runs older than 1 days"
run_agent -c "$T/agent.ini" history
check_eq "the back-dated changes are gone, the recent kept" "$(awk '{ print $4, $5 }' "$T/out")" \
    "move user00001@example.com
deactivate user00002@example.com
create user00004@example.com"
check_eq "the back-dated run is gone" "$(sqlite3 "$DB" "SELECT COUNT(*) FROM run WHERE id = 1")" 0
check_eq "its count is kept in the totals" \
    "$(sqlite3 "$DB" "SELECT (SELECT COUNT(*) FROM run) + (SELECT SUM(runs) FROM run_pruned)")" \
    "$((runs_before + 1))"
check_eq "the users it created are still known" \
    "$(sqlite3 "$DB" "SELECT COUNT(*) FROM imocha_user")" 3
run_agent -c "$T/keep1.ini" sync
check_contains "a second sync finds nothing more to remove" "$(cat "$T/err")" "summary:"
case $(cat "$T/err") in
*"history: removed"*) not_ok "nothing more removed" "$(grep 'history: removed' "$T/err")" ;;
*) ok "nothing more removed" ;;
esac

# --- iMocha down: history still works -----------------------------------------------------
fake_stop
run_agent -c "$T/agent.ini" history
check_eq "history with iMocha stopped: exit 0" "$RC" 0 || diag "$(cat "$T/err")"
check_eq "and lists the same changes" "$(wc -l <"$T/out")" 3
run_agent -c "$T/agent.ini" history --json
check_eq "history --json with iMocha stopped" "$(history_py 'print(len(H))')" 3
t_done
