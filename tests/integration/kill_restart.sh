#!/bin/sh
# kill_restart: a sync killed with SIGKILL is finished by the next run
# (SPEC.md: every change is journaled before its request and settled
# after it).  300 users to create against a fake that takes 50 ms per
# request, with up to 8 requests in flight; the run is killed five times at
# growing numbers of writes seen by the fake, then run to completion.
#
# Where a kill lands cannot be chosen: between two requests, with requests
# in flight (the fake still creates the user but nobody reads the answer),
# or while the state store commits.  Five kills at points spread over the
# run, each with up to 8 requests in flight, hit the interesting windows
# often enough; a kill during a commit is covered by SQLite's own atomic
# commit, checked here with PRAGMA integrity_check.  Whatever happened, the
# end state must be the same: each user created exactly once, the answers
# lost to a kill settled by "already exists" (adopted), nothing pending.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
require_cmd sqlite3 sqlite3
t_setup
N=300
{ gen_ou Engineering; gen_users "$N" Engineering; } >"$T/users.ldif"
SLAPD_PRELOAD=$T/users.ldif slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering --latency-ms 50 ||
    { not_ok "fake iMocha starts"; t_done; }
CFG_IMOCHA_EXTRA="requests_per_second = 200
max_in_flight = 8
timeout = 30" CFG_SYNC_EXTRA="max_creates = 1000" write_config "$T/agent.ini"

# users: "N [createCounts...]" over the fake's users.
users() {
	fake_get /_fake/users | "$L2I_PY" -c '
import json, sys
u = json.load(sys.stdin)["users"]
print(len(u), sorted({x["createCount"] for x in u}))'
}

# writes_reached N: the fake saw N writes, or the agent is gone.
writes_reached() {
	proc_alive "$AGENT_PID" || return 0
	[ "$(fake_write_count)" -ge "$1" ]
}

kills=0
for at in 10 60 120 180 240; do
	agent_bg -c "$T/agent.ini" sync
	wait_for 60 writes_reached "$at"
	if proc_alive "$AGENT_PID"; then
		kill -KILL "$AGENT_PID"
		kills=$((kills + 1))
	fi
	wait "$AGENT_PID" 2>/dev/null
	rm -f "$T/agent.pid"
	if [ "$at" = 10 ]; then
		# The first kill must land in the middle, or this tests nothing.
		check "the first kill came before the end (users so far: $(users))" \
		    test "$(users | cut -d' ' -f1)" -lt "$N"
	fi
	check "state store intact after the kill at $at writes" \
	    test "$(sqlite3 "$T/state.db" 'PRAGMA integrity_check')" = ok
done
diag "$kills of 5 kills landed while the agent ran"
check "most kills landed mid-run ($kills of 5)" test "$kills" -ge 3

run_agent -c "$T/agent.ini" sync
check_eq "the run after the kills completes: exit 0" "$RC" 0 ||
    diag "$(tail -n 20 "$T/err")"
check_eq "every user exists, each created exactly once" "$(users)" "$N [1]"
# A kill leaves unsettled at most the requests outstanding then (8) and
# the one answer being settled: only those may be sent again.  A run that
# forgot what earlier runs settled would send hundreds of creates again.
resent=$(($(fake_request_count POST /v3/accounts/user/create) - N))
check "creates sent again after the kills: at most 9 a kill (got $resent)" \
    test "$resent" -le $((kills * 9))
check_eq "PRAGMA integrity_check at the end" \
    "$(sqlite3 "$T/state.db" 'PRAGMA integrity_check')" ok
check_eq "no change left unsettled in the journal" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM journal WHERE state = 'intended'")" 0
check_eq "the state store knows every user" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM imocha_user WHERE status = 'Active'")" "$N"
run_agent -c "$T/agent.ini" status
check_contains "status: all active, 0 pending, 0 failed" "$(cat "$T/out")" \
    "iMocha users: $N active, 0 inactive, 0 pending, 0 failed"
w=$(fake_write_count)
run_agent -c "$T/agent.ini" sync
check_eq "one more run: exit 0" "$RC" 0
check_eq "one more run sends nothing" "$(fake_write_count)" "$w"

t_done
