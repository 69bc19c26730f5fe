# tests/lib/slapd.sh: a real, throwaway OpenLDAP slapd per test (POSIX sh)
#
# Needs common.sh sourced first.  One instance per directory; several may
# run side by side.  Every function takes the instance's DIR and reads that
# instance's values from files in DIR, so a test can drive two of them.
#
#	SLAPD_TLS=1 SLAPD_SYNCPROV=1 slapd_start "$T/ldap"
#	slapd_add "$T/ldap" <<EOF ... EOF
#	slapd_use "$T/ldap"	# re-export that instance's SLAPD_* values
#
# Knobs read by slapd_start (all off when unset):
#	SLAPD_TLS=1		CA + server cert (IP:127.0.0.1), ldaps listener,
#				StartTLS
#	SLAPD_SYNCPROV=1	syncprov overlay (RFC 4533), session log 1000
#	SLAPD_MEMBEROF=1	memberof overlay (slapo-memberof, a module in
#				Debian's 2.5): a group's member values give
#				each entry named an operational memberOf
#				naming the group.  Two instances, one for
#				groupOfNames/member and one for
#				groupOfUniqueNames/uniqueMember.  Direct
#				membership only (no nesting), dangling
#				members ignored, no referential integrity:
#				slapd's defaults.  A group naming itself
#				gives itself no memberOf.  Measured: the
#				overlay's writes to memberOf leave the
#				entry's entryCSN as it was, so a syncprov
#				refresh with a cookie does not report an
#				entry that joined or left a group.
#	SLAPD_AD=1		tests/lib/ad-test.schema (objectGUID, ...)
#	SLAPD_SIZELIMIT=N	global size limit (slapd's default is 500)
#	SLAPD_AGENT_LIMITED=1	the agent account keeps the global limits
#	SLAPD_ANON_NOREAD=1	anonymous may search but read nothing
#	SLAPD_PORT=N		the ldap:// port to try first (a busy one is
#				retried on another, like any "address in use")
#	SLAPD_PRELOAD=FILE	more LDIF loaded offline with slapadd -q (fast
#				bulk loads: 100k users in a few seconds)
#	SLAPD_TLS_VERIFY_CLIENT=try|demand
#				SLAPD_TLS=1 and more: slapd asks TLS clients
#				for a certificate from the rig's CA
#				(TLSVerifyClient; try: a client without one
#				still gets in, demand: its TLS session fails;
#				a bad one fails both).  The rig makes a client
#				certificate that SASL EXTERNAL maps to the
#				agent account (authz-regexp), and one signed by
#				another CA that bears the rig CA's name.
#	SLAPD_CLIENT_SUBJECT=DN	that certificate's subject, LDAP order
#				(default CN=imocha-sync,OU=Services,
#				DC=example,DC=com; see tls_make_client_cert)
#	SLAPD_LDAPI_EXTERNAL=1	SASL EXTERNAL over ldapi:// from this uid and
#				gid (peer credentials, `id -u`/`id -g` at
#				start) binds as the agent account
# The agent reached by SASL EXTERNAL is the agent: same ACLs, same limits.
# Other identities are untouched (EXTERNAL from another uid, or with a
# certificate of another subject, is that identity, which reads as any
# bound DN does).  slapd.conf, not cn=config: authz-regexp lines are tried
# in file order, first match wins (no {N} prefixes).
#
# Exports: SLAPD_DIR SLAPD_URI SLAPD_LDAPS_URI SLAPD_LDAPI_URI SLAPD_CA
# SLAPD_PID SLAPD_ROOTDN SLAPD_ROOTPW SLAPD_AGENT_DN SLAPD_AGENT_PW, and
# with SLAPD_TLS_VERIFY_CLIENT (else empty): SLAPD_CLIENT_CERT
# SLAPD_CLIENT_KEY (the agent's certificate and key) SLAPD_FOREIGN_CERT
# SLAPD_FOREIGN_KEY (same subject, signed by the other CA: refused).
# Give them to libldap as LDAPTLS_CERT, LDAPTLS_KEY (with LDAPTLS_CACERT
# = SLAPD_CA) and bind with -Y EXTERNAL.
#
# Files in DIR: slapd.conf, base.ldif, db/, slapd.log (slapd's stderr: the
# first place to look), slapd-retried.log (starts that found a port in
# use), rootpw, agentpw, uri, ldaps_uri, ldapi_uri, pid, tls/ (ca.pem,
# server.pem, server.key; with SLAPD_TLS_VERIFY_CLIENT also agent.pem,
# agent.key, foreign.pem, foreign.key, foreign-ca/).

