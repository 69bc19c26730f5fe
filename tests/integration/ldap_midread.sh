#!/bin/sh
# ldap_midread: slapd killed (SIGKILL) in the middle of a paged read.  The
# read is incomplete: the run exits 3 and changes nothing in iMocha; above
# all, the users not read yet are not taken as having left.
#
# To make that last point testable the agent must manage users whose
# entries a cut-short read would miss: the 50,000 users are adopted first
# (adopt FILE), so a complete read plans nothing, while a partial read taken
# for complete would plan thousands of deactivations -- and
# max_deactivations = 100% lets such a bug show as status calls instead of
# a safety stop.  page_size = 1 makes the read take seconds (about 7 s here)
# so that the kill lands in its middle.  When to kill: once the agent has
# its connection to slapd, a third of the time a full read took (measured
# with plan).  The agent closes that connection only after the whole read,
# so if it is still open just before the kill, the kill cut the read short;
# if it is not, the case is inconclusive and is reported as skipped.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
require_cmd sqlite3 sqlite3
t_setup
N=50000
{ gen_ou Engineering; gen_users "$N" Engineering; } >"$T/users.ldif"
SLAPD_PRELOAD=$T/users.ldif slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering || { not_ok "fake iMocha starts"; t_done; }
CFG_LDAP_EXTRA="page_size = 1" CFG_IMOCHA_EXTRA="requests_per_second = 200
max_in_flight = 8" CFG_SYNC_EXTRA="max_deactivations = 100%
max_creates = 100%" write_config "$T/agent.ini"

awk -v n="$N" 'BEGIN {
	print "email,business_unit,status"
	for (i = 1; i <= n; i++)
		printf "user%05d@example.com,Engineering,Active\n", i
}' >"$T/adopt.csv"
# iMocha holds them, so a wrong deactivation would succeed there too.
"$L2I_PY" - "$N" <<'EOF' || not_ok "the fake takes the $N users"
import json, os, sys, urllib.request
n = int(sys.argv[1])
body = json.dumps({"users": [{"email": "user%05d@example.com" % i, "businessunitId": 1}
                             for i in range(1, n + 1)]}).encode()
req = urllib.request.Request(os.environ["FAKE_URL"] + "/_fake/users", data=body,
                             method="POST", headers={"Content-Type": "application/json"})
urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=60).read()
EOF
run_agent -c "$T/agent.ini" adopt "$T/adopt.csv"
check_eq "the $N users are adopted" "$RC" 0 || { diag "$(tail -n 5 "$T/err")"; t_done; }

now() { date +%s.%N; }
t0=$(now)
run_agent -c "$T/agent.ini" plan
t1=$(now)
check_eq "a complete read: plan exits 0" "$RC" 0 || diag "$(tail -n 5 "$T/err")"
check_contains "a complete read plans nothing" "$(cat "$T/out")" \
    "0 to create, 0 to move, 0 to deactivate, 0 to reactivate"
read_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
diag "a full read (plan) took ${read_s}s"
delay=$(awk -v d="$read_s" 'BEGIN { printf "%.2f", d / 3 }')

# ldap_conn PID PORT: PID has an established TCP connection to PORT on
# this host (its socket inodes looked up in /proc/net/tcp and tcp6).
ldap_conn() {
	_lc_inodes=$(for _lc_f in /proc/"$1"/fd/*; do
		readlink "$_lc_f"
	done 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
	[ -n "$_lc_inodes" ] || return 1
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v port="$(printf '%04X' "$2")" \
	    -v inodes="$_lc_inodes" '
	BEGIN { n = split(inodes, a, " "); for (i = 1; i <= n; i++) s[a[i]] = 1 }
	$4 == "01" && $3 ~ (":" port "$") && ($10 in s) { found = 1 }
	END { exit !found }'
}

port=${SLAPD_URI##*:}
port=${port%%/*}
w0=$(fake_write_count)
agent_bg -c "$T/agent.ini" sync
if ! wait_for 30 ldap_conn "$AGENT_PID" "$port"; then
	not_ok "the agent connects to slapd" "$(tail -n 20 "$T/bg.err")"
	t_done
fi
sleep "$delay"
if ! ldap_conn "$AGENT_PID" "$port"; then
	skip "slapd killed in the middle of the read" \
	    "inconclusive: the read ended within ${delay}s (a full one took ${read_s}s)"
	t_done
fi
kill -KILL "$SLAPD_PID"
wait_for 10 _t_not_alive "$SLAPD_PID"
RC=0
if wait_for 60 _t_not_alive "$AGENT_PID"; then
	wait "$AGENT_PID" || RC=$?
else
	kill -KILL "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	RC=timeout
fi
rm -f "$T/agent.pid"
check_eq "slapd killed mid-read: exit 3" "$RC" 3 || diag "$(tail -n 20 "$T/bg.err")"
check_contains "says the read is incomplete" "$(cat "$T/bg.err")" "incomplete"
check_eq "no status call: nobody taken as gone" \
    "$(fake_request_count POST /v3/accounts/user/status)" 0
check_eq "no write at all to iMocha" "$(fake_write_count)" "$w0"
check_eq "the state store still holds the $N users as active" \
    "$(sqlite3 "$T/state.db" "SELECT count(*) FROM imocha_user WHERE status = 'Active'")" "$N"

# The same directory read in full again: nothing to change.
slapd_restart "$T/ldap" || { not_ok "slapd restarts"; t_done; }
run_agent -c "$T/agent.ini" sync
check_eq "slapd back: the next sync exits 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check_eq "slapd back: nothing to change, nothing sent" "$(fake_write_count)" "$w0"

# SIGTERM to the daemon in the middle of the same long read: it stops at
# the next page, not after the whole directory (the read left takes
# seconds; the bound below is far above what stopping takes).
agent_bg -c "$T/agent.ini" daemon
if wait_for 30 ldap_conn "$AGENT_PID" "$port"; then
	sleep "$delay"
	if ldap_conn "$AGENT_PID" "$port"; then
		t0=$(now)
		agent_stop
		t1=$(now)
		took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		check_eq "SIGTERM mid-read: the daemon exits 0" "$RC" 0
		check "SIGTERM mid-read: it stops within 3 s (took ${took}s)" \
		    awk -v t="$took" 'BEGIN { exit !(t < 3) }'
		check_contains "SIGTERM mid-read: says so" "$(cat "$T/bg.err")" "stopped by signal"
	else
		skip "SIGTERM mid-read" "inconclusive: the read ended within ${delay}s"
	fi
else
	not_ok "the daemon connects to slapd" "$(tail -n 20 "$T/bg.err")"
fi

t_done
