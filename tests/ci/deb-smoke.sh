#!/bin/sh
# deb-smoke.sh [DEB]: the Debian package, installed for real (CI runs it
# after `make deb`, as root, on a throwaway machine).  Checks the package's
# file list and modes, installs it with dpkg -i, checks that nothing was
# enabled or started, the system user and its state directory, the units
# (systemd-analyze verify, and the exposure score under 2.0), then runs the
# installed binary as the service user, its secrets handed over the way
# systemd's LoadCredential= does, against a throwaway slapd and the fake
# iMocha: check, then a sync.  Last, dpkg --purge leaves nothing behind.
#   L2I_TOP=$PWD sh tests/ci/deb-smoke.sh build/deb/ldap2imocha_0.1.0_amd64.deb
# Prints "ok - " / "not ok - " lines; exits 1 if any case failed.
L2I_TOP=${L2I_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
L2I_BIN=/usr/bin/ldap2imocha
export L2I_TOP L2I_BIN
. "$L2I_TOP/tests/lib/common.sh"
. "$L2I_TOP/tests/lib/slapd.sh"
t_setup

deb=${1:-}
[ -n "$deb" ] || deb=$(ls "$L2I_TOP"/build/deb/ldap2imocha_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || { not_ok "a .deb to test" "none given, none in build/deb: run make deb"; t_done; }
[ "$(id -u)" -eq 0 ] || skip_all "must run as root: it installs the package"
for c in dpkg setpriv systemd-analyze; do
	require_cmd "$c" "dpkg, util-linux, systemd"
done
version=$(sed -n 's/^VERSION *:= *//p' "$L2I_TOP/Makefile")

# --- the package's contents -----------------------------------------------------

dpkg -c "$deb" >"$T/contents"
# perms PATH: the mode string dpkg -c shows for ./PATH, or nothing.
perms() {
	awk -v p="./$1" '$NF == p { print $1 }' "$T/contents"
}
check_eq "the binary, 0755" "$(perms usr/bin/ldap2imocha)" "-rwxr-xr-x"
check_eq "the sample config, 0640" "$(perms etc/ldap2imocha/ldap2imocha.ini.sample)" "-rw-r-----"
for f in lib/systemd/system/ldap2imocha.service lib/systemd/system/ldap2imocha-sync.service \
    lib/systemd/system/ldap2imocha-sync.timer usr/lib/sysusers.d/ldap2imocha.conf \
    usr/lib/tmpfiles.d/ldap2imocha.conf usr/share/man/man8/ldap2imocha.8.gz \
    usr/share/man/man5/ldap2imocha.ini.5.gz usr/share/ldap2imocha/sql/001_init.sql \
    usr/share/doc/ldap2imocha/copyright; do
	check_eq "ships $f, 0644" "$(perms "$f")" "-rw-r--r--"
done
dpkg-deb -e "$deb" "$T/control"
check_contains "the sample config is a conffile" "$(cat "$T/control/conffiles" 2>&1)" \
    "/etc/ldap2imocha/ldap2imocha.ini.sample"

# --- installing -------------------------------------------------------------------

check "dpkg -i installs it" dpkg -i "$deb"
check_contains "/usr/bin/ldap2imocha --version" "$("$L2I_BIN" --version)" "ldap2imocha $version"
check "the system user ldap2imocha exists" getent passwd ldap2imocha
check_eq "its home is the state directory" \
    "$(getent passwd ldap2imocha | cut -d: -f6)" /var/lib/ldap2imocha
check_eq "the state directory: ldap2imocha, 0750" \
    "$(stat -c '%U:%G %a' /var/lib/ldap2imocha 2>&1)" "ldap2imocha:ldap2imocha 750"
# Nothing enabled: no unit is linked from a .wants directory.
check_eq "no unit enabled" \
    "$(find /etc/systemd/system -name 'ldap2imocha*' 2>/dev/null)" ""

# systemd-analyze verify needs the binary at ExecStart's path, so it checks
# the units as installed, here; its man page check finds the pages too.
U=/lib/systemd/system
check "systemd-analyze verify the installed units" \
    systemd-analyze verify "$U/ldap2imocha.service" "$U/ldap2imocha-sync.service" \
    "$U/ldap2imocha-sync.timer"
for unit in ldap2imocha.service ldap2imocha-sync.service; do
	score=$(systemd-analyze security --offline=true "$U/$unit" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	check "$unit: exposure $score is under 2.0" \
	    awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 < 2.0) }'
done

# --- running it as the service would ---------------------------------------------

slapd_start "$T/ldap" || skip_all "slapd could not start"
fake_start "$T/fake" --bu 101:Engineering --bu 102:Sales || {
	not_ok "fake iMocha starts"
	t_done
}
{
	gen_ou Engineering
	gen_ou Sales
	gen_users 3 Engineering 1
	gen_users 2 Sales 4
} | slapd_add "$T/ldap" || not_ok "users added to slapd"

# The service user must reach the config, as under the unit: the file
# root:ldap2imocha 0640, the secrets in a credentials directory of its own
# (LoadCredential= makes them 0400, readable by the service's user).
chmod 0711 "$T"
svc=$T/svc
install -d -m 0750 -g ldap2imocha "$svc"
install -d -m 0500 -o ldap2imocha "$svc/creds"
printf '%s\n' "$SLAPD_AGENT_PW" >"$svc/creds/ldap-password"
printf '%s\n' "$FAKE_API_KEY" >"$svc/creds/api-key"
chown ldap2imocha "$svc/creds/ldap-password" "$svc/creds/api-key"
chmod 0400 "$svc/creds/ldap-password" "$svc/creds/api-key"
cat >"$svc/ldap2imocha.ini" <<EOF
[ldap]
uri = $SLAPD_URI
bind_dn = $SLAPD_AGENT_DN
base_dn = ou=People,dc=example,dc=com
[imocha]
base_url = $FAKE_URL
[mapping]
match_ou_name = yes
EOF
chgrp ldap2imocha "$svc/ldap2imocha.ini"
chmod 0640 "$svc/ldap2imocha.ini"

# as_service ARGS...: the installed binary as ldap2imocha, with only the
# environment the unit gives it; stdout in $T/out, stderr in $T/err, $RC.
as_service() {
	RC=0
	timeout -k 5 "$L2I_TIMEOUT" setpriv --reuid=ldap2imocha --regid=ldap2imocha \
	    --clear-groups env -i PATH=/usr/bin:/bin NO_PROXY=127.0.0.1 \
	    LDAP2IMOCHA_CONFIG="$svc/ldap2imocha.ini" CREDENTIALS_DIRECTORY="$svc/creds" \
	    "$L2I_BIN" "$@" </dev/null >"$T/out" 2>"$T/err" || RC=$?
}

as_service check
check_eq "check as the service user: exit 0" "$RC" 0 ||
    diag "$(cat "$T/out" "$T/err")"
check_contains "check: LDAP bound with the credential" "$(cat "$T/out")" "ldap: ok"
check_contains "check: iMocha answered with the credential" "$(cat "$T/out")" "imocha: ok"
as_service sync
check_eq "sync as the service user: exit 0" "$RC" 0 || diag "$(cat "$T/err")"
check_eq "sync created the five users in iMocha" "$(fake_users_emails | wc -l)" 5
check_eq "the state store: the service user's, 0600" \
    "$(stat -c '%U %a' /var/lib/ldap2imocha/state.db 2>&1)" "ldap2imocha 600"

# --- purging ---------------------------------------------------------------------

check "dpkg --purge removes it" dpkg --purge ldap2imocha
check "the binary is gone" test ! -e "$L2I_BIN"
check "the units are gone" test ! -e "$U/ldap2imocha.service"
check "/etc/ldap2imocha is gone" test ! -e /etc/ldap2imocha
check "the state directory is gone" test ! -e /var/lib/ldap2imocha

t_done
