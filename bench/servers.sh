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
#   incr   where the server offers incremental reads (OpenLDAP by RFC
#          4533, AD by DirSync; once an audit trusted it: srv_earn_trust),
#          `sync`, nothing changed (bench/run.sh row 3).  On AD the server
#          is idle too: nothing written on the DC since the last read, so
#          the agent, finding the rootDSE's highestCommittedUSN where its
#          cookie left it, asks no DirSync at all;
#   incrw  on AD only: ONE write on the DC that changes no user, untimed
#          (INCRW_ATTR of INCRW_DN: CN=Users, the container every Samba
#          domain has, outside ad-ou's base_dn; a value naming the round),
#          by ldapmodify as the administrator; then `sync`, timed.  The
#          USN moved, so the agent asks its DirSync, and Samba answers it
#          with its pass over the naming context (usnscan below): the cost
#          of an incremental run on a DC where anything at all was written
#          since the last one.  (OpenLDAP has no such skip: its every
#          incremental sync sends the same content sync refresh, so incr
#          is already that case there.)
#   incr100  there too: CHANGED (100) users get a new display name (the
#          config's name_attribute: AD's displayName, OpenLDAP's cn; other
#          users each round, a value naming the round), untimed, by one
#          ldapmodify as the server's administrator; then `sync`, timed.
#          The agent records a display name and sends nothing (iMocha
#          cannot rename), so the fake iMocha is not in the time.
#   usnscan  on AD, beside them, a reference: ldapsearch as the agent of
#          the naming context (DirSync's base) for (uSNChanged>=HUGE), which
#          nothing matches: what Samba's DirSync module asks of its
#          database for a cookie (it adds (uSNChanged>=the cookie's USN + 1)
#          to the filter), the server's own share of an incremental run
#          that asks a DirSync (incrw, incr100; not incr on an idle DC).
# Every timed incr, incrw and incr100 run must say "directory read
# incremental" in its log (and incr100 read CHANGED users, incr and incrw
# none): one that read in full, or read another number, stops the bench
# (files kept) rather than report a wrong figure.  On AD, whether each
# timed incremental run asked a DirSync is read, untimed, from the state
# store: the USN its DirSync cookie keeps (dirsync1;FLAGS;USN;HEX;DC) moves
# exactly when the agent found highestCommittedUSN moved and asked one
# (src/ldap/ldapdirsync.c, read_changes).  The timed runs are not -v, as
# in every other row; after the rounds one untimed -v run of each (incr,
# incrw, incr100) shows the agent's own log, and its word ("no write on
# the domain controller since the last read", or a DirSync) must agree
# with the cookie's.  An incrw run that asked no DirSync stops the bench:
# it would time the idle case twice.  On those servers `sync --full` is an
# audit of the incremental reads (an incremental read, then a full one,
# compared): the full row includes it, as it would in production.
# Medians, min, max and peak RSS per row; the targets (the issue): full at
# most 1.25 times floor on every server; incr under 50 ms and incr100
# under 150 ms on OpenLDAP (bench/run.sh rows 3 and 4), under 100 ms and
# 300 ms on AD (issue #16); incrw as incr, under 100 ms.  bench/report.py
# --servers writes the "Directory servers" section of BENCHMARKS.md for
# SERVER_N (the servers measured replace theirs; the others stay, with
# their own date and commit).  A server whose packages are missing is
# reported as skipped.
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
# Users given a new display name before each incr100 run.
CHANGED=100
# The one write before each incrw run (AD): this attribute of an entry
# outside the users (INCRW_DN, set per server: CN=Users of the domain).
INCRW_ATTR=description

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

