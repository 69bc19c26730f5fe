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

# iMocha's certificate checks are off only by insecure_skip_tls_verify, and
# the agent says so on every run.
CFG_URI=$SLAPD_LDAPS_URI CFG_IMOCHA_EXTRA="insecure_skip_tls_verify = yes" \
    write_config "$T/insecure-imocha.ini"
run_agent -c "$T/insecure-imocha.ini" plan
check_eq "iMocha insecure_skip_tls_verify = yes connects without the CA" "$RC" 0
check_contains "and warns about iMocha's certificate" "$(cat "$T/err")" \
    "iMocha: insecure_skip_tls_verify = yes"
run_agent -c "$T/ldaps.ini" plan
check_eq "no warning while the checks are on" \
    "$(grep -c insecure_skip_tls_verify "$T/err")" 0

# TLS 1.2 at least toward iMocha: a server that speaks only TLS 1.1 (with
# its trusted CA and the right name) is refused.  Debian's OpenSSL allows
# TLS 1.1 only at security level 0, which the server asks for; openssl
# s_client shows it really speaks TLS 1.1, so the refusal means something.
cat >"$T/tls11.py" <<'PYEOF'
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
ctx.minimum_version = ssl.TLSVersion.TLSv1_1
ctx.maximum_version = ssl.TLSVersion.TLSv1_1
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(120)   # never outlives the test by much
while True:
    c, _ = s.accept()
    try:
        t = ctx.wrap_socket(c, server_side=True)
        t.recv(4096)
        t.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 32\r\n\r\n'
                  b'{"businessUnits":[],"count":0} ')
        t.close()
    except (ssl.SSLError, OSError):
        c.close()
PYEOF
"$L2I_PY" -W ignore "$T/tls11.py" "$T/tls11.port" "$T/https/server.pem" "$T/https/server.key" \
    </dev/null >"$T/tls11.log" 2>&1 &
echo $! >"$T/tls11.pid"
_t_register agent "$T/tls11.pid"
if wait_for 10 test -s "$T/tls11.port"; then
	TLS11_PORT=$(cat "$T/tls11.port")
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$TLS11_PORT" -tls1_1 \
	    -cipher 'DEFAULT:@SECLEVEL=0' -CAfile "$T/https/ca.pem" >"$T/s_client.out" 2>&1
	if grep -q 'Protocol *: TLSv1.1' "$T/s_client.out"; then
		ok "the TLS 1.1-only server speaks TLS 1.1"
		CFG_URI=$SLAPD_LDAPS_URI CFG_BASE_URL="https://127.0.0.1:$TLS11_PORT" \
		    CFG_IMOCHA_EXTRA="$HTTPS_CA
max_retries = 0" write_config "$T/tls11.ini"
		run_agent -c "$T/tls11.ini" business-units
		check_eq "a TLS 1.1-only iMocha is refused: exit 4" "$RC" 4
		check_contains "the message names the TLS failure" "$(cat "$T/err")" "SSL"
	else
		skip "TLS 1.1 refused" "this OpenSSL cannot serve TLS 1.1 even at security level 0"
	fi
else
	not_ok "the TLS 1.1-only server starts" "$(cat "$T/tls11.log")"
fi
t_done
