# tests/lib/samba_ad.sh: a real, throwaway Samba AD DC per test (POSIX sh)
#
# Needs common.sh sourced first.  One instance per directory; several may
# run side by side.  Every function takes the instance's DIR and reads that
# instance's values from files in DIR, so a test can drive two of them.
#
#	samba_start "$T/ad"
#	dn=$(samba_user_add "$T/ad" "$SAMBA_PEOPLE" ann ann@example.com Ann Active)
#	samba_user_disable "$T/ad" "$dn"
#	samba_use "$T/ad"	# re-export that instance's SAMBA_* values
#	samba_keytab "$T/ad" "$T/agent.keytab"	# Kerberos: see below
#	samba_clone_dc "$T/ad" "$T/dc2"	# another DC of the same domain
#
# The domain: realm EXAMPLE.COM, NetBIOS domain EXAMPLE, base
# DC=example,DC=com (the slapd rig's suffix), DC dc1.example.com.  After
# start it holds OU=People (empty), OU=Services with the service account
# CN=imocha-sync (an ordinary Domain User, no admin, password never
# expires) and what provisioning makes (CN=Users, CN=Configuration...).
#
# Every instance samba_start makes is a copy of one cached domain: the same
# domain SID and objectGUIDs, and the same DC, DC1, with the same
# dsServiceName and invocationId.  To an agent, two of them are one DC
# restored twice, not two DCs.  samba_clone_dc makes another DC of an
# instance's domain (dc2: its own dsServiceName, invocationId and USNs,
# the same objects), for failover between the DCs of one domain; nothing
# replicates between them.
#
# Samba's ports are fixed (389, 636, 88, 464, 3268, 3269), so each instance
# listens on a loopback address of its own, 127.0.0.N with N from 2 (never
# 127.0.0.1, which the other rigs use), claimed under a lock.  It is always
# TLS: a CA of the instance's own signs a certificate for 127.0.0.N,
# localhost, dc1, dc1.example.com and this machine's name.  Plain ldap://
# refuses simple binds (AD's rule); StartTLS and ldaps:// take them.
#
# Knobs read by samba_start:
#	SAMBA_PRELOAD=FILE	LDIF added offline before the start (e.g. from
#				samba_gen_users; under $SAMBA_SUFFIX).  Samba
#				adds 3000 users in 11 to 17 s however it is
#				fed, so the loaded domain is cached by FILE's
#				checksum: only the first start with that
#				content pays.
# TLS is always on (AD refuses simple binds without it), so there is no
# SAMBA_TLS knob.
#
# Kerberos (GSSAPI binds): the DC's KDC listens on 127.0.0.N:88, and
# $SAMBA_KRB5_CONF is a krb5.conf for it alone (KDC by address, no DNS, no
# hostname canonicalisation, no reverse lookups; default ccache and client
# keytab inside DIR, so a tool run without KRB5CCNAME writes nothing
# outside it).  samba_start gives the DC's account the SPN ldap/127.0.0.N
# ($SAMBA_LDAP_SPN): what a client asks for with the URI host as written
# (MIT krb5 with dns_canonicalize_hostname = false, libldap with
# LDAP_OPT_X_SASL_NOCANON or ldapsearch -N).  An IP-address SPN works:
# MIT finds no realm for the address, asks the default realm's KDC, and
# Samba's KDC finds the SPN.  Then, with KRB5_CONFIG=$SAMBA_KRB5_CONF:
#	samba_keytab "$T/ad" "$T/agent.keytab"	# $SAMBA_AGENT_PRINCIPAL's keys
#	KRB5CCNAME=FILE:$T/cc kinit -kt "$T/agent.keytab" "$SAMBA_AGENT_PRINCIPAL"
#	KRB5CCNAME=FILE:$T/cc ldapsearch -Y GSSAPI -N -H "$SAMBA_URI" ...
# works over plain ldap:// (GSSAPI sign and seal: Samba requires one of
# them there) and over ldaps:// only without them (-O maxssf=0): Samba,
# like Windows AD, refuses sign or seal inside TLS, and the rig sets
# "ldap server require strong auth = allow_sasl_over_tls" so that a SASL
# bind without them is taken inside TLS (Samba's default, "yes", refuses
# every SASL bind on ldaps://; Windows AD takes it).  Simple binds on
# plain ldap:// are refused still.
# Measured with Samba 4.17 and MIT krb5 1.20 (rig_samba_kerberos.sh
# checks most of it):
#  - the KDC grants any lifetime asked for (kinit -l 30s: a 30 s TGT), but
#    its PAC check refuses a service ticket for a TGT with 120 s or less
#    left (KRB_AP_ERR_TKT_EXPIRED, "Ticket expired"; samba.log at debug
#    level 5: "Verify PAC failed ... with Ticket expired"): the shortest
#    TGT that binds is 121 s, and only in its first seconds.  The service
#    ticket ends with the TGT, and Samba ends a connection bound with it
#    then: the next request gets a notice of disconnection (52, "The
#    server has timed out this connection");
#  - a skewed client clock: MIT's kinit takes the KDC's time (kdc_timesync,
#    on by default) and keeps the offset in the ccache, so the same clock
#    binds; with kdc_timesync = 0, "Clock skew too great";
#  - an unreachable KDC: "Cannot contact any KDC for realm 'EXAMPLE.COM'",
#    at once for a closed port, after 27 s for one that never answers;
#  - an SPN the DC lacks: "Server not found in Kerberos database".
#
# Provisioning costs about 6 s, so it is done once into a cache that every
# test program shares, and each start copies the stopped domain from there.
# Cache: ${L2I_SERVER_CACHE:-${TMPDIR:-/tmp}/l2i-server-cache}/
#	samba-VERSION-SUM/	the domain; SUM is this file's and
#				samba_setup.py's checksum: an edited rig
#				never reuses an old domain
#	samba-VERSION-SUM-pre-CRC-SIZE/	the same with a SAMBA_PRELOAD file
#	*.lock			held while one program builds that one
#	samba-addr/127.0.0.N/	address claims (owner: PID, its start time,
#				DIR); a dead owner's claim is taken over
#	samba-addr.lock		held while claiming
# Old caches are never removed: rm -rf the directory at will when no test
# runs.
#
# Exports: SAMBA_DIR SAMBA_ADDR SAMBA_URI SAMBA_LDAPS_URI SAMBA_CA
# SAMBA_PID SAMBA_SUFFIX SAMBA_REALM SAMBA_DOMAIN SAMBA_HOST SAMBA_PEOPLE
# SAMBA_ROOTDN SAMBA_ROOTPW SAMBA_AGENT_DN SAMBA_AGENT_PW SAMBA_USER_PW
# SAMBA_CONF SAMBA_KRB5_CONF SAMBA_AGENT_PRINCIPAL SAMBA_ROOT_PRINCIPAL
# SAMBA_LDAP_SPN.
#
# Files in DIR: Samba's own tree (etc/smb.conf, private/sam.ldb, state/,
# run/...), samba.log (Samba's output: the first place to look), addr, uri,
# ldaps_uri, pid, rootpw, agentpw, userpw, krb5.conf, tls/ (ca.pem,
# server.pem, server.key), claim (the address claim's path), krb5cc (the
# default ccache of $SAMBA_KRB5_CONF, when a tool made one), keytab.log
# (samba_keytab's last samba-tool output), host (the DC's DNS name,
# $SAMBA_HOST); a clone's also clone.log (samba_clone_dc's samba-tool
# output) and backup.txt (the restore's).
#
# System state: nothing is written outside DIR, the cache and $T (where
# samba_clone_dc keeps its backup until the clone is made; the backup
# puts *.bak-offline copies beside SRC's databases and removes them).
# Samba logs
# to stdout (--debug-stdout): without that it creates
# /var/log/samba/log.samba before reading smb.conf.  Samba must run as
# root (ports below 1024); samba_require skips otherwise.
#
# Cleanup: the instance is registered with common.sh's exit trap as
# "stop samba_stop DIR": the whole process group goes, even when a test
# fails half-way.

