# bench/lib.sh: what bench/run.sh, bench/servers.sh and bench/own.sh share
# (POSIX sh).
#
# Sourced after tests/lib/common.sh and t_setup; uses BENCH (this
# directory), PY (/usr/bin/python3), BENCH_TIMEOUT, L2I_BIN and $T (and
# MAIN_BASE, tests/lib/slapd.sh, for bench_trust), and
# writes $T/results ("ROW SECONDS RSS_KIB" per measured run; ROW may be
# two words, "SETUP ROW", in servers.sh) and $T/facts (KEY=VALUE), which
# bench/report.py reads.  $T/runs/ keeps every run's stdout and stderr.

say() {
	printf 'bench: %s\n' "$*" >&2
}

die() {
	say "$*"
	exit 1
}

# need_count NAME VALUE: VALUE is a positive integer, or die.
need_count() {
	case $2 in
	'' | *[!0-9]* | 0*) die "$1 must be a positive integer, not '$2'" ;;
	esac
}

# bench_require: what every part needs.
bench_require() {
	[ -x "$PY" ] || die "$PY not found: install the Debian package python3"
	[ -x /usr/bin/time ] ||
	    say "/usr/bin/time not found (Debian package time): peak RSS includes Python's ~11 MiB"
	[ -x "$L2I_BIN" ] || die "$L2I_BIN not found: run make first"
}

# The words SERVERS takes (bench/servers.sh), and the setup of
# tests/lib/directory.sh each one runs.
BENCH_SERVER_NAMES="openldap 389 ad, or a setup: 389-nosync 389-sync 389-ipa ad-ou ad-root"

# bench_setup_of WORD: print the directory.sh setup WORD names.
bench_setup_of() {
	case $1 in
	openldap | 389-nosync | 389-ipa | ad-ou | ad-root) echo "$1" ;;
	# 389-DS as installed: content sync off (the full read is the same
	# with it on; 389-sync picks that setup).
	389) echo 389-nosync ;;
	389-sync) echo 389 ;;
	# Samba AD, base_dn an OU, over ldaps://.
	ad) echo ad-ou ;;
	*) return 1 ;;
	esac
}

fact() {
	printf '%s=%s\n' "$1" "$2" >>"$T/facts"
}

# measure ROW NAME CMD...: run CMD once, timed; append "ROW SECONDS RSS" to
# $T/results (ROW "-": not a row); its output in $T/runs/NAME.out and .err.
# Dies on failure.  M_SECONDS: the run's seconds.
measure() {
	_m_row=$1
	_m_name=$2
	shift 2
	_m_out=$T/runs/$_m_name.out
	# The floor's LDIF is not kept: writing it would cost time.
	case $_m_name in
	floor-*) _m_out=/dev/null ;;
	esac
	_m_res=$("$PY" "$BENCH/measure.py" --timeout "$BENCH_TIMEOUT" \
	    --stdout "$_m_out" --stderr "$T/runs/$_m_name.err" \
	    -- "$@") || die "measure.py failed on $_m_name"
	set -- $_m_res
	if [ "$3" != 0 ]; then
		say "$_m_name exited $3; its stderr:"
		tail -n 20 "$T/runs/$_m_name.err" | sed 's/^/  /' >&2
		L2I_KEEP=1
		die "stopped (files kept in $T)"
	fi
	[ "$_m_row" = - ] || echo "$_m_row $1 $2" >>"$T/results"
	M_SECONDS=$1
}

# agent ROW NAME CONFIG COMMAND [ARG]: measure one run of the agent.
agent() {
	measure "$1" "$2" "$L2I_BIN" -c "$3" "$4" ${5:+"$5"}
}

# incremental_said FILE: the agent's log says it read incrementally (a
# line naming "incremental" that is not about falling back to, or
# forcing, a full read).
incremental_said() {
	grep -i 'incremental' "$1" |
	    grep -qvi -e 'not' -e 'full' -e 'fall' -e 'unavail' -e 'disabled'
}

# sent_seconds FILE: the S of the agent's "sent N changes to iMocha in S s"
# in FILE (what sending its changes took); nothing if it sent none.
sent_seconds() {
	sed -n 's/.*sent [0-9]* changes* to iMocha in \([0-9.]*\) s.*/\1/p' "$1" | tail -n 1
}

# bench_trust LDAP_DIR CONFIG NAME: incremental reads are used only once an
# audit saw the server report a user change rightly (SPEC.md, Trust): one
# display-name change under MAIN_BASE, and the sync NAME that audits it.
bench_trust() {
	printf 'dn: uid=user00001,%s\nchangetype: modify\nreplace: cn\ncn: Audited\n\n' \
	    "$MAIN_BASE" | slapd_modify "$1" || die "ldapmodify failed"
	agent - "$3" "$2" sync
	grep -q "they are trusted from now on" "$T/runs/$3.err" ||
	    die "the audit did not trust the server: $(cat "$T/runs/$3.err")"
}

# agent_read FILE: the N of the agent's "summary: read N," in FILE.
agent_read() {
	sed -n 's/.*summary: read \([0-9]*\),.*/\1/p' "$1" | tail -n 1
}

# full_flag: "--full" when this agent has it, else nothing (plain sync).
full_flag() {
	"$L2I_BIN" --help 2>&1 | grep -q -- --full && echo --full
	return 0
}

# machine_facts: the machine, the agent and the load, as facts.
machine_facts() {
	fact date "$(date -u '+%Y-%m-%d %H:%M UTC')"
	fact nproc "$(nproc 2>/dev/null || echo '?')"
	fact cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	fact mem "$(sed -n 's/^MemTotal:[[:space:]]*//p' /proc/meminfo)"
	fact kernel "$(uname -sr)"
	fact agent "$("$L2I_BIN" --version 2>&1 | head -n 1)"
	fact commit "$(cd "$L2I_TOP" && git rev-parse --short HEAD 2>/dev/null)$(cd "$L2I_TOP" &&
	    [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && echo '+changes')"
	fact load_end "$(cut -d' ' -f1 /proc/loadavg)"
	fact gnu_time "$([ -x /usr/bin/time ] && echo yes || echo no)"
}
