#!/bin/sh
# secrets: the bind password and the API key never show.  Every command
# runs (with -v: debug logging) with both secrets given each of the three
# ways SPEC.md allows (files, $CREDENTIALS_DIRECTORY, the environment);
# then stdout, stderr, the state store (sqlite3 .dump and its raw bytes,
# WAL included), saved plans and the metrics file are searched for both:
# zero hits.  A wrong API key (the 401 path) must not be echoed either.  A
# running agent's /proc/PID/cmdline never holds them.  Secret files that
# others could read or change are refused, naming the file and the fix.
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
require_cmd sqlite3 sqlite3
t_setup
# Distinctive secrets, so a hit is never a coincidence.
FAKE_API_KEY="apikey-$(rand_hex 16)"
export FAKE_API_KEY
WRONG_KEY="wrongkey-$(rand_hex 16)"
slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 101:Sales --bu 102:Engineering || { not_ok "fake iMocha starts"; t_done; }
{ gen_ou Sales; gen_ou Engineering; gen_users 3 Sales; gen_users 2 Engineering 4; } |
    slapd_add "$T/ldap" || { not_ok "directory loads"; t_done; }
BIND_PW=$SLAPD_AGENT_PW
[ ${#BIND_PW} -ge 16 ] || { not_ok "the bind password is distinctive"; t_done; }

ALL=$T/all-output
: >"$ALL"
METRICS=$T/metrics.prom
printf 'email,business_unit,status\nuser00001@example.com,Sales,Active\n' >"$T/users.csv"
# Everything the agent printed goes to $ALL as well.
agent() {
	run_agent "$@"
	cat "$T/out" "$T/err" >>"$ALL"
}

# Each way of giving the secrets: a config (plus environment) per way.
CFG_LOG_EXTRA="metrics_file = $METRICS" write_config "$T/files.ini"
sed -e '/^bind_password_file *=/d' -e '/^api_key_file *=/d' "$T/files.ini" >"$T/nofiles.ini"
mkdir -p "$T/creds"
chmod 700 "$T/creds"
(umask 077 && printf '%s\n' "$BIND_PW" >"$T/creds/ldap-password" &&
    printf '%s\n' "$FAKE_API_KEY" >"$T/creds/api-key")

every_command() {	# CONFIG WAY
	agent -v -c "$1" plan
	check_eq "$2: plan: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
	agent -v -c "$1" plan --json
	agent -v -c "$1" plan --out "$T/plan-$2.json"
	check_eq "$2: plan --out: exit 0" "$RC" 0
	agent -v -c "$1" adopt "$T/users.csv"
	check_eq "$2: adopt: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
	agent -v -c "$1" sync
	check_eq "$2: sync: exit 0" "$RC" 0 || sed 's/^/# /' "$T/err"
	agent -v -c "$1" sync --plan "$T/plan-$2.json"
	agent -v -c "$1" status
	check_eq "$2: status: exit 0" "$RC" 0
	agent -v -c "$1" status --json
	agent -v -c "$1" history
	agent -v -c "$1" history --json
	agent -v -c "$1" check
	check_eq "$2: check -v: exit 0" "$RC" 0 || sed 's/^/# /' "$T/out" "$T/err"
	check_contains "$2: check -v shows the secrets redacted" "$(cat "$T/out")" "(set)"
	agent -v -c "$1" business-units
	check_eq "$2: business-units: exit 0" "$RC" 0
}

every_command "$T/files.ini" files
CREDENTIALS_DIRECTORY=$T/creds
export CREDENTIALS_DIRECTORY
every_command "$T/nofiles.ini" credentials
unset CREDENTIALS_DIRECTORY
LDAP2IMOCHA_LDAP_PASSWORD=$BIND_PW LDAP2IMOCHA_API_KEY=$FAKE_API_KEY
export LDAP2IMOCHA_LDAP_PASSWORD LDAP2IMOCHA_API_KEY
every_command "$T/nofiles.ini" environment

# The ways things fail: a broken config, a wrong bind password, a wrong
# API key (iMocha's 401), a missing command.
agent -v -c "$T/nofiles.ini" --help
printf '[ldap]\nbogus = %s\n' "not-a-secret" >>"$T/broken.ini"
cat "$T/nofiles.ini" >>"$T/broken.ini"
agent -v -c "$T/broken.ini" sync
check_eq "a broken config: exit 2" "$RC" 2
agent -v -c "$T/nofiles.ini" nosuchcommand
check_eq "an unknown command: exit 2" "$RC" 2
LDAP2IMOCHA_LDAP_PASSWORD="wrong-$BIND_PW" agent -v -c "$T/nofiles.ini" sync
check_eq "a wrong bind password: exit 3" "$RC" 3
LDAP2IMOCHA_API_KEY=$WRONG_KEY agent -v -c "$T/nofiles.ini" sync
check_eq "a wrong API key: exit 4" "$RC" 4
check_contains "a wrong API key: iMocha's 401 message is shown" "$(cat "$T/err")" \
    "Access denied due to invalid subscription key"
LDAP2IMOCHA_API_KEY=$WRONG_KEY agent -v -c "$T/nofiles.ini" check
check_eq "a wrong API key: check exits 4" "$RC" 4

# A running agent's command line: the daemon, and a sync held up by a slow
# iMocha, looked at while they run.
cmdline_clean() {	# PID
	_cc=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
	[ -n "$_cc" ] || return 1
	printf '%s\n' "$_cc" >>"$T/cmdlines"
	case $_cc in
	*"$BIND_PW"* | *"$FAKE_API_KEY"*) return 1 ;;
	esac
	return 0
}
CFG_SYNC_EXTRA="interval = 1h" CFG_LOG_EXTRA="metrics_file = $METRICS" \
    write_config "$T/daemon.ini"
agent_bg -v -c "$T/daemon.ini" daemon
check "the daemon's /proc/PID/cmdline holds no secret" cmdline_clean "$AGENT_PID"
# Stopped once its first run is over (its signal handlers are set by then).
wait_for 60 grep -q "summary:" "$T/bg.err"
check "the daemon's /proc/PID/cmdline after a run: no secret" cmdline_clean "$AGENT_PID"
agent_stop
cat "$T/bg.out" "$T/bg.err" >>"$ALL"
check_eq "the daemon stops on SIGTERM: exit 0" "$RC" 0
printf 'dn: uid=slow,ou=Sales,ou=People,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: slow\ncn: Slow\nsn: S\nmail: slow@example.com\n\n' |
    slapd_add "$T/ldap"
fake_faults '[{"path":"/v3/accounts/user/create","email":"slow@example.com","delay_ms":3000}]'
agent_bg -v -c "$T/files.ini" sync
check "a running sync's /proc/PID/cmdline holds no secret" cmdline_clean "$AGENT_PID"
wait_for 30 _t_not_alive "$AGENT_PID"
agent_stop
cat "$T/bg.out" "$T/bg.err" >>"$ALL"
check_eq "the slow sync finishes: exit 0" "$RC" 0

# Now search everything the agent wrote.
count_in() {	# FILE: hits of either secret (raw bytes)
	_n=0
	for _s in "$BIND_PW" "$FAKE_API_KEY" "$WRONG_KEY"; do
		_n=$((_n + $(grep -caF -- "$_s" "$1")))
	done
	echo "$_n"
}
check "some output was collected" test -s "$ALL"
# The search itself works: it finds each secret where one is.
check_eq "the search finds the key in its own file" "$(count_in "$T/api.key")" 1
check_eq "the search finds the password in its own file" "$(count_in "$T/ldap.secret")" 1
check_eq "stdout and stderr of every command: no secret" "$(count_in "$ALL")" 0
sqlite3 "$T/state.db" .dump >"$T/state.dump" 2>&1
check "the state store dumps" test -s "$T/state.dump"
check_eq "the state store (sqlite3 .dump): no secret" "$(count_in "$T/state.dump")" 0
for f in "$T"/state.db*; do
	check_eq "$(basename "$f") raw bytes: no secret" "$(count_in "$f")" 0
done
for f in "$T"/plan-*.json; do
	check_eq "saved plan $(basename "$f"): no secret" "$(count_in "$f")" 0
done
if [ -f "$METRICS" ]; then
	check_eq "the metrics file: no secret" "$(count_in "$METRICS")" 0
else
	not_ok "the metrics file was written"
fi

# --- secret files others could read or change: refused (exit 2) --------------
unset LDAP2IMOCHA_LDAP_PASSWORD LDAP2IMOCHA_API_KEY
refused() {	# NAME CONFIG FILE WHY FIX
	agent -c "$2" plan
	check_eq "$1: exit 2" "$RC" 2
	check_contains "$1: names the file and why" "$(cat "$T/err")" "$3: $4"
	check_contains "$1: says how to fix it" "$(cat "$T/err")" "$5"
}
chmod 0644 "$T/ldap.secret"
refused "world-readable bind password file" "$T/files.ini" "$T/ldap.secret" \
    "readable by others" "run: chmod 600 $T/ldap.secret"
chmod 0620 "$T/ldap.secret"
refused "group-writable bind password file" "$T/files.ini" "$T/ldap.secret" \
    "group-writable" "run: chmod 600 $T/ldap.secret"
chmod 0600 "$T/ldap.secret"
chmod 0664 "$T/api.key"
refused "group-writable, world-readable API key file" "$T/files.ini" "$T/api.key" \
    "group-writable" "run: chmod 600 $T/api.key"
chmod 0600 "$T/api.key"
if chown 65534 "$T/api.key" 2>/dev/null && [ "$(id -u)" -eq 0 ]; then
	refused "an API key file owned by another user" "$T/files.ini" "$T/api.key" \
	    "owned by uid 65534" "run: chown root $T/api.key"
	chown 0 "$T/api.key"
fi
chmod 0644 "$T/creds/api-key"
CREDENTIALS_DIRECTORY=$T/creds
export CREDENTIALS_DIRECTORY
refused "a world-readable \$CREDENTIALS_DIRECTORY/api-key" "$T/nofiles.ini" \
    "$T/creds/api-key" "readable by others" "run: chmod 600 $T/creds/api-key"
chmod 0600 "$T/creds/api-key"
chmod 0640 "$T/creds/ldap-password"
agent -c "$T/nofiles.ini" plan
check_eq "group read of a secret stays allowed (a service group): exit 0" "$RC" 0
unset CREDENTIALS_DIRECTORY
check_eq "and still no secret in any message" "$(count_in "$ALL")" 0
t_done
