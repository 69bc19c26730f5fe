#!/bin/sh
# tests/integration/rig_samba.sh: self-test of the Samba AD DC rig
# (tests/lib/samba_ad.sh, tests/lib/samba_setup.py).
#
# One domain carries most cases; two more start at the same moment beside
# it (the address claim), one of them from a SAMBA_PRELOAD file, and one of
# those gets a clone: a second DC of its domain (samba_clone_dc), for
# failover.  Each case checks one promise the AD integration tests build
# on.  Timings go out as diagnostic lines.

: "${L2I_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/samba_ad.sh"

samba_require
t_setup
# No ~/.ldaprc of the machine's user may change what the tools do.
HOME=$T
export HOME
unset LDAPTLS_CACERT LDAPTLS_REQCERT LDAPTLS_CACERTDIR
# sort and the byte patterns below: one order, whatever the locale.
LC_ALL=C
export LC_ALL
: >"$T/marker"

# fails CMD...: true when CMD fails (a case that expects an error).
fails() {
	! "$@"
}

count_dns() {
	grep -c '^dn: '
}

# now: seconds since the epoch, with fractions.
now() {
	date +%s.%N
}

# since T0: seconds from T0 to now, two decimals.
since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f\n", b - a }'
}

# tls_search CA URI ARGS...: ldapsearch that verifies the server against CA.
tls_search() {
	_ts_ca=$1 _ts_uri=$2
	shift 2
	LDAPTLS_CACERT=$_ts_ca LDAPTLS_REQCERT=demand ldapsearch -x -LLL \
	    -o ldif-wrap=no -o nettimeout=5 -H "$_ts_uri" "$@"
}

# pgid PID: the process group of PID.
pgid() {
	awk '{ sub(/^.*\) /, ""); print $3 }' /proc/"$1"/stat 2>/dev/null
}

# guid_of B64: the GUID text form computed apart from the rig (Python's
# uuid, little-endian fields), to check samba_guid against.
guid_of() {
	"$L2I_PY" -c 'import base64, sys, uuid
print(uuid.UUID(bytes_le=base64.b64decode(sys.argv[1])))' "$1"
}

# --- one domain ---------------------------------------------------------------

t0=$(now)
if samba_start "$T/ad"; then
	ok "samba_start: a domain answers on $SAMBA_LDAPS_URI"
else
	not_ok "samba_start: a domain answers"
	t_done
fi
diag "samba_start: $(since "$t0") s"
A_ADDR=$SAMBA_ADDR A_URI=$SAMBA_URI A_LDAPS=$SAMBA_LDAPS_URI A_CA=$SAMBA_CA
A_PID=$SAMBA_PID
case $A_ADDR in
127.0.0.1) not_ok "an address of its own" "got 127.0.0.1" ;;
127.0.0.*) ok "an address of its own: $A_ADDR" ;;
*) not_ok "an address of its own" "got '$A_ADDR'" ;;
esac
check_eq "the URIs name that address" "$A_URI $A_LDAPS" \
    "ldap://$A_ADDR ldaps://$A_ADDR"
check_eq "the root process leads its own process group" "$(pgid "$A_PID")" \
    "$A_PID"
out=$(tls_search "$A_CA" "$A_LDAPS" -b "" -s base defaultNamingContext \
    dnsHostName 2>&1)
check_eq "the rootDSE names the domain and the DC" "$out" "dn:
defaultNamingContext: $SAMBA_SUFFIX
dnsHostName: $SAMBA_HOST"
out=$(samba_search "$T/ad" -s one '(objectClass=organizationalUnit)' ou |
    sed -n 's/^ou: //p' | sort | tr '\n' ' ')
check_contains "OU=People and OU=Services exist" "$out" "People Services "
check_eq "OU=People starts empty" \
    "$(samba_search "$T/ad" -b "$SAMBA_PEOPLE" -s one dn | count_dns)" 0

# --- TLS and binds --------------------------------------------------------------

check "ldaps:// verified against the rig's CA (service account)" \
    tls_search "$A_CA" "$A_LDAPS" -D "$SAMBA_AGENT_DN" -y "$T/ad/agentpw" \
    -b "$SAMBA_PEOPLE" -s base dn