SAMBA_SUFFIX="DC=example,DC=com"
SAMBA_REALM=EXAMPLE.COM
SAMBA_DOMAIN=EXAMPLE
# The first DC's DNS name; samba_use sets SAMBA_HOST to its instance's
# (samba_clone_dc makes others).
_SAMBA_DC1_HOST=dc1.example.com
SAMBA_HOST=$_SAMBA_DC1_HOST
SAMBA_PEOPLE="OU=People,$SAMBA_SUFFIX"
SAMBA_ROOTDN="CN=Administrator,CN=Users,$SAMBA_SUFFIX"
SAMBA_AGENT_DN="CN=imocha-sync,OU=Services,$SAMBA_SUFFIX"
# Kerberos principals: the service account's, and another account's (for
# a keytab that does not hold the service account's keys).
SAMBA_AGENT_PRINCIPAL="imocha-sync@$SAMBA_REALM"
SAMBA_ROOT_PRINCIPAL="Administrator@$SAMBA_REALM"
_SAMBA_SBIN=/usr/sbin

# samba_require: skip the whole program unless Samba's AD DC, python3-samba,
# ldap-utils, openssl and util-linux's flock and setsid are there, as root.
samba_require() {
	[ -x "$_SAMBA_SBIN/samba" ] ||
	    skip_all "$_SAMBA_SBIN/samba not found: install the Debian package samba-ad-dc"
	require_cmd samba-tool samba-ad-dc
	# The directory modules (samba-dsdb-modules) make it a DC.
	for _sq_f in /usr/lib/*/samba/ldb/samba_dsdb.so; do
		[ -f "$_sq_f" ] ||
		    skip_all "Samba's samba_dsdb module not found: install the Debian package samba-ad-dc"
	done
	"$L2I_PY" -c 'import samba.samdb' 2>/dev/null ||
	    skip_all "$L2I_PY cannot import samba: install the Debian package python3-samba"
	for _sq_c in ldapsearch ldapadd ldapmodify ldapdelete ldapmodrdn; do
		require_cmd "$_sq_c" ldap-utils
	done
	require_cmd openssl openssl
	require_cmd flock util-linux
	require_cmd setsid util-linux
	require_cmd iconv libc-bin
	[ "$(id -u)" = 0 ] ||
	    skip_all "Samba AD DC must run as root (it binds ports 88, 389, 636)"
	return 0
}

# samba_use DIR: export the SAMBA_* values of the instance in DIR.
samba_use() {
	SAMBA_DIR=$1
	SAMBA_ADDR=$(cat "$1/addr" 2>/dev/null)
	SAMBA_URI=$(cat "$1/uri" 2>/dev/null)
	SAMBA_LDAPS_URI=$(cat "$1/ldaps_uri" 2>/dev/null)
	SAMBA_CA=$1/tls/ca.pem
	SAMBA_PID=$(cat "$1/pid" 2>/dev/null)
	SAMBA_ROOTPW=$(cat "$1/rootpw" 2>/dev/null)
	SAMBA_AGENT_PW=$(cat "$1/agentpw" 2>/dev/null)
	SAMBA_USER_PW=$(cat "$1/userpw" 2>/dev/null)
	SAMBA_CONF=$1/etc/smb.conf
	SAMBA_KRB5_CONF=$1/krb5.conf
	SAMBA_LDAP_SPN=ldap/$SAMBA_ADDR
	SAMBA_HOST=$(cat "$1/host" 2>/dev/null) || SAMBA_HOST=$_SAMBA_DC1_HOST
	export SAMBA_DIR SAMBA_ADDR SAMBA_URI SAMBA_LDAPS_URI SAMBA_CA \
	    SAMBA_PID SAMBA_SUFFIX SAMBA_REALM SAMBA_DOMAIN SAMBA_HOST \
	    SAMBA_PEOPLE SAMBA_ROOTDN SAMBA_ROOTPW SAMBA_AGENT_DN \
	    SAMBA_AGENT_PW SAMBA_USER_PW SAMBA_CONF SAMBA_KRB5_CONF \
	    SAMBA_AGENT_PRINCIPAL SAMBA_ROOT_PRINCIPAL SAMBA_LDAP_SPN
}

# _samba_secret FILE VALUE: a password file without a newline (the ldap
# tools' -y reads the whole file).
_samba_secret() {
	(umask 077 && printf '%s' "$2" >"$1")
}

# _samba_password: one that meets AD's default complexity rule (three of
# upper, lower, digit, other).
_samba_password() {
	printf 'L2i-%s\n' "$(rand_hex 10)"
}

_samba_root() {
	printf '%s\n' "${L2I_SERVER_CACHE:-${TMPDIR:-/tmp}/l2i-server-cache}"
}

# --- the provisioned domain, cached -------------------------------------------

# _samba_provision DIR: provision the domain into DIR/domain, stopped, and
# finish it with samba_setup.py; the log in DIR/build.log.
_samba_provision() {
	mkdir -p "$1" || return 1
	_sp_pw=$(_samba_password)
	_samba_secret "$1/rootpw" "$_sp_pw"
	_samba_secret "$1/agentpw" "$(_samba_password)"
	# lo suffices: with no DNS backend no address is stored.  Every path
	# Samba writes is given, so none is the system's.
	samba-tool domain provision --realm="$SAMBA_REALM" \
	    --domain="$SAMBA_DOMAIN" --server-role=dc --dns-backend=NONE \
	    --use-rfc2307 --host-name="${_SAMBA_DC1_HOST%%.*}" \
	    --adminpass="$_sp_pw" --targetdir="$1/domain" \
	    --option="interfaces = lo" --option="bind interfaces only = yes" \
	    --option="server services = ldap cldap kdc" \
	    --option="vfs objects = dfs_samba4 acl_xattr xattr_tdb" \
	    --option="xattr_tdb:file = $1/domain/xattr.tdb" \
	    --option="posix:eadb = $1/domain/eadb.tdb" \
	    --option="pid directory = $1/domain/run" \
	    --option="log file = $1/domain/provision-log" \
	    --option="usershare path = $1/domain/usershares" \
	    --option="ldb:nosync = true" \
	    </dev/null >"$1/build.log" 2>&1 || return 1
	"$L2I_PY" "$L2I_TOP/tests/lib/samba_setup.py" finish \
	    "$1/domain/etc/smb.conf" "$SAMBA_AGENT_DN" "$1/agentpw" \
	    >>"$1/build.log" 2>&1 || return 1
	# Left by provisioning; each instance gets its own.
	rm -rf "$1/domain/private/tls" "$1/domain/run"
}

# _samba_preload BASE LDIF DIR: BASE's domain copied into DIR, with LDIF's
# entries added offline.
_samba_preload() {
	mkdir -p "$3" || return 1
	cp -a "$1/domain" "$1/rootpw" "$1/agentpw" "$3/" || return 1
	_samba_conf "$3/domain" 127.0.0.1 >"$3/build.conf"
	"$L2I_PY" "$L2I_TOP/tests/lib/samba_setup.py" load "$3/build.conf" \
	    "$2" >"$3/build.log" 2>&1
}

# _samba_build DIR CMD ARGS...: unless DIR is there, run CMD ARGS DIR.new
# and publish it whole, by a rename, as DIR.  One builder at a time; a
# half-built one (a builder killed) is thrown away.
_samba_build() {
	[ -f "$1/ready" ] && return 0
	mkdir -p "${1%/*}" || return 1
	(
		_sb_dir=$1
		shift
		flock -w 600 9 || {
			echo "samba_start: $_sb_dir.lock held for 600 s" >&2
			exit 1
		}
		[ -f "$_sb_dir/ready" ] && exit 0
		rm -rf "$_sb_dir" "$_sb_dir.new"
		if ! "$@" "$_sb_dir.new"; then
			echo "samba_start: building $_sb_dir failed:" >&2
			tail -n 30 "$_sb_dir.new/build.log" 2>/dev/null |
			    sed 's/^/  /' >&2
			rm -rf "$_sb_dir.new"
			exit 1
		fi
		: >"$_sb_dir.new/ready" && mv "$_sb_dir.new" "$_sb_dir"
	) 9>"$1.lock"
}

# samba_cache_dir: the path of this Samba's and this rig's cached domain
# (built or not): a new Samba or a changed rig is a new cache.
samba_cache_dir() {
	_scd_ver=$("$_SAMBA_SBIN/samba" -V | sed 's/^Version //; s/[^A-Za-z0-9.+-]/_/g')
	_scd_sum=$(cat "$L2I_TOP/tests/lib/samba_ad.sh" \
	    "$L2I_TOP/tests/lib/samba_setup.py" | cksum | cut -d ' ' -f 1)
	echo "$(_samba_root)/samba-$_scd_ver-$_scd_sum"
}

# _samba_cache: print the path of the cached domain, built if need be;
# with SAMBA_PRELOAD, of the domain holding that file's entries too.
_samba_cache() {
	_sca_dir=$(samba_cache_dir)
	_samba_build "$_sca_dir" _samba_provision || return 1
	if [ -n "${SAMBA_PRELOAD:-}" ]; then
		[ -r "$SAMBA_PRELOAD" ] || {
			echo "samba_start: cannot read SAMBA_PRELOAD=$SAMBA_PRELOAD" >&2
			return 1
		}
		_sca_pre=$_sca_dir-pre-$(cksum <"$SAMBA_PRELOAD" | tr ' ' -)
		_samba_build "$_sca_pre" _samba_preload "$_sca_dir" \
		    "$SAMBA_PRELOAD" || return 1
		_sca_dir=$_sca_pre
	fi
	printf '%s\n' "$_sca_dir"
}

# --- loopback addresses -------------------------------------------------------

# _samba_starttime PID: the process's start time (field 22 of its stat),
# which tells a live owner from a recycled PID.
_samba_starttime() {
	_sst_l=
	read -r _sst_l 2>/dev/null </proc/"$1"/stat || return 1
	printf '%s\n' "${_sst_l##*) }" | awk '{ print $20 }'
}

# _samba_listening ADDR: true when something listens on ADDR (or on every
# address) at one of Samba's TCP ports.
_samba_listening() {
	[ -r /proc/net/tcp ] || return 1
	_sli_hex=$(echo "$1" | awk -F . '{ printf "%02X%02X%02X%02X", $4, $3, $2, $1 }')
	# 389, 636, 88, 464, 3268, 3269; state 0A is LISTEN.
	awk -v a="$_sli_hex" '
	$4 == "0A" {
		split($2, l, ":")
		if ((l[1] == a || l[1] == "00000000") &&
		    l[2] ~ /^(0185|027C|0058|01D0|0CC4|0CC5)$/)
			found = 1
	}
	END { exit !found }' /proc/net/tcp
}

# _samba_claim_stale CLAIM: its owner is gone.
_samba_claim_stale() {
	_scs_pid='' _scs_start=''
	read -r _scs_pid _scs_start _scs_rest <"$1/owner" 2>/dev/null || return 0
	[ -n "$_scs_pid" ] || return 0
	[ "$(_samba_starttime "$_scs_pid")" != "$_scs_start" ]
}

# _samba_claim DIR: claim a free 127.0.0.N for DIR; print the claim's path.
# Owner: this test program ($$ is the same in subshells).
_samba_claim() {
	_scl_root=$(_samba_root)/samba-addr
	mkdir -p "$_scl_root" || return 1
	_scl_me="$$ $(_samba_starttime $$) $1"
	if _samba_listening 0.0.0.0; then
		echo "samba_start: a server listens on every address at one of" \
		    "Samba's ports (389, 636, 88, 464, 3268, 3269)" >&2
		return 1
	fi
	(
		flock -w 60 9 || {
			echo "samba_start: $_scl_root.lock held for 60 s" >&2
			exit 1
		}
		_scl_n=2
		while [ "$_scl_n" -le 254 ]; do
			_scl_c=$_scl_root/127.0.0.$_scl_n
			_scl_n=$((_scl_n + 1))
			if [ -d "$_scl_c" ]; then
				_samba_claim_stale "$_scl_c" || continue
				rm -rf "$_scl_c"
			fi
			# A dead test's server may still hold it.
			_samba_listening "${_scl_c##*/}" && continue
			mkdir "$_scl_c" || continue
			echo "$_scl_me" >"$_scl_c/owner"
			printf '%s\n' "$_scl_c"
			exit 0
		done
		echo "samba_start: no free address in 127.0.0.2-254" >&2
		exit 1
	) 9>"$_scl_root.lock"
}