# need_incremental ROW NAME WANT: the run NAME said "directory read
# incremental" (the line directory.sh's srv_read_mode reads) and read WANT
# users (its "summary: read N,"); else the bench stops, files kept: a row
# of incremental runs must not time a full read, or a read that missed
# the changes.
need_incremental() {
	_ni_err=$T/runs/$2.err
	if ! grep -q 'directory read incremental' "$_ni_err"; then
		L2I_KEEP=1
		die "$SETUP $1: $2 did not read incrementally ($(grep 'directory read' \
		    "$_ni_err" || echo 'no "directory read" line in its log')); stopped," \
		    "files kept in $T"
	fi
	_ni_read=$(agent_read "$_ni_err")
	if [ "$_ni_read" != "$3" ]; then
		L2I_KEEP=1
		die "$SETUP $1: $2 read incrementally, but ${_ni_read:-no} users, not $3;" \
		    "stopped, files kept in $T"
	fi
}

# cookie_usn: the highestCommittedUSN the stored DirSync cookie keeps
# ("dirsync1;FLAGS;USN;COOKIE-HEX;DC", src/ldap/ldapdirsync_ctl.c; the
# state store's meta sync_cookie), or nothing without such a cookie.
cookie_usn() {
	"$PY" -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
r = db.execute("SELECT value FROM meta WHERE key = ?", ("sync_cookie",)).fetchone()
p = (r[0] or "").split(";") if r else []
print(p[2] if len(p) >= 5 and p[0] == "dirsync1" else "")
' "$T/$SETUP.db" || die "$SETUP: reading the state store's cookie failed"
}

# no_dirsync BEFORE AFTER: the run between the two cookie_usn values asked
# no DirSync.  read_changes asks one exactly when the DC's USN moved (or
# is unknown: 0), and then stores the new USN in the cookie.
no_dirsync() {
	[ -n "$1" ] && [ "$1" != 0 ] && [ "$1" = "$2" ]
}

# incr_row ROW NAME WANT: srv_row ROW NAME (a `sync`) and need_incremental
# ROW NAME WANT; on AD also whether it asked a DirSync (the cookie's USN,
# untimed, before and after), counted into ds_ROW (asked) and nods_ROW
# (not), and said in $T/runs/NAME.dirsync (asked, not asked).
incr_row() {
	[ "$SRV_KIND" = ad ] && _ir_u0=$(cookie_usn)
	srv_row "$1" "$2" ""
	need_incremental "$1" "$2" "$3"
	[ "$SRV_KIND" = ad ] || return 0
	[ -n "$_ir_u0" ] || die "$SETUP $1: no DirSync cookie in the state store before $2"
	_ir_u1=$(cookie_usn)
	[ -n "$_ir_u1" ] || die "$SETUP $1: $2 left no DirSync cookie in the state store"
	if no_dirsync "$_ir_u0" "$_ir_u1"; then
		eval "nods_$1=\$((nods_$1 + 1))"
		echo "not asked (USN $_ir_u1)" >"$T/runs/$2.dirsync"
	else
		eval "ds_$1=\$((ds_$1 + 1))"
		echo "asked (USN $_ir_u0 -> $_ir_u1)" >"$T/runs/$2.dirsync"
	fi
}

# need_dirsync ROW NAME: the run NAME (incr_row) asked a DirSync; else the
# bench stops, files kept.
need_dirsync() {
	case $(cat "$T/runs/$2.dirsync") in
	asked*) ;;
	*)
		L2I_KEEP=1
		die "$SETUP $1: $2 asked no DirSync after a write on the DC" \
		    "($(cat "$T/runs/$2.dirsync")); stopped, files kept in $T"
		;;
	esac
}

# unrelated_write ROUND: the one write of incrw, as the administrator:
# INCRW_ATTR of INCRW_DN, a value naming ROUND (a value equal to the old
# one might not be a write).
unrelated_write() {
	printf 'dn: %s\nchangetype: modify\nreplace: %s\n%s: ldap2imocha bench incrw round %d\n-\n\n' \
	    "$INCRW_DN" "$INCRW_ATTR" "$INCRW_ATTR" "$1" | srv_modify ||
	    die "$SETUP: the write to $INCRW_DN failed"
}