check "ldaps:// without the rig's CA fails" fails env LDAPTLS_REQCERT=demand \
    ldapsearch -x -H "$A_LDAPS" -o nettimeout=5 -b "" -s base
check "StartTLS (-ZZ) on ldap:// with the rig's CA" \
    tls_search "$A_CA" "$A_URI" -ZZ -D "$SAMBA_AGENT_DN" -y "$T/ad/agentpw" \
    -b "$SAMBA_PEOPLE" -s base dn
out=$(ldapsearch -x -H "$A_URI" -o nettimeout=5 -D "$SAMBA_AGENT_DN" \
    -y "$T/ad/agentpw" -b "$SAMBA_PEOPLE" -s base dn 2>&1)
rc=$?
check_eq "plain ldap://: a simple bind is refused (8)" "$rc" 8
check_contains "plain ldap://: the refusal says why" "$out" \
    "BindSimple: Transport encryption required"
check "plain ldap:// answers an anonymous rootDSE read" \
    ldapsearch -x -H "$A_URI" -o nettimeout=5 -b "" -s base
check "the service account binds by UPN too" \
    tls_search "$A_CA" "$A_LDAPS" -D "imocha-sync@example.com" \
    -y "$T/ad/agentpw" -b "" -s base
check "a wrong password is refused" fails \
    tls_search "$A_CA" "$A_LDAPS" -D "$SAMBA_AGENT_DN" -w wrong -b "" -s base
out=$(printf 'dn: OU=X,%s\nobjectClass: organizationalUnit\n\n' "$SAMBA_PEOPLE" |
    LDAPTLS_CACERT=$A_CA ldapadd -x -H "$A_LDAPS" -D "$SAMBA_AGENT_DN" \
    -y "$T/ad/agentpw" 2>&1)
check_eq "the service account is no admin: its add is refused (50)" "$?" 50

# --- users -----------------------------------------------------------------------

t0=$(now)
dn=$(samba_user_add "$T/ad" "$SAMBA_PEOPLE" ann ann@example.com Ann Active)
check_eq "samba_user_add prints the new DN" "$dn" "CN=Ann Active,$SAMBA_PEOPLE"
diag "samba_user_add: $(since "$t0") s"
out=$(samba_agent_search "$T/ad" -b "$dn" -s base userAccountControl mail \
    givenName sn displayName sAMAccountName userPrincipalName 2>&1 | sort)
check_eq "the user is enabled (512), with its attributes" "$out" "
displayName: Ann Active
dn: $dn
givenName: Ann
mail: ann@example.com
sAMAccountName: ann
sn: Active
userAccountControl: 512
userPrincipalName: ann@example.com"
check "the user binds with SAMBA_USER_PW" tls_search "$A_CA" "$A_LDAPS" \
    -D "$dn" -y "$T/ad/userpw" -b "" -s base

dn2=$(samba_user_add "$T/ad" "$SAMBA_PEOPLE" zoe "" "Zoë" "O'Brien, Jr")
check_eq "a name with a comma is escaped in the DN" "$dn2" \
    "CN=Zoë O'Brien\\, Jr,$SAMBA_PEOPLE"
out=$(samba_search "$T/ad" -b "$dn2" -s base mail displayName | sort)
check_eq "an empty MAIL leaves mail out; UTF-8 goes in as base64" "$out" "
displayName:: $(printf '%s' "Zoë O'Brien, Jr" | base64)
dn:: $(printf '%s' "$dn2" | base64)"

b64=$(samba_search "$T/ad" -b "$dn" -s base objectGUID |
    sed -n 's/^objectGUID:: //p')
guid=$(samba_guid "$T/ad" "$dn")
check_eq "samba_guid: AD's text form of objectGUID" "$guid" "$(guid_of "$b64")"

