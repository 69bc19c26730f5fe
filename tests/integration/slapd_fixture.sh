#!/bin/sh
# tests/integration/slapd_fixture.sh: self-test of the test fixtures
# (tests/lib/slapd.sh, tests/lib/common.sh, tests/lib/ad-test.schema).
#
# A plain slapd (AD test schema, 600 bulk users) and a TLS slapd (syncprov)
# run side by side; each case checks one promise the other integration
# tests build on.

: "${L2I_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"

SLAPD_TLS=1 slapd_require
t_setup
# No ~/.ldaprc of the machine's user may change what the tools do.
HOME=$T
export HOME
unset LDAPTLS_CACERT LDAPTLS_REQCERT LDAPTLS_CACERTDIR

PEOPLE="ou=People,$SLAPD_SUFFIX"

# fails CMD...: true when CMD fails (a case that expects an error).
fails() {
	! "$@"
}

# as_agent DIR ARGS...: ldapsearch bound as the agent account.
as_agent() {
	_aa_dir=$1
	shift
	ldapsearch -x -LLL -o ldif-wrap=no -H "$(cat "$_aa_dir/uri")" \
	    -D "$SLAPD_AGENT_DN" -y "$_aa_dir/agentpw" "$@"
}

# as_reader DIR ARGS...: ldapsearch bound as an ordinary account.
as_reader() {
	_ar_dir=$1
	shift
	ldapsearch -x -LLL -o ldif-wrap=no -H "$(cat "$_ar_dir/uri")" \
	    -D "cn=reader,ou=Services,$SLAPD_SUFFIX" -w reader-pw "$@"
}

count_dns() {
	grep -c '^dn: '
}

# --- two instances side by side -------------------------------------------

{
	gen_ou Bulk
	gen_users 600 Bulk
} >"$T/bulk.ldif"
if SLAPD_AD=1 SLAPD_PRELOAD="$T/bulk.ldif" slapd_start "$T/plain"; then
	ok "plain slapd starts (AD schema, 600 users preloaded)"
else
	not_ok "plain slapd starts (AD schema, 600 users preloaded)"
	t_done
fi
P_URI=$SLAPD_URI P_LDAPI=$SLAPD_LDAPI_URI P_PID=$SLAPD_PID
check_eq "plain slapd has no ldaps URI or CA" "$SLAPD_LDAPS_URI$SLAPD_CA" ""