# --- one instance ------------------------------------------------------------

# _samba_san ADDR HOST: the names a DC's certificate carries.
_samba_san() {
	printf 'IP:%s, DNS:localhost, DNS:%s, DNS:%s, DNS:%s\n' "$1" "$2" \
	    "${2%%.*}" "$(uname -n)"
}

# _samba_certs DIR ADDR: the instance's CA and server certificate.
_samba_certs() {
	# Samba refuses a key file others may read (tls_make_certs keeps keys 0600).
	tls_make_certs "$1/tls" "$_SAMBA_DC1_HOST" \
	    "$(_samba_san "$2" "$_SAMBA_DC1_HOST")"
}

# _samba_netbios HOST: the DC's NetBIOS name (HOST's first label, upper case).
_samba_netbios() {
	echo "${1%%.*}" | tr '[:lower:]' '[:upper:]'
}

# _samba_dc_dn DIR: the DN of the instance's own computer account.
_samba_dc_dn() {
	_sdd_host=$(cat "$1/host" 2>/dev/null) || _sdd_host=$_SAMBA_DC1_HOST
	echo "CN=$(_samba_netbios "$_sdd_host"),OU=Domain Controllers,$SAMBA_SUFFIX"
}

# _samba_conf DIR ADDR [HOST]: the instance's smb.conf, for the DC named
# HOST (default the first, dc1).  Every path Samba writes is inside DIR.
_samba_conf() {
	cat <<-EOF
	# written by tests/lib/samba_ad.sh for the instance in this directory
	[global]
	netbios name = $(_samba_netbios "${3:-$_SAMBA_DC1_HOST}")
	workgroup = $SAMBA_DOMAIN
	realm = $SAMBA_REALM
	server role = active directory domain controller
	server services = ldap cldap kdc
	interfaces = $2/8
	bind interfaces only = yes
	lock directory = $1
	private dir = $1/private
	state directory = $1/state
	cache directory = $1/cache
	binddns dir = $1/bind-dns
	pid directory = $1/run
	ncalrpc dir = $1/run/ncalrpc
	winbindd socket directory = $1/run/winbindd
	ntp signd socket directory = $1/run/ntp_signd
	usershare path = $1/usershares
	log file = $1/samba.log
	idmap_ldb:use rfc2307 = yes
	vfs objects = dfs_samba4 acl_xattr xattr_tdb
	xattr_tdb:file = $1/xattr.tdb
	posix:eadb = $1/eadb.tdb
	tls enabled = yes
	tls keyfile = $1/tls/server.key
	tls certfile = $1/tls/server.pem
	tls cafile = $1/tls/ca.pem
	# A SASL bind (GSSAPI) without sign or seal is taken inside TLS, as
	# Windows AD takes it; the default (yes) refuses every SASL bind on
	# ldaps:// and StartTLS, since sign or seal are refused there too.
	# Simple binds still need TLS.
	ldap server require strong auth = allow_sasl_over_tls
	# Nothing here must survive a crash: no fsync per write.
	ldb:nosync = true
	# Two workers a service, not four: still concurrent, and it starts in
	# 0.6 s rather than 0.9 (measured on 2 cores).
	prefork children = 2
	EOF
}

