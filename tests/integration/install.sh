#!/bin/sh
# install: `make install` puts every file where PREFIX, SYSCONFDIR and
# DESTDIR say, with the right modes, and the units it installs name the
# installed binary and config directory.  systemd-analyze verify needs the
# binary at ExecStart's real path, so the units are verified from an
# install with PREFIX set to a temporary directory (no DESTDIR); their
# exposure score (systemd-analyze security) must stay under 2.0.
. "$L2I_TOP/tests/lib/common.sh"
t_setup
require_cmd make make

# make_install ARGS...: the project's install target, with the build this
# run tests (nothing is rebuilt: tests/run runs after make all).
make_install() {
	_mi_san=
	[ "${BUILD:-build}" = build-san ] && _mi_san=SANITIZE=1
	make -s --no-print-directory -C "$L2I_TOP" install BUILD="${BUILD:-build}" \
	    $_mi_san "$@" >"$T/make.out" 2>&1
}

# mode FILE: "octal-mode" of FILE, or its error.
mode() {
	stat -c '%a' "$1" 2>&1
}

# --- DESTDIR and PREFIX, as a package builds ----------------------------------

D=$T/dest
check "make install DESTDIR=... PREFIX=/usr" make_install DESTDIR="$D" PREFIX=/usr ||
    diag "$(cat "$T/make.out")"
check_eq "the binary in PREFIX/bin, 0755" "$(mode "$D/usr/bin/ldap2imocha")" 755
check_eq "the sample config in SYSCONFDIR/ldap2imocha, 0640" \
    "$(mode "$D/etc/ldap2imocha/ldap2imocha.ini.sample")" 640
for f in lib/systemd/system/ldap2imocha.service lib/systemd/system/ldap2imocha-sync.service \
    lib/systemd/system/ldap2imocha-sync.timer lib/sysusers.d/ldap2imocha.conf \
    lib/tmpfiles.d/ldap2imocha.conf share/man/man8/ldap2imocha.8 \
    share/man/man5/ldap2imocha.ini.5 share/ldap2imocha/sql/001_init.sql; do
	check_eq "PREFIX/$f, 0644" "$(mode "$D/usr/$f")" 644
done
nsql=$(ls "$L2I_TOP"/sql/*.sql | wc -l)
check_eq "every schema file installed" "$(ls "$D"/usr/share/ldap2imocha/sql/*.sql | wc -l)" "$nsql"
unit=$(cat "$D/usr/lib/systemd/system/ldap2imocha.service")
check_contains "the unit runs PREFIX/bin/ldap2imocha daemon (no DESTDIR in it)" \
    "$unit" "ExecStart=/usr/bin/ldap2imocha daemon"
check_contains "the unit names the config in SYSCONFDIR" \
    "$unit" "LDAP2IMOCHA_CONFIG=/etc/ldap2imocha/ldap2imocha.ini"
check_eq "nothing enabled: no .wants directory" "$(find "$D" -name '*.wants')" ""
check_eq "nothing outside PREFIX and SYSCONFDIR" "$(ls "$D")" "etc
usr"

# --- another PREFIX and SYSCONFDIR, then systemd-analyze ----------------------

P=$T/prefix
check "make install PREFIX=DIR SYSCONFDIR=DIR/etc" make_install PREFIX="$P" SYSCONFDIR="$P/etc" ||
    diag "$(cat "$T/make.out")"
U=$P/lib/systemd/system
check_contains "the units follow BINDIR" "$(cat "$U/ldap2imocha-sync.service")" \
    "ExecStart=$P/bin/ldap2imocha sync"
check_contains "the credentials follow SYSCONFDIR" "$(cat "$U/ldap2imocha.service")" \
    "LoadCredential=api-key:$P/etc/ldap2imocha/api.key"
check_eq "no unit names /usr/bin or /etc/ldap2imocha any more" \
    "$(grep -h '/usr/bin/ldap2imocha\|/etc/ldap2imocha' "$U"/* | grep -vF "$P/")" ""

if ! command -v systemd-analyze >/dev/null 2>&1; then
	skip "systemd-analyze verify" "systemd-analyze not found: install the Debian package systemd"
	skip "systemd-analyze security" "systemd-analyze not found: install the Debian package systemd"
	t_done
fi
# verify also runs man(1) on each Documentation= page.
man_check=yes
command -v man >/dev/null 2>&1 || man_check=no
check "systemd-analyze verify the installed units" env MANPATH="$P/share/man" \
    systemd-analyze verify --man=$man_check "$U/ldap2imocha.service" \
    "$U/ldap2imocha-sync.service" "$U/ldap2imocha-sync.timer"
for u in ldap2imocha.service ldap2imocha-sync.service; do
	score=$(systemd-analyze security --offline=true "$U/$u" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	check "$u: exposure '$score' is under 2.0" \
	    awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 < 2.0) }'
done

t_done
