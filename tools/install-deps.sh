#!/bin/sh
# install-deps.sh: install the Debian 12 packages that building, testing and
# the demo need, when any is missing.  `make check` and `make demo` run it
# first, so both work on a fresh machine; it does nothing when all are there.
set -eu
# build: compiler, pkg-config and the five libraries of the stack, with
# MIT Kerberos (the agent's own tickets for GSSAPI binds) and Cyrus SASL's
# header (libldap's SASL binds).
# tests and demo: a real slapd with its tools, openssl for test certificates,
# Debian's python3 for the fake iMocha, sqlite3 to look inside the state store,
# groff-base to check the manual pages, systemd for systemd-analyze (the units),
# and the other two directory families of the server matrix, each started
# by the tests themselves: 389 Directory Server and Samba's AD DC; for the
# Kerberos tests, SASL's GSSAPI module, krb5-user (kinit, klist) and
# faketime (a clock out of step with the KDC's).
packages="gcc make pkg-config libldap-dev libcurl4-openssl-dev libcjson-dev
libsqlite3-dev libinih-dev libkrb5-dev libsasl2-dev slapd ldap-utils openssl
python3 sqlite3 groff-base systemd 389-ds-base samba samba-ad-dc
samba-ad-provision libnss3-tools libsasl2-modules-gssapi-mit krb5-user
faketime"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps: not root and no sudo; install as root:$missing" >&2
		exit 1
	}
else
	SUDO=
fi
# slapd's postinst would set up and start a system directory on port 389:
# the tests start their own, so tell it not to.
echo 'slapd slapd/no_configuration boolean true' | $SUDO debconf-set-selections
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