# _samba_krb5_conf DIR KDC [LINE...]: the instance's krb5.conf, its KDC
# at KDC (HOST or HOST:PORT), LINEs added to [libdefaults].  The default
# ccache and client keytab are in DIR (the rig never writes client.keytab:
# MIT's GSSAPI must not get tickets behind a test's back).
_samba_krb5_conf() {
	_sk5_dir=$1 _sk5_kdc=$2
	shift 2
	cat <<-EOF
	# written by tests/lib/samba_ad.sh for the instance in $_sk5_dir
	[libdefaults]
	    default_realm = $SAMBA_REALM
	    dns_lookup_realm = false
	    dns_lookup_kdc = false
	    rdns = false
	    dns_canonicalize_hostname = false
	    default_ccache_name = FILE:$_sk5_dir/krb5cc
	    default_client_keytab_name = FILE:$_sk5_dir/client.keytab
	EOF
	for _sk5_l in "$@"; do
		printf '    %s\n' "$_sk5_l"
	done
	cat <<-EOF
	[realms]
	    $SAMBA_REALM = {
	        kdc = $_sk5_kdc
	    }
	EOF
}

# _samba_is_ours PID DIR: PID is the root process of the instance in DIR.
# Its process title hides the command line: Samba's pid file in DIR says
# so, or it has DIR's databases open.
_samba_is_ours() {
	proc_alive "$1" || return 1
	case $(readlink "/proc/$1/exe" 2>/dev/null) in
	*/samba) ;;
	*) return 1 ;;
	esac
	_sio_pid=''
	read -r _sio_pid 2>/dev/null <"$2/run/samba.pid"
	[ "$_sio_pid" = "$1" ] && return 0
	find "/proc/$1/fd" -lname "$2/private/*" 2>/dev/null | grep -q .
}

# _samba_group_gone PGID: no live process is left in the group.  Zombies
# do not count: they hold nothing, and the PID 1 of a container may take a
# second to reap the children it inherits.
_samba_group_gone() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '
	{ sub(/^.*\) /, "") }
	$3 == g && $1 != "Z" && $1 != "X" { found = 1 }
	END { exit found }'
}

# _samba_answers DIR: LDAPS answers, with the instance's certificate.
_samba_answers() {
	LDAPTLS_CACERT="$1/tls/ca.pem" LDAPTLS_REQCERT=demand \
	    ldapsearch -x -H "$(cat "$1/ldaps_uri")" -o nettimeout=2 -b "" \
	    -s base dnsHostName >/dev/null 2>&1
}

# _samba_launch DIR: start Samba and wait until LDAPS answers.
_samba_launch() {
	_sla_addr=$(cat "$1/addr")
	# A restart right after a stop may find the old sockets closing.
	if ! wait_for 10 _samba_free "$_sla_addr"; then
		echo "samba_start: something else listens on $_sla_addr" >&2
		return 1
	fi
	echo "== samba started $(date '+%Y-%m-%d %H:%M:%S')" >>"$1/samba.log"
	rm -f "$1/run/samba.pid"
	# samba -F stays in its caller's process group; setsid gives it one of
	# its own, so that every child can be signalled.
	setsid "$_SAMBA_SBIN/samba" -F --debug-stdout -s "$1/etc/smb.conf" \
	    </dev/null >>"$1/samba.log" 2>&1 &
	_sla_pid=$!
	echo "$_sla_pid" >"$1/pid"
	_sla_n=0
	# 30 s in 0.05 s steps.
	while [ "$_sla_n" -lt 600 ]; do
		# setsid forks when it leads a group already (a shell with job
		# control): then Samba's pid file is the truth.
		if ! _samba_is_ours "$_sla_pid" "$1" &&
		    [ -s "$1/run/samba.pid" ]; then
			read -r _sla_pid <"$1/run/samba.pid"
			echo "$_sla_pid" >"$1/pid"
		fi
		if _samba_answers "$1"; then
			_samba_is_ours "$_sla_pid" "$1" && return 0
			break
		fi
		# Dead, or never wrote its pid file in 5 s.
		if ! proc_alive "$_sla_pid"; then
			[ -s "$1/run/samba.pid" ] && break
			[ "$_sla_n" -ge 100 ] && break
		fi
		sleep 0.05
		_sla_n=$((_sla_n + 1))
	done
	echo "samba_start: Samba in $1 did not answer on $_sla_addr; its log:" >&2
	tail -n 30 "$1/samba.log" | sed 's/^/  /' >&2
	samba_stop "$1"
	return 1
}