SLAPD_SUFFIX="dc=example,dc=com"
SLAPD_ROOTDN="cn=admin,$SLAPD_SUFFIX"
SLAPD_AGENT_DN="cn=imocha-sync,ou=Services,$SLAPD_SUFFIX"
_SLAPD_SBIN=/usr/sbin
_SLAPD_MODDIR=/usr/lib/ldap
_SLAPD_SCHEMADIR=/etc/ldap/schema
_SLAPD_CLIENT_SUBJECT="CN=imocha-sync,OU=Services,DC=example,DC=com"

# slapd_require: skip the whole program unless slapd, ldap-utils (and, with
# SLAPD_TLS=1 or SLAPD_TLS_VERIFY_CLIENT, openssl) are installed.
slapd_require() {
	for _sr_c in slapd slapadd slappasswd; do
		[ -x "$_SLAPD_SBIN/$_sr_c" ] ||
		    skip_all "$_SLAPD_SBIN/$_sr_c not found: install the Debian package slapd"
	done
	[ -f "$_SLAPD_MODDIR/back_mdb.la" ] ||
	    skip_all "$_SLAPD_MODDIR/back_mdb not found: install the Debian package slapd"
	for _sr_c in ldapsearch ldapadd ldapmodify ldapdelete ldapmodrdn; do
		require_cmd "$_sr_c" ldap-utils
	done
	_slapd_tls_on && require_cmd openssl openssl
	return 0
}

# _slapd_tls_on: true when the knobs ask for TLS.
_slapd_tls_on() {
	[ "${SLAPD_TLS:-0}" = 1 ] || [ -n "${SLAPD_TLS_VERIFY_CLIENT:-}" ]
}

# slapd_use DIR: export the SLAPD_* values of the instance in DIR.
slapd_use() {
	SLAPD_DIR=$1
	SLAPD_URI=$(cat "$1/uri" 2>/dev/null)
	SLAPD_LDAPS_URI=$(cat "$1/ldaps_uri" 2>/dev/null)
	SLAPD_LDAPI_URI=$(cat "$1/ldapi_uri" 2>/dev/null)
	SLAPD_CA=
	[ -f "$1/tls/ca.pem" ] && SLAPD_CA=$1/tls/ca.pem
	SLAPD_PID=$(cat "$1/pid" 2>/dev/null)
	SLAPD_ROOTPW=$(cat "$1/rootpw" 2>/dev/null)
	SLAPD_AGENT_PW=$(cat "$1/agentpw" 2>/dev/null)
	SLAPD_CLIENT_CERT= SLAPD_CLIENT_KEY= SLAPD_FOREIGN_CERT= SLAPD_FOREIGN_KEY=
	if [ -f "$1/tls/agent.pem" ]; then
		SLAPD_CLIENT_CERT=$1/tls/agent.pem SLAPD_CLIENT_KEY=$1/tls/agent.key
		SLAPD_FOREIGN_CERT=$1/tls/foreign.pem
		SLAPD_FOREIGN_KEY=$1/tls/foreign.key
	fi
	export SLAPD_DIR SLAPD_URI SLAPD_LDAPS_URI SLAPD_LDAPI_URI SLAPD_CA \
	    SLAPD_PID SLAPD_ROOTDN SLAPD_ROOTPW SLAPD_AGENT_DN SLAPD_AGENT_PW \
	    SLAPD_CLIENT_CERT SLAPD_CLIENT_KEY SLAPD_FOREIGN_CERT SLAPD_FOREIGN_KEY
}

# _slapd_secret FILE VALUE: a password file without a newline (ldap tools'
# -y and slappasswd -T read the whole file).
_slapd_secret() {
	(umask 077 && printf '%s' "$2" >"$1")
}

# _slapd_sockdir DIR: where the ldapi socket goes.  sun_path holds 108
# bytes and the URI needs a plain path, so fall back to a short /tmp dir.
_slapd_sockdir() {
	case $1 in
	*[!A-Za-z0-9._/-]*) ;;
	*)
		if [ "${#1}" -le 90 ]; then
			printf '%s\n' "$1"
			return 0
		fi
		;;
	esac
	_ssd_d=$(mktemp -d /tmp/l2i-sock.XXXXXX) || return 1
	_t_register rmdir "$_ssd_d"
	printf '%s\n' "$_ssd_d"
}

