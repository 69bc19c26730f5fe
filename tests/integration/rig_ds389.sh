#!/bin/sh
# tests/integration/rig_ds389.sh: self-test of the 389 Directory Server rig
# (tests/lib/ds389.sh, tests/lib/ds389_template.sh).
#
# Two instances build an empty template cache at the same moment; then
# four run side by side, one per setup: A (389's defaults, 5,100 users),
# B (TLS, content sync), C (FreeIPA's content sync, the agent limited,
# 5,100 users) and D (a look-through limit on the agent); E starts with
# 300 users imported offline (DS389_PRELOAD).  Each case checks one
# promise the other tests build on.  The timings go to diagnostics.

: "${L2I_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/ds389.sh"

ds389_require
t_setup
# No ~/.ldaprc of the machine's user may change what the tools do.
HOME=$T
export HOME
unset LDAPTLS_CACERT LDAPTLS_REQCERT LDAPTLS_CACERTDIR

PEOPLE="ou=People,$DS389_SUFFIX"

# fails CMD...: true when CMD fails (a case that expects an error).
fails() {
	! "$@"
}

# as_agent DIR ARGS...: ldapsearch bound as the agent account.
as_agent() {
	_aa_dir=$1
	shift
	ldapsearch -x -LLL -o ldif-wrap=no -o nettimeout=10 \
	    -H "$(cat "$_aa_dir/uri")" -D "$DS389_AGENT_DN" -y "$_aa_dir/agentpw" "$@"
}

# as_anon DIR ARGS...: ldapsearch with an anonymous bind.
as_anon() {
	_an_dir=$1
	shift
	ldapsearch -x -LLL -o ldif-wrap=no -o nettimeout=10 \
	    -H "$(cat "$_an_dir/uri")" "$@"
}

count_dns() {
	grep -c '^dn: '
}

# users N OU: LDIF for ou=OU under ou=People and N users in it.
users() {
	awk -v n="$1" -v ou="$2" -v people="$PEOPLE" 'BEGIN {
		printf "dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n",
		    ou, people, ou
		for (i = 1; i <= n; i++) {
			u = sprintf("%s%05d", tolower(ou), i)
			printf "dn: uid=%s,ou=%s,%s\n", u, ou, people
			printf "objectClass: inetOrgPerson\nuid: %s\n", u
			printf "cn: User %05d\nsn: %05d\nmail: %s@example.com\n\n",
			    i, i, u
		}
	}'
}

now() {
	date +%s.%N
}

# since T0: seconds since T0, two decimals.
since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f\n", b - a }'
}

# sem_of DIR: the instance's POSIX semaphore file.
sem_of() {
	_so_conf=$(cat "$1/conf")
	echo "/dev/shm/sem.${_so_conf##*/}.stats"
}

# --- the template cache: cold start, two at once -----------------------------

COLD=$T/cache
tmpl=$(L2I_SERVER_CACHE=$COLD _ds389_tmpl_path)
# What a builder killed half-way leaves, and a final dir without "ready".
mkdir -p "$tmpl.build.99999/root" "$tmpl"
: >"$tmpl.build.99999/root/junk"
: >"$tmpl/junk"
t0=$(now)
(L2I_SERVER_CACHE=$COLD ds389_start "$T/cold1") >"$T/cold1.out" 2>&1 &
p1=$!
(L2I_SERVER_CACHE=$COLD ds389_start "$T/cold2") >"$T/cold2.out" 2>&1 &
p2=$!
rc1=0 rc2=0
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
diag "cold start (dscreate), two at once: $(since "$t0") s"
check_eq "cold: both starts succeed" "$rc1 $rc2" "0 0" ||
    diag "$(cat "$T/cold1.out" "$T/cold2.out")"
check "cold: both answer" eval 'ldapsearch -x -H "$(cat "$T/cold1/uri")" \
    -b "" -s base && ldapsearch -x -H "$(cat "$T/cold2/uri")" -b "" -s base'
