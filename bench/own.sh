#!/bin/sh
# bench/own.sh: a change's own cost at two or more directory sizes, the
# sizes interleaved round by round (`make bench-own`; POSIX sh).
#
#	make bench-own [OWN_N="20000 1000000"] [OWN_ROUNDS=100]
#
# Issue #17 asks that what a change costs above a run with nothing changed
# not grow with the directory: within 20 % from 20,000 to 1,000,000 users.
# make bench measures it (rows 4b and 4c "above 3") with each N in a run
# of its own and few rounds, and a round's own cost is one run less
# another, so it carries the scatter of two runs: here 10 ms and more a
# round, for costs of 5 to 20 ms.  Two tables of the same commit said 1.20
# and 1.06 for 4c, 0.99 and 1.44 for 4b (BENCHMARKS.md).  This part asks
# the question alone, with the precision it needs: one slapd, fake and
# state store per N, all up at once; each round runs every N, in an order
# that alternates, so what the machine does meanwhile falls on all of
# them; many rounds, cheap ones (no full read).
#
# Each round, at each N (the rows of bench/run.sh): 3 a sync with nothing
# changed; 100 description edits and 4 their sync; 100 display names
# changed and 4c their sync; 3b a sync with nothing changed; 20 new users
# and 4b their sync.  Own cost of 4c: 4c less 3; of 4b: 4b less 3b less
# the time the agent says it spent sending (the creates' requests and
# journal commits, which #17 reports apart).  Then one more round, untimed,
# each run under strace: the pages each run reads from the state file.
# bench/report_own.py takes the medians over the rounds, their ratio from
# the smallest N to the largest with a bootstrap interval, the page counts,
# and writes a section of BENCHMARKS.md (BENCH_OUT names another file).
#
# The users 4b adds stay: after 100 rounds 2,000 more at every N.

L2I_TOP=$(cd "$(dirname "$0")/.." && pwd)
export L2I_TOP
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"

BENCH=$L2I_TOP/bench
. "$BENCH/lib.sh"
PY=/usr/bin/python3
OWN_N=${OWN_N:-20000 1000000}
OWN_ROUNDS=${OWN_ROUNDS:-100}
BENCH_OUT=${BENCH_OUT:-$L2I_TOP/BENCHMARKS.md}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-3600}
P=ou=People,$SLAPD_SUFFIX
MAIN_BASE=ou=Engineering,$P
EDITS=100
NEWUSERS=20