_slapd_conf() {
	# SLAPD_ANON_NOREAD=1: anonymous may search but read nothing (389's
	# default for an anonymous bind: result 0 and no entry).
	_sc_anon=read
	[ "${SLAPD_ANON_NOREAD:-0}" = 1 ] && _sc_anon=search
	for _sc_s in core cosine nis inetorgperson; do
		echo "include $_SLAPD_SCHEMADIR/$_sc_s.schema"
	done
	[ "${SLAPD_AD:-0}" = 1 ] && echo "include $L2I_TOP/tests/lib/ad-test.schema"
	cat <<-EOF
	modulepath $_SLAPD_MODDIR
	moduleload back_mdb
	EOF
	[ "${SLAPD_SYNCPROV:-0}" = 1 ] && echo "moduleload syncprov"
	[ "${SLAPD_MEMBEROF:-0}" = 1 ] && echo "moduleload memberof"
	cat <<-EOF
	pidfile $1/slapd.pid
	argsfile $1/slapd.args
	EOF
	if _slapd_tls_on; then
		cat <<-EOF
		TLSCACertificateFile $1/tls/ca.pem
		TLSCertificateFile $1/tls/server.pem
		TLSCertificateKeyFile $1/tls/server.key
		EOF
	fi
	_slapd_conf_external
	cat <<-EOF

	# The agent and anonymous read everything but passwords; anonymous
	# may bind with one.  (The rootdn is never subject to ACLs.)
	# (<<- strips tabs: continuation lines are indented with spaces.)
	access to attrs=userPassword
	    by anonymous auth
	    by * none
	access to *
	    by anonymous ${_sc_anon:-read}
	    by * read

	database mdb
	# mdb's default map is 10 MiB; this one is sparse.
	maxsize 1073741824
	suffix "$SLAPD_SUFFIX"
	rootdn "$SLAPD_ROOTDN"
	rootpw $2
	directory $1/db
	index objectClass eq
	index uid,mail,cn eq
	EOF
	[ -n "${SLAPD_SIZELIMIT:-}" ] && echo "sizelimit $SLAPD_SIZELIMIT"
	[ "${SLAPD_AGENT_LIMITED:-0}" = 1 ] ||
	    echo "limits dn.exact=\"$SLAPD_AGENT_DN\" size=unlimited time=unlimited"
	# Defined first, so syncprov sits above it and sees every write.
	# memberOf changes anyway come with no new entryCSN: see the header.
	if [ "${SLAPD_MEMBEROF:-0}" = 1 ]; then
		cat <<-EOF
		overlay memberof
		memberof-group-oc groupOfNames
		memberof-member-ad member
		overlay memberof
		memberof-group-oc groupOfUniqueNames
		memberof-member-ad uniqueMember
		EOF
	fi
	if [ "${SLAPD_SYNCPROV:-0}" = 1 ]; then
		cat <<-EOF
		index entryCSN,entryUUID eq
		overlay syncprov
		syncprov-sessionlog 1000
		EOF
	fi
	return 0
}

# _slapd_authz_quote TEXT: the DN TEXT as an anchored POSIX ERE for
# authz-regexp, in the form slapd matches: its normalized DN (lower case,
# no spaces around "=" or ",").  Metacharacters go in brackets:
# slapd.conf's tokenizer eats backslashes.
_slapd_authz_quote() {
	printf '%s\n' "$1" | sed 's/ *\([=,]\) */\1/g' | tr 'A-Z' 'a-z' |
	    sed 's/[].*+?(){}|$[]/[&]/g; s/^/^/; s/$/$/'
}

# _slapd_conf_external: TLSVerifyClient and the authz-regexp lines of
# SLAPD_TLS_VERIFY_CLIENT and SLAPD_LDAPI_EXTERNAL.  Global directives:
# they must come before the first "database".
_slapd_conf_external() {
	if [ -n "${SLAPD_TLS_VERIFY_CLIENT:-}" ]; then
		# SASL EXTERNAL over TLS: the authentication DN is the client
		# certificate's subject (no cn=auth wrapping).
		echo "TLSVerifyClient $SLAPD_TLS_VERIFY_CLIENT"
		printf 'authz-regexp "%s" "%s"\n' \
		    "$(_slapd_authz_quote "${SLAPD_CLIENT_SUBJECT:-$_SLAPD_CLIENT_SUBJECT}")" \
		    "$SLAPD_AGENT_DN"
	fi
	if [ "${SLAPD_LDAPI_EXTERNAL:-0}" = 1 ]; then
		# The "+" of the multi-valued RDN, bracketed: see above.
		printf 'authz-regexp "%s" "%s"\n' \
		    "^gidNumber=$(id -g)[+]uidNumber=$(id -u),cn=peercred,cn=external,cn=auth\$" \
		    "$SLAPD_AGENT_DN"
	fi
	return 0
}

