#!/bin/sh
# tests/integration/rig_samba_kerberos.sh: self-test of the Samba AD DC
# rig's Kerberos side (tests/lib/samba_ad.sh): its krb5.conf, the DC's SPN
# ldap/127.0.0.N, samba_keytab, and GSSAPI binds as the agent will make
# them (the URI host as written: ldapsearch -N, i.e. SASL_NOCANON).
#
# Each case checks one promise the agent's Kerberos tests build on, the
# error texts among them: a tool's own words, which the agent's messages
# will carry.

: "${L2I_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/samba_ad.sh"

samba_require
samba_require_krb5
t_setup
# No ~/.ldaprc, no Kerberos settings of the machine's user.
HOME=$T
export HOME
unset LDAPTLS_CACERT LDAPTLS_REQCERT LDAPTLS_CACERTDIR KRB5CCNAME \
    KRB5_CONFIG KRB5_KTNAME KRB5_CLIENT_KTNAME KRB5_TRACE KRB5RCACHEDIR
# klist's dates and the tools' messages: one form, whatever the locale.
LC_ALL=C
export LC_ALL
: >"$T/marker"

fails() {
	! "$@"
}

now() {
	date +%s.%N
}

since() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f\n", b - a }'
}

# krb CCACHE CMD...: CMD with the rig's krb5.conf and the ccache FILE:CCACHE.
krb() {
	_kr_cc=$1
	shift
	KRB5_CONFIG=$SAMBA_KRB5_CONF KRB5CCNAME=FILE:$_kr_cc "$@"
}

# gss CCACHE URI ARGS...: ldapsearch with a GSSAPI bind from CCACHE, the
# SPN from URI's host as written (-N), the rig's CA for TLS; SASL's own
# lines (username, SSF) on stderr.
gss() {
	_gs_cc=$1 _gs_uri=$2
	shift 2
	KRB5_CONFIG=${GSS_KRB5_CONFIG:-$SAMBA_KRB5_CONF} KRB5CCNAME=FILE:$_gs_cc \
	    LDAPTLS_CACERT=$SAMBA_CA LDAPTLS_REQCERT=demand \
	    ldapsearch -Y GSSAPI -N -LLL -o ldif-wrap=no -o nettimeout=5 \
	    -H "$_gs_uri" "$@"
}

# people CCACHE URI [ARGS...]: the sAMAccountNames under $SAMBA_PEOPLE,
# sorted, on one line.
people() {
	_pe_cc=$1 _pe_uri=$2
	shift 2
	gss "$_pe_cc" "$_pe_uri" "$@" -b "$SAMBA_PEOPLE" \
	    '(objectClass=user)' sAMAccountName 2>/dev/null |
	    sed -n 's/^sAMAccountName: //p' | sort | tr '\n' ' '
}

# lifetime CCACHE PRINCIPAL: seconds from start to end of PRINCIPAL's
# ticket in CCACHE (klist's dates are local time, MM/DD/YY).
lifetime() {
	krb "$1" klist | awk -v p="$2" '$5 == p { print $1, $2; print $3, $4 }' |
	    while read -r _lt_d _lt_t; do
		date -d "$_lt_d $_lt_t" +%s
	    done | awk 'NR == 1 { s = $1 } NR == 2 { print $1 - s }'
}

# as_asked SECONDS ASKED: ASKED when SECONDS is ASKED or one less, else
# SECONDS.  kinit asks for a ticket until "now + ASKED" by its clock and
# the KDC starts it at its own now, which can be the next second: a CI
# run saw 150 s asked and 149 s granted.
as_asked() {
	if [ "$1" -eq "$2" ] || [ "$1" -eq $(($2 - 1)) ]; then
		echo "$2"
	else
		echo "$1"
	fi
}

# --- the domain ----------------------------------------------------------------

t0=$(now)
if samba_start "$T/ad"; then
	ok "samba_start: a domain answers on $SAMBA_LDAPS_URI"
else
	not_ok "samba_start: a domain answers"
	t_done
fi
diag "samba_start: $(since "$t0") s"
samba_user_add "$T/ad" "$SAMBA_PEOPLE" kim kim@example.com Kim Kerberos \
    >/dev/null
samba_user_add "$T/ad" "$SAMBA_PEOPLE" lee lee@example.com Lee Ldap \
    >/dev/null

# --- krb5.conf, SPN ------------------------------------------------------------------

conf=$(cat "$SAMBA_KRB5_CONF")
check_contains "krb5.conf: the realm's KDC is the DC's address" "$conf" "
    $SAMBA_REALM = {
        kdc = $SAMBA_ADDR
    }"
