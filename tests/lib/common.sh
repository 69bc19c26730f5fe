# tests/lib/common.sh: shared fixtures for the integration tests (POSIX sh)
#
# Sourced by tests/integration/*.sh:
#	. "$L2I_TOP/tests/lib/common.sh"
#	t_setup			# $T: fresh temp dir; EXIT trap stops all
#	...			# fixtures started and removes $T
#	check "name" CMD ARGS...
#	t_done			# exit 1 if any case failed, else 0
#
# Output protocol, one line per case, counted by tests/run:
#	ok - NAME
#	not ok - NAME		followed by diagnostic lines starting "# "
#	skip - NAME: WHY
# skip_all exits 77: the runner shows the whole program as skipped.
#
# Cases: ok, not_ok, skip, check, check_eq, check_contains, skip_all.
# Agent: run_agent, agent_bg, agent_stop.  Fake iMocha: fake_start,
# fake_stop, fake_use, fake_get, fake_post, fake_reset, fake_faults,
# fake_users_emails, fake_user_field, fake_request_count, fake_write_count,
# fake_create_attempts, fake_held, fake_release.
# Config: write_config.  Misc: tls_make_certs, require_cmd, proc_state,
# proc_alive, proc_stop, wait_for, shquote, rand_hex.
#
# No fixture aborts the script on a failed command.  A failed case returns
# 1, so `check ... || return` works; under `set -e` that would end the
# script at the first failure, so tests should not use it.  Tests must not
# set their own EXIT trap (it would replace the one that stops slapd and the
# fake).  Helper variables carry a per-function prefix because POSIX sh has
# no local variables.
#
# Environment: L2I_TOP (repo root), L2I_BIN (the agent), L2I_WRAP (a
# command the agent runs under, e.g. valgrind: `make valgrind`), L2I_KEEP=1 keeps
# $T and prints its path, L2I_TIMEOUT (seconds, default 120) bounds each
# run_agent, FAKE_API_KEY (the fake iMocha's key).

if [ -z "${L2I_TOP:-}" ]; then
	# Sourced files cannot see their own path; tests live two levels
	# below the root (tests/integration/x.sh).
	L2I_TOP=$(cd "$(dirname "$0")/../.." && pwd)
fi
: "${L2I_BIN:=$L2I_TOP/build/ldap2imocha}"
: "${FAKE_API_KEY:=test-key-0123456789}"
: "${L2I_TIMEOUT:=120}"
export L2I_TOP L2I_BIN FAKE_API_KEY

# Keep the agent hermetic: a developer's own settings must not leak in.
unset LDAP2IMOCHA_CONFIG LDAP2IMOCHA_LDAP_PASSWORD LDAP2IMOCHA_API_KEY \
    CREDENTIALS_DIRECTORY
# Loopback traffic must never go through a proxy (curl, urllib).
NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
no_proxy=$NO_PROXY
export NO_PROXY no_proxy

L2I_PY=/usr/bin/python3
_t_npass=0 _t_nfail=0 _t_nskip=0

# --- set-up and tear-down ---------------------------------------------------

t_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/l2i-test.XXXXXX") || {
		echo "t_setup: mktemp failed" >&2
		exit 1
	}
	export T
	: >"$T/.procs"
	: >"$T/.results"
	trap '_t_cleanup' EXIT
	# A signal must still run the EXIT trap.
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# _t_register KIND ARG: remember something for _t_cleanup
# (slapd DIR, fake DIR, agent PIDFILE, rmdir PATH).
_t_register() {
	[ -n "${T:-}" ] && [ -f "$T/.procs" ] || return 0
	printf '%s %s\n' "$1" "$2" >>"$T/.procs"
}