need_count OWN_ROUNDS "$OWN_ROUNDS"
set -- $OWN_N
[ $# -ge 2 ] || die "OWN_N must name at least two sizes, not '$OWN_N'"
for _n in $OWN_N; do
	need_count OWN_N "$_n"
done
bench_require
command -v strace >/dev/null ||
    die "strace not found (Debian package strace): bench-own counts page reads with it"
# Before the rounds, not after them: a container may forbid ptrace.
strace -f -o /dev/null true 2>/dev/null ||
    die "strace cannot trace here (ptrace refused?): bench-own counts page reads with it"
t_setup
TOP=$T
mkdir "$T/runs" || exit 1
: >"$T/results"
: >"$T/facts"
fact load_start "$(cut -d' ' -f1 /proc/loadavg)"

# setup N: slapd with N users, a fake that holds them, a state store that
# manages them and trusts the server's incremental reads (as bench/run.sh).
setup() {
	say "N=$1: loading slapd, the fake and the state store"
	{ gen_ou Engineering; gen_users "$1" Engineering 1; } >"$TOP/dir.ldif"
	SLAPD_SYNCPROV=1 SLAPD_PRELOAD=$TOP/dir.ldif slapd_start "$TOP/ldap-$1" ||
	    die "slapd (N=$1) could not start"
	rm -f "$TOP/dir.ldif"
	fake_start "$TOP/fake-$1" --bu 101:Engineering --bu 102:Newhires ||
	    die "fake iMocha (N=$1) did not start"
	"$PY" "$BENCH/util.py" preload "$FAKE_URL" "$1" 101 || die "preloading the fake failed"
	# write_config keeps the bind password in $T: one directory per N.
	mkdir "$TOP/n$1" && T=$TOP/n$1 &&
	    CFG_BASE_DN=$MAIN_BASE CFG_STATE_FILE=$TOP/n$1/state.db \
	    CFG_IMOCHA_EXTRA="requests_per_second = 50
max_in_flight = 8" CFG_SYNC_EXTRA="max_creates = 100%" write_config "$TOP/n$1/main.ini"
	T=$TOP
	"$PY" "$BENCH/util.py" csv "$1" Engineering >"$TOP/n$1/adopt.csv" || die "csv"
	agent - "adopt-$1" "$TOP/n$1/main.ini" adopt "$TOP/n$1/adopt.csv"
	agent - "settle-$1" "$TOP/n$1/main.ini" sync
	bench_trust "$TOP/ldap-$1" "$TOP/n$1/main.ini" "audit-$1"
	echo $(($1 + 1)) >"$TOP/n$1/next"
}

# sync_at N ROW NAME: one timed sync at N; "N ROW SECONDS SENT INCREMENTAL" to
# the results (SENT: the seconds the agent says it spent sending, or 0).
sync_at() {
	measure - "$3" "$L2I_BIN" -c "$TOP/n$1/main.ini" sync
	_s=$(sent_seconds "$T/runs/$3.err")
	_i=0
	incremental_said "$T/runs/$3.err" && _i=1
	echo "$1 $2 $M_SECONDS ${_s:-0} $_i" >>"$T/results"
	rm -f "$T/runs/$3.out" "$T/runs/$3.err"
}

# pages_at N ROW NAME: one sync at N under strace, untimed: "N ROW READS
# INCREMENTAL" to $T/pages, READS the pread(2) calls on the state file and
# its WAL.  SQLite reads a page a call, so this is the pages a run reads:
# a count the machine's noise does not move, beside times it does.
pages_at() {
	strace -f -y -e trace=pread64 -o "$T/runs/$3.strace" \
	    "$L2I_BIN" -c "$TOP/n$1/main.ini" sync >/dev/null 2>"$T/runs/$3.err" ||
	    die "$3: the agent failed: $(tail -n 1 "$T/runs/$3.err")"
	_p=$(grep -c "pread64([0-9]*</[^>]*/n$1/state\.db\(-wal\)\{0,1\}>" "$T/runs/$3.strace")
	_i=0
	incremental_said "$T/runs/$3.err" && _i=1
	echo "$1 $2 $_p $_i" >>"$T/pages"
	rm -f "$T/runs/$3.strace" "$T/runs/$3.err"
}

# round N I: the rows of one round at N, each run by $ROW_AT (sync_at, or
# pages_at for the counted round).
ROW_AT=sync_at
round() {
	slapd_use "$TOP/ldap-$1"
	$ROW_AT "$1" 3 "incr-$1-$2"
	"$PY" "$BENCH/util.py" edits "$1" "$EDITS" "own$2" "$MAIN_BASE" |
	    slapd_modify "$TOP/ldap-$1" || die "ldapmodify failed"
	$ROW_AT "$1" 4 "edits-$1-$2"
	"$PY" "$BENCH/util.py" renames "$1" "$EDITS" "own$2" "$MAIN_BASE" |
	    slapd_modify "$TOP/ldap-$1" || die "ldapmodify failed"
	$ROW_AT "$1" 4c "renames-$1-$2"
	$ROW_AT "$1" 3b "quiet-$1-$2"
	_next=$(cat "$TOP/n$1/next")
	gen_users "$NEWUSERS" Engineering "$_next" | slapd_add "$TOP/ldap-$1" ||
	    die "ldapadd failed"
	echo $((_next + NEWUSERS)) >"$TOP/n$1/next"
	$ROW_AT "$1" 4b "new-$1-$2"
}

for _n in $OWN_N; do
	setup "$_n"
done
_reversed=
for _n in $OWN_N; do
	_reversed="$_n $_reversed"
done
say "$OWN_ROUNDS rounds over N = $OWN_N, the order alternating"
i=1
while [ "$i" -le "$OWN_ROUNDS" ]; do
	if [ $((i % 2)) = 1 ]; then _order=$OWN_N; else _order=$_reversed; fi
	for _n in $_order; do
		round "$_n" "$i"
	done
	i=$((i + 1))
done
say "one more round, each run counted under strace"
: >"$T/pages"
ROW_AT=pages_at
for _n in $OWN_N; do
	round "$_n" counted
done
machine_facts
fact rounds "$OWN_ROUNDS"
"$PY" "$BENCH/report_own.py" --results "$T/results" --pages "$T/pages" \
    --facts "$T/facts" --out "$BENCH_OUT" || die "report_own.py failed"