check_eq "cold: one build, the half-made ones replaced" \
    "$(cd "$COLD" && ls -d ds389-* | sed "s,^${tmpl##*/},T,")" "T
T.lock"
check "cold: the template is complete" \
    eval 'test -f "$tmpl/ready" -a ! -e "$tmpl/junk"'
check "cold: both copied the same template (no second build)" \
    cmp "$T/cold1/rootpw" "$T/cold2/rootpw"
ds389_stop "$T/cold1"
ds389_stop "$T/cold2"

# --- A: 389's defaults --------------------------------------------------------

t0=$(now)
if ds389_start "$T/a"; then
	ok "A starts (sync off, no TLS)"
else
	not_ok "A starts (sync off, no TLS)"
	t_done
fi
diag "start from the shared cache: $(since "$t0") s (plus a build if it was missing)"
A_URI=$DS389_URI A_PID=$DS389_PID
case $A_URI in
ldap://127.0.0.1:[0-9]*) ok "A: DS389_URI is ldap://127.0.0.1:PORT" ;;
*) not_ok "A: DS389_URI is ldap://127.0.0.1:PORT" "got: $A_URI" ;;
esac
check_eq "A: no ldaps URI, no CA" "$DS389_LDAPS_URI$DS389_CA" ""
check "A: DS389_PID is its ns-slapd" proc_is "$A_PID" "$T/a/ds/"
check_eq "A: suffix and root DN" "$DS389_SUFFIX $DS389_ROOTDN" \
    "dc=example,dc=com cn=Directory Manager"
check_eq "A: the files agree with the exports" \
    "$(cat "$T/a/uri") $(cat "$T/a/pid") $(cat "$T/a/agentpw")" \
    "$A_URI $A_PID $DS389_AGENT_PW"
# dse.ldif folds long lines: unfold before looking for paths.
out=$(awk '/^ / { cur = cur substr($0, 2); next } { print cur; cur = $0 }
    END { print cur }' "$(cat "$T/a/conf")/dse.ldif" |
    grep -o ': /[^ ]*' | grep -v "^: $T/a/ds/")