_t_cleanup() {
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	if [ -f "$T/.procs" ]; then
		while read -r _cu_kind _cu_arg <&3; do
			case $_cu_kind in
			slapd) slapd_stop "$_cu_arg" >/dev/null 2>&1 ;;
			fake) fake_stop "$_cu_arg" >/dev/null 2>&1 ;;
			agent) _t_stop_pidfile "$_cu_arg" "" ;;
			# "stop FUNCTION DIR": a rig's own stop (samba_stop,
			# ds389_stop...).
			stop) $_cu_arg >/dev/null 2>&1 ;;
			esac
		done 3<"$T/.procs"
		while read -r _cu_kind _cu_arg <&3; do
			[ "$_cu_kind" = rmdir ] && rm -rf "$_cu_arg"
		done 3<"$T/.procs"
	fi
	if [ "${L2I_KEEP:-0}" = 1 ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T"
	fi
}

# --- reporting --------------------------------------------------------------

_t_record() {
	if [ -n "${T:-}" ] && [ -f "$T/.results" ]; then
		echo "$1" >>"$T/.results"
	fi
	case $1 in
	ok) _t_npass=$((_t_npass + 1)) ;;
	fail) _t_nfail=$((_t_nfail + 1)) ;;
	skip) _t_nskip=$((_t_nskip + 1)) ;;
	esac
}

# diag TEXT: print TEXT as diagnostic lines ("# " prefix on every line).
diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

ok() {
	echo "ok - $1"
	_t_record ok
}

# not_ok NAME [DIAG...]: each DIAG argument may span several lines.
not_ok() {
	echo "not ok - $1"
	shift
	for _no_d in "$@"; do
		diag "$_no_d"
	done
	_t_record fail
	return 1
}

skip() {
	echo "skip - $1: $2"
	_t_record skip
}

skip_all() {
	echo "$*"
	exit 77
}

t_done() {
	if [ -n "${T:-}" ] && [ -f "$T/.results" ]; then
		# The file also sees cases reported from subshells.
		_t_npass=$(grep -c '^ok$' "$T/.results")
		_t_nfail=$(grep -c '^fail$' "$T/.results")
		_t_nskip=$(grep -c '^skip$' "$T/.results")
	fi
	echo "# $_t_npass passed, $_t_nfail failed, $_t_nskip skipped"
	[ "$_t_nfail" -eq 0 ] && exit 0
	exit 1
}

# shquote ARGS...: the arguments as one line of shell words, for messages.
shquote() {
	_sq_out=
	for _sq_a in "$@"; do
		case $_sq_a in
		'' | *[!A-Za-z0-9_./:=@%+,-]*)
			_sq_a="'$(printf '%s' "$_sq_a" | sed "s/'/'\\\\''/g")'"
			;;
		esac
		_sq_out="$_sq_out${_sq_out:+ }$_sq_a"
	done
	printf '%s\n' "$_sq_out"
}

# check NAME CMD [ARGS...]: ok if CMD exits 0; else not ok showing the
# command, its exit status and its output.
check() {
	_ck_name=$1
	shift
	_ck_out=/dev/null
	[ -n "${T:-}" ] && [ -d "$T" ] && _ck_out=$T/.check.out
	_ck_rc=0
	"$@" >"$_ck_out" 2>&1 || _ck_rc=$?
	if [ "$_ck_rc" -eq 0 ]; then
		ok "$_ck_name"
		return 0
	fi
	if [ "$_ck_out" != /dev/null ] && [ -s "$_ck_out" ]; then
		not_ok "$_ck_name" "command: $(shquote "$@")" "exit: $_ck_rc" \
		    "output:" "$(head -n 40 "$_ck_out" | sed 's/^/  /')"
	else
		not_ok "$_ck_name" "command: $(shquote "$@")" "exit: $_ck_rc"
	fi
}

# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
		return 0
	fi
	not_ok "$1" "got:" "$(printf '%s\n' "$2" | sed 's/^/  /')" \
	    "want:" "$(printf '%s\n' "$3" | sed 's/^/  /')"
}

# check_contains NAME HAYSTACK NEEDLE
check_contains() {
	case $2 in
	*"$3"*)
		ok "$1"
		return 0
		;;
	esac
	not_ok "$1" "wanted to find: $3" "in:" \
	    "$(printf '%s\n' "$2" | head -n 40 | sed 's/^/  /')"
}