for line in "default_realm = $SAMBA_REALM" "dns_lookup_realm = false" \
    "dns_lookup_kdc = false" "rdns = false" \
    "dns_canonicalize_hostname = false" \
    "default_ccache_name = FILE:$SAMBA_DIR/krb5cc"; do
	check_contains "krb5.conf: $line" "$conf" "
    $line
"
done
check_eq "SAMBA_LDAP_SPN: ldap/ and the address" "$SAMBA_LDAP_SPN" \
    "ldap/$SAMBA_ADDR"
check "samba_spns: the DC's account holds $SAMBA_LDAP_SPN" eval \
    'samba_spns "$T/ad" | grep -qx "$SAMBA_LDAP_SPN"'
check_eq "the principals" "$SAMBA_AGENT_PRINCIPAL $SAMBA_ROOT_PRINCIPAL" \
    "imocha-sync@EXAMPLE.COM Administrator@EXAMPLE.COM"

# --- keytabs -------------------------------------------------------------------------

t0=$(now)
check "samba_keytab: the service account's keys" \
    samba_keytab "$T/ad" "$T/agent.keytab"
diag "samba_keytab: $(since "$t0") s"
check_eq "samba_keytab: mode 0600" "$(stat -c %a "$T/agent.keytab")" 600
check_eq "samba_keytab: only $SAMBA_AGENT_PRINCIPAL, AES among its keys" \
    "$(klist -ke "$T/agent.keytab" | awk 'NR > 3 { print $2, $3 }' | sort -u |
    grep -c aes) $(klist -k "$T/agent.keytab" | awk 'NR > 3 { print $2 }' |
    sort -u)" "2 $SAMBA_AGENT_PRINCIPAL"
check "samba_keytab: another account's ($SAMBA_ROOT_PRINCIPAL)" \
    samba_keytab "$T/ad" "$T/other.keytab" "$SAMBA_ROOT_PRINCIPAL"
check "samba_keytab: ... which holds no key of the service account" fails \
    eval 'klist -k "$T/other.keytab" | grep -q "$SAMBA_AGENT_PRINCIPAL"'
out=$(samba_keytab "$T/ad" "$T/nobody.keytab" "nobody@$SAMBA_REALM" 2>&1)
check_eq "samba_keytab: an unknown principal fails, no file" \
    "$?$(test -e "$T/nobody.keytab" && echo ' file')" 1
check_contains "samba_keytab: ... and says so" "$out" \
    "no keys for nobody@$SAMBA_REALM"

# --- kinit, GSSAPI binds ---------------------------------------------------------------

cc=$T/agent.cc
check "kinit -kt from the exported keytab" \
    krb "$cc" kinit -kt "$T/agent.keytab" "$SAMBA_AGENT_PRINCIPAL"
check_contains "klist: the service account's TGT" "$(krb "$cc" klist 2>&1)" \
    "Default principal: $SAMBA_AGENT_PRINCIPAL"

check_eq "ldap://: GSSAPI bind, the users under $SAMBA_PEOPLE" \
    "$(people "$cc" "$SAMBA_URI")" "kim lee "
out=$(gss "$cc" "$SAMBA_URI" -b "" -s base dn 2>&1 >/dev/null)
check_contains "ldap://: bound as the service account" "$out" \
    "SASL username: $SAMBA_AGENT_PRINCIPAL"
check_contains "ldap://: sealed (Samba's rule on plain LDAP)" "$out" \
    "SASL SSF: 256"
check_contains "the service ticket is for $SAMBA_LDAP_SPN" \
    "$(krb "$cc" klist 2>&1)" "Ticket server: $SAMBA_LDAP_SPN@$SAMBA_REALM"

check_eq "ldaps:// with -O maxssf=0: the users" \
    "$(people "$cc" "$SAMBA_LDAPS_URI" -O maxssf=0)" "kim lee "
check_eq "StartTLS (-ZZ) with -O maxssf=0: the users" \
    "$(people "$cc" "$SAMBA_URI" -ZZ -O maxssf=0)" "kim lee "
out=$(gss "$cc" "$SAMBA_LDAPS_URI" -b "" -s base dn 2>&1)
check_eq "ldaps:// with sign/seal: refused (53)" "$?" 53
check_contains "ldaps:// with sign/seal: ... and why" "$out" \
    "SASL:[GSSAPI]: Sign or Seal are not allowed if TLS is used"