# The agent itself must print the GUID so (ldap2imocha's user_id_printable).
if [ -x "$L2I_BIN" ] && command -v sqlite3 >/dev/null 2>&1 &&
    fake_start "$T/fake"; then
	CFG_URI=$A_LDAPS CFG_BIND_DN=$SAMBA_AGENT_DN CFG_BIND_PW=$SAMBA_AGENT_PW \
	CFG_BASE_DN=$SAMBA_PEOPLE \
	CFG_USER_FILTER="(&(objectClass=user)(objectCategory=person))" \
	CFG_ID_ATTRIBUTE=objectGUID CFG_LDAP_EXTRA="ca_file = $A_CA
disabled_filter = (userAccountControl:1.2.840.113556.1.4.803:=2)
name_attribute = displayName" write_config "$T/agent.ini"
	run_agent -c "$T/agent.ini" sync
	check_eq "the agent syncs from the domain" "$RC" 0 ||
	    sed 's/^/# /' "$T/err"
	check_eq "the agent keys the user on the GUID samba_guid prints" \
	    "$(sqlite3 "$T/state.db" "SELECT entry_id FROM directory_entry WHERE email = 'ann@example.com'")" \
	    "$guid"
	fake_stop "$T/fake"
else
	skip "the agent keys the user on the GUID samba_guid prints" \
	    "needs $L2I_BIN, sqlite3 and the fake iMocha"
fi

# --- disable, enable, rename, move, delete ------------------------------------------

disabled='(userAccountControl:1.2.840.113556.1.4.803:=2)'
samba_user_disable "$T/ad" "$dn"
check_eq "samba_user_disable: 514" "$(samba_uac "$T/ad" "$dn")" 514
check_eq "the bit-and filter finds it" \
    "$(samba_agent_search "$T/ad" -b "$SAMBA_PEOPLE" "$disabled" dn)" \
    "dn: $dn"
samba_user_enable "$T/ad" "$dn"
check_eq "samba_user_enable: 512" "$(samba_uac "$T/ad" "$dn")" 512
check_eq "the bit-and filter finds none" \
    "$(samba_agent_search "$T/ad" -b "$SAMBA_PEOPLE" "$disabled" dn)" ""

samba_add "$T/ad" <<EOF
dn: OU=Moved,$SAMBA_PEOPLE
objectClass: organizationalUnit
EOF
check_eq "samba_add of an OU" "$?" 0

renamed="CN=Ann Renamed,$SAMBA_PEOPLE"
samba_modrdn "$T/ad" "$dn" "CN=Ann Renamed"
check_eq "rename: the old DN is gone (32)" \
    "$(samba_search "$T/ad" -b "$dn" -s base dn >/dev/null 2>&1; echo $?)" 32
check_eq "rename: same GUID under the new DN" \
    "$(samba_guid "$T/ad" "$renamed")" "$guid"
check_eq "rename: cn, name and displayName" \
    "$(samba_search "$T/ad" -b "$renamed" -s base cn name displayName | sort)" "
cn: Ann Renamed
displayName: Ann Active
dn: $renamed
name: Ann Renamed"
moved="CN=Ann Renamed,OU=Moved,$SAMBA_PEOPLE"
samba_modrdn "$T/ad" "$renamed" "CN=Ann Renamed" "OU=Moved,$SAMBA_PEOPLE"
check_eq "move: same GUID in the new OU" "$(samba_guid "$T/ad" "$moved")" \
    "$guid"
samba_modrdn "$T/ad" -r -s "$SAMBA_PEOPLE" "$moved" "CN=Ann Back"
check_eq "slapd_modrdn's argument shape works too" \
    "$(samba_guid "$T/ad" "CN=Ann Back,$SAMBA_PEOPLE")" "$guid"
samba_delete "$T/ad" "CN=Ann Back,$SAMBA_PEOPLE"
check_eq "delete: gone (32)" "$(samba_search "$T/ad" -b "CN=Ann Back,$SAMBA_PEOPLE" \
    -s base dn >/dev/null 2>&1; echo $?)" 32
check_eq "delete: not found by sAMAccountName" \
    "$(samba_search "$T/ad" -b "$SAMBA_PEOPLE" '(sAMAccountName=ann)' dn)" ""
samba_user_add "$T/ad" "OU=Moved,$SAMBA_PEOPLE" bea bea@example.com Bea B \
    >/dev/null
