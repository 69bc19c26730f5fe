#!/bin/sh
# tests/integration/rig_slapd_external.sh: self-test of the slapd rig's
# SASL EXTERNAL knobs (tests/lib/slapd.sh: SLAPD_TLS_VERIFY_CLIENT,
# SLAPD_CLIENT_SUBJECT, SLAPD_LDAPI_EXTERNAL; tests/lib/certs.sh:
# tls_make_ca, tls_make_client_cert).
#
# Two instances side by side: "try" (TLSVerifyClient try, ldapi EXTERNAL
# mapped, a size limit of 5 over 8 users) and "demand" (TLSVerifyClient
# demand, a client certificate whose subject is nothing like the agent's
# DN, ldapi left alone).  Each case checks one promise the agent's
# EXTERNAL and client-certificate tests build on; what slapd and libldap
# answer when they refuse goes to diagnostics.

: "${L2I_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"

SLAPD_TLS=1 slapd_require
require_cmd ldapwhoami ldap-utils
t_setup
# No ~/.ldaprc of the machine's user may change what the tools do.
HOME=$T
export HOME
unset LDAPTLS_CACERT LDAPTLS_REQCERT LDAPTLS_CACERTDIR LDAPTLS_CERT \
    LDAPTLS_KEY LDAPSASL_MECH LDAPSASL_AUTHCID LDAPSASL_AUTHZID

PEOPLE="ou=People,$SLAPD_SUFFIX"
# What whoami says for the agent reached through SASL: slapd's normalized
# DN (lower case), not the DN as written.
AGENT_NORM=$(printf '%s\n' "$SLAPD_AGENT_DN" | tr 'A-Z' 'a-z')
ODD_SUBJECT="CN=imocha-sync.example.com,OU=Services,O=Example Corp,C=US"

# fails CMD...: true when CMD fails (a case that expects an error).
fails() {
	! "$@"
}

# tls_as DIR WHO CMD...: CMD with libldap's TLS settings for the instance
# in DIR: its CA, demanded, and as client certificate WHO: "agent" or
# "foreign" (the rig's), a path prefix (PREFIX.pem, PREFIX.key) or "none".
tls_as() {
	_ta_dir=$1 _ta_who=$2
	shift 2
	case $_ta_who in
	none)
		env LDAPTLS_CACERT="$_ta_dir/tls/ca.pem" LDAPTLS_REQCERT=demand "$@"
		return
		;;
	agent | foreign) _ta_who=$_ta_dir/tls/$_ta_who ;;
	esac
	env LDAPTLS_CACERT="$_ta_dir/tls/ca.pem" LDAPTLS_REQCERT=demand \
	    LDAPTLS_CERT="$_ta_who.pem" LDAPTLS_KEY="$_ta_who.key" "$@"
}

# whoami_ext DIR WHO URI [ARGS...]: who slapd says a SASL EXTERNAL bind is
# (ldapwhoami's "dn:..."); its errors on stderr.
whoami_ext() {
	_we_dir=$1 _we_who=$2 _we_uri=$3
	shift 3
	tls_as "$_we_dir" "$_we_who" ldapwhoami -Q -Y EXTERNAL -H "$_we_uri" \
	    -o nettimeout=5 "$@"
}

# search_ext DIR WHO URI ARGS...: ldapsearch -LLL bound by SASL EXTERNAL.
search_ext() {
	_se_dir=$1 _se_who=$2 _se_uri=$3
	shift 3
	tls_as "$_se_dir" "$_se_who" ldapsearch -Q -Y EXTERNAL -LLL \
	    -o ldif-wrap=no -o nettimeout=5 -H "$_se_uri" "$@"
}

# simple_agent DIR WHO URI ARGS...: ldapsearch -LLL with the agent's
# password (a simple bind), over TLS with client certificate WHO.
simple_agent() {
	_sa_dir=$1 _sa_who=$2 _sa_uri=$3
	shift 3
	tls_as "$_sa_dir" "$_sa_who" ldapsearch -x -LLL -o ldif-wrap=no \
	    -o nettimeout=5 -H "$_sa_uri" -D "$SLAPD_AGENT_DN" \
	    -y "$_sa_dir/agentpw" "$@"
}

