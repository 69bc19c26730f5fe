#!/bin/sh
# progress: `sync` on a terminal shows one line rewritten in place ("\r")
# with done/total changes, the rate and the time left, kept under the log
# lines and cleared at the end; off a terminal it never writes "\r" (its
# log line comes every 30 s, too slow for a test: tests/unit/test_progress.c
# checks that cadence on an injected clock).  util-linux's script(1) gives
# the agent a pseudo-terminal.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
require_cmd script bsdutils
t_setup
N=40
{ gen_ou Engineering; gen_users "$N" Engineering; } >"$T/users.ldif"
SLAPD_PRELOAD=$T/users.ldif slapd_start "$T/ldap" || skip_all "slapd could not start"
# 40 creates, two at a time, 100 ms each: two seconds or more, so the line
# is redrawn several times (every 0.5 s).
fake_start "$T/fake" --bu 1:Engineering --latency-ms 100 ||
    { not_ok "fake iMocha starts"; t_done; }
CR=$(printf '\r')

# cfg NAME: a fresh state store and an empty fake.
cfg() {
	fake_reset
	CFG=$T/$1.ini
	CFG_STATE_FILE=$T/$1.db CFG_IMOCHA_EXTRA="requests_per_second = 50
max_in_flight = 2" write_config "$CFG"
}

# on_tty ARGS...: run the agent on a pseudo-terminal; everything it wrote
# (stdout and stderr, with the terminal's \r\n line ends) in $TTY
# ($CFG.tty), its exit status in $RC.
on_tty() {
	RC=0
	TTY=$CFG.tty
	timeout -k 5 "$L2I_TIMEOUT" script -qec "$(shquote "$L2I_BIN" "$@")" /dev/null \
	    </dev/null >"$TTY" 2>&1 || RC=$?
}

# cleared_at_end: after the last drawing of the line, it is blanked
# ("\r", spaces, "\r") before the run's summary line.
cleared_at_end() {
	"$L2I_PY" -c '
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
last = t.rfind("\rprogress: ")
summary = t.find("summary: ", last)
sys.exit(0 if last >= 0 and summary > 0 and
         re.search(r"\r {10,}\r", t[last:summary]) else 1)' "$TTY"
}

cfg tty
on_tty -c "$CFG" sync
check_eq "on a terminal: exit 0" "$RC" 0 || diag "$(tail -n 20 "$TTY")"
check "on a terminal: the line is drawn at the start" \
    grep -q "${CR}progress: 0/$N changes" "$TTY"
check "on a terminal: redrawn in place with the rate and the time left" \
    grep -q "${CR}progress: [1-9][0-9]*/$N changes, [0-9.]*/s, about [0-9]* s left" "$TTY"
check "on a terminal: the last drawing shows every change done" \
    grep -q "${CR}progress: $N/$N changes, [0-9.]*/s" "$TTY"
check "on a terminal: the line is cleared before the summary" cleared_at_end
check "on a terminal: no progress log lines instead" \
    test "$(grep -c 'ldap2imocha: progress:' "$TTY")" -eq 0
check "on a terminal: the log lines are still there (one per change)" \
    test "$(grep -c 'create user[0-9]*@example.com (joined), business unit Engineering: done' "$TTY")" -eq "$N"

cfg quiet
on_tty -q -c "$CFG" sync
check_eq "on a terminal with -q: exit 0" "$RC" 0
check "on a terminal with -q: no progress line" \
    test "$(grep -c 'progress:' "$TTY")" -eq 0

cfg file
run_agent -c "$CFG" sync
check_eq "off a terminal: exit 0" "$RC" 0
check "off a terminal: never a carriage return" \
    test "$(tr -cd '\r' <"$T/err" | wc -c)" -eq 0
check_eq "off a terminal: every user created" "$(fake_users_emails | wc -l)" "$N"
t_done