# require_cmd CMD PACKAGE: skip the whole program when CMD is missing.
require_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
	    skip_all "$1 not found: install the Debian package $2"
}

# --- processes ----------------------------------------------------------------

# proc_state PID: print the process state letter (R, S, Z...), nothing if
# gone.  A reaped-by-nobody zombie still answers kill -0, hence /proc.
proc_state() {
	_ps_line=
	read -r _ps_line 2>/dev/null </proc/"$1"/stat || return 0
	_ps_line=${_ps_line##*) }
	printf '%s\n' "${_ps_line%% *}"
}

# proc_alive PID: true while PID runs (a zombie is not running).
proc_alive() {
	case $(proc_state "$1") in
	'' | Z | X) return 1 ;;
	esac
	return 0
}

# proc_is PID NEEDLE: PID runs and its command line contains NEEDLE, so a
# recycled PID is never signalled.
proc_is() {
	proc_alive "$1" || return 1
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# proc_stop PID NEEDLE: SIGTERM, wait up to 10 s, then SIGKILL; reap it if
# it is our child.  Returns when the process is really gone.
proc_stop() {
	_pst_pid=$1
	if proc_is "$_pst_pid" "$2"; then
		kill -TERM "$_pst_pid" 2>/dev/null
		_pst_n=0
		while proc_alive "$_pst_pid" && [ "$_pst_n" -lt 200 ]; do
			sleep 0.05
			_pst_n=$((_pst_n + 1))
		done
		if proc_alive "$_pst_pid"; then
			kill -KILL "$_pst_pid" 2>/dev/null
			_pst_n=0
			while proc_alive "$_pst_pid" && [ "$_pst_n" -lt 200 ]; do
				sleep 0.05
				_pst_n=$((_pst_n + 1))
			done
		fi
	fi
	# Reap our own child; for others this returns 127 at once.
	wait "$_pst_pid" 2>/dev/null
	return 0
}

# _t_stop_pidfile FILE NEEDLE: stop the process named in FILE, remove FILE.
_t_stop_pidfile() {
	[ -f "$1" ] || return 0
	_tsp_pid=$(cat "$1")
	[ -n "$_tsp_pid" ] && proc_stop "$_tsp_pid" "$2"
	rm -f "$1"
}

_t_not_alive() {
	! proc_alive "$1"
}

# wait_for SECONDS CMD [ARGS...]: poll CMD every 0.05 s until it succeeds.
wait_for() {
	_wf_end=$(($1 * 20))
	shift
	_wf_n=0
	while [ "$_wf_n" -lt "$_wf_end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		_wf_n=$((_wf_n + 1))
	done
	return 1
}

# rand_hex N: N random bytes as hex.
rand_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# --- the agent ----------------------------------------------------------------

# run_agent ARGS...: run the agent; stdout in $T/out, stderr in $T/err,
# exit status in $RC (124 if it outlived L2I_TIMEOUT).
run_agent() {
	RC=0
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 5 "$L2I_TIMEOUT" ${L2I_WRAP:-} "$L2I_BIN" "$@" \
		    <"${AGENT_STDIN:-/dev/null}" >"$T/out" 2>"$T/err" || RC=$?
	else
		${L2I_WRAP:-} "$L2I_BIN" "$@" \
		    <"${AGENT_STDIN:-/dev/null}" >"$T/out" 2>"$T/err" || RC=$?
	fi
	return 0
}

# agent_bg ARGS...: start the agent in the background (daemon tests);
# stdout in $T/bg.out, stderr in $T/bg.err, pid in $AGENT_PID.  Stopped by
# agent_stop or at exit.
agent_bg() {
	${L2I_WRAP:-} "$L2I_BIN" "$@" </dev/null >"$T/bg.out" 2>"$T/bg.err" &
	AGENT_PID=$!
	echo "$AGENT_PID" >"$T/agent.pid"
	_t_register agent "$T/agent.pid"
	# Until the forked shell has exec'd the agent, a signal sent to it is
	# taken by the shell's trap and lost: wait for the exec.  A wrapper
	# (valgrind) runs under its own name, with the agent in its argv.
	if [ -n "${L2I_WRAP:-}" ]; then
		wait_for 10 _t_wrapped "$AGENT_PID" "$L2I_BIN"
	else
		_ab_exe=$(readlink -f "$L2I_BIN")
		wait_for 5 _t_execd "$AGENT_PID" "$_ab_exe"
	fi
	return 0
}

# _t_wrapped PID BIN: PID is gone or its command line names BIN.
_t_wrapped() {
	proc_alive "$1" || return 0
	proc_is "$1" "$2"
}

# _t_execd PID EXE: PID is gone or already runs EXE.
_t_execd() {
	proc_alive "$1" || return 0
	[ "$(readlink -f "/proc/$1/exe" 2>/dev/null)" = "$2" ]
}

# agent_stop: SIGTERM the background agent, wait for it; status in $RC.
agent_stop() {
	RC=0
	[ -n "${AGENT_PID:-}" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null
	# Give it 10 s to finish its run, then insist.
	wait_for 10 _t_not_alive "$AGENT_PID" ||
	    kill -KILL "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" || RC=$?
	rm -f "$T/agent.pid"
	AGENT_PID=
	return 0
}

# --- directory server rigs (slapd.sh, ds389.sh, samba_ad.sh) ---------------
# Each rig has a TOOLFN that runs an ldap tool as its administrator
# (TOOLFN TOOL DIR ARGS...); these feed any of them LDIF the same way.

# rig_quiet TOOLFN TOOL DIR ARGS...: the tool's progress chatter kept in
# DIR/tool.out and shown only on failure.
rig_quiet() {
	_rq_rc=0
	"$@" >"$3/tool.out" || _rq_rc=$?
	# The failing entry is the last one the tool announced.
	[ "$_rq_rc" -eq 0 ] || tail -n 1 "$3/tool.out" | sed 's/^/  at: /' >&2
	return "$_rq_rc"
}

# rig_add TOOLFN DIR [-M] [FILE]: add the LDIF in FILE (or stdin); -M
# (ManageDsaIT) adds referral entries as they are.
rig_add() {
	_ra_fn=$1 _ra_dir=$2
	shift 2
	_ra_m=
	if [ "${1:-}" = -M ]; then
		_ra_m=-M
		shift
	fi
	if [ $# -gt 0 ]; then
		rig_quiet "$_ra_fn" ldapadd "$_ra_dir" $_ra_m -f "$1"
	else
		rig_quiet "$_ra_fn" ldapadd "$_ra_dir" $_ra_m
	fi
}

# rig_modify TOOLFN DIR [FILE]: apply LDIF changes (changetype: ...).
rig_modify() {
	if [ $# -gt 2 ]; then
		rig_quiet "$1" ldapmodify "$2" -f "$3"
	else
		rig_quiet "$1" ldapmodify "$2"
	fi
}

# --- TLS material: tls_make_certs (tests/lib/certs.sh) ----------------------

. "$L2I_TOP/tests/lib/certs.sh"

# --- the fake iMocha --------------------------------------------------------

# fake_start DIR [fake args...]: start tests/lib/fake_imocha.py; sets
# FAKE_URL, FAKE_PID, FAKE_DIR.  --tls-cert/--tls-key make it https.
fake_start() {
	[ -x "$L2I_PY" ] || skip_all "$L2I_PY not found: install the Debian package python3"
	FAKE_DIR=$1
	shift
	mkdir -p "$FAKE_DIR" || return 1
	rm -f "$FAKE_DIR/port" "$FAKE_DIR/url"
	_fs_scheme=http
	for _fs_a in "$@"; do
		case $_fs_a in
		--tls-cert | --tls-cert=*) _fs_scheme=https ;;
		esac
	done
	_t_register fake "$FAKE_DIR"
	"$L2I_PY" "$L2I_TOP/tests/lib/fake_imocha.py" \
	    --port-file "$FAKE_DIR/port" --api-key "$FAKE_API_KEY" "$@" \
	    </dev/null >"$FAKE_DIR/stdout" 2>"$FAKE_DIR/stderr" &
	FAKE_PID=$!
	echo "$FAKE_PID" >"$FAKE_DIR/pid"
	_fs_n=0
	while [ "$_fs_n" -lt 200 ]; do
		_fs_port=
		[ -s "$FAKE_DIR/port" ] && read -r _fs_port <"$FAKE_DIR/port"
		case $_fs_port in
		'' | *[!0-9]*) ;;
		*)
			FAKE_URL=$_fs_scheme://127.0.0.1:$_fs_port
			# The port file may be half-written: make sure it answers.
			if fake_get /_fake/stats >/dev/null 2>&1; then
				echo "$FAKE_URL" >"$FAKE_DIR/url"
				export FAKE_URL FAKE_PID FAKE_DIR
				return 0
			fi
			;;
		esac
		if ! proc_alive "$FAKE_PID"; then
			break
		fi
		sleep 0.05
		_fs_n=$((_fs_n + 1))
	done
	echo "fake_start: fake iMocha did not come up; its stderr:" >&2
	sed 's/^/  /' "$FAKE_DIR/stderr" >&2
	fake_stop "$FAKE_DIR"
	return 1
}

# fake_stop [DIR]: stop the fake (default: the last started).
fake_stop() {
	_fst_dir=${1:-${FAKE_DIR:-}}
	[ -n "$_fst_dir" ] || return 0
	_t_stop_pidfile "$_fst_dir/pid" "$_fst_dir/port"
}

# fake_use DIR: point the fake_* helpers at the fake started in DIR.
fake_use() {
	FAKE_DIR=$1
	FAKE_URL=$(cat "$1/url")
	FAKE_PID=$(cat "$1/pid" 2>/dev/null)
	export FAKE_URL FAKE_PID FAKE_DIR
}

# The fake's control API, through urllib (curl may be missing).  TLS is not
# verified here: the helpers only ever talk to their own fake.
_FAKE_PY='
import fnmatch, json, os, ssl, sys, urllib.error, urllib.request

base = os.environ["FAKE_URL"].rstrip("/")

def call(method, path, body=None):
    data = None if body is None else body.encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("X-API-KEY", os.environ.get("FAKE_API_KEY", ""))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    ctx = ssl._create_unverified_context()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=ctx))
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def get_json(path):
    st, body = call("GET", path)
    if st // 100 != 2:
        sys.exit("GET %s: HTTP %d: %s" % (path, st, body))
    return json.loads(body)