_samba_free() {
	! _samba_listening "$1"
}

# samba_start DIR: a fresh domain in DIR, running (see above).
samba_start() {
	samba_require
	[ -n "${T:-}" ] || t_setup
	mkdir -p "$1" || return 1
	_ss_dir=$(cd "$1" && pwd)
	if [ -e "$_ss_dir/etc/smb.conf" ]; then
		echo "samba_start: $_ss_dir is in use; samba_restart it" >&2
		return 1
	fi
	_ss_cache=$(_samba_cache) || return 1
	cp -a "$_ss_cache/domain/." "$_ss_dir/" || return 1
	cp "$_ss_cache/rootpw" "$_ss_cache/agentpw" "$_ss_dir/" || return 1
	_samba_secret "$_ss_dir/userpw" "$(_samba_password)"
	_ss_claim=$(_samba_claim "$_ss_dir") || return 1
	_t_register rmdir "$_ss_claim"
	echo "$_ss_claim" >"$_ss_dir/claim"
	_ss_addr=${_ss_claim##*/}
	echo "$_ss_addr" >"$_ss_dir/addr"
	echo "ldap://$_ss_addr" >"$_ss_dir/uri"
	echo "ldaps://$_ss_addr" >"$_ss_dir/ldaps_uri"
	echo "$_SAMBA_DC1_HOST" >"$_ss_dir/host"
	_samba_certs "$_ss_dir" "$_ss_addr" || return 1
	(umask 077 && _samba_conf "$_ss_dir" "$_ss_addr" \
	    >"$_ss_dir/etc/smb.conf") || return 1
	_samba_krb5_conf "$_ss_dir" "$_ss_addr" >"$_ss_dir/krb5.conf"
	_t_register stop "samba_stop $_ss_dir"
	_samba_launch "$_ss_dir" || return 1
	samba_use "$_ss_dir"
	samba_spn "$_ss_dir" add "ldap/$_ss_addr"
}

# samba_stop DIR: stop the instance, its whole process group, and wait
# until every process of it is gone.  The address stays claimed (for
# samba_restart) until the test ends.
samba_stop() {
	_sst_dir=$(cd "$1" 2>/dev/null && pwd) || return 0
	[ -f "$_sst_dir/pid" ] || return 0
	_sst_pid=$(cat "$_sst_dir/pid")
	if [ -n "$_sst_pid" ] && _samba_is_ours "$_sst_pid" "$_sst_dir"; then
		kill -TERM -"$_sst_pid" 2>/dev/null
		wait_for 10 _t_not_alive "$_sst_pid" ||
		    kill -KILL -"$_sst_pid" 2>/dev/null
		wait_for 5 _t_not_alive "$_sst_pid"
		wait "$_sst_pid" 2>/dev/null
		wait_for 5 _samba_group_gone "$_sst_pid" ||
		    kill -KILL -"$_sst_pid" 2>/dev/null
	fi
	rm -f "$_sst_dir/pid"
	[ "${SAMBA_DIR:-}" = "$_sst_dir" ] && SAMBA_PID=
	return 0
}

# samba_restart DIR: stop (if running) and start again on the same
# address, with the same data.
samba_restart() {
	_sre_dir=$(cd "$1" && pwd) || return 1
	samba_stop "$_sre_dir"
	_samba_launch "$_sre_dir" || return 1
	[ "${SAMBA_DIR:-}" = "$_sre_dir" ] && SAMBA_PID=$(cat "$_sre_dir/pid")
	return 0
}

# --- a second DC of the same domain -----------------------------------------

# samba-tool, run with three changes to "domain backup" (Samba 4.17):
#  - the backup tar is not compressed: bzip2 costs 1.5 s of the backup's
#    2 s, and restore opens any tar;
#  - restore seizes no DNS roles: it seizes them whether or not the domain
#    has DNS partitions, and a domain provisioned with --dns-backend=NONE
#    has none ("The 'domaindns' role is not present in this domain": the
#    restore stops half-way);
#  - restore skips its final dbcheck, which rewrites the names of the DCs
#    it removed where three attributes still spell them (lastKnownParent,
#    interSiteTopologyGenerator, msDS-NC-Replica-Locations): it reads every
#    object, 2 s of the restore's 3 for a bare domain, 5 s of 6.5 with
#    3000 users, and only replication, the KCC and undeletes read those,
#    which the rig never does.  `samba-tool dbcheck --cross-ncs` of a
#    clone finds 0 errors, and notes 4 such old DN string components.
# Measured on 2 cores: backup 0.55 s, restore 1.3 s for a bare domain
# (stock samba-tool: 2.0 and 2.6 s); 0.95 and 1.2 s with 3000 users
# (stock: 5.7 and 6.5 s).
_SAMBA_CLONE_PY='
import sys
import tarfile

import samba.netcmd.domain_backup as backup
from samba.netcmd.main import cmd_sambatool

_open = tarfile.open


def _plain(name=None, mode="r", *args, **kwargs):
    return _open(name, "w" if mode == "w:bz2" else mode, *args, **kwargs)


tarfile.open = _plain
backup.cmd_domain_backup_restore.seize_dns_role = lambda self, *a, **k: False
backup.cmd_domain_backup_restore.fix_old_dc_references = lambda self, db: None
sys.exit(cmd_sambatool()._run("samba-tool", *sys.argv[1:]))
'

# _samba_clone_tool LOG ARGS...: samba-tool ARGS as above, its output
# appended to LOG, shown on failure.
_samba_clone_tool() {
	_sct_log=$1
	shift
	echo "== samba-tool $*" >>"$_sct_log"
	"$L2I_PY" -c "$_SAMBA_CLONE_PY" "$@" </dev/null >>"$_sct_log" 2>&1 && return 0
	echo "samba_clone_dc: samba-tool $1 $2 $3 failed:" >&2
	tail -n 20 "$_sct_log" | sed 's/^/  /' >&2
	return 1
}

# _samba_clone_certs SRC NEW ADDR HOST: the clone's certificate, for ADDR
# and HOST, signed by SRC's CA: one CA file verifies both DCs, as one
# enterprise CA would a domain's DCs.  NEW/tls/ca.pem is a copy of SRC's.
_samba_clone_certs() {
	mkdir -p "$2/tls" || return 1
	cp -p "$1/tls/ca.pem" "$1/tls/ca.key" "$2/tls/" || return 1
	(
		cd "$2/tls" || exit 1
		umask 077
		printf '%s\n' "basicConstraints = critical, CA:FALSE" \
		    "keyUsage = critical, digitalSignature, keyEncipherment" \
		    "extendedKeyUsage = serverAuth" \
		    "subjectAltName = $(_samba_san "$3" "$4")" >server.ext
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout server.key -out server.csr -subj "/CN=$4" &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		    -set_serial "0x$(rand_hex 8)" -days 2 -extfile server.ext \
		    -out server.pem
	) >"$2/tls/openssl.log" 2>&1 || {
		cat "$2/tls/openssl.log" >&2
		return 1
	}
	chmod 644 "$2/tls/server.pem"
}

# samba_clone_dc SRC NEW [NAME]: a second DC of SRC's domain in NEW (an
# empty or new directory), named NAME (default dc2: NAME.example.com,
# NetBIOS name NAME in upper case; at most 15 of a-z 0-9 -), and leave it
# running; like samba_start, it ends with samba_use NEW.  SRC is an
# instance of samba_start's or of this function's, running or stopped.
#
# The clone holds what SRC holds at that moment: the same objects under
# the same DNs with the same objectGUIDs and SIDs, the same passwords
# (SAMBA_ROOTPW, SAMBA_AGENT_PW, SAMBA_USER_PW, the service account's
# Kerberos keys).  It is another DC: its own NTDS Settings object
# (CN=NTDS Settings,CN=NAME,CN=Servers,...: the rootDSE's dsServiceName)
# with a new invocationId, its own computer account CN=NAME,OU=Domain
# Controllers holding the FSMO roles, its own USNs (but counting on from
# where SRC's stood, about 20 higher after the restore's own writes: the
# two DCs' USNs overlap, unlike two real DCs'; a test that needs one DC's
# watermark to be wrong on the other makes more changes on one), its own
# address (claimed as samba_start claims one), SPN
# ldap/ADDR, krb5.conf, and a certificate for its address and NAME signed
# by SRC's CA (NEW/tls/ca.pem is a copy of SRC's: one CA file verifies
# both).  SRC's DC and any other are gone from its copy (their computer
# accounts, NTDS Settings, and dns-dc1, a user), and the krbtgt keys are
# new: a ticket from SRC's KDC is no good on it (a keytab of the service
# account's keys works on both).  Nothing replicates: a change on one is
# never seen on the other.
#
# How: samba-tool domain backup offline of SRC (safe while SRC runs: it
# copies the databases inside a transaction), then domain backup restore
# --newservername=NAME into NEW, which is how Samba makes a DC from a
# backup (see _SAMBA_CLONE_PY for what the rig changes).  With the start,
# 2.5 s for a bare domain, 3.7 s with 3000 users (2 cores).  samba_stop,
# samba_restart and the exit trap treat NEW as any instance; samba_start
# NEW refuses (NEW is in use).  Two clones of one DC must have different
# NAMEs, or their dsServiceName DNs are the same (their GUIDs and
# invocationIds still differ).  The restore's output: NEW/clone.log.
samba_clone_dc() {
	samba_require
	[ -n "${T:-}" ] || t_setup
	_scd_name=${3:-dc2}
	case $_scd_name in
	'' | -* | *[!a-z0-9-]* | ????????????????*)
		echo "samba_clone_dc: bad DC name '$_scd_name'" >&2
		return 1
		;;
	esac
	_scd_src=$(cd "$1" 2>/dev/null && pwd) || {
		echo "samba_clone_dc: no directory $1" >&2
		return 1
	}
	if [ ! -f "$_scd_src/etc/smb.conf" ] || [ ! -f "$_scd_src/tls/ca.key" ]; then
		echo "samba_clone_dc: no rig DC in $_scd_src" >&2
		return 1
	fi
	_scd_host=$_scd_name.${_SAMBA_DC1_HOST#*.}
	_scd_srchost=$(cat "$_scd_src/host" 2>/dev/null) ||
	    _scd_srchost=$_SAMBA_DC1_HOST
	if [ "$_scd_srchost" = "$_scd_host" ]; then
		echo "samba_clone_dc: $_scd_src is $_scd_host already" >&2
		return 1
	fi
	mkdir -p "$2" || return 1
	_scd_new=$(cd "$2" && pwd) || return 1
	if [ -n "$(ls -A "$_scd_new")" ]; then
		echo "samba_clone_dc: $_scd_new is not empty" >&2
		return 1
	fi
	_scd_work=$(mktemp -d "$T/.samba-clone.XXXXXX") || return 1
	_scd_claim=$(_samba_claim "$_scd_new") || return 1
	_t_register rmdir "$_scd_claim"
	_scd_addr=${_scd_claim##*/}
	# SRC's own smb.conf, with the two things the backup needs: a sysvol
	# share (4.17's backup fails without one: "startswith first arg must
	# be str ... not NoneType"), and lock and cache directories of its own
	# (the tools' gencache.tdb), so that SRC gets no file but the
	# *.bak-offline copies the backup makes and removes.  The backup takes
	# the whole directory of the smb.conf it reads as the domain's etc/.
	mkdir "$_scd_work/etc" "$_scd_work/lock" "$_scd_work/tar" || return 1
	{
		cat "$_scd_src/etc/smb.conf"
		printf 'lock directory = %s\ncache directory = %s\n' \
		    "$_scd_work/lock" "$_scd_work/lock"
		printf '[sysvol]\npath = %s/state/sysvol\n' "$_scd_src"
	} >"$_scd_work/etc/smb.conf"
	# The restore writes with the smb.conf it is given: the clone's, with
	# the sysvol share it restores into.  Without it, the restore would
	# write to SRC's xattr.tdb (the backed-up smb.conf's).
	{
		_samba_conf "$_scd_new" "$_scd_addr" "$_scd_host"
		printf '[sysvol]\npath = %s/state/sysvol\n' "$_scd_new"
	} >"$_scd_work/restore.conf"
	_scd_log=$_scd_work/clone.log
	_samba_clone_tool "$_scd_log" domain backup offline \
	    -s "$_scd_work/etc/smb.conf" --targetdir="$_scd_work/tar" || return 1
	for _scd_tar in "$_scd_work"/tar/samba-backup-*.tar*; do :; done
	_samba_clone_tool "$_scd_log" domain backup restore \
	    -s "$_scd_work/restore.conf" --backup-file="$_scd_tar" \
	    --newservername="$_scd_name" --targetdir="$_scd_new" || return 1
	mv "$_scd_log" "$_scd_new/clone.log" || return 1
	rm -rf "$_scd_work" "$_scd_new/etc/smb.conf.orig"
	echo "$_scd_claim" >"$_scd_new/claim"
	echo "$_scd_addr" >"$_scd_new/addr"
	echo "ldap://$_scd_addr" >"$_scd_new/uri"
	echo "ldaps://$_scd_addr" >"$_scd_new/ldaps_uri"
	echo "$_scd_host" >"$_scd_new/host"
	cp -p "$_scd_src/rootpw" "$_scd_src/agentpw" "$_scd_src/userpw" \
	    "$_scd_new/" || return 1
	_samba_clone_certs "$_scd_src" "$_scd_new" "$_scd_addr" "$_scd_host" ||
	    return 1
	(umask 077 && _samba_conf "$_scd_new" "$_scd_addr" "$_scd_host" \
	    >"$_scd_new/etc/smb.conf") || return 1
	_samba_krb5_conf "$_scd_new" "$_scd_addr" >"$_scd_new/krb5.conf"
	_t_register stop "samba_stop $_scd_new"
	_samba_launch "$_scd_new" || return 1
	samba_use "$_scd_new"
	samba_spn "$_scd_new" add "ldap/$_scd_addr"
}

# --- LDAP operations ------------------------------------------------------------

# _samba_tool WHO TOOL DIR ARGS...: run an ldap tool over LDAPS, verifying
# the instance's CA, as Administrator (WHO=root) or the service account
# (WHO=agent).
_samba_tool() {
	_st_pw=rootpw _st_dn=$SAMBA_ROOTDN
	[ "$1" = agent ] && _st_pw=agentpw _st_dn=$SAMBA_AGENT_DN
	_st_tool=$2
	_st_dir=$3
	shift 3
	LDAPTLS_CACERT="$_st_dir/tls/ca.pem" LDAPTLS_REQCERT=demand \
	    "$_st_tool" -x -H "$(cat "$_st_dir/ldaps_uri")" -o nettimeout=10 \
	    -D "$_st_dn" -y "$_st_dir/$_st_pw" "$@"
}

# _samba_quiet TOOL DIR ARGS...: the tool as the administrator, quiet
# unless it fails (rig_quiet).
_samba_quiet() {
	rig_quiet _samba_admin_tool "$@"
}

# _samba_admin_tool TOOL DIR ARGS...: _samba_tool as Administrator.
_samba_admin_tool() {
	_samba_tool root "$@"
}

# samba_add DIR [-M] [FILE]: add the LDIF in FILE (or stdin) as
# Administrator.
samba_add() {
	rig_add _samba_admin_tool "$@"
}

# samba_modify DIR [FILE]: apply LDIF changes (changetype: ...).
samba_modify() {
	rig_modify _samba_admin_tool "$@"
}

# samba_modrdn DIR DN NEWRDN [NEWSUPERIOR]: rename and/or move (the old
# RDN value goes: AD keeps no other).  Arguments starting with "-" are
# ldapmodrdn's own, as slapd_modrdn takes them (-r -s NEWSUPERIOR DN NEWRDN).
samba_modrdn() {
	_smr_dir=$1
	shift
	case ${1:-} in
	-*)
		_samba_quiet ldapmodrdn "$_smr_dir" "$@"
		;;
	*)
		if [ -n "${3:-}" ]; then
			_samba_quiet ldapmodrdn "$_smr_dir" -r -s "$3" "$1" "$2"
		else
			_samba_quiet ldapmodrdn "$_smr_dir" -r "$1" "$2"
		fi
		;;
	esac
}

