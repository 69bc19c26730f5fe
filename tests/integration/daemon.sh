#!/bin/sh
# daemon: `ldap2imocha daemon` against a real slapd and the fake iMocha,
# with [sync] interval = 2s.  A user added to the directory reaches iMocha
# on its own; SIGHUP with a changed config takes effect (a BU mapping and
# the log level); SIGHUP with a broken config is refused and the daemon
# goes on; SIGTERM during a slow create stops it at once with exit 0, the
# create's journal row left 'intended' for the next run, which settles it.
# The systemd notify messages (READY, STATUS, RELOADING, WATCHDOG,
# STOPPING) are caught by a small datagram listener given as NOTIFY_SOCKET,
# on a path and on an abstract name.  The log: journald priority prefixes
# under JOURNAL_STREAM, run ids on the lines of a run.
#
# Not tested: [log] destination = syslog.  openlog() always writes to
# /dev/log, which a test cannot point elsewhere, and a test that skips
# when /dev/log is absent would fail CI.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
require_cmd sqlite3 sqlite3
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Engineering --bu 2:Sales || { not_ok "fake iMocha starts"; t_done; }
P=ou=People,dc=example,dc=com
{
	gen_ou Engineering
	gen_ou Sales
	gen_users 3 Engineering
	# No e-mail: skipped with a warning on every run.
	printf 'dn: uid=nomail,ou=Engineering,%s\nobjectClass: inetOrgPerson\n' "$P"
	printf 'uid: nomail\ncn: No Mail\nsn: Mail\n\n'
} | slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }

CFG=$T/agent.ini
DB=$T/state.db
# config [EXTRA_BU_MAP [LOG_LEVEL]]: (re)write $CFG atomically, as an
# operator's editor would (a reload must never see half a file).
config() {
	CFG_BU_MAP=${1:-} CFG_LOG_LEVEL=${2:-info} CFG_IMOCHA_EXTRA="requests_per_second = 50
timeout = 30" CFG_SYNC_EXTRA="interval = 2s" write_config "$CFG.tmp" && mv "$CFG.tmp" "$CFG"
}

# notify_listen NAME: a datagram socket at $T/NAME.sock (or the abstract
# name NAME when it starts with @) whose messages are appended to
# $T/NAME.log, one a line, inner newlines shown as " | ".
notify_listen() {
	case $1 in
	@*) _nl_addr=$1 _nl_log=$T/abstract.log ;;
	*) _nl_addr=$T/$1.sock _nl_log=$T/$1.log ;;
	esac
	: >"$_nl_log"
	"$L2I_PY" -c '
import os, socket, sys
addr, log, ready = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(ready, "w").close()
while True:
    m = s.recv(65536).decode("utf-8", "replace")
    with open(log, "a") as f:
        f.write(m.replace("\n", " | ") + "\n")
' "$_nl_addr" "$_nl_log" "$_nl_log.ready" </dev/null >/dev/null 2>"$_nl_log.err" &
	echo $! >"$_nl_log.pid"
	_t_register agent "$_nl_log.pid"
	wait_for 10 test -f "$_nl_log.ready"
	NOTIFY_ADDR=$_nl_addr
}

has_user() {
	fake_users_emails | grep -qx "$1"
}

# count_in FILE REGEX: lines of FILE matching REGEX.
count_in() {
	grep -c -- "$2" "$1" 2>/dev/null || true
}

bu_of() {
	fake_user_field "$1" businessunitId
}

# the daemon's stderr
log_has() {
	grep -q -- "$1" "$T/bg.err"
}

now_ms() {
	date +%s%3N
}

# term_agent: SIGTERM the agent, give it 10 s, then SIGKILL; TERM_MS is
# how long it took to go, RC its exit status ("killed" if it had to be).
term_agent() {
	_ta_t0=$(now_ms)
	kill -TERM "$AGENT_PID"
	wait_for 10 _t_not_alive "$AGENT_PID"
	TERM_MS=$(($(now_ms) - _ta_t0))
	RC=0
	if proc_alive "$AGENT_PID"; then
		kill -KILL "$AGENT_PID"
		RC=killed
	fi
	wait "$AGENT_PID" || RC=$?
	rm -f "$T/agent.pid"
}

config
notify_listen notify || { not_ok "notify listener starts"; t_done; }
NOTIFY_SOCKET=$NOTIFY_ADDR WATCHDOG_USEC=1000000 JOURNAL_STREAM=8:12345
export NOTIFY_SOCKET WATCHDOG_USEC JOURNAL_STREAM
agent_bg -c "$CFG" daemon
unset NOTIFY_SOCKET WATCHDOG_USEC JOURNAL_STREAM

# --- the first run, then a user added later -----------------------------------
check "first run: the three users reach iMocha" \
    wait_for 30 has_user user00003@example.com
