#!/bin/sh
# bind_external: sasl_mech = EXTERNAL against a real slapd, with a TLS
# client certificate (over ldaps:// and StartTLS) and over ldapi:// by the
# process's own identity; a simple bind that also presents a certificate to
# a server that demands one; and each way these go wrong, named.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
AGENT=cn=imocha-sync,ou=Services,dc=example,dc=com

# One slapd that asks for a client certificate (TLSVerifyClient try) and
# maps the certificate's subject and the ldapi:// peer to the agent's
# account (authz-regexp: tests/lib/slapd.sh).
SLAPD_TLS_VERIFY_CLIENT=try SLAPD_LDAPI_EXTERNAL=1 slapd_start "$T/ldap" ||
    skip_all "slapd could not start"
fake_start "$T/fake" --bu 1:Sales || { not_ok "fake iMocha starts"; t_done; }
{ gen_ou Sales; gen_users 3 Sales; } | slapd_add "$T/ldap"
CERT="tls_cert_file = $SLAPD_CLIENT_CERT
tls_key_file = $SLAPD_CLIENT_KEY"

# The identity check reports is the server's "Who am I?" answer; slapd
# writes the certificate's DN in lower case.
bound_as_agent() {
	grep -i "bound as $AGENT and read base_dn" "$T/err" >/dev/null
}

CFG_BIND_DN= CFG_URI=$SLAPD_LDAPS_URI CFG_LDAP_EXTRA="sasl_mech = EXTERNAL
$CERT" write_config "$T/ldaps.ini"
run_agent -c "$T/ldaps.ini" check
check_eq "EXTERNAL over ldaps:// with a client certificate: check exits 0" "$RC" 0 ||
    sed 's/^/# /' "$T/err"
bound_as_agent
check_eq "check reports the identity the server gives the certificate" "$?" 0 ||
    grep "bound as" "$T/err" | sed 's/^/# /'
run_agent -c "$T/ldaps.ini" sync
check_eq "EXTERNAL over ldaps://: sync exits 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_eq "and creates the users" "$(fake_users_emails | wc -l)" 3

CFG_BIND_DN= CFG_LDAP_EXTRA="sasl_mech = EXTERNAL
starttls = yes
$CERT" write_config "$T/starttls.ini"
run_agent -c "$T/starttls.ini" check
check_eq "EXTERNAL over ldap:// with StartTLS: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
bound_as_agent
check_eq "bound as the agent's account" "$?" 0

CFG_BIND_DN= CFG_CA= CFG_URI=$SLAPD_LDAPI_URI CFG_LDAP_EXTRA="sasl_mech = EXTERNAL" \
    write_config "$T/ldapi.ini"
run_agent -c "$T/ldapi.ini" plan
check_eq "EXTERNAL over ldapi:// by the process's own identity: plan exits 0" "$RC" 0 ||
    sed 's/^/# /' "$T/err"
run_agent -c "$T/ldapi.ini" check
bound_as_agent
check_eq "ldapi:// peer mapped to the agent's account" "$?" 0 ||
    grep "bound as" "$T/err" | sed 's/^/# /'

# A certificate from a CA the server does not trust: the TLS handshake is
# refused; the message says the client certificate may be why.
CFG_BIND_DN= CFG_URI=$SLAPD_LDAPS_URI CFG_LDAP_EXTRA="sasl_mech = EXTERNAL
tls_cert_file = $SLAPD_FOREIGN_CERT
tls_key_file = $SLAPD_FOREIGN_KEY" write_config "$T/foreign.ini"
run_agent -c "$T/foreign.ini" check
check_eq "a client certificate the server does not accept: exit 3" "$RC" 3
check_contains "says the server may have refused the client certificate" \
    "$(cat "$T/err")" "client certificate (tls_cert_file)"

# The key is a secret file: readable by others, it is refused (exit 2);
# as the systemd credential ldap-tls-key it is taken when the key is unset.
cp "$SLAPD_CLIENT_KEY" "$T/open.key"
chmod 644 "$T/open.key"
CFG_BIND_DN= CFG_URI=$SLAPD_LDAPS_URI CFG_LDAP_EXTRA="sasl_mech = EXTERNAL
tls_cert_file = $SLAPD_CLIENT_CERT
tls_key_file = $T/open.key" write_config "$T/openkey.ini"
run_agent -c "$T/openkey.ini" check
check_eq "a client key readable by others: exit 2" "$RC" 2
check_contains "names the key file and the fix" "$(cat "$T/err")" \
    "tls_key_file: $T/open.key: readable by others (mode 0644); run: chmod 600"
mkdir -m 700 "$T/creds"
cp "$SLAPD_CLIENT_KEY" "$T/creds/ldap-tls-key"
chmod 600 "$T/creds/ldap-tls-key"
CFG_BIND_DN= CFG_URI=$SLAPD_LDAPS_URI CFG_LDAP_EXTRA="sasl_mech = EXTERNAL
tls_cert_file = $SLAPD_CLIENT_CERT" write_config "$T/credkey.ini"
CREDENTIALS_DIRECTORY=$T/creds run_agent -c "$T/credkey.ini" check
check_eq "the key from the credential ldap-tls-key: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_eq "no secret's content in the output" \
    "$(grep -c "PRIVATE KEY" "$T/out" "$T/err" | awk -F: '{ n += $NF } END { print n }')" 0

# A server that demands a client certificate of every TLS client: a simple
# bind presents one too, and is refused without it.
slapd_stop "$T/ldap"
SLAPD_TLS_VERIFY_CLIENT=demand slapd_start "$T/ldap2" || { not_ok "slapd (demand) starts"; t_done; }
CERT="tls_cert_file = $SLAPD_CLIENT_CERT
tls_key_file = $SLAPD_CLIENT_KEY"
CFG_URI=$SLAPD_LDAPS_URI CFG_LDAP_EXTRA=$CERT write_config "$T/simple-cert.ini"
run_agent -c "$T/simple-cert.ini" check
check_eq "a simple bind with a client certificate, to a server that demands one: exit 0" \
    "$RC" 0 || sed 's/^/# /' "$T/err"
check_contains "bound as bind_dn" "$(cat "$T/err")" "bound as $AGENT"
CFG_URI=$SLAPD_LDAPS_URI write_config "$T/simple-nocert.ini"
run_agent -c "$T/simple-nocert.ini" check
check_eq "the same without a certificate: exit 3" "$RC" 3
check_contains "the message points at the TLS handshake" "$(cat "$T/err")" \
    "the TLS handshake or the certificate check failed"
t_done
