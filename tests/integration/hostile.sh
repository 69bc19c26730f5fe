#!/bin/sh
# hostile: what a broken or hostile iMocha and directory may send.  Each
# refused item is named (the user and why, or the DN and attribute), the
# rest is synced, nothing crashes (tests/run counts sanitizer reports: CI
# runs this under SANITIZE=1 too), and the exit status is SPEC.md's.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
slapd_start "$T/ldap" || skip_all "slapd could not start"
if ! fake_start "$T/fake" --bu 101:Sales --bu 102:Engineering; then
	not_ok "fake iMocha starts"
	t_done
fi
P=ou=People,dc=example,dc=com
{ gen_ou Sales; gen_users 4 Sales; } | slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }
# One request at a time, one retry, a short timeout: every fault below hits
# one known request, and a body that never ends is cut after 3 s.
CFG_IMOCHA_EXTRA="max_in_flight = 1
max_retries = 1
timeout = 3"
export CFG_IMOCHA_EXTRA
write_config "$T/agent.ini"
err() { cat "$T/err"; }
utf8_ok() { "$L2I_PY" -c 'import sys; sys.stdin.buffer.read().decode("utf-8")' <"$1"; }
BU=/v3/accounts/business-units
CREATE=/v3/accounts/user/create

# --- the business-unit list: refused whole, nothing sent (exit 4) ------------
list_refused() {	# NAME FAULT WANT_IN_MESSAGE
	fake_faults "[$2]" || { not_ok "$1: fault accepted"; return; }
	run_agent -c "$T/agent.ini" sync
	check_eq "$1: exit 4" "$RC" 4
	check_contains "$1: the message says why" "$(err)" "$3"
	check_eq "$1: nothing sent" "$(fake_write_count)" 0
	fake_reset
}
list_refused "BU list of 5 MiB" \
    "{\"path\":\"$BU\",\"huge_body_bytes\":5242880}" "answer larger than 4 MiB"
DEEP=$(awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; }')
list_refused "BU list nested 100000 deep" \
    "{\"path\":\"$BU\",\"raw_body\":\"$DEEP\"}" "the answer is not JSON"
list_refused "BU list with businessUnitId a string" \
    "{\"path\":\"$BU\",\"raw_body\":\"{\\\"businessUnits\\\":[{\\\"businessUnitId\\\":\\\"101\\\",\\\"businessUnitName\\\":\\\"Sales\\\"}],\\\"count\\\":1}\"}" \
    "businessUnits[0].businessUnitId is missing or not a number"
list_refused "BU list with a name that is not UTF-8" \
    "{\"path\":\"$BU\",\"raw_body\":\"{\\\"businessUnits\\\":[{\\\"businessUnitId\\\":101,\\\"businessUnitName\\\":\\\"Sa\\udcffles\\\"}]}\"}" \
    "businessUnitName is not valid UTF-8"
# The fake's endless body promises Content-Length 2^40: refused on that
# promise (CURLOPT_MAXFILESIZE), before the 3 s timeout would cut it.
list_refused "BU list body that never ends" \
    "{\"path\":\"$BU\",\"endless_body\":true,\"count\":2}" "answer larger than 4 MiB"

# --- answers to creates: that user fails, the others are created (exit 1) ----
# Each fault hits user00001's create (and its one retry where it would be
# retried); users 2 to 4 must be created all the same.
create_refused() {	# NAME FAULT WANT_IN_MESSAGE
	fake_faults "[$2]" || { not_ok "$1: fault accepted"; return; }
	run_agent -c "$T/agent.ini" sync
	check_eq "$1: exit 1 (partial)" "$RC" 1
	check_contains "$1: the failed user is named with the reason" \
	    "$(grep user00001@example.com "$T/err")" "$3"
	check_eq "$1: the other users are created" \
	    "$(fake_users_emails | tr '\n' ' ')" \
	    "user00002@example.com user00003@example.com user00004@example.com "
	check "$1: the log is valid UTF-8" utf8_ok "$T/err"
	rm -f "$T/state.db" "$T/state.db-wal" "$T/state.db-shm"
	fake_reset
}
U1='"email":"user00001@example.com"'
create_refused "create answered with 5 MiB" \
    "{\"path\":\"$CREATE\",$U1,\"huge_body_bytes\":5242880,\"count\":2}" \
    "answer larger than 4 MiB"
create_refused "create answered 400 with JSON nested 100000 deep" \
    "{\"path\":\"$CREATE\",$U1,\"raw_status\":400,\"raw_body\":\"$DEEP\"}" \
    "rejected (HTTP 400): [[[["
create_refused "create answered 400 with invalid UTF-8 in the message" \
    "{\"path\":\"$CREATE\",$U1,\"raw_status\":400,\"raw_body\":\"{\\\"errors\\\":[\\\"bad \\udcff\\udcc0 byte \\u0007 here\\\"]}\"}" \
    "bad ?? byte here"
create_refused "create answered 400 with messages of the wrong type" \
    "{\"path\":\"$CREATE\",$U1,\"raw_status\":400,\"raw_body\":\"{\\\"errors\\\":[42,{\\\"a\\\":null}]}\"}" \
    "rejected (HTTP 400)"