count_dns() {
	grep -c '^dn: '
}

# --- the certificate makers (certs.sh) ----------------------------------------

if tls_make_certs "$T/ca1" && tls_make_ca "$T/ca2" &&
    tls_make_client_cert "$T/ca1" "$T/certs/one" \
    "CN=imocha-sync, OU=Services,DC=example,DC=com"; then
	ok "tls_make_ca and tls_make_client_cert make their files"
else
	not_ok "tls_make_ca and tls_make_client_cert make their files"
fi
check_eq "client key 0600, certificate 0644" \
    "$(stat -c %a "$T/certs/one.key" "$T/certs/one.pem" | tr '\n' ' ')" \
    "600 644 "
check_eq "the subject is in LDAP order, spaces dropped" \
    "$(openssl x509 -in "$T/certs/one.pem" -noout -subject -nameopt RFC2253)" \
    "subject=CN=imocha-sync,OU=Services,DC=example,DC=com"
check_contains "it is a client certificate" \
    "$(openssl x509 -in "$T/certs/one.pem" -noout -ext extendedKeyUsage,basicConstraints)" \
    "TLS Web Client Authentication"
check "the CA that signed it verifies it" \
    openssl verify -CAfile "$T/ca1/ca.pem" "$T/certs/one.pem"
check "another CA does not" fails \
    openssl verify -CAfile "$T/ca2/ca.pem" "$T/certs/one.pem"
check "a multi-valued RDN is refused, nothing written" eval \
    '! tls_make_client_cert "$T/ca1" "$T/certs/mv" "CN=a+UID=b,DC=x" 2>/dev/null &&
    test ! -e "$T/certs/mv.pem"'

# --- the "try" instance ---------------------------------------------------------

gen_users 8 >"$T/users.ldif"
if SLAPD_TLS_VERIFY_CLIENT=try SLAPD_LDAPI_EXTERNAL=1 SLAPD_SIZELIMIT=5 \
    SLAPD_PRELOAD="$T/users.ldif" slapd_start "$T/try"; then
	ok "slapd starts with TLSVerifyClient try and ldapi EXTERNAL"
else
	not_ok "slapd starts with TLSVerifyClient try and ldapi EXTERNAL"
	t_done
fi
# Some shells keep an assignment made before a function call.
unset SLAPD_TLS_VERIFY_CLIENT SLAPD_LDAPI_EXTERNAL SLAPD_SIZELIMIT SLAPD_PRELOAD
Y=$T/try Y_URI=$SLAPD_URI Y_LDAPS=$SLAPD_LDAPS_URI Y_LDAPI=$SLAPD_LDAPI_URI
check_eq "the rig exports the client certificates" \
    "$SLAPD_CLIENT_CERT $SLAPD_CLIENT_KEY $SLAPD_FOREIGN_CERT $SLAPD_FOREIGN_KEY" \
    "$Y/tls/agent.pem $Y/tls/agent.key $Y/tls/foreign.pem $Y/tls/foreign.key"
check_eq "its client key is 0600, its certificate 0644" \
    "$(stat -c %a "$SLAPD_CLIENT_KEY" "$SLAPD_CLIENT_CERT" | tr '\n' ' ')" \
    "600 644 "
check_eq "the foreign CA bears the rig CA's name" \
    "$(openssl x509 -in "$Y/tls/foreign-ca/ca.pem" -noout -subject)" \
    "$(openssl x509 -in "$Y/tls/ca.pem" -noout -subject)"
diag "authz-regexp lines:" "$(grep '^authz-regexp' "$Y/slapd.conf")"

out=$(whoami_ext "$Y" agent "$Y_LDAPS" 2>&1)
check_eq "try: EXTERNAL over ldaps:// with the agent's certificate is the agent" \
    "$out" "dn:$AGENT_NORM"
out=$(whoami_ext "$Y" agent "$Y_URI" -ZZ 2>&1)
check_eq "try: EXTERNAL over StartTLS (-ZZ) with it is the agent" \
    "$out" "dn:$AGENT_NORM"