# Asked to start on the plain instance's port, it must move elsewhere.
if SLAPD_PORT=${P_URI##*:} SLAPD_TLS=1 SLAPD_SYNCPROV=1 \
    slapd_start "$T/tls"; then
	ok "TLS slapd (syncprov) starts beside it"
else
	not_ok "TLS slapd (syncprov) starts beside it"
	t_done
fi
S_URI=$SLAPD_URI S_LDAPS=$SLAPD_LDAPS_URI S_CA=$SLAPD_CA
check "both run, on different ports" \
    test "$P_URI" != "$S_URI" -a -n "$S_LDAPS" -a -f "$S_CA"
check "a port in use is retried on another" \
    grep -q 'errno=98' "$T/tls/slapd-retried.log"
check "slapd_use switches back to the plain instance" \
    eval 'slapd_use "$T/plain" && test "$SLAPD_URI" = "$P_URI" -a -z "$SLAPD_CA"'

# --- binds and reads --------------------------------------------------------

out=$(ldapsearch -x -LLL -H "$P_URI" -b "" -s base namingContexts 2>&1)
check_contains "anonymous reads the rootDSE" "$out" \
    "namingContexts: $SLAPD_SUFFIX"

out=$(as_agent "$T/plain" -b "$PEOPLE" -s base dn 2>&1)
check_eq "agent binds and reads ou=People" "$out" "dn: $PEOPLE"

out=$(as_agent "$T/plain" -b "$SLAPD_AGENT_DN" -s base userPassword 2>&1)
check_eq "agent cannot read userPassword" "$out" "dn: $SLAPD_AGENT_DN"

check "a wrong agent password is refused" fails ldapsearch -x -H "$P_URI" \
    -D "$SLAPD_AGENT_DN" -w wrong -b "" -s base

check "ldapi answers" ldapsearch -x -H "$P_LDAPI" -b "" -s base

# --- TLS ----------------------------------------------------------------------

check "ldaps with the CA" env LDAPTLS_CACERT="$S_CA" LDAPTLS_REQCERT=demand \
    ldapsearch -x -H "$S_LDAPS" -o nettimeout=5 -b "" -s base
check "ldaps without the CA fails" fails env LDAPTLS_REQCERT=demand \
    ldapsearch -x -H "$S_LDAPS" -o nettimeout=5 -b "" -s base
check "StartTLS (-ZZ) with the CA" env LDAPTLS_CACERT="$S_CA" \
    LDAPTLS_REQCERT=demand ldapsearch -x -ZZ -H "$S_URI" -o nettimeout=5 \
    -D "$SLAPD_AGENT_DN" -y "$T/tls/agentpw" -b "$PEOPLE" -s base dn
check "StartTLS fails on the plain instance" fails env \
    LDAPTLS_CACERT="$S_CA" ldapsearch -x -ZZ -H "$P_URI" -o nettimeout=5 \
    -b "" -s base

# --- content sync -------------------------------------------------------------

out=$(ldapsearch -x -H "$S_URI" -D "$SLAPD_AGENT_DN" -y "$T/tls/agentpw" \
    -E '!sync=ro' -b "$PEOPLE" dn 2>&1)
check_contains "syncprov answers a critical refresh with a cookie" \
    "$out" "# cookie: "
as_agent "$T/plain" -E '!sync=ro' -b "$PEOPLE" -s base dn >/dev/null 2>&1
check_eq "no syncprov: a critical refresh fails with 12" "$?" 12

# --- the AD-shaped schema -----------------------------------------------------

GUID_A=AAECAwQFBgcICQoLDA0ODw==	# bytes 00..0f
GUID_B=/+7dzLuqmYh3ZlVEMyIRAA==	# bytes ff ee .. 00
check "AD-shaped entries load" slapd_add "$T/plain" <<EOF
dn: uid=alice,$PEOPLE
objectClass: inetOrgPerson
objectClass: adTestUser
uid: alice
cn: Alice
sn: A
mail: alice@example.com
sAMAccountName: alice
userAccountControl: 512
objectGUID:: $GUID_A

dn: uid=bob,$PEOPLE
objectClass: inetOrgPerson
objectClass: adTestUser
uid: bob
cn: Bob
sn: B
mail: bob@example.com
sAMAccountName: Bob
userAccountControl: 514
objectGUID:: $GUID_B

dn: cn=reader,ou=Services,$SLAPD_SUFFIX
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: reader-pw
EOF

out=$(as_agent "$T/plain" -b "$PEOPLE" \
    '(&(objectClass=adTestUser)(userAccountControl:1.2.840.113556.1.4.803:=2))' \
    uid 2>&1)
check_eq "bit-and filter matches only the disabled (514)" "$out" \
    "dn: uid=bob,$PEOPLE
uid: bob"
out=$(as_agent "$T/plain" -b "$PEOPLE" \
    '(&(objectClass=adTestUser)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))' \
    dn 2>&1)
check_eq "its negation matches only the enabled (512)" "$out" \
    "dn: uid=alice,$PEOPLE"

out=$(as_agent "$T/plain" -b "uid=alice,$PEOPLE" -s base objectGUID 2>&1)
check_contains "objectGUID comes back as base64" "$out" "objectGUID:: $GUID_A"
n=$(printf '%s\n' "$out" | sed -n 's/^objectGUID:: //p' | base64 -d | wc -c)
check_eq "objectGUID is 16 bytes" "$n" 16
out=$(as_agent "$T/plain" -b "$PEOPLE" \
    '(objectGUID=\ff\ee\dd\cc\bb\aa\99\88\77\66\55\44\33\22\11\00)' dn 2>&1)
check_eq "objectGUID equality filter on raw bytes" "$out" "dn: uid=bob,$PEOPLE"
out=$(as_agent "$T/plain" -b "$PEOPLE" '(sAMAccountName=BOB)' dn 2>&1)
check_eq "sAMAccountName matches case-insensitively" "$out" "dn: uid=bob,$PEOPLE"

# --- size limits --------------------------------------------------------------

BULK="ou=Bulk,$PEOPLE"
out=$(as_reader "$T/plain" -b "$BULK" '(objectClass=inetOrgPerson)' dn 2>/dev/null)
rc=$?
check_eq "ordinary bind: 600 users stop at the limit (code 4)" \
    "$rc $(printf '%s\n' "$out" | count_dns)" "4 500"
out=$(as_reader "$T/plain" -E pr=100/noprompt -b "$BULK" \
    '(objectClass=inetOrgPerson)' dn 2>/dev/null)
rc=$?
check_eq "ordinary bind: paging does not get around it" \
    "$rc $(printf '%s\n' "$out" | count_dns)" "4 500"
out=$(as_agent "$T/plain" -b "$BULK" '(objectClass=inetOrgPerson)' dn 2>&1)
rc=$?
check_eq "agent reads all 600" "$rc $(printf '%s\n' "$out" | count_dns)" "0 600"
out=$(as_agent "$T/plain" -E pr=100/noprompt -b "$BULK" \
    '(objectClass=inetOrgPerson)' dn 2>&1)
rc=$?
check_eq "agent reads all 600 in pages" \
    "$rc $(printf '%s\n' "$out" | count_dns)" "0 600"

# --- independence, restart, stop ----------------------------------------------

out=$(slapd_search "$T/tls" '(uid=alice)' dn 2>&1)
check_eq "the instances hold separate data" "$out" ""

slapd_restart "$T/plain"
check "restart keeps the URI and the data" eval \
    'test "$(cat "$T/plain/uri")" = "$P_URI" &&
    test "$(cat "$T/plain/pid")" != "$P_PID" &&
    slapd_search "$T/plain" "(uid=alice)" dn | grep -q "^dn: uid=alice,"'

pid=$(cat "$T/plain/pid")
slapd_stop "$T/plain"
check_eq "stop: the process is gone (not even a zombie)" \
    "$(proc_state "$pid")" ""
check "stop: nothing answers on its port" fails ldapsearch -x -H "$P_URI" \
    -o nettimeout=2 -b "" -s base
check "stop: the other instance still answers" ldapsearch -x -H "$S_URI" \
    -b "" -s base

# --- exit trap ----------------------------------------------------------------

# child_run EXIT_HOW: a test script that starts a slapd (and a fake when
# there is one), writes its pids and $T to $T/child.info, then ends.
child_run() {
	L2I_KEEP=0 dash -c '
		. "$L2I_TOP/tests/lib/common.sh"
		. "$L2I_TOP/tests/lib/slapd.sh"
		t_setup
		# A long DIR puts the ldapi socket under a short /tmp dir.
		slapd_start "$T/$(printf "%0100d" 0)" >/dev/null 2>&1 || exit 9
		ldapsearch -x -H "$SLAPD_LDAPI_URI" -b "" -s base \
		    >/dev/null 2>&1 || exit 8
		fpid=
		if [ -f "$L2I_TOP/tests/lib/fake_imocha.py" ]; then
			fake_start "$T/fake" >/dev/null 2>&1 && fpid=$FAKE_PID
		fi
		sock=$(cat "$SLAPD_DIR/sock")
		echo "$T ${sock%/ldapi} $SLAPD_PID $fpid" >"$1"
		case $2 in
		exit) exit 3 ;;
		term) kill -TERM $$; sleep 1 ;;
		esac
	' child "$T/child.info" "$1" >"$T/child.out" 2>&1
}

