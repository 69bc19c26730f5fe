#!/bin/sh
# concurrency: (a) one run at a time: a second sync started while one runs
# exits 6 at once, naming the holder's PID, and sends nothing; (b) the
# client-side rate limit: 60 creates at requests_per_second = 10 against a
# fake that answers 429 past 12 a second never meet a 429, and the
# requests' arrival times keep to 10 a second.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
{ gen_ou Small; gen_users 8 Small 1; gen_ou Big; gen_users 60 Big 101; } |
    slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }
P=ou=People,dc=example,dc=com

# users: "N [createCounts...]" over the fake's users.
users() {
	fake_get /_fake/users | "$L2I_PY" -c '
import json, sys
u = json.load(sys.stdin)["users"]
print(len(u), sorted({x["createCount"] for x in u}))'
}

# --- (a) two runs at once ------------------------------------------------------
# The fake parks the first run's first create ("hold" fault) until the test
# releases it, so the second run is started, and ends, while the first
# surely runs and holds the lock: no timing involved, no inconclusive case.
fake_start "$T/fake-a" --bu 1:Small ||
    { not_ok "fake iMocha (a) starts"; t_done; }
CFG_BASE_DN="ou=Small,$P" CFG_STATE_FILE=$T/a.db CFG_IMOCHA_EXTRA="requests_per_second = 200
max_in_flight = 1" write_config "$T/a.ini"
fake_faults '[{"path":"/v3/accounts/user/create","hold":true}]' ||
    not_ok "hold fault installed"
agent_bg -c "$T/a.ini" sync
first=$AGENT_PID
# held_or_gone: the first run's create is parked, or the first run ended.
held_or_gone() {
	proc_alive "$first" || return 0
	[ "$(fake_held)" -ge 1 ]
}
wait_for 60 held_or_gone
check "the first run is running, its first create held by the fake" \
    proc_alive "$first" || diag "$(tail -n 20 "$T/bg.err")"
run_agent -c "$T/a.ini" sync
check_eq "second sync while one runs: exit 6" "$RC" 6 ||
    diag "$(tail -n 20 "$T/err")"
check_contains "the message names the holder's PID" "$(cat "$T/err")" "(PID $first)"
check_eq "the first run was still held when the second ended" \
    "$(fake_held)" 1
fake_release
wait_for 60 _t_not_alive "$first" || kill -KILL "$first" 2>/dev/null
RC=0
wait "$first" || RC=$?
rm -f "$T/agent.pid"
check_eq "the first run finishes: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/bg.err")"
check_eq "each user created once" "$(users)" "8 [1]"
check_eq "the second run sent nothing (1 business-unit list, 8 creates)" \
    "$(fake_request_count GET) $(fake_request_count POST)" "1 8"

# --- (b) the rate limiter ----------------------------------------------------
# The fake admits 12 requests in any 1 s window (20 % above the agent's
# limit, for the jitter between the agent sending and the fake reading);
# the agent may start 10 in any 1 s window, retries and the business-unit
# list included.
fake_start "$T/fake-b" --bu 2:Big --rate-limit 12 ||
    { not_ok "fake iMocha (b) starts"; t_done; }
CFG_BASE_DN="ou=Big,$P" CFG_STATE_FILE=$T/b.db CFG_IMOCHA_EXTRA="requests_per_second = 10
max_in_flight = 8" CFG_SYNC_EXTRA="max_creates = 1000" write_config "$T/b.ini"
run_agent -c "$T/b.ini" sync
check_eq "60 creates at 10 a second: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "each user created once" "$(users)" "60 [1]"
stats=$(fake_get /_fake/stats)
check_eq "no 429 at the fake" \
    "$(printf '%s\n' "$stats" | "$L2I_PY" -c 'import json,sys; print(json.load(sys.stdin)["status_counts"].get("429", 0))')" 0
# Times are the fake's arrival times, which trail the agent's sends by a
# varying few milliseconds.  If every arrival trails its send by between d
# and d + J seconds, then any (1 - J) s window of arrivals holds requests
# sent within one 1 s window: at most 10.  A 0.9 s window allows J up to
# 0.1 s.  The aligned seconds of /_fake/stats get no such guarantee (a
# second's boundary may split a burst), hence one of tolerance there.
times=$(fake_get /_fake/requests | "$L2I_PY" -c '
import json, sys
t = sorted(r["time"] for r in json.load(sys.stdin)["requests"]
           if r["path"].startswith("/v3"))
w = max(sum(1 for y in t if x <= y < x + 0.9) for x in t)
print(len(t), w, "%.2f" % (t[-1] - t[0]))')
set -- $times
check_eq "61 requests: the business-unit list and 60 creates, no retry" "$1" 61
check "at most 10 requests in any 0.9 s window (got $2)" test "$2" -le 10
mps=$(printf '%s\n' "$stats" |
    "$L2I_PY" -c 'import json,sys; print(json.load(sys.stdin)["max_per_second"])')
check "at most 11 requests in an aligned second, jitter allowed (got $mps)" \
    test "$mps" -le 11
# 61 requests, 10 in any second: the 61st starts 6 s after the first at
# the earliest; 0.5 s of slack for the arrival jitter.  A slow machine only
# makes it longer.
check "61 requests at 10 a second span 5.5 s or more (got ${3}s)" \
    awk -v s="$3" 'BEGIN { exit !(s + 0 >= 5.5) }'

t_done
