#!/bin/sh
# bench/servers.sh: the per-server rows of `make bench` (POSIX sh).
#
#	make bench [SERVERS="openldap 389 ad"] [SERVER_N=50000] [RUNS=5]
#	make bench SERVERS_ONLY=1 SERVERS=389 SERVER_N=2000 RUNS=3	# alone
#	SERVERS=openldap SERVER_N=1000 RUNS=3 sh bench/servers.sh
#
# bench/run.sh runs it after rows 1 to 6 (or alone, SERVERS_ONLY=1).  For
# each server in SERVERS, one after the other (only one runs at a time):
#	openldap	slapd with syncprov (setup openldap)
#	389		389-DS as installed, content sync off (389-nosync)
#	ad		Samba AD DC, base_dn an OU, over ldaps:// (ad-ou)
# (or any setup of tests/lib/directory.sh by name, 389-sync being its
# "389": content sync on), it starts the server with SERVER_N users
# (default 50,000) in OU Engineering under the setup's base, loaded offline
# (slapd: slapadd, SLAPD_PRELOAD; 389: ldif2db, DS389_PRELOAD; Samba:
# samba_setup.py, SAMBA_PRELOAD, cached by the LDIF's checksum, so only the
# first start at that N pays), and times that start.  The agent's config
# is tests/lib/directory.sh's srv_config for the setup (user_filter,
# id_attribute, disabled_filter, ldaps:// and the CA for AD) plus bench/
# run.sh's [imocha] and [sync] lines; a fake iMocha holds the N users and
# the state store manages them (adopt, then one settling sync), so no run
# has anything to write.  Then RUNS rounds (default 5), each running once,
# interleaved:
#   floor  ldapsearch -E pr=1000/noprompt over the same URI (and CA), as
#          the same account, with the base, filter and attributes of the
#          agent's read: the filter built from the config as the agent
#          builds it, "(&USER_FILTER(!DISABLED_FILTER))" (checked against
#          the agent's own debug log), the attributes id_attribute, mail,
#          cn, givenName, sn, entryUUID (what it asks for by default);
#   full   the agent's `sync --full`, nothing changed (bench/run.sh row 2);
#   incr   where the server offers incremental reads (OpenLDAP only, once
#          an audit trusted it: srv_earn_trust), `sync`, nothing changed
#          (bench/run.sh row 3).
# Medians, min, max and peak RSS per row; the target (the issue): full at
# most 1.25 times floor on every server.  bench/report.py --servers writes
# the "Directory servers" section of BENCHMARKS.md for SERVER_N (the
# servers measured replace theirs; the others stay, with their own date
# and commit).  A server whose packages are missing is reported as skipped.
# L2I_KEEP=1 keeps $T (every run's stdout and stderr in $T/runs/).

L2I_TOP=$(cd "$(dirname "$0")/.." && pwd)
export L2I_TOP
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/directory.sh"

BENCH=$L2I_TOP/bench
. "$BENCH/lib.sh"
PY=/usr/bin/python3
SERVERS=${SERVERS-openldap 389 ad}
SERVER_N=${SERVER_N:-50000}
RUNS=${RUNS:-5}
BENCH_OUT=${BENCH_OUT:-$L2I_TOP/BENCHMARKS.md}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-3600}
# The floor's page size: bench/run.sh row 1's.
FLOOR_PAGE=1000
BU_ID=101
BU_NAME=Engineering

need_count SERVER_N "$SERVER_N"
need_count RUNS "$RUNS"
SETUPS=
for _w in $SERVERS; do
	_s=$(bench_setup_of "$_w") ||
	    die "SERVERS: '$_w' is not a server ($BENCH_SERVER_NAMES)"
	case " $SETUPS " in
	*" $_s "*) ;;
	*) SETUPS="$SETUPS${SETUPS:+ }$_s" ;;
	esac
done
[ -n "$SETUPS" ] || die "SERVERS is empty: no server to measure"
bench_require

t_setup
mkdir "$T/runs" || exit 1
: >"$T/results"
: >"$T/facts"
FULL=$(full_flag)
fact n "$SERVER_N"
fact runs "$RUNS"
fact full_flag "${FULL:-no}"
fact floor_page "$FLOOR_PAGE"
fact load_start "$(cut -d' ' -f1 /proc/loadavg)"