samba_delete "$T/ad" -r "OU=Moved,$SAMBA_PEOPLE"
check_eq "delete -r: a subtree" \
    "$(samba_search "$T/ad" -b "OU=Moved,$SAMBA_PEOPLE" dn >/dev/null 2>&1; echo $?)" 32

# --- referrals and paging --------------------------------------------------------

out=$(samba_agent_search "$T/ad" '(sAMAccountName=zoe)' dn 2>&1)
check_contains "a search at the domain root returns a continuation reference" \
    "$out" "# refldaps://example.com/CN=Configuration,$SAMBA_SUFFIX"

samba_add "$T/ad" <<EOF
dn: OU=Bulk,$SAMBA_PEOPLE
objectClass: organizationalUnit
EOF
t0=$(now)
check "samba_bulk_add: 600 users" samba_bulk_add "$T/ad" 600 "OU=Bulk,$SAMBA_PEOPLE"
diag "samba_bulk_add 600: $(since "$t0") s"
out=$(samba_agent_search "$T/ad" -E pr=100/noprompt -b "OU=Bulk,$SAMBA_PEOPLE" \
    '(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))' dn 2>&1)
check_eq "the service account reads all 600, enabled, in pages" \
    "$(printf '%s\n' "$out" | count_dns)" 600
# Samba ends a read of exactly 6 full pages with a 7th, empty one.
check "in pages of 100" test \
    "$(printf '%s\n' "$out" | grep -c '^# pagedresults: ')" -ge 6
check_eq "bulk users: as samba_gen_users says" \
    "$(samba_agent_search "$T/ad" -b "OU=Bulk,$SAMBA_PEOPLE" '(sAMAccountName=user00600)' \
    mail givenName sn displayName userAccountControl | sort)" "
displayName: User 00600
dn: CN=User 00600,OU=Bulk,$SAMBA_PEOPLE
givenName: User
mail: user00600@example.com
sn: 00600
userAccountControl: 512"

# --- two more at once -------------------------------------------------------------

{
	printf 'dn: OU=Pre,%s\nobjectClass: organizationalUnit\n\n' "$SAMBA_PEOPLE"
	samba_gen_users 300 "OU=Pre,$SAMBA_PEOPLE"
} >"$T/pre.ldif"
t0=$(now)
(samba_start "$T/b" >"$T/b.out" 2>&1; echo $? >"$T/b.rc") &
pid_b=$!
(SAMBA_PRELOAD=$T/pre.ldif samba_start "$T/c" >"$T/c.out" 2>&1
    echo $? >"$T/c.rc") &
wait "$pid_b" $!
diag "two samba_start at once (one with SAMBA_PRELOAD): $(since "$t0") s"
check_eq "two instances start at the same moment" \
    "$(cat "$T/b.rc" "$T/c.rc" | tr '\n' ' ')" "0 0 " ||
    diag "$(cat "$T/b.out" "$T/c.out")"
B_ADDR=$(cat "$T/b/addr") C_ADDR=$(cat "$T/c/addr")
check "three instances, three addresses" test "$A_ADDR" != "$B_ADDR" \
    -a "$A_ADDR" != "$C_ADDR" -a "$B_ADDR" != "$C_ADDR"
check "each verifies with its own CA" tls_search "$T/b/tls/ca.pem" \
    "ldaps://$B_ADDR" -b "" -s base
check "another instance's CA is refused" fails tls_search "$A_CA" \
    "ldaps://$B_ADDR" -b "" -s base
check_eq "the instances hold separate data" \
    "$(samba_search "$T/b" -b "$SAMBA_PEOPLE" '(sAMAccountName=zoe)' dn)" ""
check_eq "SAMBA_PRELOAD: its 300 users are there" \
    "$(samba_agent_search "$T/c" -E pr=1000/noprompt -b "OU=Pre,$SAMBA_PEOPLE" \
    '(objectClass=user)' dn | count_dns)" 300
check_eq "without SAMBA_PRELOAD: none" \
    "$(samba_search "$T/b" -b "$SAMBA_PEOPLE" -s one dn | count_dns)" 0
