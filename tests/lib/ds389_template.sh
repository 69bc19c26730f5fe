#!/bin/sh
# tests/lib/ds389_template.sh: build the stopped 389-DS instance that
# tests/lib/ds389.sh copies for each test (POSIX sh)
#
#	sh tests/lib/ds389_template.sh OUT
#
# dscreate takes about 10 s, so it runs once per cache, not per test.  The
# result is built in OUT.build.PID and renamed to OUT only when complete,
# so a crash leaves no half-made OUT.  The caller holds the cache lock.
#
# Nothing lands outside OUT: the instance lives under a private PREFIX
# (OUT/root), with lib389's defaults.inf copied there with every instance
# path moved under it and systemd off (Debian's says with_systemd = 1 and
# lib389 would call systemctl).  lib389 finds an instance's dse.ldif only at
# PREFIX/etc/dirsrv/slapd-NAME, so that path is kept.  The self-signed
# certificate is off: it would create /etc/dirsrv/ssca; the template's
# certificate comes from a CA of its own instead (OUT/tls/ca.pem).
#
# What OUT holds: root/ (the stopped instance: db without BDB region files,
# empty log/ run/ lock/, dse.ldif unfolded), prefix (the path root/ had
# when built: ds389.sh replaces it in each copy), name (the instance's),
# rootpw, agentpw (no newline), base.ldif (the entries below, as db2ldif
# exports them: an offline import (DS389_PRELOAD) replaces the whole
# backend, so ds389.sh imports them first), tls/ca.pem, version,
# build.log, ready (written last).
#
# The entries: the suffix (dscreate's, objectClass domain, no entryUUID:
# it predates the entryUUID plugin's first run), ou=People, ou=Services
# and the agent account with its limits lifted and an ACI that lets it read
# everything but userPassword, plus entryUUID, nsUniqueId and the
# timestamps.  Content sync is off; ds389.sh switches it on per copy.

set -u
. "$(dirname "$0")/certs.sh"
out=${1:?usage: ds389_template.sh OUT}
build=$out.build.$$
suffix="dc=example,dc=com"
agent="cn=imocha-sync,ou=Services,$suffix"
# The name of the config dir names the server's POSIX semaphore
# (/dev/shm/sem.slapd-NAME.stats): unique, so a failed build can remove it.
inst=l2it$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
# Valid for 30 days; ds389.sh rebuilds a cache whose CA ends within 2.
days=30

say() {
	printf '%s\n' "$*" >&2
}

rand_hex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

port() {
	echo $((10000 + $(od -An -N2 -tu2 /dev/urandom) % 22000))
}

fail() {
	say "ds389_template: $*; the build log:"
	sed 's/^/  /' "$build/build.log" >&2
	_fp=$(cat "$build/root/run/pid" 2>/dev/null)
	# Only our own server: the PID may be stale.
	[ -n "$_fp" ] && tr '\0' ' ' <"/proc/$_fp/cmdline" 2>/dev/null |
	    grep -qF -- "$build/" && kill -KILL "$_fp"
	rm -rf "$build" "/dev/shm/sem.slapd-$inst.stats"
	exit 1
}

# defaults_inf PREFIX: Debian's defaults.inf with the instance under PREFIX.
defaults_inf() {
	awk -v P="$1" -v U="$(id -un)" -v G="$(id -gn)" '
	BEGIN {
		m["config_dir"] = "/etc/dirsrv/slapd-{instance_name}"
		m["schema_dir"] = "/etc/dirsrv/slapd-{instance_name}/schema"
		m["cert_dir"] = "/etc/dirsrv/slapd-{instance_name}"
		m["initconfig_dir"] = "/etc/default"
		m["tmpfiles_d"] = "/etc/tmpfiles.d"
		m["local_state_dir"] = "/var"
		m["run_dir"] = "/run"
		m["pid_file"] = "/run/pid"
		m["ldapi"] = "/run/ldapi"
		m["lock_dir"] = "/lock"
		m["log_dir"] = "/log"
		m["access_log"] = "/log/access"
		m["audit_log"] = "/log/audit"
		m["error_log"] = "/log/errors"
		m["security_log"] = "/log/security"
		m["db_dir"] = "/db"
		m["db_home_dir"] = "/db"
		m["backup_dir"] = "/bak"
		m["ldif_dir"] = "/ldif"
		m["tmp_dir"] = "/tmp"
		m["inst_dir"] = "/inst"
	}
	$1 in m && $2 == "=" { print $1 " = " P m[$1]; next }
	$1 == "with_systemd" { print "with_systemd = 0"; next }
	$1 == "with_selinux" { print "with_selinux = no"; next }
	$1 == "user" { print "user = " U; next }
	$1 == "group" { print "group = " G; next }
	{ print }' /usr/share/dirsrv/inf/defaults.inf
}

