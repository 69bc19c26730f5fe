#!/bin/sh
# bench/groups.sh: the "Scope by group" rows of `make bench` (POSIX sh).
#
#	make bench [GROUP_N=100000] [GROUP_COUNT=5000] [RUNS=5]
#	make bench GROUPS_ONLY=1 GROUP_N=2000 GROUP_COUNT=200 RUNS=2	# alone
#	GROUP_N=2000 GROUP_COUNT=200 RUNS=2 sh bench/groups.sh
#
# bench/run.sh runs it last (or alone, GROUPS_ONLY=1).  One throwaway
# slapd (syncprov), loaded offline (slapadd -q, SLAPD_PRELOAD), holds
# GROUP_N users (default 100,000) under ou=People in four OUs, one
# business unit each, and GROUP_COUNT groupOfNames (default 5,000, at
# least 200) under ou=Groups, outside base_dn, shaped like a company:
# departments nesting teams nesting projects, every user a direct member
# of 1 to 3 projects, "cn=iMocha Users" nesting half of the departments,
# three cycles (bench/report_groups.py gen says exactly how).  Two
# configurations read it, each with its own state file and fake iMocha:
#   A  no group_dn: every user in scope; its fake holds them all;
#   B  group_dn = cn=iMocha Users,ou=Groups,...: about half in scope; its
#      fake holds those.
# Each is settled (adopt of its fake's export, one sync, then a cn edit and
# a sync that audits and trusts the server's incremental reads).  Then
# RUNS rounds, each running, in turn, A and B once in every row:
#   full  `sync --full`, nothing changed;
#   incr  `sync`, nothing changed;
#   join  one user out of scope is added to a project reached from the top
#         group (ldapmodify), then `sync`: A reads no group and sees nothing,
#         B finds the membership changed, reads in full and creates the user.
# Median, min, max, peak RSS (GNU time) per row and configuration.  Every
# run that reads in full is checked: its summary's "in scope" must be
# GROUP_N for A and the generator's count (plus the joiners so far) for B;
# writes must be 0 but for B's joins (1 each).  A wrong count, an error or a
# crash stops the bench with the command and its output.  Untimed, one B
# `sync -v` (debug log): what it says of the group read (and its count of
# groups met and members in scope, checked), and, when strace works here,
# one more B `sync` whose requests to slapd are counted on the wire.
# bench/report_groups.py report prints the table and replaces the "Scope by
# group" section of BENCHMARKS.md (BENCH_OUT), leaving the rest as it is.
# L2I_KEEP=1 keeps $T (every run's stdout and stderr in $T/runs/).

L2I_TOP=$(cd "$(dirname "$0")/.." && pwd)
export L2I_TOP
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"

BENCH=$L2I_TOP/bench
. "$BENCH/lib.sh"
PY=/usr/bin/python3
GROUP_N=${GROUP_N:-100000}
GROUP_COUNT=${GROUP_COUNT:-5000}
RUNS=${RUNS:-5}
BENCH_OUT=${BENCH_OUT:-$L2I_TOP/BENCHMARKS.md}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-3600}
P=ou=People,$SLAPD_SUFFIX
TOP_DN="cn=iMocha Users,ou=Groups,$SLAPD_SUFFIX"

need_count GROUP_N "$GROUP_N"
need_count GROUP_COUNT "$GROUP_COUNT"
need_count RUNS "$RUNS"
[ "$GROUP_COUNT" -ge 200 ] || die "GROUP_COUNT must be at least 200, not $GROUP_COUNT"
bench_require

rg() {
	"$PY" "$BENCH/report_groups.py" "$@"
}

t_setup
mkdir "$T/runs" || exit 1
: >"$T/results"
: >"$T/facts"
BENCH_T0=$(date +%s.%N)
fact load_start "$(cut -d' ' -f1 /proc/loadavg)"
fact runs "$RUNS"
FULL=$(full_flag)
[ -n "$FULL" ] || die "this agent has no sync --full"

# stopped CMD NAME WHY: the agent did something wrong; show what and stop.
stopped() {
	L2I_KEEP=1
	say "STOPPED: $3"
	say "command: $1"
	say "its stderr ($T/runs/$2.err), last lines:"
	tail -n 30 "$T/runs/$2.err" | sed 's/^/  /' >&2
	die "stopped (files kept in $T)"
}

# in_scope FILE: the "in scope N" of the agent's summary line in FILE.
in_scope() {
	sed -n 's/.*summary: read [0-9]*, in scope \([0-9]*\),.*/\1/p' "$1" | tail -n 1
}