# samba_delete DIR [-r] DN...
samba_delete() {
	_samba_quiet ldapdelete "$@"
}

# _samba_search WHO DIR ARGS...: ldapsearch -LLL, unwrapped lines; the base
# defaults to the domain.  Continuation references (to CN=Configuration...)
# print as "# refldaps://..." lines.
_samba_search() {
	_sse_who=$1
	_sse_dir=$2
	shift 2
	_sse_base=
	for _sse_a in "$@"; do
		case $_sse_a in
		-b*) _sse_base=1 ;;
		esac
	done
	if [ -n "$_sse_base" ]; then
		_samba_tool "$_sse_who" ldapsearch "$_sse_dir" -LLL \
		    -o ldif-wrap=no "$@"
	else
		_samba_tool "$_sse_who" ldapsearch "$_sse_dir" -LLL \
		    -o ldif-wrap=no -b "$SAMBA_SUFFIX" "$@"
	fi
}

# samba_search DIR ARGS...: as Administrator.
samba_search() {
	_samba_search root "$@"
}

# samba_agent_search DIR ARGS...: the same as the service account.
samba_agent_search() {
	_samba_search agent "$@"
}

# --- users ------------------------------------------------------------------

# _samba_attr NAME VALUE: one LDIF line, base64 when the value is not a
# plain ASCII string (LDIF's SAFE-STRING).
_samba_attr() {
	case $2 in
	' '* | ':'* | '<'* | *' ' | *[!\ -~]*)
		printf '%s:: %s\n' "$1" "$(printf '%s' "$2" | base64 | tr -d '\n')"
		;;
	*)
		printf '%s: %s\n' "$1" "$2"
		;;
	esac
}