# create: dscreate under the private prefix; leaves the server running.
create() {
	_p=$build/root
	_tries=0
	while [ "$_tries" -lt 5 ]; do
		_tries=$((_tries + 1))
		rm -rf "$_p"
		mkdir -p "$_p/share/dirsrv/inf" || return 1
		defaults_inf "$_p" >"$_p/share/dirsrv/inf/defaults.inf" || return 1
		cat >"$build/create.inf" <<-EOF
		[general]
		config_version = 2
		full_machine_name = localhost
		start = True
		strict_host_checking = False
		systemd = False
		selinux = False
		[slapd]
		instance_name = $inst
		port = $(port)
		secure_port = $(port)
		root_dn = cn=Directory Manager
		root_password = $(cat "$build/rootpw")
		self_sign_cert = False
		[backend-userroot]
		suffix = $suffix
		create_suffix_entry = True
		sample_entries = no
		EOF
		# The cache lock (fd 9) must not outlive us in the server.
		PREFIX=$_p /usr/sbin/dscreate from-file "$build/create.inf" \
		    </dev/null >>"$build/build.log" 2>&1 9>&- && return 0
		# A port taken between dscreate's check and its bind: retry.
		grep -qiE 'in use|-5982' "$build/build.log" "$_p/log/errors" \
		    2>/dev/null || return 1
	done
	return 1
}

dm() {
	"$@" -x -H "ldap://127.0.0.1:$(sed -n 's/^port = //p' "$build/create.inf")" \
	    -o nettimeout=10 -D "cn=Directory Manager" -y "$build/rootpw"
}

# configure: config and entries, over LDAP while dscreate's server runs.
configure() {
	dm ldapmodify >>"$build/build.log" 2>&1 <<-EOF || return 1
	dn: cn=config
	changetype: modify
	replace: nsslapd-listenhost
	nsslapd-listenhost: 127.0.0.1
	-
	replace: nsslapd-securelistenhost
	nsslapd-securelistenhost: 127.0.0.1
	-
	replace: nsslapd-ldapilisten
	nsslapd-ldapilisten: off

	dn: cn=config,cn=ldbm database,cn=plugins,cn=config
	changetype: modify
	replace: nsslapd-cache-autosize
	nsslapd-cache-autosize: 0

	# Refused in the same operation as the autosize change.
	dn: cn=config,cn=ldbm database,cn=plugins,cn=config
	changetype: modify
	replace: nsslapd-dbcachesize
	nsslapd-dbcachesize: 67108864

	dn: cn=userroot,cn=ldbm database,cn=plugins,cn=config
	changetype: modify
	replace: nsslapd-cachememsize
	nsslapd-cachememsize: 536870912
	-
	replace: nsslapd-dncachememsize
	nsslapd-dncachememsize: 67108864

	dn: cn=Retro Changelog Plugin,cn=plugins,cn=config
	changetype: modify
	replace: nsslapd-attribute
	nsslapd-attribute: nsuniqueid:targetUniqueId

	EOF
	dm ldapadd >>"$build/build.log" 2>&1 <<-EOF || return 1
	dn: ou=People,$suffix
	objectClass: top
	objectClass: organizationalUnit
	ou: People

	dn: ou=Services,$suffix
	objectClass: top
	objectClass: organizationalUnit
	ou: Services

	dn: $agent
	objectClass: top
	objectClass: applicationProcess
	objectClass: simpleSecurityObject
	cn: imocha-sync
	description: the ldap2imocha service account
	userPassword: $(cat "$build/agentpw")
	nsSizeLimit: -1
	nsLookThroughLimit: -1
	nsPagedSizeLimit: -1
	nsTimeLimit: -1

	EOF
	# 389's targetattr="*" leaves out operational attributes: name the
	# ones the agent reads.  Anonymous keeps 389's default (nothing).
	dm ldapmodify >>"$build/build.log" 2>&1 <<-EOF
	dn: $suffix
	changetype: modify
	add: aci
	aci: (targetattr != "userPassword")(version 3.0; acl "ldap2imocha agent reads entries"; allow (read, search, compare) userdn = "ldap:///$agent";)
	aci: (targetattr = "entryUUID || nsUniqueId || modifyTimestamp || createTimestamp || entryDN")(version 3.0; acl "ldap2imocha agent reads operational attributes"; allow (read, search, compare) userdn = "ldap:///$agent";)

	EOF
}