samba_use "$T/b"
check_eq "samba_use switches to another instance" "$SAMBA_URI" "ldap://$B_ADDR"
samba_stop "$T/c"

# --- a second DC of the same domain ----------------------------------------------

# The first DC here is $T/b (running, small: a clone costs more with each
# object); $T/d is its clone.

# rootdse DIR ATTR: ATTR of the rootDSE of the DC in DIR.
rootdse() {
	tls_search "$1/tls/ca.pem" "$(cat "$1/ldaps_uri")" -b "" -s base "$2" |
	    sed -n "s/^$2: //p"
}

# invocation_id DIR: the invocationId (base64) of the DC in DIR: an
# attribute of the object its rootDSE's dsServiceName names.
invocation_id() {
	samba_search "$1" -b "$(rootdse "$1" dsServiceName)" -s base \
	    invocationId | sed -n 's/^invocationId:: //p'
}

# dirsync DIR OUT [COOKIE]: a DirSync read of the domain's users on the DC
# in DIR as the service account (flag 1, object security: the right it
# has), from COOKIE (base64) if given; ldapsearch's output in OUT.
dirsync() {
	LDAPTLS_CACERT=$1/tls/ca.pem LDAPTLS_REQCERT=demand ldapsearch -x \
	    -o ldif-wrap=no -o nettimeout=5 -H "$(cat "$1/ldaps_uri")" \
	    -D "$SAMBA_AGENT_DN" -y "$1/agentpw" -b "$SAMBA_SUFFIX" \
	    -E "!dirSync=1/0${3:+/$3}" \
	    '(&(objectClass=user)(objectCategory=person))' userAccountControl \
	    >"$2" 2>&1
}

# ds_names OUT: the CNs of the entries in a dirsync OUT, sorted, on a line.
ds_names() {
	sed -n 's/^dn: CN=\([^,]*\),.*/\1/p' "$1" | sort | tr '\n' ' '
}

# ds_cookie OUT: the cookie a dirsync OUT ends with.
ds_cookie() {
	sed -n 's/^# cookie:: //p' "$1"
}

cal=$(samba_user_add "$T/b" "$SAMBA_PEOPLE" cal cal@example.com Cal Clone)
cal_guid=$(samba_guid "$T/b" "$cal")
t0=$(now)
if samba_clone_dc "$T/b" "$T/d"; then
	ok "samba_clone_dc: a second DC of the domain answers on $SAMBA_LDAPS_URI"
else
	not_ok "samba_clone_dc: a second DC of the domain answers"
fi
diag "samba_clone_dc: $(since "$t0") s"
D_ADDR=$(cat "$T/d/addr")
check_eq "samba_use: the clone's values" \
    "$SAMBA_DIR $SAMBA_ADDR $SAMBA_LDAPS_URI $SAMBA_HOST" \
    "$T/d $D_ADDR ldaps://$D_ADDR dc2.example.com"
check "the clone has an address of its own" test "$D_ADDR" != "$B_ADDR" \
    -a "$D_ADDR" != "$A_ADDR" -a "$D_ADDR" != "$C_ADDR"
check "the clone: ldaps:// with the agent's bind (the first's CA file and password)" \
    tls_search "$T/b/tls/ca.pem" "$SAMBA_LDAPS_URI" -D "$SAMBA_AGENT_DN" \
    -y "$T/b/agentpw" -b "$SAMBA_PEOPLE" -s base dn
check "the clone's CA file is the first's" cmp "$T/b/tls/ca.pem" "$SAMBA_CA"
dsa_b=$(rootdse "$T/b" dsServiceName)
dsa_d=$(rootdse "$T/d" dsServiceName)
check_eq "the clone's dsServiceName is its own (DC2)" "$dsa_d" \
    "CN=NTDS Settings,CN=DC2,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,$SAMBA_SUFFIX"
check "... and not the first's" test -n "$dsa_b" -a "$dsa_b" != "$dsa_d"
check_eq "the clone's rootDSE names it" "$(rootdse "$T/d" dnsHostName)" \
    dc2.example.com
inv_b=$(invocation_id "$T/b")
inv_d=$(invocation_id "$T/d")
check "the invocationIds differ" test -n "$inv_b" -a -n "$inv_d" \
    -a "$inv_b" != "$inv_d"