# writes CFG: POST requests to /v3 seen by CFG's fake.
writes() {
	eval "\"\$PY\" \"\$BENCH/util.py\" writes \"\$URL_$1\""
}

# --- the directory -----------------------------------------------------------
say "GROUP_N=$GROUP_N GROUP_COUNT=$GROUP_COUNT RUNS=$RUNS; working in $T"
rg gen --users "$GROUP_N" --groups "$GROUP_COUNT" --changes "$RUNS" \
    --suffix "$SLAPD_SUFFIX" --dir "$T/data" >>"$T/facts" || die "the generator failed"
SCOPE_B=$(sed -n 's/^group\.in_scope=//p' "$T/facts")
REACHED=$(sed -n 's/^group\.reached=//p' "$T/facts")
say "loading $GROUP_N users and $GROUP_COUNT groups into slapd (slapadd -q)"
_t=$(date +%s.%N)
SLAPD_SYNCPROV=1 SLAPD_PRELOAD=$T/data/dir.ldif slapd_start "$T/ldap" ||
    die "slapd could not start"
fact load_seconds "$(awk -v a="$_t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
rm -f "$T/data/dir.ldif"

# --- the fakes, the configs ------------------------------------------------------
BUS=$(rg bus)
fake_start "$T/fakeA" $BUS || die "fake iMocha (A) did not start"
URL_A=$FAKE_URL
fake_start "$T/fakeB" $BUS || die "fake iMocha (B) did not start"
URL_B=$FAKE_URL
say "preloading the fakes: A with $GROUP_N users, B with the $SCOPE_B in scope"
rg preload "$URL_A" "$T/data" all || die "preloading fake A failed"
rg preload "$URL_B" "$T/data" scope || die "preloading fake B failed"

EXTRA_IMOCHA="requests_per_second = 50
max_in_flight = 8"
CFG_BASE_DN=$P CFG_BASE_URL=$URL_A CFG_STATE_FILE=$T/A.db \
CFG_IMOCHA_EXTRA=$EXTRA_IMOCHA CFG_SYNC_EXTRA="max_creates = 100%" \
    write_config "$T/A.ini"
CFG_BASE_DN=$P CFG_BASE_URL=$URL_B CFG_STATE_FILE=$T/B.db \
CFG_LDAP_EXTRA="group_dn = $TOP_DN" \
CFG_IMOCHA_EXTRA=$EXTRA_IMOCHA CFG_SYNC_EXTRA="max_creates = 100%" \
    write_config "$T/B.ini"

# --- settling: adopt, one sync; then the audits -----------------------------------
AUDIT_DN=$(cat "$T/data/audit_dn")
settle() {
	_se_which=all
	[ "$1" = B ] && _se_which=scope
	rg csv "$T/data" "$_se_which" >"$T/$1.csv" || die "csv ($1)"
	say "$1: adopt, settling sync"
	agent - "adopt-$1" "$T/$1.ini" adopt "$T/$1.csv"
	_se_w0=$(writes "$1")
	agent - "settle-$1" "$T/$1.ini" sync
	fact "$1.settle_seconds" "$M_SECONDS"
	fact "$1.settle_writes" "$(($(writes "$1") - _se_w0))"
	_se_s=$(in_scope "$T/runs/settle-$1.err")
	[ "$_se_s" = "$2" ] || stopped "$L2I_BIN -c $T/$1.ini sync" "settle-$1" \
	    "$1's settling sync counted ${_se_s:-no} users in scope, not $2"
}
# audit CFG: the sync after a user change, which audits and trusts.
audit() {
	agent - "audit-$1" "$T/$1.ini" sync
	grep -q "they are trusted from now on" "$T/runs/audit-$1.err" ||
	    stopped "$L2I_BIN -c $T/$1.ini sync" "audit-$1" "the audit did not trust the server"
}
settle A "$GROUP_N"
settle B "$SCOPE_B"
# One edit that both see (a display name: nothing is sent to iMocha).
say "A and B: a cn edit, then the sync of each that audits and trusts the server"
printf 'dn: %s\nchangetype: modify\nreplace: cn\ncn: Audited\n\n' "$AUDIT_DN" |
    slapd_modify "$T/ldap" || die "ldapmodify failed"
audit A
audit B

# --- what the group read does: the debug log, the wire (untimed) -----------------
say "B: one sync -v, untimed: what its debug log says of the group read"
measure - debug-B "$L2I_BIN" -v -c "$T/B.ini" sync
rg debuglog "$T/runs/debug-B.err" >>"$T/facts" || die "reading the debug log failed"
_met=$(sed -n 's/^log\.groups_met=//p' "$T/facts")
_mem=$(sed -n 's/^log\.members_in_scope=//p' "$T/facts")
[ "$_met" = - ] || [ "$_met" = "$REACHED" ] || stopped "$L2I_BIN -v -c $T/B.ini sync" \
    debug-B "the agent met $_met groups from $TOP_DN; the generator reached $REACHED"