# _slapd_client_certs DIR: the client certificates of SLAPD_TLS_VERIFY_CLIENT
# in DIR/tls.  The impostor CA copies the rig CA's name, so only its
# signature tells them apart.
_slapd_client_certs() {
	_scc_ca=$(openssl x509 -in "$1/tls/ca.pem" -noout -subject \
	    -nameopt RFC2253 | sed -n 's/^subject= *CN=//p')
	tls_make_client_cert "$1/tls" "$1/tls/agent" \
	    "${SLAPD_CLIENT_SUBJECT:-$_SLAPD_CLIENT_SUBJECT}" &&
	tls_make_ca "$1/tls/foreign-ca" 2 "$_scc_ca" &&
	tls_make_client_cert "$1/tls/foreign-ca" "$1/tls/foreign" \
	    "${SLAPD_CLIENT_SUBJECT:-$_SLAPD_CLIENT_SUBJECT}"
}

_slapd_base_ldif() {
	cat <<-EOF
	dn: $SLAPD_SUFFIX
	objectClass: dcObject
	objectClass: organization
	dc: example
	o: Example

	dn: ou=People,$SLAPD_SUFFIX
	objectClass: organizationalUnit
	ou: People

	dn: ou=Services,$SLAPD_SUFFIX
	objectClass: organizationalUnit
	ou: Services

	dn: $SLAPD_AGENT_DN
	objectClass: organizationalRole
	objectClass: simpleSecurityObject
	cn: imocha-sync
	description: the ldap2imocha service account
	userPassword: $1

	EOF
}

# _slapd_load DIR: create the database offline.
_slapd_load() {
	_sl_hash=$("$_SLAPD_SBIN/slappasswd" -h '{SSHA}' -T "$1/agentpw") ||
	    return 1
	_slapd_base_ldif "$_sl_hash" >"$1/base.ldif"
	if ! "$_SLAPD_SBIN/slapadd" -q -f "$1/slapd.conf" -l "$1/base.ldif" \
	    >"$1/slapadd.log" 2>&1; then
		echo "slapd_start: slapadd failed:" >&2
		sed 's/^/  /' "$1/slapadd.log" >&2
		return 1
	fi
	[ -n "${SLAPD_PRELOAD:-}" ] || return 0
	if ! "$_SLAPD_SBIN/slapadd" -q -f "$1/slapd.conf" -l "$SLAPD_PRELOAD" \
	    >"$1/slapadd.log" 2>&1; then
		echo "slapd_start: slapadd $SLAPD_PRELOAD failed:" >&2
		sed 's/^/  /' "$1/slapadd.log" >&2
		return 1
	fi
}

# _slapd_port: a random port below the usual ephemeral range.
_slapd_port() {
	echo $((10000 + $(od -An -N2 -tu2 /dev/urandom) % 22000))
}

_slapd_answers() {
	ldapsearch -x -H "$1" -o nettimeout=2 -b "" -s base \
	    namingContexts >/dev/null 2>&1
}