# tls: a CA and a server certificate (IP:127.0.0.1, DNS:localhost) in the
# instance's NSS database under dscreate's nickname (cn=RSA names it).  An
# RSA key: with an EC one, 389's attribute encryption logs errors at each
# start (it cannot wrap its keys with it).
tls() {
	_d=$build/tls
	_nss=$build/root/etc/dirsrv/slapd-$inst
	tls_make_certs "$_d" localhost "IP:127.0.0.1, DNS:localhost" "$days" rsa || return 1
	(
		cd "$_d" || exit 1
		umask 077
		openssl pkcs12 -export -inkey server.key -in server.pem \
		    -name Server-Cert -passout pass:p12 -out server.p12 &&
		certutil -A -d "sql:$_nss" -f "$_nss/pwdfile.txt" -n "test CA" \
		    -t CT,, -a -i ca.pem &&
		pk12util -i server.p12 -d "sql:$_nss" -k "$_nss/pwdfile.txt" \
		    -W p12 &&
		rm -f ca.key server.key server.csr server.p12 server.ext
	) >>"$build/build.log" 2>&1 || return 1
	chmod 644 "$_d/ca.pem" "$_d/server.pem"
}

# stop: SIGTERM, a clean BDB shutdown (the copies then start without a
# recovery).
stop() {
	_pid=$(cat "$build/root/run/pid") || return 1
	kill -TERM "$_pid" || return 1
	_n=0
	while [ -d "/proc/$_pid" ] && [ "$_n" -lt 600 ]; do
		case $(sed 's/.*) //' "/proc/$_pid/stat" 2>/dev/null) in
		Z* | X* | '') break ;;
		esac
		sleep 0.05
		_n=$((_n + 1))
	done
	[ "$_n" -lt 600 ]
}

# export: the stopped instance's entries, for DS389_PRELOAD (ds389.sh).
export_base() {
	_c=$build/root/etc/dirsrv/slapd-$inst
	/usr/sbin/ns-slapd db2ldif -D "$_c" -n userroot -a "$build/base.ldif" \
	    </dev/null >>"$build/build.log" 2>&1 9>&- &&
	    grep -q '^dn: cn=imocha-sync,' "$build/base.ldif"
}

# tidy: leave only what a copy needs, dse.ldif unfolded so that a plain
# substitution of its paths works (389 folds lines at 78 columns).
# Transactions are made non-durable (BDB writes the log at each commit but
# does not fsync it, which only an OS crash could lose): adds run about 1.6
# times as fast.  Offline, since 389 refuses the change over LDAP.
tidy() {
	_r=$build/root
	_c=$_r/etc/dirsrv/slapd-$inst
	rm -f "$_r"/db/__db.* "$_r"/run/* "$_r"/lock/server/* "$_r"/log/* \
	    "$_c"/dse.ldif.bak "$_c"/dse.ldif.startOK "$_c"/dse.ldif.tmp \
	    "$build/create.inf"
	rm -rf "$_r/share"
	awk 'function emit(s) {
		if (s ~ /^dn: /)
			dn = tolower(s)
		if (dn == "dn: cn=bdb,cn=config,cn=ldbm database,cn=plugins,cn=config" &&
		    tolower(s) ~ /^nsslapd-db-durable-transaction:/)
			s = "nsslapd-db-durable-transaction: off"
		print s
	    }
	    /^ / { cur = cur substr($0, 2); next }
	    { if (n++) emit(cur); cur = $0 }
	    END { if (n) emit(cur) }' "$_c/dse.ldif" >"$_c/dse.ldif.new" &&
	    mv "$_c/dse.ldif.new" "$_c/dse.ldif"
}

rm -rf "$build"
mkdir -p "$build" || exit 1
(umask 077 && printf '%s' "dm-$(rand_hex 12)" >"$build/rootpw" &&
    printf '%s' "agent-$(rand_hex 12)" >"$build/agentpw") || exit 1
: >"$build/build.log"
create || fail "dscreate failed"
configure || fail "configuring the instance failed"
stop || fail "the instance did not stop"
tls || fail "making the TLS certificate failed"
export_base || fail "exporting the entries (db2ldif) failed"
tidy || fail "tidying the instance failed"
printf '%s\n' "$build/root" >"$build/prefix"
printf '%s\n' "$inst" >"$build/name"
/usr/sbin/ns-slapd -v 2>/dev/null | sed -n '2p' >"$build/version"
: >"$build/ready"
rm -rf "$out"
mv "$build" "$out" || fail "renaming $build failed"