for how in exit term; do
	rm -f "$T/child.info"
	child_run "$how"
	read -r c_t c_sock c_slapd c_fake <"$T/child.info"
	case $c_sock in
	/tmp/l2i-sock.*) ;;
	*) not_ok "$how: long DIR: ldapi socket in a short dir" "got $c_sock" ;;
	esac
	check "$how: the EXIT trap removed the socket dir" test ! -e "$c_sock"
	check_eq "$how: the EXIT trap stopped slapd" "$(proc_state "$c_slapd")" ""
	if [ -n "${c_fake:-}" ]; then
		check_eq "$how: the EXIT trap stopped the fake" \
		    "$(proc_state "$c_fake")" ""
	fi
	check "$how: the EXIT trap removed \$T" test ! -e "$c_t"
done

# --- common.sh helpers --------------------------------------------------------

# sub_test SCRIPT: run a small test program; its output in $T/sub.out.
sub_test() {
	dash -c ". \"\$L2I_TOP/tests/lib/common.sh\"; $1" >"$T/sub.out" 2>&1
}
sub_test 't_setup; ok a; check "b" false; check_eq c x x; t_done'
check_eq "t_done exits 1 after a failed case" "$?" 1
check_eq "check reports the failed command" "$(cat "$T/sub.out")" \
    "ok - a
not ok - b
# command: false
# exit: 1
ok - c
# 2 passed, 1 failed, 0 skipped"
sub_test 't_setup; ok a; skip b "no reason"; t_done'
check_eq "t_done exits 0 when nothing failed" "$? $(grep -c '^skip - b: no reason$' "$T/sub.out")" "0 1"
sub_test 't_setup; skip_all "slapd not found: install the Debian package slapd"'
check_eq "skip_all exits 77, reason last" \
    "$? $(tail -n 1 "$T/sub.out")" \
    "77 slapd not found: install the Debian package slapd"

L2I_BIN=/bin/echo run_agent hello agent
check_eq "run_agent captures stdout and the exit status" \
    "$RC $(cat "$T/out")" "0 hello agent"
L2I_BIN=/bin/false run_agent
check_eq "run_agent: a failing agent sets RC" "$RC" 1
L2I_BIN=/bin/sleep agent_bg 30
agent_stop
check_eq "agent_bg/agent_stop: SIGTERM ends it" "$RC" 143