# check_run ROW NAME WANT: one more `sync -v`, untimed (after the rounds),
# as incr_row times it; on AD its log's word on the DirSync must agree
# with the cookie's (how the timed runs were told); sfacts
# check_ROW_dirsync (asked, not asked) and agent_ROW_reads (user_reads).
check_run() {
	[ "$SRV_KIND" = ad ] && _cr_u0=$(cookie_usn)
	measure - "$2" "$L2I_BIN" -v -c "$CFG" sync
	need_incremental "$1" "$2" "$3"
	user_reads "$T/runs/$2.err" >"$T/$SETUP.reads"
	sfact "agent_$1_reads" "$(joined "$T/$SETUP.reads")"
	[ "$SRV_KIND" = ad ] || return 0
	_cr_u1=$(cookie_usn)
	# A DirSync round is logged as a search of the naming context for
	# (objectClass=*) (the NC: the "LDAP DirSync of NC: N objects named" line).
	_cr_nc=$(sed -n 's/.* LDAP DirSync of \([^:]*\): [0-9]* objects named.*/\1/p' \
	    "$T/runs/$2.err" | tail -n 1)
	[ -n "$_cr_nc" ] || die "$SETUP $1: $2's log names no read of the changes"
	_cr_round=0
	grep -qF " LDAP search of $_cr_nc: (objectClass=*)" "$T/runs/$2.err" &&
	    _cr_round=1
	if grep -q 'no write on the domain controller since the last read' \
	    "$T/runs/$2.err"; then
		_cr_log="not asked"
		[ "$_cr_round" = 0 ] || die "$SETUP $1: $2's log says it asked no" \
		    "DirSync, yet names a DirSync round of $_cr_nc"
	else
		[ "$_cr_round" = 1 ] || die "$SETUP $1: $2's log says neither" \
		    "that it skipped the DirSync nor a DirSync round of $_cr_nc"
		_cr_log=asked
	fi
	if no_dirsync "$_cr_u0" "$_cr_u1"; then
		_cr_ck="not asked"
	else
		_cr_ck=asked
	fi
	if [ "$_cr_log" != "$_cr_ck" ]; then
		L2I_KEEP=1
		die "$SETUP $1: $2's log says the DirSync was $_cr_log, its cookie" \
		    "(USN $_cr_u0 -> $_cr_u1) that it was $_cr_ck: the timed runs'" \
		    "count cannot be trusted; stopped, files kept in $T"
	fi
	sfact "check_$1_dirsync" "$_cr_log"
}

# changes ROUND: LDIF giving CHANGED_N users, spread evenly over the
# SERVER_N and others each round, a new display name (NAME_ATTR) that
# names ROUND: "User NNNNN rROUND".  $T/$SETUP.dns holds the users' DNs,
# user I on line I.
changes() {
	awk -v n="$SERVER_N" -v c="$CHANGED_N" -v r="$1" -v a="$NAME_ATTR" '
	{ dn[NR] = $0 }
	END {
		step = int(n / c)
		if (step < 1)
			step = 1
		for (k = 0; k < c; k++) {
			i = 1 + k * step + (r - 1) % step
			printf "dn: %s\nchangetype: modify\nreplace: %s\n%s: User %05d r%d\n-\n\n",
			    dn[i], a, a, i, r
		}
	}' "$T/$SETUP.dns"
}