out=$(gss "$cc" "$SAMBA_URI" -O maxssf=0 -b "" -s base dn 2>&1)
check_eq "ldap:// without sign/seal: refused (8)" "$?" 8
check_contains "ldap:// without sign/seal: ... Samba's (odd) words" "$out" \
    "SASL:[GSSAPI]: not allowed if TLS is used."
out=$(ldapsearch -x -H "$SAMBA_URI" -o nettimeout=5 -D "$SAMBA_AGENT_DN" \
    -y "$T/ad/agentpw" -b "" -s base dn 2>&1)
check_eq "plain ldap://: a simple bind is still refused (8)" "$?" 8
check_contains "plain ldap://: ... Transport encryption required" "$out" \
    "BindSimple: Transport encryption required"

# Without KRB5CCNAME: the default ccache of the rig's krb5.conf, in DIR.
check "kinit without KRB5CCNAME: the ccache goes to \$SAMBA_DIR/krb5cc" \
    eval 'KRB5_CONFIG=$SAMBA_KRB5_CONF kinit -kt "$T/agent.keytab" \
    "$SAMBA_AGENT_PRINCIPAL" && test -s "$SAMBA_DIR/krb5cc"'

# --- lifetimes ---------------------------------------------------------------------

# Samba's KDC grants a short lifetime as asked; but its PAC check refuses
# a service ticket for a TGT with 120 s or less left ("Ticket expired"),
# so the shortest that binds is 121 s.
for life in 30 90; do
	krb "$T/l$life.cc" kinit -l "${life}s" -kt "$T/agent.keytab" \
	    "$SAMBA_AGENT_PRINCIPAL"
	check_eq "kinit -l ${life}s: klist shows a ${life} s TGT" \
	    "$(as_asked "$(lifetime "$T/l$life.cc" \
	    "krbtgt/$SAMBA_REALM@$SAMBA_REALM")" "$life")" "$life"
done
out=$(gss "$T/l90.cc" "$SAMBA_URI" -b "" -s base dn 2>&1)
check_eq "a TGT with 120 s or less left gets no service ticket (-2)" "$?" 254
check_contains "... Ticket expired" "$out" \
    "GSSAPI Error: Unspecified GSS failure.  Minor code may provide more information (Ticket expired)"
krb "$T/l150.cc" kinit -l 150s -kt "$T/agent.keytab" "$SAMBA_AGENT_PRINCIPAL"
check_eq "kinit -l 150s: a 150 s TGT binds" \
    "$(people "$T/l150.cc" "$SAMBA_URI")" "kim lee "
check_eq "... and the service ticket ends with the TGT" \
    "$(krb "$T/l150.cc" klist | awk '$5 ~ /^krbtgt\// { print $3, $4 }')" \
    "$(krb "$T/l150.cc" klist | awk '$5 ~ /^ldap\// { print $3, $4 }')"
# The ticket_lifetime of a krb5.conf: what the agent's own kinit asks for.
samba_krb5_conf "$T/ad" "" "ticket_lifetime = 150s" >"$T/life.conf"
KRB5_CONFIG=$T/life.conf KRB5CCNAME=FILE:$T/life.cc \
    kinit -kt "$T/agent.keytab" "$SAMBA_AGENT_PRINCIPAL"
check_eq "samba_krb5_conf ... \"ticket_lifetime = 150s\": a 150 s TGT" \
    "$(as_asked "$(lifetime "$T/life.cc" \
    "krbtgt/$SAMBA_REALM@$SAMBA_REALM")" 150)" 150

# --- failures ------------------------------------------------------------------------

out=$(krb "$T/other.cc" kinit -kt "$T/other.keytab" "$SAMBA_AGENT_PRINCIPAL" 2>&1)
check_eq "kinit from another account's keytab fails" "$?" 1
check_contains "... Keytab contains no suitable keys" "$out" \
    "Keytab contains no suitable keys for $SAMBA_AGENT_PRINCIPAL while getting initial credentials"
check "... and leaves no ticket" fails krb "$T/other.cc" klist -s

samba_krb5_conf "$T/ad" "$SAMBA_ADDR:1" >"$T/nokdc.conf"
out=$(KRB5_CONFIG=$T/nokdc.conf KRB5CCNAME=FILE:$T/nokdc.cc \
    kinit -kt "$T/agent.keytab" "$SAMBA_AGENT_PRINCIPAL" 2>&1)
check_eq "kinit, the KDC unreachable: fails" "$?" 1
check_contains "... Cannot contact any KDC" "$out" \
    "Cannot contact any KDC for realm '$SAMBA_REALM' while getting initial credentials"