# _samba_rdn_value VALUE: VALUE escaped for a DN (RFC 4514).
_samba_rdn_value() {
	printf '%s\n' "$1" | sed 's/[\\,+"<>;=]/\\&/g; s/^[ #]/\\&/; s/ $/\\ /'
}

# samba_user_add DIR OU_DN SAMACCOUNTNAME MAIL GIVEN SN: an enabled user
# (userAccountControl 512, password $SAMBA_USER_PW) named CN=GIVEN SN,OU_DN
# as AD's own tools name users, with userPrincipalName, displayName
# "GIVEN SN", mail, givenName, sn; an empty MAIL, GIVEN or SN leaves that
# attribute out.  Prints the new DN.
samba_user_add() {
	_sua_name="$5${5:+${6:+ }}$6"
	_sua_dn="CN=$(_samba_rdn_value "${_sua_name:-$3}"),$2"
	_sua_pw=$(printf '"%s"' "$(cat "$1/userpw")" | iconv -f UTF-8 -t UTF-16LE |
	    base64 | tr -d '\n')
	{
		_samba_attr dn "$_sua_dn"
		echo "objectClass: user"
		_samba_attr sAMAccountName "$3"
		_samba_attr userPrincipalName "$3@$(echo "$SAMBA_REALM" | tr '[:upper:]' '[:lower:]')"
		[ -n "$5" ] && _samba_attr givenName "$5"
		[ -n "$6" ] && _samba_attr sn "$6"
		[ -n "$_sua_name" ] && _samba_attr displayName "$_sua_name"
		[ -n "$4" ] && _samba_attr mail "$4"
		echo "unicodePwd:: $_sua_pw"
		echo "userAccountControl: 512"
	} | samba_add "$1" || return 1
	printf '%s\n' "$_sua_dn"
}

# samba_uac DIR DN: print DN's userAccountControl.
samba_uac() {
	samba_search "$1" -b "$2" -s base userAccountControl |
	    sed -n 's/^userAccountControl: //p'
}