out=$(whoami_ext "$Y" foreign "$Y_LDAPS" 2>&1)
rc=$?
check "try: a certificate from another CA is refused over ldaps://" \
    test "$rc" -ne 0 -a -z "$(printf '%s\n' "$out" | grep '^dn:')"
diag "ldapwhoami, exit $rc: $out"
out=$(whoami_ext "$Y" foreign "$Y_URI" -ZZ 2>&1)
rc=$?
check "try: ... and over StartTLS" \
    test "$rc" -ne 0 -a -z "$(printf '%s\n' "$out" | grep '^dn:')"
diag "ldapwhoami -ZZ, exit $rc: $out"
check "try: ... even for an anonymous search" fails tls_as "$Y" foreign \
    ldapsearch -x -H "$Y_LDAPS" -o nettimeout=5 -b "" -s base
diag "slapd.log says:" "$(grep -i 'tls' "$Y/slapd.log" | sed 's/^[^ ]* [^ ]* //' | sort | uniq -c)"

out=$(whoami_ext "$Y" none "$Y_LDAPS" 2>&1)
rc=$?
check "try: EXTERNAL over TLS without a certificate fails" test "$rc" -ne 0
diag "ldapwhoami, exit $rc: $out"

out=$(ldapwhoami -Q -Y EXTERNAL -H "$Y_LDAPI" -o nettimeout=5 2>&1)
check_eq "ldapi:// EXTERNAL from this uid/gid is the agent" "$out" \
    "dn:$AGENT_NORM"

out=$(search_ext "$Y" agent "$Y_LDAPS" -b "$PEOPLE" '(objectClass=inetOrgPerson)' dn 2>&1)
rc=$?
check_eq "EXTERNAL over ldaps:// reads all 8 users past the size limit of 5" \
    "$rc $(printf '%s\n' "$out" | count_dns)" "0 8"
out=$(search_ext "$Y" none "$Y_LDAPI" -b "$PEOPLE" '(objectClass=inetOrgPerson)' dn 2>&1)
rc=$?
check_eq "EXTERNAL over ldapi:// reads all 8 users too" \
    "$rc $(printf '%s\n' "$out" | count_dns)" "0 8"
out=$(search_ext "$Y" agent "$Y_URI" -ZZ -b "$SLAPD_AGENT_DN" -s base userPassword 2>&1)
check_eq "EXTERNAL: the agent still cannot read userPassword" "$out" \
    "dn: $SLAPD_AGENT_DN"

# The mapping is for one subject: any other certificate of the rig's CA is
# itself, an ordinary DN under the global limits.
tls_make_client_cert "$Y/tls" "$T/certs/other" \
    "CN=someone else,OU=Services,DC=example,DC=com" ||
    not_ok "a rig-CA certificate with another subject"
out=$(whoami_ext "$Y" "$T/certs/other" "$Y_LDAPS" 2>&1)
check_eq "another subject from the rig's CA is itself, not the agent" "$out" \
    "dn:cn=someone else,ou=services,dc=example,dc=com"
out=$(search_ext "$Y" "$T/certs/other" "$Y_LDAPS" -b "$PEOPLE" '(objectClass=inetOrgPerson)' dn 2>/dev/null)
rc=$?
check_eq "... and stops at the size limit (code 4)" \
    "$rc $(printf '%s\n' "$out" | count_dns)" "4 5"
out=$(tls_as "$Y" "$T/certs/other" ldapwhoami -x -H "$Y_LDAPS" -o nettimeout=5 \
    -D "$SLAPD_AGENT_DN" -y "$Y/agentpw" 2>&1)
check_eq "a simple bind over a certified session is the bind's DN" "$out" \
    "dn:$SLAPD_AGENT_DN"

out=$(simple_agent "$Y" none "$Y_LDAPS" -b "$PEOPLE" -s base dn 2>&1)
check_eq "try: a simple bind over ldaps:// without a certificate works" \
    "$out" "dn: $PEOPLE"
out=$(simple_agent "$Y" none "$Y_URI" -ZZ -b "$PEOPLE" -s base dn 2>&1)
check_eq "try: ... and over StartTLS" "$out" "dn: $PEOPLE"