# sfact KEY VALUE: a fact of the server being measured.
sfact() {
	fact "$SETUP.$1" "$2"
}

# ini FILE KEY: KEY's value in the agent config FILE (write_config's
# "key = value" lines).
ini() {
	sed -n "s/^$2 = //p" "$1" | head -n 1
}

# paren FILTER: FILTER in parentheses, as the agent nests it.
paren() {
	case $1 in
	'('*) printf '%s\n' "$1" ;;
	*) printf '(%s)\n' "$1" ;;
	esac
}

# server_version: the server's name and version, for the report.
server_version() {
	case $SRV_KIND in
	openldap)
		/usr/sbin/slapd -VV 2>&1 | sed -n 's/.*\(slapd [^ ]*\).*/\1/p' | head -n 1
		;;
	389)
		/usr/sbin/ns-slapd -v 2>/dev/null | sed -n 's,^389-Directory/\([^ ]*\).*,389-DS \1,p' |
		    head -n 1
		;;
	ad)
		/usr/sbin/samba -V 2>/dev/null | sed 's/^Version /Samba /' | head -n 1
		;;
	esac
}

# users_ldif: the OU and SERVER_N users in the server's own form (what
# the rigs' generators make: userNNNNN, mail userNNNNN@example.com).
users_ldif() {
	case $SRV_KIND in
	ad)
		_ul_ou="OU=$BU_NAME,$SAMBA_PEOPLE"
		printf 'dn: %s\nobjectClass: organizationalUnit\nou: %s\n\n' \
		    "$_ul_ou" "$BU_NAME"
		samba_gen_users "$SERVER_N" "$_ul_ou"
		;;
	*)
		# slapd.sh's generators: 389's suffix is the same.
		[ "$SRV_KIND" = openldap ] || [ "$DS389_SUFFIX" = "$SLAPD_SUFFIX" ] ||
		    die "389's suffix is not slapd's"
		gen_ou "$BU_NAME"
		gen_users "$SERVER_N" "$BU_NAME" 1
		;;
	esac
}

# samba_cached FILE: a cached Samba domain loaded with FILE exists (its
# name ends in FILE's checksum: tests/lib/samba_ad.sh).
samba_cached() {
	[ -f "$(samba_cache_dir)-pre-$(cksum <"$1" | tr ' ' -)/ready" ]
}

# start_loaded LDIF: srv_start with LDIF loaded offline; sfacts the time.
start_loaded() {
	_sl_how=
	case $SRV_KIND in
	openldap)
		SLAPD_PRELOAD=$1
		_sl_how="slapadd -q (SLAPD_PRELOAD)"
		;;
	389)
		DS389_PRELOAD=$1
		_sl_how="ldif2db (DS389_PRELOAD)"
		;;
	ad)
		SAMBA_PRELOAD=$1
		_sl_how="samba_setup.py load (SAMBA_PRELOAD), cached by the LDIF's checksum"
		if samba_cached "$1"; then
			sfact load_cached yes
		else
			sfact load_cached no
			# Measured on 2 cores: 300 users in 2 s, 50,000 in 17 min
			# (each add costs more as the domain grows).
			say "$SETUP: Samba loads $SERVER_N users for the first time" \
			    "(50,000: about 17 minutes; cached after)"
		fi
		;;
	esac
	_sl_t0=$(date +%s.%N)
	srv_start "$SETUP"
	_sl_rc=$?
	unset SLAPD_PRELOAD DS389_PRELOAD SAMBA_PRELOAD
	[ "$_sl_rc" -eq 0 ] || die "$SETUP: the server did not start with the users"
	sfact load_how "$_sl_how"
	sfact load_seconds "$(awk -v a="$_sl_t0" -v b="$(date +%s.%N)" \
	    'BEGIN { printf "%.2f", b - a }')"
	if [ "$SRV_KIND" = 389 ] && [ -f "$SRV_DIR/server/ldif2db.log" ]; then
		# "Import complete.  Processed N entries in S seconds."
		sfact import_seconds "$(sed -n \
		    's/.*Import complete.*Processed [0-9]* entries.* in \([0-9]*\) seconds.*/\1/p' \
		    "$SRV_DIR/server/ldif2db.log" | tail -n 1)"
	fi
}

writes() {
	"$PY" "$BENCH/util.py" writes "$FAKE_URL"
}