create_refused "create answered with a body that never ends" \
    "{\"path\":\"$CREATE\",$U1,\"endless_body\":true,\"count\":2}" \
    "answer larger than 4 MiB"
# A 200 echo with wrong types is still a done create: the echo is not read.
fake_faults "[{\"path\":\"$CREATE\",$U1,\"raw_body\":\"{\\\"email\\\":42,\\\"businessunitId\\\":\\\"x\\\"}\"}]"
run_agent -c "$T/agent.ini" sync
check_eq "a 200 echo of the wrong types: exit 0" "$RC" 0
check_eq "the others are created" "$(fake_users_emails | wc -l)" 3
rm -f "$T/state.db" "$T/state.db-wal" "$T/state.db-shm"
fake_reset

# --- a hostile directory: each bad entry named by DN and attribute ----------
LONG=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "x"; }')
b64() { printf "$1" | base64 -w0; }
{
	gen_ou Engineering
	cat <<EOF
dn: uid=long,ou=Sales,$P
objectClass: inetOrgPerson
uid: long
cn: $LONG
sn: L
mail: long@example.com

dn: uid=nul,ou=Sales,$P
objectClass: inetOrgPerson
uid: nul
cn: Nul Byte
sn: N
mail:: $(b64 'nul\000byte@example.com')

dn: uid=ff,ou=Sales,$P
objectClass: inetOrgPerson
uid: ff
cn: FF Byte
sn: F
audio:: $(b64 'name\377\376')
mail: ff@example.com

dn: uid=many,ou=Sales,$P
objectClass: inetOrgPerson
uid: many
cn: Many Mails
sn: M
EOF
	awk 'BEGIN { for (i = 0; i < 1500; i++) printf "mail: m%04d@example.com\n", i; print "" }'
	cat <<EOF
dn: cn=Smith\\, John,ou=Sales,$P
objectClass: inetOrgPerson
cn: Smith, John
sn: Smith
mail: john.smith@example.com

dn: cn=a\\+b,ou=Engineering,$P
objectClass: inetOrgPerson
cn: a+b
sn: b
mail: a.b@example.com

dn: cn=\\#hash,ou=Engineering,$P
objectClass: inetOrgPerson
cn: #hash
sn: h
mail: hash@example.com

dn: cn=Jürgen Müller 山田,ou=Sales,$P
objectClass: inetOrgPerson
cn: Jürgen Müller 山田
sn: Müller
mail: juergen@example.com

EOF
} >"$T/hostile.ldif"
if slapd_add "$T/ldap" "$T/hostile.ldif" 2>"$T/ldapadd.err"; then
	ok "the hostile entries load"
else
	not_ok "the hostile entries load" "$(cat "$T/ldapadd.err")"
fi
# The binary value in a text attribute: slapd checks that cn and mail are
# text, so it sits in audio (octet string), read here as the name.
CFG_LDAP_EXTRA="name_attribute = audio" write_config "$T/audio.ini"
run_agent -c "$T/audio.ini" plan
check_contains "binary name value: refused, named by DN and attribute" "$(err)" \
    "skipped uid=ff,ou=Sales,$P: audio holds a binary or invalid UTF-8 value"
run_agent -c "$T/agent.ini" sync
check_eq "hostile directory: exit 0 (skipped entries are warnings)" "$RC" 0
check_contains "a 5000-byte value: named by DN and attribute" "$(err)" \
    "skipped uid=long,ou=Sales,$P: cn value too long (5000 bytes)"
check_contains "a NUL byte in mail: named by DN and attribute" "$(err)" \
    "skipped uid=nul,ou=Sales,$P: mail holds a binary or invalid UTF-8 value"
check_contains "1500 mail values: named by DN and attribute" "$(err)" \
    "skipped uid=many,ou=Sales,$P: mail has too many values (more than 1000)"
# (A DN over DN_MAX_LEN cannot be stored in slapd's mdb at all: error 80.)
check "the log is valid UTF-8" utf8_ok "$T/err"
check_eq "the escaped and unicode DNs are synced, the refused ones not" \
    "$(fake_users_emails | tr '\n' ' ')" \
    "a.b@example.com ff@example.com hash@example.com john.smith@example.com juergen@example.com user00001@example.com user00002@example.com user00003@example.com user00004@example.com "
check_eq "cn=Smith\\, John is placed by its OU (Sales)" \
    "$(fake_user_field john.smith@example.com businessunitId)" 101
check_eq "cn=a\\+b is placed by its OU (Engineering)" \
    "$(fake_user_field a.b@example.com businessunitId)" 102
check_eq "cn=\\#hash is placed by its OU (Engineering)" \
    "$(fake_user_field hash@example.com businessunitId)" 102
check_eq "a unicode DN is placed by its OU (Sales)" \
    "$(fake_user_field juergen@example.com businessunitId)" 101
check_eq "its name is sent as is" \
    "$(fake_user_field juergen@example.com fullName)" "Jürgen Müller 山田"
run_agent -c "$T/agent.ini" sync
check_eq "a second run: exit 0" "$RC" 0
check_eq "a second run sends nothing (the escaped DNs are stable)" \
    "$(fake_request_count POST)" 9
t_done