out=$(SLAPD_AGENT_LIMITED=1 SLAPD_SIZELIMIT=50 _slapd_conf /x pw)
check_eq "SLAPD_AGENT_LIMITED / SLAPD_SIZELIMIT shape the config" \
    "$(printf '%s\n' "$out" | grep -c '^limits ') $(printf '%s\n' "$out" | grep '^sizelimit')" \
    "0 sizelimit 50"

check_eq "gen_users numbers from START" \
    "$(gen_users 2 Eng 7 | grep '^dn:')" \
    "dn: uid=user00007,ou=Eng,$PEOPLE
dn: uid=user00008,ou=Eng,$PEOPLE"

slapd_use "$T/tls"
FAKE_URL=http://127.0.0.1:9
CFG_LDAP_EXTRA="starttls = yes
ca_file = /nonexistent/ca.pem"
CFG_BU_MAP="Engineering = ou=Engineering,$PEOPLE
Engineering = ou=Eng2,$PEOPLE"
write_config "$T/agent.ini"
unset CFG_LDAP_EXTRA CFG_BU_MAP
check_eq "write_config: an extra key replaces the default" \
    "$(grep -c '^ca_file' "$T/agent.ini") $(grep '^ca_file' "$T/agent.ini")" \
    "1 ca_file = /nonexistent/ca.pem"
check_contains "write_config: repeated BU keys kept" "$(cat "$T/agent.ini")" \
    "[business_units]
Engineering = ou=Engineering,$PEOPLE
Engineering = ou=Eng2,$PEOPLE"
check_eq "write_config: secrets are mode 600" \
    "$(stat -c %a "$T/ldap.secret" "$T/api.key" | tr '\n' ' ')" "600 600 "
check_eq "write_config: the bind password is the agent's" \
    "$(cat "$T/ldap.secret")" "$SLAPD_AGENT_PW"
bad=$(sed -n 's/^\([a-z_]*\) *=.*/\1/p' "$T/agent.ini" | grep -vxE \
    'uri|bind_dn|bind_password_file|starttls|ca_file|base_dn|user_filter|id_attribute|base_url|api_key_file|state_file|level|Engineering')
check_eq "write_config: only SPEC keys" "$bad" ""

if [ -f "$L2I_TOP/tests/lib/fake_imocha.py" ]; then
	if fake_start "$T/fake"; then
		ok "fake_start: the fake answers at $FAKE_URL"
		check_eq "fake: starts empty" "$(fake_users_emails)" ""
		fake_post /_fake/users '{"users":[{"email":"Zed@Example.com","fullName":"Zed","businessunitId":1,"status":"Active"},{"email":"amy@example.com","fullName":"Amy","businessunitId":2,"status":"Inactive"}]}' >/dev/null
		check_eq "fake: preloaded users, sorted, lower-case" \
		    "$(fake_users_emails)" "amy@example.com
zed@example.com"
		check_eq "fake_user_field" "$(fake_user_field amy@example.com status)" \
		    Inactive
		check_eq "fake_request_count: no /v3 request yet" \
		    "$(fake_request_count)" 0
		fake_faults '[{"path":"/v3/accounts/user/create","status":500}]'
		fake_faults '{"faults":[{"status":429}]}'
		check_eq "fake_faults takes an array or the whole object" \
		    "$(fake_get /_fake/faults | "$L2I_PY" -c 'import json, sys
print(len(json.load(sys.stdin)["faults"]))')" 2
		check "fake_faults: bad input fails" fails fake_faults '[{"nope":1}]'
		fake_reset
		check_eq "fake_reset: users gone" "$(fake_users_emails)" ""
		pid=$FAKE_PID
		fake_stop "$T/fake"
		check_eq "fake_stop: the fake is gone" "$(proc_state "$pid")" ""
		tls_make_certs "$T/fake-tls"
		if fake_start "$T/fake2" --tls-cert "$T/fake-tls/server.pem" \
		    --tls-key "$T/fake-tls/server.key"; then
			check_contains "fake_start with TLS: https URL" \
			    "$FAKE_URL" "https://127.0.0.1:"
			check "fake over TLS verifies with the CA" \
			    "$L2I_PY" -c 'import ssl, sys, urllib.request as u
c = ssl.create_default_context(cafile=sys.argv[2])
u.urlopen(sys.argv[1] + "/_fake/stats", context=c, timeout=5).read()' \
			    "$FAKE_URL" "$T/fake-tls/ca.pem"
		else
			not_ok "fake_start with TLS"
		fi
	else
		not_ok "fake_start: the fake answers"
	fi
else
	skip "fake iMocha helpers" "tests/lib/fake_imocha.py not written yet"
fi

t_done