def text(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return json.dumps(v)

def v3(reqs):
    return [r for r in reqs if r.get("path", "").startswith("/v3")]

def path_ok(r, pat):
    p = r.get("path", "")
    return fnmatch.fnmatchcase(p, pat) or fnmatch.fnmatchcase(p.split("?")[0], pat)

cmd, args = sys.argv[1], sys.argv[2:]
if cmd in ("get", "post"):
    st, body = call(cmd.upper(), args[0],
                    None if cmd == "get" else (args[1] if len(args) > 1 and args[1] else "{}"))
    sys.stdout.write(body)
    if body and not body.endswith("\n"):
        sys.stdout.write("\n")
    sys.exit(0 if st // 100 == 2 else 1)
elif cmd == "emails":
    users = get_json("/_fake/users")["users"]
    for e in sorted(u.get("email", "").lower() for u in users):
        print(e)
elif cmd == "field":
    for u in get_json("/_fake/users")["users"]:
        if u.get("email", "").lower() == args[0].lower():
            print(text(u.get(args[1])))
            sys.exit(0)
    sys.exit(1)
elif cmd == "count":
    reqs = v3(get_json("/_fake/requests")["requests"])
    if args and args[0] not in ("", "*"):
        reqs = [r for r in reqs if r.get("method", "").upper() == args[0].upper()]
    if len(args) > 1 and args[1]:
        reqs = [r for r in reqs if path_ok(r, args[1])]
    print(len(reqs))
elif cmd == "attempts":
    print(get_json("/_fake/create_attempts")["createAttempts"].get(args[0].lower(), 0))
elif cmd == "held":
    print(get_json("/_fake/held")["held"])
elif cmd == "writes":
    reqs = v3(get_json("/_fake/requests")["requests"])
    print(len([r for r in reqs if r.get("method", "").upper() == "POST"]))
else:
    sys.exit("fake helper: unknown command " + cmd)
'

# fake_get PATH: print the body; fails on a non-2xx answer.
fake_get() {
	FAKE_URL=$FAKE_URL "$L2I_PY" -c "$_FAKE_PY" get "$1"
}

# fake_post PATH [JSON]: POST JSON (default {}), print the answer.
fake_post() {
	FAKE_URL=$FAKE_URL "$L2I_PY" -c "$_FAKE_PY" post "$1" "${2:-}"
}

# fake_reset: forget every user, request and fault.
fake_reset() {
	fake_post /_fake/reset >/dev/null
}

# fake_faults JSON: install one-shot faults, given either as the array
# '[{"path":...,"status":500}]' or as the whole '{"faults":[...]}'.
fake_faults() {
	case $1 in
	*[![:space:]]*) ;;
	*) return 1 ;;
	esac
	_ff_j=$1
	while :; do
		case $_ff_j in
		[[:space:]]*) _ff_j=${_ff_j#?} ;;
		*) break ;;
		esac
	done
	case $_ff_j in
	'['*) _ff_j="{\"faults\":$_ff_j}" ;;
	esac
	# Quiet on success; the fake's complaint on failure.
	_ff_out=$(fake_post /_fake/faults "$_ff_j") && return 0
	printf 'fake_faults: %s\n' "$_ff_out" >&2
	return 1
}

