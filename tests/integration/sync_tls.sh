#!/bin/sh
# sync_tls: the directory over ldaps://, StartTLS and ldapi://, with
# certificate checks on; iMocha over HTTPS with its own CA.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup
SLAPD_TLS=1 slapd_start "$T/ldap" || skip_all "slapd could not start"
tls_make_certs "$T/https" || { not_ok "HTTPS certificates"; t_done; }
fake_start "$T/fake" --bu 1:Sales --tls-cert "$T/https/server.pem" --tls-key "$T/https/server.key" ||
    { not_ok "HTTPS fake iMocha starts"; t_done; }
{ gen_ou Sales; gen_users 2 Sales; } | slapd_add "$T/ldap"
HTTPS_CA="ca_file = $T/https/ca.pem"

CFG_URI=$SLAPD_LDAPS_URI CFG_IMOCHA_EXTRA=$HTTPS_CA write_config "$T/ldaps.ini"
run_agent -c "$T/ldaps.ini" sync
check_eq "ldaps:// with ca_file, HTTPS with ca_file: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
check_eq "users created over TLS both ways" "$(fake_users_emails | wc -l)" 2

# Without the CA the directory's certificate is not trusted: exit 3.
SLAPD_CA= CFG_URI=$SLAPD_LDAPS_URI CFG_IMOCHA_EXTRA=$HTTPS_CA write_config "$T/noca.ini"
run_agent -c "$T/noca.ini" plan
check_eq "ldaps:// without the CA: exit 3" "$RC" 3

# ... unless checks are turned off on purpose, which warns on every run.
SLAPD_CA= CFG_URI=$SLAPD_LDAPS_URI CFG_IMOCHA_EXTRA=$HTTPS_CA \
CFG_LDAP_EXTRA="insecure_skip_tls_verify = yes" write_config "$T/insecure.ini"
run_agent -c "$T/insecure.ini" plan
check_eq "insecure_skip_tls_verify = yes connects" "$RC" 0
check_contains "and warns" "$(cat "$T/err")" "certificate"

CFG_LDAP_EXTRA="starttls = yes" CFG_IMOCHA_EXTRA=$HTTPS_CA write_config "$T/starttls.ini"
run_agent -c "$T/starttls.ini" plan
check_eq "StartTLS on ldap:// with ca_file: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"

CFG_URI=$SLAPD_LDAPI_URI CFG_IMOCHA_EXTRA=$HTTPS_CA write_config "$T/ldapi.ini"
run_agent -c "$T/ldapi.ini" plan
check_eq "ldapi:// socket: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"

# iMocha's certificate is checked too: without its CA, exit 4, nothing sent.
CFG_URI=$SLAPD_LDAPS_URI write_config "$T/nohttpsca.ini"
run_agent -c "$T/nohttpsca.ini" plan
check_eq "HTTPS without iMocha's CA: exit 4" "$RC" 4

# Failover: a dead URI first, then the live one.
CFG_URI="ldap://127.0.0.1:9 $SLAPD_LDAPS_URI" CFG_IMOCHA_EXTRA=$HTTPS_CA write_config "$T/failover.ini"
run_agent -c "$T/failover.ini" plan
check_eq "a dead URI then a live one: exit 0" "$RC" 0
t_done