# --- the "demand" instance ------------------------------------------------------

if SLAPD_TLS_VERIFY_CLIENT=demand SLAPD_CLIENT_SUBJECT=$ODD_SUBJECT \
    slapd_start "$T/demand"; then
	ok "slapd starts with TLSVerifyClient demand beside it"
else
	not_ok "slapd starts with TLSVerifyClient demand beside it"
	t_done
fi
unset SLAPD_TLS_VERIFY_CLIENT SLAPD_CLIENT_SUBJECT
D=$T/demand D_URI=$SLAPD_URI D_LDAPS=$SLAPD_LDAPS_URI D_LDAPI=$SLAPD_LDAPI_URI
check "the instances have their own CAs" fails cmp -s "$Y/tls/ca.pem" "$D/tls/ca.pem"

out=$(whoami_ext "$D" agent "$D_LDAPS" 2>&1)
check_eq "demand: a subject unlike the agent's DN maps to the agent (ldaps://)" \
    "$out" "dn:$AGENT_NORM"
out=$(whoami_ext "$D" agent "$D_URI" -ZZ 2>&1)
check_eq "demand: ... and over StartTLS" "$out" "dn:$AGENT_NORM"
out=$(whoami_ext "$D" foreign "$D_LDAPS" 2>&1)
check "demand: the foreign certificate is refused" \
    test -z "$(printf '%s\n' "$out" | grep '^dn:')"
check "demand: the other instance's agent certificate is refused" fails \
    tls_as "$D" "$Y/tls/agent" ldapwhoami -Q -Y EXTERNAL -H "$D_LDAPS" \
    -o nettimeout=5

out=$(simple_agent "$D" none "$D_LDAPS" -b "$PEOPLE" -s base dn 2>&1)
rc=$?
check "demand: ldaps:// without a client certificate fails" \
    test "$rc" -ne 0 -a -z "$(printf '%s\n' "$out" | grep '^dn:')"
diag "ldapsearch (simple bind), exit $rc: $out"
out=$(simple_agent "$D" none "$D_URI" -ZZ -b "$PEOPLE" -s base dn 2>&1)
rc=$?
check "demand: StartTLS without a client certificate fails" \
    test "$rc" -ne 0 -a -z "$(printf '%s\n' "$out" | grep '^dn:')"
diag "ldapsearch -ZZ (simple bind), exit $rc: $out"
out=$(simple_agent "$D" agent "$D_LDAPS" -b "$PEOPLE" -s base dn 2>&1)
check_eq "demand: with the certificate a simple bind works" "$out" "dn: $PEOPLE"
# TLSVerifyClient governs TLS sessions only.
out=$(ldapsearch -x -LLL -H "$D_URI" -o nettimeout=5 -D "$SLAPD_AGENT_DN" \
    -y "$D/agentpw" -b "$PEOPLE" -s base dn 2>&1)
check_eq "demand: plain ldap:// (no TLS) still takes a simple bind" "$out" \
    "dn: $PEOPLE"

out=$(ldapwhoami -Q -Y EXTERNAL -H "$D_LDAPI" -o nettimeout=5 2>&1)
check_eq "without SLAPD_LDAPI_EXTERNAL, ldapi:// EXTERNAL is the peer itself" \
    "$out" "dn:gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth"

# --- knobs off: the configuration is as before ----------------------------------

out=$(_slapd_conf /x pw)
check_eq "no knob: no TLSVerifyClient, no authz-regexp" \
    "$(printf '%s\n' "$out" | grep -c '^TLSVerifyClient\|^authz-regexp')" 0
out=$(SLAPD_LDAPI_EXTERNAL=1 _slapd_conf /x pw)
check_eq "SLAPD_LDAPI_EXTERNAL alone: one authz-regexp, no TLS" \
    "$(printf '%s\n' "$out" | grep -c '^authz-regexp') $(printf '%s\n' "$out" | grep -c '^TLS')" \
    "1 0"
check "a bad SLAPD_TLS_VERIFY_CLIENT is refused" eval \
    '! (SLAPD_TLS_VERIFY_CLIENT=hard slapd_start "$T/bad") 2>/dev/null'

t_done