# fake_users_emails: the fake's users' e-mails, lower-case, sorted.
fake_users_emails() {
	FAKE_URL=$FAKE_URL "$L2I_PY" -c "$_FAKE_PY" emails
}

# fake_user_field EMAIL FIELD: print one field of one user (fails if the
# user is unknown).
fake_user_field() {
	FAKE_URL=$FAKE_URL "$L2I_PY" -c "$_FAKE_PY" field "$1" "$2"
}

# fake_request_count [METHOD [PATH]]: requests to /v3 seen, optionally only
# those with METHOD ("*" = any) and PATH (exact or glob, query ignored).
fake_request_count() {
	FAKE_URL=$FAKE_URL "$L2I_PY" -c "$_FAKE_PY" count "${1:-}" "${2:-}"
}

# fake_write_count: POST requests to /v3 (creates, moves, status changes).
fake_write_count() {
	FAKE_URL=$FAKE_URL "$L2I_PY" -c "$_FAKE_PY" writes
}

# fake_create_attempts EMAIL: how many creates for EMAIL (case-insensitive)
# reached the fake, whatever their answer ("already exists", a fault, a
# 401...): counted on arrival, so one still held counts.  0 if none.
fake_create_attempts() {
	FAKE_URL=$FAKE_URL "$L2I_PY" -c "$_FAKE_PY" attempts "$1"
}