check_eq "A: every path in its dse.ldif is under DIR" "$out" ""
out=$(for f in /proc/"$A_PID"/fd/*; do readlink "$f"; done |
    grep '^/' | grep -v -e "^$T/a/ds/" -e '^/dev/null$')
check_eq "A: every file it holds open is under DIR" "$out" ""

out=$(ds389_search "$T/a" dn 2>&1)
check_eq "A: holds only the suffix, ou=People, ou=Services, the agent" \
    "$(printf '%s\n' "$out" | grep '^dn: ')" "dn: $DS389_SUFFIX
dn: $PEOPLE
dn: ou=Services,$DS389_SUFFIX
dn: $DS389_AGENT_DN"

out=$(as_agent "$T/a" -b "$PEOPLE" -s base entryUUID nsUniqueId modifyTimestamp 2>&1)
check "A: the agent reads entryUUID, nsUniqueId, modifyTimestamp" eval '
    printf "%s\n" "$out" | grep -q "^entryUUID: ........-" &&
    printf "%s\n" "$out" | grep -q "^nsUniqueId: " &&
    printf "%s\n" "$out" | grep -q "^modifyTimestamp: 2"'
out=$(as_agent "$T/a" -b "$DS389_AGENT_DN" -s base userPassword 2>&1)
check_eq "A: the agent cannot read userPassword" "$out" "dn: $DS389_AGENT_DN"
check "A: a wrong agent password is refused" fails ldapsearch -x \
    -H "$A_URI" -D "$DS389_AGENT_DN" -w wrong -b "" -s base
out=$(as_anon "$T/a" -b "" -s base namingContexts 2>&1)
check_contains "A: anonymous reads the rootDSE" "$out" \
    "namingContexts: $DS389_SUFFIX"
check "A: ds389_start refuses a DIR in use" fails ds389_start "$T/a"

# --- B, C, D beside it --------------------------------------------------------

# Asked to start on A's port, B must move elsewhere.
t0=$(now)
if DS389_PORT=${A_URI##*:} DS389_TLS=1 DS389_SYNC=plain \
    ds389_start "$T/b"; then
	ok "B (TLS, sync plain) starts beside A"
else
	not_ok "B (TLS, sync plain) starts beside A"
	t_done
fi
diag "warm start with TLS and content sync: $(since "$t0") s"
B_URI=$DS389_URI B_LDAPS=$DS389_LDAPS_URI B_CA=$DS389_CA
check "B: on its own ports, with an ldaps URI and a CA" \
    test "$B_URI" != "$A_URI" -a -n "$B_LDAPS" -a -f "$B_CA"
check "B: the port in use was retried on another" \
    grep -q -- '-5982' "$T/b/retried.log"

DS389_SYNC=ipa DS389_AGENT_LIMITED=1 ds389_start "$T/c" ||
    not_ok "C (sync ipa, agent limited) starts"
DS389_LOOKTHROUGH=50 ds389_start "$T/d" ||
    not_ok "D (look-through limit 50) starts"
check "ds389_use switches back to A" \
    eval 'ds389_use "$T/a" && test "$DS389_URI" = "$A_URI" -a -z "$DS389_CA"'

# --- TLS ------------------------------------------------------------------------

check "B: ldaps with the rig's CA" env LDAPTLS_CACERT="$B_CA" \
    LDAPTLS_REQCERT=demand ldapsearch -x -H "$B_LDAPS" -o nettimeout=5 \
    -b "" -s base
check "B: ldaps without the CA fails" fails env LDAPTLS_REQCERT=demand \
    ldapsearch -x -H "$B_LDAPS" -o nettimeout=5 -b "" -s base
check "B: StartTLS (-ZZ) with the CA, as the agent" env \
    LDAPTLS_CACERT="$B_CA" LDAPTLS_REQCERT=demand ldapsearch -x -ZZ \
    -H "$B_URI" -o nettimeout=5 -D "$DS389_AGENT_DN" -y "$T/b/agentpw" \
    -b "$PEOPLE" -s base dn
check "B: the certificate names 127.0.0.1 and localhost" eval '
    openssl s_client -connect "${B_LDAPS#ldaps://}" -CAfile "$B_CA" \
    -verify_ip 127.0.0.1 -verify_return_error </dev/null &&
    openssl s_client -connect "${B_LDAPS#ldaps://}" -CAfile "$B_CA" \
    -verify_hostname localhost -verify_return_error </dev/null'
check "A: StartTLS is refused (TLS off)" fails env LDAPTLS_CACERT="$B_CA" \
    ldapsearch -x -ZZ -H "$A_URI" -o nettimeout=5 -b "" -s base

# --- data -------------------------------------------------------------------------

users 5100 Bulk >"$T/bulk.ldif"
users 2 Small >"$T/small.ldif"
users 100 Look >"$T/look.ldif"
t0=$(now)
ds389_add "$T/a" "$T/bulk.ldif" &
p1=$!
ds389_add "$T/c" "$T/bulk.ldif" &
p2=$!
rc1=0 rc2=0
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
diag "5,100 users added over LDAP to A and C at once: $(since "$t0") s"
check_eq "5,100 users load into A and C" "$rc1 $rc2" "0 0"
for d in a b c; do
	check "$d: two users load into ou=Small" ds389_add "$T/$d" "$T/small.ldif"
done
check "d: 100 users load into ou=Look" ds389_add "$T/d" "$T/look.ldif"

# --- limits -------------------------------------------------------------------------

BULK="ou=Bulk,$PEOPLE"
out=$(as_agent "$T/a" -b "$BULK" '(objectClass=inetOrgPerson)' dn 2>&1)
check_eq "A: the agent reads all 5,100 unpaged" \
    "$? $(printf '%s\n' "$out" | count_dns)" "0 5100"
out=$(as_agent "$T/a" -E pr=1000/noprompt -b "$BULK" \
    '(objectClass=inetOrgPerson)' dn 2>&1)
check_eq "A: the agent reads all 5,100 in pages of 1,000" \
    "$? $(printf '%s\n' "$out" | count_dns)" "0 5100"
out=$(as_anon "$T/a" -b "ou=Small,$PEOPLE" '(objectClass=inetOrgPerson)' dn 2>&1)
check_eq "A: an anonymous search reads 0 users, result 0" \
    "$? $(printf '%s\n' "$out" | count_dns)" "0 0"

out=$(as_agent "$T/c" -b "$BULK" '(objectClass=inetOrgPerson)' dn 2>/dev/null)
check_eq "C (limited): unpaged, the size limit ends it at 2,000 (4)" \
    "$? $(printf '%s\n' "$out" | count_dns)" "4 2000"
as_agent "$T/c" -E pr=1000/noprompt -b "$BULK" '(objectClass=inetOrgPerson)' \
    dn >/dev/null 2>&1
check_eq "C (limited): paged past 5,000, admin limit exceeded (11)" "$?" 11
out=$(ds389_search "$T/c" -b "$DS389_AGENT_DN" -s base nsSizeLimit \
    nsLookThroughLimit nsPagedSizeLimit nsTimeLimit 2>&1)
check_eq "C (limited): no limit attribute on the agent's entry" "$out" \
    "dn: $DS389_AGENT_DN"
out=$(ds389_search "$T/a" -b "$DS389_AGENT_DN" -s base nsSizeLimit \
    nsLookThroughLimit nsPagedSizeLimit nsTimeLimit 2>&1)
check_eq "A: the agent's limits are lifted on its entry" \
    "$(printf '%s\n' "$out" | grep -c ': -1$')" 4

out=$(as_agent "$T/d" -E pr=10/noprompt -b "ou=Look,$PEOPLE" \
    '(objectClass=inetOrgPerson)' dn 2>/dev/null)
rc=$?
n=$(printf '%s\n' "$out" | count_dns)
check "D (look-through 50): a paged read stops early with 11" \
    test "$rc" -eq 11 -a "$n" -lt 100
check_eq "D: nsLookThroughLimit 50 on the agent's entry" \
    "$(ds389_search "$T/d" -b "$DS389_AGENT_DN" -s base nsLookThroughLimit |
    grep -i '^nsLookThroughLimit')" "nsLookThroughLimit: 50"

# --- content sync --------------------------------------------------------------------

SMALL="ou=Small,$PEOPLE"
as_agent "$T/a" -E '!sync=ro' -b "$SMALL" dn >/dev/null 2>&1
check_eq "A (sync off): a critical refresh is refused (12)" "$?" 12

# sync_read DIR [COOKIE]: a critical refreshOnly of ou=Small as the agent;
# the users' DNs, then "cookie: ..." and "rc N".
sync_read() {
	_sr_out=$(ldapsearch -x -H "$(cat "$1/uri")" -o nettimeout=10 \
	    -D "$DS389_AGENT_DN" -y "$1/agentpw" -E "!sync=ro${2:+/$2}" \
	    -b "$SMALL" '(objectClass=inetOrgPerson)' dn 2>&1)
	_sr_rc=$?
	printf '%s\n' "$_sr_out" | grep '^dn: ' | sort
	printf '%s\n' "$_sr_out" | sed -n 's/^# cookie: /cookie: /p' | tail -n 1
	echo "rc $_sr_rc"
}

modify_cn() {
	printf 'dn: %s\nchangetype: modify\nreplace: cn\ncn: %s\n\n' "$2" "$3" |
	    ds389_modify "$1"
}

for d in b c; do
	out=$(sync_read "$T/$d")
	check_eq "$d: a full refresh returns the users" \
	    "$(printf '%s\n' "$out" | grep -v '^cookie: ')" \
	    "dn: uid=small00001,$SMALL
dn: uid=small00002,$SMALL
rc 0"
	cookie=$(printf '%s\n' "$out" | sed -n 's/^cookie: //p')
	check "$d: ... and a cookie" test -n "$cookie"
	modify_cn "$T/$d" "uid=small00002,$SMALL" "Changed"
	out=$(sync_read "$T/$d" "$cookie")
	if [ "$d" = b ]; then
		want="dn: uid=small00002,$SMALL"
		what="B (plain): an incremental refresh returns the changed user"
	else
		want=
		what="C (ipa): an incremental refresh returns nothing"
	fi
	check_eq "$what" "$(printf '%s\n' "$out" | grep '^dn: ')" "$want"
	check_contains "$d: ... with result 0" "$out" "rc 0"
done
out=$(ds389_search "$T/c" -b "cn=Retro Changelog Plugin,cn=plugins,cn=config" \
    -s base nsslapd-include-suffix nsslapd-changelogmaxage 2>&1)
check_eq "C: the changelog records only cn=dns, for 2 days" \
    "$(printf '%s\n' "$out" | grep -v '^dn: ' | sort)" \
    "nsslapd-changelogmaxage: 2d
nsslapd-include-suffix: cn=dns,$DS389_SUFFIX"

# --- writes through the rig ------------------------------------------------------

ALICE="uid=small00001,$SMALL"
printf 'dn: %s\nchangetype: modify\nreplace: mail\nmail: alice@example.org\n\n' \
    "$ALICE" | ds389_modify "$T/a"
check_eq "A: a modify is visible" \
    "$(ds389_search "$T/a" -b "$ALICE" -s base mail | grep '^mail:')" \
    "mail: alice@example.org"
ds389_modrdn "$T/a" -r "$ALICE" uid=alice
check_eq "A: a modrdn is visible (old DN gone)" \
    "$(ds389_search "$T/a" -b "$SMALL" '(|(uid=alice)(uid=small00001))' dn)" \
    "dn: uid=alice,$SMALL"
ds389_modrdn "$T/a" -r -s "$PEOPLE" "uid=small00002,$SMALL" uid=bob
check_eq "A: a move (modrdn -s) is visible" \
    "$(ds389_search "$T/a" -b "$PEOPLE" '(|(uid=bob)(uid=small00002))' dn)" \
    "dn: uid=bob,$PEOPLE"
ds389_delete "$T/a" "uid=bob,$PEOPLE"
check_eq "A: a delete is visible" \
    "$(ds389_search "$T/a" -b "$PEOPLE" '(uid=bob)' dn)" ""
check "A: ds389_add -M adds a referral entry" ds389_add "$T/a" -M <<EOF
dn: ou=Elsewhere,$PEOPLE
objectClass: referral
objectClass: extensibleObject
ou: Elsewhere
ref: ldap://127.0.0.1:9/ou=People,dc=elsewhere,dc=com

EOF
check_contains "A: ... found with -M" \
    "$(ds389_search "$T/a" -M -b "ou=Elsewhere,$PEOPLE" -s base ref)" \
    "ref: ldap://127.0.0.1:9/"
check "A: ds389_delete -M removes it" ds389_delete "$T/a" -M \
    "ou=Elsewhere,$PEOPLE"
check "A: a failed write fails" fails ds389_delete "$T/a" "uid=nobody,$PEOPLE"

# --- offline import (DS389_PRELOAD) ------------------------------------------------

users 300 Import >"$T/import.ldif"
t0=$(now)
if DS389_PRELOAD=$T/import.ldif ds389_start "$T/e"; then
	ok "E starts with 300 users imported offline (DS389_PRELOAD)"
else
	not_ok "E starts with 300 users imported offline (DS389_PRELOAD)"
fi
diag "start with an offline import of 300 users: $(since "$t0") s"
IMPORT="ou=Import,$PEOPLE"
out=$(as_agent "$T/e" -E pr=100/noprompt -b "$IMPORT" \
    '(objectClass=inetOrgPerson)' dn 2>&1)
check_eq "E: the agent binds and reads all 300 in pages of 100" \
    "$? $(printf '%s\n' "$out" | count_dns)" "0 300"
check_eq "E: the template's entries are kept beside them" \
    "$(ds389_search "$T/e" -s one dn | grep '^dn: ' | sort)" \
    "dn: $PEOPLE
dn: ou=Services,$DS389_SUFFIX"
out=$(as_agent "$T/e" -b "uid=import00001,$IMPORT" -s base nsUniqueId \
    entryUUID 2>&1)
check "E: an imported user has a nsUniqueId but no entryUUID" eval '
    printf "%s\n" "$out" | grep -q "^nsUniqueId: ." &&
    ! printf "%s\n" "$out" | grep -qi "^entryUUID:"'
check "E: a user added over LDAP afterwards gets an entryUUID" eval '
    printf "dn: uid=late,%s\nobjectClass: inetOrgPerson\nuid: late\ncn: Late\nsn: Late\n\n" \
    "$IMPORT" | ds389_add "$T/e" &&
    as_agent "$T/e" -b "uid=late,$IMPORT" -s base entryUUID | grep -q "^entryUUID: ."'
ds389_stop "$T/e"
# An entry whose parent is missing is skipped by ldif2db: the start fails.
awk 'BEGIN { RS = ""; ORS = "\n\n" } NR == 2 || NR == 3' "$T/import.ldif" \
    >"$T/orphans.ldif"
out=$(DS389_PRELOAD=$T/orphans.ldif ds389_start "$T/f" 2>&1)
rc=$?
check "F: an import that leaves entries out fails the start, naming them" \
    eval 'test "$rc" -ne 0 && printf "%s\n" "$out" | grep -q "import00001.*no parent"'
out=$(DS389_PRELOAD=$T/nonesuch.ldif ds389_start "$T/g" 2>&1)
rc=$?
check "G: an unreadable DS389_PRELOAD fails the start" \
    eval 'test "$rc" -ne 0 && printf "%s\n" "$out" | grep -q "cannot read"'

# --- restart and stop -------------------------------------------------------------

t0=$(now)
ds389_restart "$T/a"
diag "restart (clean stop and start): $(since "$t0") s"
check "A: restart keeps the URI and the data, new PID" eval \
    'test "$(cat "$T/a/uri")" = "$A_URI" -a "$(cat "$T/a/pid")" != "$A_PID" &&
    ds389_search "$T/a" "(uid=alice)" dn | grep -q "^dn: uid=alice,"'
check "A: ... and answers to the agent" as_agent "$T/a" -b "$PEOPLE" -s base dn

pid=$(cat "$T/a/pid")
sem=$(sem_of "$T/a")
check "A: its semaphore is in /dev/shm while it runs" test -e "$sem"
t0=$(now)
ds389_stop "$T/a"
diag "stop (SIGKILL): $(since "$t0") s"
# Gone, or a zombie until init reaps it: ns-slapd forks into the
# background, so init is its parent, not the test.
check "A: stop: the process is gone" fails proc_alive "$pid"
check "A: stop: nothing answers on its port" fails ldapsearch -x \
    -H "$A_URI" -o nettimeout=2 -b "" -s base
check "A: stop: its semaphore is removed" test ! -e "$sem"
check "A: stop: the other instances still answer" eval \
    'ldapsearch -x -H "$B_URI" -b "" -s base &&
    ldapsearch -x -H "$(cat "$T/c/uri")" -b "" -s base'

t0=$(now)
ds389_restart "$T/a"
diag "restart after a kill (BDB recovery): $(since "$t0") s"
check "A: a killed instance restarts with all its data" eval \
    'test "$(cat "$T/a/uri")" = "$A_URI" &&
    test "$(ds389_search "$T/a" -b "$BULK" "(uid=bulk*)" dn | count_dns)" = 5100 &&
    ds389_search "$T/a" "(uid=alice)" dn | grep -q "^dn: uid=alice,"'
ds389_stop "$T/a"

# --- exit trap ---------------------------------------------------------------------

# child_run HOW: a test program that starts an instance, writes $T, the
# server's PID and its semaphore to $T/child.info, then ends by HOW.
child_run() {
	L2I_KEEP=0 dash -c '
		. "$L2I_TOP/tests/lib/common.sh"
		. "$L2I_TOP/tests/lib/ds389.sh"
		t_setup
		ds389_start "$T/ds" >/dev/null 2>&1 || exit 9
		conf=$(cat "$T/ds/conf")
		echo "$T $DS389_PID /dev/shm/sem.${conf##*/}.stats" >"$1"
		case $2 in
		exit) exit 3 ;;
		term) kill -TERM $$; sleep 1 ;;
		kill) kill -KILL $$ ;;
		esac
	' child "$T/child.info" "$1" >"$T/child.out" 2>&1
}

for how in exit term kill; do
	rm -f "$T/child.info"
	child_run "$how"
	read -r c_t c_pid c_sem <"$T/child.info"
	if [ "$how" = kill ]; then
		# No EXIT trap ran: the guard notices its test is gone.
		wait_for 5 _t_not_alive "$c_pid"
		check "kill: the guard stopped the server" fails proc_alive "$c_pid"
		wait_for 2 test ! -e "$c_sem"
		check "kill: ... and removed its semaphore" test ! -e "$c_sem"
		rm -rf "$c_t"
		continue
	fi
	check "$how: the EXIT trap stopped the server" fails proc_alive "$c_pid"
	check "$how: ... and removed its semaphore" test ! -e "$c_sem"
	check "$how: the EXIT trap removed \$T" test ! -e "$c_t"
done

t_done