# _slapd_launch DIR NEWPORTS: start slapd and wait until it answers.  With
# NEWPORTS=1 pick fresh ports and retry on "address in use"; else reuse the
# ports in DIR (a restart) and retry a while.
_slapd_launch() {
	_sla_try=0
	while [ "$_sla_try" -lt 25 ]; do
		_sla_try=$((_sla_try + 1))
		if [ "$2" = 1 ]; then
			_sla_port=$(_slapd_port)
			# SLAPD_PORT: the port to try first (then random ones).
			[ "$_sla_try" = 1 ] && [ -n "${SLAPD_PORT:-}" ] &&
			    _sla_port=$SLAPD_PORT
			echo "ldap://127.0.0.1:$_sla_port" >"$1/uri"
			if [ -f "$1/tls/ca.pem" ]; then
				echo "ldaps://127.0.0.1:$(_slapd_port)" >"$1/ldaps_uri"
			fi
		fi
		_sla_urls="$(cat "$1/uri")/"
		[ -f "$1/ldaps_uri" ] && _sla_urls="$_sla_urls $(cat "$1/ldaps_uri")/"
		_sla_urls="$_sla_urls $(cat "$1/ldapi_uri")"
		rm -f "$(cat "$1/sock")"
		"$_SLAPD_SBIN/slapd" -f "$1/slapd.conf" -h "$_sla_urls" -d none \
		    </dev/null >"$1/slapd.out" 2>"$1/slapd.log" &
		_sla_pid=$!
		echo "$_sla_pid" >"$1/pid"
		_sla_n=0
		# 15 s in 0.05 s steps.
		# Ask over ldapi first: its socket is this instance's own, while
		# a TCP port we failed to bind may be answered by another slapd.
		# slapd binds every listener before it serves any.
		while [ "$_sla_n" -lt 300 ]; do
			if _slapd_answers "$(cat "$1/ldapi_uri")" &&
			    _slapd_answers "$(cat "$1/uri")" &&
			    proc_alive "$_sla_pid"; then
				return 0
			fi
			proc_alive "$_sla_pid" || break
			sleep 0.05
			_sla_n=$((_sla_n + 1))
		done
		if proc_alive "$_sla_pid"; then
			echo "slapd_start: slapd in $1 did not answer in 15 s; its log:" >&2
			sed 's/^/  /' "$1/slapd.log" >&2
			slapd_stop "$1"
			return 1
		fi
		wait "$_sla_pid" 2>/dev/null
		rm -f "$1/pid"
		grep -q 'errno=98' "$1/slapd.log" || break
		cat "$1/slapd.log" >>"$1/slapd-retried.log"
		[ "$2" = 1 ] || sleep 0.2
	done
	echo "slapd_start: slapd in $1 did not start; its log:" >&2
	sed 's/^/  /' "$1/slapd.log" >&2
	return 1
}

# slapd_start DIR: set up and start a fresh instance in DIR (see above).
slapd_start() {
	slapd_require
	[ -n "${T:-}" ] || t_setup
	mkdir -p "$1" || return 1
	_ss_dir=$(cd "$1" && pwd)
	if [ -e "$_ss_dir/slapd.conf" ]; then
		echo "slapd_start: $_ss_dir is in use; slapd_restart it" >&2
		return 1
	fi
	mkdir "$_ss_dir/db" || return 1
	_t_register slapd "$_ss_dir"
	_slapd_secret "$_ss_dir/rootpw" "$(rand_hex 12)"
	_slapd_secret "$_ss_dir/agentpw" "$(rand_hex 12)"
	case ${SLAPD_TLS_VERIFY_CLIENT:-} in
	'' | try | demand) ;;
	*)
		echo "slapd_start: SLAPD_TLS_VERIFY_CLIENT=$SLAPD_TLS_VERIFY_CLIENT: want try or demand" >&2
		return 1
		;;
	esac
	# "^" has no bracketed form for _slapd_authz_quote.
	case ${SLAPD_CLIENT_SUBJECT:-} in
	*^*)
		echo "slapd_start: SLAPD_CLIENT_SUBJECT: no \"^\" please" >&2
		return 1
		;;
	esac
	if _slapd_tls_on; then
		tls_make_certs "$_ss_dir/tls" || return 1
	fi
	if [ -n "${SLAPD_TLS_VERIFY_CLIENT:-}" ]; then
		_slapd_client_certs "$_ss_dir" || return 1
	fi
	_ss_sock=$(_slapd_sockdir "$_ss_dir")/ldapi || return 1
	echo "$_ss_sock" >"$_ss_dir/sock"
	echo "ldapi://$(printf '%s' "$_ss_sock" | sed 's,/,%2F,g')" \
	    >"$_ss_dir/ldapi_uri"
	(umask 077 && _slapd_conf "$_ss_dir" "$(cat "$_ss_dir/rootpw")" \
	    >"$_ss_dir/slapd.conf") || return 1
	_slapd_load "$_ss_dir" || return 1
	_slapd_launch "$_ss_dir" 1 || return 1
	slapd_use "$_ss_dir"
}