[ "$_mem" = - ] || [ "$_mem" = "$SCOPE_B" ] || stopped "$L2I_BIN -v -c $T/B.ini sync" \
    debug-B "the agent counted $_mem members in scope; the generator $SCOPE_B"
if command -v strace >/dev/null 2>&1 &&
    strace -f -qq -o /dev/null -e trace=write true 2>/dev/null; then
	say "B: one sync under strace, untimed: its requests to slapd"
	measure - wire-B strace -f -qq -xx -yy -s 65535 \
	    -e trace=write,writev,send,sendto,sendmsg -o "$T/wire-B.strace" \
	    "$L2I_BIN" -c "$T/B.ini" sync
	rg wire "$T/wire-B.strace" "${SLAPD_URI##*:}" "$SLAPD_SUFFIX" >>"$T/facts" ||
	    die "reading the strace failed"
	rm -f "$T/wire-B.strace"
fi

# --- the rounds -------------------------------------------------------------------
# row CFG ROW NAME [--full]: time one sync of CFG; count its writes, whether
# it read incrementally (its "directory read incremental" line), and (a read
# in full) check its users in scope.
row() {
	_r_w0=$(writes "$1")
	agent "$1.$2" "$3" "$T/$1.ini" sync $4
	_r_w=$(($(writes "$1") - _r_w0))
	eval "w_$1_$2=\$((w_$1_$2 + _r_w))"
	# The users it read (summary: read N), largest over the row's runs.
	_r_n=$(agent_read "$T/runs/$3.err")
	eval "[ \"\${_r_n:-0}\" -le \"\$rd_$1_$2\" ] || rd_$1_$2=\$_r_n"
	if grep -q "directory read incremental" "$T/runs/$3.err"; then
		eval "inc_$1_$2=\$((inc_$1_$2 + 1))"
	else
		_r_want=$GROUP_N
		[ "$1" = B ] && _r_want=$SCOPE_B
		_r_s=$(in_scope "$T/runs/$3.err")
		[ "$_r_s" = "$_r_want" ] || stopped "$L2I_BIN -c $T/$1.ini sync $4" "$3" \
		    "$1 read in full and counted ${_r_s:-no} users in scope, not $_r_want"
	fi
	_r_ok=0
	[ "$1.$2" = B.join ] && _r_ok=1
	[ "$_r_w" = "$_r_ok" ] || stopped "$L2I_BIN -c $T/$1.ini sync $4" "$3" \
	    "$1 sent $_r_w writes to its fake, not $_r_ok"
	return 0
}

for _c in A B; do
	for _r in full incr join; do
		eval "w_${_c}_$_r=0 inc_${_c}_$_r=0 rd_${_c}_$_r=0"
	done
done
say "$RUNS rounds: sync $FULL, sync, join + sync; A then B each"
i=1
while [ "$i" -le "$RUNS" ]; do
	row A full "A-full-$i" "$FULL"
	row B full "B-full-$i" "$FULL"
	row A incr "A-incr-$i"
	row B incr "B-incr-$i"
	sed -n "${i}p" "$T/data/changes" | {
		IFS='	' read -r _u _g
		printf 'dn: %s\nchangetype: modify\nadd: member\nmember: %s\n\n' "$_g" "$_u"
	} | slapd_modify "$T/ldap" || die "ldapmodify (join $i) failed"
	SCOPE_B=$((SCOPE_B + 1))
	row A join "A-join-$i"
	row B join "B-join-$i"
	grep -q "a group's membership changed" "$T/runs/B-join-$i.err" &&
	    joined_said=$((${joined_said:-0} + 1))
	i=$((i + 1))
done
for _c in A B; do
	for _r in full incr join; do
		eval "fact $_c.$_r.writes \$w_${_c}_$_r"
		eval "fact $_c.$_r.incremental \$inc_${_c}_$_r"
		eval "fact $_c.$_r.read_max \$rd_${_c}_$_r"
	done
done
fact B.join.membership_said "${joined_said:-0}"

# --- the table ------------------------------------------------------------------------
fact slapd "$(/usr/sbin/slapd -VV 2>&1 | sed -n 's/.*\(slapd [^ ]*\).*/\1/p' | head -n 1)"
machine_facts
fact bench_seconds "$(awk -v a="$BENCH_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')"
rg report --results "$T/results" --facts "$T/facts" --out "$BENCH_OUT" ||
    die "report_groups.py failed"
