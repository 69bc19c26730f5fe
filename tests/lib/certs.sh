# tests/lib/certs.sh: throwaway TLS material for the test servers (POSIX
# sh).  Sourced by common.sh, and by ds389_template.sh, which runs alone.

# _certs_openssl WHO: openssl is there, else WHO says what to install.
_certs_openssl() {
	command -v openssl >/dev/null 2>&1 && return 0
	echo "$1: openssl not found: install the Debian package openssl" >&2
	return 1
}

# tls_make_certs DIR [CN SAN [DAYS [rsa]]]: a CA (DIR/ca.pem, DIR/ca.key)
# and a server certificate it signed (DIR/server.pem, DIR/server.key;
# DIR/openssl.log says what went wrong) for CN (default 127.0.0.1) with
# subjectAltName SAN (default "IP:127.0.0.1, DNS:localhost"), valid DAYS
# (default 2); "rsa" gives the server an RSA 2048 key (389's attribute
# encryption cannot wrap its keys with EC), else EC P-256.  Arguments, not
# variables: an assignment before a function call outlives it in some
# shells.  The keys stay 0600; the certificates are made world-readable.
tls_make_certs() {
	_certs_openssl tls_make_certs || return 1
	mkdir -p "$1" || return 1
	_tmc_cn=${2:-127.0.0.1}
	_tmc_san=${3:-IP:127.0.0.1, DNS:localhost}
	_tmc_days=${4:-2}
	_tmc_serial=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	_tmc_tag=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	if [ "${5:-ec}" = rsa ]; then
		set -- "$1" -newkey rsa:2048
	else
		set -- "$1" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
	fi
	(
		cd "$1" || exit 1
		shift
		umask 077
		cat >server.ext <<-EOF
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, digitalSignature, keyEncipherment
		extendedKeyUsage = serverAuth
		subjectAltName = $_tmc_san
		EOF
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout ca.key -out ca.pem -days "$_tmc_days" \
		    -subj "/CN=ldap2imocha test CA $_tmc_tag" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
		openssl req -new "$@" -nodes -keyout server.key -out server.csr \
		    -subj "/CN=$_tmc_cn" &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		    -set_serial "0x$_tmc_serial" -days "$_tmc_days" -extfile server.ext \
		    -out server.pem
	) >"$1/openssl.log" 2>&1 || {
		cat "$1/openssl.log" >&2
		return 1
	}
	chmod 644 "$1/ca.pem" "$1/server.pem"
}

# tls_make_ca DIR [DAYS [NAME]]: a CA alone (DIR/ca.pem, DIR/ca.key;
# DIR/openssl.log on failure), EC P-256, valid DAYS (default 2), its
# subject CN=NAME (default "ldap2imocha other CA <random>").  For a client
# certificate a server must refuse: pass the trusted CA's own name to make
# an impostor that only the signature gives away.
tls_make_ca() {
	_certs_openssl tls_make_ca || return 1
	mkdir -p "$1" || return 1
	_tmca_days=${2:-2}
	_tmca_name=${3:-ldap2imocha other CA $(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}
	(
		cd "$1" || exit 1
		umask 077
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout ca.key -out ca.pem -days "$_tmca_days" \
		    -subj "/CN=$_tmca_name" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign"
	) >"$1/openssl.log" 2>&1 || {
		cat "$1/openssl.log" >&2
		return 1
	}
	chmod 644 "$1/ca.pem"
}

# tls_make_client_cert CADIR OUT SUBJECT [DAYS]: a TLS client certificate
# (OUT.pem, mode 0644) and its EC P-256 key (OUT.key, 0600) signed by the
# CA in CADIR (CADIR/ca.pem and ca.key, as tls_make_certs or tls_make_ca
# leave them; OUT.log says what went wrong), valid DAYS (default 2).
# SUBJECT is written the LDAP way, most specific RDN first, e.g.
# "CN=imocha-sync,OU=Services,DC=example,DC=com": what slapd shows as the
# SASL EXTERNAL identity (normalized: lower case).  Plain RDNs only: no
# multi-valued RDN (+), no escapes, no "/" or '"'.
tls_make_client_cert() {
	_certs_openssl tls_make_client_cert || return 1
	case $3 in
	'' | *[+\\/\"]* | *,,* | ,* | *,)
		echo "tls_make_client_cert: subject not supported: $3" >&2
		return 1
		;;
	esac
	if [ ! -f "$1/ca.pem" ] || [ ! -f "$1/ca.key" ]; then
		echo "tls_make_client_cert: no CA in $1" >&2
		return 1
	fi
	mkdir -p "$(dirname "$2")" || return 1
	# openssl's -subj lists the RDNs the other way round, "/" first.
	_tmcc_subj=$(printf '%s\n' "$3" | tr ',' '\n' |
	    sed 's/^ *//; s/ *$//; s/ *= */=/' | sed -n '1!G; h; $p' |
	    tr '\n' '/' | sed 's,^,/,; s,/$,,')
	_tmcc_serial=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	(
		umask 077
		cat >"$2.ext" <<-EOF
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, digitalSignature
		extendedKeyUsage = clientAuth
		EOF
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout "$2.key" -out "$2.csr" -subj "$_tmcc_subj" &&
		openssl x509 -req -in "$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" \
		    -set_serial "0x$_tmcc_serial" -days "${4:-2}" -extfile "$2.ext" \
		    -out "$2.pem"
	) >"$2.log" 2>&1 || {
		cat "$2.log" >&2
		rm -f "$2.csr" "$2.ext"
		return 1
	}
	rm -f "$2.csr" "$2.ext"
	chmod 600 "$2.key"
	chmod 644 "$2.pem"
}