# slapd_stop DIR: stop the instance and wait until it is really gone.
slapd_stop() {
	_sst_dir=$(cd "$1" 2>/dev/null && pwd) || return 0
	_t_stop_pidfile "$_sst_dir/pid" "$_sst_dir/slapd.conf"
	[ "${SLAPD_DIR:-}" = "$_sst_dir" ] && SLAPD_PID=
	return 0
}

# slapd_restart DIR: stop and start again on the same ports, same data.
slapd_restart() {
	_sre_dir=$(cd "$1" && pwd) || return 1
	slapd_stop "$_sre_dir"
	_slapd_launch "$_sre_dir" 0 || return 1
	[ "${SLAPD_DIR:-}" = "$_sre_dir" ] && SLAPD_PID=$(cat "$_sre_dir/pid")
	return 0
}

# _slapd_tool TOOL DIR ARGS...: run an ldap tool as the rootdn.
_slapd_tool() {
	_st_tool=$1
	_st_dir=$2
	shift 2
	"$_st_tool" -x -H "$(cat "$_st_dir/uri")" -o nettimeout=10 \
	    -D "$SLAPD_ROOTDN" -y "$_st_dir/rootpw" "$@"
}

# _slapd_quiet TOOL DIR ARGS...: the tool as the administrator, quiet
# unless it fails (rig_quiet).
_slapd_quiet() {
	rig_quiet _slapd_tool "$@"
}

# slapd_add DIR [-M] [FILE]: add the LDIF in FILE (or stdin) as the rootdn;
# -M (ManageDsaIT) adds referral entries as they are.
slapd_add() {
	rig_add _slapd_tool "$@"
}

# slapd_modify DIR [FILE]: apply LDIF changes (changetype: ...).
slapd_modify() {
	rig_modify _slapd_tool "$@"
}

# slapd_modrdn DIR ARGS...: ldapmodrdn, e.g. -r -s NEWSUPERIOR DN NEWRDN.
slapd_modrdn() {
	_slapd_quiet ldapmodrdn "$@"
}

# slapd_delete DIR [-r] DN...
slapd_delete() {
	_slapd_quiet ldapdelete "$@"
}

# slapd_search DIR ARGS...: ldapsearch -LLL, unwrapped lines; the base
# defaults to the suffix.
slapd_search() {
	_sse_dir=$1
	shift
	_sse_base=
	for _sse_a in "$@"; do
		case $_sse_a in
		-b*) _sse_base=1 ;;
		esac
	done
	if [ -n "$_sse_base" ]; then
		_slapd_tool ldapsearch "$_sse_dir" -LLL -o ldif-wrap=no "$@"
	else
		_slapd_tool ldapsearch "$_sse_dir" -LLL -o ldif-wrap=no \
		    -b "$SLAPD_SUFFIX" "$@"
	fi
}

# gen_users N [OU] [START]: LDIF for N inetOrgPerson users
# uid=userNNNNN,[ou=OU,]ou=People,dc=example,dc=com numbered from START
# (default 1), mail userNNNNN@example.com.
gen_users() {
	awk -v n="$1" -v ou="${2:-}" -v start="${3:-1}" \
	    -v people="ou=People,$SLAPD_SUFFIX" 'BEGIN {
		parent = (ou == "" ? "" : "ou=" ou ",") people
		for (i = start; i < start + n; i++) {
			u = sprintf("user%05d", i)
			printf "dn: uid=%s,%s\n", u, parent
			printf "objectClass: inetOrgPerson\n"
			printf "uid: %s\ncn: User %05d\nsn: %05d\n", u, i, i
			printf "givenName: User\nmail: %s@example.com\n\n", u
		}
	}'
}

# gen_ou NAME [PARENT_DN]: LDIF for an organizationalUnit (default parent
# ou=People).
gen_ou() {
	printf 'dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n' \
	    "$1" "${2:-ou=People,$SLAPD_SUFFIX}" "$1"
}

# slapd_earn_trust DIR DN CONFIG: the agent uses a server's incremental
# reads only after an audit saw them report a user change rightly
# (SPEC.md, Trust).  Change DN's cn (a display name: nothing is sent to
# iMocha for it) and sync with CONFIG: that run audits and, the server
# being honest, trusts it.  RC and $T/err as run_agent leaves them.
slapd_earn_trust() {
	printf 'dn: %s\nchangetype: modify\nreplace: cn\ncn: Audited %s\n\n' "$2" "$(rand_hex 3)" |
	    slapd_modify "$1"
	run_agent -c "$3" sync
}