gen_users 1 Engineering 4 | slapd_add "$T/ldap"
check "a user added to the directory reaches iMocha on its own (interval 2s)" \
    wait_for 30 has_user user00004@example.com
check "the daemon is still running" proc_alive "$AGENT_PID"

N=$T/notify.log
check_eq "notify: READY=1 comes first" "$(head -n 1 "$N")" "READY=1"
check "notify: STATUS= carries a run's summary line" \
    grep -q '^STATUS=summary: read 4, in scope 3, .*exit 0$' "$N"
check "notify: WATCHDOG=1 at least twice (WATCHDOG_USEC=1000000: every 0.5 s)" \
    test "$(count_in "$N" '^WATCHDOG=1$')" -ge 2

# --- the log ------------------------------------------------------------------
E=$T/bg.err
check "JOURNAL_STREAM: every line starts with a <N> priority" \
    test "$(grep -cv '^<[0-7]>ldap2imocha: ' "$E")" -eq 0
check "JOURNAL_STREAM: an info line is <6>, with its run id" \
    grep -q '^<6>ldap2imocha: run=[0-9][0-9]* summary: ' "$E"
check "JOURNAL_STREAM: a warning is <4>, with its run id" \
    grep -q '^<4>ldap2imocha: run=[0-9][0-9]* warning: skipped uid=nomail,' "$E"
# The fake holds the user a moment before the agent logs the answer: wait.
check "each change is one line with its run id, what, who, BU, outcome" \
    wait_for 10 grep -q '^<6>ldap2imocha: run=[0-9][0-9]* create user00004@example.com (.*), business unit Engineering: done$' "$E"
check "off a terminal: never a carriage return (no progress line rewritten)" \
    test "$(tr -cd '\r' <"$E" | wc -c)" -eq 0

# --- SIGHUP with a changed config ---------------------------------------------
# Engineering's OU now maps to the Sales BU: every user moves to BU 2.
config "Sales = ou=Engineering,$P" debug
kill -HUP "$AGENT_PID"
check "SIGHUP: the new mapping takes effect (user00001 moved to Sales)" \
    wait_for 30 eval '[ "$(bu_of user00001@example.com)" = 2 ]'
check "SIGHUP: the new log level takes effect (debug lines)" \
    wait_for 30 log_has '^<7>ldap2imocha: .*debug: '
check "SIGHUP: logged" log_has 'daemon: config .* reloaded'
check "notify: RELOADING=1 with MONOTONIC_USEC, then READY=1" \
    awk '/^RELOADING=1 \| MONOTONIC_USEC=[0-9]+$/ { r = NR } /^READY=1$/ && r && NR > r { ok = 1 }
	END { exit !ok }' "$N"

# --- SIGHUP with a broken config ----------------------------------------------
config "Sales = ou=Engineering,$P" debug
printf '[sync]\nno_such_key = 1\n' >>"$CFG"
kill -HUP "$AGENT_PID"
check "broken config: refused, with the reason" \
    wait_for 30 log_has "config $CFG is invalid, keeping the running one"
check "broken config: the error names the key" log_has 'no_such_key'
gen_users 1 Engineering 5 | slapd_add "$T/ldap"
check "broken config: the daemon goes on (a later user reaches iMocha)" \
    wait_for 30 has_user user00005@example.com
check_eq "broken config: the running one is kept (user00005 in Sales)" \
    "$(bu_of user00005@example.com)" 2
config "Sales = ou=Engineering,$P" debug

# --- failed runs are retried -------------------------------------------------
# Two runs in a row meet a 401 on the business-unit list (exit 4); the
# daemon reports each and tries again (30 s doubling, capped by the 2 s
# interval), never exits, and the third run goes through.
fake_faults '[{"path":"/v3/accounts/business-units","status":401,"count":2}]'
check "a failed run is reported and tried again" \
    wait_for 30 log_has 'daemon: the run failed (exit 4: iMocha); trying again in 2 s (failure 1 in a row)'
check "a second failure in a row is counted" \
    wait_for 30 log_has '(failure 2 in a row)'
gen_users 1 Engineering 7 | slapd_add "$T/ldap"
check "after the failures the daemon goes on (a later user reaches iMocha)" \
    wait_for 30 has_user user00007@example.com

# --- SIGTERM during a slow create ---------------------------------------------
# The fake creates user00006 at once and answers 8 s later; the daemon is
# stopped while that request is in flight.
fake_faults '[{"path":"/v3/accounts/user/create","email":"user00006@example.com","delay_ms":8000}]'
gen_users 1 Engineering 6 | slapd_add "$T/ldap"
check "slow create: the request reached the fake" \
    wait_for 30 has_user user00006@example.com