# user_reads FILE: the reads of users a -v run's log FILE names, one a
# line: the searches of base_dn with the floor's filter ("LDAP search of
# BASE: FILTER"), the content sync refreshes ("LDAP content sync of BASE:
# FILTER (WHAT)"), and on AD the DirSync reads of changes ("LDAP DirSync
# of NC: N objects named, ..."; its round is logged as a search of the
# naming context, not listed), the DirSync naming nothing that takes the
# cookie of a full read ("DirSync with ..."), and the searches reading
# changed users again by objectGUID (base_dn, the filter and "(|(objectGUID=").
# A read of the changes that asked no DirSync (the DC's highestCommittedUSN
# unmoved: "no write on the domain controller since the last read") still
# logs its "LDAP DirSync of NC: 0 objects named" line: it is listed as such.
user_reads() {
	_ur_pre=" of $F_BASE: $F_FILTER" _ur_base=" of $F_BASE: " awk '
	    / LDAP (search|content sync) of / && index($0, ENVIRON["_ur_pre"]) {
		k = ($0 ~ / LDAP search of /) ? "a paged search" : "a content sync refresh"
		r = substr($0, index($0, ENVIRON["_ur_pre"]) + length(ENVIRON["_ur_pre"]))
		sub(/^ \(/, "", r)
		sub(/\)$/, "", r)
		print k (r != "" ? " (" r ")" : "")
		next
	    }
	    / LDAP search of / && index($0, ENVIRON["_ur_base"]) &&
	    index($0, "(|(objectGUID=") { byguid++; next }
	    / no write on the domain controller since the last read / {
		usn = $0
		sub(/.*\(highestCommittedUSN /, "", usn)
		sub(/\).*/, "", usn)
		nods = 1
		next
	    }
	    / LDAP DirSync of .*: [0-9]+ objects named/ {
		sub(/.* LDAP DirSync of [^:]*: /, "")
		if (nods)
			print "a read of the changes since the last read asking no DirSync" \
			    " (the DC'"'"'s highestCommittedUSN, " usn ", unmoved: no write" \
			    " on it since)"
		else
			print "a DirSync of the changes since the last read (" $0 ")"
		nods = 0
		if (byguid)
			print byguid " search" (byguid > 1 ? "es" : "") " of base_dn" \
			    " reading those users again by objectGUID"
		byguid = 0
		next
	    }
	    / debug: LDAP [^ ]*: DirSync with / {
		print "a DirSync naming nothing, for the full read'"'"'s cookie"
	    }' "$1"
}

# usnscan ROW NAME: ldapsearch, as the agent, of the naming context for
# (uSNChanged>=USN_HUGE) (AD only: see the top).
USN_HUGE=999999999999
usnscan() {
	measure "$1" "$2" env LDAPTLS_CACERT="$F_CA" LDAPTLS_REQCERT=demand \
	    ldapsearch -x -H "$F_URI" -D "$F_BIND" -y "$T/$SETUP.pw" \
	    -b "$SRV_SUFFIX" "(uSNChanged>=$USN_HUGE)" 1.1
}