# fake_held: how many requests a "hold" fault parks at the fake now.
fake_held() {
	FAKE_URL=$FAKE_URL "$L2I_PY" -c "$_FAKE_PY" held
}

# fake_release: let every request parked by a "hold" fault go on.
fake_release() {
	fake_post /_fake/release >/dev/null
}

# --- the run lock ------------------------------------------------------------

# hold_lock FILE: another process takes the agent's run lock FILE (a POSIX
# lock, which the agent's OFD lock conflicts with) and writes its PID
# there, as a running agent would; HOLDER_PID names it.  release_lock ends it.
hold_lock() {
	rm -f "$T/lock-held"
	"$L2I_PY" - "$1" "$T/lock-held" <<'EOF' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, b"%d\n" % os.getpid())
open(sys.argv[2], "w").close()
time.sleep(60)
EOF
	HOLDER_PID=$!
	wait_for 10 test -e "$T/lock-held"
}

release_lock() {
	kill "$HOLDER_PID" 2>/dev/null
	wait "$HOLDER_PID" 2>/dev/null
	HOLDER_PID=
}

# --- the agent's configuration ----------------------------------------------

# _wc_section NAME DEFAULTS EXTRA: print a section; a key given in EXTRA
# replaces the default line for the same key.
_wc_section() {
	[ -n "$2$3" ] || return 0
	printf '[%s]\n' "$1"
	_wc_d=$2 _wc_e=$3 awk '
	function key(l) {
		sub(/[ \t]*[=:].*/, "", l); sub(/^[ \t]+/, "", l)
		return tolower(l)
	}
	BEGIN {
		n = split(ENVIRON["_wc_e"], e, "\n")
		for (i = 1; i <= n; i++)
			if (e[i] ~ /^[^ \t;#][^=]*=/)
				seen[key(e[i])] = 1
		m = split(ENVIRON["_wc_d"], d, "\n")
		for (i = 1; i <= m; i++)
			if (d[i] != "" && !(key(d[i]) in seen))
				print d[i]
		for (i = 1; i <= n; i++)
			if (e[i] != "")
				print e[i]
	}'
	echo
}

_wc_secret() {
	(umask 077 && printf '%s\n' "$2" >"$1") && chmod 600 "$1"
}

# write_config FILE: an agent config for the slapd and fake of this test.
# Overrides: CFG_URI, CFG_BIND_DN (set empty: anonymous), CFG_BIND_PW,
# CFG_CA (set empty: no ca_file),
# CFG_BASE_DN, CFG_USER_FILTER, CFG_ID_ATTRIBUTE, CFG_BASE_URL,
# CFG_STATE_FILE, CFG_LOG_LEVEL.  Extra lines (several allowed; a key given
# there replaces the default): CFG_LDAP_EXTRA, CFG_IMOCHA_EXTRA,
# CFG_MAPPING, CFG_BU_MAP, CFG_SYNC_EXTRA, CFG_LOG_EXTRA.
write_config() {
	_wc_bind=${CFG_BIND_DN-${SLAPD_AGENT_DN:-}}
	_wc_ldap="uri = ${CFG_URI:-${SLAPD_URI:-ldap://127.0.0.1:9}}"
	if [ -n "$_wc_bind" ]; then
		_wc_secret "$T/ldap.secret" "${CFG_BIND_PW-${SLAPD_AGENT_PW:-}}"
		_wc_ldap="$_wc_ldap
bind_dn = $_wc_bind
bind_password_file = $T/ldap.secret"
	fi
	_wc_ca=${CFG_CA-${SLAPD_CA:-}}
	[ -n "$_wc_ca" ] && _wc_ldap="$_wc_ldap
ca_file = $_wc_ca"
	_wc_ldap="$_wc_ldap
base_dn = ${CFG_BASE_DN:-ou=People,dc=example,dc=com}
user_filter = ${CFG_USER_FILTER:-(objectClass=inetOrgPerson)}
id_attribute = ${CFG_ID_ATTRIBUTE:-entryUUID}"
	_wc_secret "$T/api.key" "$FAKE_API_KEY"
	_wc_imocha="base_url = ${CFG_BASE_URL:-${FAKE_URL:-http://127.0.0.1:9}}
api_key_file = $T/api.key"
	{
		echo "; written by tests/lib/common.sh write_config"
		_wc_section ldap "$_wc_ldap" "${CFG_LDAP_EXTRA:-}"
		_wc_section imocha "$_wc_imocha" "${CFG_IMOCHA_EXTRA:-}"
		_wc_section mapping "" "${CFG_MAPPING:-}"
		_wc_section business_units "" "${CFG_BU_MAP:-}"
		_wc_section sync "state_file = ${CFG_STATE_FILE:-$T/state.db}" \
		    "${CFG_SYNC_EXTRA:-}"
		_wc_section log "level = ${CFG_LOG_LEVEL:-info}" \
		    "${CFG_LOG_EXTRA:-}"
	} >"$1"
}