# _samba_set_uac DIR DN EXPR: userAccountControl := EXPR, an arithmetic
# expression of its present value $_ssu_v.
_samba_set_uac() {
	_ssu_v=$(samba_uac "$1" "$2")
	case $_ssu_v in
	'' | *[!0-9]*)
		echo "samba: no userAccountControl on $2" >&2
		return 1
		;;
	esac
	printf 'dn: %s\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: %s\n\n' \
	    "$2" "$(($3))" | samba_modify "$1"
}

# samba_user_disable DIR DN / samba_user_enable DIR DN: set or clear
# ACCOUNTDISABLE (userAccountControl bit 2), keeping the other flags.
samba_user_disable() {
	_samba_set_uac "$1" "$2" '_ssu_v | 2'
}

samba_user_enable() {
	_samba_set_uac "$1" "$2" '_ssu_v & ~2'
}

# samba_guid DIR DN: DN's objectGUID as the agent prints it (the first
# three groups byte-swapped, lower case: AD's own text form).
samba_guid() {
	samba_search "$1" -b "$2" -s base objectGUID |
	    sed -n 's/^objectGUID:: //p' | base64 -d | od -An -v -tx1 |
	    awk '{ for (i = 1; i <= NF; i++) b[n++] = $i }
	END {
		if (n != 16)
			exit 1
		printf "%s%s%s%s-%s%s-%s%s-%s%s-%s%s%s%s%s%s\n",
		    b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
		    b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
	}'
}

# samba_gen_users N OU_DN [START]: LDIF for N enabled users
# CN=User NNNNN,OU_DN numbered from START (default 1): sAMAccountName and
# mail userNNNNN(@example.com), givenName User, sn NNNNN, displayName.
# No password (Samba, unlike Windows, lets an account be 512 without one):
# setting one costs 20 ms a user.  They cannot bind.
samba_gen_users() {
	awk -v n="$1" -v ou="$2" -v start="${3:-1}" 'BEGIN {
		for (i = start; i < start + n; i++) {
			u = sprintf("user%05d", i)
			printf "dn: CN=User %05d,%s\nobjectClass: user\n", i, ou
			printf "sAMAccountName: %s\n", u
			printf "userPrincipalName: %s@example.com\n", u
			printf "givenName: User\nsn: %05d\n", i
			printf "displayName: User %05d\n", i
			printf "mail: %s@example.com\n", u
			printf "userAccountControl: 512\n\n"
		}
	}'
}

# samba_bulk_add DIR N OU_DN [START]: add samba_gen_users' users, in two
# streams at once (the server has the cores to spare).
samba_bulk_add() {
	samba_gen_users "$2" "$3" "${4:-1}" >"$1/bulk.ldif" || return 1
	if [ "$2" -lt 200 ]; then
		samba_add "$1" "$1/bulk.ldif"
		return
	fi
	awk -v f="$1/bulk" 'BEGIN { RS = ""; ORS = "\n\n" }
	{ print > (f "." (NR % 2) ".ldif") }' "$1/bulk.ldif"
	_sba_rc=0
	_samba_tool root ldapadd "$1" -f "$1/bulk.1.ldif" \
	    >"$1/bulk.1.out" 2>&1 &
	_sba_pid=$!
	_samba_tool root ldapadd "$1" -f "$1/bulk.0.ldif" \
	    >"$1/bulk.0.out" 2>&1 || _sba_rc=$?
	wait "$_sba_pid" || _sba_rc=$?
	if [ "$_sba_rc" -ne 0 ]; then
		tail -n 3 "$1/bulk.0.out" "$1/bulk.1.out" | sed 's/^/  /' >&2
	fi
	return "$_sba_rc"
}

# --- Kerberos -----------------------------------------------------------------

# samba_require_krb5: skip the whole program unless MIT's Kerberos tools
# and Cyrus SASL's GSSAPI module are there (samba_require besides).
samba_require_krb5() {
	require_cmd kinit krb5-user
	require_cmd klist krb5-user
	for _srk_f in /usr/lib/*/sasl2/libgssapiv2.so; do
		[ -f "$_srk_f" ] ||
		    skip_all "Cyrus SASL's GSSAPI module not found: install the Debian package libsasl2-modules-gssapi-mit"
	done
	return 0
}

# samba_krb5_conf DIR [KDC [LINE...]]: print a krb5.conf for the instance
# in DIR, as $SAMBA_KRB5_CONF is, but with its KDC at KDC (HOST or
# HOST:PORT; empty: the instance's address) and LINEs added to
# [libdefaults].  E.g. a KDC that refuses at once: the instance's address
# with a port nothing listens on, "$SAMBA_ADDR:1"; a lifetime for tickets
# the agent asks for: "" "ticket_lifetime = 150s"; no adopting of the
# KDC's clock: "" "kdc_timesync = 0" (see the header).
samba_krb5_conf() {
	_skc_dir=$(cd "$1" && pwd) || return 1
	_skc_kdc=${2:-$(cat "$_skc_dir/addr")}
	shift
	[ $# -gt 0 ] && shift
	_samba_krb5_conf "$_skc_dir" "$_skc_kdc" "$@"
}

# samba_keytab DIR FILE [PRINCIPAL]: export PRINCIPAL's keys (default
# $SAMBA_AGENT_PRINCIPAL, the service account) from the instance into the
# keytab FILE, mode 0600, replacing FILE.  "$SAMBA_ROOT_PRINCIPAL" gives a
# keytab that does not hold the service account's keys.  The keys are the
# account's now: a password change later makes them stale.
samba_keytab() {
	rm -f "$2" || return 1
	(umask 077 && samba-tool domain exportkeytab "$2" \
	    --principal="${3:-$SAMBA_AGENT_PRINCIPAL}" -s "$1/etc/smb.conf" \
	    >"$1/keytab.log" 2>&1) || {
		echo "samba_keytab: exporting ${3:-$SAMBA_AGENT_PRINCIPAL} failed:" >&2
		sed 's/^/  /' "$1/keytab.log" >&2
		return 1
	}
	# exportkeytab writes nothing for a principal it does not know.
	[ -s "$2" ] || {
		echo "samba_keytab: no keys for ${3:-$SAMBA_AGENT_PRINCIPAL}" >&2
		return 1
	}
	chmod 0600 "$2"
}

# samba_spn DIR add|delete SPN: add SPN to the DC's account, or take it
# off (a bind asking for it then fails: "Server not found in Kerberos
# database").  samba_start adds ldap/ADDR.
samba_spn() {
	printf 'dn: %s\nchangetype: modify\n%s: servicePrincipalName\nservicePrincipalName: %s\n\n' \
	    "$(_samba_dc_dn "$1")" "$2" "$3" | samba_modify "$1"
}

# samba_spns DIR: print the SPNs of the DC's account, one a line.
samba_spns() {
	samba_search "$1" -b "$(_samba_dc_dn "$1")" -s base servicePrincipalName |
	    sed -n 's/^servicePrincipalName: //p'
}