diag "invocationId: first $inv_b, clone $inv_d"
check_eq "a user made before the clone: the same objectGUID on the clone" \
    "$(samba_guid "$T/d" "$cal")" "$cal_guid"

# DirSync cookies of both, taken before either changes.
dirsync "$T/b" "$T/ds.b0"
dirsync "$T/d" "$T/ds.d0"
cookie_b=$(ds_cookie "$T/ds.b0") cookie_d=$(ds_cookie "$T/ds.d0")
check "DirSync: both give a cookie" test -n "$cookie_b" -a -n "$cookie_d"
# The restore drops the first DC's own accounts: its computer account and
# dns-dc1, a user.
check_eq "DirSync without a cookie: the same users on both, but dns-dc1" \
    "$(ds_names "$T/ds.d0")" "$(ds_names "$T/ds.b0" | sed 's/dns-dc1 //')"

samba_user_disable "$T/d" "$cal"
dee=$(samba_user_add "$T/d" "$SAMBA_PEOPLE" dee dee@example.com Dee Two)
samba_user_add "$T/b" "$SAMBA_PEOPLE" eve eve@example.com Eve One >/dev/null
check_eq "no replication: a change on the clone is not on the first" \
    "$(samba_uac "$T/b" "$cal") $(samba_search "$T/b" -b "$SAMBA_PEOPLE" \
    '(sAMAccountName=dee)' dn)" "512 "
check_eq "... nor one on the first on the clone" \
    "$(samba_uac "$T/d" "$cal") $(samba_search "$T/d" -b "$SAMBA_PEOPLE" \
    '(sAMAccountName=eve)' dn)" "514 "

# Each DC's answer to its own cookie and to the other's.  A cookie holds
# its DC's invocationId and USN, and an up-to-dateness vector: the first's
# names the first alone, the clone's names the clone and the first (at
# the first's USN of the backup, from the restore).  Samba's dirsync module
# takes a USN to start from only for its own invocationId, in either
# place, and skips every attribute whose origin (replPropertyMetaData)
# the vector covers: with the other's cookie, each DC sends its own
# changes since the clone, as with its own.
dirsync "$T/b" "$T/ds.bb" "$cookie_b"
dirsync "$T/d" "$T/ds.dd" "$cookie_d"
dirsync "$T/d" "$T/ds.db" "$cookie_b"
dirsync "$T/b" "$T/ds.bd" "$cookie_d"
check_eq "DirSync, the first with its own cookie: its change" \
    "$(ds_names "$T/ds.bb")" "Eve One "
check_eq "DirSync, the clone with its own cookie: its changes" \
    "$(ds_names "$T/ds.dd")" "Cal Clone Dee Two "
check_eq "DirSync, the clone with the first's cookie: the clone's changes only" \
    "$(ds_names "$T/ds.db")" "Cal Clone Dee Two "
check_eq "DirSync, the first with the clone's cookie: the first's change only" \
    "$(ds_names "$T/ds.bd")" "Eve One "
diag "DirSync entries (no cookie, own cookie, the other's):" \
    "first $(grep -c '^dn: ' "$T/ds.b0"), $(grep -c '^dn: ' "$T/ds.bb")," \
    "$(grep -c '^dn: ' "$T/ds.bd"); clone $(grep -c '^dn: ' "$T/ds.d0")," \
    "$(grep -c '^dn: ' "$T/ds.dd"), $(grep -c '^dn: ' "$T/ds.db")"

pid_b=$(cat "$T/b/pid") pid_d=$(cat "$T/d/pid")
check "both DCs run at once, each answers" eval \
    'proc_alive "$pid_b" && proc_alive "$pid_d" &&
    _samba_answers "$T/b" && _samba_answers "$T/d"'
samba_stop "$T/d"
check "the clone stopped: the first answers" eval \
    'fails _samba_answers "$T/d" && _samba_answers "$T/b"'