term_agent
check_eq "SIGTERM during a request: exit 0" "$RC" 0 || diag "$(tail -n 20 "$E")"
check "SIGTERM: gone within 10 s (took $TERM_MS ms)" test "$TERM_MS" -lt 10000
check "SIGTERM: the run says it was stopped" log_has 'run=[0-9]* stopped by signal'
check "SIGTERM: logged" log_has 'daemon: SIGTERM received, stopped'
check_eq "SIGTERM: the create's journal row stays 'intended'" \
    "$(sqlite3 "$DB" "SELECT state FROM journal WHERE email_key = 'user00006@example.com' AND action = 'create' ORDER BY id DESC LIMIT 1")" \
    intended
check_eq "one summary line per run, the stopped one included" \
    "$(count_in "$E" ' summary: ')" "$(sqlite3 "$DB" 'SELECT count(*) FROM run')"
check_eq "notify: STOPPING=1 is the last message but watchdog pings" \
    "$(grep -v '^WATCHDOG=1$' "$N" | tail -n 1)" "STOPPING=1"

run_agent -c "$CFG" sync
check_eq "the next sync settles it: exit 0" "$RC" 0 || diag "$(tail -n 20 "$T/err")"
check "the next sync reports the unanswered change" \
    grep -q 'changes of an earlier run were never answered' "$T/err"
check_eq "user00006 exists once" \
    "$(fake_user_field user00006@example.com createCount)" 1
check_eq "user00006 ends in its BU" "$(bu_of user00006@example.com)" 2
check_eq "nothing left 'intended' in the journal" \
    "$(sqlite3 "$DB" "SELECT count(*) FROM journal WHERE state = 'intended'")" 0

# --- an abstract notify socket, SIGINT, a watchdog meant for another PID ------
notify_listen "@l2i-test-$(rand_hex 6)" || { not_ok "abstract listener starts"; t_done; }
NOTIFY_SOCKET=$NOTIFY_ADDR WATCHDOG_USEC=200000 WATCHDOG_PID=1
export NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
agent_bg -c "$CFG" daemon
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID
A=$T/abstract.log
check "abstract socket: READY=1 and a STATUS arrive" \
    wait_for 30 grep -q '^STATUS=summary: ' "$A"
kill -INT "$AGENT_PID"
check "SIGINT: the daemon stops" wait_for 10 _t_not_alive "$AGENT_PID"
RC=0
wait "$AGENT_PID" || RC=$?
rm -f "$T/agent.pid"
check_eq "SIGINT: exit 0" "$RC" 0
check_eq "abstract socket: READY=1 first" "$(head -n 1 "$A")" "READY=1"
check_eq "abstract socket: STOPPING=1 last" "$(tail -n 1 "$A")" "STOPPING=1"
check_eq "WATCHDOG_PID of another process: no watchdog pings" \
    "$(count_in "$A" '^WATCHDOG=1$')" 0

# --- SIGTERM while the directory does not answer ------------------------------
# slapd is frozen (SIGSTOP): the kernel still completes the TCP handshake,
# and the daemon's next run waits for the bind's answer.  [ldap] timeout is
# 60 s, so only an interrupted wait ends within the 10 s allowed.
CFG_LDAP_EXTRA="timeout = 60" CFG_SYNC_EXTRA="interval = 2s" write_config "$T/frozen.ini"
ldap_port=${SLAPD_URI##*:}
# waiting_on_ldap: the agent holds an established connection to slapd.
waiting_on_ldap() {
	"$L2I_PY" -c '
import os, sys
pid, port = sys.argv[1], int(sys.argv[2])
inodes = set()
for fd in os.listdir("/proc/%s/fd" % pid):
    try:
        link = os.readlink("/proc/%s/fd/%s" % (pid, fd))
    except OSError:
        continue
    if link.startswith("socket:["):
        inodes.add(link[8:-1])
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    with open(table) as f:
        for line in f.readlines()[1:]:
            p = line.split()
            if int(p[2].rsplit(":", 1)[1], 16) == port and p[3] == "01" and p[9] in inodes:
                sys.exit(0)
sys.exit(1)' "$AGENT_PID" "$ldap_port"
}
agent_bg -c "$T/frozen.ini" daemon
check "frozen directory: a first run completes" \
    wait_for 30 log_has 'summary: .*exit 0'
kill -STOP "$SLAPD_PID"
check "frozen directory: the next run waits on LDAP" wait_for 30 waiting_on_ldap
term_agent
kill -CONT "$SLAPD_PID"
check_eq "frozen directory: SIGTERM, exit 0" "$RC" 0 || diag "$(tail -n 20 "$E")"
check "frozen directory: gone within 10 s (took $TERM_MS ms)" \
    test "$TERM_MS" -lt 10000
check "frozen directory: the run says it was stopped" \
    log_has 'run=[0-9]* stopped by signal'
t_done
