#!/bin/sh
# cli: the command line and configuration errors, through the real binary:
# each bad input gets one clear line naming file:line: key, and exit 2.
. "$L2I_TOP/tests/lib/common.sh"
t_setup

run_agent --help
check_eq "--help exits 0" "$RC" 0
check_contains "--help documents the exit statuses" "$(cat "$T/out")" "6  another instance holds the state store lock"
run_agent --version
check_contains "--version names the program" "$(cat "$T/out")" "ldap2imocha "
run_agent -c /dev/null frobnicate
check_eq "an unknown command: exit 2" "$RC" 2
check_contains "says which command" "$(cat "$T/err")" "unknown command 'frobnicate'"
run_agent
check_eq "no command: exit 2" "$RC" 2
run_agent -c "$T/missing.ini" plan
check_eq "a missing config file: exit 2" "$RC" 2
check_contains "names the missing file" "$(cat "$T/err")" "$T/missing.ini"

printf 'test-key\n' >"$T/api.key"
chmod 600 "$T/api.key"
cat >"$T/bad.ini" <<EOF
[ldap]
uri = ldap://127.0.0.1:9
base_dn = ou=People,dc=example,dc=com
page_size = lots
colour = blue

[imocha]
api_key_file = $T/api.key

[sundry]
x = 1
EOF
run_agent -c "$T/bad.ini" plan
check_eq "a bad config: exit 2" "$RC" 2
err=$(cat "$T/err")
check_contains "bad number: file:line: key" "$err" "$T/bad.ini:4: page_size:"
check_contains "unknown key: file:line: key" "$err" "$T/bad.ini:5: colour:"
check_contains "unknown section: file:line" "$err" "$T/bad.ini:10:"
check_contains "unknown section named" "$err" "sundry"

long=$(printf '%0210d' 0)
cat >"$T/long.ini" <<EOF
[ldap]
uri = ldap://127.0.0.1:9
base_dn = ou=People,dc=example,dc=com
user_filter = (cn=$long)
[imocha]
api_key_file = $T/api.key
EOF
run_agent -c "$T/long.ini" plan
check_eq "an over-long line: exit 2" "$RC" 2
check_contains "an over-long line is refused by file:line" "$(cat "$T/err")" "$T/long.ini:4:"

LDAP2IMOCHA_API_KEY=env-secret-key-9876
export LDAP2IMOCHA_API_KEY
cat >"$T/env.ini" <<EOF
[ldap]
uri = ldap://127.0.0.1:9
base_dn = ou=People,dc=example,dc=com
[imocha]
base_url = http://127.0.0.1:9
[sync]
state_file = $T/state.db
EOF
run_agent -c "$T/env.ini" -v check
check_contains "check -v prints the effective config" "$(cat "$T/out")" "base_dn"
if grep -q env-secret-key-9876 "$T/out" "$T/err"; then
	not_ok "check -v never prints the API key"
else
	ok "check -v never prints the API key"
fi
check_eq "check with LDAP down: exit 3" "$RC" 3
unset LDAP2IMOCHA_API_KEY
t_done