# A TGT, but no KDC for the service ticket.
krb "$T/nokdc.cc" kinit -kt "$T/agent.keytab" "$SAMBA_AGENT_PRINCIPAL"
out=$(GSS_KRB5_CONFIG=$T/nokdc.conf gss "$T/nokdc.cc" "$SAMBA_URI" -b "" \
    -s base dn 2>&1)
check_eq "bind with a TGT, the KDC unreachable: local error (-2)" "$?" 254
check_contains "... Cannot contact any KDC" "$out" \
    "(Cannot contact any KDC for realm '$SAMBA_REALM')"

samba_spn "$T/ad" delete "$SAMBA_LDAP_SPN"
check "samba_spn delete: the SPN is gone" fails eval \
    'samba_spns "$T/ad" | grep -qx "$SAMBA_LDAP_SPN"'
krb "$T/nospn.cc" kinit -kt "$T/agent.keytab" "$SAMBA_AGENT_PRINCIPAL"
out=$(gss "$T/nospn.cc" "$SAMBA_URI" -b "" -s base dn 2>&1)
check_eq "bind, the SPN unknown: local error (-2)" "$?" 254
check_contains "... Server not found in Kerberos database" "$out" \
    "(Server not found in Kerberos database)"
samba_spn "$T/ad" add "$SAMBA_LDAP_SPN"
check_eq "samba_spn add: binds again" "$(people "$T/nospn.cc" "$SAMBA_URI")" \
    "kim lee "

# A skewed clock: MIT's kinit adopts the KDC's time (kdc_timesync, on by
# default) and stores the offset in the ccache, so a bind from the same
# skewed clock works; the ccache used on a true clock is off by the skew.
# With kdc_timesync = 0, kinit itself fails.  (faketime needs -f for an
# offset: `faketime -f +1h CMD`.)
if command -v faketime >/dev/null 2>&1 &&
    [ "$(faketime -f +1h date +%H 2>/dev/null)" != "$(date +%H)" ]; then
	check "clock +1h: kinit works (the KDC's time adopted)" \
	    krb "$T/skew.cc" faketime -f +1h kinit -kt "$T/agent.keytab" \
	    "$SAMBA_AGENT_PRINCIPAL"
	cp "$T/skew.cc" "$T/skew2.cc"
	check_eq "clock +1h: a bind from the same clock works" \
	    "$(krb "$T/skew.cc" faketime -f +1h ldapsearch -Q -Y GSSAPI -N \
	    -LLL -o nettimeout=5 -H "$SAMBA_URI" -b "$SAMBA_PEOPLE" \
	    '(sAMAccountName=kim)' sAMAccountName |
	    sed -n 's/^sAMAccountName: //p')" kim
	out=$(gss "$T/skew2.cc" "$SAMBA_URI" -b "" -s base dn 2>&1)
	check_eq "that ccache on a true clock: local error (-2)" "$?" 254
	check_contains "... Clock skew too great" "$out" \
	    "(Clock skew too great)"
	samba_krb5_conf "$T/ad" "" "kdc_timesync = 0" >"$T/nosync.conf"
	out=$(KRB5_CONFIG=$T/nosync.conf KRB5CCNAME=FILE:$T/nosync.cc \
	    faketime -f +1h kinit -kt "$T/agent.keytab" \
	    "$SAMBA_AGENT_PRINCIPAL" 2>&1)
	check_eq "clock +1h, kdc_timesync = 0: kinit fails" "$?" 1
	check_contains "... Clock skew too great" "$out" \
	    "Clock skew too great while getting initial credentials"
else
	skip "clock skew" "needs faketime (Debian package faketime) that works here"
fi

# --- restart, the system -----------------------------------------------------------------

samba_restart "$T/ad"
krb "$T/restart.cc" kinit -kt "$T/agent.keytab" "$SAMBA_AGENT_PRINCIPAL"
check_eq "samba_restart: the SPN and the keys stay" \
    "$(people "$T/restart.cc" "$SAMBA_LDAPS_URI" -O maxssf=0)" "kim lee "

check_eq "nothing written to the system's Kerberos paths" \
    "$(find /etc/krb5.conf /etc/krb5.keytab /etc/krb5 /tmp/krb5cc_"$(id -u)" \
    /var/tmp/krb5cc_"$(id -u)" /etc/samba /var/lib/samba -newer "$T/marker" \
    2>/dev/null)" ""

t_done