# srv_row ROW NAME ARG: one agent sync (ARG: --full or nothing); its writes
# and whether it read incrementally are counted into w_ROW and inc_ROW.
srv_row() {
	_sr_w0=$(writes)
	agent "$SETUP $1" "$2" "$CFG" sync $3
	_sr_w1=$(writes)
	eval "w_$1=\$((w_$1 + _sr_w1 - _sr_w0))"
	incremental_said "$T/runs/$2.err" && eval "inc_$1=\$((inc_$1 + 1))"
	return 0
}

# floor ROW NAME: ldapsearch paged, what the agent reads, as the agent
# (over TLS: verifying the agent's ca_file, as the agent does).
floor() {
	if [ -n "$F_CA" ]; then
		set -- "$1" "$2" env LDAPTLS_CACERT="$F_CA" LDAPTLS_REQCERT=demand
	fi
	measure "$@" ldapsearch -x -H "$F_URI" -D "$F_BIND" -y "$T/$SETUP.pw" \
	    -b "$F_BASE" -E "pr=$FLOOR_PAGE/noprompt" "$F_FILTER" $F_ATTRS
}

bench_server() {
	SETUP=$1
	L2I_SERVER=$SETUP
	# srv_require ends the program (skip_all, 77) when this setup's server
	# cannot run here: ask it in a subshell first.
	if ! _bs_why=$(srv_require 2>&1); then
		say "$SETUP: skipped: $_bs_why"
		sfact skipped "$_bs_why"
		return 0
	fi
	srv_require
	sfact kind "$SRV_KIND"
	sfact version "$(server_version)"

	# --- the server, loaded --------------------------------------------------
	users_ldif >"$T/$SETUP.ldif" || die "$SETUP: the LDIF"
	say "$SETUP: starting it with $SERVER_N users"
	start_loaded "$T/$SETUP.ldif"
	say "$SETUP: up in $(sed -n "s/^$SETUP.load_seconds=//p" "$T/facts") s"
	# srv_earn_trust names users by their short id (directory.sh keeps
	# each one's DN in $SRV_DIR/dn/UID): the first user's.
	sed -n 's/^dn: //p' "$T/$SETUP.ldif" | sed -n 2p >"$SRV_DIR/dn/user00001"
	rm -f "$T/$SETUP.ldif"

	# --- the fake, the config, the state store -------------------------------
	fake_start "$T/fake-$SETUP" --bu "$BU_ID:$BU_NAME" ||
	    die "$SETUP: the fake iMocha did not start"
	"$PY" "$BENCH/util.py" preload "$FAKE_URL" "$SERVER_N" "$BU_ID" ||
	    die "$SETUP: preloading the fake failed"
	CFG=$T/$SETUP.ini
	CFG_BASE_URL=$FAKE_URL CFG_STATE_FILE=$T/$SETUP.db \
	CFG_IMOCHA_EXTRA="requests_per_second = 50
max_in_flight = 8" CFG_SYNC_EXTRA="max_creates = 100%" srv_config "$CFG"

	# The floor's request, from the config the agent reads.
	F_URI=$(ini "$CFG" uri)
	F_BIND=$(ini "$CFG" bind_dn)
	F_CA=$(ini "$CFG" ca_file)
	F_BASE=$(ini "$CFG" base_dn)
	F_ID=$(ini "$CFG" id_attribute)
	_bs_df=$(ini "$CFG" disabled_filter)
	F_FILTER=$(paren "$(ini "$CFG" user_filter)")
	[ -n "$_bs_df" ] && F_FILTER="(&$F_FILTER(!$(paren "$_bs_df")))"
	F_ATTRS=$F_ID
	for _bs_a in mail cn givenName sn entryUUID; do
		case " $(echo "$F_ATTRS" | tr '[:upper:]' '[:lower:]') " in
		*" $(echo "$_bs_a" | tr '[:upper:]' '[:lower:]') "*) ;;
		*) F_ATTRS="$F_ATTRS $_bs_a" ;;
		esac
	done
	# The password without write_config's newline (-y reads it all).
	(umask 077 && printf '%s' "$SRV_AGENT_PW" >"$T/$SETUP.pw")
	sfact uri "$F_URI"
	sfact base "$F_BASE"
	sfact filter "$F_FILTER"
	sfact attrs "$F_ATTRS"
	sfact ca "$([ -n "$F_CA" ] && echo yes || echo no)"

	# Once untimed: what it reads.
	floor - "count-$SETUP"
	_bs_n=$(grep -c '^dn: ' "$T/runs/count-$SETUP.out")
	rm -f "$T/runs/count-$SETUP.out"
	sfact floor_entries "$_bs_n"
	[ "$_bs_n" = "$SERVER_N" ] ||
	    die "$SETUP: ldapsearch read $_bs_n users, not $SERVER_N"

	"$PY" "$BENCH/util.py" csv "$SERVER_N" "$BU_NAME" >"$T/$SETUP.csv" ||
	    die "$SETUP: csv"
	say "$SETUP: adopt of $SERVER_N users, then a settling sync"
	agent - "adopt-$SETUP" "$CFG" adopt "$T/$SETUP.csv"
	sfact adopt_seconds "$M_SECONDS"
	_bs_w0=$(writes)
	agent - "settle-$SETUP" "$CFG" sync
	sfact settle_seconds "$M_SECONDS"
	sfact settle_writes "$(($(writes) - _bs_w0))"
	if srv_incremental; then
		say "$SETUP: audit: trusting the server's incremental reads"
		srv_earn_trust user00001 "$CFG"
		grep -q "they are trusted from now on" "$T/err" ||
		    die "$SETUP: the audit did not trust the server: $(cat "$T/err")"
	fi

	# Once more, untimed, as the rounds will run it but with -v: the
	# agent's debug log names each read of the users ("LDAP search of
	# BASE: FILTER", or "LDAP content sync of BASE: FILTER (...)" where it
	# reads by RFC 4533); the floor's filter must be theirs.
	measure - "check-$SETUP" "$L2I_BIN" -v -c "$CFG" sync $FULL
	_bs_reads=$(_bs_pre=" of $F_BASE: $F_FILTER" awk '
	    / LDAP (search|content sync) of / && index($0, ENVIRON["_bs_pre"]) {
		k = ($0 ~ / LDAP search of /) ? "a paged search" : "a content sync refresh"
		r = substr($0, index($0, ENVIRON["_bs_pre"]) + length(ENVIRON["_bs_pre"]))
		sub(/^ \(/, "", r)
		sub(/\)$/, "", r)
		print k (r != "" ? " (" r ")" : "")
	    }' "$T/runs/check-$SETUP.err")
	[ -n "$_bs_reads" ] || die "$SETUP: the agent's log names no read of" \
	    "$F_BASE with the floor's filter $F_FILTER; it has:" \
	    "$(grep -e 'LDAP search of ' -e 'LDAP content sync of ' \
	    "$T/runs/check-$SETUP.err")"
	sfact agent_user_reads "$(printf '%s\n' "$_bs_reads" | awk '
	    { s = s (NR > 1 ? "; " : "") $0 } END { print s }')"
	sfact agent_user_read_count "$(printf '%s\n' "$_bs_reads" | wc -l)"

	# --- the rounds -----------------------------------------------------------
	say "$SETUP: ldapsearch floor; sync ${FULL:-(no --full yet)}, nothing" \
	    "changed$(srv_incremental && echo '; sync, nothing changed'): $RUNS rounds"
	w_full=0 w_incr=0 inc_full=0 inc_incr=0
	_bs_i=1
	while [ "$_bs_i" -le "$RUNS" ]; do
		floor "$SETUP floor" "floor-$SETUP-$_bs_i"
		srv_row full "full-$SETUP-$_bs_i" "$FULL"
		srv_incremental && srv_row incr "incr-$SETUP-$_bs_i" ""
		_bs_i=$((_bs_i + 1))
	done
	sfact agent_read "$(agent_read "$T/runs/full-$SETUP-1.err")"
	sfact writes_full "$w_full"
	sfact incremental_full "$inc_full"
	if srv_incremental; then
		sfact writes_incr "$w_incr"
		sfact incremental_incr "$inc_incr"
	fi
	srv_stop
	fake_stop "$T/fake-$SETUP"
	sfact measured yes
}

say "SERVERS: $SETUPS; SERVER_N=$SERVER_N RUNS=$RUNS; working in $T"
for SETUP in $SETUPS; do
	bench_server "$SETUP"
done
fact setups "$SETUPS"
machine_facts
"$PY" "$BENCH/report.py" --servers --results "$T/results" --facts "$T/facts" \
    --out "$BENCH_OUT" || die "report.py failed"