t0=$(now)
samba_restart "$T/d"
diag "samba_restart of the clone: $(since "$t0") s"
check_eq "samba_restart of the clone: same address, data kept" \
    "$(cat "$T/d/addr") $(samba_search "$T/d" -b "$dee" -s base dn)" \
    "$D_ADDR dn: $dee"
samba_stop "$T/b"
check "the first stopped: the clone answers" eval \
    'fails _samba_answers "$T/b" && _samba_answers "$T/d"'
samba_stop "$T/d"
samba_use "$T/ad"

# --- restart, stop ----------------------------------------------------------------

t0=$(now)
samba_restart "$T/ad"
diag "samba_restart: $(since "$t0") s"
check "restart: same address, new PID, data kept" eval \
    'test "$SAMBA_URI" = "$A_URI" -a "$SAMBA_PID" != "$A_PID" &&
    samba_search "$T/ad" "(sAMAccountName=zoe)" dn | grep -q "^dn:: "'
check_eq "restart: the new root process leads its group" \
    "$(pgid "$SAMBA_PID")" "$SAMBA_PID"

pid=$SAMBA_PID
t0=$(now)
samba_stop "$T/ad"
diag "samba_stop: $(since "$t0") s"
check_eq "stop: the PID is gone (not even a zombie)" "$(proc_state "$pid")" ""
check "stop: no process of its group is left" _samba_group_gone "$pid"
check "stop: nothing listens on its address" fails _samba_listening "$A_ADDR"
check "stop: ldaps:// does not answer" fails tls_search "$A_CA" "$A_LDAPS" \
    -b "" -s base
check_eq "stop: SAMBA_PID is cleared" "$SAMBA_PID" ""
check "stop: the address stays claimed (for a restart)" \
    test -d "$(cat "$T/ad/claim")"

# --- exit trap ------------------------------------------------------------------------

# child_run FILE HOW: a test script that starts a domain (and, for exit,
# a clone of it), writes $T, the PID and the address claim (and the
# clone's, or "- -") to FILE, then ends (exit, or SIGTERM).
child_run() {
	L2I_KEEP=0 dash -c '
		. "$L2I_TOP/tests/lib/common.sh"
		. "$L2I_TOP/tests/lib/samba_ad.sh"
		t_setup
		samba_start "$T/ad" >/dev/null 2>&1 || exit 9
		info="$T $SAMBA_PID $(cat "$SAMBA_DIR/claim")"
		if [ "$2" = exit ]; then
			samba_clone_dc "$T/ad" "$T/ad2" >/dev/null 2>&1 || exit 9
			info="$info $SAMBA_PID $(cat "$SAMBA_DIR/claim")"
		else
			info="$info - -"
		fi
		echo "$info" >"$1"
		case $2 in
		exit) exit 3 ;;
		term) kill -TERM $$; sleep 1 ;;
		esac
	' child "$1" "$2" >"$T/child.out" 2>&1
}

for how in exit term; do
	rm -f "$T/child.info"
	child_run "$T/child.info" "$how"
	if ! read -r c_t c_pid c_claim c2_pid c2_claim <"$T/child.info"; then
		not_ok "$how: the child started a domain" "$(cat "$T/child.out")"
		continue
	fi
	if [ "$c2_pid" != - ]; then
		check_eq "$how: the EXIT trap stopped the clone" \
		    "$(proc_state "$c2_pid")" ""
		check "$how: ... and the clone's whole process group" \
		    wait_for 5 _samba_group_gone "$c2_pid"
		check "$how: ... and released the clone's address" \
		    test ! -e "$c2_claim"
	fi
	check_eq "$how: the EXIT trap stopped Samba" "$(proc_state "$c_pid")" ""
	check "$how: ... and its whole process group" \
	    wait_for 5 _samba_group_gone "$c_pid"
	check "$how: the EXIT trap released the address" test ! -e "$c_claim"
	check "$how: the EXIT trap removed \$T" test ! -e "$c_t"
done

# --- the system ---------------------------------------------------------------------

check_eq "nothing written to the system's Samba or Kerberos paths" \
    "$(find /etc/samba /etc/krb5.conf /var/lib/samba /var/log/samba \
    /var/cache/samba /run/samba -newer "$T/marker" 2>/dev/null)" ""

t_done