# joined FILE: FILE's lines joined by "; ".
joined() {
	awk '{ s = s (NR > 1 ? "; " : "") $0 } END { print s }' "$1"
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
	# The users' DNs, user I on line I (the OU first in the LDIF).
	sed -n 's/^dn: //p' "$T/$SETUP.ldif" | sed 1d >"$T/$SETUP.dns"
	sed -n 1p "$T/$SETUP.dns" >"$SRV_DIR/dn/user00001"
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
	# The display name (the agent's default: cn).
	NAME_ATTR=$(ini "$CFG" name_attribute)
	NAME_ATTR=${NAME_ATTR:-cn}
	CHANGED_N=$CHANGED
	[ "$SERVER_N" -lt "$CHANGED_N" ] && CHANGED_N=$SERVER_N
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
	# reads by RFC 4533; on AD also its DirSync reads: user_reads); the
	# floor's filter must be theirs.
	measure - "check-$SETUP" "$L2I_BIN" -v -c "$CFG" sync $FULL
	user_reads "$T/runs/check-$SETUP.err" >"$T/$SETUP.reads"
	grep -q -e '^a paged search' -e '^a content sync refresh' "$T/$SETUP.reads" ||
	    die "$SETUP: the agent's log names no read of" \
	    "$F_BASE with the floor's filter $F_FILTER; it has:" \
	    "$(grep -e 'LDAP search of ' -e 'LDAP content sync of ' \
	    "$T/runs/check-$SETUP.err")"
	sfact agent_user_reads "$(joined "$T/$SETUP.reads")"
	sfact agent_user_read_count "$(wc -l <"$T/$SETUP.reads")"

	# incrw's entry (AD): CN=Users of the domain, an entry it has.
	INCRW_DN=
	if [ "$SRV_KIND" = ad ]; then
		INCRW_DN="CN=Users,$SRV_SUFFIX"
		_srv_rig search -b "$INCRW_DN" -s base 1.1 2>/dev/null |
		    grep -qi "^dn: $INCRW_DN\$" ||
		    die "$SETUP: no $INCRW_DN on the DC, for incrw's write"
	fi

	# --- the rounds -----------------------------------------------------------
	_bs_w=
	[ -n "$INCRW_DN" ] && _bs_w="; sync after one write to $INCRW_DN"
	say "$SETUP: ldapsearch floor; sync ${FULL:-(no --full yet)}, nothing" \
	    "changed$(srv_incremental && echo "; sync, nothing changed$_bs_w;" \
	    "sync after $CHANGED_N $NAME_ATTR changes"): $RUNS rounds"
	w_full=0 w_incr=0 w_incrw=0 w_incr100=0
	inc_full=0 inc_incr=0 inc_incrw=0 inc_incr100=0
	ds_incr=0 ds_incrw=0 ds_incr100=0 nods_incr=0 nods_incrw=0 nods_incr100=0
	_bs_i=1
	while [ "$_bs_i" -le "$RUNS" ]; do
		floor "$SETUP floor" "floor-$SETUP-$_bs_i"
		srv_row full "full-$SETUP-$_bs_i" "$FULL"
		if srv_incremental; then
			[ "$SRV_KIND" = ad ] &&
			    usnscan "$SETUP usnscan" "usnscan-$SETUP-$_bs_i"
			incr_row incr "incr-$SETUP-$_bs_i" 0
			if [ -n "$INCRW_DN" ]; then
				# Untimed: one write that changes no user.
				unrelated_write "$_bs_i"
				incr_row incrw "incrw-$SETUP-$_bs_i" 0
				need_dirsync incrw "incrw-$SETUP-$_bs_i"
			fi
			# Untimed: the changes, as the administrator.
			changes "$_bs_i" | srv_modify ||
			    die "$SETUP: changing $CHANGED_N users failed"
			incr_row incr100 "incr100-$SETUP-$_bs_i" "$CHANGED_N"
		fi
		_bs_i=$((_bs_i + 1))
	done
	sfact agent_read "$(agent_read "$T/runs/full-$SETUP-1.err")"
	sfact writes_full "$w_full"
	sfact incremental_full "$inc_full"
	if srv_incremental; then
		sfact writes_incr "$w_incr"
		sfact incremental_incr "$inc_incr"
		sfact writes_incr100 "$w_incr100"
		sfact incremental_incr100 "$inc_incr100"
		sfact changed "$CHANGED_N"
		sfact changed_attr "$NAME_ATTR"
		if [ "$SRV_KIND" = ad ]; then
			sfact usnscan_base "$SRV_SUFFIX"
			sfact usnscan_filter "(uSNChanged>=$USN_HUGE)"
			sfact usnscan_entries "$(grep -c '^dn: ' \
			    "$T/runs/usnscan-$SETUP-1.out")"
			sfact writes_incrw "$w_incrw"
			sfact incremental_incrw "$inc_incrw"
			sfact incrw_dn "$INCRW_DN"
			sfact incrw_attr "$INCRW_ATTR"
			# How many timed runs asked a DirSync, and how many not.
			for _bs_r in incr incrw incr100; do
				eval "sfact dirsync_asked_$_bs_r \$ds_$_bs_r"
				eval "sfact dirsync_skipped_$_bs_r \$nods_$_bs_r"
			done
		fi
		# Once more each, untimed, with -v: how an incremental run reads
		# nothing changed (on AD: the DC idle), one unrelated write (AD),
		# the changes.
		check_run incr "check-incr-$SETUP" 0
		if [ -n "$INCRW_DN" ]; then
			unrelated_write $((RUNS + 1))
			check_run incrw "check-incrw-$SETUP" 0
			[ "$(sed -n "s/^$SETUP.check_incrw_dirsync=//p" "$T/facts")" = asked ] || {
				L2I_KEEP=1
				die "$SETUP incrw: check-incrw-$SETUP asked no DirSync after a" \
				    "write on the DC; stopped, files kept in $T"
			}
		fi
		changes $((RUNS + 1)) | srv_modify ||
		    die "$SETUP: changing $CHANGED_N users failed"
		check_run incr100 "check-incr100-$SETUP" "$CHANGED_N"
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
